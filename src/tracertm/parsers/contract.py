"""Contract files (YAML) → ``contract`` records.

A file holds one contract per YAML document (``---`` separated; empty documents are skipped). Each document is
either a contract mapping (the schema of README.md's "Contracts (YAML)") or an API description: an OpenAPI /
Swagger document or a shared-components file (only ``components``) becomes an ``interface`` contract, an AsyncAPI
2/3 document an ``integration`` one (channels and operations in its metadata).

How a file is read, and why in this order:

1. ``parsers._yaml.check_limits`` (shared with ADR front matter) walks the *event* stream once (iterative, no
   construction) and rejects alias bombs, recursive aliases and deep nesting before anything is built, so a hostile
   file costs milliseconds, not memory.
2. The node graph is composed with the safe loader (the C one when PyYAML has libyaml). Nodes keep their marks,
   so every validation error names the line of the offending node.
3. Values are built from nodes by small helpers here (only scalars go through PyYAML's ``SafeConstructor``).
   Texts are taken from the scalar as written (``id: 0010`` is ``CTR-0010``, a state called ``off`` stays ``off``)
   instead of YAML 1.1's guesses (octal ``8``, boolean ``False``).

Every error of a file is collected and raised together as one ``ParseError``; its ``diagnostics`` carry the file's
warnings too (so a user fixing the errors sees both in one round). A file that parses has its warnings in the result.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tracertm.errors import Diagnostic, ParseError, first_line
from tracertm.parsers import _yaml
from tracertm.parsers._yaml import (
    LONG_INT_CHARS,
    MAX_ALIAS_NODES,
    Places,
    abbreviate,
    check_limits,
    core_value,
    document_markers,
    document_text,
    error_position,
    refused_tags,
    tab_hint,
    tag_problem,
    too_long_int,
    unstorable,
)
from tracertm.parsers.common import mention_lines, number_digits, parse_text_safely
from tracertm.parsers.records import DEFAULT_OPTIONS, ParseResult, ParserOptions, SpecRecord

__all__ = ["CONTRACT_STATUSES", "CONTRACT_TYPES", "MAX_ALIAS_NODES", "parse"]

CONTRACT_TYPES: tuple[str, ...] = ("interface", "component", "service", "system", "integration", "database")
CONTRACT_STATUSES: tuple[str, ...] = ("draft", "review", "approved", "deprecated", "archived")

_TAG = "tag:yaml.org,2002:"
_NULL, _INT, _MERGE, _BINARY = _TAG + "null", _TAG + "int", _TAG + "merge", _TAG + "binary"
_SCALAR_KINDS = {
    _TAG + "str": "string",
    _TAG + "int": "number",
    _TAG + "float": "number",
    _TAG + "bool": "boolean",
    _TAG + "null": "null",
    _TAG + "timestamp": "date",
    _TAG + "binary": "binary value",
}

_KNOWN_KEYS = frozenset(
    {
        "id",
        "contract_number",
        "title",
        "type",
        "contract_type",
        "status",
        "tags",
        "preconditions",
        "postconditions",
        "invariants",
        "states",
        "transitions",
        "spec",
        "metadata",
    }
)
_CONDITION_KEYS = ("id", "description", "condition", "required", "priority")
_TRANSITION_KEYS = ("from", "to", "trigger", "condition", "action")
_SPEC_KEYS = ("language", "source")
_YAML_SUFFIX = re.compile(r"\.ya?ml$", re.IGNORECASE)
# A file name that starts with a number (``0001-ledger``, ``0001.yaml``) is that contract's number; digits followed by
# ``.`` and a digit are a version (``1.0-orders``), not a number: the name is the id.
_NUMBER_PREFIX = re.compile(r"([0-9]+)(?=$|[-_ ]|\.(?![0-9]))")
_DIGITS = re.compile(r"[0-9]+")
_CODE_LIKE = re.compile(r"[A-Z][A-Z0-9]*-[0-9]+(#[0-9]+)?")


def parse(path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS) -> ParseResult:
    """Parse one contract file into ``contract`` records (file order), or raise ``ParseError`` with every error."""
    return parse_text_safely(_parse_text, path, data, options)


# --------------------------------------------------------------------------------------------------------------
# Reporting


@dataclass
class _Report:
    """Collects diagnostics for one file; errors are raised together at the end."""

    path: str
    places: Places  # the file's lines and columns of the nodes' marks
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    def error(self, node: Node, message: str) -> None:
        line, column = self.position(node)
        self.errors.append(Diagnostic(self.path, line, column, message))

    def warn(self, node: Node, message: str) -> None:
        line, column = self.position(node)
        self.warnings.append(Diagnostic(self.path, line, column, message, severity="warning"))

    def position(self, node: Node) -> tuple[int, int]:
        """The file's (line, column) where ``node`` starts."""
        return self.places.of(node.start_mark) if node.start_mark is not None else (0, 0)


