"""Project identity in shallow clones (``git clone --depth N``, the default of CI checkouts): the history is cut at a
boundary that ``git rev-list --max-parents=0`` reports as a root, and each clone's boundary differs. The true root
is then unknown: it is never stored, and a shallow clone that lacks the stored root cannot be told apart from
another repository, so it is accepted under its name rather than refused. On real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import adr
from tracertm import db, fastpath
from tracertm.cli import main
from tracertm.models import ADR, Project

URL = "https://example.com/acme/payments.git"  # every clone's origin: every one is project "acme/payments"
NAME = "acme/payments"


def _origin(parent: Path, title: str = "Use X") -> GitRepo:
    """A repository of three commits (a depth-1 clone's boundary is not its root), named after its remote."""
    repo = GitRepo(parent / "payments")
    repo.path.mkdir(parents=True)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "commit.gpgsign", "false")
    for i in (1, 2, 3):
        repo.write("docs/adr/0001-use-x.md", adr(1, title, extra=f"\nedit {i}\n"))
        repo.commit(f"c{i}")
    repo.git("remote", "add", "origin", URL)
    return repo


def _clone(origin: GitRepo, dest: Path, depth: int | None = None) -> GitRepo:
    """A clone of ``origin`` (shallow with ``depth``: a local path would ignore ``--depth``, a file:// URL not)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    GitRepo(dest.parent).git("clone", "-q", *(["--depth", str(depth)] if depth else []),
                             f"file://{origin.path}", str(dest))
    clone = GitRepo(dest)
    clone.git("config", "commit.gpgsign", "false")
    clone.git("remote", "set-url", "origin", URL)
    assert clone.git("rev-parse", "--is-shallow-repository") == ("true" if depth else "false")
    return clone


def _sync(repo: GitRepo, url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["sync", str(repo.path), "--database-url", url, "--ref", "HEAD"])
    return code, capsys.readouterr().err


def _projects(url: str) -> list[tuple[str, str | None]]:
    engine = db.make_engine(url)
    try:
        with db.session(engine) as s:
            return [(p.name, p.root_commit) for p in s.execute(select(Project).order_by(Project.name)).scalars()]
    finally:
        engine.dispose()


def _titles(url: str) -> list[str]:
    engine = db.make_engine(url)
    try:
        with db.session(engine) as s:
            return sorted(s.execute(select(ADR.title)).scalars())
    finally:
        engine.dispose()


def _has(repo: GitRepo, sha: str) -> bool:
    proc = subprocess.run(["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=repo.path, capture_output=True)
    return proc.returncode == 0


def _root(repo: GitRepo) -> str:
    return repo.git("rev-list", "--max-parents=0", "HEAD")


def test_a_shallow_ci_clone_syncs_into_the_project_of_its_full_clone(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = _origin(tmp_path / "dev")
    assert _sync(origin, database_url, capsys)[0] == 0
    root = _root(origin)
    ci = _clone(origin, tmp_path / "ci" / "payments", depth=1)
    assert not _has(ci, root)  # what the old check took for "another repository"
    ci.write("docs/adr/0001-use-x.md", adr(1, "Use X, edited in CI"))
    ci.commit("ci edit")
    code, err = _sync(ci, database_url, capsys)
    assert code == 0, err
    assert _projects(database_url) == [(NAME, root)]  # the same project, its identity unchanged
    assert _titles(database_url) == ["Use X, edited in CI"]
    # A no-op of the same clone is proven by the fast path: the stored root's absence disproves nothing.
    assert isinstance(fastpath.attempt(ci.path, ref="HEAD", database_url=database_url), fastpath.NoopSync)
    # A shallow clone deep enough to hold the stored root is checked as before: it holds it, it matches.
    deep = _clone(origin, tmp_path / "deep" / "payments", depth=3)
    assert _sync(deep, database_url, capsys)[0] == 0
    assert _projects(database_url) == [(NAME, root)]


def test_shallow_first_syncs_store_no_root_and_a_full_clone_fills_it_in(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = _origin(tmp_path / "dev")
    first = _clone(origin, tmp_path / "ci1" / "payments", depth=1)
    code, err = _sync(first, database_url, capsys)
    assert code == 0, err
    assert _projects(database_url) == [(NAME, None)]  # the boundary is not the root: nothing stored
    origin.write("docs/adr/0002-use-y.md", adr(2, "Use Y"))
    origin.commit("c4")
    second = _clone(origin, tmp_path / "ci2" / "payments", depth=1)
    assert second.git("rev-list", "--max-parents=0", "HEAD") != first.git("rev-list", "--max-parents=0", "HEAD")
    code, err = _sync(second, database_url, capsys)  # another boundary: still the same project
    assert code == 0, err
    assert _projects(database_url) == [(NAME, None)]
    assert _titles(database_url) == ["Use X", "Use Y"]
    # Its no-op is proven by the fast path: a shallow clone adopts no root, so the engine would write nothing more.
    assert isinstance(fastpath.attempt(second.path, ref="HEAD", database_url=database_url), fastpath.NoopSync)
    full = _clone(origin, tmp_path / "full" / "payments")
    assert _sync(full, database_url, capsys)[0] == 0
    assert _projects(database_url) == [(NAME, _root(origin))]  # the real root, once a clone has it
    # Shallow clones still sync into it afterwards (the stored root is absent from them).
    second.write("docs/adr/0002-use-y.md", adr(2, "Use Y, edited in CI"))
    second.commit("ci edit")
    code, err = _sync(second, database_url, capsys)
    assert code == 0, err
    assert _projects(database_url) == [(NAME, _root(origin))]
    assert _titles(database_url) == ["Use X", "Use Y, edited in CI"]


def test_another_repository_with_the_same_name_is_still_refused(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = _origin(tmp_path / "dev")
    assert _sync(origin, database_url, capsys)[0] == 0
    ci = _clone(origin, tmp_path / "ci" / "payments", depth=1)
    code, err = _sync(ci, database_url, capsys)
    assert code == 0, err
    other = _origin(tmp_path / "other", title="Something else")  # another history, the same remote name
    assert _root(other) != _root(origin)
    code, err = _sync(other, database_url, capsys)
    assert code == 2
    assert "another repository" in err and "--project" in err, err
    assert _projects(database_url) == [(NAME, _root(origin))]
    assert _titles(database_url) == ["Use X"]
