"""A broken test report is refused at the line and column an editor shows, whatever its line ends: LF, CRLF and CR
each end a line (README "Supported formats"). Python's ``json`` and a plain count of LF bytes number a report
written with CR line ends as one line, its columns running on past the line's end; the same report with any line
ends must give the same position."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tracertm.errors import ParseError
from tracertm.results.formats import parse_report
from tracertm.results.junit import MAX_TAG_BYTES

FIXTURES = Path(__file__).parent / "fixtures"
CUCUMBER_JSON = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("**/cucumber-*.json"))
LINE_ENDS = (b"\n", b"\r\n", b"\r")


def _with_ends(data: bytes, end: bytes) -> bytes:
    return re.sub(rb"\r\n|\r|\n", lambda _: end, data)


def _refused(path: str, data: bytes) -> tuple[int, int, str]:
    with pytest.raises(ParseError) as caught:
        parse_report(path, data)
    return caught.value.line, caught.value.column, caught.value.message


BROKEN = [
    # (name, report with LF line ends, its error's line and column, what the message says)
    ("malformed JSON", b'[\n  {"uri": "a.feature",\n   "elements": [1 2]}\n]\n', 3, 19, "malformed JSON"),
    ("invalid UTF-8", b'[\n  {"uri": "a.feature",\n   "name": "\xff"}\n]\n', 3, 0, "not valid UTF-8"),
    ("an integer of 5,000 digits", b'[\n  {"uri": "a.feature",\n   "line": ' + b"9" * 5000 + b"}\n]\n", 3, 12,
     "more than 4,300 digits"),
    ("a field of the wrong type", b'[\n  {"uri": "a.feature",\n   "name": 123}\n]\n', 3, 0, "'name'"),
    ("a DOCTYPE in JUnit XML", b'<?xml version="1.0"?>\n\n<!DOCTYPE x [<!ENTITY a "b">]>\n<testsuite/>\n', 3, 0,
     "refused unsafe XML"),
    ("a JUnit start tag over the limit",
     b'<testsuite>\n  <testcase name="' + b"n" * MAX_TAG_BYTES + b'"/>\n</testsuite>\n', 2, 3, "start tag is over"),
]


@pytest.mark.parametrize("end", LINE_ENDS, ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize(("name", "data", "line", "column", "says"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_report_is_refused_at_the_same_place_whatever_its_line_ends(
    end: bytes, name: str, data: bytes, line: int, column: int, says: str
) -> None:
    path = "reports/r.xml" if data.startswith(b"<") else "reports/r.json"
    found_line, found_column, message = _refused(path, _with_ends(data, end))
    assert (found_line, found_column) == (line, column), f"{name} with {end!r} line ends: {message}"
    assert says in message


@settings(max_examples=50, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fixture=st.sampled_from(CUCUMBER_JSON), at=st.floats(0, 1), junk=st.sampled_from([b"}", b"\x01", b",,", b"@"]),
       end=st.sampled_from(LINE_ENDS[1:]))
@example(fixture="cucumber-go.json", at=0.5, junk=b"}", end=b"\r")
def test_a_real_report_broken_anywhere_is_refused_where_its_lf_twin_is(
    fixture: str, at: float, junk: bytes, end: bytes
) -> None:
    lf = _with_ends((FIXTURES / fixture).read_bytes(), b"\n")
    cut = int(at * len(lf))
    broken = lf[:cut] + junk + lf[cut:]
    try:
        parse_report("reports/r.json", broken)
    except ParseError as exc:
        expected = (exc.line, exc.column, exc.message)
    else:
        return  # still a report (junk inside a string): nothing to place
    assert _refused("reports/r.json", _with_ends(broken, end)) == expected
