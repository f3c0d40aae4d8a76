"""Migration 0015 (the ``status`` CHECK of ``scenario_step_matches`` as comparisons, not an ``IN`` list) keeps every
row, with its id, and refuses what the list refused, both ways, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync

FEATURE = """\
Feature: Basket
  Scenario: add
    Given an empty basket
    When I add 2 "pears"
    Then nothing happens
"""
STEPS = """\
Given('an empty basket', function empty() {});
When('I add {int} {string}', function add(n, what) {});
When(/^I add (\\w+) "pears"$/, function pears(n) {});
"""
NAME = "ck_scenario_step_matches_step_match_status"


def _rows(engine: Any) -> list[tuple[str, ...]]:
    with engine.connect() as conn:
        return sorted(tuple(map(str, r)) for r in conn.execute(text("SELECT * FROM scenario_step_matches")))


def _statuses(engine: Any) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT status FROM scenario_step_matches"))]


def _definition(engine: Any) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT sql FROM sqlite_master WHERE name = 'scenario_step_matches'"
        else:
            sql = f"SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = '{NAME}'"
        return str(conn.execute(text(sql)).scalar_one())


def _listed(definition: str) -> bool:
    """``IN`` as SQLite stores it, ``= ANY (ARRAY[…])`` as PostgreSQL shows it."""
    return " IN (" in definition or "= ANY" in definition


def _refuses_others(engine: Any) -> None:
    for value in ("bogus", "Defined"):
        with engine.connect() as conn, pytest.raises(IntegrityError):
            conn.execute(text(f"UPDATE scenario_step_matches SET status = '{value}'"))
    with engine.connect() as conn:
        for value in ("defined", "undefined", "ambiguous"):
            conn.execute(text(f"UPDATE scenario_step_matches SET status = '{value}'"))
        conn.rollback()


def test_match_rows_survive_the_check_migration_both_ways(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/basket.feature", FEATURE)
    git_repo.write("features/step_definitions/basket.js", STEPS)
    git_repo.commit("basket")
    sync(git_repo.path, database_url=database_url)
    engine = db.make_engine(database_url)
    try:
        db.downgrade(engine, "0016")  # the rows as they were before 0017 packed them (scenario_steps)
        rows = _rows(engine)
        assert sorted(_statuses(engine)) == ["ambiguous", "ambiguous", "defined", "undefined"]
        assert not _listed(_definition(engine))
        _refuses_others(engine)

        db.downgrade(engine, "0014")
        assert _rows(engine) == rows and _listed(_definition(engine))
        _refuses_others(engine)

        db.upgrade(engine, "0016")
        assert db.current_revision(engine) == "0016"
        assert _rows(engine) == rows and not _listed(_definition(engine))
        _refuses_others(engine)
    finally:
        engine.dispose()
