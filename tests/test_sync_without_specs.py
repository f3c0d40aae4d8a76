"""A ``sync`` or ``check`` that finds no ADR, contract or feature file says so, where it looked and with which globs,
and names the command that reads the folder the user is in when that folder's own files are specs (step files alone
are none: the default step globs find candidates in most Python repositories). A new user who ``cd``s into
``sample-repo/`` and runs ``tracertm sync`` read the repository's top (PATH's default, as git's) and got an empty
project, a table of zeros and exit 0 with no word. The git hooks (``check --staged``, ``hook sync``) say nothing:
they run at every commit. Real git repositories, the sample project, both databases."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import SAMPLE_REPO, GitRepo, run_cli
from specs import adr

GLOBS = ("adr_paths ['docs/adr/**/*.md', 'doc/adr/**/*.md', 'docs/decisions/**/*.md'], contract_paths "
         "['contracts/**/*.yaml', 'contracts/**/*.yml'] and feature_paths ['features/**/*.feature', "
         "'features/**/*.feature.md']")
NONE = "no ADR, contract or feature file found under"


@pytest.fixture
def sample(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """The README's sample-repo/ as a sub-folder of a repository, the user in it."""
    shutil.copytree(SAMPLE_REPO, git_repo.path / "sample-repo")
    git_repo.commit("sample")
    monkeypatch.chdir(git_repo.path / "sample-repo")
    return git_repo


def _warning(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if NONE in line]
    assert len(lines) == 1, stderr
    return lines[0]


def test_sync_in_the_spec_folder_says_what_it_read_and_how_to_sync_the_folder(
        sample: GitRepo, database_url: str) -> None:
    top = sample.path.resolve()
    hint = "; the current folder holds 18 of them, at those paths below it: run 'tracertm sync .'"
    for argv in (["sync"], ["sync", "--dry-run"], ["sync"]):  # (the second sync: the fast path's no-op)
        result = run_cli(*argv, "--database-url", database_url)
        assert result.returncode == 0, result.stderr
        assert "(0 files, 0 parsed)" in result.stdout
        assert _warning(result.stderr) == (
            f"warning: {NONE} {top} (PATH defaults to the top of the repository around the "
            f"current folder) with {GLOBS}{hint}")
    as_json = run_cli("sync", "--format", "json", "--database-url", database_url)
    assert as_json.returncode == 0 and as_json.stderr == ""
    (found,) = json.loads(as_json.stdout)["warnings"]
    assert found["path"] == "" and found["severity"] == "warning" and found["message"].endswith(hint[2:])
    # What it says to run syncs the sample project, with no such warning.
    followed = run_cli("sync", ".", "--database-url", database_url)
    assert followed.returncode == 0 and "synced sample-repo from worktree (18 files, 18 parsed)" in followed.stdout
    assert NONE not in followed.stderr


def test_check_in_the_spec_folder_says_so_too(sample: GitRepo) -> None:
    result = run_cli("check")  # (check prints its findings on stdout, its count on stderr)
    assert result.returncode == 0
    assert _warning(result.stdout).endswith("holds 18 of them, at those paths below it: run 'tracertm check .'")
    assert "0 files checked, 0 parsed: 0 errors, 1 warning" in result.stderr
    annotation = run_cli("check", "--format", "github")
    assert annotation.stdout.startswith(f"::warning::{NONE} {sample.path.resolve()} ")
    report = json.loads(run_cli("check", "--format", "json").stdout)
    assert report["ok"] is True and [w["path"] for w in report["warnings"]] == [""]
    # --strict makes it an error, as every warning (README: check --strict)
    strict = run_cli("check", "--strict")
    assert strict.returncode == 1 and "1 error, 0 warnings" in strict.stderr
    assert _warning(strict.stdout).startswith(NONE)
    followed = run_cli("check", ".")
    assert followed.stdout == "" and followed.stderr == "18 files checked, 18 parsed: 0 errors, 0 warnings\n"


