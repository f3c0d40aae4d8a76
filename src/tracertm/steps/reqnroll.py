"""Reqnroll / SpecFlow scoped bindings: ``[Scope(Tag = "...", Feature = "...", Scenario = "...")]`` on a binding class
or a step method (``csharp.py`` reads them into ``StepDefinition.scopes``), and which scenarios they are in.

Reqnroll's rules (its documentation, "Scoped Bindings",
https://docs.reqnroll.net/latest/automation/scoped-bindings.html, and its code, ``Reqnroll/Bindings/BindingScope.cs``,
``Discovery/BindingSourceProcessor.cs``, ``Discovery/ReqnrollTagExpressionParser.cs``,
``Infrastructure/StepDefinitionMatchService.cs``):

- the criteria of one ``[Scope]`` are combined with AND; several ``[Scope]`` attributes — of the method and of its
  class alike (``methodScopes = typeScopes.Concat(method's scopes)``) — with OR: a definition is in a scenario's scope
  when one of its scopes matches;
- ``Tag`` is a Cucumber tag expression over the feature's, the rule's and the scenario's tags (a single tag may be
  written without its ``@``; in an expression of several terms every tag needs it); ``Feature`` and ``Scenario``
  are the feature's and the scenario's titles, compared ignoring case;
- a matching definition counts its scope's criteria (``scopeMatches``: 0 for an unscoped one, the best of its
  scopes for a scoped one), and only the matches with the most are kept (``KeepMaxScopeMatches``): a scoped
  definition wins over an unscoped one, a more specific scope over a less specific one — no ambiguity —, while two
  with as many are ambiguous; a definition whose scopes all fail does not match the step (Reqnroll reports the step
  as having no matching definition in scope).

Not modelled: the tags of an outline's ``Examples:`` (Reqnroll counts them for the rows of that table): only the
feature's, the rule's and the scenario's are taken.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from tracertm.steps.model import StepDefinition

T = TypeVar("T")

# (tag expression, feature title, scenario title): a ``[Scope]``'s criteria, None where it sets none.
Scope = tuple["str | None", "str | None", "str | None"]

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


class TagExpressionError(ValueError):
    """A ``Tag`` that is not a tag expression Reqnroll accepts (or, nested past ``MAX_NESTING`` or ``MAX_DEPTH``,
    that tracertm does not read)."""


# Reqnroll reads any depth; tracertm's reader and evaluator recurse, and a ``[Scope]`` thousands of ``not``s or
# parentheses deep made the whole C# file unreadable (Python's recursion limit). Real expressions are a few deep.
MAX_NESTING = 50  # ``not``s and parentheses one inside another
MAX_DEPTH = 200  # the tree's depth: nesting plus the length of ``and`` / ``or`` chains


def parse_tags(expression: str) -> object:
    """A Cucumber tag expression as a tree: ``("tag", name)``, ``("not", x)``, ``("and"|"or", a, b)``, or None for an
    empty one (it matches everything). A single tag without ``@`` gets one (Reqnroll's rewrite)."""
    tokens = [t.replace("\\(", "(").replace("\\)", ")") for t in _TOKEN.findall(expression)]
    if not tokens:
        return None
    position = 0
    nesting = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        token = peek()
        if token is None:
            raise TagExpressionError(f"tag expression {expression!r} ends too early")
        position += 1
        return token

    def parse_or() -> object:
        left = parse_and()
        while peek() == "or":
            take()
            left = ("or", left, parse_and())
        return left

    def parse_and() -> object:
        left = parse_not()
        while peek() == "and":
            take()
            left = ("and", left, parse_not())
        return left

    def parse_not() -> object:
        nonlocal nesting
        token = take()
        if token in ("not", "("):
            nesting += 1
            if nesting > MAX_NESTING:
                raise TagExpressionError(
                    _too_deep(expression, f"nests more than {MAX_NESTING} 'not's and parentheses"))
            inner = ("not", parse_not()) if token == "not" else parse_or()
            if token == "(" and take() != ")":
                raise TagExpressionError(f"tag expression {expression!r}: a '(' is not closed")
            nesting -= 1
            return inner
        if token in (")", "and", "or"):
            raise TagExpressionError(f"tag expression {expression!r}: unexpected {token!r}")
        return ("tag", token)

    tree = parse_or()
    if peek() is not None:
        raise TagExpressionError(f"tag expression {expression!r}: unexpected {peek()!r}")
    if _depth(tree) > MAX_DEPTH:
        raise TagExpressionError(_too_deep(expression, f"is more than {MAX_DEPTH} terms deep"))
    if isinstance(tree, tuple) and tree[0] == "tag":
        name = str(tree[1])
        return ("tag", name if name.startswith("@") else f"@{name}")
    if not _all_prefixed(tree):
        raise TagExpressionError(f"tag expression {expression!r}: in an expression of several terms, every tag "
                                 "must start with '@'")
    return tree


def _too_deep(expression: str, what: str) -> str:
    shown = expression if len(expression) <= 60 else expression[:57] + "..."
    return (f"tag expression {shown!r} {what}, which tracertm does not read; split it into several [Scope] "
            "attributes or simplify it")


def _depth(tree: object) -> int:
    """The depth of a parsed tree, counted without recursion (a chain of thousands of ``or`` is that deep)."""
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        if isinstance(node, tuple) and node[0] != "tag":
            todo.extend((part, depth + 1) for part in node[1:])
    return deepest


def _all_prefixed(tree: object) -> bool:
    assert isinstance(tree, tuple)
    if tree[0] == "tag":
        return str(tree[1]).startswith("@")
    return all(_all_prefixed(part) for part in tree[1:])


def _evaluate(tree: object, tags: Collection[str]) -> bool:
    assert isinstance(tree, tuple)
    kind = tree[0]
    if kind == "tag":
        return tree[1] in tags
    if kind == "not":
        return not _evaluate(tree[1], tags)
    if kind == "and":
        return _evaluate(tree[1], tags) and _evaluate(tree[2], tags)
    return _evaluate(tree[1], tags) or _evaluate(tree[2], tags)


def scope_matches(scope: Scope, feature: str, scenario: str, tags: Collection[str]) -> int | None:
    """How many criteria of ``scope`` a scenario meets (``BindingScope.Match``'s ``scopeMatches``), or None when one
    fails. ``tags``: the scenario's tags with their ``@``."""
    tag, feature_title, scenario_title = scope
    count = 0
    if tag is not None:
        try:
            tree = parse_tags(tag)
        except TagExpressionError:
            return None  # an invalid expression: Reqnroll reports the binding invalid (``check`` reports it)
        if tree is not None:
            if not _evaluate(tree, tags):
                return None
            count += 1
    if feature_title is not None:
        if feature_title.casefold() != feature.casefold():
            return None
        count += 1
    if scenario_title is not None:
        if scenario_title.casefold() != scenario.casefold():
            return None
        count += 1
    return count


def best_match(scopes: Collection[Scope], feature: str, scenario: str, tags: Collection[str]) -> int | None:
    """The most criteria one of a definition's scopes meets (they combine with OR), or None when none matches."""
    found = [n for s in scopes if (n := scope_matches(s, feature, scenario, tags)) is not None]
    return max(found) if found else None


# ----------------------------------------------------------------------------- which matching bindings are candidates
#
# Reqnroll's ``StepDefinitionMatchService`` (``Reqnroll/Infrastructure/StepDefinitionMatchService.cs``,
# ``MatchArgumentCalculator.cs``, ``Bindings/StepArgumentTypeConverter.cs``):
#
# - ``Match``: a binding whose regex matches the step is a candidate only when its method's parameters fit the
#   step's arguments — the regex's groups that took part (``Groups.Skip(1).Where(g => g.Success)``), then the
#   step's DocString (a string), then its DataTable (a ``Table``): as many parameters as arguments, and each
#   argument convertible to its parameter's type (``CanConvertArg``: an instance of it, a
#   ``[StepArgumentTransformation]`` returning it, or ``StepArgumentTypeConverter.CanConvertSimple``);
# - ``GetBestMatch``: the candidates in scope, grouped by method, and of them those with the most scope matches
#   (``KeepMaxScopeMatches``); one is the match, several are ambiguous;
# - ``OnNoMatch``, when none is left: if some candidate fits out of scope, the step has no match in scope
#   (``AmbiguousScopes``); else the bindings in scope whose regex matches, whatever their parameters: one is the
#   match (the run then fails on its parameters), several are ambiguous (``ParameterErrors``) — without
#   ``KeepMaxScopeMatches``.
#
# What tracertm cannot see, it lets fit: a parameter type it does not know (an enum, a class a transformation of
# any file returns), and any type a project's ``[StepArgumentTransformation]`` may return (``converters``: their
# names). A regex with named groups is checked by count only (.NET numbers named groups after the others).

_TABLES = frozenset({"Table", "DataTable"})
_STRINGS = frozenset({"string", "String"})
_OBJECTS = frozenset({"object", "Object"})
_BOOLEANS = frozenset({"bool", "Boolean"})
# Integer types → (min, max): ``Int32Converter``/``Int32.Parse`` with ``NumberStyles.Integer``.
_INTEGERS: dict[str, tuple[int, int]] = {}
for _names, _bits, _signed in ((("sbyte", "SByte"), 8, True), (("byte", "Byte"), 8, False),
                               (("short", "Int16"), 16, True), (("ushort", "UInt16"), 16, False),
                               (("int", "Int32"), 32, True), (("uint", "UInt32"), 32, False),
                               (("long", "Int64"), 64, True), (("ulong", "UInt64"), 64, False)):
    for _name in _names:
        _INTEGERS[_name] = (-(2 ** (_bits - 1)), 2 ** (_bits - 1) - 1) if _signed else (0, 2 ** _bits - 1)
# Types no DataTable converts to (``Convert.ChangeType`` of a ``Table`` throws ``InvalidCastException``).
_SIMPLE = frozenset({*_STRINGS, *_BOOLEANS, *_INTEGERS, "char", "Char", "float", "Single", "double", "Double",
                     "decimal", "Decimal", "DateTime", "DateTimeOffset", "TimeSpan", "Guid"})
_DECIMAL = re.compile(r"[+\-\u2212]?[0-9]+")
_HEX = re.compile(r"(?:#|0[xX]|&[hH])[0-9A-Fa-f]+")
_NAMED_GROUP = re.compile(r"\(\?(?:P?<[^=!]|')")


def _type_name(written: str) -> tuple[str, bool]:
    """A C# parameter type as written → (its simple name, whether nullable): ``System.Int32`` → ``Int32``,
    ``int?`` / ``Nullable<int>`` → (``int``, True), ``global::Reqnroll.DataTable`` → ``DataTable``."""
    name = "".join(written.split()).removeprefix("global::")
    nullable = False
    if name.endswith("?"):
        name, nullable = name[:-1], True
    for wrapper in ("Nullable<", "System.Nullable<"):
        if name.startswith(wrapper) and name.endswith(">"):
            name, nullable = name[len(wrapper):-1], True
    return name.rsplit(".", 1)[-1], nullable


def _fits(value: str | None, written: str, converters: Collection[str]) -> bool:
    """Whether Reqnroll's ``CanConvertArg`` may accept the argument ``value`` (None: the step's DataTable) for a
    parameter of the type ``written``; True wherever tracertm cannot tell."""
    name, nullable = _type_name(written)
    if not name or name in _OBJECTS or name in converters or written in converters:
        return True
    if value is None:
        return name not in _SIMPLE
    if name in _TABLES:
        return False
    if nullable and value == "":
        return True  # ``NullableConverter``: an empty string is null
    if name in _INTEGERS:
        text = value.strip()
        if _HEX.fullmatch(text):
            return True  # ``BaseNumberConverter``'s hexadecimal forms (their range is not checked here)
        if not _DECIMAL.fullmatch(text):
            return False
        low, high = _INTEGERS[name]
        return low <= int(text.replace("\u2212", "-")) <= high
    if name in _BOOLEANS:
        return value.strip().lower() in ("true", "false")
    return True


def fits(definition: StepDefinition, values: Sequence[str | None], argument: str,
         converters: Collection[str] = ()) -> bool:
    """Whether the method of a Reqnroll ``definition`` whose pattern matched a step, giving the group ``values``
    (None where a group took no part), takes the step's arguments (``StepDefinitionMatchService.Match``'s
    parameter check); ``argument``: the step's own one, ``"table"``, ``"doc"`` or ``""``
    (``scenarios.step_argument``)."""
    groups = [v for v in values if v is not None]
    parameters = definition.parameters
    if len(groups) + (argument in ("doc", "table")) != len(parameters):
        return False
    if argument == "table" and not _fits(None, parameters[-1].type, converters):
        return False
    if argument == "doc" and _type_name(parameters[-1].type)[0] in _TABLES:
        return False  # a DocString is a string (its text is not known here: any other type may take it)
    if definition.kind == "regex" and _NAMED_GROUP.search(definition.pattern):
        return True  # which group goes to which parameter is .NET's numbering: not checked
    return all(_fits(v, p.type, converters) for v, p in zip(groups, parameters))


def _values(args: object) -> Sequence[str | None]:
    """The values of a match's arguments: ``Argument`` objects (``match``) or the values already (``values``)."""
    assert isinstance(args, tuple)
    return [a if a is None or isinstance(a, str) else a.value for a in args]


def candidates(found: Sequence[tuple[StepDefinition, T]], argument: str, converters: Collection[str] = (),
               in_scope: Mapping[str, int] | None = None, scoped: Collection[str] = ()
               ) -> list[tuple[StepDefinition, T]]:
    """Of ``found`` (every definition whose pattern matches a step, with its arguments), those Reqnroll keeps
    (``GetBestMatch``, see above); definitions of other frameworks stay. ``in_scope``: the scoped definitions in
    the scenario's scope, each with its scope matches (``steps.lens``; a scoped one absent is out of scope);
    ``scoped``: every scoped definition."""
    others = [pair for pair in found if pair[0].framework != "reqnroll"]
    ours = [pair for pair in found if pair[0].framework == "reqnroll"]
    if not ours:
        return list(found)
    scores = in_scope or {}
    scored = [(pair, None if pair[0].identity in scoped and pair[0].identity not in scores
               else scores.get(pair[0].identity, 0)) for pair in ours]
    fitting = [(pair, score) for pair, score in scored if fits(pair[0], _values(pair[1]), argument, converters)]
    fitting_in_scope = [(pair, score) for pair, score in fitting if score is not None]
    if fitting_in_scope:
        top = max(score for _, score in fitting_in_scope if score is not None)
        kept = [pair for pair, score in fitting_in_scope if score == top]
    elif fitting:
        kept = []  # ``AmbiguousScopes``: only out of scope
    else:
        kept = [pair for pair, score in scored if score is not None]  # ``ParameterErrors`` (or the one match)
    chosen = {id(pair) for pair in kept}
    return [pair for pair in found if pair[0].framework != "reqnroll" or id(pair) in chosen] if others else kept


__all__ = ["Scope", "TagExpressionError", "best_match", "candidates", "fits", "parse_tags", "scope_matches"]