def _kind(node: Node) -> str:
    """How a node reads in a shape error: mapping, list, string, number, boolean, null..."""
    if isinstance(node, MappingNode):
        return "mapping"
    if isinstance(node, SequenceNode):
        return "list"
    return _SCALAR_KINDS.get(node.tag, "scalar")


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _is_text(node: Node) -> bool:
    """A single value a text field takes as written: not null, not ``!!binary`` (bytes, as the safe loader reads
    it: its base64 text is no title, tag or state)."""
    return isinstance(node, ScalarNode) and node.tag not in (_NULL, _BINARY)


# --------------------------------------------------------------------------------------------------------------
# Stage 1 and 2: limits and composition


def _yaml_error(path: str, text: str, exc: yaml.YAMLError) -> ParseError:
    """A PyYAML error as a ParseError at the line/column of its mark."""
    line, column = error_position(text, exc)
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [p for p in (exc.context, exc.problem) if p]
        problem = ", ".join(parts) if parts else "invalid YAML"
        return ParseError(path, line, column, f"YAML syntax error: {problem}{tab_hint(text, line, column)}")
    if isinstance(exc, yaml.reader.ReaderError):
        return ParseError(path, line, column, f"YAML reader error: {exc.reason} (character #x{exc.character:04x})")
    return ParseError(path, line, column, f"YAML error: {exc}")


def _compose(path: str, text: str, options: ParserOptions) -> list[Node]:
    """The documents of the file as node graphs, after the limits check. Raises ParseError on bad YAML."""
    try:
        check_limits(path, text, options)
        loader = _yaml.LOADER(text)
        try:
            documents: list[Node] = []
            while loader.check_node():
                documents.append(loader.get_node())
            return documents
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_error(path, text, exc) from None


# --------------------------------------------------------------------------------------------------------------
# Stage 3: values from nodes


