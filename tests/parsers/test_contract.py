"""Tests of the contract (YAML) parser: whole records, every error with its line, hardening, hash stability."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracertm.errors import Diagnostic, ParseError
from tracertm.parsers.contract import parse
from tracertm.parsers.records import ParseResult, ParserOptions

FIXTURES = Path(__file__).parent / "fixtures" / "contract"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def src(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode("utf-8")


def contract(**fields: Any) -> dict[str, Any]:
    """A full contract fields dict: the parser's defaults overridden by ``fields``."""
    record: dict[str, Any] = {
        "contract_number": None,
        "title": None,
        "contract_type": "interface",
        "status": "draft",
        "preconditions": [],
        "postconditions": [],
        "invariants": [],
        "states": [],
        "transitions": [],
        "executable_spec": None,
        "spec_language": None,
        "tags": [],
        "contract_metadata": {},
    }
    assert set(fields) <= set(record), set(fields) - set(record)
    record.update(fields)
    return record


def condition(id: str, text: str, **more: Any) -> dict[str, Any]:
    return {"id": id, "description": text, "condition": text, "required": True, "priority": None, **more}


def transition(source: str, target: str, **more: Any) -> dict[str, Any]:
    return {"from": source, "to": target, "trigger": None, "condition": None, "action": None, **more}


def warning(path: str, line: int, column: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, column, message, "warning")


# ---------------------------------------------------------------------------------------------------------------
# Valid files: the whole parse result


