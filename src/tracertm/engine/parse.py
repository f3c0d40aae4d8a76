"""Parse many files, in worker processes when there are enough of them to pay for the start-up (``ParsePool``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FunctionType
from typing import TYPE_CHECKING, Any

from tracertm.cancellation import safe_point
from tracertm.engine.regular_file import Beneath, TooLarge, read_regular
from tracertm.errors import Cancelled, ParseError
from tracertm.git import blob_id
from tracertm.parsers import parse
from tracertm.parsers.records import FileKind, ParseResult, ParserOptions
from tracertm.signals import held as signals_held

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

# (path, kind, the bytes or the file to read them from: a ``Path``, or its name as a string, which costs the parent a
# fraction of a ``Path`` per file). Files are read by the worker that parses them, in parallel, and their git blob
# id (in the repository's object format, given to the workers: ``parse_files``) and size come back with the outcome.
Job = tuple[str, FileKind, bytes | str | Path | Beneath]  # its bytes, or the work-tree file to read them from
Read = tuple[str, int]  # blob id and size of the bytes a worker read
Prepare = Callable[[ParseResult], None]
Outcome = ParseResult | ParseError
# Called in the parent with each file's outcome as its chunk comes back from the workers, while they parse the rest:
# the parent's own per-record work (building rows) overlaps the parse instead of following it.
Consume = Callable[[str, Outcome], None]
# Called in the parent after a chunk's outcomes were consumed, once every chunk still out has a worker of its own
# (the parse's last round): a consumer that batches its work (``engine.eager``) does what it holds now, while the
# last chunks parse, instead of after them.
Lull = Callable[[], None]
# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 200
# Files per chunk when the parent consumes each chunk as it arrives (``parse(consume=...)``). The parent's share of
# the work on a chunk (building and writing its rows) can only start when the chunk is parsed, so whatever it does
# for the last chunks runs after the workers are done, alone: with ``jobs * 4`` chunks a cold sync of 6,000 files
# left the rows of the last two (1,500 files) to write after the parse. Small chunks leave little.
STREAM_CHUNK = 64


def parse_one(
    path: str, kind: FileKind, data: bytes, options: ParserOptions, prepare: Prepare | None = None
) -> Outcome:
    """Parse one file; a parser bug becomes that file's error instead of aborting the whole sync.

    ``prepare`` is called with a successful result, in the worker process when there is a pool: work on records
    done there runs in parallel instead of serially in the parent, and what it caches on the records travels back
    pickled with them (see ``hash_records``). A cancelled sync's stop inside the parse (``Cancelled``, at one of
    its safe points: ``tracertm.cancellation``) is raised, no error of the file."""
    try:
        result = parse(kind, path, data, options)
        if prepare is not None:
            prepare(result)
        return result
    except ParseError as exc:
        return exc
    except Cancelled:
        raise
    except RecursionError:
        return ParseError(path, 0, 0, "document is nested too deeply to parse")
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop a sync of thousands
        return ParseError(path, 0, 0, f"parser failed ({type(exc).__name__}: {exc}); please report this file")


def hash_records(result: ParseResult) -> None:
    """Compute every record's content hash (a cached property: it is pickled with the record)."""
    for record in result.records:
        record.content_hash  # noqa: B018
        for child in record.children:
            safe_point()  # (a feature of thousands of scenarios hashes for a second: a cancelled sync stops here)
            child.content_hash  # noqa: B018


def _parse_chunk(
    chunk: list[Job], options: ParserOptions, prepare: Prepare | None = None, object_format: str = "sha1"
) -> list[tuple[str, Outcome, Read | None]]:
    out: list[tuple[str, Outcome, Read | None]] = []
    for path, kind, data in chunk:
        safe_point()  # (in this process: a cancelled sync stops between its files)
        read: Read | None = None
        if not isinstance(data, bytes):
            try:  # an OSError (gone, or no longer a regular file) propagates, as a read in the parent would
                data = read_regular(data, options.max_file_size)
            except TooLarge as exc:  # grew past the limit since the scan: that file's error, as the scan's
                from tracertm.engine.scan import too_large

                out.append((path, ParseError(path, 0, 0, too_large(path, exc.size, options.max_file_size).message),
                            None))
                continue
            read = (blob_id(data, object_format), len(data))
        out.append((path, parse_one(path, kind, data, options, prepare), read))
    return out


