"""Links to ADRs after the ADRs of their number change, as an incremental sync leaves them: each reference as
written, on its own line, and the same warning as a sync of the commit into a fresh project (or ``sync --full``).

- A slugged reference (``ADR-0005-use-kafka``) that named ADR-0005 by its number is dangling as written once
  ADR-0005 goes, at its line.
- Two references naming one ADR (``ADR-0005-use-kafka`` on line 9, ``ADR-0005`` on line 11) are one link, at the
  first; once ADR-0005 goes they are two dangling links again, each at its own line (the rows no longer say where
  the second one is: the unchanged ADR file is read again). A first sync (the eager writer) puts the one link at
  the first of them too.
- A plain ``ADR-0005`` left dangling when ADR-0005 goes beside two ``ADR-0005-…`` is said to be ambiguous, naming
  them, as ``sync --full`` says it.
Both by a sync of the work tree and by the watcher's sync of the changed paths alone.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from link_rows import adr_links
from tracertm.engine.sync import sync

KAFKA = "docs/adr/0005-use-kafka.md"
REDIS = "docs/adr/0006-use-redis.md"
KAFKA_TEXT = "# 5. Use Kafka\n\n## Status\n\nAccepted\n\n## Context\n\nWe need a log.\n"


def _redis(*mentions: str) -> str:
    """ADR-0006, each mention on a line of its own: lines 9, 11, 13…"""
    return "# 6. Use Redis\n\n## Status\n\nAccepted\n\n## Context\n\n" + "\n\n".join(
        f"Builds on {m}." for m in mentions) + "\n"


def _links(engine: Any, project: str) -> set[tuple[str, str, bool, int]]:
    """(source, target, resolved, line) of every link of ``project`` to an ADR."""
    return adr_links(engine, project, "source_ref", "target_ref", "resolved", "source_line")


def _warnings(result: Any) -> list[tuple[str, int, str]]:
    return sorted((d.path, d.line, d.message) for d in result.links)


def _both_ways(*params: tuple[str, ...], on_postgresql: tuple[str, ...]) -> list[Any]:
    """Every case on SQLite, ``on_postgresql`` on PostgreSQL too: the cases differ in how the references are written
    and which sync reads them (above the database; the store resolves them by plain equality), and the same store
    path runs on PostgreSQL in
    tests/trace/test_sync_paths_agree.py::test_every_sync_path_stores_one_state_on_postgresql."""
    return [*(pytest.param("sqlite", *case, id="-".join(("sqlite", *case))) for case in params),
            pytest.param("postgresql", *on_postgresql, id="-".join(("postgresql", *on_postgresql)))]


def _sync(repo: GitRepo, engine: Any, how: str, changed: list[str]) -> Any:
    """An incremental sync of the work tree, or the watcher's: of the changed paths alone."""
    return sync(repo.path, engine=engine, project="p", paths=changed if how == "paths" else None)


def _as_fresh(repo: GitRepo, engine: Any, result: Any) -> None:
    """The incremental sync left what a sync of the commit into a fresh project leaves, and what the first sync of
    the work tree leaves; its warnings are theirs; ``sync --full`` changes nothing."""
    fresh = sync(repo.path, engine=engine, project="fresh", ref="HEAD")
    first = sync(repo.path, engine=engine, project="first")
    assert _links(engine, "p") == _links(engine, "fresh") == _links(engine, "first")
    assert _warnings(result) == _warnings(fresh) == _warnings(first)
    full = sync(repo.path, engine=engine, project="p", full=True)
    assert _links(engine, "p") == _links(engine, "fresh")
    assert _warnings(full) == _warnings(fresh)


@pytest.mark.parametrize(("database_url", "how"), _both_ways(("worktree",), ("paths",), on_postgresql=("paths",)),
                         indirect=["database_url"])
