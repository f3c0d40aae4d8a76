"""Standard output while a command runs: a reader that went away (``| head -1``) is quiet, exit 141; a write that
fails otherwise (a full disk) is one line naming stdout, not an internal error; a character its encoding cannot
hold is written as an escape."""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

__all__ = ["EXIT_BROKEN_PIPE", "Guarded", "OutputError", "escaped", "gone", "unwritable"]

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
