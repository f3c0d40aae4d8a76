"""JUnit XML reports, as pytest, behave ``--junit``, cucumber-jvm / cucumber-js (junit-xml-formatter), Maven Surefire
and friends write them: ``<testsuites>`` or a bare ``<testsuite>``, suites nested or flat.

Parsed with defusedxml: no DTD at all (``forbid_dtd``), so no entity expansion, no external entities or DTD fetches
(billion laughs and XXE are rejected, not defused into silence) and no attribute defaults an internal DTD's
``<!ATTLIST>`` would add to a test (changing its id). No JUnit writer known writes a DOCTYPE. The caller enforces a
size limit before the bytes are read.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import cast
from xml.etree.ElementTree import Element, TreeBuilder, XMLParser, XMLPullParser

from tracertm.results.options import option
from tracertm.results.report import (
    CaseResult, Report, clip, digest, external_id, finite, first_line, latest_run_time, report_error, run_label,
)
from tracertm.text import char_column

__all__ = ["MAX_TAG_BYTES", "NestedCases", "parse", "stream", "text_digest"]

# Surefire's retry elements: the test failed, then passed on a rerun (flaky) or failed again (rerun).
_FLAKY = ("flakyFailure", "flakyError")
_RERUN = ("rerunFailure", "rerunError")
# Where a report's producer says who it is. Maven Surefire names its schema on every suite it writes; jest-junit
# names its root ``jest tests`` (its ``suiteName`` default); Playwright writes an ``id`` on its root, empty unless
# ``PLAYWRIGHT_JUNIT_SUITE_ID`` sets it (no other writer known puts one there); pytest names its suite ``pytest``
# (``junit_suite_name``).
_SCHEMA = "{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation"


def _writes_each_test_once(suite: Element) -> bool:
    """Whether the suite's producer writes every test once, its attempts inside that one ``<testcase>``: Maven
    Surefire (``rerunFailingTestsCount``: ``flakyFailure``/``rerunFailure`` children), jest-junit (one
    ``<testcase>`` per test, whatever ``jest.retryTimes`` did) and Playwright (a test's retries are its one
    ``<testcase>``; each project — a browser — gets a ``<testsuite>`` per file, named after the file, the project in
    ``hostname``: a test failing on chromium and passing on firefox is two results, not a flaky pass). Two
    ``<testcase>`` of one name in such a suite are two tests — a TestNG data provider's invocations, JUnit 5
    parameterized tests, jest's ``it.each`` with a title without placeholders — never a rerun."""
    if _local(suite.tag) == "testsuites" and ("id" in suite.attrib or suite.get("name") == "jest tests"):
        return True
    return "surefire" in (suite.get(_SCHEMA) or "")


def _pytest(suite: Element) -> bool:
    """Whether the suite is pytest's: it writes a test again only to retry it after a failure."""
    return suite.get("name") in ("pytest", "pytest tests")


# The most bytes one start tag may take: its attributes — a test's name and classname, a failure's message. expat
# buffers a token whole and copies it as it grows: one 50 MB test name peaked at 770 MB while imported. Test names
# are identities (never cut), so a longer tag is refused before the XML parser reads the report. Far above what
# runners write (a name of thousands of characters, a failure message of a long diff).
MAX_TAG_BYTES = 1024 * 1024
# A '<' and then over MAX_TAG_BYTES bytes without one: the only places a start tag that long can be (an attribute
# value holds no '<'). Anchored on '<', each try stops at the next '<': one linear pass.
_LONG_RUN = re.compile(rb"<[^<]{%d}" % MAX_TAG_BYTES)
# How far a start tag reads as one (quotes respected: a '>' in a quoted value does not end it): the whole tag, or
# where it stops being one — expat refuses a malformed tag at its first wrong byte, but holds a tag that is still
# well-formed so far (an unclosed value, a long attribute name) whole until it ends.
_START_TAG = re.compile(
    rb"""<[^\s/>!?][^\s/>]*(?:\s+[^\s=/>]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*"""  # the name, complete attributes
    rb"""(?:\s+[^\s=/>"'<]*(?:\s*=\s*(?:"[^"<]*|'[^'<]*')?)?)?\s*/?>?"""  # an unfinished one, the end
)


