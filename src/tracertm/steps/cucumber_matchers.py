"""Cucumber Expressions → matchers (``compile_cucumber``). Most expressions are plain text and ``{name}``
parameters: their regex is built here (``_simple_regexp``), split into a literal head compared with ``startswith``
and the rest matched under the time bound, and a text with another number of spaces is rejected before any match
(``_spaces``); the others are built by the ``cucumber-expressions`` package. Where that regex reads UTF-16 code
units (cucumber-js's, Reqnroll's: ``utf16.expression_counts_units``), it and the texts are matched split into halves.
"""

from __future__ import annotations

import re
from typing import Any

from re import _parser as sre_parse  # type: ignore[attr-defined]  # Python's own regex parser (always loaded)
from re._constants import SUBPATTERN  # type: ignore[import-not-found]

from tracertm.steps import utf16
from tracertm.steps.bounded import TooLarge, check_size, compile_pattern
from tracertm.steps.compiled import (
    INLINE_FLAG, Argument, Compiled, DefinitionError, Later, Match, Values, bounded_pattern, key_words, one_line,
    too_large, type_regex_error,
)
from tracertm.steps.linear import linear_source
from tracertm.steps.model import StepDefinition
from tracertm.steps.dotnet_types import DOTNET_INT
from tracertm.steps.parameter_types import FAMILY, JS_FLOAT, SPACELESS_JVM, group_count
from tracertm.steps.regex import LANGUAGES, language_classes, translate
from tracertm.steps.regex_matchers import split_arguments

# The package's parser recurses once per optional inside an optional, a few frames a level: a few hundred nested
# ``(`` exhaust Python's stack. Cucumber refuses any optional inside an optional, so the pattern is invalid anyway.
NESTED_OPTIONALS = ("is not a valid Cucumber Expression: its optionals are nested too deeply to read, and an "
                    "optional may not contain another optional; escape '(' as '\\(' or use a regular expression")


def parse_tree(pattern: str) -> Any:
    """The ``cucumber-expressions`` package's syntax tree of ``pattern``; its ``CucumberExpressionError`` when the
    pattern does not parse, ``DefinitionError`` when its optionals nest past the parser's recursion."""
    from cucumber_expressions.expression_parser import CucumberExpressionParser

    try:
        return CucumberExpressionParser().parse(pattern)
    except RecursionError:
        raise DefinitionError(NESTED_OPTIONALS) from None