VALID_CASES: list[tuple[str, str, bytes, list[tuple[str, int, dict[str, Any]]], list[Diagnostic]]] = [
    (
        "formats.md example",
        "contracts/payments.yaml",
        fixture("payments.yaml"),
        [
            (
                "CTR-0001",
                1,
                contract(
                    contract_number="CTR-0001",
                    title="Payment service",
                    contract_type="service",
                    status="approved",
                    tags=["payments"],
                    preconditions=[condition("pre-1", "amount > 0")],
                    postconditions=[
                        {
                            "id": "post-1",
                            "description": "balance decreased",
                            "condition": "balance == old(balance) - amount",
                            "required": True,
                            "priority": None,
                        }
                    ],
                    invariants=["balance >= 0"],
                    states=["pending", "paid", "refunded"],
                    transitions=[
                        transition("pending", "paid", trigger="pay"),
                        transition("paid", "refunded", trigger="refund", condition="within 30 days"),
                    ],
                    executable_spec="assert pay(10).balance == 90",
                    spec_language="python",
                    contract_metadata={"owner": "team-payments"},
                ),
            )
        ],
        [],
    ),
    (
        "multi-document file: numeric id, derived ids #2/#3, empty document skipped",
        "contracts/orders.yaml",
        fixture("orders.yaml"),
        [
            ("CTR-0007", 2, contract(contract_number="CTR-0007", title="Order intake", contract_type="component")),
            (
                "orders#2",
                6,
                contract(
                    contract_number="orders#2",
                    title="Order fulfilment",
                    status="review",
                    states=["new", "packed", "shipped"],
                    transitions=[
                        transition("new", "packed", trigger="pack", action="notify warehouse"),
                        transition("packed", "shipped", trigger="ship"),
                    ],
                ),
            ),
            (
                "orders#3",
                17,
                contract(
                    contract_number="orders#3",
                    title="Orders #3",
                    contract_type="database",
                    invariants=[
                        "orders.total >= 0",
                        {"name": "unique order ids", "sql": "select count(*) = count(distinct id) from orders"},
                    ],
                ),
            ),
        ],
        [],
    ),
    (
        "conditions in every form, case-insensitive enums, scalars as written, metadata",
        "contracts/ledger.yaml",
        fixture("conditions.yaml"),
        [
            (
                "CTR-0042",
                1,
                contract(
                    contract_number="CTR-0042",
                    title="Ledger postings",
                    contract_type="integration",
                    status="deprecated",
                    tags=["ledger", "2024"],
                    preconditions=[
                        condition("pre-1", "account is open"),
                        {
                            "id": "funds",
                            "description": "enough funds",
                            "condition": "balance >= amount",
                            "required": False,
                            "priority": 1,
                        },
                        condition("pre-3", "currency is supported"),
                    ],
                    postconditions=[
                        condition("post-1", "posted == true", priority="high"),
                        condition("post-2", "ledger is balanced"),
                    ],
                    invariants=[
                        "sum(debits) == sum(credits)",
                        {"rule": "no negative balances", "severity": "critical"},
                    ],
                    states=["open", "frozen", "closed", "off"],
                    transitions=[
                        transition("open", "frozen", trigger="freeze", condition="fraud suspected", action="alert"),
                        transition("frozen", "open", trigger="unfreeze"),
                        transition("frozen", "closed", trigger="close"),
                        transition("closed", "off"),
                    ],
                    executable_spec="Given an open account\nThen postings balance",
                    spec_language="gherkin",
                    contract_metadata={
                        "owner": "team-ledger",
                        "reviewed": "2024-05-01",
                        "links": ["https://wiki/ledger"],
                    },
                ),
            )
        ],
        [],
    ),
    (
        "defaults: an empty mapping, id and title from the file name",
        "contracts/payment-service.yaml",
        b"{}\n",
        [("payment-service", 1, contract(contract_number="payment-service", title="Payment service"))],
        [],
    ),
    (
        "defaults: numbered file name, explicit nulls",
        "contracts/billing/0001-ledger.yml",
        src(
            """
            type: null
            status: ~
            tags:
            """
        ),
        [("CTR-0001", 1, contract(contract_number="CTR-0001", title="CTR-0001"))],
        [],
    ),
    (
        "id written 0010 is CTR-0010 (not YAML 1.1 octal 8)",
        "contracts/x.yaml",
        b"id: 0010\n",
        [("CTR-0010", 1, contract(contract_number="CTR-0010", title="CTR-0010"))],
        [],
    ),
    (
        "anchors and merge keys within the limits",
        "contracts/anchors.yaml",
        src(
            """
            id: ctr-anchor
            base: &base {from: a, to: b}
            states: [a, b, c]
            transitions:
              - <<: *base
                trigger: go
              - {<<: *base, to: c}
            """
        ),
        [
            (
                "ctr-anchor",
                1,
                contract(
                    contract_number="ctr-anchor",
                    title="Ctr anchor",
                    states=["a", "b", "c"],
                    transitions=[transition("a", "b", trigger="go"), transition("a", "c")],
                    contract_metadata={"extra": {"base": {"from": "a", "to": "b"}}},
                ),
            )
        ],
        [warning("contracts/anchors.yaml", 2, 1, "unknown key 'base' kept in contract_metadata.extra")],
    ),
    (
        "warnings: unreachable state, unknown keys, duplicate key, repeated state",
        "contracts/warn.yaml",
        src(
            """
            id: W-1
            description: a free text
            states: [new, done, lost, new]
            transitions:
              - {from: new, to: done, trigger: finish, by: someone}
            preconditions:
              - {description: ready, owner: me}
            title: first
            title: Warned
            """
        ),
        [
            (
                "W-1",
                1,
                contract(
                    contract_number="W-1",
                    title="Warned",
                    states=["new", "done", "lost"],
                    transitions=[transition("new", "done", trigger="finish")],
                    preconditions=[condition("pre-1", "ready")],
                    contract_metadata={"extra": {"description": "a free text"}},
                ),
            )
        ],
        [
            warning("contracts/warn.yaml", 2, 1, "unknown key 'description' kept in contract_metadata.extra"),
            warning("contracts/warn.yaml", 3, 21, "state 'lost' is not reachable from 'new'"),
            warning("contracts/warn.yaml", 3, 27, "state 'new' is listed twice; the repeat is ignored"),
            warning(
                "contracts/warn.yaml",
                5,
                44,
                "unknown key 'by' in a transition ignored; known: from, to, trigger, condition, action",
            ),
            warning(
                "contracts/warn.yaml",
                7,
                26,
                "unknown key 'owner' in preconditions ignored; known: id, description, condition, required, priority",
            ),
            warning("contracts/warn.yaml", 9, 1, "duplicate key 'title'; the last one wins"),
        ],
    ),
    (
        "OpenAPI 3 document",
        "contracts/refund-api.yaml",
        fixture("refund-api.yaml"),
        [
            (
                "refund-api",
                1,
                contract(
                    contract_number="refund-api",
                    title="Refund API",
                    status="approved",
                    executable_spec=fixture("refund-api.yaml").decode(),
                    spec_language="openapi-3.0.3",
                    contract_metadata={
                        "openapi": "3.0.3",
                        "info_version": "1.2.0",
                        "paths": ["/refunds", "/refunds/{id}"],
                    },
                ),
            )
        ],
        [],
    ),
    (
        "Swagger 2 document with x-contract-id and an invalid x-status",
        "contracts/petstore.yaml",
        fixture("petstore-swagger.yaml"),
        [
            (
                "CTR-0012",
                1,
                contract(
                    contract_number="CTR-0012",
                    title="Pet store",
                    executable_spec=fixture("petstore-swagger.yaml").decode(),
                    spec_language="openapi-2.0",
                    contract_metadata={"openapi": "2.0", "info_version": "1.0", "paths": ["/pets"]},
                ),
            )
        ],
        [
            warning(
                "contracts/petstore.yaml",
                6,
                13,
                "info.x-status 'someday' is not a contract status (draft, review, approved, deprecated, archived); "
                "using draft",
            )
        ],
    ),
    (
        "odd scalars made JSON-safe, contract_type synonym, unknown spec key",
        "contracts/odd.yaml",
        src(
            """
            id: odd
            contract_type: system
            metadata:
              blob: !!binary aGVsbG8=
              big: .inf
              nan: .nan
              when: 2024-01-02T03:04:05Z
              flag: yes
              ordered: !!omap [{a: 1}, {b: 2}]
              set: !!set {x, y}
            spec: {language: python, source: ~, runner: pytest}
            """
        ),
        [
            (
                "odd",
                1,
                contract(
                    contract_number="odd",
                    title="Odd",
                    contract_type="system",
                    spec_language="python",
                    contract_metadata={
                        "blob": "aGVsbG8=",
                        "big": ".inf",
                        "nan": ".nan",
                        "when": "2024-01-02T03:04:05+00:00",
                        "flag": True,
                        "ordered": [{"a": 1}, {"b": 2}],
                        "set": {"x": None, "y": None},
                    },
                ),
            )
        ],
        [warning("contracts/odd.yaml", 11, 37, "unknown key 'runner' in spec ignored; known: language, source")],
    ),
    (
        "empty file: no records, a warning",
        "contracts/empty.yaml",
        b"",
        [],
        [warning("contracts/empty.yaml", 1, 0, "no contract in this file (no YAML document)")],
    ),
    (
        "only comments and empty documents",
        "contracts/empty.yaml",
        b"# nothing yet\n---\n---\n",
        [],
        [warning("contracts/empty.yaml", 1, 0, "no contract in this file (no YAML document)")],
    ),
    (
        "BOM and CRLF",
        "contracts/crlf.yaml",
        b"\xef\xbb\xbfid: C-1\r\nstatus: review\r\n",
        [("C-1", 1, contract(contract_number="C-1", title="C-1", status="review"))],
        [],
    ),
]


