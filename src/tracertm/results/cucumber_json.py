"""Cucumber JSON (the legacy ``--format json`` of cucumber-jvm, cucumber-js, the Go json-formatter, pytest-bdd's
``--cucumberjson``): features → elements → steps with ``result.status`` and durations in nanoseconds.

Layouts differ between writers and are all accepted: the Go formatter emits a separate ``type: background`` element
before each scenario (its steps count towards that scenario), cucumber-js folds background steps into the scenario
and adds hooks as hidden steps; outline rows carry the example row's line (pytest-bdd: the outline's line, with the
row's values in the id, ``test_add_several[2-3]``). Elements that share an id (runners build it from names) are
told apart by their line (``_distinct``). Durations that are no finite number, or negative, are unknown.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

from tracertm.results.report import (
    CaseResult, Report, clean_text, digest, external_id, feature_id, finite, first_line, report_error, worst,
)

__all__ = ["parse", "load_json"]

_STATUS = {
    "passed": "passed",
    "failed": "failed",
    "skipped": "skipped",
    "pending": "pending",
    "undefined": "undefined",
    "ambiguous": "failed",
    "unknown": "skipped",
}


def load_json(path: str, data: bytes) -> Any:
    """Decode JSON, or raise ``ParseError`` naming the file, line and column of the first error."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise report_error(path, line, "not valid UTF-8; save the report as UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise report_error(path, exc.lineno, f"malformed JSON: {exc.msg}; nothing was imported from this file",
                           exc.colno) from None
    except RecursionError:
        raise report_error(path, 1, "JSON nested too deeply; this is not a Cucumber report") from None
    except ValueError as exc:  # not a JSONDecodeError: an integer of more digits than Python converts
        raise report_error(path, 1, f"malformed JSON: {exc}; nothing was imported from this file") from None


class _Misshapen(Exception):
    """A field of the wrong type: where it is in the document (list indexes and object keys), and why."""

    def __init__(self, where: tuple[int | str, ...], message: str) -> None:
        super().__init__(message)
        self.where = where


def parse(path: str, data: bytes) -> Report:
    """Parse one Cucumber JSON file, or raise ``ParseError``."""
    document = load_json(path, data)
    if not isinstance(document, list):
        raise report_error(path, 1, "not a Cucumber JSON report: expected a list of features at the top level; "
                                    "pass --format to pick another format")
    try:
        cases = _cases(document)
    except _Misshapen as exc:  # the report's own line of the field (the elements' "line" is the feature file's)
        raise report_error(path, json_line(data.decode("utf-8-sig"), exc.where), str(exc)) from None
    return Report(path=path, format="cucumber-json", digest=digest(data), cases=tuple(_distinct(cases)))


def _cases(document: list[Any]) -> list[CaseResult]:
    cases: list[CaseResult] = []
    for index, feature in enumerate(document):
        where = f"feature #{index + 1}"
        if not isinstance(feature, dict):
            raise _Misshapen((index,), f"{where} is not an object; this is not a Cucumber JSON report")
        uri = _text(feature.get("uri")) or None
        feature_name = _text(feature.get("name"))
        pending_background: list[dict[str, Any]] = []
        elements = feature.get("elements") or []
        if not isinstance(elements, list):
            raise _Misshapen((index, "elements"), f"{where}: 'elements' must be a list")
        for position, element in enumerate(elements):
            if not isinstance(element, dict):
                raise _Misshapen((index, "elements", position), f"{where}: every element must be an object")
            try:
                steps = _steps(element)
                if element.get("type") == "background":
                    pending_background = steps  # Go formatter: belongs to the scenario that follows
                    continue
                steps, pending_background = pending_background + steps, []
                cases.append(_case(uri, feature_name, element, steps))
            except _Misshapen as exc:
                raise _Misshapen((index, "elements", position, *exc.where), str(exc)) from None
    return cases


