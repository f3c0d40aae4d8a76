"""Cucumber Messages (NDJSON, ``--format message``): one JSON envelope per line.

A result is joined to its scenario through testStepFinished → testCaseStarted → testCase → pickle → the
pickle's ``astNodeIds`` (the scenario, and for outline rows the example row) in the gherkinDocument. Retries are
attempts of one test case: the outcome is the last attempt's (``willBeRetried`` false), earlier failures count as
failed attempts, so a scenario that passed on retry is recorded as flaky, with the last failure's message. A skipped
attempt is no execution: after one that ran it decides nothing (a failure then a skipped retry is a failure).

A test case's external id is ``<uri>::<scenario name>`` (the uri as ``report.normalize_path`` reads it, without
cucumber-jvm's ``file:``/``classpath:``; ``#<examples>.<row>`` for outline rows); scenarios of one file that share a
name are told apart by their line, read from the gherkinDocument (``_ident``). Every part of an envelope is checked
for its JSON type where it is read: a wrong one is malformed at that line.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from tracertm.results.options import option
from tracertm.results.report import (
    MAX_NAME_CHARS, CaseResult, Report, clean_text, digest, external_id, feature_id, finite, first_line, plausible,
    report_error, skipped_after_a_run, worst,
)

__all__ = ["parse"]

_STATUS = {
    "PASSED": "passed",
    "FAILED": "failed",
    "SKIPPED": "skipped",
    "PENDING": "pending",
    "UNDEFINED": "undefined",
    "AMBIGUOUS": "failed",
    "UNKNOWN": "skipped",
}

# The envelope kinds of the Cucumber Messages protocol (``messages.proto``'s ``Envelope``, up to version 28). A stream
# none of whose lines is one of them is some other JSON (``{"name": "app", "version": "1.0"}``: a package.json), not
# an empty run; one unknown kind among known ones is a newer protocol's, and is passed over as before.
_ENVELOPES = frozenset({
    "attachment", "externalAttachment", "gherkinDocument", "hook", "meta", "parameterType", "parseError", "pickle",
    "source", "stepDefinition", "suggestion", "testCase", "testCaseFinished", "testCaseStarted", "testRunFinished",
    "testRunHookFinished", "testRunHookStarted", "testRunStarted", "testStepFinished", "testStepStarted",
    "undefinedParameterType",
})


@dataclass
class _Node:
    """A scenario or an example row of a gherkinDocument."""

    name: str
    line: int
    uri: str  # the gherkinDocument's
    rule: str | None = None
    row: str | None = None  # "<examples>.<row>", 1-based
    leaf: bool = True  # a scenario or a row, which a pickle runs (not an outline: its rows are the pickles)

    @property
    def label(self) -> str:
        """The name its test case is known by in its file (before any line that tells it apart)."""
        return self.name + (f" #{self.row}" if self.row else "")


@dataclass(frozen=True)
class _Pickle:
    """What a result needs of a pickle."""

    uri: str | None
    name: str
    ast: tuple[str, ...]  # astNodeIds: the scenario, then the example row
    tags: tuple[str, ...]  # without "@"


@dataclass
class _Attempt:
    test_case: str
    line: int  # of its testCaseStarted
    statuses: list[str] = field(default_factory=list)
    duration: float = 0.0
    message: str | None = None
    retried: bool = False
    finished: bool = False  # its testCaseFinished came


_At = tuple[str, int]  # the file and line of the envelope being read, for its ParseError


def parse(path: str, data: bytes) -> Report:
    """Parse one Messages NDJSON file, or raise ``ParseError`` naming the file and line. An envelope whose parts
    have the wrong JSON type (an object where a list belongs, a text where a number does) is malformed at its line:
    what a result is joined through must be what the protocol says it is."""
    nodes: dict[str, _Node] = {}
    documents: dict[str, str] = {}  # uri → feature name
    pickles: dict[str, _Pickle] = {}
    test_cases: dict[str, tuple[str, int]] = {}  # testCase id → (pickle id, line)
    attempts: dict[str, _Attempt] = {}  # testCaseStarted id → attempt
    order: list[str] = []
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    envelopes = 0
    first = 0  # the line of the first envelope
    known = False  # whether any envelope is a Cucumber message
    failure: str | None = None  # the first failure outside the test cases (a hook of the run, the runner itself)
    run_finished = False
    lines = data.splitlines()
    cut = _cut_short(data, lines)
    for number, raw in enumerate(lines[:cut - 1] if cut else lines, start=1):
        if not raw.strip():
            continue
        envelopes += 1
        # The first line is read knowing the whole file: a JSON document spread over lines is no stream.
        envelope = _envelope(path, number, raw, None if first else data)
        first = first or number
        known = known or not _ENVELOPES.isdisjoint(envelope)
        at = (path, number)
        if "gherkinDocument" in envelope:
            document = _object(at, envelope["gherkinDocument"], "gherkinDocument")
            feature = _object(at, document.get("feature"), "gherkinDocument.feature")
            uri = _text(at, document.get("uri"), "gherkinDocument.uri")
            documents[uri] = _text(at, feature.get("name"), "feature.name")
            _index(at, uri, _objects(at, feature.get("children"), "feature.children"), None, nodes)
        elif "pickle" in envelope:
            body = _object(at, envelope["pickle"], "pickle")
            pickles[_id(at, body.get("id"), "pickle.id")] = _Pickle(
                _text(at, body.get("uri"), "pickle.uri") or None,
                _text(at, body.get("name"), "pickle.name"),
                tuple(_id(at, i, "pickle.astNodeIds")
                      for i in _list(at, body.get("astNodeIds"), "pickle.astNodeIds")),
                tuple(_text(at, t.get("name"), "pickle.tags.name").removeprefix("@")
                      for t in _objects(at, body.get("tags"), "pickle.tags")),
            )
        elif "testCase" in envelope:
            case = _object(at, envelope["testCase"], "testCase")
            pickle_id = _id(at, case.get("pickleId"), "testCase.pickleId")
            test_cases[_id(at, case.get("id"), "testCase.id")] = (pickle_id, number)
        elif "testCaseStarted" in envelope:
            event = _object(at, envelope["testCaseStarted"], "testCaseStarted")
            started_id = _id(at, event.get("id"), "testCaseStarted.id")
            attempts[started_id] = _Attempt(_id(at, event.get("testCaseId"), "testCaseStarted.testCaseId"), number)
            order.append(started_id)
        elif "testStepFinished" in envelope:
            event = _object(at, envelope["testStepFinished"], "testStepFinished")
            attempt = attempts.get(_id(at, event.get("testCaseStartedId"), "testStepFinished.testCaseStartedId"))
            if attempt is None:
                raise report_error(path, number, "testStepFinished names a testCaseStarted that did not come before "
                                                 "it; the stream is truncated or out of order")
            _step(at, _object(at, event.get("testStepResult"), "testStepFinished.testStepResult"), attempt)
        elif "testCaseFinished" in envelope:
            event = _object(at, envelope["testCaseFinished"], "testCaseFinished")
            attempt = attempts.get(_id(at, event.get("testCaseStartedId"), "testCaseFinished.testCaseStartedId"))
            if attempt is not None:
                attempt.retried = _flag(at, event.get("willBeRetried"), "testCaseFinished.willBeRetried")
                attempt.finished = True
        elif "testRunStarted" in envelope:
            started = _timestamp(at, _object(at, envelope["testRunStarted"], "testRunStarted").get("timestamp"))
        elif "testRunHookFinished" in envelope:
            result = _object(at, _object(at, envelope["testRunHookFinished"], "testRunHookFinished").get("result"),
                             "testRunHookFinished.result")
            if failure is None and _text(at, result.get("status"), "testRunHookFinished.result.status") == "FAILED":
                failure = _failure(at, result, "testRunHookFinished.result") or "a hook of the run failed"
        elif "testRunFinished" in envelope:
            run_finished = True
            event = _object(at, envelope["testRunFinished"], "testRunFinished")
            finished = _timestamp(at, event.get("timestamp"))
            # ``success`` is false whenever a test failed too: only a message or an exception says the run failed.
            failure = failure or _failure(at, event, "testRunFinished")
    if not envelopes:  # as auto-detection refuses it: an empty file is no report of any format
        raise report_error(path, 1, "empty report: no Cucumber messages in the file; nothing was imported from this "
                                    "file")
    if not known:
        raise report_error(path, first, "not a Cucumber Messages stream: no line is a Cucumber message (meta, "
                                        f"gherkinDocument, pickle, testCase, ...); pass {option('--format')} to "
                                        "pick another format; nothing was imported from this file")

    # A stream cut off in the middle of a scenario (the run killed: a CI job's timeout, a hung step) holds its steps
    # up to there, all passed perhaps: the scenario never finished, so it did not pass.
    unfinished = [attempt for attempt in attempts.values() if not attempt.finished]
    for attempt in unfinished:
        attempt.statuses.append("error")
        attempt.message = attempt.message or "the run stopped before this scenario finished (no testCaseFinished)"
    shown = False  # whether a result shows the failure: the scenarios the cut left unfinished, as errors
    if not run_finished and failure is None:
        where = f", in the middle of line {cut}" if cut else ""
        errors = f"; {len(unfinished)} unfinished scenario(s) recorded as errors" if unfinished else ""
        failure = f"the stream ends before its testRunFinished{where}: the run was cut off{errors}"
        shown = bool(errors)

    # Per test case: the final attempt, how many attempts failed before it, and the last failure's message.
    finals: dict[str, _Attempt] = {}
    failed_before: dict[str, int] = {}
    failures: dict[str, str | None] = {}
    for started_id in order:
        attempt = attempts[started_id]
        _joined(path, attempt, test_cases, pickles)
        previous = finals.get(attempt.test_case)
        if previous is not None and skipped_after_a_run(worst(attempt.statuses), worst(previous.statuses)):
            continue  # a retry a Before hook skipped: no execution, so the attempt that ran (failed) decides
        if previous is not None and worst(previous.statuses) in ("failed", "error"):
            failed_before[attempt.test_case] = failed_before.get(attempt.test_case, 0) + 1
            failures[attempt.test_case] = previous.message
        finals[attempt.test_case] = attempt
    shared = _lines_by_label(nodes)
    cases: list[CaseResult] = []
    local_ids: list[str] = []
    seen: set[str] = set()
    for case_id, attempt in finals.items():
        pickle = pickles[test_cases[case_id][0]]  # both there: _joined
        ast = pickle.ast
        scenario = nodes.get(ast[0]) if ast else None
        row = nodes.get(ast[-1]) if len(ast) > 1 else None
        node = row or scenario
        suffix = f" #{row.row}" if row and row.row else ""
        # The uri as normalize_path reads it: cucumber-jvm's file:/classpath: forms are the same test case.
        ident, local = _ident(feature_id(pickle.uri), (scenario.name if scenario else pickle.name) + suffix,
                              node, shared, seen)
        seen.add(ident)
        local_ids.append(local)
        cases.append(
            CaseResult(
                external_id=ident,
                name=pickle.name + suffix,
                status=worst(attempt.statuses),
                duration=finite(attempt.duration),  # a step of 1e400 seconds: unknown
                message=_message(attempt, failures.get(case_id)),
                feature_uri=pickle.uri,
                feature_name=documents.get(pickle.uri or ""),
                scenario_name=scenario.name if scenario else pickle.name,
                line=node.line if node else None,
                tags=pickle.tags,
                failed_attempts=failed_before.get(case_id, 0),
            )
        )
    # A time after the import's own (beyond a day of clock skew) is unknown, as one past the calendar is.
    return Report(path=path, format="cucumber-messages", digest=digest(data), cases=tuple(cases),
                  started_at=plausible(started), finished_at=plausible(finished), local_ids=tuple(local_ids),
                  failure=failure, failure_shown=shown)


def _message(final: _Attempt, failure: str | None) -> str | None:
    """The final attempt's message; a pass without one takes the last failed attempt's (why the test is flaky), as
    a pass after a failure in a later file of the import or after Surefire's ``flakyFailure`` does."""
    if final.message is None and worst(final.statuses) == "passed":
        return failure
    return final.message


