"""Every git-owned field of every kind (ADR, contract, feature, scenario, step definition) is refused by PATCH with a
409 problem naming the source file and the line where that field is written — the ``Feature:`` line for a feature's
title, the tag carrying a status, the front-matter line of an ADR's status, the YAML key of a contract field in its
own document — and, where no line holds the value, ``line`` null with a ``line_note`` saying why (SQLite and
PostgreSQL, through the HTTP app). The table must name every git-owned field of the read models: a new column
without an entry fails here."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from apikit import api_client, make_token
from conftest import GitRepo
from tracertm.api import ApiSettings
from tracertm.engine.sync import sync
from tracertm.repositories.kinds import KINDS
from tracertm.schemas.records import read_model

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"

ADR_NYGARD = """# 1. Use git

Date: 2024-01-02

## Status

Accepted

## Context

We need history.

## Decision

Git.

## Consequences

History.
"""
ADR_MADR = """---
status: accepted
date: 2024-01-05
deciders: Grace Hopper, Alan Turing
tags: [storage, db]
---
# Use PostgreSQL

## Context and Problem Statement

We need a durable store (REQ-12).

## Decision Drivers

* durability

## Considered Options

* PostgreSQL
* SQLite

## Decision Outcome

Chosen option: "PostgreSQL", because it is durable.

### Consequences

* Good, because backups.

Supersedes [1. Use git](0001-use-git.md)
"""
CONTRACTS = """id: CTR-0001
title: Refunds
type: component
status: approved
---
id: CTR-0002
title: Payments
type: service
status: review
tags: [payments]
preconditions:
  - amount > 0
postconditions:
  - {id: post-1, description: balance decreased, condition: "balance < old"}
invariants: ["balance >= 0"]
states: [pending, paid]
transitions:
  - {from: pending, to: paid, trigger: pay}
spec:
  language: python
  source: |
    assert True
metadata:
  owner: payments
"""
FEATURE = """# language: en
@FEAT-1 @status:approved
@ADR-0001 @REQ-7
Feature: Refunds
  Refund paid orders.
  As a customer
  I want my money back
  So that I trust the shop

  Background:
    Given a paid order

  @SC-1 @review
  Scenario: full refund
    A refund of everything.
    Given a paid order
    When I refund it
    Then it is refunded

  Rule: partial refunds
    @SC-2 @REQ-8
    Scenario Outline: partial refund of <amount>
      Given a paid order
      When I refund <amount>
      Then it is refunded

      Examples:
        | amount |
        | 5      |
