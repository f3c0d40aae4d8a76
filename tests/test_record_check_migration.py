"""Migration 0016: the enum CHECK constraints of the record tables and of ``source_files.kind`` become comparisons.

Every row stays as it was (SQLite rebuilds the tables: rowids too), the search index and its triggers keep working,
the tables that refer to the rebuilt ones still refer to them (and cascade), values outside the lists are still
refused, and the downgrade gives the ``IN`` lists back. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

from typing import Any

import pytest
from sample import sync_sample
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

import tracertm
from conftest import GitRepo
from tracertm import db
from tracertm.search.documents import DOCUMENTS, is_search_object
from tracertm.search.engine import search

STEPS = """\
Given('a customer with a saved card', function savedCard() {});
When(/^the customer pays (\\d+) EUR$/, function pays(amount) {});
"""

STATUSES = ("draft", "review", "approved", "deprecated", "archived")
CONSTRAINTS = {  # constraint: (table, column, every value it takes)
    "ck_adrs_adr_status": ("adrs", "status", ("proposed", "accepted", "deprecated", "superseded", "rejected")),
    "ck_contracts_contract_type": ("contracts", "contract_type",
                                   ("interface", "component", "service", "system", "integration", "database")),
    "ck_contracts_contract_status": ("contracts", "status", STATUSES),
    "ck_features_feature_status": ("features", "status", STATUSES),
    "ck_scenarios_scenario_status": ("scenarios", "status", STATUSES),
    "ck_step_definitions_step_type": ("step_definitions", "step_type",
                                      ("given", "when", "then", "and", "but", "step")),
    "ck_source_files_source_file_kind": ("source_files", "kind", ("adr", "contract", "feature", "step_definition")),
}
TABLES = sorted({table for table, _column, _values in CONSTRAINTS.values()})
QUERIES = ("idempotency key", "ledger", "ledger OR postings", '"idempotency key"', "card", "refund -partial")


# Columns of later migrations than 0015: sync writes them at head, the downgrade to 0015 drops them.
LATER_COLUMNS = {"sync_runs": ("committed_at",), "spec_revisions": ("seq",), "features": ("name_key", "file_key"),
                 "scenarios": ("pytest_key",)}
# Tables of later migrations than 0015: the downgrade to 0015 drops them.
LATER_TABLES = ("parked_reviews",)


def _dump(engine: Any) -> dict[str, list[tuple[str, ...]]]:
    """Every table (rowids included on SQLite: the search index is keyed on them), the search index's own too."""
    rowid = "rowid, " if engine.dialect.name == "sqlite" else ""
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        out = {}
        for table in names:
            if table in ("alembic_version", *LATER_TABLES) or (
                    is_search_object(table, "table") and not table.endswith("_fts")):
                continue
            if table in ("scenario_steps", "scenario_step_matches"):
                # One row per step since 0017, per (step, definition) before: compared as the latter, ids aside.
                out["step matches"] = _matches(conn, table)
                continue
            keyed = "rowid, " if table.endswith("_fts") else rowid
            # Columns added after 0015 (which this test downgrades to) are left out: a downgrade drops them.
            later = LATER_COLUMNS.get(table, ())
            # PostgreSQL's generated search vector is derived data, and its expression changed after 0015 (0020):
            # what it finds is compared by ``_answers``.
            later = (*later, "search_vector")
            columns = ", ".join(f'"{c["name"]}"' for c in inspect(conn).get_columns(table) if c["name"] not in later)
            rows = conn.execute(text(f"SELECT {keyed}{columns} FROM {table}")).all()
            # The scenario document reads the Rule's and the Examples' descriptions since 0041, after the steps: the
            # sample's have none, which leaves only spaces at the end of a body there.
            fts = table.endswith("_fts")
            out[table] = sorted(tuple(str(v).rstrip() if fts else str(v) for v in row) for row in rows)
        return out


