"""A link's number names that link for good: ``tracertm review 67`` and ``PATCH /links/67`` must never reach another
link. On SQLite ``links.id`` was a plain ``INTEGER PRIMARY KEY``, which hands out the highest number in use plus one:
once the links with the highest numbers were deleted (a scenario removed), the next links took their numbers.
``AUTOINCREMENT`` (migration 0040) never does, as PostgreSQL's sequence never did; a database migrated to it keeps
every number."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Link


def _feature(scenarios: int) -> str:
    return "@FEAT-1\nFeature: Refunds\n" + "".join(
        f"\n  @SC-{n} @ADR-0001 @REQ-{n}\n  Scenario: refund {n}\n    Given a paid order\n"
        for n in range(1, scenarios + 1))


def _numbers(url: str) -> dict[tuple[str, str], int]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return {(r.source_ref, r.target_ref): r.id for r in conn.execute(select(Link))}
    finally:
        engine.dispose()


def _changed(repo: GitRepo, url: str, scenarios: int) -> dict[tuple[str, str], int]:
    repo.write("features/refunds.feature", _feature(scenarios))
    repo.commit(f"{scenarios} scenarios")
    assert not sync(repo.path, database_url=url).errors
    return _numbers(url)


def test_the_numbers_of_deleted_links_are_not_handed_out_again(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    first = _changed(git_repo, database_url, 3)
    highest = max(first.values())
    gone = {key: n for key, n in first.items() if key[0] == "FEAT-1/SC-3"}
    assert highest in gone.values(), "the last scenario's links hold the highest numbers"
    _changed(git_repo, database_url, 2)  # those links deleted
    again = _changed(git_repo, database_url, 3)  # and links of the same kind written again
    new = {key: n for key, n in again.items() if key not in first or key in gone}
    assert set(new) == set(gone)
    assert min(new.values()) > highest, f"numbers {sorted(gone.values())} were handed out again: {new}"
    assert {k: n for k, n in again.items() if k not in gone} == {k: n for k, n in first.items() if k not in gone}


def test_a_database_migrated_to_0040_keeps_every_number_and_reuses_none(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    url = f"sqlite:///{tmp_path / 'old.db'}"
    first = _changed(git_repo, url, 3)
    engine = db.make_engine(url)
    try:
        db.downgrade(engine, "0039")  # the table as it was, with these links
        with engine.connect() as conn:
            assert "AUTOINCREMENT" not in conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'links'").scalar_one()
        assert _numbers(url) == first
        db.upgrade(engine)
    finally:
        engine.dispose()
    assert _numbers(url) == first
    with sqlite3.connect(tmp_path / "old.db") as conn:
        assert conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'links'").fetchone() == (max(first.values()),)
    _changed(git_repo, url, 2)
    again = _changed(git_repo, url, 3)
    assert min(n for key, n in again.items() if key[0] == "FEAT-1/SC-3") > max(first.values())