@pytest.mark.parametrize(
    ("path", "data", "expected", "warnings"),
    [case[1:] for case in VALID_CASES],
    ids=[case[0] for case in VALID_CASES],
)
def test_valid_files(
    path: str, data: bytes, expected: list[tuple[str, int, dict[str, Any]]], warnings: list[Diagnostic]
) -> None:
    result = parse(path, data)
    assert result.path == path
    assert result.kind == "contract"
    assert [(r.kind, r.number, r.line, dict(r.fields), r.children) for r in result.records] == [
        ("contract", number, line, fields, ()) for number, line, fields in expected
    ]
    assert list(result.warnings) == warnings


def test_openapi_spec_round_trips() -> None:
    result = parse("contracts/refund-api.yaml", fixture("refund-api.yaml"))
    spec = result.records[0].fields["executable_spec"]
    assert yaml.safe_load(spec) == yaml.safe_load(fixture("refund-api.yaml"))


def test_records_are_json_safe() -> None:
    import json

    for name in ("payments.yaml", "orders.yaml", "conditions.yaml", "refund-api.yaml"):
        for record in parse(f"contracts/{name}", fixture(name)).records:
            json.dumps(dict(record.fields), allow_nan=False)


# ---------------------------------------------------------------------------------------------------------------
# Errors: every one, with its line


BILLION_LAUGHS = src(
    """
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
    """
)

def _refused(tag: str) -> str:
    """The error of a tag PyYAML's safe loader has no constructor for (its own words, then what to do)."""
    return f"could not determine a constructor for the tag {tag}; remove the tag (only YAML's standard tags are read)"


