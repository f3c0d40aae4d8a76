"""Many rows per statement, through the driver: statements compiled once, rows sent as plain tuples.

SQLAlchemy's ``executemany`` builds and type-processes a parameter dictionary per row in Python; on a cold sync that
was a good part of the writer's time. Here a statement is compiled once per (dialect, table, shape), its parameter
processors are looked up once, and each row becomes one tuple (one dictionary on PostgreSQL) given straight to the
driver's ``executemany`` — SQLite and psycopg keep the prepared statement for the whole batch. New rows on
PostgreSQL go through ``COPY ... FROM STDIN`` (psycopg 3's ``cursor.copy``), which is several times faster than
multi-row ``INSERT`` there. Row triggers (the full-text index) fire for both.

The values are exactly those SQLAlchemy would send: the same bind processors, the same Python-side column defaults.
On SQLite a batch's time columns whose default is the database's clock (``models.types.utcnow``: ``created_at``,
``updated_at``) get that clock's reading, taken once per transaction (``now``), instead of the default expression
evaluated for every row and column: every row a transaction writes here carries one time, as PostgreSQL's ``now()``
(the transaction's start) gives it there. Errors are the caller's business (``engine.apply.execute_batch`` runs these
inside a savepoint and, when the database refuses a row, retries row by row through SQLAlchemy to name it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Enum, Uuid

# The text parameter of a JSON column (see ``engine.apply``): ``<column>__json``.
JSON_SUFFIX = "__json"

_CACHE: dict[tuple[Any, ...], Prepared] = {}  # a few dozen statement shapes per process
# ``Prepared.without_nulls``: batches of fewer rows bind every parameter; at most this many NULL variants of a
# statement (each is a statement text of its own in the driver's statement cache).
_NULLS_FROM_ROWS = 32
_NULL_FORMS = 16
# What ``utcnow`` writes on SQLite (``models.types``), read once per transaction (``now``).
_NOW = "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"
_NOW_KEY = "tracertm.bulk.now"  # ``now``'s reading, with its transaction, in the connection's ``info``


class Prepared:
    """One INSERT or UPDATE compiled for a dialect, with its parameters' order, processors and defaults."""

    def __init__(self, conn: Any, statement: Any, keys: Sequence[str], stamped: bool = False) -> None:
        dialect = conn.dialect
        # ``stamped``: the clock-default columns the rows leave out are parameters too, bound to ``stamp``.
        stamps = _clock_columns(statement, keys) if stamped and dialect.name == "sqlite" else []
        compiled = statement.compile(dialect=dialect, column_keys=[*keys, *stamps], for_executemany=True)
        self.sql: str = compiled.string
        self.positional: bool = bool(compiled.positional)
        names: list[str] = list(compiled.positiontup) if self.positional else list(compiled.binds)
        prefetch = {c.key: c for c in [*compiled.insert_prefetch, *compiled.update_prefetch]}
        self.names = names
        # Per parameter: where its value comes from (the row, or a column default) and how it is processed.
        self._plan: list[tuple[str, Callable[[Any], Any] | None, Any]] = []
        for name in names:
            bind = compiled.binds[name]
            processor = bind.type._cached_bind_processor(dialect)
            if processor is not None and isinstance(bind.type, Uuid) and bind.type.as_uuid:
                processor = uuid_hex  # the same value (see ``uuid_hex``), written inline by ``_row_builder``
            elif processor is not None:
                processor = _with_table(bind.type, processor)
            if name in stamps:
                processor, default = None, _STAMP
            else:
                default = _default_of(prefetch[name]) if name in prefetch and name not in keys else _FROM_ROW
            self._plan.append((name, processor, default))
        self.stamped = bool(stamps)  # its rows need ``stamp`` (``tuples``)
        self.table = getattr(statement, "table", None)
        self._tuples: Callable[[Sequence[dict[str, Any]], Any], list[tuple[Any, ...]]] | None = None
        self.is_insert = bool(getattr(statement, "is_insert", False))
        # See ``without_nulls``: per set of parameters that were None in every row, the SQL and the bound rest.
        self._null_forms: dict[tuple[int, ...], tuple[str | None, tuple[int, ...]]] = {}

    def parameters(self, rows: Sequence[dict[str, Any]], stamp: Any = None) -> list[Any]:
        """The driver's parameters for ``rows`` (tuples, or dictionaries for a named paramstyle)."""
        if not rows:
            return []
        if self.positional:
            return self.tuples(rows, stamp)
        names = self.names
        return [dict(zip(names, values)) for values in self.tuples(rows, stamp)]

    def without_nulls(self, tuples: list[tuple[Any, ...]]) -> tuple[str, list[tuple[Any, ...]]]:
        """The INSERT's SQL and ``tuples`` with each parameter that is None in every row written as the literal
        ``NULL`` instead of bound (positional INSERTs only: ``?`` placeholders, all in the VALUES list).

        The rows stored are the same (a bound None is stored as NULL, and an explicit NULL in VALUES never takes
        the column's default either); the driver's work is not: sqlite3 runs each bound None through its adapter
        registry (a tuple, a dictionary lookup, two attribute lookups: about 0.2 µs), and a first sync binds a few
        hundred thousand of them, mostly the commit and author columns of every revision of a work-tree sync."""
        n = len(tuples)
        if n < _NULLS_FROM_ROWS:  # a few rows: a statement text of their own (compiled by SQLite) would cost more
            return self.sql, tuples
        nulls = tuple(i for i, column in enumerate(zip(*tuples)) if column.count(None) == n)
        if not nulls or len(nulls) == len(self.names):
            return self.sql, tuples
        found = self._null_forms.get(nulls)
        if found is None:
            if len(self._null_forms) >= _NULL_FORMS:  # a long-running process: a bounded number of texts
                return self.sql, tuples
            found = self._null_forms[nulls] = self._null_form(nulls)
        sql, keep = found
        if sql is None:  # SQL this cannot rewrite safely: everything bound, as before
            return self.sql, tuples
        if len(keep) == 1:
            only = keep[0]
            return sql, [(t[only],) for t in tuples]
        pick = itemgetter(*keep)
        return sql, list(map(pick, tuples))

    def _null_form(self, nulls: tuple[int, ...]) -> tuple[str | None, tuple[int, ...]]:
        """The SQL with the placeholders at ``nulls`` written as NULL, and the positions still bound; (None, ())
        when the SQL is not a plain ``... VALUES (?, ...)`` whose placeholders are exactly the parameters."""
        head, sep, values = self.sql.partition("VALUES (")
        pieces = values.split("?")
        if not sep or "?" in head or len(pieces) != len(self.names) + 1 or "'" in values or '"' in values:
            return None, ()
        out = [pieces[0]]
        for i, piece in enumerate(pieces[1:]):
            out.append("NULL" if i in nulls else "?")
            out.append(piece)
        keep = tuple(i for i in range(len(self.names)) if i not in nulls)
        return head + sep + "".join(out), keep

    def tuples(self, rows: Sequence[dict[str, Any]], stamp: Any = None) -> list[tuple[Any, ...]]:
        """Each row's parameter values in statement order (processed, defaults filled in), as tuples; a stamped
        form's time columns hold ``stamp`` (``now``)."""
        if self._tuples is None:
            self._tuples = _row_builder(self._plan)
        return self._tuples(rows, stamp)


