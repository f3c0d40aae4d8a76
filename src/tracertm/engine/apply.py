"""Apply: execute a plan inside the caller's transaction. The only stage that writes.

Writes are batched with Core statements (executemany / insertmanyvalues): one statement per kind and shape, never
one round trip per row. Updates guard on the version they read, so a row changed underneath us is a conflict,
never a silent overwrite. Database-owned columns are not in any statement here.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import JSON, Table, Text, bindparam, cast, insert, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from tracertm.errors import ConflictError, RecordRefusedError, first_line
from tracertm.git import CommitInfo
from tracertm import jsontext, kinds
from tracertm.db import json_numbers
from tracertm.models import Base
from tracertm.models.sync import FILE_READ_CHANGES
from tracertm.models.types import utcnow
from tracertm.parsers.common import json_safe
from tracertm.parsers.records import ParseResult, SpecRecord
from tracertm.results.match_keys import key_columns
from tracertm.engine.bulk import JSON_SUFFIX
from tracertm.engine.derived_dates import keep_derived_dates
from tracertm.engine.plan import REVISION_ACTIONS, FileOp, Operation, Plan
from tracertm.engine.ids import as_id, new_id
from tracertm.engine.renumber import renumber

TABLES: dict[str, Table] = {kind: kinds.table(kind) for kind in kinds.RECORD_KINDS}
REVISIONS = Base.metadata.tables["spec_revisions"]
SOURCE_FILES = Base.metadata.tables["source_files"]
# Insert parents before children.
_ORDER = kinds.RECORD_KINDS
# Operations written per executemany.
BATCH = 2000


@dataclass(frozen=True)
class Provenance:
    """Where this sync's content comes from: a commit (with its people and dates; a merge with the merged side's
    author of each file) or a work tree/index (None: revisions carry no commit, author or committer)."""

    commit: CommitInfo | None = None

    @property
    def sha(self) -> str | None:
        return self.commit.sha if self.commit else None


def apply(
    session: Session,
    project_id: uuid.UUID,
    plan: Plan,
    run_id: uuid.UUID,
    provenance: Provenance = Provenance(),
) -> dict[tuple[str, str, str], uuid.UUID]:
    """Write ``plan`` for ``project_id``; revisions point at ``run_id`` (a ``sync_runs`` row already inserted).

    Returns the row id of every operation's record, keyed by (kind, feature number or "", number).
    """
    conn = session.connection()
    feature_ids: dict[str, uuid.UUID] = {}
    for op in plan.operations:
        if op.kind == "feature" and op.current is not None:
            feature_ids[op.number] = op.current.id

    by_kind: dict[str, list[Operation]] = defaultdict(list)
    for op in plan.operations:
        by_kind[op.kind].append(op)

    text_json = conn.dialect.name in _TEXT_JSON_DIALECTS
    ids: dict[tuple[str, str, str], uuid.UUID] = {}
    renumber(conn, plan.renumbered)
    _write_records(conn, by_kind, feature_ids, project_id, run_id, provenance, text_json, ids)
    _apply_files(session, project_id, plan, provenance)
    return ids


def _write_records(
    conn: Any,
    by_kind: Mapping[str, list[Operation]],
    feature_ids: dict[str, uuid.UUID],
    project_id: uuid.UUID,
    run_id: uuid.UUID,
    provenance: Provenance,
    text_json: bool,
    ids: dict[tuple[str, str, str], uuid.UUID],
) -> None:
    for kind in _ORDER:
        ops = by_kind.get(kind, [])
        if kind == "adr":  # rewritten from its row's content, an ADR keeps the date git gave it (a backfill's)
            ops = keep_derived_dates(conn, ops)
        database_keys = database_metadata(conn, kind, ops)
        # In batches: the rows, their revisions and SQLAlchemy's processed parameters of one batch at a time are
        # in memory, not those of a whole large sync.
        for start in range(0, len(ops), BATCH):
            write_batch(conn, kind, ops[start : start + BATCH], feature_ids, project_id, run_id, provenance,
                        text_json, ids, database_keys)


@functools.cache
def _guarded(kind: str) -> Any:
    table = TABLES[kind]
    return update(table).where(table.c.id == bindparam("_id"), table.c.version == bindparam("_old_version"))


def write_batch(
    conn: Any,
    kind: str,
    ops: list[Operation],
    feature_ids: dict[str, uuid.UUID],
    project_id: uuid.UUID,
    run_id: uuid.UUID,
    provenance: Provenance,
    text_json: bool,
    ids: dict[tuple[str, str, str], uuid.UUID],
    database_keys: Mapping[uuid.UUID, dict[str, Any]] | None = None,
    *,
    probe: bool = True,
) -> None:
    """Write one batch of ``kind``'s operations: inserts, version-guarded updates and deletes, and their revisions
    (a few statements, each through the driver's ``executemany``). New rows get fresh ids (a new feature's id goes
    into ``feature_ids`` for its scenarios); every operation's row id goes into ``ids``. ``database_keys``: see
    ``database_metadata``. Shared by ``apply`` and the eager writer of a first sync (``engine.eager``).

    ``probe=False``: see ``execute_batch`` (for a caller that rolls back its own savepoint when a row is refused).
    """
    table = TABLES[kind]
    json_binds = json_columns(kind, conn.dialect.name) if text_json else {}
    metadata_column = kinds.KINDS[kind].metadata_column
    # Bound on every row and revision: as ``Id``s, their hex digits are formatted once, not once per row.
    project_id, run_id = as_id(project_id) or project_id, as_id(run_id) or run_id
    inserts: list[dict[str, Any]] = []
    writes: list[dict[str, Any]] = []
    kept_commit: list[dict[str, Any]] = []  # updates without ``source_commit`` (``build_row``): rare, and apart
    deletes: list[dict[str, Any]] = []
    revisions: list[dict[str, Any]] = []
    # The operation behind each row of the lists above, to name it if the database refuses the row.
    insert_ops: list[Operation] = []
    write_ops: list[Operation] = []
    kept_commit_ops: list[Operation] = []
    delete_ops: list[Operation] = []
    revision_ops: list[Operation] = []
    for op in ops:
        # Every field is JSON-encoded once: the texts feed both the JSON columns and the revision snapshot.
        encoded = encoded_fields(op.record) if text_json and op.record is not None else None
        if op.action == "created":
            row_id = new_id()
            if kind == "feature":
                feature_ids[op.number] = row_id
            row = build_row(kind, op, project_id, provenance, feature_ids) | {"id": row_id, "version": 1}
            inserts.append(encoded.bind_columns(row, json_binds) if encoded else row)
            insert_ops.append(op)
        elif op.action == "deleted":
            assert op.current is not None
            row_id = op.current.id
            deletes.append({"_id": row_id, "_old_version": op.current.version, "version": op.version})
            delete_ops.append(op)
        else:
            assert op.current is not None
            row_id = op.current.id
            row = build_row(kind, op, project_id, provenance, feature_ids)
            row.pop("project_id", None)
            row.pop("feature_id", None)
            row |= {"_id": row_id, "_old_version": op.current.version, "version": op.version, "deleted_at": None}
            kept = database_keys.get(row_id) if database_keys else None
            if kept and metadata_column in row:
                row[metadata_column] = kept | dict(row[metadata_column] or {})  # the file wins a clash
            bound = encoded.bind_columns(row, json_binds) if encoded else row
            if op.same_blob:  # executemany binds the columns of its first row: without one, another statement
                kept_commit.append(bound)
                kept_commit_ops.append(op)
            else:
                writes.append(bound)
                write_ops.append(op)
        ids[(kind, op.parent or "", op.number)] = row_id
        if op.action in REVISION_ACTIONS:
            revisions.append(
                build_revision(kind, op, row_id, project_id, run_id, provenance, as_text=text_json, encoded=encoded)
            )
            revision_ops.append(op)
    if inserts:
        execute_batch(conn, insert(table).values(_present(json_binds, inserts[0])), inserts, insert_ops, probe=probe)
    for rows, row_ops in ((writes, write_ops), (kept_commit, kept_commit_ops)):
        if rows:
            statement = _guarded(kind).values(updated_at=utcnow(), **_present(json_binds, rows[0]))
            execute_guarded(conn, statement, rows, kind, row_ops, probe=probe)
    if deletes:
        statement = _guarded(kind).values(updated_at=utcnow(), deleted_at=utcnow())
        execute_guarded(conn, statement, deletes, kind, delete_ops, probe=probe)
    if revisions:
        _insert_revisions(conn, revisions, revision_ops, probe=probe)
    for op in ops:  # written: the texts are memory only now
        forget_encoded(op.record)


def database_metadata(conn: Any, kind: str, ops: list[Operation]) -> dict[uuid.UUID, dict[str, Any]]:
    """Per record about to be rewritten from its file: the ``<model>_metadata`` keys that database-side edits put
    there, with their values, so that sync keeps them (git owns the keys the parser produces; neither side
    overwrites the other).

    A key is the database's when the record's latest git revision with content did not have it: a ``deleted``
    revision's snapshot holds no field, so by it every key of a restored record would be the database's, and a key
    the file had before it went and has no more would stay. Only records that ever had an ``annotated`` revision are
    looked at: one query for a sync whose records were never edited in the database.
    """
    ids = sorted(
        (op.current.id for op in ops if op.current is not None and op.record is not None and op.action != "created"),
        key=str,
    )
    if not ids:
        return {}
    column = kinds.KINDS[kind].metadata_column
    revisions = REVISIONS.c
    edited: set[uuid.UUID] = set()
    for chunk in iter_chunks(ids):
        query = select(revisions.entity_id, revisions.changed_fields).where(
            revisions.entity_id.in_(chunk), revisions.change == "annotated"
        )
        edited.update(r.entity_id for r in conn.execute(query) if column in (r.changed_fields or ()))
    if not edited:
        return {}
    table = TABLES[kind]
    current: dict[uuid.UUID, dict[str, Any]] = {}
    git_keys: dict[uuid.UUID, tuple[int, set[str]]] = {}
    for chunk in iter_chunks(sorted(edited, key=str)):
        for r in conn.execute(select(table.c.id, table.c[column]).where(table.c.id.in_(chunk))):
            current[r[0]] = dict(r[1] or {})
        query = select(revisions.entity_id, revisions.version, revisions.snapshot).where(
            revisions.entity_id.in_(chunk), revisions.change.in_(FILE_READ_CHANGES)
        )
        for entity_id, version, snapshot in conn.execute(query):
            if entity_id not in git_keys or version >= git_keys[entity_id][0]:
                git_keys[entity_id] = (version, set((snapshot or {}).get(column) or {}))
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for entity_id, values in current.items():
        owned_by_git = git_keys.get(entity_id, (0, set()))[1]
        kept = {k: v for k, v in values.items() if k not in owned_by_git}
        if kept:
            out[entity_id] = kept
    return out


def build_row(
    kind: str, op: Operation, project_id: uuid.UUID, provenance: Provenance, feature_ids: dict[str, uuid.UUID]
) -> dict[str, Any]:
    """The column values ``op`` writes to its record's row (git-owned fields and provenance); shared with backfill.
    A refresh of a file whose bytes did not change (``Operation.same_blob``) writes no ``source_commit``: the row
    keeps the commit that last wrote the record, which this one did not."""
    assert op.record is not None
    row = dict(op.record.fields)
    row["source_path"] = op.path
    row["content_hash"] = op.record.content_hash
    row.update(key_columns(kind, row))  # what a results import looks the row up by, kept with what it is made of
    if not op.same_blob:
        row["source_commit"] = provenance.sha
    if kind == "scenario":
        assert op.parent is not None
        row["feature_id"] = feature_ids.get(op.parent) or op.parent_id
        row["position"] = op.position
    else:
        row["project_id"] = project_id
    return row


def execute_batch(
    conn: Any, statement: Any, params: list[dict[str, Any]], ops: list[Any] | None = None, *, probe: bool = True
) -> int:
    """Execute ``statement`` for every row of ``params`` in one round trip, inside a savepoint (shared with the
    backfill writer); returns the number of rows the database reports as affected.

    The rows go through the driver with the statement compiled once (``engine.bulk``; ``COPY`` for new rows on
    PostgreSQL). When the database refuses a row (a constraint, a value it cannot store), the batch is undone and
    each row is tried alone through SQLAlchemy (also in savepoints) to find it; the error names that row's record
    and file, in one line. The transaction is then rolled back by the caller: nothing of the sync is written.
    ``ops[i]`` is the plan operation (or file operation) behind ``params[i]``.

    ``probe=False``: no savepoint of its own and no search for the refused row. A savepoint makes SQLite copy every
    page the batch changes that existed before it into a sub-journal (about a tenth of a first sync's inserts);
    a caller that rolls back a savepoint of its own when a row is refused (the eager writer of a first sync, whose
    fallback then writes the plan with ``probe=True`` and names the row) does not need it. On a refusal some rows
    of the batch may be written: the ``RecordRefusedError`` then says only that a row was refused, and the caller
    must roll back."""
    from sqlalchemy.exc import DBAPIError

    from tracertm.db import conflict_error, is_conflict
    from tracertm.engine import bulk

    driver_error = conn.dialect.dbapi.Error
    if not probe:
        try:
            return bulk.execute_many(conn, statement, params)
        except (DBAPIError, driver_error) as exc:
            if is_conflict(exc):  # another writer's rows, not this one's: nothing to fix in a file
                raise conflict_error(exc) from None
            _raise_database_failure(conn, exc)
            raise RecordRefusedError(f"a row of a batch of {len(params)}: the database refused it "
                                     f"({_first_line(exc)}); the caller rolls the batch back") from None
    try:
        with conn.begin_nested():
            return bulk.execute_many(conn, statement, params)
    except (DBAPIError, driver_error) as exc:
        if is_conflict(exc):  # a deadlock or serialization failure: no row to blame, and the transaction is lost
            raise conflict_error(exc) from None
        _raise_database_failure(conn, exc)
        culprit, reason = None, exc
        for i, row in enumerate(params):
            try:
                with conn.begin_nested() as trial:
                    conn.execute(statement, [row])
                    trial.rollback()
            except DBAPIError as row_exc:
                if is_conflict(row_exc):
                    raise conflict_error(row_exc) from None
                _raise_database_failure(conn, row_exc)
                culprit, reason = (ops[i] if ops is not None and i < len(ops) else None), row_exc
                break
        raise RecordRefusedError(f"{_describe(culprit)}: the database refused it ({_first_line(reason)}); "
                            "nothing was written — fix the file, or report this if the file is fine") from None


def _raise_database_failure(conn: Any, exc: BaseException) -> None:
    """Raise the database's own failure behind ``exc``, if it is one rather than a row's refusal: a full disk, or a
    transaction the database rolled back as a whole. SQLite does that on SQLITE_FULL, and the savepoint's RELEASE
    or ROLLBACK TO then fails with "no such savepoint", raised in place of the full disk (``full_beneath``): the
    line said a record was refused, and ``watch`` parked the repository until a file changed. A ``DatabaseError``
    instead: one line, and ``watch`` retries (with backoff) until the database takes writes again."""
    from sqlalchemy.exc import DBAPIError

    from tracertm.db.failures import database_unavailable, disk_full_error, full_beneath, lost_connection

    if lost_connection(exc):
        # The server went away (a restart, a failover, a network cut): no row to blame, and no connection left to
        # try the rows one by one on — each "refused" in turn, the first was named as the file to fix.
        raise database_unavailable(conn.engine, exc) from None
    full = full_beneath(exc)
    if full is not None:
        raise disk_full_error(conn.engine.url, full) from None
    if "no such savepoint" in str(getattr(exc, "orig", exc)):  # the transaction is gone: no row to blame
        context = exc.__context__
        beneath = context if isinstance(context, (DBAPIError, conn.dialect.dbapi.Error)) else exc
        raise database_unavailable(conn.engine, beneath) from None


def _describe(op: Any) -> str:
    if isinstance(op, Operation):
        parent = f" of feature {op.parent}" if op.parent else ""
        return f"{op.path}: {op.kind} {op.number}{parent} ({op.action})"
    if isinstance(op, FileOp):
        return f"{op.path}: file index entry"
    return "a record of this sync"


def _first_line(exc: BaseException) -> str:
    return first_line(getattr(exc, "orig", exc))  # (the driver's own error, under SQLAlchemy's wrapper)


def execute_guarded(
    conn: Any, statement: Any, params: list[dict[str, Any]], kind: str, ops: list[Operation] | None = None, *,
    probe: bool = True, backfill: bool = False,
) -> None:
    """``execute_batch`` of a version-guarded update: a row that matched no guard means another writer won
    (``ConflictError``, exit 75). Shared with the backfill writer (``backfill=True``: a backfill commits batch by
    batch, holding no lock between them, so a database-side edit in between stops it after batches it keeps)."""
    rowcount = execute_batch(conn, statement, params, ops, probe=probe)
    if rowcount != len(params) and backfill:
        raise ConflictError(
            f"{len(params) - rowcount} {kind} row(s) changed in the database while this backfill ran (another "
            "writer changed the project between its batches); the batches before are kept — run 'tracertm "
            "backfill' again: it continues from its checkpoint"
        )
    if rowcount != len(params):
        raise ConflictError(
            f"{len(params) - rowcount} {kind} row(s) changed in the database while this sync ran (another writer "
            "changed the project meanwhile); nothing was written — run the sync again"
        )


def build_revision(
    kind: str, op: Operation, entity_id: uuid.UUID, project_id: uuid.UUID, run_id: uuid.UUID, provenance: Provenance,
    as_text: bool = False, encoded: _Encoded | None = None,
) -> dict[str, Any]:
    """A ``spec_revisions`` row; its snapshot is a JSON-safe dict under ``snapshot``, or with ``as_text`` the same
    as JSON text under ``snapshot__json`` (for ``_insert_revisions``), from ``encoded`` when given."""
    snapshot: Any
    if as_text and encoded is not None:
        snapshot_key, snapshot = "snapshot__json", encoded.snapshot(op.parent)
    else:
        snapshot_key = "snapshot__json" if as_text else "snapshot"
        snapshot = json_safe(op.record.fields) if op.record is not None else {}
        if op.parent:
            snapshot["feature_number"] = op.parent
        if as_text:
            snapshot = json_numbers.dumps(snapshot)
    commit = provenance.commit
    author = commit.author_of(op.path) if commit else None
    return {
        "id": new_id(),
        "project_id": project_id,
        "entity_type": kind,
        "entity_id": entity_id,
        "number": op.number,
        "version": op.version,
        "change": op.action,
        "content_hash": (
            op.record.content_hash if op.record is not None else (op.current.content_hash if op.current else None)
        ),
        "source_path": op.path,
        snapshot_key: snapshot,
        "commit_sha": commit.sha if commit else None,
        "author_name": author.name if author else None,
        "author_email": author.email if author else None,
        "authored_at": author.at if author else None,
        "committer_name": commit.committer_name if commit else None,
        "committer_email": commit.committer_email if commit else None,
        "committed_at": commit.committed_at if commit else None,
        "sync_run_id": run_id,
    }


# ------------------------------------------------------------------------------------------- JSON as bound text
#
# A cold sync writes hundreds of thousands of small JSON values (a scenario has nine JSON columns). Through the JSON
# type each costs a json.dumps call (Python set-up around the C encoder) and the revision snapshot encodes the same
# fields again after a json_safe walk. Here each field is encoded once, by an encoder made once, and the texts are
# bound as text (cast to JSONB on PostgreSQL). The texts are exactly what json_numbers.dumps(json_safe(value))
# gives: json.dumps', a float of 1e16 or more written out.

_TEXT_JSON_DIALECTS = ("sqlite", "postgresql")
_JSON_SUFFIX = JSON_SUFFIX  # the text parameter of column X is X__json (engine.bulk copies it into X)


def _json_default(value: Any) -> Any:
    """What ``json_safe`` does for values ``json.dumps`` cannot write itself."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# json.dumps(value, default=_json_default), its encoder made once. No circular-reference check: records are trees.
_encode_exactly: Callable[[Any], str] = jsontext.encoder(default=_json_default)


def _encode(value: Any) -> str:
    """``_encode_exactly``, with a float of 1e16 or more written out: jsonb read ``1e+20`` as an integer
    (``db.json_numbers``)."""
    text = _encode_exactly(value)
    # (``positional`` makes the same test: made here too, it spares the call for nearly every text of a cold sync)
    return text if "e+" not in text else json_numbers.positional(text)


# A str is what the encoder's own fast path gives, without the Python frame around it.
_quote: Callable[[str], str] = getattr(json.encoder, "c_encode_basestring_ascii", None) or _encode


def _encode_value(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    return _encode(value)


_ENCODED_KEY = "_tracertm_encoded"  # where a record keeps its encoded fields (as ``content_hash`` keeps its hash)


def encoded_fields(record: SpecRecord) -> _Encoded:
    """``record``'s fields encoded as JSON texts, once: kept on the record (in its ``__dict__``, like the cached
    ``content_hash``), so that work done while the parse runs (``prepare_outcome``) is not done again here."""
    found = record.__dict__.get(_ENCODED_KEY)
    if found is None:
        found = record.__dict__[_ENCODED_KEY] = _Encoded(record)
    return found


def prepare_outcome(path: str, outcome: ParseResult | Exception) -> None:
    """Encode what writing ``outcome``'s records needs from them alone — their structured fields as JSON texts —
    as each parsed file comes back from the workers (``ParsePool.parse(consume=...)``): this runs while the workers
    parse the rest, instead of on the writer's path afterwards. ``apply`` drops the texts once written."""
    records = getattr(outcome, "records", None)
    if records is None:
        return
    for record in records:
        encoded_fields(record)
        for child in record.children:
            encoded_fields(child)


def forget_encoded(record: SpecRecord | None) -> None:
    """Drop a record's encoded JSON texts once its row and revision hold them (a reused record encodes again):
    called by apply and by the backfill's writer, whose parse cache keeps records alive across batches."""
    if record is not None:
        record.__dict__.pop(_ENCODED_KEY, None)


class _Encoded:
    """A record's structured fields (lists, dicts: the JSON columns, and most of the cost of encoding) as JSON
    texts, one per field; scalar fields are encoded when the snapshot is built (cheap, and not kept: on a large sync
    their texts would cost tens of MB for nothing)."""

    __slots__ = ("_fields", "texts")

    def __init__(self, record: SpecRecord) -> None:
        fields = record.fields
        if set(map(type, fields)) <= _STR_ONLY:  # every key a str (as ``all(type(k) is str ...)``, in C)
            self.texts: dict[str, str] | None = {
                k: _encode(v) for k, v in fields.items() if type(v) not in _SCALARS
            }
        else:  # keys json_safe would stringify: keep its exact behaviour
            self.texts = None
        self._fields = fields

    def text(self, name: str) -> str:
        """The JSON text of field ``name``."""
        assert self.texts is not None
        found = self.texts.get(name)
        return found if found is not None else _encode_value(self._fields[name])

    def snapshot(self, parent: str | None) -> str:
        if self.texts is None:
            snapshot = json_safe(self._fields)
            if parent:
                snapshot["feature_number"] = parent
            return json_numbers.dumps(snapshot)
        texts = self.texts
        fields = self._fields
        if parent:  # as json_safe(fields) | {"feature_number": parent} would give
            fields = {**fields, "feature_number": parent}
        own = self._fields
        parts = [
            f"{_quote(k)}: {texts[k] if k in texts and v is own[k] else _encode_value(v)}" for k, v in fields.items()
        ]
        return "{" + ", ".join(parts) + "}"

    def bind_columns(self, row: dict[str, Any], json_binds: Mapping[str, _JsonBind]) -> dict[str, Any]:
        """``row`` with each JSON column's value moved to its text parameter."""
        texts, fields = self.texts, self._fields
        for name, key, none_as_null in _bind_plan(json_binds):
            if name in row:
                value = row.pop(name)
                if value is None and none_as_null:
                    row[key] = None
                elif texts is not None and fields.get(name, _MISSING) is value:  # the field itself: its text
                    text = texts.get(name)
                    row[key] = text if text is not None else _encode_value(value)
                else:
                    row[key] = json_numbers.dumps(json_safe(value))
        return row


_MISSING: Any = object()


def _bind_plan(json_binds: Mapping[str, _JsonBind]) -> list[tuple[str, str, bool]]:
    """(column, its text parameter, None is SQL NULL) per JSON column: kept on a ``JsonColumns`` (made once per kind
    and dialect), so a row's ``bind_columns`` does not build the parameter names again."""
    plan: list[tuple[str, str, bool]] | None = getattr(json_binds, "plan", None)
    if plan is None:
        plan = [(name, name + _JSON_SUFFIX, bind.none_as_null) for name, bind in json_binds.items()]
        if isinstance(json_binds, JsonColumns):
            json_binds.plan = plan
    return plan


_SCALARS = frozenset({str, int, float, bool, type(None)})
_STR_ONLY = frozenset({str})


class _JsonBind(NamedTuple):
    expr: Any  # the text parameter (cast to JSONB on PostgreSQL)
    none_as_null: bool  # the column's JSON type writes Python None as SQL NULL


def _json_binds(table: Table, dialect: str) -> dict[str, _JsonBind]:
    """Per JSON column of ``table``: the expression binding its text parameter."""
    binds: dict[str, _JsonBind] = {}
    for column in table.columns:
        if isinstance(column.type, JSON):
            param = bindparam(column.key + _JSON_SUFFIX, type_=Text())
            expr = cast(param, JSONB) if dialect == "postgresql" else param
            binds[column.key] = _JsonBind(expr, bool(column.type.none_as_null))
    return binds


def _present(json_binds: Mapping[str, _JsonBind], row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: bind.expr for name, bind in json_binds.items() if name + _JSON_SUFFIX in row}


class JsonColumns(dict[str, _JsonBind]):
    """A kind's JSON columns and how their texts are bound (shared with the backfill writer)."""

    plan: list[tuple[str, str, bool]] | None = None  # see ``_bind_plan``

    def present(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The ``values()`` of a statement writing ``row``: each JSON column from its text parameter."""
        return _present(self, row)


@functools.cache
def json_columns(kind: str, dialect: str = "sqlite") -> JsonColumns:
    """The JSON columns of ``kind``'s table, bound as text for ``dialect`` (cast to JSONB on PostgreSQL); which
    columns and their NULL handling do not depend on the dialect, so ``bind_columns`` can use any. Made once per
    (kind, dialect): treat it as read-only."""
    return JsonColumns(_json_binds(TABLES[kind], dialect))


def encode_fields(record: SpecRecord) -> _Encoded:
    """``record``'s fields encoded as JSON texts, not kept on the record (see ``encoded_fields`` for that)."""
    return record.__dict__.get(_ENCODED_KEY) or _Encoded(record)


def insert_revisions(conn: Any, revisions: list[dict[str, Any]], ops: list[Operation] | None = None) -> None:
    """Insert ``spec_revisions`` rows (shared with the backfill writer); see ``_insert_revisions``."""
    _insert_revisions(conn, revisions, ops)


def _insert_revisions(
    conn: Any, revisions: list[dict[str, Any]], ops: list[Operation] | None = None, *, probe: bool = True
) -> None:
    """Insert revision rows; a snapshot may be JSON text already (``build_revision(..., encoded=...)``). On SQLite
    they carry their write order (``write_order_from``)."""
    first = write_order_from(conn)
    if first is not None:
        for seq, row in enumerate(revisions, first):
            row["seq"] = seq
    if "snapshot__json" not in revisions[0]:
        execute_batch(conn, insert(REVISIONS), revisions, ops, probe=probe)
        return
    param = bindparam("snapshot__json", type_=Text())
    value = cast(param, JSONB) if conn.dialect.name == "postgresql" else param
    execute_batch(conn, insert(REVISIONS).values(snapshot=value), revisions, ops, probe=probe)


def write_order_from(conn: Any) -> int | None:
    """SQLite: the write order (``spec_revisions.seq``) of the next revision inserted, the table's largest rowid
    plus one — the rowid SQLite gives that row, so that ``seq`` and rowid move together (``history.merge.
    _written_after`` moves both). A bulk writer numbers its rows from it in the order it inserts them, under
    SQLite's write lock: a default there cannot read the table, ``models.sync.next_write_order`` gives every row
    of one statement the same number, and a trigger doubled the cost of every revision insert. None on
    PostgreSQL, whose default draws from the sequence."""
    if conn.dialect.name != "sqlite":
        return None
    top: int = conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM spec_revisions").scalar_one()
    return top + 1


def apply_files(session: Session, project_id: uuid.UUID, plan: Plan, provenance: Provenance) -> None:
    """Write the plan's file index entries (``source_files``); part of ``apply``, alone after the eager writer."""
    _apply_files(session, project_id, plan, provenance)


def _apply_files(session: Session, project_id: uuid.UUID, plan: Plan, provenance: Provenance) -> None:
    conn = session.connection()
    table = SOURCE_FILES
    now = dt.datetime.now(dt.timezone.utc)
    project_id = as_id(project_id) or project_id  # bound on every row: its hex formatted once
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    kept_commit: list[dict[str, Any]] = []  # rows of files whose bytes did not change (``FileOp.same_bytes``)
    insert_ops: list[FileOp] = []
    update_ops: list[FileOp] = []
    kept_commit_ops: list[FileOp] = []
    for fop in plan.files:
        if fop.scanned is None:
            assert fop.existing is not None
            updates.append({"_id": fop.existing.id, "kind": fop.kind, "blob_sha": fop.existing.blob_sha,
                            "size": fop.existing.size or 0, "mtime_ns": fop.existing.mtime_ns,
                            "parse_error": fop.parse_error, "last_commit": provenance.sha, "deleted_at": now})
            update_ops.append(fop)
            continue
        values = {
            "kind": fop.kind,
            "blob_sha": fop.scanned.blob_sha,
            "size": fop.scanned.size or 0,
            "mtime_ns": fop.scanned.mtime_ns,
            "parse_error": fop.parse_error,
            "last_commit": provenance.sha,
            "deleted_at": None,
        }
        if fop.existing is None:
            inserts.append(values | {"id": new_id(), "project_id": project_id, "path": fop.path})
            insert_ops.append(fop)
        elif fop.same_bytes:  # no commit changed the file: it keeps the one that did (apart: executemany's columns)
            del values["last_commit"]
            kept_commit.append(values | {"_id": fop.existing.id})
            kept_commit_ops.append(fop)
        else:
            updates.append(values | {"_id": fop.existing.id})
            update_ops.append(fop)
    if inserts:
        execute_batch(conn, insert(table), inserts, insert_ops)
    statement = update(table).where(table.c.id == bindparam("_id")).values(updated_at=utcnow())
    for rows, ops in ((updates, update_ops), (kept_commit, kept_commit_ops)):
        if rows:
            execute_batch(conn, statement, rows, ops)


def iter_chunks(items: Iterable[Any], size: int = 900) -> Iterable[list[Any]]:
    """Split IN-lists so no statement exceeds a database's bound-parameter limit."""
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
