"""Kotlin step files (cucumber-jvm: annotations, and the lambda glue of ``cucumber-kotlin-java8``) → step
definitions, with tree-sitter. The same rules as Java (``tracertm.steps.java``): ``@Given("…") fun f(n: Int)``,
``Given("…") { n: Int -> }`` (also ``Given("…", { … })``, ``Given("…", ::f)``) in a file importing
``io.cucumber.java8``, ``@ParameterType("regex") fun name(…)`` (also ``value =``/``name =`` named) and the glue's
``ParameterType("name", "regex") { … }``; the
localized annotations imported one by one, with ``io.cucumber.java.<lang>.*`` or written fully qualified;
a string starting with ``^``, ending with ``$`` or written ``/…/`` is a regex, otherwise a Cucumber Expression.
Patterns are read as kotlinc folds them: literals joined with ``+``, string templates and the file's own string
constants (``const val``; ``_constants``).

A file tree-sitter cannot read whole is read again with the broken piece blanked (``_recovered``): an annotation
left unclosed (``@Given("foo"`` without its ``)``) made tree-sitter-kotlin turn the whole class into one error, so
that the file's other definitions were lost and the error pointed at the class's line. The error is said where
the broken piece starts, and the rest of the file counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tracertm.errors import Diagnostic
from tracertm.steps.java import _ENGLISH, Folding, add_import, annotation_keyword, glue_keywords, pattern_kind
from tracertm.steps.literals import unescape
from tracertm.steps.model import Keyword, Parameter, ParameterTypeDecl, StepDefinition, StepFile, assign_identities
from tracertm.steps.syntax import Node, column, line, parse_tree, syntax_errors, text, walk, walk_scoped


# The declarations a property's constant is named by (``Object.NAME``, ``Class.NAME`` of a companion's).
_OWNERS = frozenset(("object_declaration", "companion_object", "class_declaration"))


def _string(node: Node | None, constants: Mapping[str, Node | None] | None = None,
            folding: Folding | None = None) -> str | None:
    """A string literal, or literals joined with ``+``, with its templates (``$NAME``, ``${NAME}``,
    ``${Obj.NAME}``) and any names among the operands read from the file's ``constants`` (``_constants``), as
    kotlinc folds them; ``${'$'}`` is a dollar sign. A raw (triple-quoted) string, tree-sitter's
    ``multiline_string_literal``, has no escapes. A call on a literal (a raw string's ``.trimIndent()``,
    ``.trimMargin()``), a template of anything but a name, or a name that is not a constant of this file: None;
    also once ``folding``, which counts every piece, is spent."""
    # Read with a stack, not by recursion: a chain of ``+`` nests one level per operand, and a RecursionError
    # would lose the whole file. Texts on the stack are parts already read (a template's literal pieces).
    parts: list[str] = []
    pending: list[Node | str | None] = [node]
    names = 0  # constants read in place: a bound, so that one defined by itself (kotlinc refuses it) cannot loop
    while pending:
        current = pending.pop()
        if current is None:
            return None
        if isinstance(current, str):
            if folding is not None and not folding.take(current):
                return None
            parts.append(current)
        elif current.type == "value_argument" and current.named_children:
            pending.append(current.named_children[-1])
        elif current.type in ("string_literal", "multiline_string_literal"):
            pieces = _template(current, constants)
            if pieces is None:
                return None
            names += sum(not isinstance(piece, str) for piece in pieces)
            if names > _MAX_NAMES:
                return None
            pending += reversed(pieces)
        elif current.type in ("binary_expression", "additive_expression") and len(current.named_children) == 2:
            operator = current.child_by_field_name("operator")
            if operator is not None and operator.type != "+":
                return None
            pending += reversed(current.named_children)  # the left operand first
        elif current.type == "parenthesized_expression" and len(current.named_children) == 1:
            pending.append(current.named_children[0])
        elif current.type in ("identifier", "simple_identifier", "navigation_expression") and constants \
                and names < _MAX_NAMES:
            names += 1
            pending.append(_constant("".join(text(current).split()), constants))
        else:
            return None
    return "".join(parts)


# A Kotlin string's escapes (regular strings only) and templates: ``$name``, ``${...}``; a ``$`` followed by
# anything else is itself. tree-sitter-kotlin (1.1) reads ``$name`` in a regular string as plain text, so the
# templates are found here, in the literal's text, not in its nodes.
_ESCAPE_OR_TEMPLATE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)|\$(?:\{([^}]*)\}|([^\W\d]\w*)|`)", re.DOTALL)
_RAW_TEMPLATE = re.compile(r"\$(?:\{([^}]*)\}|([^\W\d]\w*)|`)", re.DOTALL)
_NAME = re.compile(r"[^\W\d]\w*(?:\.[^\W\d]\w*)*")
_MAX_NAMES = 1000


def _template(literal: Node, constants: Mapping[str, Node | None] | None) -> list[Node | str | None] | None:
    """A string literal's pieces, in order: texts, and the initializers of the constants its templates name (None
    for a name that is not one); None when it is not a plain literal (a template of an expression)."""
    raw = text(literal)
    quote = '"""' if literal.type == "multiline_string_literal" else '"'
    if len(raw) < 2 * len(quote) or not (raw.startswith(quote) and raw.endswith(quote)):
        return None
    body = raw[len(quote):-len(quote)]
    pieces: list[Node | str | None] = []
    pos = 0
    for match in (_RAW_TEMPLATE if len(quote) == 3 else _ESCAPE_OR_TEMPLATE).finditer(body):
        pieces.append(body[pos:match.start()])
        pos = match.end()
        if match.group(0).startswith("\\"):
            pieces.append(unescape(match.group(0), "kotlin"))
            continue
        expression, name = match.group(match.re.groups - 1), match.group(match.re.groups)
        if expression is not None:
            expression = "".join(expression.split())
            if expression == "'$'":  # ``${'$'}``: how a Kotlin string writes a dollar sign before a name
                pieces.append("$")
                continue
            name = expression if _NAME.fullmatch(expression) else None
        if name is None or not constants:  # ``${a + b}``, a backquoted name, or nothing to read a name from
            return None
        pieces.append(_constant(name, constants))
    pieces.append(body[pos:])
    return pieces


