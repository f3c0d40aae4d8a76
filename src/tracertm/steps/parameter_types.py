"""The parameter types of a project (``Registries``): its declarations by framework family, the Cucumber Expression
registries built from them (with the built-in types of each family: cucumber-jvm's localized numbers, Reqnroll's
own) and the ``extra_types`` of parse patterns, plus the findings about declarations that cannot be used.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

from tracertm.errors import Diagnostic
from tracertm.steps import utf16
from tracertm.steps.bounded import TooLarge, check_size
from tracertm.steps.dotnet_types import DOTNET_MATCH_ALL, DOTNET_TYPES, KEYWORD_TYPES, NOT_DOTNET
from tracertm.steps.jvm_numbers import LOCALIZED_TYPES, jvm_float_regexp
from tracertm.steps.model import Framework, ParameterTypeDecl
from tracertm.steps.regex import Untranslatable, translate

# Frameworks that share parameter types (and a registry) with each other.
FAMILY: dict[Framework, str] = {
    "behave": "behave", "pytest-bdd": "pytest-bdd", "cucumber-js": "js", "playwright-bdd": "js",
    "cucumber-jvm": "jvm", "godog": "go", "cucumber-ruby": "ruby", "reqnroll": "dotnet",
}
# cucumber-js's {float}, {double} and {bigdecimal} (@cucumber/cucumber-expressions' ``FLOAT_REGEXP``), not the Python
# port's ``[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[E][+-]?\d+)?``: its lookahead wants a digit anywhere after it in the
# text, not in what it takes, so it takes "-" or nothing before a later number ("{float} {int}": "- 7"), and "5."
# before a number ("{double}{int}": "5.0" is "5." and "0").
JS_FLOAT = r"(?=.*\d.*)[-+]?\d*(?:\.(?=\d.*))?\d*(?:\d+[E][+-]?\d+)?"


class Registries:
    """The parameter types of a project, by framework family, and the findings about their declarations."""

    def __init__(self, declarations: Iterable[ParameterTypeDecl]) -> None:
        self.declarations: dict[str, dict[str, ParameterTypeDecl]] = {}
        self.findings: list[Diagnostic] = []
        self._cucumber: dict[str, Any] = {}
        # By family: the declared types ``cucumber`` could not register (each a finding at its declaration).
        self.unusable: dict[str, dict[str, tuple[ParameterTypeDecl, str]]] = {}  # with the finding's severity
        self.behave_sites: dict[str, list[ParameterTypeDecl]] = {}  # every behave declaration of a name
        # The same of behave's cucumber_expressions matcher's types (``define_parameter_type``): its own registry.
        self.behave_cucumber_sites: dict[str, list[ParameterTypeDecl]] = {}
        for decl in declarations:
            if decl.framework == "behave":
                sites = self.behave_cucumber_sites if decl.registry == "cucumber" else self.behave_sites
                sites.setdefault(decl.name, []).append(decl)
            family = self.declarations.setdefault(_registry_key(decl), {})
            first = family.get(decl.name)
            if decl.framework == "pytest-bdd":
                # One definition's ``extra_types`` (its own registry: ``_registry_key``), a dict: its last entry
                # of a name is the one parse gets, as in any dict literal.
                family[decl.name] = decl
                continue
            if first is not None and decl.framework == "reqnroll":
                # Reqnroll makes the [StepArgumentTransformation]s of one type and name one parameter type with all
                # their regexes (``CucumberExpressionParameterTypeRegistry``: ``GroupBy((TargetType, Name))``).
                added = tuple(r for r in decl.regexps if r not in first.regexps)
                family[decl.name] = dataclasses.replace(first, regexps=first.regexps + added)
                continue
            refused = _refused_name(decl.name) if decl.framework in _ONE_NAME_ONCE else None
            if refused is not None:
                self.findings.append(Diagnostic(decl.path, decl.line, 1, f"parameter type {decl.name!r}: {refused}"))
                continue
            if first is not None and first.regexps != decl.regexps and decl.framework == "behave" \
                    and decl.registry != "cucumber":
                # behave's register_type replaces the type for the definitions that come after it, each compiled
                # with the types of its moment; tracertm keeps one type per name: said, not an error behave has not.
                self.findings.append(Diagnostic(
                    decl.path, decl.line, 1,
                    f"parameter type {decl.name!r} is registered again with another pattern (first at "
                    f"{first.path}:{first.line}): behave uses each registration for the steps defined after it, "
                    "tracertm matches every step with the first; give the second its own name", "warning",
                    names=(first.path,)))
                continue
            # cucumber's registry refuses a name declared twice ("There is already a parameter type with name"),
            # whatever the regexps; behave and pytest-bdd re-register the same type harmlessly.
            if first is not None and (first.regexps != decl.regexps or decl.framework in _ONE_NAME_ONCE):
                self.findings.append(Diagnostic(
                    decl.path, decl.line, 1,
                    f"parameter type {decl.name!r} is already declared at {first.path}:{first.line}; rename one",
                    names=(first.path,)))
                continue
            family.setdefault(decl.name, decl)
        # cucumber's lookup of a regex definition's group by its regexp text, per registry (``_by_regexp``).
        self.by_regexp: dict[str, dict[str, list[ListedType]]] = {}
        for key in _BUILTIN_BY_REGEXP:
            self.by_regexp[key] = _by_regexp(key, self.declarations.get(key, {}).values(), self.findings)

    def regexp_rivals(self, family: str, regexp: str) -> list[ListedType]:
        """cucumber's ``lookupByRegexp``: the parameter types of ``family`` a regex definition's group of text
        ``regexp`` could stand for, when they are several and none is preferential (cucumber throws
        ``AmbiguousParameterTypeError`` then); else an empty list. Preferential first, then by name, as cucumber
        lists them."""
        listed = self.by_regexp.get(family, {}).get(regexp, [])
        return listed if len(listed) > 1 and not listed[0].prefer else []

    def cucumber(self, family: str, decimal: str = ".") -> Any:
        """A ``ParameterTypeRegistry`` with the built-in types and the family's declared ones; ``decimal``: the
        feature locale's decimal separator (``decimal_separator``), which only cucumber-jvm's number types follow
        (cucumber-js, -ruby and Reqnroll's are the package's, whatever the language). Built once per pair."""
        key = family if family != "jvm" or decimal == "." else f"{family}{decimal}"
        declared = self.declarations.get(BEHAVE_CUCUMBER if family == "behave" else family, {})
        if key not in self._cucumber:
            from cucumber_expressions.parameter_type import ParameterType
            from cucumber_expressions.parameter_type_registry import ParameterTypeRegistry

            registry = ParameterTypeRegistry()
            if family == "jvm":  # Java's number regex, not the package's (``jvm_float_regexp``)
                regexp = jvm_float_regexp(decimal)
                SPACELESS_JVM.add((regexp,))
                for name in LOCALIZED_TYPES:
                    if name not in declared:
                        registry.parameter_type_by_name[name] = ParameterType(name, regexp, str, None, False, False)
            if family == "js":  # cucumber-js's number regex, not the Python port's (``JS_FLOAT``)
                for name in ("float", "double", "bigdecimal"):
                    registry.parameter_type_by_name[name] = ParameterType(name, JS_FLOAT, str, None, False, False)
            if family == "dotnet":  # Reqnroll's built-ins, not cucumber's (``dotnet_types``)
                for name in NOT_DOTNET:
                    del registry.parameter_type_by_name[name]
                for name, regexp in DOTNET_TYPES.items():  # (a declared one's transformations join it, below)
                    registry.parameter_type_by_name[name] = ParameterType(name, regexp, str, None, False, False)
            for decl in declared.values():
                try:
                    refused = _refused_flag(decl)
                    if refused is not None:  # cucumber-expressions throws; cucumber does not start
                        raise ValueError(f"{refused} (cucumber refuses to start) — remove it")
                    regexps = [_translated(r, decl.language) for r in decl.regexps]
                    for regexp in regexps:
                        check_size(regexp)  # (``TooLarge``: every definition using it would be too large)
                    if family == "dotnet" and (decl.name in DOTNET_TYPES or decl.name in KEYWORD_TYPES):
                        _join_builtin(registry, decl.name, regexps)
                        continue
                    registry.define_parameter_type(ParameterType(decl.name, regexps, str, None, True, False))
                except Exception as exc:  # noqa: BLE001 - the package raises plain Exception subclasses
                    # A regex tracertm cannot translate is its own limit (a warning), as for a definition's.
                    severity = "warning" if isinstance(exc, (Untranslatable, TooLarge)) else "error"
                    self.unusable.setdefault(family, {})[decl.name] = (decl, severity)
                    self.findings.append(Diagnostic(
                        decl.path, decl.line, 1, f"parameter type {decl.name!r} cannot be used: {exc}", severity))
            self._cucumber[key] = registry
        return self._cucumber[key]

    def parse_types(self, family: str, scope: str = "") -> dict[str, Callable[[str], str]]:
        """``extra_types`` for parse/cfparse: converters carrying the declared pattern (``.+?`` when unknown).
        ``scope``: a pytest-bdd definition's identity — its parser's own ``extra_types``, not the family's."""
        out: dict[str, Callable[[str], str]] = {}
        for decl in self.declarations.get(scoped_key(family, scope), {}).values():
            def convert(text: str) -> str:
                return text

            convert.pattern = decl.regexps[0] if decl.regexps else r".+?"  # type: ignore[attr-defined]
            # parse numbers the fields after this one's by its groups, which it learns only from
            # ``with_pattern(..., regex_group_count=N)``: counted here (a pattern with groups needs it, or parse
            # converts the wrong group — int('') raised out of the matcher).
            try:
                convert.regex_group_count = group_count(convert.pattern)  # type: ignore[attr-defined]
            except re.error:
                convert.regex_group_count = 0  # type: ignore[attr-defined]  # (the definition's error says why)
            out[decl.name] = convert
        return out


