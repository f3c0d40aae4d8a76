"""``MatchWriter.write`` with ``keys`` (steps packed naming their definitions by identity, as the parse workers pack
them, the ids filled in by the writer; ``tracertm.steps.eager``), on SQLite and PostgreSQL: it stores exactly the
rows a sync stored, into an empty table and as a difference from stored rows (only the scenarios that differ); a
key it lacks writes nothing at all; and packing keeps every text as it is."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, select

from conftest import GitRepo
from test_match_diff import MORE, MORE_PATH, SHOP, STEPS, STEPS_PATH, STOCK
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project, ScenarioSteps, StepDefinition
from tracertm.steps.matchrows import MatchWriter, write_usage_counts
from tracertm.steps.packed import NONE, Packed, Row, match_rows, pack


def _rows(conn: Any, project_id: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in match_rows(conn, project_id)]  # in the order written


def test_keyed_rows_are_stored_as_rows_keyed_beforehand(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/shop.feature", SHOP)
    git_repo.write("features/stock.feature", STOCK)
    git_repo.write(STEPS_PATH, STEPS)
    # An ambiguity (MORE has the same pattern): a step with two candidates, in definition order.
    git_repo.write(MORE_PATH, MORE + "Then('the stock holds {int} items', function again(n) {});\n")
    git_repo.commit("shop")
    sync(git_repo.path, database_url=database_url, project="p")
    engine = db.make_engine(database_url)
    try:
        with engine.begin() as conn:
            project_id = conn.execute(select(Project.id).where(Project.name == "p")).scalar_one()
            stored = match_rows(conn, project_id)
            expected = _rows(conn, project_id)
            assert {r.status for r in stored} == {"defined", "undefined", "ambiguous"}
            assert any(r.row_line is not None for r in stored) and any(r.arguments for r in stored)
            identities = {r.id.hex: r.step_number for r in conn.execute(
                select(StepDefinition.id, StepDefinition.step_number).where(StepDefinition.project_id == project_id))}
            # The stored rows, named by identity as a parse worker names them, packed as it packs them.
            rows: dict[str, list[Row]] = {}
            scenarios = {}
            for r in stored:
                scenarios[r.scenario_id.hex] = r.scenario_id
                rows.setdefault(r.scenario_id.hex, []).append(
                    (None if r.step_definition_id is None else identities[r.step_definition_id.hex], r.position,
                     r.line, r.row_line, r.keyword, r.step_text, r.status, tuple(r.arguments)))
            wanted = {scenario: pack(scenario_rows) for scenario, scenario_rows in rows.items()}
            keys = {identity: hex_id for hex_id, identity in identities.items()}
            m = ScenarioSteps.__table__
            conn.execute(delete(m).where(m.c.project_id == project_id))

            # A key missing: nothing is written.
            some = next(ref for packed in wanted.values() for ref in packed.refs)
            with pytest.raises(KeyError):
                MatchWriter(conn, project_id).write(wanted, scenarios, {k: v for k, v in keys.items() if k != some})
            assert conn.execute(select(func.count()).select_from(m)).scalar_one() == 0

            # Into an empty table (a first sync's path) ...
            writer = MatchWriter(conn, project_id)
            writer.write(wanted, scenarios, keys)
            assert writer.inserted == len(wanted) and writer.fresh
            assert _rows(conn, project_id) == expected
            # ... whose tally is the usage a recount finds (nothing to change).
            write_usage_counts(conn, project_id, writer.tally)
            assert write_usage_counts(conn, project_id) == 0
            # ... and as a difference from the stored rows: one scenario's steps changed, one gone, the rest
            # untouched.
            first, second = sorted(wanted)[:2]
            changed = dict(wanted)
            changed[first] = pack([(d, position, line, row_line, keyword, text + " (edited)", status, values)
                                   for d, position, line, row_line, keyword, text, status, values in rows[first]])
            changed[second] = NONE
            ids_before = dict(conn.execute(select(m.c.scenario_id, m.c.id)).all())
            again = MatchWriter(conn, project_id)
            again.write(changed, scenarios, keys)
            assert (again.inserted, again.updated, again.deleted) == (0, 1, 1) and not again.fresh
            edited = [r if r[0].hex != first else (*r[:6], r[6] + " (edited)", *r[7:])
                      for r in expected if r[0].hex != second]
            assert _rows(conn, project_id) == edited
            ids_after = dict(conn.execute(select(m.c.scenario_id, m.c.id)).all())
            assert ids_after == {k: v for k, v in ids_before.items() if k.hex != second}
            # Writing the same again changes nothing.
            same = MatchWriter(conn, project_id)
            same.write(changed, scenarios, keys)
            assert (same.inserted, same.updated, same.deleted) == (0, 0, 0)
    finally:
        engine.dispose()


def test_packing_keeps_every_field_and_every_text() -> None:
    """Braces, quotes, backslashes, non-ASCII text and what looks like a placeholder survive packing and filling."""
    from tracertm.steps.packed import decoded, fill

    texts = ['a {b} "c" \\d', "{}", "{0}", 'x"\\udfff"', "é ü \u2028", "[-1,", "\"@{d1}\""]
    rows: list[Row] = []
    for position, text in enumerate(texts):
        rows.append(("def:" + text, position, 10 + position, None, "Given ", text, "defined", (text, None)))
    rows.append((None, len(texts), 3, 40, "And ", "undefined {x}", "undefined", ()))
    rows.append(("one", len(texts) + 1, 4, 41, "Then ", "both", "ambiguous", ("1",)))
    rows.append(("two", len(texts) + 1, 4, 41, "Then ", "both", "ambiguous", ("2",)))
    packed = pack(rows)
    keys = {ref: f"{i:032x}" for i, ref in enumerate(sorted(set(packed.refs)))}
    steps = decoded(fill(packed, keys))
    assert [s[4] for s in steps] == [*texts, "undefined {x}", "both"]
    assert steps[0] == [0, 10, None, "Given ", texts[0], "defined", [[keys["def:" + texts[0]], [texts[0], None]]]]
    assert steps[len(texts)] == [len(texts), 3, 40, "And ", "undefined {x}", "undefined", []]
    assert steps[-1][6] == [[keys["one"], ["1"]], [keys["two"], ["2"]]]
    assert packed.counts == {"def:" + t: 1 for t in texts}
    assert isinstance(packed, Packed) and pack([]) == NONE
