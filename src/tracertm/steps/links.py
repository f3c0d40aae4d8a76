"""Sync's step links: after apply, in the same transaction, which definition every executed scenario step matches
(``scenario_step_matches``) and each definition's ``usage_count`` — derived figures, recomputed, never versioned.

Only what could have changed is re-matched, per scenario:

- the scenarios this run wrote (created, updated, restored, moved — a changed feature file);
- when definitions changed (created, updated, deleted, restored, moved): the scenarios with a step that matched a
  changed or removed definition, and those with a step some new or changed definition could match (found through
  an index of just those definitions, over the step texts already stored); all scenarios when a parameter type
  changed (it can change what any Cucumber Expression means).

Definitions come from the step files of this run's source (parsed here, they are few); a step file that fails to
parse keeps its rows, and its definitions are rebuilt from them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from tracertm.errors import Diagnostic, ParseError
from tracertm.parsers.records import ParseResult, SpecRecord
from tracertm.steps.expressions import Compiled, DefinitionError, Registries, compile_definition
from tracertm.steps.matching import StepIndex
from tracertm.steps.model import Parameter, ParameterTypeDecl, StepDefinition, StepFile
from tracertm.steps.scenarios import StepUse, _keyword_types, scenario_uses

_BATCH = 2000


@dataclass
class LinkStats:
    """What a refresh did: scenarios re-matched, rows written, steps per verdict among them."""

    scenarios: int = 0
    rows: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    # Definitions skipped for running over their time budget (tracertm.steps.bounded), as warnings of the sync.
    findings: list[Diagnostic] = field(default_factory=list)


def _tables() -> tuple[Any, Any, Any, Any]:
    from tracertm.models import Base

    t = Base.metadata.tables
    return t["scenario_step_matches"], t["step_definitions"], t["scenarios"], t["features"]


def definition_from_row(row: Any) -> StepDefinition:
    """A step definition rebuilt from its row (for a step file that does not parse right now)."""
    metadata = row.step_metadata or {}
    return StepDefinition(
        keyword=row.step_type, pattern=row.pattern, kind=row.pattern_kind, framework=row.framework,
        language=row.language, path=row.source_path or row.implementation_path or "", line=row.line or 0,
        column=int(metadata.get("column", 1)), function=row.function_name or "",
        parameters=tuple(Parameter(p.get("name", ""), p.get("type", "")) for p in row.parameters or ()),
        flags=str(metadata.get("flags", "")), target_fixture=metadata.get("target_fixture"),
        identity=row.step_number,
    )


def refresh(
    session: Session,
    project_id: uuid.UUID,
    step_files: Mapping[str, StepFile | ParseError],
    *,
    changed_features: Iterable[str],
    changed_definitions: Iterable[str],
    types_changed: bool,
    full: bool = False,
    parsed_features: Mapping[str, ParseResult] | None = None,
) -> LinkStats:
    """Re-match what could have changed (see the module docstring) and recompute ``usage_count``.

    ``step_files``: every step file of the source (parsed, or its error); ``changed_features``: paths of the feature
    files this run parsed or removed; ``changed_definitions``: identities of definitions this run created, changed,
    deleted, restored or moved; ``types_changed``: a step file declaring parameter types changed; ``full``: re-match
    every scenario (the first run, or ``sync --full``); ``parsed_features``: this run's parse results of feature
    files (their scenarios' steps are taken from them instead of being read back)."""
    links, defs, scenarios, features = _tables()
    conn = session.connection()
    rows = conn.execute(
        select(defs).where(defs.c.project_id == project_id, defs.c.deleted_at.is_(None),
                           defs.c.step_number.is_not(None))
    ).all()
    ids = {r.step_number: r.id for r in rows}
    parsed = {p: f for p, f in step_files.items() if isinstance(f, StepFile)}
    definitions = [d for f in parsed.values() for d in f.definitions if d.identity in ids]
    # A file that fails to parse keeps its rows: its definitions are rebuilt from them (as is any live definition
    # whose file this run did not read).
    definitions += [definition_from_row(r) for r in rows if (r.source_path or r.implementation_path) not in parsed]
    registries = Registries(t for f in parsed.values() for t in f.parameter_types)
    compiled: list[Compiled] = []
    for d in definitions:
        try:
            compiled.append(compile_definition(d, registries))
        except DefinitionError:
            continue  # reported by the parse/check of its file; it matches nothing
    changed = set(changed_definitions)
    slow: dict[str, tuple[StepDefinition, str]] = {}

    paths = sorted(set(changed_features))
    targets: set[uuid.UUID] = set()
    for start in range(0, len(paths), _BATCH):  # deleted scenarios too: their rows go
        targets |= {r.id for r in conn.execute(
            select(scenarios.c.id).join(features, scenarios.c.feature_id == features.c.id).where(
                features.c.project_id == project_id, features.c.source_path.in_(paths[start : start + _BATCH]))
        )}
    if full or types_changed:
        targets = _live_scenarios(conn, project_id)
    elif changed:
        changed_ids = {r.id for r in conn.execute(
            select(defs.c.id).where(defs.c.project_id == project_id, defs.c.step_number.in_(sorted(changed)))
        )}
        if changed_ids:
            targets |= {r.scenario_id for r in conn.execute(
                select(links.c.scenario_id).where(links.c.step_definition_id.in_(sorted(changed_ids, key=str)))
            )}
        probe = StepIndex(c for c in compiled if c.definition.identity in changed)
        slow = probe.slow
        if probe.compiled:
            for scenario_id, text in conn.execute(
                select(links.c.scenario_id, links.c.step_text).where(links.c.project_id == project_id).distinct()
            ):
                if scenario_id not in targets and any(
                    probe.try_match(c, text) is not None for c in probe.candidates(text)
                ):
                    targets.add(scenario_id)
    parsed_features = parsed_features or {}
    stats = LinkStats()
    if targets or changed:
        index = StepIndex(compiled)
        index.slow.update(slow)
        stats = _rematch(conn, project_id, sorted(targets, key=str), index, ids, parsed_features)
        _usage_counts(conn, project_id)
        stats.findings = [replace(d, severity="warning") for d in index.findings()]
    return stats


def _live_scenarios(conn: Any, project_id: uuid.UUID) -> set[uuid.UUID]:
    _, _, scenarios, features = _tables()
    query = select(scenarios.c.id).join(features, scenarios.c.feature_id == features.c.id).where(
        features.c.project_id == project_id, features.c.deleted_at.is_(None), scenarios.c.deleted_at.is_(None)
    )
    return {r.id for r in conn.execute(query)}


def _uses(
    conn: Any, scenario_ids: list[uuid.UUID], parsed: Mapping[str, ParseResult]
) -> Iterable[tuple[uuid.UUID, list[StepUse]]]:
    """The executed steps of live scenarios: from this run's parse of their feature file when there is one (no
    read back), else rebuilt from their rows (deleted ones have none)."""
    _, _, s, f = _tables()
    rest: list[uuid.UUID] = []
    if parsed:
        records = {(r.path, child.number): (child, str(feature.fields.get("feature_metadata", {}).get("language")
                                                          or "en"))
                   for r in parsed.values() for feature in r.records for child in feature.children}
        for start in range(0, len(scenario_ids), _BATCH):
            chunk = scenario_ids[start : start + _BATCH]
            query = select(s.c.id, s.c.scenario_number, f.c.source_path).join(f, s.c.feature_id == f.c.id).where(
                s.c.id.in_(chunk), s.c.deleted_at.is_(None), f.c.deleted_at.is_(None)
            )
            for r in conn.execute(query):
                found = records.get((r.source_path, r.scenario_number))
                if found is None:
                    rest.append(r.id)
                else:
                    yield r.id, scenario_uses(r.source_path, found[0], _keyword_types(found[1]))
        scenario_ids = rest
    columns = (s.c.id, s.c.scenario_number, s.c.title, s.c.gherkin_text, s.c.background, s.c.given_steps,
               s.c.when_steps, s.c.then_steps, s.c.examples, s.c.scenario_metadata, f.c.source_path,
               f.c.feature_metadata)
    for start in range(0, len(scenario_ids), _BATCH):
        chunk = scenario_ids[start : start + _BATCH]
        query = select(*columns).join(f, s.c.feature_id == f.c.id).where(
            s.c.id.in_(chunk), s.c.deleted_at.is_(None), f.c.deleted_at.is_(None)
        )
        for r in conn.execute(query):
            fields = {
                "title": r.title, "gherkin_text": r.gherkin_text, "background": r.background,
                "given_steps": r.given_steps, "when_steps": r.when_steps, "then_steps": r.then_steps,
                "examples": r.examples, "scenario_metadata": r.scenario_metadata or {},
            }
            language = str((r.feature_metadata or {}).get("language") or "en")
            record = SpecRecord("scenario", r.scenario_number, fields)
            yield r.id, scenario_uses(r.source_path or "", record, _keyword_types(language))


def _rematch(
    conn: Any, project_id: uuid.UUID, targets: list[uuid.UUID], index: StepIndex, ids: Mapping[str, uuid.UUID],
    parsed: Mapping[str, ParseResult],
) -> LinkStats:
    links, _, _, _ = _tables()
    stats = LinkStats(scenarios=len(targets))
    for start in range(0, len(targets), _BATCH):
        conn.execute(delete(links).where(links.c.scenario_id.in_(targets[start : start + _BATCH])))
    key, write = _link_writer(conn)
    project = key(project_id)
    definitions = {identity: key(i) for identity, i in ids.items()}
    batch: list[_Row] = []
    for scenario_id, uses in _uses(conn, targets, parsed):
        scenario = key(scenario_id)
        for position, use in enumerate(uses):
            result = index.match(use)
            stats.statuses[result.status] = stats.statuses.get(result.status, 0) + 1
            if not result.matches:
                batch.append((project, scenario, None, position, use.line, use.row_line, use.keyword, use.text,
                              result.status, []))
            for d, args in result.matches:
                batch.append((project, scenario, definitions[d.identity], position, use.line, use.row_line,
                              use.keyword, use.text, result.status, [a.value for a in args]))
            if len(batch) >= _BATCH:
                write(batch)
                stats.rows += len(batch)
                batch = []
    if batch:
        write(batch)
        stats.rows += len(batch)
    from tracertm.engine.links import write_scenario_links  # the trace links that follow the matches

    write_scenario_links(conn, project_id, "step", targets)
    return stats


# One scenario_step_matches row without its id, in _COLUMNS order; its ids as the writer's ``key`` gives them.
_Row = tuple[Any, Any, Any, int, int, "int | None", str, str, str, list[Any]]
_COLUMNS = ("project_id", "scenario_id", "step_definition_id", "position", "line", "row_line", "keyword",
            "step_text", "status", "arguments")


def _link_writer(conn: Any) -> tuple[Callable[[uuid.UUID], Any], Callable[[list[_Row]], None]]:
    """(key, write): ``key(id)`` is an id as rows carry it; ``write(rows)`` inserts rows of
    ``scenario_step_matches`` (each with a new id) in one round trip.

    A cold sync writes one row per executed step (hundreds of thousands on a large corpus), and SQLAlchemy's
    per-row parameter processing costs about a third of that insert. On SQLite the rows go to the driver's
    ``executemany`` in the form SQLAlchemy would store them (a ``Uuid`` as 32 hex digits, JSON as text); elsewhere
    through SQLAlchemy Core (psycopg's batched inserts are fast already)."""
    links, _, _, _ = _tables()
    if conn.dialect.name != "sqlite":
        statement = insert(links)

        def core(rows: list[_Row]) -> None:
            conn.execute(statement, [dict(zip(_COLUMNS, row), id=uuid.uuid4()) for row in rows])

        return (lambda value: value), core
    import json
    import os

    names = ("id", *_COLUMNS)
    sql = f"INSERT INTO scenario_step_matches ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"

    def driver(rows: list[_Row]) -> None:
        fresh = os.urandom(16 * len(rows))
        conn.exec_driver_sql(sql, [
            (_uuid4_hex(fresh, i), *r[:9], json.dumps(r[9]) if r[9] else "[]") for i, r in enumerate(rows)
        ])

    return (lambda value: value.hex), driver


def _uuid4_hex(random: bytes, i: int) -> str:
    """The ``i``-th random (version 4) UUID of ``random`` as 32 hex digits: ``uuid.uuid4().hex`` without building
    a ``UUID`` (its constructor is most of the cost)."""
    b = bytearray(random[16 * i : 16 * i + 16])
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return b.hex()


def _usage_counts(conn: Any, project_id: uuid.UUID) -> None:
    """``usage_count`` = the steps a definition alone matches. A Core update: a derived, database-owned figure
    moves no ``version`` (it is not an edit of the definition)."""
    links, defs, _, _ = _tables()
    count = (
        select(func.count()).where(links.c.step_definition_id == defs.c.id, links.c.status == "defined")
        .scalar_subquery()
    )
    conn.execute(update(defs).where(defs.c.project_id == project_id).values(usage_count=count))


__all__ = ["LinkStats", "ParameterTypeDecl", "definition_from_row", "refresh"]
