"""What a sync reads: the parse of a snapshot's changed files (step files first when their definitions can be
matched in the parse workers, ADRs and contracts meanwhile in a pool of their own), and the blob ids of the bytes the
workers actually read. Split from ``engine.sync``, which runs it in its read phase and again under the lock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from tracertm import git
from tracertm.config import Settings
from tracertm.errors import ParseError, WorkTreeChangedError
from tracertm.engine import behave
from tracertm.engine.regular_file import Beneath
from tracertm.engine.parse import (
    STREAM_CHUNK, Consume, Job, Lull, Outcome, ParsePool, Pending, Prepare, default_jobs, hash_records, parse_files,
)
from tracertm.engine.scan import Snapshot


def parse_changed(
    snapshot: Snapshot, changed: list[str], settings: Settings, jobs: int | None, start_method: str | None = None,
    consume: Consume | None = None, prepare: Prepare = hash_records, *, match_steps: bool = True,
    lull: Lull | None = None, also: tuple[Pending | None, dict[str, Outcome]] | None = None,
) -> dict[str, Outcome]:
    """Parse ``changed``; with ``match_steps``, a parse of every step file and some features parses the step files
    first and matches the features' steps in the workers (``_steps_first``). ``also``: outcomes another pool is
    parsing (and those known without a parse), consumed and returned with these."""
    if not changed and also is None:
        return {}
    steps = _steps_first(snapshot, changed) if match_steps else []
    if consume is None:
        from tracertm.engine.apply import prepare_outcome  # rows are prepared as outcomes arrive, while workers parse

        consume = prepare_outcome
    n_jobs = jobs if jobs is not None else default_jobs()
    if steps:  # parsed first: the feature parse then matches steps in its workers (tracertm.steps.prematch)
        from tracertm.parsers.records import strips_trailing_colon
        from tracertm.steps.prematch import matcher

        # Until the feature parse starts, this process parses the step files and compiles their definitions for
        # the workers it then forks; meanwhile the files that need no matcher (ADRs, contracts) parse in a pool
        # of their own, forked first (on the large steps benchmark this process worked alone for ~0.28 s, one core
        # idle). All outcomes are consumed (with the eager writer: written) once the feature parse runs, step
        # files first.
        held: list[tuple[str, Outcome]] = []
        first = set(steps)
        early = [p for p in changed if p not in first and snapshot.files[p].kind != "feature"]
        with ParsePool(n_jobs, start_method=start_method) as pool:
            ahead: tuple[Pending | None, dict[str, Outcome]] | None = None
            if n_jobs > 1 and len(early) >= pool.threshold:
                work, known = _jobs(snapshot, early, settings)
                pending = pool.submit(work, settings.parser, prepare=hash_records, size=STREAM_CHUNK,
                                      object_format=snapshot.object_format)
                if pending is not None or not work:  # (else too few to read in a pool: parsed with the features)
                    ahead = (pending, known)
            done = parse_changed(snapshot, steps, settings, jobs, start_method, lambda path, outcome: held.append(
                (path, outcome)))
            parsing = set(done) | (set(early) if ahead is not None else set())
            steps_matcher = matcher(done, start_method, n_jobs, strips_trailing_colon(settings.parser)) \
                or hash_records
            rest = parse_changed(snapshot, [p for p in changed if p not in parsing], settings, jobs, start_method,
                          _after(held, consume), steps_matcher, lull=lull, also=ahead)
        for path, outcome in held:  # still held: nothing else was consumed
            consume(path, outcome)
        return {p: done[p] if p in done else rest[p] for p in changed}

    work, known = _jobs(snapshot, changed, settings)
    reads: dict[str, tuple[str, int]] = {}
    pending, known_too = also if also is not None else (None, {})
    try:
        # (behave's step modules are parsed with what other step files of theirs say: read from the work tree too)
        options = behave.options(snapshot, changed, settings)
        # Content hashes (plan compares them) are computed in the parse workers.
        parsed = parse_files(work, options, n_jobs, prepare=prepare, reads=reads, start_method=start_method,
                             consume=consume, lull=lull, also=pending, object_format=snapshot.object_format)
    except OSError as exc:  # gone or replaced since the scan: a checkout, a stash or a delete ran meanwhile
        raise changed_meanwhile(snapshot.root, exc) from None
    parsed.update(known)
    parsed.update(known_too)
    # A file on disk may have changed since it was hashed: record the blob id of the bytes actually parsed.
    files = snapshot.files
    mismatched = {p: read for p, read in reads.items() if read[0] != files[p].blob_sha}
    if snapshot.location.top is None or not mismatched:
        for p, (blob, size) in mismatched.items():
            files[p] = replace(files[p], blob_sha=blob, size=size)
        return parsed
    # In a git work tree the scan's ids are git's (end-of-line conversion applied: a CRLF checkout's bytes never
    # hash to their blob id). Ask git what the files hold now: the same as scanned → keep the scanned id; changed
    # since the scan and git stores them as they are → the id of the bytes parsed; otherwise keep the scanned id
    # and let the next sync see the change.
    prefix = snapshot.location.prefix
    now = git.hash_paths(snapshot.location.top, [prefix + (files[p].target or p) for p in mismatched])
    for p, (raw, size) in mismatched.items():
        current = now.get(prefix + (files[p].target or p))
        if current is not None and current != files[p].blob_sha and current == raw:
            files[p] = replace(files[p], blob_sha=raw, size=size)
    return parsed


def changed_meanwhile(root: Path, exc: OSError, run: str = "sync") -> WorkTreeChangedError:
    """The error of a sync (or a ``check``: ``run``) that found a work-tree file gone or replaced since its scan (a
    checkout, a stash or a delete ran meanwhile): nothing was written, and running it again reads the new state."""
    where = Path(exc.filename).relative_to(root) if exc.filename and Path(exc.filename).is_relative_to(root) \
        else exc.filename
    written = "nothing was written — " if run == "sync" else ""  # (a check writes nothing anyway)
    return WorkTreeChangedError(f"{where}: changed while this {run} read the work tree ({exc.strerror}); {written}"
                                f"run the {run} again")


@contextmanager
def reading_work_tree(root: Path, run: str = "sync") -> Iterator[None]:
    """Around reads of work-tree files besides the changed ones' parse (the step files matched against, behave's
    step modules a changed one depends on): one of them gone or replaced since the scan is ``changed_meanwhile``,
    as a changed file is — not an internal error. Other errors (no file of ``root`` named) pass through."""
    try:
        yield
    except OSError as exc:
        found = work_tree_error(root, exc, run)
        if found is exc:
            raise
        raise found from None


def work_tree_error(root: Path, exc: OSError, run: str = "sync") -> Exception:
    """What an ``OSError`` of a read means: a file of ``root`` gone or replaced since the scan is
    ``changed_meanwhile``; any other (no file of ``root`` named) is itself."""
    if not exc.filename or not Path(os.fsdecode(exc.filename)).is_relative_to(root):
        return exc
    return changed_meanwhile(root, exc, run)


def _jobs(snapshot: Snapshot, paths: list[str], settings: Settings) -> tuple[list[Job], dict[str, Outcome]]:
    """The parse jobs of ``paths``, and the outcomes known without a parse. Files on disk are read by the parse
    workers, in parallel (a ``Path`` job; the blob id of the bytes read comes back with the outcome); a commit's or
    the index's are read from git here, and a blob over ``max_file_size`` is rejected from git's header, never
    read."""
    files = snapshot.files
    work: list[Job] = []
    if snapshot.source in ("worktree", "folder"):
        root = snapshot.real_root  # (strings: 6,000 ``Path`` joins took ~25 ms, before any parse)
        work = [(p, files[p].kind, Beneath(root, files[p].target or p)) for p in paths if not files[p].from_git]
        if len(work) == len(paths):
            return work, {}
        # The rest are a work tree's files whose bytes are git's blob (``ScannedFile.from_git``): read from git.
        paths = [p for p in paths if files[p].from_git]
    from tracertm.engine.scan import too_large

    limit = settings.parser.max_file_size
    contents = snapshot.read_limited(paths, limit)
    work += [(p, files[p].kind, data) for p, data in contents.items() if isinstance(data, bytes)]
    known: dict[str, Outcome] = {
        p: ParseError(p, 0, 0, too_large(p, data, limit).message) for p, data in contents.items()
        if isinstance(data, int)
    }
    return work, known


def _after(held: list[tuple[str, Outcome]], consume: Consume) -> Consume:
    """``consume``, which first consumes the ``held`` outcomes (in order, emptying the list) when it is called."""

    def after(path: str, outcome: Outcome) -> None:
        for item in held:
            consume(*item)
        held.clear()
        consume(path, outcome)

    return after


def _steps_first(snapshot: Snapshot, changed: list[str]) -> list[str]:
    """The step files to parse before the rest of ``changed``: all of the source's, when this parse has them all
    and features too (a cold or full sync); else none (sync matches in its own process, after the parse)."""
    files = snapshot.files
    steps = [p for p in changed if files[p].kind == "step_definition"]
    if not steps or len(steps) == len(changed) or snapshot.scope is not None:
        return []
    if not any(files[p].kind == "feature" for p in changed):
        return []
    every = sum(1 for f in files.values() if f.kind == "step_definition" and f.error is None)
    return steps if every == len(steps) else []


__all__ = ["parse_changed"]
