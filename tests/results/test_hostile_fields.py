"""Reports with hostile or unusual field values: each is imported, or refused as one error naming the file and line
(or the option) — never an internal error. Results that share a runner's id keep one result each, ``check
--results`` judges what ``results import`` stores, and options the database could not hold are refused up front.
On SQLite and PostgreSQL where storage is involved."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from apikit import api_client, make_token
from conftest import GitRepo, force_streaming, init_repo, isolated, module_database
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError, UsageError
from tracertm.models import Scenario, TestCase, TestResult, TestRun
from tracertm.results import import_results, junit
from tracertm.results.formats import parse_report
from tracertm.results.report import CaseResult, final_cases


def _suite(cases: str, **attributes: str) -> bytes:
    attrs = "".join(f' {k}="{v}"' for k, v in attributes.items())
    return f'<testsuite name="s"{attrs}>{cases}</testsuite>'.encode()


def _streamed(name: str, data: bytes) -> tuple[list[CaseResult], list[Any], list[Any], list[str | None]]:
    starts: list[Any] = []
    ends: list[Any] = []
    names: list[str | None] = []
    return list(junit.stream(name, data, starts, ends, names)), starts, ends, names


# ------------------------------------------------------------------------------------------- JUnit field values


@pytest.mark.parametrize("line", ["²", "٣", "12a", "-1"])
def test_a_junit_line_that_is_no_ascii_number_is_absent(line: str) -> None:
    data = _suite(f'<testcase classname="c" name="n" line="{line}"/><testcase classname="c" name="m" line="7"/>')
    for cases in (parse_report("r.xml", data).cases, _streamed("r.xml", data)[0]):
        assert [c.line for c in cases] == [None, 7]


@pytest.mark.parametrize("time", ["inf", "-inf", "nan", "1e400", "Infinity"])
def test_a_junit_time_that_is_no_finite_number_is_unknown(time: str) -> None:
    data = _suite(f'<testcase classname="c" name="n" time="{time}"/>', timestamp="2026-01-01T10:00:00", time=time)
    report = parse_report("r.xml", data)
    assert report.cases[0].duration is None
    assert report.started_at == report.finished_at, "an unusable suite time: the suite ends when it starts"
    cases, starts, ends, _names = _streamed("r.xml", data)
    assert (cases, starts, ends) == (list(report.cases), [report.started_at], [report.finished_at])


@pytest.mark.parametrize(("stamp", "time", "start"), [
    ("9999-12-31T23:59:59", "100", None),  # after the import's own time (and the end past the calendar): unknown
    ("2026-01-01T00:00:00", "1e300", "2026-01-01T00:00:00+00:00"),  # too long for a timedelta
    ("9999-12-31T23:00:00-05:00", "1", None),  # past the calendar once in UTC: no start either
    ("0001-01-01T00:00:00+14:00", "1", None),
])
def test_a_junit_suite_time_past_the_calendar_is_absent(stamp: str, time: str, start: str | None) -> None:
    data = _suite('<testcase classname="c" name="n"/>', timestamp=stamp, time=time)
    report = parse_report("r.xml", data)
    assert (report.started_at.isoformat() if report.started_at else None) == start
    assert report.finished_at == report.started_at
    expected = ([report.started_at], [report.finished_at]) if start else ([], [])
    assert _streamed("r.xml", data)[1:3] == expected


def test_a_long_suite_name_is_clipped_to_the_column() -> None:
    data = _suite('<testcase classname="c" name="n"/>').replace(b'name="s"', b'name="' + b"x" * 300 + b'"')
    report = parse_report("r.xml", data)
    assert report.name is not None and len(report.name) == 255 and report.name.endswith("…")
    assert _streamed("r.xml", data)[3] == [report.name]


# ----------------------------------------------------------------------------------- Cucumber JSON field values

FIX = "; fix or regenerate the report; nothing was imported from this file"  # what the reader does about it


def _feature(*elements: dict[str, Any], uri: str = "features/twins.feature") -> bytes:
    return json.dumps([{"uri": uri, "name": "Twins", "elements": list(elements)}]).encode()


def _element(ident: str, line: int, status: str = "passed", **extra: Any) -> dict[str, Any]:
    return {"id": ident, "name": "Same name", "line": line, "type": "scenario", "keyword": "Scenario",
            "steps": [{"keyword": "Given ", "name": "a step", "line": line + 1,
                       "result": {"status": status, "duration": 1000}}], **extra}


# The report is one line of JSON: the field is on line 1 (4 is the scenario's line in its feature file).
@pytest.mark.parametrize(("extra", "message"), [
    ({"tags": 5}, "c.json:1:0: element 'Same name': 'tags' must be a list of objects" + FIX),
    ({"tags": "@a"}, "c.json:1:0: element 'Same name': 'tags' must be a list of objects" + FIX),
    ({"steps": {"a": 1}}, "c.json:1:0: element 'Same name': 'steps' must be a list of objects" + FIX),
])
def test_cucumber_json_fields_of_the_wrong_type_name_the_element(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_report("c.json", _feature({**_element("twins;same-name", 4), **extra}))
    assert str(caught.value) == message


@pytest.mark.parametrize("duration", ["1e400", "-1e400", "NaN", "Infinity", "1" + "0" * 400])
def test_a_cucumber_json_duration_that_is_no_finite_number_is_unknown(duration: str) -> None:
    data = _feature(_element("twins;same-name", 4)).replace(b'"duration": 1000', f'"duration": {duration}'.encode())
    assert duration.encode() in data
    assert parse_report("c.json", data).cases[0].duration is None


def test_an_integer_too_long_to_read_is_malformed_json() -> None:
    with pytest.raises(ParseError) as caught:
        parse_report("c.json", _feature(_element("x", 4)).replace(b'"line": 4', b'"line": ' + b"4" * 5000))
    assert str(caught.value).startswith("c.json:1:") and "a number of more than 4,300 digits" in str(caught.value)
    assert caught.value.column > 0 and "sys." not in str(caught.value)  # at the number, no advice for developers


def test_cucumber_json_elements_sharing_an_id_keep_their_own_results() -> None:
    """cucumber-jvm and cucumber-js build ids from names: two scenarios with one name share one."""
    first, second = _element("twins;same-name", 4), _element("twins;same-name", 8, "failed")
    rows = _element("twins;outline;;2", 14), _element("twins;outline;;2", 19, "failed")
    for order in ((first, second, *rows), (second, rows[1], first, rows[0])):
        cases = {c.line: c for c in final_cases([parse_report("c.json", _feature(*order))])}
        assert {line: (c.external_id, c.status) for line, c in cases.items()} == {
            4: ("features/twins.feature::twins;same-name", "passed"),
            8: ("features/twins.feature::twins;same-name::8", "failed"),
            14: ("features/twins.feature::twins;outline;;2", "passed"),
            19: ("features/twins.feature::twins;outline;;2::19", "failed"),
        }, "the first in the file keeps the id, the others add their line, whatever the order"


def test_cucumber_json_the_same_element_reported_again_keeps_its_last_report() -> None:
    again = _feature(_element("twins;same-name", 4, "failed"), _element("twins;same-name", 4))
    report = parse_report("c.json", again)
    assert [(c.external_id, c.status) for c in final_cases([report])] == [
        ("features/twins.feature::twins;same-name", "passed")]


# ------------------------------------------------------------------------------------------- Messages field values


def _ndjson(*envelopes: Any) -> bytes:
    return b"\n".join(e if isinstance(e, bytes) else json.dumps(e).encode() for e in envelopes) + b"\n"


STARTED = {"testCaseStarted": {"id": "a", "testCaseId": "t"}}


@pytest.mark.parametrize(("envelopes", "line", "detail"), [
    ([{"gherkinDocument": 1}], 1, "gherkinDocument must be an object"),
    ([{"gherkinDocument": {"uri": "f", "feature": []}}], 1, "gherkinDocument.feature must be an object"),
    ([STARTED, {"testStepFinished": {"testCaseStartedId": "a", "testStepResult": "x"}}], 2,
     "testStepFinished.testStepResult must be an object"),
    ([STARTED, {"testStepFinished": {"testCaseStartedId": "a", "testStepResult": {"duration": 5}}}], 2,
     "testStepResult.duration must be an object"),
    ([STARTED, {"testStepFinished": {"testCaseStartedId": "a", "testStepResult": {"duration": {"nanos": []}}}}],
     2, "testStepResult.duration must hold numbers"),
    ([STARTED, {"testStepFinished": {"testCaseStartedId": "a",
                                     "testStepResult": {"status": "FAILED", "exception": "boom"}}}],
     2, "testStepResult.exception must be an object"),
    ([{"testRunStarted": {"timestamp": {"seconds": "x"}}}], 1, "timestamp must hold numbers"),
    ([{"testRunFinished": {"timestamp": {"seconds": True}}}], 1, "timestamp must hold numbers"),
    ([{"testRunStarted": {"timestamp": 3}}], 1, "timestamp must be an object"),
    ([{"pickle": "x"}], 1, "pickle must be an object"),
    ([{"meta": {}}, {"pickle": {"id": "p", "tags": ["x"]}}], 2, "pickle.tags must be a list of objects"),
    ([{"pickle": {"id": "p", "astNodeIds": 5}}], 1, "pickle.astNodeIds must be a list"),
    ([{"testRunStarted": 5}], 1, "testRunStarted must be an object"),
    ([{"testRunFinished": []}], 1, "testRunFinished must be an object"),
    ([{"testCase": "x"}], 1, "testCase must be an object"),
    ([{"testCaseStarted": 1}], 1, "testCaseStarted must be an object"),
    ([{"testCaseFinished": "x"}], 1, "testCaseFinished must be an object"),
    ([{"testStepFinished": None}], 1, "testStepFinished names a testCaseStarted that did not come before it"),
    ([{"gherkinDocument": {"feature": {"children": [{"rule": 5}]}}}], 1, "rule must be an object"),
    ([{"gherkinDocument": {"feature": {"children": [{"rule": {"children": {}}}]}}}], 1,
     "rule.children must be a list"),
    ([{"gherkinDocument": {"feature": {"children": [1]}}}], 1, "feature.children must be a list of objects"),
    ([{"gherkinDocument": {"feature": {"children": [{"scenario": "x"}]}}}], 1, "scenario must be an object"),
    ([{"gherkinDocument": {"feature": {"children": [{"scenario": {"id": "s", "examples": [5]}}]}}}], 1,
     "scenario.examples must be a list of objects"),
    ([{"gherkinDocument": {"feature": {"children": [{"scenario": {"id": "s", "examples": [{"tableBody": [1]}]}}]}}}],
     1, "examples.tableBody must be a list of objects"),
    ([{"gherkinDocument": {"feature": {"children": [{"scenario": {"id": "s", "location": 4}}]}}}], 1,
     "location must be an object"),
    ([b'{"testRunStarted": {"timestamp": {"seconds": ' + b"1" * 5000 + b"}}}"], 1, "malformed message: "),
])
def test_messages_of_the_wrong_shape_are_malformed_at_their_line(envelopes: list[Any], line: int,
                                                                 detail: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_report("e.ndjson", _ndjson(*envelopes), "cucumber-messages")
    assert str(caught.value).startswith(f"e.ndjson:{line}:0: ") and detail in str(caught.value)
    assert "\n" not in str(caught.value)


def _run(document: dict[str, Any], pickles: list[tuple[str, list[str]]], durations: dict[str, Any] | None = None,
         run_started: Any = None) -> bytes:
    """A stream of one gherkinDocument, and one passing test case per (pickle name, astNodeIds)."""
    envelopes: list[Any] = [{"gherkinDocument": {"uri": "features/twins.feature", "feature": document}}]
    if run_started is not None:
        envelopes.append({"testRunStarted": {"timestamp": run_started}})
    for n, (name, ast) in enumerate(pickles):
        envelopes += [
            {"pickle": {"id": f"p{n}", "uri": "features/twins.feature", "name": name, "astNodeIds": ast}},
            {"testCase": {"id": f"t{n}", "pickleId": f"p{n}"}},
            {"testCaseStarted": {"id": f"s{n}", "testCaseId": f"t{n}"}},
            {"testStepFinished": {"testCaseStartedId": f"s{n}", "testStepResult": {
                "status": "PASSED", "duration": (durations or {}).get(name, {"seconds": 0, "nanos": 5})}}},
            {"testCaseFinished": {"testCaseStartedId": f"s{n}"}},
        ]
    return _ndjson(*envelopes)


TWINS = {"name": "Twins", "children": [
    {"scenario": {"id": "a", "name": "Same name", "location": {"line": 3}}},
    {"rule": {"name": "R", "children": [
        {"scenario": {"id": "b", "name": "Same name", "location": {"line": 7}}},
        {"scenario": {"id": "o", "name": "Rows", "location": {"line": 10}, "examples": [
            {"tableBody": [{"id": "r1", "location": {"line": 14}}]}]}},
    ]}},
    {"scenario": {"id": "q", "name": "Rows", "location": {"line": 17}, "examples": [
        {"tableBody": [{"id": "r2", "location": {"line": 21}}]}]}},
]}


def test_messages_same_named_scenarios_get_ids_that_do_not_depend_on_which_ran() -> None:
    everything = [("Same name", ["b"]), ("Same name", ["a"]), ("Rows", ["q", "r2"]), ("Rows", ["o", "r1"])]
    ids = {c.line: c.external_id for c in parse_report("e.ndjson", _run(TWINS, everything)).cases}
    assert ids == {
        3: "features/twins.feature::Same name",
        7: "features/twins.feature::Same name::7",
        14: "features/twins.feature::Rows #1.1",
        21: "features/twins.feature::Rows #1.1::21",
    }
    for alone in everything:  # a run of one of them (a tag filter): the same id as in the full run
        (case,) = parse_report("e.ndjson", _run(TWINS, [alone])).cases
        assert case.external_id == ids[case.line or 0]


def test_messages_durations_and_times_that_are_no_finite_numbers_are_unknown() -> None:
    document = {"name": "Twins", "children": [{"scenario": {"id": "a", "name": "A", "location": {"line": 3}}}]}
    for seconds in (1e400, -1e400, float("nan"), 10**400):
        report = parse_report("e.ndjson", _run(document, [("A", ["a"])], {"A": {"seconds": seconds}},
                                               {"seconds": seconds}))
        assert report.cases[0].duration is None and report.started_at is None
    report = parse_report("e.ndjson", _run(document, [("A", ["a"])], {"A": {"seconds": "2", "nanos": 5e8}},
                                           {"seconds": 1e20}))
    assert report.cases[0].duration == 2.5 and report.started_at is None, "a time past the calendar is unknown"


# ------------------------------------------------------------------------------------------- random shapes

_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
            | st.sampled_from(["\x00", "a\ud800", "Infinity", "²", "1e400"]))
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=12)
# The keys the parsers read, so that random values land where they look.
_KEYS = st.sampled_from([
    "uri", "name", "id", "line", "type", "tags", "steps", "before", "after", "result", "status", "duration",
    "error_message", "elements", "feature", "children", "rule", "scenario", "examples", "tableBody", "location",
    "astNodeIds", "pickleId", "testCaseId", "testCaseStartedId", "testStepResult", "timestamp", "seconds", "nanos",
    "message", "exception", "willBeRetried",
])
_SHAPED = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(_KEYS, inner, max_size=4), max_leaves=16)
_ENVELOPE = st.sampled_from([
    "gherkinDocument", "pickle", "testCase", "testCaseStarted", "testStepFinished", "testCaseFinished",
    "testRunStarted", "testRunFinished",
])


def _sound(data: bytes, fmt: str) -> None:
    """Parsing ``data`` either works, giving well-typed results, or raises one ParseError: nothing else."""
    try:
        report = parse_report("r", data, fmt)
    except ParseError as exc:
        assert str(exc).startswith("r:") and "\n" not in str(exc)
        return
    for case in report.cases:
        assert isinstance(case.external_id, str) and len(case.external_id) <= 255
        assert isinstance(case.name, str) and all(isinstance(t, str) for t in case.tags)
        texts = [case.external_id, case.name, case.message or "", case.feature_uri or "", case.feature_name or "",
                 *case.tags]
        assert all("\x00" not in t and isinstance(t.encode("utf-8"), bytes) for t in texts), "databases store them"
        assert case.duration is None or math.isfinite(case.duration)
        assert case.message is None or isinstance(case.message, str)
        assert case.line is None or isinstance(case.line, int)
    assert len({c.external_id for c in report.cases}) == len(report.cases) or fmt == "cucumber-json"


_STEP = st.fixed_dictionaries({}, optional={"result": st.dictionaries(_KEYS, _SHAPED, max_size=4) | _SCALARS,
                                            "name": _SCALARS})
_ELEMENT = st.dictionaries(_KEYS, _SHAPED, max_size=5).flatmap(
    lambda element: st.fixed_dictionaries({}, optional={"steps": st.lists(_STEP, max_size=3) | _SHAPED,
                                                        "tags": _SCALARS | st.lists(_SHAPED, max_size=2),
                                                        "line": _SCALARS, "id": _SCALARS})
    .map(lambda more: {**element, **more}))
_FEATURE = st.fixed_dictionaries({}, optional={"uri": _SCALARS, "name": _SCALARS,
                                               "elements": st.lists(_ELEMENT, max_size=4) | _SHAPED})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_FEATURE | _JSON, max_size=3))
def test_random_cucumber_json_is_parsed_or_refused(features: list[Any]) -> None:
    _sound(json.dumps(features).encode(), "cucumber-json")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_ENVELOPE, _SHAPED) | _JSON.map(lambda v: (None, v)), max_size=8))
def test_random_messages_are_parsed_or_refused(envelopes: list[tuple[str | None, Any]]) -> None:
    lines = [json.dumps({kind: value} if kind else value) for kind, value in envelopes]
    _sound("\n".join(lines).encode(), "cucumber-messages")


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["line", "time", "timestamp", "name", "classname", "status", "file"]),
                       st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12), max_size=5))
def test_random_junit_attributes_are_parsed_or_refused(attributes: dict[str, str]) -> None:
    from xml.sax.saxutils import quoteattr

    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in attributes.items())
    data = f"<testsuites><testsuite{attrs}><testcase{attrs}/></testsuite></testsuites>".encode()
    _sound(data, "junit")
    try:
        _streamed("r", data)
    except ParseError:
        pass


# ------------------------------------------------------------------------------------------- storage


TWINS_FEATURE = """Feature: Twins

  @approved
  Scenario: Same name
    Given a step

  @approved
  Scenario: Same name
    Given a step
