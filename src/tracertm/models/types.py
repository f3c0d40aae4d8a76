"""Portable column types: the same models and migrations run on SQLite and PostgreSQL.

Migrations import from here, so keep these definitions stable.
"""

from __future__ import annotations

import datetime as dt
import weakref
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Enum, Uuid, literal
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.ext.mutable import MutableDict, MutableList
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator

GUID = Uuid(as_uuid=True)
# The length of a git object id column (a commit, a blob): 40 hex digits in a SHA-1 repository, 64 in a SHA-256 one
# (``git init --object-format=sha256``). Migration 0018 widened the columns from 40.
GIT_ID_LENGTH = 64
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


class clock(FunctionElement[dt.datetime]):
    """The database's clock as a statement reads it: ``clock_timestamp()`` on PostgreSQL (``now()`` is when the
    transaction began, which may be before a write lock was granted), as ``utcnow`` elsewhere.

    Sync runs are dated by it rather than by the runner's clock: their ends order the states ``history.standing``
    reads against revisions the database dated, and several runners with clocks apart share one database."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(utcnow)
@compiles(clock)
def _now_default(element: utcnow | clock, compiler: SQLCompiler, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(utcnow, "sqlite")
@compiles(clock, "sqlite")
def _now_sqlite(element: utcnow | clock, compiler: SQLCompiler, **kw: Any) -> str:
    return "(strftime('%Y-%m-%d %H:%M:%f', 'now'))"


@compiles(utcnow, "postgresql")
def _utcnow_postgresql(element: utcnow, compiler: SQLCompiler, **kw: Any) -> str:
    return "now()"


@compiles(clock, "postgresql")
def _clock_postgresql(element: clock, compiler: SQLCompiler, **kw: Any) -> str:
    return "clock_timestamp()"


class unindexed(FunctionElement[Any]):
    """``column`` in a condition SQLite's planner takes no index for: ``+column`` there, the column itself elsewhere.

    Without statistics SQLite weighs every index whose first column a condition names with ``=`` alike, so beside
    ``links.project_id = ?`` it may seek a project's index where another condition names the few rows wanted (a
    record's links by ``source_id`` or ``target_id``) and read all of the project's links. The unary ``+`` is
    SQLite's documented way to keep an index out of a term; PostgreSQL weighs them by its statistics (and has no
    unary ``+`` for every type)."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type  # the column's bind processing for what it is compared with (a GUID's hex text)


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.clauses, **kw)


class unfolded(FunctionElement[Any]):
    """A value compared with ``=`` that PostgreSQL's planner does not fold into a constant: ``ANY (ARRAY[value])``
    there, the value elsewhere (``column == unfolded(value, column.type)``).

    PostgreSQL drops an ORDER BY column its WHERE clause sets equal to a constant, so ``ORDER BY project_id, id``
    beside ``project_id = $1`` is ``ORDER BY id``, which the primary key gives as well as the project's index. Set
    equal to a one-element array the column stays in the order, which only an index leading with it gives; the
    estimate is the equality's. SQLite takes an equality for a sorted column as it is."""

    inherit_cache = True

    def __init__(self, value: Any, type_: Any) -> None:
        super().__init__(literal(value, type_))
        self.type = type_  # the bind processing of what it is compared with (a GUID's hex text on SQLite)