def json_line(text: str, where: tuple[int | str, ...]) -> int:
    """The line of the value at ``where`` (list indexes, object keys) in the JSON ``text``, as far as it can be
    followed (the last of a repeated key is the one ``json`` keeps: the first is taken here)."""
    decoder = json.JSONDecoder()
    pos = _space(text, 0)
    try:
        for key in where:
            opening, closing = ("[", "]") if isinstance(key, int) else ("{", "}")
            if text[pos] != opening:
                break
            pos = _space(text, pos + 1)
            count = 0
            while text[pos] != closing:
                if isinstance(key, str):
                    name, pos = decoder.raw_decode(text, pos)
                    pos = _space(text, _space(text, pos) + 1)  # past the colon
                    if name == key:
                        break
                elif count == key:
                    break
                _value, pos = decoder.raw_decode(text, pos)
                pos = _space(text, pos)
                if text[pos] == ",":
                    pos = _space(text, pos + 1)
                count += 1
            else:
                break
    except (ValueError, IndexError):  # not followable: the line reached so far
        pass
    return text.count("\n", 0, pos) + 1


def _space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n\r":
        pos += 1
    return pos


def _distinct(cases: list[CaseResult]) -> list[CaseResult]:
    """Each scenario its own test case. Runners build an element's ``id`` from names: two scenarios of a feature
    with the same name share ``feature;same-name``, the rows of two unnamed Examples blocks ``feature;outline;;2``.
    Of the elements sharing an id on different lines, the first in the file keeps it and the others add their
    line (stable, unlike their order: the same scenario gets the same id in every run that has both). The same id
    on the same line is the same scenario reported again (a rerun): the import keeps its last report, its earlier
    failures as failed attempts (``report.last_reports``)."""
    lines: dict[str, set[int | None]] = {}
    for case in cases:
        lines.setdefault(case.external_id, set()).add(case.line)
    out: list[CaseResult] = []
    for case in cases:
        shared = lines[case.external_id]
        if len(shared) > 1 and case.line != min(shared, key=lambda line: line or 0):
            case = replace(case, external_id=external_id(case.external_id, str(case.line)))
        out.append(case)
    return out


def _steps(element: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in ("before", "steps", "after"):
        items = element.get(key) or []
        if not isinstance(items, list) or not all(isinstance(s, dict) for s in items):
            raise _Misshapen((key,), f"element '{_text(element.get('name'))}': '{key}' must be a list of objects")
        out.extend(items)
    return out


def _case(uri: str | None, feature_name: str, element: dict[str, Any], steps: list[dict[str, Any]]) -> CaseResult:
    statuses: list[str] = []
    duration = 0.0
    timed = False
    message: str | None = None
    for step in steps:
        raw = step.get("result")
        result: dict[str, Any] = raw if isinstance(raw, dict) else {}
        status = _STATUS.get(_text(result.get("status")).lower(), "failed" if result.get("status") else "skipped")
        statuses.append(status)
        if isinstance(result.get("duration"), (int, float)):
            duration += _nanoseconds(result["duration"]) / 1e9
            timed = True
        if message is None and status != "passed":
            message = first_line(_text(result.get("error_message")))
    name = _text(element.get("name"))
    ident = _text(element.get("id")) or f"{name}:{_line(element)}"
    tags = element.get("tags") or []
    if not isinstance(tags, list):
        raise _Misshapen(("tags",), f"element '{name}': 'tags' must be a list of objects")
    return CaseResult(
        external_id=external_id(feature_id(uri), ident),  # cucumber-jvm's file:/classpath: forms: one test case
        name=ident if "[" in ident else name,  # pytest-bdd keeps the row's values in the id
        status=worst(statuses),
        duration=finite(duration) if timed else None,  # 1e400 is infinite, a negative step NaN: unknown
        message=message,
        feature_uri=uri,
        feature_name=feature_name,
        scenario_name=name,
        line=_line(element) or None,
        tags=tuple(_text(t.get("name")).removeprefix("@") for t in tags if isinstance(t, dict)),
    )


def _nanoseconds(value: float) -> float:
    """A step's duration as a float; an integer too large for one is infinite, a negative one NaN: either makes the
    scenario's duration unknown (``finite``)."""
    try:
        nanoseconds = float(value)
    except OverflowError:
        return math.inf
    return nanoseconds if nanoseconds >= 0 else math.nan


def _text(value: Any) -> str:
    return clean_text(value) if isinstance(value, str) else ""


def _line(node: dict[str, Any]) -> int:
    line = node.get("line")
    return line if isinstance(line, int) and line > 0 else 0
