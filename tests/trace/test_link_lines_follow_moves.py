"""Every link whose line follows a file stays at its line when a later commit moves it: a sync of an edit that
inserts lines above the records (an ADR, a contract, a feature and its scenarios, their steps) stores the links a
project built from scratch at that commit stores — the links from the files (``implements``, ``covers``,
``related``) and those from the database (``step``: sync's matching, ``test``: a results import made before the
edit, which points at the scenario's first step). ``sync --full`` of the edited database keeps them so; the test
links an earlier tracertm left at the line of their import are moved by the next sync (links format 4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from raw_sql import set_marker, sql
from specs import adr, contract
from tracertm import db
from tracertm.engine.links import LINKS
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.results import import_results

FEATURE = """\
@FEAT-1 @ADR-1
Feature: Basket
  Keeps REQ-1 in mind.
{above}
  @SC-1 @REQ-2
  Scenario: add
    Given an empty basket
    When I add 2 "apples"
    Then the basket holds 2 items

  @SC-2 @ADR-2
  Scenario: empty
    Given an empty basket
    Then the basket holds 0 items
"""
STEPS = r"""const { Given, When, Then } = require('@cucumber/cucumber');

Given('an empty basket', function empty() {});
When('I add {int} {string}', function add(n, what) {});
Then(/^the basket holds (\d+) items?$/, function holds(n) {});
"""
ABOVE = "\n  # Two lines above\n  # every scenario.\n"


def report() -> bytes:
    """A Cucumber JSON report of both scenarios, mapped to them by their id tags."""
    elements = [
        {"type": "scenario", "id": f"basket;{name}", "name": name, "line": line, "keyword": "Scenario",
         "tags": [{"name": f"@{tag}"}],
         "steps": [{"keyword": "Given ", "name": "an empty basket", "line": line + 1,
                    "result": {"status": "passed", "duration": 1000}}]}
        for tag, line, name in (("SC-1", 6, "add"), ("SC-2", 12, "empty"))
    ]
    return json.dumps([{"uri": "features/basket.feature", "id": "basket", "name": "Basket", "keyword": "Feature",
                        "line": 2, "elements": elements}]).encode()


JUNIT = b"""<?xml version="1.0"?>
<testsuite name="Basket" tests="2">
  <testcase classname="Basket" name="add" time="0.1"/>
  <testcase classname="Basket" name="empty" time="0.1"/>
</testsuite>
"""


def imported(url: str) -> None:
    """Both reports imported: Cucumber JSON's results map to the scenarios by their id tags, JUnit's by name."""
    assert import_results(url, "shop", [("cucumber.json", report())]).matched["tag"] == 2
    assert import_results(url, "shop", [("junit.xml", JUNIT)]).matched["name"] == 2


def write(repo: GitRepo, above: str) -> None:
    """The project's files, with ``above`` inserted above the references of each of them."""
    repo.write("features/basket.feature", FEATURE.format(above=above))
    repo.write("features/step_definitions/basket.js", STEPS)
    repo.write("docs/adr/0001-use-baskets.md", adr(1, "Use baskets", extra=above + "\nSee ADR-0002 and REQ-3.\n"))
    repo.write("docs/adr/0002-count-items.md", adr(2, "Count items"))
    repo.write("contracts/basket.yaml", contract(1, "Basket") + above.replace("  ", "") +
               "metadata: {decision: ADR-0001, requirement: REQ-4}\n")


def stored(url: str) -> list[tuple[Any, ...]]:
    """Every link of the database: source, line, type, target and whether it resolves (not ids, times, versions)."""
    engine = db.make_engine(url)
    t = LINKS.c
    try:
        with engine.connect() as conn:
            return sorted(tuple(r[:-1]) + (r[-1] is not None,) for r in conn.execute(select(
                t.source_kind, t.source_ref, t.source_path, t.source_line, t.link_type, t.target_kind, t.target_ref,
                t.target_id)))
    finally:
        engine.dispose()


# The ways an edit reaches a database that imported results before it.
WAYS = {
    "sync": lambda repo, url: sync(repo.path, database_url=url, project="shop"),
    "sync of HEAD": lambda repo, url: sync(repo.path, database_url=url, project="shop", ref="HEAD"),
    "sync of its paths": lambda repo, url: sync(repo.path, database_url=url, project="shop", paths=PATHS),
    "backfill": lambda repo, url: backfill(repo.path, database_url=url, project="shop"),
}
PATHS = ["features/basket.feature", "features/step_definitions/basket.js", "docs/adr/0001-use-baskets.md",
         "contracts/basket.yaml"]


@pytest.mark.parametrize("way", list(WAYS))
def test_an_edit_moves_every_link_as_a_build_from_scratch_places_it(
        git_repo: GitRepo, database_url: str, other_database_url: str, way: str) -> None:
    write(git_repo, "")
    git_repo.commit("basket")
    assert not sync(git_repo.path, database_url=database_url, project="shop").errors
    imported(database_url)
    before = stored(database_url)
    assert ("scenario", "FEAT-1/SC-1", "features/basket.feature", 7, "test", "test_case",
            "features/basket.feature::basket;add", True) in before  # the first step's line
    write(git_repo, ABOVE)
    git_repo.commit("lines above everything")
    WAYS[way](git_repo, database_url)

    assert not sync(git_repo.path, database_url=other_database_url, project="shop").errors
    imported(other_database_url)
    scratch = stored(other_database_url)
    assert ("scenario", "FEAT-1/SC-1", "features/basket.feature", 10, "test", "test_case",
            "features/basket.feature::basket;add", True) in scratch
    # The lines of every kind of link placed at a reference below the lines added (a requirement of an ADR or a
    # contract is at its source's first line, the feature's tags and description above them, and stay).
    assert {(r[0], r[4]) for r in set(scratch) - set(before)} == {
        ("adr", "related"), ("contract", "implements"), ("scenario", "covers"), ("scenario", "implements"),
        ("scenario", "step"), ("scenario", "test")}
    assert stored(database_url) == scratch
    assert not sync(git_repo.path, database_url=database_url, project="shop").changed
    sync(git_repo.path, database_url=database_url, project="shop", full=True)
    assert stored(database_url) == scratch


def test_the_next_sync_moves_the_test_links_an_earlier_tracertm_left_behind(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:
    write(git_repo, ABOVE)
    git_repo.commit("basket")
    for url in (database_url, other_database_url):
        assert not sync(git_repo.path, database_url=url, project="shop").errors
        imported(url)
    right = stored(database_url)
    # As links format 3 left them: imported before an edit moved the scenarios three lines down.
    sql(database_url, "UPDATE links SET source_line = source_line - 3 WHERE link_type = 'test'")
    set_marker(database_url, "links_format", 3)
    assert stored(database_url) != right
    assert not sync(git_repo.path, database_url=database_url, project="shop").changed  # no file changed
    assert stored(database_url) == right == stored(other_database_url)