def _row_builder(plan: Sequence[tuple[str, Callable[[Any], Any] | None, Any]]
                 ) -> Callable[[Sequence[dict[str, Any]], Any], list[tuple[Any, ...]]]:
    """A function from rows (and the batch's ``stamp``) to their parameter tuples, generated for one statement: one
    list comprehension whose tuple spells out each parameter (``r["title"]``, ``p3(r["id"])``, ``p5(d5())``,
    ``s``). A cold sync sends a few hundred thousand rows; a generic loop over the parameters of each row cost
    several times this.

    The values are those of the plain loop (row value or default, then the processor), and defaults are called
    in parameter order, row by row, as that loop would."""
    namespace: dict[str, Any] = {}
    parts: list[str] = []
    for i, (name, processor, default) in enumerate(plan):
        if default is _STAMP:
            parts.append("s")
            continue
        if default is _FROM_ROW:
            value = f"r[{name!r}]"
        else:
            namespace[f"d{i}"] = default
            value = f"d{i}()"
        if processor is uuid_hex:  # inline: no call per value (ids are most of a cold sync's parameters)
            value = f"(v.hex if (v := {value}) is not None else None)"
        elif isinstance(processor, Tabled):  # a lookup; the processor itself for any other value
            namespace[f"t{i}"], namespace[f"p{i}"] = processor.table, processor.processor
            value = f"(t{i}[v] if (v := {value}) in t{i} else p{i}(v))"
        elif processor is not None:
            namespace[f"p{i}"] = processor
            value = f"p{i}({value})"
        parts.append(value)
    source = f"def build(rows, s):\n    return [({', '.join(parts)},) for r in rows]\n" if parts else (
        "def build(rows, s):\n    return [() for r in rows]\n")
    exec(compile(source, "<tracertm.engine.bulk row builder>", "exec"), namespace)  # noqa: S102 - our own text
    built: Callable[[Sequence[dict[str, Any]], Any], list[tuple[Any, ...]]] = namespace["build"]
    return built


