"""Ruby step files (cucumber-ruby) → step definitions, with tree-sitter.

``Given/When/Then/And/But/Step(pattern) do |args| … end`` (or any other dialect's step keyword: ``Dado``, ``Soit``…,
``localized_keywords``) where ``pattern`` is a Regexp literal (a regex, searched
unanchored: ``/…/`` or ``%r`` with any delimiter, ``%r{…}``, ``%r(…)``, ``%r|…|``…, flags after it) or a string (a
Cucumber Expression); ``ParameterType(name: '…', regexp: /…/)``.

A file Ruby reads in another encoding than UTF-8 (its magic comment's: ``steps.ruby_source``) makes a pattern written
with characters that are not ASCII a string or Regexp of that encoding, which Ruby cannot match against the
feature's steps (cucumber-ruby reads them as UTF-8): a step holding such a character raises
``Encoding::CompatibilityError`` and stops the run, the others never match. Such a definition is an error there.
"""

from __future__ import annotations

import re
from functools import cache

from tracertm.errors import Diagnostic
from tracertm.steps.literals import unescape
from tracertm.steps.model import (
    Keyword,
    Parameter,
    ParameterTypeDecl,
    PatternKind,
    StepDefinition,
    StepFile,
    assign_identities,
)
from tracertm.steps.ruby_constants import SCOPES, Constants, Unbound
from tracertm.steps.syntax import (
    Node, column, excerpt, is_comment, line, parse_tree, syntax_errors, text, walk_scoped,
)

_KEYWORDS: dict[str, Keyword] = {"Given": "given", "When": "when", "Then": "then", "And": "step", "But": "step",
                                 "Step": "step"}
# What cucumber-ruby's ``Cucumber::Gherkin::I18n.code_keyword_for`` removes from a keyword to name its method.
_NOT_IN_NAMES = re.compile(r"[ \t\n\x0b\f\r',!]")


@cache
def localized_keywords() -> frozenset[str]:
    """The methods cucumber-ruby defines steps with besides the English ones: it aliases its step DSL to every step
    keyword of every Gherkin dialect (``Glue::RegistryAndMore``: ``Dado``, ``Quando``, ``Então``, ``Angenommen``,
    ``Soit``, ``Étantdonné``…), ``*`` left out, each stripped of ``_NOT_IN_NAMES``. Any of them defines a step of
    any keyword, as ``Given`` does (cucumber matches the text alone)."""
    from gherkin.dialect import DIALECTS

    return frozenset(
        name for spec in DIALECTS.values()
        for keyword in (*spec["given"], *spec["when"], *spec["then"], *spec["and"], *spec["but"])
        if keyword.strip() != "*" and (name := _NOT_IN_NAMES.sub("", keyword).strip()))
# The closing delimiter of a ``%r`` literal opened with a bracket; any other delimiter closes itself.
_CLOSING = {"(": ")", "[": "]", "{": "}", "<": ">"}


def _regex(raw: str) -> tuple[str, str] | None:
    """(pattern, flags) of a Regexp literal's source: ``/…/flags`` or ``%r<delimiter>…<closing>flags``. The body is
    kept as written (an escaped delimiter, ``\\/`` or ``\\}``, stays escaped: the same character to a regex)."""
    if raw.startswith("/"):
        start, closing = 1, "/"
    elif raw.startswith("%r") and len(raw) >= 4:
        start, closing = 3, _CLOSING.get(raw[2], raw[2])
    else:
        return None
    end = raw.rfind(closing)  # flags are letters: the last closing delimiter ends the body
    return (raw[start:end], raw[end + 1 :]) if end >= start else None


def _literal(node: Node) -> tuple[PatternKind, str, str] | None:
    """(kind, pattern, flags) of a regex or string literal without interpolation."""
    if any(c.type == "interpolation" for c in node.children):
        return None
    raw = text(node)
    regex = _regex(raw) if node.type == "regex" else None
    if regex is not None:
        return "regex", *regex
    if node.type == "string" and len(raw) >= 2 and raw[0] in "'\"" and raw[-1] == raw[0]:
        body = raw[1:-1]
        value = body.replace("\\\\", "\\").replace("\\'", "'") if raw[0] == "'" else unescape(body, "ruby")
        return "cucumber-expression", value, ""
    return None


