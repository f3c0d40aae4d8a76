"""Native hooks beside other hook managers and through a rebase, driven by real ``git commit`` / ``git rebase``:
a chained husky 9 hook still runs the user's ``.husky/pre-commit`` (it dispatches on its own name), and the sync
hooks leave the database at the commit a rebase ends on, syncing once."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from conftest import GitRepo, sqlite_only
from specs import adr, dump, feature
from tracertm import hooks

# husky 9.1's files (MIT, github.com/typicode/husky, husky/index.js and husky/husky): `husky` writes each hook of
# .husky/_ as this two-line dispatcher, and `h` runs the user's .husky/<the hook's own name>.
HUSKY_HOOK = '#!/usr/bin/env sh\n. "$(dirname "$0")/h"'
HUSKY_H = """#!/usr/bin/env sh
[ "$HUSKY" = "2" ] && set -x
n=$(basename "$0")
s=$(dirname "$(dirname "$0")")/$n

[ ! -f "$s" ] && exit 0

[ "${HUSKY-}" = "0" ] && exit 0

export PATH="node_modules/.bin:$PATH"
sh -e "$s" "$@"
c=$?

[ $c != 0 ] && echo "husky - $n script failed (code $c)"
[ $c = 127 ] && echo "husky - command not found in PATH=$PATH"
exit $c
"""


def _seed(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("features/login.feature", "@ADR-1\n" + feature(1, "Login"))
    repo.commit("seed")


def _git(repo: GitRepo, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A git command that may fail (a hook's verdict is the point), with ``env`` added to the environment."""
    return subprocess.run(["git", *args], cwd=repo.path, capture_output=True, text=True, check=False,
                          env={**os.environ, **env})


def test_a_chained_husky_hook_still_runs_the_users_script(git_repo: GitRepo) -> None:
    """husky 9 points core.hooksPath at .husky/_, whose pre-commit runs .husky/$(basename "$0"): chained under
    another name it ran nothing, and the user's hook silently stopped (its failure no longer stopped the commit)."""
    _seed(git_repo)
    folder = git_repo.path / ".husky" / "_"
    folder.mkdir(parents=True)
    (folder / ".gitignore").write_text("*")  # (husky writes it: .husky/_ is each clone's own, never committed)
    (folder / "h").write_text(HUSKY_H)
    for name in ("pre-commit", "pre-merge-commit"):
        (folder / name).write_text(HUSKY_HOOK)
        (folder / name).chmod(0o755)
    git_repo.write(".husky/pre-commit",
                   'echo "husky ran $(basename "$0")" >> "$(git rev-parse --git-dir)/husky.log"\n'
                   'exit "${USER_HOOK_STATUS:-0}"\n')
    git_repo.commit("husky")
    git_repo.git("config", "core.hooksPath", ".husky/_")
    log = git_repo.path / ".git" / "husky.log"
    log.unlink(missing_ok=True)

    assert [c.action for c in hooks.install(git_repo.path)] == ["chained", "installed", "chained", "installed"]
    git_repo.write("docs/adr/0002-more.md", adr(2, "More"))
    git_repo.git("add", "-A")
    assert _git(git_repo, "commit", "-q", "-m", "ok").returncode == 0
    assert log.read_text() == "husky ran pre-commit\n"

    # The user's hook failing still stops the commit, with husky's own line.
    git_repo.write("docs/adr/0003-more.md", adr(3, "Even more"))
    git_repo.git("add", "-A")
    refused = _git(git_repo, "commit", "-q", "-m", "refused", USER_HOOK_STATUS="3")
    assert refused.returncode == 1 and "husky - pre-commit script failed (code 3)" in refused.stderr
    # tracertm's check still runs after it.
    git_repo.write("features/broken.feature", "@FEAT-9\nFeature: Broken\n  Scenario: s\n    Given a\n  Oops\n")
    git_repo.git("add", "-A")
    broken = _git(git_repo, "commit", "-q", "-m", "broken")
    assert broken.returncode == 1 and "features/broken.feature:5:" in broken.stderr
    assert log.read_text().count("husky ran pre-commit") == 3

    hooks.uninstall(git_repo.path)
    assert sorted(p.name for p in folder.iterdir()) == [".gitignore", "h", "pre-commit", "pre-merge-commit"]
    assert (folder / "pre-commit").read_text() == HUSKY_HOOK


