"""The ``step`` trace links of re-matched scenarios (scenario → step definition, in ``links``), from the rows the
re-match wants rather than from reading them back.

They are the links ``tracertm.engine.links.write_scenario_links(conn, project, "step", scenarios)`` derives from the
stored ``scenario_steps`` (``links.rebuild`` and ``sync --full`` still use it; a test holds the two equal):
one link per (scenario, definition) that a step of the scenario matched unambiguously, pointing at the first such
step's line. A link that stays keeps its review (its line follows the step); a new one is born reviewed against the
definition's current version; a link nothing wants any more goes. Computing the pairs while matching saves a
GROUP BY over every match row of a cold sync (130,000 on the large corpus), and a project without a step link yet
(a cold sync) skips the lookup of existing links. New links go through the driver (``tracertm.engine.bulk``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

_BATCH = 2000
STEP = "step"  # links.link_type (tracertm.models.LinkType.STEP)
# A new link: (scenario, its ref, its file, line, definition (hex), definition id, its ref, its version).
_New = tuple[str, str, "str | None", int, str, uuid.UUID, str, int]
# A new link's columns, in the table's order (the rest are the database's defaults).
_COLUMNS = ("project_id", "source_kind", "source_id", "source_ref", "source_path", "source_line", "link_type",
            "target_kind", "target_ref", "target_id", "target_version", "reviewed_version")
# The time columns after them, given the database's clock read once (``engine.bulk.now``) on SQLite.
_STAMPED = ("created_at", "updated_at")


class StepLinkWriter:
    """Writes the step links of re-matched scenarios, batch after batch (see the module docstring). Ids are keyed by
    their hex digits.

    ``definitions``: row id (hex) → (row id, identity, version) of every live definition a step can match."""

    def __init__(
        self, conn: Any, project_id: uuid.UUID, definitions: Mapping[str, tuple[uuid.UUID, str, int]]
    ) -> None:
        from tracertm.engine.links import LINKS, clip_ref

        self.conn = conn
        self.project_id = project_id
        self.added = 0
        self._links = LINKS
        self._targets = {key: (row_id, clip_ref(identity), version)
                         for key, (row_id, identity, version) in definitions.items()}
        self._any = conn.execute(
            select(LINKS.c.id).where(LINKS.c.project_id == project_id, LINKS.c.link_type == STEP).limit(1)
        ).first() is not None

    def write(
        self,
        scenarios: Mapping[str, uuid.UUID],
        sources: Mapping[str, tuple[str, str | None]],
        wanted: Mapping[str, Mapping[str, int]],
    ) -> None:
        """Make the step links of ``scenarios`` exactly ``wanted``: scenario → definition → the line of the first
        step of the scenario the definition alone matched. ``sources``: scenario → (its ref ``FEATURE/SCENARIO``,
        its file) for every live one (a scenario missing there links nothing)."""
        t = self._links.c
        existing: dict[tuple[str, str | None], tuple[int, int]] = {}
        if self._any:
            ids = list(scenarios.values())
            for start in range(0, len(ids), _BATCH):
                for r in self.conn.execute(select(t.id, t.source_id, t.target_id, t.source_line).where(
                        t.source_id.in_(ids[start : start + _BATCH]), t.link_type == STEP)):
                    target = r.target_id.hex if r.target_id is not None else None
                    existing[(r.source_id.hex, target)] = (r.id, r.source_line)
            stale = [link_id for (scenario, target), (link_id, _) in existing.items()
                     if target is None or target not in wanted.get(scenario, {})]
            for start in range(0, len(stale), _BATCH):
                self.conn.execute(delete(self._links).where(t.id.in_(stale[start : start + _BATCH])))
            relined = [{"_id": found[0], "_line": line} for scenario, lines in wanted.items()
                       for target, line in lines.items()
                       if (found := existing.get((scenario, target))) is not None and line and found[1] != line]
            if relined:
                self.conn.execute(
                    update(self._links).where(t.id == bindparam("_id")).values(source_line=bindparam("_line")),
                    relined)
        # In (scenario, definition) id order: the order write_scenario_links gives new links their ids in.
        new: list[_New] = []
        for scenario in sorted(wanted):
            source = sources.get(scenario)
            if source is None:
                continue
            lines = wanted[scenario]
            for target in sorted(lines):
                definition = self._targets.get(target)
                if definition is None or (scenario, target) in existing:
                    continue
                target_id, target_ref, version = definition
                new.append((scenario, source[0], source[1], lines[target] or 1, target, target_id, target_ref,
                            version))
        if new:
            self._insert(new, scenarios)
            self.added += len(new)

    def _insert(self, new: list[_New], scenarios: Mapping[str, uuid.UUID]) -> None:
        """Through the driver: on SQLite plain tuples in the form SQLAlchemy stores them (ids as 32 hex digits,
        the time columns stamped once), elsewhere ``bulk.execute_many`` (``COPY`` on PostgreSQL)."""
        from tracertm.engine import bulk

        statement = insert(self._links)
        if self.conn.dialect.name == "sqlite":
            form = bulk.prepared(self.conn, statement, _COLUMNS, stamped=True)
            if tuple(form.names) == (*_COLUMNS, *_STAMPED):
                project, stamp = self.project_id.hex, bulk.now(self.conn)
                self.conn.exec_driver_sql(form.sql, [
                    (project, "scenario", scenario, ref, path, line, STEP, "step_definition", target_ref, target,
                     version, version, stamp, stamp)
                    for scenario, ref, path, line, target, _, target_ref, version in new
                ])
                return
        bulk.execute_many(self.conn, statement, [
            {"project_id": self.project_id, "source_kind": "scenario", "source_id": scenarios[scenario],
             "source_ref": ref, "source_path": path, "source_line": line, "link_type": STEP,
             "target_kind": "step_definition", "target_ref": target_ref, "target_id": target_id,
             "target_version": version, "reviewed_version": version}
            for scenario, ref, path, line, _, target_id, target_ref, version in new
        ])


__all__ = ["StepLinkWriter"]
