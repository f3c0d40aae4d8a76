"""Architecture Decision Records (Markdown) → one ``SpecRecord`` per file.

Dialects read (see docs "formats", section *Architecture Decision Records*): Nygard / adr-tools, MADR 2.x, 3.x and
4.x, Log4brains, in-house ``**Status:**`` bold lines and Docusaurus-style front matter without an H1.

How a file is read, in one pass each:

1. ``decode_text`` (size limit, BOM, binary, UTF-8, CRLF).
2. The YAML front matter block (first line ``---``) is split off and loaded with a *safe* loader after its events
   were checked against alias-bomb and depth limits; every YAML problem becomes a ``ParseError`` with a file line.
3. The Markdown body is reduced to lines (HTML comments blanked, fenced code marked) and headings; the H1 is the
   title, the lines before the first other heading are the *key list* (``* Status: accepted``, ``Date: ...``,
   ``**Status:** Accepted``), and the remaining headings form a small section tree.
4. Facts are collected from front matter, key list, sections and bold lines (in that order of precedence) and
   turned into the fields of the ``adrs`` table. Anything ambiguous or unknown is a warning, never a silent guess.

The parser is pure and total: for any bytes it returns a ``ParseResult`` or raises ``ParseError``. All regular
expressions are anchored or bounded so that no input can make them backtrack catastrophically.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml
from frontmatter.default_handlers import YAMLHandler

from tracertm.errors import Diagnostic, ParseError
from tracertm.parsers.common import decode_text
from tracertm.parsers.records import DEFAULT_OPTIONS, ParseResult, ParserOptions, SpecRecord

__all__ = ["ADR_STATUSES", "DIALECTS", "parse"]

ADR_STATUSES = ("proposed", "accepted", "deprecated", "superseded", "rejected")
DIALECTS = ("nygard", "madr2", "madr3", "madr4", "log4brains", "bold", "docusaurus", "unknown")

# First meaningful word of a status → ADRStatus. Deliberately conservative: anything else is a warning.
_STATUS_WORDS: dict[str, str] = {
    "proposed": "proposed",
    "proposal": "proposed",
    "accepted": "accepted",
    "accept": "accepted",
    "approved": "accepted",
    "deprecated": "deprecated",
    "obsolete": "deprecated",
    "superseded": "superseded",
    "superceded": "superseded",  # adr-tools spelling
    "rejected": "rejected",
    "declined": "rejected",
}

_SUPERSEDED_BY = frozenset({"superseded by", "superceded by", "superseded", "superceded"})
_SUPERSEDES = frozenset({"supersedes", "supercedes"})

# Stakeholder roles, in the fixed order used to flatten them (fixed so that reordering keys keeps the hash).
_ROLE_ORDER = ("deciders", "decision-makers", "consulted", "informed", "stakeholders")
_ROLE_ALIASES = {
    "deciders": "deciders",
    "decider": "deciders",
    "decision-makers": "decision-makers",
    "decision-maker": "decision-makers",
    "consulted": "consulted",
    "informed": "informed",
    "stakeholders": "stakeholders",
}

# Front matter keys that become fields (or drive identity); every other key is kept in adr_metadata.
_MAPPED_FM_KEYS = frozenset(
    {"id", "number", "title", "status", "date", "tags", "supersedes", "superseded-by", "superceded-by"}
    | set(_ROLE_ALIASES)
)
# Keys adr_metadata always has (or may have); a front matter key with one of these names is kept under a prefix.
_RESERVED_METADATA = frozenset(
    {"dialect", "raw_status", "sections", "stakeholder_roles", "links", "slug", "attributes", "preamble", "options"}
)

# Heading names (normalised by ``_heading_key``) → the field they fill.
_CONTEXT_HEADINGS = frozenset(
    {"context", "context and problem statement", "problem statement", "context and problem"}
)
_DECISION_HEADINGS = frozenset({"decision", "decision outcome"})
_CONSEQUENCE_HEADINGS = frozenset({"consequences", "positive consequences", "negative consequences"})
_DRIVER_HEADINGS = frozenset({"decision drivers"})
_OPTION_HEADINGS = frozenset({"considered options", "options considered"})
_PROS_CONS_HEADINGS = frozenset({"pros and cons of the options", "pros and cons"})
_STATUS_HEADINGS = frozenset({"status"})
_LINK_HEADINGS = frozenset({"links"})
_KNOWN_HEADINGS = (
    _CONTEXT_HEADINGS
    | _DECISION_HEADINGS
    | _CONSEQUENCE_HEADINGS
    | _DRIVER_HEADINGS
    | _OPTION_HEADINGS
    | _PROS_CONS_HEADINGS
    | _STATUS_HEADINGS
)

# YAML hardening beyond the configurable limits: an expanded front matter larger than this is an alias bomb, and
# no configuration may push the depth past what Python's recursion comfortably handles.
_MAX_FRONT_MATTER_NODES = 10_000
# Fuzzy (prefix) matching of pros/cons headings to considered options is skipped above this many options.
_MAX_FUZZY_OPTIONS = 64
_HARD_MAX_DEPTH = 256

# --- regular expressions: all anchored or bounded (no nested quantifiers over the same characters) -------------
_FENCE_RE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LIST_ITEM_RE = re.compile(r"([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$", re.DOTALL)
_LINK_RE = re.compile(r"\[([^\[\]\n]{0,500})\]\(([^()\s]{1,1000})(?:[ \t]+\"[^\"\n]{0,300}\")?\)")
_ADR_ID_RE = re.compile(r"(?<![A-Za-z0-9])ADR[-_]?(\d{1,12})(?!\d)", re.IGNORECASE)
_ADR_ID_FULL_RE = re.compile(r"ADR[-_ ]?(\d{1,12})", re.IGNORECASE)
_FILE_NUMBER_RE = re.compile(r"(adr[-_ ]?)?(\d{1,12})(?![0-9])[-_ .]*(.*)", re.IGNORECASE | re.DOTALL)
_TITLE_NUMBER_RE = re.compile(r"(ADR[-_ ]?)?\d{1,12}(?!\d)", re.IGNORECASE)
_WORD_RE = re.compile(r"[^\W\d_]+")
_ISO_DATE_RE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_YMD_SLASH_RE = re.compile(r"(?<!\d)(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)")
_DMY_RE = re.compile(r"(?<!\d)(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?!\d)")
_PROS_CONS_RE = re.compile(
    r"(good|bad|neutral|pro|con)[ \t]*[,:][ \t]*(?:because\b[ \t]*)?(.*)", re.IGNORECASE | re.DOTALL
)
_HEADING_NUMBER_RE = re.compile(r"\d{1,3}[.)][ \t]*")


# ================================================================================================ YAML loading
try:  # the C loader is much faster; both are "safe" (no arbitrary Python objects)
    _BaseSafeLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment,misc,unused-ignore]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseSafeLoader = yaml.SafeLoader


class _FrontMatterLoader(_BaseSafeLoader):  # type: ignore[misc,valid-type,unused-ignore]
    """A safe loader whose timestamps never raise: ``date: 2020-02-30`` stays a string (reported as a warning)."""


def _lenient_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _lenient_timestamp)


@dataclass(frozen=True)
class _FrontMatter:
    """The loaded front matter: values by (string) key, and the 1-based file line of each key."""

    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    raw: str = ""
    present: bool = False

    def get(self, *names: str) -> tuple[Any, int] | None:
        """The first present, non-null key among ``names`` (matched after ``_fm_key`` normalisation)."""
        for key, value in self.values.items():
            if _fm_key(key) in names and value is not None:
                return value, self.lines.get(key, 1)
        return None


def _fm_key(key: str) -> str:
    return "-".join(key.strip().casefold().replace("_", " ").replace("-", " ").split())


def _split_front_matter(path: str, lines: Sequence[str]) -> tuple[str | None, int]:
    """Return (YAML text or None, index of the first body line). The opening ``---`` must be line 1."""
    # python-frontmatter's own boundary pattern, applied per line, so delimiters mean what they mean there.
    boundary = YAMLHandler.FM_BOUNDARY
    if not lines or not boundary.fullmatch(lines[0]):
        return None, 0
    for index in range(1, len(lines)):
        if boundary.fullmatch(lines[index]):
            return "\n".join(lines[1:index]), index + 1
    raise ParseError(path, 1, 1, "front matter opened by '---' on line 1 is never closed; add a closing '---' line")


def _yaml_error(path: str, exc: BaseException, fm_text: str) -> ParseError:
    """A PyYAML error as a ParseError pointing into the file (front matter starts on line 2)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line, column = int(mark.line) + 2, int(mark.column) + 1
    else:
        position = getattr(exc, "position", None)
        if isinstance(position, int):
            line = fm_text.count("\n", 0, position) + 2
            column = position - (fm_text.rfind("\n", 0, position) + 1) + 1
        else:
            line, column = 2, 0
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return ParseError(
        path, line, column, f"malformed YAML front matter: {problem}; fix the block between '---' lines"
    )