def test_a_chained_hook_of_another_language_is_run_as_a_program(git_repo: GitRepo) -> None:
    """Only a POSIX shell hook is read by the script's shell; bash (the pre-commit framework's hook), Python and
    binaries are run as before, with the hook's arguments."""
    _seed(git_repo)
    directory = git_repo.path / ".git" / "hooks"
    (directory / "post-checkout").write_text(
        "#!/usr/bin/env python3\nimport pathlib, sys\n"
        "pathlib.Path(sys.argv[0]).with_name('args.log').write_text(' '.join(sys.argv[1:]))\n")
    (directory / "post-checkout").chmod(0o755)
    hooks.install(git_repo.path, sync_on="post-checkout", check=False)
    assert _git(git_repo, "checkout", "-q", "-b", "topic").returncode == 0
    head = git_repo.git("rev-parse", "HEAD")
    assert (directory / "args.log").read_text() == f"{head} {head} 1"


@sqlite_only
@pytest.mark.parametrize("how", ["force", "exec"])
def test_a_rebase_is_synced_once_at_its_end(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """A rebase checks out its base and makes its commits through the sync hooks: each was synced (a sync per
    commit), and a rebase whose commits git reused (--exec) made none, leaving the database at the base, not at
    HEAD. The post-commit and post-checkout hooks now pass over a rebase, and post-rewrite syncs at its end."""
    _seed(git_repo)
    for number in (2, 3, 4):
        git_repo.write(f"docs/adr/000{number}-more.md", adr(number, f"More {number}"))
        git_repo.commit(f"adr {number}")
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert "post-rewrite" in [c.hook for c in hooks.install(git_repo.path, sync_on="all")]
    assert _git(git_repo, "checkout", "-q", "-b", "topic").returncode == 0  # (post-checkout: syncs HEAD)
    engine = create_engine(database_url)
    try:
        runs = _runs(engine)
        option = ["--force-rebase"] if how == "force" else ["--exec", "true"]
        done = _git(git_repo, "rebase", "-q", "-i", *option, "HEAD~3", GIT_SEQUENCE_EDITOR="true")
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        live = sorted(r["adr_number"] for r in dump(engine)["adrs"] if not r["deleted"])
        assert live == ["ADR-0001", "ADR-0002", "ADR-0003", "ADR-0004"]
        # One sync, at the end (before: one per commit, or one of the base alone).
        assert _runs(engine) == runs + 1
        # An amend is synced by post-commit; post-rewrite adds no second run.
        git_repo.write("docs/adr/0004-more.md", adr(4, "More 4, amended"))
        git_repo.git("add", "-A")
        assert _git(git_repo, "commit", "-q", "--amend", "-m", "amended").returncode == 0
        assert _runs(engine) == runs + 2
    finally:
        engine.dispose()


def _runs(engine) -> int:  # type: ignore[no-untyped-def]
    return len(dump(engine, tables=("sync_runs",))["sync_runs"])


def test_uninstall_removes_the_rewrite_hook_and_restores_a_chained_one(git_repo: GitRepo) -> None:
    _seed(git_repo)
    directory = git_repo.path / ".git" / "hooks"
    original = "#!/bin/sh\ncat > /dev/null\n"
    (directory / "post-rewrite").write_text(original)
    (directory / "post-rewrite").chmod(0o755)
    hooks.install(git_repo.path, sync_on="post-merge")
    assert (directory / "post-rewrite.tracertm-chained").read_text() == original
    # No sync stage left: the rewrite hook goes with them.
    hooks.install(git_repo.path)
    assert (directory / "post-rewrite").read_text() == original
    hooks.install(git_repo.path, sync_on="post-commit")
    hooks.uninstall(git_repo.path)
    assert sorted(p.name for p in directory.iterdir() if not p.name.endswith(".sample")) == ["post-rewrite"]
    assert (directory / "post-rewrite").read_text() == original
    assert not Path(directory / "post-rewrite.tracertm-chained").exists()