class _Builder:
    """Builds plain, JSON-safe values from nodes, reporting problems at node lines.

    One per parse call: it owns the scalar constructor and remembers which mappings were already flattened.
    """

    def __init__(self, report: _Report) -> None:
        self.report = report
        self.constructor = SafeConstructor()
        # Aliased mappings are the same node object: read (and report on) each mapping once.
        self.mappings: dict[int, dict[str, tuple[Node, Node]]] = {}

    def items(self, node: MappingNode) -> dict[str, tuple[Node, Node]]:
        """Key text → (key node, value node), merge keys (``<<``) applied, later duplicates winning."""
        cached = self.mappings.get(id(node))
        if cached is not None:
            return cached
        seen: set[str] = set()
        for key, _ in node.value:
            if isinstance(key, ScalarNode) and key.tag != _MERGE:
                if key.value in seen:
                    self.report.warn(key, f"duplicate key {key.value!r}; the last one wins")
                seen.add(key.value)
        try:
            self.constructor.flatten_mapping(node)
        except yaml.MarkedYAMLError as exc:
            line, column = self.report.places.of(exc.problem_mark or node.start_mark)
            self.report.errors.append(
                Diagnostic(self.report.path, line, column, f"invalid merge key (<<): {exc.problem}")
            )
            node.value = [(k, v) for k, v in node.value if k.tag != _MERGE]
        result: dict[str, tuple[Node, Node]] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                self.report.error(key, f"mapping keys must be scalars, got a {_kind(key)}")
                continue
            result[str(key.value)] = (key, value)
        self.mappings[id(node)] = result
        return result

    def value(self, node: Node, *, core: bool = False) -> Any:
        """The plain value of any node (for metadata, invariants, OpenAPI documents); ``core``: its plain scalars
        read as YAML 1.2 reads them (``_yaml.core_value``), as OpenAPI and AsyncAPI documents are written."""
        if tag_problem(node) is not None:
            return None  # an error already (``refused_tags``)
        if isinstance(node, MappingNode):
            return {key: self.value(value, core=core) for key, (_, value) in self.items(node).items()}
        if isinstance(node, SequenceNode):
            return [self.value(child, core=core) for child in node.value]
        if core and isinstance(node, ScalarNode):
            try:
                found, value = core_value(node)
            except ValueError:
                text = str(node.value)
                self.report.error(node, f"integer {abbreviate(text)} is {len(text):,} characters long, too long "
                                        "to be a number; quote it to keep it as text")
                return None
            if found:
                return str(node.value) if isinstance(value, float) and not math.isfinite(value) else value
        return self.scalar(node)

    def scalar(self, node: Node) -> Any:
        if tag_problem(node) is not None:
            return None  # an error already (``refused_tags``)
        if node.tag == _INT and len(node.value) >= LONG_INT_CHARS:
            problem = too_long_int(node)
            if problem is not None:
                self.report.error(node, problem)
                return None
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            self.report.error(node, f"invalid YAML value {abbreviate(str(node.value))}: {first_line(exc)}")
            return None
        if isinstance(value, (datetime, date)):
            return value.isoformat()
        if isinstance(value, bytes):  # !!binary: keep the base64 text as written
            return "".join(str(node.value).split())
        if isinstance(value, float) and not math.isfinite(value):
            return str(node.value)  # JSON columns reject NaN/Infinity
        return value

    def text(self, node: Node, what: str) -> str | None:
        """A scalar as written (stripped), None for null; a list, mapping or ``!!binary`` is a shape error."""
        if _is_null(node) or _is_text(node):
            return None if node.tag == _NULL else str(node.value).strip()
        self.report.error(node, f"{what} must be a string, got a {_kind(node)}")
        return None

    def sequence(self, node: Node, what: str) -> list[Node]:
        """The item nodes of a list; null is an empty list, anything else a shape error."""
        if isinstance(node, SequenceNode):
            return list(node.value)
        if not _is_null(node):
            self.report.error(node, f"{what} must be a list, got a {_kind(node)}")
        return []

    def mapping(self, node: Node, what: str) -> dict[str, tuple[Node, Node]] | None:
        if isinstance(node, MappingNode):
            return self.items(node)
        if not _is_null(node):
            self.report.error(node, f"{what} must be a mapping, got a {_kind(node)}")
        return None


# --------------------------------------------------------------------------------------------------------------
# Contract documents


def _derived_number(path: str, position: int) -> str:
    """Identity from the file name: ``0001-x.yaml`` → ``CTR-0001``, ``payment-api.yaml`` → ``payment-api``,
    ``1.0-orders.yaml`` (a version) → ``1.0-orders``.

    The 2nd, 3rd... document of a file gets ``#2``, ``#3`` appended (by position among non-empty documents).
    """
    stem = _YAML_SUFFIX.sub("", posixpath.basename(path)) or "contract"
    match = _NUMBER_PREFIX.match(stem)
    number = "CTR-" + number_digits(match.group(1)) if match else stem
    return number if position == 1 else f"{number}#{position}"


def _number_text(value: str) -> str:
    """A numeric id is written ``CTR-NNNN``; anything else is kept as written."""
    return "CTR-" + number_digits(value) if _DIGITS.fullmatch(value) else value


def _humanise(number: str) -> str:
    """Default title: ``payment-service`` → ``Payment service``; code-like ids (``CTR-0001``) stay as they are."""
    if _CODE_LIKE.fullmatch(number):
        return number
    words = " ".join(re.sub(r"[-_]+", " ", number).replace("#", " #").split())
    return words[:1].upper() + words[1:] if words else number


