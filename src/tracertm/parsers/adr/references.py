"""References from one ADR to others: Markdown links to ADR files, bare ``ADR-NNNN`` ids, relation lines."""

from __future__ import annotations

import re
from typing import Any

from tracertm.parsers.adr.identity import adr_number, file_identity, normalise_id
from tracertm.parsers.adr.markdown import strip_list_marker
from tracertm.parsers.adr.values import is_word, unique

LINK_RE = re.compile(r"\[([^\[\]\n]{0,500})\]\(([^()\s]{1,1000})(?:[ \t]+\"[^\"\n]{0,300}\")?\)")
ADR_ID_RE = re.compile(r"(?<![A-Za-z0-9])ADR[-_]?(\d{1,12})(?!\d)", re.IGNORECASE)


def link_target(label: str, href: str) -> str | None:
    """The ADR a Markdown link points to: a sibling ``.md`` file by its file-name identity, or an id label."""
    base = href.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if base.casefold().endswith((".md", ".markdown")):
        return file_identity(base).identifier
    match = ADR_ID_RE.search(label)
    return adr_number(match.group(1)) if match else None


def adr_targets(text: str) -> list[str]:
    """ADR targets in ``text``, in order: links to sibling ADR files and bare ``ADR-NNNN`` ids."""
    found: list[tuple[int, str]] = []
    masked = list(text)
    for match in LINK_RE.finditer(text):
        target = link_target(match.group(1), match.group(2))
        if target:
            found.append((match.start(), target))
        masked[match.start() : match.end()] = " " * (match.end() - match.start())
    for match in ADR_ID_RE.finditer("".join(masked)):
        found.append((match.start(), adr_number(match.group(1))))
    return unique(target for _, target in sorted(found))


def relation_line(line: str) -> tuple[str, list[str]] | None:
    """``Superceded by [3. X](0003-x.md)`` / ``- Refined by [..](..)`` / ``Amends ADR-0002`` → (relation, targets)."""
    if "[" not in line and "adr" not in line.casefold():
        return None
    text = strip_list_marker(line).replace("**", "").replace("__", "").strip()
    bracket = text.find("[")
    id_match = ADR_ID_RE.search(text)
    positions = [p for p in (bracket, id_match.start() if id_match else -1) if p > 0]
    if not positions:
        return None
    first = min(positions)
    words = text[:first].strip().rstrip(":").split()
    if not 1 <= len(words) <= 4 or not all(is_word(w) for w in words):
        return None
    targets = adr_targets(text[first:])
    return (" ".join(w.casefold() for w in words), targets) if targets else None


def normalise_adr_ref(value: Any) -> str | None:
    """A front matter reference to another ADR: a number, ``ADR-7``, a link or a file name."""
    if isinstance(value, str):
        targets = adr_targets(value)
        if targets:
            return targets[0]
        text = value.strip()
        if text.casefold().endswith(".md"):
            return file_identity(text).identifier
        return normalise_id(text) if text and text.casefold() not in ("n/a", "none", "-") else None
    return normalise_id(value)
