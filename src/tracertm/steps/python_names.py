"""What a Python step module's names hold, read without running it: the statements that run at module level
(``flat``), the names it binds more than once (``rebound_names``), and the string a literal, or a module-level
constant bound once above its use, stands for (``string_value``) — ``Unreadable`` where only running the code could
tell. Split from ``steps.python``, whose reading of a step file and of its parameter types (``steps.python_types``)
both stand on it."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from tracertm.steps.pytest_bdd import source

if TYPE_CHECKING:
    from tracertm.steps.python import _Module


class Unreadable(Exception):
    """A definition whose pattern is not a literal: reported at ``node``, the rest of the file goes on."""

    def __init__(self, node: ast.AST, message: str) -> None:
        super().__init__(message)
        self.node = node


def flat(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements, looking into the blocks that run at import — ``if``/``try``/``with``, and the
    bodies of ``for``/``async for``/``while`` loops and ``match`` cases (behave and pytest-bdd register a decorator
    there as anywhere at module level) — not into functions or classes."""
    out: list[ast.stmt] = []
    for node in body:
        out.append(node)
        if isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While)):
            out.extend(flat(node.body) + flat(node.orelse))
        elif isinstance(node, (ast.Try, ast.TryStar)):
            out.extend(flat(node.body) + flat(node.orelse) + flat(node.finalbody))
            for handler in node.handlers:
                out.extend(flat(handler.body))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            out.extend(flat(node.body))
        elif isinstance(node, ast.Match):
            for case in node.cases:
                out.extend(flat(case.body))
    return out


Alternatives = tuple[tuple[int, int, int], ...]  # ``StepDefinition.alternatives``


def alternatives(body: list[ast.stmt], above: Alternatives = ()) -> dict[int, Alternatives]:
    """The branches each statement ``flat`` lists (and each class body's, which behave's walk reads) sits in, by
    ``id`` of the statement: an ``if``'s body 0, its ``else`` 1 (an ``elif`` is an ``if`` in it); a ``try``'s body
    and ``else`` 0, its ``except`` handlers 1, 2… (the usual ``try: import x … except ImportError: …`` fallback;
    a body that raises after registering a definition would register both: taken as not happening); a ``match``'s
    cases 0, 1…. A ``finally`` and a loop's ``else`` run with what precedes them: no branch of their own."""
    out: dict[int, Alternatives] = {}
    for node in body:
        out[id(node)] = above
        at = (node.lineno, node.col_offset)
        if isinstance(node, ast.If):
            out.update(alternatives(node.body, (*above, (*at, 0))))
            out.update(alternatives(node.orelse, (*above, (*at, 1))))
        elif isinstance(node, (ast.Try, ast.TryStar)):
            out.update(alternatives(node.body + node.orelse, (*above, (*at, 0))))
            for n, handler in enumerate(node.handlers, 1):
                out.update(alternatives(handler.body, (*above, (*at, n))))
            out.update(alternatives(node.finalbody, above))
        elif isinstance(node, ast.Match):
            for n, case in enumerate(node.cases):
                out.update(alternatives(case.body, (*above, (*at, n))))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            out.update(alternatives(node.body + node.orelse, above))
        elif isinstance(node, (ast.With, ast.AsyncWith, ast.ClassDef)):
            out.update(alternatives(node.body, above))
    return out


def string_value(module: _Module, node: ast.expr, what: str) -> str:
    """The string ``node`` stands for where Python evaluates it: a string literal, or the name of a module-level
    string constant bound once, above it; ``Unreadable`` (naming ``node`` as ``what``) for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in module.constants:
        # The value the name has when Python evaluates ``node``: certain only for a name bound once, above it.
        assigned = module.constant_lines.get(node.id, 0)
        if node.id in module.rebound():
            raise Unreadable(node, f"{what} is the name {node.id}, which the module binds more than once; tracertm "
                                   "reads patterns without running code — write it as a literal or bind it once")
        if assigned > getattr(node, "lineno", assigned):
            raise Unreadable(node, f"{what} is the name {node.id}, assigned only below it (line {assigned}): Python "
                                   "raises NameError here — assign it above its use")
        return module.constants[node.id]
    if isinstance(node, ast.JoinedStr):
        raise Unreadable(node, f"{what} is an f-string; tracertm reads patterns without running code — "
                               "write it as a string literal")
    raise Unreadable(node, f"{what} is not a string literal ({source(node, 60)}); tracertm reads patterns "
                           "without running code — write it as a literal or a module-level string constant")


def rebound_names(tree: ast.Module | None) -> set[str]:
    """The names the module binds more than once at module level — assigned twice, augmented or annotated, as a
    loop's or a ``with``'s target, deleted, defined or imported over — or that a function declares ``global``: a
    ``NAME = "literal"`` (``steps.python._collect_names``) does not say their value where a decorator uses them."""
    if tree is None:
        return set()
    out: set[str] = set()
    stores: dict[str, set[tuple[int, int]]] = {}  # positions: ``flat`` lists an ``if``'s statements again
    for statement in flat(tree.body):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.setdefault(statement.name, set()).add((statement.lineno, statement.col_offset))
            out.update(name for n in ast.walk(statement) if isinstance(n, ast.Global) for name in n.names)
            continue
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                local = alias.asname or alias.name.split(".")[0]
                stores.setdefault(local, set()).add((statement.lineno, statement.col_offset))
            continue
        pending: list[ast.AST] = [statement]
        while pending:  # the statement's own scope: not into functions, classes, lambdas, comprehensions
            n = pending.pop()
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                stores.setdefault(n.id, set()).add((n.lineno, n.col_offset))
            pending.extend(c for c in ast.iter_child_nodes(n) if not isinstance(c, _OWN_SCOPES))
    return out | {name for name, where in stores.items() if len(where) > 1}


# Nodes whose names are their own (Python 3: a comprehension's variables too), not the module's.
_OWN_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp,
               ast.DictComp, ast.GeneratorExp)
