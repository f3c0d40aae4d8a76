"""C# step files (Reqnroll / SpecFlow) → step definitions, with tree-sitter.

``[Given("…")]``, ``[When]``, ``[Then]`` and ``[StepDefinition]`` (any keyword) attributes on methods (also with
the ``Attribute`` suffix), the pattern a literal or literals and the file's ``const string`` fields joined with
``+`` (``_folded``); ``[StepArgumentTransformation("regex", Name = "x")]`` declares a parameter type (named by
``Name``, else by the method's return type). Expression type: ``ExpressionType = …`` when given, else Reqnroll's
detector (``CucumberExpressionDetector``): ``^…``/``…$`` → regex; ``{name}`` → Cucumber Expression; ``(.*)``-like
groups, ``\\.`` or ``\\d+`` → regex; otherwise a Cucumber Expression. Regexes match the whole step text.
``[Scope(Tag = ..., Feature = ..., Scenario = ...)]`` on the method or its class: ``StepDefinition.scopes``
(``steps.reqnroll``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tracertm.errors import Diagnostic
from tracertm.steps.java import MAX_NAMES, Folding
from tracertm.steps.model import (
    Keyword,
    Parameter,
    ParameterTypeDecl,
    PatternKind,
    StepDefinition,
    StepFile,
    assign_identities,
)
from tracertm.steps.literals import csharp_raw_string, unescape
from tracertm.steps.reqnroll import Scope, TagExpressionError, parse_tags
from tracertm.steps.syntax import Node, column, line, parse_tree, syntax_errors, text, walk_scoped

_KEYWORDS: dict[str, Keyword] = {"Given": "given", "When": "when", "Then": "then", "StepDefinition": "step"}
_PARAMETER = re.compile(r"\{\w*\}")
_REGEX_GROUP = re.compile(r"(\([^\)]+[\*\+]\)|\.\*)")


def reqnroll_kind(value: str) -> PatternKind:
    """Reqnroll's ``CucumberExpressionDetector.IsCucumberExpression``, rule by rule."""
    if value.startswith("^") or value.endswith("$"):
        return "regex"
    if _PARAMETER.search(value):
        return "cucumber-expression"
    if _REGEX_GROUP.search(value) or "\\." in value or "\\d+" in value:
        return "regex"
    return "cucumber-expression"


def _string(node: Node) -> str | None:
    raw = text(node)
    if node.type == "verbatim_string_literal" and raw.startswith('@"') and raw.endswith('"'):
        return raw[2:-1].replace('""', '"')
    if node.type == "string_literal" and raw.startswith('"') and raw.endswith('"') and not raw.startswith('"""'):
        return unescape(raw[1:-1], "csharp")
    if node.type == "raw_string_literal":
        return csharp_raw_string(raw)
    return None


def _constants(root: Node) -> dict[str, Node | None]:
    """The file's ``const string`` fields, by name and by ``Class.Name``: their initializer (literals joined with
    ``+``, other constants among them: ``_folded``). Constants of other files are not known (tracertm reads one
    file at a time); a name declared twice in the file is None: which one a bare name means is not read."""
    found: dict[str, Node | None] = {}

    def add(name: str, value: Node | None) -> None:
        found[name] = None if name in found else value

    for node, _, enclosing in walk_scoped(root, lambda n: n.type in _CLASSES):
        if node.type != "field_declaration" or not any(c.type == "modifier" and text(c) == "const"
                                                       for c in node.children):
            continue
        declaration = next((c for c in node.named_children if c.type == "variable_declaration"), None)
        kind = declaration.child_by_field_name("type") if declaration is not None else None
        if declaration is None or kind is None or text(kind) not in ("string", "String", "System.String"):
            continue
        owner = enclosing[-1].child_by_field_name("name") if enclosing else None
        for declarator in declaration.named_children:
            named = declarator.named_children
            if declarator.type != "variable_declarator" or not named or named[0].type != "identifier":
                continue
            value = named[-1] if len(named) > 1 else None
            add(text(named[0]), value)
            if owner is not None:
                add(f"{text(owner)}.{text(named[0])}", value)
    return found


