"""Step files → records for the sync engine: one ``step`` record per definition, keyed by its identity
(``file::function``), its fields named after the ``step_definitions`` columns.

The content hash of a step record covers only what decides which steps it matches and what it hands them —
(keyword, pattern, kind, flags, parameter types) — so editing the function body, renaming a parameter or moving the
definition inside its file is not a new version (positions are refreshed silently, as for every kind).

A step file in which some definition cannot be read, or whose pattern its framework would refuse when it loads the
step code (a Python regex that does not compile, a Go regex RE2 refuses, a Cucumber Expression that does not
parse), is a ``ParseError`` for the sync: its previous rows stay exactly as they were (a broken file never changes
what the database holds). ``tracertm steps`` and ``check`` still use the rest of such a file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from tracertm.errors import ParseError
from tracertm.parsers.records import DEFAULT_OPTIONS, ParseResult, ParserOptions, SpecRecord
from tracertm.steps.model import STEP_PARSER_VERSION, StepDefinition, StepFile

STEP_KIND = "step_definition"  # the record kind and the file kind (as spec_revisions.entity_type names it)


@dataclass(frozen=True)
class StepRecord(SpecRecord):
    """A step definition row to be (see the module docstring for its content hash)."""

    @cached_property
    def content_hash(self) -> str:
        f = self.fields
        hashed: list[object] = [f["step_type"], f["pattern"], f["pattern_kind"], f["step_metadata"].get("flags", ""),
                                [p["type"] for p in f["parameters"]]]
        if f["step_metadata"].get("scopes"):  # Reqnroll's [Scope]s, as ``StepDefinition.content_hash`` hashes them
            hashed.append([list(s) for s in f["step_metadata"]["scopes"]])
        payload = json.dumps(hashed, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(f"tracertm:step:{STEP_PARSER_VERSION}\n{payload}".encode()).hexdigest()


def fields_of(d: StepDefinition) -> dict[str, Any]:
    """The git-owned columns of one definition's row."""
    metadata: dict[str, Any] = {"column": d.column}
    if d.flags:
        metadata["flags"] = d.flags
    if d.target_fixture:
        metadata["target_fixture"] = d.target_fixture
    if d.scopes:  # Reqnroll's [Scope]s: a definition rebuilt from its row still matches in scope only
        metadata["scopes"] = [list(s) for s in d.scopes]
    if d.registration is not None:
        # behave's registration order in the file (stacked decorators bottom-up), godog's (its scenario
        # initializer's calls): a sync that rebuilds the definitions from their rows (a step file that does not
        # parse now) still matches in that order.
        metadata["registration"] = d.registration
    if d.alternatives:  # the if/try branches it sits in: a definition rebuilt from its row is still exclusive
        metadata["alternatives"] = [list(a) for a in d.alternatives]
    if d.label:  # the keyword as written (``@Étantdonné``), for a report of definitions rebuilt from their rows
        metadata["label"] = d.label
    return {
        "step_number": d.identity,
        "step_type": d.keyword,
        "pattern": d.pattern,
        "pattern_kind": d.kind,
        "regex_pattern": d.pattern if d.kind == "regex" else None,
        "framework": d.framework,
        "language": d.language,
        "function_name": d.function or None,
        "line": d.line,
        "implementation_path": d.path,
        "parameters": [{"name": p.name, "type": p.type} for p in d.parameters],
        "step_metadata": metadata,
    }


@dataclass(frozen=True)
class StepParseResult(ParseResult):
    """A step file's records, with the ``StepFile`` they come from: sync's linking uses it (definitions and
    parameter types) instead of reading and parsing the file again."""

    step_file: StepFile | None = None


def parse(path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS) -> ParseResult:
    """One step file as sync records; ``ParseError`` when the file or any definition in it cannot be read, or has
    a pattern its framework refuses (``expressions.pattern_errors``)."""
    from tracertm.steps.expressions import pattern_errors
    from tracertm.steps.parsing import parse_step_file

    step_file = parse_step_file(path, data, options)
    errors = [*step_file.errors, *pattern_errors(step_file.definitions)]
    if errors:
        raise ParseError.from_diagnostics(errors)
    records = tuple(StepRecord(STEP_KIND, d.identity, fields_of(d), d.line)  # type: ignore[arg-type]
                    for d in step_file.definitions)
    return StepParseResult(path, STEP_KIND, records, step_file.warnings, step_file)  # type: ignore[arg-type]
