"""Kotlin step files (cucumber-jvm: annotations, and the lambda glue of ``cucumber-kotlin-java8``) → step
definitions, with tree-sitter. The same rules as Java (``tracertm.steps.java``): ``@Given("…") fun f(n: Int)``,
``Given("…") { n: Int -> }`` inside a class implementing ``En``, ``@ParameterType("regex") fun name(…)`` (also
``value =``/``name =`` named) and the glue's ``ParameterType("name", "regex") { … }``; the
localized annotations imported one by one, with ``io.cucumber.java.<lang>.*`` or written fully qualified;
a string starting with ``^``, ending with ``$`` or written ``/…/`` is a regex, otherwise a Cucumber Expression.
"""

from __future__ import annotations

from tracertm.errors import Diagnostic
from tracertm.steps.java import _ENGLISH, add_import, annotation_keyword, pattern_kind
from tracertm.steps.model import Keyword, Parameter, ParameterTypeDecl, StepDefinition, StepFile, assign_identities
from tracertm.steps.syntax import Node, column, line, parse_tree, syntax_errors, text, unescape, walk


def _string(node: Node | None) -> str | None:
    """A string literal without templates (``$name`` / ``${…}``), or literals joined with ``+``. A raw
    (triple-quoted) string, tree-sitter's ``multiline_string_literal``, is taken as written: no escapes. A call on a
    literal (a raw string's ``.trimIndent()``, ``.trimMargin()``) is not a literal."""
    # Read with a stack, not by recursion: a chain of ``+`` nests one level per operand, and a RecursionError
    # would lose the whole file.
    parts: list[str] = []
    pending = [node]
    while pending:
        current = pending.pop()
        if current is None:
            return None
        if current.type == "value_argument" and current.named_children:
            pending.append(current.named_children[-1])
        elif current.type in ("string_literal", "multiline_string_literal"):
            if any(c.type in ("interpolation", "interpolated_identifier", "interpolated_expression")
                   for c in current.children):
                return None
            raw = text(current)
            if current.type == "multiline_string_literal":
                if not (len(raw) >= 6 and raw.startswith('"""') and raw.endswith('"""')):
                    return None
                parts.append(raw[3:-3])
            else:
                parts.append(unescape(raw[1:-1]))
        elif current.type in ("binary_expression", "additive_expression") and len(current.named_children) == 2:
            operator = current.child_by_field_name("operator")
            if operator is not None and operator.type != "+":
                return None
            pending += reversed(current.named_children)  # the left operand first
        else:
            return None
    return "".join(parts)


def _keywords(root: Node) -> dict[str, Keyword]:
    """Annotation simple names that declare steps, from the file's imports (as Java's: ``java.add_import``)."""
    names: dict[str, Keyword] = dict(_ENGLISH)
    for node in root.named_children:
        if node.type != "import":
            continue
        path = next((c for c in node.children if c.type == "qualified_identifier"), None)
        if path is not None:  # `import a.b.C as D` (an alias) is not read: D is no step annotation here
            add_import(names, text(path) + (".*" if any(c.type == "*" for c in node.children) else ""))
    return names


def _parameters(node: Node | None) -> tuple[Parameter, ...]:
    out: list[Parameter] = []
    for p in node.named_children if node is not None else ():
        if p.type in ("parameter", "variable_declaration"):
            names = [c for c in p.named_children if c.type in ("identifier", "simple_identifier")]
            kinds = [c for c in p.named_children if c.type not in ("identifier", "simple_identifier")]
            out.append(Parameter(text(names[0]) if names else "", text(kinds[0]) if kinds else ""))
    return tuple(out)


def _name_of(argument: Node) -> str | None:
    """The name of a named argument (``name = "color"``), None for a positional one."""
    children = argument.named_children
    if len(children) >= 2 and children[0].type in ("identifier", "simple_identifier") and any(
            c.type == "=" for c in argument.children):
        return text(children[0])
    return None


def _named(values: list[Node]) -> dict[str, Node]:
    """An annotation's or call's named arguments by name."""
    return {name: v for v in values if (name := _name_of(v)) is not None}


