"""A SIGTERM that lands after a sync has committed (while its summary prints) does not pretend that nothing was
written: the summary finishes, one line says the run is in the database, exit 143 (README, exit codes)."""

from __future__ import annotations

import os
import signal

import pytest

from conftest import GitRepo
from specs import adr
from tracertm import output
from tracertm.cli import main


def test_sigterm_while_the_summary_prints_keeps_the_run_and_says_so(
    git_repo: GitRepo, tmp_path: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("init")
    url = f"sqlite:///{git_repo.path.parent / 'after-commit.db'}"
    summary = output.sync_summary

    def terminated_while_printing(result: object) -> str:
        os.kill(os.getpid(), signal.SIGTERM)  # the CI job's timeout, just after the commit
        return summary(result)  # type: ignore[arg-type]

    monkeypatch.setattr(output, "sync_summary", terminated_while_printing)
    code = main(["sync", str(git_repo.path), "--database-url", url])
    out, err = capsys.readouterr()
    assert code == 143
    assert "adrs             1" in out  # the summary was printed whole
    assert err == "tracertm: terminated after the sync committed; the database holds this run\n"
    monkeypatch.undo()
    assert main(["show", "ADR-0001", "--database-url", url, "--project", git_repo.path.name]) == 0
