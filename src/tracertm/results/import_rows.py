"""The rows a results import writes: test cases (new ones inserted, soft-deleted ones that ran again restored),
their ``created`` revisions, the results, and the links of test cases to scenarios (the seed's association table).
``results.store`` writes them in-process; ``results.streamed``'s parse process makes them and its import writes them.

Set-based and lean, because a report holds tens of thousands of tests and the import is measured against parsing
the report (``bench/results_bench.py``): rows are tuples of driver values written many per statement
(``results.rows``: test cases with ``ON CONFLICT DO NOTHING``, their ``created`` revisions, results), no ORM object
or parameter dictionary per row, and the statistics are recomputed only for the scenarios that ran, all at once
(``stats.recompute``). Rows written with Core do not reach the ORM's audit listener, so the revisions it would
write are written here."""

from __future__ import annotations

import datetime as dt
import json
import operator
import uuid
from collections.abc import Collection, Sequence
from json.encoder import encode_basestring_ascii as _json_text  # a str as JSON text: json.dumps without its dispatch
from typing import TYPE_CHECKING, Any

from tracertm.results.mapping import Match
from tracertm.results.report import CaseResult
from tracertm.results.rows import Flat, IdForm, insert_rows, query, select_rows

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

_CHUNK = 500  # ids per ``IN`` list of a read


def result_rows(
    ids: IdForm, run: str, cases: list[CaseResult], matches: list[Match], case_ids: dict[str, str]
) -> list[tuple[Any, ...]]:
    """The ``test_results`` rows (``_RESULT_COLUMNS``) of ``cases``, in primary-key order (run, test case): the
    index grows at its end."""
    scenario_ids = {m.scenario.key: ids.of(m.scenario.key) for m in matches if m.scenario}
    rows = [  # most tests of a large report map to no scenario: their rows skip the scenario lookup
        (run, case_ids[case.external_id], scenario_ids[m.scenario.key], m.row, m.rule, case.status, case.duration,
         case.message, case.failed_attempts)
        if m.scenario else
        (run, case_ids[case.external_id], None, None, None, case.status, case.duration, case.message,
         case.failed_attempts)
        for case, m in zip(cases, matches)
    ]
    rows.sort(key=_second)
    return rows


def insert_results(connection: Connection, rows: Sequence[tuple[Any, ...]] | Flat) -> None:
    """Insert ``result_rows`` (or ``flat_rows("results", …)``)."""
    from tracertm.models import TestResult

    insert_rows(connection, core_table(TestResult), _RESULT_COLUMNS, rows)


def upsert_cases(
    session: Session, project_id: uuid.UUID, cases: list[CaseResult], ids: IdForm, ran: dt.datetime | None
) -> tuple[dict[str, str], set[str]]:
    """Test case ids (in the driver's form, see ``rows.IdForm``) by external id, inserting the new ones, their last
    execution that of the run at ``ran`` (``last_execution``). Returns (ids, the ids of those created).

    A test case row is an identity (number, title, path, metadata); its outcomes live in ``test_results``, so an
    import does not rewrite 20,000 rows (each ORM edit of a versioned row is a revision): the new ones are inserted
    in external-id order with new ids in the same order, ``ON CONFLICT (project_id, test_case_number) DO NOTHING``
    on both dialects, so that a row another writer inserted meanwhile is kept and found. Only a soft-deleted test
    case that runs again is edited: restored through the ORM, which records the annotated revision.
    """
    connection = session.connection()
    existing = _existing_cases(connection, ids.of(project_id), [case.external_id for case in cases])
    found = {number: ident for number, (ident, _deleted) in existing.items()}
    project = ids.of(project_id)
    at, at_json = run_time(ids, ran)
    rows = case_rows(ids, project, [case for case in cases if case.external_id not in existing], {}, at)
    found.update((row[2], row[0]) for row in rows)
    inserted = rows
    stamp = sqlite_now(connection)
    if insert_cases(connection, rows, stamp, session.info.get("actor"), at_json) != len(rows):
        # Another writer inserted some of them first: theirs are the ids, and theirs the created revisions.
        raced = _existing_cases(connection, project, [row[2] for row in rows])
        found.update({number: ident for number, (ident, _deleted) in raced.items()})
        inserted = [row for row in rows if raced[row[2]][0] == row[0]]
    if stamp is None:  # PostgreSQL (SQLite: insert_cases wrote them)
        _created_revisions(session, ids, inserted)
    restore(session, [uuid.UUID(ident) for ident, gone in existing.values() if gone])
    return found, {row[0] for row in inserted}