def _check_events(path: str, fm_text: str, max_depth: int, max_aliases: int) -> None:
    """Reject front matter nesting deeper than ``max_depth`` or using more than ``max_aliases`` aliases.

    Events are streamed and never expanded, so this is linear in the text even for an alias bomb.
    """
    depth = 0
    aliases = 0
    for event in yaml.parse(fm_text, Loader=_BaseSafeLoader):
        line, column = (event.start_mark.line + 2, event.start_mark.column + 1) if event.start_mark else (2, 0)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > max_depth:
                raise ParseError(
                    path,
                    line,
                    column,
                    f"YAML front matter nests deeper than {max_depth} levels (yaml_max_depth); flatten it",
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > max_aliases:
                raise ParseError(
                    path,
                    line,
                    column,
                    f"YAML front matter uses more than {max_aliases} aliases (yaml_max_aliases); "
                    "aliases are limited to guard against alias bombs",
                )


def _check_expansion(path: str, root: yaml.Node, max_depth: int) -> None:
    """Reject recursive aliases and documents whose alias-expanded size or depth exceeds the limits."""
    memo: dict[int, tuple[int, int]] = {}  # id(node) → (expanded size, expanded height)
    on_path: set[int] = set()

    def fail(node: yaml.Node, message: str) -> ParseError:
        return ParseError(path, node.start_mark.line + 2, node.start_mark.column + 1, message)

    def visit(node: yaml.Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in on_path:
            raise fail(node, "YAML front matter contains a recursive alias; remove it")
        known = memo.get(key)
        if known is None:
            if depth > max_depth:
                raise fail(node, f"YAML front matter nests deeper than {max_depth} levels once aliases are expanded")
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            elif isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            on_path.add(key)
            size, height = 1, 1
            for child in children:
                child_size, child_height = visit(child, depth + 1)
                size += child_size
                height = max(height, child_height + 1)
                if size > _MAX_FRONT_MATTER_NODES:
                    raise fail(
                        node,
                        f"YAML front matter expands to more than {_MAX_FRONT_MATTER_NODES} values through aliases "
                        "(alias bomb?); write the values out",
                    )
            on_path.discard(key)
            known = memo[key] = (size, height)
        if depth + known[1] - 1 > max_depth:
            raise fail(node, f"YAML front matter nests deeper than {max_depth} levels once aliases are expanded")
        return known

    visit(root, 1)


def _load_front_matter(path: str, fm_text: str, options: ParserOptions, warnings: list[Diagnostic]) -> _FrontMatter:
    """Safely load the front matter block into a mapping, or raise ``ParseError`` with a file line."""
    max_depth = max(1, min(options.yaml_max_depth, _HARD_MAX_DEPTH))
    try:
        _check_events(path, fm_text, max_depth, max(0, options.yaml_max_aliases))
        loader = _FrontMatterLoader(fm_text)
        try:
            root = loader.get_single_node()
            if root is None:
                return _FrontMatter(raw=fm_text, present=True)
            if not isinstance(root, yaml.MappingNode):
                kind = "list" if isinstance(root, yaml.SequenceNode) else "single value"
                raise ParseError(
                    path,
                    root.start_mark.line + 2,
                    root.start_mark.column + 1,
                    f"front matter must be a mapping of keys to values, not a {kind}",
                )
            _check_expansion(path, root, max_depth)
            loader.flatten_mapping(root)  # resolves `<<: *base` merge keys
            values: dict[str, Any] = {}
            lines: dict[str, int] = {}
            for key_node, value_node in root.value:
                line = key_node.start_mark.line + 2
                try:
                    key = _json_value(loader.construct_object(key_node, deep=True))
                    value = loader.construct_object(value_node, deep=True)
                except (ValueError, TypeError, OverflowError) as exc:
                    raise ParseError(
                        path, line, key_node.start_mark.column + 1, f"bad front matter value: {exc}"
                    ) from None
                name = key if isinstance(key, str) else str(key)
                if name in values:
                    warnings.append(_warning(path, line, f"front matter key {name!r} is repeated; the last one wins"))
                values[name] = value
                lines[name] = line
            return _FrontMatter(values=values, lines=lines, raw=fm_text, present=True)
        finally:
            loader.dispose()
    except ParseError:
        raise
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise _yaml_error(path, exc, fm_text) from None


def _json_value(value: Any) -> Any:
    """A front matter value made JSON-safe (dates as ISO text, sets as sorted lists, bytes as base64)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            json_key = _json_value(key)
            out[json_key if isinstance(json_key, str) else str(json_key)] = _json_value(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_json_value(item) for item in value), key=repr)
    return str(value)


# ================================================================================================ Markdown body
class _Heading(NamedTuple):  # NamedTuples: a pathological file may hold a million headings
    at: int  # body line index of the heading text
    end: int  # first body line after the heading (index + 2 for a setext heading)
    level: int
    title: str


class _Section(NamedTuple):
    heading: _Heading
    start: int  # first line of the section body
    end: int  # exclusive
    children: tuple[_Section, ...]

    @property
    def key(self) -> str:
        return _heading_key(self.heading.title)


@dataclass(frozen=True)
class _Body:
    """The Markdown body: lines with HTML comments blanked, a code-block mask, headings, and a line offset."""

    lines: tuple[str, ...]
    code: tuple[bool, ...]
    first_line: int  # 1-based file line of lines[0]
    headings: tuple[_Heading, ...]

    def file_line(self, index: int) -> int:
        return self.first_line + index

    def text(self, start: int, end: int, skip: Iterable[tuple[int, int]] = ()) -> str:
        """The Markdown of lines [start, end) without the ``skip`` ranges, trailing spaces dropped, stripped."""
        skipped: set[int] = set()
        for a, b in skip:
            skipped.update(range(max(a, start), min(b, end)))
        kept = [self.lines[i].rstrip() for i in range(start, end) if i not in skipped]
        return "\n".join(kept).strip()


def _scan_body(raw_lines: Sequence[str], first_line: int) -> _Body:
    """Blank HTML comments (outside code), mark fenced code, and find ATX and setext headings."""
    lines: list[str] = []
    code: list[bool] = []
    fence: str | None = None
    in_comment = False
    for line in raw_lines:
        if fence is not None:
            lines.append(line)
            code.append(True)
            closing = line.strip()
            if closing and closing.strip(fence[0]) == "" and len(closing) >= len(fence):
                fence = None
            continue
        if not in_comment:
            match = _FENCE_RE.match(line)
            if match:
                fence = match.group(1)
                lines.append(line)
                code.append(True)
                continue
        cleaned, in_comment = _strip_comment(line, in_comment)
        lines.append(cleaned)
        code.append(False)
    headings = _find_headings(lines, code)
    return _Body(tuple(lines), tuple(code), first_line, tuple(headings))


def _strip_comment(line: str, in_comment: bool) -> tuple[str, bool]:
    """Remove ``<!-- ... -->`` parts of one line; comments are template hints, not what the author decided."""
    if not in_comment and "<!--" not in line:
        return line, False
    pieces: list[str] = []
    pos = 0
    while pos <= len(line):
        if in_comment:
            end = line.find("-->", pos)
            if end == -1:
                break
            pos, in_comment = end + 3, False
        else:
            start = line.find("<!--", pos)
            if start == -1:
                pieces.append(line[pos:])
                break
            pieces.append(line[pos:start])
            pos, in_comment = start + 4, True
    return "".join(pieces), in_comment


def _atx_heading(line: str) -> tuple[int, str] | None:
    if "#" not in line[:4]:
        return None
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or not stripped.startswith("#"):
        return None
    level = len(stripped) - len(stripped.lstrip("#"))
    rest = stripped[level:]
    if level > 6 or (rest and rest[0] not in " \t"):
        return None
    title = rest.strip()
    without_closing = title.rstrip("#")
    if without_closing != title and (not without_closing or without_closing[-1] in " \t"):
        title = without_closing.strip()
    return level, title


def _setext_level(line: str) -> int:
    stripped = line.strip()
    if stripped[:1] not in ("=", "-") or len(line) - len(line.lstrip(" ")) > 3:
        return 0
    if len(stripped) >= 3 and stripped.strip("=") == "":
        return 1
    if len(stripped) >= 3 and stripped.strip("-") == "":
        return 2
    return 0


def _is_paragraph_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and stripped[0] not in "#>|-*+`~" and _LIST_ITEM_RE.match(line) is None


def _find_headings(lines: Sequence[str], code: Sequence[bool]) -> list[_Heading]:
    headings: list[_Heading] = []
    taken = -1  # index of the last line used as setext heading text
    for index, line in enumerate(lines):
        if code[index]:
            continue
        atx = _atx_heading(line)
        if atx is not None:
            headings.append(_Heading(index, index + 1, atx[0], atx[1]))
            continue
        level = _setext_level(line)
        # A setext underline only counts under a one-line paragraph (keeps `---` rules from eating text).
        if (
            level
            and index > 0
            and index - 1 != taken
            and not code[index - 1]
            and _is_paragraph_line(lines[index - 1])
            and (index < 2 or not lines[index - 2].strip() or _atx_heading(lines[index - 2]) is not None)
        ):
            headings.append(_Heading(index - 1, index + 1, level, lines[index - 1].strip()))
            taken = index - 1
    return headings


def _heading_key(title: str) -> str:
    """A heading name for matching: case-folded, emphasis/emoji/numbering dropped, ``&`` as ``and``."""
    text = title.casefold().replace("&", " and ")
    text = "".join(ch if ch.isalnum() or ch in " -'." else " " for ch in text).strip()
    match = _HEADING_NUMBER_RE.match(text)
    if match:
        text = text[match.end() :]
    return " ".join(text.replace(".", " ").split())


def _build_sections(headings: Sequence[_Heading], end: int) -> tuple[_Section, ...]:
    """Group headings into a tree: the shallowest level present splits, deeper headings become children."""
    if not headings:
        return ()
    level = min(h.level for h in headings)
    tops = [0] + [i for i, h in enumerate(headings) if h.level == level and i != 0]
    sections: list[_Section] = []
    for n, i in enumerate(tops):
        next_i = tops[n + 1] if n + 1 < len(tops) else len(headings)
        section_end = headings[next_i].at if next_i < len(headings) else end
        heading = headings[i]
        children = _build_sections(headings[i + 1 : next_i], section_end) if next_i > i + 1 else ()
        sections.append(_Section(heading, heading.end, section_end, children))
    return tuple(sections)


def _list_items(body: _Body, start: int, end: int) -> list[tuple[str, int]]:
    """Top-level list items in [start, end) as (text, index); continuation lines are joined with a space."""
    items: list[tuple[list[str], int]] = []
    base_indent: int | None = None
    after_blank = False
    for index in range(start, end):
        line = body.lines[index]
        if body.code[index] or _atx_heading(line) is not None:
            after_blank = False
            continue
        if not line.strip():
            after_blank = True
            continue
        match = _LIST_ITEM_RE.match(line)
        indent = len(match.group(1).expandtabs(4)) if match else len(line) - len(line.lstrip())
        if match and (base_indent is None or indent <= base_indent + 1):
            base_indent = indent if base_indent is None else base_indent
            items.append(([(match.group(3) or "").strip()], index))
        elif items and not match and (indent > (base_indent or 0) or not after_blank):
            items[-1][0].append(line.strip())  # a wrapped line of the current item
        after_blank = False
    return [(" ".join(part for part in parts if part), index) for parts, index in items]


def _strip_list_marker(line: str) -> str:
    match = _LIST_ITEM_RE.match(line)
    return (match.group(3) or "").strip() if match else line.strip()


# ================================================================================================ small readers
@dataclass(frozen=True)
class _KeyValue:
    key: str  # normalised: lower-case words joined by "-" (``decision-makers``)
    label: str  # as written
    value: str
    bold: bool
    bullet: str  # "*", "-", "+", "" (plain line)


def _key_value(line: str) -> _KeyValue | None:
    """Read ``* Status: accepted``, ``Date: 2016-02-12``, ``**Status:** Accepted`` or ``**Date**: ...`` lines."""
    if ":" not in line:
        return None
    stripped = line.strip()
    bullet = ""
    match = _LIST_ITEM_RE.match(stripped)
    if match and not match.group(2)[0].isdigit():
        bullet, stripped = match.group(2), (match.group(3) or "").strip()
    bold = stripped[:2] in ("**", "__")
    if bold:
        close = stripped.find(stripped[:2], 2)
        if close == -1:
            return None
        inner, rest = stripped[2:close].strip(), stripped[close + 2 :]
        if inner.endswith(":"):
            label, value = inner[:-1], rest
        elif rest.lstrip().startswith(":"):
            label, value = inner, rest.lstrip()[1:]
        else:
            return None
    else:
        colon = stripped.find(":")
        if colon <= 0:
            return None
        label, value = stripped[:colon], stripped[colon + 1 :]
    label = label.strip()
    words = label.split()
    if not 1 <= len(words) <= 4 or len(label) > 40 or not all(_is_word(w) for w in words):
        return None
    return _KeyValue(_fm_key(label), label, value.strip(), bold, bullet)


def _is_word(word: str) -> bool:
    return word.replace("-", "").replace("'", "").replace("_", "").isalpha()


def _adr_number(digits: str) -> str:
    """``0007`` / ``7`` → ``ADR-0007``; more than four significant digits are kept."""
    return "ADR-" + (digits.lstrip("0") or "0").zfill(4)


@dataclass(frozen=True)
class _FileIdentity:
    identifier: str  # ADR-NNNN or the slug
    slug: str
    date: dt.date | None  # from a Log4brains yyyymmdd- prefix


def _file_identity(path: str) -> _FileIdentity:
    """Identity from a file name: ``0001-x.md``, ``ADR-0001-x.md``, ``adr013-x.md``, ``20200924-slug.md``, ``x.md``."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    match = _FILE_NUMBER_RE.fullmatch(stem)
    if match:
        prefix, digits, rest = match.group(1), match.group(2), match.group(3).strip()
        date = _yyyymmdd(digits) if prefix is None and rest else None
        if date is not None:
            # Log4brains: an 8-digit date prefix is not an ADR number; the slug is the identifier.
            return _FileIdentity(rest, rest, date)
        return _FileIdentity(_adr_number(digits), rest or stem, None)
    return _FileIdentity(stem, stem, None)


def _yyyymmdd(digits: str) -> dt.date | None:
    if len(digits) != 8:
        return None
    try:
        date = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
    return date if 1970 <= date.year <= 2999 else None


def _humanise(slug: str) -> str:
    words = slug.replace("-", " ").replace("_", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _normalise_id(value: Any) -> str | None:
    """A front matter ``id``/``number`` as an identifier, or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _adr_number(str(value)) if 0 <= value < 10**12 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or "\n" in text:
        return None
    if text.isascii() and text.isdigit() and len(text) <= 12:
        return _adr_number(text)
    match = _ADR_ID_FULL_RE.fullmatch(text)
    return _adr_number(match.group(1)) if match else text


def _strip_title_number(title: str) -> str:
    """``1. Record decisions`` / ``ADR-0003: Use X`` / ``0003 - Use X`` → the title words."""
    match = _TITLE_NUMBER_RE.match(title)
    if not match:
        return title
    rest = title[match.end() :]
    after = rest.lstrip(" \t")
    if after[:1] and after[0] in ".:)–—-":
        after = after[1:]
        if match.group(1) is None and after[:1] not in ("", " ", "\t"):
            return title  # "1.5x faster" is a title, not a number prefix
    elif match.group(1) is None or rest[:1] not in (" ", "\t"):
        return title
    stripped = after.strip()
    return stripped or title


def _status_word(raw: str) -> str | None:
    match = _WORD_RE.search(raw)
    return match.group(0).casefold() if match else None


def _parse_date(value: Any) -> dt.date | None:
    """A date from a YAML value or text (ISO, yyyy/mm/dd, or adr-tools' older dd/mm/yyyy); None if unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    for pattern, order in ((_ISO_DATE_RE, (1, 2, 3)), (_YMD_SLASH_RE, (1, 2, 3)), (_DMY_RE, (3, 2, 1))):
        match = pattern.search(value)
        if match:
            year, month, day = (int(match.group(i)) for i in order)
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None
    return None


def _names(value: Any) -> list[str]:
    """Stakeholder names from ``a, b`` text, a YAML list, or anything else."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    if isinstance(value, Mapping):
        value = list(value)
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=repr)
    items = value if isinstance(value, (list, tuple)) else [value]
    texts = (str(_json_value(item)).strip() for item in items if item is not None)
    return [text for text in texts if text]


def _tags(value: Any) -> list[str]:
    """Tags from a YAML list or a comma/space separated string (Log4brains writes ``Tags: a b``)."""
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    return _names(value)


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _link_target(label: str, href: str) -> str | None:
    """The ADR a Markdown link points to: a sibling ``.md`` file by its file-name identity, or an id label."""
    base = href.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if base.casefold().endswith((".md", ".markdown")):
        return _file_identity(base).identifier
    match = _ADR_ID_RE.search(label)
    return _adr_number(match.group(1)) if match else None


def _targets(text: str) -> list[str]:
    """ADR targets in ``text``, in order: links to sibling ADR files and bare ``ADR-NNNN`` ids."""
    found: list[tuple[int, str]] = []
    masked = list(text)
    for match in _LINK_RE.finditer(text):
        target = _link_target(match.group(1), match.group(2))
        if target:
            found.append((match.start(), target))
        masked[match.start() : match.end()] = " " * (match.end() - match.start())
    for match in _ADR_ID_RE.finditer("".join(masked)):
        found.append((match.start(), _adr_number(match.group(1))))
    return _unique(target for _, target in sorted(found))


def _relation_line(line: str) -> tuple[str, list[str]] | None:
    """``Superceded by [3. X](0003-x.md)`` / ``- Refined by [..](..)`` / ``Amends ADR-0002`` → (relation, targets)."""
    if "[" not in line and "adr" not in line.casefold():
        return None
    text = _strip_list_marker(line).replace("**", "").replace("__", "").strip()
    bracket = text.find("[")
    id_match = _ADR_ID_RE.search(text)
    positions = [p for p in (bracket, id_match.start() if id_match else -1) if p > 0]
    if not positions:
        return None
    first = min(positions)
    words = text[:first].strip().rstrip(":").split()
    if not 1 <= len(words) <= 4 or not all(_is_word(w) for w in words):
        return None
    targets = _targets(text[first:])
    return (" ".join(w.casefold() for w in words), targets) if targets else None


def _option_key(text: str) -> str:
    """An option name for matching a ``### heading`` to a list item: link text only, no emphasis or quotes."""
    plain = _LINK_RE.sub(lambda m: m.group(1), text)
    plain = "".join(ch for ch in plain if ch not in "*_`\"'“”")
    return " ".join(plain.casefold().split())


def _warning(path: str, line: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, 0, message, "warning")


# ================================================================================================ collection
@dataclass(frozen=True)
class _Declared:
    """One declaration of a status or date, with where it came from."""

    raw: Any
    source: str
    line: int


@dataclass
class _Facts:
    """Everything gathered from one file before it becomes the record's fields. Lives for one ``parse`` call."""

    path: str
    statuses: list[_Declared] = field(default_factory=list)
    dates: list[_Declared] = field(default_factory=list)
    superseded_by: list[str] = field(default_factory=list)
    supersedes: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    roles: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    styles: set[str] = field(default_factory=set)  # hints for dialect detection

    def add_role(self, role: str, names: Iterable[str]) -> None:
        self.roles.setdefault(role, []).extend(names)  # de-duplicated once, when the fields are built

    def add_relation(self, relation: str, targets: Sequence[str]) -> None:
        if relation in _SUPERSEDED_BY:
            self.superseded_by.extend(targets)
        elif relation in _SUPERSEDES:
            self.supersedes.extend(targets)
        else:
            self.links.extend({"relation": relation, "target": target} for target in targets)
        self.related.extend(targets)

    def add_status(self, raw: str, source: str, line: int) -> None:
        """A declared status; ``superseded by [..](0005-x.md)`` also names the successor."""
        self.statuses.append(_Declared(raw, source, line))
        successor = _relation_line(raw)
        if successor is not None and successor[0] in _SUPERSEDED_BY:
            self.add_relation(*successor)

    def add_key_value(self, kv: _KeyValue, source: str, line: int, keep_unknown: bool) -> None:
        """Route one key/value line: status, date, roles, tags, relations; other keys kept if ``keep_unknown``."""
        role = _ROLE_ALIASES.get(kv.key)
        relation = kv.key.replace("-", " ")
        targets = _targets(kv.value) if kv.value else []
        if kv.key == "status":
            if kv.value:
                self.add_status(kv.value, source, line)
        elif kv.key == "date":
            if kv.value:
                self.dates.append(_Declared(kv.value, source, line))
        elif role is not None:
            self.add_role(role, _names(kv.value))
        elif kv.key == "tags":
            self.tags.extend(_tags(kv.value))
        elif relation in _SUPERSEDED_BY | _SUPERSEDES or (targets and (kv.bold or keep_unknown)):
            # `**Supersedes:** N/A` names nothing; `**Related:** ADR-0002` is a custom link.
            self.add_relation(relation, targets)
        elif keep_unknown and kv.value:
            self.attributes.setdefault(kv.label, kv.value)


def _read_front_matter(fm: _FrontMatter, facts: _Facts) -> None:
    found = fm.get("status")
    if found is not None and str(_json_value(found[0])).strip():
        facts.add_status(str(_json_value(found[0])).strip(), "front matter", found[1])
    found = fm.get("date")
    if found is not None:
        facts.dates.append(_Declared(found[0], "front matter", found[1]))
    for key, value in fm.values.items():
        role = _ROLE_ALIASES.get(_fm_key(key))
        if role is not None:
            facts.add_role(role, _names(value))
    found = fm.get("tags")
    if found is not None:
        facts.tags.extend(_tags(found[0]))
    for names, kind in ((("supersedes",), "supersedes"), (("superseded-by", "superceded-by"), "superseded by")):
        found = fm.get(*names)
        if found is not None:
            values = found[0] if isinstance(found[0], list) else [found[0]]
            facts.add_relation(kind, [t for v in values for t in (_normalise_adr_ref(v),) if t])


def _normalise_adr_ref(value: Any) -> str | None:
    """A front matter reference to another ADR: a number, ``ADR-7``, a link or a file name."""
    if isinstance(value, str):
        targets = _targets(value)
        if targets:
            return targets[0]
        text = value.strip()
        if text.casefold().endswith(".md"):
            return _file_identity(text).identifier
        return _normalise_id(text) if text and text.casefold() not in ("n/a", "none", "-") else None
    return _normalise_id(value)


def _read_key_list(body: _Body, start: int, end: int, title_lines: Sequence[tuple[int, int]], facts: _Facts) -> str:
    """Read the key list before the first section heading; return the rest of that text (kept as preamble)."""
    leftover: list[tuple[int, int]] = list(title_lines)
    for index in range(start, end):
        line = body.lines[index]
        if body.code[index] or not line.strip() or any(a <= index < b for a, b in title_lines):
            continue
        kv = _key_value(line)
        relation = _relation_line(line) if kv is None else None
        if kv is not None:
            facts.add_key_value(kv, "key list", body.file_line(index), keep_unknown=True)
            facts.styles.add("bold" if kv.bold else f"list{kv.bullet}")
            if kv.key == "tags":
                facts.styles.add("tags")
        elif relation is not None:
            facts.add_relation(*relation)
        else:
            continue
        leftover.append((index, index + 1))
    return body.text(start, end, leftover)


def _read_status_section(body: _Body, section: _Section, facts: _Facts) -> str:
    """The ``## Status`` section: its first meaningful line is the status; relation lines anywhere in it.

    Returns the section's other text (an explanation of the status, say), which is kept rather than dropped.
    """
    have_status = False
    used: list[tuple[int, int]] = []
    for index in range(section.start, section.end):
        line = body.lines[index]
        if body.code[index] or not line.strip() or _atx_heading(line) is not None:
            continue
        line_no = body.file_line(index)
        kv = _key_value(line)
        relation = _relation_line(line)
        if kv is not None and kv.key in ("status", "date"):
            facts.add_key_value(kv, "## Status section", line_no, keep_unknown=False)
            have_status = have_status or kv.key == "status"
        elif relation is not None and relation[0] not in _SUPERSEDED_BY:
            facts.add_relation(*relation)
        elif relation is not None or not have_status:
            # `Superceded by [..]` (adr-tools replaces `Accepted` with it) is a status line and a relation.
            if relation is not None:
                facts.add_relation(*relation)
            if not have_status:
                facts.statuses.append(_Declared(_strip_list_marker(line), "## Status section", line_no))
                have_status = True
        else:
            continue
        used.append((index, index + 1))
    return body.text(section.start, section.end, used)


def _read_bold_lines(body: _Body, start: int, excluded: Sequence[_Section], facts: _Facts) -> None:
    """``**Status:** ...`` style lines after the key list, outside the ``excluded`` (Status) sections."""
    skip: set[int] = set()
    for section in excluded:
        skip.update(range(section.heading.at, section.end))
    for index in range(start, len(body.lines)):
        line = body.lines[index]
        if body.code[index] or index in skip or ("**" not in line and "__" not in line):
            continue
        kv = _key_value(line)
        if kv is not None and kv.bold:
            facts.add_key_value(kv, "bold line", body.file_line(index), keep_unknown=False)
            facts.styles.add("bold")


@dataclass
class _Sections:
    """The mapped section texts."""

    context: list[str] = field(default_factory=list)
    decision: list[str] = field(default_factory=list)
    consequences: list[tuple[str, str]] = field(default_factory=list)  # (heading as written, text)
    drivers: list[str] = field(default_factory=list)
    options: list[dict[str, Any]] = field(default_factory=list)
    option_keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # _option_key → option
    option_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    other: dict[str, str] = field(default_factory=dict)
    status_sections: list[_Section] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    repeats: dict[str, int] = field(default_factory=dict)

    def keep(self, title: str, text: str) -> None:
        """Keep an unmapped section's text under its heading (numbered if the heading repeats)."""
        if not text:
            return
        title = title or "(untitled)"
        name = title
        while name in self.other:  # amortised O(1): the counter remembers how far each title got
            self.repeats[title] = self.repeats.get(title, 1) + 1
            name = f"{title} ({self.repeats[title]})"
        self.other[name] = text


def _read_sections(body: _Body, sections: Sequence[_Section], facts: _Facts) -> _Sections:
    out = _Sections()
    for section in sections:
        key = section.key
        out.names.add(key)
        title = section.heading.title
        whole = body.text(section.start, section.end)
        if key in _CONTEXT_HEADINGS:
            out.context.append(whole)
        elif key in _DECISION_HEADINGS:
            _read_decision(body, section, out)
        elif key in _CONSEQUENCE_HEADINGS:
            out.consequences.append((title, whole))
        elif key in _DRIVER_HEADINGS:
            items = [text for text, _ in _list_items(body, section.start, section.end)]
            out.drivers.extend(items or ([whole] if whole else []))
        elif key in _OPTION_HEADINGS:
            for text, _ in _list_items(body, section.start, section.end):
                _option(out, text)
        elif key in _PROS_CONS_HEADINGS:
            _read_pros_and_cons(body, section, out)
        elif key in _STATUS_HEADINGS:
            out.status_sections.append(section)
            out.keep(title, _read_status_section(body, section, facts))
        else:
            if key in _LINK_HEADINGS:
                for index in range(section.start, section.end):
                    relation = None if body.code[index] else _relation_line(body.lines[index])
                    if relation is not None:
                        facts.add_relation(*relation)
            out.keep(title, whole)
    return out


def _read_decision(body: _Body, section: _Section, out: _Sections) -> None:
    """Decision (Outcome): consequence sub-sections move to consequences, Confirmation to the kept sections."""
    skip: list[tuple[int, int]] = []
    for child in section.children:
        if child.key in _CONSEQUENCE_HEADINGS:
            out.consequences.append((child.heading.title, body.text(child.start, child.end)))
        elif child.key == "confirmation":
            out.keep(child.heading.title, body.text(child.start, child.end))
        else:
            continue
        out.names.add(child.key)
        skip.append((child.heading.at, child.end))
    text = body.text(section.start, section.end, skip)
    if text:
        out.decision.append(text)


def _option(out: _Sections, text: str) -> dict[str, Any]:
    """The considered option named ``text`` (matched loosely), created if new."""
    key = _option_key(text)
    known = out.option_keys.get(key)
    if known is not None:
        return known
    # A pros/cons heading may spell the option out longer (or shorter) than the list item did. The scan is
    # quadratic, so it is only done for the handful of options a real ADR has.
    if key and len(out.options) <= _MAX_FUZZY_OPTIONS:
        prefixed = [
            option
            for other, option in out.option_keys.items()
            if other and (other.startswith(key) or key.startswith(other))
        ]
        if len(prefixed) == 1:
            return prefixed[0]
    option: dict[str, Any] = {"option": text, "pros": [], "cons": []}
    out.options.append(option)
    out.option_keys.setdefault(key, option)
    return option


def _read_pros_and_cons(body: _Body, section: _Section, out: _Sections) -> None:
    """Each ``### <option>``: ``Good, because`` → pros, ``Bad, because`` → cons, neutral/description kept."""
    for child in section.children:
        option = _option(out, child.heading.title)
        neutral: list[str] = []
        items = _list_items(body, child.start, child.end)
        item_lines = {index for _, index in items}
        for text, _ in items:
            match = _PROS_CONS_RE.fullmatch(text)
            if match is None:
                neutral.append(text)
                continue
            kind, argument = match.group(1).casefold(), match.group(2).strip()
            if kind in ("good", "pro"):
                option["pros"].append(argument)
            elif kind in ("bad", "con"):
                option["cons"].append(argument)
            else:
                neutral.append(argument)
        description = body.text(
            child.start,
            child.end,
            [(i, i + 1) for i in range(child.start, child.end) if i in item_lines or _is_continuation(body, i)],
        )
        details: dict[str, Any] = {}
        if neutral:
            details["neutral"] = neutral
        if description:
            details["description"] = description
        if details:
            out.option_details[option["option"]] = details


def _is_continuation(body: _Body, index: int) -> bool:
    """An indented line right below a list item (its wrapped text), which ``_list_items`` already joined."""
    line = body.lines[index]
    return bool(line.strip()) and line[:1] in (" ", "\t") and index > 0 and bool(body.lines[index - 1].strip())


def _merge_consequences(pieces: Sequence[tuple[str, str]]) -> str | None:
    """One consequences text; Positive/Negative parts keep their heading so the merge loses nothing."""
    parts = [
        text if _heading_key(title) == "consequences" else f"### {title}\n\n{text}" for title, text in pieces if text
    ]
    return "\n\n".join(parts) or None


# ================================================================================================ decisions
def _resolve_status(facts: _Facts, has_successor: bool) -> tuple[str, str | None]:
    """(status, raw_status) from the declarations, first one winning; every doubt is a warning."""
    path = facts.path
    if not facts.statuses:
        if has_successor:
            return "superseded", None
        facts.warnings.append(_warning(path, 1, "no status found; treating the ADR as 'proposed' (add a Status)"))
        return "proposed", None
    first = facts.statuses[0]
    raw = str(first.raw).strip()
    word = _status_word(raw)
    status = _STATUS_WORDS.get(word or "")
    if status is None:
        facts.warnings.append(
            _warning(
                path,
                first.line,
                f"unknown status {raw!r} in {first.source}; treating it as 'proposed' "
                f"(known: {', '.join(ADR_STATUSES)})",
            )
        )
        status = "proposed"
    chosen = _STATUS_WORDS.get(word or "", word)
    for other in facts.statuses[1:]:
        other_word = _status_word(str(other.raw))
        if _STATUS_WORDS.get(other_word or "", other_word) != chosen:
            facts.warnings.append(
                _warning(
                    path,
                    other.line,
                    f"status {str(other.raw).strip()!r} in {other.source} disagrees with {raw!r} in "
                    f"{first.source} (line {first.line}); using {status!r}",
                )
            )
    if has_successor and status != "superseded":
        facts.warnings.append(
            _warning(path, first.line, f"status {raw!r} but the ADR names a successor; using 'superseded'")
        )
        status = "superseded"
    return status, raw


def _resolve_date(facts: _Facts, fallback: dt.date | None) -> dt.date | None:
    for declared in facts.dates:
        date = _parse_date(declared.raw)
        if date is not None:
            return date
        facts.warnings.append(
            _warning(
                facts.path,
                declared.line,
                f"cannot read date {str(declared.raw)!r} in {declared.source}; use YYYY-MM-DD",
            )
        )
    return fallback


def _resolve_identity(fm: _FrontMatter, file_id: _FileIdentity, facts: _Facts) -> str:
    for name in ("id", "number"):
        found = fm.get(name)
        if found is None:
            continue
        identifier = _normalise_id(found[0])
        if identifier is not None:
            return identifier
        facts.warnings.append(
            _warning(facts.path, found[1], f"front matter {name} {found[0]!r} is not a usable ADR id; ignoring it")
        )
    if file_id.identifier:
        return file_id.identifier
    raise ParseError(facts.path, 1, 0, "cannot derive an ADR id from the file name; name it like 0001-title.md")


def _detect_dialect(fm: _FrontMatter, has_h1: bool, file_id: _FileIdentity, facts: _Facts, names: set[str]) -> str:
    """Which template the file follows (informational; parsing is the same for all)."""
    fm_keys = {_fm_key(k) for k in fm.values}
    if "decision-makers" in fm_keys:
        return "madr4"
    if fm.present and not has_h1 and fm_keys & {"id", "title"}:
        return "docusaurus"
    if file_id.date is not None or "tags" in facts.styles:
        return "log4brains"
    if fm_keys & {"status", "date", "deciders", "consulted", "informed"}:
        return "madr3"
    if facts.styles & {"list*", "list-", "list+"} or names & {"decision outcome", "considered options"}:
        return "madr2"
    if "bold" in facts.styles:
        return "bold"
    if "status" in names or "list" in facts.styles:
        return "nygard"
    return "unknown"


def _requirements(path: str, text: str, options: ParserOptions) -> list[str]:
    try:
        pattern = re.compile(options.requirement_pattern)
    except re.error as exc:
        raise ParseError(path, 0, 0, f"invalid requirement_pattern {options.requirement_pattern!r}: {exc}") from None
    return sorted({m.group(0) for m in pattern.finditer(text) if m.group(0)})


# ================================================================================================ entry point
def parse(path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS) -> ParseResult:
    """Parse one ADR Markdown file into a ``ParseResult`` holding one ``adr`` record, or raise ``ParseError``."""
    text = decode_text(path, data, options)
    if not text.strip():
        raise ParseError(path, 1, 0, "empty ADR file; write at least a '# Title' line, or delete the file")
    all_lines = text.split("\n")
    fm_text, body_start = _split_front_matter(path, all_lines)
    facts = _Facts(path)
    fm = _load_front_matter(path, fm_text, options, facts.warnings) if fm_text is not None else _FrontMatter()
    body = _scan_body(all_lines[body_start:], body_start + 1)
    file_id = _file_identity(path)

    # The title heading: the first heading, when it is an H1 that is not itself a section name.
    first = body.headings[0] if body.headings else None
    h1 = (
        first if first is not None and first.level == 1 and _heading_key(first.title) not in _KNOWN_HEADINGS else None
    )
    others = [h for h in body.headings if h is not h1]
    preamble_end = others[0].at if others else len(body.lines)
    sections = _build_sections(others, len(body.lines))

    _read_front_matter(fm, facts)
    title_lines = [(h1.at, h1.end)] if h1 is not None else []
    preamble = _read_key_list(body, 0, preamble_end, title_lines, facts)
    mapped = _read_sections(body, sections, facts)
    _read_bold_lines(body, preamble_end, mapped.status_sections, facts)

    adr_number = _resolve_identity(fm, file_id, facts)
    superseded_by = [t for t in _unique(facts.superseded_by) if t != adr_number]
    supersedes = [t for t in _unique(facts.supersedes) if t != adr_number]
    status, raw_status = _resolve_status(facts, bool(superseded_by))
    date = _resolve_date(facts, file_id.date)

    # Related ADRs: relation targets first (front matter, key list, sections), then bare ADR-NNNN mentions in
    # text order; unique, first seen wins, never the ADR itself.
    mentions = [_adr_number(m.group(1)) for m in _ADR_ID_RE.finditer(fm.raw + "\n" + "\n".join(body.lines))]
    related_adrs = [t for t in _unique(facts.related + mentions) if t != adr_number]
    roles = {role: _unique(facts.roles[role]) for role in _ROLE_ORDER if facts.roles.get(role)}
    metadata = _metadata(fm, facts, mapped, preamble, adr_number)
    metadata.update(
        dialect=_detect_dialect(fm, h1 is not None, file_id, facts, mapped.names),
        raw_status=raw_status,
        stakeholder_roles=roles,
        slug=file_id.slug,
    )

    fields: dict[str, Any] = {
        "adr_number": adr_number,
        "title": _title(fm, h1, file_id) or adr_number,
        "status": status,
        "context": "\n\n".join(mapped.context) or None,
        "decision": "\n\n".join(mapped.decision) or None,
        "consequences": _merge_consequences(mapped.consequences),
        "decision_drivers": mapped.drivers,
        "considered_options": mapped.options,
        "related_requirements": _requirements(path, text, options),
        "related_adrs": related_adrs,
        "supersedes": supersedes[0] if supersedes else None,
        "superseded_by": superseded_by[0] if superseded_by else None,
        "stakeholders": _unique(name for role in roles.values() for name in role),
        "tags": _unique(facts.tags),
        "date": date,
        "adr_metadata": metadata,
    }
    record = SpecRecord(kind="adr", number=adr_number, fields=fields, line=body.file_line(h1.at) if h1 else 1)
    return ParseResult(path=path, kind="adr", records=(record,), warnings=tuple(facts.warnings))


def _title(fm: _FrontMatter, h1: _Heading | None, file_id: _FileIdentity) -> str:
    """Front matter ``title``; else the H1 without its number prefix; else the humanised slug."""
    found = fm.get("title")
    title = str(_json_value(found[0])).strip() if found is not None else ""
    if not title and h1 is not None:
        title = _strip_title_number(h1.title)
    return title or _humanise(file_id.slug)


def _metadata(fm: _FrontMatter, facts: _Facts, mapped: _Sections, preamble: str, own: str) -> dict[str, Any]:
    """adr_metadata without the computed keys: unmapped front matter keys, kept sections, links and extras."""
    metadata: dict[str, Any] = {}
    for key, value in fm.values.items():
        if _fm_key(key) not in _MAPPED_FM_KEYS:
            metadata[f"front_matter:{key}" if key in _RESERVED_METADATA else key] = _json_value(value)
    metadata["sections"] = mapped.other
    metadata["links"] = _unique_links(facts.links, own)
    if facts.attributes:
        metadata["attributes"] = facts.attributes
    if preamble:
        metadata["preamble"] = preamble
    if mapped.option_details:
        metadata["options"] = mapped.option_details
    return metadata


def _unique_links(links: Sequence[dict[str, str]], own: str) -> list[dict[str, str]]:
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, str]] = []
    for link in links:
        key = (link["relation"], link["target"])
        if key not in seen and link["target"] != own:
            seen.add(key)
            out.append(link)
    return out