ERROR_CASES: list[tuple[str, bytes, list[tuple[int, int, str]]]] = [
    (
        "transition to an unknown state",
        src(
            """
            id: C-1
            states: [pending, paid]
            transitions:
              - {from: pending, to: paid}
              - from: paid
                to: refunded
            """
        ),
        [(6, 9, "transition to 'refunded' is not a state (states: paid, pending)")],
    ),
    (
        "transitions without states",
        src(
            """
            transitions:
              - {from: a, to: b}
            """
        ),
        [
            (2, 12, "transition from 'a' is not a state (states: none declared)"),
            (2, 19, "transition to 'b' is not a state (states: none declared)"),
        ],
    ),
    (
        "unknown type and unknown status",
        src(
            """
            id: C-1
            type: microservice
            status: done
            """
        ),
        [
            (
                2,
                7,
                (
                    "unknown contract type 'microservice'; "
                    "allowed: interface, component, service, system, integration, database"
                ),
            ),
            (3, 9, "unknown contract status 'done'; allowed: draft, review, approved, deprecated, archived"),
        ],
    ),
    (
        "duplicate condition ids across pre- and postconditions",
        src(
            """
            preconditions:
              - amount > 0
              - {id: pre-1, description: again}
            postconditions:
              - {id: check, condition: x}
              - {id: check, condition: y}
              - {id: pre-1, condition: z}
            """
        ),
        [
            (3, 5, "duplicate condition id 'pre-1' (first used on line 2)"),
            (6, 5, "duplicate condition id 'check' (first used on line 5)"),
            (7, 5, "duplicate condition id 'pre-1' (first used on line 2)"),
        ],
    ),
    (
        "wrong shapes",
        src(
            """
            title: [not, a, string]
            tags: payments
            preconditions: amount > 0
            postconditions:
              - [nested, list]
              - {required: maybe, condition: x}
              - {priority: 1}
            invariants: [~]
            states: {a: 1}
            transitions: [pay]
            spec: python
            metadata: [owner]
            """
        ),
        [
            (1, 8, "title must be a string, got a list"),
            (2, 7, "tags must be a list, got a string"),
            (3, 16, "preconditions must be a list, got a string"),
            (5, 5, "each item of postconditions must be a string or a mapping, got a list"),
            (6, 16, "required in postconditions must be true or false"),
            (7, 5, "an item of postconditions needs a description or a condition"),
            (8, 14, "each invariant must be a string or a mapping, got a null"),
            (9, 9, "states must be a list, got a mapping"),
            (10, 15, "each transition must be a mapping {from, to, trigger, ...}, got a string"),
            (11, 7, "spec must be a mapping, got a string"),
            (12, 11, "metadata must be a mapping, got a list"),
        ],
    ),
    (
        "more shapes: synonyms disagree, list items, spec source, reserved extra, complex key, tag, version",
        src(
            """
            type: service
            contract_type: system
            tags: [[a], {b: 1}]
            spec: {source: [x]}
            metadata: {extra: 1}
            unknown: 2
            ? [complex]
            : key
            seq: !custom [1]
            ---
            openapi: ""
            """
        ),
        [
            (2, 16, "contract_type 'system' contradicts type 'service'"),
            (3, 8, "each item of tags must be a string, got a list"),
            (3, 13, "each item of tags must be a string, got a mapping"),
            (4, 16, "spec source must be a string, got a list"),
            (5, 12, "metadata.extra is reserved for unknown top-level keys; rename it"),
            (7, 3, "mapping keys must be scalars, got a list"),
            (9, 6, _refused("'!custom'")),
            (11, 10, "openapi must name a version such as 3.0.3"),
        ],
    ),
    (
        "a transition without from/to",
        src(
            """
            states: [a]
            transitions:
              - {trigger: go}
            """
        ),
        [(3, 5, "a transition needs 'from'"), (3, 5, "a transition needs 'to'")],
    ),
    (
        "id and contract_number disagree; empty id",
        src(
            """
            id: C-1
            contract_number: C-2
            ---
            id: ""
            """
        ),
        [
            (2, 18, "contract_number 'C-2' contradicts the id 'C-1' given above"),
            (4, 5, "id must be a non-empty string or number, got a string"),
        ],
    ),
    (
        "duplicate ids among documents",
        src(
            """
            id: 1
            ---
            id: CTR-0001
            """
        ),
        [(3, 5, "duplicate contract id 'CTR-0001' (first used on line 1)")],
    ),
    (
        "a document that is not a mapping",
        src(
            """
            - a
            - b
            ---
            just text
            """
        ),
        [
            (1, 1, "a contract document must be a mapping, got a list"),
            (4, 1, "a contract document must be a mapping, got a string"),
        ],
    ),
    (
        "YAML syntax error",
        src(
            """
            id: C-1
            states: [a, b
            title: x
            """
        ),
        [(3, 6, "YAML syntax error: while parsing a flow sequence, did not find expected ',' or ']'")],
    ),
    (
        "bad indentation",
        src(
            """
            id: C-1
              title: x
            """
        ),
        [
            (2, 8, "YAML syntax error: mapping values are not allowed in this context")
            if yaml.__with_libyaml__
            else (2, 8, "YAML syntax error: mapping values are not allowed here")
        ],
    ),
    (
        "invalid date value and unsupported tag",
        src(
            """
            metadata:
              reviewed: 2024-13-01
              obj: !!python/object:os.system {}
            """
        ),
        [
            (2, 13, "invalid YAML value '2024-13-01': month must be in 1..12"),
            (3, 8, _refused("'tag:yaml.org,2002:python/object:os.system'")),
        ],
    ),
    (
        "invalid merge",
        src(
            """
            id: C-1
            <<: [1]
            """
        ),
        [(2, 6, "invalid merge key (<<): expected a mapping for merging, but found scalar")],
    ),
    (
        "recursive alias",
        b"metadata: &m {self: *m}\n",
        [(1, 21, "recursive YAML alias *m (refers to a node that contains it)")],
    ),
    (
        "undefined alias",
        b"metadata: {x: *nowhere}\n",
        [(1, 15, "YAML alias *nowhere refers to no anchor defined before it")],
    ),
    (
        "control character",
        b"id: C-1\ntitle: a\x07b\n",
        [(2, 9, "YAML reader error: control characters are not allowed (character #x0007)")]
        if yaml.__with_libyaml__
        else [(2, 9, "YAML reader error: special characters are not allowed (character #x0007)")],
    ),
    (
        "invalid UTF-8",
        b"id: C-1\ntitle: caf\xe9\n",
        [(2, 11, "invalid UTF-8 at byte offset 18; save the file as UTF-8")],
    ),
    ("NUL byte", b"id: C-1\n\x00", [(2, 0, "binary content (NUL byte at offset 8); not a text spec file")]),
    (
        "a tag on the document itself",
        b"--- !!python/object:os.system\nid: C-1\ntitle: T\n",
        [(1, 5, _refused("'tag:yaml.org,2002:python/object:os.system'"))],
    ),
    ("a local tag on the document itself", b"--- !custom\nid: C-1\n", [(1, 5, _refused("'!custom'"))]),
    (
        # A tag the safe loader refuses is refused on a list and a mapping too (their items were read as data).
        "python tags on a list and a mapping, local ones on values",
        src(
            """
            id: CTR-0001
            tags: !!python/object/apply:os.system ["rm -rf ~"]
            metadata: !!python/object/new:os.Foo {owner: x}
            status: !custom draft
            states: !x [a, !x b]
            title: !!python/str t
            """
        ),
        [
            (2, 7, _refused("'tag:yaml.org,2002:python/object/apply:os.system'")),
            (3, 11, _refused("'tag:yaml.org,2002:python/object/new:os.Foo'")),
            (4, 9, _refused("'!custom'")),
            (5, 9, _refused("'!x'")),
            (5, 16, _refused("'!x'")),
            (6, 8, _refused("'tag:yaml.org,2002:python/str'")),
        ],
    ),
    (
        "a standard tag on the wrong kind of node",
        b"id: C-1\ntags: !!str [a]\nmetadata: {a: !!seq b}\n",
        [
            (2, 7, "the YAML tag 'tag:yaml.org,2002:str' is for a single value, not a list; remove the tag"),
            (3, 15, "the YAML tag 'tag:yaml.org,2002:seq' is for a list, not a single value; remove the tag"),
        ],
    ),
    (
        # The safe loader reads !!binary as bytes: no text for a title, a tag, a state or an id.
        "binary text fields",
        b"id: !!binary Qy0x\ntitle: !!binary aGVsbG8=\ntags: [!!binary aGVsbG8=]\n",
        [
            (1, 5, "id must be a non-empty string or number, got a binary value"),
            (2, 8, "title must be a string, got a binary value"),
            (3, 8, "each item of tags must be a string, got a binary value"),
        ],
    ),
    (
        "a refused tag in an OpenAPI document",
        b"openapi: 3.0.0\ninfo: {title: x, version: !x 1}\npaths: !!python/object:os.X {}\n",
        [(2, 27, _refused("'!x'")), (3, 8, _refused("'tag:yaml.org,2002:python/object:os.X'"))],
    ),
]