def restore(session: Session, restored: list[uuid.UUID]) -> None:
    """Restore soft-deleted test cases that ran again, through the ORM (which records the annotated revision)."""
    from sqlalchemy import select

    from tracertm.models import TestCase

    for start in range(0, len(restored), _CHUNK):
        for test_case in session.execute(
            select(TestCase).where(TestCase.id.in_(restored[start : start + _CHUNK]))
            .execution_options(include_deleted=True)
        ).scalars():
            test_case.restore()
    session.flush()


# The columns an import gives a new test case, in the order of its rows. A new test case is created with its last
# execution (``case_results``): one import, one version, its ``created`` revision holding them.
_CASE_COLUMNS = ("id", "project_id", "test_case_number", "title", "status", "automation_script_path",
                 "test_case_metadata", "last_execution_result", "last_executed_at")
_REVISION_COLUMNS = ("id", "project_id", "entity_type", "entity_id", "number", "version", "change", "actor",
                     "snapshot")


_RESULT_COLUMNS = ("run_id", "test_case_id", "scenario_id", "example_row", "match_rule", "status", "duration",
                   "message", "failed_attempts")
# The columns of each kind of row that hold one value in all the rows of an import, by construction (``case_rows``:
# the project and "automated"), bound once per statement on SQLite (``rows.Flat``). Not a result's run: one shared
# value of nine saves less than picking the others out of each row costs.
_SHARED: dict[str, tuple[int, ...]] = {"cases": (1, 4), "results": ()}
# The columns of each kind of row an import writes on SQLite, and the time columns that get its stamp (sqlite_now).
# (The ``created`` revisions: ``_CREATED_SQL`` there, ``insert_revisions`` on PostgreSQL.)
_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cases": (_CASE_COLUMNS, ("created_at", "updated_at")),
    "results": (_RESULT_COLUMNS, ()),
}


_EXTERNAL_ID = operator.attrgetter("external_id")  # a sort key in C: no Python call per test case


_second = operator.itemgetter(1)  # a row's second value, as a sort key (a C callable: no Python call per row)


def sqlite_now(connection: Connection) -> str | None:
    """SQLite: the text its ``created_at`` / ``updated_at`` default would write now (``models.types.utcnow``), read
    once, so that the import's rows carry it as a value: a default expression is evaluated for every row inserted
    (``strftime`` per row and column, a tenth of the CPU of inserting a revision). The rows of one import get the
    time of one instant, as on PostgreSQL (whose ``now()`` is the transaction's start). None on PostgreSQL."""
    if connection.dialect.name != "sqlite":
        return None
    from tracertm.engine.bulk import now

    return now(connection)


def _created_revisions(session: Session, ids: IdForm, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: the version-1 ``created`` revision of each inserted test case (``rows`` in ``_CASE_COLUMNS``
    order), as ``models/audit.py`` writes it for a test case the ORM adds (a Core insert does not reach its
    listener). (SQLite: ``insert_cases`` writes them.)"""
    if rows:
        insert_revisions(session.connection(), revision_rows(ids, rows, session.info.get("actor")))


def revision_rows(ids: IdForm, rows: list[tuple[Any, ...]], actor: str | None) -> list[tuple[Any, ...]]:
    """PostgreSQL: the ``created`` revision rows (``_REVISION_COLUMNS``) of new test case rows (``_CASE_COLUMNS``):
    the test case's fields, the null ones left out. The snapshot's JSON is put together from the row's texts (the
    metadata is already JSON; the time is ISO text there, ``run_time``), not serialized again per row;
    ``_CREATED_SQL`` makes the same text on SQLite."""
    text = _json_text
    return [
        (revision_id, project, "test_case", ident, number, 1, "created", actor,
         f'{{"test_case_number":{text(number)},"title":{text(title)},"status":"{status}"'
         + (f',"automation_script_path":{text(path)}' if path is not None else "")
         + f',"test_case_metadata":{metadata}'
         + (f',"last_execution_result":{text(result)}' if result is not None else "")
         + (f',"last_executed_at":{text(at)}}}' if at is not None else "}"))
        for revision_id, (ident, project, number, title, status, path, metadata, result, at)
        in zip(ids.new(len(rows)), rows)
    ]


def run_time(ids: IdForm, ran: dt.datetime | None) -> tuple[str | None, str | None]:
    """(the driver's value, the ``created`` snapshot's JSON text) of a run's time ``ran`` as a new test case's
    ``last_executed_at``, for ``ids``' dialect: on SQLite the naive UTC text ``UTCDateTime`` stores, on PostgreSQL
    ISO text; the snapshot holds ``json_safe``'s ISO text of the aware time, as an ORM write of the field records
    it. Texts: the streamed import's parse process sends them with ``marshal``."""
    if ran is None:
        return None, None
    ran = ran.replace(tzinfo=dt.timezone.utc) if ran.tzinfo is None else ran.astimezone(dt.timezone.utc)
    iso = ran.isoformat()
    return (ran.replace(tzinfo=None).strftime(_SQLITE_TIME) if ids.dialect == "sqlite" else iso), _json_text(iso)


