"""Read-only queries about synced step definitions and their links (``tracertm show STEP-n``, the steps of
``show SC-n``, ``history STEP-n``).

A definition's short id ``STEP-n`` numbers the project's definitions in the order they were first synced (then by
the identity each had then, its ``created`` revision's: a definition moved or renamed since keeps its place among
those synced with it), soft-deleted ones included, so a number never moves to another definition. The full identity
(``file::function``) works everywhere a short id does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Subquery

from tracertm.models import Feature, Project, Scenario, ScenarioSteps, SpecRevision, StepDefinition
from tracertm.models.types import code_points
from tracertm.steps.packed import decoded

_SHORT = re.compile(r"^STEP-(\d+)$", re.IGNORECASE)
_MAX_NUMBER = 2**63 - 1  # the largest number a 64-bit integer column (SQLite's, PostgreSQL's bigint) holds


def ranked(project_id: uuid.UUID) -> Subquery:
    """Every definition of the project (soft-deleted too: a number never moves) with its number ``n`` of
    ``STEP-n``: the one place short ids are computed. A window function numbers them in the database, so a caller
    that wants some rows (a list page, one record) joins this and reads only those, in one query. The statement
    that uses it must pass ``include_deleted=True``, or the session's soft-delete filter would drop deleted rows
    from the numbering and shift the numbers after them."""
    created = (  # one row per definition (a move writes a revision of the same version)
        select(SpecRevision.entity_id, func.min(SpecRevision.number).label("number"))
        .where(SpecRevision.project_id == project_id, SpecRevision.entity_type == "step_definition",
               SpecRevision.change == "created")
        .group_by(SpecRevision.entity_id)
        .subquery()
    )
    # The identity in the database's own order, not by code point as lists sort (``models.types.code_points``): a
    # PostgreSQL database created under en_US.UTF-8 or ICU numbered its definitions so, and a number never moves
    # to another definition — the same repository may be numbered otherwise in another database (README).
    # The row id last: a total order, so that two definitions tying on the rest never swap numbers between reads.
    order = (StepDefinition.created_at, func.coalesce(created.c.number, StepDefinition.step_number),
             StepDefinition.id)
    return (
        select(StepDefinition.id.label("id"), func.row_number().over(order_by=order).label("n"))
        .outerjoin(created, created.c.entity_id == StepDefinition.id)
        .where(StepDefinition.project_id == project_id, StepDefinition.step_number.is_not(None))
        .subquery("step_ranks")
    )


def short_id(n: int) -> str:
    """The short id of the number ``n`` :func:`ranked` gives."""
    return f"STEP-{n}"


def short_ids(session: Session, project_id: uuid.UUID,
              ids: Collection[uuid.UUID] | None = None) -> dict[uuid.UUID, str]:
    """Definition row id → ``STEP-n``, for every definition of the project or only for ``ids``."""
    numbers = ranked(project_id)
    stmt = select(numbers.c.id, numbers.c.n)
    if ids is not None:
        if not ids:
            return {}
        stmt = stmt.where(numbers.c.id.in_(list(ids)))
    rows = session.execute(stmt.execution_options(include_deleted=True)).all()
    return {row_id: short_id(n) for row_id, n in rows}


def looks_like_step(ident: str) -> bool:
    return bool(_SHORT.match(ident)) or "::" in ident


def find_definition(session: Session, project: Project, ident: str) -> StepDefinition | None:
    """``STEP-n`` or ``file::function`` → the definition row (soft-deleted too), or None."""
    short = _SHORT.match(ident)
    condition: ColumnElement[bool]
    if short:
        # No project has that many; bound as a parameter it would overflow the database's integer (an error), and
        # ``int`` refuses more than 4,300 digits (an internal error): measured before converting.
        digits = short.group(1).lstrip("0")
        if len(digits) > len(str(_MAX_NUMBER)) or int(digits or "0") > _MAX_NUMBER:
            return None
        n = int(digits or "0")
        numbers = ranked(project.id)
        condition = StepDefinition.id.in_(select(numbers.c.id).where(numbers.c.n == n))
    else:
        condition = StepDefinition.step_number == ident
    return session.execute(
        select(StepDefinition).where(StepDefinition.project_id == project.id, condition)
        .execution_options(include_deleted=True)
    ).scalar_one_or_none()


def definition_uses(session: Session, definition: StepDefinition) -> list[dict[str, Any]]:
    """The executed steps linked to a definition (defined or ambiguous), feature order: by file, line, Examples row
    line, scenario number (files and numbers by code point, whatever the database's collation; a feature of no file
    and a row of no line last, on every database: ``_ROW_LAST``), then in the order the rows were written."""
    hex_id = definition.id.hex
    query = (
        select(ScenarioSteps.steps, Scenario.scenario_number, Feature.feature_number, Feature.source_path)
        .join(Scenario, ScenarioSteps.scenario_id == Scenario.id)
        .join(Feature, Scenario.feature_id == Feature.id)
        # The scenarios whose steps name the definition (its id appears nowhere else in their JSON).
        .where(cast(ScenarioSteps.steps, Text).contains(hex_id))
        .order_by(code_points(Feature.source_path).nulls_last(), code_points(Scenario.scenario_number),
                  ScenarioSteps.id)
    )
    if definition.project_id is not None:
        query = query.where(ScenarioSteps.project_id == definition.project_id)
    found: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    path_rank = number_rank = -1
    last_path: Any = object()
    last_number: Any = object()
    for order, (steps, scenario, feature, path) in enumerate(session.execute(query).all()):
        # Ranks in the database's order of the files, and of the scenario numbers within a file.
        if path != last_path:
            path_rank, last_path, last_number = path_rank + 1, path, object()
        if scenario != last_number:
            number_rank, last_number = number_rank + 1, scenario
        for position, line, row_line, keyword, text, status, matches in decoded(steps):
            for definition_hex, arguments in matches:
                if definition_hex != hex_id:
                    continue
                found.append(((path_rank, line, _row_key(row_line), number_rank, order, position), {
                    "feature": feature, "scenario": scenario, "path": path, "line": line, "row_line": row_line,
                    "keyword": keyword, "text": text, "status": status, "arguments": list(arguments or ()),
                }))
    found.sort(key=lambda item: item[0])
    return [use for _, use in found]


def scenario_steps(session: Session, scenario: Scenario) -> list[dict[str, Any]]:
    """The executed steps of a scenario (per Examples row for an outline) and the definitions they matched."""
    return scenarios_steps(session, scenario.feature.project_id, [scenario.id]).get(scenario.id, [])


def scenarios_steps(session: Session, project_id: uuid.UUID,
                    scenario_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """``scenario_steps`` of the scenarios ``scenario_ids`` of one project, by id (a scenario with no executed
    steps left out), read together: their stored steps in a statement per 900 scenarios, the definitions they
    matched with their short ids in one per 900 definitions — a feature page of many scenarios read them per
    scenario, numbering every definition of the project each time."""
    from tracertm.engine.apply import iter_chunks

    stored: dict[uuid.UUID, list[list[Any]]] = {}
    for chunk in iter_chunks(sorted(set(scenario_ids), key=str)):
        for scenario_id, steps in session.execute(
            select(ScenarioSteps.scenario_id, ScenarioSteps.steps).where(ScenarioSteps.scenario_id.in_(chunk))
        ).all():
            if steps := decoded(steps):
                stored[scenario_id] = steps
    wanted = sorted({d for steps in stored.values() for step in steps for d, _ in step[6]})
    definitions: dict[str, tuple[StepDefinition, int | None]] = {}
    numbers = ranked(project_id)
    for chunk in iter_chunks(wanted):
        definitions.update((d.id.hex, (d, n)) for d, n in session.execute(
            select(StepDefinition, numbers.c.n).outerjoin(numbers, numbers.c.id == StepDefinition.id)
            .where(StepDefinition.id.in_([uuid.UUID(hex=h) for h in chunk]))
            .execution_options(include_deleted=True)
        ).all())
    return {scenario_id: _steps_shown(steps, definitions) for scenario_id, steps in stored.items()}


def _row_key(row_line: int | None) -> tuple[int, int]:
    """Where a step of the Examples row at ``row_line`` sorts among the others: by the row's line, and a step of no
    row line (a plain scenario's; an outline's whose stored text shows no row lines) after those with one, on every
    database, as the lists put empty values last (``repositories.keyset``). It followed the database's order of
    NULL, which SQLite puts first and PostgreSQL last: a Background step's uses in a plain scenario and in an
    outline's rows came in two orders."""
    return (1, 0) if row_line is None else (0, row_line)


def _steps_shown(steps: list[list[Any]],
                 definitions: dict[str, tuple[StepDefinition, int | None]]) -> list[dict[str, Any]]:
    """A scenario's stored steps as shown: in line order (an outline's Examples rows by ``_row_key``), each with
    the ``definitions`` (by hex id: the row and its ``STEP-n`` number) it matched."""
    out: list[dict[str, Any]] = []
    for position, line, row_line, keyword, text, status, matches in sorted(
            steps, key=lambda step: (_row_key(step[2]), step[0])):
        step = {"line": line, "row_line": row_line, "keyword": keyword, "text": text, "status": status,
                "definitions": []}
        for definition_hex, arguments in matches:  # an ambiguous step's candidates in file order
            found = definitions.get(definition_hex)
            if found is not None:
                d, n = found
                step["definitions"].append({
                    "id": short_id(n) if n is not None else None, "identity": d.step_number,
                    "location": f"{d.source_path}:{d.line}", "pattern": d.pattern, "arguments": list(arguments or ()),
                })
        out.append(step)
    return out
