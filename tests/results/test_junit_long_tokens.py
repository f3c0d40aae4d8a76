"""A JUnit report holding one very long token (a test name of megabytes in an attribute, a huge comment) is read by
the incremental reader (``junit.stream``, which ``results import`` uses for large reports) in time linear in its
size. Before, it fed expat 16 KiB at a time: expat up to 2.5 scans an unfinished token again from its start at every
feed, so a 50 MB attribute took 85 s (a 64 MiB report, under ``--max-report-size``, minutes) where ``junit.parse``
takes a fraction of a second. Now the reader feeds more at a time while a feed brings no element."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tracertm.results import junit

SIZE = 16 * 1024 * 1024


def _reports() -> list[bytes]:
    # An attribute is at most junit.MAX_TAG_BYTES long (a longer start tag is refused before expat reads it); a
    # comment has no limit.
    name = b"a" * (junit.MAX_TAG_BYTES - 100)
    return [
        b'<testsuite name="s"><testcase classname="c" name="' + name + b'"/></testsuite>\n',
        b'<testsuite name="s"><!-- ' + b"a" * SIZE + b' --><testcase classname="c" name="n"/></testsuite>\n',
    ]


@pytest.mark.parametrize("data", _reports(), ids=["attribute", "comment"])
def test_a_long_token_is_fed_in_few_growing_pieces(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    feeds: list[int] = []
    feed = ET.XMLPullParser.feed

    def counted(self: Any, chunk: Any) -> None:
        feeds.append(len(chunk))
        feed(self, chunk)

    monkeypatch.setattr(ET.XMLPullParser, "feed", counted)
    cases = list(junit.stream("r.xml", data, [], [], []))
    assert [len(c.name) for c in cases] in ([junit.MAX_TAG_BYTES - 100], [1])
    assert sum(feeds) == len(data)
    # 16 KiB at a time would be 64 feeds for the attribute, 1,024 for the comment, each scanning the token again
    # from its start.
    assert len(feeds) < 20


def test_the_stream_of_a_long_token_takes_about_the_time_of_a_whole_parse() -> None:
    data = _reports()[1]
    start = time.perf_counter()
    whole = junit.parse("r.xml", data)
    parse_time = time.perf_counter() - start
    start = time.perf_counter()
    streamed = list(junit.stream("r.xml", data, [], [], []))
    stream_time = time.perf_counter() - start
    assert [c.name for c in streamed] == [c.name for c in whole.cases]
    # Quadratic before: about 30 times the parse's time at this size (and growing with it).
    assert stream_time < 10 * parse_time + 1.0, (stream_time, parse_time)
