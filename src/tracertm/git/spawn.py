"""git child processes without the ``subprocess`` module, for the paths a git hook runs.

``subprocess`` imports ``signal``, ``threading``, ``selectors`` and ``locale`` (about 4 ms of a pre-commit hook
that lives 60 ms). What tracertm needs of a child is small: start ``git`` with pipes, read its output and its
errors to the end, write a request, wait (with a bound), kill. ``spawn`` does that with ``os.posix_spawnp`` (glibc
starts the child with ``vfork``, as ``subprocess`` does) and ``select.poll``; where that is not available (not
POSIX), or when one of the standard descriptors is closed (a pipe would land on 0, 1 or 2), it wraps
``subprocess.Popen`` behind the same interface.

The child inherits this process's standard input unless it gets a pipe, as with ``subprocess``; descriptors this
process opened are close-on-exec (Python's default), so they do not leak into git.
"""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import subprocess

Stderr = Literal["pipe", "devnull"]


class Child:
    """A started child process. ``stdin``/``stdout``: buffered binary files when asked for (``pipes=True``), for
    a request/answer protocol (``git cat-file --batch``); otherwise ``communicate()`` reads the output."""

    pid: int
    returncode: int | None
    stdin: IO[bytes] | None
    stdout: IO[bytes] | None

    def communicate(self) -> tuple[bytes, bytes]:
        """Everything the child writes on its output and its errors (to the end; both empty with ``pipes``, whose
        ``stdout`` the caller reads), once it ended and was reaped. Closes the pipes."""
        raise NotImplementedError

    def poll(self) -> int | None:
        """The exit status if the child ended (it is reaped), else None."""
        raise NotImplementedError

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit status once the child ended; None when ``timeout`` seconds passed first."""
        raise NotImplementedError

    def kill(self) -> None:
        """SIGKILL, unless the child was reaped already."""
        raise NotImplementedError

    def close_pipes(self) -> None:
        """Close this side of every pipe (idempotent)."""
        raise NotImplementedError


def spawn(argv: list[str], env: dict[str, str], *, stdin: bool = False, pipes: bool = False,
          stderr: Stderr = "pipe") -> Child:
    """Start ``argv`` (looked up on ``PATH``) with ``env``: its output on a pipe, its errors on a pipe or
    ``/dev/null``, its input on a pipe with ``stdin``. ``FileNotFoundError`` when the program does not exist."""
    if hasattr(os, "posix_spawnp"):
        child = _Spawned.start(argv, env, stdin=stdin, pipes=pipes, stderr=stderr)
        if child is not None:
            return child
    return _Popen(argv, env, stdin=stdin, stderr=stderr)


class _Spawned(Child):
    def __init__(self, pid: int, out: int, err: int | None, stdin: int | None, pipes: bool) -> None:
        self.pid = pid
        self.returncode = None
        self._out: int | None = out if not pipes else None
        self._err = err
        self.stdout = open(out, "rb") if pipes else None  # noqa: SIM115 - closed by close_pipes
        self.stdin = open(stdin, "wb") if stdin is not None else None  # noqa: SIM115 - closed by close_pipes

    @classmethod
    def start(cls, argv: list[str], env: dict[str, str], *, stdin: bool, pipes: bool, stderr: Stderr) -> _Spawned | None:
        ours: list[int] = []  # this side of each pipe, closed if the start fails
        theirs: list[int] = []  # the child's side, closed here once it has them
        try:
            out_r, out_w = os.pipe()
            ours.append(out_r)
            theirs.append(out_w)
            actions: list[tuple[Any, ...]] = [(os.POSIX_SPAWN_DUP2, out_w, 1)]
            err_r: int | None = None
            if stderr == "pipe":
                err_r, err_w = os.pipe()
                ours.append(err_r)
                theirs.append(err_w)
                actions.append((os.POSIX_SPAWN_DUP2, err_w, 2))
            else:
                actions.append((os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0))
            in_w: int | None = None
            if stdin:
                in_r, in_w = os.pipe()
                theirs.append(in_r)
                ours.append(in_w)
                actions.append((os.POSIX_SPAWN_DUP2, in_r, 0))
            if min(ours + theirs) <= 2:  # a standard descriptor was closed: the duplications would clash
                for fd in ours:
                    os.close(fd)
                return None  # (theirs are closed below)
            pid = os.posix_spawnp(argv[0], argv, env, file_actions=actions)
        except BaseException:
            for fd in ours:
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        return cls(pid, out_r, err_r, in_w, pipes)

    def communicate(self) -> tuple[bytes, bytes]:
        import select

        if self.stdin is not None:
            self.stdin.close()
        chunks: dict[int, list[bytes]] = {}
        if self._out is not None:
            chunks[self._out] = []
        if self._err is not None:
            chunks[self._err] = []
        poller = select.poll()
        for fd in chunks:
            poller.register(fd, select.POLLIN)
        done: set[int] = set()
        while len(done) < len(chunks):
            for fd, _event in poller.poll():
                data = os.read(fd, 1 << 16)
                if data:
                    chunks[fd].append(data)
                else:  # the end (POLLHUP with nothing left to read)
                    poller.unregister(fd)
                    done.add(fd)
        out = b"".join(chunks[self._out]) if self._out is not None else b""
        err = b"".join(chunks[self._err]) if self._err is not None else b""
        self.close_pipes()
        self.wait()
        return out, err

    def _reaped(self, status: int) -> int:
        self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return self._reaped(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is not None:
            return self.returncode
        if timeout is None:
            return self._reaped(os.waitpid(self.pid, 0)[1])
        if self.poll() is not None:
            return self.returncode
        try:
            handle = os.pidfd_open(self.pid)  # readable once the child ended: one bounded wait, no polling loop
        except (AttributeError, OSError):
            return self._wait_polling(timeout)
        try:
            import select

            poller = select.poll()
            poller.register(handle, select.POLLIN)
            poller.poll(max(0, int(timeout * 1000)))
        finally:
            os.close(handle)
        return self.poll()

    def _wait_polling(self, timeout: float) -> int | None:
        import time

        deadline, delay = time.monotonic() + timeout, 0.0005
        while self.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, 9)  # SIGKILL (the signal module is not needed for its number)
            except ProcessLookupError:
                pass

    def close_pipes(self) -> None:
        for file in (self.stdin, self.stdout):
            if file is not None:
                try:
                    file.close()
                except OSError:
                    pass
        for fd in (self._out, self._err):
            if fd is not None:
                os.close(fd)
        self._out = self._err = None


class _Popen(Child):
    """``subprocess.Popen`` behind ``Child`` (no ``posix_spawnp`` here)."""

    def __init__(self, argv: list[str], env: dict[str, str], *, stdin: bool, stderr: Stderr) -> None:
        import subprocess

        self._proc: subprocess.Popen[bytes] = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stdin=subprocess.PIPE if stdin else None,
            stderr=subprocess.PIPE if stderr == "pipe" else subprocess.DEVNULL,
        )
        self.pid = self._proc.pid
        self.returncode = None
        self.stdin, self.stdout = self._proc.stdin, self._proc.stdout

    def communicate(self) -> tuple[bytes, bytes]:
        out, err = self._proc.communicate()
        self.returncode = self._proc.returncode
        return out or b"", err or b""

    def poll(self) -> int | None:
        self.returncode = self._proc.poll()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        import subprocess

        try:
            self.returncode = self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()

    def close_pipes(self) -> None:
        for pipe in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass


__all__ = ["Child", "spawn"]
