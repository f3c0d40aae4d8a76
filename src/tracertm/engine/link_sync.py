"""The trace links a sync keeps after apply, in its transaction: those of the records it created, changed or deleted
(``engine.links.maintain``), or every link of the project on a rebuild (``--full``, parser options or parsers
changed, a links format older than the current one), with where the references of unchanged spec files are written
read again for it (``_reread_references``). Split from ``engine.sync``, whose write phase calls ``maintain_links``
once its records are written."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from tracertm import git
from tracertm.config import Settings
from tracertm.errors import Diagnostic
from tracertm.parsers.records import ParseResult
from tracertm.engine.parse import Outcome, parse_one
from tracertm.engine.regular_file import Beneath, read_regular
from tracertm.engine.scan import Snapshot

if TYPE_CHECKING:
    from tracertm.engine.plan import Plan


def maintain_links(
    session: Any, project: Any, the_plan: Plan, ids: dict[tuple[str, str, str], uuid.UUID], settings: Settings,
    *, full: bool, known: bool, written: list[Diagnostic] | None = None, parsed: Mapping[str, Outcome] | None = None,
    snapshot: Snapshot | None = None, db_files: Mapping[str, Any] | None = None,
) -> list[Diagnostic]:
    """Links of what this run changed; every link of the project with ``--full`` and once when its links predate
    the current links format (``known``: the project had files before this run; a first sync needs no rebuild,
    every record is new to it). ``parsed``: this run's outcomes, whose records say where their references are
    written (a rebuild reads the rest from the rows); ``snapshot``: the files synced, from which the unchanged spec
    files whose ADR links this run derives again are read (``adr_links._renamed_adrs``; ``db_files``: the file index
    as this run found it)."""
    from tracertm.engine import links

    conn = session.connection()
    # ``written``: the eager writer wrote a first sync's links already; these are their findings.
    reread = None if snapshot is None else partial(_reread_references, snapshot, settings, db_files or {})
    findings = written if written is not None else links.maintain(conn, project.id, the_plan, ids, settings.parser,
                                                                  fresh=not known, reread=reread)
    stale = links.needs_rebuild(project)
    if full or (stale and known):
        # Not the records of a file in error (one that lost its identity to another file, as ``FEAT-2`` claimed
        # twice): the rows hold the other file's, whose lines they must not get.
        failed = {d.path for d in the_plan.errors}
        placed = links.parsed_lines(
            (path, outcome.kind, record) for path, outcome in (parsed or {}).items()
            if isinstance(outcome, ParseResult) and outcome.kind in ("adr", "contract", "feature")
            and path not in failed for record in outcome.records
        )
        if not full and reread is not None and snapshot is not None:
            # Links of an earlier format may sit at wrong lines (before 0017 an ADR's or contract's references were
            # put at its first lines): the unchanged files are read again for theirs, once, as ``--full`` would.
            unchanged = [p for p, f in snapshot.files.items() if f.kind in _REREAD_KINDS and p not in (parsed or {})]
            placed = {**reread(unchanged), **placed}
        findings = links.rebuild(conn, project.id, settings.parser, lines=placed)
    if stale:
        links.mark_built(project)
    return findings


# The kinds of file whose records' references to ADRs ``_reread_references`` reads again.
_REREAD_KINDS = ("adr", "contract", "feature")


def _reread_references(
    snapshot: Snapshot, settings: Settings, db_files: Mapping[str, Any], paths: Sequence[str]
) -> dict[tuple[str, str], tuple[str, int, Mapping[str, int]]]:
    """Where the references of the unchanged spec files at ``paths`` are written (``links.RefLines``), read again:
    from ``snapshot``, or from the work tree for a file outside a sync of some paths (the watcher's); only the bytes
    the records come from (a file edited since it was scanned or synced is left out: the next sync reads it), and
    only files that parse."""
    from tracertm.engine import links

    on_disk = snapshot.source in ("worktree", "folder")
    records = []
    for path in paths:
        scanned = snapshot.files.get(path)
        row = db_files.get(path)
        try:
            if scanned is not None and scanned.error is None and scanned.kind in _REREAD_KINDS:
                data, expected, kind = snapshot.read([path])[path], scanned.blob_sha, scanned.kind
            elif (scanned is None and on_disk and not snapshot.in_scope(path) and row is not None and not row.deleted
                  and row.kind in _REREAD_KINDS):
                data, expected, kind = read_regular(Beneath(snapshot.real_root, path)), row.blob_sha, row.kind
            else:
                continue
        except OSError:
            continue
        if on_disk and git.blob_id(data, snapshot.object_format) != expected:
            continue
        result = parse_one(path, kind, data, settings.parser)
        if isinstance(result, ParseResult):
            records += [(path, result.kind, record) for record in result.records]
    return links.parsed_lines(records)


__all__ = ["maintain_links"]
