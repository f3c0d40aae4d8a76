"""Running git: one short-lived process per command (``run``) with a clean environment (``git_env``), pathspecs
that mean what they say (``pathspecs``), the long-lived ``git cat-file --batch`` reader of blobs
(``BlobReader``), and a long-lived process asked one request at a time (``Dialogue``: ``git diff-tree --stdin``).

Every git process runs in a process group of its own, which this module ends as a whole — git and the filters
and hooks it runs (a slow clean filter: ``sh -c``, and what that runs) — when its caller is interrupted (Ctrl-C,
the CLI's SIGTERM) or its ``Scope`` is cancelled from another thread (the watch daemon's abort): a signal meant
for the caller, or a process group killed, must not leave a filter behind still running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar, Token
from pathlib import Path
from typing import IO, Any, Self, TypeVar

from tracertm.errors import Cancelled, GitError

T = TypeVar("T")

# Variables git exports to hooks. Left in the environment they would point our git calls at the hook's repository
# or index whatever folder we work in; ``git_env`` keeps the index only when it belongs to the repository at hand.
_LEAKED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX", "GIT_COMMON_DIR")


def git_env(root: Path | None = None) -> dict[str, str]:
    """The environment for git calls about ``root``: without hook-leaked variables, except that a hook's
    ``GIT_INDEX_FILE`` is kept (made absolute) when it is this repository's, so ``--staged`` sees what
    ``git commit -a`` or ``git commit PATH`` is about to commit — also from a folder below the top, where a hook
    of the user's may run tracertm (``cd svc && tracertm check --staged``, lefthook's ``root:``)."""
    env = {k: v for k, v in os.environ.items() if k not in _LEAKED}
    index = os.environ.get("GIT_INDEX_FILE")
    if index and root is not None:
        try:
            hook = _hook_repository()
            ours = _dot_git(root)
            if hook is not None and ours is not None and real_git_dir(hook[0]).resolve() == \
                    real_git_dir(ours).resolve():
                env["GIT_INDEX_FILE"] = str((Path(index) if os.path.isabs(index) else hook[1] / index).resolve())
        except OSError:
            pass
    return env


def _hook_repository() -> tuple[Path, Path] | None:
    """The git directory (or ``.git`` file) of the git that exported ``GIT_INDEX_FILE``, and the folder a relative
    index path is relative to: ``GIT_DIR`` with the current folder (git's top of a work tree named by ``GIT_DIR``
    alone, or ``GIT_WORK_TREE``), else the repository around the current folder with the top of its work tree —
    git reads a relative index path there (``commit --amend`` exports ``.git/index``), wherever it was started."""
    named = os.environ.get("GIT_DIR")
    if named:
        cwd = Path.cwd()
        work_tree = os.environ.get("GIT_WORK_TREE")
        return cwd / named, (cwd / work_tree if work_tree else cwd)
    found = _dot_git(Path.cwd())
    return None if found is None else (found, found.parent)


def _dot_git(start: Path) -> Path | None:
    """The ``.git`` (folder or file) git finds from ``start``: in it, or in the nearest folder above it."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder / ".git"
    return None


def real_git_dir(dot_git: Path) -> Path:
    """The git directory ``dot_git`` stands for: itself, or where its ``gitdir:`` line points when it is a file (a
    linked worktree's ``.git``, a submodule's, a ``--separate-git-dir`` repository's), so that a hook's index in
    ``.git/worktrees/NAME`` is recognised as this work tree's."""
    if not dot_git.is_file():
        return dot_git
    text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
    if not text.startswith("gitdir:"):
        return dot_git
    target = Path(text.removeprefix("gitdir:").strip())
    return target if target.is_absolute() else dot_git.parent / target


# ``log.showSignature`` (set where commits are signed) makes ``git log`` and ``git show`` print each signed commit's
# signature check on standard output, ahead of the format asked for: every command whose output is parsed turns it
# off (a sync --ref of a signed merge failed on it, and a backfill named merges' own authors for the merged work).
NO_SIGNATURES = ("-c", "log.showSignature=false")

# How long a git process may take to exit once told to (stdin closed, SIGTERM, or killed) before we stop waiting.
EXIT_TIMEOUT_S = 5.0

# POSIX: a process group of git's own (its process id), so that ending it ends the filters git runs too.
_OWN_GROUP: dict[str, Any] = {"process_group": 0} if os.name == "posix" else {}


