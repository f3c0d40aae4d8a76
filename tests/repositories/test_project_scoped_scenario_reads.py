"""A project's scenario lists, counts and facets read that project's scenarios, not the database's (migration 0033).

Scenarios have no project column; the reads said ``scenarios.deleted_at IS NULL`` and SQLite, without statistics,
started from ``ix_scenarios_deleted_at``: every live scenario of every project, then the project's sorted for a page
(in a database of ten copies of the medium benchmark corpus, ten times the single project's work). They now state
the condition of ``ix_scenarios_feature_id_position_id_live`` (``+deleted_at IS NULL`` on SQLite) and walk the
project's features. What they answer is the former reads' (``FormerRecords``, the plain condition) on SQLite and
PostgreSQL, for every filter and sort, deleted scenarios and a deleted feature among them; on SQLite each such
statement starts from the project's features, and ``changed_since`` reads the revisions' dates from their index."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from conftest import GitRepo, init_repo
from raw_sql import statements_of
from specs import feature
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.repositories import Projects, Records
from tracertm.schemas.filters import ListFilter

LIVE_INDEX = "ix_scenarios_feature_id_position_id_live"
DATES_INDEX = "ix_spec_revisions_entity_id_version_dates"


class FormerRecords(Records):
    """The reads before migration 0033: a live scenario is ``deleted_at IS NULL``, as for the other kinds."""

    def _live(self) -> Any:
        return self.kind.table.c.deleted_at.is_(None)


def _seed(repo: GitRepo, url: str, features: int) -> tuple[str, str]:
    """A project of ``features`` features in two folders, three scenarios each (tags @fast on some); then one
    scenario and one whole feature deleted and one scenario edited in a second commit. Returns the project's name
    and the first commit."""
    for n in range(1, features + 1):
        folder = "checkout" if n % 2 else "ledger"
        repo.write(f"features/{folder}/f{n}.feature", feature(n, f"Area {n}", {
            f"Pay {n}": ["Given a cart", "When I pay"], f"Refund {n}": ["Given a payment"],
            f"Close {n}": ["Given an open order"]}).replace("  Scenario: Refund", "  @fast\n  Scenario: Refund"))
    first = repo.commit("seed")
    name = repo.path.name
    assert not sync(repo.path, database_url=url, project=name).errors
    repo.write("features/checkout/f1.feature", feature(1, "Area 1", {
        "Pay 1": ["Given a cart", "When I pay twice"], "Refund 1": ["Given a payment"]}))
    repo.remove("features/ledger/f2.feature")
    repo.commit("edit")
    assert not sync(repo.path, database_url=url, project=name).errors
    return name, first


_FILTERS: list[dict[str, Any]] = [
    {}, {"include_deleted": True}, {"path": "features/checkout/"}, {"tag": ["fast"]}, {"status": ["draft"]},
    {"feature": "FEAT-3"}, {"text": "refund"}, {"sort": ["-updated_at"]}, {"sort": ["title"]},
    {"changed_since": "2999-01-01"}, {"changed_since": "2000-01-01"},
]


def _whole_list(records: Records, project: Any, flt: ListFilter) -> list[Any]:
    """Every page of the list, two rows a page: (feature number, scenario number, id) in the list's order."""
    out, cursor = [], None
    while True:
        page = records.list(project, flt, cursor)
        out += [(feature_number, row.scenario_number, row.id) for row, feature_number in page.rows]
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def test_scenario_reads_are_the_former_reads(git_repo: GitRepo, database_url: str, tmp_path: Any) -> None:
    seeded = [_seed(init_repo(tmp_path / "a-other"), database_url, 3), _seed(git_repo, database_url, 5),
              _seed(init_repo(tmp_path / "z-last"), database_url, 2)]
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            for name, first in seeded:
                project = Projects(session).get(name)
                for raw in [*_FILTERS, {"changed_since": first}]:
                    flt = ListFilter.model_validate({**raw, "limit": 2})
                    new, former = Records(session, "scenario"), FormerRecords(session, "scenario")
                    found = _whole_list(new, project, flt)
                    assert found == _whole_list(former, project, flt), (name, raw)
                    assert new.count(project, flt) == former.count(project, flt) == len(found), (name, raw)
                    assert new.facets(project, flt) == former.facets(project, flt), (name, raw)
            # Each project's own: two live scenarios of FEAT-1, FEAT-2 deleted with its three.
            project = Projects(session).get(seeded[1][0])
            assert Records(session, "scenario").count(project) == 3 * 5 - 1 - 3
            assert Records(session, "scenario").count(project, ListFilter(include_deleted=True)) == 3 * 5
    finally:
        engine.dispose()


def _scenario_statements(engine: Engine, run: Any) -> list[tuple[str, Any]]:
    """The statements ``run()`` executes that read a project's scenarios, with their parameters as the driver got
    them (not the page's rows, read by id)."""
    return statements_of(engine, run, lambda flat: "FROM scenarios JOIN features" in flat and "features.project_id = ?" in flat)


def test_sqlite_reads_start_from_the_projects_features(git_repo: GitRepo, tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'several.db'}"
    _seed(init_repo(tmp_path / "a-other"), url, 3)
    name, first = _seed(git_repo, url, 4)
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            project = Projects(session).get(name)
            records = Records(session, "scenario")
            reads = []
            # Not ``text``: its match in the search table comes first (every project's matches; left as it is).
            for raw in [*(f for f in _FILTERS if "include_deleted" not in f and "text" not in f),
                        {"changed_since": first}]:
                flt = ListFilter.model_validate(raw)
                reads += [lambda f=flt: records.list(project, f), lambda f=flt: records.count(project, f),
                          lambda f=flt: records.facets(project, f)]
            statements = [s for read in reads for s in _scenario_statements(engine, read)]
            assert len(statements) >= len(reads)
            with engine.connect() as conn:
                for statement, parameters in statements:
                    plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
                    steps = " | ".join(plan)
                    assert "ix_scenarios_deleted_at" not in steps, (statement, plan)
                    first_table = next(step for step in plan if " scenarios " in f"{step} " or " features " in step)
                    assert first_table.startswith("SEARCH features USING") and "(project_id=?" in first_table, (
                        statement, plan)
                    # Then the scenarios of each feature (the live ones through their index; with a status
                    # filter through (feature_id, status)).
                    assert any(step.startswith("SEARCH scenarios USING") and "(feature_id=?" in step
                               for step in plan), (statement, plan)
                    if "ORDER BY features.feature_number" in statement:  # the default order: no sort
                        assert f"INDEX {LIVE_INDEX}" in steps and "TEMP B-TREE" not in steps, (statement, plan)
                    if "FROM spec_revisions WHERE" in " ".join(statement.split()):  # changed_since a time
                        assert f"USING COVERING INDEX {DATES_INDEX}" in steps, (statement, plan)
        with engine.connect() as conn:  # the index holds the live scenarios only
            live = conn.execute(text(f"SELECT count(*) FROM scenarios INDEXED BY {LIVE_INDEX} "
                                     "WHERE +deleted_at IS NULL")).scalar_one()
            assert live == conn.execute(text("SELECT count(*) FROM scenarios WHERE deleted_at IS NULL")).scalar_one()
    finally:
        engine.dispose()
