"""Linked work trees (``git worktree add``): the ``.git`` there is a file, the hooks live in the common git dir and
HEAD in the work tree's own git dir. Hooks, the check cache and the watch daemon must all find the right place."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import GitRepo
from specs import adr
from tracertm.checker import CACHE_NAME
from tracertm.cli import main

BROKEN = "@FEAT-9\nFeature: Broken\n  Scenario: s\n    Given a\n  Oops\n"


@pytest.fixture
def linked(git_repo: GitRepo, tmp_path: Path) -> Iterator[GitRepo]:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    path = tmp_path / "linked"
    git_repo.git("worktree", "add", "-q", "-b", "feature", str(path))
    yield GitRepo(path)
    git_repo.git("worktree", "remove", "--force", str(path))


def _git_path(repo: GitRepo, name: str) -> Path:
    return Path(repo.git("rev-parse", "--path-format=absolute", "--git-path", name))


def test_hook_installed_from_a_linked_work_tree_guards_its_commits(git_repo: GitRepo, linked: GitRepo) -> None:
    assert (linked.path / ".git").is_file()
    assert main(["hook", "install", str(linked.path)]) == 0
    hook = _git_path(linked, "hooks") / "pre-commit"
    assert hook.is_file() and hook == _git_path(git_repo, "hooks") / "pre-commit"  # one hooks folder for all

    linked.write("features/broken.feature", BROKEN)
    linked.git("add", "-A")
    refused = subprocess.run(["git", "commit", "-q", "-m", "broken"], cwd=linked.path, capture_output=True, text=True)
    assert refused.returncode != 0 and "features/broken.feature:5" in refused.stdout + refused.stderr
    linked.remove("features/broken.feature")
    linked.write("docs/adr/0002-fine.md", adr(2, "Fine"))
    linked.git("add", "-A")
    linked.git("commit", "-q", "-m", "fine")
    assert linked.git("log", "-1", "--format=%s") == "fine"


def test_commit_all_and_commit_path_in_a_linked_work_tree_are_checked(git_repo: GitRepo, linked: GitRepo) -> None:
    """``git commit -a`` / ``git commit PATH`` write a temporary index in ``.git/worktrees/NAME``: the hook reads
    that one, not the work tree's index (which still holds the last commit's file, fine)."""
    linked.write("features/broken.feature", BROKEN.replace("  Oops\n", ""))
    linked.commit("a feature")
    assert main(["hook", "install", str(linked.path)]) == 0
    linked.write("features/broken.feature", BROKEN)
    for argv in (["commit", "-q", "-a", "-m", "all"], ["commit", "-q", "-m", "path", "features/broken.feature"]):
        refused = subprocess.run(["git", *argv], cwd=linked.path, capture_output=True, text=True)
        assert refused.returncode != 0 and "features/broken.feature:5" in refused.stdout + refused.stderr, argv
    assert linked.git("log", "-1", "--format=%s") == "a feature"


def test_check_cache_lives_in_the_linked_work_trees_git_dir(
    git_repo: GitRepo, linked: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    linked.write("docs/adr/0002-b.md", adr(2, "B"))
    linked.git("add", "-A")
    assert main(["check", str(linked.path), "--staged"]) == 0
    capsys.readouterr()
    cache = _git_path(linked, CACHE_NAME)
    assert cache.is_file(), "the check cache is written beside the linked work tree's index"
    assert not (linked.path / ".git").is_dir()
    assert cache.parent != _git_path(git_repo, CACHE_NAME).parent  # each work tree has its own index, own cache


def test_watch_follows_commits_in_a_linked_work_tree(linked: GitRepo, database_url: str) -> None:
    from sqlalchemy import select

    from tracertm import db
    from tracertm.models import Project
    from tracertm.watcher import Watcher

    watcher = Watcher([linked.path], database_url=database_url, debounce_ms=100).start()
    engine = db.make_engine(database_url)
    try:
        _wait_for(lambda: watcher.stats.reconciles >= 1 and watcher.wait_idle(0))
        linked.write("docs/adr/0002-b.md", adr(2, "B"))
        head = linked.commit("b")

        def recorded() -> bool:
            with db.session(engine) as s:
                return s.execute(select(Project.last_synced_commit)).scalar_one_or_none() == head

        _wait_for(recorded)
    finally:
        watcher.stop()
        watcher.join(30)
        engine.dispose()


def _wait_for(condition: object, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached within the timeout")
