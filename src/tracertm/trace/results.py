"""Scenario → test case trace links, written by the results import in its transaction.

The import maps each test result to a scenario (``tracertm.results.mapping``); every (scenario, test case) pair it
maps becomes a ``test`` link, once. A later run never withdraws a mapping, so links are only added here. Like every
link, a new one is born reviewed against its target's current version.

Two writers of the same rows: ``link_scenarios_to_test_cases`` through ``engine.links.write_scenario_links`` (the
reference, Core statements on ``uuid.UUID`` values), and ``add_test_links``, which the import runs: the same reads
and the same rows through the driver (ids in the driver's form, ``results.rows``), because an import of a large
report links thousands of pairs and SQLAlchemy's per-value processing cost more than the database's work. The
links of test cases the import creates need no read at all (``new_test_link_rows``: ``results.streamed``'s parse
process makes them). ``tests/results/test_results_store_equivalence.py`` compares every table both ways.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from tracertm.models import LinkType


def link_scenarios_to_test_cases(
    session: Session, project_id: uuid.UUID, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> int:
    """Add the ``test`` links of (scenario id, test case id) ``pairs`` that do not exist yet, set-based (a handful
    of statements per 500 scenarios, whatever the number of pairs). Returns how many links were added. The caller
    holds the project's write lock and commits."""
    from tracertm.engine.links import write_scenario_links

    wanted = set(pairs)
    if not wanted:
        return 0
    return write_scenario_links(session.connection(), project_id, str(LinkType.TEST), (), pairs=wanted)


def add_test_links(
    connection: Connection, project_id: uuid.UUID, pairs: Collection[tuple[uuid.UUID, uuid.UUID]]
) -> int:
    """``link_scenarios_to_test_cases`` through the driver: the same reads, the same links added in the same order
    (their ids), with the same values. Returns how many links were added."""
    from tracertm.engine.links import clip_ref
    from tracertm.results.rows import IdForm, select_rows

    if not pairs:
        return 0
    ids = IdForm(connection.dialect.name)
    # Parameters: UUIDs on PostgreSQL (psycopg sends a list of them as uuid[]), the stored hex on SQLite.
    hyphens = ids.hyphens

    def param(value: uuid.UUID) -> uuid.UUID | str:
        return value if hyphens else value.hex

    form = {(ids.of(s), ids.of(c)): (s, c) for s, c in set(pairs)}
    scenarios = {s for s, _c in form.values()}
    existing = set(select_rows(
        connection, "SELECT CAST(source_id AS TEXT), CAST(target_id AS TEXT) FROM links "
                    "WHERE link_type = ? AND source_id {values}",
        (str(LinkType.TEST),), [param(s) for s in sorted(scenarios, key=str)]))
    # (scenario, target) as str(): write_scenario_links' order
    new = sorted(key for key in form if key not in existing)
    if not new:
        return 0
    sources: dict[str, tuple[str, str | None, int]] = {}
    for ident, number, feature, path, *steps in select_rows(
        connection, "SELECT CAST(s.id AS TEXT), s.scenario_number, f.feature_number, f.source_path, s.given_steps, "
                    "s.when_steps, s.then_steps FROM scenarios s JOIN features f ON s.feature_id = f.id "
                    "WHERE s.deleted_at IS NULL AND f.deleted_at IS NULL AND s.id {values}",
        (), [param(u) for u in sorted({form[key][0] for key in new}, key=str)],
    ):
        sources[ident] = link_source(number, feature, path, steps)
    targets: dict[str, tuple[str, int]] = {}
    for ident, number, version in select_rows(
        connection, "SELECT CAST(id AS TEXT), test_case_number, version FROM test_cases "
                    "WHERE test_case_number IS NOT NULL AND id {values}", (),
        [param(u) for u in sorted({form[key][1] for key in new}, key=str)],
    ):
        targets[ident] = (clip_ref(str(number)), version)
    project = ids.of(project_id)
    rows = [_row(project, scenario, sources[scenario], target, *targets[target]) for scenario, target in new
            # a deleted scenario links nothing; a test case without a number is not an imported one
            if scenario in sources and target in targets]
    return insert_test_links(connection, rows)


def link_source(
    number: str, feature_number: str, path: str | None, steps: Iterable[Any]
) -> tuple[str, str | None, int]:
    """(source_ref, source_path, source_line) of a scenario's ``test`` links, as ``write_scenario_links`` gives
    them: ``FEATURE/SCENARIO``, the feature's file, the line of the first of its ``steps`` (the given, when and
    then lists), else 1."""
    from tracertm.engine.links import first_step_line, source_ref

    return source_ref("scenario", number, feature_number), path, first_step_line(steps) or 1


def new_test_link_rows(
    project: str, pairs: Iterable[tuple[str, str, str]], sources: Mapping[str, tuple[str, str | None, int]]
) -> list[tuple[Any, ...]]:
    """The rows (for ``insert_test_links``) of the ``test`` links of test cases an import creates: (scenario id,
    test case id, test case number) ``pairs`` in the driver's form, each scenario's ``link_source`` in ``sources``.
    What ``add_test_links`` would write for them, made without reading the database: a new test case has no link
    yet and is at version 1 (``results.streamed``'s parse process makes these rows)."""
    from tracertm.engine.links import clip_ref

    return [_row(project, scenario, sources[scenario], target, clip_ref(number), 1)
            for scenario, target, number in sorted(set(pairs))]  # add_test_links' order


def _row(
    project: str, scenario: str, source: tuple[str, str | None, int], target: str, target_ref: str, version: int
) -> tuple[Any, ...]:
    """One ``test`` link's row (``_COLUMNS``), born reviewed against its test case's ``version``."""
    ref, path, line = source
    return (project, "scenario", scenario, ref, path, line, str(LinkType.TEST), "test_case", target_ref, target,
            version, version)


def insert_test_links(connection: Connection, rows: list[tuple[Any, ...]]) -> int:
    """Insert ``new_test_link_rows``."""
    from tracertm.engine.links import LINKS
    from tracertm.results.rows import insert_rows

    return insert_rows(connection, LINKS, _COLUMNS, rows)


_COLUMNS = ("project_id", "source_kind", "source_id", "source_ref", "source_path", "source_line", "link_type",
            "target_kind", "target_ref", "target_id", "target_version", "reviewed_version")


__all__ = ["add_test_links", "insert_test_links", "link_scenarios_to_test_cases", "link_source",
           "new_test_link_rows"]
