"""Reading a work-tree file the scan found to be a regular file, through one descriptor.

Between the scan's ``lstat`` and the read, anything may happen to the path: a FIFO put in its place would make a
plain ``open`` wait for a writer forever (a sync or a hook hung), a device would be read without end, and a file
that grew past ``max_file_size`` would be read whole into memory. So the file is opened without blocking, the
descriptor itself is asked what it is (``fstat``: no second lookup of the path to race with), and no more than the
limit is read. What is no longer a regular file is an ``OSError`` naming the path, like a file that vanished:
callers already take that for "changed while this sync read the work tree".
"""

from __future__ import annotations

import errno
import os
import stat
from typing import NamedTuple

# O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer (it changes nothing for a
# regular file's reads). O_NOCTTY: a terminal device put there never becomes this process's controlling terminal.
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


_SPECIAL = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"))


def special_kind(mode: int) -> str:
    """What a path that is neither a regular file, a folder nor a symbolic link is, by its ``st_mode``: "a FIFO"..."""
    return next((name for test, name in _SPECIAL if test(mode)), "a special file")


class TooLarge(Exception):
    """The file holds more than the limit: ``size`` bytes (its size when opened, or at least limit + 1)."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class Beneath(NamedTuple):
    """A work-tree file to read: ``rel`` (its path, or the target the scan resolved its link to) below the folder
    ``root``, given as its real path (``os.path.realpath``, once per sync). The scan checked that nothing on the way
    leads out of ``root``; a folder swapped for a link to another place since then would be followed by ``open``, so
    what was opened is checked, not the path again."""

    root: str
    rel: str


def read_regular(path: str | os.PathLike[str] | Beneath, limit: int | None = None) -> bytes:
    """The bytes of the regular file at ``path`` (a symbolic link is followed, as ``open`` does; the scan has
    already refused links out of the tree). Raises ``OSError`` (``filename`` set) when it is gone or no longer a
    regular file, or (a ``Beneath``) when the file opened is not the one below its root, and ``TooLarge`` when it
    holds more than ``limit`` bytes — nothing past ``limit + 1`` is read."""
    below: Beneath | None = None
    if isinstance(path, Beneath):
        below, full = path, os.path.join(path.root, path.rel)
    else:
        full = os.fspath(path)
    fd = os.open(full, _FLAGS)
    with open(fd, "rb") as f:  # owns the descriptor from here: closed on every way out
        if below is not None and _opened(fd, full) != full:
            raise OSError(errno.EXDEV, "reached through a symbolic link out of its folder", full)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "no longer a regular file", full)
        if limit is None:
            return f.read()
        if st.st_size > limit:
            raise TooLarge(st.st_size)
        data = f.read(limit + 1)
        if len(data) > limit:  # grew since the fstat
            raise TooLarge(len(data))
        return data


def _opened(fd: int, path: str | os.PathLike[str]) -> str:
    """Where the file open as ``fd`` is: what Linux says of the descriptor itself, else (no ``/proc``) where
    ``path`` leads now."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return os.path.realpath(path)


__all__ = ["Beneath", "TooLarge", "read_regular"]
