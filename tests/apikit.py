"""The set-ups the API and web tests share: an API token made straight in a database, an in-process client of the
API app (FastAPI's ``TestClient``) over a database, and a project whose links to an ADR are suspect. Test modules import them (``from apikit import
api_client, make_token``), as they import ``conftest``'s helpers."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from sqlalchemy.engine import Engine

    from tracertm.api.app import ApiSettings
    from conftest import GitRepo


def refunds_with_a_changed_adr(git_repo: GitRepo, engine: Engine, feature: str) -> None:
    """Project ``refunds``: ``docs/adr/0003-use-queues.md`` and ``features/refunds.feature`` (``feature``, which
    tags ADR-0003) synced, then the ADR's decision edited and synced again — its links from the feature are suspect
    (made at version 1, the ADR at version 2)."""
    from specs import adr
    from tracertm.engine.sync import sync

    git_repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues"))
    git_repo.write("features/refunds.feature", feature)
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine, project="refunds")
    git_repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", decision="Kafka it is."))
    git_repo.commit("kafka")
    sync(git_repo.path, engine=engine, project="refunds")


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


def next_page(answer: Any) -> str | None:
    """The ``rel="next"`` target of an in-process client's answer (its ``Link`` header), as a path and query; None
    on the last page."""
    link = answer.headers.get("link")
    if link is None:
        return None
    found = re.fullmatch(r'<http://testserver(/[^>]*)>; rel="next"', link)
    assert found, link
    return found.group(1)
