"""A damaged copy of a synced SQLite file, for the tests of what tracertm says of one (``db.failures.is_damaged``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def damaged_copy(synced: Path, path: Path) -> None:
    """Copy the SQLite file ``synced`` to ``path`` with every page in the file itself (no WAL beside it), then
    overwrite the first bytes of the pages of ``projects`` and ``adrs``: the header is intact, so SQLite opens the
    file and meets the damage when it reads those tables ("database disk image is malformed")."""
    source, conn = sqlite3.connect(synced), sqlite3.connect(path)
    try:
        source.backup(conn)
        assert conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = [row[0] for row in conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name IN ('projects', 'adrs')")]
    finally:
        source.close()
        conn.close()
    with path.open("r+b") as f:
        for page in pages:
            f.seek((page - 1) * size)
            f.write(b"\xff" * 64)
