"""``tracertm hook install`` into a hooks folder other people's commits run: a ``core.hooksPath`` folder of the
work tree that git tracks (husky 5-8's ``.husky``, a team's ``githooks``) would have tracertm's script, naming this
machine's Python, committed for everyone; a global ``core.hooksPath`` folder runs in every repository of the user.
Both are refused in one line, nothing changed; an untracked folder of the work tree is installed into as before."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from specs import adr

TEAM_HOOK = '#!/usr/bin/env sh\n. "$(dirname -- "$0")/_/husky.sh"\n\nnpx lint-staged\n'


def _files(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder``: its text and mode, to show that nothing changed."""
    return {p.relative_to(folder).as_posix(): (p.read_text(), p.stat().st_mode)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _team_repo(git_repo: GitRepo) -> Path:
    """husky 5-8's layout: core.hooksPath = .husky, the team's hooks committed there."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    hook = git_repo.write(".husky/pre-commit", TEAM_HOOK)
    hook.chmod(0o755)
    git_repo.commit("seed")
    git_repo.git("config", "core.hooksPath", ".husky")
    return git_repo.path / ".husky"


@pytest.mark.parametrize(("args", "expected"), [
    ((), ".husky/pre-commit: tracked by git; tracertm's hook names this machine's Python and would be committed "
         "for everyone, so nothing was installed; add the line 'tracertm check --staged' to the team's pre-commit "
         "hook instead, or use the pre-commit framework's tracertm-check hook"),
    (("svc",), ".husky/pre-commit: tracked by git; tracertm's hook names this machine's Python and would be "
               "committed for everyone, so nothing was installed; add the line 'tracertm check --staged ./svc' to "
               "the team's pre-commit hook instead, or use the pre-commit framework's tracertm-check hook"),
    (("--no-check", "--sync-on", "all"),
     ".husky/post-commit: new in .husky/, whose hooks git tracks; tracertm's hook names this machine's Python and "
     "would be committed for everyone, so nothing was installed; add the line 'tracertm hook sync' to the team's "
     "post-commit hook instead, or use the pre-commit framework's tracertm-sync hook"),
])
def test_a_hooks_folder_git_tracks_is_refused_and_left_alone(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], expected: str
) -> None:
    """Before, the team's .husky/pre-commit was moved aside and tracertm's script put in its place: the next
    'git commit -a' committed it, with this machine's interpreter path, for the whole team."""
    folder = _team_repo(git_repo)
    (git_repo.path / "svc").mkdir()
    before = _files(folder)
    monkeypatch.chdir(git_repo.path)
    done = run_cli("hook", "install", *args)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"tracertm: error: {expected}\n")
    assert _files(folder) == before
    assert git_repo.git("status", "--porcelain", "--untracked-files=all") == ""


def test_an_untracked_hooks_folder_of_the_work_tree_is_installed_into(git_repo: GitRepo) -> None:
    """husky 9's .husky/_ (its .gitignore keeps it out of git) or a folder of one's own: as before."""
    _team_repo(git_repo)
    git_repo.git("config", "core.hooksPath", ".husky/_")
    git_repo.write(".husky/_/.gitignore", "*")
    mine = git_repo.write(".husky/_/pre-commit", TEAM_HOOK)
    mine.chmod(0o755)
    done = run_cli("hook", "install", str(git_repo.path), "--sync-on", "post-commit")
    assert done.returncode == 0, done.stderr
    assert [line.split(":")[:2] for line in done.stdout.splitlines()] == [
        ["pre-commit", " chained (" + str(git_repo.path / ".husky/_/pre-commit.tracertm-chained)")],
        ["pre-commit", " installed (" + str(git_repo.path / ".husky/_/pre-commit)")],
        ["pre-merge-commit", " installed (" + str(git_repo.path / ".husky/_/pre-merge-commit)")],
        ["post-commit", " installed (" + str(git_repo.path / ".husky/_/post-commit)")],
        ["post-rewrite", " installed (" + str(git_repo.path / ".husky/_/post-rewrite)")],
    ]
    assert git_repo.git("status", "--porcelain", "--untracked-files=all") == ""


def test_a_global_hooks_folder_is_refused(git_repo: GitRepo) -> None:
    """`git config --global core.hooksPath ~/.githooks` (the home folder is the test's own, conftest.isolate):
    git runs that folder's hooks in every repository, so tracertm's would check and sync all of them."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    shared = Path.home() / ".githooks"  # (the test's own home folder: conftest.isolate)
    shared.mkdir()
    theirs = shared / "pre-commit"
    theirs.write_text("#!/bin/sh\nexit 0\n")
    theirs.chmod(0o755)
    subprocess.run(["git", "config", "--global", "core.hooksPath", "~/.githooks"], check=True)
    done = run_cli("hook", "install", str(git_repo.path), "--sync-on", "all")
    assert done.returncode == 2
    assert done.stderr == (
        "tracertm: error: core.hooksPath = ~/.githooks, set in git's global configuration: git runs "
        "these hooks in every repository that sets none of its own, so nothing was installed; give this "
        "repository its own hooks folder (git config core.hooksPath .git/hooks; the shared hooks then no longer "
        "run here) and rerun 'tracertm hook install'\n")
    assert sorted(p.name for p in shared.iterdir()) == ["pre-commit"]
    assert theirs.read_text() == "#!/bin/sh\nexit 0\n"

    # What the line says to do installs into this repository's own folder.
    git_repo.git("config", "core.hooksPath", ".git/hooks")
    assert run_cli("hook", "install", str(git_repo.path)).returncode == 0
    assert (git_repo.path / ".git/hooks/pre-commit").exists()
    assert sorted(p.name for p in shared.iterdir()) == ["pre-commit"]


def test_a_global_setting_naming_each_repositorys_own_folder_is_installed_into(git_repo: GitRepo) -> None:
    """`git config --global core.hooksPath .githooks` names a folder of each work tree: it is this repository's,
    and installed into unless git tracks it."""
    subprocess.run(["git", "config", "--global", "core.hooksPath", ".githooks"], check=True)
    done = run_cli("hook", "install", str(git_repo.path))
    assert done.returncode == 0, done.stderr
    assert (git_repo.path / ".githooks" / "pre-commit").exists()
