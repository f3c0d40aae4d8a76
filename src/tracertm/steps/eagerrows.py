"""A first sync's ``scenario_step_matches`` rows, written while the features parse: the eager writer's step hook.

A project's first sync writes its records as parsed files come back from the parse workers (``engine.eager``), and
the workers match each feature's steps as they parse it (``tracertm.steps.prematch``). Both the scenarios' row ids
and the definitions' are known as soon as the eager writer has flushed them, so the match rows of those scenarios
can go in right after, while the workers parse the next files — instead of all of them in sync's own process after
the parse, alone on one core (132,000 rows on the large benchmark corpus, about a second of inserting).

``EagerMatches`` only writes; ``tracertm.steps.links.refresh`` stays the judge, as the plan is the eager writer's:
a scenario's eager rows stand when refresh takes that scenario from the workers' matching against the very
definitions it matches with (the same digest) — the rows are then exactly those refresh would insert, built from
the same worker rows by the same code, in the same order (scenarios in creation order, as refresh's sorted batches
of time-ordered ids have them). In any other case refresh finds them stored and writes the difference, as for any
stored row (``MatchWriter``); when the eager rows are rolled back (the plan disagreed), the caller passes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tracertm.steps.matchrows import MatchWriter, Row
from tracertm.steps.prematch import ATTRIBUTE, Prematched


class EagerMatches:
    """The eager writer's step hook (see the module docstring). ``written``: scenario id (hex) → the digest of the
    definitions its rows were matched against; ``inserted``: rows written."""

    def __init__(self, conn: Any, project_id: uuid.UUID) -> None:
        self._conn = conn
        self._project_id = project_id
        self._files: dict[str, Prematched] = {}  # a feature file's worker matching, until its scenarios are written
        self._writer: MatchWriter | None = None
        self.written: dict[str, str] = {}
        self.inserted = 0

    def consume(self, path: str, outcome: Any) -> None:
        """A parsed file as the eager writer takes it: keep its worker matching (none when a definition ran over
        its time budget there: refresh then matches every file itself, see ``prematch.prematched``)."""
        found: Prematched | None = getattr(outcome, ATTRIBUTE, None)
        if found is not None and not found.slow:
            self._files[path] = found

    def flushed(self, scenarios: Iterable[tuple[str, str, str]], ids: Mapping[tuple[str, str, str], uuid.UUID]
                ) -> None:
        """Write the rows of the scenarios just written (``(path, feature number, scenario number)``, in the order
        their ids were made); ``ids``: every row id the eager writer made, definitions' included. A scenario whose
        rows name a definition without a row is left to refresh."""
        new: list[tuple[str, Sequence[Row]]] = []
        by_hex: dict[str, uuid.UUID] = {}
        keys: dict[str, str] = {}
        for path, feature, number in scenarios:
            found = self._files.get(path)
            matched = found.scenarios.get(number) if found is not None else None
            scenario_id = ids.get(("scenario", feature, number))
            if found is None or matched is None or scenario_id is None:
                continue
            rows: list[Row] = []
            for row in matched.rows:
                identity = row[0]
                if identity is None:
                    rows.append(row)
                    continue
                key = keys.get(identity)
                if key is None:
                    definition = ids.get(("step_definition", "", identity))
                    if definition is None:
                        break
                    key = keys[identity] = definition.hex
                rows.append((key, *row[1:]))
            else:
                scenario = scenario_id.hex
                by_hex[scenario] = scenario_id
                self.written[scenario] = found.digest
                if rows:
                    new.append((scenario, rows))
        if new:
            if self._writer is None:
                self._writer = MatchWriter(self._conn, self._project_id)
            before = self._writer.inserted
            self._writer.insert_new(new, by_hex)
            self.inserted += self._writer.inserted - before


__all__ = ["EagerMatches"]