def _constant(written: str, constants: Mapping[str, Node | None]) -> Node | None:
    """The initializer of the constant ``written`` names (``NAME``, ``Obj.NAME``, ``Steps.Companion.NAME``, or
    qualified by its package), None when it is not one of ``constants``. A qualified name is tried whole, then
    without its leading parts down to two (``com.acme.Obj.NAME`` is the file's ``Obj.NAME``)."""
    parts = written.split(".")
    for start in range(max(1, len(parts) - 1)):
        found = constants.get(".".join(parts[start:]))
        if found is not None:
            return found
    return None


def _constants(root: Node) -> dict[str, Node | None]:
    """The file's string constants by name: ``const val``, and the ``val`` s of the file's top level, its objects
    and companion objects (an annotation takes only ``const``; the lambda glue, run once, any of them), each with
    its initializer (``_string`` reads it, other constants among it). Also by ``Obj.NAME``, ``Steps.NAME`` and
    ``Steps.Companion.NAME`` for a companion's, and with the file's package in front. A name declared twice in the
    file is None: which one it means is not read. Constants of other files are not known (one file at a time)."""
    found: dict[str, Node | None] = {}
    header = next((c for c in root.named_children if c.type == "package_header"), None)
    package = next((text(c) for c in header.named_children if c.type in ("qualified_identifier", "identifier")),
                   None) if header is not None else None

    def add(name: str, value: Node | None) -> None:
        found[name] = None if name in found else value
        if package:
            qualified = f"{package}.{name}"
            found[qualified] = None if qualified in found else value

    # The owners a property's value is named by, kept by the walk: not found by climbing with tree-sitter's
    # ``parent``, which searches down from the root (the square of the depth per property).
    for node, above, enclosing in walk_scoped(root, lambda n: n.type in _OWNERS):
        if node.type != "property_declaration" or not any(c.type == "val" for c in node.children):
            continue
        modifiers = next((c for c in node.named_children if c.type == "modifiers"), None)
        const = modifiers is not None and "const" in text(modifiers).split()
        scope = above[-1] if above else None
        # the grandparent over a class body: an object or a companion (kept), or a class (kept) — else no owner
        owner = enclosing[-1] if above[-1:] == ["class_body"] and above[-2:-1] and above[-2] in _OWNERS else None
        if not const and scope != "source_file" and \
                not (owner is not None and owner.type in ("object_declaration", "companion_object")):
            continue  # a class's property, a local: not one value for the whole program
        declaration = next((c for c in node.named_children if c.type == "variable_declaration"), None)
        name = next((c for c in declaration.named_children if c.type in ("identifier", "simple_identifier")),
                    None) if declaration is not None else None
        equals = next((i for i, c in enumerate(node.children) if c.type == "="), None)
        if name is None or equals is None or equals + 1 >= len(node.children) or any(
                c.type in ("getter", "property_delegate") for c in node.children):
            continue
        value = node.children[equals + 1]
        add(text(name), value)
        if owner is None:
            continue
        if owner.type == "object_declaration":
            owner_name = next((c for c in owner.named_children if c.type in ("identifier", "type_identifier")), None)
            if owner_name is not None:
                add(f"{text(owner_name)}.{text(name)}", value)
            continue
        companion = next((text(c) for c in owner.named_children if c.type in ("identifier", "type_identifier")),
                         "Companion")
        # class_body → class_declaration (kept): the owner's grandparent; of another kind, climbed to (rare)
        holder = enclosing[-2] if len(above) >= 4 and above[-4] in _OWNERS and above[-3] not in _OWNERS \
            and len(enclosing) >= 2 else owner.parent.parent if owner.parent is not None else None
        holder_name = next((c for c in holder.named_children if c.type in ("identifier", "type_identifier")),
                           None) if holder is not None else None
        if holder_name is not None:
            add(f"{text(holder_name)}.{text(name)}", value)
            add(f"{text(holder_name)}.{companion}.{text(name)}", value)
    return found


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


