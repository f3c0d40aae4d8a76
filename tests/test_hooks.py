"""Native git hooks (``tracertm hook install|uninstall``) driven by real ``git commit`` / ``checkout`` / ``merge``:
idempotence, chaining of an existing hook, ``core.hooksPath``, the index a hook must read (``commit -a``,
``commit PATH``, partial staging), and sync hooks keeping a real database current."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from conftest import GitRepo, sqlite_only
from specs import adr, dump, feature
from tracertm import hooks
from tracertm.cli import main

BROKEN = "@FEAT-9\nFeature: Broken\n  Scenario: s\n    Given a\n  Oops\n"


def _seed(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("features/login.feature", "@ADR-1\n" + feature(1, "Login"))
    repo.commit("seed")


def _commit(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    """``git commit`` that may fail (the hook's verdict is the point)."""
    return subprocess.run(["git", "commit", "-q", *args], cwd=repo.path, capture_output=True, text=True, check=False)


def _hook_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.endswith(".sample"))


def test_install_twice_gives_one_hook_and_uninstall_removes_it(git_repo: GitRepo, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed(git_repo)
    directory = git_repo.path / ".git" / "hooks"
    assert main(["hook", "install", str(git_repo.path)]) == 0
    assert "pre-commit: installed" in capsys.readouterr().out
    assert main(["hook", "install", str(git_repo.path)]) == 0
    assert capsys.readouterr().out.startswith("pre-commit: unchanged")
    assert _hook_files(directory) == ["pre-commit", "pre-merge-commit"]
    text = (directory / "pre-commit").read_text()
    assert text.count(hooks.MARKER) == 1 and f"{sys.executable} -m tracertm check --staged" in text
    assert os.access(directory / "pre-commit", os.X_OK)

    # A different interpreter (tracertm reinstalled elsewhere) updates the script in place.
    assert [c.action for c in hooks.install(git_repo.path, python="/opt/other/python")] == ["updated", "updated"]
    assert "/opt/other/python -m tracertm" in (directory / "pre-commit").read_text()

    assert main(["hook", "uninstall", str(git_repo.path)]) == 0
    assert _hook_files(directory) == []
    assert main(["hook", "uninstall", str(git_repo.path)]) == 0
    assert "no tracertm hooks" in capsys.readouterr().out


def test_existing_hook_is_chained_keeps_running_and_is_restored(git_repo: GitRepo) -> None:
    _seed(git_repo)
    directory = git_repo.path / ".git" / "hooks"
    original = (
        '#!/bin/sh\necho "legacy ran $*" >> "$(git rev-parse --git-dir)/legacy.log"\nexit ${LEGACY_STATUS:-0}\n'
    )
    (directory / "pre-commit").write_text(original)
    (directory / "pre-commit").chmod(0o755)

    changes = hooks.install(git_repo.path)
    assert [(c.hook, c.action) for c in changes] == [
        ("pre-commit", "chained"), ("pre-commit", "installed"), ("pre-merge-commit", "installed")]
    assert [c.action for c in hooks.install(git_repo.path)] == ["unchanged", "unchanged"], "never chains itself"
    assert (directory / "pre-commit.tracertm-chained").read_text() == original

    git_repo.write("docs/adr/0002-more.md", adr(2, "More"))
    git_repo.git("add", "-A")
    assert _commit(git_repo, "-m", "ok").returncode == 0
    assert (git_repo.path / ".git" / "legacy.log").read_text().count("legacy ran") == 1

    git_repo.write("docs/adr/0003-even-more.md", adr(3, "Even more"))
    git_repo.git("add", "-A")
    failed = subprocess.run(
        ["git", "commit", "-q", "-m", "x"],
        cwd=git_repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, "LEGACY_STATUS": "7"},
        check=False,
    )
    assert failed.returncode != 0, "a failing chained hook still stops the commit"

    assert [c.action for c in hooks.uninstall(git_repo.path)] == ["removed", "restored", "removed"]
    assert (directory / "pre-commit").read_text() == original
    assert os.access(directory / "pre-commit", os.X_OK)
    assert not (directory / "pre-commit.tracertm-chained").exists()


def test_core_hooks_path_is_respected(git_repo: GitRepo) -> None:
    _seed(git_repo)
    git_repo.git("config", "core.hooksPath", ".githooks")
    hooks.install(git_repo.path, sync_on="post-commit")
    assert _hook_files(git_repo.path / ".githooks") == [
        "post-commit", "post-rewrite", "pre-commit", "pre-merge-commit"]
    assert _hook_files(git_repo.path / ".git" / "hooks") == []
    git_repo.write("features/broken.feature", BROKEN)
    git_repo.git("add", "features/broken.feature")
    result = _commit(git_repo, "-m", "broken")
    assert result.returncode == 1 and "features/broken.feature:5:" in result.stdout + result.stderr


