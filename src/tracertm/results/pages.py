"""Keyset pages of test results: a run's (the API's ``GET …/test-runs/{id}``) and those ``results list`` shows (the
newest run's, or of every run imported since a time).

A run holds as many results as its report has tests (28,000 on the large benchmark corpus: 7 MB in one answer):
they are read a page at a time, in the order the run detail always had them (newest run first, then by test id),
resumed after the last result's import time, run and test id as its page showed them (``repositories.cursor``, kind
``test_result``) — a run pruned or a result deleted since moves no boundary.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracertm.errors import UsageError
from tracertm.timetext import json_time_or_none

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracertm.models import Project
    from tracertm.repositories.cursor import Cursor
    from tracertm.repositories.keyset import Key

__all__ = ["DEFAULT_RESULTS", "RESULT_CURSOR", "ResultPage", "listed_dict", "result_dict", "results_page"]

RESULT_CURSOR = "test_result"
# A run's results per page unless ``limit`` says fewer: the most a list's page holds, so a run of up to 500 tests
# still comes whole, as it did before it was paged.
DEFAULT_RESULTS = 500
_NOT_A_CURSOR = "cursor: not a cursor of this list; start again without it"
_ANOTHER_LIST = "cursor: it belongs to another list; start again without it"
_STATUSES = frozenset({"passed", "failed", "skipped", "undefined", "pending", "error"})


@dataclass(frozen=True)
class ResultPage:
    """One page of results: rows (a ``TestResult``, its ``TestRun``, the test's id and title, the scenario's number
    and its feature's), the next page's cursor (None on the last page), the page size, and the run a page of one
    run's results is of (None for the results of every run since a time)."""

    rows: list[tuple[Any, ...]]
    next_cursor: str | None
    limit: int
    run_id: uuid.UUID | None


def results_page(
    session: Session, project: Project, *, run_id: uuid.UUID | None = None, since: dt.datetime | None = None,
    status: str | None = None, limit: int | None = None, cursor: str | None = None,
) -> ResultPage:
    """A page of the results of run ``run_id`` (else of every run imported since ``since``, else of the newest
    run), of one ``status`` or all, by test id, newest run first. ``cursor`` (a previous page's ``next_cursor``)
    carries the query and page size: the other arguments are then ignored, but ``limit`` and ``run_id`` (a cursor
    of another run's results is refused). :class:`UsageError` in one line for a cursor of another list or forged."""
    from tracertm.schemas.filters import ListFilter

    if cursor:
        taken = _taken(session, project, cursor)
        flt, resume = taken.filter, taken.resume
        if run_id is not None and (flt.changed_since is not None or taken.run_id != run_id):
            raise UsageError(_ANOTHER_LIST)
        run_id = taken.run_id
        since = None if flt.changed_since is None else dt.datetime.fromisoformat(flt.changed_since)
        status = flt.status[0] if flt.status else None
        limit = limit or flt.limit
    else:
        resume = None
        limit = limit or DEFAULT_RESULTS
        if run_id is None and since is None:
            run_id = _newest_run(session, project)
            if run_id is None:
                return ResultPage([], None, limit, None)
        flt = ListFilter(status=[status] if status else [], limit=limit,
                         changed_since=None if run_id is not None else since.isoformat() if since else None)
    return _read(session, project, _Query(run_id, since, status, limit, flt), resume)


@dataclass(frozen=True)
class _Query:
    run_id: uuid.UUID | None
    since: dt.datetime | None
    status: str | None
    limit: int
    filter: Any  # the ListFilter a next page's cursor carries


@dataclass(frozen=True)
class _Taken:
    """A cursor taken back: its query, its run (one run's results) and the bound values it resumes after."""

    filter: Any
    run_id: uuid.UUID | None
    resume: list[Any]


def _keys(one_run: bool) -> list[Key]:
    """The sort keys: the newest import first, then the run (its id ascending: ``queries.newest_first``), by test
    id, then the test case's (one result per run and test case: they are total). One run's results compare on the
    last two only (a row-value comparison)."""
    from tracertm.models import TestCase, TestResult, TestRun
    from tracertm.repositories.keyset import Key

    own = [Key(TestCase.test_case_number, desc=False), Key(TestResult.test_case_id, desc=False)]
    return own if one_run else [Key(TestRun.imported_at, desc=True), Key(TestRun.id, desc=False), *own]


def _read(session: Session, project: Project, query: _Query, resume: list[Any] | None) -> ResultPage:
    from sqlalchemy import select

    from tracertm.models import Feature, Scenario, TestCase, TestResult, TestRun
    from tracertm.repositories import keyset
    from tracertm.repositories.cursor import Cursor

    sqlite = session.get_bind().dialect.name == "sqlite"
    one_run = query.run_id is not None
    keys = _keys(one_run)
    # Labelled: on SQLite the stored time is the column itself as text, which the run's own column would shadow.
    imported = keyset.stored(_keys(False)[:1], sqlite)[0].label("cursor_imported_at")
    statement = (
        select(TestResult, TestRun, TestCase.test_case_number, TestCase.title, Scenario.scenario_number,
               Feature.feature_number, imported)
        .join(TestRun, TestResult.run_id == TestRun.id)
        .join(TestCase, TestResult.test_case_id == TestCase.id)
        .outerjoin(Scenario, TestResult.scenario_id == Scenario.id)
        .outerjoin(Feature, Scenario.feature_id == Feature.id)
        .where(TestRun.project_id == project.id)
        .execution_options(include_deleted=True)  # a deleted test case's results are still the run's
    )
    if one_run:
        statement = statement.where(TestResult.run_id == query.run_id)
    elif query.since is not None:
        statement = statement.where(TestRun.imported_at >= query.since)
    if query.status is not None:
        statement = statement.where(TestResult.status == query.status)
    if resume is not None:
        statement = statement.where(keyset.after(keys, resume[-len(keys):]))
    found = session.execute(statement.order_by(*keyset.order_by(keys)).limit(query.limit + 1)).all()
    rows = [tuple(row[:-1]) for row in found[: query.limit]]
    if len(found) <= query.limit:
        return ResultPage(rows, None, query.limit, query.run_id)
    last = found[query.limit - 1]
    values = (keyset.value_json(last[-1]), str(last[1].id), last[2])
    flt = query.filter.model_copy(update={"limit": query.limit})
    next_cursor = Cursor(RESULT_CURSOR, project.id, flt, last[0].test_case_id, values).encode()
    return ResultPage(rows, next_cursor, query.limit, query.run_id)


def _taken(session: Session, project: Project, text: str) -> _Taken:
    """The query, run and bound values of cursor ``text`` (``results_page``'s)."""
    from sqlalchemy import literal

    from tracertm.models import TestResult, TestRun
    from tracertm.repositories import keyset
    from tracertm.repositories.cursor import Cursor

    cursor = Cursor.decode(text)
    if cursor.kind != RESULT_CURSOR or cursor.project_id != project.id:
        raise UsageError(_ANOTHER_LIST)
    _check_query(cursor)
    sqlite = session.get_bind().dialect.name == "sqlite"
    # A test id is at most 255 characters (``report.MAX_EXTERNAL_ID``): its values always fit in a cursor, which
    # never carries their digest instead.
    values = cursor.values
    if values is None or len(values) != 3 or not isinstance(values[1], str):
        raise UsageError(_NOT_A_CURSOR)
    try:
        run = uuid.UUID(values[1])
        imported, number = keyset.from_json(
            [_keys(False)[0], _keys(True)[0]], [values[0], values[2]], sqlite)
    except ValueError:
        raise UsageError(_NOT_A_CURSOR) from None
    bound = [imported, literal(run, TestRun.id.type), number, literal(cursor.after, TestResult.test_case_id.type)]
    return _Taken(cursor.filter, None if cursor.filter.changed_since else run, bound)


def _check_query(cursor: Cursor) -> None:
    """A cursor of this list carries a status, a time (``since``) and a page size, nothing else: any other filter,
    status or time is forged."""
    from tracertm.schemas.filters import ListFilter

    flt = cursor.filter
    others = flt.model_copy(update={"status": [], "changed_since": None, "limit": ListFilter().limit})
    if others != ListFilter() or len(flt.status) > 1 or not set(flt.status) <= _STATUSES:
        raise UsageError(_NOT_A_CURSOR)
    if flt.changed_since is not None:
        try:
            when = dt.datetime.fromisoformat(flt.changed_since)
        except ValueError:
            raise UsageError(_NOT_A_CURSOR) from None
        if when.tzinfo is None:
            raise UsageError(_NOT_A_CURSOR)


def _newest_run(session: Session, project: Project) -> uuid.UUID | None:
    from sqlalchemy import select

    from tracertm.models import TestRun
    from tracertm.results.queries import newest_first

    newest: uuid.UUID | None = session.execute(
        select(TestRun.id).where(TestRun.project_id == project.id).order_by(*newest_first()).limit(1)
    ).scalar_one_or_none()
    return newest


def result_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    """A result of a page as the run detail shows it (the API's ``TestResultRead``)."""
    result, _run, number, title, scenario, feature = row
    return {
        "test": number, "title": title, "status": result.status, "duration": result.duration,
        "message": result.message, "scenario": f"{feature}/{scenario}" if scenario else None,
        "row": result.example_row, "match": result.match_rule, "failed_attempts": result.failed_attempts,
    }


def listed_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    """A result of a page as ``results list`` shows it: the run detail's result (``result_dict``, the
    ``test-result`` read model) and, beyond that schema, its run (``run``, ``run_name``, ``commit``,
    ``imported_at``), which a list across runs needs and the run detail says once for all its results."""
    run = row[1]
    return {
        **result_dict(row), "run": str(run.id), "run_name": run.name, "commit": run.commit_sha,
        "imported_at": json_time_or_none(run.imported_at),
    }