class Scope:
    """The git processes one thread starts while it is in the ``with`` block of this scope (the watch daemon's loop,
    its syncs included), for another thread to end: ``cancel()`` ends every one still running with its process
    group (``_end``: git and the filters it runs) — and the git call that waited on one raises ``Cancelled``, as
    does any git call in the scope after it. Git calls made outside any scope are not tracked; threads do not
    inherit the scope."""

    def __init__(self) -> None:
        # Reentrant: a signal handler that cancels may run on the thread that is adding or removing a process.
        self._lock = threading.RLock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._cancelled = False
        self._tokens: list[Token[Scope | None]] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """End the scope's git processes and refuse new ones; safe from any thread and from a signal handler.
        Returns once they are reaped, within ``2 * EXIT_TIMEOUT_S``."""
        with self._lock:
            self._cancelled = True
            running = list(self._running)
        _end(running)

    def __enter__(self) -> Scope:
        self._tokens.append(_SCOPE.set(self))
        return self

    def __exit__(self, *exc: object) -> None:
        _SCOPE.reset(self._tokens.pop())

    def _track(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            cancelled = self._cancelled
            if not cancelled:
                self._running.add(proc)
        if cancelled:  # started while ``cancel`` ran, after it looked: ended here (``_release`` raises)
            _end([proc])

    def _forget(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.discard(proc)


_SCOPE: ContextVar[Scope | None] = ContextVar("tracertm_git_scope", default=None)


def _cancelled(args: Sequence[str]) -> Cancelled:
    return Cancelled(f"cancelled during git {_verb(args)}; nothing was written")


# git's global options that take their value as the next word (``git -c K=V show``: the command is ``show``).
_VALUED = ("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix", "--exec-path")


def _verb(args: Sequence[str]) -> str:
    """The git command of a command line (``hash-object`` of ``git -C ROOT -c K=V hash-object ...``)."""
    words = iter(args[1:])
    for word in words:
        if word in _VALUED:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return "git"


# git's line when an object a partial clone (``--filter``) left out could not be fetched from its promisor remote.
_PROMISOR = re.compile(r"could not fetch ([0-9a-f]{40,64}) from promisor remote")


def failure(args: Sequence[str], root: Path, stderr: bytes, returncode: int | None) -> str:
    """The one line of a failed git command line ``args``: its command (not a global option) and git's last line
    of error; a partial clone's object its remote could not give (``_PROMISOR``) said as such, not as a broken
    repository."""
    text = stderr.decode("utf-8", "replace")
    missing = _PROMISOR.search(text)
    if missing is not None:
        return unfetched(root, missing.group(1))
    lines = text.strip().splitlines()
    return f"git {_verb(args)} failed in {root}: {lines[-1] if lines else returncode}"


def unfetched(root: Path, sha: str) -> str:
    """An object of a partial clone that is not on disk and that its promisor remote (unreachable) did not give:
    git fetches such objects on demand, so the repository is sound (``git fsck`` finds nothing) once it can."""
    return (f"{root}: git object {sha} is not in this partial clone (--filter) and its remote could not be reached; "
            "reconnect to it (check with 'git fetch') and run again, or clone without --filter")


def _spawn(args: list[str], root: Path | None, *, stdin: Any, stdout: Any, stderr: Any
           ) -> tuple[subprocess.Popen[bytes], Scope | None]:
    """Start a git command line in a process group of its own, tracked by the current ``Scope`` (returned with it,
    for ``_release``). ``FileNotFoundError`` when git is not installed."""
    scope = _SCOPE.get()
    if scope is not None and scope.cancelled:
        raise _cancelled(args)
    proc = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=stderr, env=git_env(root), **_OWN_GROUP)
    if scope is not None:
        scope._track(proc)
    return proc, scope


def _release(proc: subprocess.Popen[bytes], scope: Scope | None, args: Sequence[str]) -> None:
    """A process of ``_spawn``'s, reaped: no longer its scope's. ``Cancelled`` when the scope was cancelled: its
    output may be cut short, whatever its exit status says."""
    if scope is not None:
        scope._forget(proc)
        if scope.cancelled:
            raise _cancelled(args)


def _communicate(proc: subprocess.Popen[bytes], scope: Scope | None, args: Sequence[str],
                 input: bytes | None = None) -> tuple[bytes, bytes]:
    """``proc.communicate(input)``, then ``_release``. When the caller is interrupted meanwhile (Ctrl-C, the
    CLI's SIGTERM: a ``KeyboardInterrupt``), git and its filters are ended before the interrupt goes on: in a
    process group of their own, the terminal's Ctrl-C does not reach them."""
    try:
        out, err = proc.communicate(input)
    except BaseException:
        _end([proc])
        _close_pipes(proc)
        if scope is not None:
            scope._forget(proc)
        raise
    _release(proc, scope, args)
    return out, err


def call(args: list[str], root: Path | None = None, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """``subprocess.run(args, input=input, capture_output=True)`` for a git command line, in ``git_env(root)``,
    ended with its caller or its ``Scope``; without ``input`` no standard input (in a process group of its own, git
    must not read the terminal). ``FileNotFoundError`` when git is not installed."""
    proc, scope = _spawn(args, root, stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = _communicate(proc, scope, args, input)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _end(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """End processes of ``_spawn``'s with their process groups: SIGTERM to each group (git removes its lock files
    on it), then, once git has exited or after ``EXIT_TIMEOUT_S``, SIGKILL to what is left of the group (a filter
    that outlived git: nothing reads its output any more); each git reaped (bounded). Their pipes are left to the
    thread that reads them."""
    for proc in procs:
        _signal(proc, hard=False)
    deadline = time.monotonic() + EXIT_TIMEOUT_S
    for proc in procs:
        try:
            proc.wait(max(deadline - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:
            pass
        # Not waited for, unlike git: a filter git ran is no child of ours, and once dead it stays a member of the
        # group until init reaps it (later, or never, where init reaps nothing: a container's process 1).
        _signal(proc, hard=True)
    for proc in procs:
        try:
            proc.wait(EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # a killed process that does not die: nothing more we can do
            pass


def _signal(proc: subprocess.Popen[bytes], *, hard: bool) -> None:
    if os.name != "posix":
        if proc.poll() is None:
            proc.kill() if hard else proc.terminate()
        return
    try:  # (while a member is left, or git is not reaped yet, no other process gets the group's id)
        os.killpg(proc.pid, signal.SIGKILL if hard else signal.SIGTERM)
    except (ProcessLookupError, PermissionError):  # all gone (or only what git ran under another user is left)
        pass


def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass


def run(root: Path, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
    """Run ``git -C root args...`` and return stdout; failures become ``GitError`` with git's own message."""
    try:
        proc = call(["git", "-C", str(root), *args], root, input)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH; install git") from None
    if check and proc.returncode != 0:
        raise GitError(failure(proc.args, root, proc.stderr, proc.returncode))
    return proc.stdout


class Pending:
    """A git command started in the background (``start``), so that its caller works while git does:
    ``result()`` waits for its output (failures raise ``GitError`` as ``run``'s do), ``close()`` ends and reaps it
    when its output is not wanted (idempotent; call it in a ``finally``)."""

    def __init__(self, root: Path, args: tuple[str, ...]) -> None:
        self._root = root
        self._command = ["git", "-C", str(root), *args]
        self._out: bytes | None = None
        try:
            self._proc, self._scope = _spawn(self._command, root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE)
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH; install git") from None

    def result(self) -> bytes:
        # Kept: a second caller gets the same answer (``checker.check`` looks at a hook's changes before
        # ``check_changes`` reads them), not the nothing a second read of spent pipes gives.
        if self._out is not None:
            return self._out
        out, err = _communicate(self._proc, self._scope, self._command)
        if self._proc.returncode != 0:
            raise GitError(failure(self._command, self._root, err, self._proc.returncode))
        self._out = out
        return out

    def close(self) -> None:
        if self._proc.returncode is None:
            _end([self._proc])
        self._proc.communicate()  # (what is left, and the pipes closed; nothing once ``result`` has read them)
        if self._scope is not None:
            self._scope._forget(self._proc)


def start(root: Path, *args: str) -> Pending:
    """Start ``git -C root args...`` in the background; see ``Pending``."""
    return Pending(root, args)


class Streamed:
    """A git command whose output is read as it comes (``git log`` of a whole history, ``stdout``), with its
    standard error kept in a temporary file: ``finish()``, once the output has ended, raises ``GitError`` (git's
    last line of error) when git failed, ``Cancelled`` when its scope ended it; ``close()`` ends it when its reader
    stops early (an error, Ctrl-C) and reaps it. A context manager that closes."""

    def __init__(self, root: Path, args: list[str]) -> None:
        import tempfile

        self._root, self._args = root, args
        self._errors = tempfile.TemporaryFile()
        try:
            self._proc, self._scope = _spawn(args, root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                             stderr=self._errors)
        except BaseException as e:
            self._errors.close()
            if isinstance(e, FileNotFoundError):
                raise GitError("git is not installed or not on PATH; install git") from None
            raise
        assert self._proc.stdout is not None
        self.stdout: IO[bytes] = self._proc.stdout

    def finish(self) -> None:
        self._proc.wait()
        _release(self._proc, self._scope, self._args)  # (``Cancelled``: its output may be cut short)
        if self._proc.returncode != 0:
            self._errors.seek(0)
            raise GitError(failure(self._args, self._root, self._errors.read(), self._proc.returncode))

    def close(self) -> None:
        if self._proc.poll() is None:
            _end([self._proc])
        if self._scope is not None:
            self._scope._forget(self._proc)
        self.stdout.close()
        self._errors.close()

    def __enter__(self) -> Streamed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Bytes of pathspecs named on one git command line at most: far below the kernel's ARG_MAX (2 MiB on Linux, shared
# with the environment).
MAX_PATHSPEC_BYTES = 256 * 1024


def pathspecs(prefixes: tuple[str, ...]) -> list[str]:
    """Pathspecs of folders (or files) relative to the top of the repository, taken literally."""
    # ":(top)" keeps pathspecs relative to the repository root; "literal" stops file names with * or ? from globbing.
    return [f":(top,literal){p}" if p else ":(top)" for p in prefixes] or [":(top)"]


class _LongLived:
    """A git process kept for many requests (``BlobReader``, ``Dialogue``): started on the first, its standard
    error in a file (a pipe nobody reads while answers are read could fill and stall git), killed and reaped when an
    answer goes wrong (the output is then at an unknown place), closed with a bounded wait."""

    def __init__(self, root: Path, command: list[str]) -> None:
        self._root = root
        self._command = command
        self._proc: subprocess.Popen[bytes] | None = None
        self._scope: Scope | None = None
        self._broken: str | None = None
        self._errors: IO[bytes] | None = None

    @property
    def broken(self) -> bool:
        return self._broken is not None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            import tempfile

            self._errors = tempfile.TemporaryFile()
            try:
                self._proc, self._scope = _spawn(self._command, self._root, stdin=subprocess.PIPE,
                                                 stdout=subprocess.PIPE, stderr=self._errors)
            except BaseException as e:
                self._close_errors()
                if isinstance(e, FileNotFoundError):
                    raise GitError("git is not installed or not on PATH; install git") from None
                raise
        return self._proc

    def _kill(self, *, keep_errors: bool = False) -> None:
        """Kill and reap the process; ``keep_errors``: its standard error is kept to be read (then closed by the
        caller, ``_close_errors``)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            _signal(proc, hard=True)
        self._reap(proc, keep_errors=keep_errors)

    def close(self) -> None:
        """End the process: close its input and wait (bounded); kill it if it does not exit in time."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _signal(proc, hard=True)
        self._reap(proc)

    def _reap(self, proc: subprocess.Popen[bytes], *, keep_errors: bool = False) -> None:
        _reap(proc)
        if self._scope is not None:
            self._scope._forget(proc)
        if not keep_errors:
            self._close_errors()

    def _close_errors(self) -> None:
        errors, self._errors = self._errors, None
        if errors is not None:
            errors.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BlobReader(_LongLived):
    """Reads many blobs through one ``git cat-file --batch`` process.

    Any error part-way through a read (a missing object, a short read, a dead process) leaves the answer stream at
    an unknown position: the reader is then marked broken and its process killed and reaped, and later reads raise
    instead of returning another object's bytes. Requests are written by a helper thread while answers are read,
    so neither side can fill a pipe and wait for the other.
    """

    def __init__(self, root: Path) -> None:
        # (git's standard error also tells an object a partial clone could not fetch from a broken repository)
        super().__init__(root, ["git", "-C", str(root), "cat-file", "--batch"])

    def _start(self) -> subprocess.Popen[bytes]:
        if self._broken is not None:
            raise GitError(f"git cat-file in {self._root} failed earlier ({self._broken}); start a new reader")
        return super()._start()

    def read(self, sha: str) -> bytes:
        """The bytes of one blob."""
        return self.read_many([sha])[sha]

    def read_many(self, shas: list[str]) -> dict[str, bytes]:
        """The bytes of each blob, in one round trip."""
        return self.read_limited(shas, None)  # type: ignore[return-value]  # without a limit every value is bytes

    def read_limited(self, shas: list[str], max_size: int | None) -> dict[str, bytes | int]:
        """``read_many``, except that a blob over ``max_size`` bytes is not kept: its size (an int) is returned
        instead, decided from git's header before its content is read (it is skipped in chunks)."""
        import threading

        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        unique = list(dict.fromkeys(shas))
        request = b"".join(s.encode() + b"\n" for s in unique)
        failure: list[BaseException] = []

        def write() -> None:
            try:
                assert proc.stdin is not None
                proc.stdin.write(request)
                proc.stdin.flush()
            except (OSError, ValueError) as exc:  # the process died or was killed: the reader reports it
                failure.append(exc)

        writer = threading.Thread(target=write, name="git-cat-file-writer", daemon=True)
        writer.start()
        out: dict[str, bytes | int] = {}
        try:
            for sha in unique:
                out[sha] = self._answer(proc.stdout, sha, max_size)
        except BaseException as exc:
            self._fail(exc)
            scope = self._scope
            if scope is not None and scope.cancelled:  # (it was ended: no missing object, no broken repository)
                raise _cancelled(("git", "cat-file")) from exc
            raise
        finally:
            writer.join(EXIT_TIMEOUT_S)
        return out

    def _answer(self, stdout: Any, sha: str, max_size: int | None) -> bytes | int:
        header = stdout.readline()
        fields = header.split()
        if len(fields) != 3:
            partial = self._unfetched(ended=not header)
            if partial is not None:
                raise GitError(partial)
            if not header:
                raise GitError(f"git cat-file in {self._root} stopped answering (at object {sha}); run 'git fsck'")
            raise GitError(f"git object {sha} is missing from {self._root}; run 'git fsck'")
        size = int(fields[2])
        if max_size is not None and size > max_size:
            left = size + 1  # and the newline after every object
            while left:
                chunk = stdout.read(min(left, 1 << 16))
                if not chunk:
                    raise GitError(f"git cat-file in {self._root} stopped part-way through object {sha}")
                left -= len(chunk)
            return size
        data = stdout.read(size)
        if len(data) != size or stdout.read(1) != b"\n":
            raise GitError(f"git cat-file in {self._root} stopped part-way through object {sha}")
        return bytes(data)

    def _unfetched(self, *, ended: bool) -> str | None:
        """``unfetched``'s line when git said it could not fetch an object from a partial clone's remote, else None.
        ``ended``: git stopped answering, so it is waited for (bounded) to have written all it had to say."""
        if self._proc is None or self._errors is None:
            return None
        if ended:
            try:
                self._proc.wait(EXIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        self._errors.seek(0)
        missing = _PROMISOR.search(self._errors.read().decode("utf-8", "replace"))
        return None if missing is None else unfetched(self._root, missing.group(1))

    def _fail(self, exc: BaseException) -> None:
        self._broken = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self._kill()


class Dialogue(_LongLived):
    """A long-lived git process asked one request at a time on its standard input (``git diff-tree --stdin``): a
    run that asks it about many commits pays for one process, not one per commit. ``ask`` writes a request and
    reads its whole answer before the next (a request is far smaller than a pipe holds, so neither side waits on
    the other). Started on the first request. Any error part-way through an answer leaves the output at an unknown
    place: the process is then killed and reaped and later requests raise, as ``BlobReader`` does."""

    def __init__(self, root: Path, args: Sequence[str]) -> None:
        super().__init__(root, ["git", "-C", str(root), *args])

    def ask(self, request: bytes, answer: Callable[[IO[bytes]], T]) -> T:
        """Write ``request`` and return what ``answer`` reads of git's output (all of the answer, no more)."""
        if self._broken is not None:
            raise GitError(f"git {_verb(self._command)} in {self._root} failed earlier ({self._broken}); run again")
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(request)
            proc.stdin.flush()
            return answer(proc.stdout)
        except BaseException as exc:
            self._broken = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if isinstance(exc, EOFError):  # git closed its output: let it finish saying why (bounded)
                try:
                    proc.wait(EXIT_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    pass
            self._kill(keep_errors=True)  # (what git said is read below; closed in ``finally``)
            if self._scope is not None and self._scope.cancelled:  # ended by its scope: no broken repository
                raise _cancelled(self._command) from exc
            if isinstance(exc, (OSError, EOFError)):  # git ended (its own error, or killed): say what it said
                assert self._errors is not None
                self._errors.seek(0)
                raise GitError(failure(self._command, self._root, self._errors.read(), proc.returncode)) from exc
            raise
        finally:
            if self._broken is not None:
                self._close_errors()


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Wait for a finished or killed process (bounded) and close its pipes."""
    try:
        proc.wait(EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:  # a killed process that does not die: nothing more we can do
        pass
    _close_pipes(proc)
