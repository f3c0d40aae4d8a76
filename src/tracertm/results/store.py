"""Importing reports: parse everything first (a broken file imports nothing), then one transaction that records the
run, upserts test cases by (project, external id), links them to scenarios, stores the results and rewrites the
statistics of the scenarios that ran. A file imported before (same digest) adds nothing: it is skipped, the other
files of the import go in; a path named twice in one import counts once. The commit is stored in one spelling (the
full id, lower case), so that the runs of one commit count together.

Set-based and lean, because a report holds tens of thousands of tests and the import is measured against parsing
the report (``bench/results_bench.py``): rows are tuples of driver values written many per statement
(``results.rows``: test cases with ``ON CONFLICT DO NOTHING``, their ``created`` revisions, results), no ORM object
or parameter dictionary per row, and the statistics are recomputed only for the scenarios that ran, all at once
(``stats.recompute``). Rows written with Core do not reach the ORM's audit listener, so the revisions it would
write are written here."""

from __future__ import annotations

import json
import operator
import os
import re
import uuid
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii as _json_text  # a str as JSON text: json.dumps without its dispatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracertm.collector import collector_paused
from tracertm.errors import UsageError
from tracertm.results.formats import detect, read_report, read_source
from tracertm.results import runs
from tracertm.results.mapping import Match, ScenarioIndex, normalize_path
from tracertm.results.report import DEFAULT_MAX_REPORT_SIZE, MAX_RUN_NAME, CaseResult, Report, clean_text, final_cases
from tracertm.results.rows import Flat, IdForm, insert_rows, query, select_rows
from tracertm.results.scenarios import ScenarioRef, scenario_ref
from tracertm.results.stats import ACTOR, DEFAULT_WINDOW, recompute
from tracertm.results.stored_ids import match_stored
from tracertm.results.uris import canonical_report

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session

    from tracertm.models import Project

__all__ = ["ImportSummary", "ReportSource", "check_options", "import_results", "parse_reports", "scenario_index"]

ReportSource = str | os.PathLike[str] | tuple[str, bytes]
_CHUNK = 500


@dataclass
class ImportSummary:
    """What an import did. ``duplicate``: every file was imported before (run ``run_id``: the first of them);
    nothing was added. ``skipped``: the files of a run that went in which were imported before (``files`` names
    the others)."""

    project: str
    run_id: uuid.UUID | None
    commit: str | None
    format: str
    files: list[str]
    duplicate: bool = False
    total: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    matched: dict[str, int] = field(default_factory=lambda: {"tag": 0, "line": 0, "name": 0})
    unmatched: int = 0
    ambiguous: int = 0
    test_cases_created: int = 0
    scenarios_updated: int = 0
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "run_id": str(self.run_id) if self.run_id else None,
            "commit": self.commit,
            "format": self.format,
            "files": self.files,
            "duplicate": self.duplicate,
            "total": self.total,
            "statuses": self.statuses,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "ambiguous": self.ambiguous,
            "test_cases_created": self.test_cases_created,
            "scenarios_updated": self.scenarios_updated,
            "skipped": self.skipped,
        }


def parse_reports(
    sources: Sequence[ReportSource], fmt: str = "auto", max_size: int = DEFAULT_MAX_REPORT_SIZE
) -> list[Report]:
    """Parse every report (pure; no database). The first malformed file raises ``ParseError``."""
    if not sources:
        raise UsageError("no report files given; pass one or more JUnit XML / Cucumber JSON / Messages files")
    return [read_report(source, fmt, max_size) for source in sources]


