"""Importing reports: parse everything first (a broken file imports nothing), then one transaction that records the
run, upserts test cases by (project, external id), links them to scenarios, stores the results and rewrites the
statistics of the scenarios that ran. A file imported before (same digest) adds nothing: it is skipped, the other
files of the import go in; a path named twice in one import counts once. The commit is stored in one spelling (the
full id, lower case), so that the runs of one commit count together.

This module is the import's entry (``import_results``: options, parsing, the transaction) and its run (``_import``:
the run row, the summary, the statistics recomputed only for the scenarios that ran, all at once:
``stats.recompute``); the rows it writes are made and inserted set-based by ``results.import_rows``, the scenarios it
maps results to are read by ``results.scenario_reads``. A large JUnit report is imported by ``results.streamed``
while it is parsed."""

from __future__ import annotations

import os
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracertm.collector import collector_paused
from tracertm.errors import UsageError, refuse_blank, refuse_lock_timeout
from tracertm.results.formats import detect, read_report, read_source
from tracertm.results import runs
from tracertm.results.case_results import after_import
from tracertm.results.import_rows import core_table, insert_results, link_cases, result_rows, upsert_cases
from tracertm.results.options import option
from tracertm.results.report import (
    DEFAULT_MAX_REPORT_SIZE, MAX_RUN_NAME, CaseResult, Report, clean_text, final_cases, namesakes,
)
from tracertm.results.rows import IdForm
from tracertm.results.scenario_reads import scenario_index
from tracertm.results.stats import ACTOR, DEFAULT_WINDOW, Prior, recompute
from tracertm.results.stored_ids import match_stored
from tracertm.results.uris import canonical_report

# Imported from here by a test, from before the rows had a module of their own.
from tracertm.results.import_rows import _metadata  # noqa: F401

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from tracertm.models import Project

__all__ = ["ImportSummary", "ReportSource", "check_options", "import_results", "parse_reports", "scenario_index"]

ReportSource = str | os.PathLike[str] | tuple[str, bytes]


@dataclass
class ImportSummary:
    """What an import did. ``duplicate``: every file was imported before (run ``run_id``: the first file's);
    nothing was added. ``skipped``: the files of a run that went in which were imported before (``files`` names
    the others). ``earlier_runs``: the runs that hold the files imported before, each with its files."""

    project: str
    run_id: uuid.UUID | None
    commit: str | None
    format: str
    files: list[str]
    duplicate: bool = False
    total: int = 0
    # The test reports read (``<testcase>`` elements, Cucumber elements, test cases' attempts counted once), and how
    # many of them another report of the same test decides (a rerun's earlier attempts, a test reported again in a
    # later file, behave's namesakes): ``total + merged == reported``.
    reported: int = 0
    merged: int = 0
    # How many of ``merged`` are no reruns but tests a report names like another (behave's scenarios of one feature
    # that differ only by their Rule), kept as one result: the worse of them.
    namesakes: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    matched: dict[str, int] = field(default_factory=lambda: {"tag": 0, "line": 0, "name": 0})
    unmatched: int = 0
    ambiguous: int = 0
    test_cases_created: int = 0
    scenarios_updated: int = 0
    skipped: list[str] = field(default_factory=list)
    earlier_runs: list[runs.EarlierRun] = field(default_factory=list)
    # ``FILE: what failed`` for each report whose run itself failed outside its test cases (``Report.failure``).
    run_failures: list[str] = field(default_factory=list)
    # Those of ``run_failures`` a result shows too (a cut-off stream's unfinished scenarios, recorded as errors): the
    # CLI's warning does not say that none does. Not in ``as_dict``: the failure's own words say it.
    run_failures_shown: list[str] = field(default_factory=list)
    # Per report (its file as given, as ``files`` names it) whose run time was written without a time zone, the
    # first such time as written: read as UTC, which is wrong by the offset for a runner that wrote local time.
    zoneless_times: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "run_id": str(self.run_id) if self.run_id else None,
            "commit": self.commit,
            "format": self.format,
            "files": self.files,
            "duplicate": self.duplicate,
            "total": self.total,
            "reported": self.reported,
            "merged": self.merged,
            "namesakes": self.namesakes,
            "statuses": self.statuses,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "ambiguous": self.ambiguous,
            "test_cases_created": self.test_cases_created,
            "scenarios_updated": self.scenarios_updated,
            "skipped": self.skipped,
            "earlier_runs": [run.as_dict() for run in self.earlier_runs],
            "run_failures": self.run_failures,
            "zoneless_times": self.zoneless_times,
        }


