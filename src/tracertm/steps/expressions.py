"""Step definitions → matchers, each with its framework's rules, plus the words an index can file it under:
``compile_definition`` picks the matcher of the definition's kind.

- Cucumber Expressions through the ``cucumber-expressions`` package, with a ``ParameterTypeRegistry`` per framework
  family holding the parameter types the project declares (an undeclared ``{type}`` is an error at the definition):
  ``cucumber_matchers``, the registries in ``parameter_types``.
- Regexes checked by Python's ``re`` after translation (``tracertm.steps.regex``), matched under a time bound
  (``tracertm.steps.bounded``: a catastrophically backtracking pattern is a finding, not a hang — as are parse
  patterns with the project's types); anchoring as the framework does it:
  cucumber-js, cucumber-ruby and godog search (unanchored unless the pattern says ``^…$``), cucumber-jvm and
  pytest-bdd match the whole text, behave matches from the start (``re.match``: its ``re0`` matcher the pattern as
  written, its ``re`` matcher ``^pattern$``, which the parser records as the pattern), Reqnroll searches the pattern
  with ``^`` and ``$`` added as text where it lacks them (``^a|b`` is ``^a|b$``): ``regex_matchers``.
- ``parse`` / ``cfparse`` through the ``parse`` / ``parse_type`` packages (whole text), with the project's types:
  ``parse_matchers``.
- pytest-bdd's plain strings by equality (here).

What every kind's matcher shares (``Compiled``, ``Argument``, ``DefinitionError``, the bounded compile) is in
``compiled``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tracertm.errors import Diagnostic
from tracertm.steps.compiled import Argument, Compiled, DefinitionError, key_words, one_line
from tracertm.steps.cucumber_matchers import PARAMETER, SIMPLE, compile_cucumber, escaped, parse_tree
from tracertm.steps.model import StepDefinition
from tracertm.steps.parameter_types import FAMILY, Registries
from tracertm.steps.parse_matchers import compile_parse
from tracertm.steps.regex_matchers import compile_regex

# Imported from here by the tests (with ``Argument``, ``DefinitionError`` and ``Registries``, the bench's too), from
# before the matchers of each kind had modules of their own; src imports them from those modules.
from tracertm.steps.cucumber_matchers import _simple_regexp, _spaces, _split_head, _top_level_groups  # noqa: F401
from tracertm.steps.regex_matchers import _regex_head  # noqa: F401

__all__ = ["Argument", "DefinitionError", "Registries", "compile_definition", "compile_matchable", "pattern_errors"]


def compile_definition(definition: StepDefinition, registries: Registries, lazy: bool = False, decimal: str = "."
                       ) -> Compiled:
    """The matcher of one definition; ``DefinitionError`` when it cannot match anything. ``decimal``: the decimal
    separator of the features it is to match (``Registries.cucumber``; ``LOCALIZED`` tells which definitions care).

    ``lazy``: the bounded (``regex`` package) compile of a Cucumber Expression's or a regex's pattern waits for its
    first match (see ``compile_matchable``); a pattern ``regex`` then refuses never matches, where an eager compile
    raises ``DefinitionError``. ``re``'s checks of the pattern still run here."""
    kind = definition.kind
    family = FAMILY[definition.framework]
    if kind == "cucumber-expression":
        registry = registries.cucumber(family, decimal)
        unusable = registries.unusable.get(family, {})
        for found in PARAMETER.finditer(definition.pattern) if unusable else ():
            failed = unusable.get(found.group(1))
            if failed is not None and not escaped(definition.pattern, found.start()):
                decl, severity = failed
                raise DefinitionError(f"uses the parameter type {{{decl.name}}}, which cannot be used: see "
                                      f"{decl.path}:{decl.line}", severity)
        return compile_cucumber(definition, registry, lazy)
    if kind == "regex":
        return compile_regex(definition, lazy)
    if kind in ("parse", "cfparse"):
        # pytest-bdd's types are the definition's own (``parameter_types.scoped_key``); behave's the process's.
        scope = definition.identity if definition.framework == "pytest-bdd" else ""
        return compile_parse(definition, registries.parse_types(family, scope))
    pattern = definition.pattern

    def equal(text: str) -> tuple[Argument, ...] | None:
        return () if text == pattern else None

    return Compiled(definition, equal, key_words(pattern.split(" ")), pattern)


