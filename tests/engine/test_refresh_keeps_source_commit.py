"""A refresh of a record whose file's bytes did not change — the re-parse after an upgrade of the parsers
(``engine.parsed_by``), a new content-hash scheme, a file that lost an id read again by a backfill — keeps the row's
``source_commit``: the last commit that wrote the record's fields, which ``show``, the API and a backfill merging onto
the rows (``history.merge``) read. It became the sync's commit, one that did not touch the file, or NULL for a sync
of the work tree. ``updated_at`` moves: the row's fields did change. A refresh of changed bytes names their commit,
as before. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from conftest import GitRepo
from specs import adr
from tracertm import kinds
from tracertm.engine.parsed_by import PARSER_OUTPUT_KEY
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Base
from tracertm.parsers import parse
from tracertm.parsers.common import previous_scheme_hash

FEATURE = "@FEAT-1\nFeature: Shop\n  Scenario: Browse\n    Given a shop\n"
LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _row(engine: Engine, kind: str, *columns: str) -> tuple[Any, ...]:
    table = kinds.table(kind)
    with engine.connect() as conn:
        return tuple(conn.execute(select(*(table.c[c] for c in columns))).one())


def _set(engine: Engine, kind: str, number: str | None = None, **values: Any) -> None:
    table = kinds.table(kind)
    statement = update(table).values(**values)
    if number is not None:
        statement = statement.where(table.c[kinds.NUMBER_COLUMN[kind]] == number)
    with engine.begin() as conn:
        conn.execute(statement)


def _as_older_parsers_left_them(engine: Engine) -> None:
    """Fields no hash covers as another version of the parsers might have made them, a row last changed long ago,
    and no parsers' version recorded (a tracertm from before it was kept): the next sync parses every file again."""
    _set(engine, "feature", file_path="stale.feature", updated_at=LONG_AGO)
    _set(engine, "scenario", gherkin_text="stale", updated_at=LONG_AGO)
    projects = Base.metadata.tables["projects"]
    with engine.begin() as conn:
        metadata = dict(conn.execute(select(projects.c.project_metadata)).scalar_one())
        metadata.pop(PARSER_OUTPUT_KEY)
        conn.execute(update(projects).values(project_metadata=metadata))


def _two_commits(repo: GitRepo, engine: Engine) -> tuple[str, str]:
    """``FEATURE`` and ADR-1 written by a first commit and synced from it, then a commit adding ADR-2 synced: the
    rows of the first commit's files keep it."""
    repo.write("features/shop.feature", FEATURE)
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    first = repo.commit("first")
    sync(repo.path, engine=engine, ref="HEAD")
    repo.write("docs/adr/0002-use-sql.md", adr(2, "Use SQL"))
    second = repo.commit("second")
    sync(repo.path, engine=engine, ref="HEAD")
    assert _row(engine, "feature", "source_commit") == (first,)
    return first, second


@pytest.mark.parametrize("ref", [None, "HEAD"])
def test_the_upgrade_refresh_keeps_the_commit_that_wrote_the_record(
    git_repo: GitRepo, engine: Engine, ref: str | None,
) -> None:
    first, _ = _two_commits(git_repo, engine)
    _as_older_parsers_left_them(engine)

    result = sync(git_repo.path, engine=engine, ref=ref)

    assert result.files_parsed == 3 and not result.changed  # every file parsed again; refreshes only
    feature = _row(engine, "feature", "file_path", "source_commit", "version", "updated_at")
    assert feature[:3] == ("features/shop.feature", first, 1)  # (it was the second commit, or NULL)
    gherkin, commit, updated_at = _row(engine, "scenario", "gherkin_text", "source_commit", "updated_at")
    assert gherkin.lstrip().startswith("Scenario: Browse") and commit == first
    # The rows changed: their time says so (a client reading what changed since reads the new fields).
    assert feature[3] > LONG_AGO and updated_at > LONG_AGO


@pytest.mark.parametrize("ref", [None, "HEAD"])
def test_a_hash_scheme_refresh_keeps_the_commit_that_wrote_the_record(
    git_repo: GitRepo, engine: Engine, ref: str | None,
) -> None:
    first, _ = _two_commits(git_repo, engine)
    path = "docs/adr/0001-use-git.md"
    record, = parse("adr", path, (git_repo.path / path).read_bytes()).records  # type: ignore[union-attr]
    _set(engine, "adr", "ADR-0001", content_hash=previous_scheme_hash("adr", record.fields))

    result = sync(git_repo.path, engine=engine, ref=ref, full=True)

    assert not result.changed
    table = kinds.table("adr")
    with engine.connect() as conn:
        rows = {r.adr_number: r.source_commit for r in conn.execute(select(table.c.adr_number, table.c.source_commit))}
        fresh = conn.execute(select(table.c.content_hash, table.c.version)
                             .where(table.c.adr_number == "ADR-0001")).one()
    assert tuple(fresh) == (record.content_hash, 1)
    assert rows["ADR-0001"] == first


def test_a_refresh_of_changed_bytes_names_their_commit(git_repo: GitRepo, engine: Engine) -> None:
    _two_commits(git_repo, engine)
    git_repo.write("features/shop.feature", "# a comment above\n" + FEATURE)  # the same content, other lines
    third = git_repo.commit("third")

    assert not sync(git_repo.path, engine=engine, ref="HEAD").changed

    assert _row(engine, "feature", "source_commit", "version") == (third, 1)
    assert _row(engine, "scenario", "source_commit", "version") == (third, 1)


def test_a_resumed_backfill_keeps_the_commit_of_a_refresh_of_the_same_bytes(
    git_repo: GitRepo, engine: Engine, database_url: str,
) -> None:
    """A file that lost an id to another file is read again at every commit a backfill replays (the winner may go
    away); its other records, read back from the database by a resumed run, are refreshed when their stored hash
    is an earlier scheme's. The backfill's writer kept the commit of the replay there, which changed nothing in the
    file."""
    git_repo.write("contracts/a.yaml", "id: CTR-0001\ntitle: One\nstates: [a, b]\n")
    two = "id: CTR-0002\ntitle: Two\nstates: [a, b]\n---\nid: CTR-0001\ntitle: Again\nstates: [a, b]\n"
    git_repo.write("contracts/b.yaml", two)
    first = git_repo.commit("first")
    git_repo.write("contracts/c.yaml", "id: CTR-0003\ntitle: Three\nstates: [a, b]\n")
    second = git_repo.commit("second")
    backfill(git_repo.path, ref=first, database_url=database_url)
    record = next(r for r in parse("contract", "contracts/b.yaml", two.encode()).records  # type: ignore[union-attr]
                  if r.number == "CTR-0002")
    _set(engine, "contract", "CTR-0002", content_hash=previous_scheme_hash("contract", record.fields))

    assert backfill(git_repo.path, database_url=database_url).mode == "resumed"

    table = kinds.table("contract")
    with engine.connect() as conn:
        rows = {r.contract_number: (r.source_commit, r.content_hash, r.version) for r in conn.execute(
            select(table.c.contract_number, table.c.source_commit, table.c.content_hash, table.c.version))}
    assert rows["CTR-0002"] == (first, record.content_hash, 1)  # (it was the second commit)
    assert rows["CTR-0003"][0] == second
