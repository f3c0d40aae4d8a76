"""A report holding one huge name (or other attribute) is refused before it costs memory many times its size.

A JUnit report with one 50 MB test name peaked at 770 MB RSS while imported (about 1 GB at the 64 MiB report
limit): expat buffers a start tag whole and copies it as it grows. A start tag over ``junit.MAX_TAG_BYTES`` is now
refused from the bytes, before the XML parser reads them; a Cucumber JSON (670 MB for a 50 MB scenario name) or
Messages name, uri, id or tag over ``report.MAX_NAME_CHARS`` once the JSON is read. Names are identities: they are
refused, never cut. Long text that is no attribute (a log in ``<system-out>``, a comment, a failure message in
Messages) is read as before."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tracertm.errors import ParseError
from tracertm.results import junit
from tracertm.results.formats import parse_report
from tracertm.results.report import MAX_NAME_CHARS

LIMIT = junit.MAX_TAG_BYTES
FIXTURES = Path(__file__).parent / "fixtures"


def _junit(name: bytes, before: bytes = b"") -> bytes:
    return b'<testsuite name="s">\n' + before + b'  <testcase classname="c" name="' + name + b'"/>\n</testsuite>\n'


def _both(data: bytes) -> list[str]:
    """The test names ``junit.parse`` and ``junit.stream`` read (they must agree), or the error they both raise."""
    try:
        whole = [case.name for case in junit.parse("r.xml", data).cases]
    except ParseError as exc:
        with pytest.raises(ParseError) as streamed:
            list(junit.stream("r.xml", data, [], [], []))
        assert str(streamed.value) == str(exc)
        raise
    assert [case.name for case in junit.stream("r.xml", data, [], [], [])] == whole
    return whole


def test_a_junit_start_tag_over_the_limit_is_refused_at_its_line() -> None:
    with pytest.raises(ParseError) as caught:
        _both(_junit(b"a" * (LIMIT + 1), before=b"  <!-- two -->\n"))
    error = caught.value
    assert (error.path, error.line, error.column) == ("r.xml", 3, 3)
    assert error.message == (
        f"<testcase> start tag is over {LIMIT} bytes long (its attributes: a test name, classname or message), a "
        "fixed limit; shorten the test's name or message where the report is written"
    )


def test_a_gt_inside_a_quoted_value_does_not_end_the_tag() -> None:
    name = b"a>" * (LIMIT // 2 + 1)
    with pytest.raises(ParseError, match="start tag is over"):
        _both(_junit(name))


@pytest.mark.parametrize("tag", [
    b'<testcase classname="c" name="' + b"a" * (LIMIT + 1),  # never closed: expat would hold it to the end
    b'<testcase classname="c" ' + b"a" * (LIMIT + 1) + b'="x"/>',  # a long attribute name
    b'<testcase classname="c" name="n"' + b" " * (LIMIT + 1) + b"/>",
], ids=["unclosed-value", "attribute-name", "spaces"])
def test_a_tag_still_well_formed_past_the_limit_is_refused(tag: bytes) -> None:
    with pytest.raises(ParseError, match="<testcase> start tag is over"):
        _both(b'<testsuite name="s">\n' + tag + b"\n</testsuite>\n")


def test_a_failure_message_attribute_counts_too() -> None:
    data = (b'<testsuite name="s"><testcase classname="c" name="n"><failure message="'
            + b"x" * (LIMIT + 1) + b'"/></testcase></testsuite>\n')
    with pytest.raises(ParseError, match="<failure> start tag is over"):
        _both(data)


def test_tags_up_to_the_limit_and_long_text_read_as_before() -> None:
    name = b"a" * (LIMIT - len(b'<testcase classname="c" name=""/>'))
    assert _both(_junit(name)) == [name.decode()]
    log = b"a log line with > and a \"quote\" = 'x\n" * (2 * LIMIT // 38)
    for text in (b"<system-out>" + log + b"</system-out>\n", b"<!-- " + log + b" -->\n",
                 b"<system-out><![CDATA[" + log + b"]]></system-out>\n"):
        assert _both(_junit(b"n", before=text)) == ["n"]


def test_a_malformed_short_tag_before_long_text_is_the_xml_error() -> None:
    data = _junit(b"n", before=b"<system-out a=x>" + b"log\n" * LIMIT + b"</system-out>\n")
    with pytest.raises(ParseError, match="malformed XML"):
        _both(data)


def test_real_reports_read_as_before() -> None:
    for path in sorted(FIXTURES.glob("*.xml")):
        data = path.read_bytes()
        junit._check_tags(path.name, data)  # no error
        assert _both(data)


def _cucumber_json(name: str) -> bytes:
    report = json.loads((FIXTURES / "cucumber-go.json").read_bytes())
    report[0]["elements"][0]["name"] = name
    return json.dumps(report).encode()


def test_a_cucumber_json_name_over_the_limit_is_refused() -> None:
    with pytest.raises(ParseError) as caught:
        parse_report("r.json", _cucumber_json("a" * (MAX_NAME_CHARS + 1)), "cucumber-json")
    message = caught.value.message
    assert message.startswith(f"element '{'a' * 79}…': 'name' is {MAX_NAME_CHARS + 1} characters long, over the "
                              f"limit of {MAX_NAME_CHARS} (a fixed limit); shorten it where the report is written")
    assert len(message) < 400
    cases = parse_report("r.json", _cucumber_json("a" * MAX_NAME_CHARS), "cucumber-json").cases
    assert MAX_NAME_CHARS in {len(case.scenario_name or "") for case in cases}


def _messages(name: str) -> bytes:
    lines = (FIXTURES / "cart.ndjson").read_bytes().splitlines()
    pickle = json.loads(lines[3])
    pickle["pickle"]["name"] = name
    lines[3] = json.dumps(pickle).encode()
    return b"\n".join(lines) + b"\n"


def test_a_messages_name_over_the_limit_is_refused_at_its_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse_report("r.ndjson", _messages("a" * (MAX_NAME_CHARS + 1)), "cucumber-messages")
    assert (caught.value.line, caught.value.message) == (
        4, f"pickle.name is {MAX_NAME_CHARS + 1} characters long, over the limit of {MAX_NAME_CHARS} (a fixed "
           "limit); shorten it where the report is written; nothing was imported from this file")
    report = parse_report("r.ndjson", _messages("a" * MAX_NAME_CHARS), "cucumber-messages")
    assert MAX_NAME_CHARS in {len(case.name) for case in report.cases}


# The peak RSS of the parse above the RSS once the report is read (VmHWM, not ru_maxrss: a child keeps its parent's
# ru_maxrss, here pytest's, across fork and exec).
_PEAK = """
import sys
from tracertm.errors import ParseError
from tracertm.results.formats import parse_report


def status(key):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(key + ":"))


data = open(sys.argv[1], "rb").read()
before = status("VmRSS")
try:
    parse_report(sys.argv[1], data, sys.argv[2])
except ParseError:
    pass
print(status("VmHWM") - before)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/self/status")
def test_the_peak_memory_of_a_huge_junit_name_stays_below_its_size(tmp_path: Path) -> None:
    # Before: junit.parse grew the peak by 3 times the name's size (and the import after it by 10 more). Now the
    # tag is refused from the bytes: the report's own bytes are all the memory it takes.
    size = 32 * 1024 * 1024
    report = tmp_path / "r.xml"
    report.write_bytes(_junit(b"a" * size))
    done = subprocess.run([sys.executable, "-c", _PEAK, str(report), "junit"], capture_output=True, text=True,
                          check=True, timeout=120)
    assert int(done.stdout) < size // 2, done.stdout
