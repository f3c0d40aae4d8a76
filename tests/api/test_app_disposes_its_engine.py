"""An app that opened its own engine closes that engine's connections when it shuts down (its lifespan ends);
an engine the caller gave stays the caller's."""

from __future__ import annotations

import warnings

from sqlalchemy.engine import make_url

from tracertm import db
from tracertm.api.app import ApiSettings, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _server_connections(url: str) -> int:
    """The connections to the test's own PostgreSQL database but the one asking."""
    import psycopg

    parsed = make_url(url)
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                           (parsed.database,)).fetchone()
    assert row is not None
    return int(row[0])


def test_an_owned_engine_is_disposed_at_shutdown(database_url: str) -> None:
    app = create_app(ApiSettings(database_url=database_url))
    with TestClient(app) as client:
        assert client.get("/api/v1/projects").status_code == 200
        if database_url.startswith("postgresql"):
            assert _server_connections(database_url) >= 1  # the pool keeps its connection while serving
    assert app.state.engine.pool.checkedin() == 0
    if database_url.startswith("postgresql"):
        assert _server_connections(database_url) == 0


def test_an_engine_given_is_left_to_its_owner(database_url: str) -> None:
    engine = db.open_engine(database_url)
    try:
        with TestClient(create_app(ApiSettings(database_url=database_url), engine=engine)) as client:
            assert client.get("/api/v1/projects").status_code == 200
        assert engine.pool.checkedin() >= 1  # still pooled: the caller may go on using it
    finally:
        engine.dispose()
