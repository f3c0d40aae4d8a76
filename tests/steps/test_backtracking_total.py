"""A definition's time budget holds for all its matches together, not only each one (tracertm.steps.bounded.TOTAL):
``^(a|aa)+$`` against many distinct steps that each take it a few hundredths of a second — far below the budget of
one match — ran for minutes in ``check``, ``steps`` and ``sync`` (0.25 s each on 1,000 steps) and was never
reported. Now it is reported at its line and skipped once its matches have taken ``TOTAL`` seconds in all, like a
definition over the budget of one match; each parse worker gets its share of the total, so ``sync``, whichever
process matched, says what ``check`` says.

``TOTAL`` is cut to 0.1 s here: the steps below take the pattern about 1 s in all (at least 0.5 s on a fast
machine), so the old code fails the assertions, within a few seconds, instead of the suite waiting minutes."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from tracertm import db
from tracertm.checker import check
from tracertm.engine import parse
from tracertm.engine.sync import sync
from tracertm.steps import bounded, prematch
from tracertm.steps import links as links_module
from tracertm.steps.packed import match_rows
from tracertm.steps.project import analyze

STEPS_PATH = "features/step_definitions/slow.js"
STEPS = ("const { Given, When } = require('@cucumber/cucumber');\n"
         "Given(/^(a|aa)+$/, function slow() {});\n"
         "When('the customer pays', function pays() {});\n")
FILES, PER_FILE = 10, 6  # 60 distinct steps, each some 10 to 40 ms of backtracking (2^22 ways to read its a's)


def _step(file: int, n: int) -> str:
    return "a" * 22 + f"b{file}x{n}"


@pytest.fixture(autouse=True)
def _small_total(monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget of a definition's matches in all cut to 0.1 s (``raising=False``: the old code has none), and the
    parse pool started from 8 files, so that sync matches the steps in its workers."""
    monkeypatch.setattr(bounded, "TOTAL", 0.1, raising=False)
    monkeypatch.setattr(parse, "PARALLEL_THRESHOLD", 8)


def _project(repo: GitRepo) -> None:
    for f in range(FILES):
        steps = "".join(f"    Given {_step(f, n)}\n" for n in range(PER_FILE))
        repo.write(f"features/f{f}.feature", f"Feature: F{f}\n  Scenario: s{f}\n{steps}    When the customer pays\n")
    repo.write(STEPS_PATH, STEPS)
    repo.commit("a regex slow on every step, none of them over the budget of one match")


def _in_all(message: str) -> bool:
    # The step named is the one being matched when the total ran out: one of the slow ones, unless a pause of the
    # process (a shared CI machine) landed in the cheap match of 'the customer pays' right after them.
    return (("took over 0.1 s in all to match the steps up to 'aaaaaaaaaaaaaaaaaaaaaab" in message
             or "took over 0.1 s in all to match the steps up to 'the customer pays'" in message)
            and "catastrophic backtracking" in message and "\n" not in message)


@pytest.mark.timeout(60)
def test_steps_and_check_report_a_definition_slow_in_all_its_matches(git_repo: GitRepo) -> None:
    _project(git_repo)
    report = analyze(git_repo.path)
    assert [(e.path, e.line) for e in report.errors] == [(STEPS_PATH, 2)]
    assert _in_all(report.errors[0].message), report.errors[0].message
    assert len(report.undefined()) == FILES * PER_FILE  # skipped: no step has a definition
    assert report.usage_counts()[f"{STEPS_PATH}::pays"] == FILES  # the rest of the project still counts
    result = check(git_repo.path)
    assert [(e.path, e.line, e.column) for e in result.errors] == [(STEPS_PATH, 2, 1)]
    assert _in_all(result.errors[0].message) and not result.ok


@pytest.mark.timeout(120)
@pytest.mark.parametrize("jobs", [1, 2])
def test_sync_warns_as_check_reports_and_links_the_rest(
    git_repo: GitRepo, database_url: str, jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In one process or two parse workers (each of which runs out of its share, so sync's own process matches
    every step again under the whole budget, as check does): the same warning, and every slow step undefined."""
    _project(git_repo)
    workers: list[bool] = []  # per refresh: whether it took the workers' matching
    real = links_module.prematched

    def spy(results: Any, key: str) -> Any:
        out = real(results, key)
        workers.append(out is not None)
        return out

    monkeypatch.setattr(links_module, "prematched", spy)
    result = sync(git_repo.path, database_url=database_url, jobs=jobs)
    assert workers == [False]
    assert not result.errors and result.counts["step_definition"]["created"] == 2
    slow = [w for w in result.warnings if "catastrophic" in w.message]
    assert [(w.path, w.line) for w in slow] == [(STEPS_PATH, 2)] and _in_all(slow[0].message)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            statuses = sorted({(m.step_text == "the customer pays", m.status) for m in match_rows(session)})
        assert statuses == [(False, "undefined"), (True, "defined")]
    finally:
        engine.dispose()


def test_a_parse_worker_gets_its_share_and_each_run_a_fresh_budget() -> None:
    """A matcher for two workers gives each one half the total; an index kept for the next run (a daemon's process
    that matched in-process) starts that run with nothing spent."""
    from tracertm.steps.records import parse as parse_steps

    prematch._CACHE.clear()  # a sync above left its index of these definitions, this one slow in it already
    outcomes = {STEPS_PATH: parse_steps(STEPS_PATH, STEPS.encode())}
    found = prematch.matcher(outcomes, "spawn", jobs=2)
    assert found is not None and found.share == pytest.approx(0.05)
    index, _ = found._index()
    assert index.total == pytest.approx(0.05)
    assert index.lookup_values(_step(0, 0), "given") == ()
    assert list(index.spent) == [f"{STEPS_PATH}::slow"]
    again = prematch.matcher(outcomes, "spawn", jobs=1)
    assert again is not None and again._index()[0] is index
    assert index.spent == {} and index.total == pytest.approx(0.1)