def _check_tags(path: str, data: bytes) -> None:
    """Raise ``ParseError`` at the first start tag longer than ``MAX_TAG_BYTES`` (or still unfinished after as
    many bytes), from the bytes: before the XML parser holds it."""
    for run in _LONG_RUN.finditer(data):
        tag = _START_TAG.match(data, run.start())
        if tag is None or tag.end() - tag.start() <= MAX_TAG_BYTES:
            continue  # no start tag (a comment, CDATA, an end tag), or a short one and long text (<system-out>)
        name = re.match(rb"<([^\s/>]{1,64})", data[run.start() : run.start() + 66])
        what = f"<{name.group(1).decode('utf-8', 'replace')}>" if name else "a"
        from tracertm.parsers.common import byte_position  # (LF, CRLF and CR end a line, as in expat's positions)

        line, byte_column = byte_position(data, len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0, run.start())
        column = char_column(data[run.start() - byte_column + 1 : run.start()])
        raise report_error(
            path, line, f"{what} start tag is over {MAX_TAG_BYTES} bytes long (its attributes: a test name, "
            "classname or message), a fixed limit; shorten the test's name or message where the report is written",
            column,
        )


def parse(path: str, data: bytes) -> Report:
    """Parse one JUnit XML file, or raise ``ParseError`` naming the file and line."""
    top = root(path, data)
    cases: list[CaseResult] = []
    starts: list[dt.datetime] = []
    ends: list[dt.datetime] = []
    zoneless: list[str] = []
    _walk(top, cases, starts, ends, zoneless)
    return Report(
        path=path,
        format="junit",
        digest=digest(data),
        text_digest=text_digest(data),
        cases=tuple(cases),
        name=run_label(top.get("name")),
        started_at=min(starts) if starts else None,
        finished_at=max(ends) if ends else None,
        zoneless_time=zoneless[0] if zoneless and not _writes_utc(top) else None,
    )


# The XML declaration and its encoding pseudo-attribute (the text digest leaves the latter out: it names the
# encoding the bytes are in, not what the report says).
_DECLARATION_ENCODING = re.compile(r"""\A(\s*<\?xml[^>]*?)\s+encoding\s*=\s*(?:"[^"]*"|'[^']*')""")
_DECLARATION_ENCODING_BYTES = re.compile(_DECLARATION_ENCODING.pattern.encode())
_UTF16 = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


def text_digest(data: bytes) -> str | None:
    """The sha256 of the XML document's text encoded as UTF-8 — without a byte order mark and without the XML
    declaration's encoding pseudo-attribute — when that differs from the bytes' own digest; None when not (a UTF-8
    file without either), or when the bytes do not decode as their XML encoding says (the parser refuses them).

    A report's text is what it reports: the same report saved as UTF-16 (a byte order mark), with another declared
    encoding, or sent to the API with a ``charset`` (``results_routes.in_charset`` hands it on as UTF-8 with the
    declaration's encoding dropped) is the same report as its UTF-8 file, and an import finds it imported before.
    The bytes' digest stays what a run is stored under: runs imported before the text digest existed keep being
    found by it."""
    import codecs
    import hashlib

    bom = data[:2] if data[:2] in _UTF16 else b""
    encoding = _UTF16.get(bom)
    if encoding is None:
        found = _ENCODING.match(data[:1024])
        try:
            encoding = codecs.lookup(found.group(1).decode("ascii")).name if found else "utf-8"
        except (LookupError, UnicodeDecodeError):
            return None
    if encoding == "utf-8":  # no copy of a large report: only its head changes
        start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        head = data[start : start + 1024]
        canonical = _DECLARATION_ENCODING_BYTES.sub(rb"\1", head, count=1)
        if start == 0 and canonical == head:
            return None
        text = hashlib.sha256(canonical)
        text.update(memoryview(data)[start + len(head) :])
        return text.hexdigest()
    try:
        decoded = data[len(bom) :].decode(encoding)
    except (UnicodeDecodeError, LookupError):  # LookupError: a codec that is no text encoding (rot13)
        return None
    decoded = _DECLARATION_ENCODING.sub(r"\1", decoded.removeprefix("\ufeff"), count=1)
    return hashlib.sha256(decoded.encode("utf-8", "surrogatepass")).hexdigest()


def root(path: str, data: bytes) -> Element:
    """The root element of a JUnit report (``<testsuites>`` or ``<testsuite>``), parsed safely, or ``ParseError``."""
    _check_tags(path, data)
    top = _xml(path, data)
    _check_root(path, data, top)
    return top


class NestedCases(Exception):
    """A ``<testcase>`` inside a ``<testcase>``: ``stream`` would not give them in ``parse``'s order."""