"""
STEPS = '''from behave import given, when, then


@given("a paid order")
def paid(context):
    """An order that was paid."""
    pass


@when("I refund it")
def refund_all(context):
    pass


@when("I refund {amount}")
def refund_some(context, amount):
    pass


@then("it is refunded")
def refunded(context):
    pass
'''
FILES = {
    "docs/adr/0001-use-git.md": ADR_NYGARD,
    "docs/adr/0002-use-postgresql.md": ADR_MADR,
    "contracts/payments.yaml": CONTRACTS,
    "features/refunds.feature": FEATURE,
    "features/steps/refunds.py": STEPS,
}

# kind → (URL segment, id, file) and field → the text the named line holds, or None: no line (line_note says why).
# A text ending in "+" is a line where the value is to be added (it has a note too).
RECORDS = {
    "adr": ("adrs", "ADR-0002", "docs/adr/0002-use-postgresql.md"),
    "contract": ("contracts", "CTR-0002", "contracts/payments.yaml"),
    "feature": ("features", "FEAT-1", "features/refunds.feature"),
    "scenario": ("scenarios", "FEAT-1/SC-1", "features/refunds.feature"),
    "step_definition": ("step-definitions", "features/steps/refunds.py::paid", "features/steps/refunds.py"),
}
EXPECTED: dict[str, dict[str, str | None]] = {
    "adr": {
        "adr_number": None, "title": "# Use PostgreSQL", "status": "status: accepted",
        "context": "## Context and Problem Statement", "decision": "## Decision Outcome",
        "consequences": "### Consequences", "decision_drivers": "## Decision Drivers",
        "considered_options": "## Considered Options", "related_requirements": "We need a durable store (REQ-12)",
        "related_adrs": "Supersedes [1. Use git]", "supersedes": "Supersedes [1. Use git]", "superseded_by": None,
        "stakeholders": "deciders: Grace Hopper", "tags": "tags: [storage, db]", "date": "date: 2024-01-05",
    },
    "contract": {
        "contract_number": "id: CTR-0002", "title": "title: Payments", "contract_type": "type: service",
        "status": "status: review", "preconditions": "preconditions:", "postconditions": "postconditions:",
        "invariants": "invariants:", "states": "states:", "transitions": "transitions:",
        "executable_spec": "  source: |", "spec_language": "  language: python", "tags": "tags: [payments]",
    },
    "feature": {
        "feature_number": "@FEAT-1 @status:approved", "title": "Feature: Refunds", "name": "Feature: Refunds",
        "description": "  Refund paid orders.", "as_a": "  As a customer", "i_want": "  I want my money back",
        "so_that": "  So that I trust the shop", "status": "@FEAT-1 @status:approved", "background": "  Background:",
        "tags": "@FEAT-1 @status:approved", "related_requirements": "@ADR-0001 @REQ-7",
        "related_adrs": "@ADR-0001 @REQ-7",
    },
    "scenario": {
        "scenario_number": "  @SC-1 @review", "title": "  Scenario: full refund", "description": "    A refund of",
        "gherkin_text": "  Scenario: full refund", "background": "  Background:",
        "given_steps": "    Given a paid order", "when_steps": "    When I refund it",
        "then_steps": "    Then it is refunded", "is_outline": "  Scenario: full refund",
        "examples": "  Scenario: full refund+", "tags": "  @SC-1 @review", "status": "  @SC-1 @review",
        "requirement_ids": "@ADR-0001 @REQ-7", "last_status": None, "execution_count": None, "flaky": None,
    },
    "step_definition": {
        "step_number": "def paid(context):", "title": '@given("a paid order")', "step_type": '@given("a paid order")',
        "pattern": '@given("a paid order")', "regex_pattern": '@given("a paid order")',
        "implementation_path": '@given("a paid order")+', "implementation_code": "def paid(context):",
        "parameters": "def paid(context):", "documentation": "def paid(context):",
        "examples": '@given("a paid order")', "pattern_kind": '@given("a paid order")',
        "framework": '@given("a paid order")', "language": '@given("a paid order")+',
        "function_name": "def paid(context):", "line": '@given("a paid order")',
    },
}
# Metadata keys the files set, one per kind that has some: the key's own line.
METADATA = {
    "contract": ("owner", "  owner: payments"),
    "feature": ("language", "# language: en"),
    "scenario": ("rule", None),  # SC-1 is in no Rule: the scenario line, with a note
}


@pytest.fixture
def repo(git_repo: GitRepo, engine: Any) -> GitRepo:
    for path, text in FILES.items():
        git_repo.write(path, text)
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    return git_repo


def refused(client: TestClient, token: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.patch(url, json=body, headers={"Authorization": f"Bearer {token}", "If-Match": "*"})
    assert response.status_code == 409, (url, body, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/git-owned-field") and problem["status"] == 409 and "line" in problem
    return problem  # type: ignore[no-any-return]


def git_owned(kind: str) -> set[str]:
    k = KINDS[kind]
    named = {name for name in read_model(kind).model_fields if k.owner_of(name) == "git" and name != "metadata"}
    return named | ({"title"} if k.owner_of(k.title) == "git" else set())  # a feature's title is its name


def test_the_table_names_every_git_owned_field() -> None:
    for kind, fields in EXPECTED.items():
        assert set(fields) == git_owned(kind), kind


def _check(problem: dict[str, Any], repo: GitRepo, path: str, expected: str | None, what: Any) -> None:
    assert problem["source_path"] == path, what
    if expected is None:
        assert problem["line"] is None and problem["line_note"], (what, problem)
        assert problem["line_note"] in problem["detail"], what
        return
    lines = repo.read(path).splitlines()
    assert problem["line"], (what, problem)
    assert lines[problem["line"] - 1].startswith(expected.removesuffix("+")), (what, problem["line"], problem)
    assert f"{path}:{problem['line']}" in problem["detail"], what
    assert ("line_note" in problem) == expected.endswith("+"), (what, problem)


def test_every_git_owned_field_names_its_file_and_line(repo: GitRepo, engine: Any) -> None:
    token = make_token(engine)
    with api_client(engine, ApiSettings(repositories={"shop": str(repo.path)})) as client:
        for kind, fields in EXPECTED.items():
            segment, ident, path = RECORDS[kind]
            for field, expected in fields.items():
                problem = refused(client, token, f"{API}/{segment}/{ident}", {field: "x"})
                assert problem["fields"] == [field]
                _check(problem, repo, path, expected, (kind, field))
        for kind, (key, expected) in METADATA.items():
            segment, ident, path = RECORDS[kind]
            problem = refused(client, token, f"{API}/{segment}/{ident}", {"metadata": {key: 1}})
            if expected is None:
                assert problem["line"] and problem["line_note"]
            else:
                _check(problem, repo, path, expected, (kind, key))
        # Nothing was written by any of them.
        for segment, ident, _ in RECORDS.values():
            assert client.get(f"{API}/{segment}/{ident}").json()["version"] == 1


def test_defaults_and_other_documents_and_rules(repo: GitRepo, engine: Any) -> None:
    """A status no tag sets (the default) names the line to add the tag above; a contract's key is looked for in
    its own document (CTR-0001, the first one); a scenario in a Rule finds its Examples and its own tags."""
    token = make_token(engine)
    with api_client(engine, ApiSettings(repositories={"shop": str(repo.path)})) as client:
        problem = refused(client, token, f"{API}/contracts/CTR-0001", {"status": "x"})
        _check(problem, repo, "contracts/payments.yaml", "status: approved", "CTR-0001")
        problem = refused(client, token, f"{API}/contracts/CTR-0001", {"tags": "x"})
        _check(problem, repo, "contracts/payments.yaml", "id: CTR-0001+", "CTR-0001 tags")
        assert "tags" in problem["line_note"]
        problem = refused(client, token, f"{API}/scenarios/FEAT-1/SC-2", {"examples": "x"})
        _check(problem, repo, "features/refunds.feature", "      Examples:", "SC-2")
        problem = refused(client, token, f"{API}/scenarios/FEAT-1/SC-2", {"requirement_ids": "x"})
        _check(problem, repo, "features/refunds.feature", "    @SC-2 @REQ-8", "SC-2")
        problem = refused(client, token, f"{API}/scenarios/FEAT-1/SC-2", {"status": "x"})
        _check(problem, repo, "features/refunds.feature", "@FEAT-1 @status:approved", "SC-2 status")
        problem = refused(client, token, f"{API}/adrs/ADR-0001", {"status": "x"})
        _check(problem, repo, "docs/adr/0001-use-git.md", "Accepted", "ADR-0001 status")
        problem = refused(client, token, f"{API}/adrs/ADR-0001", {"context": "x"})
        _check(problem, repo, "docs/adr/0001-use-git.md", "## Context", "ADR-0001 context")

    repo.write("features/refunds.feature", FEATURE.replace(" @status:approved", "").replace(" @review", ""))
    repo.commit("no status tags")
    sync(repo.path, engine=engine, project="shop")
    with api_client(engine, ApiSettings(repositories={"shop": str(repo.path)})) as client:
        problem = refused(client, token, f"{API}/features/FEAT-1", {"status": "x"})
        _check(problem, repo, "features/refunds.feature", "Feature: Refunds+", "default status")
        assert "@status:" in problem["line_note"]


def test_without_the_repository_the_line_is_unknown_and_said_so(repo: GitRepo, engine: Any) -> None:
    token = make_token(engine)
    with api_client(engine) as client:
        for kind in ("adr", "contract", "feature"):
            segment, ident, path = RECORDS[kind]
            problem = refused(client, token, f"{API}/{segment}/{ident}", {"status": "x"})
            assert problem["source_path"] == path and problem["line"] is None
            assert "--path" in problem["line_note"] and problem["line_note"] in problem["detail"]
        # Scenarios and step definitions: the database knows their lines.
        problem = refused(client, token, f"{API}/scenarios/FEAT-1/SC-1", {"then_steps": "x"})
        _check(problem, repo, "features/refunds.feature", "    Then it is refunded", "then_steps")
        problem = refused(client, token, f"{API}/step-definitions/features/steps/refunds.py::paid", {"pattern": "x"})
        _check(problem, repo, "features/steps/refunds.py", '@given("a paid order")', "pattern")


def test_a_dangling_link_review_names_the_file_and_line_as_members(repo: GitRepo, engine: Any) -> None:
    """README: "a dangling link is 409 naming the file and line to fix" — in ``source_path`` and ``line`` too, not
    only in the detail text."""
    repo.write("features/refunds.feature", FEATURE.replace("@ADR-0001 @REQ-7", "@ADR-0099 @REQ-7"))
    repo.commit("dangling reference")
    sync(repo.path, engine=engine, project="shop")
    token = make_token(engine)
    with api_client(engine, ApiSettings(repositories={"shop": str(repo.path)})) as client:
        links = client.get(f"{API}/projects/shop/links?dangling=true").json()["items"]
        assert links, "a dangling link"
        response = client.patch(f"{API}/projects/shop/links/{links[0]['id']}", json={"reviewed": True},
                                headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 409 and response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["source_path"] == "features/refunds.feature" and isinstance(problem["line"], int)
        assert f"features/refunds.feature:{problem['line']}" in problem["detail"]


ADR_KEYS = """---
status: accepted
date: 2024-01-02
owner: team-x
"Review-Board": [a, b]
slug: kept-as-written
---
# Use things

