"""Scenario execution statistics, recomputed from stored results (database-owned; sync never touches them).

Per scenario and run, the scenario's outcome combines its results (all outline rows together, see ``combined``).
Over the scenario's last ``window`` executed runs (runs where it did not only skip): ``pass_rate`` is the share that
passed, ``last_status`` the newest outcome; ``execution_count`` counts every executed run; ``flaky`` is set when one
commit has both a passing and a failing run of the scenario, or a result passed only after failed attempts.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracertm.results.report import FAILING, worst

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "ACTOR", "DEFAULT_WINDOW", "Prior", "RunOutcome", "combined", "last_executed", "outcomes", "recompute",
    "newest_executed", "summarize", "walk",
]

DEFAULT_WINDOW = 20
ACTOR = "results-import"  # who the annotated revisions name
_CHUNK = 500
_STAT_KEYS = frozenset({"pass_rate", "last_status", "last_executed_at", "execution_count", "flaky"})
# ``combined`` as SQL: per (scenario, run) the highest rank wins — the worst failure, else passed, else skipped.
_SQL_RANK = {"skipped": 0, "passed": 1, "pending": 2, "undefined": 3, "failed": 4, "error": 5}
_BY_RANK = {rank: status for status, rank in _SQL_RANK.items()}


@dataclass(frozen=True)
class RunOutcome:
    """One scenario's outcome in one run."""

    run_id: uuid.UUID
    commit: str | None
    when: dt.datetime
    status: str
    retried_pass: bool  # passed after failed attempts


def combined(statuses: list[str]) -> str:
    """One scenario's outcome in a run from its results (outline rows, several reports): the worst failure, else
    passed when any result passed, else skipped. Unlike steps, a skipped row next to passed rows still ran."""
    failing = [s for s in statuses if s in FAILING]
    if failing:
        return worst(failing)
    return "passed" if "passed" in statuses else "skipped"


def outcomes(session: Session, scenario_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[RunOutcome]]:
    """Every run outcome of the given scenarios, newest first: one row per (scenario, run) from the database, the
    results of a run (outline rows, several reports) combined there (see ``combined``)."""
    prior = Prior(None)
    prior.read(session, scenario_ids)
    return prior.sorted(session, {})


