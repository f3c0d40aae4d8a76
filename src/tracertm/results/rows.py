"""Writing an import's rows: values already in the driver's form, many rows per statement, new ids in key order.

An import writes tens of thousands of rows (a result per test, a test case and its ``created`` revision per new
test), each into a table with several indexes, so how a row reaches the database is most of an import's cost:

- **Many rows per statement on SQLite.** ``INSERT … VALUES (…), (…), …`` with a few hundred rows per statement, not
  ``executemany``: SQLite runs a statement once per row under ``executemany``, and every run builds afresh what the
  statement needs once (each ``CHECK (x IN (…))`` constraint builds a lookup table of its list per run, which cost
  more than the row itself). On PostgreSQL new rows are copied (``engine.bulk``, ``COPY … FROM STDIN``); rows that
  may exist already go through multi-row ``INSERT … ON CONFLICT DO NOTHING``.
- **Driver values.** Rows are tuples of what the driver takes (ids as text, JSON as text), made once: no parameter
  dictionary and no type processing per value.
- **Ids in key order.** New ids are time-ordered UUIDs (RFC 9562 version 7) handed out in the order the rows are
  written, so that each index on an id grows at its end instead of at random places.
"""

from __future__ import annotations

import array
import functools
import itertools
import operator
import os
import sys
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

__all__ = ["Flat", "IdForm", "insert_rows", "query", "select_rows"]

# Bound parameters per statement: under SQLite's smallest limit (999 before 3.32), far under PostgreSQL's 65,535.
_PARAMETERS = 999


