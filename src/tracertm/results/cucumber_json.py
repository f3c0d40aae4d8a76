"""Cucumber JSON (the legacy ``--format json`` of cucumber-jvm, cucumber-js, the Go json-formatter, pytest-bdd's
``--cucumberjson``): features → elements → steps with ``result.status`` and durations in nanoseconds.

Layouts differ between writers and are all accepted: the Go formatter emits a separate ``type: background`` element
before each scenario (its steps count towards that scenario), cucumber-js folds background steps into the scenario
and adds hooks as hidden steps; outline rows carry the example row's line (pytest-bdd: the outline's line, with the
row's values in the id, ``test_add_several[2-3]``; cucumber-js 7 and later: the outline's line, the row's values in
the steps). Elements that share an id (runners build it from names) are told apart by their line, and on one line
by their steps (``_distinct``). Durations that are no finite number, or negative, are unknown.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from tracertm.errors import ParseError
from tracertm.results.json_walk import Cursor
from tracertm.results.options import option
from tracertm.results.report import (
    MAX_NAME_CHARS, CaseResult, Report, clean_text, clip, digest, external_id, feature_id, failure_line, finite,
    report_error, worst,
)
from tracertm.text import place

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
    text = _decode(path, data)
    with _json_errors(path, text):
        return json.loads(text)
    raise AssertionError("unreachable")  # pragma: no cover  (mypy: the context manager may swallow)


def _decode(path: str, data: bytes) -> str:
    """The report's text, or ``ParseError`` at the line of the first byte that is no UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        from tracertm.parsers.common import byte_position

        bom = len(data) - len(exc.object)  # "utf-8-sig" counts from after a BOM
        line = byte_position(data, bom, bom + exc.start)[0]
        raise report_error(path, line, "not valid UTF-8; save the report as UTF-8") from None


@contextmanager
def _json_errors(path: str, text: str) -> Iterator[None]:
    """What decoding ``text`` raises, as ``ParseError``: the file, line and column of the first error."""
    # Positions are the file's as editors count them (``text.place``): LF, CRLF and CR end a line, where ``json``'s
    # own ``lineno`` and ``colno`` count LF alone.
    try:
        yield
    except json.JSONDecodeError as exc:
        line, column = place(text, exc.pos)
        raise report_error(path, line, f"malformed JSON: {exc.msg}; nothing was imported from this file",
                           column) from None
    except RecursionError:
        raise report_error(path, 1, "JSON nested too deeply; this is not a Cucumber report") from None
    except ValueError:  # not a JSONDecodeError: an integer of more digits than Python converts (4300)
        import re

        found = re.search(r"\d{4301,}", text)
        line, column = (1, 0) if found is None else place(text, found.start())
        raise report_error(path, line, "a number of more than 4,300 digits; this is not a Cucumber report, nothing "
                                       "was imported from this file", column) from None