def test_standard_tags_are_read() -> None:
    """The tags the safe loader builds (and the merge key ``<<`` and value key ``=`` it gives plain scalars) stay
    readable; a ``!!binary`` metadata value is kept as its base64 text (a JSON column stores no bytes)."""
    data = src(
        """
        base: &b {owner: x}
        id: C-1
        title: !!str 10
        states: ["<<", =]
        metadata: {<<: *b, a: !!binary aGVsbG8=, s: !!set {x}, o: !!omap [k: 1], n: !!int 7}
        """
    )
    fields = parse("contracts/ok.yaml", data).records[0].fields
    assert (fields["title"], fields["states"]) == ("10", ["<<", "="])
    metadata = fields["contract_metadata"]
    assert {k: metadata[k] for k in ("owner", "a", "n")} == {"owner": "x", "a": "aGVsbG8=", "n": 7}


@pytest.mark.parametrize(
    ("data", "errors"), [case[1:] for case in ERROR_CASES], ids=[case[0] for case in ERROR_CASES]
)
def test_errors(data: bytes, errors: list[tuple[int, int, str]]) -> None:
    with pytest.raises(ParseError) as caught:
        parse("contracts/bad.yaml", data)
    error = caught.value
    # The diagnostics carry the file's warnings too (shown with the errors); the errors are these, in file order.
    assert [(d.line, d.column, d.message) for d in error.diagnostics if d.severity == "error"] == errors
    assert all(d.path == "contracts/bad.yaml" and d.severity in ("error", "warning") for d in error.diagnostics)
    assert (error.line, error.column, error.message) == errors[0]


def test_billion_laughs_fails_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(ParseError) as caught:
        parse("contracts/bomb.yaml", BILLION_LAUGHS)
    assert time.perf_counter() - started < 0.5
    assert caught.value.line == 5
    assert "alias" in caught.value.message and "10000 nodes" in caught.value.message


def test_too_many_aliases() -> None:
    data = b"a: &a x\nb: [" + b", ".join([b"*a"] * 101) + b"]\n"
    with pytest.raises(ParseError) as caught:
        parse("contracts/aliases.yaml", data)
    assert (caught.value.line, caught.value.message) == (
        2,
        "YAML document uses more than 100 aliases, a fixed limit; write the values out",
    )
    # The limit is per document and configurable.
    assert parse("contracts/aliases.yaml", data, ParserOptions(yaml_max_aliases=200)).records


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"metadata: " + b"[" * 70 + b"]" * 70 + b"\n", 1),
        (b"id: C-1\nmetadata:\n" + b"".join(b"  " * i + b"k:\n" for i in range(1, 80)), 66),
        (b"[" * 1_000_000, 1),
    ],
    ids=["flow", "block", "a million brackets"],
)
def test_excessive_nesting(data: bytes, line: int) -> None:
    started = time.perf_counter()
    with pytest.raises(ParseError) as caught:
        parse("contracts/deep.yaml", data)
    assert time.perf_counter() - started < 1.0
    assert caught.value.line == line
    # libyaml's scanner may stop a runaway flow collection (at 1000 levels) before our limit sees the event.
    assert caught.value.message in (
        "YAML nested deeper than 64 levels, a fixed limit; flatten the structure",
        "YAML syntax error: while increasing flow level, exceeded maximum nesting depth",
    )