_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DATETIME storage format


def insert_revisions(connection: Connection, revisions: Sequence[tuple[Any, ...]]) -> None:
    """PostgreSQL: insert ``revision_rows`` (copied). (SQLite: ``insert_cases`` has the database make them.)"""
    from tracertm.models import SpecRevision

    insert_rows(connection, core_table(SpecRevision), _REVISION_COLUMNS, revisions, json=("snapshot",))


def _stamped(
    kind: str, rows: Sequence[tuple[Any, ...]] | Flat, stamp: str | None
) -> tuple[tuple[str, ...], Sequence[tuple[Any, ...]] | Flat]:
    """(columns, rows) of ``kind``, the rows with the stamp columns added on SQLite (flat rows have them)."""
    columns, stamps = _KINDS[kind]
    if stamp is None or not stamps:
        return columns, rows
    if isinstance(rows, Flat):
        return (*columns, *stamps), rows
    extra = (stamp,) * len(stamps)
    return (*columns, *stamps), [(*row, *extra) for row in rows]


def flat_rows(kind: str, rows: Sequence[tuple[Any, ...]], stamp: str) -> Flat:
    """SQLite: rows of ``kind`` (``cases``, ``results``) stamped and cut into statements where they are made
    (``results.streamed``'s parse process), for ``insert_cases`` / ``insert_results``."""
    columns, stamps = _KINDS[kind]
    return Flat(len(columns), rows, shared=_SHARED[kind], extra=(stamp,) * len(stamps))


def case_rows(
    ids: IdForm, project: str, new_cases: list[CaseResult], metadata_texts: dict[tuple[Any, ...], str],
    at: str | None,
) -> list[tuple[Any, ...]]:
    """The rows (``_CASE_COLUMNS``) of test cases not in the database yet, in external-id order with new ids in the
    same order. ``metadata_texts`` keeps the metadata JSON made so far (thousands of unit tests share a classname).
    Each is created with its last execution: its result in this run and the run's time ``at`` (``run_time``'s
    driver value; None: not known yet, ``results.streamed``), none when it was skipped (``case_results``: a skip is
    no execution)."""
    new_cases = sorted(new_cases, key=_EXTERNAL_ID)
    made = metadata_texts.get  # the metadata's JSON looked up in the row itself (no call per row), made when new
    return [
        (ident, project, case.external_id, case.name, "automated", case.feature_uri or case.file,
         made((case.classname, case.feature_name, case.tags, case.properties))
         or _metadata_text(case, metadata_texts),
         *((None, None) if case.status == "skipped" else (case.status, at)))
        for ident, case in zip(ids.new(len(new_cases)), new_cases)
    ]


def insert_cases(
    connection: Connection, rows: Sequence[tuple[Any, ...]] | Flat, stamp: str | None, actor: str | None,
    at_json: str | None, spans: list[tuple[int, int]] | None = None,
) -> int:
    """Insert ``case_rows`` (or ``flat_rows("cases", …)``), leaving out those whose (project, external id) exists:
    how many went in. ``stamp``: see ``sqlite_now``. On SQLite the ``created`` revisions (``actor``'s) of the rows
    that went in are written too (``_CREATED_SQL``; ``at_json``: the snapshot's text of the rows' time,
    ``run_time``), and ``spans`` gets the rowids of those rows; on PostgreSQL the caller inserts their
    ``revision_rows``."""
    from tracertm.engine.apply import write_order_from
    from tracertm.models import TestCase

    if stamp is not None and not isinstance(rows, Flat):  # SQLite: the values all rows share bound once
        rows = flat_rows("cases", rows, stamp)
    columns, written = _stamped("cases", rows, stamp)
    if stamp is None:
        return insert_rows(connection, core_table(TestCase), columns, written, json=("test_case_metadata",),
                           skip_existing=("project_id", "test_case_number"))
    written_spans: list[tuple[int, int]] = []  # the rowids of the test cases that went in (not those that were)
    inserted = insert_rows(connection, core_table(TestCase), columns, written, json=("test_case_metadata",),
                           skip_existing=("project_id", "test_case_number"), spans=written_spans)
    for first, last in _joined(written_spans):
        # Numbered in write order as they go in (``engine.apply.write_order_from``): SQLite has no default for it.
        seq = write_order_from(connection)
        assert seq is not None
        connection.exec_driver_sql(_CREATED_SQL, (actor, at_json, seq - 1, first, last))
    if spans is not None:
        spans += written_spans
    return inserted


