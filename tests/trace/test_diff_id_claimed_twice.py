"""``tracertm diff`` and an id two files claim (README "How sync decides": Conflicts): the file already known keeps
it and the other file is in error; when the known file goes away, the other takes the id over as a ``moved``
revision, never a delete. Both methods say what sync and backfill record (README, ``diff``: "paired as sync pairs
them, by both methods"), also when the other claimant is a file both commits hold alike, which the parse method
does not read otherwise.

Found by an audit: parsing only the files that differ, the newcomer's ADR was ``created`` where the other file
kept it, and the known file's deletion was a ``deleted``; the history method took the newcomer for broken at a
later commit (its duplicate-id error was met when it last changed) and said nothing of the ``moved`` ADR. Real git
repositories, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from tracertm.trace.diff import diff


def _adr(title: str, status: str) -> str:
    return f"# {title}\n\n## Status\n\n{status}\n\n## Decision\n\n{title.split()[-1]}.\n"


# (the file known first, the newcomer): each claims ADR-0001 by its name or by its H1's number. In the second, the
# newcomer comes first by path and the known file claims the id by its content only (found by ``git grep``).
LAYOUTS = [
    ("docs/adr/0001-use-git.md", "docs/adr/0001-use-svn.md"),
    ("docs/adr/use-git.md", "docs/adr/0001-use-svn.md"),
]


def _changes(result: Any) -> list[tuple[Any, ...]]:
    return [(c.action, c.kind, c.id, c.path, c.from_path, c.fields) for c in result.changes]


def _errors(result: Any) -> list[str]:
    return [f"{d.path}: {d.message}" for d in result.errors]


@pytest.mark.parametrize("method", ["parse", "history"])
@pytest.mark.parametrize(("known", "newcomer"), LAYOUTS)
def test_the_known_file_keeps_the_id_and_the_newcomer_takes_it_over_in_both_methods(
        git_repo: GitRepo, engine: Any, database_url: str, known: str, newcomer: str, method: str) -> None:
    from tracertm.history.backfill import backfill

    git_repo.write(known, _adr("1. Use git", "Accepted"))
    a = git_repo.commit("A")
    git_repo.write(newcomer, _adr("1. Use svn", "Proposed"))
    b = git_repo.commit("B")  # a conflict: the known file keeps ADR-0001, the newcomer is in error
    git_repo.remove(known)
    c = git_repo.commit("C")  # the newcomer takes ADR-0001 over: moved
    backfill(git_repo.path, engine=engine)

    lost = (f"{newcomer}: at {b[:12]}: adr ADR-0001 is already defined in {known}; give one of them another id "
            f"(kept {known})")
    moved = [("moved", "adr", "ADR-0001", newcomer, known, ("decision", "metadata", "status", "title"))]
    ab = diff(git_repo.path, a, b, method=method, database_url=database_url)
    bc = diff(git_repo.path, b, c, method=method, database_url=database_url)
    ac = diff(git_repo.path, a, c, method=method, database_url=database_url)
    assert (ab.method, bc.method, ac.method) == (method,) * 3
    assert (_changes(ab), _errors(ab)) == ([], [lost])
    assert (_changes(bc), _errors(bc)) == (moved, [])
    assert (_changes(ac), _errors(ac)) == (moved, [])


@pytest.mark.parametrize("method", ["parse", "history"])
def test_a_newcomer_that_still_loses_the_id_is_reported_at_each_commit(
        git_repo: GitRepo, engine: Any, database_url: str, method: str) -> None:
    """A conflict the revisions do not show resolved stands at a later commit (the newcomer, unchanged since, is
    still in error), and the known file's edit is an edit of the record in both methods."""
    from tracertm.history.backfill import backfill

    known, newcomer = "docs/adr/0001-use-git.md", "docs/adr/0001-use-svn.md"
    git_repo.write(known, _adr("1. Use git", "Accepted"))
    a = git_repo.commit("A")
    git_repo.write(newcomer, _adr("1. Use svn", "Proposed"))
    b = git_repo.commit("B")
    git_repo.write(known, _adr("1. Use git", "Deprecated"))
    c = git_repo.commit("C")
    backfill(git_repo.path, engine=engine)

    lost = f"{newcomer}: at {c[:12]}: adr ADR-0001 is already defined in {known}; give one of them another id"
    updated = [("updated", "adr", "ADR-0001", known, None, ("metadata", "status"))]
    ac = diff(git_repo.path, a, c, method=method, database_url=database_url)
    bc = diff(git_repo.path, b, c, method=method, database_url=database_url)
    assert (ac.method, bc.method) == (method, method)
    assert _changes(ac) == updated
    assert [e.startswith(lost) for e in _errors(ac)] == [True]
    assert (_changes(bc), _errors(bc)) == (updated, [])


def test_the_known_file_is_found_by_its_literal_name(git_repo: GitRepo, database_url: str) -> None:
    """Which file was added first is asked of git with the name taken literally: ``contracts/a[bc].yaml`` as a
    glob matched ``contracts/ab.yaml`` (added later), and the parse method gave the id to the newcomer."""
    contract = "id: CTR-0001\ntitle: {}\ntype: service\nstatus: draft\n"
    git_repo.write("contracts/a[bc].yaml", contract.format("A"))
    git_repo.commit("c1")
    git_repo.write("contracts/z.yaml", contract.format("Z"))
    git_repo.commit("c2")
    git_repo.write("contracts/ab.yaml", contract.replace("0001", "0002").format("B"))
    git_repo.commit("c3")
    git_repo.write("contracts/z.yaml", contract.format("Z2"))
    git_repo.commit("c4")
    found = diff(git_repo.path, "HEAD~1", "HEAD", method="parse", database_url=database_url)
    assert _changes(found) == []
    assert {e.split(": at ")[0] for e in _errors(found)} == {"contracts/z.yaml"}  # at each commit