def test_below_the_spec_folder_the_command_names_the_folder_above_with_the_options_given(
        sample: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(sample.path / "sample-repo" / "features")
    result = run_cli("sync", "--ref", "HEAD", "--project", "my specs", "--database-url", database_url)
    assert result.returncode == 0, result.stderr
    assert _warning(result.stderr).endswith(
        "; .. (a folder above the current one) holds 18 of them, at those paths below it: "
        "run \"tracertm sync .. --ref HEAD --project 'my specs'\"")
    staged = run_cli("sync", "--staged", "--dry-run", "--database-url", database_url)
    assert _warning(staged.stderr).endswith("run 'tracertm sync .. --staged'")


def test_an_explicit_path_or_a_repository_without_specs_gets_no_command(git_repo: GitRepo, database_url: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo.write("README.md", "no specs yet\n")
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)
    result = run_cli("sync", "--database-url", database_url)
    assert result.returncode == 0
    assert _warning(result.stderr) == (
        f"warning: {NONE} {git_repo.path.resolve()} (PATH defaults to the top of the repository "
        f"around the current folder) with {GLOBS}")
    (git_repo.path / "docs").mkdir()
    named = run_cli("check", str(git_repo.path / "docs"), "--ref", "HEAD")
    assert _warning(named.stdout) == f"warning: {NONE} {git_repo.path.resolve() / 'docs'} with {GLOBS}"


def test_configured_globs_are_the_ones_named(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo.write(".tracertm.toml", 'adr_paths = ["decisions/*.md"]\n')
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)
    result = run_cli("check")
    assert "adr_paths matched nothing" in result.stdout  # (the configured glob's own warning stays)
    assert "with adr_paths ['decisions/*.md'], contract_paths " in _warning(result.stdout)


def test_a_glob_is_quoted_as_toml_writes_it(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backslash once, as the configuration's own warning and the file say it (Python's repr doubled it: in TOML
    another glob), and one holding a quote as a TOML basic string."""
    git_repo.write("pyproject.toml", "[tool.tracertm]\nfeature_paths = ['features\\*.feature', \"it's/*.feature\"]\n")
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)
    result = run_cli("check")
    assert "no file matches 'features\\*.feature'" in result.stdout  # (the configured glob's own warning)
    assert _warning(result.stdout).endswith(""" and feature_paths ['features\\*.feature', "it's/*.feature"]""")


def test_step_files_alone_are_no_specs(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """tracertm's own checkout: its top holds hundreds of step candidates (tests/**/*.py, **/pyproject.toml), and a
    sync there in sample-repo/ made a project of them, with no ADR, contract or feature."""
    shutil.copytree(SAMPLE_REPO, git_repo.path / "sample-repo")
    git_repo.write("pyproject.toml", "[project]\nname = 'x'\n")
    git_repo.write("tests/test_x.py", "def test_x():\n    pass\n")
    git_repo.write("features/steps/cart_steps.py", "from behave import given\n\n\n@given('a cart')\ndef _(c):\n"
                   "    pass\n")
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path / "sample-repo")
    result = run_cli("sync", "--database-url", database_url)
    assert result.returncode == 0 and "(3 files, 3 parsed)" in result.stdout, result.stdout + result.stderr
    assert _warning(result.stderr).endswith("run 'tracertm sync .'")
    checked = run_cli("check")
    assert "3 files checked" in checked.stderr and _warning(checked.stdout).endswith("run 'tracertm check .'")


def test_the_git_hooks_and_a_repository_with_specs_say_nothing(git_repo: GitRepo, database_url: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo.write("README.md", "no specs yet\n")
    git_repo.commit("seed")
    monkeypatch.chdir(git_repo.path)
    assert NONE not in run_cli("check", "--staged").stdout
    hooked = run_cli("hook", "sync", "--database-url", database_url)
    assert hooked.returncode == 0 and hooked.stderr == ""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("an ADR")
    for argv in (["sync", "--database-url", database_url], ["check"]):
        checked = run_cli(*argv)
        assert NONE not in checked.stdout + checked.stderr
