"""Migration 0013 (integer ids for ``scenario_step_matches``, no ``project_id`` index) keeps every row, in order, on
SQLite and PostgreSQL — down to 0010 (UUID ids again) and back up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync

FEATURE = """\
Feature: Basket
  Scenario Outline: rows
    Given an empty basket
    When I add <n> "pears"

    Examples:
      | n   |
      | 1   |
      | two |
"""
STEPS = """\
Given('an empty basket', function empty() {});
When('I add {int} {string}', function add(n, what) {});
When(/^I add (\\w+) "pears"$/, function pears(n) {});
"""
_DATA = "scenario_id, step_definition_id, position, line, row_line, keyword, step_text, status, arguments"


def _rows(engine: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            f"SELECT {_DATA} FROM scenario_step_matches ORDER BY scenario_id, position, step_definition_id"))]


def _ids(engine: Any) -> list[Any]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM scenario_step_matches ORDER BY id"))]


def _indexes(engine: Any) -> set[str]:
    with engine.connect() as conn:
        return {i["name"] for i in inspect(conn).get_indexes("scenario_step_matches")}


def test_match_rows_survive_the_id_migration_both_ways(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/basket.feature", FEATURE)
    git_repo.write("features/step_definitions/basket.js", STEPS)
    git_repo.commit("basket")
    sync(git_repo.path, database_url=database_url)
    engine = db.make_engine(database_url)
    try:
        db.downgrade(engine, "0016")  # the rows as they were before 0017 packed them (scenario_steps)
        rows = _rows(engine)
        assert len(rows) == 5 and {r[7] for r in rows} == {"defined", "ambiguous"}
        assert _ids(engine) == [1, 2, 3, 4, 5]
        assert "ix_scenario_step_matches_project_id" not in _indexes(engine)

        db.downgrade(engine, "0010")
        assert _rows(engine) == rows
        old_ids = _ids(engine)
        assert len(set(old_ids)) == 5 and all(len(str(i).replace("-", "")) == 32 for i in old_ids)
        assert "ix_scenario_step_matches_project_id" in _indexes(engine)

        db.upgrade(engine, "0016")
        assert _rows(engine) == rows and sorted(_ids(engine)) == [1, 2, 3, 4, 5]
        assert "ix_scenario_step_matches_project_id" not in _indexes(engine)
        # New rows number on from there.
        with engine.begin() as conn:
            conn.execute(text(f"INSERT INTO scenario_step_matches (project_id, {_DATA}) SELECT project_id, {_DATA} "
                              "FROM scenario_step_matches WHERE position = 0"))
        assert max(_ids(engine)) > 5
    finally:
        engine.dispose()