def _worker_chunk(
    chunk: list[Job], options: ParserOptions, prepare: Prepare | None = None, object_format: str = "sha1"
) -> list[tuple[str, Outcome, Read | None]]:
    """``_parse_chunk`` in a worker process. A worker forked while the parent had its cyclic collector paused (a
    sync's or backfill's write: ``collector_paused``) runs paused too, which saves the collections its parsing
    would trigger; the cyclic garbage a chunk leaves is freed here, before the next chunk, by one collection of the
    young objects — what the last chunk left alive (its outcomes went to the parent). Without it a backfill's
    workers, which parse chunk after chunk for the whole history, grew from 83 to 129 MB over 9,000 commits."""
    import gc

    if not gc.isenabled():
        gc.collect(0)
    return _parse_chunk(chunk, options, prepare, object_format)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def chunks(work: list[Any], jobs: int, size: int | None = None) -> list[list[Any]]:
    """Split sorted work into ``jobs * 4`` chunks by stride, not by range: each chunk gets the same mix of kinds and
    folders (a Gherkin file costs several times a YAML one), so the workers finish together instead of one of
    them parsing the last run of features alone. ``size``: more chunks, of about that many files each (see
    ``STREAM_CHUNK``)."""
    n = max(1, min(jobs * 4, len(work) // 16))
    if size is not None:
        n = max(n, len(work) // size)
    return [work[i::n] for i in range(n)]


def _worker_start(owner: int = 0, direct: bool = True, deathsig: bool = False) -> None:
    """A worker's set-up. It leaves Ctrl-C and SIGTERM to the parent, which stops the pool (no traceback per worker;
    a signal sent to the whole process group, as a CI job's timeout sends it, ran the CLI's SIGTERM handler the
    worker inherited: a ``KeyboardInterrupt`` traceback per worker, and a pool broken under the parent's own stop,
    which could then wait on its workers for ever; ``ParsePool.close``), and it
    dies with its parent (``_die_with_parent``: ``owner`` is the pool's process, 0 in a test calling this in its
    own process). What it inherited from the parent (a fork: the modules, the settings, the steps' matcher with its
    2,000 compiled definitions) lives as long as the worker: it goes to the collector's permanent generation, so
    that no collection walks it (``_worker_chunk``'s first collection walked it in 28 ms)."""
    import gc
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # (set before they are unblocked: none is run in a worker)
    if hasattr(signal, "pthread_sigmask"):  # the pool started it with them held (``signals.held``)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if owner:
        _die_with_parent(owner, direct, deathsig)
    gc.freeze()


# prctl(2) option: the signal the kernel sends this process when the thread that forked it ends.
PR_SET_PDEATHSIG = 1
# How often a watchdog without a pidfd looks for the pool's process (``_watch_owner``), in seconds.
PARENT_POLL = 1.0


def _die_with_parent(owner: int, direct: bool, deathsig: bool) -> None:
    """Make this worker end when the pool's process ends, however it ends. An idle worker waits on the pool's
    queue, whose write end it inherited too: it never sees an end of file, so a parent killed by SIGKILL (or by a
    SIGTERM it does not handle) left its workers alive, idle, for ever.

    ``direct``: the worker's parent is ``owner`` itself (fork, spawn), not the forkserver. ``deathsig``: the thread
    that forked it lives as long as its process (the owner's main thread, or the forkserver's only one). Then the
    kernel kills it the moment its parent ends (``PR_SET_PDEATHSIG``, Linux; the signal follows the forking
    *thread*, hence not for a worker forked by a thread that may end first). That is all a direct worker needs.
    Otherwise a daemon thread watches ``owner``: a forkserver outlives it (each worker holds the server's "alive"
    pipe open, so the server exits only after its workers), and macOS has no prctl. It waits on a pidfd (Linux
    5.3+: no polling) or polls every ``PARENT_POLL`` seconds."""
    armed = deathsig and _set_deathsig()
    watch = None if direct and armed else _pidfd(owner)
    # The parent may have died between the fork and here, before the signal was armed: the kernel sends it only
    # for a death after the prctl.
    if _orphaned(owner, direct):
        os._exit(1)
    if direct and armed:
        return
    import threading

    threading.Thread(target=_watch_owner, args=(owner, direct, os.getppid(), watch), name="tracertm-owner-watch",
                     daemon=True).start()


def _set_deathsig() -> bool:
    """SIGKILL this process when the thread that forked it ends (Linux); False where prctl is not available. SIGKILL
    rather than SIGTERM: a worker holds nothing to clean up, and no handler can keep it alive."""
    if sys.platform != "linux":
        return False
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)  # the process's own symbols: libc is loaded, nothing is opened
        return int(libc.prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):  # no prctl symbol (a libc without it): the watchdog thread instead
        return False


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` ends (Linux 5.3+); None where there is none (or no ``pid``:
    ``_orphaned`` sees that)."""
    if sys.platform != "linux":
        return None
    try:
        return os.pidfd_open(pid)
    except OSError:  # an older kernel (ENOSYS), a sandbox refusing it, or the process is gone
        return None


def _orphaned(owner: int, direct: bool) -> bool:
    """Whether the pool's process is gone: a worker it forked itself has been given another parent; a forkserver's
    worker asks the kernel about ``owner``."""
    if direct:
        return os.getppid() != owner
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        return True
    except OSError:  # (EPERM: it exists, as another user)
        return False
    return False


def _watch_owner(owner: int, direct: bool, parent: int, pidfd: int | None) -> None:
    """Exit when ``owner`` ends: its pidfd turns readable, or (polled) a direct worker's parent changes (it was
    handed to init or a subreaper) or the owner is no more."""
    if pidfd is not None:
        import select

        select.select([pidfd], [], [])
    else:
        import time

        while (os.getppid() == parent) if direct else not _orphaned(owner, direct):
            time.sleep(PARENT_POLL)
    os._exit(1)


class Pending:
    """Outcomes being parsed in the workers (``ParsePool.submit``)."""

    def __init__(self, futures: list[Future[list[tuple[str, Outcome, Read | None]]]]) -> None:
        self.futures = futures

    def result(self) -> dict[str, Outcome]:
        """Wait for every outcome, by path."""
        return {path: outcome for future in self.futures for path, outcome, _ in future.result()}

    def cancel(self) -> None:
        """Drop the work (what has not started is not started; what runs finishes unseen)."""
        for future in self.futures:
            future.cancel()


class ParsePool:
    """The one parse pool of sync, check and backfill: worker processes started on first use, when a call brings
    at least ``threshold`` files, and kept until ``close()`` (a sync parses once; a backfill parses batch after
    batch with the same workers). ``jobs <= 1`` never starts a process. ``threshold`` defaults to
    ``PARALLEL_THRESHOLD`` as it is when the pool is made."""

    def __init__(self, jobs: int = 1, threshold: int | None = None, start_method: str | None = None) -> None:
        self.jobs = jobs
        self.threshold = PARALLEL_THRESHOLD if threshold is None else threshold
        self.start_method = start_method  # see parse_files
        self._executor: Executor | None = None

    def parse(
        self,
        jobs_in: Iterable[Job],
        options: ParserOptions,
        *,
        prepare: Prepare | None = None,
        reads: dict[str, Read] | None = None,
        consume: Consume | None = None,
        lull: Lull | None = None,
        also: Pending | None = None,
        object_format: str = "sha1",
    ) -> dict[str, Outcome]:
        """Parse every job (one per path); see ``parse_files``. ``also``: outcomes another pool is parsing
        (``submit``), consumed as they arrive among these and returned with them (after them in the order)."""
        work = list(jobs_in)
        extra = also.futures if also is not None else []
        if self.jobs <= 1 or len(work) < self.threshold:
            results = _parse_chunk(work, options, prepare, object_format)
            if consume is not None:
                for path, outcome, _ in results:
                    consume(path, outcome)
            for future in extra:
                part = future.result()
                results.extend(part)
                if consume is not None:
                    for path, outcome, _ in part:
                        consume(path, outcome)
        else:
            from concurrent.futures import as_completed

            executor = self._start()
            # Small chunks when a consumer takes each as it comes, unless ``prepare`` is an object with state
            # that travels pickled with every chunk (the steps' matcher, unless the workers inherit it).
            light = prepare is None or isinstance(prepare, FunctionType) or getattr(prepare, "by_reference", False)
            size = STREAM_CHUNK if consume is not None and light else None
            before = self._children()
            try:
                with signals_held():
                    futures = [executor.submit(_worker_chunk, part, options, prepare, object_format)
                               for part in chunks(work, self.jobs, size)] + extra
            except BaseException:
                self._abandon(before)
                raise
            results = []
            left = len(futures)  # chunks not back yet
            try:
                for future in as_completed(futures):  # in the order the workers finish: consume while they parse
                    safe_point()  # (the workers' chunks ending: a cancelled sync stops between them)
                    part = future.result()
                    results.extend(part)
                    left -= 1
                    if consume is not None:
                        for path, outcome, _ in part:
                            consume(path, outcome)
                        if lull is not None and 0 < left <= self.jobs:
                            lull()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        out: dict[str, Outcome] = {}
        for path, outcome, read in results:
            out[path] = outcome
            if read is not None and reads is not None:
                reads[path] = read
        order = [job[0] for job in work] + [path for future in extra for path, _, _ in future.result()]
        return {path: out[path] for path in order}  # input order, whatever the pool's; ``also``'s after

    def submit(self, jobs_in: Iterable[Job], options: ParserOptions, *, prepare: Prepare | None = None,
               size: int | None = None, object_format: str = "sha1") -> Pending | None:
        """Start parsing every job (one per path) in the workers and return at once; ``Pending.result()`` waits for
        the outcomes. None when this pool would parse them in this process (too few, or ``jobs <= 1``): parse them
        with ``parse`` when they are needed. The backfill parses the next batch of commits this way while it plans
        and writes the current one."""
        work = list(jobs_in)
        if self.jobs <= 1 or len(work) < self.threshold:
            return None
        executor = self._start()
        with signals_held():
            return Pending([executor.submit(_worker_chunk, part, options, prepare, object_format)
                            for part in chunks(work, self.jobs, size)])

    def _start(self) -> Executor:
        if self._executor is None:
            # Imported here: the pool machinery costs ~50 ms of start-up that `check --staged` never needs.
            import multiprocessing
            import threading
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context(self.start_method)  # (None: the platform's, as the executor's)
            method = context.get_start_method()
            # Where the kernel may kill the workers with their parent (``_die_with_parent``): the forkserver forks
            # them on its only thread; with fork, this thread does, in the ``submit`` that follows (3.11: every
            # worker at once) — the main thread outlives the pool, a passing thread may not. A spawned worker
            # can be started by any later ``submit``, on any thread: a watchdog thread of its own looks after it.
            deathsig = method == "forkserver" or (
                method == "fork" and threading.current_thread() is threading.main_thread())
            self._executor = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=context, initializer=_worker_start,
                initargs=(os.getpid(), method != "forkserver", deathsig))
        return self._executor

    @staticmethod
    def _children() -> set[int]:
        import multiprocessing

        return {p.pid for p in multiprocessing.active_children() if p.pid is not None}

    def _abandon(self, before: set[int]) -> None:
        """The pool after an exception in ``submit`` (an interrupt held back by no signal mask: the CLI's handler
        run again by ``_thread.interrupt_main``, or a signal another thread took). Landing between a worker's start
        and the executor's record of it, or before the executor's manager thread started, it left workers that no
        shutdown reaches (the manager sends them the sentinel that ends them): they waited on the pool's queue for
        ever, and the process at exit for them (``multiprocessing``'s exit handler joins every child). Those are
        killed (idle or parsing: nothing they do is written anywhere), and without a manager the executor is
        dropped; the workers it knows and manages end with ``close`` as after any other exception."""
        import multiprocessing

        executor = self._executor
        # (the executor's own bookkeeping: concurrent.futures.process, 3.9-3.13)
        manager = getattr(executor, "_executor_manager_thread", None)
        recorded = set(getattr(executor, "_processes", None) or ()) if manager is not None else set()
        for process in multiprocessing.active_children():
            if process.pid not in before and process.pid not in recorded:
                process.kill()
                process.join()
        if executor is not None and manager is None:
            self._executor = None
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self, *, stop: bool = False) -> None:
        """Stop the workers (work not started yet is cancelled, as after Ctrl-C). ``stop``: the caller gave up on
        the work (an interrupt, a SIGTERM, any exception): the workers are waited for a bounded time, then killed
        (``_stop``)."""
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        if stop:
            _stop(executor)
        else:
            executor.shutdown(cancel_futures=True)

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.close(stop=kind is not None)


# How long a stopped pool waits for each step of its end (``_stop``), in seconds.
STOP_GRACE = 5.0


def _stop(executor: Executor) -> None:
    """Shut ``executor`` down, its queued work cancelled, without waiting for ever: the workers finish the chunk
    they parse (they ignore the signals: the executor's manager thread sees them end and stops) — unless the
    manager has not ended within ``STOP_GRACE`` or has died. Then every worker still alive is killed (one may never
    finish: blocked writing a result to a pipe nobody reads once the manager is gone, which kept the process from
    exiting), and a manager that waits for the rest of a killed worker's result is given an end of file. Killing
    comes last, once the manager has taken the shutdown in (Python 3.11's manager, seeing a worker die, sets an
    exception on each future it still holds: one cancelled meanwhile raised ``InvalidStateError`` in that
    thread, a traceback on stderr and a manager that never cleaned up)."""
    # (the executor's own bookkeeping: concurrent.futures.process, 3.9-3.13)
    manager = getattr(executor, "_executor_manager_thread", None)
    workers = list((getattr(executor, "_processes", None) or {}).values())
    results = getattr(executor, "_result_queue", None)
    executor.shutdown(wait=False, cancel_futures=True)
    if manager is not None:
        manager.join(STOP_GRACE)
    alive = [worker for worker in workers if worker.is_alive()]
    for worker in alive:
        worker.kill()
    for worker in alive:
        worker.join(STOP_GRACE)
    if manager is not None and manager.is_alive():
        manager.join(STOP_GRACE)
    if manager is not None and manager.is_alive() and results is not None:
        results._writer.close()  # (no worker is left to write: the manager's read ends, the pool counts as broken)
        manager.join(STOP_GRACE)


def parse_files(
    jobs_in: Iterable[Job],
    options: ParserOptions,
    jobs: int = 1,
    *,
    prepare: Prepare | None = None,
    reads: dict[str, Read] | None = None,
    start_method: str | None = None,
    consume: Consume | None = None,
    lull: Lull | None = None,
    also: Pending | None = None,
    object_format: str = "sha1",
) -> dict[str, Outcome]:
    """Parse every job, in ``jobs`` worker processes when there are enough files; ``prepare``: see ``parse_one``
    (a module-level function, so that it can be sent to the workers).

    Jobs whose data is a ``Path`` are read by the worker; ``reads`` (when given) receives the blob id and size of
    the bytes actually parsed for each of them, in ``object_format`` (the repository's, ``sha1`` or ``sha256``, as
    ``git rev-parse --show-object-format`` says: known once by the caller, never asked per file; ``sync`` passes
    ``Snapshot.object_format``). ``start_method`` is the pool's multiprocessing start method (default: the
    platform's); a process with threads (the watch daemon) passes ``"forkserver"``, since forking a process while
    another thread holds a lock leaves that lock held forever in the child. ``consume`` (when given)
    sees each outcome in the parent as soon as its chunk is back (see ``Consume``), and ``lull`` is called as the last
    chunks parse (see ``Lull``). ``also``: outcomes another pool is parsing, consumed and returned with these
    (``ParsePool.parse``)."""
    with ParsePool(jobs, start_method=start_method) as pool:
        return pool.parse(jobs_in, options, prepare=prepare, reads=reads, consume=consume, lull=lull, also=also,
                          object_format=object_format)
