"""A spec file that goes away between the scan and its read (a checkout, a stash or a delete landing mid-sync): the
sync stops with one line naming the file and saying to run it again (a conflict, exit 75), and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import GitRepo
from specs import contract
from tracertm.cli import main
from tracertm.engine import scan as scan_module
from tracertm.engine import sync as sync_module
from tracertm.engine.scan import scan as real_scan
from tracertm.errors import EXIT_CONFLICT


def _after_every_scan(monkeypatch: pytest.MonkeyPatch, scan: Any) -> None:
    """``scan`` for the engine's scan and the fast path's, whose scan the engine goes on from when it gives up."""
    monkeypatch.setattr(sync_module, "scan", scan)
    monkeypatch.setattr(scan_module, "scan", scan)


def test_a_file_gone_before_it_is_read_is_a_conflict_to_run_again(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("contracts/a.yaml", contract(1, "A"))
    git_repo.commit("seed")
    db = ("--database-url", database_url)
    assert main(["sync", str(git_repo.path), *db]) == 0
    git_repo.write("contracts/a.yaml", contract(1, "A, edited"))
    git_repo.write("contracts/b.yaml", contract(2, "B"))

    def scan_then_checkout(*args: Any, **kwargs: Any) -> Any:  # the work tree changes right after the scan
        snapshot = real_scan(*args, **kwargs)
        (git_repo.path / "contracts/b.yaml").unlink()
        return snapshot

    _after_every_scan(monkeypatch, scan_then_checkout)
    capsys.readouterr()
    assert main(["sync", str(git_repo.path), *db]) == EXIT_CONFLICT
    err = capsys.readouterr().err
    assert err.splitlines() == [err.strip()] and "contracts/b.yaml: changed while this sync read" in err, err
    assert "run the sync again" in err
    monkeypatch.undo()
    capsys.readouterr()
    assert main(["sync", str(git_repo.path), *db, "--format", "json"]) == 0
    counts = json.loads(capsys.readouterr().out)["counts"]["contract"]
    assert (counts["updated"], counts["created"]) == (1, 0), "nothing was written before: the edit is news now"


BEHAVE_STEPS = {
    "features/steps/a_steps.py": 'from behave import given\n\n\n@given("a thing")\ndef a(context):\n    pass\n',
    "features/steps/b_steps.py": 'from behave import given\n\n\n@given("b thing")\ndef b(context):\n    pass\n',
}


@pytest.mark.parametrize("edited", ["features/steps/a_steps.py", "features/steps/b_steps.py", "features/f.feature"])
def test_a_step_module_gone_before_it_is_read_is_a_conflict_to_run_again(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], edited: str) -> None:
    """Found auditing ``watch`` on behave's repository (a checkout while a reconcile ran): the step modules a sync
    reads besides the changed files — behave's earlier step modules of a changed module's folder (the default
    matcher they leave), every step file a changed feature's steps are matched against — gone since the scan were
    an internal error (exit 3; a traceback in the daemon's log), not the conflict a vanished changed file is."""
    git_repo.write("features/f.feature", "Feature: F\n  Scenario: S\n    Given a thing\n")
    for rel, text in BEHAVE_STEPS.items():
        git_repo.write(rel, text)
    git_repo.commit("seed")
    db = ("--database-url", database_url)
    assert main(["sync", str(git_repo.path), *db]) == 0
    git_repo.write(edited, git_repo.read(edited) + "\n# edited\n")

    def scan_then_checkout(*args: Any, **kwargs: Any) -> Any:  # the work tree changes right after the scan
        snapshot = real_scan(*args, **kwargs)
        (git_repo.path / "features/steps/a_steps.py").unlink(missing_ok=True)
        return snapshot

    _after_every_scan(monkeypatch, scan_then_checkout)
    capsys.readouterr()
    assert main(["sync", str(git_repo.path), *db]) == EXIT_CONFLICT
    err = capsys.readouterr().err
    assert err.splitlines() == [err.strip()], err
    assert "features/steps/a_steps.py: changed while this sync read" in err and "run the sync again" in err, err
    monkeypatch.undo()
    capsys.readouterr()
    assert main(["sync", str(git_repo.path), *db, "--format", "json"]) == 0
    counts = json.loads(capsys.readouterr().out)["counts"]["step_definition"]
    assert counts["deleted"] == 1, "nothing was written before: the module's removal is news now"


@pytest.mark.parametrize("gone", ["features/d1/new.feature", "contracts/a.yaml"])
def test_check_that_finds_a_file_gone_before_it_is_read_says_to_run_it_again(
        git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], gone: str) -> None:
    """``check`` reads the work tree as sync does, and met the same race as an internal error (exit 3,
    FileNotFoundError; from Python, ``tracertm.check`` raised it): now the conflict sync reports, exit 75."""
    from tracertm import checker
    from tracertm.errors import ConflictError

    git_repo.write("contracts/a.yaml", contract(1, "A"))
    git_repo.commit("seed")
    git_repo.write("features/d1/new.feature", "Feature: New\n  Scenario: s\n    Given a\n")  # (untracked)

    def scan_then_checkout(*args: Any, **kwargs: Any) -> Any:  # the work tree changes right after the scan
        snapshot = real_scan(*args, **kwargs)
        (git_repo.path / gone).unlink()
        return snapshot

    monkeypatch.setattr(checker, "scan", scan_then_checkout)
    assert main(["check", str(git_repo.path)]) == EXIT_CONFLICT
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == (f"tracertm: error: {gone}: changed while this check read the work tree (No "
                                         "such file or directory); run the check again"), err
    git_repo.write(gone, contract(1, "A") if gone.endswith(".yaml") else "Feature: New\n  Scenario: s\n    Given a\n")
    with pytest.raises(ConflictError, match=f"^{gone}: changed while this check read the work tree"):
        checker.check(git_repo.path, cache=False)
    monkeypatch.undo()
    assert checker.check(git_repo.path).ok, "run again, the check reads the work tree as it is now"