def _enum(builder: _Builder, node: Node, allowed: tuple[str, ...], what: str) -> str | None:
    value = builder.text(node, what)
    if value is None:
        return None
    lowered = value.lower()
    if lowered not in allowed:
        builder.report.error(node, f"unknown {what} {value!r}; allowed: {', '.join(allowed)}")
        return None
    return lowered


@dataclass
class _Contract:
    """What one document yields: its identity, the line to report, and the record fields."""

    number: str
    number_node: Node
    line: int
    fields: dict[str, Any]


def _identity(
    builder: _Builder, fields: dict[str, tuple[Node, Node]], keys: tuple[str, ...]
) -> tuple[str, Node] | None:
    """The explicit id of a document (first of ``keys`` present), checking that synonyms agree."""
    found: tuple[str, Node] | None = None
    for key in keys:
        if key not in fields:
            continue
        node = fields[key][1]
        if not _is_text(node) or not str(node.value).strip():
            builder.report.error(node, f"{key} must be a non-empty string or number, got a {_kind(node)}")
            continue
        number = _number_text(str(node.value).strip())
        if found is not None and found[0] != number:
            builder.report.error(node, f"{key} {number!r} contradicts the id {found[0]!r} given above")
            continue
        if found is None:
            found = (number, node)
    return found


def _strings(builder: _Builder, node: Node, what: str) -> list[tuple[str, Node]]:
    """A list of scalar strings (numbers accepted as written), with their nodes."""
    result: list[tuple[str, Node]] = []
    for item in builder.sequence(node, what):
        if _is_text(item):
            result.append((str(item.value).strip(), item))
        else:
            builder.report.error(item, f"each item of {what} must be a string, got a {_kind(item)}")
    return result


def _conditions(builder: _Builder, node: Node, prefix: str, what: str, ids: dict[str, int]) -> list[dict[str, Any]]:
    """Pre/postconditions normalised to ``{id, description, condition, required, priority}``.

    A string item is both description and condition, required, without priority. Items without an id get
    ``<prefix>-<n>`` (``pre-1``, ``post-2``: n is the 1-based position in its list), so ids are stable while the
    list is only appended to. ``ids`` spans pre- and postconditions of one contract: duplicates are errors.
    """
    result: list[dict[str, Any]] = []
    for position, item in enumerate(builder.sequence(node, what), start=1):
        condition: dict[str, Any] = {
            "id": f"{prefix}-{position}",
            "description": None,
            "condition": None,
            "required": True,
            "priority": None,
        }
        if _is_text(item):
            text = str(item.value).strip()
            condition["description"] = condition["condition"] = text
        elif isinstance(item, MappingNode):
            items = builder.items(item)
            for key, (key_node, value_node) in items.items():
                if key not in _CONDITION_KEYS:
                    builder.report.warn(
                        key_node, f"unknown key {key!r} in {what} ignored; known: {', '.join(_CONDITION_KEYS)}"
                    )
                elif key == "required":
                    if _is_null(value_node):
                        continue
                    required = builder.scalar(value_node) if isinstance(value_node, ScalarNode) else None
                    if not isinstance(required, bool):
                        builder.report.error(value_node, f"required in {what} must be true or false")
                        continue
                    condition["required"] = required
                elif key == "priority":
                    if isinstance(value_node, ScalarNode) and value_node.tag == _INT:
                        condition["priority"] = builder.scalar(value_node)
                    else:
                        condition["priority"] = builder.text(value_node, f"priority in {what}")
                else:
                    written = builder.text(value_node, f"{key} in {what}")
                    if written is not None:
                        condition[key] = written
            if condition["description"] is None and condition["condition"] is None:
                builder.report.error(item, f"an item of {what} needs a description or a condition")
            condition["description"] = condition["description"] or condition["condition"]
            condition["condition"] = condition["condition"] or condition["description"]
        else:
            builder.report.error(item, f"each item of {what} must be a string or a mapping, got a {_kind(item)}")
            continue
        line = builder.report.position(item)[0]
        if condition["id"] in ids:
            builder.report.error(
                item, f"duplicate condition id {condition['id']!r} (first used on line {ids[condition['id']]})"
            )
        else:
            ids[condition["id"]] = line
        result.append(condition)
    return result


