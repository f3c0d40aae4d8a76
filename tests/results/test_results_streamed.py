"""The streamed import of one large JUnit report (``results.streamed``): the incremental parse gives what the
in-process parse gives, cases and errors alike; a broken file imports nothing and leaves no process behind; a
test case another writer inserted sends the import back to the in-process path. On SQLite and PostgreSQL.
(That what it stores equals the plain ORM import: ``test_results_store_equivalence.py``.)"""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import GitRepo, force_streaming, join_other_threads
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import SpecRevision, TestCase, TestResult, TestRun
from tracertm.results import import_results, junit, streamed
from tracertm.results.formats import parse_report

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"


def _report(tests: int, tail: str = "</testsuite></testsuites>") -> bytes:
    """A report of ``tests`` unit tests in two suites (one nested), with failures, skips, properties and reruns."""
    cases = []
    for i in range(tests):
        body = ""
        if i % 7 == 1:
            body = f'<failure message="boom {i}&#10;more" type="AssertionError">trace</failure>'
        elif i % 7 == 2:
            body = '<skipped message="later"/>'
        elif i % 7 == 3:
            body = '<properties><property name="owner" value="a"/></properties>'
        elif i % 7 == 4:
            body = '<flakyFailure message="once"/>'
        cases.append(f'<testcase classname="m{i % 3}" name="t{i}" time="0.{i}">{body}</testcase>')
    half = tests // 2
    return ('<?xml version="1.0"?>\n<testsuites name="all">\n'
            '<testsuite name="a" timestamp="2026-11-01T08:00:00" time="2">' + "\n".join(cases[:half]) + "</testsuite>"
            '<testsuite name="b" timestamp="2026-11-01T09:00:00" time="3"><testsuite name="c">'
            + "\n".join(cases[half:]) + "</testsuite>" + tail).encode()


@pytest.mark.parametrize("name", ["cucumber-junit.xml", "surefire.xml", "generated"])
def test_the_stream_gives_what_parse_gives(name: str) -> None:
    data = _report(101) if name == "generated" else (FIXTURES / name).read_bytes()
    parsed = parse_report(name, data, "junit")
    starts: list[Any] = []
    ends: list[Any] = []
    names: list[str | None] = []
    cases = list(junit.stream(name, data, starts, ends, names))
    assert cases == list(parsed.cases) and len(cases) > 0
    assert (names, min(starts, default=None), max(ends, default=None)) == (
        [parsed.name], parsed.started_at, parsed.finished_at)


@pytest.mark.parametrize("data", [
    _report(30, tail="</testsuite>"),  # truncated: not well-formed at its end
    _report(30).replace(b'name="t17"', b'name="t17'),  # broken in the middle
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><testsuite><testcase name="&a;"/></testsuite>',
    b"<results><testcase name='a'/></results>",  # not a JUnit report
    b"<results><testcase name='a'/></result>",  # not a JUnit report, and not well-formed either
    b"",
])
def test_the_stream_raises_what_parse_raises(data: bytes) -> None:
    with pytest.raises(ParseError) as parsed:
        parse_report("r.xml", data, "junit")
    with pytest.raises(ParseError) as streamed_error:
        list(junit.stream("r.xml", data, [], [], []))
    assert str(streamed_error.value) == str(parsed.value)


def test_a_test_case_inside_a_test_case_is_not_streamed() -> None:
    data = b'<testsuite><testcase name="a"><testcase name="b"/></testcase></testsuite>'
    with pytest.raises(junit.NestedCases):
        list(junit.stream("r.xml", data, [], [], []))