def _failure(at: _At, body: dict[str, Any], what: str) -> str | None:
    """The first line of a failure's ``message``, else of its ``exception``'s (None without either)."""
    exception = _object(at, body.get("exception"), f"{what}.exception")
    text = _text(at, body.get("message"), f"{what}.message") or _text(at, exception.get("message"),
                                                                        f"{what}.exception.message")
    return text.strip().splitlines()[0] if text.strip() else None


def _joined(
    path: str, attempt: _Attempt, test_cases: dict[str, tuple[str, int]], pickles: dict[str, _Pickle],
) -> None:
    """The ``ParseError`` of an attempt whose testCase, or that testCase's pickle, is nowhere in the stream (a
    truncated or spliced file): its result could name no test, as a testStepFinished without its testCaseStarted
    could name no attempt."""
    case = test_cases.get(attempt.test_case)
    if case is None:
        raise report_error(path, attempt.line, "testCaseStarted names a testCase that is not in the stream; the "
                                               "stream is truncated or spliced")
    if case[0] not in pickles:
        raise report_error(path, case[1], "testCase names a pickle that is not in the stream; the stream is "
                                          "truncated or spliced")


def _lines_by_label(nodes: dict[str, _Node]) -> dict[tuple[str, str], list[int]]:
    """The lines of the scenarios and rows of each file by their label: a label on several lines is shared."""
    lines: dict[tuple[str, str], list[int]] = {}
    for node in nodes.values():
        if node.leaf:
            lines.setdefault((node.uri, node.label), []).append(node.line)
    return lines


