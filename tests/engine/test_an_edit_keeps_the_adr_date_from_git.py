"""An ADR whose file has no date has the date of the commit that created it (README "ADR dates"). A sync of a real
edit of its file — its Status changed from Proposed to Accepted, its decision reworded, its own date removed, a
rename to another number, a restore of other content — wrote ``date = None`` in the row and the revision's
snapshot, and teams backfill once: the date was lost for good. Now such a sync gives it the date the history gives
it, the committer date of the commit of its ``created`` revision, when a backfill recorded the history there (at or
before its checkpoint, on the chain of the commit synced): exactly what a backfill from scratch writes, which the
next backfill then keeps. Where the history does not tell (no backfill yet, an ADR created after it), nothing, as
before: the next backfill dates it, as one from scratch. SQLite and PostgreSQL, real git."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import ADR, SpecRevision

PATH = "docs/adr/0003-no-date.md"
PROPOSED = "# 3. No date\n\n## Status\n\nProposed\n\n## Context\n\nC.\n\n## Decision\n\nD.\n"
ACCEPTED = PROPOSED.replace("Proposed", "Accepted")
CREATED = "2024-03-01"  # the committer date of the commit that creates it


def _created(repo: GitRepo, text: str = PROPOSED) -> None:
    """The undated ADR, created by a commit of ``CREATED`` (author date a day before: the committer's counts)."""
    repo.write(PATH, text)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "proposed", env={"GIT_AUTHOR_DATE": "2024-02-29T10:00:00+00:00",
                                                  "GIT_COMMITTER_DATE": f"{CREATED}T10:00:00+00:00"})


def _rows(url: str) -> list[tuple[str, str | None, int, bool]]:
    """(number, date, version, deleted) of each ADR row."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(ADR.adr_number, ADR.date, ADR.version, ADR.deleted_at)
                                .order_by(ADR.adr_number)).all()
    finally:
        engine.dispose()
    return [(n, d.isoformat() if d is not None else None, v, gone is not None) for n, d, v, gone in rows]


def _snapshots(url: str) -> list[tuple[str, int, str, Any]]:
    """(number, version, change, the snapshot's date) of each ADR revision."""
    engine = db.make_engine(url)
    t = SpecRevision.__table__.c
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(t.number, t.version, t.change, t.snapshot).where(t.entity_type == "adr")
                                .order_by(t.version, t.change, t.number)).all()
    finally:
        engine.dispose()
    return [(r.number, r.version, r.change, _as_dict(r.snapshot).get("date")) for r in rows]


def _as_dict(snapshot: Any) -> dict[str, Any]:
    return dict(json.loads(snapshot) if isinstance(snapshot, str) else snapshot or {})


def _scratch(repo: GitRepo, tmp_path: Path) -> tuple[Any, Any]:
    """The rows and snapshots a backfill from scratch of the history gives (SQLite: the dates are the question)."""
    (tmp_path / "scratch.db").unlink(missing_ok=True)  # (asked again after more commits)
    url = f"sqlite:///{tmp_path / 'scratch.db'}"
    assert backfill(repo.path, database_url=url).mode == "full"
    return _rows(url), _snapshots(url)


@pytest.mark.parametrize("how", ["sync --ref HEAD", "sync of the work tree", "sync of an uncommitted edit"])
def test_a_status_change_keeps_the_creating_commits_date(git_repo: GitRepo, database_url: str, tmp_path: Path,
                                                         how: str) -> None:
    _created(git_repo)
    assert backfill(git_repo.path, database_url=database_url).mode == "full"
    git_repo.write(PATH, ACCEPTED)
    if how != "sync of an uncommitted edit":
        git_repo.commit("accepted", date="2024-04-01T10:00:00+00:00")

    sync(git_repo.path, database_url=database_url, ref="HEAD" if how == "sync --ref HEAD" else None)

    assert _rows(database_url) == [("ADR-0003", CREATED, 2, False)]  # (it was None)
    trail = [("ADR-0003", 1, "created", CREATED), ("ADR-0003", 2, "updated", CREATED)]
    assert _snapshots(database_url) == trail
    if how == "sync of an uncommitted edit":
        return
    assert _scratch(git_repo, tmp_path) == (_rows(database_url), trail)
    backfill(git_repo.path, database_url=database_url)  # the next backfill finds nothing to change
    assert (_rows(database_url), _snapshots(database_url)) == _scratch(git_repo, tmp_path)


