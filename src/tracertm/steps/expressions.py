"""Step definitions → matchers, each with its framework's rules, plus the words an index can file it under.

- Cucumber Expressions through the ``cucumber-expressions`` package, with a ``ParameterTypeRegistry`` per framework
  family holding the parameter types the project declares (an undeclared ``{type}`` is an error at the definition).
- Regexes checked by Python's ``re`` after translation (``tracertm.steps.regex``), matched under a time bound
  (``tracertm.steps.bounded``: a catastrophically backtracking pattern is a finding, not a hang — as are parse
  patterns with the project's types); anchoring as the framework does it:
  cucumber-js, cucumber-ruby and godog search (unanchored unless the pattern says ``^…$``), cucumber-jvm and
  pytest-bdd match the whole text, behave matches from the start (``re.match``: its ``re0`` matcher the pattern as
  written, its ``re`` matcher ``^pattern$``, which the parser records as the pattern), Reqnroll searches the pattern
  with ``^`` and ``$`` added as text where it lacks them (``^a|b`` is ``^a|b$``).
- ``parse`` / ``cfparse`` through the ``parse`` / ``parse_type`` packages (whole text), with the project's types.
- pytest-bdd's plain strings by equality.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from re import _parser as sre_parse  # type: ignore[attr-defined]  # Python's own regex parser (always loaded)
from re._compiler import compile as sre_compile  # type: ignore[import-not-found]  # its code generator
from re._constants import (  # type: ignore[import-not-found]
    ASSERT, ASSERT_NOT, AT, AT_BEGINNING, AT_END, AT_END_STRING, ATOMIC_GROUP, GROUPREF, GROUPREF_EXISTS, LITERAL,
    POSSESSIVE_REPEAT, SUBPATTERN,
)

from tracertm.errors import Diagnostic
from tracertm.steps.bounded import BUDGET, TooLarge, TooSlow, check_size, compile_pattern
from tracertm.steps.linear import linear, linear_source
from tracertm.steps.jvm_numbers import LOCALIZED_TYPES, jvm_float_regexp
from tracertm.steps.model import Framework, ParameterTypeDecl, StepDefinition
from tracertm.steps.regex import Refused, Untranslatable, ascii_classes, translate

if TYPE_CHECKING:
    import regex

# Frameworks that share parameter types (and a registry) with each other.
FAMILY: dict[Framework, str] = {
    "behave": "behave", "pytest-bdd": "pytest-bdd", "cucumber-js": "js", "playwright-bdd": "js",
    "cucumber-jvm": "jvm", "godog": "go", "cucumber-ruby": "ruby", "reqnroll": "dotnet",
}
# Frameworks whose matching looks at the keyword (``step`` definitions match any).
KEYWORD_SCOPED: frozenset[Framework] = frozenset({"behave", "pytest-bdd", "reqnroll", "godog"})
# Reqnroll's built-in Cucumber Expression types that cucumber-expressions lacks.
_DOTNET_TYPES = {"decimal": r"-?\d*[.,]?\d+", "DateTime": r".+?", "Guid": r"[0-9a-fA-F-]{32,36}"}
_SEARCHING: frozenset[Framework] = frozenset({"cucumber-js", "playwright-bdd", "cucumber-ruby", "godog"})


@dataclass(frozen=True)
class Argument:
    """One value a step hands its definition: the matched text and where it is in the step."""

    value: str | None
    start: int
    end: int

    def as_dict(self) -> dict[str, object]:
        return {"value": self.value, "start": self.start, "end": self.end}


Match = Callable[[str], "tuple[Argument, ...] | None"]
# The argument values alone (``Argument.value`` of each), or None: what a match row stores.
Values = Callable[[str], "tuple[str | None, ...] | None"]


@dataclass(frozen=True)
class Compiled:
    """A definition ready to match: ``match(text)`` gives its arguments or None; ``keys`` are lower-case words
    every text it matches contains as whole (space-separated) words — empty when no such word is known;
    ``prefix`` is literal text every text it matches starts with (lower-case when ``fold``: compare
    case-insensitively), ``""`` when there is none. ``values(text)``, when set, is ``match(text)``'s argument
    values without building ``Argument`` objects (sync's matching stores only the values: ``arguments``)."""

    definition: StepDefinition
    match: Match
    keys: frozenset[str]
    prefix: str = ""
    fold: bool = False
    values: Values | None = None

    def arguments(self, text: str) -> tuple[str | None, ...] | None:
        """The values of ``match(text)``'s arguments, in order, or None when it does not match; raises
        ``TooSlow`` as ``match`` does."""
        if self.values is not None:
            return self.values(text)
        found = self.match(text)
        return None if found is None else tuple(a.value for a in found)


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


# ---------------------------------------------------------------------------------------------- registries


class Registries:
    """The parameter types of a project, by framework family, and the findings about their declarations."""

    def __init__(self, declarations: Iterable[ParameterTypeDecl]) -> None:
        self.declarations: dict[str, dict[str, ParameterTypeDecl]] = {}
        self.findings: list[Diagnostic] = []
        self._cucumber: dict[str, Any] = {}
        # By family: the declared types ``cucumber`` could not register (each a finding at its declaration).
        self.unusable: dict[str, dict[str, tuple[ParameterTypeDecl, str]]] = {}  # with the finding's severity
        self.behave_sites: dict[str, list[ParameterTypeDecl]] = {}  # every behave declaration of a name
        for decl in declarations:
            if decl.framework == "behave":
                self.behave_sites.setdefault(decl.name, []).append(decl)
            family = self.declarations.setdefault(FAMILY[decl.framework], {})
            first = family.get(decl.name)
            if first is not None and first.regexps != decl.regexps:
                self.findings.append(Diagnostic(
                    decl.path, decl.line, 1,
                    f"parameter type {decl.name!r} is already declared at {first.path}:{first.line}; rename one",
                ))
                continue
            family.setdefault(decl.name, decl)

    def cucumber(self, family: str, decimal: str = ".") -> Any:
        """A ``ParameterTypeRegistry`` with the built-in types and the family's declared ones; ``decimal``: the
        feature locale's decimal separator (``decimal_separator``), which only cucumber-jvm's number types follow
        (cucumber-js, -ruby and Reqnroll's are the package's, whatever the language). Built once per pair."""
        key = family if family != "jvm" or decimal == "." else f"{family}{decimal}"
        if key not in self._cucumber:
            from cucumber_expressions.parameter_type import ParameterType
            from cucumber_expressions.parameter_type_registry import ParameterTypeRegistry

            registry = ParameterTypeRegistry()
            if family == "jvm":  # Java's number regex, not the package's (``jvm_float_regexp``)
                regexp = jvm_float_regexp(decimal)
                _SPACELESS_JVM.add((regexp,))
                for name in LOCALIZED_TYPES:
                    if name not in self.declarations.get(family, {}):
                        registry.parameter_type_by_name[name] = ParameterType(name, regexp, str, None, False, False)
            if family == "dotnet":  # Reqnroll's built-ins beyond cucumber's
                for name, regexp in _DOTNET_TYPES.items():
                    if name not in self.declarations.get(family, {}):
                        registry.define_parameter_type(ParameterType(name, regexp, str, None, False, False))
            for decl in self.declarations.get(family, {}).values():
                try:
                    refused = _refused_flag(decl)
                    if refused is not None:  # cucumber-expressions throws; cucumber does not start
                        raise ValueError(f"{refused} (cucumber refuses to start) — remove it")
                    regexps = [translate(r, "", decl.language)[0] for r in decl.regexps]
                    for regexp in regexps:
                        check_size(regexp)  # (``TooLarge``: every definition using it would be too large)
                    registry.define_parameter_type(ParameterType(decl.name, regexps, str, None, True, False))
                except Exception as exc:  # noqa: BLE001 - the package raises plain Exception subclasses
                    # A regex tracertm cannot translate is its own limit (a warning), as for a definition's.
                    severity = "warning" if isinstance(exc, (Untranslatable, TooLarge)) else "error"
                    self.unusable.setdefault(family, {})[decl.name] = (decl, severity)
                    self.findings.append(Diagnostic(
                        decl.path, decl.line, 1, f"parameter type {decl.name!r} cannot be used: {exc}", severity))
            self._cucumber[key] = registry
        return self._cucumber[key]

    def parse_types(self, family: str) -> dict[str, Callable[[str], str]]:
        """``extra_types`` for parse/cfparse: converters carrying the declared pattern (``.+?`` when unknown)."""
        out: dict[str, Callable[[str], str]] = {}
        for decl in self.declarations.get(family, {}).values():
            def convert(text: str) -> str:
                return text

            convert.pattern = decl.regexps[0] if decl.regexps else r".+?"  # type: ignore[attr-defined]
            # parse numbers the fields after this one's by its groups, which it learns only from
            # ``with_pattern(..., regex_group_count=N)``: counted here (a pattern with groups needs it, or parse
            # converts the wrong group — int('') raised out of the matcher).
            try:
                convert.regex_group_count = _group_count(convert.pattern)  # type: ignore[attr-defined]
            except re.error:
                convert.regex_group_count = 0  # type: ignore[attr-defined]  # (the definition's error says why)
            out[decl.name] = convert
        return out


# ------------------------------------------------------------------------------------------------- compiling


class DefinitionError(Exception):
    """A definition that can never match: the reason, and whether it is the project's fault (error) or a limit
    of tracertm (warning)."""

    def __init__(self, message: str, severity: str = "error") -> None:
        super().__init__(message)
        self.severity = severity


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
        for found in _PARAMETER.finditer(definition.pattern) if unusable else ():
            failed = unusable.get(found.group(1))
            if failed is not None and not _escaped(definition.pattern, found.start()):
                decl, severity = failed
                raise DefinitionError(f"uses the parameter type {{{decl.name}}}, which cannot be used: see "
                                      f"{decl.path}:{decl.line}", severity)
        return _cucumber(definition, registry, lazy)
    if kind == "regex":
        return _regex(definition, lazy)
    if kind in ("parse", "cfparse"):
        return _parse(definition, registries.parse_types(family))
    pattern = definition.pattern

    def equal(text: str) -> tuple[Argument, ...] | None:
        return () if text == pattern else None

    return Compiled(definition, equal, _words(pattern.split(" ")), pattern)


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
    in Java, Kotlin, C# or Ruby (a repetition count past the engine's limit), the u or v flag in JavaScript.
    Checked first: most regexes are neither, and need no compile here."""
    if d.language in ("java", "kotlin", "csharp", "ruby"):
        return "{" in d.pattern
    return d.language in ("javascript", "typescript") and ("u" in d.flags or "v" in d.flags)


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
                _regex(d, lazy=True)
            elif d.kind == "cucumber-expression" and not _SIMPLE.fullmatch(d.pattern):
                from cucumber_expressions.errors import CucumberExpressionError
                from cucumber_expressions.expression_parser import CucumberExpressionParser

                try:
                    CucumberExpressionParser().parse(d.pattern)
                except CucumberExpressionError as exc:
                    raise DefinitionError(f"is not a valid Cucumber Expression: {_one_line(exc)}") from None
        except DefinitionError as exc:
            if exc.severity == "error":
                found.append(Diagnostic(d.path, d.line, d.column, f"step definition {d.display_pattern!r} {exc}"))
    return found


def _words(tokens: Iterable[str], special: str = "") -> frozenset[str]:
    return frozenset(t.lower() for t in tokens if t and not any(c in special for c in t))


# An expression of plain text and ``{name}`` parameters only: no optional text, alternation or escapes.
_SIMPLE = re.compile(r"(?:[^{}()/\\]|\{\w+\})*")
_PARAMETER = re.compile(r"\{(\w+)\}")


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


def _escaped(pattern: str, at: int) -> bool:
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
    if _SIMPLE.fullmatch(pattern) is None:
        return None
    out = ["^"]
    groups: list[int] = []
    group = 1
    position = 0
    for found in _PARAMETER.finditer(pattern):
        parameter_type = registry.lookup_by_type_name(found.group(1))
        if parameter_type is None:
            return None  # undeclared: the package raises the error (or Reqnroll's enum rule applies)
        regexps = parameter_type.regexps
        try:
            groups_of = [_group_count(r) for r in regexps]
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


@functools.lru_cache(maxsize=1024)
def _group_count(source: str) -> int:
    return int(re.compile(source).groups)


# The arguments after ``string`` and ``pos`` of a bounded pattern's match/search/fullmatch, by position: endpos,
# concurrent, partial (their defaults) and the time budget.
_TIMED = (None, None, False, BUDGET)


class _Later:
    """A user pattern for bounded matching, compiled now or on first use (``compile_definition``'s ``lazy``):
    ``run`` is its bound ``method`` (match, search or fullmatch) once compiled; ``get()`` compiles it, and gives
    None when the ``regex`` package refuses it (the definition then never matches). ``linear``: the pattern runs in
    time linear in the text (``tracertm.steps.linear``), so ``re`` runs it, without the time bound's cost."""

    __slots__ = ("source", "flags", "method", "pattern", "run", "refused", "linear")

    def __init__(self, source: str, flags: int, method: str, pattern: Any = None, linear: bool = False) -> None:
        self.source, self.flags, self.method, self.linear = source, flags, method, linear
        self.pattern = pattern
        self.run: Callable[..., Any] | None = None if pattern is None else getattr(pattern, method)
        self.refused = False

    def get(self) -> Callable[..., Any] | None:
        if self.run is None and not self.refused:
            import regex

            try:
                self.pattern = (re.compile(self.source, self.flags) if self.linear
                                else compile_pattern(self.source, self.flags))
            except (re.error, regex.error, RecursionError, TooLarge):  # an eager compile leaves it out
                self.refused = True
                return None
            self.run = getattr(self.pattern, self.method)
        return self.run

    def find(self, text: str, head: str) -> Any:
        """The match object for ``text``, or None: the literal ``head`` compared, this pattern run from its end
        under the time bound (``TooSlow`` past it)."""
        if head and not text.startswith(head):
            return None
        run = self.run or self.get()
        if run is None:
            return None
        if self.linear:
            return run(text, len(head))
        try:
            # (string, pos, endpos, concurrent, partial, timeout) by position: ``regex`` parses keyword arguments
            # with its slower general parser (0.3 µs of a short step's 2 µs match; ``_TIMED``).
            return run(text, len(head), *_TIMED)
        except TimeoutError:
            raise TooSlow(text) from None


# An inline flag (``(?i)``, ``(?x)``...) in a parameter type's regex: in ``regex``'s VERSION0 it may apply to the
# whole pattern, the text before the first parameter included.
_INLINE_FLAG = re.compile(r"\(\?(?!P[<=>]|[:<=!>#])")


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
    if not source.startswith(anchored) or "\\G" in rest or _INLINE_FLAG.search(rest):
        return "", source
    return head, rest


# The regexes of the built-in parameter types that never match a space (cucumber's int, float and word and their
# aliases, Reqnroll's decimal and Guid), as the registry holds them: an expression whose parameters are all of these
# matches only texts with as many spaces as its own text (``_spaces``).
_SPACELESS = frozenset({
    (r"-?\d+", r"\d+"), (r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[E][+-]?\d+)?",), (r"[^\s]+",),
    (_DOTNET_TYPES["decimal"],), (_DOTNET_TYPES["Guid"],),
})
_SPACELESS_JVM: set[tuple[str, ...]] = set()  # cucumber-jvm's number regexes (``jvm_float_regexp``): no space


def _spaces(pattern: str, registry: Any) -> int:
    """How many spaces (U+0020) every text a simple expression (``_simple_regexp``) matches has: its own, when each
    of its parameters' types matches no space (``_SPACELESS``); else -1 (unknown). Most steps a definition is
    offered start with its words and fail later (another number of words), which counting the text's spaces tells
    without running the pattern — a bounded match costs 2 µs, most of it reading the CPU clock for the budget."""
    for found in _PARAMETER.finditer(pattern):
        parameter_type = registry.lookup_by_type_name(found.group(1))
        regexps = tuple(parameter_type.regexps) if parameter_type is not None else ()
        if not regexps or regexps not in _SPACELESS and regexps not in _SPACELESS_JVM:
            return -1
    return pattern.count(" ")  # a simple expression's text is the pattern outside its ``{name}`` parameters


def _cucumber(definition: StepDefinition, registry: Any, lazy: bool = False) -> Compiled:
    simple = _simple_regexp(definition.pattern, registry)
    head = ""
    spaces = -1  # the spaces of every text it matches, when known (``_spaces``)
    if simple is not None:
        spaces = _spaces(definition.pattern, registry)
        # Escaped text and the registry's (valid) parameter regexes: compiled once, for bounded matching only (a
        # second compile with ``re`` to validate it cost a quarter of compiling a project's definitions).
        import regex

        source, top = simple
        # The built-in types' regexes are Python's (``-?\d+``): their classes mean what they do in the language.
        source = ascii_classes(source, definition.language)
        head, rest = _split_head(definition.pattern, source)
        try:
            if linear_source(rest):
                later = _Later(rest, 0, "match", None if lazy else re.compile(rest), linear=True)
            else:
                later = _Later(rest, 0, "match", None if lazy else compile_pattern(rest))
        except (re.error, regex.error):
            try:  # the whole pattern's error (positions in the message are the whole pattern's)
                later = _Later(source, 0, "match", None if lazy else compile_pattern(source))
                head = ""
            except regex.error as exc:
                raise DefinitionError(f"is not a valid Cucumber Expression: {_one_line(exc)}") from None
        except TooLarge as exc:
            raise _too_large(exc) from None
    else:
        source, top = _cucumber_package(definition, registry)
        source = ascii_classes(source, definition.language)
        # It holds the project's parameter types' regexes.
        later = _Later(source, 0, "match", None if lazy else _bounded(source, 0))
    if lazy:  # too large: refused now, as an eager compile refuses it, not silently at its first match
        try:
            check_size(source)
        except TooLarge as exc:
            raise _too_large(exc) from None
        except (re.error, RecursionError):
            pass  # (the compile at its first match refuses it)

    def match(text: str) -> tuple[Argument, ...] | None:
        if spaces >= 0 and text.count(" ") != spaces:
            return None
        found = later.find(text, head)
        if found is None:
            return None
        return tuple(Argument(found.group(g), *found.span(g)) for g in top)

    # ``group(*top)``: one group's value alone, several as a tuple, none → the whole match (so not called then).
    single = len(top) == 1

    def values(text: str) -> tuple[str | None, ...] | None:
        if spaces >= 0 and text.count(" ") != spaces:
            return None
        found = later.find(text, head)
        if found is None:
            return None
        if single:
            return (found.group(top[0]),)
        return found.group(*top) if top else ()

    special = "(){}/\\"
    return Compiled(
        definition, match, _words(definition.pattern.split(" "), special), _literal_tokens(definition.pattern, special),
        values=values,
    )


def _cucumber_package(definition: StepDefinition, registry: Any) -> tuple[str, list[int]]:
    """(regex, top-level groups) of a Cucumber Expression, built by the ``cucumber-expressions`` package."""
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
        raise _type_regex_error("Cucumber Expression", exc) from None
    except (CucumberExpressionError, ValueError) as exc:
        raise DefinitionError(f"is not a valid Cucumber Expression: {_one_line(exc)}") from None

    # The package's own match() costs ~20 µs (it builds a group tree per call). Its regex, compiled by ``re``, gives
    # the same arguments: one per top-level capturing group (a parameter; groups inside a type's regex nest).
    try:
        re.compile(expression.regexp)
        return expression.regexp, _top_level_groups(expression.regexp)
    except re.error as exc:  # the package escapes the expression's text: a parameter type's regex is at fault
        raise _type_regex_error("Cucumber Expression", exc) from None


def _regex(definition: StepDefinition, lazy: bool = False) -> Compiled:
    framework = definition.framework
    pattern = _whole_text(definition.pattern) if framework == "reqnroll" else definition.pattern
    try:
        source, flags = translate(pattern, definition.flags, definition.language)
        # Parsed once for the three uses below (``re.compile``'s own checks, the literal head, the words): parsing
        # is most of compiling a regex, and the pure-Python parser runs for each of a project's definitions.
        items = sre_parse.parse(source, flags)
        sre_compile(items, flags)  # what ``re.compile`` checks beyond the parse
        flags = items.state.flags  # inline flags ((?i)) included, as ``re.compile(source, flags).flags``
    except Untranslatable as exc:
        raise DefinitionError(f"regex cannot be matched by tracertm: {exc}", "warning") from None
    except Refused as exc:
        raise DefinitionError(f"regex does not compile in {exc.engine}: {exc}") from None
    except re.error as exc:
        severity = "error" if definition.language == "python" else "warning"
        raise DefinitionError(f"regex does not compile: {exc}", severity) from None
    except (OverflowError, ValueError):  # ``re``'s parser: a count past MAXREPEAT (or past int()'s digits)
        raise _beyond_re(definition, "a repetition count is larger than Python's re allows "
                                     f"({sre_parse.MAXREPEAT - 1})", "write a smaller count") from None
    except RecursionError:  # ``re``'s parser and compiler recurse per group
        raise _beyond_re(definition, "its groups are nested too deeply for Python's re",
                         "nest fewer groups") from None
    try:
        check_size(source, flags, items)
    except TooLarge as exc:
        raise _too_large(exc) from None
    refused = _re2_refuses(items) if definition.language == "go" else None
    if refused is not None:
        raise DefinitionError(f"regex does not compile in Go: RE2 has no {refused}; godog panics when it registers "
                              "the step — rewrite the regex without them")
    if framework in _SEARCHING or framework == "reqnroll":
        method = "search"  # Reqnroll: ``Regex.Match`` of the pattern with its anchors added as text
    elif framework == "behave":
        # Both of behave's regex matchers call ``re.match``: ``re0`` on the pattern as written (anchored at the
        # start only), ``re`` on ``^pattern$`` (the pattern python.py records).
        method = "match"
    else:
        method = "fullmatch"
    head, rest = _regex_head(source, flags, items)
    # A search tries every position: only a pattern matched where it starts can be linear (``steps.linear``).
    fast = linear(items, flags) and (method != "search" or bool(head))
    try:
        # Anchored at the start (``^``, no MULTILINE): a search tries position 0 only, as a match does.
        later = _Later(rest, flags, "match" if head and method == "search" else method,
                       None if lazy or not head else re.compile(rest, flags) if fast else _bounded(rest, flags),
                       fast)
    except (DefinitionError, re.error):
        head = ""  # the whole pattern's error below (positions in the message are the whole pattern's)
    if not head:
        fast = fast and method != "search"
        later = _Later(source, flags, method,
                       None if lazy else re.compile(source, flags) if fast else _bounded(source, flags), fast)

    def match(text: str) -> tuple[Argument, ...] | None:
        found = later.find(text, head)
        if found is None:
            return None
        return tuple(Argument(found.group(i), *found.span(i)) for i in range(1, (found.re.groups or 0) + 1))

    def values(text: str) -> tuple[str | None, ...] | None:
        found = later.find(text, head)
        return None if found is None else found.groups()  # every group, None where it did not take part

    # Anchored at the start: behave's re.match and the whole-text matchers; at the end: the whole-text ones only (a
    # searched pattern, Reqnroll's included, is anchored where its own ``^``/``$`` say).
    keys, prefix = _regex_words(source, flags, method != "search", method == "fullmatch", items)
    fold = bool(flags & re.IGNORECASE)
    return Compiled(definition, match, keys, prefix.lower() if fold else prefix, fold, values)


# What Python's regexes have and Go's (RE2, godog's ``regexp.MustCompile``) refuse, by parsed item.
_NOT_RE2 = {ASSERT: "lookarounds", ASSERT_NOT: "lookarounds", GROUPREF: "back-references",
            GROUPREF_EXISTS: "conditional groups", ATOMIC_GROUP: "atomic groups",
            POSSESSIVE_REPEAT: "possessive quantifiers"}


def _re2_refuses(items: Any) -> str | None:
    """What RE2 lacks among the parsed regex ``items`` (``sre_parse.parse``), or None."""
    pending: list[Any] = [items]
    while pending:
        current = pending.pop()
        if hasattr(current, "data"):  # a SubPattern: its items
            pending.extend(current.data)
        elif isinstance(current, (tuple, list)):
            if len(current) == 2 and current[0] in _NOT_RE2:
                return _NOT_RE2[current[0]]
            pending.extend(current)
    return None


# Characters that stand for themselves outside a character class (and are never a flag's business).
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-,'\":;=@%&!/<>~`")


def _regex_head(source: str, flags: int, items: Any = None) -> tuple[str, str]:
    """(head, rest) of a regex anchored at its start: ``^`` then literal characters (``head``), then ``rest``; a
    text matches (searched, matched or matched whole) exactly when it starts with ``head`` and ``rest`` matches
    from there, as for a Cucumber Expression (``_split_head``). ``("", source)`` unless that is certain: flags
    other than UNICODE (a case-insensitive or verbose head is not compared by ``startswith``), a top-level
    alternation (Python's parser confirms the head is literal items after ``^``), an inline flag or ``\\G`` in
    the rest; the last character before a quantifier stays in the rest. ``items``: ``source`` parsed already."""
    if flags & ~re.UNICODE or not source.startswith("^"):
        return "", source
    end = 1
    while end < len(source) and source[end] in _PLAIN:
        end += 1
    if end < len(source) and source[end] in "*+?{":
        end -= 1  # quantified: not literal
    head, rest = source[1:end], source[end:]
    if not head or "\\G" in rest or _INLINE_FLAG.search(rest):
        return "", source
    try:
        if items is None:
            items = sre_parse.parse(source, flags)
    except Exception:  # noqa: BLE001 - an internal API: without it, no head
        return "", source
    if len(items) <= len(head) or items[0] != (AT, AT_BEGINNING) or any(
        items[i + 1] != (LITERAL, ord(c)) for i, c in enumerate(head)
    ):
        return "", source
    return head, rest


def _too_large(exc: TooLarge) -> DefinitionError:
    """The finding for a pattern too large for tracertm to compile (``bounded.LARGEST``): tracertm's limit."""
    return DefinitionError(f"is too large to match: {exc}; its steps are not matched — write smaller repetition "
                           "counts", "warning")


def _beyond_re(definition: StepDefinition, what: str, fix: str) -> DefinitionError:
    """The finding for a regex Python's ``re`` refuses past its limits: an error for a Python one (the step module
    fails to load), tracertm's limit (a warning) for another language's, whose engine may take it."""
    if definition.language == "python":
        return DefinitionError(f"regex does not compile: {what} — {fix}")
    return DefinitionError(f"regex cannot be matched by tracertm: {what}; {fix} to have its steps matched", "warning")


def _bounded(source: str, flags: int) -> regex.Pattern[str]:
    """A user pattern for matching under a time bound (``tracertm.steps.bounded``); a pattern ``re`` accepts but the
    ``regex`` package does not is a limit of tracertm, not the project's error."""
    import regex

    try:
        return compile_pattern(source, flags)
    except regex.error as exc:
        raise DefinitionError(f"regex cannot be matched by tracertm: {_one_line(exc)}", "warning") from None
    except TooLarge as exc:
        raise _too_large(exc) from None
    except RecursionError:  # ``regex``'s parser recurses per group: a few hundred nested ones (``re`` takes them)
        raise DefinitionError("regex cannot be matched by tracertm: its groups are nested too deeply for tracertm's "
                              "regex engine; nest fewer groups to have its steps matched", "warning") from None


def _top_level_groups(source: str) -> list[int]:
    """The numbers of the capturing groups of ``source`` that are not inside another group."""

    return [arg[0] for op, arg in sre_parse.parse(source) if op is SUBPATTERN and arg[0] is not None]


def _regex_words(
    source: str, flags: int, start: bool, end: bool, parsed: Any = None
) -> tuple[frozenset[str], str]:
    """Words a regex certainly requires: literal runs at its top level, split at literal spaces; a word at a
    run's edge counts only when the run starts (ends) the whole pattern, anchored there — by the way it is
    applied (``start``: matched from the start; ``end``: matched to the end) or by its own ``^`` (``$``). A last
    word that may continue in the text (``logs in`` of ``re.match``, which "Bob logs inside" satisfies) is no
    whole word. Plus its literal prefix when it is anchored at the start. ``parsed``: ``source`` parsed already."""
    if flags & re.VERBOSE:
        return frozenset(), ""  # literal spaces mean nothing there: words cannot be told apart
    try:
        items = list(sre_parse.parse(source, flags) if parsed is None else parsed)
    except Exception:  # noqa: BLE001 - an internal API: without it the definition is just always a candidate
        return frozenset(), ""
    runs: list[tuple[str, bool, bool]] = []  # (text, starts the pattern, ends the pattern)
    current: list[str] = []
    start_ok = start
    for position, (op, arg) in enumerate(items):
        if op is LITERAL:
            if not current and position > 0 and not (position == 1 and items[0] == (AT, AT_BEGINNING)):
                start_ok = False
            current.append(chr(arg))
            continue
        if op is AT and arg is AT_BEGINNING and position == 0:
            start_ok = True
            continue
        if current:
            ends = op is AT and arg in (AT_END, AT_END_STRING) and position == len(items) - 1
            runs.append(("".join(current), start_ok, ends))
            current = []
        start_ok = False
    if current:
        runs.append(("".join(current), start_ok, end))
    words: set[str] = set()
    prefix = runs[0][0] if runs and runs[0][1] and _starts_with_literal(items) else ""
    for run, starts, ends in runs:
        tokens = run.split(" ")
        for i, token in enumerate(tokens):
            if (i > 0 or starts) and (i < len(tokens) - 1 or ends) and token:
                words.add(token.lower())
    return frozenset(words), prefix


# Inline global flags at the start of a pattern (``(?i)``): Python wants them first, .NET takes them anywhere.
_LEADING_FLAGS = re.compile(r"(?:\(\?[a-zA-Z]+\))+")


def _whole_text(pattern: str) -> str:
    """Reqnroll's ``RegexFactory.GetWholeTextMatchRegexSource``: ``^`` before the pattern unless it starts with
    one, ``$`` after it unless it ends with one — as text, so ``^I go home|I leave`` is ``^I go home|I leave$``
    (which ``Regex.Match`` finds in "I go home now"). Leading inline flags stay first (``(?i)a`` → ``(?i)^a$``,
    what .NET's ``^(?i)a$`` means)."""
    if not pattern.startswith("^"):
        lead = _LEADING_FLAGS.match(pattern)
        cut = lead.end() if lead else 0
        if not pattern.startswith("^", cut):  # ``(?i)^a``: .NET's ``^(?i)^a`` anchors once
            pattern = f"{pattern[:cut]}^{pattern[cut:]}"
    return pattern if pattern.endswith("$") else pattern + "$"


def _starts_with_literal(items: list[tuple[object, object]]) -> bool:
    first = 1 if items and items[0] == (AT, AT_BEGINNING) else 0
    return len(items) > first and items[first][0] is LITERAL


def _parse(definition: StepDefinition, types: dict[str, Callable[[str], str]]) -> Compiled:
    # behave compiles case-sensitively; pytest-bdd leaves parse's default (case-insensitive).
    sensitive = definition.framework != "pytest-bdd"
    try:
        if definition.kind == "cfparse":
            from parse_type.cfparse import Parser

            parser: Any = Parser(definition.pattern, extra_types=types, case_sensitive=sensitive)
        else:
            import parse

            parser = parse.compile(definition.pattern, extra_types=types, case_sensitive=sensitive)
        # parse compiles its regex on first use, raising NotImplementedError (its re.error, reworded) when a
        # custom type's pattern does not compile: found here, it is an error at the definition, not a crash of
        # the first step matched against it.
        getattr(parser, "_match_re", None)
    except NotImplementedError as exc:
        cause = exc.__context__ if isinstance(exc.__context__, re.error) else exc
        raise _type_regex_error(f"{definition.kind} pattern", cause) from None
    except ValueError as exc:
        raise DefinitionError(
            f"is not a valid {definition.kind} pattern ({_one_line(exc)}); register custom types with "
            "register_type / extra_types") from None
    except (re.error, TypeError, KeyError, AttributeError) as exc:
        raise DefinitionError(f"is not a valid {definition.kind} pattern ({_one_line(exc)})") from None
    except OverflowError:  # a field's width past ``re``'s MAXREPEAT ({:99999999999d}): parse's compile raises it
        raise DefinitionError(f"is not a valid {definition.kind} pattern (a field's width or a repetition count is "
                              f"larger than Python's re allows, {sre_parse.MAXREPEAT - 1}); write a smaller one"
                              ) from None
    except RecursionError:  # a custom type's regex nested past ``re``'s limit
        raise DefinitionError(f"is not a valid {definition.kind} pattern (a custom type's regex nests its groups too "
                              "deeply for Python's re); nest fewer groups") from None

    bounded = _bounded_parser(parser)
    # A pattern the ``regex`` package refuses (a custom type's regex nested a few hundred groups deep: its compiler
    # recurses) is matched by parse's own ``re`` regex, without the time bound but with the same handling of a
    # converter refusing the text; ``parser.parse`` only where this version of parse hides that regex.
    unbounded: Any = getattr(parser, "_match_re", None) if bounded is None else None

    def match(text: str) -> tuple[Argument, ...] | None:
        if bounded is None and unbounded is None:
            try:
                found = parser.parse(text)
            except Exception:  # noqa: BLE001 - a converter refused the text: no spans to give, so no match
                return None
        else:
            if bounded is not None:
                try:
                    matched = bounded.match(text, 0, *_TIMED)  # (``_Later.find``)
                except TimeoutError:
                    raise TooSlow(text) from None
            else:
                matched = unbounded.match(text)
            if matched is None:
                return None
            try:
                found = parser.evaluate_result(matched)
            except Exception:  # noqa: BLE001 - a converter refused the text (parse's date types: "31/02/2020")
                if not sensitive:
                    return None  # pytest-bdd's ``is_matching``: a converter's ValueError is no match
                # behave runs this definition for the step, which fails when it runs: a match, at parse's spans.
                return tuple(Argument(text[a:b], a, b) for a, b in sorted(_spans(parser, matched)))
        if found is None or not hasattr(found, "spans"):
            return None
        spans = sorted(found.spans.values())
        return tuple(Argument(text[a:b], a, b) for a, b in spans)

    head = definition.pattern.split("{", 1)[0] if "{" in definition.pattern else definition.pattern
    head = head.replace("}}", "}")
    return Compiled(definition, match, _words(_parse_literals(definition.pattern)), head if sensitive else head.lower(),
                    not sensitive)


def _spans(parser: Any, matched: Any) -> list[tuple[int, int]]:
    """The spans of a ``parse`` parser's fields in ``matched`` (its regex's match), as ``parser.evaluate_result``
    gives them, without running the fields' converters."""
    named = [matched.span(k) for k in parser._named_fields]
    return named + [matched.span(n + 1) for n in parser._fixed_fields]


def _parse_literals(pattern: str) -> list[str]:
    """The words of a parse pattern free of fields, as the text they match: ``{{`` and ``}}`` stand for ``{`` and
    ``}`` (``{who} sees {{x}}`` matches "Bob sees {x}": its word is ``{x}``, not ``x``)."""
    return [token.replace("{{", "{").replace("}}", "}") for token in pattern.split(" ")
            if not any(c in "{}" for c in re.sub(r"\{\{|\}\}", "", token))]


def _bounded_parser(parser: Any) -> regex.Pattern[str] | None:
    """The regex a ``parse`` parser matches with (its custom types' patterns included), for bounded matching:
    ``parser.parse(text)`` is ``parser.evaluate_result(parser._match_re.match(text))``. None when this version of
    ``parse`` no longer exposes it (then ``parser.parse`` is used, unbounded)."""
    try:
        own = parser._match_re
        return compile_pattern(own.pattern, own.flags) if own is not None else None
    except Exception:  # noqa: BLE001 - an internal of parse, or a pattern regex refuses: parse's own matching
        return None


def _type_regex_error(what: str, cause: BaseException) -> DefinitionError:
    """The error of a definition one of whose parameter types has a regex that does not compile."""
    return DefinitionError(f"is not a valid {what}: the regex of one of its parameter types does not compile "
                           f"({_one_line(cause)}); fix that type's pattern")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