def _invariants(builder: _Builder, node: Node) -> list[Any]:
    result: list[Any] = []
    for item in builder.sequence(node, "invariants"):
        if isinstance(item, MappingNode):
            result.append(builder.value(item))
        elif _is_text(item):
            result.append(str(item.value).strip())
        else:
            builder.report.error(item, f"each invariant must be a string or a mapping, got a {_kind(item)}")
    return result


def _states(builder: _Builder, node: Node) -> list[tuple[str, Node]]:
    result: list[tuple[str, Node]] = []
    seen: set[str] = set()
    for state, state_node in _strings(builder, node, "states"):
        if state in seen:
            builder.report.warn(state_node, f"state {state!r} is listed twice; the repeat is ignored")
            continue
        seen.add(state)
        result.append((state, state_node))
    return result


def _transitions(builder: _Builder, node: Node, states: list[tuple[str, Node]]) -> list[dict[str, Any]]:
    """Transitions with all five keys; ``from``/``to`` must name declared states."""
    declared = {state for state, _ in states}
    listed = ", ".join(sorted(declared)[:20]) + (", ..." if len(declared) > 20 else "") or "none declared"
    result: list[dict[str, Any]] = []
    for item in builder.sequence(node, "transitions"):
        if not isinstance(item, MappingNode):
            builder.report.error(
                item, f"each transition must be a mapping {{from, to, trigger, ...}}, got a {_kind(item)}"
            )
            continue
        transition: dict[str, Any] = dict.fromkeys(_TRANSITION_KEYS)
        for key, (key_node, value_node) in builder.items(item).items():
            if key not in _TRANSITION_KEYS:
                builder.report.warn(
                    key_node, f"unknown key {key!r} in a transition ignored; known: {', '.join(_TRANSITION_KEYS)}"
                )
                continue
            transition[key] = builder.text(value_node, f"transition {key}")
            if key in ("from", "to") and transition[key] is not None and transition[key] not in declared:
                builder.report.error(
                    value_node, f"transition {key} {transition[key]!r} is not a state (states: {listed})"
                )
        for key in ("from", "to"):
            if transition[key] is None:
                builder.report.error(item, f"a transition needs {key!r}")
        result.append(transition)
    return result


def _warn_unreachable(builder: _Builder, states: list[tuple[str, Node]], transitions: list[dict[str, Any]]) -> None:
    """States not reachable from the first state through the transitions (only checked when there are any)."""
    if not states or not transitions:
        return
    edges: dict[str, set[str]] = {}
    for transition in transitions:
        if transition["from"] is not None and transition["to"] is not None:
            edges.setdefault(transition["from"], set()).add(transition["to"])
    reached = {states[0][0]}
    queue = deque(reached)
    while queue:
        for target in edges.get(queue.popleft(), ()):
            if target not in reached:
                reached.add(target)
                queue.append(target)
    for state, node in states:
        if state not in reached:
            builder.report.warn(node, f"state {state!r} is not reachable from {states[0][0]!r}")


def _spec(builder: _Builder, node: Node) -> tuple[str | None, str | None]:
    """``spec: {language, source}`` → (executable_spec, spec_language)."""
    source: str | None = None
    language: str | None = None
    for key, (key_node, value_node) in (builder.mapping(node, "spec") or {}).items():
        if key not in _SPEC_KEYS:
            builder.report.warn(key_node, f"unknown key {key!r} in spec ignored; known: language, source")
        elif key == "language":
            language = builder.text(value_node, "spec language")
        elif _is_null(value_node) or _is_text(value_node):
            # The source is code: keep it as written, only without the block scalar's trailing newline.
            source = None if _is_null(value_node) else str(value_node.value).rstrip()
        else:
            builder.report.error(value_node, f"spec source must be a string, got a {_kind(value_node)}")
    return source, language