def test_an_edit_that_removes_the_files_own_date_takes_the_creating_commits(git_repo: GitRepo, database_url: str,
                                                                             tmp_path: Path) -> None:
    _created(git_repo, PROPOSED.replace("## Status", "Date: 2023-12-24\n\n## Status"))
    assert backfill(git_repo.path, database_url=database_url).mode == "full"
    assert _rows(database_url) == [("ADR-0003", "2023-12-24", 1, False)]
    git_repo.write(PATH, ACCEPTED)  # its date dropped, its status changed
    git_repo.commit("accepted")

    sync(git_repo.path, database_url=database_url, ref="HEAD")

    # Not the file's former date (the row's): the creating commit's, as a backfill from scratch gives it.
    assert _rows(database_url) == [("ADR-0003", CREATED, 2, False)]
    assert (_rows(database_url), _snapshots(database_url)) == _scratch(git_repo, tmp_path)


def test_a_moved_and_a_restored_adr_keep_it(git_repo: GitRepo, database_url: str, tmp_path: Path) -> None:
    """A rename with an edit is a ``moved`` revision of new content; a file brought back with other content a
    ``restored`` one. (A rename to another number is no move: the new ADR is created by that commit.)"""
    _created(git_repo)
    assert backfill(git_repo.path, database_url=database_url).mode == "full"
    renamed = "docs/adr/0003-accepted.md"
    git_repo.git("mv", PATH, renamed)
    git_repo.write(renamed, ACCEPTED)
    git_repo.commit("renamed")
    sync(git_repo.path, database_url=database_url, ref="HEAD")
    assert _rows(database_url) == [("ADR-0003", CREATED, 2, False)]
    git_repo.remove(renamed)
    git_repo.commit("gone")
    sync(git_repo.path, database_url=database_url, ref="HEAD")
    git_repo.write(renamed, ACCEPTED.replace("D.", "D, again."))
    git_repo.commit("back, edited")
    sync(git_repo.path, database_url=database_url, ref="HEAD")

    assert _rows(database_url) == [("ADR-0003", CREATED, 4, False)]
    assert _snapshots(database_url) == [("ADR-0003", 1, "created", CREATED), ("ADR-0003", 2, "moved", CREATED),
                                        ("ADR-0003", 3, "deleted", None), ("ADR-0003", 4, "restored", CREATED)]
    assert (_rows(database_url), _snapshots(database_url)) == _scratch(git_repo, tmp_path)


def test_without_a_backfill_of_its_creation_a_sync_gives_no_date(git_repo: GitRepo, database_url: str,
                                                                tmp_path: Path) -> None:
    """A first ``sync --ref HEAD`` of an existing repository records the ADR as created by HEAD, which did not
    create it; an ADR created after the backfill was created by a commit no backfill read (a hook may have missed
    the one that did). Dated by such a commit, the row would keep a wrong date: a backfill's merge dates only what
    has none. So nothing, and the next backfill gives both the dates a backfill from scratch gives."""
    _created(git_repo)
    git_repo.write("README.md", "later\n")
    git_repo.commit("later", date="2024-03-05T10:00:00+00:00")
    sync(git_repo.path, database_url=database_url, ref="HEAD", trigger="hook")  # "created" by "later"
    git_repo.write(PATH, ACCEPTED)
    git_repo.commit("accepted")
    sync(git_repo.path, database_url=database_url, ref="HEAD", trigger="hook")
    assert _rows(database_url) == [("ADR-0003", None, 2, False)]
    assert backfill(git_repo.path, database_url=database_url).mode == "merged"
    assert _rows(database_url) == [("ADR-0003", CREATED, 2, False)]

    git_repo.write("docs/adr/0005-new.md", PROPOSED.replace("# 3.", "# 5."))
    git_repo.commit("new", date="2024-05-01T10:00:00+00:00")
    sync(git_repo.path, database_url=database_url, ref="HEAD", trigger="hook")
    git_repo.write("docs/adr/0005-new.md", ACCEPTED.replace("# 3.", "# 5."))
    git_repo.commit("new accepted")
    sync(git_repo.path, database_url=database_url, ref="HEAD", trigger="hook")
    assert _rows(database_url)[1] == ("ADR-0005", None, 2, False)
    backfill(git_repo.path, database_url=database_url)

    assert (_rows(database_url), _snapshots(database_url)) == _scratch(git_repo, tmp_path)
    assert _rows(database_url)[1] == ("ADR-0005", "2024-05-01", 2, False)


def test_a_sync_of_another_line_of_history_gives_no_date(git_repo: GitRepo, database_url: str) -> None:
    """The history the backfill recorded is not the synced commit's (a branch from before its checkpoint)."""
    _created(git_repo)
    base = git_repo.head()
    git_repo.write("README.md", "more\n")
    git_repo.commit("more")
    assert backfill(git_repo.path, database_url=database_url).mode == "full"
    git_repo.git("checkout", "-q", "-b", "old", base)
    git_repo.write(PATH, ACCEPTED)
    git_repo.commit("accepted on a branch")

    sync(git_repo.path, database_url=database_url, ref="HEAD")

    assert _rows(database_url) == [("ADR-0003", None, 2, False)]
