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

PyYAML reads YAML 1.1, where NEL, U+2028 and U+2029 end a line too: its marks' lines and columns count those,
the file's do not. ``Places`` turns a mark into the file's line and column (``error_position`` an error's);
every position reported from a mark goes through it.

Once composed, ``unstorable`` finds the scalars whose text no database stores (a NUL character or a lone surrogate,
which only a double-quoted escape can write) and, where asked, the integers too long to be numbers; ``too_long_int``
is that integer check for one node. ``refused_tags`` finds the tags the safe loader would refuse (a local ``!x``,
``!!python/...``, a tag on the wrong kind of node), which a parser that builds values from nodes must refuse too.
``document_text`` is one document's text as written (a contract's OpenAPI
document is stored so).
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    ScalarEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tracertm.errors import ParseError
from tracertm.parsers.records import ParserOptions
from tracertm.text import is_text

__all__ = [
    "HARD_MAX_DEPTH",
    "INT_TAG",
    "LOADER",
    "LONG_INT_CHARS",
    "MAX_ALIAS_NODES",
    "Places",
    "check_limits",
    "core_value",
    "document_markers",
    "document_text",
    "error_position",
    "max_depth",
    "refused_tags",
    "tag_problem",
    "tab_hint",
    "too_long_int",
    "unstorable",
]

# The safe loader, in C when PyYAML has libyaml. Never a full/unsafe loader: spec files are data, not objects.
LOADER: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader

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


# The line ends of YAML 1.1 that are no line end of the file (git, editors and the parsers end lines at LF, CRLF
# and CR only): a mark's line and column count them.
_YAML_ONLY_BREAKS = re.compile("[\x85\u2028\u2029]")
_FILE_BREAK = re.compile(r"\r\n?|\n")


