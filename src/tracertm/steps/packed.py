"""A scenario's executed steps packed into the JSON of its ``scenario_steps`` row (``tracertm.models.step_link``), and
read back as match rows.

The matching produces rows, one per (step, matching definition) (``Row``); :func:`pack` turns a scenario's
rows into the JSON text of its steps with the definitions left as placeholders, and :func:`fill` puts the
definitions' row ids in. A parse worker packs (its rows name definitions by identity: the rows do not exist yet
there), and the parent only fills: one ``str.format`` per scenario, where building the JSON from the rows in the
parent would cost a Python loop per step there.

The placeholders are exact: the JSON is encoded with every non-ASCII character escaped, so the text holds no brace
but the doubled ones of the data and the ``{}`` put where a definition goes (a definition is first encoded as the
lone surrogate U+DFFF, which no decoded text contains).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from tracertm import jsontext
from tracertm.steps.scenarios import type_key

if TYPE_CHECKING:
    from tracertm.steps.prematch import Verdict
    from tracertm.steps.scenarios import Executed

# One (step, matching definition) of a scenario, as the matching makes it: (definition key or None, position, line,
# row line, keyword, text, status, argument values).
Row = tuple["str | None", int, int, "int | None", str, str, str, "tuple[str | None, ...]"]

_MARK = "\udfff"
_MARK_JSON = '"\\udfff"'
# The workers encode every scenario: the encoder is made once (``jsontext``), not per call.
_dumps: Callable[[Any], str] = jsontext.encoder(separators=(",", ":"))


class Packed(NamedTuple):
    """A scenario's steps as JSON text with a ``{}`` per definition (``refs``, their keys in order; without refs the
    text is the JSON itself), and how many ``defined`` steps name each definition (``usage_count``'s share)."""

    text: str
    refs: tuple[str, ...]
    counts: dict[str, int]


NONE = Packed("[]", (), {})  # a scenario that runs no step (it has no row)


def pack(rows: Iterable[Row]) -> Packed:
    """The packed steps of one scenario's rows (in position order; a step's rows together, candidates in order)."""
    steps: list[tuple[Any, ...]] = []
    refs: list[str] = []
    counts: dict[str, int] = {}
    matches: list[tuple[str, tuple[str | None, ...]]] = []
    last = -1
    for d, position, line, row_line, keyword, text, status, values in rows:
        if position != last:
            matches = []
            steps.append((position, line, row_line, keyword, text, status, matches))
            last = position
        if d is not None:
            matches.append((_MARK, values))
            refs.append(d)
            if status == "defined":
                counts[d] = counts.get(d, 0) + 1
    return _packed(steps, refs, counts)


def _packed(steps: list[tuple[Any, ...]], refs: list[str], counts: dict[str, int]) -> Packed:
    """The ``Packed`` of a scenario's steps as ``pack`` lays them out: (position, line, row line, keyword, text,
    status, matches), each match (``_MARK``, values)."""
    if not steps:
        return NONE
    dumped = _dumps(steps)
    if refs:
        dumped = dumped.replace("{", "{{").replace("}", "}}").replace(_MARK_JSON, '"{}"')
    return Packed(dumped, tuple(refs), counts)


def match_packed(
    steps: Sequence[Executed], index: Any, verdicts: dict[tuple[str, str], Verdict], statuses: dict[str, int]
) -> tuple[Packed, dict[str, int]]:
    """``pack`` of ``prematch.match_steps``'s rows (no lens, definitions named by identity), and its first lines,
    in one pass: the parse workers' matching of a scenario (``prematch.StepMatcher``) without a row tuple per
    (step, definition) built only to be taken apart again — a cold sync packs 130,000 steps. A test holds the two
    equal."""
    from tracertm.steps.prematch import verdict

    out: list[tuple[Any, ...]] = []
    refs: list[str] = []
    counts: dict[str, int] = {}
    first_lines: dict[str, int] = {}
    known_verdict = verdicts.get
    lookup = index.lookup_values
    for position, (line, keyword, kind, text, row_line) in enumerate(steps):
        key = (text, kind if kind.__class__ is str else type_key(kind))
        found = known_verdict(key)
        if found is None:
            found = verdicts[key] = verdict(lookup(text, kind), None)
        first, status, values = found[0]
        matches: Sequence[tuple[str, tuple[str | None, ...]]]
        if len(found) == 1:  # one definition, or none (undefined)
            if first is None:
                matches = ()
            else:
                matches = ((_MARK, values),)
                refs.append(first)
                if status == "defined":
                    counts[first] = counts.get(first, 0) + 1
        else:
            matches = []
            for d, row_status, row_values in found:
                if d is not None:
                    matches.append((_MARK, row_values))
                    refs.append(d)
                    if row_status == "defined":
                        counts[d] = counts.get(d, 0) + 1
        out.append((position, line, row_line, keyword, text, status, matches))
        statuses[status] = statuses.get(status, 0) + 1
        if status == "defined" and first is not None:
            earlier = first_lines.get(first)
            if earlier is None or line < earlier:
                first_lines[first] = line
    return _packed(out, refs, counts), first_lines


def fill(packed: Packed, keys: Mapping[str, str] | None = None) -> str:
    """The JSON text of ``packed`` with its definitions' row ids (32 hex digits): ``keys`` maps its refs to them
    (None: the refs are the ids). A ref missing from ``keys`` raises ``KeyError``."""
    if not packed.refs:
        return packed.text
    if keys is None:
        return packed.text.format(*packed.refs)
    return packed.text.format(*[keys[ref] for ref in packed.refs])


def decoded(steps: Any) -> list[Any]:
    """A row's ``steps`` as a list (the driver may return the JSON text)."""
    if isinstance(steps, str):
        return list(json.loads(steps))
    return list(steps or ())


def defined(steps: Any) -> Iterator[tuple[str, int]]:
    """(definition id as hex digits, line) of each ``defined`` step of a row's ``steps``: a step that one
    definition alone matched (what ``usage_count`` counts and a ``step`` trace link stands for) — or, in a scenario
    that several pytest-bdd test modules run, each module's definition (``steps.pytest_bdd``)."""
    for step in decoded(steps):
        if step[5] == "defined":
            for match in step[6]:
                yield match[0], int(step[1])


class MatchRow(NamedTuple):
    """One (executed step, matching definition) of a scenario, as the rows before migration 0017 had them."""

    scenario_id: uuid.UUID
    step_definition_id: uuid.UUID | None
    position: int
    line: int
    row_line: int | None
    keyword: str
    step_text: str
    status: str
    arguments: list[Any]


def unpack(scenario_id: uuid.UUID, steps: Any) -> Iterator[MatchRow]:
    """The match rows of one scenario's packed ``steps``: a row per candidate of a step, one without a definition
    for an undefined step."""
    for position, line, row_line, keyword, text, status, matches in decoded(steps):
        if not matches:
            yield MatchRow(scenario_id, None, position, line, row_line, keyword, text, status, [])
        for definition, arguments in matches:
            yield MatchRow(scenario_id, uuid.UUID(hex=definition), position, line, row_line, keyword, text, status,
                           list(arguments))


def match_rows(conn: Any, project_id: uuid.UUID | None = None,
               scenario_ids: Sequence[uuid.UUID] | None = None) -> list[MatchRow]:
    """The match rows of a project's (or every) scenario, or of ``scenario_ids``, in the order they were written."""
    from sqlalchemy import select

    from tracertm.models import ScenarioSteps

    t = ScenarioSteps.__table__.c
    query = select(t.scenario_id, t.steps).order_by(t.id)
    if project_id is not None:
        query = query.where(t.project_id == project_id)
    if scenario_ids is not None:
        query = query.where(t.scenario_id.in_(list(scenario_ids)))
    return [row for scenario_id, steps in conn.execute(query) for row in unpack(scenario_id, steps)]


def steps_of(packed_rows: Iterable[Row]) -> list[Any]:
    """The decoded steps of ``packed_rows`` keyed by ids already (for tests and the migration's checks)."""
    return decoded(fill(pack(packed_rows)))


__all__ = ["MatchRow", "NONE", "Packed", "Row", "decoded", "defined", "fill", "match_packed", "match_rows", "pack",
           "steps_of", "unpack"]