def _metadata(builder: _Builder, fields: dict[str, tuple[Node, Node]], node: Node | None) -> dict[str, Any]:
    """``metadata`` at the top of contract_metadata; unknown top-level keys (warned) under its ``extra``."""
    metadata: dict[str, Any] = {}
    items = builder.mapping(node, "metadata") if node is not None else None
    for key, (_, value_node) in (items or {}).items():
        metadata[key] = builder.value(value_node)
    extra: dict[str, Any] = {}
    for key, (key_node, value_node) in fields.items():
        if key not in _KNOWN_KEYS:
            builder.report.warn(key_node, f"unknown key {key!r} kept in contract_metadata.extra")
            extra[key] = builder.value(value_node)
    if extra:
        if items is not None and "extra" in items:
            builder.report.error(
                items["extra"][0], "metadata.extra is reserved for unknown top-level keys; rename it"
            )
        metadata["extra"] = extra
    return metadata


def _contract(builder: _Builder, path: str, document: MappingNode, position: int) -> _Contract:
    fields = builder.items(document)
    identity = _identity(builder, fields, ("id", "contract_number"))
    number, number_node = identity if identity else (_derived_number(path, position), document)

    def node(key: str) -> Node | None:
        return fields[key][1] if key in fields else None

    title_node = node("title")
    title = builder.text(title_node, "title") if title_node is not None else None

    # ``contract_type`` (the column name) is accepted as a synonym of ``type``; both given must agree.
    contract_type: str | None = None
    for key in ("type", "contract_type"):
        type_node = node(key)
        value = _enum(builder, type_node, CONTRACT_TYPES, "contract type") if type_node is not None else None
        if value is None or type_node is None:
            continue
        if contract_type is not None and value != contract_type:
            builder.report.error(type_node, f"{key} {value!r} contradicts type {contract_type!r}")
        contract_type = contract_type or value

    status_node = node("status")
    status = _enum(builder, status_node, CONTRACT_STATUSES, "contract status") if status_node is not None else None

    tags_node = node("tags")
    tags = [tag for tag, _ in _strings(builder, tags_node, "tags")] if tags_node is not None else []
    condition_ids: dict[str, int] = {}
    pre = node("preconditions")
    post = node("postconditions")
    preconditions = _conditions(builder, pre, "pre", "preconditions", condition_ids) if pre is not None else []
    postconditions = _conditions(builder, post, "post", "postconditions", condition_ids) if post is not None else []
    invariants_node = node("invariants")
    invariants = _invariants(builder, invariants_node) if invariants_node is not None else []
    states_node = node("states")
    states = _states(builder, states_node) if states_node is not None else []
    transitions_node = node("transitions")
    transitions = _transitions(builder, transitions_node, states) if transitions_node is not None else []
    _warn_unreachable(builder, states, transitions)

    spec_node = node("spec")
    executable_spec, spec_language = _spec(builder, spec_node) if spec_node is not None else (None, None)
    metadata = _metadata(builder, fields, node("metadata"))

    record = {
        "contract_number": number,
        "title": title or _humanise(number),
        "contract_type": contract_type or "interface",
        "status": status or "draft",
        "preconditions": preconditions,
        "postconditions": postconditions,
        "invariants": invariants,
        "states": [state for state, _ in states],
        "transitions": transitions,
        "executable_spec": executable_spec,
        "spec_language": spec_language,
        "tags": tags,
        "contract_metadata": metadata,
    }
    return _Contract(number, number_node, builder.report.position(document)[0], record)


# API description documents placed among the contracts, by the top-level key that identifies them.
_API_FAMILIES = {"openapi": "openapi", "swagger": "openapi", "asyncapi": "asyncapi"}
_CONTRACT_TYPE_OF_FAMILY = {"openapi": "interface", "asyncapi": "integration"}
_ASYNCAPI_2_VERBS = ("publish", "subscribe")


