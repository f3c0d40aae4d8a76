"""The one spelling of an instant in tracertm's JSON: the HTTP API's bodies and the CLI's ``--format json``.

RFC 3339 in UTC with ``Z`` (``2024-05-01T12:00:00Z``), the fraction of a second only when there is one, to the
microsecond (``2024-05-01T12:00:00.250000Z``): what pydantic writes for an aware UTC ``datetime``, which the read
models' times always were. Every time the outputs write goes through :func:`json_time` — the read models' (the
``schemas.common.Instant`` type) and those of plain data (test runs, ``status``, coverage) alike — so one instant
never reaches a client in two spellings (``Z`` beside ``+00:00``), which a client comparing times as text would
silently take for two. Stdlib only: the hook path imports it (``output``).
"""

from __future__ import annotations

import datetime as dt

__all__ = ["json_time", "json_time_or_none", "text_time"]


def json_time(value: dt.datetime) -> str:
    """``value`` in UTC as RFC 3339 text ending in ``Z``. A naive ``datetime`` is UTC (how SQLite keeps times and
    its aggregates give them back); an aware one in another zone (a PostgreSQL session's ``TimeZone``) is converted,
    the same instant."""
    return text_time(value, "auto")


def text_time(value: dt.datetime, timespec: str) -> str:
    """``value`` as :func:`json_time` spells it, to ``timespec`` (``isoformat``'s: ``"seconds"``, ``"minutes"``...):
    the times of the CLI's text tables (``history``, ``token list``), which printed ``+00:00`` beside JSON's ``Z``."""
    utc = value if value.tzinfo is None else value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return utc.isoformat(timespec=timespec) + "Z"


def json_time_or_none(value: dt.datetime | None) -> str | None:
    """:func:`json_time` of ``value``, or None (JSON null) for no time."""
    return None if value is None else json_time(value)
