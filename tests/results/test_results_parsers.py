"""Report parsers: JUnit XML (Surefire, Cucumber's junit-xml-formatter), Cucumber JSON, Cucumber Messages; malformed
and hostile files are one error naming the file and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tracertm.errors import ParseError
from tracertm.results import junit
from tracertm.results.formats import detect, parse_report, read_report
from tracertm.results.report import final_cases

FIXTURES = Path(__file__).parent / "fixtures"


def _read(name: str, fmt: str = "auto"):  # type: ignore[no-untyped-def]
    return read_report(FIXTURES / name, fmt)


def _by_name(report):  # type: ignore[no-untyped-def]
    return {case.name: case for case in report.cases}


def test_surefire_nested_suites_properties_and_reruns() -> None:
    report = _read("surefire.xml")
    assert report.format == "junit"
    cases = _by_name(report)
    assert sorted(cases) == ["addsItem", "checksOut", "loadsConfig", "nestedPasses", "paysLater", "removesItem"]
    assert cases["nestedPasses"].classname == "com.example.CartTest$Nested"
    assert cases["addsItem"].status == "passed" and cases["addsItem"].properties == (("requirement", "REQ-7"),)
    flaky = cases["removesItem"]
    assert (flaky.status, flaky.failed_attempts, flaky.message) == ("passed", 1, "expected 1 but was 2")
    assert (cases["checksOut"].status, cases["checksOut"].failed_attempts) == ("failed", 2)
    assert (cases["loadsConfig"].status, cases["loadsConfig"].message) == (
        "error", "java.io.FileNotFoundException: cart.properties")
    assert (cases["paysLater"].status, cases["paysLater"].message) == ("skipped", "not yet")
    assert cases["addsItem"].duration == pytest.approx(0.2)
    assert cases["addsItem"].external_id == "com.example.CartTest::addsItem"
    assert report.started_at == dt.datetime(2026, 11, 30, 9, 10, tzinfo=dt.timezone.utc)
    assert report.finished_at == report.started_at + dt.timedelta(seconds=1.25)


def test_cucumber_junit_formatter() -> None:
    cases = _by_name(_read("cucumber-junit.xml"))
    assert {n: c.status for n, c in cases.items()} == {
        "Add an item": "passed", "Remove an item": "passed", "Add several - small - #1.1": "passed",
        "Add several - small - #1.2": "failed", "Check out": "pending",  # (its failure: a PendingException)
    }
    assert cases["Add several - small - #1.2"].message == "cart holds 2, expected 3"
    assert all(c.classname == "Shopping cart" for c in cases.values())


def test_cucumber_json_go_formatter_backgrounds_rows_hooks() -> None:
    report = _read("cucumber-go.json")
    assert report.format == "cucumber-json"
    cases = {(c.scenario_name, c.line): c for c in report.cases}
    assert len(report.cases) == 5
    first = cases[("Add an item", 6)]
    assert (first.status, first.tags, first.feature_uri) == ("passed", ("FEAT-1", "SC-1"), "features/cart.feature")
    assert first.duration == pytest.approx(0.006)  # nanoseconds → seconds
    # The Go formatter's background element belongs to the scenario after it: its failure is that scenario's.
    assert (cases[("Remove an item", 11)].status, cases[("Remove an item", 11)].message) == ("failed", "no shop")
    assert cases[("Add several", 23)].status == "passed"  # outline rows carry their example row's line
    assert cases[("Add several", 24)].status == "failed"
    assert cases[("Check out", 26)].status == "undefined"
    assert cases[("Add several", 24)].external_id == "features/cart.feature::shopping-cart;add-several;small;3"


def test_cucumber_messages_retries_rows_and_tags() -> None:
    report = _read("cart.ndjson")
    assert report.format == "cucumber-messages"
    cases = {c.name: c for c in report.cases}
    assert set(cases) == {"Add an item", "Remove an item", "Add several #1.1", "Add several #1.2", "Check out"}
    assert cases["Add an item"].tags == ("FEAT-1", "SC-1") and cases["Add an item"].line == 6
    retried = cases["Remove an item"]
    assert (retried.status, retried.failed_attempts) == ("passed", 1), "the last attempt decides; the failure counts"
    assert (cases["Add several #1.2"].status, cases["Add several #1.2"].line) == ("failed", 24)
    assert cases["Add several #1.2"].message == "cart holds 2, expected 3"
    assert cases["Check out"].status == "undefined"
    assert report.started_at == dt.datetime.fromtimestamp(1796029200, dt.timezone.utc)
    assert report.finished_at is not None and report.finished_at > report.started_at


@pytest.mark.parametrize(
    ("data", "fmt"),
    [(b"  <?xml version='1.0'?><testsuites/>", "junit"), (b"\xef\xbb\xbf[]", "cucumber-json"),
     (b'{"meta": {}}\n', "cucumber-messages")],
)
def test_format_detection(data: bytes, fmt: str) -> None:
    assert detect("r", data) == fmt


def test_unknown_format_names_the_file() -> None:
    with pytest.raises(ParseError, match=r"^results.txt:1:0: unknown report format.*--format"):
        parse_report("results.txt", b"PASS test_a\n")


def test_malformed_xml_names_file_and_line() -> None:
    data = b'<?xml version="1.0"?>\n<testsuite name="x">\n  <testcase name="a">\n</testsuite>\n'
    with pytest.raises(ParseError) as info:
        parse_report("report.xml", data)
    assert (info.value.path, info.value.line) == ("report.xml", 4)
    assert "malformed XML: mismatched tag" in str(info.value) and "\n" not in str(info.value)


def test_xml_that_is_not_junit() -> None:
    with pytest.raises(ParseError, match=r"report.xml:1:1: not a JUnit report: the root element is <html>"):
        parse_report("report.xml", b"<html><body/></html>")


@pytest.mark.parametrize("root", ["TestRun", "assemblies", "results"])
def test_xml_that_is_not_junit_is_named_at_its_root_elements_line(root: str) -> None:
    """After the XML declaration and a comment, the root on line 3: the error said line 1 (``:1:0``), where the
    other XML errors name the line and column an editor shows. A BOM is no column, a character one (UTF-16 too)."""
    head = '<?xml version="1.0"?>\n<!-- written by a runner -->\n'
    data = f'{head}  <{root} id="1">\n</{root}>\n'.encode()
    for parsed in (lambda d: parse_report("r3.trx", d), lambda d: list(junit.stream("r3.trx", d, [], [], []))):
        with pytest.raises(ParseError, match=rf"^r3.trx:3:3: not a JUnit report: the root element is <{root}>"):
            parsed(data)
    with pytest.raises(ParseError, match=r"^r.xml:1:9: not a JUnit report"):
        parse_report("r.xml", "\ufeff<!--é--><x/>".encode())
    utf16 = '<?xml version="1.0" encoding="UTF-16"?>\n\n <é/>'.encode("utf-16")
    with pytest.raises(ParseError, match=r"^r.xml:3:2: not a JUnit report: the root element is <é>"):
        parse_report("r.xml", utf16)


def test_malformed_json_and_messages_name_the_line() -> None:
    with pytest.raises(ParseError) as info:
        parse_report("cucumber.json", b'[\n  {"uri": "a.feature",\n   "elements": [}\n]')
    assert (info.value.path, info.value.line) == ("cucumber.json", 3)
    stream = (FIXTURES / "cart.ndjson").read_bytes().splitlines()
    stream[9] = stream[9][:-5]
    with pytest.raises(ParseError) as info:
        parse_report("messages.ndjson", b"\n".join(stream))
    assert (info.value.path, info.value.line) == ("messages.ndjson", 10)
    with pytest.raises(ParseError, match=r"cucumber.json:1:0: not a Cucumber JSON report"):
        parse_report("cucumber.json", b'{"uri": "x"}', "cucumber-json")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<testsuite name="&lol9;"><testcase name="a"/></testsuite>
"""


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(ParseError) as info:
        parse_report("bomb.xml", BILLION_LAUGHS)
    assert info.value.line == 2 and "refused unsafe XML" in str(info.value)  # its DOCTYPE


