"""An ADR's identity and title words: ``ADR-NNNN`` from file and folder names, front matter ids and H1 prefixes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

ADR_ID_FULL_RE = re.compile(r"ADR[-_ ]?(\d{1,12})", re.IGNORECASE | re.ASCII)
_FILE_NUMBER_RE = re.compile(r"(adr[-_ ]?)?(\d{1,12})(?![0-9])[-_ .]*(.*)", re.IGNORECASE | re.DOTALL | re.ASCII)
_TITLE_NUMBER_RE = re.compile(r"(ADR[-_ ]?)?\d{1,12}(?!\d)", re.IGNORECASE | re.ASCII)
# The slug an ADR id may carry after its number (``ADR-0001-use-x``: some projects write their front matter ids so).
# Words of letters and digits joined by ``-`` or ``_``, the first one starting with a letter (``ADR-0001-0003`` is a
# range, not an id) and none of them starting another ADR id (``ADR-0001-ADR-0002``). Such an id is one id, kept as
# written (``normalise_id``), never cut to its number.
ID_SLUG = r"(?:[-_](?!ADR[-_]?\d)[A-Za-z][A-Za-z0-9]*(?:[-_](?!ADR[-_]?\d)[A-Za-z0-9]+)*)"
_SLUGGED_ID_RE = re.compile(rf"ADR[-_]?(\d{{1,12}}){ID_SLUG}", re.IGNORECASE | re.ASCII)


def adr_number(digits: str) -> str:
    """``0007`` / ``7`` → ``ADR-0007``; more than four significant digits are kept."""
    return "ADR-" + (digits.lstrip("0") or "0").zfill(4)


@dataclass(frozen=True)
class FileIdentity:
    identifier: str  # ADR-NNNN or the slug
    slug: str
    date: dt.date | None  # from a Log4brains yyyymmdd- prefix
    numbered: bool = False  # the identifier is a number from the name (not a slug)


# File names that stand for their folder: folder-per-ADR layouts (``decisions/0007-use-kafka/README.md``,
# ``examples/<slug>/index.md``) take number and slug from the folder name.
FOLDER_FILES = frozenset({"readme", "index"})


@lru_cache(maxsize=4096)  # links name the same few files again and again
def file_identity(path: str) -> FileIdentity:
    """Identity from a file name: ``0001-x.md``, ``ADR-0001-x.md``, ``adr013-x.md``, ``20200924-slug.md``, ``x.md``;
    for ``README.md`` / ``index.md``, from the folder holding it (``0007-use-kafka/README.md``). ``path`` is git's:
    ``/`` separates its folders, and a backslash is part of a name (``0012-queue\\notes.md`` is one file, not a
    file ``notes.md`` in a folder: read so, two such files claimed the id ``notes``)."""
    parts = path.strip("/").split("/")
    name = parts[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    if stem.casefold() in FOLDER_FILES and len(parts) > 1 and parts[-2] not in ("", ".", ".."):
        stem = parts[-2]
    match = _FILE_NUMBER_RE.fullmatch(stem)
    if match:
        prefix, digits, rest = match.group(1), match.group(2), match.group(3).strip()
        date = _yyyymmdd(digits) if prefix is None and rest else None
        if date is not None:
            # Log4brains: an 8-digit date prefix is not an ADR number; the slug is the identifier.
            return FileIdentity(rest, rest, date)
        return FileIdentity(adr_number(digits), rest or stem, None, numbered=True)
    return FileIdentity(stem, stem, None)


def _yyyymmdd(digits: str) -> dt.date | None:
    if len(digits) != 8:
        return None
    try:
        date = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
    return date if 1970 <= date.year <= 2999 else None


def humanise(slug: str) -> str:
    words = slug.replace("-", " ").replace("_", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def normalise_id(value: Any) -> str | None:
    """A front matter ``id``/``number`` as an identifier, or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return adr_number(str(value)) if 0 <= value < 10**12 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or "\n" in text:
        return None
    if text.isascii() and text.isdigit() and len(text) <= 12:
        return adr_number(text)
    match = ADR_ID_FULL_RE.fullmatch(text)
    return adr_number(match.group(1)) if match else text


def slugged_number(identifier: str) -> str | None:
    """The number an id with a slug starts with (``ADR-0001-use-x`` → ``ADR-0001``); None for any other id. An H1
    numbered so (``# ADR-0001: Use X``) is numbered with the ADR's own number."""
    match = _SLUGGED_ID_RE.fullmatch(identifier)
    return adr_number(match.group(1)) if match else None


class TitleNumber(NamedTuple):
    """An H1 split into its ADR number and its words; ``bare``: written ``23 Logging`` (no ``.``/``:``/``ADR``)."""

    number: str | None
    words: str
    bare: bool = False


def title_number(title: str) -> TitleNumber:
    """Split an H1: ``1. Record decisions``, ``23 Logging``, ``ADR 23: Logging``, ``ADR-023 - Logging`` give
    ``ADR-0001`` / ``ADR-0023`` and the words after the number. Without a number prefix: (None, the H1)."""
    match = _TITLE_NUMBER_RE.match(title)
    if not match:
        return TitleNumber(None, title)
    rest = title[match.end() :]
    after = rest.lstrip(" \t")
    bare = False
    if after[:1] and after[0] in ".:)–—-":
        after = after[1:]
        if match.group(1) is None and after[:1] not in ("", " ", "\t"):
            return TitleNumber(None, title)  # "1.5x faster" is a title, not a number prefix
    elif rest[:1] not in (" ", "\t"):
        return TitleNumber(None, title)  # "2xx responses"
    elif match.group(1) is None:
        if not after[:1].isalpha():
            return TitleNumber(None, title)  # "404 / 500 pages"
        bare = True
    stripped = after.strip()
    if not stripped:
        return TitleNumber(None, title)
    return TitleNumber(adr_number("".join(ch for ch in match.group(0) if ch.isdigit())), stripped, bare)
