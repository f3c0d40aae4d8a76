"""The ``scenario_step_matches`` rows of re-matched scenarios, written as a difference; ``usage_count`` from them.

A re-match computes every row its scenarios want; :class:`MatchWriter` compares them with the rows stored for those
scenarios and writes only what differs, step by step: a step (scenario, position) whose rows are unchanged is not
touched; a step whose rows differ loses its old rows and gets the new ones (inserted in definition order, so an
ambiguous step lists its candidates as a match from scratch does). A scenario that no longer runs (deleted, or
without steps) loses its rows. A project with no row at all (a cold sync) reads nothing back.

New rows go in driver batches (``tracertm.engine.bulk``): on SQLite plain tuples to the driver's ``executemany`` —
the ids as SQLAlchemy stores them (32 hex digits), the argument values as JSON text (no encoding for the many
steps without arguments) —, on PostgreSQL through ``COPY``. Row ids are integers the database assigns.

``usage_count`` (:func:`write_usage_counts`) comes from one aggregate over the project's rows and is written only
where it changed: a derived, database-owned figure, it moves no ``version``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update

# One wanted row of a scenario: (definition id as 32 hex digits or None, position, line, Examples row line, keyword,
# step text, status, argument values).
Row = tuple["str | None", int, int, "int | None", str, str, str, "tuple[str | None, ...]"]

_BATCH = 2000
# The inserted columns, in the table's order (the id is the database's).
_COLUMNS = ("project_id", "scenario_id", "step_definition_id", "position", "line", "row_line", "keyword",
            "step_text", "status", "arguments")


def _tables() -> tuple[Any, Any]:
    from tracertm.models import Base

    return Base.metadata.tables["scenario_step_matches"], Base.metadata.tables["step_definitions"]


class MatchWriter:
    """Writes the rows re-matched scenarios want, as the difference from what is stored (see the module docstring).

    ``inserted`` and ``deleted`` count the rows written so far."""

    def __init__(self, conn: Any, project_id: uuid.UUID) -> None:
        self.conn = conn
        self.project_id = project_id
        self.inserted = 0
        self.deleted = 0
        table, _ = _tables()
        self._table = table
        # A project without a single row (its first linking): nothing to compare with, nothing read back.
        self._stored = conn.execute(
            select(table.c.id).where(table.c.project_id == project_id).limit(1)
        ).first() is not None
        self._sqlite = conn.dialect.name == "sqlite"

    def write(self, wanted: Mapping[str, Sequence[Row]], scenarios: Mapping[str, uuid.UUID],
              keys: Mapping[str, str] | None = None) -> None:
        """Make the stored rows of every scenario in ``wanted`` (keyed by its id's hex digits; ``scenarios`` gives
        the ids) exactly its rows; a scenario that runs no step maps to an empty sequence: its rows go.

        ``keys``: the rows name their definitions by another key (a parse worker's rows name them by identity),
        mapped here to the row id's hex digits. A key missing from it raises ``KeyError`` before anything is
        written."""
        if keys is not None:
            if not self._stored:
                # Nothing to compare with (a first sync): each row is re-keyed as it is turned into the driver's
                # tuple, instead of being copied once more first (130,000 rows on a cold sync of the large corpus).
                self._insert([(scenario, rows) for scenario, rows in wanted.items() if rows], scenarios, keys)
                return
            wanted = {scenario: [row if row[0] is None else (keys[row[0]], *row[1:]) for row in rows]
                      for scenario, rows in wanted.items()}
        stored = self._read(list(scenarios.values())) if self._stored else {}
        stale: list[int] = []
        new: list[tuple[str, Sequence[Row]]] = []
        for scenario, rows in wanted.items():
            old = stored.get(scenario)
            if not old:
                if rows:
                    new.append((scenario, rows))
                continue
            groups = _by_position(rows)
            changed: list[Row] = []
            for position, previous in old.items():
                if [row for _, row in previous] != groups.get(position, []):
                    stale.extend(row_id for row_id, _ in previous)
                    changed.extend(groups.get(position, ()))
            changed.extend(row for position, group in groups.items() if position not in old for row in group)
            if changed:
                changed.sort(key=lambda row: row[1])  # by position; a step's rows keep their order (stable sort)
                new.append((scenario, changed))
        table = self._table
        for start in range(0, len(stale), _BATCH):
            self.conn.execute(delete(table).where(table.c.id.in_(stale[start : start + _BATCH])))
        self.deleted += len(stale)
        self._insert(new, scenarios)

    def _read(self, scenarios: list[uuid.UUID]) -> dict[str, dict[int, list[tuple[int, Row]]]]:
        """The stored rows of ``scenarios``: scenario (hex) → position → [(row id, row)] in row order."""
        t = self._table.c
        out: dict[str, dict[int, list[tuple[int, Row]]]] = {}
        for start in range(0, len(scenarios), _BATCH):
            query = (
                select(t.id, t.scenario_id, t.step_definition_id, t.position, t.line, t.row_line, t.keyword,
                       t.step_text, t.status, t.arguments)
                .where(t.scenario_id.in_(scenarios[start : start + _BATCH]))
                .order_by(t.scenario_id, t.position, t.id)
            )
            for r in self.conn.execute(query):
                definition = r.step_definition_id.hex if r.step_definition_id is not None else None
                row: Row = (definition, r.position, r.line, r.row_line, r.keyword, r.step_text, r.status,
                            tuple(r.arguments or ()))
                out.setdefault(r.scenario_id.hex, {}).setdefault(r.position, []).append((r.id, row))
        return out

    def _insert(self, new: list[tuple[str, Sequence[Row]]], scenarios: Mapping[str, uuid.UUID],
                keys: Mapping[str, str] | None = None) -> None:
        """Insert ``new`` (scenario, its rows); ``keys`` as in ``write``. Every row is prepared before the first
        is written, so that a missing key writes nothing."""
        from tracertm.engine import bulk

        statement = insert(self._table)
        if self._sqlite:
            form = bulk.prepared(self.conn, statement, _COLUMNS)
            if tuple(form.names) == _COLUMNS:  # the tuples follow the table's column order
                self._insert_sqlite(new, form.sql, keys)
                return
        batch: list[dict[str, Any]] = []
        ids: dict[str, uuid.UUID] = {}
        for scenario, rows in new:
            for d, position, line, row_line, keyword, text, status, values in rows:
                if d is not None and keys is not None:
                    d = keys[d]
                definition = None if d is None else ids.get(d)
                if d is not None and definition is None:
                    definition = ids[d] = uuid.UUID(hex=d)
                batch.append({
                    "project_id": self.project_id, "scenario_id": scenarios[scenario],
                    "step_definition_id": definition, "position": position, "line": line, "row_line": row_line, "keyword": keyword, "step_text": text,
                    "status": status, "arguments": list(values),
                })
        for start in range(0, len(batch), _BATCH):
            self.inserted += bulk.execute_many(self.conn, statement, batch[start : start + _BATCH])

    def _insert_sqlite(self, new: list[tuple[str, Sequence[Row]]], sql: str,
                       keys: Mapping[str, str] | None = None) -> None:
        """Tuples straight to the driver, in the form SQLAlchemy would store them: per-row parameter processing
        would cost about as much as the insert itself on a cold sync."""
        project = self.project_id.hex
        dumps = json.dumps
        # Argument lists repeat (outline rows, common values): each distinct one is encoded once.
        encoded: dict[tuple[str | None, ...], str] = {(): "[]"}
        batch: list[tuple[Any, ...]] = []
        append = batch.append
        for scenario, rows in new:
            for d, position, line, row_line, keyword, text, status, values in rows:
                arguments = encoded.get(values)
                if arguments is None:
                    arguments = encoded[values] = dumps(list(values))
                if d is not None and keys is not None:
                    d = keys[d]
                append((project, scenario, d, position, line, row_line, keyword, text, status, arguments))
        for start in range(0, len(batch), _BATCH):
            part = batch[start : start + _BATCH]
            self.conn.exec_driver_sql(sql, part)
            self.inserted += len(part)


def _by_position(rows: Sequence[Row]) -> dict[int, list[Row]]:
    out: dict[int, list[Row]] = {}
    for row in rows:
        out.setdefault(row[1], []).append(row)
    return out


def write_usage_counts(conn: Any, project_id: uuid.UUID) -> int:
    """``usage_count`` = the steps a definition alone matches (its ``defined`` rows), for every definition of the
    project (soft-deleted ones count 0): one aggregate, written only where it changed. Returns how many changed.
    A Core update: a derived figure moves no ``version`` (it is not an edit of the definition)."""
    matches, defs = _tables()
    m = matches.c
    counts: dict[uuid.UUID, int] = dict(conn.execute(
        select(m.step_definition_id, func.count())
        .where(m.project_id == project_id, m.status == "defined", m.step_definition_id.is_not(None))
        .group_by(m.step_definition_id)
    ).all())
    stored = conn.execute(select(defs.c.id, defs.c.usage_count).where(defs.c.project_id == project_id))
    changed = [{"_id": row_id, "_count": counts.get(row_id, 0)} for row_id, usage in stored
               if usage != counts.get(row_id, 0)]
    if changed:
        conn.execute(update(defs).where(defs.c.id == bindparam("_id")).values(usage_count=bindparam("_count")),
                     changed)
    return len(changed)


__all__ = ["MatchWriter", "Row", "write_usage_counts"]
