"""``GIT_DIR`` / ``GIT_WORK_TREE`` in the environment: tracertm leaves them out of its git calls (git exports them to
hooks, where they name the hook's repository), so a work tree whose repository lives elsewhere was synced as a plain
folder — git-ignored files and all. It is one line now, exit 2; inside a repository they change nothing (a hook)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GitRepo, run_cli

ADR = "# 1. First\n\n## Status\n\nAccepted\n"


def test_a_folder_named_only_by_git_dir_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "wt"
    (work / "docs/adr").mkdir(parents=True)
    (work / "docs/adr/0001-first.md").write_text(ADR)
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "store.git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(work))
    db = tmp_path / "t.db"
    result = run_cli("sync", str(work), "--database-url", f"sqlite:///{db}")
    assert result.returncode == 2
    assert result.stderr == (f"tracertm: error: {work}: no .git here, and GIT_DIR and GIT_WORK_TREE are set, which "
                             "tracertm does not follow; unset them, and give the work tree a .git file pointing at "
                             "the repository (a line 'gitdir: <path>')\n")
    assert not db.exists()


def test_inside_a_repository_they_change_nothing(git_repo: GitRepo, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    git_repo.write("docs/adr/0001-first.md", ADR)
    git_repo.commit()
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere.git"))
    result = run_cli("sync", str(git_repo.path), "--database-url", f"sqlite:///{tmp_path / 't.db'}")
    assert result.returncode == 0, result.stderr
    assert "from worktree" in result.stdout