def test_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    data = (f'<?xml version="1.0"?>\n<!DOCTYPE t [\n<!ENTITY xxe SYSTEM "file://{secret}">\n]>\n'
            '<testsuite><testcase name="&xxe;"/></testsuite>').encode()
    with pytest.raises(ParseError) as info:
        parse_report("xxe.xml", data)
    assert "refused unsafe XML" in str(info.value) and "TOP SECRET" not in str(info.value)


def test_a_200_mb_report_is_rejected_from_its_size(tmp_path: Path) -> None:
    big = tmp_path / "huge.xml"
    case = b'<testcase classname="c" name="t" time="0.001"/>\n' * 20_000  # ~1 MB
    with big.open("wb") as fh:  # streamed: the test never holds the file in memory
        fh.write(b'<?xml version="1.0"?>\n<testsuite name="huge">\n')
        while fh.tell() < 200 * 1024 * 1024:
            fh.write(case)
        fh.write(b"</testsuite>\n")
    with pytest.raises(ParseError) as info:
        read_report(big)
    assert info.value.path == str(big)
    assert "over the 67,108,864-byte limit" in str(info.value)
    with pytest.raises(ParseError, match="over the 10-byte limit"):
        read_report(("upload.xml", b"<testsuite/>"), max_size=10)


def test_binary_and_invalid_utf8_are_one_error_each() -> None:
    with pytest.raises(ParseError, match=r"^cucumber.json:2:0: not valid UTF-8"):
        parse_report("cucumber.json", b'[\n{"name": "\xff\xfe"}]')
    with pytest.raises(ParseError, match=r"^blob.bin:1:0: unknown report format"):
        parse_report("blob.bin", bytes(range(256)))
    with pytest.raises(ParseError) as info:
        parse_report("bad.xml", b'<testsuite>\n<testcase name="\xff"/></testsuite>')
    assert info.value.line == 2 and "malformed XML" in str(info.value)
    with pytest.raises(ParseError, match=r"^deep.json:1:0: JSON nested too deeply"):
        parse_report("deep.json", b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize("codec, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_a_utf16_junit_report_is_detected_and_imported(codec: str, bom: bytes) -> None:
    # (detection looked for "<" in the raw bytes: "unknown report format", though XML's parser reads UTF-16)
    xml = '<?xml version="1.0" encoding="UTF-16"?>\n<testsuite name="s"><testcase classname="c" name="é"/></testsuite>'
    data = bom + xml.encode(codec)
    assert detect("r.xml", data) == "junit"
    assert [c.name for c in parse_report("r.xml", data).cases] == ["é"]


def test_a_number_too_long_for_python_is_one_line_at_its_place() -> None:
    # (the error ended with Python's advice to call sys.set_int_max_str_digits(), at line 1)
    data = b'[\n  {"id": "f", "line": ' + b"1" * 5000 + b"}\n]"
    with pytest.raises(ParseError) as info:
        parse_report("cucumber.json", data)
    assert (info.value.line, info.value.column) == (2, 23)
    assert "more than 4,300 digits" in str(info.value) and "sys." not in str(info.value)
    assert len(str(info.value)) < 200


def test_googletest_disabled_tests_are_skipped_and_its_assertions_one_attempt() -> None:
    data = (FIXTURES / "googletest-disabled-and-assertions.xml").read_bytes()
    report = junit.parse("gtest.xml", data)
    assert list(junit.stream("gtest.xml", data, [], [], [])) == list(report.cases)  # the streamed import alike
    final = {c.external_id: (c.status, c.failed_attempts) for c in final_cases([report])}
    assert final == {
        "MixedResultTest::Succeeds": ("passed", 0),
        "MixedResultTest::Fails": ("failed", 0),  # two failed assertions, one run (was 1 failed attempt)
        "MixedResultTest::DISABLED_test": ("skipped", 0),  # status="notrun" (was passed: a test that never ran)
        "DisabledTest::DISABLED_test_not_run": ("skipped", 0),
        "SkippedTest::SkippedWithMessage": ("skipped", 0),
        "SkippedTest::SkippedAfterFailure": ("failed", 0),
    }