def stream(
    path: str, data: bytes, starts: list[dt.datetime], ends: list[dt.datetime], names: list[str | None],
    source: io.BytesIO | None = None, zoneless: list[str] | None = None,
) -> Iterator[CaseResult]:
    """The test cases of ``parse``, in its order, each as soon as its element has been read (an incremental parse
    by the same safe parser: the first ones come before the file has been read to its end). Suites' starts and ends
    go into ``starts`` and ``ends`` (a start written without a time zone, as written, into ``zoneless``), the root's
    name into ``names``. The errors are ``parse``'s, in its order: a
    file that is not well-formed raises its ``ParseError`` even when its root element is not a JUnit one.
    ``source``: ``data`` as a stream the caller made, whose ``tell()`` then shows how far the parser has read."""
    from xml.etree.ElementTree import ParseError as ExpatError

    import defusedxml
    import defusedxml.ElementTree as safe

    _check_tags(path, data)
    depth = 0  # testcase elements open
    unnamed: dict[str | None, int] = {}  # see _case
    suites: list[_Suite] = []  # the suites open, innermost last (``CaseResult.suite``)
    named: dict[str | None, int] = {}  # see _Suite.of
    if len(data) >= CAPPED_FROM:
        events = _capped_events(source or io.BytesIO(data), lambda target: safe.DefusedXMLParser(
            target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True))
    else:
        events = _events(source or io.BytesIO(data), safe.DefusedXMLParser(
            target=TreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True))
    try:
        try:
            _event, top = next(events)
        except defusedxml.DefusedXmlException:  # a ValueError too, but none of the encoding's
            raise
        except (LookupError, ValueError) as exc:  # the declaration's encoding, met as the first bytes are read
            raise _unreadable_encoding(path, data, exc) from None
        if _local(top.tag) not in ("testsuites", "testsuite"):
            for _ in events:  # a well-formedness error further on is what parse reports
                pass
            _check_root(path, data, top)
        names.append(run_label(top.get("name")))
        outer = _Suite.of(top, _Suite(), named)
        if _local(top.tag) == "testsuite":
            suites.append(outer)
        # The suite elements open, innermost last: a test read is taken out of its suite's element, and a suite out
        # of its holder once it ends, so that the tree built holds what is still open, not the whole report (a
        # 300,000-test report's tree was 90 MB of a streamed import's memory).
        holders = [top]
        for event, element in events:
            tag = _local(element.tag)
            if tag == "testcase":
                if event == "start":
                    depth += 1
                    if depth > 1:
                        raise NestedCases(path)
                    continue
                depth -= 1
                case = _case(element, unnamed, suites[-1] if suites else outer)
                _let_go(holders[-1], element)
                yield case
            elif tag == "testsuite":
                if event == "start":
                    _suite(element, starts, ends, zoneless)
                    suites.append(_Suite.of(element, suites[-1] if suites else outer, named))
                    holders.append(element)
                else:
                    suites.pop()
                    if len(holders) > 1:  # (a root <testsuite> ends the report)
                        holders.pop()
                        _let_go(holders[-1], element)
        if _local(top.tag) == "testsuite":  # the root suite's own start event was read by next() above
            _suite(top, starts, ends, zoneless)
        if zoneless is not None and _writes_utc(top):
            zoneless.clear()
    except (defusedxml.DefusedXmlException, ExpatError) as exc:
        raise _refused(path, data, exc) from None


def _let_go(holder: Element, element: Element) -> None:
    """``element`` taken out of ``holder``, when it is a child of it (a test inside another element stays)."""
    with suppress(ValueError):
        holder.remove(element)


# The first piece the incremental parse reads (``ElementTree.iterparse``'s, which always reads that much).
_READ = 16 * 1024


def _events(source: io.BytesIO, parser: XMLParser) -> Iterator[tuple[str, Element]]:
    """``ElementTree.iterparse(source, ("start", "end"), parser)``, but fed in pieces that double while a piece
    brings no event: a token longer than a piece (a test name of megabytes, a huge comment) is scanned by expat up
    to 2.5 again from its start at every feed, which took time quadratic in its length with iterparse's 16 KiB
    pieces (a 50 MB attribute: 85 s); with growing pieces it is a few feeds, linear. Errors are iterparse's."""
    pull = XMLPullParser(("start", "end"), _parser=parser)
    size = _READ
    while chunk := source.read(size):
        pull.feed(chunk)
        came = False
        for event in pull.read_events():
            came = True
            yield cast("tuple[str, Element]", event)  # only start and end events were asked for
        size = _READ if came else 2 * size
    pull.close()
    yield from cast("Iterator[tuple[str, Element]]", pull.read_events())