def import_results(
    target: Session | Engine | str | None,
    project: str | None,
    sources: Sequence[ReportSource],
    *,
    fmt: str = "auto",
    commit: str | None = None,
    run_name: str | None = None,
    repo: str | os.PathLike[str] | None = None,
    window: int = DEFAULT_WINDOW,
    max_size: int = DEFAULT_MAX_REPORT_SIZE,
    id_pattern: str = r"SC-\d+",
    lock_timeout: float | None = None,
    actor: str = ACTOR,
) -> ImportSummary:
    """Import test reports into ``project`` as one run.

    ``target`` is an open ``Session`` (the caller commits; the API uses this), an ``Engine``, a database URL or
    None (the configured database). ``sources`` are paths or ``(name, bytes)`` uploads. ``commit`` is the commit the
    tests ran against; with ``repo`` (a git work tree) lines are matched against the scenarios as they were at
    that commit. ``window`` is how many recent runs ``pass_rate`` covers; ``lock_timeout`` how long to wait for
    another writer of the project (default: the configuration's default); ``actor`` who the statistics revisions
    name (the API passes the token's).
    """
    check_options(commit, run_name, window, max_size)
    commit = runs.commit_id(commit, repo)
    sources = runs.distinct_sources(sources)
    from sqlalchemy.orm import Session

    streamed: tuple[str, bytes] | None = None
    if len(sources) == 1 and not isinstance(target, Session):  # one large JUnit report: parsed while it is written
        from tracertm.results import streamed as stream

        streamed = read_source(sources[0], max_size)
        if not stream.streams(streamed[1], detect(*streamed) if fmt == "auto" else fmt):
            sources, streamed = [streamed], None  # read once: parsed below (a path's name is its str())
    if streamed is None:
        reports = _parsed(sources, fmt, max_size)
    if isinstance(target, Session):
        with collector_paused():
            return _import(target, project, reports, commit, run_name, repo, window, id_pattern, actor)
    from tracertm import db

    engine = target if target is not None and not isinstance(target, str) else db.open_engine(target)
    with db.session(engine) as probe:  # the lock is per project name: resolve it first
        name = _project(probe, project).name
    from tracertm.config import DEFAULT_LOCK_TIMEOUT_S

    timeout = DEFAULT_LOCK_TIMEOUT_S if lock_timeout is None else lock_timeout
    # bulk: on SQLite the commit leaves the WAL checkpoint (tens of MB after a large report, ~0.1 s) to a thread of
    # its own, as sync's write phase does; the import's rows are durable in the WAL either way.
    if streamed is not None:
        try:
            with collector_paused(), db.write_session(engine, name, timeout, bulk=True) as session, \
                    _page_cache(session):
                return stream.import_streamed(session, name, *streamed, commit, run_name, id_pattern, window, actor)
        except stream.Restart:
            pass  # rolled back: the in-process import stores what the streamed one could not
        reports = _parsed([streamed], fmt, max_size)
    with collector_paused(), db.write_session(engine, name, timeout, bulk=True) as session, _page_cache(session):
        return _import(session, name, reports, commit, run_name, repo, window, id_pattern, actor)


# A commit id as git prints it, whole or abbreviated (git's shortest abbreviation is 4 digits; a SHA-1 id has 40, a
# SHA-256 one 64: the column holds either, migration 0018).
_COMMIT = re.compile(r"[0-9a-fA-F]{4,64}")


def check_options(commit: str | None, run_name: str | None, window: int, max_size: int) -> None:
    """The options of an import, checked before anything is read: ``UsageError`` naming the option (the CLI's exit
    2, the API's 400). The database would refuse a longer commit or run name only when the run is written."""
    if commit is not None and not _COMMIT.fullmatch(commit):
        raise UsageError(f"--commit {commit!r}: not a commit id; give 4 to 64 hex digits (a branch or tag only "
                         "inside the repository that has it)")
    if run_name is not None and (len(run_name) > MAX_RUN_NAME or "\x00" in run_name):
        raise UsageError(f"--run-name: at most {MAX_RUN_NAME} characters, without NUL (got {len(run_name)}); "
                         "give a shorter name")
    if window < 1:
        raise UsageError(f"--window {window}: must be at least 1")
    if max_size < 1:
        raise UsageError(f"--max-size {max_size}: must be at least 1 (bytes)")


