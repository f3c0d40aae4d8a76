"""A test case's ``last_execution_result`` and ``last_executed_at`` (``results.case_results``), on SQLite and
PostgreSQL: set by ``results import`` from the newest run that executed the test (a skip is no execution, a pass
after failed attempts a pass), never overwritten by an older report, read again from the runs left by ``results
prune``, one guarded version and one ``annotated`` revision per change, beside a ``PATCH`` of the same fields.
Imports run in-process and streamed (``results.streamed``), through the CLI; the PATCH through the API."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from apikit import api_client, make_token
from conftest import GitRepo, force_streaming
from test_results_cli import cart  # noqa: F401 - a fixture (the cart project, synced)
from tracertm import db
from tracertm.cli import main
from tracertm.errors import ConflictError
from tracertm.models import SpecRevision, TestCase, TestRun
from tracertm.results import import_results
from tracertm.results.case_results import FIELDS

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
SUREFIRE = (FIXTURES / "surefire.xml").read_text(encoding="utf-8")
CART = "com.example.CartTest::"
DAY1 = "2026-11-30T09:10:01.250000+00:00"  # the report's time: its timestamp, plus the suite's 1.25 s
DAY2 = "2026-12-01T09:10:01.250000+00:00"
DAY3 = "2026-12-02T09:10:01.250000+00:00"

# The Surefire report of day 1 (SUREFIRE as it is): per test, (last_execution_result, last_executed_at).
AFTER_DAY1 = {
    "com.example.CartTest$Nested::nestedPasses": ("passed", DAY1),
    CART + "addsItem": ("passed", DAY1),
    CART + "removesItem": ("passed", DAY1),  # flakyFailure, then passed: the last attempt decides
    CART + "checksOut": ("failed", DAY1),  # failure and two rerunFailures
    CART + "loadsConfig": ("error", DAY1),
    CART + "paysLater": (None, None),  # skipped: not executed
}


def _day(stamp: str, *, fixed: bool = False, skip_adds: bool = False, extra: bool = False) -> bytes:
    """SUREFIRE run at ``stamp``: ``fixed``, checksOut passes; ``skip_adds``, addsItem is skipped; ``extra``, one
    more test (``onlyHere``, failed) that no other day runs."""
    text = SUREFIRE.replace("2026-11-30T09:10:00", stamp)
    if fixed:
        text = re.sub(r'(<testcase name="checksOut"[^>]*>).*?(</testcase>)', r"\1\2", text, flags=re.S)
    if skip_adds:
        text = text.replace('name="addsItem" classname="com.example.CartTest" time="0.2">',
                            'name="addsItem" classname="com.example.CartTest" time="0.2"><skipped/>')
    if extra:
        text = text.replace("</testsuite>\n</testsuites>", '  <testcase name="onlyHere" classname="com.example.'
                            'CartTest" time="0.1"><failure message="no"/></testcase>\n</testsuite>\n</testsuites>')
    assert text != SUREFIRE or stamp == "2026-11-30T09:10:00"
    return text.encode()


@pytest.fixture
def repo(cart: GitRepo) -> GitRepo:
    """The cart project synced at HEAD, the working directory and the database URL set (``test_results_cli``)."""
    return cart


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _import(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    _cli(capsys, "results", "import", str(path))


def _state(database_url: str) -> dict[str, tuple[Any, ...]]:
    """Per test case: (last_execution_result, last_executed_at as ISO text, version), and that its history has one
    revision per version, numbered 1 to its version."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            out = {}
            for case in session.execute(select(TestCase)).scalars():
                versions = session.execute(
                    select(SpecRevision.version).where(SpecRevision.entity_id == case.id)
                    .order_by(SpecRevision.version)).scalars().all()
                assert versions == list(range(1, case.version + 1)), (case.test_case_number, versions)
                at = case.last_executed_at.isoformat() if case.last_executed_at else None
                out[case.test_case_number] = (case.last_execution_result, at, case.version)
            return out
    finally:
        engine.dispose()


