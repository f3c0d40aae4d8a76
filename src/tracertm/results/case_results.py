"""A test case's last execution (``last_execution_result``, ``last_executed_at``): kept by ``results import`` and
``results prune``, database-owned (sync never touches them; a ``PATCH`` may set them).

They are the test case's result in the newest run in which it executed — a result other than skipped: a test that
did not run is neither a pass nor a failure, as a scenario's ``last_status`` leaves such runs out — and that run's
time (its end, else its start, else its import: the report's time, as a scenario's ``last_executed_at``). Runs are
ordered as the statistics order them (``stats.walk``: the time, then the import). A test rerun within one report
has one result, its last attempt's (a pass after failures is ``passed``; the scenario's ``flaky`` says the rest).

A test case an import creates is inserted with them (``import_rows.case_rows``): one import, one version, its
``created`` revision holding them. An import compares its run with what each known test case stores: the run's
result replaces it when nothing is stored or the run is not older than the stored time (an import of an older
report changes nothing newer); a known test case that stores nothing (stored before these fields were kept, or
cleared) is read from all its results. ``prune`` reads the test cases of the runs it removed from the results
left. Either way the changed test cases are written
as ``stats.recompute`` writes scenarios: one ``UPDATE`` executed for all of them, guarded by the version read
(``version + 1``: a test case edited meanwhile is a ``ConflictError`` and the transaction writes nothing), and one
insert of their ``annotated`` revisions, the rows an ORM edit gets."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any

from tracertm.results.stats import _CHUNK, _utc, newest_executed, write_annotated

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["FIELDS", "after_import", "after_prune", "created_at", "newest"]

FIELDS = ("last_execution_result", "last_executed_at")
# The revisions' ``changed_fields`` as JSON, per set of fields changed.
_CHANGED: dict[tuple[str, ...], str] = {
    fields: json.dumps(list(fields)) for fields in (FIELDS, FIELDS[:1], FIELDS[1:])}
_NONE: tuple[str | None, dt.datetime | None] = (None, None)


def after_import(
    session: Session, run_id: uuid.UUID, is_new: Callable[[str], bool], actor: str | None = None
) -> int:
    """Set the last execution of the test cases the run ``run_id`` executed, where it is newer than what they store
    (see the module). ``is_new(id)``: whether a test case (its id in the driver's form, ``rows.IdForm``) was made
    by this import — it has no other result to read. Returns how many test cases changed."""
    from sqlalchemy import bindparam, func, or_, select

    from tracertm.models import TestCase, TestResult, TestRun
    from tracertm.results.rows import IdForm

    session.flush()  # restored test cases first: their version is the one the update is guarded by
    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
    project_id, ran = session.execute(select(TestRun.project_id, when).where(TestRun.id == run_id)).one()
    ran = _utc(ran)
    at = TestCase.last_executed_at
    stamp = bindparam("ran", ran, type_=at.type)
    # Two reads, each by a primary key whatever the plan: the run's executed results (the run's prefix of
    # ``test_results``' key: the import's own rows, however many runs are stored), then their test cases that store
    # an older time, none, or this time — those this run may change. (One join let PostgreSQL's planner reach the
    # results through each test case's, all its runs'.) The stored time is compared in the database, as written
    # (bound through its column type, as the UPDATE below writes it).
    statuses = dict(session.execute(
        select(TestResult.test_case_id, TestResult.status)
        .where(TestResult.run_id == run_id, TestResult.status != "skipped")
    ).all())
    ids = list(statuses)
    rows: list[Any] = []
    for start in range(0, len(ids), _CHUNK):
        rows += session.execute(
            select(TestCase.id, TestCase.version, TestCase.test_case_number, TestCase.last_execution_result,
                   at.is_(None), at == stamp)
            .where(TestCase.id.in_(ids[start : start + _CHUNK]), or_(at.is_(None), at <= stamp))
            .execution_options(include_deleted=True)
        ).all()
    form = IdForm(session.connection().dialect.name).of
    held: dict[uuid.UUID, tuple[Any, ...]] = {}
    values: dict[uuid.UUID, tuple[str | None, dt.datetime | None]] = {}
    unknown: list[uuid.UUID] = []  # known test cases that store no last execution: read from all their results
    for ident, version, number, result, none, same in rows:
        status = statuses[ident]
        if same and result == status:
            continue  # this run's time and result already
        # The stored time: none, this run's, or an older one (``_write`` compares the values to name those changed).
        held[ident] = (version, number, project_id, result, None if none else ran if same else _OLDER)
        if none and not is_new(form(ident)):
            unknown.append(ident)
        else:
            values[ident] = (status, ran)
    values.update(newest(session, unknown))
    return _write(session, held, values, actor, "import again")


# Stands for a stored time known to differ from the one written (``after_import`` compares times in the database).
_OLDER = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def after_prune(session: Session, test_case_ids: Iterable[uuid.UUID], actor: str | None = None) -> int:
    """Set the last execution of ``test_case_ids`` (those of the runs a prune removed) from the results left: none
    left that executed, both fields null. Returns how many test cases changed."""
    from sqlalchemy import select

    from tracertm.models import TestCase

    ids = list(dict.fromkeys(test_case_ids))
    session.flush()
    held: dict[uuid.UUID, tuple[Any, ...]] = {}
    for start in range(0, len(ids), _CHUNK):
        for ident, *rest in session.execute(
            select(TestCase.id, TestCase.version, TestCase.test_case_number, TestCase.project_id,
                   TestCase.last_execution_result, TestCase.last_executed_at)
            .where(TestCase.id.in_(ids[start : start + _CHUNK]))
            .execution_options(include_deleted=True)
        ).all():
            held[ident] = tuple(rest)
    found = newest(session, list(held))
    return _write(session, held, {ident: found.get(ident, _NONE) for ident in held}, actor, "prune again")


def newest(
    session: Session, test_case_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[str | None, dt.datetime | None]]:
    """(result, run time) of each test case's newest executed result, from all its results
    (``stats.newest_executed``); a test case with none is left out."""
    from tracertm.models import TestResult

    return dict(newest_executed(session, TestResult.test_case_id, TestResult.status, test_case_ids))


def _write(
    session: Session, held: dict[uuid.UUID, tuple[Any, ...]],
    values: dict[uuid.UUID, tuple[str | None, dt.datetime | None]], actor: str | None, again: str,
) -> int:
    """Write ``values`` over the ``held`` (version, number, project id, result, time) of the test cases whose
    values differ: one guarded ``UPDATE`` executed for all, one insert of their ``annotated`` revisions. A test
    case edited since it was read is a ``ConflictError`` that tells to ``again``."""
    from tracertm.models import TestCase
    from tracertm.parsers.common import json_safe
    from tracertm.results.rows import IdForm

    ids = IdForm(session.connection().dialect.name)
    form = ids.of
    updates: list[dict[str, Any]] = []
    revisions: list[tuple[Any, ...]] = []
    projects: dict[Any, str] = {}
    texts: dict[Any, str] = {}  # each value's JSON, made once (an import writes one time to thousands of rows)
    for ident in sorted(values):  # a stable order: the revisions' write order
        version, number, project_id, *stored = held[ident]
        new = values[ident]
        changed = tuple(key for key, old, value in zip(FIELDS, stored, new)
                        if (_utc(old) if isinstance(old, dt.datetime) else old) != value)
        if not changed:
            continue  # as the ORM: a write that changes nothing bumps nothing
        updates.append({"b_id": ident, "b_version": version, **{f"v_{key}": v for key, v in zip(FIELDS, new)}})
        # The snapshot as ``json.dumps`` of the changed fields' ``json_safe`` values writes it, made from parts.
        parts = []
        for key, value in zip(FIELDS, new):
            if key in changed:
                text = texts.get(value)
                if text is None:
                    text = texts[value] = json.dumps(json_safe(value))
                parts.append(f'"{key}": {text}')
        project = projects.get(project_id) or projects.setdefault(project_id, form(project_id))
        revisions.append((
            None, project, "test_case", form(ident), number, version + 1, "annotated", None, None,
            "{" + ", ".join(parts) + "}", actor, _CHANGED[changed],
        ))
    if not updates:
        return 0
    revisions = [(revision_id, *row[1:]) for revision_id, row in zip(ids.new(len(revisions)), revisions)]
    return write_annotated(session, TestCase, FIELDS, updates, revisions,
                           f"a test case was edited while its last execution was written; {again}")


def created_at(session: Session, made: list[list[Any]], ran: dt.datetime) -> None:
    """The streamed import (``results.streamed``): set the time of the test cases it created with another one than
    the run's (the report as far as it was read), ``made`` as each chunk's rowid spans (SQLite) or ids (PostgreSQL),
    to ``ran``: those that executed, and their ``created`` revision's snapshot. Still their first version: made by
    this import, in its transaction."""
    from sqlalchemy import Text, and_, bindparam, cast, func, literal, select, update

    from tracertm.models import SpecRevision, TestCase
    from tracertm.results.import_rows import core_table

    cases, revisions = core_table(TestCase), core_table(SpecRevision)
    connection = session.connection()
    ran = _utc(ran)
    text = ran.isoformat()  # as an ORM write records it (``parsers.common.json_safe``)
    keys: list[uuid.UUID] = []
    value: Any
    if connection.dialect.name == "sqlite":
        value = func.json_set(revisions.c.snapshot, "$.last_executed_at", bindparam("text", text, type_=Text))
        for spans in made:
            for first, last in spans:
                keys += [uuid.UUID(row[0]) for row in connection.exec_driver_sql(
                    "SELECT id FROM test_cases WHERE rowid BETWEEN ? AND ?", (first, last))]
    else:
        value = revisions.c.snapshot.op("||")(func.jsonb_build_object(
            literal("last_executed_at", Text), cast(bindparam("text", text, type_=Text), Text)))
        keys = [uuid.UUID(ident) for rows in made for ident in rows]
    for start in range(0, len(keys), _CHUNK):
        executed = session.execute(select(TestCase.id).where(
            TestCase.id.in_(keys[start : start + _CHUNK]), TestCase.last_execution_result.is_not(None))
            .execution_options(include_deleted=True)).scalars().all()
        if not executed:
            continue
        connection.execute(update(cases).where(cases.c.id.in_(executed)).values(last_executed_at=ran))
        connection.execute(update(revisions).where(and_(
            revisions.c.entity_id.in_(executed), revisions.c.entity_type == "test_case",
            revisions.c.version == 1, revisions.c.change == "created")).values(snapshot=value))
