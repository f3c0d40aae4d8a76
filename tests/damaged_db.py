"""A damaged copy of a synced SQLite file, for the tests of what tracertm says of one (``db.failures.is_damaged``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def _copy(synced: Path, path: Path) -> sqlite3.Connection:
    """``synced`` copied to ``path`` with every page in the file itself (no WAL beside it): the copy's connection,
    still open."""
    source, conn = sqlite3.connect(synced), sqlite3.connect(path)
    try:
        source.backup(conn)
        assert conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
    finally:
        source.close()
    return conn


def damaged_copy(synced: Path, path: Path) -> None:
    """Copy the SQLite file ``synced`` to ``path`` with every page in the file itself (no WAL beside it), then
    overwrite the first bytes of the pages of ``projects`` and ``adrs``: the header is intact, so SQLite opens the
    file and meets the damage when it reads those tables ("database disk image is malformed")."""
    conn = _copy(synced, path)
    try:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = [row[0] for row in conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name IN ('projects', 'adrs')")]
    finally:
        conn.close()
    with path.open("r+b") as f:
        for page in pages:
            f.seek((page - 1) * size)
            f.write(b"\xff" * 64)


def damaged_at_open(synced: Path, path: Path) -> None:
    """Copy the SQLite file ``synced`` to ``path`` as ``damaged_copy`` does, then overwrite the first bytes of page
    1 after the file's header (the schema's own page, ``sqlite_master``): the file is still a SQLite file, and SQLite
    meets the damage at its first read of the schema — on connecting (a pragma), before any table is read."""
    _copy(synced, path).close()
    with path.open("r+b") as f:
        f.seek(100)  # (the 100-byte header stays: it is a SQLite file, not "file is not a database")
        f.write(b"\xff" * 64)


def undecodable_schema(synced: Path, path: Path) -> None:
    """Copy the SQLite file ``synced`` to ``path`` as ``damaged_copy`` does, then overwrite one byte of a table's
    name in ``sqlite_master`` with 0xff: SQLite's error then quotes the name ("malformed database schema (...)"),
    a message that is not UTF-8, and the sqlite3 module raises ``UnicodeDecodeError`` decoding it."""
    _copy(synced, path).close()
    data = path.read_bytes()
    at = data.index(b"tablecontractscontracts")
    with path.open("r+b") as f:
        f.seek(at + len("table"))
        f.write(b"\xff")
