"""A guard: a sync after a change of parser options ends where a cold sync of the same files with the new options
does. The options' digest makes that sync parse every file again, but the planner writes a record only when its
content hash (or its file's bytes) changed: an option that ever reached a field the content hash does not cover
would leave those rows stale. Each option that a repository can set and that changes what files parse into has a
case here; a new ``ParserOptions`` field fails ``test_every_parser_option_is_covered_or_excused`` until it has one
(or a reason it needs none)."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from conftest import GitRepo
from specs import dump
from tracertm import db
from tracertm.config import load_settings
from tracertm.engine.sync import sync
from tracertm.errors import ConfigError
from tracertm.parsers.records import ParserOptions


class Case(NamedTuple):
    """``option`` set by ``first`` (a .tracertm.toml), then by ``then``: everything else alike. ``fails``: a file
    that parses with the first value and is an error with the second."""

    option: str
    first: str
    then: str
    fails: str | None = None


CASES = {
    "date_format set": Case("date_format", "", 'date_format = "DD/MM/YYYY"\n'),
    "date_format swapped": Case("date_format", 'date_format = "MM/DD/YYYY"\n', 'date_format = "DD/MM/YYYY"\n'),
    "date_format unset": Case("date_format", 'date_format = "DD/MM/YYYY"\n', ""),
    "requirement_pattern": Case("requirement_pattern", "", "requirement_pattern = 'RQ-\\d+'\n"),
    "feature_id_pattern": Case("feature_id_pattern", "", "feature_id_pattern = 'F-\\d+'\n"),
    "scenario_id_pattern": Case("scenario_id_pattern", "", "scenario_id_pattern = 'S-\\d+'\n"),
    # The same files, found from other folders: the untagged feature's derived id is its path below another one.
    "feature_roots": Case("feature_roots", "",
                          "feature_paths = ['features/billing/**/*.feature', 'features/*.feature']\n"),
    "max_file_size raised": Case("max_file_size", "max_file_size = 200\n", ""),
    # The feature grows too large: like any file that fails, it keeps its last good records (README, "How sync
    # decides"), which a cold sync never had; the file index says why, as the cold sync's does.
    "max_file_size lowered": Case("max_file_size", "", "max_file_size = 200\n", fails="features/login.feature"),
}
# Fields of ParserOptions no case needs, and why.
EXCUSED = {
    "yaml_max_depth": "not settable: a hardening limit of the YAML reader, fixed by tracertm",
    "yaml_max_aliases": "not settable: a hardening limit of the YAML reader, fixed by tracertm",
    "extra": "not settable: filled by a sync from the step files themselves (behave's step matchers); a change "
             "there is a change of those files (tests/steps/test_behave_*)",
}

ADR_1 = ("# 1. Use X\n\nDate: 09/04/2018\n\n## Status\n\nAccepted\n\n## Context\n\nNeeded for REQ-7 and RQ-8.\n\n"
         "## Decision\n\nWe will use X.\n\n## Consequences\n\nSome.\n")
ADR_2 = ("# 2. Use Y\n\nDate: 03/15/2019\n\n## Status\n\nAccepted\n\n## Context\n\nADR-0001 was not enough.\n\n"
         "## Decision\n\nWe will use Y too.\n")
CONTRACT = ("id: CTR-0001\ntitle: Payments for REQ-3 and RQ-4 (ADR-0001)\ntype: service\nstatus: approved\n"
            "states: [pending, paid]\ntransitions:\n  - {from: pending, to: paid, trigger: pay}\n")
LOGIN = """@FEAT-1 @F-9 @ADR-0001
Feature: Login
  As a user
  I want to sign in
  So that REQ-5 and RQ-6 hold

  @SC-1 @S-5 @REQ-1 @RQ-2
  Scenario: sign in
    Given a thing
    When I act
    Then it works

  Scenario: sign out
    Given another thing
    When I act again
    Then it still works

  @REQ-11 @RQ-12
  Rule: lockout

    @SC-3 @S-8
    Scenario Outline: too many tries
      Given <n> failed tries
      Then it works

      @REQ-9 @RQ-10
      Examples:
        | n |
        | 3 |
"""
INVOICE = "Feature: Invoice\n\n  @S-7\n  Scenario: send\n    Given a thing\n    Then it works\n"
STEPS = """from behave import given, when, then


@given("a thing")
def a_thing(context):
    pass


@when("I act")
def act(context):
    pass


@then("it works")
def works(context):
    pass
