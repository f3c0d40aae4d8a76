"""Tree-sitter plumbing shared by the non-Python step parsers: grammars loaded once, on first use, from the
per-language wheels of the tree-sitter project (``tree-sitter-javascript``, ``-typescript``, ``-java``, ``-go``,
``-ruby``, ``-c-sharp``), and small helpers over nodes. Nothing here runs user code."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from importlib import import_module
from typing import Any

from tracertm.errors import Diagnostic
from tracertm.steps.literals import java_text_block, unescape
from tracertm.steps.size_limit import check_tokens
from tracertm.text import char_column

Node = Any  # tree_sitter.Node: the binding ships no type information mypy --strict can use everywhere

# language → (module, function returning the grammar)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "java": ("tree_sitter_java", "language"),
    "kotlin": ("tree_sitter_kotlin", "language"),
    "go": ("tree_sitter_go", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "csharp": ("tree_sitter_c_sharp", "language"),
}


class GrammarMissing(Exception):
    """The wheel with a language's grammar is not installed."""


@cache
def _parser(language: str) -> Any:
    try:
        from tree_sitter import Language, Parser

        module, function = _GRAMMARS[language]
        grammar = Language(getattr(import_module(module), function)())
    except ImportError as exc:
        raise GrammarMissing(f"the {language} grammar is not installed ({exc.name}); pip install tracertm") from None
    return Parser(grammar)


def parse_tree(language: str, data: bytes) -> Node:
    """The root node of ``data`` parsed as ``language``; ``size_limit.TooManyTokens`` before any parse when it holds
    more tokens than a step file may (the tree's memory grows with them: up to 290 bytes each)."""
    check_tokens(data)
    return _parser(language).parse(data).root_node


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` (itself first), depth first, in source order; iterative (deep trees are fine).

    With tree-sitter's cursor, not a stack of nodes: a stack held a Python object for each sibling of every node on
    the path down, and minified code nests deep (``a=1+1+…+1``, one level per operand) — a 4 MB file's walk took
    800 MB beside the tree, and four times as long."""
    cursor = node.walk()
    while True:
        yield cursor.node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():  # back at ``node``: the cursor never leaves the subtree it started at
                return


def walk_scoped(node: Node, kept: Callable[[Node], bool]) -> Iterator[tuple[Node, list[str], list[Node]]]:
    """``walk``, each node with the types of its ancestors (its parent's last; none for ``node``) and its ancestors
    that ``kept`` accepts, outermost first — lists the walk changes as it goes: read them before the next node.

    For a reader that asks what encloses a node: tree-sitter's ``parent`` searches down from the root, so climbing
    from each node of a deep tree (minified or generated code) costs the cube of its depth — a 34 KB JavaScript file
    of nested step calls took minutes."""
    cursor = node.walk()
    types: list[str] = []  # the type of each ancestor of the current node
    ancestors: list[Node] = []
    marks: list[bool] = []  # for each ancestor and the current node: whether it is in ``ancestors``
    while True:
        current = cursor.node
        yield current, types, ancestors
        keep = kept(current)
        if keep:
            ancestors.append(current)
        marks.append(keep)
        if cursor.goto_first_child():
            types.append(current.type)
            continue
        while True:  # ``current``'s subtree is done: leave it, and each ancestor whose last child it was
            if marks.pop():
                ancestors.pop()
            if cursor.goto_next_sibling():
                break
            if not cursor.goto_parent():
                return
            types.pop()


def is_comment(node: Node) -> bool:
    """A comment of any grammar: ``comment`` (Go, C#, Ruby, JavaScript), ``line_comment`` / ``block_comment`` (Java,
    Kotlin) — between arguments, where a language allows it."""
    return str(node.type).endswith("comment")


def text(node: Node) -> str:
    return bytes(node.text).decode("utf-8", "replace")


# A line end with the blanks around it: where a quoted call goes on over several lines.
_LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n?|\n)\s*")


def excerpt(node: Node, width: int = 60) -> str:
    """The source of ``node`` as a finding quotes it: each line end, with the indentation around it, one space (a
    finding is one line, also where no terminal escapes it: JSON, the API, the watch log), cut at ``width``."""
    return _LINE_BREAKS.sub(" ", text(node))[:width]


def line(node: Node) -> int:
    return int(node.start_point[0]) + 1


def column(node: Node, data: bytes) -> int:
    """The 1-based column, in characters, where ``node`` starts in ``data`` (the bytes it was parsed from):
    tree-sitter counts a line's bytes, which run ahead of its characters after any that is not ASCII."""
    start = int(node.start_byte)
    return char_column(data[start - int(node.start_point[1]):start])


_WHOLE = ("statement", "declaration", "comment")  # node types that are complete in themselves


def syntax_errors(path: str, root: Node, data: bytes, language: str, limit: int = 5) -> list[Diagnostic]:
    """Where tree-sitter had to recover (in the tree ``root`` of ``data``): each is an error (definitions there may be
    missing), the rest counts."""
    out: list[Diagnostic] = []
    if not root.has_error:
        return out
    for node in walk(root):
        if node.type == "ERROR" or node.is_missing:
            what = f"missing {node.type}" if node.is_missing else "cannot be parsed"
            # An ERROR node can hold whole statements tree-sitter did read (from the start of the file, when what
            # is broken is left open to its end): the error is where its first piece that is not one starts.
            at = next((c for c in node.children if c.has_error or not (c.is_named and c.type.endswith(_WHOLE))),
                      node)
            out.append(Diagnostic(path, line(at), column(at, data),
                                  f"{language} syntax error ({what}); step definitions here are not read"))
            if len(out) >= limit:
                break
    return out


def string_value(node: Node, quote_chars: str = "'\"`", language: str = "javascript") -> str | None:
    """The value of a plain string literal node (no interpolation), or None when it is not one."""
    raw = text(node)
    if len(raw) < 2 or raw[0] not in quote_chars or raw[-1] != raw[0]:
        return None
    if raw.startswith('"""'):
        return java_text_block(raw) if language == "java" else None
    if any(child.type in ("template_substitution", "interpolation") for child in node.children):
        return None
    return unescape(raw[1:-1], language)