class Prior:
    """The run outcomes of scenarios but those of one run (the import's), read ahead: an import reads them while
    it waits for its parse process (``results.streamed``), and only adds its own run's at the end (``sorted``), so
    that ``recompute`` at the end of its transaction reads no results. The reads and the combination are those of
    ``outcomes``.

    With a ``window`` (an import), only the newest outcomes are read (``walk``: the runs newest first, a few at a
    time, until each scenario has ``window`` executed ones): an import's reads then follow the scenarios it ran,
    not how many runs the project ever imported. ``execution_count`` counts every executed run, those not read
    too: a scenario read so is given its stored count's runs older than those read (``older``): what the
    statistics stored before this run counted (every import recomputes them, ``prune`` from all results), less
    the executed outcomes read. A scenario not found ``window`` times within the walk, or whose stored count is
    below what the walk found (a database-side edit), is read from all its results, as ``outcomes`` reads."""

    def __init__(self, run_id: uuid.UUID | None, held: bool = False, window: int | None = None) -> None:
        self.run_id = run_id  # left out of the reads (None: every run)
        self.found: dict[uuid.UUID, list[RunOutcome]] = defaultdict(list)
        self.order: dict[uuid.UUID, dt.datetime] = {}  # each run's import time: ties of ``when``
        self.done: set[uuid.UUID] = set()
        self.window = window
        # ``held``: the scenarios' stored figures are read ahead too (``figures``), for ``recompute``'s ``held``;
        # the walk (``window``) needs their stored counts
        self.held: dict[uuid.UUID, tuple[Any, ...]] | None = {} if held or window is not None else None
        # Per scenario read by the walk: the executed runs its stored count has beyond those read (``recompute``)
        self.older: dict[uuid.UUID, int] = {}
        self.executed: Counter[uuid.UUID] = Counter()  # the executed outcomes added, per scenario

    def read(self, session: Session, scenario_ids: Iterable[uuid.UUID]) -> None:
        """Read the outcomes (and, when ``held``, the stored figures) of those of ``scenario_ids`` not read yet."""
        ids = [ident for ident in dict.fromkeys(scenario_ids) if ident not in self.done]
        if not ids:
            return
        self.done.update(ids)
        if self.held is not None:
            self.held.update(figures(session, ids))
        if self.window is None:
            self._read(session, ids)
            return
        window, executed = self.window, self.executed
        left, whole = walk(session, ids, lambda part, batch: self._read_runs(session, part, batch),
                           lambda ident: executed[ident] >= window, skip=self.run_id, length=max(_WALK, 2 * window))
        assert self.held is not None
        count = 6 + _stat_columns().index("execution_count")  # its place in ``figures``
        again = [] if whole else list(left)  # those left were asked about every run walked: all of them, or not
        unfinished = set(left)
        for ident in ids:
            if ident in unfinished or ident not in self.held:
                continue
            older = self.held[ident][count] - executed[ident]
            if older < 0:  # the stored count does not hold what was read: not to be built on
                again.append(ident)
            else:
                self.older[ident] = older
        for ident in again:
            self.found.pop(ident, None)
            executed.pop(ident, None)
        if again:
            self._read(session, again)

    def _read(self, session: Session, ids: list[uuid.UUID]) -> None:
        """Add the outcomes of scenarios ``ids`` in every run but ``run_id``."""
        from sqlalchemy import func, select

        from tracertm.models import TestResult, TestRun

        when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
        rank, retried = _outcome_columns()
        for start in range(0, len(ids), _CHUNK):
            statement = (
                select(TestResult.scenario_id, TestRun.id, TestRun.commit_sha, when, TestRun.imported_at, rank,
                       retried)
                .join(TestRun, TestResult.run_id == TestRun.id)
                .where(TestResult.scenario_id.in_(ids[start : start + _CHUNK]))
                .group_by(TestResult.scenario_id, TestRun.id, TestRun.commit_sha, TestRun.finished_at,
                          TestRun.started_at, TestRun.imported_at)
            )
            if self.run_id is not None:
                statement = statement.where(TestResult.run_id != self.run_id)
            for scenario_id, run_id, commit, at, imported, best, failed in session.execute(statement).all():
                assert scenario_id is not None
                self.add(scenario_id, run_id, commit, at, imported, best, failed)

    def _read_runs(self, session: Session, ids: list[uuid.UUID], batch: list[Any]) -> None:
        """Add the outcomes of scenarios ``ids`` in the runs of ``batch`` (``walk``'s rows): only the results are
        read, the runs' figures are the batch's. A statement per run, whose ``run_id`` compared with ``=`` is an
        index condition whatever plan the database picks (``per_run``); not ``per_run``'s one statement: each of
        its parts would repeat the hundreds of scenario ids (on PostgreSQL, twice this read's time)."""
        from sqlalchemy import bindparam, select

        from tracertm.models import TestResult

        rank, retried = _outcome_columns()
        for start in range(0, len(ids), _CHUNK):
            statement = (
                select(TestResult.scenario_id, rank, retried)
                .where(TestResult.scenario_id.in_(ids[start : start + _CHUNK]),
                       TestResult.run_id == bindparam("run", type_=TestResult.run_id.type))
                .group_by(TestResult.scenario_id)
            )
            for run in batch:
                for scenario_id, best, failed in session.execute(statement, {"run": run.id}).all():
                    assert scenario_id is not None
                    self.add(scenario_id, run.id, run.commit_sha, run.when, run.imported_at, best, failed)

    def own(self, session: Session) -> dict[uuid.UUID, tuple[int, int]]:
        """The left-out run's results per scenario read (``sorted``'s ``own``), from the database: for an import
        that wrote its results before the statistics."""
        from sqlalchemy import select

        from tracertm.models import TestResult

        out: dict[uuid.UUID, tuple[int, int]] = {}
        ids = sorted(self.done, key=str)
        rank, retried = _outcome_columns()
        for start in range(0, len(ids), _CHUNK):
            for scenario_id, best, failed in session.execute(
                select(TestResult.scenario_id, rank, retried)
                .where(TestResult.run_id == self.run_id, TestResult.scenario_id.in_(ids[start : start + _CHUNK]))
                .group_by(TestResult.scenario_id)
            ).all():
                assert scenario_id is not None
                out[scenario_id] = (best, failed)
        return out

    def add(
        self, scenario_id: uuid.UUID, run_id: uuid.UUID, commit: str | None, at: dt.datetime,
        imported: dt.datetime, best: int, failed: int | None,
    ) -> None:
        """One (scenario, run) row: the run's figures, the highest rank of its results (``_SQL_RANK``) and their
        most failed attempts."""
        status = _BY_RANK[best]
        if status != "skipped":
            self.executed[scenario_id] += 1
        self.found[scenario_id].append(RunOutcome(run_id, commit, at, status, status == "passed" and bool(failed)))
        self.order[run_id] = imported

    def sorted(self, session: Session, own: dict[uuid.UUID, tuple[int, int]]) -> dict[uuid.UUID, list[RunOutcome]]:
        """The outcomes read, with those of the left-out run (read here, one row) whose results per scenario are
        ``own``: (highest rank, most failed attempts), as ``read`` would have found them in the database; each
        scenario's newest first."""
        if own:
            from sqlalchemy import func, select

            from tracertm.models import TestRun

            when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
            commit, at, imported = session.execute(
                select(TestRun.commit_sha, when, TestRun.imported_at).where(TestRun.id == self.run_id)
            ).one()
            assert self.run_id is not None
            for scenario_id, (best, failed) in own.items():
                self.add(scenario_id, self.run_id, commit, at, imported, best, failed)
        out = self.found
        for items in out.values():
            # The walk's order (stable sorts: last key first): runs tied on their time and import (one transaction's
            # on PostgreSQL) by id ascending, whichever order they were read or added in — the import's own run
            # comes last, the database's GROUP BY in any order — so that ``last_status`` names the run ``show`` and
            # ``results list`` take as the newest.
            items.sort(key=lambda o: o.run_id)
            items.sort(key=lambda o: (o.when, self.order[o.run_id]), reverse=True)
        return out