def _imports_java8(root: Node) -> bool:
    """Whether the file imports from ``io.cucumber.java8`` (``En``, ``LambdaGlue``, the package with ``.*``)."""
    for node in root.named_children:
        if node.type == "import":
            path = next((c for c in node.children if c.type == "qualified_identifier"), None)
            if path is not None and (text(path) + ".").startswith("io.cucumber.java8."):
                return True
    return False


def _glue_call(node: Node) -> tuple[str, list[Node], Node] | None:
    """A call of the lambda glue's shape — (callee name, the arguments before the body, the body) — or None: the
    body after the parentheses (``Given("…") { … }``), or as the last argument, a lambda or a function reference
    (``Given("…", { … })``, ``Given("…", ::step)``), as Java's glue takes a lambda or a method reference."""
    first, last = node.named_children
    if first.type == "call_expression" and last.type == "annotated_lambda" and first.named_children:
        callee, args = first.named_children[0], next(
            (c for c in first.named_children if c.type == "value_arguments"), None)
        body = next((c for c in last.named_children if c.type == "lambda_literal"), None)
        values = [c for c in args.named_children if c.type == "value_argument"] if args is not None else []
        return (text(callee), values, body) if body is not None else None
    if first.type not in ("identifier", "simple_identifier") or last.type != "value_arguments":
        return None
    values = [c for c in last.named_children if c.type == "value_argument"]
    body = values[-1].named_children[-1] if values and values[-1].named_children else None
    if body is None or body.type not in ("lambda_literal", "callable_reference") or _name_of(values[-1]) is not None:
        return None
    return text(first), values[:-1], body


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


# Nodes of tree-sitter-kotlin that are complete in themselves inside an ERROR node (beyond ``syntax._WHOLE``'s).
_WHOLE = ("declaration", "comment", "companion_object", "anonymous_initializer", "secondary_constructor", "import",
          "package_header", "file_annotation")
# Tokens of a class's, an object's or an ``init`` block's header (up to its ``{``) inside an ERROR node.
_HEADER = frozenset({"class", "object", "interface", "init", "companion", "identifier", "type_identifier", ":",
                     "delegation_specifiers", "type_parameters", "primary_constructor", "class_parameters",
                     "modifiers", "{"})
_HEADS = frozenset({"class", "object", "interface", "init", "companion"})
_MAX_ROUNDS = 10  # broken pieces blanked, one parse each


def _broken_piece(error: Node) -> Node:
    """Where an ERROR node's trouble starts: its first child that is none of complete declarations, the header
    of a class (object, ``init`` block) whose body tree-sitter could not close (``class Steps : En {``), and the
    complete statements of such an ``init`` block (the lambda glue's ``Given("…") { … }`` calls)."""
    children = list(error.children)
    i = 0
    in_block = False
    while i < len(children):
        child = children[i]
        if child.is_named and not child.has_error and (
                child.type.endswith(_WHOLE) or (in_block and child.type == "call_expression")):
            i += 1
            continue
        end = i
        while end < len(children) and children[end].type in _HEADER and children[end].type != "{":
            end += 1
        if end < len(children) and end > i and children[end].type == "{" and any(
                c.type in _HEADS for c in children[i:end]):
            in_block = any(c.type == "init" for c in children[i:end])
            i = end + 1
            continue
        return child
    return error


def _recovered(path: str, data: bytes) -> tuple[Node, list[Diagnostic]]:
    """The file's tree — read again with each broken piece's line blanked from where the piece starts (spaces: the
    other lines and columns stay), while tree-sitter finds one —, and the syntax errors: one per blanked piece, at
    its start, then those of the last tree."""
    root = parse_tree("kotlin", data)
    errors: list[Diagnostic] = []
    blanked: set[int] = set()
    text_now = bytearray(data)
    for _ in range(_MAX_ROUNDS):
        if not root.has_error:
            break
        error = next((n for n in walk(root) if n.type == "ERROR"), None)
        if error is None:
            break  # only missing tokens: tree-sitter read around them
        piece = _broken_piece(error)
        if piece is error or line(piece) in blanked:
            break
        blanked.add(line(piece))
        errors.append(Diagnostic(path, line(piece), column(piece, data),
                                 "Kotlin syntax error (cannot be parsed); step definitions here are not read"))
        end = text_now.find(b"\n", piece.start_byte)
        end = len(text_now) if end < 0 else end
        text_now[piece.start_byte:end] = b" " * (end - piece.start_byte)
        root = parse_tree("kotlin", bytes(text_now))
    seen = {(e.line, e.column) for e in errors}
    errors += [e for e in syntax_errors(path, root, data, "Kotlin") if (e.line, e.column) not in seen]
    return root, errors[:5]


