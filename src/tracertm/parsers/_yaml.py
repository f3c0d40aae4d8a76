"""YAML hardening shared by every parser that reads YAML (contracts, ADR front matter).

PyYAML's safe loader never builds arbitrary objects, but it will happily expand an alias bomb or recurse through
thousands of nested brackets. ``check_limits`` walks the *event* stream once (iterative, nothing is constructed)
and rejects, before any node is composed:

- nesting deeper than ``yaml_max_depth`` (counted with aliases expanded),
- more than ``yaml_max_aliases`` alias uses in one document,
- recursive aliases and aliases to no anchor,
- aliases that expand to more than ``MAX_ALIAS_NODES`` nodes in total (a "billion laughs" uses few aliases, each
  pointing at a nine-times bigger list: counting aliases alone would let it through).

The alias count and depth are checked over the whole document first, the expansion size when the document ends,
so the message names the limit the author can act on (too many aliases) before its consequence (expansion).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    ScalarEvent,
)

from tracertm.errors import ParseError
from tracertm.parsers.records import ParserOptions

__all__ = ["DUMPER", "HARD_MAX_DEPTH", "LOADER", "MAX_ALIAS_NODES", "check_limits", "error_position", "max_depth"]

# The safe loader, in C when PyYAML has libyaml. Never a full/unsafe loader: spec files are data, not objects.
LOADER: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
DUMPER: Any = yaml.CSafeDumper if yaml.__with_libyaml__ else yaml.SafeDumper

# Cap on the nodes that aliases may add per file, whatever the alias count.
MAX_ALIAS_NODES = 10_000
# No configuration may push the depth past what Python's recursion (node builders) comfortably handles.
HARD_MAX_DEPTH = 256


def max_depth(options: ParserOptions) -> int:
    """The effective nesting limit: ``yaml_max_depth`` clamped to [1, HARD_MAX_DEPTH]."""
    return max(1, min(options.yaml_max_depth, HARD_MAX_DEPTH))


@dataclass
class _Open:
    """A collection being read in the event stream: its anchor and what it expands to so far."""

    anchor: str | None
    size: int = 0
    height: int = 0


def _position(event: Any, line_offset: int) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1 + line_offset, mark.column + 1) if mark is not None else (line_offset + 1, 0)


def check_limits(path: str, text: str, options: ParserOptions, *, line_offset: int = 0, what: str = "YAML") -> None:
    """Raise ``ParseError`` (at the offending event's file line) when ``text`` breaks a YAML limit.

    ``line_offset`` is the number of file lines before ``text`` (1 for front matter that starts on line 2);
    ``what`` names the text in messages ("YAML", "YAML front matter"). Syntax errors propagate as ``yaml.YAMLError``.
    """
    depth_limit = max_depth(options)
    alias_limit = max(0, options.yaml_max_aliases)
    stack: list[_Open] = []
    anchors: dict[str, tuple[int, int]] = {}  # anchor → (expanded node count, expanded collection height)
    open_anchors: set[str] = set()
    aliases = 0
    alias_nodes = 0
    expansion: ParseError | None = None  # the first oversized expansion, raised when the document ends

    def fail(event: Any, message: str) -> ParseError:
        line, column = _position(event, line_offset)
        return ParseError(path, line, column, message)

    def add(size: int, height: int) -> None:
        if stack:
            stack[-1].size += size
            stack[-1].height = max(stack[-1].height, height)

    for event in yaml.parse(text, Loader=LOADER):
        if isinstance(event, DocumentStartEvent):
            anchors.clear()  # anchors and the alias count are scoped to one document
            aliases = 0
        elif isinstance(event, DocumentEndEvent):
            if expansion is not None:
                raise expansion
        elif isinstance(event, CollectionStartEvent):
            if len(stack) + 1 > depth_limit:
                raise fail(event, f"{what} nested deeper than {depth_limit} levels (yaml_max_depth)")
            if event.anchor is not None:
                open_anchors.add(event.anchor)
            stack.append(_Open(event.anchor))
        elif isinstance(event, CollectionEndEvent):
            done = stack.pop()
            if done.anchor is not None:
                anchors[done.anchor] = (done.size + 1, done.height + 1)
                open_anchors.discard(done.anchor)
            add(done.size + 1, done.height + 1)
        elif isinstance(event, ScalarEvent):
            if event.anchor is not None:
                anchors[event.anchor] = (1, 0)
            add(1, 0)
        elif isinstance(event, AliasEvent):
            aliases += 1
            name = event.anchor or ""
            if aliases > alias_limit:
                raise fail(
                    event,
                    f"{what} document uses more than {alias_limit} aliases (yaml_max_aliases)",
                )
            if name in open_anchors:
                raise fail(event, f"recursive {what} alias *{name} (refers to a node that contains it)")
            if name not in anchors:
                raise fail(event, f"{what} alias *{name} refers to no anchor defined before it")
            size, height = anchors[name]
            if len(stack) + height > depth_limit:
                raise fail(
                    event,
                    f"{what} alias *{name} nests the document deeper than {depth_limit} levels (yaml_max_depth)",
                )
            alias_nodes += size
            if alias_nodes > MAX_ALIAS_NODES and expansion is None:
                expansion = fail(
                    event,
                    f"{what} aliases expand to more than {MAX_ALIAS_NODES} nodes (alias bomb?); write the values out",
                )
            add(size, height)
    if expansion is not None:
        raise expansion


def error_position(text: str, exc: yaml.YAMLError, *, line_offset: int = 0) -> tuple[int, int]:
    """The 1-based (line, column) in the file of a PyYAML error raised while reading ``text``."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            return mark.line + 1 + line_offset, mark.column + 1
        return line_offset + 1, 0
    if isinstance(exc, yaml.reader.ReaderError):
        # The C reader counts UTF-8 bytes, the Python one characters.
        buffer: str | bytes = text.encode("utf-8") if LOADER is getattr(yaml, "CSafeLoader", None) else text
        position = max(0, min(exc.position, len(buffer)))
        newline: Any = b"\n" if isinstance(buffer, bytes) else "\n"
        line = buffer.count(newline, 0, position) + 1
        column = position - (buffer.rfind(newline, 0, position) + 1) + 1
        return line + line_offset, column
    return line_offset + 1, 0
