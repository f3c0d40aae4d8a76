"""``changed_since=<commit>`` ("records with a revision after it") dates a commit by the commit's own date, also a
commit that changed no spec file (real git, SQLite and PostgreSQL).

Such a commit has no revision: only the sync runs that recorded it know it. They were dated by the wall-clock start
of the run, so when commits are synced after they were made (a CI backlog, ``sync --ref`` catching up) every revision
of a later commit, synced afterwards, looked older than it and the filter returned nothing. The run now records its
commit's date (``sync_runs.committed_at``, migration 0019): sync (a commit, or the index's HEAD) and backfill.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select, update

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Project, SyncRun
from tracertm.repositories.records import Records
from tracertm.schemas.filters import ListFilter

ADR1 = "docs/adr/0001-use-postgres.md"


def _day(day: int) -> dt.datetime:
    return dt.datetime(2024, 1, day, 10, tzinfo=dt.timezone.utc)


def _commit(repo: GitRepo, message: str, day: int) -> str:
    when = _day(day).isoformat()
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", message, env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when})
    return repo.head()


def _history(repo: GitRepo) -> dict[str, str]:
    """C1 (two ADRs), C2 (a non-spec file only), C3 (edits ADR-0001), made on three days."""
    c: dict[str, str] = {}
    repo.write(ADR1, adr(1, "Use PostgreSQL", decision="We will use PostgreSQL 16."))
    repo.write("docs/adr/0002-use-kafka.md", adr(2, "Use Kafka"))
    c["init"] = _commit(repo, "init", 1)
    repo.write("notes.txt", "unrelated\n")
    c["docs"] = _commit(repo, "docs only", 2)
    repo.write(ADR1, adr(1, "Use PostgreSQL", decision="We will use PostgreSQL 17."))
    c["edit"] = _commit(repo, "edit ADR-0001", 3)
    return c


def _changed_since(engine: Any, since: str) -> list[str]:
    with db.session(engine) as session:
        project = session.execute(select(Project).where(Project.name == "shop")).scalar_one()
        page = Records(session, "adr").list(project, ListFilter(changed_since=since))
        return [row.adr_number for row, _feature in page.rows]


def _run_dates(engine: Any) -> dict[str | None, dt.datetime | None]:
    with db.session(engine) as session:
        return {run.commit_sha: run.committed_at for run in session.execute(select(SyncRun)).scalars()}


def test_changed_since_a_commit_synced_late_that_changed_no_spec(git_repo: GitRepo, engine: Any,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    c = _history(git_repo)
    for sha in c.values():  # a CI runner catching up, oldest first, long after the commits
        assert not sync(git_repo.path, engine=engine, project="shop", ref=sha).errors
    assert _run_dates(engine) == {c["init"]: _day(1), c["docs"]: _day(2), c["edit"]: _day(3)}
    assert _changed_since(engine, c["init"]) == ["ADR-0001"]
    assert _changed_since(engine, c["docs"]) == ["ADR-0001"]  # was []: C2 dated by its sync run's start
    assert _changed_since(engine, c["docs"][:10]) == ["ADR-0001"]
    assert _changed_since(engine, c["edit"]) == []
    # The command line, over the same database.
    url = engine.url.render_as_string(hide_password=False)
    assert main(["list", "adrs", "--changed-since", c["docs"], "--project", "shop", "--database-url", url,
                 "--format", "json"]) == 0
    assert [row["number"] for row in json.loads(capsys.readouterr().out)] == ["ADR-0001"]


def test_runs_before_the_migration_fall_back_to_their_first_start(git_repo: GitRepo, engine: Any) -> None:
    """A run recorded before migration 0019 has no commit date: for those rows only, the start of the first run of
    the commit stands in (the commit is older than any of its syncs; the latest start was used before)."""
    c = _history(git_repo)
    for sha in (c["init"], c["docs"], c["docs"], c["edit"]):  # C2 synced twice
        assert not sync(git_repo.path, engine=engine, project="shop", ref=sha).errors
    with db.session(engine) as session, session.begin():
        session.execute(update(SyncRun).where(SyncRun.commit_sha == c["docs"]).values(committed_at=None))
    with db.session(engine) as session:
        first = session.execute(select(func.min(SyncRun.started_at)).where(SyncRun.commit_sha == c["docs"])).scalar()
        project = session.execute(select(Project.id).where(Project.name == "shop")).scalar_one()
        assert Records(session, "adr").commit_date(c["docs"][:12], "changed_since", project) == (c["docs"], first)
    assert _changed_since(engine, c["docs"]) == []  # C3's revision is older than the syncs: not "after" C2


def test_a_sync_of_the_index_records_heads_date_and_of_the_work_tree_none(git_repo: GitRepo, engine: Any) -> None:
    c = _history(git_repo)
    git_repo.write(ADR1, adr(1, "Use PostgreSQL", decision="We will use PostgreSQL 18."))
    git_repo.git("add", ADR1)
    assert not sync(git_repo.path, engine=engine, project="shop", staged=True).errors
    assert _run_dates(engine) == {c["edit"]: _day(3)}  # the run's commit is HEAD: HEAD's date
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    with db.session(engine) as session:
        worktree = session.execute(select(SyncRun).where(SyncRun.commit_sha.is_(None))).scalar_one()
        assert worktree.committed_at is None


def test_backfill_runs_record_their_commits_date(git_repo: GitRepo, database_url: str) -> None:
    c = _history(git_repo)
    result = backfill(git_repo.path, project="shop", database_url=database_url, batch_size=1)
    engine = db.make_engine(database_url)
    try:
        dates = _run_dates(engine)
        # One run per written batch (one commit each), named by the batch's last commit. C2 touched no spec file:
        # no batch of its own.
        assert dates == {c["init"]: _day(1), c["edit"]: _day(3)}, (result, dates)
        assert _changed_since(engine, c["init"]) == ["ADR-0001"]
    finally:
        engine.dispose()