# A report this large is built with ``_Capped``: at most ``KEEP_OUTPUT`` characters of each ``<system-out>`` and
# ``<system-err>`` are kept. Nothing of their text is stored (a result's message comes from its failure); only the
# step list cucumber's formatter writes there is read (``_cucumber_step_status``), a few lines. A 200 MB log in one
# test's output otherwise cost its text twice over (the parts expat hands over, then joined), 480-540 MB in all. Below
# this size the C TreeBuilder (no Python call per event) keeps the normal case's speed; such a file's text is small.
CAPPED_FROM = 32 * 1024 * 1024
KEEP_OUTPUT = 1024 * 1024
_OUTPUT = frozenset({"system-out", "system-err"})
_MOST = 16 * 1024 * 1024  # the largest piece ``_capped_events`` feeds


class _Capped:
    """A parser target building the tree as ``TreeBuilder`` does, but for the text of ``<system-out>`` and
    ``<system-err>`` beyond ``KEEP_OUTPUT`` characters, which it lets pass. With ``events``, it keeps the
    ("start"|"end", element) events ``XMLPullParser`` would give (which takes no other target)."""

    def __init__(self, events: list[tuple[str, Element]] | None = None) -> None:
        self._builder = TreeBuilder()
        self.events = events
        self._output = 0  # output elements open
        self._kept = 0  # characters of the innermost one kept

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        element = self._builder.start(tag, attrs)
        if _local(tag) in _OUTPUT:
            self._output += 1
            self._kept = 0
        if self.events is not None:
            self.events.append(("start", element))
        return element

    def end(self, tag: str) -> Element:
        element = self._builder.end(tag)
        if self._output and _local(tag) in _OUTPUT:
            self._output -= 1
        if self.events is not None:
            self.events.append(("end", element))
        return element

    def data(self, text: str) -> None:
        if self._output:
            if self._kept >= KEEP_OUTPUT:
                return
            text = text[: KEEP_OUTPUT - self._kept]
            self._kept += len(text)
        self._builder.data(text)

    def close(self) -> Element:
        return self._builder.close()


def _capped_events(source: io.BytesIO, parser_of: Callable[[_Capped], XMLParser]) -> Iterator[tuple[str, Element]]:
    """``_events`` for a large report: the events ``_Capped`` collects, fed in pieces that grow as ``_events``'s
    do (a long token is not scanned again at every small piece)."""
    events: list[tuple[str, Element]] = []
    parser = parser_of(_Capped(events))
    size = _READ
    while chunk := source.read(size):
        parser.feed(chunk)
        size = _READ if events else min(2 * size, _MOST)  # each piece read is a copy: a few MiB at most
        yield from events
        events.clear()
    parser.close()
    yield from events


# The roots of the .NET test reports, which no --format reads: naming another format would send their users in a
# circle. Reqnroll's and SpecFlow's runs write them through ``dotnet test``.
_DOTNET = {"TestRun": "a Visual Studio TRX report", "test-run": "an NUnit 3 report",
           "test-results": "an NUnit 2 report", "assemblies": "an xUnit.net report"}


def _check_root(path: str, data: bytes, top: Element) -> None:
    """Refuse a well-formed report whose root element is not a JUnit one, at that element's line and column."""
    root = _local(top.tag)
    if root in ("testsuites", "testsuite"):
        return
    line, column = _root_position(data)
    if root in _DOTNET:
        raise report_error(path, line, f"not a JUnit report: the root element is <{root}>, {_DOTNET[root]}, which "
                                       "tracertm does not read; write JUnit XML (dotnet test --logger junit, with "
                                       "the JunitXml.TestLogger package) or, with Reqnroll 3, Cucumber Messages (its "
                                       "message formatter)", column)
    raise report_error(path, line, f"not a JUnit report: the root element is <{root}>, expected <testsuites> or "
                                   f"<testsuite>; pass {option('--format')} to pick another format", column)


class _RootFound(Exception):
    """Stops ``_root_position``'s parse at the root element's start tag."""


