"""An unchanged ADR that mentions its own number (``ADR-0001-use-x`` saying ``see ADR-0001``) when another ADR of
that number comes or goes.

While it is the one ADR of its number the mention names the ADR itself: no link. Once ``ADR-0001-use-y`` is beside
it, ``ADR-0001`` is ambiguous (as ``check`` says it, and as a sync into a fresh project stores it): a dangling
``related`` link at the mention's line, warned about as ambiguous; once a plain ``ADR-0001`` is there, it names
that one. An incremental sync (of the work tree, or the watcher's of the changed paths alone) finds such an ADR
although no link of it names the number, and leaves what a sync of the commit into a fresh project, the first sync
of the work tree, ``sync --full`` and a backfill leave.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from link_rows import adr_links
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill

X = "docs/adr/0001-use-x.md"
Y = "docs/adr/0001-use-y.md"
PLAIN = "docs/adr/0001-plain.md"


def _adr(identifier: str, context: str = "Context.") -> str:
    """An ADR whose context (``context``) is on line 10."""
    return f"---\nid: {identifier}\nstatus: accepted\n---\n\n# {identifier}\n\n## Context\n\n{context}\n"


X_TEXT = _adr("ADR-0001-use-x", "See ADR-0001 for the rest.")
AMBIGUOUS = ("which is ambiguous: ADR-0001-use-x and ADR-0001-use-y have that number; write the full id of the "
             "one meant")


def _links(engine: Any, project: str) -> set[tuple[str, str, str, bool, int]]:
    """(source, type, target, resolved, line) of every link of ``project`` to an ADR."""
    return adr_links(engine, project, "source_ref", "link_type", "target_ref", "resolved", "source_line")


def _warnings(result: Any) -> list[tuple[str, int, str]]:
    return sorted((d.path, d.line, d.message) for d in result.links)


def _same_everywhere(repo: GitRepo, engine: Any, result: Any, step: str) -> None:
    """The incremental sync left the links (and warned about the dangling ones) a sync of the commit into a fresh
    project, the first sync of the work tree and a backfill leave; ``sync --full`` changes nothing."""
    fresh = sync(repo.path, engine=engine, project=f"fresh {step}", ref="HEAD")
    first = sync(repo.path, engine=engine, project=f"first {step}")
    backfill(repo.path, engine=engine, project=f"backfill {step}")
    assert _links(engine, "p") == _links(engine, f"fresh {step}") == _links(engine, f"first {step}") \
        == _links(engine, f"backfill {step}")
    assert _warnings(result) == _warnings(fresh) == _warnings(first)
    full = sync(repo.path, engine=engine, project="p", full=True)
    assert _links(engine, "p") == _links(engine, f"fresh {step}")
    assert _warnings(full) == _warnings(fresh)


def _sync(repo: GitRepo, engine: Any, how: str, changed: str) -> Any:
    """An incremental sync of the work tree, or the watcher's: of the changed path alone."""
    return sync(repo.path, engine=engine, project="p", paths=[changed] if how == "paths" else None)


def _ways(on_postgresql: str) -> list[Any]:
    """Both ways on SQLite, ``on_postgresql`` on PostgreSQL too: the two ways differ in which paths the sync is told
    of (git handling, above the database); both reach the one store query that finds an ADR by its number (a
    ``LIKE`` on both dialects), which every test here runs on PostgreSQL by one way or the other."""
    return [*(pytest.param("sqlite", how, id=f"sqlite-{how}") for how in ("worktree", "paths")),
            pytest.param("postgresql", on_postgresql, id=f"postgresql-{on_postgresql}")]


@pytest.mark.parametrize(("database_url", "how"), _ways("paths"), indirect=["database_url"])
def test_a_second_adr_of_its_number_makes_its_own_number_ambiguous(git_repo: GitRepo, engine: Any, how: str) -> None:
    git_repo.write(X, X_TEXT)
    git_repo.commit("ADR-0001-use-x mentions ADR-0001")
    assert _warnings(sync(git_repo.path, engine=engine, project="p")) == []
    assert _links(engine, "p") == set()  # (itself)

    git_repo.write(Y, _adr("ADR-0001-use-y"))
    git_repo.commit("ADR-0001-use-y comes")
    result = _sync(git_repo, engine, how, Y)
    assert _links(engine, "p") == {("ADR-0001-use-x", "related", "ADR-0001", False, 10)}
    assert _warnings(result) == [(X, 10, f"dangling link: ADR-0001-use-x related ADR-0001, {AMBIGUOUS}")]
    _same_everywhere(git_repo, engine, result, "two")

    git_repo.remove(Y)
    git_repo.commit("ADR-0001-use-y goes")
    result = _sync(git_repo, engine, how, Y)
    assert _links(engine, "p") == set()
    assert _warnings(result) == []
    _same_everywhere(git_repo, engine, result, "one again")


@pytest.mark.parametrize(("database_url", "how"), _ways("worktree"), indirect=["database_url"])
def test_a_plain_adr_of_its_number_is_what_its_own_number_names(git_repo: GitRepo, engine: Any, how: str) -> None:
    git_repo.write(X, X_TEXT)
    git_repo.commit("ADR-0001-use-x mentions ADR-0001")
    sync(git_repo.path, engine=engine, project="p")

    git_repo.write(PLAIN, _adr("ADR-0001"))
    git_repo.commit("a plain ADR-0001 comes")
    result = _sync(git_repo, engine, how, PLAIN)
    assert _links(engine, "p") == {("ADR-0001-use-x", "related", "ADR-0001", True, 10)}
    _same_everywhere(git_repo, engine, result, "plain")

    git_repo.remove(PLAIN)
    git_repo.commit("the plain ADR-0001 goes")
    result = _sync(git_repo, engine, how, PLAIN)
    assert _links(engine, "p") == set()
    assert _warnings(result) == []
    _same_everywhere(git_repo, engine, result, "no plain")


@pytest.mark.parametrize(("database_url", "how"), _ways("paths"), indirect=["database_url"])
def test_a_plain_adr_naming_its_number_with_a_slug(git_repo: GitRepo, engine: Any, how: str) -> None:
    """``ADR-0001`` saying ``ADR-0001-use-x`` names itself while no ``ADR-0001-use-x`` exists; that ADR once it
    comes."""
    git_repo.write(PLAIN, _adr("ADR-0001", "See ADR-0001-use-x for the rest."))
    git_repo.commit("ADR-0001 mentions ADR-0001-use-x")
    sync(git_repo.path, engine=engine, project="p")
    assert _links(engine, "p") == set()

    git_repo.write(X, _adr("ADR-0001-use-x"))
    git_repo.commit("ADR-0001-use-x comes")
    result = _sync(git_repo, engine, how, X)
    assert _links(engine, "p") == {("ADR-0001", "related", "ADR-0001-use-x", True, 10)}
    _same_everywhere(git_repo, engine, result, "slugged")
