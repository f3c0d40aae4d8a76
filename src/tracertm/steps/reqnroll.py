"""Reqnroll / SpecFlow scoped bindings: ``[Scope(Tag = "...", Feature = "...", Scenario = "...")]`` on a binding class
or a step method (``csharp.py`` reads them into ``StepDefinition.scopes``), and which scenarios they are in.

Reqnroll's rules (its documentation, "Scoped Bindings", https://docs.reqnroll.net/latest/automation/scoped-bindings.html,
and its code, ``Reqnroll/Bindings/BindingScope.cs``, ``Discovery/BindingSourceProcessor.cs``,
``Discovery/ReqnrollTagExpressionParser.cs``, ``Infrastructure/StepDefinitionMatchService.cs``):

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
from collections.abc import Collection

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


__all__ = ["Scope", "TagExpressionError", "best_match", "parse_tags", "scope_matches"]