def parse(path: str, data: bytes) -> StepFile:
    root, errors = _recovered(path, data)
    keywords = _keywords(root)
    constants = _constants(root)
    folding = Folding(len(data))
    definitions: list[StepDefinition] = []
    types: list[ParameterTypeDecl] = []
    # The lambda glue's calls are ``io.cucumber.java8.En``'s (or ``LambdaGlue``'s) methods: without that import the
    # same shape is another library's — Kotest's ``BehaviorSpec`` writes ``Given("…") { When("…") { … } }``.
    java8 = _imports_java8(root)
    glue = glue_keywords(root, keywords) if java8 else keywords

    def unreadable(node: Node, what: str) -> None:
        errors.append(Diagnostic(path, line(node), column(node, data),
                                 f"{what} cannot be read: {folding.reason('string constant')}; tracertm reads "
                                 "patterns without running code, one file at a time"))

    # A function's annotation: its grandparent (over the modifiers) is the function, the innermost ancestor kept.
    # Not climbing with tree-sitter's ``parent``, which searches down from the root: nested classes took minutes.
    for node, above, enclosing in walk_scoped(root, lambda n: n.type == "function_declaration"):
        if node.type == "annotation":
            invocation = next((c for c in node.named_children if c.type == "constructor_invocation"), None)
            if invocation is None or len(above) < 2 or above[-2] != "function_declaration" \
                    or above[-1] == "function_declaration":
                continue
            function = enclosing[-1]
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
                regex = _string(given, constants, folding)
                type_name = _string(named["name"], constants, folding) if "name" in named else fname
                if regex is None or not type_name:
                    unreadable(node, f"@ParameterType on {fname}()")
                else:
                    prefer = named.get("preferForRegexMatch")
                    preferred = prefer is not None and text(prefer.named_children[-1]) == "true"
                    types.append(ParameterTypeDecl(type_name, (regex,), "cucumber-jvm", "kotlin", path, line(node),
                                                   prefer=preferred))
                continue
            keyword = annotation_keyword(written, keywords)
            if keyword is None:
                continue
            value = _string(values[0], constants, folding) if values else None
            if value is None:
                unreadable(node, f"@{name} on {fname}()")
                continue
            kind, pattern = pattern_kind(value)
            params = next((c for c in function.named_children if c.type == "function_value_parameters"), None)
            definitions.append(StepDefinition(
                keyword=keyword, pattern=pattern, kind=kind, framework="cucumber-jvm", language="kotlin", path=path,
                line=line(node), column=column(node, data), function=fname, parameters=_parameters(params),
                label=f"@{name}",
            ))
        elif java8 and node.type == "call_expression" and len(node.named_children) == 2:
            glued = _glue_call(node)
            if glued is None:
                continue
            callee, values, body = glued
            keyword = glue.get(callee)
            if callee == "ParameterType" and len(values) >= 2:
                # The lambda glue's ``ParameterType("color", "red|blue") { value: String -> … }`` (java8's
                # ``ParameterType(name, regex, transformer)`` with Kotlin's trailing lambda).
                declared, regex = _string(values[0], constants, folding), _string(values[1], constants, folding)
                if declared is None or regex is None:
                    unreadable(node, "ParameterType(...)")
                else:
                    types.append(ParameterTypeDecl(declared, (regex,), "cucumber-jvm", "kotlin", path, line(node)))
                continue
            if keyword is None or not values:
                continue
            value = _string(values[0], constants, folding)
            if value is None:
                unreadable(node, f"{callee}(...)")
                continue
            kind, pattern = pattern_kind(value)
            params = next((c for c in body.named_children if c.type == "lambda_parameters"), None) \
                if body.type == "lambda_literal" else None
            reference = text(body) if body.type == "callable_reference" else ""  # ``::step`` (Java: ``this::step``)
            definitions.append(StepDefinition(
                keyword=keyword, pattern=pattern, kind=kind, framework="cucumber-jvm", language="kotlin", path=path,
                line=line(node), column=column(node, data), function=reference, parameters=_parameters(params),
                label=callee,
            ))
    return StepFile(path, "kotlin", assign_identities(path, definitions), tuple(types), tuple(errors))
