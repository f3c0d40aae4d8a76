"""The two set-ups the API and web tests share: an API token made straight in a database, and an in-process client
of the API app (FastAPI's ``TestClient``) over a database. Test modules import them (``from apikit import
api_client, make_token``), as they import ``conftest``'s helpers."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from sqlalchemy.engine import Engine

    from tracertm.api.app import ApiSettings


@contextmanager
def _engine_of(database: Engine | str) -> Iterator[Engine]:
    """``database`` itself when it is an engine (its owner disposes of it), else an engine on that URL, disposed of
    when the block ends."""
    from tracertm import db

    if not isinstance(database, str):
        yield database
        return
    engine = db.make_engine(database)
    try:
        yield engine
    finally:
        engine.dispose()


def make_token(database: Engine | str, scope: str = "write", label: str = "test") -> str:
    """A new API token of ``scope`` (``read`` or ``write``) labelled ``label``, committed in ``database`` (an engine,
    or a URL: then an engine of its own, disposed of before returning); returns the secret a client sends as
    ``Authorization: Bearer``. The label is the actor of the revisions the token writes."""
    from tracertm import db, tokens

    with _engine_of(database) as engine, db.session(engine) as session, session.begin():
        value, _ = tokens.create(session, scope, label)
    return value


@contextmanager
def api_client(database: Engine | str, settings: ApiSettings | None = None, *,
               raise_server_exceptions: bool = False, **client_options: Any) -> Iterator[TestClient]:
    """An in-process client of the API app over ``database`` (an engine, or a URL: then an engine of its own,
    disposed of after the client) served with ``settings`` (default: ``ApiSettings()``). The app's lifespan runs
    while the block does and the client is closed after it. A server error is a 500 answer unless
    ``raise_server_exceptions``; ``client_options`` go to ``TestClient`` (``base_url``, ``follow_redirects``,
    ``root_path``)."""
    with warnings.catch_warnings():  # Starlette's deprecation of httpx, which its test client still uses
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from tracertm.api.app import ApiSettings, create_app

    with _engine_of(database) as engine:
        app = create_app(settings or ApiSettings(), engine)
        with TestClient(app, raise_server_exceptions=raise_server_exceptions, **client_options) as client:
            yield client


@contextmanager
def counting_client(url: str) -> Iterator[tuple[TestClient, list[str]]]:
    """``api_client`` over an engine of its own whose statements are recorded (``before_cursor_execute``), in the
    list given with it: what a request costs in statements."""
    from sqlalchemy import event

    from tracertm import db

    engine = db.make_engine(url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_: statements.append(sql))
    try:
        with api_client(engine) as client:
            yield client, statements
    finally:
        engine.dispose()
