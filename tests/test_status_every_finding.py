"""``tracertm status`` lists every finding of each file in error, as README says (the JSON's ``diagnostics``): the
text used to show only a file's first error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo, run_cli
from specs import adr
from tracertm.engine import sync as sync_module

# Two rows with the wrong number of cells (lines 6 and 12): two errors of one file.
BROKEN = """Feature: Cells
  Scenario Outline: a
    Given <x>
    Examples:
      | x |
      | 1 | 2 |

  Scenario Outline: b
    Given <y>
    Examples:
      | y |
      | 3 | 4 |
"""


def test_every_error_of_a_file_is_listed(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/cells.feature", BROKEN)
    git_repo.commit("broken")
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 1
    out = run_cli("status", str(git_repo.path), "--database-url", database_url).stdout
    listed = [line.strip() for line in out.splitlines() if line.startswith("  features/cells.feature:")]
    assert [line.split(":")[1] for line in listed] == ["6", "12"], out


def failed_sync_after_a_good_one(git_repo: GitRepo, url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An ``ok`` sync of a first commit, then a sync of a second one that fails in its write phase (its run
    ``failed``, nothing written); the first commit's id."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    good = git_repo.commit("first")
    assert run_cli("sync", str(git_repo.path), "--database-url", url).returncode == 0
    git_repo.write("docs/adr/0002-use-sql.md", adr(2, "Use SQL"))
    git_repo.commit("second")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("the disk went away")

    with monkeypatch.context() as patched:
        patched.setattr(sync_module, "maintain_links", broken)
        assert run_cli("sync", str(git_repo.path), "--database-url", url).returncode != 0
    return good


def test_status_names_the_last_good_sync_and_a_later_failed_run_apart(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last sync's time and commit are the good sync's, with its own trigger and status; the failed run after
    it is a line of its own. Before, the good sync's time and commit were printed with "(cli, failed)"."""
    url = f"sqlite:///{tmp_path / 'status.db'}"
    good = failed_sync_after_a_good_one(git_repo, url, monkeypatch)
    out = run_cli("status", str(git_repo.path), "--database-url", url).stdout
    lines = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in out.splitlines()[:4]}
    info = json.loads(run_cli("status", str(git_repo.path), "--database-url", url, "--format", "json").stdout)
    assert lines["last sync"] == f"{info['last_synced_at']} (cli, ok)", out
    assert lines["last commit"] == good, out
    assert lines["newest run"] == f"{info['last_run']['started_at']} (cli, failed)", out
    assert "last_good_run" not in info and "later_run" not in info  # the JSON keeps the API's shape
