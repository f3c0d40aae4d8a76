"""Go step files (godog) → step definitions, with tree-sitter.

``ctx.Step(expr, fn)`` (any keyword) and ``ctx.Given/When/Then(expr, fn)`` (that keyword only), where ``expr`` is a
string literal (interpreted or raw), literals and the file's own string constants joined with ``+``, or
``regexp.MustCompile("...")``: always an RE2 regex, matched unanchored.
``fn`` is a function name (its parameters are read from its declaration in the same file), a method value or a
function literal.

godog (not strict) runs the first registered of several matching definitions, in the order the ``ctx.Step`` calls
run: ``StepDefinition.registration`` is that order where the file tells it (``_registration_order``) — from the
scenario initializer (the function a ``ScenarioInitializer:`` of the file names, else ``InitializeScenario``, else
the file's one function that registers steps and that no other function of it calls), its statements in source
order, following the calls to the file's functions (a helper declared above its caller registers when it is
called). The definitions it does not reach keep None (``matching.settle`` then falls back on line order).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import replace

from tracertm.errors import Diagnostic
from tracertm.steps.java import Folding
from tracertm.steps.literals import unescape
from tracertm.steps.model import Keyword, Parameter, StepDefinition, StepFile, assign_identities
from tracertm.steps.syntax import Node, column, excerpt, is_comment, line, parse_tree, syntax_errors, text, walk

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
            value = unescape(raw[1:-1], "go")
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
            items = [v for v in values.named_children if not is_comment(v)]
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


def _initializers(root: Node, functions: Mapping[str, Node]) -> list[Node]:
    """The scenario initializers of the file: what its ``ScenarioInitializer:`` fields name (a function of the file
    or a function literal), else its ``InitializeScenario`` function."""
    found: list[Node] = []
    for node in walk(root):
        if node.type != "keyed_element":
            continue
        key, value = node.child_by_field_name("key"), node.child_by_field_name("value")
        if key is None or value is None or text(key).strip() != "ScenarioInitializer":
            continue
        inner = value.named_children[0] if value.type == "literal_element" and value.named_children else value
        if inner.type == "func_literal":
            found.append(inner)
        elif inner.type in ("identifier", "selector_expression"):
            name = text(inner.child_by_field_name("field") if inner.type == "selector_expression" else inner)
            if name in functions:
                found.append(functions[name])
    if not found and "InitializeScenario" in functions:
        found.append(functions["InitializeScenario"])
    return found


def _events(function: Node, registrations: Mapping[int, int], functions: Mapping[str, Node]
            ) -> Iterator[tuple[str, object]]:
    """What ``function`` does at registration time, in source order: ``("step", index)`` for a registration
    (``registrations``: its call's start byte → its index among the file's definitions), ``("call", name)`` for a
    call of a function of the file. Function literals (a step's handler, a hook) run later: not entered; nor are
    the arguments of a registration."""
    body = function.child_by_field_name("body")
    pending = [body] if body is not None else []
    while pending:
        node = pending.pop()
        if node.type == "call_expression":
            index = registrations.get(node.start_byte)
            if index is not None:
                yield "step", index
                continue
            callee = node.child_by_field_name("function")
            if callee is not None and callee.type == "selector_expression":
                callee = callee.child_by_field_name("field")
            arguments = node.child_by_field_name("arguments")
            if arguments is not None:  # Go evaluates the arguments first
                pending.append(_Marker(callee))
                pending.extend(reversed(arguments.children))
                continue
            if callee is not None and text(callee) in functions:
                yield "call", text(callee)
            continue
        if isinstance(node, _Marker):
            if node.callee is not None and text(node.callee) in functions:
                yield "call", text(node.callee)
            continue
        if node.type == "func_literal":
            continue
        pending.extend(reversed(node.children))


class _Marker:
    """A call whose arguments are walked first: the call itself, once they are (``_events``)."""

    type = "marker"

    def __init__(self, callee: Node | None) -> None:
        self.callee = callee


def _registration_order(root: Node, functions: Mapping[str, Node], registrations: Mapping[int, int]
                        ) -> dict[int, int]:
    """Definition index → its place in the order godog registers the file's definitions (see the module docstring),
    for those the scenario initializer reaches."""
    events = {name: list(_events(f, registrations, functions)) for name, f in functions.items()}
    entries = _initializers(root, functions)
    if not entries:  # the one function that registers steps (itself or through others) and that none calls
        callers: dict[str, set[str]] = {}
        for name, found in events.items():
            for kind, what in found:
                if kind == "call":
                    callers.setdefault(str(what), set()).add(name)
        registers = {name for name, found in events.items() if any(kind == "step" for kind, _ in found)}
        pending = list(registers)
        while pending:
            for caller in callers.get(pending.pop(), ()):
                if caller not in registers:
                    registers.add(caller)
                    pending.append(caller)
        roots = [name for name in functions if name in registers and name not in callers]
        entries = [functions[roots[0]]] if len(roots) == 1 else []
    order: dict[int, int] = {}
    visited: set[str] = set()
    for entry in entries:
        todo: list[tuple[str, object]] = list(reversed(list(_events(entry, registrations, functions))))
        while todo:
            kind, what = todo.pop()
            if kind == "step":
                order.setdefault(int(str(what)), len(order))
            elif str(what) not in visited:
                visited.add(str(what))
                todo.extend(reversed(events[str(what)]))
    return order


def parse(path: str, data: bytes) -> StepFile:
    if b"godog" not in data:  # most *_test.go files: nothing to parse
        return StepFile(path, "go")
    root = parse_tree("go", data)
    if not _uses_godog(root, data):
        return StepFile(path, "go")
    errors = syntax_errors(path, root, data, "Go")
    declarations = [n for n in root.named_children if n.type in ("function_declaration", "method_declaration")
                    and n.child_by_field_name("name") is not None]
    functions = {text(n.child_by_field_name("name")): n for n in declarations}
    # A name two declarations share (methods of two types) is not followed: which one a call means is not read.
    names = Counter(text(n.child_by_field_name("name")) for n in declarations)
    unique = {name: n for name, n in functions.items() if names[name] == 1}
    registrations: dict[int, int] = {}
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
        values = [a for a in args.named_children if not is_comment(a)]
        if keyword is None or len(values) != 2:
            continue
        pattern = _string(values[0], constants, folding)
        if pattern is None:
            errors.append(Diagnostic(path, line(values[0]), column(values[0], data),
                                     f"step definition {excerpt(callee)}({excerpt(values[0])}) cannot be read: "
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
        registrations[node.start_byte] = len(definitions)
        definitions.append(StepDefinition(
            keyword=keyword, pattern=pattern, kind="regex", framework="godog", language="go", path=path,
            line=line(node), column=column(node, data), function=function, parameters=params,
        ))
    if len(definitions) > 1:
        order = _registration_order(root, unique, registrations)
        definitions = [replace(d, registration=order.get(i)) for i, d in enumerate(definitions)]
    return StepFile(path, "go", assign_identities(path, definitions), (), tuple(errors))