"""


def _synced_twins(git_repo: GitRepo, database_url: str) -> GitRepo:
    git_repo.write("features/twins.feature", TWINS_FEATURE)
    git_repo.commit("twins")
    result = sync(git_repo.path, ref="HEAD", database_url=database_url, project="twins")
    assert not result.errors
    return git_repo


@pytest.fixture
def twins(git_repo: GitRepo, database_url: str) -> GitRepo:
    return _synced_twins(git_repo, database_url)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def refusing_twins(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GitRepo, str]]:
    """(repository, database URL): the twins synced once per database for the tests of options refused before
    anything is stored, which therefore all see it as synced, with no run (each checks, or ends in argparse)."""
    folder = tmp_path_factory.mktemp("twins")
    urls = module_database(request, folder)
    try:
        url = next(urls)
        with isolated(tmp_path_factory):
            repo = _synced_twins(init_repo(folder / "repo"), url)
        yield repo, url
    finally:
        urls.close()  # _fresh_pg's finally: the database emptied for reuse, or dropped


def _session(database_url: str):  # type: ignore[no-untyped-def]
    return db.session(db.make_engine(database_url))


def test_same_named_scenarios_keep_their_own_results_in_import_and_check(
    twins: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    data = _feature(_element("twins;same-name", 4), _element("twins;same-name", 8, "failed"))
    summary = import_results(database_url, "twins", [("c.json", data)], commit=twins.head(), repo=twins.path)
    assert (summary.total, summary.statuses, summary.matched["line"]) == (2, {"passed": 1, "failed": 1}, 2)
    with _session(database_url) as session:
        rows = session.execute(select(Scenario.gherkin_text, TestResult.status, TestCase.test_case_number)
                               .join(TestResult, TestResult.scenario_id == Scenario.id)
                               .join(TestCase, TestCase.id == TestResult.test_case_id)).all()
        assert sorted((status, number) for _text, status, number in rows) == [
            ("failed", "features/twins.feature::twins;same-name::8"),
            ("passed", "features/twins.feature::twins;same-name"),
        ]
        failing = session.execute(select(Scenario).where(Scenario.last_status == "failed")).scalars().all()
        assert len(failing) == 1
    report = tmp_path / "c.json"
    report.write_bytes(data)
    code = main(["check", str(twins.path), "--results", str(report)])
    out, _err = capsys.readouterr()
    assert code == 1 and out.splitlines()[0].startswith("features/twins.feature:8:0: approved scenario ")
    assert "failed (failed)" in out and ":4:0:" not in out, "check judges what import stores: the one that failed"


ONCE = """Feature: Payments

  @approved
  Scenario: Pay by card
    Given a card