def _api_family(fields: dict[str, tuple[Node, Node]]) -> tuple[str, str | None] | None:
    """(family, version key) when a document is an API description: OpenAPI 3 / Swagger 2, AsyncAPI 2/3, or a
    shared-components file (only ``components`` and ``x-`` extensions: the schemas an OpenAPI set shares)."""
    for key, family in _API_FAMILIES.items():
        if key in fields:
            return family, key
    keys = set(fields)
    shared_only = all(k in ("components", "info") or k.startswith("x-") for k in keys)
    if "components" in keys and shared_only:
        return "openapi", None
    return None


def _names(
    builder: _Builder, fields: dict[str, tuple[Node, Node]], key: str, *, extensions: bool = False
) -> list[str]:
    """The sorted keys of a top-level mapping (``paths``, ``channels``, ``operations``); ``extensions``: the
    mapping may hold ``x-`` specification extensions, which are left out (not a path)."""
    if key not in fields:
        return []
    names = (builder.mapping(fields[key][1], key) or {}).keys()
    return sorted(name for name in names if not (extensions and name.startswith("x-")))


def _asyncapi2_operations(builder: _Builder, fields: dict[str, tuple[Node, Node]]) -> list[str]:
    """AsyncAPI 2 keeps operations inside channels: ``operationId`` if given, else ``publish <channel>``."""
    operations: list[str] = []
    for channel, (_, channel_node) in (builder.mapping(fields["channels"][1], "channels") or {}).items():
        if not isinstance(channel_node, MappingNode):
            continue
        items = builder.items(channel_node)
        for verb in _ASYNCAPI_2_VERBS:
            if verb not in items:
                continue
            operation = builder.mapping(items[verb][1], f"{verb} of {channel}") or {}
            named = builder.text(operation["operationId"][1], "operationId") if "operationId" in operation else None
            operations.append(named or f"{verb} {channel}")
    return sorted(operations)


def _api_document(
    builder: _Builder, path: str, document: MappingNode, position: int, spec: str, api: tuple[str, str | None]
) -> _Contract:
    """An OpenAPI / Swagger document (``interface``), an AsyncAPI one (``integration``) or a shared-components file
    (``interface``) as a contract whose executable spec is the document itself (``spec``: its text as written)."""
    family, version_key = api
    fields = builder.items(document)
    version = ""
    if version_key is not None:
        version = builder.text(fields[version_key][1], version_key) or ""
        if not version:
            example = "3.0.0" if family == "asyncapi" else "3.0.3"
            builder.report.error(fields[version_key][1], f"{version_key} must name a version such as {example}")

    info_node = fields["info"][1] if "info" in fields else None
    info = (builder.mapping(info_node, "info") if info_node is not None else None) or {}
    identity = _identity(builder, fields, ("x-contract-id",)) or _identity(builder, info, ("x-contract-id",))
    number, number_node = identity if identity else (_derived_number(path, position), document)
    title = builder.text(info["title"][1], "info.title") if "title" in info else None
    info_version = builder.text(info["version"][1], "info.version") if "version" in info else None

    status = "draft"
    if "x-status" in info:
        status_node = info["x-status"][1]
        raw = builder.text(status_node, "info.x-status")
        if raw is not None and raw.lower() in CONTRACT_STATUSES:
            status = raw.lower()
        elif raw is not None:
            builder.report.warn(
                status_node,
                f"info.x-status {raw!r} is not a contract status ({', '.join(CONTRACT_STATUSES)}); using draft",
            )

    metadata: dict[str, Any]
    if family == "asyncapi":
        operations = _names(builder, fields, "operations")  # AsyncAPI 3: a top-level map of operations
        if not operations and version.startswith("2") and "channels" in fields:
            operations = _asyncapi2_operations(builder, fields)
        metadata = {
            "asyncapi": version,
            "info_version": info_version,
            "channels": _names(builder, fields, "channels"),
            "operations": operations,
        }
    else:
        # OpenAPI's Paths Object holds ``/…`` templates and ``x-`` extensions; AsyncAPI's Channels and Operations
        # Objects have no extensions (any key names a channel or an operation), so theirs are all kept.
        paths = _names(builder, fields, "paths", extensions=True)
        metadata = {"openapi": version or None, "info_version": info_version, "paths": paths}
    if "components" in fields:
        components = builder.mapping(fields["components"][1], "components") or {}
        metadata["components"] = {
            section: sorted((builder.mapping(node, f"components.{section}") or {}).keys())
            for section, (_, node) in sorted(components.items())
            if isinstance(node, MappingNode)
        }

    # Every value is read (as YAML 1.2 reads it) for its errors alone: an unsupported tag, an integer too long to be
    # one. The spec is the document's text, not a dump of those values (which lost its comments, its tags, its
    # anchors and values as written: ``version: 1.10`` came back ``1.1``).
    builder.value(document, core=True)
    record = {
        "contract_number": number,
        "title": title or _humanise(number),
        "contract_type": _CONTRACT_TYPE_OF_FAMILY[family],
        "status": status,
        "preconditions": [],
        "postconditions": [],
        "invariants": [],
        "states": [],
        "transitions": [],
        "executable_spec": spec,
        "spec_language": f"{family}-{version}" if version else family,
        "tags": [],
        "contract_metadata": metadata,
    }
    return _Contract(number, number_node, builder.report.position(document)[0], record)