class IdForm:
    """How a dialect's driver takes and returns a UUID column: 32 hex digits on SQLite (how ``Uuid`` stores it
    there), the canonical hyphenated text on PostgreSQL (what ``id::text`` returns and ``uuid`` input accepts)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.hyphens = dialect == "postgresql"

    def of(self, value: uuid.UUID) -> str:
        """A UUID in the driver's form."""
        return str(value) if self.hyphens else value.hex

    def new(self, count: int) -> list[str]:
        """``count`` new ids, ascending: RFC 9562 version 7 — the current millisecond (48 bits) and 12 random bits,
        then the variant and a 30-bit counter that starts at a random value below 2**29 and goes up by one per id
        (monotonic within the batch, the RFC's method 1), then 32 random bits. Made as text: the 64 high bits once
        per batch, the counter and the random bits per id."""
        if count <= 0:
            return []
        if count >= 1 << 29:  # the counter must not carry into the variant bits
            return [h for start in range(0, count, 1 << 28) for h in self.new(min(1 << 28, count - start))]
        high = ((time.time_ns() // 1_000_000) << 16 | 0x7000 | int.from_bytes(os.urandom(2), "big") >> 4).to_bytes(
            8, "big")
        first = 0x80000000 | int.from_bytes(os.urandom(4), "big") >> 3  # variant 0b10, counter start < 2**29
        counters = array.array("I", range(first, first + count))
        assert counters.itemsize == 4  # an unsigned int: 4 bytes on every platform CPython builds for
        if sys.byteorder == "little":
            counters.byteswap()
        counter_bytes, tails = counters.tobytes(), os.urandom(4 * count)
        # The 16 bytes of every id laid out at once (a strided copy per byte position, in C), then written as hex
        # once and cut: no formatting per id (the parse process makes tens of thousands of them per report).
        raw = bytearray(16 * count)
        for k in range(8):
            raw[k::16] = high[k : k + 1] * count
        for k in range(4):
            raw[8 + k :: 16] = counter_bytes[k::4]
            raw[12 + k :: 16] = tails[k::4]
        text = raw.hex()
        ids = [text[start : start + 32] for start in range(0, 32 * count, 32)]
        if self.hyphens:
            ids = [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in ids]
        return ids


class Flat:
    """Rows of a SQLite insert already cut into statements and flattened into each statement's parameters (as
    ``insert_rows`` does), by whoever made the rows (``results.streamed``'s parse process): the writer only runs
    the statements.

    A column that holds one value in every row (an import's project, its time stamp, a test case's status, a
    revision's kind and actor, a result's run) is bound once per statement (``shared``: its index in the row), the
    rows referring to it by number (``?1``): SQLite copies every text it is given, and an import binds hundreds of
    thousands of values, a third of them the same few. Fewer parameters per row also fit more rows in a
    statement."""

    __slots__ = ("batches", "count", "shared")

    def __init__(
        self, width: int, rows: Sequence[tuple[Any, ...]], *, shared: Sequence[int] = (),
        extra: tuple[Any, ...] = (),
    ) -> None:
        """``rows`` of ``width`` values each; ``extra``: the values of further columns, the same for every row (the
        import's time stamps), appended without copying each row. ``shared``: the indexes of the row's columns that
        hold the same value in every row, known by construction (``import_rows.flat_rows``); none: every value of the
        rows is bound (as psycopg's positional ``%s`` needs: it cannot refer to a parameter twice)."""
        self.count = len(rows)
        own = tuple(shared)
        varying = [i for i in range(width) if i not in own]
        self.batches: list[tuple[int, tuple[Any, ...]]] = []
        if len(varying) < 2 or not rows or not (own or extra):  # nothing shared (an itemgetter of one index
            self.shared: tuple[int, ...] = ()                       # returns no tuple): every value bound per row
            if extra:
                rows = [(*row, *extra) for row in rows]
            per = max(1, _PARAMETERS // (width + len(extra)))  # rows per statement
            for start in range(0, len(rows), per):
                chunk = rows[start : start + per]
                self.batches.append((len(chunk), tuple(itertools.chain.from_iterable(chunk))))
            return
        self.shared = own + tuple(range(width, width + len(extra)))
        values = tuple(rows[0][i] for i in own) + extra
        pick = operator.itemgetter(*varying)
        per = max(1, (_PARAMETERS - len(values)) // len(varying))
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            self.batches.append((len(chunk), values + tuple(itertools.chain.from_iterable(map(pick, chunk)))))

    def __len__(self) -> int:
        return self.count

    def __reduce__(self) -> tuple[Any, ...]:  # pickled as its fields, unpickled without re-cutting
        return (_flat, self.fields())

    def fields(self) -> tuple[Any, ...]:
        """What it holds, as plain values (``marshal`` writes them): ``Flat.of`` makes it again."""
        return (self.count, self.batches, self.shared)

    @staticmethod
    def of(fields: Sequence[Any]) -> Flat:
        """The ``Flat`` of ``fields()``, without re-cutting."""
        return _flat(*fields)


def _flat(count: int, batches: list[tuple[int, tuple[Any, ...]]], shared: tuple[int, ...] = ()) -> Flat:
    made = Flat.__new__(Flat)
    made.count, made.batches, made.shared = count, batches, shared
    return made


def insert_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]] | Flat,
    *,
    json: Sequence[str] = (),
    skip_existing: Sequence[str] | None = None,
    spans: list[tuple[int, int]] | None = None,
) -> int:
    """Insert ``rows`` (tuples of driver values in the order of ``columns``; the ``json`` columns as JSON text; or
    on SQLite the same already ``Flat``).

    ``skip_existing`` names a unique key: rows whose key exists are left out (``ON CONFLICT (key) DO NOTHING``).
    ``spans`` (SQLite): gets the (first, last) rowids of the rows inserted, one span per statement — a statement's
    new rows get the rowids after the largest, one by one. Returns how many rows were inserted."""
    if not len(rows):
        return 0
    dialect = connection.dialect.name
    shared: tuple[int, ...] = ()
    if isinstance(rows, Flat):
        if dialect != "sqlite":
            raise ValueError("flat rows are for SQLite")
        batches, shared = rows.batches, rows.shared
    elif dialect == "postgresql" and skip_existing is None:
        return _copy(connection, table, columns, rows, json)
    else:  # positional parameters (on PostgreSQL, rows that may exist)
        flat = Flat(len(columns), rows)
        batches, shared = flat.batches, flat.shared
    quote = connection.dialect.identifier_preparer.quote
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    if dialect == "postgresql":
        one = "(" + ", ".join(f"{mark}::jsonb" if c in json else mark for c in columns) + ")"
    else:
        one = "(" + ", ".join([mark] * len(columns)) + ")"
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "
    tail = f" ON CONFLICT ({', '.join(quote(c) for c in skip_existing)}) DO NOTHING" if skip_existing else ""
    inserted = 0
    for count, parameters in batches:
        # two shapes per table: the driver caches both
        values = _numbered(len(columns), shared, count) if shared else ", ".join([one] * count)
        result = connection.exec_driver_sql(head + values + tail, parameters)
        count = int(result.rowcount)  # one statement: the rows it inserted (not those it skipped)
        if spans is not None and count:
            last = int(result.lastrowid)
            spans.append((last - count + 1, last))
        inserted += count
    return inserted


