"""The link refresh (scenario_step_matches, usage_count) on a real database (SQLite, and PostgreSQL when
configured): rows per executed step with arguments, usage counts that move no version, and re-matching only the
scenarios a definition change can affect."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project, StepDefinition
from tracertm.steps.packed import match_rows
from tracertm.steps.links import refresh
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.records import fields_of

FEATURE_A = """\
Feature: A
  Background:
    Given a shop

  Scenario: buy
    When I buy 2 apples
    Then I pay 4 euros

  Scenario Outline: rows
    When I buy <n> pears
    Then I pay <p> euros

    Examples:
      | n | p |
      | 1 | 3 |
      | 2 | x |
"""
FEATURE_B = """\
Feature: B
  Scenario: look
    Given a shop
    Then nothing happens
"""
STEPS = """\
Given('a shop', () => {});
When('I buy {int} {word}', function buy(n, what) {});
Then(/^I pay (\\d+) euros$/, function pay(total) {});
Then('never used', () => {});
"""


def _load(session, project_id):  # type: ignore[no-untyped-def]
    defs = {d.step_number: d for d in session.scalars(select(StepDefinition).where(StepDefinition.project_id == project_id))}
    rows = match_rows(session, project_id)
    return defs, rows


def _seed_definitions(session, project_id: uuid.UUID, source: str, only: str | None = None) -> dict:  # type: ignore[type-arg]
    """Rows for the definitions of ``source`` (as the engine would write them); the parsed file for refresh."""
    step_file = parse_step_file("features/step_definitions/s.js", source.encode())
    for d in step_file.definitions:
        if only is not None and d.identity != only:
            continue
        fields = fields_of(d)
        metadata = fields.pop("step_metadata")
        session.add(StepDefinition(project_id=project_id, source_path=d.path, content_hash=d.content_hash,
                                   metadata_=metadata, **fields))
    session.flush()
    return {"features/step_definitions/s.js": step_file}


def test_refresh_links_and_usage_counts(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/a.feature", FEATURE_A)
    git_repo.write("features/b.feature", FEATURE_B)
    git_repo.commit("features")
    sync(git_repo.path, database_url=database_url)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session, session.begin():
            project_id = session.scalars(select(Project)).one().id
            files = _seed_definitions(session, project_id, STEPS)
            stats = refresh(session, project_id, files, changed_features=["features/a.feature", "features/b.feature"],
                            changed_definitions=[], types_changed=False, full=True)
            assert stats.scenarios == 3
            assert stats.statuses == {"defined": 9, "undefined": 2}
        with db.session(engine) as session:
            defs, rows = _load(session, project_id)
            shop = defs["features/step_definitions/s.js::given(a shop)"]
            assert (shop.usage_count, shop.version) == (4, 1)  # three scenarios + one more outline row; no version move
            assert defs["features/step_definitions/s.js::buy"].usage_count == 3
            assert defs["features/step_definitions/s.js::pay"].usage_count == 2
            assert defs["features/step_definitions/s.js::then(never used)"].usage_count == 0
            undefined = sorted((r.step_text, r.line, r.row_line) for r in rows if r.status == "undefined")
            assert undefined == [("I pay x euros", 11, 16), ("nothing happens", 4, None)]
            buy = sorted((r.step_text, r.arguments) for r in rows if r.step_definition_id == defs[
                "features/step_definitions/s.js::buy"].id)
            assert buy == [("I buy 1 pears", ["1", "pears"]), ("I buy 2 apples", ["2", "apples"]),
                           ("I buy 2 pears", ["2", "pears"])]

        # A new definition that can match only "nothing happens": only scenario "look" is re-matched.
        with db.session(engine) as session, session.begin():
            calm = "features/step_definitions/s.js::calm"
            files = _seed_definitions(session, project_id, STEPS + "Then('nothing happens', function calm() {});\n",
                                      only=calm)
            stats = refresh(session, project_id, files, changed_features=[],
                            changed_definitions=[calm], types_changed=False)
            assert stats.scenarios == 1 and stats.statuses == {"defined": 2}
        with db.session(engine) as session:
            defs, rows = _load(session, project_id)
            assert defs[calm].usage_count == 1 and not [r for r in rows if r.status == "undefined" and r.line == 4]
    finally:
        engine.dispose()