def _fields(state: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {number: values[:2] for number, values in state.items()}


@pytest.mark.parametrize("how", ["in-process", "streamed"])
def test_an_import_sets_each_test_case_last_execution(
    repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, how: str,
) -> None:
    outcomes = force_streaming(monkeypatch, 2, 3) if how == "streamed" else []
    _import(capsys, tmp_path, "day1.xml", _day("2026-11-30T09:10:00"))
    assert outcomes == (["streamed"] if how == "streamed" else [])
    state = _state(database_url)
    assert _fields(state) == AFTER_DAY1
    # One import, one change: each new test case is created with its last execution (version 1, one revision).
    assert {number: values[2] for number, values in state.items()} == dict.fromkeys(AFTER_DAY1, 1)
    _check_created(database_url, AFTER_DAY1)
    shown = json.loads(_cli(capsys, "show", CART + "checksOut", "--format", "json"))
    assert (shown["last_execution_result"], shown["last_executed_at"]) == ("failed", "2026-11-30T09:10:01.250000Z")
    history = json.loads(_cli(capsys, "history", CART + "checksOut", "--format", "json"))
    assert [r["change"] for r in history] == ["created"]

    # Day 2: checksOut passes, addsItem is skipped (its day-1 pass stays), a new test fails.
    _import(capsys, tmp_path, "day2.xml", _day("2026-12-01T09:10:00", fixed=True, skip_adds=True, extra=True))
    state = _state(database_url)
    assert _fields(state) == {
        **{number: (result, DAY2) for number, (result, _at) in AFTER_DAY1.items() if result},
        CART + "checksOut": ("passed", DAY2), CART + "addsItem": ("passed", DAY1), CART + "paysLater": (None, None),
        CART + "onlyHere": ("failed", DAY2),
    }
    assert state[CART + "addsItem"][2] == 1 and state[CART + "checksOut"][2] == 2
    assert state[CART + "onlyHere"][2] == 1  # new on day 2: created with it
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:  # a known test case's change: the guarded update's revision
            revision = session.execute(select(SpecRevision).where(
                SpecRevision.change == "annotated", SpecRevision.number == CART + "checksOut")).scalar_one()
            assert revision.changed_fields == ["last_execution_result", "last_executed_at"]
            assert revision.snapshot == {"last_execution_result": "passed", "last_executed_at": DAY2}
            assert revision.actor == "results-import"
    finally:
        engine.dispose()


def _check_created(database_url: str, expected: dict[str, tuple[Any, Any]]) -> None:
    """Each test case of ``expected`` has one revision, ``created`` at version 1, by the import, whose snapshot holds
    its last execution (the fields left out when null, as the ORM's listener leaves them out)."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            for number, (result, at) in expected.items():
                revisions = session.execute(select(SpecRevision).where(
                    SpecRevision.entity_type == "test_case", SpecRevision.number == number)).scalars().all()
                assert [(r.version, r.change, r.actor) for r in revisions] == [(1, "created", "results-import")]
                snapshot = revisions[0].snapshot
                held = {key: snapshot[key] for key in FIELDS if key in snapshot}
                assert held == ({} if result is None else dict(zip(FIELDS, (result, at))))
                assert snapshot["test_case_number"] == number
    finally:
        engine.dispose()


@pytest.mark.parametrize("how", ["fork", "thread"])
def test_a_streamed_import_gives_new_test_cases_the_time_of_the_whole_report(
    repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, how: str,
) -> None:
    """The parse sends the first test cases before it has read the later suites: the run's time is the latest
    suite's end, or the import's when no suite has a time. The test cases sent earlier were given the time read so
    far: the import sets it right, still at version 1 with one ``created`` revision. (A parse in a thread — another
    thread runs, as in the API server — reads at most a chunk ahead: the first suite's end alone, surely.)"""
    def suites(*stamps: str | None, name: str = "S") -> bytes:
        parts = []
        for n, stamp in enumerate(stamps):
            at = f' timestamp="{stamp}" time="2"' if stamp else ""
            tests = "".join(f'<testcase classname="unit.{name}{n}" name="t{k}" time="0.1">'
                            + ('<failure message="no"/>' if k == 1 else "<skipped/>" if k == 2 else "")
                            + "</testcase>" for k in range(8))
            parts.append(f'<testsuite name="{name}{n}"{at}>{tests}</testsuite>')
        return ("<testsuites>" + "".join(parts) + "</testsuites>").encode()

    def expected(suite: str, at: str) -> dict[str, tuple[Any, Any]]:
        return {f"unit.{suite}::t{k}": (None, None) if k == 2 else ("failed" if k == 1 else "passed", at)
                for k in range(8)}

    def state(prefix: str) -> dict[str, tuple[Any, ...]]:
        return {n: v for n, v in _state(database_url).items() if n.startswith(prefix)}

    outcomes = force_streaming(monkeypatch, 2, 3)
    release = threading.Event()
    other = threading.Thread(target=release.wait, name="another")
    if how == "thread":
        other.start()
    try:
        # Two suites, the later one ending last.
        _import(capsys, tmp_path, "two.xml", suites("2026-11-30T09:00:00", "2026-11-30T10:00:00"))
        late = "2026-11-30T10:00:02+00:00"
        want = {**expected("S0", late), **expected("S1", late)}
        assert state("unit.S") == {n: (*v, 1) for n, v in want.items()}
        _check_created(database_url, want)
        # No time in the report: the import's.
        _import(capsys, tmp_path, "none.xml", suites(None, name="N"))
    finally:
        release.set()
        if how == "thread":
            other.join()
    assert outcomes == ["streamed", "streamed"]
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            imported = session.execute(
                select(TestRun.imported_at).order_by(TestRun.imported_at.desc())).scalars().first()
            assert imported is not None
    finally:
        engine.dispose()
    want = expected("N0", imported.isoformat())
    assert state("unit.N") == {n: (*v, 1) for n, v in want.items()}
    _check_created(database_url, want)


def test_an_older_report_imported_later_changes_nothing_newer(
    repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _import(capsys, tmp_path, "day2.xml", _day("2026-12-01T09:10:00", fixed=True))
    before = _state(database_url)
    assert before[CART + "checksOut"][:2] == ("passed", DAY2)
    _import(capsys, tmp_path, "day1.xml", _day("2026-11-30T09:10:00"))  # the older run, imported after
    assert _state(database_url) == before, "no newer outcome overwritten, no version, no revision"
    # A run of the same time imported later is the newer one (the statistics' order: time, then import).
    _import(capsys, tmp_path, "day2-again.xml", _day("2026-12-01T09:10:00"))
    after = _state(database_url)
    assert after[CART + "checksOut"] == ("failed", DAY2, before[CART + "checksOut"][2] + 1)
    assert after[CART + "addsItem"] == before[CART + "addsItem"], "the same values: no edit"


def test_prune_leaves_the_last_execution_of_the_runs_left(
    repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``prune --keep 1`` keeps the run imported last — here the older report — and removes the newer one, which
    each test case's last execution came from: it is read again from day 1's run; a test only day 2 ran has no
    execution left (both fields null). ``results unmatched`` still lists that test case, as ``-``: prune removes
    runs and their results, never test cases (those are deleted with ``DELETE /test-cases/{id}``)."""
    _import(capsys, tmp_path, "day3.xml", _day("2026-12-02T09:10:00", fixed=True, extra=True))
    _import(capsys, tmp_path, "day1.xml", _day("2026-11-30T09:10:00"))
    assert _state(database_url)[CART + "checksOut"][:2] == ("passed", DAY3)
    assert _cli(capsys, "results", "prune", "--keep", "1") == "pruned 1 run of repo; kept the newest 1\n"
    state = _state(database_url)
    assert _fields(state) == {**AFTER_DAY1, CART + "onlyHere": (None, None)}
    assert state[CART + "onlyHere"][2] == 2  # created with day 3's failure, then nothing left
    assert state[CART + "paysLater"][2] == 1, "never executed: never changed"
    unmatched = {row["test"]: row for row in json.loads(_cli(capsys, "results", "unmatched", "--output", "json"))}
    assert (unmatched[CART + "onlyHere"]["last_status"], unmatched[CART + "onlyHere"]["last_executed_at"]) == (
        None, None)
    assert "com.example.CartTest::onlyHere" in _cli(capsys, "results", "unmatched")
    # Pruning the last run: nothing executed is left anywhere.
    _cli(capsys, "results", "prune", "--keep", "0")
    assert set(_fields(_state(database_url)).values()) == {(None, None)}


def test_a_patch_and_later_imports_keep_each_others_revisions(
    repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _import(capsys, tmp_path, "day1.xml", _day("2026-11-30T09:10:00"))
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            ident = session.execute(select(TestCase.id).where(TestCase.test_case_number == CART + "loadsConfig")
                                    ).scalar_one()
        token = make_token(engine, "write", "triage")
        with api_client(engine) as client:
            url = f"/api/v1/test-cases/{ident}"
            assert client.get(url).json()["last_execution_result"] == "error"
            r = client.patch(url, json={"last_execution_result": "passed"},
                             headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'})
            assert r.status_code == 200, r.text
            assert (r.json()["version"], r.json()["last_execution_result"]) == (2, "passed")
            # An older report does not undo the edit; a newer one is a new version after it.
            _import(capsys, tmp_path, "day0.xml", _day("2026-11-29T09:10:00"))
            assert client.get(url).json()["version"] == 2
            _import(capsys, tmp_path, "day2.xml", _day("2026-12-01T09:10:00"))
            body = client.get(url).json()
            assert (body["version"], body["last_execution_result"], body["last_executed_at"]) == (
                3, "error", "2026-12-01T09:10:01.250000Z")
        with db.session(engine) as session:
            history = session.execute(select(SpecRevision.version, SpecRevision.actor, SpecRevision.changed_fields)
                                      .where(SpecRevision.entity_id == ident).order_by(SpecRevision.version)).all()
        assert [tuple(row) for row in history] == [
            (1, "results-import", None),  # created with day 1's error
            (2, "api:triage", ["last_execution_result"]),
            (3, "results-import", ["last_execution_result", "last_executed_at"]),
        ]
    finally:
        engine.dispose()


def test_a_test_case_edited_during_the_import_fails_it_and_keeps_everything(
    repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The UPDATE is guarded by the version read: an edit in between (a PATCH's, forced just before the import's
    write) is a conflict, and the import's transaction stores nothing — the edit's revision is not lost under a
    second version of the same number."""
    _import(capsys, tmp_path, "day1.xml", _day("2026-11-30T09:10:00"))
    before = _state(database_url)
    engine = db.make_engine(database_url)

    def edit_first(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if executemany and statement.lstrip().upper().startswith("UPDATE TEST_CASES"):
            cursor.execute("UPDATE test_cases SET version = version + 1")  # someone else's edit, just before ours

    event.listen(engine, "before_cursor_execute", edit_first)
    try:
        with pytest.raises(ConflictError, match="a test case was edited while its last execution was written; "
                                                "import again"):
            import_results(engine, "repo", [("day2.xml", _day("2026-12-01T09:10:00"))])
    finally:
        event.remove(engine, "before_cursor_execute", edit_first)
    try:
        with db.session(engine) as session:
            assert session.execute(select(func.count()).select_from(TestRun)).scalar_one() == 1
    finally:
        engine.dispose()
    assert _state(database_url) == before


def test_the_writes_do_not_grow_with_the_test_cases(repo: GitRepo, database_url: str) -> None:
    """Set-based: an import of 6 test cases and one of 60 send the same number of statements to test_cases: new
    ones inserted with their last execution (no UPDATE), then known ones (every one's last execution changed) one
    UPDATE among them."""
    def report(count: int, stamp: str) -> bytes:
        cases = "".join(f'<testcase classname="unit.T{count}" name="t{n}" time="0.1">'
                        + ('<failure message="no"/>' if n % 3 == 0 else "") + "</testcase>" for n in range(count))
        return f'<testsuite name="unit" timestamp="{stamp}" time="1">{cases}</testsuite>'.encode()

    engine = db.make_engine(database_url)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "test_cases" in statement:
            statements.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        seen = []
        for size in (6, 60):
            for stamp in ("2026-11-30T09:00:00", "2026-12-01T09:00:00"):  # new test cases, then known ones
                statements.clear()
                import_results(engine, "repo", [(f"u{size}-{stamp}.xml", report(size, stamp))])
                seen.append(sorted(statements))
        assert seen[0] == seen[2] and seen[1] == seen[3], seen
        assert [kinds.count("UPDATE") for kinds in seen] == [0, 1, 0, 1], seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
        engine.dispose()
    for number, values in _state(database_url).items():
        failed = int(number.rsplit("::t", 1)[1]) % 3 == 0
        assert values[:2] == ("failed" if failed else "passed", "2026-12-01T09:00:01+00:00"), number


def test_test_cases_stored_by_an_earlier_release_are_read_from_their_results(
    repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A known test case that stores no last execution (an earlier release never set it) takes the newest of all
    its results, not the run being imported: here an older report imported after day 2 leaves day 2's outcome."""
    _import(capsys, tmp_path, "day2.xml", _day("2026-12-01T09:10:00", fixed=True))
    engine = db.make_engine(database_url)
    try:
        with engine.begin() as conn:  # as an earlier release left them: no last execution
            conn.exec_driver_sql("UPDATE test_cases SET last_execution_result = NULL, last_executed_at = NULL")
    finally:
        engine.dispose()
    _import(capsys, tmp_path, "day1.xml", _day("2026-11-30T09:10:00"))
    assert _fields(_state(database_url)) == {
        **{number: (result, DAY2) for number, (result, _at) in AFTER_DAY1.items() if result},
        CART + "checksOut": ("passed", DAY2), CART + "paysLater": (None, None)}