def compile_cucumber(definition: StepDefinition, registry: Any, lazy: bool = False) -> Compiled:
    """The matcher of a Cucumber Expression with the parameter types of ``registry`` (a ``ParameterTypeRegistry``,
    ``Registries.cucumber``); ``DefinitionError`` when it cannot match. ``lazy``: see
    ``expressions.compile_definition``."""
    simple = _simple_regexp(definition.pattern, registry)
    if simple is not None and definition.language not in ("ruby", "csharp") and _NAMED_GROUP.search(simple[0]):
        # A type's named group: the package's regex, which ``re`` checks. A name twice (the type used twice) is an
        # error there, as in JavaScript ("Duplicate capture group name") and Java; ``regex`` takes it.
        simple = None
    head = ""
    spaces = -1  # the spaces of every text it matches, when known (``_spaces``)
    # Its texts are matched split into UTF-16 halves (``utf16.split``), as its regex is: the registry's parameter
    # regexes are (``parameter_types._translated``), the expression's own text is split here.
    units = utf16.expression_counts_units(definition.language)
    if simple is not None:
        names = PARAMETER.findall(definition.pattern)  # (a simple expression has no escaped braces)
        spaces = _spaces(definition.pattern, registry)
        # Escaped text and the registry's (valid) parameter regexes: compiled once, for bounded matching only (a
        # second compile with ``re`` to validate it cost a quarter of compiling a project's definitions).
        import regex

        source, top = simple
        # The built-in types' regexes are Python's (``-?\d+``, ``.*``): their classes and dots mean what they do in
        # the language (cucumber-js's ``{word}`` is ``[^\s]+`` with JavaScript's ``\s``).
        source = language_classes(source, definition.language)
        if units:  # (the head is compared with the split text: its halves stay characters, the rest is escaped)
            source = utf16.split(source) or source
            head, rest = _split_head(utf16.split(definition.pattern) or definition.pattern, source)
            source, rest = utf16.escaped(source), utf16.escaped(rest)
        else:
            head, rest = _split_head(definition.pattern, source)
        try:
            if linear_source(rest):
                later = Later(rest, 0, "match", None if lazy else re.compile(rest), linear=True)
            else:
                later = Later(rest, 0, "match", None if lazy else compile_pattern(rest))
        except (re.error, regex.error):
            try:  # the whole pattern's error (positions in the message are the whole pattern's)
                later = Later(source, 0, "match", None if lazy else compile_pattern(source))
                head = ""
            except regex.error as exc:
                raise DefinitionError(f"is not a valid Cucumber Expression: {one_line(exc)}") from None
        except TooLarge as exc:
            raise too_large(exc) from None
    else:
        source, top, names = _cucumber_package(definition, registry)
        source = language_classes(source, definition.language)
        source = utf16.escaped(utf16.split(source) or source) if units else source
        # It holds the project's parameter types' regexes.
        later = Later(source, 0, "match", None if lazy else bounded_pattern(source, 0))
    if lazy:  # too large: refused now, as an eager compile refuses it, not silently at its first match
        try:
            check_size(source)
        except TooLarge as exc:
            raise too_large(exc) from None
        except (re.error, RecursionError):
            pass  # (the compile at its first match refuses it)

    def match(text: str) -> tuple[Argument, ...] | None:
        if spaces >= 0 and text.count(" ") != spaces:
            return None
        split = utf16.split(text) if units else None
        if split is not None:
            return split_arguments(later.find(split, head), top)
        found = later.find(text, head)
        if found is None:
            return None
        return tuple(Argument(found.group(g), *found.span(g)) for g in top)

    # ``group(*top)``: one group's value alone, several as a tuple, none → the whole match (so not called then).
    single = len(top) == 1

    def values(text: str) -> tuple[str | None, ...] | None:
        if spaces >= 0 and text.count(" ") != spaces:
            return None
        split = utf16.split(text) if units else None
        if split is not None:
            arguments = split_arguments(later.find(split, head), top)
            return None if arguments is None else tuple(a.value for a in arguments)
        found = later.find(text, head)
        if found is None:
            return None
        if single:
            return (found.group(top[0]),)
        return found.group(*top) if top else ()

    matcher: Match = match
    valuer: Values = values
    quoted = frozenset(i for i, name in enumerate(names) if name == "string")
    if quoted:
        matcher, valuer = _unquoting(match, values, quoted, definition.framework != "reqnroll")
    special = "(){}/\\"
    return Compiled(
        definition, matcher, key_words(definition.pattern.split(" "), special),
        _literal_tokens(definition.pattern, special), values=valuer,
    )


def _unquoting(match: Match, values: Values, quoted: frozenset[int], unescape: bool) -> tuple[Match, Values]:
    """``match`` and ``values`` with the arguments at ``quoted`` (those of the built-in ``{string}``) as the framework
    hands them (``_unquoted``); each span stays the quoted text's, as cucumber's argument group is."""

    def unquoted_match(text: str) -> tuple[Argument, ...] | None:
        found = match(text)
        if found is None:
            return None
        return tuple(Argument(_unquoted(a.value, unescape), a.start, a.end) if i in quoted else a
                     for i, a in enumerate(found))

    def unquoted_values(text: str) -> tuple[str | None, ...] | None:
        found = values(text)
        if found is None:
            return None
        return tuple(_unquoted(v, unescape) if i in quoted else v for i, v in enumerate(found))

    return unquoted_match, unquoted_values


def _unquoted(value: str | None, unescape: bool) -> str | None:
    """A ``{string}`` argument's matched text (``"…"`` or ``'…'``) as the framework hands it: the text between its
    quotes, with ``\\"`` and ``\\'`` unescaped where ``unescape`` (cucumber-expressions' transformer in JavaScript,
    Java, Ruby and Python: ``(s1 ?? s2).replace(/\\\\"/g, '"').replace(/\\\\'/g, "'")``); Reqnroll hands its inner
    regex group's text as it is (``MatchArgumentCalculator``: no transformer for the built-in string)."""
    if value is None:
        return None
    inner = value[1:-1]
    return inner.replace('\\"', '"').replace("\\'", "'") if unescape else inner