## Context and Problem Statement

x
"""


def test_an_adr_front_matter_key_names_its_line(git_repo: GitRepo, engine: Any) -> None:
    """A front-matter key the ADR parser keeps in metadata is refused naming the key's own line: the key as written
    (quoted, any case), and one named as a key the parser computes, kept as ``front_matter:<key>``. A computed key
    has no line, and says so. It was ``line`` null, "derived from the text", for every key."""
    git_repo.write("docs/adr/0001-use-things.md", ADR_KEYS)
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    token = make_token(engine)
    path = "docs/adr/0001-use-things.md"
    with api_client(engine, ApiSettings(repositories={"shop": str(git_repo.path)})) as client:
        for key, expected in (("owner", "owner: team-x"), ("Review-Board", '"Review-Board": [a, b]'),
                              ("front_matter:slug", "slug: kept-as-written"), ("dialect", None)):
            problem = refused(client, token, f"{API}/adrs/ADR-0001", {"metadata": {key: "me"}})
            assert problem["fields"] == [f"metadata.{key}"]
            _check(problem, git_repo, path, expected, key)


JUNIT = ('<testsuite name="s" tests="1"><testcase classname="tests.test_pay" name="test_pays" time="0.1"/>'
         "</testsuite>")


def test_every_read_only_field_of_every_kind_is_409(repo: GitRepo, engine: Any) -> None:
    """Every read-model field a PATCH cannot set — git's, the engine's, those derived when a record is read (a
    scenario's ``feature_deleted``, a step definition's ``short_id``: 422 "Extra inputs are not permitted" before,
    as if the API had no such field) — is the 409 ``git-owned-field`` saying why, nothing written. The update
    model's own fields are left out: the settable ones, and ``usage_count`` (its 422 says why,
    test_usage_count_read_only)."""
    from tracertm.schemas.updates import update_model

    token = make_token(engine)
    with api_client(engine, ApiSettings(repositories={"shop": str(repo.path)})) as client:
        uploaded = client.post(f"{API}/projects/shop/test-runs", content=JUNIT,
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"})
        assert uploaded.status_code in (200, 201), uploaded.text
        case = client.get(f"{API}/projects/shop/test-cases").json()["items"][0]["id"]
        records = {**{kind: (segment, ident) for kind, (segment, ident, _) in RECORDS.items()},
                   "test_case": ("test-cases", case)}
        for kind, (segment, ident) in records.items():
            settable = set(update_model(kind).model_fields)
            read_only = [name for name in read_model(kind).model_fields if name not in settable | {"metadata"}]
            assert read_only, kind
            before = client.get(f"{API}/{segment}/{ident}").json()
            for name in read_only:
                problem = refused(client, token, f"{API}/{segment}/{ident}", {name: before[name]})
                assert problem["fields"] == [name], (kind, name, problem)
            assert client.get(f"{API}/{segment}/{ident}").json() == before, kind
