"""An ADR whose file has no date has the date of the commit that created it (README "ADR dates"), from a backfill
or a backfill's merge. A sync that rewrites its row from the same content — a refresh in place (the first sync
after an upgrade of the parsers, a new content-hash scheme, an edit of the file's whitespace), a move, a restore,
the final ``sync --ref`` of a merge — wrote the parsed ``date = None`` over it, version and hash unchanged: lost
silently (and the moves' and restores' snapshots undated). Now each keeps it, in the row and the snapshot, as a
backfill from scratch of the same history gives them; a date the file gains still wins, and a real edit takes the
creating commit's (``tests/engine/test_an_edit_keeps_the_adr_date_from_git.py``). SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from conftest import GitRepo
from raw_sql import set_marker
from tracertm import db, kinds
from tracertm.engine.parsed_by import PARSER_OUTPUT_KEY
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import ADR, SpecRevision
from tracertm.parsers import parse
from tracertm.parsers.common import previous_scheme_hash

PATH = "docs/adr/0003-no-date.md"
UNDATED = "# 3. No date\n\n## Status\n\nAccepted\n\n## Context\n\nC.\n\n## Decision\n\nD.\n"
CREATED = "2024-03-01"  # the date of the commit that creates it (``_backfilled``)


def _backfilled(repo: GitRepo, url: str) -> None:
    """The undated ADR created by a commit of ``CREATED``, backfilled: its row has that date."""
    repo.write(PATH, UNDATED)
    repo.commit("undated", date=f"{CREATED}T10:00:00+00:00")
    assert backfill(repo.path, database_url=url).mode == "full"
    assert _row(url) == (CREATED, 1)


def _row(url: str) -> tuple[str | None, int]:
    """The ADR's date (ISO) and version."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            date, version = conn.execute(select(ADR.date, ADR.version).where(ADR.adr_number == "ADR-0003")).one()
    finally:
        engine.dispose()
    return (date.isoformat() if date is not None else None), version


def _snapshots(url: str) -> list[tuple[int, str, Any]]:
    """(version, change, the snapshot's date) of each of the ADR's revisions."""
    engine = db.make_engine(url)
    t = SpecRevision.__table__.c
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(t.version, t.change, t.snapshot).where(t.number == "ADR-0003")
                                .order_by(t.version, t.change)).all()
    finally:
        engine.dispose()
    return [(r.version, r.change, _as_dict(r.snapshot).get("date")) for r in rows]


def _as_dict(snapshot: Any) -> dict[str, Any]:
    return dict(json.loads(snapshot) if isinstance(snapshot, str) else snapshot or {})


@pytest.mark.parametrize("ref", [None, "HEAD"])
def test_the_refresh_after_an_upgrade_of_the_parsers_keeps_it(git_repo: GitRepo, database_url: str,
                                                               ref: str | None) -> None:
    _backfilled(git_repo, database_url)
    set_marker(database_url, PARSER_OUTPUT_KEY, None)  # made by other parsers: the next sync parses all again

    result = sync(git_repo.path, database_url=database_url, ref=ref)

    assert result.files_parsed == 1 and not result.changed
    assert _row(database_url) == (CREATED, 1)  # (it was None)
    assert _snapshots(database_url) == [(1, "created", CREATED)]


def test_a_hash_scheme_refresh_keeps_it(git_repo: GitRepo, engine: Engine, database_url: str) -> None:
    _backfilled(git_repo, database_url)
    record, = parse("adr", PATH, UNDATED.encode()).records  # type: ignore[union-attr]
    table = kinds.table("adr")
    with engine.begin() as conn:  # the hash an earlier scheme gave the file's own fields
        conn.execute(update(table).values(content_hash=previous_scheme_hash("adr", record.fields)))

    assert not sync(git_repo.path, database_url=database_url, full=True).changed

    with engine.connect() as conn:
        assert conn.execute(select(table.c.content_hash)).scalar_one() == record.content_hash  # refreshed
    assert _row(database_url) == (CREATED, 1)


def test_a_whitespace_edit_keeps_it(git_repo: GitRepo, database_url: str) -> None:
    _backfilled(git_repo, database_url)
    git_repo.write(PATH, UNDATED.replace("## Decision", "\n\n## Decision"))
    git_repo.commit("blank lines")

    assert not sync(git_repo.path, database_url=database_url, ref="HEAD").changed

    assert _row(database_url) == (CREATED, 1)