def _joined(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of rowids with those that follow one another joined (an import's statements insert one run)."""
    out: list[tuple[int, int]] = []
    for first, last in spans:
        if out and out[-1][1] + 1 == first:
            out[-1] = (out[-1][0], last)
        else:
            out.append((first, last))
    return out


# SQLite: the ``created`` revisions of the test cases of a span of rowids, made by the database from the rows it has
# just inserted — the same fields and snapshot text as ``revision_rows`` — rather than made in Python, sent by the
# parse process and bound value by value: a third of an import's Python work went into them. The id is the test case's
# with its last 32 (random) bits drawn anew: a version 7 UUID of the same time and counter, so that revision ids too
# are handed out in key order (``rows.IdForm``).
_CREATED_SQL = (
    "INSERT INTO spec_revisions (id, project_id, entity_type, entity_id, number, version, change, actor, snapshot, "
    "created_at, seq) SELECT substr(id, 1, 24) || lower(hex(randomblob(4))), project_id, 'test_case', id, "
    "test_case_number, 1, 'created', ?1, "
    "'{\"test_case_number\":' || json_quote(test_case_number) || ',\"title\":' || json_quote(title) "
    "|| ',\"status\":' || json_quote(status) "
    "|| CASE WHEN automation_script_path IS NULL THEN '' "
    "ELSE ',\"automation_script_path\":' || json_quote(automation_script_path) END "
    "|| ',\"test_case_metadata\":' || test_case_metadata "
    "|| CASE WHEN last_execution_result IS NULL THEN '' "
    "ELSE ',\"last_execution_result\":' || json_quote(last_execution_result) END "
    "|| CASE WHEN last_executed_at IS NULL THEN '' ELSE ',\"last_executed_at\":' || ?2 END "
    "|| '}', created_at, "
    "?3 + row_number() OVER (ORDER BY rowid) FROM test_cases WHERE rowid BETWEEN ?4 AND ?5 ORDER BY rowid"
)


def _existing_cases(connection: Connection, project: str, numbers: list[str]) -> dict[str, tuple[str, bool]]:
    """(id in the driver's form, soft-deleted) of the project's test cases with these external ids. When the project
    holds not many more test cases than asked for (CI importing the same suite again), one read of all of them beats
    looking each up."""
    if not numbers:
        return {}
    read = "SELECT test_case_number, CAST(id AS TEXT), deleted_at IS NOT NULL FROM test_cases WHERE project_id = ?"
    (held,) = query(connection, "SELECT count(*) FROM test_cases WHERE project_id = ?", (project,))[0]
    if held <= 2 * len(numbers):
        wanted = set(numbers)
        rows = [row for row in query(connection, read, (project,)) if row[0] in wanted]
    else:
        rows = select_rows(connection, read + " AND test_case_number {values}", (project,), numbers)
    return {number: (ident, bool(gone)) for number, ident, gone in rows}


def core_table(model: Any) -> Table:
    """A model's Core table, for executemany writes."""
    from sqlalchemy import Table

    table = model.__table__
    assert isinstance(table, Table)
    return table


def _metadata(case: CaseResult) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if case.classname:
        out["classname"] = case.classname
    if case.feature_name:
        out["feature"] = case.feature_name
    if case.tags:
        out["tags"] = list(case.tags)
    if case.properties:
        out["properties"] = dict(case.properties)
    return out


def _metadata_text(case: CaseResult, made: dict[tuple[Any, ...], str]) -> str:
    """``_metadata(case)`` as JSON text, made once per distinct content."""
    key = (case.classname, case.feature_name, case.tags, case.properties)
    text = made.get(key)
    if text is None:
        text = made[key] = json.dumps(_metadata(case))
    return text


def link_cases(
    session: Session, pairs: Collection[tuple[Any, uuid.UUID]], fresh: Collection[uuid.UUID] = frozenset()
) -> None:
    """Link test cases to scenarios (the seed's association table); existing links are kept as they are. ``fresh``
    are test cases this import created: no link of theirs can exist, none is looked for."""
    from sqlalchemy import select

    from tracertm.models import scenario_test_case_association as assoc

    wanted = set(pairs)
    if not wanted:
        return
    cases = [case for case in {case for _s, case in wanted} if case not in fresh]
    have: set[tuple[Any, uuid.UUID]] = set()
    for start in range(0, len(cases), _CHUNK):
        have.update(
            (s, c) for s, c in session.execute(
                select(assoc.c.scenario_id, assoc.c.test_case_id)
                .where(assoc.c.test_case_id.in_(cases[start : start + _CHUNK]))
            ).all()
        )
    connection = session.connection()
    ids = IdForm(connection.dialect.name)
    insert_rows(connection, assoc, ("scenario_id", "test_case_id"),
                [(ids.of(s), ids.of(c)) for s, c in sorted(wanted - have, key=str)])
