"""derive.derive of a contract: one search over its joined texts finds exactly what a search of each text found."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Mapping
from typing import Any

from tracertm.engine import derive as links
from tracertm.parsers.common import mention_ids
from tracertm.parsers.records import ParserOptions

_ADR = re.compile(r"\bADR-?([0-9]+)\b", re.IGNORECASE)


def _strings(value: Any) -> Iterator[str]:
    """The walk ``derive`` used before (a generator per level)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _reference(fields: Mapping[str, Any], options: ParserOptions) -> list[links.LinkSpec]:
    """Contract links the way ``derive`` found them before: every text searched on its own."""
    own = str(fields.get("contract_number") or "")
    texts = [s for key, value in fields.items() if key != "contract_number" for s in _strings(value)]
    out = []
    adrs = [adr for t in texts for adr in mention_ids(t)]  # (an id with a slug as written: ``ADR-7-x``)
    lines = (lambda t: [t]) if options.requirement_pattern == ParserOptions().requirement_pattern else _lines
    reqs = [m.group(0) for t in texts for line in lines(t) for m in re.finditer(options.requirement_pattern, line)]
    for link_type, kind, refs in ((links.LinkType.IMPLEMENTS, "adr", adrs), (links.LinkType.COVERS, "requirement", reqs)):
        for ref in refs:
            if ref and ref != own and len(ref) <= links.MAX_REF:
                out.append(links.LinkSpec(link_type, kind, ref))
    return list(dict.fromkeys(out))


def _lines(text: str) -> list[str]:
    """Each line of ``text`` with its line break: a pattern other than the default is searched line by line, each
    line as a text of its own (``parsers.id_search``)."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


_PIECES = ["ADR", "adr", "ADR-", "-", "7", "12", "0003", " ", "\n", "x", "é", "REQ-", "REQ-9", "_", ".", "ADR-1x", ""]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 6)))


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 2 or roll < 0.5:
        return rng.choice([_text(rng), _text(rng), 3, None, True])
    if roll < 0.75:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f"k{i}": _value(rng, depth + 1) for i in range(rng.randint(0, 4))}


def test_contract_links_equal_a_search_of_each_text() -> None:
    rng = random.Random(18)
    options = ParserOptions()
    for _ in range(3000):
        fields = {"contract_number": rng.choice(["CTR-1", "ADR-0007", "REQ-9"]),
                  **{f"f{i}": _value(rng) for i in range(rng.randint(0, 5))}}
        assert links.derive("contract", fields, options) == _reference(fields, options), fields


def test_a_mention_never_spans_two_texts() -> None:
    fields = {"contract_number": "CTR-1", "a": ["see ADR", "-12", "ADR-3", "4 and adr5"], "b": {"c": "ADR-0006"}}
    assert [s.target_ref for s in links.derive("contract", fields, ParserOptions())] == ["ADR-0003", "ADR-0005", "ADR-0006"]


def test_contract_links_with_a_pattern_that_is_not_joinable() -> None:
    """A requirement pattern other than the known joinable ones is searched text by text, and line by line (an
    anchored pattern matches at the start of each line, not only at the start of the joined text)."""
    rng = random.Random(19)
    for pattern in (r"^REQ-\d+$", r"REQ.\d*", r"(?<=\s)REQ-9"):
        options = ParserOptions(requirement_pattern=pattern)
        assert pattern not in links._JOINABLE_REQUIREMENT_PATTERNS
        for _ in range(1000):
            fields = {"contract_number": "CTR-1", **{f"f{i}": _value(rng) for i in range(rng.randint(0, 5))}}
            assert links.derive("contract", fields, options) == _reference(fields, options), (pattern, fields)
    fields = {"contract_number": "CTR-1", "a": ["REQ-1", "x REQ-2", "x\nREQ-4\ny"], "b": "REQ-3"}
    assert [s.target_ref for s in links.derive("contract", fields, ParserOptions(requirement_pattern=r"^REQ-\d+$"))] \
        == ["REQ-1", "REQ-4", "REQ-3"]


def test_the_default_requirement_pattern_is_searched_joined() -> None:
    assert ParserOptions().requirement_pattern in links._JOINABLE_REQUIREMENT_PATTERNS


_TAGS = ["@ADR-7", "ADR-0012", "adr3", "@adr-x", "SC-1", "@REQ-9", "", "ADR-", "@@ADR-4", "ADR-1 ", 5, None]
_DESCRIPTIONS = [None, "", "see ADR-7 and REQ-12", "adr-3, REQ-4 REQ-4", "nothing", "ADR-0007ADR-8"]


def _scenario_reference(fields: Mapping[str, Any], options: ParserOptions) -> list[links.LinkSpec]:
    """A scenario's links the way ``derive`` found them before its fast path (every tag matched, the description
    searched even when empty)."""
    tag_re = re.compile(r"ADR-?([0-9]+)", re.IGNORECASE)
    own = str(fields.get("scenario_number") or "")
    metadata = fields.get("scenario_metadata") or {}
    tags = [*(fields.get("tags") or ()), *(metadata.get("inherited_tags") or ())]
    adrs = [f"ADR-{int(m.group(1)):04d}" for t in tags if isinstance(t, str) and (m := tag_re.fullmatch(t.lstrip("@")))]
    adrs += [f"ADR-{int(m.group(1)):04d}" for m in _ADR.finditer(fields.get("description") or "")]
    reqs = list(fields.get("requirement_ids") or ())
    reqs += [m.group(0) for m in re.finditer(options.requirement_pattern, fields.get("description") or "")]
    out = []
    for link_type, kind, refs in ((links.LinkType.IMPLEMENTS, "adr", adrs), (links.LinkType.COVERS, "requirement", reqs)):
        for ref in refs:
            if ref and str(ref) != own and len(str(ref)) <= links.MAX_REF:
                out.append(links.LinkSpec(link_type, kind, str(ref)))
    return list(dict.fromkeys(out))


def test_scenario_links_equal_the_reference() -> None:
    rng = random.Random(20)
    for pattern in (ParserOptions().requirement_pattern, r"\d*"):
        options = ParserOptions(requirement_pattern=pattern)
        for _ in range(2000):
            fields: dict[str, Any] = {
                "scenario_number": rng.choice(["SC-1", "ADR-0007", "REQ-9"]),
                "tags": rng.sample(_TAGS, rng.randint(0, 4)),
                "description": rng.choice(_DESCRIPTIONS),
                "requirement_ids": rng.sample(["REQ-9", "REQ-1", "", "REQ-1"], rng.randint(0, 3)),
                "scenario_metadata": rng.choice([None, {}, {"inherited_tags": rng.sample(_TAGS, rng.randint(0, 4))}]),
            }
            assert links.derive("scenario", fields, options) == _scenario_reference(fields, options), fields