class _Misshapen(Exception):
    """A field of the wrong type: where it is in the document (list indexes and object keys), why, and what holds
    it (``feature #1``, ``element 'Add'``, ``step 2``: added by each level as the error passes it, so that no label
    is made unless an error needs it)."""

    def __init__(self, where: tuple[int | str, ...], message: str, context: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.where, self.message, self.context = where, message, context

    def within(self, where: tuple[int | str, ...], *context: str) -> _Misshapen:
        """The same error, seen from the node that holds the one it was found in."""
        return _Misshapen((*where, *self.where), self.message, (*context, *self.context))

    def __str__(self) -> str:
        return ", ".join(self.context) + ": " + self.message if self.context else self.message


# What a reader of the error does about it: every field of the wrong type ends the import of the file.
_FIX = "fix or regenerate the report; nothing was imported from this file"


def parse(path: str, data: bytes) -> Report:
    """Parse one Cucumber JSON file, or raise ``ParseError``.

    Every field the import reads is checked for its JSON type: text (a feature's ``uri`` and ``name``, an
    element's ``id``, ``name`` and ``type``, a tag's ``name``, a result's ``status`` and ``error_message``), a whole
    number (an element's ``line``), a number (a result's ``duration``), an object (a step's ``result``), a list
    (``elements``, ``tags``, ``before``/``steps``/``after``). A wrong one (``"name": 123``, ``"line": "x"``) is
    refused at its line in the report: read as text or left out, it would give the test case another id, or its
    scenario another result (``null`` is an absent field). Fields it does not read (``keyword``, ``description``, a
    step's ``name``) are not checked.

    The document is read one element at a time (``json_walk``), never whole: what the parse holds is the text, the
    scenarios' results and one element (a scenario with all its steps). Its verdict is the whole document's, as
    ``json.loads`` then a check of the decoded document gave it: malformed JSON anywhere in the file is reported
    before a field of the wrong type earlier in it."""
    text = _decode(path, data)
    cursor = Cursor(text)
    cursor.space()
    if cursor.peek() != "[":
        # No list (an object, a second BOM, no JSON): json.loads's verdict on the whole text, as it always was.
        with _json_errors(path, text):
            json.loads(text)
        raise report_error(path, 1, "not a Cucumber JSON report: expected a list of features at the top level; "
                                    f"pass {option('--format')} to pick another format")
    reader = _Reader(path)
    with _json_errors(path, text):
        for index in cursor.items():
            reader.feature(cursor, index)
        cursor.end()
    if isinstance(reader.error, _Misshapen):  # at the report's own line of the field (not an element's "line")
        raise report_error(path, json_line(text, reader.error.where), f"{reader.error}; {_FIX}") from None
    if reader.error is not None:
        raise reader.error
    distinct = _distinct(reader.cases, text)
    return Report(path=path, format="cucumber-json", digest=digest(data), cases=tuple(c for c, _ in distinct),
                  local_ids=tuple(local for _, local in distinct))


# What every Cucumber JSON writer puts in a feature (the Go formatter leaves out ``elements`` when there are none).
_FEATURE_KEYS = frozenset({"uri", "id", "keyword", "name", "elements"})
_BEHAVE = ("this is behave's own JSON format (behave -f json), not Cucumber JSON; import behave's JUnit XML instead "
           "(behave --junit), or write the report with a Cucumber-compatible JSON formatter; nothing was imported "
           "from this file")
# The keys of a feature the reader looks at: the others' values are decoded (to find malformed JSON) and dropped.
_READ_KEYS = frozenset({*_FEATURE_KEYS, "location"})

# A scenario as its element gives it, before its feature's uri and name are known (the uri may follow the
# elements: cucumber-jvm writes it last): its id, name, outcome, duration, message, line and tags.
_Scenario = tuple[str, str, str, "float | None", "str | None", int, tuple[str, ...]]


class _Reader:
    """The features of one report, read as the cursor reaches them: each scenario's result, its id within the
    file and where its element starts in the text (``_distinct`` decodes the elements again that share an id and a
    line, to compare their steps). The first error found is kept, not raised: the rest of the text is still read,
    for malformed JSON, which ``json.loads`` found first wherever it was."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.cases: list[tuple[CaseResult, str, int]] = []
        self.error: _Misshapen | ParseError | None = None

    def feature(self, cursor: Cursor, index: int) -> None:
        """Read the feature at the cursor (``index``: its place in the list)."""
        where = f"feature #{index + 1}"
        if cursor.peek() != "{":
            cursor.value()
            if self.error is None:  # no object: not a feature
                self.error = _Misshapen((index,), f"{where} is not an object; this is not a Cucumber JSON report")
            return
        fields: dict[str, Any] = {}  # the last of a repeated key, as json.loads keeps it
        scenarios: list[tuple[_Scenario, int]] = []
        failed: _Misshapen | None = None  # of the last "elements" list
        for key in cursor.members():
            if key == "elements" and cursor.peek() == "[":
                fields[key] = []
                scenarios, failed = self._elements(cursor, index, where)
            elif key in _READ_KEYS:
                fields[key] = cursor.value()
                if key == "elements":
                    scenarios, failed = [], None
            else:
                cursor.value()
        if self.error is not None:  # an earlier feature's: this one was read for malformed JSON alone
            return
        if index == 0 and "uri" not in fields and isinstance(fields.get("location"), str):
            # behave's JSON (-f json): a "location" ("path:line") and no "uri" (and plain-text tags, no ids)
            self.error = report_error(self.path, 1, _BEHAVE)
            return
        if _FEATURE_KEYS.isdisjoint(fields):  # another tool's JSON list (ESLint's): no empty run of it
            self.error = _Misshapen((index,), f"{where} has none of a Cucumber feature's fields (uri, id, keyword, "
                                              "name, elements); this is not a Cucumber JSON report")
            return
        try:
            uri = _text(fields, "uri") or None
            feature_name = _text(fields, "name")
            elements = fields.get("elements") or []
            if not isinstance(elements, list):
                raise _Misshapen(("elements",), "'elements' must be a list")
        except _Misshapen as exc:
            self.error = exc.within((index,), where)
            return
        if failed is not None:
            self.error = failed
            return
        append = self.cases.append
        scenarios.reverse()
        while scenarios:  # each scenario let go of as its result is made (a feature may hold a million)
            scenario, start = scenarios.pop()
            append((*_case(uri, feature_name, scenario), start))

    def _elements(
        self, cursor: Cursor, index: int, where: str
    ) -> tuple[list[tuple[_Scenario, int]], _Misshapen | None]:
        """The scenarios of the elements list at the cursor, each with where its element starts, or the first
        element's error (the rest are still decoded, for malformed JSON)."""
        scenarios: list[tuple[_Scenario, int]] = []
        failed: _Misshapen | None = None
        pending_background: list[_Step] = []
        for position in cursor.items():
            start = cursor.pos
            element = cursor.value()
            if failed is not None or self.error is not None:
                continue  # read for malformed JSON alone
            if not isinstance(element, dict):
                failed = _Misshapen((index, "elements", position), "every element must be an object", (where,))
                continue
            try:
                steps = _steps(element)
                if _text(element, "type") == "background":
                    pending_background = steps  # Go formatter: belongs to the scenario that follows
                    continue
                steps, pending_background = pending_background + steps, []
                scenarios.append((_scenario(element, steps), start))
            except _Misshapen as exc:
                failed = exc.within((index, "elements", position), _label(element, position, where))
        return scenarios, failed


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
    return place(text, pos)[0]


def _space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\n\r":
        pos += 1
    return pos


def _distinct(cases: list[tuple[CaseResult, str, int]], text: str) -> list[tuple[CaseResult, str]]:
    """Each scenario its own test case. Runners build an element's ``id`` from names: two scenarios of a feature
    with the same name share ``feature;same-name``, the rows of two unnamed Examples blocks ``feature;outline;;2``.
    Of the elements sharing an id on different lines, the first in the file keeps it and the others add their
    line (stable, unlike their order: the same scenario gets the same id in every run that has both).

    The same id on the same line with the same steps is the same scenario reported again (cucumber-ruby's
    ``--retry`` writes each attempt): the import keeps its last report, its earlier failures as failed attempts
    (``report.last_reports``). With other steps it is another row of an outline: cucumber-js (7 and later) writes
    every row with the outline's id and line, the row's values only in its steps; the first steps keep the id, the
    k-th other steps add ``#k`` (file order, as the rows run). Each case comes with its id within its file.

    ``cases`` holds where each element starts in ``text``: the elements that share an id and a line are decoded
    again to compare their steps (holding every element until then held the whole document). ``cases`` is
    emptied as it is read."""
    # Per id its first line, and the other lines of the few ids found on several (a set per id cost 200 bytes a
    # scenario): the lines of an id are its first one and its others.
    first: dict[str, int | None] = {}
    others: dict[str, set[int | None]] = {}
    again: set[tuple[str, int | None]] = set()  # (id, line) of more than one element: compare their steps
    for case, _local, _start in cases:
        ident, line = case.external_id, case.line
        if ident not in first:
            first[ident] = line
        elif line == first[ident] or line in others.get(ident, ()):
            again.add((ident, line))
        else:
            others.setdefault(ident, set()).add(line)
    decode = json.JSONDecoder().raw_decode
    variants: dict[tuple[str, int | None], list[tuple[Any, ...]]] = {}
    out: list[tuple[CaseResult, str]] = []
    cases.reverse()
    while cases:  # each entry let go of as its case is made: the list and ``out`` are not both held whole
        case, local, start = cases.pop()
        key = (case.external_id, case.line)
        if case.external_id in others:
            lowest = min({first[case.external_id], *others[case.external_id]}, key=lambda line: line or 0)
            if case.line != lowest:
                local = external_id(local, str(case.line))
                case = replace(case, external_id=external_id(case.external_id, str(case.line)))
        if key in again:
            known = variants.setdefault(key, [])
            steps = _signature(decode(text, start)[0])
            if steps not in known:
                known.append(steps)
            if (count := known.index(steps) + 1) > 1:
                local = external_id(local, f"#{count}")
                case = replace(case, external_id=external_id(case.external_id, f"#{count}"))
        out.append((case, local))
    return out


def _signature(element: dict[str, Any]) -> tuple[Any, ...]:
    """What tells an outline's rows apart when their runner gives them one id and line: the text of their steps
    (keyword, name, and the arguments that hold a row's values in tables and doc strings), not their results."""
    steps = element.get("steps")
    if not isinstance(steps, list):
        return ()
    return tuple(json.dumps([step.get("keyword"), step.get("name"), step.get("arguments")], sort_keys=True)
                 if isinstance(step, dict) else None for step in steps)


# What a scenario's outcome needs of one step (or hook): its status, duration in seconds (None: unknown) and the
# first line of its message (None for a passed step).
_Step = tuple[str, "float | None", "str | None"]
_NOT_RUN: _Step = ("skipped", None, None)


def _steps(element: dict[str, Any]) -> list[_Step]:
    """The steps and hooks of an element, each checked where it is read (inline: this runs per step)."""
    out: list[_Step] = []
    append = out.append
    for key in ("before", "steps", "after"):
        items = element.get(key) or []
        if not isinstance(items, list):
            raise _Misshapen((key,), f"'{key}' must be a list of objects")
        for position, step in enumerate(items):
            if not isinstance(step, dict):
                raise _Misshapen((key, position), f"'{key}' must be a list of objects")
            raw = step.get("result")
            if raw is None:
                append(_NOT_RUN)  # no result: it did not run
                continue
            if not isinstance(raw, dict):
                raise _misshapen_step(key, position, (), f"'result' must be an object, not {_kind(raw)}")
            status, value, message = raw.get("status"), raw.get("duration"), raw.get("error_message")
            if status is not None and not isinstance(status, str):
                raise _misshapen_step(key, position, ("status",),
                                      f"'result.status' must be text, not {_kind(status)}")
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise _misshapen_step(key, position, ("duration",), "'result.duration' must be a number of "
                                                                    f"nanoseconds, not {_kind(value)}")
            if message is not None and not isinstance(message, str):
                raise _misshapen_step(key, position, ("error_message",),
                                      f"'result.error_message' must be text, not {_kind(message)}")
            known = _STATUS.get(status.lower(), "failed") if status else "skipped"
            append((known, None if value is None else _nanoseconds(value) / 1e9,
                    failure_line(clean_text(message)) if message and known != "passed" else None))
    return out


_HOOKS = {"before": "before hook", "steps": "step", "after": "after hook"}


def _misshapen_step(key: str, position: int, field: tuple[str, ...], message: str) -> _Misshapen:
    """The error of a step's ``result`` (``field``: the key in it, none for the result itself)."""
    return _Misshapen((key, position, "result", *field), message, (f"{_HOOKS[key]} {position + 1}",))


def _scenario(element: dict[str, Any], steps: list[_Step]) -> _Scenario:
    """What an element tells of its scenario (its steps read already), or ``_Misshapen``."""
    statuses = [status for status, _duration, _message in steps]
    timed = [duration for _status, duration, _message in steps if duration is not None]
    message = next((text for status, _duration, text in steps if status != "passed" and text is not None), None)
    name = _text(element, "name")
    line = _line(element)
    ident = _text(element, "id") or f"{name}:{line}"
    tags = element.get("tags") or []
    if not isinstance(tags, list):
        raise _Misshapen(("tags",), "'tags' must be a list of objects")
    names = []
    for position, tag in enumerate(tags):
        if not isinstance(tag, dict):
            raise _Misshapen(("tags", position), "'tags' must be a list of objects")
        try:
            names.append(_text(tag, "name").removeprefix("@"))
        except _Misshapen as exc:
            raise exc.within(("tags", position), f"tag {position + 1}") from None
    # 1e400 is infinite, a negative step NaN: unknown
    duration = finite(sum(timed)) if timed else None
    return ident, name, worst(statuses), duration, message, line, tuple(names)


def _case(uri: str | None, feature_name: str, scenario: _Scenario) -> tuple[CaseResult, str]:
    """A scenario's result, once its feature's uri and name are known, and its id within the file."""
    ident, name, status, duration, message, line, tags = scenario
    case = CaseResult(
        external_id=external_id(feature_id(uri), ident),  # cucumber-jvm's file:/classpath: forms: one test case
        name=ident if "[" in ident else name,  # pytest-bdd keeps the row's values in the id
        status=status,
        duration=duration,
        message=message,
        feature_uri=uri,
        feature_name=feature_name,
        scenario_name=name,
        line=line or None,
        tags=tags,
    )
    return case, ident


def _nanoseconds(value: float) -> float:
    """A step's duration as a float; an integer too large for one is infinite, a negative one NaN: either makes the
    scenario's duration unknown (``finite``)."""
    try:
        nanoseconds = float(value)
    except OverflowError:
        return math.inf
    return nanoseconds if nanoseconds >= 0 else math.nan


def _label(element: dict[str, Any], position: int, feature: str) -> str:
    """How an error names an element: by its name (clipped: it may be megabytes long) when it has one that is
    text, else by its place."""
    name = element.get("name")
    return f"element '{clip(clean_text(name), 80)}'" if isinstance(name, str) and name else \
        f"element #{position + 1} of {feature}"


def _text(node: dict[str, Any], key: str) -> str:
    """The text of ``node[key]`` ("" when absent or null), or ``_Misshapen`` when it is no text."""
    value = node.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Misshapen((key,), f"'{key}' must be text, not {_kind(value)}")
    if len(value) > MAX_NAME_CHARS:
        raise _Misshapen((key,), f"'{key}' is {len(value)} characters long, over the limit of {MAX_NAME_CHARS} "
                                 "(a fixed limit); shorten it where the report is written")
    return clean_text(value)


def _line(node: dict[str, Any]) -> int:
    """An element's line in its feature file (0: absent or not positive), or ``_Misshapen`` when it is no whole
    number."""
    line = node.get("line")
    if line is None:
        return 0
    if isinstance(line, bool) or not isinstance(line, int):
        raise _Misshapen(("line",), f"'line' must be a whole number (the line in the feature file), "
                                    f"not {_kind(line)}")
    return line if line > 0 else 0


def _kind(value: Any) -> str:
    """A JSON value's type, as an error names it (with the value when it is short)."""
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}" if len(repr(value)) <= 20 else "a number"
    if isinstance(value, str):
        return f"the text {json.dumps(value)}" if len(value) <= 20 else "a text"
    return "a list" if isinstance(value, list) else "an object"