def _parsed(sources: Sequence[ReportSource], fmt: str, max_size: int) -> list[Report]:
    """``parse_reports``, and all of one format."""
    reports = parse_reports(sources, fmt, max_size)
    formats = {r.format for r in reports}
    if len(formats) > 1:
        raise UsageError(f"{', '.join(r.path for r in reports)}: one import takes reports of one format "
                         f"(found {', '.join(sorted(formats))}); import each format separately")
    return reports


# SQLite's page cache during an import, in KiB. The default (2 MB) is smaller than the indexes a large report grows
# (each of test_cases, spec_revisions and test_results gains 1-2 MB per 20,000 tests): with a cache that holds them,
# their pages are not evicted and read again while the rows go in. An upper bound: pages are allocated as used.
IMPORT_CACHE_KIB = 64 * 1024


@contextmanager
def _page_cache(session: Session) -> Iterator[None]:
    """A larger page cache on the import's SQLite connection, given back afterwards (the connection is pooled)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    (before,) = connection.exec_driver_sql("PRAGMA cache_size").one()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
    try:
        yield
    except BaseException:
        with suppress(Exception):  # the import's own error is the one to raise
            connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")
        raise
    connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def _project(session: Session, name: str | None) -> Project:
    from tracertm.repositories import Projects

    return Projects(session).resolve(name)


def _import(
    session: Session,
    project_name: str | None,
    reports: list[Report],
    commit: str | None,
    run_name: str | None,
    repo: str | os.PathLike[str] | None,
    window: int,
    id_pattern: str,
    actor: str = ACTOR,
) -> ImportSummary:
    from sqlalchemy import insert, select

    from tracertm.models import TestRun

    project = _project(session, project_name)
    distinct: dict[str, Report] = {}
    for report in reports:  # the same content twice (an upload's two parts) is one report
        distinct.setdefault(report.digest, report)
    reports = list(distinct.values())
    summary = ImportSummary(project.name, None, commit, reports[0].format, [r.path for r in reports])
    reports = runs.new_reports(session, project, reports, summary)
    if not reports:
        return summary
    digest = runs.run_digest([r.digest for r in reports])

    uris = {uri for report in reports for case in report.cases if case.line and (uri := _feature_file(case))}
    index = scenario_index(session, project, commit, Path(repo) if repo else None, id_pattern, uris)
    cucumber = any(report.local_ids for report in reports)
    if cucumber:  # one feature file, one id: the project's path of it, whatever form the runner wrote
        reports = [canonical_report(report, index.paths) for report in reports]
    # One result per test case and run: a test reported twice (two files, a re-run inside one report) keeps its last.
    cases = final_cases(reports)
    if cucumber:  # test cases stored under an older form of their path get the results (``stored_ids``)
        cases = match_stored(session.connection(), IdForm(session.connection().dialect.name).of(project.id), cases,
                             index.paths)
    matches = index.match_all(cases)
    starts = [r.started_at for r in reports if r.started_at]
    ends = [r.finished_at for r in reports if r.finished_at]
    run_id = uuid.uuid4()
    statuses = Counter(case.status for case in cases)
    for m in matches:
        if m.rule:
            summary.matched[m.rule] += 1
        else:
            summary.unmatched += 1
            summary.ambiguous += m.ambiguous
    summary.run_id, summary.total, summary.statuses = run_id, len(cases), dict(statuses)
    counts: dict[str, Any] = {**summary.statuses, "total": len(cases), "matched": summary.matched,
                              "unmatched": summary.unmatched, "ambiguous": summary.ambiguous}
    if len(reports) > 1:  # a run of one file is known by its digest
        counts[runs.FILE_KEYS] = sorted(runs.run_digest([r.digest]) for r in reports)
    session.connection().execute(
        insert(_table(TestRun)),
        [{
            "id": run_id, "project_id": project.id, "commit_sha": commit, "name": run_name or reports[0].name,
            "source_format": reports[0].format, "started_at": min(starts) if starts else None,
            "finished_at": max(ends) if ends else None, "counts": counts, "digest": digest,
            "files": [clean_text(os.path.basename(r.path)) for r in reports],
        }],
    )
    session.info["actor"] = actor  # whatever the ORM edits from here on is recorded as the import's
    connection = session.connection()
    ids = IdForm(connection.dialect.name)
    case_ids, created = _upsert_cases(session, project.id, cases, ids)
    summary.test_cases_created = len(created)
    pairs = [(m.scenario.key, uuid.UUID(case_ids[c.external_id])) for c, m in zip(cases, matches) if m.scenario]
    _link(session, pairs, {case for _s, case in pairs if ids.of(case) in created})  # the seed's association table
    from tracertm.trace.results import add_test_links  # scenario → test case trace links

    add_test_links(connection, project.id, pairs)
    insert_results(connection, result_rows(ids, ids.of(run_id), cases, matches, case_ids))
    ran = {m.scenario.key for m in matches if m.scenario}
    summary.scenarios_updated = recompute(session, ran, window, actor) if ran else 0
    return summary


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

    insert_rows(connection, _table(TestResult), _RESULT_COLUMNS, rows)


def _upsert_cases(
    session: Session, project_id: uuid.UUID, cases: list[CaseResult], ids: IdForm
) -> tuple[dict[str, str], set[str]]:
    """Test case ids (in the driver's form, see ``rows.IdForm``) by external id, inserting the new ones. Returns
    (ids, the ids of those created).

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
    rows = case_rows(ids, project, [case for case in cases if case.external_id not in existing], {})
    found.update((row[2], row[0]) for row in rows)
    inserted = rows
    stamp = _sqlite_now(connection)
    if insert_cases(connection, rows, stamp, session.info.get("actor")) != len(rows):
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


# The columns an import gives a new test case, in the order of its rows.
_CASE_COLUMNS = ("id", "project_id", "test_case_number", "title", "status", "automation_script_path",
                 "test_case_metadata")
_REVISION_COLUMNS = ("id", "project_id", "entity_type", "entity_id", "number", "version", "change", "actor",
                     "snapshot")


_RESULT_COLUMNS = ("run_id", "test_case_id", "scenario_id", "example_row", "match_rule", "status", "duration",
                   "message", "failed_attempts")
# The columns of each kind of row that hold one value in all the rows of an import, by construction (``case_rows``:
# the project and "automated"), bound once per statement on SQLite (``rows.Flat``). Not a result's run: one shared
# value of nine saves less than picking the others out of each row costs.
_SHARED: dict[str, tuple[int, ...]] = {"cases": (1, 4), "results": ()}
# The columns of each kind of row an import writes on SQLite, and the time columns that get its stamp (_sqlite_now).
# (The ``created`` revisions: ``_CREATED_SQL`` there, ``insert_revisions`` on PostgreSQL.)
_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cases": (_CASE_COLUMNS, ("created_at", "updated_at")),
    "results": (_RESULT_COLUMNS, ()),
}