_WALK = 32  # runs walked newest first before the scenarios not found yet are read by their results
_RUN_BATCH = 4  # runs asked about per statement: the newest run usually answers every scenario


def _outcome_columns() -> tuple[Any, Any]:
    """``combined`` as aggregates of a (scenario, run)'s results: the highest rank (``_SQL_RANK``: a failure, else
    passed, else skipped), and the most failed attempts."""
    from sqlalchemy import case, func

    from tracertm.models import TestResult

    return func.max(case(_SQL_RANK, value=TestResult.status, else_=0)), func.max(TestResult.failed_attempts)


def per_run(count: int, part: Callable[[Any], Any]) -> Any:
    """The rows of ``part(run)`` for ``count`` runs, bound as ``run0``, ``run1``…, each led by the run's place
    (column ``place``), as one subquery (``UNION ALL``). Each part compares ``run_id`` with ``=``: an index
    condition whatever plan the database picks (the scenarios' index, or the run's primary key), so no plan reads
    results of other runs — with ``run_id IN (...)`` PostgreSQL may read every result of the scenarios through
    their index and filter the runs out. Parts of one table keep the union cheap to plan; build it once per
    ``count``."""
    from sqlalchemy import Integer, bindparam, literal, union_all

    from tracertm.models import TestResult

    parts = [part(bindparam(f"run{place}", type_=TestResult.run_id.type))
             .add_columns(literal(place, Integer).label("place")) for place in range(count)]
    if len(parts) == 1:
        return parts[0].subquery()
    return union_all(*parts).subquery()


