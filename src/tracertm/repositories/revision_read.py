"""A stored revision as the read model the CLI's ``history --format json`` and the API's ``/history`` answer with
(split from ``repositories.records``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracertm.models import SpecRevision


def revision_read(rev: SpecRevision, snapshot: bool) -> Any:
    """A revision as its read model (``RevisionRead``), with or without the snapshot of the record's fields; the
    names of its fields as the record's read model has them (``history.names``: the stored row keeps its own)."""
    from tracertm.history.names import field_names, snapshot_fields
    from tracertm.schemas.common import RevisionRead

    kind, changed = rev.entity_type, getattr(rev, "changed_fields", None)
    return RevisionRead.model_validate(
        {
            "id": rev.id, "kind": rev.entity_type, "entity_id": rev.entity_id, "number": rev.number,
            "version": rev.version, "change": rev.change, "content_hash": rev.content_hash,
            "source_path": rev.source_path, "commit_sha": rev.commit_sha, "author_name": rev.author_name,
            "author_email": rev.author_email, "authored_at": rev.authored_at, "committer_name": rev.committer_name,
            "committer_email": rev.committer_email, "committed_at": rev.committed_at, "created_at": rev.created_at,
            "sync_run_id": rev.sync_run_id,
            "snapshot": snapshot_fields(kind, rev.snapshot or {}) if snapshot else None,
            "actor": getattr(rev, "actor", None),
            "changed_fields": None if changed is None else field_names(kind, changed),
        }
    )


def revision_read_at(session: Any, kind: Any, row: Any, commit: str, top: Path | None,
                     option: str = "commit") -> tuple[SpecRevision, dict[str, Any]] | None:
    """The record ``row`` (of ``kind``, a ``Kind``) as of ``commit``: its revision then (``Records.at``) and that
    revision's read model with the snapshot of its fields, as JSON — what the API's ``.../at/{commit}`` answers and
    ``show --at --format json`` prints (one function, so the two never disagree). None when the record had no
    revision by then. ``top``: the project's spec root (None: a server far from the repository); ``option``: how
    errors name the commit (``commit``, the CLI's ``--at``)."""
    from tracertm.repositories import Records

    found = Records(session, kind).at(row, commit, top, option=option)
    if found is None:
        return None
    data: dict[str, Any] = revision_read(found, snapshot=True).model_dump(mode="json")
    if top is not None:  # a commit that only moved the record: its fields (lines) there, not the snapshot's
        from tracertm.engine.scan import Location
        from tracertm.history.at import fields_at
        from tracertm.history.names import snapshot_fields

        moved = fields_at(Location.find(top), commit, found)
        if moved is not None:
            data["snapshot"] = snapshot_fields(kind.name, moved)
    return found, data


__all__ = ["revision_read", "revision_read_at"]
