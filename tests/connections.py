"""How many connections are open to a test's database: a library call must leave none behind."""

from __future__ import annotations

import os
import threading

from tracertm import db


def open_connections(url: str) -> int:
    """This process's descriptors of the SQLite file, or the PostgreSQL backends of the database (each test has its
    own), other than the one asking. A bulk write's WAL checkpoint runs on a thread of its own and holds the file a
    moment: it is waited for first."""
    for thread in threading.enumerate():
        if thread.name == db.CHECKPOINT_THREAD:
            thread.join()
    if url.startswith("sqlite"):
        path = os.path.realpath(url.removeprefix("sqlite:///"))
        held = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                held += os.readlink(f"/proc/self/fd/{fd}") == path
            except OSError:  # the descriptor listdir itself used, closed since
                pass
        return held
    from sqlalchemy import create_engine, text

    probe = create_engine(url)
    try:
        with probe.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                         " AND pid <> pg_backend_pid()")).scalar_one())
    finally:
        probe.dispose()
