"""``MatchWriter.write`` with ``keys`` (rows naming their definitions by identity, as the parse workers send them,
re-keyed while the driver's rows are built; ``tracertm.steps.eager``), on SQLite and PostgreSQL: it stores exactly
the rows of writing the same rows re-keyed beforehand, into an empty table and as a difference from stored rows;
and a key it lacks writes nothing at all."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, select

from conftest import GitRepo
from test_match_diff import MORE, MORE_PATH, SHOP, STEPS, STEPS_PATH, STOCK
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project, ScenarioStepMatch, StepDefinition
from tracertm.steps.matchrows import MatchWriter, Row


def _rows(conn: Any, project_id: Any) -> list[tuple[Any, ...]]:
    m = ScenarioStepMatch.__table__.c
    return [tuple(r) for r in conn.execute(
        select(m.scenario_id, m.step_definition_id, m.position, m.line, m.row_line, m.keyword, m.step_text, m.status,
               m.arguments).where(m.project_id == project_id).order_by(m.scenario_id, m.position, m.id))]


def test_keyed_rows_are_stored_as_rows_keyed_beforehand(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/shop.feature", SHOP)
    git_repo.write("features/stock.feature", STOCK)
    git_repo.write(STEPS_PATH, STEPS)
    # An ambiguity (MORE has the same pattern): a step with two rows, in definition order.
    git_repo.write(MORE_PATH, MORE + "Then('the stock holds {int} items', function again(n) {});\n")
    git_repo.commit("shop")
    sync(git_repo.path, database_url=database_url, project="p")
    engine = db.make_engine(database_url)
    try:
        with engine.begin() as conn:
            project_id = conn.execute(select(Project.id).where(Project.name == "p")).scalar_one()
            expected = _rows(conn, project_id)
            assert {r[7] for r in expected} == {"defined", "undefined", "ambiguous"}
            assert any(r[4] is not None for r in expected) and any(r[8] for r in expected)
            identities = {r.id.hex: r.step_number for r in conn.execute(
                select(StepDefinition.id, StepDefinition.step_number).where(StepDefinition.project_id == project_id))}
            # The stored rows, named by identity as a parse worker names them.
            wanted: dict[str, list[Row]] = {}
            scenarios = {}
            for scenario_id, d, position, line, row_line, keyword, text, status, arguments in expected:
                scenarios[scenario_id.hex] = scenario_id
                wanted.setdefault(scenario_id.hex, []).append(
                    (None if d is None else identities[d.hex], position, line, row_line, keyword, text, status,
                     tuple(arguments)))
            keys = {identity: hex_id for hex_id, identity in identities.items()}
            m = ScenarioStepMatch.__table__
            conn.execute(delete(m).where(m.c.project_id == project_id))

            # A key missing: nothing is written.
            some = next(identity for rows in wanted.values() for identity, *_ in rows if identity is not None)
            with pytest.raises(KeyError):
                MatchWriter(conn, project_id).write(wanted, scenarios, {k: v for k, v in keys.items() if k != some})
            assert conn.execute(select(func.count()).select_from(m)).scalar_one() == 0

            # Into an empty table (a first sync's path) ...
            writer = MatchWriter(conn, project_id)
            writer.write(wanted, scenarios, keys)
            assert writer.inserted == len(expected)
            assert _rows(conn, project_id) == expected
            # ... and as a difference from the stored rows: one scenario's rows changed, the rest untouched.
            first = sorted(wanted)[0]
            changed = dict(wanted)
            changed[first] = [(d, position, line, row_line, keyword, text + " (edited)", status, values)
                              for d, position, line, row_line, keyword, text, status, values in wanted[first]]
            again = MatchWriter(conn, project_id)
            again.write(changed, scenarios, keys)
            assert again.inserted == again.deleted == len(wanted[first])
            edited = [r if r[0].hex != first else (*r[:6], r[6] + " (edited)", *r[7:]) for r in expected]
            assert _rows(conn, project_id) == edited
    finally:
        engine.dispose()