def _cucumber_package(definition: StepDefinition, registry: Any) -> tuple[str, list[int], list[str]]:
    """(regex, top-level groups, the names of their parameter types) of a Cucumber Expression, built by the
    ``cucumber-expressions`` package."""
    from cucumber_expressions.errors import CucumberExpressionError, UndefinedParameterTypeError
    from cucumber_expressions.expression import CucumberExpression
    from cucumber_expressions.parameter_type import ParameterType

    try:
        for _ in range(16):
            try:
                expression = CucumberExpression(definition.pattern, registry)
                break
            except UndefinedParameterTypeError as exc:
                found = re.search(r"Undefined parameter type '([^']*)'", str(exc))
                if definition.framework != "reqnroll" or found is None:
                    raise
                # Reqnroll also accepts any enum type's name ({Color}); tracertm cannot see enums: any word.
                registry.define_parameter_type(ParameterType(found.group(1), r"\w+", str, None, False, False))
        else:  # pragma: no cover - sixteen undeclared types in one expression
            raise DefinitionError("uses too many undeclared parameter types")
    except UndefinedParameterTypeError as exc:
        found = re.search(r"Undefined parameter type '([^']*)'", str(exc))
        name = found.group(1) if found else "?"
        where = {"js": "defineParameterType", "jvm": "@ParameterType", "ruby": "ParameterType",
                 "behave": "define_parameter_type"}.get(FAMILY[definition.framework], "parameter type declaration")
        raise DefinitionError(
            f"uses the parameter type {{{name}}}, which no {where} in the step files declares; declare it or fix "
            "the name") from None
    except re.error as exc:  # the package escapes the expression's text: a parameter type's regex is at fault
        raise type_regex_error("Cucumber Expression", exc) from None
    except (CucumberExpressionError, ValueError) as exc:
        raise DefinitionError(f"is not a valid Cucumber Expression: {one_line(exc)}") from None
    except RecursionError:
        raise DefinitionError(NESTED_OPTIONALS) from None

    # The package's own match() costs ~20 µs (it builds a group tree per call). Its regex, compiled by ``re``, gives
    # the same arguments: one per top-level capturing group (a parameter; groups inside a type's regex nest).
    try:
        re.compile(expression.regexp)
        names = [parameter_type.name for parameter_type in expression.parameter_types]
        return expression.regexp, _top_level_groups(expression.regexp), names
    except re.error as exc:  # the package escapes the expression's text: a parameter type's regex is at fault
        raise type_regex_error("Cucumber Expression", exc) from None


def _literal_tokens(pattern: str, special: str) -> str:
    """The leading whitespace-separated tokens of ``pattern`` free of ``special`` characters, with the space that
    follows them: a prefix every match starts with (``"I have "`` of ``"I have {int} cukes"``)."""
    tokens = pattern.split(" ")
    kept: list[str] = []
    for token in tokens[:-1]:
        if not token or any(c in special for c in token):
            break
        kept.append(token)
    else:
        if tokens and not any(c in special for c in tokens[-1]):
            return pattern  # all literal
    return " ".join(kept) + " " if kept else ""


# An expression of plain text and ``{name}`` parameters only: no optional text, alternation or escapes.
SIMPLE = re.compile(r"(?:[^{}()/\\]|\{\w+\})*")
# A named group in a regex built from the registry's (translated) parameter types' regexes.
_NAMED_GROUP = re.compile(r"\(\?P<")
# A ``{name}`` parameter of an expression (escaped or not: ``escaped`` tells).
PARAMETER = re.compile(r"\{(\w+)\}")


def escaped(pattern: str, at: int) -> bool:
    """Whether ``pattern[at]`` is escaped (an odd run of backslashes before it)."""
    run = len(pattern[:at]) - len(pattern[:at].rstrip("\\"))
    return run % 2 == 1


# The characters cucumber-expressions escapes in text (its ``ESCAPE_PATTERN``, character by character).
_ESCAPES = {ord(c): "\\" + c for c in "\\^[({$.|?*+})]"}


