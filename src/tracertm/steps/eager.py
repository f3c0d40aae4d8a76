"""A first sync's step matches written while the features parse (the eager writer's part of ``tracertm.steps.links``).

On a cold sync the parse workers match every scenario step as they parse (``tracertm.steps.prematch``) and the eager
writer (``tracertm.engine.eager``) writes each chunk's records as it arrives. This writes the same chunk's
``scenario_steps`` rows and step trace links right after its scenarios, while the workers parse on, instead
of all of them after the parse: they are the rows ``links.refresh`` would write from the same worker matching (the
same re-keying, ``MatchWriter`` and ``StepLinkWriter``), only earlier.

``links.refresh`` stays the judge. It skips the scenarios written here only when it would have used the workers'
matching for them itself: the definitions and parameter types it matches against have the digest these rows were
matched against, and no worker found a definition too slow. Otherwise it re-matches them, and its writers, which
write a difference from what is stored, correct whatever differs. The rows are inside the eager writer's savepoint:
when the plan rejects the eager rows, these go with them (``rollback``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from tracertm.steps.matchrows import MatchWriter
from tracertm.steps.packed import Packed
from tracertm.steps.prematch import ATTRIBUTE, Prematched
from tracertm.steps.tracelinks import StepLinkWriter


class EagerMatches:
    """Collects the workers' matching of parsed feature files (``add``) and writes the rows of their scenarios once
    those are written (``write``). ``digest``: what the written rows were matched against (None before the first
    write, or once this stopped writing); ``done``: the scenarios (row ids) whose rows and links are written."""

    def __init__(self, conn: Any, project_id: uuid.UUID) -> None:
        self._conn = conn
        self._project_id = project_id
        self._files: dict[str, Prematched] = {}
        self._keys: dict[str, str] = {}  # definition identity → its row id's hex digits
        self._targets: dict[str, tuple[uuid.UUID, str, int]] = {}  # row id (hex) → (row id, identity, version)
        self._matches: MatchWriter | None = None
        self._links: StepLinkWriter | None = None
        self.digest: str | None = None
        self.stopped = False
        self.done: set[uuid.UUID] = set()
        self.statuses: dict[str, int] = {}
        self._skipped = False  # a scenario was written without its rows (its file had no workers' matching)

    def add(self, path: str, outcome: Any) -> None:
        """A parsed feature file: its workers' matching, if any, waits for its scenarios' rows."""
        found: Prematched | None = getattr(outcome, ATTRIBUTE, None)
        if found is None or self.stopped:
            return
        if found.slow or (self.digest is not None and found.digest != self.digest):
            # Too slow in some worker, or matched against other definitions: ``refresh`` matches these itself.
            self.stop()
            return
        self.digest = found.digest
        self._files[path] = found

    def definitions(self, written: Iterable[tuple[str, uuid.UUID]]) -> None:
        """Step definitions just written (identity, row id): a new record's version is 1."""
        for identity, row_id in written:
            self._keys[identity] = row_id.hex
            self._targets[row_id.hex] = (row_id, identity, 1)
            self._links = None  # made again with every definition it may link to

    def write(self, scenarios: Iterable[tuple[str, str, str, uuid.UUID]]) -> None:
        """The rows and step links of scenarios just written: (file, scenario number, ref, row id). A scenario whose
        file was not matched in a worker is left to ``refresh``."""
        if self.stopped:
            return
        keys = self._keys
        wanted: dict[str, Packed] = {}  # steps as the workers packed them (definitions named by identity)
        ids: dict[str, uuid.UUID] = {}
        sources: dict[str, tuple[str, str | None]] = {}
        firsts: dict[str, dict[str, int]] = {}
        statuses: dict[str, int] = {}
        try:
            for path, number, ref, row_id in scenarios:
                found = self._files.get(path)
                matched = found.scenarios.get(number) if found is not None else None
                if matched is None:
                    self._skipped = True
                    continue
                key = row_id.hex
                wanted[key] = matched.steps
                firsts[key] = {keys[identity]: line for identity, line in matched.firsts.items()}
                ids[key], sources[key] = row_id, (ref, path)
                for status, count in matched.statuses.items():
                    statuses[status] = statuses.get(status, 0) + count
            if not wanted:
                return
            if self._matches is None:
                self._matches = MatchWriter(self._conn, self._project_id)
            self._matches.write(wanted, ids, keys)  # re-keyed there: a missing key raises before any row is written
        except KeyError:  # a definition that was not written (the plan will not keep these rows): refresh decides
            self.stop()
            return
        if self._links is None:
            self._links = StepLinkWriter(self._conn, self._project_id, self._targets)
        self._links.write(ids, sources, {k: v for k, v in firsts.items() if v})
        self.done.update(ids.values())
        for status, count in statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count

    @property
    def complete(self) -> bool:
        """Whether every scenario written so far has its rows (and this never stopped)."""
        return not self.stopped and not self._skipped and self.digest is not None

    @property
    def inserted(self) -> int:
        """``scenario_steps`` rows written so far."""
        return self._matches.inserted if self._matches is not None else 0

    @property
    def tally(self) -> dict[str, int] | None:
        """Every definition's usage (row id hex → ``defined`` steps) when the rows written here are all the project
        has (its first rows were written here), else None."""
        if self._matches is None or not self._matches.fresh:
            return None
        return self._matches.tally

    def stop(self) -> None:
        """Write nothing more (what is written stays; ``refresh`` re-matches what is not ``done``)."""
        self.stopped = True
        self._files.clear()

    def forget(self) -> None:
        """The eager rows were rolled back: nothing of this is in the database."""
        self.stop()
        self.done.clear()
        self.digest = None


__all__ = ["EagerMatches"]