def _ident(
    path: str | None, label: str, node: _Node | None, shared: dict[tuple[str, str], list[int]], seen: set[str],
) -> tuple[str, str]:
    """A test case's external id (``<path>::<label>``), told apart from the others of its file with the same name
    (two scenarios with one name, rows of two outlines with one name): the first in the file keeps it, the others
    add their line. Read from the gherkinDocument, which has every scenario, so a scenario's id does not depend on
    which others ran (a run of the second alone must not record it as the first's test case). Without a document to
    tell, or for a scenario run as two test cases, the order they are reported in does. Returns (the external id,
    the id within its file: ``Report.local_ids``)."""
    ident, local = external_id(path, label), label
    if node is not None and node.line != min(shared.get((node.uri, node.label), [node.line])):
        ident, local = external_id(ident, str(node.line)), external_id(local, str(node.line))
    base, within, count = ident, local, 1
    while ident in seen:
        count += 1
        ident, local = external_id(base, f"#{count}"), external_id(within, f"#{count}")
    return ident, local


def _step(at: _At, result: dict[str, Any], attempt: _Attempt) -> None:
    """One testStepResult into its attempt."""
    status = _STATUS.get(_text(at, result.get("status"), "testStepResult.status") or "UNKNOWN", "failed")
    attempt.statuses.append(status)
    seconds = _seconds(at, result.get("duration"), "testStepResult.duration")
    attempt.duration += seconds if seconds >= 0 else math.nan  # a negative step: the duration is unknown (finite)
    if attempt.message is None and status != "passed":
        exception = _object(at, result.get("exception"), "testStepResult.exception")
        attempt.message = first_line(_text(at, result.get("message"), "testStepResult.message")
                                     or _text(at, exception.get("message"), "testStepResult.exception.message"))