def test_nesting_through_aliases() -> None:
    deep = "[" * 40 + "x" + "]" * 40
    data = f"a: &a {deep}\nb: &b {'[' * 30}*a{']' * 30}\n".encode()
    with pytest.raises(ParseError) as caught:
        parse("contracts/deep.yaml", data)
    assert (caught.value.line, caught.value.column) == (2, 37)
    assert caught.value.message == (
        "YAML alias *a nests the document deeper than 64 levels, a fixed limit; write the values out"
    )


def test_oversized_file() -> None:
    with pytest.raises(ParseError) as caught:
        parse("contracts/big.yaml", b"id: x\n" * 100, ParserOptions(max_file_size=100))
    assert "over the 100-byte limit" in caught.value.message


# ---------------------------------------------------------------------------------------------------------------
# Content hash: layout is not content


PAYMENTS = fixture("payments.yaml").decode()

REFORMATTED = [
    # re-indented, block style everywhere, keys reordered, comments added
    """
# The payment service contract.
metadata:
    owner: team-payments   # who to call
spec:
    source: "assert pay(10).balance == 90\\n"
    language: python
transitions:
    -   trigger: pay
        from: pending
        to: paid
    -   to: refunded
        condition: within 30 days
        from: paid
        trigger: refund
states:
    - pending
    - paid
    - refunded
invariants:
    - balance >= 0
postconditions:
    -   condition: balance == old(balance) - amount
        id: post-1
        description: balance decreased
preconditions:
    - "amount > 0"
tags:
    - payments
status: approved
type: service
title: Payment service
id: CTR-0001
""",
    # everything in flow style on few lines
    """{id: CTR-0001, title: Payment service, type: service, status: approved, tags: [payments],
preconditions: [amount > 0],
postconditions: [{id: post-1, description: balance decreased, condition: "balance == old(balance) - amount"}],
invariants: ["balance >= 0"], states: [pending, paid, refunded],
transitions: [{from: pending, to: paid, trigger: pay}, {from: paid, to: refunded, trigger: refund,
  condition: within 30 days}],
spec: {language: python, source: "assert pay(10).balance == 90"}, metadata: {owner: team-payments}}
""",
    # same values through an anchor, the spec source folded
    """
id: CTR-0001
title: Payment service
type: service
status: approved
tags: [payments]
preconditions: [amount > 0]
postconditions:
  - id: post-1
    description: balance decreased
    condition: balance == old(balance) - amount
invariants: ["balance >= 0"]
states: [&p pending, paid, refunded]
transitions:
  - {from: *p, to: paid, trigger: pay}
  - {from: paid, to: refunded, trigger: refund, condition: within 30 days}
spec:
  language: python
  source: >
    assert pay(10).balance
    == 90
metadata: {owner: team-payments}
""",
]


def _hash(text: str) -> str:
    result = parse("contracts/payments.yaml", text.encode())
    (record,) = result.records
    return record.content_hash


@pytest.mark.parametrize("variant", REFORMATTED, ids=["block-reordered-commented", "flow", "anchor-folded"])
def test_layout_does_not_change_the_hash(variant: str) -> None:
    assert _hash(variant) == _hash(PAYMENTS)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("{from: paid, to: refunded, trigger: refund,", "{from: paid, to: refunded, trigger: reimburse,"),
        ("{from: pending, to: paid, trigger: pay}", "{from: pending, to: paid, trigger: pay, action: log}"),
        ("status: approved", "status: review"),
        ("  - amount > 0", "  - amount >= 0"),
    ],
)
def test_content_changes_change_the_hash(old: str, new: str) -> None:
    assert old in PAYMENTS
    assert _hash(PAYMENTS.replace(old, new)) != _hash(PAYMENTS)


# ---------------------------------------------------------------------------------------------------------------
# Totality: any bytes → ParseResult or ParseError, never anything else


def _check_total(data: bytes, path: str = "contracts/fuzz.yaml") -> None:
    try:
        result = parse(path, data)
    except ParseError as exc:
        assert exc.diagnostics, exc
        assert not exc.message.startswith("internal parser error"), exc
        return
    assert isinstance(result, ParseResult)
    for record in result.records:
        assert record.content_hash  # canonical JSON of the fields must work
        assert set(record.fields) == set(contract())


ALL_FIXTURES = [fixture(name) for name in sorted(p.name for p in FIXTURES.iterdir())] + [BILLION_LAUGHS]

YAML_TOKENS = [
    "id:",
    "title:",
    "type:",
    "status:",
    "states:",
    "transitions:",
    "preconditions:",
    "postconditions:",
    "invariants:",
    "spec:",
    "metadata:",
    "tags:",
    "from:",
    "to:",
    "openapi: 3.0.0",
    "info:",
    "paths:",
    "<<:",
    "- ",
    "  ",
    "    ",
    "\n",
    "---",
    "...",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "&a",
    "*a",
    "&b",
    "*b",
    "!!str",
    "!!binary",
    "!!set",
    "!!omap",
    "!tag",
    "? ",
    "|",
    ">",
    "'",
    '"',
    "#",
    "~",
    "null",
    "yes",
    "no",
    "off",
    "0x1F",
    "0o17",
    "1e9",
    ".inf",
    ".nan",
    "2024-02-30",
    "2024-01-01T10:00:00",
    "service",
    "draft",
    "a",
    "b",
    "%YAML 1.1",
    "%TAG ! tag:x,",
    "\t",
    "\\",
    "é",
    "\u2028",
    "\ufeff",
]


