"""Configuration files that are symbolic links follow one rule in the work tree, the index (the
pre-commit hook) and every commit (backfill): a link to a file inside the repository stands for that file; a link
out of it is one error naming the file, never read. And submodule entries (gitlinks) named like spec files are not
files: the hook and ``check --staged --all`` leave them out, as every other source does. Real git
repositories, real pre-commit hooks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo, run_cli
from specs import adr, contract
from tracertm import db, hooks
from tracertm.history.backfill import backfill
from tracertm.models import Base

def adr_history(engine: Any) -> dict[str, list[tuple[str, int, str | None, str]]]:
    t = Base.metadata.tables["spec_revisions"].c
    with engine.connect() as conn:
        rows = conn.execute(select(t.number, t.change, t.version, t.commit_sha, t.source_path, t.committed_at)
                            .where(t.entity_type == "adr")).all()
    out: dict[str, list[tuple[str, int, str | None, str]]] = {}
    for r in sorted(rows, key=lambda r: (r.number, r.committed_at, r.version)):
        out.setdefault(r.number, []).append((r.change, r.version, r.commit_sha, r.source_path))
    return out


BROKEN = "# 8. Broken\n\nno status, no sections\n"


def _commit(repo: GitRepo, message: str) -> subprocess.CompletedProcess[str]:
    """``git commit`` of everything, through the installed pre-commit hook (which may refuse it)."""
    repo.git("add", "-A")
    return subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo.path, capture_output=True, text=True,
                          check=False)


def _tracertm(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracertm", *args], cwd=repo, capture_output=True, text=True,
                          timeout=60, check=False)


def _linked_config(repo: GitRepo, name: str = ".tracertm.toml", body: str = 'exclude = ["docs/adr/0008*"]\n') -> None:
    repo.write("config/tracertm.toml", body)
    os.symlink("config/tracertm.toml", repo.path / name)


def test_the_hook_follows_a_config_link_inside_the_repository(git_repo: GitRepo) -> None:
    _linked_config(git_repo)
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    hooks.install(git_repo.path)
    git_repo.write("docs/adr/0008-draft.md", BROKEN)  # excluded by the linked configuration
    proc = _commit(git_repo, "draft")
    assert proc.returncode == 0, proc.stderr
    # The index's target counts, not the work tree's: staged without the exclude, then restored in the work tree.
    git_repo.write("config/tracertm.toml", "exclude = []\n")
    git_repo.write("docs/adr/0008-again.md", BROKEN)
    git_repo.git("add", "-A")
    git_repo.write("config/tracertm.toml", 'exclude = ["docs/adr/0008*"]\n')
    proc = subprocess.run(["git", "commit", "-q", "-m", "no exclude"], cwd=git_repo.path, capture_output=True,
                          text=True, check=False)
    assert proc.returncode != 0 and "0008-again.md" in proc.stderr, proc.stderr


@pytest.mark.parametrize("name", [".tracertm.toml", "pyproject.toml", ".adr-dir"])
def test_a_config_link_out_of_the_repository_is_refused_everywhere(git_repo: GitRepo, tmp_path: Path,
                                                                 name: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "cfg").write_text("max_file_size = 10\n" if name != "pyproject.toml" else
                                 "[tool.tracertm]\nmax_file_size = 10\n")
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    hooks.install(git_repo.path)
    os.symlink("../outside/cfg", git_repo.path / name)
    expected = (f"{git_repo.path / name}: a symbolic link to '../outside/cfg', outside the repository, which "
                "tracertm never follows; put the file itself in the repository, or link to a file inside it")
    for proc in (_tracertm(git_repo.path, "check"), _tracertm(git_repo.path, "sync", "--dry-run")):
        assert proc.returncode == 2 and proc.stderr.strip() == f"tracertm: error: {expected}", proc.stderr
    git_repo.git("add", "-A")
    proc = _tracertm(git_repo.path, "check", "--staged")
    assert proc.returncode == 2 and proc.stderr.strip() == f"tracertm: error: {expected}", proc.stderr
    proc = _commit(git_repo, "link out")
    assert proc.returncode != 0 and expected in proc.stderr, proc.stderr


@pytest.mark.parametrize("name", [".tracertm.toml", "pyproject.toml", ".adr-dir"])
def test_a_config_link_to_a_file_the_repository_does_not_hold_is_refused_as_the_index_refuses_it(
    git_repo: GitRepo, name: str
) -> None:
    """The work tree took a link to any file below the root: ``.git/config`` (read as TOML) or an ignored
    ``local.toml`` (loaded as the configuration), which ``--staged`` refused. Now the rule of spec links: only a
    file the repository holds, tracked or untracked and not ignored."""
    body = {".tracertm.toml": "max_file_size = 10\n", "pyproject.toml": "[tool.tracertm]\nmax_file_size = 10\n",
            ".adr-dir": "decisions\n"}[name]
    git_repo.write(".gitignore", "/local.toml\n")
    git_repo.write("local.toml", body)
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    for target in ("local.toml", ".git/config"):
        os.symlink(target, git_repo.path / name)
        expected = (f"tracertm: error: {git_repo.path / name}: a symbolic link to {target!r}, which is no file of "
                    "the repository (missing, ignored by git, or another link); link to the file itself, or put the "
                    "file in its place\n")
        for args in (("check", str(git_repo.path)), ("sync", str(git_repo.path), "--dry-run")):
            proc = run_cli(*args)
            assert (proc.returncode, proc.stderr) == (2, expected), (target, args)
        git_repo.git("add", "-A")
        proc = run_cli("check", "--staged", str(git_repo.path))
        assert (proc.returncode, proc.stderr) == (2, expected), target
        os.remove(git_repo.path / name)
        git_repo.git("add", "-A")
    # An untracked file git does not ignore is the repository's (what git add -A adds): followed, as before.
    git_repo.write("config/local.toml", body)
    os.symlink("config/local.toml", git_repo.path / name)
    proc = run_cli("check", str(git_repo.path))
    assert proc.returncode != 2 and "symbolic link" not in proc.stderr, proc.stderr


def test_backfill_reads_a_linked_config_at_each_commit(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("config/tracertm.toml", 'adr_paths = ["decisions/*.md"]\n')
    os.symlink("config/tracertm.toml", git_repo.path / ".tracertm.toml")
    git_repo.write("decisions/0001-use-git.md", adr(1, "Use git"))
    c1 = git_repo.commit("seed", date="2021-01-01T10:00:00+00:00")
    os.remove(git_repo.path / ".tracertm.toml")
    os.symlink("../../elsewhere.toml", git_repo.path / ".tracertm.toml")  # out of the repository for one commit
    c2 = git_repo.commit("linked out", date="2021-06-01T10:00:00+00:00")
    os.remove(git_repo.path / ".tracertm.toml")
    os.symlink("config/tracertm.toml", git_repo.path / ".tracertm.toml")
    git_repo.write("config/tracertm.toml", 'adr_paths = ["architecture/*.md"]\n')  # only the target changes
    git_repo.write("architecture/0001-use-git.md", git_repo.read("decisions/0001-use-git.md"))
    git_repo.remove("decisions/0001-use-git.md")
    c3 = git_repo.commit("one folder", date="2022-01-01T10:00:00+00:00")
    engine = db.make_engine(database_url)
    try:
        result = backfill(git_repo.path, engine=engine, project="p")
        assert [(e.commit, e.diagnostic.path) for e in result.errors] == [(c2, ".tracertm.toml")]
        assert "outside the repository" in result.errors[0].diagnostic.message
        assert adr_history(engine) == {
            "ADR-0001": [("created", 1, c1, "decisions/0001-use-git.md"),
                         ("moved", 1, c3, "architecture/0001-use-git.md")],
        }
    finally:
        engine.dispose()


def _gitlink(repo: GitRepo, path: str) -> None:
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{repo.head()},{path}")


def test_the_hook_leaves_submodule_entries_named_like_spec_files_out(git_repo: GitRepo) -> None:
    git_repo.write("contracts/payments.yaml", contract(1, "Payments"))
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    hooks.install(git_repo.path)
    _gitlink(git_repo, "contracts/sub2.yaml")
    proc = subprocess.run(["git", "commit", "-q", "-m", "submodule"], cwd=git_repo.path, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    _gitlink(git_repo, "docs/adr/0009-sub.md")
    for args in (["check", "--staged"], ["check", "--staged", "--all"]):
        proc = _tracertm(git_repo.path, *args)
        assert proc.returncode == 0 and " 0 errors" in proc.stderr, (args, proc.stderr)