def _envelope(path: str, number: int, raw: bytes, whole: bytes | None = None) -> dict[str, Any]:
    """The envelope on one line. ``whole`` is the file, given for its first line: when that line is no JSON but
    the file is one JSON document (a pretty-printed ``package.json``, mocha's or RSpec's JSON report, all starting
    with ``{``), the file is no Cucumber Messages stream, rather than a stream broken at its first line."""
    try:
        envelope = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        if whole is not None and _one_document(whole):
            raise report_error(path, number, "not a Cucumber Messages stream: the file is one JSON document over "
                                             f"several lines, not one message per line; pass {option('--format')} "
                                             "to pick another format; nothing was imported from this file") from None
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "not valid UTF-8"
        column = exc.colno if isinstance(exc, json.JSONDecodeError) else 0
        raise report_error(path, number, f"malformed message: {detail}; nothing was imported from this file",
                           column) from None
    except RecursionError:
        message = "message nested too deeply; this is not a Cucumber Messages stream"
        raise report_error(path, number, message) from None
    except ValueError as exc:  # not a JSONDecodeError: an integer of more digits than Python converts
        raise report_error(path, number, f"malformed message: {exc}; nothing was imported from this file") from None
    if not isinstance(envelope, dict):
        raise report_error(path, number, "not a Cucumber message envelope (expected one JSON object per line)")
    return envelope


# What opens or closes a JSON value or string, or escapes within a string.
_JSON_MARKS = re.compile(rb'[\\"{}\[\]]')


def _cut_short(data: bytes, lines: list[bytes]) -> int:
    """The number of the last line when its writer stopped in the middle of it, else 0: no line break after it,
    and an object or list opened on it that never closes. A runner killed while it wrote leaves such a line (a CI
    job's timeout; a buffered writer flushes where its buffer fills, not at a line's end, and a long line takes
    several writes) — the stream cut off there, as one killed between two lines, not a malformed stream refused
    whole. A line that is the file's first envelope, that ends in a line break, or whose brackets close is no cut:
    malformed, as before."""
    if not lines or data.endswith((b"\n", b"\r")) or not any(line.strip() for line in lines[:-1]):
        return 0
    depth, quoted, escaped = 0, False, -1
    last = lines[-1]
    for mark in _JSON_MARKS.finditer(last):
        at, char = mark.start(), last[mark.start()]
        if at == escaped:
            continue
        if quoted:
            escaped = at + 1 if char == 0x5C else escaped
            quoted = char != 0x22
        elif char == 0x22:
            quoted = True
        elif char in b"{[":
            depth += 1
        elif char in b"}]":
            depth -= 1
    return len(lines) if depth > 0 else 0