def _parse_text(path: str, text: str, options: ParserOptions) -> ParseResult:
    documents = _compose(path, text, options)
    report = _Report(path, Places(text))
    # Text no database stores (a NUL or a lone surrogate, written as an escape) is an error at its line, found on
    # the node graph (keys, values, aliased nodes alike) of the rare file with such an escape; so is a tag the safe
    # loader refuses (``!custom``, ``!!python/...``), which the values built from nodes below would take as data.
    for line, column, message in [*unstorable(text, documents), *refused_tags(text, documents)]:
        report.errors.append(Diagnostic(path, line, column, message))
    builder = _Builder(report)
    contracts: list[_Contract] = []
    markers: list[int] | None = None  # where the document markers are, found for the first API document
    position = 0
    for document in documents:
        if _is_null(document):
            continue  # an empty document (``---`` with nothing after it)
        position += 1
        if not isinstance(document, MappingNode):
            report.error(document, f"a contract document must be a mapping, got a {_kind(document)}")
            continue
        if tag_problem(document) is not None:  # ``--- !!python/object:...``: an error already (``refused_tags``)
            continue
        fields = builder.items(document)
        api = _api_family(fields)
        if api is not None:
            if markers is None:
                markers = document_markers(text)
            spec = document_text(text, markers, document)
            contracts.append(_api_document(builder, path, document, position, spec, api))
        else:
            contracts.append(_contract(builder, path, document, position))

    seen: dict[str, int] = {}
    for contract in contracts:
        if contract.number in seen:
            report.error(
                contract.number_node,
                f"duplicate contract id {contract.number!r} (first used on line {seen[contract.number]})",
            )
        else:
            seen[contract.number] = report.position(contract.number_node)[0]

    if report.errors:
        # The warnings go with the errors (each at its line): a user fixing the errors sees them in the same round,
        # not one sync later. The error's headline stays the first error's.
        errors = sorted(report.errors, key=lambda d: (d.line, d.column))
        first = errors[0]
        raise ParseError(first.path, first.line, first.column, first.message,
                         sorted([*errors, *report.warnings], key=lambda d: (d.line, d.column)))
    if not contracts:
        report.warnings.append(Diagnostic(path, 1, 0, "no contract in this file (no YAML document)", "warning"))
    # Where each ADR id a contract mentions is written (its text runs to the next contract's line), so that a finding
    # about the link points at it. Most files mention none: one lower-cased copy of the text tells.
    lines = text.split("\n") if "adr" in text.lower() else None
    ends = [c.line - 1 for c in contracts[1:]] + [len(text)]
    records = tuple(
        SpecRecord("contract", c.number, c.fields, line=c.line,
                   ref_lines=mention_lines(lines, c.line, end) if lines is not None else {})
        for c, end in zip(contracts, ends)
    )
    return ParseResult(path, "contract", records, tuple(sorted(report.warnings, key=lambda d: (d.line, d.column))))
