"""A read whose database connection dies after its answer is ready (a terminated backend, a restart, a failover):
the session that ends the read cannot roll back on it. FastAPI ends a yield dependency after the answer is sent, so
the error had nothing left to answer with: the server logged an internal error and uvicorn closed the client's
kept-open connection, whose next request (a PATCH, say) went unanswered. An audit found it on PostgreSQL; here the
backend is really terminated, between the read and the end of its session."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text

from conftest import _pg_connect
from tracertm import db
from tracertm.api.deps import read_session

postgresql_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@postgresql_only
def test_a_read_session_lets_a_dropped_connection_go(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        state = SimpleNamespace(engine=engine, read_engine=db.snapshot_reads(engine))  # as create_app makes them
        request: Any = SimpleNamespace(method="GET", app=SimpleNamespace(state=state))
        reading = read_session(request)
        session = next(reading)
        backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()  # the read's transaction is open
        with _pg_connect(database_url) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        reading.close()  # the end of the read, after its answer: nothing raised
        with engine.connect() as connection:  # the pool gives a live connection
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()