def _numbered(width: int, shared: tuple[int, ...], count: int) -> str:
    """The ``VALUES`` rows of a statement of ``count`` rows whose ``shared`` columns are bound once (``Flat``):
    ``(?3, ?1, ?4, ?2), (?5, ?1, ?6, ?2), …`` — the shared values first, then each row's others. A statement of
    ``count`` rows is the start of the longest one (its rows are numbered in order): cut from it, made once per
    shape, so that the short last statement of each message costs no rows made anew."""
    text, ends = _numbered_rows(width, shared)
    if count > len(ends):  # more rows than ``Flat`` puts in a statement: made as asked
        return _numbered_text(width, shared, count)
    return text[: ends[count - 1]]


@functools.lru_cache(maxsize=16)
def _numbered_rows(width: int, shared: tuple[int, ...]) -> tuple[str, list[int]]:
    """The longest ``VALUES`` list of a shape (as many rows as ``Flat`` puts in one statement) and where each of its
    rows ends."""
    rows = max(1, (_PARAMETERS - len(shared)) // max(1, width - len(shared)))
    text = _numbered_text(width, shared, rows)
    ends = [index + 1 for index, char in enumerate(text) if char == ")"]
    return text, ends


def _numbered_text(width: int, shared: tuple[int, ...], count: int) -> str:
    first = {column: n + 1 for n, column in enumerate(shared)}
    varying = [column for column in range(width) if column not in first]
    rows = []
    for row in range(count):
        start = len(shared) + row * len(varying) + 1
        own = {column: start + n for n, column in enumerate(varying)}
        rows.append("(" + ", ".join(f"?{first.get(column) or own[column]}" for column in range(width)) + ")")
    return ", ".join(rows)


def _copy(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]],
    json: Sequence[str],
) -> int:
    """New rows on PostgreSQL: ``COPY`` through ``engine.bulk`` (JSON columns as text, cast as they are copied)."""
    from sqlalchemy import Text, bindparam, cast, insert
    from sqlalchemy.dialects.postgresql import JSONB

    from tracertm.engine import bulk

    keys = [c + bulk.JSON_SUFFIX if c in json else c for c in columns]
    statement = insert(table).values(
        {c: cast(bindparam(c + bulk.JSON_SUFFIX, type_=Text()), JSONB) for c in json}
    ) if json else insert(table)
    return bulk.execute_many(connection, statement, [dict(zip(keys, row)) for row in rows])


def query(connection: Connection, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` (``?`` for each parameter), through the driver."""
    if connection.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    return [tuple(row) for row in connection.exec_driver_sql(sql, tuple(parameters)).fetchall()]


def select_rows(
    connection: Connection, sql: str, fixed: Sequence[Any], values: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (its last placeholder ``{values}``) for every value of ``values``: the values go into
    ``IN (…)`` lists of a few hundred (SQLite) or one ``= ANY(array)`` (PostgreSQL); ``fixed`` are the parameters
    before them. ``sql`` uses ``?`` for a parameter."""
    if not values:
        return []
    if connection.dialect.name == "postgresql":
        query = sql.replace("?", "%s").replace("{values}", "= ANY(%s)")
        return [tuple(row) for row in connection.exec_driver_sql(query, (*fixed, list(values))).fetchall()]
    out: list[tuple[Any, ...]] = []
    per = _PARAMETERS - len(fixed)
    for start in range(0, len(values), per):
        chunk = values[start : start + per]
        query = sql.replace("{values}", "IN (" + ", ".join("?" * len(chunk)) + ")")
        out.extend(tuple(row) for row in connection.exec_driver_sql(query, (*fixed, *chunk)).fetchall())
    return out