def test_messages_double_then_shrink_towards_the_end_of_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child's messages: 250, 500, 1,000, then 2,000 tests, and smaller again near the end (the import writes
    the last one after the parse has ended); every test in one of them, once."""
    import io

    from tracertm.results import rows
    from tracertm.results.mapping import ScenarioIndex
    from tracertm.results.rows import IdForm

    sizes: list[int] = []
    monkeypatch.setattr(streamed, "_send", lambda out, message, plain=False: sizes.append(
        rows.Flat.of(message[1]).count if message[0] == "chunk" else -1))  # the test cases' rows, as fields
    prepared = streamed._Prepared(ScenarioIndex([]), {}, "p" * 32, "2026-11-01 00:00:00.000", {})
    streamed._produce(io.BytesIO(), "r.xml", _report(12_000), lambda block: prepared, IdForm("sqlite"), "r" * 32,
                      "bench")
    assert sizes[-1] == -1 and sum(sizes[:-1]) == 12_000
    assert sizes[:5] == [250, 500, 1_000, 2_000, 2_000]
    assert max(sizes) == streamed.CHUNK and sizes[-2] <= streamed.FIRST_CHUNK
    assert sizes[-4] < sizes[-5] < streamed.CHUNK, "the last messages shrink"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_chunk_is_plain_values_that_marshal_writes(monkeypatch: pytest.MonkeyPatch, dialect: str) -> None:
    """A chunk message holds texts, numbers, None, tuples and lists only (``marshal`` writes it, in about half the
    time of ``pickle``): scenarios and test cases by their ids in the driver's form, a SQLite statement's rows as
    ``rows.Flat``'s fields, whatever the chunk holds (new, known, soft-deleted and mapped test cases)."""
    import io
    import marshal

    from tracertm.results.mapping import ScenarioIndex
    from tracertm.results.rows import Flat, IdForm
    from tracertm.results.scenarios import scenario_ref

    scenario = uuid.UUID(int=7)
    ids = IdForm(dialect)
    known, gone = ids.of(uuid.UUID(int=8)), ids.of(uuid.UUID(int=9))
    index = ScenarioIndex([scenario_ref(scenario, "F-1", "Area", "features/area.feature",
                                        {"scenario_number": "SC-1", "title": "step one"})])
    cases = ('<testcase classname="Area" name="step one"/><testcase classname="Area" name="step one again"/>'
             '<testcase classname="m" name="t1"/><testcase classname="m" name="t2" time="0.5">'
             '<failure message="boom"/></testcase>')
    report = f'<testsuite name="s">{cases}</testsuite>'.encode()
    existing = {"Area::step one": (known, False), "m::t1": (gone, True)}
    sources = {ids.of(scenario): ("F-1/SC-1", "features/area.feature", 3)}
    stamp = "2026-11-01 00:00:00.000" if dialect == "sqlite" else None
    prepared = streamed._Prepared(index, existing, ids.of(uuid.UUID(int=1)), stamp, sources)
    sent: list[tuple[tuple[Any, ...], bool]] = []
    monkeypatch.setattr(streamed, "_send", lambda out, message, plain=False: sent.append((message, plain)))
    streamed._produce(io.BytesIO(), "r.xml", report, lambda block: prepared, ids, ids.of(uuid.UUID(int=2)), "me")
    chunks = [message for message, plain in sent if message[0] == "chunk" and plain]
    assert len(chunks) == 1 and [message[0] for message, _plain in sent] == ["chunk", "end"]
    (chunk,) = chunks
    assert marshal.loads(marshal.dumps(chunk)) == chunk
    _kind, new, revisions, results, mapped, restored, _associations, _links, ran, at, at_json = chunk
    if stamp is not None:  # SQLite: the database makes the created revisions (import_rows.insert_cases)
        new, results = Flat.of(new), Flat.of(results)
    assert (len(new), len(revisions), len(results)) == (2, 0 if stamp else 2, 4)
    assert (mapped, restored, ran) == ([(ids.of(scenario), known)], [gone], [ids.of(scenario)])
    assert (at, at_json) == (None, None), "a suite without a time: the import's, set at the end"


# ------------------------------------------------------------------------------------------------ imports


