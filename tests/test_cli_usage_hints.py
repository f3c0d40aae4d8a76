"""Usage errors and help texts say what to do, as the README documents it: ``list --sort -status`` (argparse takes
``-status`` for an option) points at ``--sort=-status``; ``hook install --sync-on`` names ``all`` among its
values; ``search --help`` says that without ``--project`` every project is searched (it claimed "this
repository's", which the command never did); ``list --text`` over 500 characters says to shorten it, as
``search`` does."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo, init_repo, run_cli
from specs import adr


def _one_line(err: str) -> str:
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_descending_sort_without_equals_says_how(tmp_path: Path) -> None:
    result = run_cli("list", "adrs", "--sort", "-status", "--database-url", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 2
    assert "--sort=-status,number" in _one_line(result.stderr)


def test_unknown_sync_stage_names_all(git_repo: GitRepo) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    result = run_cli("hook", "install", str(git_repo.path), "--sync-on", "post-push")
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "post-push: unknown stage" in line and "'all'" in line


def test_search_without_project_searches_every_project_as_its_help_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = init_repo(tmp_path / "first"), init_repo(tmp_path / "second")
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    for repo in (first, second):
        repo.write("docs/adr/0001-ledger.md", adr(1, f"Ledger of {repo.path.name}"))
        repo.commit("seed")
        assert run_cli("sync", str(repo.path), "--database-url", url).returncode == 0
    monkeypatch.chdir(first.path)
    hits = run_cli("search", "ledger", "--database-url", url)
    assert hits.returncode == 0
    assert "first)" in hits.stdout and "second)" in hits.stdout
    help_text = " ".join(run_cli("search", "--help").stdout.split())
    assert "default: every project" in help_text and "this repository's" not in help_text


def test_overlong_list_text_says_to_shorten_it_as_search_does(tmp_path: Path) -> None:
    """It was pydantic's 'String should have at most 500 characters', with no advice."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    for argv in (["list", "adrs", "--text"], ["search"]):
        result = run_cli(*argv, "ledger " * 100, "--database-url", url)
        assert result.returncode == 2
        assert "700 characters; at most 500 (shorten the query)" in _one_line(result.stderr), argv


@pytest.mark.parametrize(("argv", "verb"), [
    (["sync", "--bogus"], "tracertm sync"),
    (["results", "import", "report.xml", "--bogus"], "tracertm results import"),
    (["hook", "install", "--zz"], "tracertm hook install"),
    (["status", "one", "two"], "tracertm status"),
])
def test_an_argument_no_verb_takes_points_at_that_verbs_help(
    capsys: pytest.CaptureFixture[str], argv: list[str], verb: str
) -> None:
    from tracertm.cli import main

    assert main(argv) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("tracertm: error: unrecognized arguments: ") and line.endswith(f"(see '{verb} --help')")