class Places:
    """The file's 1-based (line, column) of PyYAML marks into ``text``, whose first line is the file's line
    ``line_offset + 1``. A text holding none of YAML 1.1's other line ends (nearly every one: one check) keeps each
    mark's own line and column; in the others a mark is placed by its character index."""

    def __init__(self, text: str, line_offset: int = 0) -> None:
        self.text = text
        self.line_offset = line_offset
        self._own = text.isascii() or _YAML_ONLY_BREAKS.search(text) is None
        self._starts: list[int] | None = None  # where each line of ``text`` starts, made on first use

    def at(self, index: int) -> tuple[int, int]:
        """The place of the character at ``index`` of the text."""
        if self._starts is None:
            self._starts = [0, *(m.end() for m in _FILE_BREAK.finditer(self.text))]
        line = bisect_right(self._starts, index)
        return line + self.line_offset, index - self._starts[line - 1] + 1

    def of(self, mark: Any) -> tuple[int, int]:
        """The place of ``mark`` (a ``yaml.Mark``; None: the text's first line, column unknown)."""
        if mark is None:
            return self.line_offset + 1, 0
        if self._own:
            return mark.line + 1 + self.line_offset, mark.column + 1
        return self.at(mark.index)

    def line(self, mark: Any) -> int:
        """The file line of ``mark``."""
        return self.of(mark)[0]


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
        line, column = Places(text, line_offset).of(event.start_mark)
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
                raise fail(event,
                           f"{what} nested deeper than {depth_limit} levels, a fixed limit; flatten the structure")
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
                    f"{what} document uses more than {alias_limit} aliases, a fixed limit; write the values out",
                )
            if name in open_anchors:
                raise fail(event, f"recursive {what} alias *{name} (refers to a node that contains it)")
            if name not in anchors:
                raise fail(event, f"{what} alias *{name} refers to no anchor defined before it")
            size, height = anchors[name]
            if len(stack) + height > depth_limit:
                raise fail(
                    event,
                    f"{what} alias *{name} nests the document deeper than {depth_limit} levels, a fixed limit; "
                    "write the values out",
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
    places = Places(text, line_offset)
    if isinstance(exc, yaml.MarkedYAMLError):
        return places.of(exc.problem_mark or exc.context_mark)
    if isinstance(exc, yaml.reader.ReaderError):
        # The C reader counts UTF-8 bytes, the Python one characters.
        position = max(0, exc.position)
        if LOADER is getattr(yaml, "CSafeLoader", None):
            position = len(text.encode("utf-8")[:position].decode("utf-8", "ignore"))
        return places.at(min(position, len(text)))
    return line_offset + 1, 0


def tab_hint(text: str, line: int, column: int, *, line_offset: int = 0) -> str:
    """What to do about a YAML error at a tab (file ``line`` and 1-based ``column``, as ``error_position`` gives):
    editors indent with tabs, YAML only with spaces, and PyYAML's own words ("found character that cannot start any
    token") do not say so. Empty for an error anywhere else."""
    index = line - line_offset - 1
    if index < 0 or column < 1 or "\t" not in text:
        return ""
    lines = _FILE_BREAK.split(text, maxsplit=index + 1)
    if index >= len(lines) or lines[index][column - 1 : column] != "\t":
        return ""
    return " (a tab: YAML indents with spaces only; replace the tab with spaces)"


# --------------------------------------------------------------------------------------------- YAML 1.2 core schema
# OpenAPI and AsyncAPI documents are YAML 1.2, whose core schema reads fewer plain scalars as booleans and numbers
# than PyYAML's YAML 1.1: ``NO`` (Norway in a country enum), ``yes``, ``on`` are text, ``0012`` is 12 (1.1: octal
# 10), ``1_000`` and ``1:30`` are text, a date is the text written (1.2 has no timestamps), ``1e3`` is a number.
_CORE_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_CORE_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_CORE_INT = re.compile(r"[-+]?[0-9]+")
_CORE_OCT = re.compile(r"0o[0-7]+")
_CORE_HEX = re.compile(r"0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_CORE_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_CORE_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_IMPLICIT = yaml.resolver.Resolver()


def _implicit_tag(text: str) -> str:
    """The tag YAML 1.1 gives a plain scalar ``text`` written without one."""
    tag: str = _IMPLICIT.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return tag


def core_value(node: ScalarNode) -> tuple[bool, Any]:
    """``(True, value)``: a plain scalar as YAML 1.2's core schema reads it (text, null, a boolean, an integer or
    a float); ``(False, None)`` for a scalar the 1.1 loader reads alike: quoted, a block, or tagged explicitly
    (``!!str 1e3``, ``!!binary``). Raises ``ValueError`` for an integer too long to be a number."""
    text = node.value
    # (A plain scalar's style is None from the Python loader, "" from the C one.)
    if node.style or node.tag != _implicit_tag(text):
        return False, None
    if text in _CORE_NULL:
        return True, None
    if text in _CORE_BOOL:
        return True, _CORE_BOOL[text]
    if _CORE_INT.fullmatch(text):
        return True, int(text, 10)
    if _CORE_OCT.fullmatch(text) or _CORE_HEX.fullmatch(text):
        return True, int(text[2:], 8 if text[1] == "o" else 16)
    if _CORE_FLOAT.fullmatch(text):
        return True, float(text)
    if _CORE_INF.fullmatch(text):
        return True, float("-inf" if text[0] == "-" else "inf")
    if _CORE_NAN.fullmatch(text):
        return True, float("nan")
    return True, text


# ------------------------------------------------------------------------------------------------ unstorable values

INT_TAG = "tag:yaml.org,2002:int"

# A double-quoted escape that writes a NUL character or a UTF-16 surrogate (``\0``, ``\x00``, ``\u0000``,
# ``\U00000000``, ``\ud800``...``\udfff``). The characters themselves never reach YAML (``decode_text`` refuses NUL
# bytes and invalid UTF-8); only such an escape writes them, so a text without one (nearly every file) is not walked.
# ``"\\0"`` (a backslash, then 0) matches too: the walk, not this pattern, decides.
_BAD_ESCAPE = re.compile(r"\\(?:0|x00|u0000|U00000000|u[dD][89a-fA-F]|U0000[dD][89a-fA-F])")
_NUL = "this text holds a NUL character (the escape \\0, \\x00 or \\u0000), which no database stores; remove it"
_SURROGATE = (
    "this text holds a lone surrogate (an escape \\ud800 to \\udfff), which is not a character; "
    "write the character itself"
)

_INT_DIGITS = sys.get_int_max_str_digits()
# The shortest integer text that can be past Python's limit on decimal digits (hex, at 0.83 hex digit per decimal
# one, is the densest YAML notation): shorter int scalars are never checked further.
LONG_INT_CHARS = _INT_DIGITS * 4 // 5
_CONSTRUCTOR = SafeConstructor()


def too_long_int(node: Node) -> str | None:
    """The error of an integer scalar too long to be a number (Python reads and writes at most
    ``sys.get_int_max_str_digits()`` decimal digits: past that, YAML's ``12345...`` is unreadable and ``0xfff...`` a
    number no JSON column can be written with), the number abbreviated; None for any other node."""
    if not isinstance(node, ScalarNode) or node.tag != INT_TAG or len(node.value) < LONG_INT_CHARS:
        return None
    try:
        repr(_CONSTRUCTOR.construct_yaml_int(node))
    except ValueError:
        text = str(node.value)
        return (
            f"integer {abbreviate(text)} is {len(text):,} characters long, too long to be a number; "
            "quote it to keep it as text"
        )
    return None


def abbreviate(text: str, width: int = 40) -> str:
    """``text`` quoted, its middle cut out when it is longer than ``width`` (a message stays one short line)."""
    if len(text) <= width:
        return repr(text)
    keep = (width - 3) // 2
    return repr(text[:keep] + "..." + text[-keep:])


def unstorable(
    text: str, roots: Iterable[Node], *, line_offset: int = 0, ints: bool = False
) -> list[tuple[int, int, str]]:
    """(line, column, message) of every scalar (keys too) of the node graphs ``roots`` composed from ``text`` whose
    value no database stores: text holding a NUL character (PostgreSQL refuses it) or a lone surrogate (no UTF-8
    holds one), at the line of the escape that writes it; with ``ints``, integers too long to be numbers
    (``too_long_int``). File order; ``line_offset`` as for ``check_limits``. Costs a scan of ``text`` (for the
    escapes and, with ``ints``, its length) unless one is there."""
    escapes = "\\" in text and _BAD_ESCAPE.search(text) is not None
    ints = ints and len(text) >= LONG_INT_CHARS
    if not escapes and not ints:
        return []
    places = Places(text, line_offset)
    found: list[tuple[int, int, str]] = []
    for node in _each_node(roots):
        if isinstance(node, ScalarNode):
            value = node.value
            if escapes and "\x00" in value:
                found.append(_escape_position(places, node) + (_NUL,))
            elif escapes and not is_text(value):
                found.append(_escape_position(places, node) + (_SURROGATE,))
            elif ints and (problem := too_long_int(node)) is not None:
                found.append((*places.of(node.start_mark), problem))
    return sorted(found)


def _each_node(roots: Iterable[Node]) -> Iterator[Node]:
    """Every node (keys too) of the node graphs ``roots``, an aliased node once (reported where it is written)."""
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, item in node.value:
                stack.extend((key, item))


# The tags PyYAML's safe constructor builds, by the kind of node each is for. Any other tag (``!x``,
# ``!!python/object/apply:os.system``) is one it refuses: "could not determine a constructor".
_SAFE_TAGS: dict[type[Node], frozenset[str]] = {
    ScalarNode: frozenset(
        "tag:yaml.org,2002:" + name for name in ("null", "bool", "int", "float", "binary", "timestamp", "str")
    ),
    SequenceNode: frozenset({"tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs"}),
    MappingNode: frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:set"}),
}
_NODE_KINDS = {ScalarNode: "single value", SequenceNode: "list", MappingNode: "mapping"}


def tag_problem(node: Node) -> str | None:
    """Why the safe loader would refuse ``node``'s tag, or None. A plain scalar's own tag (``<<`` is a merge key,
    ``=`` a value key: tags the loader gives, not the author) is never refused."""
    tag = node.tag
    if tag in _SAFE_TAGS[type(node)]:
        return None
    if isinstance(node, ScalarNode) and not node.style and tag == _implicit_tag(node.value):
        return None
    for kind, tags in _SAFE_TAGS.items():
        if tag in tags:
            return (f"the YAML tag {tag!r} is for a {_NODE_KINDS[kind]}, not a {_NODE_KINDS[type(node)]}; "
                    "remove the tag")
    return (f"could not determine a constructor for the tag {tag!r}; remove the tag "
            "(only YAML's standard tags are read)")


def refused_tags(text: str, roots: Iterable[Node], *, line_offset: int = 0) -> list[tuple[int, int, str]]:
    """(line, column, message) of every node (keys too) of the node graphs ``roots`` composed from ``text`` whose
    tag PyYAML's safe loader refuses to construct: a local tag (``!custom``), a Python one (``!!python/...``) or a
    standard tag on the wrong kind of node (``!!str [a]``), on a single value, a list or a mapping alike. A parser
    that builds its values from nodes (contracts) would otherwise read such a node as plain data. File order, at the
    tag; ``line_offset`` as for ``check_limits``. Only a text holding a ``!`` is walked."""
    if "!" not in text:
        return []
    places = Places(text, line_offset)
    return sorted((*places.of(node.start_mark), problem) for node in _each_node(roots)
                  if (problem := tag_problem(node)) is not None)


def _escape_position(places: Places, node: Node) -> tuple[int, int]:
    """The file (line, column) of the first NUL/surrogate escape written in ``node``'s text (a double-quoted scalar
    may span lines), else of the node."""
    start, end = node.start_mark, node.end_mark
    match = _BAD_ESCAPE.search(places.text, start.index, end.index)
    return places.at(match.start()) if match is not None else places.of(start)


# A document marker (``---`` or ``...``) starts a line (YAML 1.1's line breaks counted, as PyYAML counts them) and is
# followed by a blank or the end. None is inside a document that parsed: the scanner refuses it there or ends there.
_DOCUMENT_MARKER = re.compile(r"(?<![^\n\r\x85\u2028\u2029])(?:---|\.\.\.)(?=[ \t\n\r\x85\u2028\u2029]|\Z)")
_LINE_BREAK = re.compile(r"[\n\r\x85\u2028\u2029]")


def document_markers(text: str) -> list[int]:
    """Where the document markers (``---``, ``...``) of a YAML text that parsed start, in order."""
    return [marker.start() for marker in _DOCUMENT_MARKER.finditer(text)]


def document_text(text: str, markers: list[int], document: Node) -> str:
    """The text of ``document`` as written: from after its ``---`` line (the file's start for a first document
    without one; the marker's line itself when the document starts on it) to the next document marker or the end.
    ``markers``: where the file's document markers start (``document_markers``), in order."""
    start = document.start_mark.index
    after = bisect_right(markers, start)
    end = markers[after] if after < len(markers) else len(text)
    if after == 0:
        return text[:end]
    line_end = _LINE_BREAK.search(text, markers[after - 1])
    begin = line_end.end() if line_end is not None else len(text)
    return text[min(begin, start) : end]