@pytest.fixture
def forced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every single-report JUnit import streamed, in small chunks; the outcomes of the streamed imports."""
    return force_streaming(monkeypatch, 3, 10)


@pytest.fixture
def shop(git_repo: GitRepo, database_url: str) -> Iterator[GitRepo]:
    shutil.copytree(HERE / "project" / "features", git_repo.path / "features", ignore=shutil.ignore_patterns("steps"))
    git_repo.commit("cart")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="shop").errors
    yield git_repo


def _counts(database_url: str) -> tuple[int, ...]:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            return tuple(session.execute(select(func.count()).select_from(model)).scalar_one()
                         for model in (TestRun, TestResult, TestCase))
    finally:
        engine.dispose()


def _no_child_left() -> None:
    try:
        assert os.waitpid(-1, os.WNOHANG) == (0, 0), "a child process was not reaped"
    except ChildProcessError:
        pass  # no child at all


def test_a_large_report_imports_every_test(shop: GitRepo, database_url: str, forced: list[str]) -> None:
    summary = import_results(database_url, "shop", [("big.xml", _report(101))])
    assert forced == ["streamed"]
    assert (summary.total, summary.test_cases_created, summary.unmatched) == (101, 101, 101)
    assert _counts(database_url) == (1, 101, 101)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            run = session.execute(select(TestRun)).scalar_one()
            assert (run.name, run.counts["total"], run.files) == ("all", 101, ["big.xml"])
            assert run.started_at is not None and run.finished_at is not None
    finally:
        engine.dispose()
    again = import_results(database_url, "shop", [("renamed.xml", _report(101))])
    assert (again.duplicate, again.run_id, forced) == (True, summary.run_id, ["streamed", "streamed"])
    assert _counts(database_url) == (1, 101, 101)
    _no_child_left()


@pytest.mark.parametrize("ahead", [False, True])
def test_a_broken_streamed_report_imports_nothing(
    shop: GitRepo, database_url: str, forced: list[str], monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """The break comes after several chunks went into the transaction: it rolls back, and the error is the line the
    in-process parse gives. The same when the child meets it while it parses ahead, before the import's reads
    reach it (``ahead``: they reach it only once it waits for them): it ends, and the import's send of them fails
    quietly."""
    if ahead:
        real = streamed._receiver
        monkeypatch.setattr(streamed, "_receiver", lambda channel, prepare: (
            lambda block, ready=real(channel, prepare): ready(True) if block else None))
    broken = _report(60).replace(b'name="t47"', b'name="t47')
    with pytest.raises(ParseError) as expected:
        parse_report("broken.xml", broken)
    with pytest.raises(ParseError) as info:
        import_results(database_url, "shop", [("broken.xml", broken)])
    assert str(info.value) == str(expected.value) and str(info.value).startswith("broken.xml:")
    assert forced == ["ParseError"]
    assert _counts(database_url) == (0, 0, 0)
    _no_child_left()


def test_another_writers_test_case_sends_the_import_in_process(
    shop: GitRepo, database_url: str, forced: list[str]
) -> None:
    """A test case that appears between the read of the project's test cases and their insert: the streamed import
    cannot use its id any more (the child made the rows), so it rolls back and the in-process import runs."""
    from sqlalchemy import event

    engine = db.make_engine(database_url)
    done: list[str] = []

    def insert_theirs_first(  # type: ignore[no-untyped-def]
        conn, cursor, statement, parameters, context, executemany
    ) -> None:
        if statement.startswith("INSERT INTO test_cases") and not done:
            done.append(statement)  # the first row of the statement, under another id: another writer's
            head, values = statement.split(" VALUES ", 1)
            width = head.count(",") + 1
            first = values[: values.index(")") + 1]
            if "?1" in values:  # SQLite: the values every row shares are bound once, numbered (rows.Flat)
                numbers = [int(mark) for mark in re.findall(r"\?(\d+)", first)]
                own = [parameters[n - 1] for n in numbers]
                first = "(" + ", ".join(["?"] * width) + ")"
            else:
                own = list(parameters[:width])
            theirs = uuid.uuid4()
            row = [theirs.hex if conn.dialect.name == "sqlite" else str(theirs), *own[1:]]
            cursor.execute(f"{head} VALUES {first}", row)

    event.listen(engine, "before_cursor_execute", insert_theirs_first)
    try:
        summary = import_results(engine, "shop", [("race.xml", _report(20))])
    finally:
        event.remove(engine, "before_cursor_execute", insert_theirs_first)
        engine.dispose()
    assert done and forced == ["restart"]
    assert (summary.total, summary.test_cases_created) == (20, 20)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            assert session.execute(select(func.count()).select_from(TestCase)).scalar_one() == 20
            created = session.execute(select(func.count()).select_from(SpecRevision)
                                      .where(SpecRevision.entity_type == "test_case",
                                             SpecRevision.change == "created")).scalar_one()
            assert created == 20, "one created revision per test case, none left from the rolled-back attempt"
    finally:
        engine.dispose()
    _no_child_left()


def test_names_from_before_a_rename_send_the_import_in_process(
    shop: GitRepo, database_url: str, forced: list[str]
) -> None:
    """A run's commit whose feature files the synced ones renamed a scenario of: its names are those at the commit,
    which the in-process import reads. Of the synced commit, the streamed import maps them as they are."""
    ran_at = shop.head()
    shop.write("features/cart.feature", shop.read("features/cart.feature").replace("Add an item", "Put an item in"))
    shop.commit("rename")
    assert not sync(shop.path, ref="HEAD", database_url=database_url, project="shop").errors

    def junit_report(name: str) -> bytes:
        return f'<testsuite name="c"><testcase classname="Shopping cart" name="{name}"/></testsuite>'.encode()

    before = import_results(database_url, "shop", [("before.xml", junit_report("Add an item"))], commit=ran_at,
                            repo=shop.path)
    after = import_results(database_url, "shop", [("after.xml", junit_report("Put an item in"))],
                           commit=shop.head(), repo=shop.path)
    assert forced == ["restart", "streamed"]
    assert before.matched["name"] == after.matched["name"] == 1
    _no_child_left()


def test_small_reports_and_several_files_are_imported_in_process(shop: GitRepo, database_url: str) -> None:
    calls: list[Any] = []
    real = streamed.import_streamed
    try:
        streamed.import_streamed = lambda *a, **k: calls.append(a) or real(*a, **k)  # type: ignore[assignment]
        import_results(database_url, "shop", [("small.xml", _report(20))])
        streamed.FORK_MIN_BYTES, saved = 0, streamed.FORK_MIN_BYTES
        try:
            import_results(database_url, "shop", [("one.xml", _report(5)), ("two.xml", _report(6))])
            import_results(database_url, "shop", [FIXTURES / "cart.ndjson"])
        finally:
            streamed.FORK_MIN_BYTES = saved
    finally:
        streamed.import_streamed = real  # type: ignore[assignment]
    assert calls == []


def test_only_large_junit_reports_on_two_cores_are_streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    join_other_threads()
    monkeypatch.setattr(streamed, "_cores", lambda: 2)
    large = b"<" * streamed.FORK_MIN_BYTES
    assert streamed.streams(large, "junit")
    assert not streamed.streams(large[:-1], "junit") and not streamed.streams(large, "cucumber-json")
    monkeypatch.setattr(streamed, "_cores", lambda: 1)
    assert not streamed.streams(large, "junit")
    monkeypatch.setattr(streamed, "_cores", lambda: 2)
    monkeypatch.setenv("TRACERTM_RESULTS_STREAM", "0")
    assert not streamed.streams(large, "junit")


def test_a_process_with_other_threads_does_not_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another thread may hold a lock the child would need (the parse then runs in a thread: see
    test_results_streamed_in_a_thread); a WAL checkpoint's thread only runs SQLite."""
    monkeypatch.setattr(streamed, "_cores", lambda: 2)
    large = b"<" * streamed.FORK_MIN_BYTES
    join_other_threads()
    assert streamed.streams(large, "junit")
    for name in ("tracertm-checkpoint", "another"):
        release = threading.Event()
        thread = threading.Thread(target=release.wait, name=name)
        thread.start()
        try:
            assert streamed.streams(large, "junit") == ("fork" if name == db.CHECKPOINT_THREAD else "thread")
        finally:
            release.set()
            thread.join()