def _join_builtin(registry: Any, name: str, regexps: list[str]) -> None:
    """A [StepArgumentTransformation] returning a type Reqnroll has built in joins that type (the same group of
    ``CucumberExpressionParameterTypeRegistry``): the built-in regexes first, then the user's — but only ``.*`` when
    one of them is (``CucumberExpressionParameterType``). One returning ``int`` joins ``{int}`` and ``{Int32}``, one
    returning ``short`` only ``{Int16}``."""
    from cucumber_expressions.parameter_type import ParameterType

    for joined in dict.fromkeys((name, KEYWORD_TYPES.get(name, name))):
        if joined not in DOTNET_TYPES:
            continue  # ``short``: Int16 has no alias
        builtin = registry.parameter_type_by_name[joined]
        together = list(dict.fromkeys([*builtin.regexps, *regexps]))
        if DOTNET_MATCH_ALL in together:
            together = [DOTNET_MATCH_ALL]
        registry.parameter_type_by_name[joined] = ParameterType(joined, together, str, None, True, False)


def _translated(regexp: str, language: str) -> str:
    """A parameter type's ``regexp`` in Python's syntax, for the regex of the Cucumber Expressions that use it. Where
    that regex reads UTF-16 code units (``utf16.expression_counts_units``) its characters past U+FFFF are split into
    their halves first, as for a regex definition (``regex_matchers.compile_regex``): ``[😀]`` is a class of two
    halves there, and ``\\😀`` an escaped half and the other."""
    if not utf16.expression_counts_units(language):
        return translate(regexp, "", language)[0]
    return utf16.escaped(translate(utf16.split(regexp) or regexp, "", language)[0])


