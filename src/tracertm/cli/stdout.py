"""Standard output while a command runs: a reader that went away (``| head -1``) is quiet, exit 141; a write that
fails otherwise (a full disk) is one line naming stdout, not an internal error; a character its encoding cannot
hold is written as an escape. A process started with stdout closed (``>&-``) is told it cannot write, as a full
disk is (``Closed``)."""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import Any, TextIO

__all__ = ["EXIT_BROKEN_PIPE", "Closed", "Guarded", "OutputError", "escaped", "gone", "stand_in", "unwritable"]

EXIT_BROKEN_PIPE = 141


def gone() -> int:
    """The reader of stdout went away. Point stdout at /dev/null so that the interpreter's own flush at exit
    (output still buffered) does not print "Exception ignored ... BrokenPipeError" on stderr; exit 141."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (captured, closed): nothing left to flush
        pass
    return EXIT_BROKEN_PIPE


class Closed:
    """``sys.stdout`` of a process started without standard output (``tracertm list adrs >&-``), where Python has
    None: every ``print`` was lost without a word and the first flush an internal error. It takes text as a file's
    buffer does and refuses it where a file would write it (its buffer full, a flush): a command does what it
    does with stdout on a full disk (``> /dev/full``) — a sync commits, a read finishes — and then says in one line
    that its output could not be written, exit 2."""

    encoding = "utf-8"
    errors = "strict"
    closed = False  # (the interpreter's flush at exit asks; nothing is left to flush by then)

    def __init__(self) -> None:
        self._pending = 0

    def write(self, text: str) -> int:
        self._pending += len(text)
        if self._pending > io.DEFAULT_BUFFER_SIZE:
            self._refuse()
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._refuse()

    def _refuse(self) -> None:
        self._pending = 0  # (said once: what was refused is dropped, as ``gone`` drops a file's buffer)
        raise OSError(errno.EBADF, "standard output is closed")

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise io.UnsupportedOperation("standard output is closed")


def stand_in() -> None:
    """Put ``Closed`` in ``sys.stdout`` when the process has none, and /dev/null on descriptor 1 when that is closed:
    the next file opened (the SQLite database, a pipe to git) would get the lowest free descriptor, 1, and a child
    process that writes to its stdout (git) would write into it."""
    if sys.stdout is not None:
        return
    sys.stdout = Closed()
    try:
        os.fstat(1)
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        if devnull != 1:
            os.dup2(devnull, 1)
            os.close(devnull)


class OutputError(Exception):
    """Standard output would not take what a command wrote (a full disk, an I/O error), a closed pipe aside. Not an
    ``OSError``: a verb's ``except OSError`` around its own files must not take it for theirs."""

    def __init__(self, where: str, exc: OSError) -> None:
        super().__init__(f"{where}: cannot write: {exc.strerror or exc}; the output is incomplete")


class Guarded:
    """``sys.stdout`` while a command runs: a write or flush that fails raises ``OutputError`` naming stdout (an
    ``OSError`` alone does not say which file failed: a print to a full disk was an internal error), and text its
    encoding cannot hold is written with those characters as escapes (``escaped``). Everything else is the
    stream's own."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            try:
                return self._stream.write(text)
            except UnicodeEncodeError:
                # The locale's encoding (Latin-1, or PYTHONIOENCODING=ascii) lacks a character of a record's text
                # (“, Ф): the rest of the output still matters (check is the pre-commit hook). The stream encodes
                # the whole text before it writes any of it, so nothing was written twice.
                return self._stream.write(escaped(text, self._stream.encoding))
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError("stdout", exc) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError("stdout", exc) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def escaped(text: str, encoding: str | None) -> str:
    """``text`` with each character ``encoding`` cannot hold written as its Python escape (``\\u201c``,
    ``\\xe9``), as Python writes stderr."""
    codec = encoding or "utf-8"
    return text.encode(codec, "backslashreplace").decode(codec)


def unwritable(exc: OutputError, code: int) -> int:
    """Say that the output could not be written, drop what is still buffered (the interpreter's flush at exit would
    fail again, printing "Exception ignored"), and return ``code`` (the CLI's 2: the environment's to fix, as an
    unreachable database is)."""
    from tracertm.output import one_line

    print(one_line(f"tracertm: error: {exc}"), file=sys.stderr)
    gone()
    return code