def test_outcomes_read_ahead_without_a_run_plus_its_own_are_the_outcomes(shop: GitRepo, database_url: str) -> None:
    """``stats.Prior`` (what the streamed import reads while its parse process runs): every other run's outcomes,
    then the left-out run's added from its results' highest rank and most failed attempts per scenario, sorted —
    the same lists ``outcomes`` reads at the end, for runs of every status mix, retried passes, and two runs at the
    same time (the import time breaks the tie)."""
    from tracertm.models import Scenario
    from tracertm.results.stats import _SQL_RANK, Prior, outcomes

    cucumber = (FIXTURES / "cucumber-junit.xml").read_bytes()
    days = [
        cucumber,
        cucumber.replace(b"2026-11-30T09", b"2026-12-01T09").replace(b"<failure", b"<skipped").replace(
            b"</failure>", b"</skipped>"),
        cucumber.replace(b"2026-11-30T09", b"2026-12-01T09").replace(b'name="Remove an item" time="0.003">',
                                                                     b'name="Remove an item" time="0.003">'
                                                                     b'<flakyFailure message="once"/>'),
        cucumber.replace(b"2026-11-30T09", b"2026-12-02T09"),
    ]
    runs = [import_results(database_url, "shop", [(f"day{n}.xml", data)], commit=f"{n % 2}" * 40).run_id
            for n, data in enumerate(days)]
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            ids = list(session.execute(select(Scenario.id)).scalars())
            expected = outcomes(session, ids)
            assert sum(len(found) for found in expected.values()) > 2 * len(days)
            assert any(o.retried_pass for found in expected.values() for o in found)
            for run in runs:
                own: dict[Any, tuple[int, int]] = {}
                for scenario, status, failed in session.execute(
                    select(TestResult.scenario_id, TestResult.status, TestResult.failed_attempts)
                    .where(TestResult.run_id == run, TestResult.scenario_id.is_not(None))
                ).all():
                    best, most = own.get(scenario, (0, 0))
                    own[scenario] = (max(best, _SQL_RANK[status]), max(most, failed))
                prior = Prior(run)
                prior.read(session, ids[:2])  # read in parts, as the chunks come
                prior.read(session, ids)
                assert prior.sorted(session, own) == expected
    finally:
        engine.dispose()
