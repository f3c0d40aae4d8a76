"""A first sync's match rows inserted while the features parse (tracertm.steps.eagerrows, the eager writer's step
hook) leave exactly what matching after the parse leaves, on SQLite and PostgreSQL: the same
``scenario_step_matches``, usage counts, step trace links and warnings as the parent matching everything itself and
as the workers' matching written after the parse (the hook off). Rows the refresh does not take as they are (the
workers' matching does not stand) are compared like any stored rows, wrong ones corrected; rows of an eager write
that is rolled back are not trusted. A dry run matches no steps."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from test_match_diff import _difference
from test_prematch import _cold, _repo, _spy
from tracertm.engine import sync as sync_module
from tracertm.engine.parse import PARALLEL_THRESHOLD
from tracertm.engine.sync import sync
from tracertm.steps import eagerrows
from tracertm.steps import links as links_module

SCENARIOS = 2 * (PARALLEL_THRESHOLD + 10) + 4  # of _repo's features


def _hooks(monkeypatch: pytest.MonkeyPatch) -> list[eagerrows.EagerMatchRows]:
    """Every step hook a sync made."""
    made: list[eagerrows.EagerMatchRows] = []
    real = eagerrows.EagerMatchRows.__init__

    def init(self: eagerrows.EagerMatchRows, *args: Any) -> None:
        real(self, *args)
        made.append(self)

    monkeypatch.setattr(eagerrows.EagerMatchRows, "__init__", init)
    return made


def _parent(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """The reference: no matching in the workers, every scenario matched after the parse by the parent."""
    with monkeypatch.context() as m:
        m.setattr(sync_module, "_steps_first", lambda snapshot, changed: [])
        return _cold(git_repo, database_url, "parent", jobs=2)


@pytest.mark.parametrize("jobs", [1, 2])
def test_rows_written_while_parsing_equal_matching_after_the_parse(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    _repo(git_repo)
    parent = _parent(git_repo, database_url, monkeypatch)
    hooks = _hooks(monkeypatch)
    used = _spy(monkeypatch)
    eager = _cold(git_repo, database_url, "eager", jobs=jobs)
    assert len(hooks[0].written) == SCENARIOS and hooks[0].inserted == len(parent[0]["matches"])
    assert used == [SCENARIOS]
    assert eager == parent, _difference(eager[0], parent[0])
    with monkeypatch.context() as m:  # the previous path: the workers' rows, written after the parse
        m.setattr(eagerrows.EagerMatchRows, "add", lambda self, outcome: None)
        after = _cold(git_repo, database_url, "after", jobs=jobs)
    assert hooks[1].inserted == 0
    assert after == eager, _difference(after[0], eager[0])


@pytest.mark.parametrize("corrupt", [False, True])
def test_rows_the_refresh_does_not_take_are_compared_not_trusted(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, corrupt: bool
) -> None:
    """The parent matches everything itself (as when the workers' digest differs from its own): the stored eager
    rows are then only what is stored, and whatever differs in them is rewritten."""
    _repo(git_repo)
    parent = _parent(git_repo, database_url, monkeypatch)
    hooks = _hooks(monkeypatch)
    monkeypatch.setattr(links_module, "prematched", lambda results, key: None)
    if corrupt:  # every eager row one line off: only the refresh's comparison can put them right
        real = eagerrows.EagerMatchRows._rekeyed

        def off(rows: Any, ids: Any, keys: Any) -> Any:
            found = real(rows, ids, keys)
            return None if found is None else [(r[0], r[1], r[2] + 1, *r[3:]) for r in found]

        monkeypatch.setattr(eagerrows.EagerMatchRows, "_rekeyed", staticmethod(off))
    eager = _cold(git_repo, database_url, "eager", jobs=2)
    assert len(hooks[0].written) == SCENARIOS
    assert eager == parent, _difference(eager[0], parent[0])


def test_rows_of_a_rolled_back_eager_write_are_not_trusted(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan disagrees with the eager rows (forced here): they go, match rows included, and apply's records get
    their rows from the refresh."""
    from tracertm.engine.eager import EagerWriter

    _repo(git_repo)
    parent = _parent(git_repo, database_url, monkeypatch)
    hooks = _hooks(monkeypatch)
    monkeypatch.setattr(EagerWriter, "_mismatch", lambda self, plan: "forced")
    eager = _cold(git_repo, database_url, "eager", jobs=2)
    assert hooks[0].inserted > 0
    assert eager == parent, _difference(eager[0], parent[0])


def test_a_dry_run_matches_no_steps(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracertm.steps import prematch

    _repo(git_repo)

    def never(*args: Any) -> Any:
        raise AssertionError("a dry run matched steps")

    monkeypatch.setattr(prematch, "matcher", never)
    result = sync(git_repo.path, database_url=database_url, project="dry", jobs=2, dry_run=True)
    assert not result.errors and result.counts["scenario"]["created"] == SCENARIOS