# The key of a run's ``counts`` that lists what failed outside its test cases (``ImportSummary.run_failures``).
RUN_FAILURES = "run_failures"


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
    lock_waited: float = 0.0,
    on_lock: Callable[[Session], object] | None = None,
) -> ImportSummary:
    """Import test reports into ``project`` as one run.

    ``target`` is an open ``Session`` (the caller commits; the API uses this), an ``Engine`` (left open), a
    database URL or None (the configured database: the engine made for it is disposed before this returns, so no
    pooled connection stays open). ``sources`` are paths or ``(name, bytes)`` uploads. ``commit`` is the commit the
    tests ran against (its id; with ``repo``, also an abbreviation or a name git resolves there: a branch, a tag,
    ``HEAD``); with ``repo`` (a git work tree) lines are matched against the scenarios as they were at that
    commit. ``window`` is how many recent runs ``pass_rate`` covers; ``lock_timeout`` how long to wait for
    another writer of the project (default: the configuration's default), after ``lock_waited`` seconds the caller
    already waited (its timeout message states both together); ``actor`` who the statistics revisions
    name (the API passes the token's); ``on_lock`` is called with the import's session once it holds the project's
    write lock, before anything is read or written, and may raise to write nothing (the API checks there that the
    request's token was not revoked while the import waited; not called for a caller's ``Session``).
    """
    refuse_blank(project=project, target=target if isinstance(target, str) else None)
    refuse_lock_timeout(lock_timeout)
    commit = runs.named_commit(commit, repo)
    check_options(commit, run_name, window, max_size)
    _check_id_pattern(id_pattern)
    commit = runs.commit_id(commit, repo)
    sources = runs.distinct_sources(sources)
    from sqlalchemy.orm import Session

    streamed: tuple[str, bytes] | None = None
    if len(sources) == 1 and not isinstance(target, Session):  # one large JUnit report: parsed while it is written
        from tracertm.results import streamed as stream

        streamed = read_source(sources[0], max_size)
        how = stream.streams(streamed[1], detect(*streamed) if fmt == "auto" else fmt)
        if how is None:
            sources, streamed = [streamed], None  # read once: parsed below (a path's name is its str())
    if streamed is None:
        reports = _parsed(sources, fmt, max_size)
    if isinstance(target, Session):
        with collector_paused():
            return _import(target, project, reports, commit, run_name, repo, window, id_pattern, actor)
    from tracertm import db

    engine = target if target is not None and not isinstance(target, str) else db.open_engine(target)
    try:
        with db.session(engine) as probe:  # the lock is per project name: resolve it first
            name = _project(probe, project).name
        from tracertm.config import DEFAULT_LOCK_TIMEOUT_S

        timeout = DEFAULT_LOCK_TIMEOUT_S if lock_timeout is None else lock_timeout
        # bulk: on SQLite the commit leaves the WAL checkpoint (tens of MB after a large report, ~0.1 s) to a thread
        # of its own, as sync's write phase does; the import's rows are durable in the WAL either way.
        from functools import partial

        locked = partial(db.write_session, engine, name, timeout, bulk=True, waited=lock_waited)
        if streamed is not None:
            try:
                with collector_paused(), locked() as session, \
                        _page_cache(session):
                    if on_lock is not None:
                        on_lock(session)
                    return stream.import_streamed(session, name, *streamed, commit, run_name, id_pattern, window,
                                                  actor, threaded=how == "thread", repo=Path(repo) if repo else None)
            except stream.Restart:
                pass  # rolled back: the in-process import stores what the streamed one could not
            reports = _parsed([streamed], fmt, max_size)
        with collector_paused(), locked() as session, _page_cache(session):
            if on_lock is not None:
                on_lock(session)
            return _import(session, name, reports, commit, run_name, repo, window, id_pattern, actor)
    finally:
        # An engine made here from a URL is this call's: its pooled connection (a SQLite file, a PostgreSQL
        # backend) stayed open until the garbage collector found the engine, one more per call. A caller's engine
        # is left open, as ``sync`` does.
        if engine is not target:
            engine.dispose()


# A commit id as git prints it, whole or abbreviated (git's shortest abbreviation is 4 digits; a SHA-1 id has 40, a
# SHA-256 one 64: the column holds either, migration 0018).
_COMMIT = re.compile(r"[0-9a-fA-F]{4,64}")


def check_options(commit: str | None, run_name: str | None, window: int, max_size: int) -> None:
    """The options of an import, checked before anything is read: ``UsageError`` naming the option (the CLI's exit
    2, the API's 400). The database would refuse a longer commit or run name only when the run is written."""
    if commit is not None and not _COMMIT.fullmatch(commit):
        raise UsageError(f"{option('--commit')} {commit!r}: not a commit id; give 4 to 64 hex digits (a branch or "
                         "tag only inside the repository that has it)")
    if run_name is not None and (len(run_name) > MAX_RUN_NAME or "\x00" in run_name):
        raise UsageError(f"{option('--run-name')}: at most {MAX_RUN_NAME} characters, without NUL (got "
                         f"{len(run_name)}); give a shorter name")
    from tracertm.config import MAX_RESULTS_WINDOW

    if not 1 <= window <= MAX_RESULTS_WINDOW:
        # (past 2**63 - 1 the database cannot take it: an internal error on SQLite, "bigint out of range" on
        # PostgreSQL)
        raise UsageError(f"--window {window}: must be 1 to {MAX_RESULTS_WINDOW}")
    if max_size < 1:
        raise UsageError(f"{option('--max-size')} {max_size}: must be at least 1 (bytes)")