def _folded(node: Node, constants: Mapping[str, Node | None], folding: Folding) -> str | None:
    """A string literal, or literals joined with ``+`` — a long pattern split over lines —, a name among them one of
    the file's ``constants`` (``_constants``: ``Prefix``, ``Steps.Prefix``) read in its place, as csc folds them;
    each piece counted in ``folding``. Read with a stack: a chain of ``+`` nests one level per operand."""
    parts: list[str] = []
    pending: list[Node | None] = [node]
    names = 0  # constants read in place: a bound, so that one defined by itself (csc refuses it) cannot loop
    while pending:
        current = pending.pop()
        if current is None:
            return None
        value = _string(current)
        if value is not None:
            if not folding.take(value):
                return None
            parts.append(value)
        elif current.type == "binary_expression" and text(current.child_by_field_name("operator") or current) == "+":
            pending += [current.child_by_field_name("right"), current.child_by_field_name("left")]  # left first
        elif current.type == "parenthesized_expression" and current.named_children:
            pending.append(current.named_children[0])
        elif current.type in ("identifier", "member_access_expression") and names < MAX_NAMES:
            names += 1
            written = "".join(text(current).split())
            # A qualified name by its last two parts: ``Acme.Steps.Prefix`` is the file's ``Steps.Prefix``.
            found = constants.get(written)
            pending.append(found if found is not None else constants.get(".".join(written.split(".")[-2:])))
        else:
            return None
    return "".join(parts)


def _arguments(attribute: Node) -> tuple[list[Node], dict[str, Node]]:
    positional: list[Node] = []
    named: dict[str, Node] = {}
    arg_list = next((c for c in attribute.named_children if c.type == "attribute_argument_list"), None)
    for arg in arg_list.named_children if arg_list is not None else ():
        if arg.type != "attribute_argument":
            continue
        name = arg.child_by_field_name("name")
        value = arg.named_children[-1] if arg.named_children else None
        if value is None:
            continue
        if name is not None:
            named[text(name)] = value
        else:
            positional.append(value)
    return positional, named


def _scopes(owner: Node | None, path: str, data: bytes, errors: list[Diagnostic]) -> list[Scope]:
    """The ``[Scope(Tag = ..., Feature = ..., Scenario = ...)]`` attributes of a method or class declaration
    (``steps.reqnroll``); one whose values are not string literals is an error (and scopes nothing)."""
    found: list[Scope] = []
    for attribute_list in owner.named_children if owner is not None else ():
        if attribute_list.type != "attribute_list":
            continue
        for attribute in attribute_list.named_children:
            name = text(attribute.child_by_field_name("name") or attribute).rsplit(".", 1)[-1]
            if attribute.type != "attribute" or name.removesuffix("Attribute") != "Scope":
                continue
            _positional, named = _arguments(attribute)
            values: dict[str, str | None] = {}
            for key in ("Tag", "Feature", "Scenario"):
                node = named.get(key)
                value = _string(node) if node is not None and node.type != "null_literal" else None
                if node is not None and node.type != "null_literal" and value is None:
                    errors.append(Diagnostic(path, line(node), column(node, data),
                                             f"[Scope({key} = ...)] cannot be read: not a string literal; tracertm "
                                             "reads scopes without running code"))
                    break
                values[key] = value
            else:
                if values["Tag"] is not None:
                    try:
                        parse_tags(values["Tag"])
                    except TagExpressionError as exc:
                        errors.append(Diagnostic(path, line(attribute), column(attribute, data),
                                                 f"[Scope(Tag = ...)] is not a tag expression Reqnroll accepts: "
                                                 f"{exc}"))
                        continue
                found.append((values["Tag"], values["Feature"], values["Scenario"]))
    return found


