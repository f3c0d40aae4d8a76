"""Read-only queries about synced step definitions and their links (``tracertm show STEP-n``, the steps of
``show SC-n``, ``history STEP-n``).

A definition's short id ``STEP-n`` numbers the project's definitions in the order they were first synced (then by
identity), soft-deleted ones included, so a number never moves to another definition. The full identity
(``file::function``) works everywhere a short id does.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracertm.models import Feature, Project, Scenario, ScenarioStepMatch, StepDefinition

_SHORT = re.compile(r"^STEP-(\d+)$", re.IGNORECASE)


def short_ids(session: Session, project_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Definition row id → ``STEP-n``."""
    rows = session.execute(
        select(StepDefinition.id)
        .where(StepDefinition.project_id == project_id, StepDefinition.step_number.is_not(None))
        .order_by(StepDefinition.created_at, StepDefinition.step_number)
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
    """The executed steps linked to a definition (defined or ambiguous), feature order."""
    query = (
        select(ScenarioStepMatch, Scenario.scenario_number, Feature.feature_number, Feature.source_path)
        .join(Scenario, ScenarioStepMatch.scenario_id == Scenario.id)
        .join(Feature, Scenario.feature_id == Feature.id)
        .where(ScenarioStepMatch.step_definition_id == definition.id)
        # Then scenario and row id: a Background step's line is the same in every scenario of its feature.
        .order_by(Feature.source_path, ScenarioStepMatch.line, ScenarioStepMatch.row_line, Scenario.scenario_number,
                  ScenarioStepMatch.id)
    )
    return [
        {
            "feature": feature, "scenario": scenario, "path": path, "line": m.line, "row_line": m.row_line,
            "keyword": m.keyword, "text": m.step_text, "status": m.status, "arguments": list(m.arguments or ()),
        }
        for m, scenario, feature, path in session.execute(query).all()
    ]


def scenario_steps(session: Session, scenario: Scenario) -> list[dict[str, Any]]:
    """The executed steps of a scenario (per Examples row for an outline) and the definitions they matched."""
    project_id = scenario.feature.project_id
    shorts = short_ids(session, project_id)
    query = (
        select(ScenarioStepMatch, StepDefinition)
        .outerjoin(StepDefinition, ScenarioStepMatch.step_definition_id == StepDefinition.id)
        .where(ScenarioStepMatch.scenario_id == scenario.id)
        # Row ids last: an ambiguous step's candidates in the order they were written (file order).
        .order_by(ScenarioStepMatch.row_line, ScenarioStepMatch.position, ScenarioStepMatch.id)
        .execution_options(include_deleted=True)
    )
    steps: dict[tuple[int | None, int], dict[str, Any]] = {}
    for m, d in session.execute(query).all():
        step = steps.setdefault((m.row_line, m.position), {
            "line": m.line, "row_line": m.row_line, "keyword": m.keyword, "text": m.step_text, "status": m.status,
            "definitions": [],
        })
        if d is not None:
            step["definitions"].append({
                "id": shorts.get(d.id), "identity": d.step_number, "location": f"{d.source_path}:{d.line}",
                "pattern": d.pattern, "arguments": list(m.arguments or ()),
            })
    return list(steps.values())
