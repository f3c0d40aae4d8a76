"""When each link of a backfilled history was born, so that it is reviewed against the version its target had then.

A sync of each commit derives a record's links as it writes the record: a new link is born reviewed against its
target's version at that commit, and becomes suspect when the target changes later. A backfill derives the links
once, at its end (``links.rebuild``), when every target has its final version: without this, a link whose target
changed after the link appeared would be born reviewed there, where a sync of each commit leaves it suspect.

``LinkBirths`` follows the replay commit by commit: which links each record's fields imply (``links.derive``, as a
sync derives them), since which commit, and every target's versions. ``reviewed()`` gives, for each link alive at the
end, the version its target had when the link was born (or, for a link born dangling, when its target appeared), as
``links.rebuild`` takes it for the links it creates.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from tracertm.engine.links import TARGET_MODELS, LinkSpec, derive
from tracertm.engine.plan import Plan
from tracertm.parsers.records import ParserOptions

# Kinds whose fields imply links (``links.derive``).
SOURCES = frozenset({"adr", "contract", "feature", "scenario"})

LinkKey = tuple[uuid.UUID, LinkSpec]  # (source row id, the link)


class LinkBirths:
    """The births of links and the versions of targets over a replay (see the module docstring)."""

    def __init__(self) -> None:
        self._position = 0
        self._specs: dict[uuid.UUID, frozenset[LinkSpec]] = {}  # a live source's links now
        self._born: dict[LinkKey, int] = {}  # each of those links: the position of the commit it appeared at
        # (target kind, number) → its (position, version, deleted) after each commit that changed it
        self._versions: dict[tuple[str, str], list[tuple[int, int, bool]]] = {}

    def commit(self, the_plan: Plan, ids: Mapping[tuple[str, str, str], uuid.UUID], options: ParserOptions) -> None:
        """One replayed commit's plan (``ids``: the rows it creates)."""
        self._position += 1
        position = self._position
        for op in the_plan.operations:
            if op.action == "refresh":  # presentation only: the same fields
                continue
            deleted = op.action == "deleted"
            if op.kind in TARGET_MODELS and not op.parent:
                self._versions.setdefault((op.kind, op.number), []).append((position, op.version, deleted))
            if op.kind not in SOURCES:
                continue
            row_id = op.current.id if op.current is not None else ids[(op.kind, op.parent or "", op.number)]
            before = self._specs.pop(row_id, frozenset())
            if deleted or op.record is None:  # its links go with it; they are born again if it comes back
                for spec in before:
                    self._born.pop((row_id, spec), None)
                continue
            now = frozenset(derive(op.kind, op.record.fields, options))
            for spec in before - now:
                self._born.pop((row_id, spec), None)
            for spec in now - before:
                self._born[(row_id, spec)] = position
            self._specs[row_id] = now

    def reviewed(self) -> dict[LinkKey, int]:
        """Each link's target version at its birth, where that differs from the target's version now (a link
        whose target never changed after it is born reviewed at the end alike)."""
        out: dict[LinkKey, int] = {}
        for key, born in self._born.items():
            spec = key[1]
            versions = self._versions.get((spec.target_kind, spec.target_ref))
            if not versions:
                continue
            then = _version_at(versions, born)
            if then is not None and then != versions[-1][1]:
                out[key] = then
        return out


def _version_at(versions: list[tuple[int, int, bool]], position: int) -> int | None:
    """The version a target had after the commit at ``position``, or, missing or deleted then, the version it had
    when it was next there (a sync resolves a dangling link when its target appears)."""
    then: int | None = None
    for at, version, deleted in versions:
        if at <= position:
            then = None if deleted else version
        elif then is not None:
            break
        elif not deleted:
            return version
    return then


__all__ = ["LinkBirths"]