"""

# Every kind of record a sync writes from the files, with what links and matches them.
TABLES = ("adrs", "contracts", "features", "scenarios", "step_definitions", "scenario_steps", "links", "source_files")
# Ids and the database's own bookkeeping: times, versions (a warm sync's rows have more), the row's project.
_LEFT_OUT = {"id", "project_id", "created_at", "updated_at", "deleted_at", "version", "target_version",
             "reviewed_version", "reviewed_at"}
_NUMBERS = {"adrs": "adr_number", "contracts": "contract_number", "features": "feature_number",
            "scenarios": "scenario_number", "step_definitions": "step_number"}


def _records(engine: Any) -> dict[str, list[dict[str, Any]]]:
    """The live rows of ``TABLES`` without ``_LEFT_OUT``; a reference to another row (a scenario's feature, a
    link's ends, a match's scenario, a matched step's definition in ``scenario_steps.steps``) as that row's table
    and number, so that it is compared too."""
    rows = dump(engine, volatile=True, tables=TABLES)
    names: dict[Any, str] = {}
    for table, column in _NUMBERS.items():
        for row in rows[table]:
            names[row["id"]] = names[row["id"].hex] = f"{table}:{row[column]}"
    out: dict[str, list[dict[str, Any]]] = {}
    for table, found in rows.items():
        # What the former options made and a sync since deleted is history, of which a cold sync has none.
        live = [row for row in found if row.get("deleted_at") is None]
        out[table] = sorted(({k: _named(v, names) for k, v in row.items() if k not in _LEFT_OUT} for row in live),
                            key=repr)
    return out


def _named(value: Any, names: dict[Any, str]) -> Any:
    """``value`` with each id of a record in it (a column's UUID, a JSON list's hex string) as ``names`` has it."""
    if isinstance(value, list):
        return [_named(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _named(v, names) for k, v in value.items()}
    return names.get(value, value) if isinstance(value, (str, uuid.UUID)) else value


def _key(table: str, row: dict[str, Any]) -> Any:
    """What a row of ``table`` is, to pair the rows of two states."""
    if table == "links":
        return row["source_ref"], row["link_type"], row["target_ref"], row["source_line"]
    if table == "scenarios":
        return row["feature_id"], row["scenario_number"]
    return row[{**_NUMBERS, "scenario_steps": "scenario_id", "source_files": "path"}[table]]


def _differences(after: dict[str, list[dict[str, Any]]], scratch: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Each row that differs between two states: which columns, or that one state lacks it."""
    lines = []
    for table in TABLES:
        warm = {_key(table, row): row for row in after[table]}
        cold = {_key(table, row): row for row in scratch[table]}
        for key in sorted(warm.keys() | cold.keys(), key=repr):
            a, b = warm.get(key), cold.get(key)
            if a is None or b is None:
                lines.append(f"{table} {key!r}: only in the {'cold sync' if a is None else 'sync after the change'}")
            elif a != b:
                lines += [f"{table} {key!r}: {c} = {a[c]!r} after the change, {b[c]!r} in the cold sync"
                          for c in a if a[c] != b[c]]
    return lines


def _options(tmp_path: Path, toml: str) -> ParserOptions:
    """The parser options of a folder (a new one in ``tmp_path``) whose .tracertm.toml is ``toml``."""
    folder = tmp_path / str(len(list(tmp_path.iterdir())))
    folder.mkdir()
    (folder / ".tracertm.toml").write_text(toml, encoding="utf-8")
    return load_settings(folder).parser


def test_every_parser_option_is_covered_or_excused(tmp_path: Path) -> None:
    """A field added to ParserOptions needs a case (or a reason it needs none), and each case changes its option
    alone: the first and the second configuration give options that differ in that field only."""
    fields = {f.name for f in dataclasses.fields(ParserOptions)}
    covered = {case.option for case in CASES.values()}
    assert not fields - covered - set(EXCUSED), (
        f"ParserOptions fields {sorted(fields - covered - set(EXCUSED))} have no case in CASES: add a repository "
        "case (a sync after a change of the option must equal a cold sync with it) or say in EXCUSED why none")
    assert not (covered | set(EXCUSED)) - fields, "a case or excuse names a field ParserOptions no longer has"
    assert not covered & set(EXCUSED)
    for name in EXCUSED:
        with pytest.raises(ConfigError, match=f"unknown key '{name}'"):
            _options(tmp_path, f"{name} = 1\n")  # (else it can be set now: it needs a case)
    for label, case in CASES.items():
        first, then = _options(tmp_path, case.first), _options(tmp_path, case.then)
        differ = {f for f in fields if getattr(first, f) != getattr(then, f)}
        assert differ == {case.option}, label


@pytest.mark.parametrize("label", CASES)
def test_a_sync_after_an_option_change_equals_a_cold_sync(label: str, git_repo: GitRepo, database_url: str,
                                                          other_database_url: str) -> None:
    """Synced with the first value, then again with the second: the records (every kind, every column but ids,
    times and versions; deleted ones left out) are a cold sync's with the second value, into an empty database."""
    case = CASES[label]
    git_repo.write("docs/adr/0001-use-x.md", ADR_1)
    git_repo.write("docs/adr/0002-use-y.md", ADR_2)
    git_repo.write("contracts/payments.yaml", CONTRACT)
    git_repo.write("features/login.feature", LOGIN)
    git_repo.write("features/billing/invoice.feature", INVOICE)
    git_repo.write("features/steps/steps.py", STEPS)
    git_repo.write(".tracertm.toml", case.first)
    git_repo.commit("seed")
    warm, cold = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        sync(git_repo.path, engine=warm, project="p")
        before = _records(warm)
        # Changed in the work tree, not committed: both databases then read the same files from the same commit,
        # so the rows' commits (source_commit, last_commit) are compared as well.
        git_repo.write(".tracertm.toml", case.then)
        errors = sync(git_repo.path, engine=warm, project="p").errors
        assert errors == sync(git_repo.path, engine=cold, project="p").errors
        assert [e.path for e in errors] == ([case.fails] if case.fails else [])
        after, scratch = _records(warm), _records(cold)
        assert before != scratch, "the option changes what these files parse into (else this case proves nothing)"
        if case.fails:
            assert after == {**before, "source_files": scratch["source_files"]}
        else:
            assert after == scratch, (f"{label}: the sync after the change differs from a cold sync (stale rows?):\n"
                                      + "\n".join(_differences(after, scratch)))
    finally:
        warm.dispose()
        cold.dispose()
