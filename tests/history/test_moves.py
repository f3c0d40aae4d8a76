"""Moves without id tags (issue 13 item 7): a renamed untagged feature or id-less contract keeps its record — in a
backfill and in a sync alike (the same blob, or similar content: ``engine.moves``)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from test_backfill_promise import _state, sync_each_commit
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill, record_at
from tracertm.models import Base

LOGIN = """Feature: Login
  As a user
  I want to log in
  So that I see my account

  Scenario: good password
    Given a registered user
    When she logs in with the right password
    Then she sees her account

  Scenario: bad password
    Given a registered user
    When she logs in with a wrong password
    Then she sees an error
"""

PAYMENTS = """title: Payments
type: service
status: approved
states: [pending, paid]
transitions:
  - {from: pending, to: paid, trigger: pay}
"""


def _revisions(engine: Any) -> list[tuple[str, str, str, int, Any]]:
    t = Base.metadata.tables["spec_revisions"].c
    with engine.connect() as conn:
        rows = conn.execute(select(t.entity_type, t.number, t.change, t.version, t.entity_id, t.committed_at)).all()
    return [(r[0], r[1], r[2], r[3], r[4]) for r in sorted(rows, key=lambda r: (r[0], r[5] is None, r[5] or 0, r[3], r[2]))]


def _live(engine: Any, table: str, number: str) -> dict[str, tuple[Any, str, bool]]:
    t = Base.metadata.tables[table].c
    with engine.connect() as conn:
        return {r[0]: (r[1], r[2], r[3] is not None)
                for r in conn.execute(select(t[number], t.id, t.source_path, t.deleted_at))}


def _renaming_history(repo: GitRepo) -> None:
    repo.write("features/login.feature", LOGIN)
    repo.write("contracts/payments.yaml", PAYMENTS)
    repo.commit("seed", date="2024-01-01T09:00:00+00:00")
    repo.git("mv", "features/login.feature", "features/sign-in.feature")
    repo.git("mv", "contracts/payments.yaml", "contracts/payment-api.yaml")
    repo.commit("pure rename", date="2024-01-02T09:00:00+00:00")
    repo.git("mv", "features/sign-in.feature", "features/log-in.feature")
    repo.write("features/log-in.feature", LOGIN.replace("Then she sees an error", "Then she sees an error message"))
    repo.commit("rename with a small edit", date="2024-01-03T09:00:00+00:00")


def test_backfill_follows_renames_of_untagged_files(git_repo: GitRepo, database_url: str) -> None:
    _renaming_history(git_repo)
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        features = _live(engine, "features", "feature_number")
        assert set(features) == {"log-in"}, "one record, no deleted 'login' or 'sign-in' left behind"
        assert features["log-in"][1:] == ("features/log-in.feature", False)
        contracts = _live(engine, "contracts", "contract_number")
        assert set(contracts) == {"payment-api"} and contracts["payment-api"][1] == "contracts/payment-api.yaml"
        revisions = _revisions(engine)
        feature_revs = [r for r in revisions if r[0] == "feature"]
        assert [r[1:3] for r in feature_revs] == [("login", "created"), ("sign-in", "moved"), ("log-in", "moved")]
        assert {r[4] for r in feature_revs} == {features["log-in"][0]}, "every revision is of the same record"
        assert [r[1:3] for r in revisions if r[0] == "contract"] == [("payments", "created"), ("payment-api", "moved")]
        scenario_changes = sorted((r[1], r[2], r[3]) for r in revisions if r[0] == "scenario")
        assert scenario_changes == [  # a move with an edit is a move that raises the version
            ("bad password", "created", 1), ("bad password", "moved", 1), ("bad password", "moved", 2),
            ("good password", "created", 1), ("good password", "moved", 1), ("good password", "moved", 1),
        ]
        assert "deleted" not in {r[2] for r in revisions}
        first = git_repo.git("rev-list", "--max-parents=0", "HEAD")
        then = record_at(engine, "p", "feature", "log-in", first, path=git_repo.path)
        assert then is not None and (then["number"], then["path"]) == ("login", "features/login.feature")
    finally:
        engine.dispose()


def test_backfill_of_renames_equals_syncing_each_commit(git_repo: GitRepo, database_url: str,
                                                        other_database_url: str) -> None:  # noqa: F811
    _renaming_history(git_repo)
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        backfill(git_repo.path, engine=filled, project="p")
        for sha in git_repo.git("rev-list", "--first-parent", "--reverse", "main").split():
            sync(git_repo.path, ref=sha, engine=synced, project="p")
        assert _state(filled) == _state(synced)
    finally:
        filled.dispose()
        synced.dispose()


def test_worktree_sync_pairs_a_moved_untagged_feature_by_content(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/login.feature", LOGIN)
    git_repo.write("contracts/payments.yaml", PAYMENTS)
    git_repo.write("features/other.feature", "Feature: Other\n\n  Scenario: x\n    Given y\n")
    git_repo.commit("seed")
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine, project="p")
        before = _live(engine, "features", "feature_number")
        contract_before = _live(engine, "contracts", "contract_number")
        # Moved in the work tree (nothing committed), with a small edit; the contract moved as it is.
        git_repo.remove("features/login.feature")
        git_repo.write("features/auth/login.feature", LOGIN.replace("wrong password", "mistyped password"))
        (git_repo.path / "contracts/payments.yaml").rename(git_repo.path / "contracts/payment-api.yaml")
        # A file removed while an unrelated one appears: not a move.
        git_repo.remove("features/other.feature")
        git_repo.write("features/fresh.feature", "Feature: Something else entirely\n\n  Scenario: z\n    Given w\n")
        result = sync(git_repo.path, engine=engine, project="p")
        assert result.errors == []
        after = _live(engine, "features", "feature_number")
        assert after["auth/login"] == (before["login"][0], "features/auth/login.feature", False)
        assert "login" not in after
        assert after["other"][2] is True and after["fresh"][0] != before["other"][0]
        contracts = _live(engine, "contracts", "contract_number")
        assert contracts == {"payment-api": (contract_before["payments"][0], "contracts/payment-api.yaml", False)}
        changes = {(r[0], r[1], r[2]) for r in _revisions(engine)}
        assert {("feature", "auth/login", "moved"), ("contract", "payment-api", "moved"),
                ("feature", "other", "deleted"), ("feature", "fresh", "created")} <= changes
        assert ("feature", "login", "deleted") not in changes
    finally:
        engine.dispose()


def test_renames_across_the_edge_of_a_sub_folder_project(git_repo: GitRepo, database_url: str) -> None:
    """A project in a sub-folder: a file renamed out of it is deleted, one renamed into it is created."""
    git_repo.write("svc/features/login.feature", LOGIN)
    git_repo.write("elsewhere/payments.yaml", PAYMENTS)
    git_repo.commit("seed")
    (git_repo.path / "archive").mkdir()
    (git_repo.path / "svc/contracts").mkdir()
    git_repo.git("mv", "svc/features/login.feature", "archive/login.feature")
    git_repo.git("mv", "elsewhere/payments.yaml", "svc/contracts/payments.yaml")
    git_repo.commit("across the edge")
    engine = db.make_engine(database_url)
    try:
        result = backfill(git_repo.path / "svc", engine=engine, project="svc")
        assert result.errors == []
        assert _live(engine, "features", "feature_number")["login"][1:] == ("features/login.feature", True)
        assert _live(engine, "contracts", "contract_number")["payments"][1:] == ("contracts/payments.yaml", False)
        assert [(r[0], r[1], r[2]) for r in _revisions(engine) if r[0] != "scenario"] == [
            ("contract", "payments", "created"), ("feature", "login", "created"), ("feature", "login", "deleted")]
    finally:
        engine.dispose()


def test_worktree_files_never_committed_pair_only_when_identical(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/keep.feature", "Feature: Keep\n\n  Scenario: k\n    Given k\n")
    git_repo.commit("seed")
    git_repo.write("features/draft.feature", LOGIN)  # never committed nor staged: git has no copy of it
    git_repo.write("contracts/draft.yaml", PAYMENTS)
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine, project="p")
        before = _live(engine, "features", "feature_number")
        (git_repo.path / "features/draft.feature").rename(git_repo.path / "features/login.feature")  # identical
        git_repo.remove("contracts/draft.yaml")
        git_repo.write("contracts/payments.yaml", PAYMENTS.replace("pay}", "pay_now}"))  # edited: unknown old text
        assert sync(git_repo.path, engine=engine, project="p").errors == []
        after = _live(engine, "features", "feature_number")
        assert after["login"] == (before["draft"][0], "features/login.feature", False)
        contracts = _live(engine, "contracts", "contract_number")
        assert contracts["draft"][2] is True and contracts["payments"][2] is False
        assert contracts["payments"][0] != contracts["draft"][0]
    finally:
        engine.dispose()


def _broken_rename_history(repo: GitRepo) -> list[str]:
    """An untagged feature and a numbered ADR renamed and broken in one commit, fixed in the next; beside them a
    contract really deleted while a new, unrelated contract is broken, fixed later."""
    repo.write("features/login.feature", LOGIN)
    repo.write("docs/adr/0003-use-git.md", "# 3. Use git\n\nDate: 2024-01-03\n\n## Status\n\nAccepted\n\n"
               "## Context\n\nc\n\n## Decision\n\nd\n\n## Consequences\n\ne\n")
    repo.write("contracts/payments.yaml", PAYMENTS)
    shas = [repo.commit("seed", date="2024-01-01T09:00:00+00:00")]
    repo.git("mv", "features/login.feature", "features/sign-in.feature")
    repo.git("mv", "docs/adr/0003-use-git.md", "docs/adr/0003-git.md")
    repo.write("features/sign-in.feature", LOGIN + "\x00")  # binary: not a text spec file
    repo.write("docs/adr/0003-git.md", "---\ntitle: [unclosed\n---\n" + repo.read("docs/adr/0003-git.md"))
    repo.remove("contracts/payments.yaml")
    repo.write("contracts/orders.yaml", "title: [unclosed\n")
    shas.append(repo.commit("renamed and broken", date="2024-01-02T09:00:00+00:00"))
    repo.write("README.md", "not a spec\n")
    shas.append(repo.commit("nothing else", date="2024-01-03T09:00:00+00:00"))
    repo.write("features/sign-in.feature", LOGIN)
    repo.write("docs/adr/0003-git.md", repo.read("docs/adr/0003-git.md").split("---\n", 2)[2])
    repo.write("contracts/orders.yaml", "title: Orders\ntype: component\nstatus: draft\nstates: [open, shipped, "
               "delivered]\ntransitions:\n  - {from: open, to: shipped, trigger: ship}\n"
               "  - {from: shipped, to: delivered, trigger: deliver}\n")
    shas.append(repo.commit("fixed", date="2024-01-04T09:00:00+00:00"))
    return shas


def test_a_file_renamed_and_broken_keeps_its_records_until_it_parses(git_repo: GitRepo, database_url: str) -> None:
    shas = _broken_rename_history(git_repo)
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, ref=shas[0], engine=engine, project="p")
        before = {**_live(engine, "features", "feature_number"), **_live(engine, "adrs", "adr_number"),
                  **_live(engine, "contracts", "contract_number")}
        for sha in shas[1:3]:  # broken, then broken still (nothing read again changes that)
            result = sync(git_repo.path, ref=sha, engine=engine, project="p")
            assert {d.path for d in result.errors} == {
                "features/sign-in.feature", "docs/adr/0003-git.md", "contracts/orders.yaml"}
            held = {d.path: d.message for d in result.warnings if "does not parse" in d.message}
            assert set(held) == {"features/login.feature", "docs/adr/0003-use-git.md", "contracts/payments.yaml"}
            assert "while features/sign-in.feature does not parse (a rename?); fix it" in held["features/login.feature"]
            assert not [op for op in result.operations if op.action == "deleted"]
            assert {**_live(engine, "features", "feature_number"), **_live(engine, "adrs", "adr_number"),
                    **_live(engine, "contracts", "contract_number")} == before, "nothing changed"
        result = sync(git_repo.path, ref=shas[3], engine=engine, project="p")
        assert result.errors == [] and not [d for d in result.warnings if "does not parse" in d.message]
        features, adrs = _live(engine, "features", "feature_number"), _live(engine, "adrs", "adr_number")
        assert features == {"sign-in": (before["login"][0], "features/sign-in.feature", False)}
        assert adrs == {"ADR-0003": (before["ADR-0003"][0], "docs/adr/0003-git.md", False)}
        contracts = _live(engine, "contracts", "contract_number")
        assert contracts["payments"][2] is True, "a file really gone is deleted once the broken one parses"
        assert contracts["orders"][2] is False and contracts["orders"][0] != before["payments"][0]
        changes = {(r[0], r[1], r[2]) for r in _revisions(engine)}
        assert {("feature", "sign-in", "moved"), ("adr", "ADR-0003", "moved")} <= changes
        assert not {c for c in changes if c[0] in ("feature", "adr") and c[2] == "deleted"}
    finally:
        engine.dispose()


def test_backfill_of_a_broken_rename_equals_syncing_each_commit(git_repo: GitRepo, database_url: str,
                                                                other_database_url: str) -> None:  # noqa: F811
    _broken_rename_history(git_repo)
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        backfill(git_repo.path, engine=filled, project="p", batch_size=1)
        sync_each_commit(git_repo, synced)
        assert _state(filled) == _state(synced)
        assert _live(filled, "features", "feature_number")["sign-in"][2] is False
        assert "login" not in _live(filled, "features", "feature_number")
    finally:
        filled.dispose()
        synced.dispose()


def test_a_backfill_stopped_while_a_rename_is_held_resumes_as_syncing_each_commit(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:  # noqa: F811
    _broken_rename_history(git_repo)
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)

    class Stop(Exception):
        pass

    def stop_after_the_broken_commit(progress: Any) -> None:  # called as a commit is planned, before its batch
        if progress.done >= 3:  # is written: the last checkpoint holds the broken commit
            raise Stop

    try:
        with pytest.raises(Stop):
            backfill(git_repo.path, engine=filled, project="p", batch_size=1, on_progress=stop_after_the_broken_commit)
        assert backfill(git_repo.path, engine=filled, project="p", resume=True).mode == "resumed"
        sync_each_commit(git_repo, synced)
        assert _state(filled) == _state(synced)
        assert set(_live(filled, "features", "feature_number")) == {"sign-in"}
    finally:
        filled.dispose()
        synced.dispose()
