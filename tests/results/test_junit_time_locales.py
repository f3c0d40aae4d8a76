"""A JUnit ``time`` written in a Java locale's number format (``#,##0.###``, as older Maven Surefire wrote it):
English grouping (``1,234.5``), a German decimal comma (``1,5``, ``1.234,5``). A decimal comma was read as a
group separator: ``1,5`` became 15 s."""

from __future__ import annotations

import pytest

from tracertm.results.formats import parse_report


@pytest.mark.parametrize(("time", "seconds"), [
    ("1.5", 1.5), ("1,5", 1.5), ("0,001", 0.001), ("12,75", 12.75), ("1,234.5", 1234.5), ("1,500", 1500.0),
    ("1,234,567.25", 1234567.25), ("1.234,5", 1234.5), ("1.234.567,5", 1234567.5), (" 2,5 ", 2.5),
    ("1,2,3", None), ("1.234.5", None), ("-1,5", None),
])
def test_time_in_a_locale_format(time: str, seconds: float | None) -> None:
    report = f'<testsuite name="s"><testcase classname="c" name="t" time="{time}"/></testsuite>'.encode()
    assert [case.duration for case in parse_report("r.xml", report, "junit").cases] == [seconds]
