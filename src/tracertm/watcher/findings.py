"""Which spec findings (errors, warnings, dangling links) the daemon has already logged, per repository.

A daemon syncs the same broken file again and again (every reconcile re-reports the stored errors of unchanged
files), so logging every finding of every sync would repeat one line forever and bury the new ones. Instead a
finding is logged when it first appears and once more when it is gone: a user reading the log sees each problem,
and its fix, exactly once. Errors and warnings are tracked per file: a full reconcile reports all of them (the
stored findings of unchanged files too), a sync of some files those of the files it read, so those files' sets are
replaced and the rest kept. Dangling links are reported only by the run that creates or leaves them, not by later
reconciles, so their absence proves nothing: they are logged when they first appear, never as resolved.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tracertm.errors import Diagnostic

if TYPE_CHECKING:
    from tracertm.engine.sync import SyncResult

# Finding lines (new and resolved) one sync logs at most; the rest are counted in one line pointing at `check`.
MAX_FINDING_LINES = 20


@dataclass
class Change:
    """What a sync's findings changed: ``new`` to log, ``resolved`` (gone since last logged), ``unchanged`` (still
    there, already logged)."""

    new: list[Diagnostic] = field(default_factory=list)
    resolved: list[Diagnostic] = field(default_factory=list)
    unchanged: int = 0

    def __bool__(self) -> bool:
        return bool(self.new or self.resolved)


def _position(diag: Diagnostic) -> tuple[str, int, int, str]:
    return (diag.path, diag.line, diag.column, diag.message)


def _by_path(diags: Iterable[Diagnostic]) -> dict[str, list[Diagnostic]]:
    out: dict[str, list[Diagnostic]] = {}
    for diag in diags:
        out.setdefault(diag.path, []).append(diag)
    return out


class FindingLog:
    """Per repository (its key), the findings already logged, by file."""

    def __init__(self) -> None:
        self._known: dict[str, dict[str, frozenset[Diagnostic]]] = {}
        self._links: dict[str, dict[str, frozenset[Diagnostic]]] = {}

    def after_sync(self, key: str, result: SyncResult, paths: list[str] | None) -> Change:
        """``update`` with a sync's errors, warnings and dangling links; ``paths``: the files it was asked to sync as
        the engine names them (None: a full reconcile). The sync's ``covered`` files count as read too: a finding
        of another file that an edit of one of ``paths`` cured (an id it no longer holds, taken over by the file
        that lost it) is resolved by this sync, not at the next full reconcile."""
        from tracertm.engine.scan import shown_path

        if paths is not None and result.covered is not None:
            paths = sorted({*paths, *result.covered})
        scope = None if paths is None else [shown_path(p) for p in paths]  # as findings name them
        return self.update(key, [*result.errors, *result.warnings], result.links, scope)

    def update(
        self, key: str, findings: Iterable[Diagnostic], links: Iterable[Diagnostic], scope: Iterable[str] | None
    ) -> Change:
        """Record a sync's ``findings`` (errors and warnings) and dangling ``links`` for repository ``key``.
        ``scope``: the files the sync read (as findings name them), None for a full reconcile (every file)."""
        known = self._known.setdefault(key, {})
        reported = _by_path(findings)
        read = None if scope is None else set(scope)
        change = Change()
        for path in sorted(set(reported) | (set(known) if read is None else read)):
            before = known.get(path, frozenset())
            now = reported.get(path, [])
            if read is None or path in read:
                after = frozenset(now)
            else:
                # A finding of a file the sync did not cover (a step-link warning about another file): what it says
                # is added; that nothing else was said about that file proves nothing.
                after = before | frozenset(now)
            seen: set[Diagnostic] = set()
            for diag in now:  # in the sync's order: errors first, each file's findings by position
                if diag not in before and diag not in seen:
                    change.new.append(diag)
                    seen.add(diag)
            # A finding that only moved (a line added above it) is logged again at its new place, not as resolved.
            still = {(d.severity, d.message) for d in after}
            change.resolved += sorted(
                (d for d in before - after if (d.severity, d.message) not in still), key=_position
            )
            if after:
                known[path] = after
            else:
                known.pop(path, None)
        change.unchanged = sum(len(v) for v in known.values()) - len(change.new)
        change.new += self._new_links(key, links, read)
        return change

    def _new_links(self, key: str, links: Iterable[Diagnostic], read: set[str] | None) -> list[Diagnostic]:
        known = self._links.setdefault(key, {})
        reported = _by_path(links)
        new: list[Diagnostic] = []
        for path, now in reported.items():
            before = known.get(path, frozenset())
            new += [d for d in dict.fromkeys(now) if d not in before]
            known[path] = frozenset(now)
        for path in (read or set()) - set(reported):
            # The sync read this file and left no dangling link in it: a link it had was fixed (or the file is
            # gone), so the same link coming back is news again.
            known.pop(path, None)
        return new

    def forget(self, key: str) -> None:
        """Drop a repository no longer watched (one that comes back logs its findings afresh)."""
        self._known.pop(key, None)
        self._links.pop(key, None)


def _finding_line(root: Path, diag: Diagnostic) -> str:
    """A finding as ``tracertm sync`` prints it (``path:line:col: message``), its path made absolute: the log
    mixes repositories, and an absolute path is one an editor or terminal opens."""
    from tracertm import output

    if output.names_a_file(diag.path):
        return output.diagnostic(diag, prefix=f"{root}/")
    return f"{root}: {output.diagnostic(diag)}"


def log_change(log: logging.Logger, root: Path, change: Change, where: dict[str, str]) -> None:
    """Log a sync's new findings (at WARNING, errors first) and those gone since (INFO), at most
    ``MAX_FINDING_LINES`` of them, each record carrying ``where`` (repository, project, root) in its JSON fields;
    findings logged before and still there are not repeated (``FindingLog``)."""
    lines = [(d, False) for d in change.new] + [(d, True) for d in change.resolved]
    for diag, resolved in lines[:MAX_FINDING_LINES]:
        fields = {**where, **diag.as_dict()}
        if resolved:
            label = "" if diag.severity == "error" else "warning: "
            shown = dataclasses.replace(diag, message=f"resolved: {label}{diag.message}", severity="error")
            log.info("%s", _finding_line(root, shown), extra={"fields": {"event": "spec_resolved", **fields}})
        else:
            event = "spec_error" if diag.severity == "error" else "spec_warning"
            log.warning("%s", _finding_line(root, diag), extra={"fields": {"event": event, **fields}})
    more = len(lines) - MAX_FINDING_LINES
    if more > 0:
        log.warning(
            "%s: ... and %d more new or resolved finding(s); run 'tracertm check' there to see every one",
            root,
            more,
            extra={"fields": {"event": "spec_more", **where, "more": more}},
        )
    if change.unchanged:
        log.debug("%s: %d finding(s) logged before and unchanged", root, change.unchanged)


__all__ = ["MAX_FINDING_LINES", "Change", "FindingLog", "log_change"]
