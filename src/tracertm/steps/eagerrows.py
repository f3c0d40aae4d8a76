"""A first sync's ``scenario_step_matches`` rows written while the features parse: the eager writer's step hook.

A project's first sync writes its records as parsed files come back from the workers (``tracertm.engine.eager``),
and the workers match each feature's steps as they parse it (``tracertm.steps.prematch``). This hook writes those
match rows with the scenarios they belong to, chunk after chunk, instead of all of them after the parse: the eager
writer hands it every parsed file (``add``) and, after each of its flushes, the ids of the rows written so far
(``flush``). A scenario's rows are written when its row and those of every definition it matched exist.

The rows are the workers' matching as is: ``steps.links.refresh`` decides afterwards whether it stands. It skips a
scenario in ``written`` only when it takes the same workers' matching for it (the definitions and parameter types
have the digest the worker matched against, no definition was too slow); otherwise it re-matches that scenario and
writes the difference from what is stored — these rows — as for any later sync. The rows live under the eager
writer's savepoint: when it rolls back, so do they (and the caller must not pass ``written`` on).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from tracertm.parsers.records import ParseResult
from tracertm.steps.matchrows import MatchWriter, Row
from tracertm.steps.prematch import ATTRIBUTE, Prematched

STEP_KIND = "step_definition"  # steps.records.STEP_KIND (not imported: that module pulls in the step parsers)


class EagerMatchRows:
    """Collects the workers' matching of parsed feature files and inserts it once their scenarios are written.

    ``written``: the scenarios (row id as hex digits) whose rows this hook inserted; ``inserted``: how many rows."""

    def __init__(self, conn: Any, project_id: uuid.UUID) -> None:
        self._conn = conn
        self._project_id = project_id
        # (feature number, scenario numbers, the file's matching) of files whose scenarios are not written yet.
        self._pending: list[tuple[str, tuple[str, ...], Prematched]] = []
        self._writer: MatchWriter | None = None
        self._keys: dict[str, str] = {}  # definition identity → its row id (hex)
        self.written: set[str] = set()
        self.inserted = 0

    def add(self, outcome: ParseResult) -> None:
        """A parsed file: its workers' matching, when it has one, waits for the next ``flush``."""
        found: Prematched | None = getattr(outcome, ATTRIBUTE, None)
        if found is None or found.slow:  # slow: refresh matches every scenario itself; nothing to save here
            return
        for feature in outcome.records:
            self._pending.append((feature.number, tuple(c.number for c in feature.children), found))

    def flush(self, ids: Mapping[tuple[str, str, str], uuid.UUID]) -> None:
        """Insert the rows of every pending scenario written by now (``ids``: the eager writer's, keyed as
        ``apply`` keys them); a scenario that matched a definition without a row is left to ``refresh``."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        keys = self._keys
        new: list[tuple[str, list[Row]]] = []
        scenarios: dict[str, uuid.UUID] = {}
        for feature, numbers, found in pending:
            for number in numbers:
                scenario_id = ids.get(("scenario", feature, number))
                matched = found.scenarios.get(number)
                if scenario_id is None or matched is None:
                    continue
                rows = self._rekeyed(matched.rows, ids, keys)
                if rows is None:
                    continue
                scenario = scenario_id.hex
                self.written.add(scenario)
                if rows:
                    new.append((scenario, rows))
                    scenarios[scenario] = scenario_id
        if not new:
            return
        if self._writer is None:
            self._writer = MatchWriter(self._conn, self._project_id)
        self._writer.insert(new, scenarios)
        self.inserted = self._writer.inserted

    @staticmethod
    def _rekeyed(
        rows: list[Row], ids: Mapping[tuple[str, str, str], uuid.UUID], keys: dict[str, str]
    ) -> list[Row] | None:
        """The rows with each definition identity replaced by its row id (hex); None when one has no row."""
        out: list[Row] = []
        for row in rows:
            identity = row[0]
            if identity is None:
                out.append(row)
                continue
            key = keys.get(identity)
            if key is None:
                found = ids.get((STEP_KIND, "", identity))
                if found is None:
                    return None
                key = keys[identity] = found.hex
            out.append((key, *row[1:]))
        return out


__all__ = ["EagerMatchRows"]