_CLASSES = ("class_declaration", "record_declaration", "struct_declaration")
# The ancestors the walk keeps (``syntax.walk_scoped``): found by climbing with tree-sitter's ``parent``, which
# searches down from the root, a file of nested classes (4,000 deep, 250 KB) took seconds, and a larger one minutes.
_KEPT = frozenset(("method_declaration", *_CLASSES))


def _enclosing_class(enclosing: list[Node]) -> Node | None:
    """The innermost class, record or struct above the method ``enclosing[-1]``."""
    return next((enclosing[i] for i in range(len(enclosing) - 2, -1, -1) if enclosing[i].type in _CLASSES), None)


def parse(path: str, data: bytes) -> StepFile:
    root = parse_tree("csharp", data)
    errors = syntax_errors(path, root, data, "C#")
    definitions: list[StepDefinition] = []
    types: list[ParameterTypeDecl] = []
    warnings: list[Diagnostic] = []
    constants = _constants(root)
    folding = Folding(len(data))
    for node, above, enclosing in walk_scoped(root, lambda n: n.type in _KEPT):
        if node.type != "attribute":
            continue
        name = text(node.child_by_field_name("name") or node).rsplit(".", 1)[-1].removesuffix("Attribute")
        # a method's attribute: its parent is an attribute list of the method, the innermost ancestor kept
        if len(above) < 2 or above[-2] != "method_declaration" or above[-1] in _KEPT:
            continue
        method = enclosing[-1]
        method_name = text(method.child_by_field_name("name") or method)
        positional, named = _arguments(node)
        if name == "StepArgumentTransformation":
            regex = _string(positional[0]) if positional else None
            type_name = _string(named["Name"]) if "Name" in named else None
            returns = method.child_by_field_name("returns") or method.child_by_field_name("type")
            type_name = type_name or (text(returns) if returns is not None else None)
            if regex is not None and type_name:
                types.append(ParameterTypeDecl(type_name, (regex,), "reqnroll", "csharp", path, line(node)))
            continue
        keyword = _KEYWORDS.get(name)
        if keyword is None:
            continue
        value = positional[0] if positional else named.get("Expression") or named.get("Regex")
        if value is None:  # no expression: Reqnroll matches the method name, which tracertm does not read
            warnings.append(Diagnostic(path, line(node), column(node, data),
                                       f"[{name}] on {method_name}() has no expression: Reqnroll matches the "
                                       "method's name, which tracertm does not read — its steps show as undefined; "
                                       "give the attribute its expression", "warning"))
            continue
        pattern = _folded(value, constants, folding)
        if pattern is None:
            errors.append(Diagnostic(path, line(value), column(value, data),
                                     f"[{name}] on {method_name}() cannot be read: {folding.reason('const string')}; "
                                     "tracertm reads patterns without running code, one file at a time"))
            continue
        declared = text(named["ExpressionType"]) if "ExpressionType" in named else ""
        kind: PatternKind = (
            "regex" if declared.endswith("RegularExpression")
            else "cucumber-expression" if declared.endswith("CucumberExpression") else reqnroll_kind(pattern)
        )
        params = method.child_by_field_name("parameters")
        parameters = tuple(
            Parameter(text(p.child_by_field_name("name") or p), text(p.child_by_field_name("type") or p))
            for p in (params.named_children if params is not None else ()) if p.type == "parameter"
        )
        # The class's [Scope] attributes and the method's combine with OR (Reqnroll's BindingSourceProcessor).
        scopes = (*_scopes(_enclosing_class(enclosing), path, data, errors), *_scopes(method, path, data, errors))
        definitions.append(StepDefinition(
            keyword=keyword, pattern=pattern, kind=kind, framework="reqnroll", language="csharp", path=path,
            line=line(node), column=column(node, data), function=method_name, parameters=parameters,
            scopes=tuple(dict.fromkeys(scopes)),
        ))
    # A class's [Scope] is read for each of its methods: its errors are said once.
    return StepFile(path, "csharp", assign_identities(path, definitions), tuple(types), tuple(dict.fromkeys(errors)),
                    tuple(warnings))