def test_a_slugged_reference_is_dangling_as_written(git_repo: GitRepo, engine: Any, how: str) -> None:
    git_repo.write(KAFKA, KAFKA_TEXT)
    git_repo.write(REDIS, _redis("ADR-0005-use-kafka"))
    git_repo.commit("ADR-0006 names ADR-0005 by a slug")
    sync(git_repo.path, engine=engine, project="p")
    assert _links(engine, "p") == {("ADR-0006", "ADR-0005", True, 9)}

    git_repo.remove(KAFKA)
    git_repo.commit("ADR-0005 goes")
    result = _sync(git_repo, engine, how, [KAFKA])
    assert _links(engine, "p") == {("ADR-0006", "ADR-0005-use-kafka", False, 9)}
    assert _warnings(result) == [(REDIS, 9, "dangling link: ADR-0006 related ADR-0005-use-kafka, which is not a live "
                                            "ADR of this project; fix the reference or add the ADR")]
    _as_fresh(git_repo, engine, result)


@pytest.mark.parametrize(("database_url", "order", "how"), _both_ways(
    *((order, how) for order in ("slug first", "plain first") for how in ("worktree", "paths")),
    on_postgresql=("slug first", "paths")), indirect=["database_url"])
def test_two_references_to_one_adr_are_each_at_their_line(
    git_repo: GitRepo, engine: Any, how: str, order: str
) -> None:
    mentions = ("ADR-0005-use-kafka", "ADR-0005") if order == "slug first" else ("ADR-0005", "ADR-0005-use-kafka")
    git_repo.write(KAFKA, KAFKA_TEXT)
    git_repo.write(REDIS, _redis(*mentions))
    git_repo.commit("ADR-0006 names ADR-0005 twice")
    sync(git_repo.path, engine=engine, project="p")  # (a first sync: the eager writer)
    assert _links(engine, "p") == {("ADR-0006", "ADR-0005", True, 9)}  # one link, at the first reference
    sync(git_repo.path, engine=engine, project="commit", ref="HEAD")
    assert _links(engine, "commit") == _links(engine, "p")

    git_repo.remove(KAFKA)
    git_repo.commit("ADR-0005 goes")
    result = _sync(git_repo, engine, how, [KAFKA])
    assert _links(engine, "p") == {("ADR-0006", mentions[0], False, 9), ("ADR-0006", mentions[1], False, 11)}
    assert [(path, line) for path, line, _ in _warnings(result)] == [(REDIS, 9), (REDIS, 11)]
    _as_fresh(git_repo, engine, result)

    git_repo.write(KAFKA, KAFKA_TEXT)
    git_repo.commit("ADR-0005 is back")
    result = _sync(git_repo, engine, how, [KAFKA])
    assert _links(engine, "p") == {("ADR-0006", "ADR-0005", True, 9)}
    assert _warnings(result) == []


@pytest.mark.parametrize(("database_url", "how"), _both_ways(("worktree",), ("paths",), on_postgresql=("worktree",)),
                         indirect=["database_url"])
def test_a_plain_reference_left_ambiguous_says_so(git_repo: GitRepo, engine: Any, how: str) -> None:
    slugged = {"docs/adr/0005-use-a.md": "ADR-0005-use-a", "docs/adr/0005-use-b.md": "ADR-0005-use-b"}
    git_repo.write(KAFKA, KAFKA_TEXT)
    for path, identifier in slugged.items():
        git_repo.write(path, f"---\nid: {identifier}\nstatus: accepted\n---\n\n# {identifier}\n\n## Context\n\nC.\n")
    git_repo.write(REDIS, _redis("ADR-0005"))
    git_repo.write("features/pay.feature", "@FEAT-1 @ADR-5\nFeature: Pay\n\n  @SC-1\n  Scenario: one\n    Given x\n")
    git_repo.commit("ADR-0005 and two ADR-0005-…")
    sync(git_repo.path, engine=engine, project="p")

    git_repo.remove(KAFKA)
    git_repo.commit("ADR-0005 goes")
    result = _sync(git_repo, engine, how, [KAFKA])
    ambiguous = ("which is ambiguous: ADR-0005-use-a and ADR-0005-use-b have that number; write the full id of the "
                 "one meant")
    assert _warnings(result) == [
        (REDIS, 9, f"dangling link: ADR-0006 related ADR-0005, {ambiguous}"),
        ("features/pay.feature", 1, f"dangling link: FEAT-1 implements ADR-0005, {ambiguous}"),
        ("features/pay.feature", 1, f"dangling link: FEAT-1/SC-1 implements ADR-0005, {ambiguous}"),
    ]
    _as_fresh(git_repo, engine, result)