def parse(path: str, data: bytes) -> StepFile:
    root = parse_tree("kotlin", data)
    errors = syntax_errors(path, root, "Kotlin")
    keywords = _keywords(root)
    definitions: list[StepDefinition] = []
    types: list[ParameterTypeDecl] = []

    def unreadable(node: Node, what: str) -> None:
        errors.append(Diagnostic(path, line(node), column(node), f"{what} cannot be read: its pattern is not a "
                                 "string literal; tracertm reads patterns without running code"))

    for node in walk(root):
        if node.type == "annotation":
            invocation = next((c for c in node.named_children if c.type == "constructor_invocation"), None)
            function = node.parent.parent if node.parent is not None else None
            if invocation is None or function is None or function.type != "function_declaration":
                continue
            written = text(invocation.named_children[0])
            name = written.rsplit(".", 1)[-1]
            args = next((c for c in invocation.named_children if c.type == "value_arguments"), None)
            values = [c for c in args.named_children if c.type == "value_argument"] if args is not None else []
            fname_node = next((c for c in function.named_children if c.type in ("identifier", "simple_identifier")),
                              None)
            fname = text(fname_node) if fname_node is not None else ""
            if name == "ParameterType":
                # ``@ParameterType("regex")``, or named: ``@ParameterType(value = "regex", name = "color")`` (the
                # function's name is the type's unless ``name`` says otherwise, as in Java).
                named = _named(values)
                given = named.get("value", values[0] if values and _name_of(values[0]) is None else None)
                regex = _string(given)
                type_name = _string(named["name"]) if "name" in named else fname
                if regex is None or not type_name:
                    unreadable(node, f"@ParameterType on {fname}()")
                else:
                    types.append(ParameterTypeDecl(type_name, (regex,), "cucumber-jvm", "kotlin", path, line(node)))
                continue
            keyword = annotation_keyword(written, keywords)
            if keyword is None:
                continue
            value = _string(values[0]) if values else None
            if value is None:
                unreadable(node, f"@{name} on {fname}()")
                continue
            kind, pattern = pattern_kind(value)
            params = next((c for c in function.named_children if c.type == "function_value_parameters"), None)
            definitions.append(StepDefinition(
                keyword=keyword, pattern=pattern, kind=kind, framework="cucumber-jvm", language="kotlin", path=path,
                line=line(node), column=column(node), function=fname, parameters=_parameters(params),
            ))
        elif node.type == "call_expression" and len(node.named_children) == 2:
            inner, lam = node.named_children
            if lam.type != "annotated_lambda" or inner.type != "call_expression" or not inner.named_children:
                continue
            keyword = keywords.get(text(inner.named_children[0]))
            args = next((c for c in inner.named_children if c.type == "value_arguments"), None)
            values = [c for c in args.named_children if c.type == "value_argument"] if args is not None else []
            if text(inner.named_children[0]) == "ParameterType" and len(values) >= 2:
                # The lambda glue's ``ParameterType("color", "red|blue") { value: String -> … }`` (java8's
                # ``ParameterType(name, regex, transformer)`` with Kotlin's trailing lambda).
                declared, regex = _string(values[0]), _string(values[1])
                if declared is None or regex is None:
                    unreadable(node, "ParameterType(...)")
                else:
                    types.append(ParameterTypeDecl(declared, (regex,), "cucumber-jvm", "kotlin", path, line(node)))
                continue
            if keyword is None or not values:
                continue
            value = _string(values[0])
            if value is None:
                unreadable(node, f"{text(inner.named_children[0])}(...)")
                continue
            kind, pattern = pattern_kind(value)
            literal = next((c for c in lam.named_children if c.type == "lambda_literal"), None)
            params = next((c for c in literal.named_children if c.type == "lambda_parameters"), None) \
                if literal is not None else None
            definitions.append(StepDefinition(
                keyword=keyword, pattern=pattern, kind=kind, framework="cucumber-jvm", language="kotlin", path=path,
                line=line(node), column=column(node), function="", parameters=_parameters(params),
            ))
    return StepFile(path, "kotlin", assign_identities(path, definitions), tuple(types), tuple(errors))
