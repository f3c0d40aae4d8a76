"""Raw SQL against a test database by URL: to put rows in the state an older tracertm (or another program) left
them, and to read them back without the models; and the statements a read runs (``statements_of``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, event, text

from tracertm import db


def sql(url: str, statement: str, **params: Any) -> list[Any]:
    """The rows of ``statement`` run with ``params`` in a transaction of its own (none when it returns no rows)."""
    engine = create_engine(db.parse_url(url))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def as_json(value: Any) -> Any:
    """A JSON column's value as Python (the driver may return its text)."""
    return json.loads(value) if isinstance(value, str) else value


def project_metadata(url: str) -> dict[str, Any]:
    """The (only) project's metadata."""
    return dict(as_json(sql(url, "SELECT project_metadata FROM projects")[0][0]))


def set_marker(url: str, key: str, marker: int | None) -> None:
    """The project's metadata with ``key`` set to ``marker`` (None: left out, as a tracertm that did not keep it)."""
    metadata = project_metadata(url)
    metadata.pop(key, None)
    if marker is not None:
        metadata[key] = marker
    sql(url, "UPDATE projects SET project_metadata = :m", m=json.dumps(metadata))


def statements_of(engine: Any, run: Callable[[], Any], keep: Callable[[str], bool]) -> list[tuple[str, Any]]:
    """The statements ``run()`` executes on ``engine`` whose text, its whitespace collapsed, ``keep`` keeps, with
    their parameters as the driver got them (for their plans: ``EXPLAIN QUERY PLAN``, ``EXPLAIN``)."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if keep(" ".join(statement.split())):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements
