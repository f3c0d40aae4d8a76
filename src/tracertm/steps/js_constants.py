"""The module-level constants of a JavaScript/TypeScript step file that a step pattern may name (``const P = 'a
thing'; Given(P, …)``, ``const aliases = ['a', 'b']; Given(aliases, …)``), read without running it: a name stands
for its initializer only where that is certain — a ``const`` of the file's top level (``export const`` too), bound
once in the whole file, declared above its use. Anything else is an ``Unbound`` reason for the definition's error.
"""

from __future__ import annotations

from typing import NamedTuple

from tracertm.steps.syntax import Node, line, text, walk

# Declarations whose names a file's top level binds (``const``/``let`` and ``var``), and nodes that bind a name
# elsewhere: a local, a parameter, a function or class.
_DECLARATIONS = ("lexical_declaration", "variable_declaration")
_ASSIGNMENTS = ("assignment_expression", "augmented_assignment_expression")
_NAMED = ("function_declaration", "generator_function_declaration", "class_declaration", "function_signature")
_PARAMETERS = ("required_parameter", "optional_parameter")
# A constant named by a constant's initializer, and so on: a bound, so that a cycle (``const A = B, B = A``) ends.
_MAX_CHAIN = 16


class Unbound(Exception):
    """Why a name cannot be read as a constant (the end of the definition's error message)."""


class _Declared(NamedTuple):
    kind: str  # "const", "let" or "var"
    value: Node | None  # its initializer
    start: int  # where its declarator starts (byte)
    line: int


class Constants:
    """The top-level declarations of a file (``root``), and the names it binds more than once anywhere; read at the
    first ``value`` asked for (most files name no constant: no second walk of their tree)."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self.read = False
        self.top: dict[str, _Declared] = {}
        self.rebound: set[str] = set()

    def _read(self) -> None:
        root, self.read = self.root, True
        top_level: set[int] = set()  # the declarators read here (by start byte), not bindings of another scope
        for statement in root.named_children:
            declaration = statement.child_by_field_name("declaration") if statement.type == "export_statement" \
                else statement
            if declaration is None or declaration.type not in _DECLARATIONS:
                continue
            kind = declaration.children[0].type if declaration.children else ""
            for declarator in declaration.named_children:
                target = declarator.child_by_field_name("name")
                if declarator.type != "variable_declarator" or target is None or target.type != "identifier":
                    continue
                name = text(target)
                if name in self.top:
                    self.rebound.add(name)  # ``var P = 'a'; var P = 'b'``
                top_level.add(declarator.start_byte)
                self.top[name] = _Declared(kind, declarator.child_by_field_name("value"), declarator.start_byte,
                                           line(declarator))
        if self.top:
            for node in walk(root):
                self.rebound.update(n for n in _bound_names(node, top_level) if n in self.top)

    def value(self, node: Node) -> Node:
        """The literal the name ``node`` (an identifier) stands for where it is written: its constant's
        initializer (a constant named there read in turn); ``Unbound`` when that is not certain."""
        if not self.read:
            self._read()
        for _ in range(_MAX_CHAIN):
            name = text(node)
            declared = self.top.get(name)
            if declared is None:
                raise Unbound(f"the name {name}, which is no module-level const of this file; tracertm reads "
                             "patterns without running code — write it as a literal or such a const")
            if declared.start > node.start_byte:
                raise Unbound(f"the name {name}, declared only below it (line {declared.line}): JavaScript throws "
                              "ReferenceError here — declare it above its use")
            if declared.kind != "const":
                raise Unbound(f"the name {name}, declared with {declared.kind} (line {declared.line}), which code "
                              "may reassign; tracertm reads patterns without running code — declare it const")
            if name in self.rebound:
                raise Unbound(f"the name {name}, which the file binds more than once (assigned, or declared again "
                              "in a function or block); tracertm reads patterns without running code — write it "
                              "as a literal or bind it once")
            if declared.value is None:
                raise Unbound(f"the name {name}, which has no value")
            node = unwrapped(declared.value)
            if node.type != "identifier":
                return node
        raise Unbound(f"the name {text(node)}, one of constants naming each other {_MAX_CHAIN} deep or in a "
                      "circle — write the pattern as a literal")


def _bound_names(node: Node, top_level: set[int]) -> list[str]:
    """The names ``node`` binds or assigns other than by a top-level declaration (``top_level``: those
    declarators' start bytes)."""
    kind = node.type
    targets: list[Node | None] = []
    if kind == "variable_declarator" and node.start_byte not in top_level:
        targets.append(node.child_by_field_name("name"))
    elif kind in _ASSIGNMENTS:
        targets.append(node.child_by_field_name("left"))
    elif kind == "update_expression":
        targets.append(node.child_by_field_name("argument"))
    elif kind in _NAMED:
        targets.append(node.child_by_field_name("name"))
    elif kind in _PARAMETERS:
        targets.append(node.child_by_field_name("pattern"))
    elif kind == "formal_parameters":  # JavaScript's plain parameters (TypeScript wraps each one)
        targets += node.named_children
    elif kind == "arrow_function":  # ``x => …``
        targets.append(node.child_by_field_name("parameter"))
    return [text(t) for t in targets if t is not None and t.type == "identifier"]


# TypeScript's type assertions, which tsc erases: ``[…] as const``, ``x satisfies T``, ``x!`` (and parentheses).
_ASSERTIONS = ("as_expression", "satisfies_expression", "non_null_expression", "parenthesized_expression")


def unwrapped(node: Node) -> Node:
    """The expression under ``node``'s type assertions and parentheses (``node`` itself when it has none)."""
    while node.type in _ASSERTIONS and node.named_children:
        node = node.named_children[0]
    return node