_EXTERNAL_ID = operator.attrgetter("external_id")  # a sort key in C: no Python call per test case


_second = operator.itemgetter(1)  # a row's second value, as a sort key (a C callable: no Python call per row)


def _sqlite_now(connection: Connection) -> str | None:
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
    """The ``created`` revision rows (``_REVISION_COLUMNS``) of new test case rows (``_CASE_COLUMNS``): the test
    case's fields, the null ones left out. The snapshot's JSON is put together from the row's texts (the metadata is
    already JSON), not serialized again per row; ``_CREATED_SQL`` makes the same text on SQLite."""
    text = _json_text
    return [
        (revision_id, project, "test_case", ident, number, 1, "created", actor,
         f'{{"test_case_number":{text(number)},"title":{text(title)},"status":"{status}"'
         + (f',"automation_script_path":{text(path)}' if path is not None else "")
         + f',"test_case_metadata":{metadata}}}')
        for revision_id, (ident, project, number, title, status, path, metadata) in zip(ids.new(len(rows)), rows)
    ]


def insert_revisions(connection: Connection, revisions: Sequence[tuple[Any, ...]]) -> None:
    """PostgreSQL: insert ``revision_rows`` (copied). (SQLite: ``insert_cases`` has the database make them.)"""
    from tracertm.models import SpecRevision

    insert_rows(connection, _table(SpecRevision), _REVISION_COLUMNS, revisions, json=("snapshot",))


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
    ids: IdForm, project: str, new_cases: list[CaseResult], metadata_texts: dict[tuple[Any, ...], str]
) -> list[tuple[Any, ...]]:
    """The rows (``_CASE_COLUMNS``) of test cases not in the database yet, in external-id order with new ids in the
    same order. ``metadata_texts`` keeps the metadata JSON made so far (thousands of unit tests share a classname)."""
    new_cases = sorted(new_cases, key=_EXTERNAL_ID)
    made = metadata_texts.get  # the metadata's JSON looked up in the row itself (no call per row), made when new
    return [
        (ident, project, case.external_id, case.name, "automated", case.feature_uri or case.file,
         made((case.classname, case.feature_name, case.tags, case.properties))
         or _metadata_text(case, metadata_texts))
        for ident, case in zip(ids.new(len(new_cases)), new_cases)
    ]