def walk(
    session: Session, scenario_ids: Iterable[uuid.UUID], ask: Callable[[list[uuid.UUID], list[Any]], None],
    done: Callable[[uuid.UUID], bool], skip: uuid.UUID | None = None, length: int | None = None,
    step: int = _RUN_BATCH,
) -> tuple[list[uuid.UUID], bool]:
    """Walk the runs of the scenarios' projects newest first (the statistics' order, ``outcomes``: the run's time,
    then its import; the id only makes ties stable), ``step`` at a time: ``ask(scenarios, runs)`` reads
    what is wanted of the scenarios not ``done`` yet in those runs (rows with the runs' figures by name).
    Stops when every scenario is done or ``length`` runs (default ``_WALK``) were walked; ``skip`` is a run left
    out. Returns the scenarios not done, and whether every run was walked (then those were asked about every
    run: nothing is left to read of them). ``last_executed``, an import's ``Prior`` and ``show``'s last results
    (``queries.scenario_results``) walk so."""
    from sqlalchemy import func, select

    from tracertm.models import Feature, Scenario, TestRun

    left = list(dict.fromkeys(scenario_ids))
    if not left:
        return left, True
    length = _WALK if length is None else length

    # The scenarios' projects first: each project's runs are then read with ``project_id = ?`` in the order of
    # ``ix_test_runs_project_id_when`` (its newest few rows, no sort of the project's runs; with ``IN`` SQLite
    # sorts them all).
    projects: set[uuid.UUID] = set()
    for start in range(0, len(left), _CHUNK):
        projects.update(session.execute(
            select(Feature.project_id).join(Scenario, Scenario.feature_id == Feature.id)
            .where(Scenario.id.in_(left[start : start + _CHUNK])).distinct()
            .execution_options(include_deleted=True)).scalars())
    # The index's expression, spelled alike (``models.test_run.WHEN_SQL``): a planner matches it by its form.
    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at).label("when")
    # A run's figures, by name: ``commit_sha``, ``when`` (the statistics' time), ``imported_at``, and for a list
    # of results (``queries.scenario_results``) ``name``, ``finished_at`` and ``started_at``.
    statement = select(TestRun.id, TestRun.commit_sha, when, TestRun.imported_at, TestRun.name,
                       TestRun.finished_at, TestRun.started_at)
    if skip is not None:
        statement = statement.where(TestRun.id != skip)
    # One row per run (not per result), one more than walked: whether the walk reached the oldest.
    statement = statement.order_by(when.desc(), TestRun.imported_at.desc(), TestRun.id).limit(length + 1)
    runs: list[Any] = []
    for project in sorted(projects, key=str):
        runs += session.execute(statement.where(TestRun.project_id == project)
                                .execution_options(include_deleted=True)).all()
    if len(projects) > 1:  # the projects' newest runs merged, in the statements' order (stable sorts: last key first)
        runs.sort(key=lambda run: run.id)
        runs.sort(key=lambda run: (_utc(run.when), _utc(run.imported_at)), reverse=True)
        del runs[length + 1 :]
    walked = 0
    while left and walked < min(len(runs), length):
        batch = list(runs[walked : min(walked + step, length)])
        walked += len(batch)
        ask(left, batch)
        left = [ident for ident in left if not done(ident)]
    return left, walked == len(runs)


def last_executed(
    session: Session, scenario_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[str | None, dt.datetime]]:
    """(commit, time) of the newest run in which each scenario executed (a result other than skipped), runs in the
    statistics' order (``outcomes``: the run's time, then its import). Walks the scenarios' projects' runs newest
    first (``walk``), asking only whether each scenario still unanswered has an executed result in them (a
    statement per run, an index seek per (scenario, run)): a scenario run by the newest runs is answered there,
    however many runs and results are stored. A scenario not answered within ``_WALK`` runs (tests of it not run
    lately) is read from all its results (``_last_executed_ranked``). The results themselves decide, never the
    stored statistics, so a pruned run or a database-side edit cannot make the answer wrong."""
    from sqlalchemy import bindparam, select

    from tracertm.models import TestResult

    out: dict[uuid.UUID, tuple[str | None, dt.datetime]] = {}

    def ask(left: list[uuid.UUID], batch: list[Any]) -> None:
        # A statement per run (as ``Prior._read_runs``): ``run_id`` compared with ``=`` is an index condition
        # whatever plan the database picks, so no plan reads the scenarios' results of other runs (with
        # ``run_id IN (batch)`` PostgreSQL may read all of them through the scenarios' index and filter the runs).
        for start in range(0, len(left), _CHUNK):
            statement = (
                select(TestResult.scenario_id).where(
                    TestResult.scenario_id.in_(left[start : start + _CHUNK]),
                    TestResult.run_id == bindparam("run", type_=TestResult.run_id.type),
                    TestResult.status != "skipped",
                ).distinct()
            )
            for run in batch:  # newest first: the first run of a scenario is its newest
                for scenario_id in session.execute(statement, {"run": run.id}).scalars():
                    assert scenario_id is not None
                    if scenario_id not in out:
                        out[scenario_id] = (run.commit_sha, _utc(run.when))

    left, whole = walk(session, scenario_ids, ask, out.__contains__)
    if left and not whole:
        out.update(_last_executed_ranked(session, left))
    return out


def _utc(at: Any) -> dt.datetime:
    """A run's time as an aware UTC datetime (SQLite returns an expression's timestamp as naive text)."""
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    when: dt.datetime = at
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _last_executed_ranked(
    session: Session, scenario_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[str | None, dt.datetime]]:
    """``last_executed`` from every result of each scenario (a window function ranks them): for scenarios the
    newest runs did not execute."""
    from tracertm.models import TestResult, TestRun

    return newest_executed(session, TestResult.scenario_id, TestRun.commit_sha, scenario_ids)


