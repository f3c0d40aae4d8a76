"""The git commands a sync runs: a project that already matches its repository is not asked for its root commit —
a walk of the whole first-parent history (``rev-list --max-parents=0``), whose cost grows with the history, on
every sync (every hook, every watch event) of a project whose identity one object lookup had already confirmed —
and a sync through the command line runs each command once (the engine goes on from the fast path's scan)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo, run_cli, sqlite_only
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.git import process


def _spied(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every git command line the code under test starts, from now on."""
    seen: list[list[str]] = []
    real = process._spawn

    def spawn(args: list[str], *rest: Any, **options: Any) -> Any:
        seen.append([str(a) for a in args])
        return real(args, *rest, **options)

    monkeypatch.setattr(process, "_spawn", spawn)
    return seen


def _walks(commands: list[list[str]]) -> list[list[str]]:
    return [c for c in commands if "rev-list" in c and "--max-parents=0" in c]


@sqlite_only  # which git commands run does not depend on the database
def test_only_the_sync_that_creates_the_project_walks_to_the_root_commit(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    first = git_repo.commit("seed")
    engine = db.make_engine(database_url)
    try:
        commands = _spied(monkeypatch)
        sync(git_repo.path, engine=engine)
        assert len(_walks(commands)) == 1, commands  # the project is created with its root commit
        for n in (2, 3):
            git_repo.write(f"docs/adr/{n:04d}-next.md", adr(n, f"Next {n}"))
            git_repo.commit(f"adr {n}")
            commands.clear()
            assert sync(git_repo.path, engine=engine).counts["adr"]["created"] == 1
            assert _walks(commands) == [], commands
            assert any("cat-file" in c for c in commands), "the identity is still checked, by one lookup"
        commands.clear()
        assert not sync(git_repo.path, engine=engine).changed  # a no-op sync too
        assert _walks(commands) == [], commands
        from tracertm.models import Project

        with db.session(engine) as session:
            assert session.query(Project.root_commit).scalar() == first
    finally:
        engine.dispose()


def _repeated(commands: list[list[str]]) -> list[list[str]]:
    from collections import Counter

    return [list(c) for c, n in Counter(tuple(c) for c in commands).items() if n > 1]


@sqlite_only  # which git commands run does not depend on the database
@pytest.mark.parametrize("verb", [("sync",), ("hook", "sync")])
def test_a_sync_that_changes_a_file_reads_the_repository_once(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, verb: tuple[str, ...]
) -> None:
    """The fast path scans the repository and gives up on the changed file; the engine starts from that scan
    (``fastpath.Miss.scanned``) instead of running the same git commands again."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    assert run_cli(*verb).returncode == 0
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git everywhere"))
    git_repo.commit("reword")
    commands = _spied(monkeypatch)
    done = run_cli(*verb)
    assert done.returncode == 0, done.stderr
    assert any("ls-tree" in c or "ls-files" in c for c in commands), commands
    assert _repeated(commands) == [], "\n".join(" ".join(c) for c in commands)
    from tracertm.models import ADR

    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            assert session.query(ADR.title).scalar() == "Use git everywhere"
    finally:
        engine.dispose()


def test_a_scan_of_another_source_is_refused(git_repo: GitRepo, tmp_path: Path) -> None:
    """The engine takes the fast path's scan only for the source it was made of: a work tree's scan is no commit's."""
    from tracertm import fastpath

    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    url = f"sqlite:///{tmp_path / 'absent.db'}"
    miss = fastpath.attempt(git_repo.path, database_url=url)
    assert isinstance(miss, fastpath.Miss) and miss.scanned is not None, miss
    with pytest.raises(AssertionError, match="worktree scan"):
        sync(git_repo.path, ref="HEAD", database_url=url, scanned=miss.scanned)
    assert not (tmp_path / "absent.db").exists()
