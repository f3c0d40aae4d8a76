"""Step matches stored by an older step matcher (``engine.step_sync.STEP_MATCHER``): a database synced before a
change of what matching stores — pytest-bdd's arguments were every group and field before they were the named values
only — is re-matched once by the next plain sync (no ``--full``), and the fast path answers the syncs after it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import GitRepo
from raw_sql import as_json as _json, project_metadata as _metadata, set_marker, sql as _sql
from tracertm import fastpath
from tracertm.cli import main
from tracertm.engine.step_sync import STEP_MATCHER, STEP_MATCHER_KEY
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill

FEATURE = "Feature: shop\n  Scenario: s\n    Given Ann has 3 pears\n    When I pay 5 euros\n"
MODULE = (
    "from pytest_bdd import given, when, scenarios, parsers\n\nscenarios('../features/shop.feature')\n\n"
    "@given(parsers.re(r'(\\w+) has (?P<count>\\d+) (\\w+)'))\ndef has(count):\n    pass\n\n"
    "@when(parsers.parse('I pay {} {currency}'))\ndef pay(currency):\n    pass\n")
# What the matcher before STEP_MATCHER 1 stored for these steps: every group and field.
OLD_ARGUMENTS = {"Ann has 3 pears": ["Ann", "3", "pears"], "I pay 5 euros": ["5", "euros"]}
NEW_ARGUMENTS = {"Ann has 3 pears": ["3"], "I pay 5 euros": ["euros"]}


def _arguments(url: str) -> dict[str, list[Any]]:
    """Each stored step's text → the arguments of its match (one definition each here)."""
    steps = [step for (row,) in _sql(url, "SELECT steps FROM scenario_steps") for step in _json(row)]
    return {step[4]: step[6][0][1] for step in steps}


def _as_an_older_matcher_left_them(url: str, marker: int | None) -> None:
    """The rows and metadata of a database an older tracertm synced: the old arguments, and its matcher's version
    (None: a tracertm from before the version was recorded)."""
    steps = [(sid, _json(row)) for sid, row in _sql(url, "SELECT scenario_id, steps FROM scenario_steps")]
    for scenario_id, rows in steps:
        for step in rows:
            step[6] = [[definition, OLD_ARGUMENTS[step[4]]] for definition, _ in step[6]]
        _sql(url, "UPDATE scenario_steps SET steps = :s WHERE scenario_id = :i", s=json.dumps(rows), i=scenario_id)
    set_marker(url, STEP_MATCHER_KEY, marker)


def _shop(repo: GitRepo) -> None:
    repo.write("features/shop.feature", FEATURE)
    repo.write("tests/test_shop.py", MODULE)
    repo.commit("shop")


def test_the_fast_path_mirrors_the_step_matcher_version() -> None:
    assert (fastpath.STEP_MATCHER_KEY, fastpath.STEP_MATCHER) == (STEP_MATCHER_KEY, STEP_MATCHER)


@pytest.mark.parametrize("marker", [None, STEP_MATCHER - 1])
def test_a_plain_sync_rematches_the_steps_an_older_matcher_stored(
    git_repo: GitRepo, database_url: str, marker: int | None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _shop(git_repo)
    sync(git_repo.path, database_url=database_url)
    assert _arguments(database_url) == NEW_ARGUMENTS
    assert _metadata(database_url)[STEP_MATCHER_KEY] == STEP_MATCHER
    _as_an_older_matcher_left_them(database_url, marker)

    outcome = fastpath.attempt(git_repo.path, database_url=database_url)
    assert isinstance(outcome, fastpath.Miss) and "older step matcher" in outcome.reason
    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 0
    assert _arguments(database_url) == NEW_ARGUMENTS
    assert _metadata(database_url)[STEP_MATCHER_KEY] == STEP_MATCHER
    monkeypatch.chdir(git_repo.path)
    capsys.readouterr()
    assert main(["show", "STEP-1", "--database-url", database_url, "--format", "json"]) == 0
    assert [u["arguments"] for u in json.loads(capsys.readouterr().out)["used_by"]] == [["3"]]

    # Once: the syncs after it are the fast path's no-ops again.
    assert isinstance(fastpath.attempt(git_repo.path, database_url=database_url), fastpath.NoopSync)


def test_a_project_without_step_files_keeps_the_fast_path(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/shop.feature", FEATURE)
    git_repo.commit("shop")
    sync(git_repo.path, database_url=database_url)
    metadata = _metadata(database_url)
    metadata.pop(STEP_MATCHER_KEY, None)  # (an older tracertm's: nothing was matched, nothing to match again)
    _sql(database_url, "UPDATE projects SET project_metadata = :m", m=json.dumps(metadata))
    assert isinstance(fastpath.attempt(git_repo.path, database_url=database_url), fastpath.NoopSync)


def test_a_backfill_records_the_step_matcher_it_matched_with(git_repo: GitRepo, database_url: str) -> None:
    _shop(git_repo)
    backfill(git_repo.path, database_url=database_url)
    assert _arguments(database_url) == NEW_ARGUMENTS
    assert _metadata(database_url)[STEP_MATCHER_KEY] == STEP_MATCHER