def newest_executed(
    session: Session, owner: Any, value: Any, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[Any, dt.datetime]]:
    """(``value``, run time) of the newest executed (not skipped) result of each id of ``owner`` (a column of
    ``test_results``: its scenario, its test case), from all its results: a window function ranks them, newest
    run time first, then the later import, ``_CHUNK`` ids a statement. An id with no such result is left out."""
    from sqlalchemy import func, select

    from tracertm.models import TestResult, TestRun

    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
    out: dict[uuid.UUID, tuple[Any, dt.datetime]] = {}
    ids = list(ids)
    for start in range(0, len(ids), _CHUNK):
        ranked = (
            select(
                owner.label("owner"), value.label("value"), when.label("at"),
                func.row_number().over(
                    partition_by=owner, order_by=(when.desc(), TestRun.imported_at.desc(), TestRun.id),
                ).label("rank"),
            )
            .join(TestRun, TestResult.run_id == TestRun.id)
            .where(owner.in_(ids[start : start + _CHUNK]), TestResult.status != "skipped")
            .subquery()
        )
        for ident, found, at in session.execute(
            select(ranked.c.owner, ranked.c.value, ranked.c.at).where(ranked.c.rank == 1)
        ).all():
            out[ident] = (found, _utc(at))
    return out


def summarize(items: list[RunOutcome], window: int, older: int = 0) -> dict[str, object]:
    """The statistics columns for one scenario's run outcomes (newest first); ``older``: its executed runs older
    than the outcomes given (``Prior.older``), counted in ``execution_count`` only."""
    executed = [o for o in items if o.status != "skipped"]
    recent = executed[:window]
    by_commit: dict[str | None, set[str]] = defaultdict(set)
    for o in recent:
        if o.commit:
            by_commit[o.commit].add("passed" if o.status == "passed" else "failed" if o.status in FAILING else "")
    flaky = any({"passed", "failed"} <= found for found in by_commit.values()) or any(o.retried_pass for o in recent)
    return {
        "pass_rate": (sum(o.status == "passed" for o in recent) / len(recent)) if recent else None,
        "last_status": recent[0].status if recent else None,
        "last_executed_at": recent[0].when if recent else None,
        "execution_count": len(executed) + older,
        "flaky": flaky,
    }


def _stat_columns() -> list[str]:
    """The statistics columns, in the order of the scenario's columns (the audit listener's order)."""
    from sqlalchemy import inspect

    from tracertm.models import Scenario

    return [attr.key for attr in inspect(Scenario).column_attrs if attr.key in _STAT_KEYS]


def figures(session: Session, scenario_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[Any, ...]]:
    """What ``recompute`` needs of each scenario as stored: (version, number, content hash, path, project id, feature
    number, then the statistics in ``_stat_columns`` order). Soft-deleted scenarios too."""
    from sqlalchemy import select

    from tracertm.models import Feature, Scenario

    columns = _stat_columns()
    ids = list(scenario_ids)
    out: dict[uuid.UUID, tuple[Any, ...]] = {}
    for start in range(0, len(ids), _CHUNK):
        for ident, *rest in session.execute(
            select(Scenario.id, Scenario.version, Scenario.scenario_number, Scenario.content_hash,
                   Scenario.source_path, Feature.project_id, Feature.feature_number,
                   *[getattr(Scenario, key) for key in columns])
            .join(Feature, Scenario.feature_id == Feature.id)
            .where(Scenario.id.in_(ids[start : start + _CHUNK]))
            .execution_options(include_deleted=True)
        ).all():
            out[ident] = tuple(rest)
    return out