@compiles(unfolded)
def _unfolded_default(element: unfolded, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unfolded, "postgresql")
def _unfolded_postgresql(element: unfolded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"ANY (ARRAY[{compiler.process(element.clauses, **kw)}])"


class code_points(FunctionElement[Any]):
    """A text ``column`` compared and ordered by code point: ``column COLLATE "C"`` on PostgreSQL, the column itself
    elsewhere (SQLite compares the UTF-8 bytes, which is code point order).

    PostgreSQL orders text by the database's collation, which its creator picks: under ``en_US.UTF-8`` or an ICU
    locale ``eclair`` sorts before ``Éclair`` and ``ECLAIR``, and a list sorted by title answered otherwise than on
    SQLite (and than on a database created with the ``C`` or ``C.UTF-8`` locale)."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type  # what it is compared with is bound as the column's values are


@compiles(code_points)
def _code_points_default(element: code_points, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(code_points, "postgresql")
def _code_points_postgresql(element: code_points, compiler: SQLCompiler, **kw: Any) -> str:
    return f'{compiler.process(element.clauses, **kw)} COLLATE "C"'


def database_now(bind: Any) -> dt.datetime:
    """``clock`` read now through ``bind`` (a session or a connection): an aware UTC time."""
    from sqlalchemy import select

    value: dt.datetime = bind.execute(select(clock())).scalar_one()
    return value


def enum_column(enum_cls: Any, name: str, constraint: bool = True) -> Enum:
    """A StrEnum stored as its lower-case value in a short VARCHAR, with a CHECK constraint rejecting others.
    ``constraint`` False: no ``IN`` constraint of the type's own; the table declares ``enum_check`` instead."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=constraint,
        length=16,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


def string_check(name: str, *values: str, constraint: bool = True) -> Enum:
    """A plain-string column restricted to ``values`` by a CHECK constraint (for bookkeeping enums). ``constraint``
    False: no ``IN`` constraint of the type's own; the table declares ``one_of_check`` instead."""
    return Enum(*values, name=name, native_enum=False, create_constraint=constraint, length=16, validate_strings=True)


def one_of_check(name: str, column: str, *values: str) -> CheckConstraint:
    """``column`` restricted to ``values`` as ``column = 'a' OR column = 'b' …``, named as ``string_check`` names its
    constraint: the same truth as ``column IN ('a', 'b', …)`` (NULL passes both), for the tables written row by the
    tens of thousands (``spec_revisions``, ``test_results``: migration 0014; the record tables: 0016). SQLite
    evaluates a CHECK's ``IN (…)`` list by building a lookup table for every row written: a quarter of the CPU of
    inserting a test result, where the comparisons cost nothing measurable."""
    for value in values:
        assert "'" not in value, value  # the values are our own identifiers, written into the DDL as they are
    return CheckConstraint(" OR ".join(f"{column} = '{value}'" for value in values), name=name)


def enum_check(name: str, column: str, enum_cls: Any) -> CheckConstraint:
    """``one_of_check`` of a StrEnum column's values (``enum_column(..., constraint=False)``): the record tables,
    written by the thousands per sync (migration 0016)."""
    return one_of_check(name, column, *(member.value for member in enum_cls))


# ------------------------------------------------------------------------------------------ mutation-tracked JSON
#
# A plain JSON column only notices assignment: ``adr.metadata["owner"] = "x"`` would be lost at commit. These types
# wrap the value (and every dict and list nested in it, at any depth, including ones added later) in containers that
# flag the attribute as modified when they change, so in-place edits persist like assignments.


class _Nested:
    """A container inside a tracked JSON value: a change marks the root's attribute modified."""

    _container: weakref.ref[Any] | None = None

    def changed(self) -> None:
        super().changed()  # type: ignore[misc]
        parent = self._container() if self._container is not None else None
        if parent is not None:
            parent.changed()


def _track(value: Any, container: Any) -> Any:
    """``value`` with dicts and lists (at any depth) turned into tracked containers reporting to ``container``."""
    if isinstance(value, dict) and not isinstance(value, _Nested):
        tracked: Any = TrackedDict(value)
    elif isinstance(value, list) and not isinstance(value, _Nested):
        tracked = TrackedList(value)
    elif isinstance(value, _Nested):
        tracked = value
    else:
        return value
    tracked._container = weakref.ref(container)
    return tracked


class TrackedDict(_Nested, MutableDict[str, Any]):
    """A JSON object whose in-place changes (at any depth) are persisted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, value in dict.items(self):
            dict.__setitem__(self, key, _track(value, self))

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, _track(value, self))

    def setdefault(self, key: str, value: Any = None) -> Any:
        if key not in self:
            self[key] = value
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            dict.__setitem__(self, key, _track(value, self))
        self.changed()

    def __ior__(self, other: Any) -> TrackedDict:  # type: ignore[override,misc]
        self.update(other)
        return self

    @classmethod
    def coerce(cls, key: str, value: Any) -> Any:
        if isinstance(value, dict) and not isinstance(value, cls):
            return cls(value)
        return super().coerce(key, value)


class TrackedList(_Nested, MutableList[Any]):
    """A JSON array whose in-place changes (at any depth) are persisted."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        for i, value in enumerate(list.__iter__(self)):
            list.__setitem__(self, i, _track(value, self))

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            value = [_track(v, self) for v in value]
        else:
            value = _track(value, self)
        super().__setitem__(index, value)

    def append(self, value: Any) -> None:
        super().append(_track(value, self))

    def insert(self, index: Any, value: Any) -> None:
        super().insert(index, _track(value, self))

    def extend(self, values: Any) -> None:
        super().extend([_track(v, self) for v in values])

    def __iadd__(self, values: Any) -> TrackedList:  # type: ignore[misc]
        self.extend(values)
        return self

    @classmethod
    def coerce(cls, key: str, value: Any) -> Any:
        if isinstance(value, list) and not isinstance(value, cls):
            return cls(value)
        return super().coerce(key, value)


def _json(none_as_null: bool = False) -> Any:
    return JSON(none_as_null=none_as_null).with_variant(JSONB(none_as_null=none_as_null), "postgresql")


# Column types for models: a JSON object / array whose in-place edits persist (nested too). Each is its own type
# object because ``as_mutable`` tracks the columns of exactly that type object.
JSONDict: Any = TrackedDict.as_mutable(_json())
JSONList: Any = TrackedList.as_mutable(_json())
NullableJSONDict: Any = TrackedDict.as_mutable(_json(none_as_null=True))
NullableJSONList: Any = TrackedList.as_mutable(_json(none_as_null=True))