def test_hook_reads_what_will_be_committed(git_repo: GitRepo) -> None:
    """The pre-commit hook judges the index git is about to commit: the real one, the temporary one of
    ``commit -a``, or the partial one of ``commit PATH``, and a partially staged file by its staged content."""
    _seed(git_repo)
    hooks.install(git_repo.path)
    good = "@ADR-1\n" + feature(1, "Login, reworded")

    # Rejected: a broken staged file; the output names the file and line.
    git_repo.write("features/broken.feature", BROKEN)
    git_repo.git("add", "features/broken.feature")
    result = _commit(git_repo, "-m", "broken")
    assert result.returncode == 1
    assert "features/broken.feature:5:3: expected:" in result.stdout + result.stderr
    git_repo.git("rm", "-q", "--cached", "features/broken.feature")
    git_repo.remove("features/broken.feature")

    # commit -a: the broken content is only in the work tree, so only the temporary index holds it.
    git_repo.write("features/login.feature", BROKEN.replace("FEAT-9", "FEAT-1"))
    assert _commit(git_repo, "-a", "-m", "all").returncode == 1
    # commit PATH: the same through git's partial-commit index.
    assert _commit(git_repo, "-m", "path", "features/login.feature").returncode == 1
    # A commit that does not include the broken work-tree change passes.
    git_repo.write("docs/adr/0002-more.md", adr(2, "More"))
    git_repo.git("add", "docs/adr/0002-more.md")
    assert _commit(git_repo, "-m", "other").returncode == 0

    # Partially staged: a fix staged, a breakage left unstaged → passes; the reverse → rejected.
    git_repo.write("features/login.feature", good)
    git_repo.git("add", "features/login.feature")
    git_repo.write("features/login.feature", BROKEN.replace("FEAT-9", "FEAT-1"))
    assert _commit(git_repo, "-m", "staged fix").returncode == 0
    git_repo.git("add", "features/login.feature")
    git_repo.write("features/login.feature", good)
    assert _commit(git_repo, "-m", "staged breakage").returncode == 1
    better = "@ADR-1\n" + feature(1, "Login, reworded twice")
    git_repo.write("features/login.feature", better)
    assert _commit(git_repo, "-a", "-m", "commit -a takes the good work tree").returncode == 0
    assert git_repo.git("show", "HEAD:features/login.feature") == better.strip()


# The hooks and git's events are above the database: SQLite only (a hook's ``tracertm hook sync`` process on
# PostgreSQL: tests/test_fastpath.py::test_a_noop_sync_and_hook_sync_import_nothing_heavy[postgresql], and the
# engine's hook sync there: test_a_hook_after_a_commit_without_specs_records_the_new_head[postgresql]).
@sqlite_only
def test_sync_hooks_keep_the_database_current(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(git_repo)
    git_repo.git("checkout", "-q", "-b", "topic")
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    changes = hooks.install(git_repo.path, sync_on="all")
    assert sorted(c.hook for c in changes) == [
        "post-checkout", "post-commit", "post-merge", "post-rewrite", "pre-commit", "pre-merge-commit"]
    engine = create_engine(database_url)

    def live() -> list[str]:
        return sorted(r["adr_number"] for r in dump(engine)["adrs"] if not r["deleted"])

    try:
        git_repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL"))
        git_repo.commit("adr 2")  # post-commit
        assert live() == ["ADR-0001", "ADR-0002"]
        git_repo.git("checkout", "-q", "main")  # branch switch: ADR-0002 is not on main
        assert live() == ["ADR-0001"]
        git_repo.git("merge", "-q", "--no-edit", "--no-ff", "topic")  # post-merge (and post-commit)
        assert live() == ["ADR-0001", "ADR-0002"]
    finally:
        engine.dispose()

    # Narrowing the stages removes the hooks no longer asked for; the check hook stays.
    hooks.install(git_repo.path, sync_on="post-merge")
    assert _hook_files(git_repo.path / ".git" / "hooks") == [
        "post-merge", "post-rewrite", "pre-commit", "pre-merge-commit"]


def test_sync_hook_never_fails_git(git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(git_repo)
    hooks.install(git_repo.path, sync_on="post-checkout", check=False)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", "nosuchdb://nowhere")
    result = subprocess.run(
        ["git", "checkout", "-q", "-b", "x"], cwd=git_repo.path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "tracertm: hook sync skipped:" in result.stderr


def test_bad_stage_is_a_usage_error(git_repo: GitRepo, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed(git_repo)
    assert main(["hook", "install", str(git_repo.path), "--sync-on", "post-commit,pre-push"]) == 2
    assert "pre-push: unknown stage" in capsys.readouterr().err
    # A blank item is a stage left out, not one fewer (other comma-separated options refuse it too); `all` mixed
    # with stages is said so, not called an unknown stage.
    for value, said in (("post-commit,", "empty item"), ("post-commit,,post-merge", "empty item"),
                        ("all,post-commit", "'all' stands alone")):
        assert main(["hook", "install", str(git_repo.path), "--sync-on", value]) == 2
        err = capsys.readouterr().err
        assert said in err and len(err.splitlines()) == 1, err
    assert not (git_repo.path / ".git" / "hooks" / "post-commit").exists()
    assert main(["hook", "install", str(tmp_path)]) == 2
    assert "not inside a git repository" in capsys.readouterr().err


def test_existing_hook_and_taken_chained_name_is_refused(git_repo: GitRepo) -> None:
    _seed(git_repo)
    directory = git_repo.path / ".git" / "hooks"
    for name in ("pre-commit", "pre-commit.tracertm-chained"):
        (directory / name).write_text(f"#!/bin/sh\n# {name}\nexit 0\n")
        (directory / name).chmod(stat.S_IRWXU)
    with pytest.raises(Exception, match="differs from it; nothing was installed"):
        hooks.install(git_repo.path)
    assert (directory / "pre-commit").read_text() == "#!/bin/sh\n# pre-commit\nexit 0\n", "nothing overwritten"