def _matches(conn: Any, table: str) -> list[tuple[str, ...]]:
    """The step matches of ``scenario_steps`` (packed) or ``scenario_step_matches`` as rows of the latter, no id."""
    def plain(value: Any) -> str:
        return str(value).replace("-", "") if value is not None else "None"

    def decoded(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    if table == "scenario_step_matches":
        rows = conn.execute(text("SELECT project_id, scenario_id, step_definition_id, position, line, row_line, keyword, "
                                 "step_text, status, arguments FROM scenario_step_matches")).all()
        return sorted((plain(p), plain(s), plain(d), *map(str, rest), str(decoded(args)))
                      for p, s, d, *rest, args in rows)
    out = []
    for project, scenario, steps in conn.execute(text("SELECT project_id, scenario_id, steps FROM scenario_steps")):
        for position, line, row_line, keyword, step_text, status, found in decoded(steps):
            for definition, args in found or [(None, [])]:
                out.append((plain(project), plain(scenario), plain(definition),
                            *map(str, (position, line, row_line, keyword, step_text, status)), str(args)))
    return sorted(out)


def _answers(engine: Any) -> list[list[tuple[Any, ...]]]:
    with db.session(engine) as session:
        return [
            [(h["kind"], h["number"], h["feature"], h["title"], round(h["rank"], 9), h["snippet"])
             for h in search(session, query, limit=100)]
            for query in QUERIES
        ]


def _hits(answers: list[list[tuple[Any, ...]]]) -> list[set[tuple[Any, ...]]]:
    """The records each query found (kind, number, feature, title), rank and snippet aside."""
    return [{hit[:4] for hit in hits} for hits in answers]


def _definitions(engine: Any) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = ", ".join(f"'{t}'" for t in TABLES)
            rows = conn.execute(text(f"SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN ({names})"))
        else:
            names = ", ".join(f"'{c}'" for c in CONSTRAINTS)
            rows = conn.execute(text(f"SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
                                     f"WHERE conname IN ({names})"))
        return "\n".join(row[0] for row in rows)


def _form(engine: Any) -> str:
    """``listed``, ``compared`` or ``mixed`` (``IN`` as SQLite stores it, ``= ANY (ARRAY[…])`` as PostgreSQL shows
    it); each constraint is there once."""
    definitions = _definitions(engine)
    for name in CONSTRAINTS:
        assert definitions.count(name) == 1, (name, definitions)
    listed = definitions.count(" IN (") + definitions.count("= ANY")
    return "listed" if listed == len(CONSTRAINTS) else "compared" if listed == 0 else "mixed"


def _refused(engine: Any) -> None:
    """Values outside each list (a wrong case too) are refused, NULL and every listed value are taken."""
    for table, column, values in CONSTRAINTS.values():
        for bad in ("bogus", values[0].upper()):
            with engine.connect() as conn, pytest.raises(IntegrityError):
                conn.execute(text(f"UPDATE {table} SET {column} = '{bad}'"))
        with engine.connect() as conn:
            for value in values:
                conn.execute(text(f"UPDATE {table} SET {column} = '{value}'"))
            conn.rollback()


def _references_hold(engine: Any) -> None:
    """The rebuilt tables are still the ones the others refer to: no foreign key broken, no scratch name left, and
    deleting a feature still deletes its scenarios and their step matches (ON DELETE CASCADE)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            leftovers = conn.execute(text("SELECT name FROM sqlite_master WHERE sql LIKE '%_0016%'")).all()
            assert leftovers == []
            triggers = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
            assert triggers == {f"{d.fts_table}_{s}" for d in DOCUMENTS.values() for s in ("ai", "ad", "au")}
            for fts in (d.fts_table for d in DOCUMENTS.values()):
                conn.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')"))
        feature = conn.execute(text("SELECT id FROM features WHERE feature_number = 'FEAT-1'")).scalar_one()
        its_scenarios = text("SELECT count(*) FROM scenarios WHERE feature_id = :f")
        scenarios = conn.execute(its_scenarios, {"f": feature}).scalar()
        # The step matches packed since 0017 (scenario_steps), a row per matching definition before.
        table = "scenario_steps" if (db.current_revision(engine) or "") >= "0017" else "scenario_step_matches"
        matches = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
        assert scenarios and matches
        conn.execute(text("DELETE FROM features WHERE id = :f"), {"f": feature})
        assert conn.execute(its_scenarios, {"f": feature}).scalar() == 0
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() < matches
        conn.rollback()


def test_records_survive_the_check_migration_both_ways(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/step_definitions/pay.js", STEPS)
    sync_sample(git_repo, database_url)
    engine = db.make_engine(database_url)
    try:
        rows, answers = _dump(engine), _answers(engine)
        assert all(rows[t] for t in TABLES) and all(answers[:2])
        assert _form(engine) == "compared"
        _refused(engine)
        _references_hold(engine)

        db.downgrade(engine, "0015")
        assert db.current_revision(engine) == "0015"
        assert _form(engine) == "listed"
        # At 0015 PostgreSQL's search vector is the one before 0020, which did not split on punctuation: the same
        # records are found for the plain words (not for `refund -partial`, which paths like /refunds now match);
        # ranks and snippets may differ.
        assert _dump(engine) == rows
        plain = QUERIES.index("refund -partial")
        assert _hits(_answers(engine))[:plain] == _hits(answers)[:plain]
        _refused(engine)
        _references_hold(engine)

        db.upgrade(engine)
        assert db.current_revision(engine) == db.SCHEMA_HEAD
        assert _form(engine) == "compared"
        assert _dump(engine) == rows and _answers(engine) == answers
        _refused(engine)
        _references_hold(engine)

        # The search triggers are back: a word an edit adds is found after its sync, and gone after the next.
        path = git_repo.path / "docs/adr/0005-require-idempotency-keys-on-payment-requests.md"
        original = path.read_text()
        for text_, found in ((original + "\nWombatquux.\n", {"ADR-0005"}), (original, set())):
            path.write_text(text_)
            git_repo.commit("reword")
            result = tracertm.sync(git_repo.path, database_url=database_url, project="sample", ref="HEAD")
            assert not result.errors, result.errors
            with db.session(engine) as session:
                assert {h["number"] for h in search(session, "wombatquux")} == found
    finally:
        engine.dispose()
