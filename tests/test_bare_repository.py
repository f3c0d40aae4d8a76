"""A git repository without a work tree (a bare one, a ``.git`` folder) is refused in one line, never synced as a
plain folder of no files (which made an empty project)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import GitRepo, run_cli


def test_a_bare_repository_or_a_git_folder_is_refused_not_read_as_a_folder(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("contracts/a.yaml", "id: C-1\ntitle: A\n")
    git_repo.commit()
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(git_repo.path), str(bare)], check=True)
    for argv in (("sync", str(bare)), ("check", str(bare)), ("check", str(git_repo.path / ".git"))):
        result = run_cli(*argv)
        assert result.returncode == 2, result
        assert result.stderr.strip().splitlines() == [
            f"tracertm: error: {argv[1]}: a git repository without a work tree (a bare repository or a .git "
            "folder); pass the path of a clone's work tree"
        ]
    assert run_cli("status").returncode == 2  # no project was made (no database even)
    plain = tmp_path / "plain"
    (plain / "contracts").mkdir(parents=True)
    (plain / "contracts" / "a.yaml").write_text("id: C-1\ntitle: A\n", encoding="utf-8")
    assert run_cli("sync", str(plain)).returncode == 0  # a folder outside git is still synced as one