def insert_cases(
    connection: Connection, rows: Sequence[tuple[Any, ...]] | Flat, stamp: str | None, actor: str | None
) -> int:
    """Insert ``case_rows`` (or ``flat_rows("cases", …)``), leaving out those whose (project, external id) exists:
    how many went in. ``stamp``: see ``_sqlite_now``. On SQLite the ``created`` revisions (``actor``'s) of the rows
    that went in are written too (``_CREATED_SQL``); on PostgreSQL the caller inserts their ``revision_rows``."""
    from tracertm.models import TestCase

    if stamp is not None and not isinstance(rows, Flat):  # SQLite: the values all rows share bound once
        rows = flat_rows("cases", rows, stamp)
    columns, written = _stamped("cases", rows, stamp)
    if stamp is None:
        return insert_rows(connection, _table(TestCase), columns, written, json=("test_case_metadata",),
                           skip_existing=("project_id", "test_case_number"))
    spans: list[tuple[int, int]] = []  # the rowids of the test cases that went in (not those that were there)
    inserted = insert_rows(connection, _table(TestCase), columns, written, json=("test_case_metadata",),
                           skip_existing=("project_id", "test_case_number"), spans=spans)
    for first, last in _joined(spans):
        connection.exec_driver_sql(_CREATED_SQL, (actor, first, last))
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
    "created_at) SELECT substr(id, 1, 24) || lower(hex(randomblob(4))), project_id, 'test_case', id, "
    "test_case_number, 1, 'created', ?, "
    "'{\"test_case_number\":' || json_quote(test_case_number) || ',\"title\":' || json_quote(title) "
    "|| ',\"status\":' || json_quote(status) "
    "|| CASE WHEN automation_script_path IS NULL THEN '' "
    "ELSE ',\"automation_script_path\":' || json_quote(automation_script_path) END "
    "|| ',\"test_case_metadata\":' || test_case_metadata || '}', created_at "
    "FROM test_cases WHERE rowid BETWEEN ? AND ? ORDER BY rowid"
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


def _feature_file(case: CaseResult) -> str | None:
    """The feature file a result names (Cucumber's uri, or a JUnit ``file`` that is a feature file)."""
    if case.feature_uri:
        return case.feature_uri
    return case.file if case.file and case.file.endswith(".feature") else None


def _table(model: Any) -> Table:
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


