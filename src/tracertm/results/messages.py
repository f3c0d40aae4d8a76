"""Cucumber Messages (NDJSON, ``--format message``): one JSON envelope per line.

A result is joined to its scenario through testStepFinished → testCaseStarted → testCase → pickle → the
pickle's ``astNodeIds`` (the scenario, and for outline rows the example row) in the gherkinDocument. Retries are
attempts of one test case: the outcome is the last attempt's (``willBeRetried`` false), earlier failures count as
failed attempts, so a scenario that passed on retry is recorded as flaky.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from tracertm.results.report import CaseResult, Report, digest, external_id, first_line, report_error, worst

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


@dataclass
class _Node:
    """A scenario or an example row of a gherkinDocument."""

    name: str
    line: int
    rule: str | None = None
    row: str | None = None  # "<examples>.<row>", 1-based


@dataclass
class _Attempt:
    test_case: str
    statuses: list[str] = field(default_factory=list)
    duration: float = 0.0
    message: str | None = None
    retried: bool = False


def parse(path: str, data: bytes) -> Report:
    """Parse one Messages NDJSON file, or raise ``ParseError`` naming the file and line."""
    nodes: dict[str, _Node] = {}
    documents: dict[str, str] = {}  # uri → feature name
    pickles: dict[str, dict[str, Any]] = {}
    test_cases: dict[str, str] = {}  # testCase id → pickle id
    attempts: dict[str, _Attempt] = {}  # testCaseStarted id → attempt
    order: list[str] = []
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        envelope = _envelope(path, number, raw)
        if "gherkinDocument" in envelope:
            document = envelope["gherkinDocument"]
            feature = document.get("feature") or {}
            documents[str(document.get("uri", ""))] = str(feature.get("name", ""))
            _index(feature.get("children") or [], None, nodes)
        elif "pickle" in envelope:
            pickle = envelope["pickle"]
            pickles[str(pickle.get("id"))] = pickle
        elif "testCase" in envelope:
            case = envelope["testCase"]
            test_cases[str(case.get("id"))] = str(case.get("pickleId"))
        elif "testCaseStarted" in envelope:
            event = envelope["testCaseStarted"]
            attempts[str(event.get("id"))] = _Attempt(str(event.get("testCaseId")))
            order.append(str(event.get("id")))
        elif "testStepFinished" in envelope:
            event = envelope["testStepFinished"]
            attempt = attempts.get(str(event.get("testCaseStartedId")))
            if attempt is None:
                raise report_error(path, number, "testStepFinished names a testCaseStarted that did not come before "
                                                 "it; the stream is truncated or out of order")
            result = event.get("testStepResult") or {}
            status = _STATUS.get(str(result.get("status", "UNKNOWN")), "failed")
            attempt.statuses.append(status)
            attempt.duration += _duration(result.get("duration"))
            if attempt.message is None and status != "passed":
                attempt.message = first_line(result.get("message") or (result.get("exception") or {}).get("message"))
        elif "testCaseFinished" in envelope:
            event = envelope["testCaseFinished"]
            attempt = attempts.get(str(event.get("testCaseStartedId")))
            if attempt is not None:
                attempt.retried = bool(event.get("willBeRetried"))
        elif "testRunStarted" in envelope:
            started = _timestamp(envelope["testRunStarted"].get("timestamp"))
        elif "testRunFinished" in envelope:
            finished = _timestamp(envelope["testRunFinished"].get("timestamp"))

    # Per test case: the final attempt, and how many attempts failed before it.
    finals: dict[str, _Attempt] = {}
    failed_before: dict[str, int] = {}
    for started_id in order:
        attempt = attempts[started_id]
        previous = finals.get(attempt.test_case)
        if previous is not None and worst(previous.statuses) in ("failed", "error"):
            failed_before[attempt.test_case] = failed_before.get(attempt.test_case, 0) + 1
        finals[attempt.test_case] = attempt
    cases: list[CaseResult] = []
    seen: set[str] = set()
    for case_id, attempt in finals.items():
        pickle = pickles.get(test_cases.get(case_id, ""), {})
        uri = str(pickle.get("uri", "")) or None
        ast = [str(i) for i in pickle.get("astNodeIds") or []]
        scenario = nodes.get(ast[0]) if ast else None
        row = nodes.get(ast[-1]) if len(ast) > 1 else None
        name = str(pickle.get("name", ""))
        node = row or scenario
        ident = external_id(uri, (scenario.name if scenario else name) + (f" #{row.row}" if row and row.row else ""))
        if ident in seen:  # two scenarios of one file with the same name
            ident = external_id(ident, str(node.line if node else len(seen)))
        seen.add(ident)
        tags = tuple(str(t.get("name", "")).removeprefix("@") for t in pickle.get("tags") or [])
        cases.append(
            CaseResult(
                external_id=ident,
                name=name + (f" #{row.row}" if row and row.row else ""),
                status=worst(attempt.statuses),
                duration=attempt.duration,
                message=attempt.message,
                feature_uri=uri,
                feature_name=documents.get(uri or ""),
                scenario_name=scenario.name if scenario else name,
                line=node.line if node else None,
                tags=tags,
                failed_attempts=failed_before.get(case_id, 0),
            )
        )
    return Report(path=path, format="cucumber-messages", digest=digest(data), cases=tuple(cases),
                  started_at=started, finished_at=finished)


def _envelope(path: str, number: int, raw: bytes) -> dict[str, Any]:
    try:
        envelope = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "not valid UTF-8"
        column = exc.colno if isinstance(exc, json.JSONDecodeError) else 0
        raise report_error(path, number, f"malformed message: {detail}; nothing was imported from this file",
                           column) from None
    except RecursionError:
        message = "message nested too deeply; this is not a Cucumber Messages stream"
        raise report_error(path, number, message) from None
    if not isinstance(envelope, dict):
        raise report_error(path, number, "not a Cucumber message envelope (expected one JSON object per line)")
    return envelope


def _index(children: list[Any], rule: str | None, nodes: dict[str, _Node]) -> None:
    for child in children:
        if not isinstance(child, dict):
            continue
        if "rule" in child:
            _index(child["rule"].get("children") or [], child["rule"].get("name"), nodes)
        scenario = child.get("scenario")
        if not scenario:
            continue
        name = str(scenario.get("name", ""))
        nodes[str(scenario.get("id"))] = _Node(name, _loc(scenario), rule)
        for i, examples in enumerate(scenario.get("examples") or [], start=1):
            for j, row in enumerate(examples.get("tableBody") or [], start=1):
                nodes[str(row.get("id"))] = _Node(name, _loc(row), rule, f"{i}.{j}")


def _loc(node: dict[str, Any]) -> int:
    line = (node.get("location") or {}).get("line")
    return line if isinstance(line, int) else 0


def _duration(value: Any) -> float:
    if not isinstance(value, dict):
        return 0.0
    return float(value.get("seconds", 0) or 0) + float(value.get("nanos", 0) or 0) / 1e9


def _timestamp(value: Any) -> dt.datetime | None:
    if not isinstance(value, dict) or "seconds" not in value:
        return None
    return dt.datetime.fromtimestamp(_duration(value), tz=dt.timezone.utc)
