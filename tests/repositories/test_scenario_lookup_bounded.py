"""A scenario found by its id reads the scenarios it names, not every feature of the project (migration 0035).

``Records.find_by_number`` asks the scenarios of every id that ``show``, ``history``, ``trace``, ``review`` and the
API's detail routes are given (ids are unique per kind only: ``show ADR-3`` asks too). Its one condition ORed the
whole id with each ``FEATURE/SCENARIO`` split of it, and with scenarios unique by ``(feature_id,
scenario_number)`` only, both databases answered it by walking the project's features and probing each one's
scenarios: 2,000 probes for one ``show`` on the large benchmark corpus. Each reading is now a select of its own
(``UNION ALL``), served by an index: ``ix_scenarios_scenario_number``, the feature's ``(project_id,
feature_number)``. What it finds is what the former condition found (``_former``, kept verbatim) on SQLite and
PostgreSQL — a split id, a bare number several features share, an untagged feature in a sub-folder (a ``/`` in the
feature's id), a scenario of a deleted feature, another project's scenario, an id no scenario has; on SQLite the
lookup runs as many virtual-machine instructions for 50 features as for 5."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import and_, or_, select

from conftest import GitRepo, init_repo
from specs import feature
from tracertm import db
from tracertm.engine.links import scenario_ref_splits
from tracertm.engine.sync import sync
from tracertm.models import Feature, Scenario
from tracertm.repositories import Projects, Records

IDS = ["FEAT-2/SC-1", "SC-2", "FEAT-1/SC-9", "billing/refund/SC-1", "billing/refund/Refund in full", "ADR-0003",
       "FEAT-3/SC-1", "nothing/here"]


def _seed(repo: GitRepo, url: str, features: int, name: str) -> None:
    for n in range(1, features + 1):
        repo.write(f"features/f{n}.feature", feature(n, f"Area {n}"))
    # An untagged feature in a sub-folder (its id is its path) with an untagged scenario (its id is its name).
    repo.write("features/billing/refund.feature", "Feature: Refunds\n\n  Scenario: Refund in full\n"
                                                  "    Given a payment\n\n  @SC-1\n  Scenario: Tagged\n"
                                                  "    Given a payment\n")
    repo.commit("seed")
    assert not sync(repo.path, database_url=url, project=name).errors
    repo.remove("features/f3.feature")  # FEAT-3's scenarios stay, deleted
    repo.commit("drop FEAT-3")
    assert not sync(repo.path, database_url=url, project=name).errors


def _former(session: Any, ident: str, project: Any) -> list[Any]:
    """``find_by_number`` of a scenario before migration 0035 (verbatim but for the imports)."""
    t = Scenario.__table__
    stmt = select(Scenario).join(Feature, t.c.feature_id == Feature.id).execution_options(include_deleted=True)
    stmt = stmt.where(or_(t.c.scenario_number == ident, *(
        and_(Feature.feature_number == f, t.c.scenario_number == sc)
        for f, sc in scenario_ref_splits(ident))))
    if project is not None:
        stmt = stmt.where(Feature.project_id == project.id)
    return list(session.execute(stmt.limit(20)).scalars())


def test_a_scenario_lookup_finds_what_it_found(git_repo: GitRepo, tmp_path: Any, database_url: str) -> None:
    _seed(git_repo, database_url, 4, "shop")
    _seed(init_repo(tmp_path / "other"), database_url, 3, "other")
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            records = Records(session, "scenario")
            for project in [Projects(session).get("shop"), Projects(session).get("other"), None]:
                for ident in IDS:
                    found = sorted(str(r.id) for r in records.find_by_number(ident, project))
                    assert found == sorted(str(r.id) for r in _former(session, ident, project)), (ident, project)
            shop = Projects(session).get("shop")
            assert records.qualified(records.get("billing/refund/Refund in full", shop)) \
                == "billing/refund/Refund in full"
            assert records.get("FEAT-3/SC-1", shop).deleted_at is not None
            assert len(records.find_by_number("SC-2", None)) == 4 + 3  # (the deleted FEAT-3s: found too)
    finally:
        engine.dispose()


def _instructions(url: str, ident: str) -> int:
    """SQLite virtual-machine instructions of ``Records.find_by_number(ident)`` in the project ``shop``."""
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            records, project = Records(session, "scenario"), Projects(session).get("shop")
            raw: sqlite3.Connection = session.connection().connection.dbapi_connection  # type: ignore[assignment]
            count = [0]

            def step() -> int:
                count[0] += 1
                return 0

            raw.set_progress_handler(step, 1)
            try:
                records.find_by_number(ident, project)
            finally:
                raw.set_progress_handler(None, 1)
            return count[0]
    finally:
        engine.dispose()


def test_sqlite_lookup_costs_the_same_for_5_and_50_features(tmp_path: Any) -> None:
    urls = {}
    for features in (5, 50):
        urls[features] = f"sqlite:///{tmp_path / f'{features}.db'}"
        _seed(init_repo(tmp_path / f"repo{features}"), urls[features], features, "shop")
    for ident in ("FEAT-2/SC-1", "ADR-0003", "billing/refund/Refund in full"):
        assert _instructions(urls[5], ident) == _instructions(urls[50], ident), ident
