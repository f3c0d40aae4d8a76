"""What links a record's fields name: ``derive``, pure — a record's git-owned fields in, its outgoing links out.

``engine.links`` keeps them in the ``links`` table; a backfill's replay (``history.births``) derives them commit by
commit with the same function.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from tracertm.kinds import NUMBER_COLUMN
from tracertm.models import LinkType
from tracertm.parsers.common import mention_ids, tag_adr_id
from tracertm.parsers.id_search import DEFAULT_REQUIREMENT_PATTERN, find_ids
from tracertm.parsers.records import ParserOptions

__all__ = ["MAX_REF", "LinkSpec", "derive"]

MAX_REF = 255


class LinkSpec(NamedTuple):
    """One outgoing link of a record, as the files say it."""

    link_type: str
    target_kind: str
    target_ref: str


@lru_cache(maxsize=8)
def _requirement_re(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # the parsers report a bad pattern on every file; links just find no requirement
        return None


def _collect_strings(value: Any, out: list[str]) -> None:
    """Every string in ``value`` (nested mappings, lists and tuples), depth first, appended to ``out``."""
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, Mapping):
        _collect_from(value.values(), out)
    elif isinstance(value, (list, tuple)):
        _collect_from(value, out)


_NO_STRINGS = frozenset({int, float, bool, type(None)})


def _collect_from(values: Iterable[Any], out: list[str]) -> None:
    """``_collect_strings`` of each of ``values``, in order. The plain types (what the parsers give) are handled here
    without a call per value: a contract's fields are a few hundred small values, and a call for each was most of
    the cost of deriving its links. Anything else (a ``str`` or ``Mapping`` subclass) takes the general path."""
    for v in values:
        t = type(v)
        if t is str:
            out.append(v)
        elif t is dict:
            _collect_from(v.values(), out)
        elif t is list or t is tuple:
            _collect_from(v, out)
        elif t not in _NO_STRINGS:
            _collect_strings(v, out)


def _mentions(text: str | None) -> list[str]:
    return mention_ids(text) if text else []


def _tag_adrs(tags: Iterable[Any]) -> list[str]:
    return [adr for t in tags if isinstance(t, str) and (adr := _tag_adr(t)) is not None]


@lru_cache(maxsize=4096)
def _tag_adr(tag: str) -> str | None:
    """The ADR id a tag names (``@ADR-12``), or None: a scenario inherits its feature's tags, so a first sync asks
    about the same few tags tens of thousands of times."""
    return tag_adr_id(tag.lstrip("@"))


# Requirement patterns whose matches cannot contain a newline and whose only assertions are ``\b``: for them one
# search over texts joined by newlines finds what a search of each text finds, in the same order (as for ADR
# mentions, below). The default pattern is one; any other is searched text by text, line by line (``find_ids``).
_JOINABLE_REQUIREMENT_PATTERNS = frozenset({DEFAULT_REQUIREMENT_PATTERN})


def _add(out: list[LinkSpec], own: str, link_type: str, target_kind: str, refs: Iterable[Any]) -> None:
    """Append a link to each of ``refs`` that is an id (not empty, not the record itself, not longer than any
    identity column: a runaway requirement_pattern, ADR-<500 digits>)."""
    for ref in refs:
        if ref:
            text = ref if type(ref) is str else str(ref)
            if text != own and len(text) <= MAX_REF:
                out.append(LinkSpec(link_type, target_kind, text))


def _relation(fields: Mapping[str, Any], column: str) -> list[Any]:
    """Every ADR an ADR's ``supersedes`` / ``superseded_by`` names: its column holds the first, its metadata all of
    them when there are several (``adr new -s 2 -s 3`` replaces two)."""
    metadata = fields.get("adr_metadata")
    listed = metadata.get(column) if isinstance(metadata, Mapping) else None
    if isinstance(listed, list) and listed:
        return [ref for ref in listed if isinstance(ref, str)]
    return [fields.get(column)]


def derive(kind: str, fields: Mapping[str, Any], options: ParserOptions) -> list[LinkSpec]:
    """The outgoing links of one record (``fields``: its git-owned columns), unique, in a stable order.

    ADR: supersedes / superseded_by / related ADRs, requirements. Feature: ``@ADR-n`` tags and ADR ids in its
    description (``implements``), requirements. Scenario: its own, its Examples blocks', its rule's and its
    feature's ``@ADR-n`` tags and ADR ids in its description, its Rule's and its Examples blocks', requirements.
    Contract: ADR and requirement ids anywhere in its text.
    """
    out: list[LinkSpec] = []
    own = str(fields.get(NUMBER_COLUMN.get(kind, ""), "") or "")
    requirement_re = _requirement_re(options.requirement_pattern)
    if kind == "scenario":  # first: nine records in ten
        metadata = fields.get("scenario_metadata") or {}
        # Its own description, its Rule's and its Examples blocks': the prose a .feature file gives it.
        described = [fields.get("description"), metadata.get("rule_description"),
                     *(block.get("description") for block in fields.get("examples") or () if isinstance(block, dict))]
        description = "\n".join(text for text in described if isinstance(text, str) and text) or None
        examples_tags = [tag for block in fields.get("examples") or () if isinstance(block, dict)
                         for tag in block.get("tags") or ()]
        adrs = _tag_adrs([*(fields.get("tags") or ()), *examples_tags, *(metadata.get("inherited_tags") or ())])
        if description:  # (no description: no mention, no requirement)
            adrs += _mentions(description)
        _add(out, own, LinkType.IMPLEMENTS, "adr", adrs)
        reqs = list(fields.get("requirement_ids") or ())
        if requirement_re is not None and description:
            reqs += find_ids(requirement_re, description)
        _add(out, own, LinkType.COVERS, "requirement", reqs)
    elif kind == "adr":
        supersedes, superseded_by = _relation(fields, "supersedes"), _relation(fields, "superseded_by")
        _add(out, own, LinkType.SUPERSEDES, "adr", supersedes)
        _add(out, own, LinkType.SUPERSEDED_BY, "adr", superseded_by)
        _add(out, own, LinkType.RELATED, "adr",
             [r for r in fields.get("related_adrs") or () if r not in supersedes and r not in superseded_by])
        _add(out, own, LinkType.COVERS, "requirement", fields.get("related_requirements") or ())
    elif kind == "feature":
        _add(out, own, LinkType.IMPLEMENTS, "adr",
             [*(fields.get("related_adrs") or ()), *_mentions(fields.get("description"))])
        reqs = list(fields.get("related_requirements") or ())
        if requirement_re is not None:
            reqs += find_ids(requirement_re, fields.get("description") or "")
        _add(out, own, LinkType.COVERS, "requirement", reqs)
    elif kind == "contract":
        texts: list[str] = []
        for key, value in fields.items():
            if key != "contract_number":
                _collect_strings(value, texts)
        # One search over the texts joined by newlines finds what a search of each text finds, in the same order:
        # a mention (``ADR``, ``-``, digits) cannot contain a newline, and a newline is a word boundary just as
        # the end of a text is. (The requirement pattern is the user's: searched text by text unless it is one
        # known to be joinable the same way.)
        joined = "\n".join(texts)
        _add(out, own, LinkType.IMPLEMENTS, "adr", _mentions(joined))
        if requirement_re is not None:
            if options.requirement_pattern in _JOINABLE_REQUIREMENT_PATTERNS:
                reqs = [m.group(0) for m in requirement_re.finditer(joined)]
            else:
                reqs = [found for t in texts for found in find_ids(requirement_re, t)]
            _add(out, own, LinkType.COVERS, "requirement", reqs)
    return list(dict.fromkeys(out))
