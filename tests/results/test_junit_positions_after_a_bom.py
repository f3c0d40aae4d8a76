"""A JUnit report that starts with a byte-order mark (.NET's loggers and PowerShell write one) is refused at the
column an editor shows on line 1, as the same report without the mark is: expat counts the mark as line 1's first
character, and the XML declaration's and start tags' columns were counted in bytes from the file's first byte
(the UTF-8 mark's three). Columns count characters, not the mark nor UTF-8 bytes (README "Test results")."""

from __future__ import annotations

import pytest

from tracertm.errors import ParseError
from tracertm.results.formats import parse_report
from tracertm.results.junit import MAX_TAG_BYTES

BOMS = {"UTF-8": (b"\xef\xbb\xbf", "utf-8"), "UTF-16LE": (b"\xff\xfe", "utf-16-le"),
        "UTF-16BE": (b"\xfe\xff", "utf-16-be")}
BROKEN = [
    # (name, report, line, column, what the message says)
    ("duplicate attribute", '<testsuite name="s"><testcase name="a" name="b"/></testsuite>', 1, 40,
     "duplicate attribute"),
    ("cut short", '<testsuite name="s">', 1, 21, "no element found"),
    ("on line 2", '<testsuite name="s">\n<testcase name="a" name="b"/></testsuite>', 2, 20, "duplicate attribute"),
    ("unknown encoding", '<?xml version="1.0" encoding="UTF-X"?><testsuite/>', 1, 31, "encoding 'UTF-X'"),
    ("an over-long start tag", '<testsuite name="s"><testcase name="' + "n" * MAX_TAG_BYTES + '"/></testsuite>', 1,
     21, "start tag is over"),
    ("an over-long start tag after an é", '<testsuite name="é"><testcase name="' + "n" * MAX_TAG_BYTES
     + '"/></testsuite>', 1, 21, "start tag is over"),
]


# The declaration's encoding and the tag limit are read from the bytes: those cases in UTF-8 only.
CASES = [(bom, *case) for case in BROKEN for bom in (None, *BOMS)
         if bom in (None, "UTF-8") or not case[0].startswith(("unknown encoding", "an over-long start tag"))]


@pytest.mark.parametrize(("bom", "name", "report", "line", "column", "says"), CASES,
                         ids=[f"{c[1]}, {c[0] or 'no mark'}" for c in CASES])
def test_the_byte_order_mark_is_no_column(
    bom: str | None, name: str, report: str, line: int, column: int, says: str
) -> None:
    if bom is None:
        data = report.encode()
    else:
        mark, codec = BOMS[bom]
        data = mark + report.encode(codec)
    with pytest.raises(ParseError) as caught:
        parse_report("reports/r.xml", data)
    assert (caught.value.line, caught.value.column) == (line, column), f"{name}: {caught.value}"
    assert says in caught.value.message
