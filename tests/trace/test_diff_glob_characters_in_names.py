"""``tracertm diff`` of a file whose name holds a glob character (``[``, ``*``, ``?``): git is asked about that file
as a literal pathspec (``git.pathspecs``), as everywhere else. The history method asked ``git rev-list -- PATH``
for the file's last change with the name as a glob: ``contracts/a[bc].yaml`` matched ``contracts/ab.yaml``, whose
later edit hid the broken file's error (exit 0, no error; the parse method said it). Real git repositories, SQLite
and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from tracertm.trace.diff import diff


def _contract(number: int, title: str) -> str:
    return f"id: CTR-{number:04d}\ntitle: {title}\ntype: service\nstatus: draft\n"


@pytest.mark.parametrize("method", ["parse", "history"])
@pytest.mark.parametrize("weird", ["contracts/a[bc].yaml", "contracts/a*.yaml", "contracts/a?.yaml"])
def test_a_broken_file_named_with_a_glob_character_is_an_error_by_both_methods(
        git_repo: GitRepo, engine: Any, database_url: str, weird: str, method: str) -> None:
    from tracertm.history.backfill import backfill

    git_repo.write(weird, _contract(1, "Weird"))
    git_repo.write("contracts/ab.yaml", _contract(2, "Plain"))
    first = git_repo.commit("c1")
    git_repo.write(weird, _contract(1, "Weird") + "bad: [\n")
    git_repo.commit("c2: break the weird one")
    git_repo.write("contracts/ab.yaml", _contract(2, "Plain2"))  # the later change the glob also names
    last = git_repo.commit("c3")
    backfill(git_repo.path, engine=engine)

    result = diff(git_repo.path, first, last, method=method, database_url=database_url)
    assert [(c.action, c.id) for c in result.changes] == [("updated", "CTR-0002")]
    assert [d.path for d in result.errors] == [weird], result.errors
    assert "YAML syntax error" in result.errors[0].message
