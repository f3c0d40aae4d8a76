"""The constants of a Ruby step file that a step pattern may name (``PATTERN = 'a thing'`` or ``/regex/``, then
``Given(PATTERN) do … end``), read without running it: a constant assigned in the file's top level or in a
``module``/``class`` body, once, above its use. A bare name is looked up as Ruby does lexically — the enclosing
modules and classes, innermost first, then the top level —, ``Mod::NAME`` by that path; a name's value is a literal
or another such constant's name (``'…'.freeze`` too). Anything else is an ``Unbound`` reason for the definition's
error.
"""

from __future__ import annotations

from typing import NamedTuple

from tracertm.steps.syntax import Node, line, text, walk_scoped

# The nodes whose bodies hold a lexical scope's constants (``Module.nesting``).
SCOPES = ("module", "class")
# A constant named by a constant's value, and so on: a bound, so that a cycle (``A = B; B = A``) ends.
_MAX_CHAIN = 16


class Unbound(Exception):
    """Why a name cannot be read as a constant (the end of the definition's error message)."""


class _Assigned(NamedTuple):
    value: Node | None
    start: int  # where its assignment starts (byte)
    line: int


def scope_path(enclosing: list[Node]) -> list[str]:
    """The names of the modules and classes ``enclosing`` (outermost first), as Ruby nests them."""
    names = []
    for scope in enclosing:
        name = scope.child_by_field_name("name")
        if scope.type in SCOPES and name is not None:
            names.append(text(name).removeprefix("::"))
    return names


class Constants:
    """A file's constants by their full name (``M::C::NAME``), and those assigned more than once."""

    def __init__(self, root: Node) -> None:
        self.assigned: dict[str, _Assigned] = {}
        self.rebound: set[str] = set()
        for node, _, enclosing in walk_scoped(root, lambda n: n.type in SCOPES):
            if node.type not in ("assignment", "operator_assignment"):
                continue
            target = node.child_by_field_name("left")
            if target is None or target.type != "constant":
                continue
            name = "::".join([*scope_path(enclosing), text(target)])
            if name in self.assigned or node.type == "operator_assignment":  # ``P ||= …``, ``P += …``
                self.rebound.add(name)
            self.assigned.setdefault(name, _Assigned(node.child_by_field_name("right"), node.start_byte,
                                                     line(node)))

    def value(self, node: Node, enclosing: list[Node]) -> Node:
        """The literal the constant ``node`` (a ``constant`` or ``A::B``) stands for where it is written,
        ``enclosing`` its modules and classes (outermost first); ``Unbound`` when that is not certain."""
        path = scope_path(enclosing)
        for _ in range(_MAX_CHAIN):
            name, assigned = self._lookup(node, path)
            if assigned is None:
                raise Unbound(f"the constant {text(node)}, which this file does not assign where Ruby looks it up "
                              "from there (its enclosing module and class bodies, the top level); tracertm reads "
                              "patterns without running code — write it as a literal or such a constant")
            if assigned.start > node.start_byte:
                raise Unbound(f"the constant {text(node)}, assigned only below it (line {assigned.line}): Ruby "
                              "raises NameError here — assign it above its use")
            if name in self.rebound:
                raise Unbound(f"the constant {text(node)}, which the file assigns more than once; tracertm reads "
                              "patterns without running code — write it as a literal or assign it once")
            if assigned.value is None:
                raise Unbound(f"the constant {text(node)}, which has no value")
            node, path = _unfrozen(assigned.value), name.split("::")[:-1]
            if node.type not in ("constant", "scope_resolution"):
                return node
        raise Unbound(f"the constant {text(node)}, one of constants naming each other {_MAX_CHAIN} deep or in a "
                      "circle — write the pattern as a literal")

    def _lookup(self, node: Node, path: list[str]) -> tuple[str, _Assigned | None]:
        """(full name, assignment) of the constant ``node`` written inside the modules ``path``: the innermost
        scope that assigns it (``A::B`` is ``A`` looked up so, then ``B`` in it)."""
        written = text(node).removeprefix("::")
        if text(node).startswith("::"):
            return written, self.assigned.get(written)
        for depth in range(len(path), -1, -1):
            name = "::".join([*path[:depth], written])
            if name in self.assigned:
                return name, self.assigned[name]
        return written, None


def _unfrozen(node: Node) -> Node:
    """The receiver of ``node`` when it is ``x.freeze`` (a frozen literal is the literal), else ``node``."""
    while node.type == "call" and node.child_by_field_name("arguments") is None \
            and text(node.child_by_field_name("method") or node) == "freeze" \
            and node.child_by_field_name("receiver") is not None:
        node = node.child_by_field_name("receiver")
    return node