@dataclasses.dataclass(frozen=True)
class ListedType:
    """A parameter type as cucumber lists it under one of its regexps: ``decl`` None for a built-in one."""

    name: str
    prefer: bool
    decl: ParameterTypeDecl | None = None

    def __str__(self) -> str:
        return f"{{{self.name}}}" + (f" ({self.decl.path}:{self.decl.line})" if self.decl is not None else "")


# cucumber-expressions' built-in types under their regexps (``defineDefaultParameterTypes``): the JavaScript port's
# for cucumber-js (its float regexp, which float, double and bigdecimal share, none preferential); of the Java and
# Ruby ports, the regexps their versions agree on (their float regexps change with the version and, in Java, the
# locale). ``int`` and the anonymous type are preferential in every port.
_INTEGER = (r"-?\d+", r"\d+")
_COMMON: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("int", _INTEGER, True), ("word", (r"[^\s]+",), False),
    ("string", (r'"([^"\\]*(\\.[^"\\]*)*)"' + r"|'([^'\\]*(\\.[^'\\]*)*)'",), False), ("", (".*",), True),
    *((name, _INTEGER, False) for name in ("byte", "short", "long", "biginteger")),
)
_BUILTIN_BY_REGEXP = {
    "js": _COMMON + tuple((name, (JS_FLOAT,), False) for name in ("float", "double", "bigdecimal")),
    "jvm": _COMMON, "ruby": _COMMON,
}
# How each language spells the option that makes a type preferential.
_PREFER_OPTION = {"java": "preferForRegexMatch = true", "kotlin": "preferForRegexMatch = true",
                  "ruby": "prefer_for_regexp_match: true"}


