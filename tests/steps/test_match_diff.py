"""The set-based write of step links (tracertm.steps.matchrows, tracertm.steps.tracelinks), on SQLite and PostgreSQL:
after every kind of edit of features and step files, the incremental sync leaves exactly the rows — matches, usage
counts, step trace links — that matching the same commit from scratch gives; the step links are the ones the
engine's own derivation (``engine.links.write_scenario_links``) gives; and a sync rewrites only the rows of the
scenarios whose steps changed (the others keep their rows untouched)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Feature, Link, Project, Scenario, ScenarioSteps, StepDefinition
from tracertm.steps.packed import decoded, match_rows

SHOP = """\
Feature: Shop
  Background:
    Given a shop
    And a till

  Scenario: buy
    When I buy 2 apples
    And I buy 3 pears
    Then I pay 4 euros
    But nothing happens

  Scenario Outline: rows
    When I buy <n> <what>
    Then I pay <p> euros

    Examples:
      | n | what   | p |
      | 1 | pears  | 3 |
      | 2 | apples | x |

  Scenario: twice
    Given a till
    When I buy 1 lemons
"""
STOCK = """\
Feature: Stock
  Scenario: count
    Given a shop
    When the stock is counted
    Then the stock holds 5 items
"""
STEPS = r"""const { Given, When, Then, defineParameterType } = require('@cucumber/cucumber');

defineParameterType({name: 'fruit', regexp: /apples|pears/});
Given('a shop', function shop() {});
Given('a till', function till() {});
When('I buy {int} {fruit}', function buy(n, what) {});
Then(/^I pay (\d+) euros$/, function pay(total) {});
When('the stock is counted', function counted() {});
"""
MORE = r"""const { Then } = require('@cucumber/cucumber');

