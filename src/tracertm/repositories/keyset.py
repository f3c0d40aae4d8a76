"""Keyset pages over several sort keys: a list's ORDER BY, the sort-key values of a page's last row as its cursor
carries them (JSON), and the condition "after those values" that the next page resumes with.

The next page resumes after the values the last row had when its page was read, not after the values that row has
when the next page is read: a row edited in between (its status, its ``updated_at``) would otherwise move the
boundary, and every record between its old and its new place was never listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Text, and_, literal, or_, tuple_, type_coerce
from sqlalchemy.types import TypeDecorator

from tracertm.models.types import code_points
from tracertm.text import is_text

_INT64 = 2**63  # SQLite's integers (and PostgreSQL's bigint): a larger one cannot be bound at all


@dataclass(frozen=True)
class Key:
    """One sort key of a list: a column (the last key of every list is the table's id) and its direction."""

    column: Any
    desc: bool

    @property
    def nullable(self) -> bool:
        return bool(getattr(self.column, "nullable", False))

    @property
    def shape(self) -> str:
        """``int``, ``text``, ``date`` or ``time``: what the column holds, so what a cursor's value of it must be."""
        sql_type = self.column.type
        if isinstance(sql_type, TypeDecorator):  # (UTCDateTime: a TypeDecorator's own python_type is object)
            sql_type = sql_type.impl_instance
        python = sql_type.python_type
        if issubclass(python, dt.datetime):
            return "time"
        if issubclass(python, dt.date):
            return "date"
        if issubclass(python, int) and not issubclass(python, bool):
            return "int"
        if issubclass(python, str):  # text, and the enumerations (StrEnum), stored as their text
            return "text"
        raise TypeError(f"{self.column.name}: no keyset page by a column of {python.__name__}")


def _ordered(key: Key) -> Any:
    """What ``key`` orders and compares by: a text column by code point on both databases (``code_points``), so that
    a PostgreSQL database created under another collation sorts and pages as SQLite does."""
    return code_points(key.column) if isinstance(key.column.type, String) else key.column


def order_by(keys: Sequence[Key]) -> list[Any]:
    """The ORDER BY of ``keys``. Empty values (an undated ADR) last in both directions and on both databases (SQLite
    puts NULLs first, PostgreSQL last): "is null" as a key of its own before a column that may be empty."""
    out: list[Any] = []
    for key in keys:
        if key.nullable:
            out.append(key.column.is_(None).asc())
        ordered = _ordered(key)
        out.append(ordered.desc() if key.desc else ordered.asc())
    return out


def _raw(key: Key, sqlite: bool) -> bool:
    """Whether ``key``'s values are read and bound as the database stores them, as text: SQLite keeps dates and
    time stamps as text, some with milliseconds (its own clock), some with microseconds (Python's), and orders
    that text; a value read as a datetime and bound back comes with microseconds ("…39.227" < "…39.227000"), so
    rows tying with it were skipped, or returned page after page. Enumerations are read as their text too (a
    forged value is then a text no row has, not an enumeration's error)."""
    return key.shape == "text" or (sqlite and key.shape in ("date", "time"))


def stored(keys: Sequence[Key], sqlite: bool) -> list[Any]:
    """The select expressions of ``keys``' values as :func:`value_json` takes them."""
    return [type_coerce(key.column, Text()) if _raw(key, sqlite) else key.column for key in keys]


def value_json(value: Any) -> Any:
    """A value read with :func:`stored` as JSON: PostgreSQL's dates and time stamps in ISO 8601 (time stamps with
    their microseconds and offset), any other as it is (text, an integer, None)."""
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def from_json(keys: Sequence[Key], values: Sequence[Any], sqlite: bool) -> list[Any]:
    """The bind parameters of ``values`` (JSON, as :func:`value_json` wrote them) for ``keys``, each checked: a
    cursor is user input. ``ValueError`` when one is not a value of its key."""
    if len(values) != len(keys):
        raise ValueError("not one value per sort key")
    return [_bound(key, value, sqlite) for key, value in zip(keys, values, strict=True)]


def _bound(key: Key, value: Any, sqlite: bool) -> Any:
    if value is None:
        if not key.nullable:
            raise ValueError(f"{key.column.name} is never empty")
        return None
    if key.shape == "int":
        if type(value) is not int or not -_INT64 <= value < _INT64:
            raise ValueError(f"{key.column.name}: not an integer")
        return literal(value, key.column.type)
    if not isinstance(value, str) or not is_text(value) or "\x00" in value:  # no database binds those
        raise ValueError(f"{key.column.name}: not text")
    if key.shape == "text":
        return literal(value, Text())
    parsed = dt.datetime.fromisoformat(value) if key.shape == "time" else dt.date.fromisoformat(value)
    if sqlite:  # (checked all the same: a cursor's time stamp is one)
        return literal(value, Text())
    if isinstance(parsed, dt.datetime) and parsed.tzinfo is None:
        raise ValueError(f"{key.column.name}: a time stamp without its offset")
    return literal(parsed, key.column.type)


def after(keys: Sequence[Key], bound: Sequence[Any]) -> Any:
    """Rows strictly after the row whose values are ``bound`` (:func:`from_json`; None: empty) in the order of
    ``keys``: (a > x) OR (a = x AND b > y) OR ... (``<`` for a descending key), empty values last."""
    directions = {key.desc for key in keys}
    if len(directions) == 1 and not any(key.nullable for key in keys):
        # One direction: a row-value comparison, which both databases answer with an index range seek.
        left, right = tuple_(*[_ordered(key) for key in keys]), tuple_(*bound)
        return left < right if directions == {True} else left > right
    ors: list[Any] = []
    equal: list[Any] = []
    for key, value in zip(keys, bound, strict=True):
        ordered = _ordered(key)
        if value is not None:  # (an empty value is last: no row is beyond it in its own key)
            beyond = ordered < value if key.desc else ordered > value
            ors.append(and_(*equal, or_(key.column.is_(None), beyond) if key.nullable else beyond))
        equal.append(key.column.is_(None) if value is None else key.column == value)
    first, value = keys[0], bound[0]
    if first.nullable:
        return or_(*ors) if value is not None else and_(first.column.is_(None), or_(*ors))
    # The redundant bound on the first column lets an index on it skip the rows before the cursor.
    ordered = _ordered(first)
    return and_(ordered <= value if first.desc else ordered >= value, or_(*ors))


__all__ = ["Key", "after", "from_json", "order_by", "stored", "value_json"]