def _root_position(data: bytes) -> tuple[int, int]:
    """The 1-based line and column of the root element's start tag in a well-formed document (after its XML
    declaration, comments, processing instructions), as an editor shows them: expat's position of the tag, read in
    whatever encoding the document declares (the bytes alone cannot tell a UTF-16 report's lines). The document was
    parsed safely already; this parse stops at the first start tag, before anything it could expand."""
    from xml.parsers import expat

    parser = expat.ParserCreate()

    def found(_name: str, _attributes: dict[str, str]) -> None:
        raise _RootFound(parser.CurrentLineNumber, parser.CurrentColumnNumber)

    parser.StartElementHandler = found
    try:
        parser.Parse(data, True)
    except _RootFound as stop:
        line, column = stop.args
        if line == 1 and column > 0 and data.startswith(_BOMS):
            column -= 1  # (expat counts the mark as line 1's first character, as in ``_refused``)
        return line, column + 1
    except (expat.ExpatError, LookupError, ValueError):  # (never: the document parsed; the tag's line unknown)
        pass
    return 1, 0


def _xml(path: str, data: bytes) -> Element:
    from xml.etree.ElementTree import ParseError as ExpatError

    import defusedxml
    import defusedxml.ElementTree as safe

    try:
        if len(data) < CAPPED_FROM:
            return safe.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        parser = safe.DefusedXMLParser(target=_Capped(), forbid_dtd=True, forbid_entities=True,
                                       forbid_external=True)
        parser.feed(data)
        return parser.close()
    except (defusedxml.DefusedXmlException, ExpatError) as exc:
        raise _refused(path, data, exc) from None
    except (LookupError, ValueError) as exc:  # from the parser set up, before a byte of the document is read
        raise _unreadable_encoding(path, data, exc) from None