def prefer_option(language: str) -> str:
    """The option that makes a parameter type preferential, as ``language`` writes it."""
    return _PREFER_OPTION.get(language, "preferForRegexpMatch: true")


def _by_regexp(family: str, declared: Iterable[ParameterTypeDecl], findings: list[Diagnostic]
               ) -> dict[str, list[ListedType]]:
    """cucumber's ``parameterTypesByRegexp`` of a registry: the built-in types, then ``declared`` in order. A
    preferential type on a regexp whose first type is preferential already is refused, as cucumber refuses it
    when it defines the type ("There can only be one preferential parameter type per regexp") and does not start:
    a finding at its declaration, and it is left out of the lookup."""
    out: dict[str, list[ListedType]] = {}
    for name, regexps, prefer in _BUILTIN_BY_REGEXP[family]:
        for regexp in regexps:
            out.setdefault(regexp, []).append(ListedType(name, prefer))
    for listed in out.values():
        listed.sort(key=_listed_order)
    for decl in declared:
        # (cucumber keeps a regexp's preferential type first, so only the first of each can be one)
        shared = next((r for r in decl.regexps if out.get(r) and out[r][0].prefer), None) if decl.prefer else None
        if shared is not None:
            rival = out[shared][0]
            first = f"{rival.name!r} at {rival.decl.path}:{rival.decl.line}" if rival.decl is not None \
                else f"the built-in {{{rival.name}}}" + ("" if rival.name else " (the anonymous type)")
            findings.append(Diagnostic(
                decl.path, decl.line, 1,
                f"parameter type {decl.name!r} is preferential for the regexp /{shared}/, and so is {first}: "
                "cucumber allows one preferential parameter type per regexp and refuses to start; drop "
                f"{prefer_option(decl.language)} from one"))
            continue
        for regexp in decl.regexps:
            out.setdefault(regexp, []).append(ListedType(decl.name, decl.prefer, decl))
            out[regexp].sort(key=_listed_order)
    return out


def _listed_order(listed: ListedType) -> tuple[bool, str]:
    """cucumber's order of the types of one regexp (``ParameterType.compare``): preferential first, then by name."""
    return not listed.prefer, listed.name


def group_regexps(pattern: str) -> list[str]:
    """The texts of a regex definition's groups that cucumber looks parameter types up by (cucumber-expressions'
    ``TreeRegexp``): its capturing groups outside any other capturing group (those inside non-capturing groups
    and lookarounds included), each the text between its parentheses (``?<name>`` too). Scanned as cucumber scans
    it: a backslash escapes the next character, ``[`` opens a class and ``]`` ends it wherever they are."""
    stack: list[tuple[int, bool, list[str]]] = [(-1, True, [])]  # (where it opens, capturing, its groups' texts)
    escaping = char_class = False
    for i, c in enumerate(pattern):
        if c == "[" and not escaping:
            char_class = True
        elif c == "]" and not escaping:
            char_class = False
        elif c == "(" and not escaping and not char_class:
            capturing = pattern[i + 1 : i + 2] != "?" or (pattern[i + 2 : i + 3] == "<"
                                                            and pattern[i + 3 : i + 4] not in ("=", "!"))
            stack.append((i, capturing, []))
        elif c == ")" and not escaping and not char_class and len(stack) > 1:
            start, capturing, inner = stack.pop()
            # A capturing group is one group of its parent; a non-capturing one hands its groups to its parent.
            stack[-1][2].extend([pattern[start + 1 : i]] if capturing else inner)
        escaping = c == "\\" and not escaping
    return stack[0][2]