def compile_matchable(
    definitions: Iterable[StepDefinition], registries: Registries, lazy: bool = False
) -> list[Compiled]:
    """The matchers of ``definitions`` that can match something, in order; one that cannot is left out (its parse
    or check reports it).

    ``lazy`` (``compile_definition``): each pattern is compiled for bounded matching when the index first offers
    its definition to a step — about three quarters of the cost of compiling a definition. The matches are the
    same: a definition whose pattern the ``regex`` package refuses is then kept but never matches, instead of
    being left out."""
    compiled: list[Compiled] = []
    for definition in definitions:
        try:
            compiled.append(compile_definition(definition, registries, lazy))
        except DefinitionError:
            continue
    return compiled


def _may_be_refused(d: StepDefinition) -> bool:
    """Whether ``translate`` may find the definition's regex refused by its own engine (``regex.Refused``): a brace
    in Java, Kotlin, C# or Ruby (a repetition count past the engine's limit) or a class such as ``\\d`` beside a
    ``-`` (at an end of a range: ``[+-\\d]``), the u or v flag in JavaScript, or there a quantifier after ``\\b``,
    ``\\B``, ``^`` or ``$``, or a lookbehind (which may be quantified). Checked first: most regexes are none of
    these, and need no compile here."""
    if d.language in ("java", "kotlin", "csharp", "ruby"):
        return "{" in d.pattern or _CLASS_BESIDE_DASH.search(d.pattern) is not None
    return d.language in ("javascript", "typescript") and (
        "u" in d.flags or "v" in d.flags or _JS_MAY_REPEAT_ASSERTION.search(d.pattern) is not None)


# A class escape before or after a ``-``: perhaps at an end of a range, which most engines refuse (``regex._class``).
_CLASS_BESIDE_DASH = re.compile(r"\\[dDwWsShHvV]-|-\\[dDwWsShHvV]")
# What a JavaScript regex without the u flag may quantify and its syntax refuses to (``regex._js_syntax``).
_JS_MAY_REPEAT_ASSERTION = re.compile(r"(?:\\[bB]|[\^$])[*+?{]|\(\?<[=!]")


def pattern_errors(definitions: Iterable[StepDefinition]) -> list[Diagnostic]:
    """The definitions whose pattern its framework refuses whatever the other step files declare, as the errors
    ``tracertm steps`` and ``check`` give them: a Python regex that does not compile (behave and pytest-bdd compile
    it when the step module loads), a Go regex RE2 refuses (godog's ``regexp.MustCompile`` panics when it registers
    the step), a Cucumber Expression that does not parse (cucumber builds it when the support code loads). What
    depends on other files (an undeclared parameter type, a parse pattern's custom types) and
    what is only tracertm's limit (a JavaScript or Java regex it cannot translate) is not here: the steps report
    names those. A Java regex ``java.util.regex`` refuses (cucumber-jvm fails to load the glue) and a JavaScript one
    that is a syntax error with the u flag are."""
    found: list[Diagnostic] = []
    for d in definitions:
        try:
            if d.kind == "regex" and (d.language in ("python", "go") or _may_be_refused(d)):
                # ``re`` compiles it (Go's: RE2's refusals checked too; a Go regex ``re`` refuses is only a
                # warning, tracertm's translation may be at fault; Java's and JavaScript's refusals are
                # ``translate``'s); the bounded compile waits
                compile_regex(d, lazy=True)
            elif d.kind == "cucumber-expression" and not SIMPLE.fullmatch(d.pattern):
                from cucumber_expressions.errors import CucumberExpressionError

                try:
                    parse_tree(d.pattern)
                except CucumberExpressionError as exc:
                    raise DefinitionError(f"is not a valid Cucumber Expression: {one_line(exc)}") from None
        except DefinitionError as exc:
            if exc.severity == "error":
                found.append(Diagnostic(d.path, d.line, d.column, f"step definition {d.display_pattern!r} {exc}"))
    return found