def recompute(
    session: Session, scenario_ids: Iterable[uuid.UUID], window: int = DEFAULT_WINDOW, actor: str = ACTOR,
    found: dict[uuid.UUID, list[RunOutcome]] | None = None, held: dict[uuid.UUID, tuple[Any, ...]] | None = None,
    older: Mapping[uuid.UUID, int] | None = None,
) -> int:
    """Rewrite the statistics of the given scenarios, as ``actor``, set-based: one read of the run outcomes,
    one read of the current figures, one ``UPDATE`` executed for every changed scenario (``version + 1``, guarded
    by the version read) and one insert of their ``annotated`` revisions — the rows ``models/audit.py`` writes for
    an ORM edit, which a Core statement does not trigger. Returns how many scenarios changed.

    A scenario edited by someone else between the read and the write (an API PATCH) raises ``ConflictError`` and
    the caller's transaction writes nothing.

    ``found``: the scenarios' outcomes (``outcomes``), ``held`` their stored figures (``figures``), when the caller
    has them (``Prior``) already: the figures read ahead are guarded by their version like those read here;
    ``older`` the executed runs of each scenario older than its outcomes in ``found`` (``Prior.older``: an
    import's ``Prior`` reads the newest outcomes only)."""
    from tracertm.models import Scenario
    from tracertm.parsers.common import json_safe
    from tracertm.results.rows import IdForm

    ids = list(dict.fromkeys(scenario_ids))
    if not ids:
        return 0
    session.flush()  # pending ORM edits first: the figures read below must be the ones the update replaces
    if found is None:
        found = outcomes(session, ids)
    held = dict(held or {})
    held.update(figures(session, [ident for ident in ids if ident not in held]))
    columns = _stat_columns()
    form = IdForm(session.connection().dialect.name).of
    updates: list[dict[str, Any]] = []
    revisions: list[tuple[Any, ...]] = []
    for ident in ids:
        if ident not in held:
            continue
        version, number, content_hash, path, project_id, feature_number, *stored = held[ident]
        values = summarize(found.get(ident, []), window, older.get(ident, 0) if older else 0)
        changed = [key for key, old in zip(columns, stored) if old != values[key]]
        if not changed:
            continue  # as the ORM: a write that changes nothing bumps nothing
        updates.append({"b_id": ident, "b_version": version, **{f"v_{key}": values[key] for key in columns}})
        snapshot = {key: json_safe(values[key]) for key in changed}
        snapshot.setdefault("feature_number", feature_number)
        revisions.append((
            form(uuid.uuid4()), form(project_id), "scenario", form(ident), number, version + 1, "annotated",
            content_hash, path, json.dumps(snapshot), actor, json.dumps(changed),
        ))
    if not updates:
        return 0
    return write_annotated(session, Scenario, columns, updates, revisions,
                           "a scenario's statistics were edited while results were imported; import again")


def write_annotated(
    session: Session, model: type[Any], columns: Iterable[str], updates: list[dict[str, Any]],
    revisions: list[tuple[Any, ...]], conflict: str,
) -> int:
    """Write database-owned ``columns`` of ``model``'s rows: ``updates`` (``b_id``, ``b_version`` read,
    ``v_<column>``) as one guarded ``UPDATE`` executed for all (``version + 1``; a row edited since it was read is a
    :class:`ConflictError` saying ``conflict``), then their ``annotated`` ``revisions`` (``_REVISION_COLUMNS``),
    many rows per insert. Loaded copies of the rows are expired. Returns how many rows were written."""
    from sqlalchemy import Table, bindparam, literal_column, update

    from tracertm.engine import bulk
    from tracertm.engine.apply import write_order_from
    from tracertm.errors import ConflictError
    from tracertm.models import SpecRevision
    from tracertm.results.rows import insert_rows

    table, revisions_table = model.__table__, SpecRevision.__table__
    assert isinstance(table, Table) and isinstance(revisions_table, Table)
    connection = session.connection()
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
        .values(version=table.c.version + literal_column("1"),  # no bound literal: engine.bulk sends rows only
                **{key: bindparam(f"v_{key}", type_=table.c[key].type) for key in columns})
    )
    # Through the driver (``engine.bulk``: compiled once, the same processed values as ``connection.execute``):
    # an import updates hundreds of scenarios at its very end, where SQLAlchemy's per-row parameter handling was
    # most of the time.
    updated = bulk.execute_many(connection, statement, updates)
    if connection.dialect.supports_sane_multi_rowcount and updated != len(updates):
        raise ConflictError(conflict)
    # The revisions as driver values, many per statement (``rows.insert_rows``), like the import's own rows.
    columns_written: tuple[str, ...] = _REVISION_COLUMNS
    first = write_order_from(connection)
    if first is not None:  # SQLite: numbered in write order here (no default numbers the rows of one statement)
        columns_written = (*_REVISION_COLUMNS, "seq")
        revisions = [(*row, seq) for seq, row in enumerate(revisions, first)]
    insert_rows(connection, revisions_table, columns_written, revisions, json=("snapshot", "changed_fields"))
    changed_ids = {row["b_id"] for row in updates}
    for obj in list(session.identity_map.values()):  # loaded copies now hold an old version: reload on next use
        if isinstance(obj, model) and obj.id in changed_ids:
            session.expire(obj)
    return len(updates)


_REVISION_COLUMNS = ("id", "project_id", "entity_type", "entity_id", "number", "version", "change", "content_hash",
                     "source_path", "snapshot", "actor", "changed_fields")
