"""The read side of test results (``results list|runs|unmatched``, ``coverage``, ``show SC-n``) and retention
(``results prune``)."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracertm.results.report import FAILING
from tracertm.results.stats import DEFAULT_WINDOW, recompute
from tracertm.timetext import json_time, json_time_or_none

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracertm.engine.scan import Location
    from tracertm.models import Project, Scenario
    from tracertm.parsers.records import SpecRecord
    from tracertm.repositories.keyset import Key

__all__ = [
    "coverage", "get_run", "list_results", "list_runs", "newest_first", "prune", "run_dict", "runs_page",
    "scenario_results", "scenarios_results", "unmatched",
]


def _aware(value: Any) -> dt.datetime:
    """Aggregates lose the column type on SQLite (text, naive): make them aware UTC datetimes."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    when: dt.datetime = value
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def list_runs(session: Session, project: Project, *, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Imported runs, newest first."""
    from sqlalchemy import select

    from tracertm.models import TestRun

    query = select(TestRun).where(TestRun.project_id == project.id)
    if since is not None:
        query = query.where(TestRun.imported_at >= since)
    runs = session.execute(query.order_by(*newest_first())).scalars()
    return [run_dict(run) for run in runs]


def newest_first() -> tuple[Any, Any]:
    """The runs' order, newest first: by import time, then by id ascending, as the runs' pages (``runs_page``), the
    newest run of ``results list`` (``pages._newest_run``) and ``results prune``. The id makes it total: the runs one
    transaction imports (``import_results`` into a caller's session, committed once) share PostgreSQL's ``now()``.
    Ascending, as the statistics settle that tie (``stats.walk``, ``ix_test_runs_project_id_when``): the newest run
    listed is the one ``last_status`` and ``show SC-n`` name first, as long as runs are imported in the order of
    their reports' times — the statistics order by the report's time (``when``) before the import's."""
    from tracertm.models import TestRun

    return TestRun.imported_at.desc(), TestRun.id.asc()


def run_dict(run: Any) -> dict[str, Any]:
    """One ``TestRun`` as plain data (the CLI's JSON and the API's read model)."""
    return {
        "id": str(run.id), "name": run.name, "commit": run.commit_sha, "format": run.source_format,
        "started_at": json_time_or_none(run.started_at), "finished_at": json_time_or_none(run.finished_at),
        "imported_at": json_time_or_none(run.imported_at), "counts": run.counts, "files": run.files,
    }


# The test-run list's cursors are keyset cursors (``repositories.cursor``) of this kind, carrying the last run's
# import time. The list has no filters: a cursor carrying any is forged; the page size is the request's.
RUN_CURSOR = "test_run"
_NOT_A_CURSOR = "cursor: not a cursor of this list; start again without it"


def runs_page(
    session: Session, project: Project, limit: int, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the project's runs, newest first (``newest_first``: import time, then id), resumed with
    ``cursor`` (the previous page's ``page.next``) after the import time and id its last run had: that run pruned or
    changed since moves no boundary. Returns (runs, the next page's cursor when there may be more).
    :class:`UsageError` in one line for a cursor of another list or project, forged, or of an earlier tracertm
    (``r.<run id>``)."""
    from sqlalchemy import select

    from tracertm.models import TestRun
    from tracertm.repositories import keyset
    from tracertm.repositories.cursor import Cursor
    from tracertm.schemas.filters import ListFilter

    sqlite = session.get_bind().dialect.name == "sqlite"
    keys = _run_keys()
    # Labelled: on SQLite the stored time is the column itself as text, which the run's own column would shadow.
    stored = keyset.stored(keys[:-1], sqlite)[0].label("cursor_imported_at")
    query = select(TestRun, stored).where(TestRun.project_id == project.id)
    if cursor:
        query = query.where(keyset.after(keys, _run_after(project, keys, cursor, sqlite)))
    found = session.execute(query.order_by(*keyset.order_by(keys)).limit(limit + 1)).all()
    more = len(found) > limit
    found = found[:limit]
    if not more:
        return [run_dict(run) for run, _ in found], None
    last, imported = found[-1]
    values = (keyset.value_json(imported),)
    return [run_dict(run) for run, _ in found], Cursor(RUN_CURSOR, project.id, ListFilter(), last.id, values).encode()


def _run_keys() -> list[Key]:
    """The test-run list's sort keys (``keyset.Key``): ``newest_first``'s, newest import first, then the id
    ascending, which makes them total."""
    from tracertm.models import TestRun
    from tracertm.repositories.keyset import Key

    return [Key(TestRun.imported_at, desc=True), Key(TestRun.id, desc=False)]


def _run_after(project: Project, keys: list[Key], text: str, sqlite: bool) -> list[Any]:
    """The bound values (``keyset.from_json``, then the id) the page of cursor ``text`` resumes after."""
    from sqlalchemy import literal

    from tracertm.errors import UsageError
    from tracertm.models import TestRun
    from tracertm.repositories import keyset
    from tracertm.repositories.cursor import Cursor
    from tracertm.schemas.filters import ListFilter

    if text.startswith("r."):  # (no base64 holds a dot) it named the last run only, read back for its time
        raise UsageError("cursor: made by an earlier version of tracertm; start again without it")
    cursor = Cursor.decode(text)
    if cursor.kind != RUN_CURSOR or cursor.project_id != project.id:
        raise UsageError("cursor: it belongs to another list; start again without it")
    if cursor.values is None or cursor.filter != ListFilter():  # (a run's time is never too long to carry)
        raise UsageError(_NOT_A_CURSOR)
    try:
        bound = keyset.from_json(keys[:-1], cursor.values, sqlite)
    except ValueError:
        raise UsageError(_NOT_A_CURSOR) from None
    return [*bound, literal(cursor.after, TestRun.id.type)]


def get_run(session: Session, project: Project, run_id: uuid.UUID) -> Any:
    """The project's run ``run_id``, or None."""
    from sqlalchemy import select

    from tracertm.models import TestRun

    return session.execute(
        select(TestRun).where(TestRun.id == run_id, TestRun.project_id == project.id)
    ).scalar_one_or_none()


def list_results(
    session: Session, project: Project, *, status: str | None = None, since: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Results of the runs imported since ``since`` (default: the newest run only), optionally of one status."""
    from sqlalchemy import select

    from tracertm.models import Feature, Scenario, TestCase, TestResult, TestRun
    from tracertm.models.types import code_points

    query = (
        select(TestResult, TestRun, TestCase.test_case_number, Scenario.scenario_number, Feature.feature_number)
        .join(TestRun, TestResult.run_id == TestRun.id)
        .join(TestCase, TestResult.test_case_id == TestCase.id)
        .outerjoin(Scenario, TestResult.scenario_id == Scenario.id)
        .outerjoin(Feature, Scenario.feature_id == Feature.id)
        .where(TestRun.project_id == project.id)
        .execution_options(include_deleted=True)
    )
    if since is not None:
        query = query.where(TestRun.imported_at >= since)
    else:
        newest = session.execute(
            select(TestRun.id).where(TestRun.project_id == project.id).order_by(*newest_first()).limit(1)
        ).scalar_one_or_none()
        if newest is None:
            return []
        query = query.where(TestRun.id == newest)
    if status is not None:
        query = query.where(TestResult.status == status)
    out = []
    for result, run, test, scenario, feature in session.execute(
        query.order_by(*newest_first(), code_points(TestCase.test_case_number))
    ).all():
        out.append({
            "run": str(run.id), "run_name": run.name, "commit": run.commit_sha,
            "imported_at": json_time_or_none(run.imported_at),
            "test": test, "status": result.status, "duration": result.duration, "message": result.message,
            "scenario": f"{feature}/{scenario}" if scenario else None, "row": result.example_row,
            "match": result.match_rule, "failed_attempts": result.failed_attempts,
        })
    return out


def unmatched(session: Session, project: Project) -> list[dict[str, Any]]:
    """Test cases tied to no scenario, with their newest outcome: neither the results' mapping (the association)
    nor a scenario's hand-named ``test_case_ids`` (``engine.named_tests``) ties them — both are test links."""
    from sqlalchemy import exists, func, select

    from tracertm.engine.named_tests import named_in_project
    from tracertm.models import TestCase, TestResult, TestRun, scenario_test_case_association as assoc
    from tracertm.models.types import code_points

    named = named_in_project(session.connection(), project.id)
    cases = [c for c in session.execute(
        select(TestCase)
        .where(TestCase.project_id == project.id, ~exists().where(assoc.c.test_case_id == TestCase.id))
        .order_by(code_points(TestCase.test_case_number))
    ).scalars() if c.id not in named]
    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
    last: dict[uuid.UUID, tuple[str, dt.datetime]] = {}
    ids = [c.id for c in cases]
    for start in range(0, len(ids), 500):
        # Newest first as the statistics take runs (``stats.walk``: the run's time, its import, then its id), so
        # that runs tied on their time (one transaction's imports) name one newest outcome, the first read.
        for case_id, status, at in session.execute(
            select(TestResult.test_case_id, TestResult.status, when)
            .join(TestRun, TestResult.run_id == TestRun.id)
            .where(TestResult.test_case_id.in_(ids[start : start + 500]))
            .order_by(when.desc(), TestRun.imported_at.desc(), TestRun.id)  # (one result per test and run)
        ).all():
            if case_id not in last:
                last[case_id] = (status, _aware(at))
    return [
        {"test": c.test_case_number, "title": c.title, "path": c.automation_script_path,
         "last_status": last[c.id][0] if c.id in last else None,
         "last_executed_at": json_time(last[c.id][1]) if c.id in last else None}
        for c in cases
    ]


def prune(session: Session, project: Project, keep: int, window: int = DEFAULT_WINDOW) -> int:
    """Delete all but the newest ``keep`` runs of the project (in ``newest_first``'s order: those ``results runs``
    lists first), recompute the statistics of the scenarios those runs touched and the last execution of their
    test cases from the results left (``case_results.after_prune``). Returns how many runs were deleted."""
    from sqlalchemy import delete, select

    from tracertm.errors import UsageError
    from tracertm.models import TestResult, TestRun
    from tracertm.results.case_results import after_prune
    from tracertm.results.stats import ACTOR

    if keep < 0:
        raise UsageError(f"--keep {keep}: must be 0 or more")
    old = session.execute(
        select(TestRun.id).where(TestRun.project_id == project.id)
        .order_by(*newest_first()).offset(keep)
    ).scalars().all()
    if not old:
        return 0
    touched: set[uuid.UUID] = set()
    cases: set[uuid.UUID] = set()  # the test cases of the runs removed: their last execution is read again
    for start in range(0, len(old), 500):
        chunk = old[start : start + 500]
        for scenario_id, test_case_id in session.execute(
            select(TestResult.scenario_id, TestResult.test_case_id).where(TestResult.run_id.in_(chunk))
        ).all():
            cases.add(test_case_id)
            if scenario_id is not None:
                touched.add(scenario_id)
        session.execute(delete(TestResult).where(TestResult.run_id.in_(chunk)))
        session.execute(delete(TestRun).where(TestRun.id.in_(chunk)))
    if touched:
        recompute(session, touched, window)
    after_prune(session, cases, ACTOR)
    return len(old)


def scenario_results(session: Session, scenario: Scenario, limit: int = 5) -> dict[str, Any]:
    """A scenario's statistics and its last ``limit`` results, for ``show``: newest first in the order the
    statistics take runs (``stats.outcomes``: the run's time — its end, else its start, else its import — then its
    import), so that the first result shown is the run ``last_status`` names.

    The newest runs are walked first (``stats.walk``, ``limit`` runs at a time up to ``_WALK``), their results of
    the scenario read per run (``stats.per_run``) until ``limit`` are read: the rows read are about those shown,
    however many runs the project has. Runs follow one another in the walk's order (the statistics', then the id:
    runs of one time and one import, which only a hand-edited database holds, are not interleaved), results within
    a run by test case. A scenario not run lately (fewer than ``limit`` results in the walked runs) sorts all its
    results."""
    return scenarios_results(session, [scenario], limit)[scenario.id]


def scenarios_results(session: Session, scenarios: Sequence[Scenario],
                      limit: int = 5) -> dict[uuid.UUID, dict[str, Any]]:
    """``scenario_results`` of each of ``scenarios``, by id, read together: one walk of the runs, each batch of
    runs asked about every scenario that has not ``limit`` results yet (500 a statement), and the scenarios the walk
    leaves sorted from all their results at once (a window function ranks them, 500 a statement). The statements
    follow the runs walked, not the scenarios: a feature page asked some 6 per scenario."""
    from tracertm.results.stats import _CHUNK, _WALK, walk

    found: dict[uuid.UUID, list[tuple[Any, ...]]] = {s.id: [] for s in scenarios}  # as shown: (run, status, ...)

    def ask(left: list[uuid.UUID], batch: list[Any]) -> None:
        runs = {f"run{place}": run.id for place, run in enumerate(batch)}
        for start in range(0, len(left), _CHUNK):
            for place, scenario_id, *rest in session.execute(
                    _last_results(len(batch)), {**runs, "scenarios": left[start : start + _CHUNK]}).all():
                found[scenario_id].append((batch[place], *rest))

    left, whole = walk(session, list(found), ask, lambda ident: len(found[ident]) >= limit,
                       step=min(max(limit, 1), _WALK))
    # The runs walked hold a scenario's newest ``limit`` results (or all of them) unless the walk left it.
    shown = {ident: found[ident][:limit] for ident in found}
    if not whole:
        shown.update(_newest_results(session, left, limit))
    return {s.id: {
        "pass_rate": s.pass_rate,
        "last_status": s.last_status,
        "last_executed_at": json_time_or_none(s.last_executed_at),
        "execution_count": s.execution_count,
        "flaky": s.flaky,
        "last_results": [
            {"status": status, "test": test, "row": row, "commit": run.commit_sha,
             "run": run.name, "when": json_time_or_none(run.finished_at or run.started_at or run.imported_at),
             "message": message}
            for run, status, row, message, test in shown[s.id]
        ],
    } for s in scenarios}


@functools.lru_cache(maxsize=None)
def _last_results(count: int) -> Any:
    """``scenarios_results``' read of the results of scenarios (a list bound as ``scenarios``) in ``count`` runs
    (``stats.per_run``), ordered by run and then test case; built once per ``count``."""
    from sqlalchemy import bindparam, select

    from tracertm.models import TestCase, TestResult
    from tracertm.models.types import code_points
    from tracertm.results.stats import per_run

    scenarios = bindparam("scenarios", expanding=True, type_=TestResult.scenario_id.type)
    found = per_run(count, lambda run: select(
        TestResult.scenario_id, TestResult.test_case_id, TestResult.status, TestResult.example_row,
        TestResult.message,
    ).where(TestResult.scenario_id.in_(scenarios), TestResult.run_id == run))
    return (
        select(found.c.place, found.c.scenario_id, found.c.status, found.c.example_row, found.c.message,
               TestCase.test_case_number)
        .join(TestCase, found.c.test_case_id == TestCase.id)
        .order_by(found.c.place, code_points(TestCase.test_case_number))
        .execution_options(include_deleted=True)
    )


def _newest_results(session: Session, scenario_ids: list[uuid.UUID],
                    limit: int) -> dict[uuid.UUID, list[tuple[Any, ...]]]:
    """The newest ``limit`` results of each of ``scenario_ids`` from all their results, as ``scenarios_results``
    shows them ((run, status, example row, message, test case number); the run's figures by name): by the run's
    time, then its import, then its id, then the test case — for scenarios the newest runs walked did not answer.
    The runs come in the walk's order (``stats.walk``, the statistics' ``ix_test_runs_project_id_when``), the id
    ascending, so a scenario's results read either way are the same list, led by the run ``last_status`` names;
    without the id, the runs one transaction imported (one ``imported_at`` on PostgreSQL, no time of their own)
    came in the order the plan read their results."""
    from sqlalchemy import func, select

    from tracertm.models import TestCase, TestResult, TestRun
    from tracertm.models.types import code_points
    from tracertm.results.stats import _CHUNK

    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
    out: dict[uuid.UUID, list[tuple[Any, ...]]] = {ident: [] for ident in scenario_ids}
    for start in range(0, len(scenario_ids), _CHUNK):
        ranked = (
            select(TestResult.scenario_id, TestResult.status, TestResult.example_row, TestResult.message,
                   TestCase.test_case_number, TestRun.commit_sha, TestRun.name, TestRun.finished_at,
                   TestRun.started_at, TestRun.imported_at,
                   func.row_number().over(partition_by=TestResult.scenario_id, order_by=(
                       when.desc(), TestRun.imported_at.desc(), TestRun.id, code_points(TestCase.test_case_number)
                   )).label("rank"))
            .join(TestRun, TestResult.run_id == TestRun.id)
            .join(TestCase, TestResult.test_case_id == TestCase.id)
            .where(TestResult.scenario_id.in_(scenario_ids[start : start + _CHUNK]))
            .subquery()
        )
        for row in session.execute(select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.rank)
                                   .execution_options(include_deleted=True)).all():
            out[row.scenario_id].append((row, row.status, row.example_row, row.message, row.test_case_number))
    return out


# A content change: (its commit — its own, or the HEAD a clean work tree's sync recorded (``history.dated``), None
# for a sync of uncommitted files; when that commit was made, else when it was synced; the content hash it changed
# to; whether a sync of the work tree recorded it, which names no commit of its own).
_Change = tuple[str | None, dt.datetime, str | None, bool]


def coverage(session: Session, project: Project, repo: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """Scenarios never executed, failing (last outcome), flaky, and stale: the newest executed run did not test
    the scenario's current content — a content change of the scenario or its feature (a revision) that the run's
    commit does not hold (see ``_History.tested``)."""
    from sqlalchemy import select

    from tracertm.models import Feature, Scenario
    from tracertm.models.types import code_points
    from tracertm.results.stats import last_executed

    # Every content change of every scenario and feature (commits can share a timestamp: keep them all). A move
    # changes the content when it raises the version (an unchanged move shares the version of the revision before
    # it, whatever that one was: a database-side edit raises the version too). Only content changes are read:
    # each import writes an ``annotated`` revision per scenario whose statistics changed, most of an old
    # project's revisions, and none of them is a content change (``_content_changes``). A feature's move that
    # changed its id and nothing else (a pure rename of an untagged feature's file) is none either.
    read = session.execute(_content_changes(project.id)).all()
    renamed = _renamed_only(session, read)
    changes: dict[uuid.UUID, list[_Change]] = {}
    for entity, commit, committed, created, content, own, revision, *_kind_change_number in read:
        if revision not in renamed:
            changes.setdefault(entity, []).append((commit, _aware(committed or created), content, own is None))
    # The ten columns the report reads, not whole scenarios: an entity loads its Gherkin text and nine JSON columns
    # (change-tracked), 12 s of CPU at 20,000 scenarios against well under one for these. The session's
    # soft-delete filter applies to a select of an entity's columns as to the entity.
    rows = session.execute(
        select(Scenario.id, Scenario.feature_id, Scenario.scenario_number, Scenario.title, Scenario.status,
               Scenario.last_status, Scenario.last_executed_at, Scenario.pass_rate, Scenario.flaky,
               Scenario.execution_count, Feature.feature_number, Feature.source_path)
        .join(Feature, Scenario.feature_id == Feature.id)
        .where(Feature.project_id == project.id)
        .order_by(code_points(Feature.feature_number), Scenario.position)
    ).all()
    executed = last_executed(session, [s.id for s in rows if s.execution_count])
    # The feature files whose content a run's commit may have to show: those with a change of the work tree.
    history = _History(repo, {s.source_path for s in rows if s.source_path and any(
        c[3] for c in changes.get(s.id, []) + changes.get(s.feature_id, []))}, _locator(session, project))
    out: dict[str, list[dict[str, Any]]] = {"never_executed": [], "failing": [], "flaky": [], "stale": []}
    for scenario in rows:
        feature, path = scenario.feature_number, scenario.source_path
        item = {"scenario": f"{feature}/{scenario.scenario_number}", "title": scenario.title,
                "status": str(scenario.status), "last_status": scenario.last_status,
                "last_executed_at": json_time_or_none(scenario.last_executed_at), "pass_rate": scenario.pass_rate}
        last = executed.get(scenario.id)
        if last is None:
            out["never_executed"].append(item)
            continue
        if scenario.last_status in FAILING:
            out["failing"].append(item)
        if scenario.flaky:
            out["flaky"].append(item)
        own, whole = changes.get(scenario.id, []), changes.get(scenario.feature_id, [])
        found: list[tuple[_Change, tuple[str, str | None], bool]] = [
            (c, (feature, scenario.scenario_number), c is own[-1]) for c in own]
        found += [(c, (feature, None), c is whole[-1]) for c in whole]
        stale = [c for c, key, latest in found if not history.tested(c, *last, path, key, latest)]
        if stale:
            commit, when, _content, _work_tree = max(stale, key=lambda c: c[1])
            out["stale"].append({**item, "changed_in": commit, "changed_at": json_time(when)})
    return out


def _content_changes(project_id: uuid.UUID) -> Any:
    """The project's scenario and feature revisions that changed content, in the order ``coverage`` lists them:
    (entity, commit, commit time, sync time, content hash, the revision's own commit, the revision's id, entity
    type, change and number) by entity, version, then write order; a clean work tree's revision is dated by its
    run's HEAD (``history.dated``). ``created``, ``updated`` and ``restored`` do; a ``moved`` does when it raised
    the version — when it is the first revision of its version: no other change shares its version (every other
    change raises it, so such a one came first) and no move of that version was written before it. Decided in
    the database (an index seek on (entity, version) per move) rather than by reading every revision in order,
    ``annotated`` ones included."""
    from sqlalchemy import and_, exists, or_, select, text
    from sqlalchemy.orm import aliased

    from tracertm.history.dated import clean_run, dated_commit, dated_time
    from tracertm.models import SpecRevision, SyncRun
    from tracertm.models.sync import CONTENT_CHANGES

    kinds = ("scenario", "feature")
    before = aliased(SpecRevision)
    first_of_version = ~exists().where(
        before.entity_id == SpecRevision.entity_id, before.version == SpecRevision.version,
        before.id != SpecRevision.id, before.project_id == project_id, before.entity_type.in_(kinds),
        # Written before it (``seq``): the moves of one backfill share ``created_at``, so that neither was older.
        or_(before.change != "moved", before.seq < SpecRevision.seq),
    )
    return (
        select(SpecRevision.entity_id, dated_commit(SyncRun), dated_time(SyncRun), SpecRevision.created_at,
               SpecRevision.content_hash, SpecRevision.commit_sha, SpecRevision.id, SpecRevision.entity_type,
               SpecRevision.change, SpecRevision.number)
        .outerjoin(SyncRun, clean_run(SyncRun))
        .where(SpecRevision.project_id == project_id, SpecRevision.entity_type.in_(kinds),
               # The partial index's own condition, word for word (SQLite uses a partial index only so): the
               # content changes apart from the ``annotated`` revision each results import writes (0023).
               text(CONTENT_CHANGES),
               or_(SpecRevision.change.in_(("created", "updated", "restored")),
                   and_(SpecRevision.change == "moved", first_of_version)))
        .order_by(SpecRevision.entity_id, SpecRevision.version, SpecRevision.seq)
    )


def _renamed_only(session: Session, read: Sequence[Any]) -> set[uuid.UUID]:
    """The ids of the feature moves among ``read`` (``_content_changes``' rows, in its order) that changed the
    feature's id and nothing else. An untagged feature's id is its file's path (``features/cart.feature`` is
    ``cart``) and a feature's id is part of its content hash, so a pure rename of its file raises its version as an
    edit does — yet its scenarios run exactly what they ran before. Told by the hash the move's snapshot has under
    the id of the change before it: that change's own (this tracertm's scheme or an earlier one's, as that one was
    written). One read of the few such moves' snapshots."""
    from tracertm.parsers.common import content_hash, previous_scheme_hashes

    # (entity, ..., content hash [4], ..., revision [6], entity type [7], change [8], number [9])
    candidates = {row[6]: (before[9], before[4]) for before, row in zip(read, read[1:])
                  if row[7] == "feature" and row[8] == "moved" and before[0] == row[0] and before[9] != row[9]
                  and before[4] and row[4]}
    if not candidates:
        return set()
    from sqlalchemy import select

    from tracertm.models import SpecRevision
    from tracertm.results.stats import _CHUNK

    out: set[uuid.UUID] = set()
    ids = list(candidates)
    for start in range(0, len(ids), _CHUNK):
        for revision, snapshot in session.execute(select(SpecRevision.id, SpecRevision.snapshot)
                                                  .where(SpecRevision.id.in_(ids[start : start + _CHUNK]))).all():
            number, hashed = candidates[revision]
            fields = {**(snapshot or {}), "feature_number": number}
            if hashed == content_hash("feature", fields) or hashed in previous_scheme_hashes("feature", fields):
                out.add(revision)
    return out


def _locator(session: Session, project: Project) -> Callable[[Path, str], Path | None]:
    """Where ``project``'s specs are in a repository's commit: ``project_root.spec_root``'s folder, the one the API
    and ``show --at`` find — the folder holding most of its recorded paths, a tie broken by the folder a sync would
    name as the project is named (two services of a monorepo with the same layout), else not guessed. A commit
    holding none of its recorded paths (its files renamed since, and first synced after): the folder they are in
    now."""
    from tracertm.project_root import spec_root

    return lambda top, commit: spec_root(top, session, project, ref=commit) or spec_root(top, session, project)


class _History:
    """Was a content change part of what a run at ``run_commit`` tested? A change from a commit: when the run's
    commit has it in its history (the repository has both commits), else when it was committed before the run. A
    change a sync of a clean work tree recorded counts as one from the HEAD its run recorded (``history.dated``);
    as that HEAD may be later than the commit that made the change, a run's commit without it in its history may
    still have tested it: a change a sync of the work tree recorded, when the run's commit holds the content it
    changed to — tests run on a clean checkout, then a plain ``tracertm sync``, then the import: the sync's time is
    after the run's, yet the run tested exactly what the sync recorded. The record's latest such change, when the
    run's commit holds other content, was not tested, whenever the run was (a report without a time runs at its
    import: a report of an older commit imported after the sync). Else (no repository, or a commit it does not
    have; or an earlier change, which a later one replaced): when it was committed (or, without a commit, synced)
    before the run. The record's latest change from a commit the run's history lacks and that is no later than
    the run's commit (a squash merge, a cherry-pick, an amended commit) was tested when the run's commit holds
    the content it changed to. In a shallow clone the run's history stops at the clone's boundary: a commit it
    does not show is not tested only when the clone shows it to be later (its own history holds the run's
    commit); else the rule for a commit the repository does not have decides — as for one no branch or tag
    reaches (amended or rebased away since it was synced).

    ``paths``: the feature files whose content at a run's commit may be asked for (read once per commit); a record
    in none of them there is looked for in every feature file of that commit (a file moved since; an untagged
    feature's under its old path's id, ``_renumbered``)."""

    def __init__(self, repo: Path | None, paths: set[str], locate: Callable[[Path, str], Path | None]) -> None:
        self.top = None
        if repo is not None:
            from tracertm import git

            self.top = git.find_root(repo)
        self.ancestors: dict[str, set[str] | None] = {}
        self.boundary: frozenset[str] | None = None  # a shallow clone's (``_boundary``), read once
        self.reachable: frozenset[str] | None = None  # what the refs reach (``_reachable``), read once
        self.descendants: dict[str, frozenset[str]] = {}  # by commit (``_descendants``)
        self.paths = paths
        # By (commit, every feature file rather than ``paths``).
        self.contents: dict[tuple[str, bool], dict[tuple[str, str | None], frozenset[str]] | None] = {}
        self.records: dict[str, list[SpecRecord]] = {}  # every feature record of a commit, read ``everywhere``
        self.locate = locate  # the project's folder in the repository at a commit (``_locator``)
        self.location: tuple[Location | None] | None = None  # decided once (``_location``)

    def tested(
        self, change: _Change, run_commit: str | None, run_when: dt.datetime, path: str | None = None,
        key: tuple[str, str | None] | None = None, latest: bool = False,
    ) -> bool:
        """``key``: (feature number, scenario number or None for the feature) of the changed record, in ``path``;
        ``latest``: the change is the record's last (its content is the record's now)."""
        commit, when, content, work_tree = change
        if commit and run_commit:
            if commit == run_commit:
                return True
            known = self._ancestors(run_commit)
            if known is not None:
                if commit in known:
                    return True
                if not work_tree:
                    holds = self._holds(run_commit, commit, content, key) if latest else None
                    if holds is not None:
                        return holds
                    if self._lacks(run_commit, known, commit):
                        return False
                # The HEAD a sync of the work tree read may be later than the commit that made the change: the
                # run's commit may hold its content all the same (asked next).
        if work_tree and run_commit and content and path in self.paths and key is not None:
            held = self._held(run_commit, key)
            if held is not None:
                if content in held:
                    return True
                if latest:
                    return False
        return when <= run_when

    def _held(self, commit: str, key: tuple[str, str | None]) -> frozenset[str] | None:
        """The content hashes of record ``key`` at ``commit`` (empty: not there), from the files of ``paths``, else
        — a file renamed since, whose old name ``paths`` does not know — from every feature file there. None: no
        repository, or one without that commit."""
        held = self._contents(commit)
        if held is not None and key not in held:
            held = self._contents(commit, everywhere=True)
        if held is None:
            return None
        return held[key] if key in held else self._renumbered(commit, key)

    def _renumbered(self, commit: str, key: tuple[str, str | None]) -> frozenset[str]:
        """The content hashes record ``key`` has at ``commit`` under another feature id: a feature whose id is its
        file's path (an untagged one) renamed since, and first synced after the rename, is there under its old
        path's id. The feature: each feature there hashed under ``key``'s id (a feature's id is part of its
        content); a scenario: the scenarios of its number in any feature there."""
        feature, scenario = key
        out: set[str] = set()
        for record in self.records.get(commit, ()):
            if scenario is None:
                out |= _hashes(record, feature)
            else:
                out.update(*(_hashes(child) for child in record.children if child.number == scenario))
        return frozenset(out)

    def _contents(self, commit: str, everywhere: bool = False
                  ) -> dict[tuple[str, str | None], frozenset[str]] | None:
        """The content hashes of every feature and scenario in ``paths`` (``everywhere``: in every feature file) at
        ``commit`` (None: no repository, or one without that commit), keyed as ``tested``'s ``key``: this
        tracertm's and every earlier scheme's, since a revision keeps the hash it was written with (a database
        synced by an older tracertm)."""
        if (commit, everywhere) not in self.contents:
            self.contents[(commit, everywhere)] = None
            if self.top is not None:
                from tracertm.config import load_settings
                from tracertm.errors import GitError, UsageError
                from tracertm.results.source import feature_records

                try:
                    location = self._location(commit)
                    if location is None:
                        return None  # the project's folder is not known: its files are not guessed
                    records = feature_records(location, load_settings(location.root), ref=commit,
                                              keep=None if everywhere else self.paths.__contains__)
                except (GitError, UsageError):
                    return None
                held: dict[tuple[str, str | None], frozenset[str]] = {}
                if everywhere:
                    self.records[commit] = [record for _path, record in records]
                for _path, record in records:
                    held[(record.number, None)] = _hashes(record)
                    for child in record.children:
                        held[(record.number, child.number)] = _hashes(child)
                self.contents[(commit, everywhere)] = held
        return self.contents[(commit, everywhere)]

    def _location(self, commit: str) -> Location | None:
        """The project's spec root in the repository (a ``Location``), found by ``locate`` in ``commit``'s tree —
        a project synced from a sub-folder (``tracertm sync sample-repo``) has paths relative to that folder, and
        that folder's settings. Decided once; None when it is not found there."""
        from tracertm.engine.scan import Location

        assert self.top is not None
        if self.location is None:
            root = self.locate(self.top, commit)
            self.location = (Location(root, self.top.resolve()) if root is not None else None,)
        return self.location[0]

    def _holds(self, run_commit: str, commit: str, content: str | None,
               key: tuple[str, str | None] | None) -> bool | None:
        """Whether ``run_commit`` holds ``content``, the record's content now, though its history lacks ``commit``,
        which changed the record to it, and ``commit`` is no later commit (none of the run's descendants): the
        same change made again under another id — a squash merge of a branch whose head was synced (``sync
        --ref``), a cherry-pick, a commit amended or rebased since its sync — was tested; other content there was
        not. None: not asked (a later commit: ancestry decides) or not known (the files are not read there)."""
        if content is None or key is None or commit in self._descendants(run_commit):
            return None
        held = self._held(run_commit, key)
        return None if held is None else content in held

    def _descendants(self, commit: str) -> frozenset[str]:
        """The commits the repository's branches, tags and HEAD reach that have ``commit`` in their history."""
        if commit not in self.descendants:
            self.descendants[commit] = frozenset()
            if self.top is not None:
                from tracertm import git
                from tracertm.errors import GitError

                try:
                    self.descendants[commit] = frozenset(git.run(
                        self.top, "rev-list", "--all", "--ancestry-path", f"^{commit}", "--").decode().split())
                except GitError:
                    pass  # none known: the content decides
        return self.descendants[commit]

    def _lacks(self, run_commit: str, known: set[str], commit: str) -> bool:
        """Whether ``run_commit``, whose history ``known`` does not show ``commit``, lacks it: a branch or tag
        reaches ``commit``, and the run's history is whole or ``commit``'s own history holds ``run_commit`` (a later
        commit). A commit none reaches (amended or rebased away since it was synced, or never in this clone) may be
        an ancestor under its new id; a shallow clone's history stops at its boundary, and a commit below it (in the
        clone or not) may be an ancestor all the same."""
        if commit not in self._reachable():
            return False
        if not known & self._boundary():
            return True
        later = self._ancestors(commit)
        return later is not None and run_commit in later

    def _reachable(self) -> frozenset[str]:
        """The commits the repository's branches, tags and HEAD reach (``git rev-list --all``), read once."""
        if self.reachable is None:
            self.reachable = frozenset()
            if self.top is not None:
                from tracertm import git
                from tracertm.errors import GitError

                try:
                    self.reachable = frozenset(git.run(self.top, "rev-list", "--all").decode().split())
                except GitError:
                    pass  # none known: ancestry is not proof, the commit times decide
        return self.reachable

    def _boundary(self) -> frozenset[str]:
        """The commits a shallow clone's history stops at (git's ``shallow`` file); none in a whole clone."""
        if self.boundary is None:
            self.boundary = frozenset()
            if self.top is not None:
                from tracertm import git
                from tracertm.errors import GitError

                try:
                    if git.is_shallow(self.top):
                        listed = git.run(self.top, "rev-parse", "--git-path", "shallow").decode().strip()
                        self.boundary = frozenset((self.top / listed).read_text(encoding="ascii").split())
                except (GitError, OSError, UnicodeDecodeError):
                    pass  # no boundary read: ancestry decides, as in a whole clone
        return self.boundary

    def _ancestors(self, commit: str) -> set[str] | None:
        if self.top is None:
            return None
        if commit not in self.ancestors:
            from tracertm import git
            from tracertm.errors import GitError

            try:
                self.ancestors[commit] = set(git.run(self.top, "rev-list", commit, "--").decode().split())
            except GitError:
                self.ancestors[commit] = None  # a commit this clone does not have
        return self.ancestors[commit]


def format_results(info: dict[str, Any]) -> str:
    """The text ``show SC-n`` prints under a scenario's fields: statistics, then its last results."""
    from tracertm.output import message_text, one_line

    rate = "-" if info["pass_rate"] is None else f"{info['pass_rate']:.0%}"
    count = info["execution_count"]
    lines = [
        f"test results: pass rate {rate} over the last runs, {count} execution{'' if count == 1 else 's'}, last "
        f"{info['last_status'] or '-'} at {info['last_executed_at'] or '-'}" + (" (flaky)" if info["flaky"] else "")
    ]
    for r in info["last_results"]:
        row = f" #{r['row']}" if r["row"] else ""
        commit = (r["commit"] or "-")[:12]
        message = f": {message_text(r['message'])}" if r["message"] else ""
        # A report's test names and messages hold what the runner wrote (a colored assertion's ESC, a BEL): escaped,
        # as ``results list`` shows them, not sent to the terminal.
        lines.append(one_line(f"  {r['status']:<9} {commit:<12} {(r['when'] or '')[:19]}  {r['test']}{row}{message}"))
    return "\n".join(lines)


def _hashes(record: SpecRecord, number: str | None = None) -> frozenset[str]:
    """``record``'s content hash and its hashes under the earlier schemes (``previous_scheme_hashes``); with
    ``number``, those of the feature ``record`` under that id."""
    from tracertm.parsers.common import content_hash, previous_scheme_hashes

    if number is None:
        return frozenset((record.content_hash, *previous_scheme_hashes(record.kind, record.fields)))
    fields = {**record.fields, "feature_number": number}
    return frozenset((content_hash(record.kind, fields), *previous_scheme_hashes(record.kind, fields)))
