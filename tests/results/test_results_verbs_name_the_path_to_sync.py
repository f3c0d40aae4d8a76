"""``tracertm coverage`` and the ``tracertm results`` verbs, run in a repository that was never synced, name the
folder to sync as ``status``, ``list``, ``trace``... do.

The audit found them printing the literal ``run 'tracertm sync PATH' first``: they asked for the project without
saying which folder it is derived from.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli_project_and_option_errors import synced_and_other  # noqa: F401 - a fixture

from conftest import run_cli


@pytest.mark.parametrize(
    "argv",
    [
        ["coverage"],
        ["results", "list"],
        ["results", "runs"],
        ["results", "unmatched"],
        ["results", "prune", "--keep", "1"],
        ["results", "import", "report.xml"],
        ["status"],  # the verbs that already named it, for comparison
        ["list", "adrs"],
    ],
    ids=["coverage", "results-list", "results-runs", "results-unmatched", "results-prune", "results-import",
         "status", "list"],
)
def test_a_verb_run_in_a_repository_never_synced_names_the_folder_to_sync(
    synced_and_other: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    url, other = synced_and_other
    (other / "report.xml").write_text("<testsuite/>", encoding="utf-8")
    monkeypatch.chdir(other / "docs")
    result = run_cli(*argv, "--database-url", url)
    assert result.returncode == 2 and result.stdout == "", result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    database = url.removeprefix("sqlite:///")
    assert f"no project for other in {database}; run 'tracertm sync {other}' first, or name one with --project" \
        in lines[0]


@pytest.mark.parametrize("argv", [["coverage"], ["results", "runs"], ["status"]], ids=["coverage", "results-runs",
                                                                                     "status"])
def test_a_repository_synced_under_another_name_is_found_by_its_history(
    synced_and_other: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    """As ``status`` finds it (``sync --project NAME``): by the repository's root commit."""
    url, other = synced_and_other
    synced = run_cli("sync", str(other), "--project", "renamed", "--database-url", url)
    assert synced.returncode == 0, synced.stderr
    monkeypatch.chdir(other / "docs")
    result = run_cli(*argv, "--database-url", url)
    assert result.returncode == 0 and result.stderr == "", result.stderr
