"""Go step files (godog) → step definitions, with tree-sitter.

``ctx.Step(expr, fn)`` (any keyword) and ``ctx.Given/When/Then(expr, fn)`` (that keyword only), where ``expr`` is a
string literal (interpreted or raw), literals and the file's own string constants joined with ``+``, or
``regexp.MustCompile("...")``: always an RE2 regex, matched unanchored.
``fn`` is a function name (its parameters are read from its declaration in the same file), a method value or a
function literal.
"""

from __future__ import annotations

from collections.abc import Mapping

from tracertm.errors import Diagnostic
from tracertm.steps.java import Folding
from tracertm.steps.model import Keyword, Parameter, StepDefinition, StepFile, assign_identities
from tracertm.steps.syntax import Node, column, line, parse_tree, syntax_errors, text, unescape, walk

_KEYWORDS: dict[str, Keyword] = {"Step": "step", "Given": "given", "When": "when", "Then": "then"}


def _string(node: Node | None, constants: Mapping[str, Node | None] | None = None,
            folding: Folding | None = None) -> str | None:
    """A string literal (interpreted or raw), ``regexp.MustCompile("...")``, or literals joined with ``+``, the
    file's own string constants among them (``_constants``), as the compiler folds them; each piece counted in
    ``folding``. Read with a stack: a chain of ``+`` nests one level per operand."""
    parts: list[str] = []
    pending = [node]
    names = 0  # constants read in place: a bound, so that one defined by itself (the compiler refuses it) cannot loop
    while pending:
        current = pending.pop()
        if current is None:
            return None
        raw = text(current)
        value: str | None = None
        if current.type == "raw_string_literal" and len(raw) >= 2:
            value = raw[1:-1]
        elif current.type == "interpreted_string_literal" and len(raw) >= 2:
            value = unescape(raw[1:-1])
        elif current.type == "call_expression" and not parts and not pending:  # regexp.MustCompile("..."), alone
            callee = text(current.child_by_field_name("function") or current)
            args = current.child_by_field_name("arguments")
            if not callee.endswith(("MustCompile", "MustCompilePOSIX")) or args is None or not args.named_children:
                return None
            pending.append(args.named_children[0])
            continue
        elif current.type == "binary_expression" and text(current.child_by_field_name("operator") or current) == "+":
            pending += [current.child_by_field_name("right"), current.child_by_field_name("left")]  # left first
            continue
        elif current.type == "parenthesized_expression" and len(current.named_children) == 1:
            pending.append(current.named_children[0])
            continue
        elif current.type == "identifier" and constants and names < _MAX_NAMES:
            names += 1
            pending.append(constants.get(raw))
            continue
        if value is None or (folding is not None and not folding.take(value)):
            return None
        parts.append(value)
    return "".join(parts)


_MAX_NAMES = 1000


def _constants(root: Node) -> dict[str, Node | None]:
    """The file's package-level string constants (``const prefix = "^I have "``, in a ``const ( … )`` group too)
    by name: their value expression (``_string`` reads it). A constant of another file of the package is not
    known (one file at a time); a name declared twice is None."""
    found: dict[str, Node | None] = {}
    for declaration in root.named_children:
        if declaration.type != "const_declaration":
            continue
        for spec in declaration.named_children:
            values = spec.child_by_field_name("value") if spec.type == "const_spec" else None
            kind = spec.child_by_field_name("type") if spec.type == "const_spec" else None
            if values is None or (kind is not None and text(kind) != "string"):
                continue  # (no value: an ``iota`` repetition)
            names = [c for c in spec.named_children if c.type == "identifier"]
            items = [v for v in values.named_children if v.type != "comment"]
            if len(names) != len(items):
                continue
            for name, item in zip(names, items):
                found[text(name)] = None if text(name) in found else item
    return found


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


def _uses_godog(root: Node, data: bytes) -> bool:
    """Whether the file names godog's package (``*godog.ScenarioContext``, ``godog.Step``) or imports it
    (``github.com/cucumber/godog``, or its old home ``DATA-DOG/godog``, perhaps under another name): only then are
    its ``x.Given(text, fn)`` calls step registrations — Ginkgo's ``When("...", func() {...})`` in another test file
    is none, and godog matching unanchored, such a phantom would match every step holding its text."""
    if b"godog." in data:
        return True
    for declaration in root.named_children:  # imports come first, at the top level
        if declaration.type not in ("import_declaration", "package_clause", "comment"):
            break
        for node in walk(declaration):
            where = node.child_by_field_name("path") if node.type == "import_spec" else None
            if where is not None and text(where).strip('"`').rstrip("/").endswith("/godog"):
                return True
    return False


def parse(path: str, data: bytes) -> StepFile:
    if b"godog" not in data:  # most *_test.go files: nothing to parse
        return StepFile(path, "go")
    root = parse_tree("go", data)
    if not _uses_godog(root, data):
        return StepFile(path, "go")
    errors = syntax_errors(path, root, "Go")
    functions = {
        text(n.child_by_field_name("name")): n
        for n in root.named_children
        if n.type in ("function_declaration", "method_declaration") and n.child_by_field_name("name") is not None
    }
    constants = _constants(root)
    folding = Folding(len(data))
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
        pattern = _string(values[0], constants, folding)
        if pattern is None:
            errors.append(Diagnostic(path, line(values[0]), column(values[0]),
                                     f"step definition {text(callee)}({text(values[0])[:60]}) cannot be read: "
                                     f"{folding.reason('string constant').replace('its pattern', 'the pattern')}; "
                                     "tracertm reads patterns without running code, one file at a time"))
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