"""


def test_check_results_counts_the_last_report_of_a_rerun_as_import_does(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    git_repo.write("features/pay.feature", ONCE)
    git_repo.commit("payments")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="pay").errors
    failed = '<testcase classname="Payments" name="Pay by card"><failure message="no"/></testcase>'
    passed = '<testcase classname="Payments" name="Pay by card"/>'
    report = tmp_path / "junit.xml"
    for first, last, status, code in ((failed, passed, "passed", 0), (passed, failed, "failed", 1)):
        report.write_text(f'<testsuite name="Cucumber">{first}{last}</testsuite>')
        summary = import_results(database_url, "pay", [str(report)], commit=git_repo.head())
        assert summary.statuses == {status: 1}, "import keeps the rerun's last report"
        assert main(["check", str(git_repo.path), "--results", str(report)]) == code, capsys.readouterr()
        capsys.readouterr()


def test_a_long_suite_name_is_stored_clipped_on_both_paths(
    twins: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = "s" * 300
    data = _suite('<testcase classname="c" name="n" time="inf"/>').replace(b'name="s"', f'name="{name}"'.encode())
    import_results(database_url, "twins", [("a.xml", data)])
    forced = force_streaming(monkeypatch, 1, 1)
    import_results(database_url, "twins", [("b.xml", data + b" ")])
    assert forced == ["streamed"]
    with _session(database_url) as session:
        names = session.execute(select(TestRun.name)).scalars().all()
        durations = session.execute(select(TestResult.duration)).scalars().all()
    assert names == [name[:254] + "…"] * 2 and durations == [None, None]


def test_hostile_junit_fields_import_on_the_streamed_path(
    twins: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    forced = force_streaming(monkeypatch, 1, 1)
    data = _suite('<testcase classname="c" name="a" line="²" time="nan"/><testcase classname="c" name="b"/>',
                  timestamp="2026-01-01T00:00:00", time="1e300")  # a start in 9999: test_run_times.py
    summary = import_results(database_url, "twins", [("r.xml", data)])
    assert forced == ["streamed"] and summary.total == 2
    with _session(database_url) as session:
        run = session.execute(select(TestRun)).scalar_one()
        assert run.started_at == run.finished_at and run.started_at is not None
        assert run.started_at.year == 2026


@pytest.mark.parametrize(("options", "message"), [
    ({"commit": "a" * 41}, "--commit 'aaaa"),
    ({"commit": "abc"}, "--commit 'abc': not a commit id"),
    ({"commit": "not-a-sha"}, "--commit 'not-a-sha': not a commit id"),
    ({"run_name": "r" * 256}, "--run-name: at most 255 characters"),
    ({"run_name": "a\x00b"}, "--run-name: at most 255 characters, without NUL"),
    ({"max_size": 0}, "--max-size 0: must be at least 1"),
    ({"window": 0}, "--window 0: must be 1 to 1000000"),
    # (past 2**63 - 1: an internal OverflowError on SQLite, "bigint out of range" on PostgreSQL)
    ({"window": 5 * 10**18}, "--window 5000000000000000000: must be 1 to 1000000"),
    ({"window": 1_000_001}, "--window 1000001: must be 1 to 1000000"),
])
def test_options_the_database_cannot_hold_are_refused_before_anything_is_stored(
    refusing_twins: tuple[GitRepo, str], options: dict[str, Any], message: str,
) -> None:
    _, database_url = refusing_twins
    data = _suite('<testcase classname="c" name="n"/>')
    with pytest.raises(UsageError) as caught:
        import_results(database_url, "twins", [("r.xml", data)], **options)
    assert str(caught.value).startswith(message)
    with _session(database_url) as session:
        assert session.execute(select(TestRun)).first() is None


def test_options_at_the_edge_of_what_the_database_holds_are_stored(twins: GitRepo, database_url: str) -> None:
    """The values just inside the refused ones: a 40-digit commit of mixed case, a run name of 255 characters."""
    data = _suite('<testcase classname="c" name="n"/>')
    summary = import_results(database_url, "twins", [("r.xml", data)], commit="AbC0" + "1" * 36, run_name="r" * 255)
    assert summary.total == 1


def _cli(twins: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.chdir(twins.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    (twins.path / ".tracertm.toml").write_text('project = "twins"\n')
    return twins


@pytest.fixture
def cli_twins(twins: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    return _cli(twins, database_url, monkeypatch)


@pytest.mark.parametrize(("argv", "option"), [
    (["--commit", "zz"], "--commit 'zz'"),
    (["--commit", "f" * 41], "--commit 'fff"),
    (["--run-name", "n" * 256], "--run-name"),
    (["--window", "0"], "argument --window: 0"),  # argparse's form: the option's range is part of its type
    (["--window", "-3"], "argument --window: -3"),
    (["--max-size", "0"], "argument --max-size: 0"),
    (["--max-size", "-3"], "argument --max-size: -3"),
])
def test_cli_options_out_of_range_are_one_line_naming_the_option(
    refusing_twins: tuple[GitRepo, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    argv: list[str], option: str,
) -> None:
    cli_twins = _cli(*refusing_twins, monkeypatch)
    (cli_twins.path / "r.xml").write_bytes(_suite('<testcase classname="c" name="n"/>'))
    capsys.readouterr()
    code = main(["results", "import", "r.xml", *argv])
    _out, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"tracertm: error: {option}"), err
    with _session(refusing_twins[1]) as session:
        assert session.execute(select(TestRun)).first() is None


@pytest.mark.parametrize(("name", "data", "where"), [
    ("a.xml", _suite('<testcase classname="c" name="n"/>', timestamp="2026-01-01T00:00:00", time="inf"), None),
    ("b.json", _feature(_element("twins;same-name", 4, tags=5)), "b.json:1:0: "),
    ("c.ndjson", _ndjson({"meta": {}}, {"gherkinDocument": 1}), "c.ndjson:2:0: "),
    ("d.ndjson", _ndjson({"testRunStarted": {"timestamp": {"seconds": 1e20}}}), None),
])
def test_cli_import_and_check_of_hostile_reports_never_fail_internally(
    cli_twins: GitRepo, capsys: pytest.CaptureFixture[str], name: str, data: bytes, where: str | None,
) -> None:
    (cli_twins.path / name).write_bytes(data)
    capsys.readouterr()
    code = main(["results", "import", name])
    _out, err = capsys.readouterr()
    assert "internal error" not in err
    if where is None:
        assert code == 0, err
    else:
        assert code == 1 and err.startswith(f"tracertm: error: {where}") and len(err.strip().splitlines()) == 1
    code = main(["check", str(cli_twins.path), "--results", name])
    out, err = capsys.readouterr()
    assert "internal error" not in err and code == 1
    assert (where or "approved scenario") in out + err


def test_results_list_json_stays_json_with_infinite_durations(
    cli_twins: GitRepo, capsys: pytest.CaptureFixture[str],
) -> None:
    (cli_twins.path / "r.json").write_bytes(_feature(_element("twins;same-name", 4)).replace(
        b'"duration": 1000', b'"duration": 1e400'))
    (cli_twins.path / "r.xml").write_bytes(_suite('<testcase classname="c" name="n" time="nan"/>'))
    for name in ("r.json", "r.xml"):
        assert main(["results", "import", name]) == 0
    capsys.readouterr()
    assert main(["results", "list", "--since", "2000-01-01", "--output", "json"]) == 0
    out, _err = capsys.readouterr()

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    items = json.loads(out, parse_constant=refuse)
    assert len(items) == 2 and all(i.get("duration") is None for i in items)


def test_the_api_turns_a_commit_the_shared_check_refuses_into_a_problem(
    twins: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The API checks its parameters itself; what gets past it meets ``import_results``' check: a 400, not a 500."""
    from tracertm.api import results_routes

    monkeypatch.setattr(results_routes, "_check_params", lambda params: None)
    token = make_token(database_url)
    with api_client(database_url) as client:
        answer = client.post("/api/v1/projects/twins/test-runs", headers={"Authorization": f"Bearer {token}"},
                             files=[("file", ("r.xml", _suite('<testcase classname="c" name="n"/>'))),
                                    ("commit", (None, "not-a-sha"))])
    # Named as the API takes it (results.options), not as the CLI's option --commit.
    assert answer.status_code == 400 and "?commit= 'not-a-sha': not a commit id" in answer.json()["detail"]


