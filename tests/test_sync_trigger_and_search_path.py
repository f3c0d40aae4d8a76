"""``sync --trigger`` and ``search --path`` are options for users, shown by ``--help`` and written in the README
(tests/test_readme_lists.py holds the two equal): they were hidden (``argparse.SUPPRESS``) although no caller of
tracertm's own passes them — ``hook sync`` and ``watch`` give the engine their trigger themselves — and what they
do is the user's: the label of a run started by a script of theirs (status, the dashboard, the API's sync runs show
it), and the repository whose configuration names the database a search reads. Real git, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo
from specs import adr
from tracertm.cli import main


def _help(capsys: pytest.CaptureFixture[str], *verb: str) -> str:
    assert main([*verb, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())


def test_sync_trigger_labels_the_run(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    git_repo.write("docs/adr/0001-ledger.md", adr(1, "Ledger"))
    git_repo.commit("seed")
    common = [str(git_repo.path), "--database-url", database_url]
    for trigger, expected in ((None, "cli"), ("hook", "hook"), ("ci", "ci"), ("watch", "watch")):
        assert main(["sync", *common, "--format", "json", *(["--trigger", trigger] if trigger else [])]) == 0
        capsys.readouterr()
        assert main(["status", *common, "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["last_run"]["trigger"] == expected, trigger
    assert main(["sync", *common, "--trigger", "backfill"]) == 2  # the history's own: not a user's label
    assert "--trigger" in capsys.readouterr().err
    assert "--trigger {cli,hook,ci,watch} what the run is recorded as started by" in _help(capsys, "sync")


def test_search_path_reads_the_database_its_repository_configures(
    git_repo: GitRepo, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TRACERTM_DATABASE_URL", raising=False)
    git_repo.write(".tracertm.toml", f"database_url = {json.dumps(database_url)}\n")
    git_repo.write("docs/adr/0001-ledger.md", adr(1, "Ledger"))
    git_repo.commit("seed")
    assert main(["sync", str(git_repo.path)]) == 0  # into the configured database
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    capsys.readouterr()
    assert main(["search", "ledger", "--path", str(git_repo.path), "--format", "json"]) == 0
    hits: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    assert [hit["number"] for hit in hits] == ["ADR-0001"]
    assert "--path PATH repository whose configuration names the database" in _help(capsys, "search")