_ENCODING = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([^\"']*)")
_UTF8_BOM = b"\xef\xbb\xbf"
# The byte-order marks expat reads (UTF-8, UTF-16 LE and BE). It counts one as the first character of line 1,
# where an editor shows none: the columns of line 1 are one less than expat's.
_BOMS = (_UTF8_BOM, b"\xff\xfe", b"\xfe\xff")


def _unreadable_encoding(path: str, data: bytes, exc: Exception) -> Exception:
    """The ``ParseError`` of an XML declaration whose encoding the XML parser cannot use: unknown (``UTF-X``), not a
    text encoding (``rot13``) or multi-byte other than UTF-8/16 (``Shift_JIS``, which expat does not read) — where
    the parser raises ``LookupError`` or ``ValueError`` rather than its own error."""
    found = _ENCODING.match(data[:1024])
    if found is None:  # not the declaration: no error of a report's (let it show as the internal error it is)
        raise exc
    name = found.group(1).decode("ascii", "replace")
    name = name if len(name) <= 40 else name[:39] + "…"
    reason = clip(" ".join(str(exc).split()).split(";")[0], 120)
    return report_error(
        path, 1, f"the XML declaration's encoding {name!r} cannot be read ({reason}); save the report as UTF-8",
        found.start(1) + 1 - (len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0),  # (ASCII but the mark)
    )


def _refused(path: str, data: bytes, exc: Exception) -> Exception:
    """The ``ParseError`` of unsafe or malformed XML: the file, the line, and what to do."""
    import defusedxml

    if isinstance(exc, defusedxml.DefusedXmlException):
        at = data.find(b"<!DOCTYPE")
        from tracertm.parsers.common import byte_position  # (LF, CRLF and CR end a line, as in expat's positions)

        line = byte_position(data, 0, at)[0] if at >= 0 else 1
        return report_error(
            path, line, f"refused unsafe XML ({type(exc).__name__}: a DOCTYPE, entity declarations and external "
            "references are not allowed in test reports); regenerate the report with your test runner"
        )
    line, column = getattr(exc, "position", (0, 0))
    if line == 1 and column > 0 and data.startswith(_BOMS):
        column -= 1
    reason = str(exc).split(":")[0]
    message = f"malformed XML: {reason}; nothing was imported from this file"
    return report_error(path, line, message, column + 1)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _walk(
    root: Element, cases: list[CaseResult], starts: list[dt.datetime], ends: list[dt.datetime], zoneless: list[str],
) -> None:
    """Every ``<testcase>`` under ``root`` (suites nested or flat), in document order, each with the name of the
    innermost suite holding it, and each suite's start and end (``_suite``)."""
    unnamed: dict[str | None, int] = {}  # see _case
    named: dict[str | None, int] = {}  # see _Suite.of
    # Depth-first by hand (Element.iter() tells no parent): (element, its innermost suite), next last.
    todo: list[tuple[Element, _Suite]] = [(root, _Suite.of(root, _Suite(), named) if _local(root.tag) == "testsuites"
                                           else _Suite())]
    while todo:
        element, suite = todo.pop()
        tag = _local(element.tag)
        if tag == "testcase":
            cases.append(_case(element, unnamed, suite))
        elif tag == "testsuite":
            _suite(element, starts, ends, zoneless)
            suite = _Suite.of(element, suite, named)
        if len(element):
            todo += [(child, suite) for child in reversed(element)]


def _suite(
    element: Element, starts: list[dt.datetime], ends: list[dt.datetime], zoneless: list[str] | None,
) -> None:
    """A suite's start and end, when it says when it ran. A start after the import's own time (beyond a day of clock
    skew: ``report.latest_run_time``) is unknown, as one past the calendar is. A time that ends past the calendar
    or after that (``time="1e300"``) is unusable: the suite ends when it starts, as without a time. A start written
    without a time zone is read as UTC and also goes, as written, into ``zoneless``: the import says so."""
    text = element.get("timestamp")
    written = _written_time(text)
    stamp = _in_utc(written)
    if stamp is not None:
        latest = latest_run_time()
        if stamp > latest:
            return
        starts.append(stamp)
        if text and written is not None and written.tzinfo is None and zoneless is not None:
            zoneless.append(text.strip())
        try:
            end = stamp + dt.timedelta(seconds=_seconds(element.get("time")) or 0.0)
        except OverflowError:
            end = stamp
        ends.append(end if end <= latest else stamp)


class _Suite:
    """The innermost ``<testsuite>`` around a test: its name, what its producer does with reruns (inherited from the
    suites and root around it), how often each test id occurred in it so far, and which suite of its name in the
    report it is (``seq``: 1 for the first; ``CaseResult.suite_seq``)."""

    __slots__ = ("each_once", "name", "pytest", "seen", "seq")

    def __init__(self, name: str | None = None, each_once: bool = False, pytest: bool = False, seq: int = 1) -> None:
        self.name, self.each_once, self.pytest, self.seq = name, each_once, pytest, seq
        self.seen: dict[str, int] = {}

    @classmethod
    def of(cls, element: Element, outer: _Suite, named: dict[str | None, int]) -> _Suite:
        """The suite ``element`` (a ``<testsuite>``, or the ``<testsuites>`` root) inside ``outer``; ``named``
        counts the report's suites by name, in document order."""
        each_once = outer.each_once or _writes_each_test_once(element)
        pytest = outer.pytest or _pytest(element)
        if _local(element.tag) != "testsuite":
            return cls(None, each_once, pytest)
        name = element.get("name") or None
        named[name] = seq = named.get(name, 0) + 1
        # Surefire's and jest-junit's later suite of a name is never a rerun (``CaseResult.once``): ``report`` names
        # it ``<name>#<k>``, also when it is in a later file of the import.
        return cls(name, each_once, pytest, seq)


def _case(case: Element, unnamed: dict[str | None, int], suite: _Suite) -> CaseResult:
    """One ``<testcase>``. One without a name (every JUnit schema asks for one) is the ``k``-th unnamed test of its
    class, ``unnamed`` counting them in the file's order: its id ``<class>::(unnamed k)``. It used to take the class's
    own id, so that a class's unnamed tests were one test reported again and again — the last outcome kept, the
    earlier failures counted as failed attempts (a pass after them: flaky)."""
    name = case.get("name") or ""
    classname = case.get("classname") or None
    status, message, failed_attempts = _outcome(case)
    line = case.get("line")
    if name:
        ident = external_id(classname, name)
        if suite.each_once:  # the k-th test of this id in a suite that writes each test once: another test
            suite.seen[ident] = count = suite.seen.get(ident, 0) + 1
            if count > 1:
                ident = external_id(classname, f"{name}::#{count}")
    else:
        unnamed[classname] = count = unnamed.get(classname, 0) + 1
        ident = external_id(classname, f"(unnamed {count})")
    return CaseResult(
        external_id=ident,
        name=name,
        status=status,
        duration=_seconds(case.get("time")),
        message=message,
        classname=classname,
        file=case.get("file") or None,
        line=_line(line),
        failed_attempts=failed_attempts,
        properties=_properties(case),
        distinct="status" in case.attrib,  # behave (``report.last_reports``)
        suite=suite.name,
        suite_seq=suite.seq,
        once=suite.each_once,
        retried=suite.pytest,
        teardown=suite.pytest and _pytest_teardown(case),
    )


# pytest's message of an error in a test's teardown (``failed on teardown with "<reason>"``; before pytest 5,
# ``test teardown failure``).
_TEARDOWN = re.compile(r'failed on teardown with "|test teardown failure$')


def _pytest_teardown(case: Element) -> bool:
    """Whether a ``<testcase>`` of pytest's holds only the error of a failing teardown: pytest writes it as a test
    case of its own after the test's failed call (its ``<failure>``), one attempt written as two."""
    outcomes = [child for child in case if _local(child.tag) in _OUTCOMES]
    return (len(outcomes) == 1 and _local(outcomes[0].tag) == "error"
            and _TEARDOWN.match(outcomes[0].get("message") or "") is not None)


_OUTCOMES = frozenset({"failure", "error", "skipped", *_FLAKY, *_RERUN})


def _line(value: str | None) -> int | None:
    """A ``line`` attribute: ASCII digits ("²".isdigit(), but no int); None past any file's line (over 18 digits
    once leading zeros go: ``int`` refuses more than 4,300 digits, and no feature file has such a line)."""
    if not value or not value.isascii() or not value.isdigit():
        return None
    digits = value.lstrip("0")
    return int(digits or "0") if len(digits) <= 18 else None


def _properties(case: Element) -> tuple[tuple[str, str], ...]:
    """``<properties><property name value/>`` of a test case (pytest ``record_property``, Surefire)."""
    return tuple(
        (prop.get("name") or "", prop.get("value") or (prop.text or "").strip())
        for props in case
        if _local(props.tag) == "properties"
        for prop in props
        if _local(prop.tag) == "property"
    )


def _outcome(case: Element) -> tuple[str, str | None, int]:
    """(status, first line of the message, failed attempts before the outcome) of one ``<testcase>``."""
    children: dict[str, list[Element]] = {}
    for child in case:
        tag = _local(child.tag)
        if tag == "error" and (child.get("type") or "").lower() == "skipped":
            # godog writes each step skipped after a failing (or pending, undefined) one as <error type="skipped">
            # after that step's own element, and counts none of them in the suite's errors: a skipped step, which
            # must not turn a failure into an error with the skipped step's message.
            tag = "skipped"
        children.setdefault(tag, []).append(child)
    attempts = sum(len(children.get(tag, ())) for tag in (*_FLAKY, *_RERUN))
    for tag, status in (("error", "error"), ("failure", "failed")):
        if tag in children:
            element = children[tag][0]
            # An exception class's own name: cucumber-jvm writes ``io.cucumber.java.PendingException``.
            kind = (element.get("type") or "").lower().rsplit(".", 1)[-1]
            said = _behave_step_status(element) or _cucumber_step_status(element, children)
            if kind == "undefined" or said == "undefined":
                status = "undefined"
            elif kind in ("pending", "pendingexception") or said == "pending":
                status = "pending"
            # Only Surefire's rerun elements are attempts: several <failure>s or <error>s are one attempt's (pytest
            # writes a failing setup's and teardown's errors in one test case: it ran once).
            return status, _message(element), attempts
    rerun = [e for tag in _RERUN for e in children.get(tag, ())]
    if rerun:  # Surefire: failed on every attempt
        return "failed", _message(rerun[-1]), len(rerun) - 1
    flaky = [e for tag in _FLAKY for e in children.get(tag, ())]
    if "skipped" in children and flaky:  # failed, then skipped on its rerun: no execution, the failure decides
        return "failed", _message(flaky[-1]), len(flaky) - 1
    if "skipped" in children:
        return "skipped", _message(children["skipped"][0]), 0
    # behave and the Jenkins schema; googletest writes a DISABLED_ test as status="notrun" without a child element
    explicit = (case.get("status") or "").lower()
    if explicit in ("skipped", "untested", "disabled", "notrun"):
        return "skipped", None, 0
    if explicit == "failed":
        return "failed", None, 0
    return "passed", _message(flaky[-1]) if flaky else None, len(flaky)


_BEHAVE_FAILING_STEP = re.compile(r" \.\.\. (undefined|pending)(?: in [0-9.]+s)?\s*$")


def _behave_step_status(element: Element) -> str | None:
    """``undefined`` or ``pending`` when behave's element says its failing step was: an undefined step is
    ``<failure type="undefined" message="Undefined Step: ...">`` or an ``<error>`` whose text names the failing step
    "... undefined in 0.000s"; a pending one (a step raising ``StepNotImplementedError``, as behave's own snippets
    for undefined steps do) an ``<error type="StepNotImplementedError">`` whose text says "... pending in 0.000s"."""
    if (element.get("message") or "").startswith("Undefined Step"):
        return "undefined"
    text = (element.text or "").strip()
    if not text.startswith("Failing step:"):
        return None
    # The status ends the line ("When I pay ... undefined in 0.000s"): a step text holding "... pending" is no status.
    found = _BEHAVE_FAILING_STEP.search(text.split("\n", 1)[0])
    return found.group(1) if found else None


# A step line of cucumber/junit-xml-formatter's ``<system-out>``: the step, dots, its status.
_CUCUMBER_STEP_LINE = re.compile(r"\.{3,}(passed|failed|pending|undefined|ambiguous|skipped|unknown)\s*$")


def _cucumber_step_status(element: Element, children: dict[str, list[Element]]) -> str | None:
    """``undefined`` or ``pending`` when an empty ``<failure/>`` (cucumber/junit-xml-formatter's for a scenario
    whose step is pending or undefined: no exception, so no type, message or text) has a ``<system-out>`` whose
    first step that did not pass says so; None otherwise."""
    if element.get("type") or element.get("message") or (element.text or "").strip():
        return None
    for out in children.get("system-out", ()):
        for line in (out.text or "").splitlines():
            found = _CUCUMBER_STEP_LINE.search(line)
            if found is not None and found.group(1) != "passed":
                return found.group(1) if found.group(1) in ("pending", "undefined") else None
    return None


def _message(element: Element) -> str | None:
    message = element.get("message")
    if message == "None":  # behave writes the str() of an absent exception
        message = None
    return first_line(message) or first_line(element.text)


# Java's ``#,##0.###`` (older Maven Surefire, other JVM tools) writes ``time`` in the JVM's locale: ``1,234.5`` in
# English ones, ``1.234,5`` or ``1,5`` in German ones. Separators every three digits before the decimal mark are
# groups; a lone comma is the decimal mark (``1,500`` reads as English, 1500 s).
_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")
_GROUPED_DECIMAL_COMMA = re.compile(r"[+-]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+),\d*")


def _seconds(value: str | None) -> float | None:
    """A ``time`` attribute in seconds; None when absent, no finite number (``inf``, ``nan``, ``1e400``) or
    negative."""
    if not value:
        return None
    value = value.strip()
    if _GROUPED.fullmatch(value):
        value = value.replace(",", "")
    elif _GROUPED_DECIMAL_COMMA.fullmatch(value):
        value = value.replace(".", "").replace(",", ".")
    try:
        return finite(float(value))
    except ValueError:
        return None


def _in_utc(stamp: dt.datetime | None) -> dt.datetime | None:
    """A ``timestamp`` (``_written_time``) in UTC; None when absent, unreadable, or outside the calendar once in UTC
    (``9999-12-31T23:00:00-05:00``). One without a time zone is read as UTC: which zone its writer meant cannot be
    told — pytest before 8.3 (``datetime.fromtimestamp(...).isoformat()``), behave and googletest write the test
    machine's local time, jest-junit UTC — and the import says so (``ImportSummary.zoneless_times``)."""
    if stamp is None:
        return None
    try:
        return stamp.astimezone(dt.timezone.utc) if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)
    except OverflowError:
        return None


# A zone written by its name after the time: TestNG's own JUnit reports (``2021-03-07T10:36:56 UTC``). Only the
# names that mean UTC are read; an abbreviation such as ``CST`` names several zones and stays unreadable.
_UTC_NAMED = re.compile(r"\s+(?:UTC|GMT)\Z")


def _written_time(value: str | None) -> dt.datetime | None:
    """A ``timestamp`` as written: ISO 8601, its zone an offset, ``Z``, `` UTC`` or `` GMT``, or none (naive);
    None when absent or unreadable."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(_UTC_NAMED.sub("+00:00", value.strip()).replace("Z", "+00:00"))
    except ValueError:
        return None


def _writes_utc(top: Element) -> bool:
    """Whether the report's producer writes its times in UTC, also without a zone: jest-junit
    (``new Date(start).toISOString().slice(0, -5)``, its root named ``jest tests``)."""
    return _local(top.tag) == "testsuites" and top.get("name") == "jest tests"
