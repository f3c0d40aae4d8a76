"""Decisions over the gathered facts: which status, date, identity and title win, and what adr_metadata keeps.
Every doubt (two sources disagreeing, an unknown word, an unreadable date) is a warning, never a silent guess.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from tracertm.errors import Diagnostic, ParseError
from tracertm.parsers.adr.dialects import ADR_STATUSES, MAPPED_FM_KEYS, RESERVED_METADATA, STATUS_WORDS
from tracertm.parsers.adr.dates import DAY_FIRST, MONTH_FIRST, read_date
from tracertm.parsers.adr.facts import Facts
from tracertm.parsers.adr.frontmatter import FrontMatter, fm_key, json_value
from tracertm.parsers.adr.identity import (
    FOLDER_FILES,
    FileIdentity,
    TitleNumber,
    humanise,
    normalise_id,
    slugged_number,
    title_number,
)
from tracertm.parsers.adr.markdown import Heading
from tracertm.parsers.adr.sections import Sections
from tracertm.parsers.adr.values import shape, status_word, warning
from tracertm.parsers.common import MAX_ID_BYTES, SETTINGS_FILE
from tracertm.parsers.id_search import find_ids
from tracertm.parsers.records import ParserOptions


def resolve_status(facts: Facts, has_successor: bool) -> tuple[str, str | None]:
    """(status, raw_status) from the declarations, first one winning; every doubt is a warning."""
    path = facts.path
    if not facts.statuses:
        if has_successor:
            return "superseded", None
        facts.warnings.append(warning(path, 1, "no status found; treating the ADR as 'proposed' (add a Status)"))
        return "proposed", None
    first = facts.statuses[0]
    raw = str(first.raw).strip()
    word = status_word(raw)
    status = STATUS_WORDS.get(word or "")
    if status is None:
        facts.warnings.append(
            warning(
                path,
                first.line,
                f"unknown status {raw!r} in {first.source}; treating it as 'proposed' "
                f"(known: {', '.join(ADR_STATUSES)})",
            )
        )
        status = "proposed"
    chosen = STATUS_WORDS.get(word or "", word)
    for other in facts.statuses[1:]:
        other_word = status_word(str(other.raw))
        if STATUS_WORDS.get(other_word or "", other_word) != chosen:
            facts.warnings.append(
                warning(
                    path,
                    other.line,
                    f"status {str(other.raw).strip()!r} in {other.source} disagrees with {raw!r} in "
                    f"{first.source} (line {first.line}); using {status!r}",
                )
            )
    if has_successor and status != "superseded":
        facts.warnings.append(
            warning(path, first.line, f"status {raw!r} but the ADR names a successor; using 'superseded'")
        )
        status = "superseded"
    return status, raw


def resolve_date(facts: Facts, fallback: dt.date | None, date_format: str | None) -> dt.date | None:
    """The first readable declared date; an ambiguous or unreadable one is a warning naming its line. A date with
    an impossible time (``2018-01-01 25:00:00``) anywhere is an error of the file: its records are not replaced."""
    readings = [(declared, read_date(declared.raw, date_format)) for declared in facts.dates]
    for declared, reading in readings:
        if reading.problem == "impossible-time":
            raw = str(json_value(declared.raw))
            raise ParseError(
                facts.path, declared.line, 1,
                f"date {raw!r} in {declared.source} has an impossible time {reading.time!r}; write a real time "
                "(hours 00-23, minutes and seconds 00-59, a zone offset under 24 hours) or only the date, YYYY-MM-DD",
            )
    for declared, reading in readings:
        if reading.date is not None:
            return reading.date
        raw = str(json_value(declared.raw))
        if reading.problem == "ambiguous":
            message = (
                f"ambiguous date {raw!r} in {declared.source}: day/month or month/day? Write it as YYYY-MM-DD, "
                f'or set date_format = "{DAY_FIRST}" (or "{MONTH_FIRST}") in {SETTINGS_FILE}'
            )
        else:
            message = f"cannot read date {raw!r} in {declared.source}; use YYYY-MM-DD"
        facts.warnings.append(warning(facts.path, declared.line, message))
    return fallback


def resolve_identity(fm: FrontMatter, file_id: FileIdentity, h1: TitleNumber | None, facts: Facts) -> str:
    """Front matter ``id``/``number``; else the number of the file (or folder) name; else the H1's number
    (``# 23 Logging`` in ``logging.md``); else the slug."""
    for name in ("id", "number"):
        found = fm.get(name)
        if found is None:
            continue
        identifier = normalise_id(found[0])
        if identifier is not None:
            size = len(identifier.encode("utf-8"))
            if size > MAX_ID_BYTES:  # reported here, at the key, not at the H1 (``common.check_identities``)
                raise ParseError(
                    facts.path, found[1], 1,
                    f"front matter {name} is {size} bytes long, over the {MAX_ID_BYTES}-byte limit for ids; "
                    f"shorten it to an ADR id such as ADR-0007",
                )
            return identifier
        facts.warnings.append(
            warning(facts.path, found[1], f"front matter {name} {found[0]!r} is not a usable ADR id; ignoring it")
        )
    if not file_id.numbered and file_id.date is None and h1 is not None and h1.number is not None:
        return h1.number
    if file_id.identifier:
        return file_id.identifier
    raise ParseError(facts.path, 1, 0, "cannot derive an ADR id from the file name; name it like 0001-title.md")


def requirements(path: str, text: str, options: ParserOptions) -> list[str]:
    try:
        pattern = re.compile(options.requirement_pattern)
    except re.error as exc:
        raise ParseError(path, 0, 0, f"invalid requirement_pattern {options.requirement_pattern!r}: {exc}") from None
    return sorted({found for found in find_ids(pattern, text) if found})


def title_of(fm: FrontMatter, h1: Heading | None, number: str, file_id: FileIdentity) -> str:
    """Front matter ``title``; else the H1 without its number prefix; else the humanised slug.

    A number prefix (``# 7. Seven``, ``# ADR-0009: Nine``, ``# 2 Pizza teams``) is only taken off when it is the
    ADR's own number: any other number is part of what the author wrote and stays in the title
    (``heading_number_warning`` says so when it reads as a number prefix).
    """
    found = fm.get("title")
    # A list or mapping is no title (``facts.read_front_matter`` says so).
    title = str(json_value(found[0])).strip() if found is not None and shape(found[0]) is None else ""
    if not title and h1 is not None:
        split = title_number(h1.title)
        title = split.words if split.number is not None and _own_number(split.number, number) else h1.title
    return title or humanise(file_id.slug)


def heading_number_warning(
    h1: Heading | None, number: str, fm: FrontMatter, file_id: FileIdentity, path: str, line: int
) -> Diagnostic | None:
    """A warning when the H1's number prefix (``# 7. Seven``, ``# ADR-0009: Nine``) is not the ADR's own number
    ``number`` (which the front matter ``id`` or the file name gave): which one is meant cannot be told, so the
    identity stays ``number``, the heading keeps its number (``title_of``) and the author is told. A bare leading
    number that is not the ADR's (``# 2 Pizza teams``) reads as part of the title and is no warning."""
    if h1 is None or not number:
        return None
    split = title_number(h1.title)
    if split.number is None or split.bare or _own_number(split.number, number):
        return None
    if _front_matter_id(fm) == number:
        source = "its front matter id"
    elif number == file_id.identifier and path.rsplit("/", 1)[-1].rsplit(".", 1)[0].casefold() in FOLDER_FILES:
        source = "its folder's name"
    else:
        source = "its file name"
    return warning(
        path,
        line,
        f"the heading's number {split.number} differs from this ADR's id {number} (from {source}); the id stays "
        f"{number} and the heading keeps its number in the title (renumber the heading, or change the id)",
    )


def _own_number(heading_number: str, number: str) -> bool:
    """Whether an H1's number is the ADR's own: its id, or the number its id starts with (``# ADR-0001: Use X``
    with the front matter ``id: ADR-0001-use-x``)."""
    return heading_number in (number, slugged_number(number))


def _front_matter_id(fm: FrontMatter) -> str | None:
    for name in ("id", "number"):
        found = fm.get(name)
        identifier = normalise_id(found[0]) if found is not None else None
        if identifier is not None:
            return identifier
    return None


def build_metadata(fm: FrontMatter, facts: Facts, mapped: Sections, preamble: str, own: str) -> dict[str, Any]:
    """adr_metadata without the computed keys: unmapped front matter keys, kept sections, links and extras."""
    metadata: dict[str, Any] = {}
    for key, value in fm.values.items():
        if fm_key(key) not in MAPPED_FM_KEYS:
            metadata[f"front_matter:{key}" if key in RESERVED_METADATA else key] = json_value(value)
    metadata["sections"] = mapped.other
    metadata["links"] = unique_links(facts.links, own)
    if facts.attributes:
        metadata["attributes"] = facts.attributes
    if preamble:
        metadata["preamble"] = preamble
    if mapped.option_details:
        metadata["options"] = mapped.option_details
    return metadata


def unique_links(links: Sequence[dict[str, str]], own: str) -> list[dict[str, str]]:
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, str]] = []
    for link in links:
        key = (link["relation"], link["target"])
        if key not in seen and link["target"] != own:
            seen.add(key)
            out.append(link)
    return out
