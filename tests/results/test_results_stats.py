"""Statistics rules, pure: how rows combine into a scenario's run outcome, the window, flakiness."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tracertm.results.stats import RunOutcome, combined, summarize


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["passed", "skipped", "passed"], "passed"),  # a skipped row does not make the outline unexecuted
        (["skipped", "skipped"], "skipped"),
        (["passed", "failed", "undefined"], "failed"),
        (["passed", "pending"], "pending"),
        (["error", "failed"], "error"),
        ([], "skipped"),
    ],
)
def test_rows_combine_into_one_outcome(statuses: list[str], expected: str) -> None:
    assert combined(statuses) == expected


def _run(day: int, status: str, commit: str = "c", retried: bool = False) -> RunOutcome:
    when = dt.datetime(2026, 1, day, tzinfo=dt.timezone.utc)
    return RunOutcome(uuid.uuid4(), commit, when, status, retried)


def test_window_counts_executed_runs_only() -> None:
    runs = [_run(9, "skipped"), _run(8, "passed", "a"), _run(7, "failed", "b"), _run(6, "passed", "c"),
            _run(5, "failed", "d")]
    stats = summarize(runs, window=3)
    assert stats["pass_rate"] == pytest.approx(2 / 3)
    assert (stats["last_status"], stats["execution_count"], stats["flaky"]) == ("passed", 4, False)
    assert stats["last_executed_at"] == runs[1].when


def test_flaky_same_commit_pass_and_fail_or_retry() -> None:
    assert summarize([_run(2, "passed", "x"), _run(1, "failed", "x")], 20)["flaky"] is True
    assert summarize([_run(2, "passed", "x"), _run(1, "failed", "y")], 20)["flaky"] is False
    assert summarize([_run(1, "passed", "x", retried=True)], 20)["flaky"] is True
    # Outside the window, an old flake no longer counts.
    assert summarize([_run(3, "passed", "z"), _run(2, "passed", "x"), _run(1, "failed", "x")], 1)["flaky"] is False


def test_never_executed() -> None:
    assert summarize([_run(1, "skipped")], 20) == {
        "pass_rate": None, "last_status": None, "last_executed_at": None, "execution_count": 0, "flaky": False}


def test_the_database_combines_a_runs_results_as_combined_does() -> None:
    """``outcomes`` ranks statuses in SQL (MAX of a rank): the same answer as ``combined`` for every mix."""
    from itertools import combinations_with_replacement

    from tracertm.models.test_run import RESULT_STATUS_VALUES
    from tracertm.results.stats import _BY_RANK, _SQL_RANK

    assert set(_SQL_RANK) == set(RESULT_STATUS_VALUES)
    for size in (1, 2, 3):
        for statuses in combinations_with_replacement(RESULT_STATUS_VALUES, size):
            assert _BY_RANK[max(_SQL_RANK[s] for s in statuses)] == combined(list(statuses)), statuses