@settings(deadline=2000, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes(data: bytes) -> None:
    _check_total(data)


@settings(deadline=2000, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(YAML_TOKENS), max_size=80).map("".join))
def test_yaml_ish_text(text: str) -> None:
    _check_total(text.encode("utf-8"))


@st.composite
def mutated_fixture(draw: st.DrawFn) -> bytes:
    """A fixture with slices deleted, duplicated, replaced or spliced in from another fixture."""
    data = bytearray(draw(st.sampled_from(ALL_FIXTURES)))
    for _ in range(draw(st.integers(1, 5))):
        start = draw(st.integers(0, len(data)))
        end = draw(st.integers(start, min(len(data), start + 40)))
        action = draw(st.sampled_from(["delete", "duplicate", "replace", "splice", "token"]))
        if action == "delete":
            del data[start:end]
        elif action == "duplicate":
            data[start:start] = data[start:end]
        elif action == "replace":
            data[start:end] = draw(st.binary(max_size=8))
        elif action == "splice":
            other = draw(st.sampled_from(ALL_FIXTURES))
            a = draw(st.integers(0, len(other)))
            data[start:end] = other[a : a + draw(st.integers(0, 200))]
        else:
            data[start:start] = draw(st.sampled_from(YAML_TOKENS)).encode("utf-8")
    return bytes(data)


@settings(deadline=2000, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_fixture())
def test_near_valid_documents(data: bytes) -> None:
    _check_total(data)


# ---------------------------------------------------------------------------------------------------------------
# Without libyaml: the pure-Python safe loader gives the same records and lines


@pytest.fixture
def python_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    import tracertm.parsers._yaml as module  # shared by contracts and ADR front matter

    monkeypatch.setattr(module, "LOADER", yaml.SafeLoader)


@pytest.mark.usefixtures("python_loader")
@pytest.mark.parametrize("name", ["payments.yaml", "orders.yaml", "conditions.yaml", "refund-api.yaml"])
def test_python_loader_same_records(name: str) -> None:
    case = next(c for c in VALID_CASES if c[2] == fixture(name))
    result = parse(case[1], case[2])
    assert [(r.number, r.line, dict(r.fields)) for r in result.records] == case[3]


@pytest.mark.usefixtures("python_loader")
@pytest.mark.parametrize(
    ("data", "where"),
    [
        (BILLION_LAUGHS, (5, 8)),
        (b"id: C-1\nstates: [a, b\ntitle: x\n", (3, 6)),
        (b"id: C-1\ntitle: a\x07b\n", (2, 9)),
        (b"metadata: &m {self: *m}\n", (1, 21)),
        (b"[" * 100_000, (1, 65)),
    ],
    ids=["bomb", "syntax", "reader", "recursive", "deep"],
)
def test_python_loader_errors(data: bytes, where: tuple[int, int]) -> None:
    with pytest.raises(ParseError) as caught:
        parse("contracts/bad.yaml", data)
    assert (caught.value.line, caught.value.column) == where


# ---------------------------------------------------------------------------------------------------------------
# Real-world API documents among the contracts (issue 13): AsyncAPI 2 and 3, shared-components OpenAPI files


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "streetlights-asyncapi2.yaml",
            contract(
                contract_number="streetlights-asyncapi2",
                title="Streetlights API",
                contract_type="integration",
                status="review",
                spec_language="asyncapi-2.6.0",
                contract_metadata={
                    "asyncapi": "2.6.0",
                    "info_version": "1.0.0",
                    "channels": ["light/measured", "light/turn-on"],
                    "operations": ["onLightMeasured", "publish light/turn-on"],
                    "components": {"messages": ["LightMeasured"]},
                },
            ),
        ),
        (
            "orders-asyncapi3.yaml",
            contract(
                contract_number="orders-asyncapi3",
                title="Order events",
                contract_type="integration",
                spec_language="asyncapi-3.0.0",
                contract_metadata={
                    "asyncapi": "3.0.0",
                    "info_version": "2.1.0",
                    "channels": ["orderCancelled", "orderCreated"],
                    "operations": ["onOrderCancelled", "publishOrderCreated"],
                },
            ),
        ),
        (
            "shared-schemas.yaml",
            contract(
                contract_number="shared-schemas",
                title="Shared schemas",
                spec_language="openapi",
                contract_metadata={
                    "openapi": None,
                    "info_version": None,
                    "paths": [],
                    "components": {"parameters": ["PageSize"], "schemas": ["Error", "Money"]},
                },
            ),
        ),
    ],
    ids=["asyncapi-2", "asyncapi-3", "components-only-openapi"],
)
def test_api_documents_are_contracts_without_warnings(name: str, expected: dict[str, Any]) -> None:
    data = fixture(name)
    result = parse(f"contracts/{name}", data)
    assert result.warnings == ()  # no unknown-key warnings for the standard keys
    [record] = result.records
    assert dict(record.fields) == {**expected, "executable_spec": data.decode()}  # the document as written
    assert yaml.safe_load(record.fields["executable_spec"]) == yaml.safe_load(data)


