"""A JUnit report with a huge ``<system-out>``: its text is not held whole (none of it is stored)."""

from __future__ import annotations

import tracemalloc

from tracertm.results import junit

LINE = b"log line with some output text 0123456789 abcdefghijklmnopqrstuvwxyz\n"


def _report(output_bytes: int) -> bytes:
    out = LINE * (output_bytes // len(LINE))
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="s">'
            b'<testcase classname="Cart" name="pending step"><failure/><system-out>Given a cart.....passed\n'
            b'When I pay......pending\n' + out + b'</system-out></testcase>'
            b'<testcase classname="u.T" name="t"><system-err>' + out + b'</system-err></testcase>'
            b'</testsuite></testsuites>\n')


def test_a_huge_output_is_read_past_not_held() -> None:
    data = _report(20 * 1024 * 1024)
    assert len(data) >= junit.CAPPED_FROM
    tracemalloc.start()
    try:
        report = junit.parse("big.xml", data)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * junit.KEEP_OUTPUT  # was over 40 MB: each output's text, joined from expat's parts
    streamed = list(junit.stream("big.xml", data, [], [], []))
    assert streamed == list(report.cases)
    # What is read from the output still is: cucumber's step list says the failing step was pending.
    assert [(c.external_id, c.status) for c in report.cases] == [
        ("Cart::pending step", "pending"), ("u.T::t", "passed")]


def test_a_malformed_large_report_names_its_line_as_before() -> None:
    data = _report(junit.CAPPED_FROM // 2).replace(b"</testsuite></testsuites>", b"</testcase></testsuites>")
    for parse in (lambda: junit.parse("big.xml", data), lambda: list(junit.stream("big.xml", data, [], [], []))):
        try:
            parse()
        except Exception as exc:  # noqa: BLE001  # ParseError, whichever parser
            assert "big.xml" in str(exc) and "mismatched tag" in str(exc), exc
        else:
            raise AssertionError("a malformed report was read")
