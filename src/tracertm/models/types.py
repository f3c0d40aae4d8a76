"""Portable column types: the same models and migrations run on SQLite and PostgreSQL.

Migrations import from here, so keep these definitions stable.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator

GUID = Uuid(as_uuid=True)
# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")
# For nullable JSON columns: Python None is SQL NULL (not the JSON value null), so "IS NULL" finds it.
NullableJSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware timestamp. SQLite stores naive UTC text; values read back are always aware (UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value  # type: ignore[no-any-return]


class utcnow(FunctionElement[dt.datetime]):
    """The database's current time: ``now()`` on PostgreSQL, a millisecond UTC timestamp on SQLite.

    SQLite's ``CURRENT_TIMESTAMP`` has one-second resolution, too coarse to see ``updated_at`` move.
    """

    type = UTCDateTime()
    inherit_cache = True


@compiles(utcnow)
def _utcnow_default(element: utcnow, compiler: SQLCompiler, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(utcnow, "postgresql")
def _utcnow_postgresql(element: utcnow, compiler: SQLCompiler, **kw: Any) -> str:
    return "now()"


@compiles(utcnow, "sqlite")
def _utcnow_sqlite(element: utcnow, compiler: SQLCompiler, **kw: Any) -> str:
    return "(strftime('%Y-%m-%d %H:%M:%f', 'now'))"


def enum_column(enum_cls: Any, name: str) -> Enum:
    """A StrEnum stored as its lower-case value in a short VARCHAR, with a CHECK constraint rejecting others."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


def string_check(name: str, *values: str) -> Enum:
    """A plain-string column restricted to ``values`` by a CHECK constraint (for bookkeeping enums)."""
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=16, validate_strings=True)
