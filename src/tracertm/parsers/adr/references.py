"""References from one ADR to others: Markdown links to ADR files, bare ``ADR-NNNN`` ids, relation lines."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from tracertm.parsers.adr.identity import ID_SLUG, adr_number, file_identity, normalise_id
from tracertm.parsers.adr.markdown import link_label, strip_list_marker
from tracertm.parsers.adr.values import is_word, unique

LINK_RE = re.compile(r"\[([^\[\]\n]{0,500})\]\(([^()\s]{1,1000})(?:[ \t]+\"[^\"\n]{0,300}\")?\)")
# A reference-style link: ``[text][label]``, ``[label][]`` or ``[label]`` (group 2 None), a link only when its label
# is defined (``markdown.Body.definitions``); inline links are masked before it is looked for.
_REFERENCE_LINK_RE = re.compile(r"\[([^\[\]\n]{1,500})\](?:\[([^\[\]\n]{0,500})\])?")
# ``ADR-7``, ``ADR-0007``, and an id with a slug (``ADR-0001-use-x``, group 2 the slug): see ``id_target``.
ADR_ID_RE = re.compile(rf"(?<![A-Za-z0-9])ADR[-_]?(\d{{1,12}})(?!\d)({ID_SLUG})?", re.IGNORECASE | re.ASCII)
# What makes an id with a slug the name of a file or folder (``ADR-0001-use-x.md``, ``ADR-0007-use-kafka/``).
_PATH_AFTER_RE = re.compile(r"\.(?:md|markdown)(?![A-Za-z0-9])|/", re.IGNORECASE)
# What is never a reference to this repository's ADRs: code spans, and URLs (autolinks, bare, link targets).
_CODE_SPAN_RE = re.compile(r"(`{1,3})[^`\n]{1,2000}?\1")
_AUTOLINK_RE = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]{0,2000}>")
_BARE_URL_RE = re.compile(r"(?<![\w/])(?:[A-Za-z][A-Za-z0-9+.-]{1,31}://|www\.)[^\s<>()\[\]]{1,2000}")
_SCHEME_RE = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:|//)")


class Reference(NamedTuple):
    """One reference to another ADR: the offset in the text where it is written, its id, and whether it counts in
    prose (an id, or a link to a numbered or dated ADR file — not a link to ``../README.md``)."""

    offset: int
    target: str
    in_prose: bool = True


def is_external(href: str) -> bool:
    """A link to another site or repository (``https://...``, ``mailto:``, ``//host/...``), not a file here."""
    return _SCHEME_RE.match(href) is not None


def id_target(match: re.Match[str]) -> str:
    """The ADR an ``ADR_ID_RE`` match names. ``ADR-7`` is ``ADR-0007``. An id with a slug (``ADR-0001-use-x``) is
    that id as written, the way ``identity.normalise_id`` keeps a front matter id: a record with that id, not
    ADR-0001. Followed by ``.md`` or ``/`` it is the name of an ADR file (``ADR-0001-use-x.md``), which gives
    its number (``identity.file_identity``)."""
    if match.group(2) and _PATH_AFTER_RE.match(match.string, match.end()) is None:
        return normalise_id(match.group(0)) or match.group(0)
    return adr_number(match.group(1))


def _link_reference(label: str, href: str) -> tuple[str, bool] | None:
    """(target, counts in prose) for a Markdown link, or None when it points to no ADR of this repository."""
    if is_external(href):
        return None
    # A link's backslashes are slashes, as browsers and GitHub read them (``..\adr\0001-x.md``); a file's own
    # name keeps its backslashes (``file_identity``).
    target = href.replace("\\", "/").split("#", 1)[0].split("?", 1)[0].rstrip("/")
    if target.casefold().endswith((".md", ".markdown")):
        identity = file_identity(target)
        return identity.identifier, identity.numbered or identity.date is not None
    match = ADR_ID_RE.search(label)
    return (id_target(match), True) if match else None


def link_target(label: str, href: str) -> str | None:
    """The ADR a relative Markdown link points to: the linked ``.md`` file's identity (``0007-x.md``,
    ``../0007-x/README.md``), else an ``ADR-NNNN`` label. External links point to no ADR of this repository."""
    found = _link_reference(label, href)
    return found[0] if found else None


def _spaces(match: re.Match[str]) -> str:
    return " " * (match.end() - match.start())


def find_references(text: str, definitions: Mapping[str, str] | None = None) -> list[Reference]:
    """References in ``text`` in order: relative links to ADR files and bare ``ADR-NNNN`` ids (with their slug, if
    any: ``id_target``) — not inside code spans, URLs or links to other sites. A reference-style link
    (``[Use Kafka][kafka]``) is a link to where ``definitions`` (the file's, by ``markdown.link_label``) say.
    Offsets are those of ``text`` (masking keeps every length)."""
    if "](" not in text and "adr" not in text.casefold() and not (definitions and "]" in text):
        return []  # the common case, cheaply
    masked = text
    if "`" in masked:
        masked = _CODE_SPAN_RE.sub(_spaces, masked)
    if "<" in masked:
        masked = _AUTOLINK_RE.sub(_spaces, masked)
    found: list[Reference] = []
    if "](" in masked:
        for match in LINK_RE.finditer(masked):
            link = _link_reference(match.group(1), match.group(2))
            if link is not None:
                found.append(Reference(match.start(), *link))
        masked = LINK_RE.sub(_spaces, masked)
    if definitions and "]" in masked:
        masked = _reference_links(masked, definitions, found)
    if "://" in masked or "www." in masked:
        masked = _BARE_URL_RE.sub(_spaces, masked)
    found.extend(Reference(match.start(), id_target(match)) for match in ADR_ID_RE.finditer(masked))
    found.sort()
    return found


def _reference_links(masked: str, definitions: Mapping[str, str], found: list[Reference]) -> str:
    """``masked`` with its defined reference-style links blanked, their references added to ``found``. An undefined
    label is no link, as for a Markdown reader: its text stays, to be read for ``ADR-NNNN`` ids."""

    def blank(match: re.Match[str]) -> str:
        text, label = match.group(1), match.group(2)
        destination = definitions.get(link_label(label if label and label.strip() else text))
        if destination is None:
            return match.group(0)
        link = _link_reference(text, destination)
        if link is not None:
            found.append(Reference(match.start(), *link))
        return _spaces(match)  # a link elsewhere too: its text names no ADR of this repository

    return _REFERENCE_LINK_RE.sub(blank, masked)


def adr_targets(text: str, definitions: Mapping[str, str] | None = None) -> list[str]:
    """ADR targets in ``text``, in order, each once (see ``find_references``)."""
    return unique(reference.target for reference in find_references(text, definitions))


def _relation_text(line: str) -> tuple[str, int] | None:
    """A line's text without its list marker and emphasis, and where its first link or ADR id starts (None: none
    after some words)."""
    text = strip_list_marker(line).replace("**", "").replace("__", "").strip()
    bracket = text.find("[")
    id_match = ADR_ID_RE.search(text)
    positions = [p for p in (bracket, id_match.start() if id_match else -1) if p > 0]
    return (text, min(positions)) if positions else None


def relation_line(line: str, definitions: Mapping[str, str] | None = None) -> tuple[str, list[str]] | None:
    """``Superceded by [3. X](0003-x.md)``, ``- Refined by [..](..)``, ``Amends ADR-0002`` → (relation, targets)."""
    if "[" not in line and "adr" not in line.casefold():
        return None
    found = _relation_text(line)
    if found is None:
        return None
    text, first = found
    words = text[:first].strip().rstrip(":").split()
    if not 1 <= len(words) <= 4 or not all(is_word(w) for w in words):
        return None
    targets = adr_targets(text[first:], definitions)
    return (" ".join(w.casefold() for w in words), targets) if targets else None


# A link of any form (``[t](u)``, ``[t](u "title")``, ``[t][label]``, ``[label]``): masked to count a line's words.
_ANY_LINK_RE = re.compile(r"\[[^\[\]\n]*\](?:\([^()\n]*\)|\[[^\[\]\n]*\])?")


def says_more(line: str) -> bool:
    """Whether a relation line (``relation_line``) says more than its relation: prose after its references (``As
    mentioned in [x](x.md), we want the core API well-tested …``), which stays in the ADR's text; a few words
    (``and``, ``on 2021-03-04``, ``(partly)``) do not count."""
    found = _relation_text(line)
    if found is None:
        return False
    text, first = found
    rest = ADR_ID_RE.sub(" ", _ANY_LINK_RE.sub(" ", text[first:]))
    return len(re.findall(r"[^\W\d_]{2,}", rest)) > 3


def normalise_adr_ref(value: Any) -> str | None:
    """A front matter reference to another ADR: a number, ``ADR-7``, a link or a file name."""
    if isinstance(value, str):
        targets = adr_targets(value)
        if targets:
            return targets[0]
        text = value.strip()
        if is_external(text):
            return None  # an ADR of another repository
        if text.casefold().endswith(".md"):
            return file_identity(text).identifier
        return normalise_id(text) if text and text.casefold() not in ("n/a", "none", "-") else None
    return normalise_id(value)