# The ``Registries.declarations`` key of behave's cucumber_expressions types (``define_parameter_type``): that
# matcher's registry is its own, apart from the parse types of ``register_type`` (family ``behave``).
BEHAVE_CUCUMBER = "behave-cucumber"


# The frameworks that define parameter types in cucumber-expressions' registry, which refuses a name twice and one
# with a character of ``_ILLEGAL_NAME`` (cucumber does not start).
_ONE_NAME_ONCE = frozenset({"cucumber-js", "playwright-bdd", "cucumber-jvm", "cucumber-ruby"})
_ILLEGAL_NAME = "[]()$.|?*+"


def _refused_name(name: str) -> str | None:
    """cucumber-expressions' words for a parameter type name it refuses (searched for anywhere in the name, as the
    JavaScript and Java ports do: the Python port looks at its first character only), or None."""
    if any(c in _ILLEGAL_NAME for c in name):
        return (f"Illegal character in parameter name {{{name}}}. Parameter names may not contain "
                f"'{_ILLEGAL_NAME}' (cucumber refuses to start) — rename it")
    return None


def _registry_key(decl: ParameterTypeDecl) -> str:
    """The registry ``decl`` goes to: its framework family's, behave's cucumber_expressions one, or the one of the
    pytest-bdd definition whose ``extra_types`` it is (``scoped_key``)."""
    if decl.framework == "pytest-bdd":
        return scoped_key(FAMILY[decl.framework], decl.registry)
    return BEHAVE_CUCUMBER if decl.framework == "behave" and decl.registry == "cucumber" else FAMILY[decl.framework]


def scoped_key(family: str, scope: str) -> str:
    """The ``Registries.declarations`` key of the types of one definition, ``scope`` its identity: pytest-bdd's
    ``parsers.parse/cfparse(pattern, extra_types)`` hand the types to that one ``parse`` parser, so two definitions
    may give one name two patterns, and a definition sees no other's. The family's own key when ``scope`` is
    empty."""
    return f"{family}\n{scope}" if scope else family


# The regex flags cucumber-expressions refuses on a parameter type's regex: JavaScript's ``regexpSource`` (g, i, m,
# y) and Ruby's ``regexp_source`` (its options IGNORECASE, MULTILINE, EXTENDED).
_REFUSED_FLAGS = {"javascript": "gimy", "typescript": "gimy", "ruby": "imx"}
_RUBY_OPTIONS = {"i": "IGNORECASE", "m": "MULTILINE", "x": "EXTENDED"}


def _refused_flag(decl: ParameterTypeDecl) -> str | None:
    """cucumber-expressions' own words for a flag it refuses on ``decl``'s regex, or None."""
    flag = next((f for f in _REFUSED_FLAGS.get(decl.language, "") if f in decl.flags), None)
    if flag is None:
        return None
    if decl.language == "ruby":
        return f"ParameterType Regexps can't use option Regexp::{_RUBY_OPTIONS[flag]}"
    return f"ParameterType Regexps can't use flag '{flag}'"


@functools.lru_cache(maxsize=1024)
def group_count(source: str) -> int:
    """The number of capturing groups of the regex ``source`` (``re.error`` when it does not compile)."""
    return int(re.compile(source).groups)


# cucumber-jvm's number regexes (``jvm_float_regexp``), one per decimal separator a registry was built for: they match
# no space, as the built-in types of ``cucumber_matchers._SPACELESS`` (filled here: the registry makes them).
SPACELESS_JVM: set[tuple[str, ...]] = set()