def test_moves_and_a_restore_keep_it_as_a_backfill_from_scratch_dates_them(
    git_repo: GitRepo, database_url: str, tmp_path: Any,
) -> None:
    _backfilled(git_repo, database_url)
    moved = "docs/adr/0003-moved.md"
    git_repo.git("mv", PATH, moved)
    git_repo.commit("moved")
    sync(git_repo.path, database_url=database_url, ref="HEAD")
    assert _row(database_url) == (CREATED, 1)
    git_repo.remove(moved)
    git_repo.commit("gone")
    sync(git_repo.path, database_url=database_url, ref="HEAD")
    git_repo.write(moved, UNDATED)
    git_repo.commit("back")
    sync(git_repo.path, database_url=database_url, ref="HEAD")
    sync(git_repo.path, database_url=database_url, full=True)  # nothing to rewrite: it stays

    trail = [(1, "created", CREATED), (1, "moved", CREATED), (2, "deleted", None), (3, "restored", CREATED)]
    assert _row(database_url) == (CREATED, 3)
    assert _snapshots(database_url) == trail  # (the move's and the restore's were None, and the row's)
    scratch = f"sqlite:///{tmp_path / 'scratch.db'}"
    backfill(git_repo.path, database_url=scratch)
    assert (_row(scratch), _snapshots(scratch)) == ((CREATED, 3), trail)
    assert backfill(git_repo.path, database_url=database_url).mode == "merged"  # and the merge changes nothing
    assert (_row(database_url), _snapshots(database_url)) == ((CREATED, 3), trail)


def test_a_database_side_edit_then_a_refresh_keep_it(git_repo: GitRepo, engine: Engine, database_url: str) -> None:
    _backfilled(git_repo, database_url)
    with db.session(engine) as session:  # as the API's PATCH: an ``annotated`` revision
        session.execute(select(ADR)).scalar_one().approved_by = "Grace"
        session.commit()
    assert _row(database_url) == (CREATED, 2)
    set_marker(database_url, PARSER_OUTPUT_KEY, None)

    sync(git_repo.path, database_url=database_url)

    assert _row(database_url) == (CREATED, 2)
    assert _snapshots(database_url) == [(1, "created", CREATED), (2, "annotated", None)]


def test_the_merge_onto_rows_of_older_parsers_keeps_the_dates_it_gives(git_repo: GitRepo, database_url: str) -> None:
    """The merge dates the rows a sync wrote (``merge._fill_adr_dates``), then settles them with a ``sync --ref``,
    which parses every file again when the rows were made by other parsers: a refresh, which undated them."""
    git_repo.write(PATH, UNDATED)
    git_repo.commit("undated", date=f"{CREATED}T10:00:00+00:00")
    sync(git_repo.path, database_url=database_url, ref="HEAD", trigger="hook")
    set_marker(database_url, PARSER_OUTPUT_KEY, None)  # a hook of an older tracertm
    git_repo.write("docs/adr/0004-later.md", UNDATED.replace("# 3.", "# 4."))
    git_repo.commit("later", date="2024-03-02T10:00:00+00:00")

    assert backfill(git_repo.path, database_url=database_url).mode == "merged"

    assert _row(database_url) == (CREATED, 1)  # (it was None)
    assert _snapshots(database_url) == [(1, "created", CREATED)]


def test_a_date_in_the_file_wins_and_a_real_edit_takes_the_creating_commits(git_repo: GitRepo,
                                                                            database_url: str) -> None:
    _backfilled(git_repo, database_url)
    git_repo.write(PATH, UNDATED.replace("## Status", "Date: 2023-12-24\n\n## Status"))
    git_repo.commit("dated")
    sync(git_repo.path, database_url=database_url, ref="HEAD")
    assert _row(database_url) == ("2023-12-24", 2)

    git_repo.write(PATH, UNDATED.replace("D.", "D, again."))  # its date dropped, its decision edited
    git_repo.commit("edited")
    sync(git_repo.path, database_url=database_url, ref="HEAD")
    assert _row(database_url) == (CREATED, 3)  # not the file's former date: the creating commit's (it was None)

    assert backfill(git_repo.path, database_url=database_url).mode == "merged"
    assert _row(database_url) == (CREATED, 3)
    assert _snapshots(database_url) == [(1, "created", CREATED), (2, "updated", "2023-12-24"),
                                        (3, "updated", CREATED)]


def test_the_backfill_dates_the_created_snapshot_as_before(git_repo: GitRepo, database_url: str) -> None:
    """``replay._with_dates`` now shares ``engine.derived_dates.with_date``: the content hash stays the file's."""
    _backfilled(git_repo, database_url)
    record, = parse("adr", PATH, UNDATED.encode()).records  # type: ignore[union-attr]
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(ADR.content_hash)).scalar_one() == record.content_hash
    finally:
        engine.dispose()
    assert dt.date.fromisoformat(_snapshots(database_url)[0][2]) == dt.date(2024, 3, 1)