def _foreign(path: str, node: Node, data: bytes, encoding: str | None) -> Diagnostic | None:
    """The error of a pattern literal ``node`` written with characters that are not ASCII in a file Ruby reads in
    ``encoding`` (None: UTF-8, where there is none)."""
    if encoding is None or text(node).isascii():
        return None
    return Diagnostic(path, line(node), column(node, data),
                      f"this pattern holds characters that are not ASCII in {encoding}, the encoding the file's "
                      "magic comment names: cucumber-ruby cannot match it against the feature's steps, which are "
                      "UTF-8 (Encoding::CompatibilityError); save the file as UTF-8 and remove the comment")


def parse(path: str, data: bytes, encoding: str | None = None) -> StepFile:
    """The step definitions and parameter types of the Ruby step file ``data`` (UTF-8), which Ruby reads in
    ``encoding`` (its name, from the file's magic comment; None: UTF-8)."""
    root = parse_tree("ruby", data)
    errors = syntax_errors(path, root, data, "Ruby")
    definitions: list[StepDefinition] = []
    types: list[ParameterTypeDecl] = []
    constants: Constants | None = None  # read when a pattern names one
    for node, _, enclosing in walk_scoped(root, lambda n: n.type in SCOPES):
        if node.type != "call" or node.child_by_field_name("receiver") is not None:
            continue
        method = text(node.child_by_field_name("method") or node)
        args = node.child_by_field_name("arguments")
        values = [a for a in args.named_children if not is_comment(a)] if args is not None else []
        if method == "ParameterType":
            name: str | None = None
            regexps: list[str] = []
            flags = ""
            prefer = False
            refused: list[Diagnostic] = []  # its regexps that Ruby cannot match (``_foreign``)
            for pair in values:
                key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
                if pair.type != "pair" or key is None or value is None:
                    continue
                found = _literal(value)
                if text(key).strip(":") == "name" and found is not None:
                    name = found[1]
                elif text(key).strip(":") == "regexp":
                    # One Regexp or string, or an array of them (cucumber-expressions' ``string_array``).
                    items = ([c for c in value.named_children if not is_comment(c)] if value.type == "array"
                             else [value])
                    refused += [d for d in (_foreign(path, i, data, encoding) for i in items) if d is not None]
                    read = [_literal(item) for item in items]
                    if read and all(r is not None for r in read):
                        regexps += [r[1] for r in read if r is not None]
                        flags += "".join(r[2] for r in read if r is not None)
                elif text(key).strip(":") == "prefer_for_regexp_match":
                    prefer = value.type == "true"
            if refused:
                errors.extend(refused)
            elif name and regexps:
                types.append(ParameterTypeDecl(name, tuple(regexps), "cucumber-ruby", "ruby", path, line(node),
                                               "".join(sorted(set(flags))), prefer=prefer))
            else:
                errors.append(Diagnostic(path, line(node), column(node, data),
                                         "ParameterType(...) cannot be read: give a literal name: and regexp:"))
            continue
        keyword = _KEYWORDS.get(method)
        block = node.child_by_field_name("block")
        if not values or block is None:
            continue
        if keyword is None:
            if method not in localized_keywords():
                continue
            keyword = "step"
        literal = values[0]
        try:
            if literal.type in ("constant", "scope_resolution"):  # ``Given(PATTERN) do``: the constant's value
                constants = constants or Constants(root)
                literal = constants.value(literal, enclosing)
            found = _literal(literal)
            if found is None:
                what = "not a literal, nor a constant assigned one" if literal is values[0] else \
                    f"a constant whose value ({excerpt(literal)}, line {line(literal)}) is not a literal"
                raise Unbound(f"{what}; tracertm reads patterns without running code")
        except Unbound as exc:
            errors.append(Diagnostic(path, line(values[0]), column(values[0], data),
                                     f"step definition {method}({excerpt(values[0])}) cannot be read: the pattern "
                                     f"is {exc}"))
            continue
        foreign_pattern = _foreign(path, literal, data, encoding)
        if foreign_pattern is not None:
            errors.append(foreign_pattern)
            continue
        kind, pattern, flags = found
        params = block.child_by_field_name("parameters")
        names = [Parameter(text(p)) for p in params.named_children] if params is not None else []
        definitions.append(StepDefinition(
            keyword=keyword, pattern=pattern, kind=kind, framework="cucumber-ruby", language="ruby", path=path,
            # cucumber-ruby locates a definition by its block (``Proc#source_location``: the line of ``do`` or
            # ``{``), which a call split over lines (``Given(\n  /…/\n) do``) puts below the keyword
            line=line(block), column=column(node, data), function="", parameters=tuple(names), flags=flags,
            label="" if method == keyword.capitalize() else method,  # Dado(/…/), And(/…/): not "Step(/…/)"
        ))
    return StepFile(path, "ruby", assign_identities(path, definitions), tuple(types), tuple(errors))
