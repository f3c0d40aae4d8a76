"""The readers that order a record's revisions by when they were written use the write order
(``spec_revisions.seq``), not ``created_at``: the revisions one transaction writes share it (PostgreSQL's ``now()``
is the transaction's start; SQLite's bulk writer stamps a batch once), and a PostgreSQL writer whose transaction
began first may write last. ``show --at`` without the repository (``Records.at``), the former ids ``history`` and
``show --at`` resolve (``former_holders``), ``coverage``'s content changes and a backfill merge's first revision of
the database's own. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo
from specs import contract
from tracertm import db
from tracertm.cli import main
from tracertm.history.backfill import backfill
from tracertm.repositories import Projects, Records
from tracertm.repositories.lookup import former_holders

SAME_SECOND = "2024-01-01T10:00:00+00:00"  # git dates have one-second resolution: a scripted series of commits


def _padded(git_repo: GitRepo) -> None:
    """32 other contracts, so that a backfill writes its revisions in batches of many rows: ``created_at`` ties for
    certain (SQLite's bulk writer dates a transaction's rows once, ``engine.bulk.now``, as PostgreSQL does)."""
    for n in range(100, 132):
        git_repo.write(f"contracts/pad-{n}.yaml", contract(n, f"Pad {n}"))


def _moved_within_one_second(git_repo: GitRepo) -> str:
    """CTR-0001 created at a.yaml, moved to b.yaml, then to c.yaml (one version: pure moves), then another
    contract added: four commits of the same second. Returns the last commit."""
    _padded(git_repo)
    git_repo.write("contracts/a.yaml", contract(1, "One"))
    git_repo.commit("c1", date=SAME_SECOND)
    git_repo.git("mv", "contracts/a.yaml", "contracts/b.yaml")
    git_repo.commit("c2", date=SAME_SECOND)
    git_repo.git("mv", "contracts/b.yaml", "contracts/c.yaml")
    git_repo.commit("c3", date=SAME_SECOND)
    git_repo.write("contracts/z.yaml", contract(2, "Two"))
    return git_repo.commit("c4", date=SAME_SECOND)


def test_at_a_commit_without_the_repository_answers_the_move_written_last(git_repo: GitRepo, engine: Any) -> None:
    """The three revisions share the date and the version, and ``created_at`` (one backfill): the tie is the one
    ``history`` lists last, the move to c.yaml — the path the record has at c4."""
    last = _moved_within_one_second(git_repo)
    assert backfill(git_repo.path, engine=engine, project="p").mode
    with db.session(engine) as session:
        records = Records(session, "contract")
        row = records.get("CTR-0001")
        trail = [r.source_path for r in records.history(row)]
        assert trail == ["contracts/a.yaml", "contracts/b.yaml", "contracts/c.yaml"]
        found = records.at(row, last)
        assert found is not None and found.source_path == "contracts/c.yaml"


LOGIN = "Feature: Login\n  Scenario: good password\n    Given a registered user\n"
SIGNUP = "Feature: Sign up\n  Scenario: new account\n    Given nobody\n"


def test_former_holders_newest_first_as_written(git_repo: GitRepo, engine: Any) -> None:
    """Two untagged features were 'login' in turn (the first renamed away, a new login.feature renamed too), all
    in one backfill: the record that held the id last comes first ("login is a former id of several records: …")."""
    _padded(git_repo)
    git_repo.write("features/login.feature", LOGIN)
    git_repo.commit("login")
    git_repo.git("mv", "features/login.feature", "features/sign-in.feature")
    git_repo.commit("renamed")
    git_repo.write("features/login.feature", SIGNUP)
    git_repo.commit("a new login")
    git_repo.git("mv", "features/login.feature", "features/log-in.feature")
    git_repo.commit("renamed too")
    assert backfill(git_repo.path, engine=engine, project="p").mode
    with db.session(engine) as session:
        project = Projects(session).get("p")
        holders = former_holders(session, project, "login")
        assert [row.feature_number for _kind, row in holders] == ["log-in", "sign-in"]


def test_coverage_counts_a_pure_move_of_one_backfill_as_no_content_change(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The scenario changed and moved in c2 (a move that raises the version), then only moved in c3: tests of c2
    tested its content. With the two moves' ``created_at`` equal (one backfill) neither was older than the other,
    both counted as the version's first, and c3's pure move made the scenario stale ("changed in" c3)."""
    _padded(git_repo)
    git_repo.write("features/login.feature", "@FEAT-1\n" + LOGIN)  # tagged: its id stays through the moves
    git_repo.commit("c1")
    git_repo.git("mv", "features/login.feature", "features/sign-in.feature")
    git_repo.write("features/sign-in.feature", "@FEAT-1\n" + LOGIN.replace("a registered user", "a known user"))
    tested = git_repo.commit("c2")
    git_repo.git("mv", "features/sign-in.feature", "features/log-in.feature")
    git_repo.commit("c3")
    engine = db.make_engine(database_url)
    try:
        assert backfill(git_repo.path, engine=engine, project="p").mode
    finally:
        engine.dispose()
    report = tmp_path / "junit.xml"
    report.write_text('<testsuite name="pytest"><testcase classname="tests.test_login" name="test_good_password"/>'
                      '</testsuite>')
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert main(["results", "import", str(report), "--commit", tested]) == 0
    capsys.readouterr()
    assert main(["coverage", "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [item["scenario"] for item in found["never_executed"]] == []
    assert found["stale"] == []


def test_a_merge_grafts_before_the_database_s_first_revision_as_written() -> None:
    """``_graft_point``: the database's own revisions of a record, a sync's creation at c1 then its pure move at c2
    (one version), dated alike (one transaction's ``now()``; SQLite's millisecond) and read in no particular order:
    the first written, c1's, is where the history meets them — not the move, which would put c1's state before the
    record's own creation."""
    from types import SimpleNamespace

    from tracertm.history.merge import _graft_point

    when = dt.datetime(2024, 1, 1, 10, tzinfo=dt.timezone.utc)
    created = SimpleNamespace(commit_sha="c1", run_commit="c1", content_hash="h", source_path="a.yaml", version=1,
                              change="created", created_at=when, seq=7, trigger="cli")
    moved = SimpleNamespace(commit_sha="c2", run_commit="c2", content_hash="h", source_path="b.yaml", version=1,
                            change="moved", created_at=when, seq=8, trigger="cli")
    history = [{"commit_sha": "c0", "content_hash": "g", "source_path": "a.yaml", "change": "created", "version": 1},
               {"commit_sha": "c1", "content_hash": "h", "source_path": "a.yaml", "change": "updated", "version": 2},
               {"commit_sha": "c2", "content_hash": "h", "source_path": "b.yaml", "change": "moved", "version": 2}]
    order = {"c0": 0, "c1": 1, "c2": 2}
    assert _graft_point(history, [moved, created], order, order) == 1
