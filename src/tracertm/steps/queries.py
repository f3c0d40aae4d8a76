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
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from tracertm.models import Feature, Project, Scenario, ScenarioSteps, SpecRevision, StepDefinition
from tracertm.steps.packed import decoded

_SHORT = re.compile(r"^STEP-(\d+)$", re.IGNORECASE)


def short_ids(session: Session, project_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Definition row id → ``STEP-n``."""
    created = (  # one row per definition (a move writes a revision of the same version)
        select(SpecRevision.entity_id, func.min(SpecRevision.number).label("number"))
        .where(SpecRevision.project_id == project_id, SpecRevision.entity_type == "step_definition",
               SpecRevision.change == "created")
        .group_by(SpecRevision.entity_id)
        .subquery()
    )
    rows = session.execute(
        select(StepDefinition.id)
        .outerjoin(created, created.c.entity_id == StepDefinition.id)
        .where(StepDefinition.project_id == project_id, StepDefinition.step_number.is_not(None))
        .order_by(StepDefinition.created_at, func.coalesce(created.c.number, StepDefinition.step_number))
        .execution_options(include_deleted=True)
    ).scalars()
    return {row_id: f"STEP-{n}" for n, row_id in enumerate(rows, start=1)}


def looks_like_step(ident: str) -> bool:
    return bool(_SHORT.match(ident)) or "::" in ident


def find_definition(session: Session, project: Project, ident: str) -> StepDefinition | None:
    """``STEP-n`` or ``file::function`` → the definition row (soft-deleted too), or None."""
    short = _SHORT.match(ident)
    if short:
        wanted = f"STEP-{int(short.group(1))}"
        row_id = next((i for i, s in short_ids(session, project.id).items() if s == wanted), None)
        condition = StepDefinition.id == row_id
    else:
        condition = StepDefinition.step_number == ident
    if short and row_id is None:
        return None
    return session.execute(
        select(StepDefinition).where(StepDefinition.project_id == project.id, condition)
        .execution_options(include_deleted=True)
    ).scalar_one_or_none()


def definition_uses(session: Session, definition: StepDefinition) -> list[dict[str, Any]]:
    """The executed steps linked to a definition (defined or ambiguous), feature order: by file, line, Examples row
    line, scenario number (files and numbers in the database's collation, an Examples row line of NULL where the
    database sorts NULL), then in the order the rows were written."""
    hex_id = definition.id.hex
    query = (
        select(ScenarioSteps.steps, Scenario.scenario_number, Feature.feature_number, Feature.source_path)
        .join(Scenario, ScenarioSteps.scenario_id == Scenario.id)
        .join(Feature, Scenario.feature_id == Feature.id)
        # The scenarios whose steps name the definition (its id appears nowhere else in their JSON).
        .where(cast(ScenarioSteps.steps, Text).contains(hex_id))
        .order_by(Feature.source_path, Scenario.scenario_number, ScenarioSteps.id)
    )
    if definition.project_id is not None:
        query = query.where(ScenarioSteps.project_id == definition.project_id)
    nulls_first = session.get_bind().dialect.name != "postgresql"
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
                row_key = (0 if nulls_first else 1, 0) if row_line is None else (1 if nulls_first else 0, row_line)
                found.append(((path_rank, line, row_key, number_rank, order, position), {
                    "feature": feature, "scenario": scenario, "path": path, "line": line, "row_line": row_line,
                    "keyword": keyword, "text": text, "status": status, "arguments": list(arguments or ()),
                }))
    found.sort(key=lambda item: item[0])
    return [use for _, use in found]


def scenario_steps(session: Session, scenario: Scenario) -> list[dict[str, Any]]:
    """The executed steps of a scenario (per Examples row for an outline) and the definitions they matched."""
    project_id = scenario.feature.project_id
    stored = session.execute(
        select(ScenarioSteps.steps).where(ScenarioSteps.scenario_id == scenario.id)
    ).scalar_one_or_none()
    steps = decoded(stored) if stored is not None else []
    if not steps:
        return []
    shorts = short_ids(session, project_id)
    wanted = sorted({uuid.UUID(hex=d) for step in steps for d, _ in step[6]}, key=str)
    definitions = {d.id.hex: d for d in session.execute(
        select(StepDefinition).where(StepDefinition.id.in_(wanted)).execution_options(include_deleted=True)
    ).scalars()} if wanted else {}
    nulls_first = session.get_bind().dialect.name != "postgresql"

    def order(step: list[Any]) -> tuple[Any, ...]:
        row_line = step[2]
        row_key = (0 if nulls_first else 1, 0) if row_line is None else (1 if nulls_first else 0, row_line)
        return (row_key, step[0])

    out: list[dict[str, Any]] = []
    for position, line, row_line, keyword, text, status, matches in sorted(steps, key=order):
        step = {"line": line, "row_line": row_line, "keyword": keyword, "text": text, "status": status,
                "definitions": []}
        for definition_hex, arguments in matches:  # an ambiguous step's candidates in file order
            d = definitions.get(definition_hex)
            if d is not None:
                step["definitions"].append({
                    "id": shorts.get(d.id), "identity": d.step_number, "location": f"{d.source_path}:{d.line}",
                    "pattern": d.pattern, "arguments": list(arguments or ()),
                })
        out.append(step)
    return out
