"""Single values of an ADR as people write them: ``Label: value`` lines, status words, dates, names, tags."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from tracertm.errors import Diagnostic
from tracertm.parsers.adr.dates import read_date
from tracertm.parsers.adr.dialects import INLINE_LABELS, LABEL_ALIASES, LOOSE_LABELS, STATUS_WORDS
from tracertm.parsers.adr.frontmatter import fm_key, json_value
from tracertm.parsers.adr.markdown import LIST_ITEM_RE

_WORD_RE = re.compile(r"[^\W\d_]+")
_SHORTCODE_RE = re.compile(r":[a-z0-9_+-]{1,40}:")
# GFM strikethrough: `~~Proposed~~ Accepted` is a status since replaced, struck out and kept for the record.
_STRUCK_RE = re.compile(r"~~(?=\S)(?:.*?\S)??~~")


@dataclass(frozen=True)
class KeyValue:
    key: str  # normalised: lower-case words joined by "-" (``decision-makers``)
    label: str  # as written
    value: str
    bold: bool
    bullet: str  # "*", "-", "+", "" (plain line)


def key_value(line: str) -> KeyValue | None:
    """Read ``* Status: accepted``, ``Date: 2016-02-12``, ``**Status:** Accepted`` or ``**Date**: ...`` lines."""
    if ":" not in line:
        return None
    stripped = line.strip()
    bullet = ""
    match = LIST_ITEM_RE.match(stripped)
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
        if colon <= 0 or stripped.startswith("//", colon + 1):
            return None  # (``See https://example.org/x``: a URL's scheme, not a label)
        label, value = stripped[:colon], stripped[colon + 1 :]
    label = label.strip()
    words = label.split()
    if not 1 <= len(words) <= 4 or len(label) > 40 or not all(is_word(w) for w in words):
        return None
    key = fm_key(label)
    return KeyValue(LABEL_ALIASES.get(key, key), label, value.strip(), bold, bullet)


# Where one ``Label: value`` pair of a line may end and the next begin: a ``|`` after an even number of
# backslashes, as GFM splits a table row (``\|`` is text, ``\\|`` a backslash and then a ``|``). The regex finds
# a backslash pair (``\\``, ``\|``) or a bare ``|``, so that a ``|`` found alone is never escaped.
_ESCAPE_OR_PIPE_RE = re.compile(r"\\[\\|]|\|")


def split_pipes(text: str) -> list[str]:
    """``text`` cut at every unescaped ``|`` (the pieces keep their escapes)."""
    pieces: list[str] = []
    begin = 0
    for match in _ESCAPE_OR_PIPE_RE.finditer(text):
        if match.group() == "|":
            pieces.append(text[begin : match.start()])
            begin = match.end()
    pieces.append(text[begin:])
    return pieces


def unescape_pipes(text: str) -> str:
    r"""``text`` with every escaped ``\|`` written as ``|``; every other backslash (``\\``, ``\*``) as written."""
    if "\\|" not in text:
        return text
    return _ESCAPE_OR_PIPE_RE.sub(lambda m: "|" if m.group() == "\\|" else m.group(), text)


def key_values(line: str) -> list[KeyValue]:
    r"""The ``Label: value`` pairs of a line: the one ``key_value`` reads, or several separated by ``|`` on one line
    (``**Status:** Accepted | **Date:** 2026-09-11``, ``Status: Accepted | Date: 2026-09-11``). A ``|`` starts
    another pair only when a label follows it: a bold one, or a plain one of ``INLINE_LABELS``; any other ``|``
    stays in the value (``**Deciders:** a | b``), and so does an escaped ``\|`` (a ``|`` after an odd number of
    backslashes), which every value holds as ``|`` (``team a \| b`` is ``team a | b``; no other escape is
    undone). Every pair has the line's list bullet."""
    first = key_value(line)
    if first is None:
        return []
    if "|" not in first.value:
        return [first]
    pieces = split_pipes(first.value)
    found = [first]
    values = [pieces[0]]
    for piece in pieces[1:]:
        kv = key_value(piece)
        if kv is not None and not kv.bullet and (kv.bold or kv.key in INLINE_LABELS):
            found.append(kv)
            values.append(kv.value + piece[len(piece.rstrip()) :])  # the value as written, up to the next "|"
        else:
            values[-1] += "|" + piece
    if len(found) == 1:
        return [replace(first, value=unescape_pipes(first.value))]
    return [replace(kv, value=unescape_pipes(value.strip()), bullet=first.bullet)
            for kv, value in zip(found, values, strict=True)]


_DELIMITER_CELL_RE = re.compile(r":?-+:?")


def table_cells(line: str) -> list[str] | None:
    """The cells of a Markdown table row written with a leading ``|`` (``| Status | Accepted |``), stripped, escapes
    kept; None for any other line."""
    text = line.strip()
    if not text.startswith("|"):
        return None
    pieces = split_pipes(text[1:])
    if len(pieces) > 1 and not pieces[-1].strip():
        pieces.pop()  # after the closing "|"
    return [piece.strip() for piece in pieces]


def is_delimiter_row(cells: list[str]) -> bool:
    """A table's delimiter row: ``|---|:---:|``."""
    return bool(cells) and all(_DELIMITER_CELL_RE.fullmatch(cell) for cell in cells)