def _check_id_pattern(id_pattern: str) -> None:
    """``id_pattern`` stands for the configuration's ``scenario_id_pattern`` (what the CLI and the API pass): a
    ``UsageError`` when that key would refuse it, where ``re.error`` escaped at the first report line read."""
    from tracertm.config import pattern_problem

    problem = pattern_problem("scenario_id_pattern", id_pattern)
    if problem is not None:
        raise UsageError(f"id_pattern={id_pattern!r}: {problem}")


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
    from sqlalchemy import func, insert, select

    from tracertm.models import TestRun

    project = _project(session, project_name)
    distinct: dict[str, Report] = {}
    for report in reports:  # the same content twice (an upload's two parts, in two encodings) is one report
        distinct.setdefault(report.text_digest or report.digest, report)
    reports = list(distinct.values())
    summary = ImportSummary(project.name, None, commit, reports[0].format, [r.path for r in reports])
    reports = runs.new_reports(session, project, reports, summary)
    if not reports:
        return summary
    digest = runs.run_digest([r.digest for r in reports])

    uris = {uri for report in reports for case in report.cases if case.line and (uri := _feature_file(case))}
    # Only the scenarios the results can name are read (``scenario_reads.keyed_rows``): the cost of an import
    # follows its report, not the project's size.
    index = scenario_index(session, project, commit, Path(repo) if repo else None, id_pattern, uris,
                           [case for report in reports for case in report.cases])
    cucumber = any(report.local_ids for report in reports)
    if cucumber:  # one feature file, one id: the project's path of it, whatever form the runner wrote
        reports = [canonical_report(report, index.paths) for report in reports]
    # One result per test case and run, the files read as one report (``final_cases``): a rerun's last decides.
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
    summary.reported = sum(len(r.cases) for r in reports)
    summary.merged = summary.reported - summary.total
    summary.namesakes = namesakes([case for report in reports for case in report.cases], cases)
    counts: dict[str, Any] = {**summary.statuses, "total": len(cases), "matched": summary.matched,
                              "unmatched": summary.unmatched, "ambiguous": summary.ambiguous}
    if len(reports) > 1 or reports[0].text_digest:  # a run of one file is known by its digest (and its text's)
        counts[runs.FILE_KEYS] = runs.file_keys(reports)
    # The summary names each file as given, as its ``files`` do (a base name would merge two reports of one name
    # in two folders); the run keeps base names, as its own ``files``.
    summary.run_failures = [f"{r.path}: {r.failure}" for r in reports if r.failure]
    summary.run_failures_shown = [f"{r.path}: {r.failure}" for r in reports if r.failure and r.failure_shown]
    summary.zoneless_times = {r.path: r.zoneless_time for r in reports if r.zoneless_time}
    if summary.run_failures:  # kept with the run: no result says it
        counts[RUN_FAILURES] = [f"{os.path.basename(r.path)}: {r.failure}" for r in reports if r.failure]
    session.connection().execute(
        insert(core_table(TestRun)),
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
    # The run's time (``models.test_run.WHEN_SQL``: its import's, the database's, when the report has none): the
    # new test cases' last execution, inserted with them.
    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
    run_at = session.execute(select(when).where(TestRun.id == run_id)).scalar_one()
    case_ids, created = upsert_cases(session, project.id, cases, ids, run_at)
    summary.test_cases_created = len(created)
    pairs = [(m.scenario.key, uuid.UUID(case_ids[c.external_id])) for c, m in zip(cases, matches) if m.scenario]
    # The seed's association table.
    link_cases(session, pairs, {case for _s, case in pairs if ids.of(case) in created})
    from tracertm.trace.results import add_test_links  # scenario → test case trace links

    add_test_links(connection, project.id, pairs)
    insert_results(connection, result_rows(ids, ids.of(run_id), cases, matches, case_ids))
    after_import(session, run_id, created.__contains__, actor)  # the test cases' last execution
    ran = {m.scenario.key for m in matches if m.scenario}
    if ran:
        # The scenarios' newest outcomes only (``stats.Prior``: the runs newest first, until each has ``window``
        # executed ones), not every result of theirs: an import's reads follow what it ran, not the project's age.
        prior = Prior(run_id, held=True, window=window)
        prior.read(session, ran)
        summary.scenarios_updated = recompute(
            session, ran, window, actor, prior.sorted(session, prior.own(session)), prior.held, prior.older)
    return summary


def _feature_file(case: CaseResult) -> str | None:
    """The feature file a result names (Cucumber's uri, or a JUnit ``file`` that is a feature file)."""
    if case.feature_uri:
        return case.feature_uri
    return case.file if case.file and case.file.endswith(".feature") else None
