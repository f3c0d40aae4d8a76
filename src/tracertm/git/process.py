"""Running git: one short-lived process per command (``run``) with a clean environment (``git_env``), pathspecs
that mean what they say (``pathspecs``), and the long-lived ``git cat-file --batch`` reader of blobs
(``BlobReader``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from tracertm.errors import GitError

# Variables git exports to hooks. Left in the environment they would point our git calls at the hook's repository
# or index whatever folder we work in; ``git_env`` keeps the index only when it belongs to the repository at hand.
_LEAKED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX", "GIT_COMMON_DIR")


def git_env(root: Path | None = None) -> dict[str, str]:
    """The environment for git calls about ``root``: without hook-leaked variables, except that a hook's
    ``GIT_INDEX_FILE`` is kept (made absolute) when it is this repository's, so ``--staged`` sees what
    ``git commit -a`` or ``git commit PATH`` is about to commit."""
    env = {k: v for k, v in os.environ.items() if k not in _LEAKED}
    index = os.environ.get("GIT_INDEX_FILE")
    if index and root is not None:
        index_path = Path(index) if os.path.isabs(index) else Path.cwd() / index
        git_dir = Path(os.environ.get("GIT_DIR", ".git"))
        git_dir = git_dir if git_dir.is_absolute() else Path.cwd() / git_dir
        try:
            if _real_git_dir(git_dir).resolve() == _real_git_dir(root / ".git").resolve():
                env["GIT_INDEX_FILE"] = str(index_path.resolve())
        except OSError:
            pass
    return env


def _real_git_dir(dot_git: Path) -> Path:
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


def run(root: Path, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
    """Run ``git -C root args...`` and return stdout; failures become ``GitError`` with git's own message."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            input=input,
            capture_output=True,
            env=git_env(root),
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH; install git") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed in {root}: {message[-1] if message else proc.returncode}")
    return proc.stdout


class Pending:
    """A git command started in the background (``start``), so that its caller works while git does:
    ``result()`` waits for its output (failures raise ``GitError`` as ``run``'s do), ``close()`` ends and reaps it
    when its output is not wanted (idempotent; call it in a ``finally``)."""

    def __init__(self, root: Path, args: tuple[str, ...]) -> None:
        self._root = root
        self._args = args
        try:
            self._proc: subprocess.Popen[bytes] = subprocess.Popen(
                ["git", "-C", str(root), *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=git_env(root),
            )
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH; install git") from None

    def result(self) -> bytes:
        out, err = self._proc.communicate()
        if self._proc.returncode != 0:
            message = err.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {self._args[0]} failed in {self._root}: {message[-1] if message else self._proc.returncode}")
        return out

    def close(self) -> None:
        if self._proc.returncode is None:
            self._proc.kill()
            self._proc.communicate()


def start(root: Path, *args: str) -> Pending:
    """Start ``git -C root args...`` in the background; see ``Pending``."""
    return Pending(root, args)


# Bytes of pathspecs named on one git command line at most: far below the kernel's ARG_MAX (2 MiB on Linux, shared
# with the environment).
MAX_PATHSPEC_BYTES = 256 * 1024


def pathspecs(prefixes: tuple[str, ...]) -> list[str]:
    """Pathspecs of folders (or files) relative to the top of the repository, taken literally."""
    # ":(top)" keeps pathspecs relative to the repository root; "literal" stops file names with * or ? from globbing.
    return [f":(top,literal){p}" if p else ":(top)" for p in prefixes] or [":(top)"]


# How long a git process may take to exit once told to (stdin closed, or killed) before we stop waiting.
EXIT_TIMEOUT_S = 5.0


class BlobReader:
    """Reads many blobs through one ``git cat-file --batch`` process.

    Any error part-way through a read (a missing object, a short read, a dead process) leaves the answer stream at
    an unknown position: the reader is then marked broken and its process killed and reaped, and later reads raise
    instead of returning another object's bytes. Requests are written by a helper thread while answers are read,
    so neither side can fill a pipe and wait for the other.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._proc: subprocess.Popen[bytes] | None = None
        self._broken: str | None = None

    @property
    def broken(self) -> bool:
        return self._broken is not None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._broken is not None:
            raise GitError(f"git cat-file in {self._root} failed earlier ({self._broken}); start a new reader")
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(
                    ["git", "-C", str(self._root), "cat-file", "--batch"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=git_env(self._root),
                )
            except FileNotFoundError:
                raise GitError("git is not installed or not on PATH; install git") from None
        return self._proc

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
            raise
        finally:
            writer.join(EXIT_TIMEOUT_S)
        return out

    def _answer(self, stdout: Any, sha: str, max_size: int | None) -> bytes | int:
        header = stdout.readline()
        fields = header.split()
        if len(fields) != 3:
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

    def _fail(self, exc: BaseException) -> None:
        self._broken = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self._kill()

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        _reap(proc)

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
            proc.kill()
        _reap(proc)

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Wait for a finished or killed process (bounded) and close its pipes."""
    try:
        proc.wait(EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:  # a killed process that does not die: nothing more we can do
        pass
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass
