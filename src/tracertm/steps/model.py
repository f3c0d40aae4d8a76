"""What the step-definition parsers produce and the matcher consumes: plain, immutable records.

A ``StepDefinition`` carries the git-owned facts of one definition (keyword, pattern, pattern kind, framework,
where it is, its function and parameters). Its ``content_hash`` covers only what changes which steps it matches
and what it hands them — (keyword, pattern, kind, parameter types) — so editing the function body, renaming a
parameter or moving the definition in its file is not a new version of it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from tracertm.errors import Diagnostic

Keyword = Literal["given", "when", "then", "step"]  # "step": any keyword (behave @step, cucumber's untyped glue)
PatternKind = Literal["cucumber-expression", "regex", "parse", "cfparse", "string"]
Framework = Literal[
    "behave", "pytest-bdd", "cucumber-js", "playwright-bdd", "cucumber-jvm", "godog", "cucumber-ruby", "reqnroll"
]
KEYWORDS: tuple[Keyword, ...] = ("given", "when", "then", "step")

# Bump when a change to the step parsers alters what a definition means (every definition is re-hashed once), and
# ``parsers.common.PARSER_OUTPUT`` with it, or with any change of what a step file parses to: that one makes the next
# sync parse every step file again, which the blob gate would not.
STEP_PARSER_VERSION = "1"


@dataclass(frozen=True)
class Parameter:
    """One parameter of a step function: its name and declared type (``""`` when the language leaves it out)."""

    name: str
    type: str = ""


@dataclass(frozen=True)
class StepDefinition:
    """One step definition found in a step file.

    ``flags`` are regex flags in the source language's letters (``i``, ``s``, ``m``...), for RegExp literals; for a
    pytest-bdd parse/cfparse pattern, ``c``: compiled with ``case_sensitive=True`` (parse's default ignores case).
    ``identity`` is file + function name (``features/steps/login.py::step_login``); a function name that several
    definitions of the file share (behave's ``step_impl``, stacked decorators, repeated annotations) adds keyword
    and pattern (``…::step_impl:given(a user)``): see ``assign_identities``.
    ``registration``: a behave definition's place in its file's registration order (``python.BehaveStepFile``:
    a function's stacked decorators bottom-up), which decides the first match (``matching.settle``) and the
    load-time ``AmbiguousStep`` (``report``); a godog definition's place in the order its file's scenario
    initializer registers them (``golang``), which decides godog's first match; None when unknown (other
    frameworks, a godog definition the initializer does not reach, rows written before it was kept): line order
    then. Not part of ``content_hash``: reordering decorators is no new version.
    """

    keyword: Keyword
    pattern: str
    kind: PatternKind
    framework: Framework
    language: str
    path: str
    line: int
    column: int
    function: str
    parameters: tuple[Parameter, ...] = ()
    flags: str = ""
    target_fixture: str | None = None
    identity: str = ""
    registration: int | None = None
    # Reqnroll's ``[Scope]`` attributes (tag expression, feature title, scenario title; ``steps.reqnroll``): the
    # scenarios the definition may match. Part of ``content_hash`` when there are any.
    scopes: tuple[tuple[str | None, str | None, str | None], ...] = ()
    # The keyword as the source writes it, where a report would not spell it so from ``keyword``: cucumber-jvm's
    # localized annotations (``@Étantdonné``: ``keyword`` is ``step``, as cucumber-jvm ignores keywords), ``@And``,
    # a Kotlin annotation, a lambda glue call (``Given``, no ``@``). Empty: the keyword's own spelling. Shown by
    # ``report``; not part of ``content_hash`` (a label, not what the definition matches).
    label: str = ""
    # The alternatives of the file's ``if``/``else``, ``try``/``except`` (and Python's ``match``) the definition sits
    # in, outermost first: (line, column) of the statement and which branch (``if``: 0, ``else``: 1; ``try`` with
    # its ``else``: 0, each ``except``: 1, 2…; each ``case``: 0, 1…). Only one branch runs: two definitions in
    # different branches of one statement are never both registered (``exclusive``). Not part of ``content_hash``.
    alternatives: tuple[tuple[int, int, int], ...] = ()

    @cached_property
    def content_hash(self) -> str:
        """sha256 over (keyword, pattern, kind, parameter types — and scopes, when scoped), salted with the step
        parser version."""
        hashed: list[object] = [self.keyword, self.pattern, self.kind, self.flags, [p.type for p in self.parameters]]
        if self.scopes:
            hashed.append([list(s) for s in self.scopes])
        payload = json.dumps(hashed, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(f"tracertm:step:{STEP_PARSER_VERSION}\n{payload}".encode()).hexdigest()

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def display_pattern(self) -> str:
        """The pattern as its framework's usage report shows it (regexes as ``/…/flags``)."""
        if self.kind == "regex" and self.language in ("javascript", "typescript", "ruby"):
            return f"/{self.pattern}/{self.flags}"
        return self.pattern

    def as_dict(self) -> dict[str, object]:
        return {
            "identity": self.identity,
            "keyword": self.keyword,
            "pattern": self.pattern,
            "kind": self.kind,
            "flags": self.flags,
            "framework": self.framework,
            "language": self.language,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "function": self.function,
            "parameters": [{"name": p.name, "type": p.type} for p in self.parameters],
            "target_fixture": self.target_fixture,
            **({"scopes": [{"tag": t, "feature": f, "scenario": c} for t, f, c in self.scopes]}
               if self.scopes else {}),
            **({"label": self.label} if self.label else {}),
            "content_hash": self.content_hash,
        }


def exclusive(a: StepDefinition, b: StepDefinition) -> bool:
    """Whether ``a`` and ``b`` sit in different branches of one ``if``/``try``/``match`` of their file
    (``StepDefinition.alternatives``): the code that runs registers at most one of them."""
    if a.path != b.path or not a.alternatives or not b.alternatives:
        return False
    branches = {(line, col): branch for line, col, branch in a.alternatives}
    return any(branches.get((line, col), branch) != branch for line, col, branch in b.alternatives)


@dataclass(frozen=True)
class ParameterTypeDecl:
    """A custom parameter type declared in code (``defineParameterType``, ``@ParameterType``, behave's
    ``register_type``...). ``regexps`` are in the declaring language's syntax; ``framework`` decides which
    definitions may use it (a behave type means nothing to cucumber-js). ``registry``: ``"cucumber"`` for behave's
    cucumber_expressions matcher's own types (``define_parameter_type``), which its parse types (``register_type``)
    never reach, nor it theirs; for pytest-bdd's ``extra_types``, the identity of the definition whose parser is
    given them (they are that parser's alone); empty for the framework's one registry. ``prefer``: cucumber's
    ``preferForRegexpMatch`` (cucumber-jvm's ``preferForRegexMatch``, Ruby's ``prefer_for_regexp_match``) written
    ``true``: the type a regex definition's group of its regexp stands for
    (``parameter_types.Registries.regexp_rivals``)."""

    name: str
    regexps: tuple[str, ...]
    framework: Framework
    language: str
    path: str
    line: int
    flags: str = ""
    registry: str = ""
    prefer: bool = False


@dataclass(frozen=True)
class StepFile:
    """The definitions and parameter types of one step file, plus the definitions that could not be read
    (``errors``: ``path:line:col`` each; the rest of the file still counts)."""

    path: str
    language: str
    definitions: tuple[StepDefinition, ...] = ()
    parameter_types: tuple[ParameterTypeDecl, ...] = ()
    errors: tuple[Diagnostic, ...] = ()
    warnings: tuple[Diagnostic, ...] = field(default=())
    # Python: the modules its module-level imports run, each (the dots of a relative import, its dotted name):
    # which behave features folders load a step library (``libraries.importers``).
    module_imports: tuple[tuple[int, str], ...] = ()


def assign_identities(path: str, definitions: list[StepDefinition]) -> tuple[StepDefinition, ...]:
    """Give every definition its identity, which must not depend on where it is in the file (moving a definition
    is no new version, and a ``STEP-n`` never passes to another definition):

    - ``path::function`` for a function that holds the file's only definition of that name;
    - ``path::function:keyword(pattern)`` when the name repeats — behave's snippets name every step function
      ``step_impl``, Java overloads share a name, stacked decorators share a function: numbering them by position
      would relabel two of them when they swap (``STEP-1`` taking the other's pattern, usage and links);
    - ``path::keyword(pattern)`` for anonymous glue (a JavaScript arrow function, a Java lambda);
    - ``#k`` after the k-th of identical ones (same name, keyword and pattern: which is which cannot matter)."""
    from dataclasses import replace

    names = Counter(d.function for d in definitions if d.function)
    seen: dict[str, int] = {}
    out: list[StepDefinition] = []
    for d in definitions:
        if not d.function:
            base = f"{path}::{d.keyword}({d.pattern})"
        elif names[d.function] > 1:
            base = f"{path}::{d.function}:{d.keyword}({d.pattern})"
        else:
            base = f"{path}::{d.function}"
        seen[base] = seen.get(base, 0) + 1
        out.append(replace(d, identity=base if seen[base] == 1 else f"{base}#{seen[base]}"))
    return tuple(out)