def table_pair(cells: list[str]) -> KeyValue | None:
    """A row of a two-column key table as the ``Label: value`` pair it stands for (``| Status | Accepted |``,
    ``| **Date:** | 2021-02-03 |``), with the bullet ``|``; None when its first cell is no label."""
    if len(cells) != 2:
        return None
    label = cells[0].replace(":**", "**").replace(":__", "__").rstrip(":").strip()
    if not label or ":" in label:
        return None
    kv = key_value(f"{label}: {cells[1]}")
    if kv is None or kv.bullet:
        return None
    return replace(kv, value=unescape_pipes(kv.value), bullet="|")


_LOOSE_RE = re.compile(
    rf"(?:[-*+][ \t]+)?(\*\*|__)?({'|'.join(sorted(LOOSE_LABELS))})(?:\*\*|__)?[ \t]+([^:\s].*)", re.IGNORECASE
)


def loose_key_value(line: str) -> KeyValue | None:
    """``Status Accepted`` / ``Date 09/04/2018``: a label without its colon, accepted only when the value reads as
    a status word or a date (``Date of the meeting was...`` is prose)."""
    match = _LOOSE_RE.fullmatch(line.strip())
    if match is None:
        return None
    label, value = match.group(2), match.group(3).strip()
    key = label.casefold()
    if key == "status" and STATUS_WORDS.get(status_word(value) or "") is None:
        return None
    if key == "date" and read_date(value).problem == "missing":
        return None
    return KeyValue(key, label, value, match.group(1) is not None, "")


def is_word(word: str) -> bool:
    return word.replace("-", "").replace("'", "").replace("_", "").isalpha()


def status_text(raw: str) -> str:
    """A status as it reads: struck-out text (``~~Proposed~~ Accepted``) and ``:shortcode:`` emoji blanked out,
    each by as many spaces, so that a position in the result is one in ``raw``."""
    blank = _blank
    return _SHORTCODE_RE.sub(blank, _STRUCK_RE.sub(blank, raw))


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def status_start(raw: str) -> int | None:
    """Where the first word of a status starts in ``raw`` (None without one): what comes before it — emoji, a
    date (``2020-03-04 Superseded by ..``), struck-out text — is no part of the status."""
    match = _WORD_RE.search(status_text(raw))
    return match.start() if match else None


def status_word(raw: str) -> str | None:
    """The first word of a status, lower-case: emoji, ``:shortcode:`` emoji, struck-out text (``~~Proposed~~``),
    digits and punctuation are skipped."""
    start = status_start(raw)
    match = None if start is None else _WORD_RE.match(raw, start)
    return match.group(0).casefold() if match else None


# What a role says when it names no one (MADR 3/4 front matter keeps its keys: ``consulted: none``, ``informed: -``).
_NOBODY = frozenset({"none", "n/a", "-", "–", "—", "nobody", "no one", "no", "false"})


def names_nobody(text: str) -> bool:
    """Whether a stakeholder "name" says that there is no one (``none``, ``n/a``, ``-``, ``nobody``, ``no``)."""
    return text.strip().casefold() in _NOBODY


def name_list(value: str) -> list[str]:
    """Stakeholder names from ``a, b`` text; ``none``, ``n/a``, ``-`` … name no one (``names_nobody``)."""
    parts = (part.strip() for part in value.replace(";", ",").split(","))
    return [part for part in parts if part and not names_nobody(part)]


def tag_list(value: str) -> list[str]:
    """Tags from comma/space separated text (Log4brains writes ``Tags: a b``)."""
    return [part for part in value.replace(",", " ").split() if part]


def shape(value: Any) -> str | None:
    """``"a list"`` / ``"a mapping"`` for a front matter value that is not a single value (None for one that is)."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "a list"
    return None


def front_matter_list(
    value: Any, split: Callable[[str], list[str]], what: str, skip: Callable[[str], bool] = lambda _: False
) -> tuple[list[str], list[str]]:
    """The texts of a front matter list of names or tags, and what was wrong with it (for warnings).

    A string is ``split`` (``name_list``, ``tag_list``); a YAML list (or ``!!set``) gives its items, numbers and dates
    as written-out text. A mapping, and items that are lists or mappings, name nothing: they are said and left out,
    never stored as Python text (``"['a', 'b']"``)."""
    if value is None:
        return [], []
    if isinstance(value, str):
        return split(value), []
    if isinstance(value, Mapping):
        return [], [f"front matter {what} must be a list or a text, got a mapping; ignored"]
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=repr)
    items = value if isinstance(value, (list, tuple)) else [value]
    texts: list[str] = []
    problems: list[str] = []
    for number, item in enumerate(items, start=1):
        kind = shape(item)
        if kind is not None:
            problems.append(f"front matter {what}: item {number} is {kind}, not a text; ignored")
        elif item is not None:
            text = str(json_value(item)).strip()
            if text and not skip(text):  # (``skip``: an item that names no one, ``names_nobody``)
                texts.append(text)
    return texts, problems


def unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def warning(path: str, line: int, message: str) -> Diagnostic:
    """A warning about the whole line ``line``: column 1, as every other parser's and the engine's whole-line
    findings (0 is "unknown", which an editor cannot jump to)."""
    return Diagnostic(path, line, 1, message, "warning")