def test_nul_characters_in_json_reports_are_stored_alike(twins: GitRepo, database_url: str) -> None:
    """JSON may carry ``\\u0000``, which PostgreSQL text refuses and SQLite keeps."""
    element = _element("twins;a\x00b", 4, "failed", name="a\x00b", tags=[{"name": "@x\x00"}])
    element["steps"][0]["result"]["error_message"] = "bo\x00om"
    summary = import_results(database_url, "twins", [("c.json", _feature(element, uri="features/t\x00.feature"))])
    assert summary.total == 1
    with _session(database_url) as session:
        case = session.execute(select(TestCase)).scalar_one()
        result = session.execute(select(TestResult)).scalar_one()
        assert "\x00" not in case.test_case_number + case.title and "\x00" not in (result.message or "")


def test_lone_surrogates_in_json_reports_are_stored_alike(twins: GitRepo, database_url: str) -> None:
    data = _feature(_element("twins;a", 4, name="a")).replace(b'"name": "a"', b'"name": "a\\ud800"')
    assert b"\\ud800" in data
    summary = import_results(database_url, "twins", [("c.json", data)])
    assert summary.total == 1
    with _session(database_url) as session:
        assert session.execute(select(TestCase.title)).scalar_one() == "a\ufffd"


def test_a_cucumber_json_field_of_the_wrong_type_is_named_at_its_line_in_the_report() -> None:
    """The error's line is the report's own (an element's ``line`` is its feature file's), also for an element
    that has no line."""
    document = [{"uri": "features/a.feature", "name": "A", "elements": [
        {"name": "One", "line": 3, "type": "scenario", "steps": []},
        {"name": "Other", "line": 4, "type": "scenario", "tags": "@x", "steps": []},
    ]}, {"uri": "features/b.feature", "elements": [{"name": "Lineless", "steps": {"not": "a list"}}]}]
    text = json.dumps(document, indent=2)
    with pytest.raises(ParseError) as caught:
        parse_report("report.json", text.encode())
    tags_line = next(n for n, line in enumerate(text.splitlines(), 1) if '"tags": "@x"' in line)
    expected = "element 'Other': 'tags' must be a list of objects" + FIX
    assert (caught.value.line, caught.value.message) == (tags_line, expected)

    document[0]["elements"][1]["tags"] = []  # type: ignore[index]
    text = json.dumps(document, indent=2)
    with pytest.raises(ParseError) as caught:
        parse_report("report.json", text.encode())
    steps_line = next(n for n, line in enumerate(text.splitlines(), 1) if '"steps": {' in line)
    assert caught.value.line == steps_line and "'steps' must be a list of objects" in caught.value.message
