"""When each link of a backfilled history was born, so that it is reviewed against the version its target had then.

A sync of each commit derives a record's links as it writes the record: a new link is born reviewed against its
target's version at that commit, and becomes suspect when the target changes later. A backfill derives the links
once, at its end (``links.rebuild``), when every target has its final version: without this, a link whose target
changed after the link appeared would be born reviewed there, where a sync of each commit leaves it suspect.

``LinkBirths`` follows the replay commit by commit: which links each record's fields imply (``derive.derive``, as a
sync derives them), since which commit, and every target's versions. ``reviewed()`` gives, for each link alive at the
end, the version its target had when the link was born (or, for a link born dangling, when its target appeared), as
``links.rebuild`` takes it for the links it creates.

A record deleted and restored keeps the links it has again as they were born (a sync parks their reviews while it is
gone: ``engine.parked``), unless a link had been reviewed against nothing by then (born dangling, its target not
there before the deletion: a sync parks nothing of it, and it is born again with the record). ``parked()`` gives
the reviews of the links of records deleted at the end, which ``links.rebuild`` parks.

A backfill that continues a stopped one (``--resume``, or new commits after a finished one) starts from
``LinkBirths.recorded``: the same births, replayed from the revisions the earlier runs wrote (each holds its
record's fields then), so that the links of the earlier part are not born at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tracertm.crossfile import adr_base, adr_resolver
from tracertm.engine.derive import LinkSpec, derive
from tracertm.engine.links import TARGET_MODELS
from tracertm.engine.plan import Plan
from tracertm.parsers.records import ParserOptions

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Kinds whose fields imply links (``derive.derive``).
SOURCES = frozenset({"adr", "contract", "feature", "scenario"})

LinkKey = tuple[uuid.UUID, LinkSpec]  # (source row id, the link)


class LinkBirths:
    """The births of links and the versions of targets over a replay (see the module docstring)."""

    def __init__(self) -> None:
        self._position = 0
        self._specs: dict[uuid.UUID, frozenset[LinkSpec]] = {}  # a live source's links now
        self._born: dict[LinkKey, int] = {}  # each of those links: the position of the commit it appeared at
        # A link carried over its source's deletions: (position deleted, position restored) of each.
        self._gaps: dict[LinkKey, list[tuple[int, int]]] = {}
        # A deleted source: the position of its deletion, and its links then with the positions they appeared at.
        self._parked: dict[uuid.UUID, tuple[int, dict[LinkSpec, int]]] = {}
        # (target kind, number) → its (position, version, deleted) after each commit that changed it
        self._versions: dict[tuple[str, str], list[tuple[int, int, bool]]] = {}
        # The ADR a reference names at the end (read once, by ``reviewed`` and ``parked``).
        self._name: Callable[[str], tuple[str | None, tuple[str, ...]]] | None = None
        # The ADRs of each number over the history, by id: their versions (read once, by ``_named_last``).
        self._numbered: dict[str, dict[str, list[tuple[int, int, bool]]]] | None = None

    @classmethod
    def recorded(cls, session: Session, project_id: uuid.UUID, index: Mapping[str, int],
                 options_at: Callable[[str], ParserOptions]) -> LinkBirths:
        """The births of the history the project's revisions record for the commits of ``index`` (commit → its
        position in the first-parent chain), as ``commit`` gave them when those commits were replayed: a revision
        is one operation of a plan (``refresh`` writes none, and needs none here) and its snapshot the record's
        fields. ``options_at(commit)``: the parser options of that commit (``requirement_pattern``)."""
        from sqlalchemy import select

        from tracertm.models import SpecRevision

        t = SpecRevision.__table__.c
        rows = session.execute(
            select(t.commit_sha, t.entity_type, t.entity_id, t.number, t.version, t.change, t.snapshot)
            .where(t.project_id == project_id, t.commit_sha.is_not(None))
        ).all()
        births = cls()
        last = 0
        for commit, kind, row_id, number, version, change, snapshot in sorted(
                (r for r in rows if r.commit_sha in index), key=lambda r: (index[r.commit_sha], r.version)):
            position = index[commit] + 1
            fields: dict[str, Any] = dict(snapshot or {})
            parent = fields.pop("feature_number", None) if kind == "scenario" else None
            births._record(position, kind, number, version, parent, row_id, change == "deleted",
                           None if change == "deleted" else fields, options_at(commit))
            last = position
        births._position = max((i + 1 for i in index.values()), default=0) if last else 0
        return births

    def commit(self, the_plan: Plan, ids: Mapping[tuple[str, str, str], uuid.UUID], options: ParserOptions) -> None:
        """One replayed commit's plan (``ids``: the rows it creates)."""
        self._position += 1
        position = self._position
        for op in the_plan.operations:
            if op.action == "refresh":  # presentation only: the same fields
                continue
            row_id = op.current.id if op.current is not None else ids.get((op.kind, op.parent or "", op.number))
            self._record(position, op.kind, op.number, op.version, op.parent, row_id, op.action == "deleted",
                         op.record.fields if op.record is not None else None, options)

    def _record(self, position: int, kind: str, number: str, version: int, parent: str | None,
                row_id: uuid.UUID | None, deleted: bool, fields: Mapping[str, Any] | None,
                options: ParserOptions) -> None:
        """One operation (a record's new version) at ``position``: its target versions and the links it implies."""
        if kind in TARGET_MODELS and not parent:
            self._versions.setdefault((kind, number), []).append((position, version, deleted))
            self._name = self._numbered = None
        if kind not in SOURCES:
            return
        assert row_id is not None
        before = self._specs.pop(row_id, frozenset())
        if deleted or fields is None:  # its links go with it, parked: those it has again if it comes back stay
            if before or row_id not in self._parked:
                self._parked[row_id] = (position, {spec: self._born.pop((row_id, spec)) for spec in before
                                                   if (row_id, spec) in self._born})
            return
        deleted_at, carried = self._parked.pop(row_id, (0, {}))
        now = frozenset(derive(kind, fields, options))
        for spec in (before | carried.keys()) - now:
            self._born.pop((row_id, spec), None)
            self._gaps.pop((row_id, spec), None)
        for spec in now - before:
            if spec in carried:
                self._born[(row_id, spec)] = carried[spec]
                self._gaps.setdefault((row_id, spec), []).append((deleted_at, position))
            else:
                self._born[(row_id, spec)] = position
        self._specs[row_id] = now

    def reviewed(self) -> dict[LinkKey, int]:
        """Each link's target version at its birth, where that differs from the target's version now (a link
        whose target never changed after it is born reviewed at the end alike)."""
        out: dict[LinkKey, int] = {}
        for key, born in self._born.items():
            versions = self._target_versions(key[1], self._specs.get(key[0], frozenset()))
            if not versions:
                continue
            then = _version_at(versions, self._birth(key, born, versions))
            if then is not None and then != versions[-1][1]:
                out[key] = then
        return out

    def parked(self) -> dict[LinkKey, int]:
        """The links of the records deleted at the end, each with the version it was reviewed against when its
        record was deleted (none for a link reviewed against nothing then: it is born with its record)."""
        out: dict[LinkKey, int] = {}
        for row_id, (deleted_at, carried) in self._parked.items():
            for spec, born in carried.items():
                versions = self._target_versions(spec)
                if not versions:
                    continue
                then = _version_at([v for v in versions if v[0] <= deleted_at],
                                   self._birth((row_id, spec), born, versions))
                if then is not None:
                    out[(row_id, spec)] = then
        return out

    def _target_versions(self, spec: LinkSpec,
                         others: frozenset[LinkSpec] | None = None) -> list[tuple[int, int, bool]] | None:
        """The versions of the target a link names (None: not a record the history has). ``others``: the links of
        its source at the end, when it is live: a link to an ADR that names none then is reviewed against the ADR
        its reference named last (``_named_last``)."""
        versions = self._versions.get((spec.target_kind, spec.target_ref))
        if not versions and spec.target_kind == "adr":
            # A reference that names an ADR by another id (``ADR-0008`` for ``ADR-0008-use-x``): the ADR the
            # links name at the end (``adr_links.resolve_links``), keyed by the link as written all the same.
            if self._name is None:
                self._name = adr_resolver({n for (k, n), v in self._versions.items() if k == "adr" and not v[-1][2]})
            target = self._name(spec.target_ref)[0]
            if target is None and others is not None and (last := self._named_last(spec.target_ref)) is not None:
                # Only for the one reference of its type to an ADR of that number, as a sync continues a link
                # (``renamed_references``): beside another (``@ADR-1`` and ``ADR-0001-use-b``, one link to ADR-0001
                # while it lived) the link goes on under one of them, and the other is new since, dangling.
                base = adr_base(last)
                same = [o for o in others if o.link_type == spec.link_type and o.target_kind == "adr"
                        and adr_base(o.target_ref) == base]
                target = last if same == [spec] else None
            versions = self._versions.get(("adr", target)) if target is not None else None
        return versions

    def _named_last(self, ref: str) -> str | None:
        """The ADR a reference that names none at the end named last (deleted since, or beside another of its number
        now): a sync keeps the link's review while it dangles (``links.renamed_references``), against that ADR."""
        if self._numbered is None:
            self._numbered = {}
            for (kind, number), versions in self._versions.items():
                if kind == "adr" and (of := adr_base(number)) is not None:
                    self._numbered.setdefault(of, {})[number] = versions
        base = adr_base(ref)
        adrs = self._numbered.get(base, {}) if base is not None else {}
        for position in sorted({at for versions in adrs.values() for at, _, _ in versions}, reverse=True):
            live = set()
            for number, versions in adrs.items():
                then = [deleted for at, _, deleted in versions if at <= position]
                if then and not then[-1]:
                    live.add(number)
            if (target := adr_resolver(live)(ref)[0]) is not None:
                return target
        return None

    def _birth(self, key: LinkKey, born: int, versions: list[tuple[int, int, bool]]) -> int:
        """Where a link counts as born: where it appeared, or where its source was last restored after a deletion
        that found it reviewed against nothing (its target not there from its birth to the deletion)."""
        for deleted_at, restored_at in self._gaps.get(key, ()):
            if _version_at([v for v in versions if v[0] <= deleted_at], born) is None:
                born = restored_at
        return born


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
