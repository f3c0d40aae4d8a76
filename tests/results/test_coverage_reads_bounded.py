"""``coverage`` reads what the project is, not how old its database is: its read of the scenario and feature
revisions returns the content changes only (not the ``annotated`` revision every import writes per scenario), and
the last execution of each scenario is found by walking the newest runs (an index seek per (scenario, run)), not by
ranking every result. Both give what the former reads gave (kept here as the reference) on a generated history:
edits, an unchanged and a changed move, a work-tree sync, reruns, skipped results, an old-only scenario, a pruned
run and results deleted in the database. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, event, func, select, text

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Feature, Project, Scenario, SpecRevision, TestResult, TestRun
from tracertm.results import import_results, queries, stats
from tracertm.results.queries import coverage, prune

NAMES = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon"]


def _feature(edit: int, names: list[str] = NAMES) -> str:
    body = "".join(f"  Scenario: {name}\n    Given step {name.lower()} {edit if i == edit % len(names) else 0}\n\n"
                   for i, name in enumerate(names))
    return f"Feature: Shop\n\n{body}"


def _report(n: int, names: list[str], skipped: frozenset[str] | set[str] = frozenset(),
            failed: frozenset[str] | set[str] = frozenset()) -> bytes:
    stamp = (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=n % 7)).isoformat()
    cases = []
    for name in names:
        inner = "<skipped/>" if name in skipped else '<failure message="boom"/>' if name in failed else ""
        cases.append(f'<testcase classname="shop.Shop" name="{name}" time="0.1">{inner}</testcase>')
    return f'<testsuite name="s{n}" timestamp="{stamp}" time="1">{"".join(cases)}</testsuite>'.encode()


# The reads ``coverage`` made before, verbatim: the references.
def _old_changes(session: Any, project_id: uuid.UUID) -> dict[uuid.UUID, list[Any]]:
    changes: dict[uuid.UUID, list[Any]] = {}
    previous = None
    for entity, change, version, commit, committed, created, content in session.execute(
        select(SpecRevision.entity_id, SpecRevision.change, SpecRevision.version, SpecRevision.commit_sha,
               SpecRevision.committed_at, SpecRevision.created_at, SpecRevision.content_hash)
        .where(SpecRevision.project_id == project_id, SpecRevision.entity_type.in_(("scenario", "feature")))
        .order_by(SpecRevision.entity_id, SpecRevision.version, SpecRevision.created_at)
    ).all():
        raised = previous != (entity, version)
        previous = (entity, version)
        if change in ("created", "updated", "restored") or (change == "moved" and raised):
            changes.setdefault(entity, []).append((commit, queries._aware(committed or created), content))
    return changes


def _old_last_executed(session: Any, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str | None, dt.datetime]]:
    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
    ranked = (
        select(TestResult.scenario_id.label("scenario_id"), TestRun.commit_sha.label("commit"), when.label("at"),
               func.row_number().over(partition_by=TestResult.scenario_id,
                                      order_by=(when.desc(), TestRun.imported_at.desc())).label("rank"))
        .join(TestRun, TestResult.run_id == TestRun.id)
        .where(TestResult.scenario_id.in_(ids), TestResult.status != "skipped")
        .subquery()
    )
    return {s: (c, queries._aware(a)) for s, c, a in session.execute(
        select(ranked.c.scenario_id, ranked.c.commit, ranked.c.at).where(ranked.c.rank == 1)).all()}


def _new_changes(session: Any, project_id: uuid.UUID) -> dict[uuid.UUID, list[Any]]:
    out: dict[uuid.UUID, list[Any]] = {}
    # (The revision's own commit next: this history has no clean work tree's sync, whose run would date one; then
    # the revision's id, type, change and number, which ``coverage`` reads to tell a feature's pure rename.)
    for entity, commit, committed, created, content, _own, *_rest in session.execute(
            queries._content_changes(project_id)):
        out.setdefault(entity, []).append((commit, queries._aware(committed or created), content))
    return out


class Shop:
    """A repository with one feature, its history synced commit by commit, and runs imported against it."""

    def __init__(self, repo: GitRepo, url: str) -> None:
        self.repo, self.url, self.runs = repo, url, 0
        self.engine = db.make_engine(url)

    def sync(self, ref: str | None = "HEAD") -> None:
        assert not sync(self.repo.path, ref=ref, database_url=self.url, project="shop").errors

    def run(self, names: list[str] = NAMES, **kw: Any) -> None:
        self.runs += 1
        import_results(self.url, "shop", [(f"r{self.runs}.xml", _report(self.runs, names, **kw))],
                       commit=self.repo.head(), repo=self.repo.path)

    def compare(self) -> dict[uuid.UUID, tuple[str | None, dt.datetime]]:
        """The new reads equal the references; returns the last executions."""
        with db.session(self.engine) as session:
            project = session.execute(select(Project).where(Project.name == "shop")).scalar_one()
            assert _new_changes(session, project.id) == _old_changes(session, project.id)
            ids = list(session.execute(select(Scenario.id).join(Feature).where(Feature.project_id == project.id))
                       .scalars())
            new = stats.last_executed(session, ids)
            assert new == _old_last_executed(session, ids)
            return new


@pytest.fixture
def shop(git_repo: GitRepo, database_url: str) -> Iterator[Shop]:
    made = Shop(git_repo, database_url)
    git_repo.write("features/shop.feature", _feature(0))
    git_repo.commit("shop")
    made.sync()
    yield made
    made.engine.dispose()


def _history(shop: Shop, edits: int, runs_per_edit: int) -> None:
    for edit in range(1, edits + 1):
        shop.repo.write("features/shop.feature", _feature(edit))
        shop.repo.commit(f"edit {edit}")
        shop.sync()
        for _ in range(runs_per_edit):
            shop.run(failed={NAMES[edit % 5]} if edit % 3 == 0 else set())


def test_the_new_reads_give_the_former_answers_on_a_generated_history(shop: Shop, tmp_path: Any) -> None:
    _history(shop, 4, 2)
    shop.run(NAMES[:2])  # a partial run: the others were last executed earlier
    shop.run(skipped={"Alpha", "Beta"})  # skipped only: not an execution
    shop.run()  # a rerun at the same commit
    shop.run()
    shop.compare()
    # An unchanged move, then a move with a change, then a work-tree sync.
    shop.repo.git("mv", "features/shop.feature", "features/store.feature")
    shop.repo.commit("move")
    shop.sync()
    shop.repo.git("mv", "features/store.feature", "features/shop2.feature")
    shop.repo.write("features/shop2.feature", _feature(9))
    shop.repo.commit("move and edit")
    shop.sync()
    shop.run(NAMES[:3])
    with shop.engine.connect() as connection:  # the history holds both kinds of move the rule tells apart
        moves = connection.execute(text(
            "SELECT m.version = (SELECT max(p.version) FROM spec_revisions p WHERE p.entity_id = m.entity_id"
            " AND p.created_at < m.created_at) FROM spec_revisions m WHERE m.change = 'moved'")).scalars().all()
        assert True in moves and False in moves, moves
    shop.repo.write("features/shop2.feature", _feature(7))
    shop.sync(ref=None)
    first = shop.compare()
    # Walked beyond the newest runs: the scenarios run only long ago are found by their results.
    stats._WALK, stats._RUN_BATCH = 2, 1
    try:
        assert shop.compare() == first
    finally:
        stats._WALK, stats._RUN_BATCH = 32, 4
    with db.session(shop.engine) as session:
        project = session.execute(select(Project).where(Project.name == "shop")).scalar_one()
        assert prune(session, project, 3) > 0
        session.commit()
    shop.compare()
    # Results deleted in the database, statistics left as they were: the results decide.
    with shop.engine.begin() as connection:
        newest = connection.execute(select(TestRun.id).order_by(TestRun.imported_at.desc()).limit(1)).scalar_one()
        connection.execute(delete(TestResult).where(TestResult.run_id == newest))
    shop.compare()
    with db.session(shop.engine) as session:  # the whole command still answers
        project = session.execute(select(Project).where(Project.name == "shop")).scalar_one()
        assert set(coverage(session, project, shop.repo.path)) == {"never_executed", "failing", "flaky", "stale"}


class _Reads:
    """The statements a block sends, with their parameters, to measure what they read."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.seen: list[tuple[str, Any]] = []

    def __enter__(self) -> _Reads:
        event.listen(self.engine, "before_cursor_execute", self._add)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._add)

    def _add(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.seen.append((statement, parameters))

    def rows(self, table: str) -> int:
        """The rows the reads of ``table`` return (SQLite) or their scans of it return (PostgreSQL's EXPLAIN
        ANALYZE: every node over the table, the rows it passed and those it filtered out, times its loops)."""
        total = 0
        with self.engine.connect() as connection:
            raw = connection.connection.driver_connection
            for statement, parameters in self.seen:
                if f"FROM {table}" not in statement and f"JOIN {table}" not in statement:
                    continue
                cursor = raw.cursor()
                if self.engine.dialect.name == "sqlite":
                    cursor.execute(statement, parameters)
                    total += len(cursor.fetchall())
                else:
                    # A table this small is read whole whatever the query (cheaper than any index): the plan of a
                    # large one is what counts, the index's (seq scans priced out).
                    cursor.execute("SET enable_seqscan = off")
                    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
                    total += _pg_rows(cursor.fetchone()[0][0]["Plan"], table)
                cursor.close()
        return total

    def plans(self, table: str) -> list[str]:
        """SQLite's query plans of the reads of ``table``."""
        out = []
        with self.engine.connect() as connection:
            raw = connection.connection.driver_connection
            for statement, parameters in self.seen:
                if table in statement:
                    out += [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
        return out


def _pg_rows(plan: dict[str, Any], table: str) -> int:
    own = plan.get("Relation Name") == table
    rows = (plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)) * plan["Actual Loops"] if own else 0
    return int(rows) + sum(_pg_rows(child, table) for child in plan.get("Plans", []))


def _measure(shop: Shop) -> tuple[_Reads, _Reads]:
    with db.session(shop.engine) as session:
        project = session.execute(select(Project).where(Project.name == "shop")).scalar_one()
        ids = list(session.execute(select(Scenario.id).join(Feature).where(Feature.project_id == project.id))
                   .scalars())
        with _Reads(shop.engine) as last:
            stats.last_executed(session, ids)
        with _Reads(shop.engine) as changes:
            session.execute(queries._content_changes(project.id)).all()
    return last, changes


def test_coverage_reads_do_not_grow_with_imported_runs(shop: Shop) -> None:
    _history(shop, 2, 2)  # as many runs as the walk asks about at once (``stats._RUN_BATCH``)
    last, changes = _measure(shop)
    before = (last.rows("test_results"), changes.rows("spec_revisions"))
    for _ in range(12):  # twelve more runs: twelve more results and annotated revisions per scenario (flaky)
        shop.run(failed={"Alpha"} if shop.runs % 2 else set())
    with shop.engine.connect() as connection:
        annotated = connection.execute(text("SELECT count(*) FROM spec_revisions WHERE change = 'annotated'"))
        assert annotated.scalar_one() >= 12
    last, changes = _measure(shop)
    # Each read of the results names one run (``run_id = ?``, an index condition whatever the plan: the run's key
    # or the (scenario, run) index), not a list of runs (``run_id IN (...)``: PostgreSQL may then read each
    # scenario's results through the scenarios' index and filter the runs out, 80 rows here instead of 20).
    results = [statement for statement, _ in last.seen if "FROM test_results" in statement]
    assert results and not any("run_id IN" in statement for statement in results), results
    # Whichever plan (PostgreSQL's EXPLAIN ANALYZE: rows passed and filtered out, all loops; SQLite: rows
    # returned): the newest batch of runs answers every scenario, each run read for its own results at most.
    assert last.rows("test_results") <= len(NAMES) * stats._RUN_BATCH < len(NAMES) * shop.runs
    if shop.engine.dialect.name == "sqlite":
        assert last.rows("test_results") == before[0]
        # Rows returned: the content changes only. (SQLite reads the annotated rows to skip them.)
        assert changes.rows("spec_revisions") == before[1]
        # Each (scenario, run) is one index seek; no results read by scenario alone, none ranked.
        plans = last.plans("test_results")
        assert any("(scenario_id=? AND run_id=?)" in line for line in plans), plans
        assert not any(line.startswith("SCAN test_results") for line in plans), plans
        assert not any("(scenario_id=?)" in line for line in plans), plans
        assert not any("SCAN spec_revisions" in line for line in changes.plans("spec_revisions"))