def _link(
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


# ------------------------------------------------------------------------------------------------ scenarios


def scenario_index(
    session: Session,
    project: Project,
    commit: str | None,
    repo: Path | None,
    id_pattern: str = r"SC-\d+",
    uris: Collection[str] | None = None,
) -> ScenarioIndex:
    """The project's scenarios as they stood at ``commit``: parsed from the repository ``repo`` at that commit when
    it has it, else from the newest revisions at or before it (when a sync recorded that commit: without the
    repository nothing else tells where a commit stands), else as they are now. Lines that may not be those the
    runner saw are why the line rule gives way to a scenario name the report contradicts (``ScenarioIndex``).

    ``uris`` are the feature files the results name with a line: only they need their lines at the commit (an
    empty collection: no result is matched by line, the scenarios as they are will do)."""
    features: dict[str, tuple[str, str | None]] = {}
    refs = scenario_refs(scenario_rows(session, project), features)
    if commit and (uris is None or uris):
        if repo is None or not _from_git(session, project, commit, repo, refs, uris):
            _at_commit(session, project, commit, refs, features)
    return ScenarioIndex(refs.values(), id_pattern)


def scenario_rows(session: Session, project: Project) -> list[tuple[Any, ...]]:
    """The project's live scenarios as plain rows, for ``scenario_refs`` (not ORM objects: this runs on every
    import)."""
    from sqlalchemy import select

    from tracertm.models import Feature, Scenario

    columns = [getattr(Scenario, key) for key in _FIELDS]
    return [tuple(row) for row in session.execute(
        select(Scenario.id, Scenario.metadata_, Feature.feature_number, Feature.name, Feature.source_path, *columns)
        .join(Feature, Scenario.feature_id == Feature.id)
        .where(Feature.project_id == project.id, Scenario.deleted_at.is_(None), Feature.deleted_at.is_(None))
    ).all()]


def scenario_refs(
    rows: list[tuple[Any, ...]], features: dict[str, tuple[str, str | None]] | None = None
) -> dict[Any, ScenarioRef]:
    """``ScenarioRef`` by scenario id of ``scenario_rows`` (pure: ``results.streamed``'s parse process makes them);
    each feature's (name, path) by number into ``features``."""
    refs: dict[Any, ScenarioRef] = {}
    for ident, metadata, number, name, path, *values in rows:
        if features is not None:
            features[number] = (name, path)
        fields = dict(zip(_FIELDS, values))
        fields["status"] = str(fields["status"])
        fields["scenario_metadata"] = metadata
        refs[ident] = scenario_ref(ident, number, name, path, fields)
    return refs


def link_sources(rows: list[tuple[Any, ...]], ids: IdForm) -> dict[str, tuple[str, str | None, int]]:
    """Each scenario's ``trace.results.link_source`` by its id in the driver's form, from ``scenario_rows`` (pure:
    ``results.streamed``'s parse process makes the rows of new test cases' links with them)."""
    from tracertm.trace.results import link_source

    out: dict[str, tuple[str, str | None, int]] = {}
    for ident, _metadata, number, _name, path, *values in rows:
        fields = dict(zip(_FIELDS, values))
        out[ids.of(ident)] = link_source(str(fields["scenario_number"]), number, path,
                                         (fields["given_steps"], fields["when_steps"], fields["then_steps"]))
    return out


def _from_git(
    session: Session, project: Project, commit: str, repo: Path, refs: dict[Any, ScenarioRef],
    uris: Collection[str] | None,
) -> bool:
    """Replace the scenarios of the feature files named by ``uris`` (all of them for None) by those files at
    ``commit``, parsed from git: exact lines even when only the layout moved (revisions are written on content
    changes only). False when the repository cannot read that commit."""
    from sqlalchemy import select

    from tracertm.config import load_settings
    from tracertm.engine.scan import Location
    from tracertm.errors import GitError
    from tracertm.models import Feature, Scenario
    from tracertm.results.source import feature_records

    try:
        location = Location.find(repo)
        if location.top is None:
            return False
        named = {normalize_path(u) for u in uris} if uris is not None else None

        def keep(path: str) -> bool:
            return named is None or any(u == path or u.endswith("/" + path) or path.endswith("/" + u) for u in named)

        records = feature_records(location, load_settings(location.root), ref=commit, keep=keep)
    except (GitError, UsageError):
        return False
    ids = {
        (feature, number): ident
        for ident, feature, number in session.execute(
            select(Scenario.id, Feature.feature_number, Scenario.scenario_number)
            .join(Feature, Scenario.feature_id == Feature.id)
            .where(Feature.project_id == project.id)
            .execution_options(include_deleted=True)
        ).all()
    }
    now = _numbers_now(session, project, {record.number for _path, record in records} - {f for f, _s in ids})
    parsed = {now.get(record.number, record.number) for _path, record in records}
    for key in [k for k, ref in refs.items() if uris is None or ref.feature_number in parsed]:
        del refs[key]  # as they are now; those files as they were at the commit come next
    for path, record in records:
        number = now.get(record.number, record.number)
        for child in record.children:
            ident = ids.get((number, child.number))
            if ident is not None:  # a scenario the database never saw cannot hold results
                refs[ident] = scenario_ref(ident, number, str(record.fields.get("name", "")), path, child.fields,
                                           child.line)
    return True


def _numbers_now(session: Session, project: Project, numbers: set[str]) -> dict[str, str]:
    """The feature numbers no feature has now, that a feature had before (an untagged feature takes its number from
    its file's name: ``cart`` renamed to ``basket``), by the number that feature has now — when exactly one feature
    ever had it."""
    from sqlalchemy import select

    from tracertm.models import Feature, SpecRevision

    if not numbers:
        return {}
    owners: dict[str, set[str]] = {}
    for old, new in session.execute(
        select(SpecRevision.number, Feature.feature_number)
        .join(Feature, SpecRevision.entity_id == Feature.id)
        .where(SpecRevision.project_id == project.id, SpecRevision.entity_type == "feature",
               SpecRevision.number.in_(sorted(numbers)))
        .execution_options(include_deleted=True)
    ).all():
        owners.setdefault(old, set()).add(new)
    return {old: next(iter(new)) for old, new in owners.items() if len(new) == 1}


_FIELDS = (
    "scenario_number", "title", "gherkin_text", "given_steps", "when_steps", "then_steps", "examples", "status",
)


def _at_commit(
    session: Session, project: Project, commit: str, refs: dict[Any, ScenarioRef],
    features: dict[str, tuple[str, str | None]],
) -> None:
    """Without a repository (an upload to the API): each scenario's newest revision committed no later than
    ``commit``'s own revisions. Revisions are written on content changes, so a scenario that only moved keeps the
    lines of its last change; ``repo`` gives exact lines. A commit no sync recorded (one that changed no spec
    file) cannot be placed without the repository: the scenarios stay as they are now."""
    from sqlalchemy import select

    from tracertm.models import SpecRevision

    revisions = session.execute(
        select(SpecRevision).where(
            SpecRevision.project_id == project.id,
            SpecRevision.entity_type.in_(("scenario", "feature")),
            SpecRevision.commit_sha.is_not(None),
            SpecRevision.committed_at.is_not(None),
        )
    ).scalars().all()
    # Commit times have one-second resolution: the time the revision was recorded breaks ties (syncs follow history).
    def order(rev: Any) -> tuple[Any, Any, int]:
        return (rev.committed_at, rev.created_at, rev.version)

    commit = commit.lower()  # stored ids are lower case (``commit_id``)
    anchors = [order(r) for r in revisions if r.commit_sha and r.commit_sha.startswith(commit)]
    if not anchors or len(commit) < 7:
        return  # a commit no sync recorded: match against the scenarios as they are
    cutoff = max(anchors)
    best: dict[Any, Any] = {}
    for rev in revisions:
        if order(rev) > cutoff:
            continue
        held = best.get(rev.entity_id)
        if held is None or order(rev) > order(held):
            best[rev.entity_id] = rev
    for rev in best.values():  # feature names and paths first
        if rev.entity_type == "feature" and rev.change != "deleted":
            features[rev.number] = (str(rev.snapshot.get("name", "")), rev.source_path)
    for entity_id in list(refs):  # no revision by then: the scenario did not exist at that commit
        if entity_id not in best:
            del refs[entity_id]
    for entity_id, rev in best.items():
        if rev.entity_type != "scenario":
            continue
        if rev.change == "deleted":
            refs.pop(entity_id, None)
            continue
        number = str(rev.snapshot.get("feature_number", ""))
        name, path = features.get(number, ("", None))
        refs[entity_id] = scenario_ref(entity_id, number, name, rev.source_path or path, rev.snapshot)
