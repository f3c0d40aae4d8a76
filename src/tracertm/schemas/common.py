"""Models shared by every kind: projects, sync runs, revisions, pages, facets, search hits and problems."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from tracertm.timetext import json_time

_STRICT = ConfigDict(extra="forbid")

TIME_PATTERN = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$"  # what ``json_time`` writes

# Every time a read model holds: written in JSON by ``timetext.json_time`` (UTC, ``Z``), as the outputs built of
# plain data write theirs, so that no two outputs spell one instant apart (pydantic's own would keep an aware time
# in its zone's offset). In Python (``model_dump()``) it stays a ``datetime``. The JSON Schema says what it is:
# pydantic would describe the serializer's output as any string.
Instant = Annotated[
    dt.datetime,
    PlainSerializer(json_time, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": TIME_PATTERN,
                    "description": "UTC, RFC 3339 ending in Z (2024-05-01T12:00:00Z; microseconds when not zero)"}),
]


class ProjectRead(BaseModel):
    """One synced repository."""

    model_config = _STRICT
    id: uuid.UUID
    name: str
    description: str | None = None
    repo_url: str | None = None
    root_commit: str | None = Field(default=None, description="the first-parent root commit: the project's identity")
    default_ref: str | None = None
    last_synced_commit: str | None = None
    last_synced_at: Instant | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: Instant
    updated_at: Instant


class SyncRunRead(BaseModel):
    """One sync (or backfill batch) of one project."""

    model_config = _STRICT
    id: uuid.UUID
    project: str
    trigger: str
    ref: str | None = None
    commit_sha: str | None = None
    started_at: Instant
    finished_at: Instant | None = None
    status: str
    counts: dict[str, Any] = Field(default_factory=dict)
    errors: list[Any] = Field(default_factory=list)


class LastRun(BaseModel):
    """The newest sync run of a project, in short (``GET /sync-runs`` has it whole)."""

    model_config = _STRICT
    trigger: str
    status: str
    started_at: Instant
    ref: str | None = None


class Finding(BaseModel):
    """One error or warning about one file, at a 1-based line and column (0: unknown)."""

    model_config = _STRICT
    path: str
    line: int
    column: int
    message: str
    severity: Literal["error", "warning"]


class FileInError(BaseModel):
    """A file the newest sync could not read: its first error, and every finding about it."""

    model_config = _STRICT
    path: str
    line: int
    column: int
    message: str
    diagnostics: list[Finding]


class ProjectStatus(BaseModel):
    """What ``tracertm status`` shows of a project: the records per kind, the last sync and the files in error."""

    model_config = _STRICT
    project: str
    repo_url: str | None = None
    last_synced_commit: str | None = None
    last_synced_at: Instant | None = None
    last_run: LastRun | None = None
    counts: dict[str, dict[str, int]] = Field(description="per kind, the live and the deleted records")
    files_in_error: list[FileInError] = Field(
        description="the files whose last read failed: their records keep what the last good read stored")


class RevisionRead(BaseModel):
    """One version of one record: what changed, in which commit, by whom."""

    model_config = _STRICT
    id: uuid.UUID
    kind: str
    entity_id: uuid.UUID
    number: str
    version: int
    change: str
    content_hash: str | None = None
    source_path: str | None = None
    commit_sha: str | None = None
    author_name: str | None = Field(default=None, description="who wrote the change (for a merge commit: the "
                                    "merged side's most recent author of the file, the merge's own when its "
                                    "content there is no parent's); null for a work-tree sync")
    author_email: str | None = None
    authored_at: Instant | None = Field(default=None, description="when the change was written (author date)")
    committer_name: str | None = None
    committer_email: str | None = None
    committed_at: Instant | None = Field(default=None, description="when the commit was made (commit date)")
    created_at: Instant
    sync_run_id: uuid.UUID | None = None
    actor: str | None = Field(default=None, description="who made a database-side edit (annotated)")
    changed_fields: list[str] | None = Field(default=None, description=(
        "fields an annotated revision changed, named as in the record's read model (metadata, not adr_metadata)"))
    snapshot: dict[str, Any] | None = Field(default=None, description=(
        "the record's fields at this version, named as in its read model (metadata; a scenario's feature)"))


class PageInfo(BaseModel):
    model_config = _STRICT
    next: str | None = Field(default=None, description="opaque cursor of the next page; null on the last page")
    limit: int


class Page(BaseModel):
    """A page of a list: ``items`` (read models, or only the ``fields`` asked for) and the next cursor."""

    model_config = _STRICT
    items: list[dict[str, Any]]
    page: PageInfo
    total: int | None = Field(default=None, description="matching records (only with count=true)")


class FacetValue(BaseModel):
    model_config = _STRICT
    value: str | None = Field(description="null: records with no value")
    count: int


class Facets(BaseModel):
    """Counts per value of each facet (status, type, tag) over the records matching the filters."""

    model_config = _STRICT
    kind: str
    total: int
    facets: dict[str, list[FacetValue]]


class SearchHit(BaseModel):
    """One full-text match: the record, its rank (higher is better) and a snippet: HTML, the record's text escaped
    and the matched words in ``<mark>``."""

    model_config = _STRICT
    kind: Literal["adr", "contract", "feature", "scenario"]
    id: uuid.UUID
    number: str
    feature: str | None = None
    project: str
    title: str
    status: str
    rank: float
    snippet: str
    deleted_at: Instant | None = Field(description=(
        "when the record was soft-deleted (only with include_deleted), as its read model's deleted_at; null: live"))


class SearchResults(BaseModel):
    model_config = _STRICT
    query: str
    hits: list[SearchHit]


class Health(BaseModel):
    model_config = _STRICT
    status: Literal["ok"]
    database: str
    schema_revision: str | None


class Problem(BaseModel):
    """An RFC 9457 problem detail (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")
    # Every problem the API answers is typed, Starlette's own 404 and 405 included (``api.problems.kind_of``).
    type: str = Field(
        pattern=r"^https://tracertm\.dev/problems/[a-z0-9]+(-[a-z0-9]+)*$",
        description="The problem's kind, https://tracertm.dev/problems/ and a name: not-found, "
        "method-not-allowed, bad-request, unknown-query-parameter, invalid-request, unauthorized, forbidden, "
        "conflict, git-owned-field, dangling-link, precondition-failed, precondition-required, stale-version, "
        "unsupported-media-type, body-too-large, malformed-report, bad-host, cors-refused, busy, lock-timeout, "
        "unavailable, internal-error.",
        examples=["https://tracertm.dev/problems/not-found"],
    )
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class TokenRead(BaseModel):
    """An API token as listed: never the token itself."""

    model_config = _STRICT
    id: uuid.UUID
    prefix: str
    scope: Literal["read", "write"]
    label: str | None = None
    created_at: Instant
    last_used_at: Instant | None = None
    revoked_at: Instant | None = None