def _one_document(data: bytes) -> bool:
    """Whether the bytes are one JSON document."""
    try:
        json.loads(data)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return False
    return True


def _index(at: _At, uri: str, children: list[dict[str, Any]], rule: str | None, nodes: dict[str, _Node]) -> None:
    for child in children:
        if "rule" in child:
            node = _object(at, child["rule"], "rule")
            rule_name = _text(at, node.get("name"), "rule.name")
            _index(at, uri, _objects(at, node.get("children"), "rule.children"), rule_name, nodes)
        scenario = _object(at, child.get("scenario"), "scenario")
        if not scenario:
            continue
        name = _text(at, scenario.get("name"), "scenario.name")
        outline = _Node(name, _loc(at, scenario), uri, rule)
        nodes[_id(at, scenario.get("id"), "scenario.id")] = outline
        for i, examples in enumerate(_objects(at, scenario.get("examples"), "scenario.examples"), start=1):
            for j, row in enumerate(_objects(at, examples.get("tableBody"), "examples.tableBody"), start=1):
                row_id = _id(at, row.get("id"), "examples.tableBody.id")
                nodes[row_id] = _Node(name, _loc(at, row), uri, rule, f"{i}.{j}")
                outline.leaf = False


def _loc(at: _At, node: dict[str, Any]) -> int:
    line = _object(at, node.get("location"), "location").get("line")
    if line is None:
        return 0
    if isinstance(line, bool) or not isinstance(line, int):
        raise _malformed(at, "location.line must be a whole number")
    return line


def _seconds(at: _At, value: Any, what: str) -> float:
    """A Duration (or a Timestamp's offset) in seconds: ``seconds`` and ``nanos``, each absent, a number, or a
    number as text (the protobuf JSON of an int64). Infinite when too large for a float (then ``finite`` drops it)."""
    if value is None:
        return 0.0
    duration = _object(at, value, what)
    return _number(at, duration.get("seconds"), what) + _number(at, duration.get("nanos"), what) / 1e9


def _number(at: _At, value: Any, what: str) -> float:
    if value is None:
        return 0.0
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # an integer beyond any float
            return math.inf
        except ValueError:
            pass
    raise _malformed(at, f"{what} must hold numbers")


def _timestamp(at: _At, value: Any) -> dt.datetime | None:
    """A Timestamp; None when absent, or outside the calendar (then the run's time is unknown)."""
    if value is None or "seconds" not in _object(at, value, "timestamp"):
        return None
    try:
        return dt.datetime.fromtimestamp(_seconds(at, value, "timestamp"), tz=dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _object(at: _At, value: Any, what: str) -> dict[str, Any]:
    """``value``, a JSON object (absent: empty), or the ``ParseError`` of its envelope."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _malformed(at, f"{what} must be an object")
    return value


def _list(at: _At, value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _malformed(at, f"{what} must be a list")
    return value


def _objects(at: _At, value: Any, what: str) -> list[dict[str, Any]]:
    items = _list(at, value, what)
    if not all(isinstance(item, dict) for item in items):
        raise _malformed(at, f"{what} must be a list of objects")
    return items


def _text(at: _At, value: Any, what: str) -> str:
    """A text field ("" when absent), or the ``ParseError`` of its envelope: read as "" or as ``str(123)``, a
    number would give a test case another name, a result another status. A name, uri or tag over
    ``MAX_NAME_CHARS`` is refused (a failure's message, only its first line kept, is not)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _malformed(at, f"{what} must be text")
    if len(value) > MAX_NAME_CHARS and not what.endswith(".message"):
        path, number = at
        raise report_error(path, number, f"{what} is {len(value)} characters long, over the limit of "
                                         f"{MAX_NAME_CHARS} (a fixed limit); shorten it where the report is written; "
                                         "nothing was imported from this file")
    return clean_text(value)


def _id(at: _At, value: Any, what: str) -> str:
    """An id (the protocol's ids are text), or the ``ParseError`` of its envelope: ``1`` and ``"1"`` must not be
    two ids, nor ``str(1)`` join what the writer did not. An absent id stays as it always read ("None")."""
    if value is None or isinstance(value, str):
        return str(value)
    raise _malformed(at, f"{what} must be text")


def _flag(at: _At, value: Any, what: str) -> bool:
    """A boolean field (absent: false), or the ``ParseError`` of its envelope (``"false"`` is no false)."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _malformed(at, f"{what} must be true or false")
    return value


def _malformed(at: _At, detail: str) -> Exception:
    path, number = at
    return report_error(path, number, f"malformed message: {detail}; nothing was imported from this file")
