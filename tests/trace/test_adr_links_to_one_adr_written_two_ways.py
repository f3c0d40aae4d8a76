"""An ADR naming one other ADR two ways (``ADR-0001-use-x`` and ``ADR-0001`` / ``ADR-1`` while ADR-0001-use-x is
the one ADR of number 1), in two relations.

- A ``related`` mention of an ADR that a ``supersedes`` / ``superseded_by`` reference names too is no link of its
  own, whichever way each is written: the de-duplication follows what the references name, not how they are
  spelled. Once that ADR goes, each reference is dangling as written, at its line (two ids, two links).
- Two relations naming one ADR (``Supersedes ADR-0001`` on line 11, ``Superseded by ADR-0001-use-x`` on line 13)
  are two links, each at the first reference of its own type.

The same after the first sync of a work tree (the eager writer), an incremental sync (of the work tree or of the
changed paths, as the watcher syncs), a sync of the commit into a fresh project, ``sync --full`` and a backfill.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm.engine.links import LINKS
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Project

X = "docs/adr/0001-use-x.md"
Z = "docs/adr/0002-use-z.md"
X_TEXT = "---\nid: ADR-0001-use-x\nstatus: accepted\n---\n\n# Use x\n\n## Context\n\nC.\n"


def _z(first: str, second: str = "", context: str = "C.") -> str:
    """ADR-0002-use-z: relation lines ``first`` (line 11) and ``second`` (line 13) in its Status section, its
    ``context`` on line 17."""
    return (f"---\nid: ADR-0002-use-z\n---\n\n# Use z\n\n## Status\n\nAccepted\n\n{first}\n\n{second}\n\n"
            f"## Context\n\n{context}\n")


def _links(engine: Any, project: str) -> set[tuple[str, str, bool, int]]:
    """(type, target, resolved, line) of every link of ``project`` to an ADR (all of them ADR-0002-use-z's)."""
    t = LINKS.c
    with engine.connect() as conn:
        pid = conn.execute(select(Project.id).where(Project.name == project)).scalar_one()
        rows = conn.execute(select(t.source_ref, t.link_type, t.target_ref, t.target_id, t.source_line)
                            .where(t.project_id == pid, t.target_kind == "adr")).all()
    assert {r.source_ref for r in rows} <= {"ADR-0002-use-z"}
    return {(r.link_type, r.target_ref, r.target_id is not None, r.source_line) for r in rows}


def _warnings(result: Any) -> list[tuple[str, int, str]]:
    return sorted((d.path, d.line, d.message) for d in result.links)


def _same_everywhere(repo: GitRepo, engine: Any, step: str) -> None:
    """What the incremental syncs left in ``p`` is what a sync of the commit into a fresh project, the first sync of
    the work tree, a backfill and ``sync --full`` leave."""
    fresh = sync(repo.path, engine=engine, project=f"fresh {step}", ref="HEAD")
    first = sync(repo.path, engine=engine, project=f"first {step}")
    backfill(repo.path, engine=engine, project=f"backfill {step}")
    assert _links(engine, "p") == _links(engine, f"fresh {step}") == _links(engine, f"first {step}") \
        == _links(engine, f"backfill {step}"), step
    assert _warnings(fresh) == _warnings(first), step
    sync(repo.path, engine=engine, project="p", full=True)
    assert _links(engine, "p") == _links(engine, f"fresh {step}"), step


def _steps(repo: GitRepo, engine: Any, z_text: str, how: str, expected: dict[str, set[Any]]) -> None:
    """ADR-0001-use-x, then ADR-0002-use-z beside it, then ADR-0001-use-x gone, then back: after each, the links
    ``expected`` names, in every way of syncing."""
    repo.write(X, X_TEXT)
    repo.commit("ADR-0001-use-x")
    sync(repo.path, engine=engine, project="p")
    for step, change in (("z comes", lambda: repo.write(Z, z_text)), ("x goes", lambda: repo.remove(X)),
                         ("x is back", lambda: repo.write(X, X_TEXT))):
        change()
        repo.commit(step)
        changed = Z if step == "z comes" else X
        sync(repo.path, engine=engine, project="p", paths=[changed] if how == "paths" else None)
        assert _links(engine, "p") == expected[step], step
        _same_everywhere(repo, engine, step)


def _both(link_type: str, line: int) -> dict[str, set[Any]]:
    """One link of ``link_type`` to ADR-0001-use-x at ``line`` while it is there."""
    return {"z comes": {(link_type, "ADR-0001-use-x", True, line)},
            "x is back": {(link_type, "ADR-0001-use-x", True, line)}}


# The de-duplication of ``related`` beside a stronger link to the same ADR, written another way.
DUPLICATES = {
    "supersedes a slug, mentions ADR-1": (
        _z("Supersedes ADR-0001-use-x", context="Builds on ADR-1."), "worktree",
        {**_both("supersedes", 11), "x goes": {("supersedes", "ADR-0001-use-x", False, 11),
                                               ("related", "ADR-0001", False, 17)}}),
    "supersedes a slug, mentions ADR-0001": (
        _z("Supersedes ADR-0001-use-x", context="Builds on ADR-0001."), "paths",
        {**_both("supersedes", 11), "x goes": {("supersedes", "ADR-0001-use-x", False, 11),
                                               ("related", "ADR-0001", False, 17)}}),
    "supersedes ADR-0001, mentions the slug": (
        _z("Supersedes ADR-0001", context="Builds on ADR-0001-use-x."), "worktree",
        {**_both("supersedes", 11), "x goes": {("supersedes", "ADR-0001", False, 11),
                                               ("related", "ADR-0001-use-x", False, 17)}}),
    "superseded by ADR-0001, mentions the slug": (
        _z("Superseded by ADR-0001", context="Builds on ADR-0001-use-x."), "paths",
        {**_both("superseded_by", 11), "x goes": {("superseded_by", "ADR-0001", False, 11),
                                                  ("related", "ADR-0001-use-x", False, 17)}}),
}


def _cases(cases: dict[str, Any], on_postgresql: str) -> list[Any]:
    """Every case on SQLite, ``on_postgresql`` on PostgreSQL too: the cases differ in how the references are spelled
    (read above the database; the store resolves them by plain equality), and the same store path runs on
    PostgreSQL in tests/trace/test_sync_paths_agree.py::test_every_sync_path_stores_one_state_on_postgresql."""
    return [*(pytest.param("sqlite", case, id=f"sqlite-{case}") for case in cases),
            pytest.param("postgresql", on_postgresql, id=f"postgresql-{on_postgresql}")]


@pytest.mark.parametrize(("database_url", "case"), _cases(DUPLICATES, "supersedes a slug, mentions ADR-1"),
                         indirect=["database_url"])
def test_a_mention_of_an_adr_a_relation_names_is_no_link_of_its_own(
    git_repo: GitRepo, engine: Any, case: str
) -> None:
    z_text, how, expected = DUPLICATES[case]
    _steps(git_repo, engine, z_text, how, expected)


# Two relations naming one ADR, each written its own way: each link at its own reference.
RELATIONS = {
    "supersedes ADR-0001 first": (_z("Supersedes ADR-0001", "Superseded by ADR-0001-use-x"), "worktree", {
        "z comes": {("supersedes", "ADR-0001-use-x", True, 11), ("superseded_by", "ADR-0001-use-x", True, 13)},
        "x goes": {("supersedes", "ADR-0001", False, 11), ("superseded_by", "ADR-0001-use-x", False, 13)},
        "x is back": {("supersedes", "ADR-0001-use-x", True, 11), ("superseded_by", "ADR-0001-use-x", True, 13)},
    }),
    "supersedes the slug first": (_z("Supersedes ADR-0001-use-x", "Superseded by ADR-0001"), "paths", {
        "z comes": {("supersedes", "ADR-0001-use-x", True, 11), ("superseded_by", "ADR-0001-use-x", True, 13)},
        "x goes": {("supersedes", "ADR-0001-use-x", False, 11), ("superseded_by", "ADR-0001", False, 13)},
        "x is back": {("supersedes", "ADR-0001-use-x", True, 11), ("superseded_by", "ADR-0001-use-x", True, 13)},
    }),
}


@pytest.mark.parametrize(("database_url", "case"), _cases(RELATIONS, "supersedes the slug first"),  # (by paths)
                         indirect=["database_url"])
def test_each_relation_to_one_adr_is_at_its_own_reference(git_repo: GitRepo, engine: Any, case: str) -> None:
    z_text, how, expected = RELATIONS[case]
    _steps(git_repo, engine, z_text, how, expected)
