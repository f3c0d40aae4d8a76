"""A stored revision as the read model the CLI's ``history --format json`` and the API's ``/history`` answer with
(split from ``repositories.records``)."""

from __future__ import annotations

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


__all__ = ["revision_read"]
