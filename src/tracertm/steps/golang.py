"""Go step files (godog) → step definitions, with tree-sitter.

``ctx.Step(expr, fn)`` (any keyword) and ``ctx.Given/When/Then(expr, fn)`` (that keyword only), where ``expr`` is a
string literal (interpreted or raw) or ``regexp.MustCompile("...")``: always an RE2 regex, matched unanchored.
``fn`` is a function name (its parameters are read from its declaration in the same file), a method value or a
function literal.
"""

from __future__ import annotations

from tracertm.errors import Diagnostic
from tracertm.steps.model import Keyword, Parameter, StepDefinition, StepFile, assign_identities
from tracertm.steps.syntax import Node, column, line, parse_tree, syntax_errors, text, unescape, walk

_KEYWORDS: dict[str, Keyword] = {"Step": "step", "Given": "given", "When": "when", "Then": "then"}


def _string(node: Node) -> str | None:
    raw = text(node)
    if node.type == "raw_string_literal" and len(raw) >= 2:
        return raw[1:-1]
    if node.type == "interpreted_string_literal" and len(raw) >= 2:
        return unescape(raw[1:-1])
    if node.type == "call_expression":  # regexp.MustCompile("...")
        callee = text(node.child_by_field_name("function") or node)
        args = node.child_by_field_name("arguments")
        if callee.endswith(("MustCompile", "MustCompilePOSIX")) and args is not None and args.named_children:
            return _string(args.named_children[0])
    return None


def _parameters(params: Node | None) -> tuple[Parameter, ...]:
    out: list[Parameter] = []
    for declaration in params.named_children if params is not None else ():
        if declaration.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        kind = declaration.child_by_field_name("type")
        names = [c for c in declaration.named_children if c.type == "identifier"]
        for name in names or [None]:
            out.append(Parameter(text(name) if name is not None else "", text(kind) if kind is not None else ""))
    return tuple(p for p in out if p.type != "context.Context")  # godog may pass a context first


def parse(path: str, data: bytes) -> StepFile:
    root = parse_tree("go", data)
    errors = syntax_errors(path, root, "Go")
    functions = {
        text(n.child_by_field_name("name")): n
        for n in root.named_children
        if n.type in ("function_declaration", "method_declaration") and n.child_by_field_name("name") is not None
    }
    definitions: list[StepDefinition] = []
    for node in walk(root):
        if node.type != "call_expression":
            continue
        callee = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if callee is None or args is None or callee.type != "selector_expression":
            continue
        keyword = _KEYWORDS.get(text(callee.child_by_field_name("field")))
        values = [a for a in args.named_children if a.type != "comment"]
        if keyword is None or len(values) != 2:
            continue
        pattern = _string(values[0])
        if pattern is None:
            errors.append(Diagnostic(path, line(values[0]), column(values[0]),
                                     f"step definition {text(callee)}({text(values[0])[:60]}) cannot be read: the "
                                     "pattern is not a string literal; tracertm reads patterns without running code"))
            continue
        glue = values[1]
        function = ""
        params: tuple[Parameter, ...] = ()
        if glue.type == "identifier":
            function = text(glue)
            declared = functions.get(function)
            params = _parameters(declared.child_by_field_name("parameters")) if declared is not None else ()
        elif glue.type == "selector_expression":
            function = text(glue.child_by_field_name("field"))
            declared = functions.get(function)
            params = _parameters(declared.child_by_field_name("parameters")) if declared is not None else ()
        elif glue.type == "func_literal":
            params = _parameters(glue.child_by_field_name("parameters"))
        definitions.append(StepDefinition(
            keyword=keyword, pattern=pattern, kind="regex", framework="godog", language="go", path=path,
            line=line(node), column=column(node), function=function, parameters=params,
        ))
    return StepFile(path, "go", assign_identities(path, definitions), (), tuple(errors))