Then('the stock holds {int} items', function holds(n) {});
Then('never used', function unused() {});
"""
STEPS_PATH = "features/step_definitions/shop.js"
MORE_PATH = "features/step_definitions/more.js"


def _edit(path: str, old: str, new: str) -> Callable[[GitRepo], None]:
    def apply(repo: GitRepo) -> None:
        text = repo.read(path)
        assert old in text, (path, old)
        repo.write(path, text.replace(old, new, 1))

    return apply


def _remove(path: str) -> Callable[[GitRepo], None]:
    return lambda repo: repo.remove(path)


def _write(path: str, text: str) -> Callable[[GitRepo], None]:
    return lambda repo: repo.write(path, text)


# Each edit is committed and synced on top of the ones before it.
EDITS: list[tuple[str, Callable[[GitRepo], None]]] = [
    ("a step's text", _edit("features/shop.feature", "I buy 3 pears", "I buy 3 apples")),
    ("lines inserted above (every line moves)", _edit("features/shop.feature", "Feature: Shop\n",
                                                       "Feature: Shop\n  The shop sells fruit.\n\n")),
    ("an Examples row added", _edit("features/shop.feature", "      | 2 | apples | x |\n",
                                     "      | 2 | apples | x |\n      | 7 | pears  | 9 |\n")),
    ("a Background step removed", _edit("features/shop.feature", "    And a till\n", "")),
    ("a definition's pattern widened (ambiguity)",
     _edit(STEPS_PATH, "'the stock is counted'", "'the stock {word} {int} items'")),
    ("a new definition (matches an undefined step)",
     _edit(MORE_PATH, "Then('never used'", "Then('nothing happens', function calm() {});\nThen('never used'")),
    ("a parameter type changed", _edit(STEPS_PATH, "/apples|pears/", "/apples|pears|lemons/")),
    ("a definition removed", _edit(STEPS_PATH, "Given('a till', function till() {});\n", "")),
    ("a scenario removed",
     _edit("features/shop.feature", "  Scenario: twice\n    Given a till\n    When I buy 1 lemons\n", "")),
    ("a step file removed", _remove(MORE_PATH)),
    ("a feature removed, another added", lambda repo: (repo.remove("features/stock.feature"), repo.write(
        "features/again.feature", STOCK.replace("Stock", "Again").replace("5 items", "6 items")))),
    ("the step file back", _write(MORE_PATH, MORE)),
    # Every scenario is re-matched (a parameter type changed): the rows of the removed feature's scenarios go too.
    ("a parameter type changed and a feature removed", lambda repo: (
        _edit(STEPS_PATH, "/apples|pears|lemons/", "/apples|pears/")(repo), repo.remove("features/again.feature"))),
]


def _project(session: Any, name: str) -> uuid.UUID:
    return session.execute(select(Project.id).where(Project.name == name)).scalar_one()  # type: ignore[no-any-return]


def _dump(engine: Any, name: str) -> dict[str, Any]:
    """Everything the step links of project ``name`` are, by natural keys (ids differ between projects)."""
    with db.session(engine) as session:
        project_id = _project(session, name)
        numbers = {r.id: r.step_number for r in session.execute(
            select(StepDefinition.id, StepDefinition.step_number).where(StepDefinition.project_id == project_id)
            .execution_options(include_deleted=True))}
        places = {r.id: (r.source_path, r.scenario_number) for r in session.execute(
            select(Scenario.id, Scenario.scenario_number, Feature.source_path)
            .join(Feature, Scenario.feature_id == Feature.id).where(Feature.project_id == project_id)
            .execution_options(include_deleted=True))}
        # Ordered as the rows before migration 0017 were: a step's candidates in the order they were written.
        matches = sorted((
            (*places[r.scenario_id], r.position, numbers.get(r.step_definition_id), r.line, r.row_line, r.keyword,
             r.step_text, r.status, list(r.arguments))
            for r in match_rows(session, project_id)
        ), key=lambda m: m[:3])
        usage = dict(session.execute(
            select(StepDefinition.step_number, StepDefinition.usage_count)
            .where(StepDefinition.project_id == project_id)
        ).all())
        links = sorted(session.execute(
            select(Link.source_ref, Link.source_path, Link.source_line, Link.target_ref)
            .where(Link.project_id == project_id, Link.link_type == "step")
        ).all())
        # A step link follows its definition's version (a link that stays keeps its review).
        stale_versions = session.execute(
            select(Link.id).join(StepDefinition, Link.target_id == StepDefinition.id)
            .where(Link.project_id == project_id, Link.link_type == "step",
                   Link.target_version != StepDefinition.version)
        ).all()
        assert not stale_versions
    return {"matches": matches, "usage": usage, "links": [tuple(r) for r in links]}


def _difference(live: dict[str, Any], scratch: dict[str, Any]) -> str:
    """What differs, as a unified diff per part (incremental → from scratch)."""
    import difflib

    out = []
    for part in live:
        a, b = ([repr(x) for x in (d[part].items() if isinstance(d[part], dict) else d[part])]
                for d in (live, scratch))
        out += [part, *difflib.unified_diff(a, b, lineterm="")]
    return "\n".join(out)


def _link_rows(engine: Any, name: str) -> list[tuple[Any, ...]]:
    with db.session(engine) as session:
        project_id = _project(session, name)
        return [tuple(r) for r in session.execute(
            select(Link.id, Link.source_id, Link.target_id, Link.source_ref, Link.source_path, Link.source_line,
                   Link.target_ref, Link.target_version, Link.reviewed_version, Link.updated_at)
            .where(Link.project_id == project_id, Link.link_type == "step").order_by(Link.id)
        ).all()]


def _engine_derivation_agrees(engine: Any, name: str) -> None:
    """The engine's own derivation of step links from the stored matches (what ``links.rebuild`` runs) finds
    nothing to add, remove or move."""
    from tracertm.engine.links import write_scenario_links

    before = _link_rows(engine, name)
    with db.session(engine) as session, session.begin():
        project_id = _project(session, name)
        live = list(session.execute(
            select(Scenario.id).join(Feature, Scenario.feature_id == Feature.id).where(Feature.project_id == project_id)
        ).scalars())
        assert write_scenario_links(session.connection(), project_id, "step", live) == 0
    assert _link_rows(engine, name) == before


def test_incremental_step_links_equal_a_match_from_scratch(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/shop.feature", SHOP)
    git_repo.write("features/stock.feature", STOCK)
    git_repo.write(STEPS_PATH, STEPS)
    git_repo.write(MORE_PATH, MORE)
    git_repo.commit("shop")
    assert not sync(git_repo.path, database_url=database_url, project="live").errors
    engine = db.make_engine(database_url)
    try:
        first = _dump(engine, "live")
        assert {m[8] for m in first["matches"]} == {"defined", "undefined"}
        assert first["usage"][f"{STEPS_PATH}::shop"] == 5 and first["usage"][f"{MORE_PATH}::unused"] == 0
        _engine_derivation_agrees(engine, "live")
        seen = {"ambiguous": False, "relined": False}
        for n, (what, edit) in enumerate(EDITS):
            edit(git_repo)
            git_repo.commit(what)
            before = _dump(engine, "live")
            result = sync(git_repo.path, database_url=database_url, project="live")
            assert not result.errors, what
            assert sync(git_repo.path, database_url=database_url, project=f"scratch{n}").project == f"scratch{n}"
            live, scratch = _dump(engine, "live"), _dump(engine, f"scratch{n}")
            assert live == scratch, f"after {what}:\n{_difference(live, scratch)}"
            assert live != before, what  # every edit changes something the links say
            _engine_derivation_agrees(engine, "live")
            seen["ambiguous"] |= any(m[8] == "ambiguous" for m in live["matches"])
            lines, old_lines = ({(r[0], r[3]): r[2] for r in d["links"]} for d in (live, before))
            seen["relined"] |= any(old_lines.get(key, line) != line for key, line in lines.items())
        assert seen == {"ambiguous": True, "relined": True}
    finally:
        engine.dispose()


def test_a_sync_rewrites_only_the_steps_that_changed(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/shop.feature", SHOP)
    git_repo.write("features/stock.feature", STOCK)
    git_repo.write(STEPS_PATH, STEPS)
    git_repo.commit("shop")
    sync(git_repo.path, database_url=database_url)
    engine = db.make_engine(database_url)

    def ids() -> dict[str, tuple[int, Any]]:
        """Scenario number → its row's id and its steps."""
        with db.session(engine) as session:
            rows = session.execute(
                select(ScenarioSteps.id, Scenario.scenario_number, ScenarioSteps.steps)
                .join(Scenario, ScenarioSteps.scenario_id == Scenario.id)
            ).all()
            return {scenario: (row_id, decoded(steps)) for row_id, scenario, steps in rows}

    try:
        before = ids()
        # One step of the feature's first scenario: only its scenario's row is rewritten (in place); every other
        # row stays as it was.
        git_repo.write("features/shop.feature", SHOP.replace("But nothing happens", "But the stock is counted"))
        git_repo.commit("one step")
        sync(git_repo.path, database_url=database_url)
        after = ids()
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        assert changed == {"buy"}
        assert {k: v[0] for k, v in before.items()} == {k: v[0] for k, v in after.items()}
        # Position 5 (the Background's two steps run first) is the step that changed.
        assert [i for i, (old, new) in enumerate(zip(before["buy"][1], after["buy"][1])) if old != new] == [5]
        # A definition that matches one more step: only that step's scenario changes.
        git_repo.write(STEPS_PATH, STEPS + "Then('the stock holds {int} items', function holds(n) {});\n")
        git_repo.commit("one definition")
        sync(git_repo.path, database_url=database_url)
        again = ids()
        changed = {key for key in after.keys() | again.keys() if after.get(key) != again.get(key)}
        assert changed == {"count"}
        assert [i for i, (old, new) in enumerate(zip(after["count"][1], again["count"][1])) if old != new] == [2]
    finally:
        engine.dispose()
