"""The ``scenario_steps`` rows of re-matched scenarios, written as a difference; ``usage_count`` from them.

A re-match packs the steps every scenario wants (``tracertm.steps.packed``); :class:`MatchWriter` compares them with
the row stored for each of those scenarios and writes only what differs: a scenario whose steps are unchanged is not
touched, one whose steps differ gets its row rewritten, a new one a row, and one that no longer runs (deleted, or
without steps) loses its row. A project with no row at all (a cold sync) reads nothing back.

New rows go in driver batches (``tracertm.engine.bulk``: ``executemany`` on SQLite, ``COPY`` on PostgreSQL), the
steps as the JSON text already packed (no encoding here). Row ids are integers the database assigns.

``usage_count`` (:func:`write_usage_counts`) is written only where it changed: a derived, database-owned figure, it
moves no ``version``. It is the tally of the rows a cold sync inserted when those are all the project has (the
writers count as they pack), else recounted from the project's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Text, bindparam, cast, delete, insert, select, update
from sqlalchemy.dialects.postgresql import JSONB

from tracertm.steps.packed import NONE, Packed, decoded, defined, fill

_BATCH = 2000


def _tables() -> tuple[Any, Any]:
    from tracertm.models import Base

    return Base.metadata.tables["scenario_steps"], Base.metadata.tables["step_definitions"]


def _steps_param(conn: Any) -> Any:
    """The ``steps`` value bound as its JSON text (``steps__json``, the name ``engine.bulk`` copies into
    ``steps``)."""
    param = bindparam("steps__json", type_=Text())
    return cast(param, JSONB) if conn.dialect.name == "postgresql" else param


class MatchWriter:
    """Writes the packed steps of re-matched scenarios, batch after batch (see the module docstring).

    ``inserted``, ``updated`` and ``deleted`` count the rows written so far; ``tally`` counts, per definition (row id
    as hex digits), the ``defined`` steps of the rows inserted; ``fresh``: the project had no row when this was
    made (then, while only this writer writes, ``tally`` is every definition's usage)."""

    def __init__(self, conn: Any, project_id: uuid.UUID) -> None:
        self.conn = conn
        self.project_id = project_id
        self.inserted = 0
        self.updated = 0
        self.deleted = 0
        self.tally: dict[str, int] = {}
        table, _ = _tables()
        self._table = table
        # A project without a single row (its first linking): nothing to compare with, nothing read back.
        self._stored = conn.execute(
            select(table.c.id).where(table.c.project_id == project_id).limit(1)
        ).first() is not None
        self.fresh = not self._stored

    def write(self, wanted: Mapping[str, Packed], scenarios: Mapping[str, uuid.UUID],
              keys: Mapping[str, str] | None = None) -> None:
        """Make the stored steps of every scenario in ``wanted`` (keyed by its id's hex digits; ``scenarios`` gives
        the ids) exactly its packed steps; a scenario that runs no step maps to ``packed.NONE``: its row goes.

        ``keys``: the packed steps name their definitions by another key (a parse worker's name them by identity),
        mapped here to the row id's hex digits. A key missing from it raises ``KeyError`` before anything is
        written."""
        texts = {scenario: fill(packed, keys) for scenario, packed in wanted.items()}
        new = [scenario for scenario, packed in wanted.items() if packed.text != NONE.text]  # it runs steps
        if not self._stored:
            self._insert(new, texts, wanted, scenarios, keys)
            return
        t = self._table.c
        stored: dict[str, tuple[int, Any]] = {}
        ids = list(scenarios.values())
        for start in range(0, len(ids), _BATCH):
            for r in self.conn.execute(select(t.id, t.scenario_id, t.steps).where(
                    t.scenario_id.in_(ids[start : start + _BATCH]))):
                stored[r.scenario_id.hex] = (r.id, r.steps)
        inserts: list[str] = []
        changed: list[dict[str, Any]] = []
        gone: list[int] = []
        runs = set(new)
        for scenario in wanted:
            old = stored.get(scenario)
            if scenario not in runs:
                if old is not None:
                    gone.append(old[0])
            elif old is None:
                inserts.append(scenario)
            elif decoded(old[1]) != decoded(texts[scenario]):
                changed.append({"_id": old[0], "steps__json": texts[scenario]})
        table = self._table
        for start in range(0, len(gone), _BATCH):
            self.conn.execute(delete(table).where(t.id.in_(gone[start : start + _BATCH])))
        self.deleted += len(gone)
        if changed:
            self.conn.execute(update(table).where(t.id == bindparam("_id")).values(steps=_steps_param(self.conn)),
                              changed)
            self.updated += len(changed)
        self._insert(inserts, texts, wanted, scenarios, keys)

    def _insert(self, new: list[str], texts: Mapping[str, str], wanted: Mapping[str, Packed],
                scenarios: Mapping[str, uuid.UUID], keys: Mapping[str, str] | None) -> None:
        """Insert the rows of the scenarios ``new`` (their JSON ``texts``) and add their counts to ``tally``."""
        if not new:
            return
        from tracertm.engine import bulk

        tally = self.tally
        for scenario in new:
            for ref, count in wanted[scenario].counts.items():
                key = keys[ref] if keys is not None else ref
                tally[key] = tally.get(key, 0) + count
        statement = insert(self._table).values(steps=_steps_param(self.conn))
        project = self.project_id
        rows = [{"project_id": project, "scenario_id": scenarios[scenario], "steps__json": texts[scenario]}
                for scenario in new]
        for start in range(0, len(rows), _BATCH):
            self.inserted += bulk.execute_many(self.conn, statement, rows[start : start + _BATCH])


def write_usage_counts(conn: Any, project_id: uuid.UUID, tally: Mapping[str, int] | None = None) -> int:
    """``usage_count`` = the steps a definition alone matches (``defined`` steps naming it), for every definition of
    the project (soft-deleted ones count 0), written only where it changed. ``tally``: those counts already (row
    ids as hex digits), when they are known to be every row of the project's (``MatchWriter.tally``); else they are
    recounted from the rows. Returns how many changed. A Core update: a derived figure moves no ``version`` (it is
    not an edit of the definition)."""
    table, defs = _tables()
    counts: Mapping[str, int]
    if tally is None:
        found: dict[str, int] = {}
        for (steps,) in conn.execute(select(table.c.steps).where(table.c.project_id == project_id)):
            for key, _line in defined(steps):
                found[key] = found.get(key, 0) + 1
        counts = found
    else:
        counts = tally
    stored = conn.execute(select(defs.c.id, defs.c.usage_count).where(defs.c.project_id == project_id))
    changed = [{"_id": row_id, "_count": counts.get(row_id.hex, 0)} for row_id, usage in stored
               if usage != counts.get(row_id.hex, 0)]
    if changed:  # through the driver (``engine.bulk``): a first sync changes all of them (2,000 on the large bench)
        from tracertm.engine import bulk

        bulk.execute_many(conn, update(defs).where(defs.c.id == bindparam("_id")).values(
            usage_count=bindparam("_count")), changed)
    return len(changed)


__all__ = ["MatchWriter", "write_usage_counts"]