def uuid_hex(value: Any) -> Any:
    """What SQLAlchemy's ``Uuid(as_uuid=True)`` sends where a UUID is stored as text (SQLite): its 32 hex digits.
    ``_row_builder`` writes this inline (``engine.ids.Id`` keeps ``hex`` ready, so it costs an attribute read)."""
    return value.hex if value is not None else None


class Tabled:
    """A bind processor with its results for a few known values (an enumeration's members, True/False/None): the
    row builder looks those up instead of calling it (tens of thousands of enum and boolean values per sync)."""

    def __init__(self, processor: Callable[[Any], Any], table: dict[Any, Any]) -> None:
        self.processor = processor
        self.table = table

    def __call__(self, value: Any) -> Any:
        return self.processor(value)


def _with_table(type_: Any, processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``processor`` as a ``Tabled`` for the types whose processing is a pure function of a few known values
    (SQLAlchemy's ``Enum`` and ``Boolean``); the table holds exactly what ``processor`` returns for them, checked
    here (same value, same type), so a lookup sends what the call would."""
    if isinstance(type_, Enum):
        keys: list[Any] = list(type_._valid_lookup)
    elif isinstance(type_, Boolean):
        keys = [True, False, None]
    else:
        return processor
    table: dict[Any, Any] = {}
    for key in keys:
        try:
            table[key] = processor(key)
        except Exception:  # noqa: BLE001 - a value it refuses stays with the processor (which raises again)
            continue
    for key, value in table.items():
        again = processor(key)
        if again != value or type(again) is not type(value):  # not a pure function of the key: no table
            return processor
    return Tabled(processor, table) if table else processor


class _FromRow:
    """Marker: the parameter's value is in the row."""


_FROM_ROW: Any = _FromRow()
_STAMP: Any = object()  # marker: the parameter is a clock-default time column, bound to the batch's ``stamp``


def _clock_columns(statement: Any, keys: Sequence[str]) -> list[str]:
    """The columns of an INSERT's table that the rows (``keys``) leave to the database's clock (``utcnow``)."""
    from tracertm.models.types import utcnow

    table = getattr(statement, "table", None)
    if not getattr(statement, "is_insert", False) or table is None:
        return []
    return [c.key for c in table.columns if c.key not in keys and c.server_default is not None
            and isinstance(getattr(c.server_default, "arg", None), utcnow)]


def now(conn: Any) -> str:
    """SQLite: the text ``utcnow`` writes (a batch's ``stamp``), read through the driver once per transaction of
    ``conn`` (12 µs through SQLAlchemy's result machinery). The default itself is read per row, and the rows of one
    sync got times a millisecond apart: ``STEP-n`` numbers the definitions of one sync by that time before their
    identity, so the same repository was numbered otherwise from one fresh database to the next."""
    transaction = conn.get_transaction()
    held = conn.info.get(_NOW_KEY)
    if transaction is not None and held is not None and held[0] is transaction:
        return str(held[1])
    value = str(conn.connection.dbapi_connection.execute(_NOW).fetchone()[0])
    conn.info[_NOW_KEY] = (transaction, value)
    return value


def _default_of(column: Any) -> Callable[[], Any]:
    """A column's Python-side default as a function of nothing (SQLAlchemy wraps callables to take a context)."""
    default = column.default
    if default is None:
        return lambda: None
    if default.is_callable:
        arg = default.arg
        return lambda: arg(None)
    value = default.arg
    return lambda: value


def prepared(conn: Any, statement: Any, keys: Sequence[str], stamped: bool = False) -> Prepared:
    """The compiled form of ``statement`` for rows with ``keys``, compiled once per process (keyed by SQLAlchemy's
    own cache key of the statement: the same table, columns and expressions give the same key). ``stamped``: on
    SQLite, the time columns the rows leave to the database's clock are parameters (``Prepared.tuples``'
    ``stamp``; ``Prepared.stamped`` says whether there are any)."""
    cache_key = statement._generate_cache_key()
    if cache_key is None:  # not cacheable: compile for this call only
        return Prepared(conn, statement, keys, stamped)
    key = (conn.dialect.name, cache_key.key, tuple(keys), stamped)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = Prepared(conn, statement, keys, stamped)
    return found


def execute_many(conn: Any, statement: Any, rows: Sequence[dict[str, Any]]) -> int:
    """Execute ``statement`` for every row (all with the keys of the first) through the driver; returns the number
    of rows the database reports as affected. New rows on PostgreSQL are copied (``COPY``)."""
    if not rows:
        return 0
    keys = list(rows[0])
    statement_form = prepared(conn, statement, keys, stamped=conn.dialect.name == "sqlite")
    if conn.dialect.name == "postgresql" and statement_form.is_insert and statement_form.table is not None:
        return _copy(conn, statement_form, rows)
    stamp = now(conn) if statement_form.stamped else None
    if statement_form.is_insert and statement_form.positional:
        sql, params = statement_form.without_nulls(statement_form.tuples(rows, stamp))
        return int(conn.exec_driver_sql(sql, params).rowcount)
    result = conn.exec_driver_sql(statement_form.sql, statement_form.parameters(rows, stamp))
    return int(result.rowcount)


def _copy(conn: Any, form: Prepared, rows: Sequence[dict[str, Any]]) -> int:
    """``COPY table (columns) FROM STDIN``: each parameter's column is its name without ``__json`` (the JSON text
    goes into the JSONB column as it is, as the ``CAST`` of the INSERT would)."""
    columns = ", ".join(conn.dialect.identifier_preparer.quote(n.removesuffix(JSON_SUFFIX)) for n in form.names)
    table = conn.dialect.identifier_preparer.format_table(form.table)
    form_rows = _positional(form, rows)
    raw = conn.connection.dbapi_connection
    sql = f"COPY {table} ({columns}) FROM STDIN"
    try:
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for values in form_rows:
                copy.write_row(values)
    except conn.dialect.dbapi.Error as exc:
        raise _wrapped(conn, raw, sql, exc) from exc
    return len(rows)


def _wrapped(conn: Any, raw: Any, sql: str, exc: Exception) -> Exception:
    """A driver error of the ``COPY``, which runs beneath SQLAlchemy, as SQLAlchemy raises its own statements' errors:
    a ``DBAPIError`` (the callers tell a lost connection, a conflict or a full disk from it), its connection
    invalidated when the error closed it. Raised as it was, the rollback that followed tried the dead connection,
    failed in turn ("the connection is lost") and hid it: a server gone mid-sync read "check --database-url"."""
    from sqlalchemy.exc import DBAPIError

    gone = bool(conn.dialect.is_disconnect(exc, raw, None))
    if gone:
        conn.invalidate(exc)
    return DBAPIError.instance(sql, None, exc, conn.dialect.dbapi.Error, connection_invalidated=gone,
                               dialect=conn.dialect)


def _positional(form: Prepared, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return form.tuples(rows)