def _simple_regexp(pattern: str, registry: Any) -> tuple[str, list[int]] | None:
    """The regex ``CucumberExpression(pattern, registry).regexp`` would build, and its top-level groups, for an
    expression of text and declared ``{name}`` parameters only; None for anything else (the package decides).

    Building a ``CucumberExpression`` costs about a millisecond (its tokenizer and parser), a second or more of a
    sync over thousands of definitions; most expressions are this simple. A test holds the two equal."""
    if SIMPLE.fullmatch(pattern) is None:
        return None
    out = ["^"]
    groups: list[int] = []
    group = 1
    position = 0
    for found in PARAMETER.finditer(pattern):
        parameter_type = registry.lookup_by_type_name(found.group(1))
        if parameter_type is None:
            return None  # undeclared: the package raises the error (or Reqnroll's enum rule applies)
        regexps = parameter_type.regexps
        try:
            groups_of = [group_count(r) for r in regexps]
        except re.error:
            return None  # a declared type's regex that does not compile: the package reports it at the definition
        out.append(pattern[position : found.start()].translate(_ESCAPES))
        out.append(f"({regexps[0]})" if len(regexps) == 1 else f"((?:{')|(?:'.join(regexps)}))")
        groups.append(group)
        group += 1 + sum(groups_of)
        position = found.end()
    out.append(pattern[position:].translate(_ESCAPES))
    out.append("$")
    return "".join(out), groups


def _split_head(pattern: str, source: str) -> tuple[str, str]:
    """(head, rest) of a simple expression's regex ``source`` (``_simple_regexp``): ``head`` is the text before
    its first parameter, ``rest`` the regex after ``^`` and the escaped head. A text matches ``source`` exactly
    when it starts with ``head`` and ``rest`` matches from there (``match(text, len(head))``: the groups' spans
    are the same, and lookbehinds still see the head). ``("", source)`` when there is no head, or when ``rest``
    holds an inline flag or ``\\G`` (whose meaning would change).

    Why: ``regex``'s compile costs ~2.5 µs per literal character, and projects' expressions start with words
    ("the user {word} ..."); the head is one ``startswith`` instead (which the index compares anyway), and the
    rests of many definitions are the same text (``([^\\s]+) ([^\\s]+)$``): ``regex``'s cache compiles them once."""
    cut = pattern.find("{")  # a simple expression's only braces are its parameters'
    if cut <= 0:
        return "", source
    head = pattern[:cut]
    anchored = "^" + head.translate(_ESCAPES)
    rest = source[len(anchored):]
    if not source.startswith(anchored) or "\\G" in rest or INLINE_FLAG.search(rest):
        return "", source
    return head, rest


# The regexes of the built-in parameter types that never match a space (cucumber's int, float and word and their
# aliases, cucumber-js's float, Reqnroll's integers), as the registry holds them, and as it holds a declared
# type of one of these regexes (translated: ``[^\s]+`` with the language's ``\s``): an expression whose parameters
# are all of these matches only texts with as many spaces as its own text (``_spaces``).
_BUILT_IN_SPACELESS = (
    (r"-?\d+", r"\d+"), (r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[E][+-]?\d+)?",), (JS_FLOAT,), (r"[^\s]+",),
    (DOTNET_INT,),
)
_SPACELESS = frozenset(_BUILT_IN_SPACELESS) | {
    tuple(translate(r, "", language)[0] for r in regexps) for regexps in _BUILT_IN_SPACELESS for language in LANGUAGES
}


def _spaces(pattern: str, registry: Any) -> int:
    """How many spaces (U+0020) every text a simple expression (``_simple_regexp``) matches has: its own, when each
    of its parameters' types matches no space (``_SPACELESS``); else -1 (unknown). Most steps a definition is
    offered start with its words and fail later (another number of words), which counting the text's spaces tells
    without running the pattern — a bounded match costs 2 µs, most of it reading the CPU clock for the budget."""
    for found in PARAMETER.finditer(pattern):
        parameter_type = registry.lookup_by_type_name(found.group(1))
        regexps = tuple(parameter_type.regexps) if parameter_type is not None else ()
        if not regexps or regexps not in _SPACELESS and regexps not in SPACELESS_JVM:
            return -1
    return pattern.count(" ")  # a simple expression's text is the pattern outside its ``{name}`` parameters


def _top_level_groups(source: str) -> list[int]:
    """The numbers of the capturing groups of ``source`` that are not inside another group."""

    return [arg[0] for op, arg in sre_parse.parse(source) if op is SUBPATTERN and arg[0] is not None]
