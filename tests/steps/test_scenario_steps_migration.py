"""Migration 0017 (the step matches packed, one ``scenario_steps`` row per scenario, instead of a
``scenario_step_matches`` row per step and definition) moves every match both ways on SQLite and PostgreSQL, and
what reads them says the same before and after: ``show STEP-n``'s uses and ``show SC-n``'s steps as the queries of
0016 gave them from the old rows, the usage counts, the step trace links; a sync after the upgrade changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.links import _pairs
from tracertm.engine.sync import sync
from tracertm.models import Feature, Link, Project, Scenario, StepDefinition
from tracertm.steps.matchrows import write_usage_counts
from tracertm.steps.packed import match_rows
from tracertm.steps.queries import definition_uses, scenario_steps

FEATURE = """\
Feature: Basket
  Background:
    Given an empty basket

  Scenario: add
    When I add 2 "pears"
    And I add 3 "apples"
    Then nothing happens

  Scenario Outline: many
    When I add <n> "apples"
    Then the basket holds <n>

    Examples:
      | n |
      | 1 |
      | 4 |
"""
OTHER = """\
Feature: Till
  Scenario: pay
    Given an empty basket
    When I add 1 "pears"
"""
STEPS = """\
Given('an empty basket', function empty() {});
When('I add {int} {string}', function add(n, what) {});
When(/^I add (\\w+) "pears"$/, function pears(n) {});
Then('the basket holds {int}', function holds(n) {});
Then('never used', function unused() {});
"""

# The rows as 0016 had them (the models no longer do).
_OLD = sa.table(
    "scenario_step_matches", sa.column("id"), sa.column("project_id"), sa.column("scenario_id"),
    sa.column("step_definition_id"), sa.column("position"), sa.column("line"), sa.column("row_line"),
    sa.column("keyword"), sa.column("step_text"), sa.column("status"), sa.column("arguments"),
)


def _id(value: Any) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(str(value))


def _old_rows(conn: Any) -> list[tuple[Any, ...]]:
    """``scenario_step_matches`` in id order, as ``match_rows`` gives the packed ones."""
    import json

    m = _OLD.c
    rows = conn.execute(select(m.scenario_id, m.step_definition_id, m.position, m.line, m.row_line, m.keyword,
                               m.step_text, m.status, m.arguments).order_by(m.id)).all()
    return [(_id(s), _id(d), *rest, json.loads(a) if isinstance(a, str) else list(a)) for s, d, *rest, a in rows]


def _old_uses(session: Any, definition: StepDefinition) -> list[dict[str, Any]]:
    """``definition_uses`` as 0016 computed it, from the old rows (steps of no Examples row line last on both
    databases, as it sorts them now: they followed each database's order of NULL)."""
    import json

    m = _OLD.c
    query = (
        select(m.line, m.row_line, m.keyword, m.step_text, m.status, m.arguments, Scenario.scenario_number,
               Feature.feature_number, Feature.source_path)
        .join(Scenario, m.scenario_id == Scenario.id).join(Feature, Scenario.feature_id == Feature.id)
        .where(m.step_definition_id == definition.id)
        .order_by(Feature.source_path, m.line, m.row_line.nulls_last(), Scenario.scenario_number, m.id)
    )
    return [{"feature": feature, "scenario": scenario, "path": path, "line": line, "row_line": row_line,
             "keyword": keyword, "text": text, "status": status,
             "arguments": json.loads(a) if isinstance(a, str) else list(a or ())}
            for line, row_line, keyword, text, status, a, scenario, feature, path in session.execute(query).all()]


def _old_steps(session: Any, scenario: Scenario, shorts: dict[uuid.UUID, str]) -> list[dict[str, Any]]:
    """``scenario_steps`` as 0016 computed it, from the old rows (steps of no row line last, as ``_old_uses``)."""
    import json

    m = _OLD.c
    query = (
        select(m.position, m.line, m.row_line, m.keyword, m.step_text, m.status, m.arguments, StepDefinition)
        .outerjoin(StepDefinition, m.step_definition_id == StepDefinition.id)
        .where(m.scenario_id == scenario.id)
        .order_by(m.row_line.nulls_last(), m.position, m.id)
        .execution_options(include_deleted=True)
    )
    steps: dict[tuple[Any, int], dict[str, Any]] = {}
    for position, line, row_line, keyword, text, status, a, d in session.execute(query).all():
        step = steps.setdefault((row_line, position), {"line": line, "row_line": row_line, "keyword": keyword,
                                                      "text": text, "status": status, "definitions": []})
        if d is not None:
            step["definitions"].append({"id": shorts.get(d.id), "identity": d.step_number,
                                        "location": f"{d.source_path}:{d.line}", "pattern": d.pattern,
                                        "arguments": json.loads(a) if isinstance(a, str) else list(a or ())})
    return list(steps.values())


def _reads(engine: Any, old: bool) -> dict[str, Any]:
    """What the readers say: every definition's uses and usage count, every scenario's steps, the step links."""
    from tracertm.steps.queries import short_ids

    with db.session(engine) as session:
        project_id = session.execute(select(Project.id)).scalar_one()
        shorts = short_ids(session, project_id)
        definitions = session.scalars(select(StepDefinition).order_by(StepDefinition.step_number)).all()
        scenarios = session.scalars(select(Scenario).order_by(Scenario.scenario_number)).all()
        uses = {d.step_number: (_old_uses(session, d) if old else definition_uses(session, d)) for d in definitions}
        steps = {s.scenario_number: (_old_steps(session, s, shorts) if old else scenario_steps(session, s))
                 for s in scenarios}
        usage = {d.step_number: d.usage_count for d in definitions}
        links = sorted(session.execute(select(Link.source_ref, Link.source_line, Link.target_ref)
                                       .where(Link.link_type == "step")).all())
        return {"uses": uses, "steps": steps, "usage": usage, "links": links}


def test_matches_move_both_ways_and_read_the_same(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/basket.feature", FEATURE)
    git_repo.write("features/till.feature", OTHER)
    git_repo.write("features/step_definitions/basket.js", STEPS)
    git_repo.commit("basket")
    sync(git_repo.path, database_url=database_url)
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            packed = [tuple(r) for r in match_rows(conn)]
        statuses = {r[7] for r in packed}
        assert statuses == {"defined", "undefined", "ambiguous"} and any(r[4] is not None for r in packed)
        assert any(r[8] for r in packed)
        now = _reads(engine, old=False)
        assert any(len(u) > 1 for u in now["uses"].values()) and now["links"]

        db.downgrade(engine, "0016")
        with engine.connect() as conn:
            assert _old_rows(conn) == packed  # every row, a step's candidates in order
            assert not sa.inspect(conn).has_table("scenario_steps")
        assert _reads(engine, old=True) == now  # the queries of 0016 on the old rows say what today's say

        db.upgrade(engine)
        with engine.connect() as conn:
            assert [tuple(r) for r in match_rows(conn)] == packed
            assert not sa.inspect(conn).has_table("scenario_step_matches")
        assert _reads(engine, old=False) == now
        with engine.begin() as conn:
            project_id = conn.execute(select(Project.id)).scalar_one()
            assert write_usage_counts(conn, project_id) == 0  # the counts a recount finds
            scenario_ids = list(conn.execute(select(Scenario.id)).scalars())
            pairs = _pairs(conn, "step", scenario_ids)
            stored = {(r.source_id, r.target_id): r.source_line for r in conn.execute(
                select(Link.source_id, Link.target_id, Link.source_line).where(Link.link_type == "step"))}
            assert pairs == stored  # the engine's own derivation of step links agrees with the written ones
        result = sync(git_repo.path, database_url=database_url)
        assert not result.errors
        with engine.connect() as conn:
            assert [tuple(r) for r in match_rows(conn)] == packed
        assert _reads(engine, old=False) == now
    finally:
        engine.dispose()