def test_asyncapi_without_a_version_is_an_error_at_its_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse("contracts/events.yaml", b"info: {title: x}\nasyncapi: ''\nchannels: {}\n")
    assert (caught.value.line, caught.value.message) == (2, "asyncapi must name a version such as 3.0.0")


def test_components_next_to_contract_keys_is_still_a_contract() -> None:
    result = parse("contracts/x.yaml", b"id: C-1\ntitle: X\ncomponents: {}\n")
    assert result.records[0].fields["contract_type"] == "interface"
    assert [w.message for w in result.warnings] == ["unknown key 'components' kept in contract_metadata.extra"]


def test_openapi_extension_keys_of_paths_are_not_paths() -> None:
    # The Paths Object holds ``/…`` templates and ``x-`` extensions (OpenAPI 2.0 and 3.x); a tool's stamp is no path.
    data = b"openapi: 3.0.0\ninfo: {title: A, version: '1'}\npaths:\n  /a: {}\n  x-generated-by: tool\n"
    [record] = parse("contracts/a.yaml", data).records
    assert record.fields["contract_metadata"]["paths"] == ["/a"]


def test_asyncapi_channels_and_operations_keep_every_key() -> None:
    # AsyncAPI's Channels and Operations Objects have no extensions: a key that starts with ``x-`` names one.
    data = b"asyncapi: 3.0.0\ninfo: {title: A, version: '1'}\nchannels: {x-ray: {}}\noperations: {x-on: {}}\n"
    [record] = parse("contracts/a.yaml", data).records
    metadata = record.fields["contract_metadata"]
    assert (metadata["channels"], metadata["operations"]) == (["x-ray"], ["x-on"])


@pytest.mark.parametrize(
    ("path", "number"),
    [
        ("contracts/1.0-orders.yaml", "1.0-orders"),  # a version, not a number: 1.1-orders.yaml is another contract
        ("contracts/3.2-tags-example.yaml", "3.2-tags-example"),
        ("contracts/1.0.yaml", "1.0"),
        ("contracts/0001-ledger.yaml", "CTR-0001"),
        ("contracts/0001.yaml", "CTR-0001"),
        ("contracts/0001.ledger.yaml", "CTR-0001"),
        ("contracts/7_x.yml", "CTR-0007"),
    ],
)
def test_a_file_name_number_is_no_version(path: str, number: str) -> None:
    from tracertm.rough_sketch import sketch_text

    data = b"openapi: 3.0.0\ninfo: {title: Orders, version: '1'}\npaths: {}\n"
    [record] = parse(path, data).records
    assert record.number == number
    # The hook's rough sketch (regular expressions) names the file's contract alike.
    assert [r.number for r in sketch_text(path, "contract", data, ParserOptions()).records] == [number]


def test_an_api_documents_spec_is_its_text_as_written() -> None:
    # Not a dump of its values: that lost the comment, read 1.10 as 1.1 (info_version said "1.10"), dropped the
    # !!binary tag (a string came back) and expanded the anchor.
    text = (
        "openapi: 3.0.0\n# owner: team-x\ninfo:\n  title: Ext\n  version: 1.10\npaths:\n  /a:\n    get:\n"
        "      parameters:\n        - &p {name: q, in: query, schema: {default: !!binary aGVsbG8=}}\n"
        "        - *p\n"
    )
    [record] = parse("contracts/ext.yaml", text.encode()).records
    assert record.fields["executable_spec"] == text
    assert record.fields["contract_metadata"]["info_version"] == "1.10"


def test_each_api_document_of_a_file_keeps_its_own_text() -> None:
    first = "# the orders API\nopenapi: 3.0.0\ninfo: {title: Orders, version: '1'}\npaths: {}\n"
    second = "# events\nasyncapi: 3.0.0\ninfo: {title: Events, version: '1'}\n"
    third = "{openapi: 3.1.0, info: {title: Flow, version: '1'}, x-contract-id: flow}\n"
    data = f"%YAML 1.1\n---\n{first}--- # the second\n{second}...\n# between\n--- {third}".encode()
    records = parse("contracts/apis.yaml", data).records
    assert [r.fields["executable_spec"] for r in records] == [first, second, third]
    assert [r.line for r in records] == [4, 9, 13]


def test_an_api_document_with_an_unsupported_tag_is_still_an_error() -> None:
    # Its values are no longer stored, but still read for their errors.
    with pytest.raises(ParseError) as caught:
        parse("contracts/x.yaml", b"openapi: 3.0.0\ninfo: {title: X, version: '1'}\nx-bad: !!python/name:os.system\n")
    assert caught.value.message.startswith("could not determine a constructor for the tag")
