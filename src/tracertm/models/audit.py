"""The audit trail of database-side edits: every ORM write that bumps ``version`` gets one ``annotated`` revision.

``version`` is the optimistic-lock counter (``version_id_col``) and every increment has exactly one
``spec_revisions`` row. Sync and backfill write rows with Core statements and their revisions themselves (git
changes). Everything else — the API, test-result statistics, approvals, a script — edits rows through the ORM::

    session.info["actor"] = "api:alice"          # optional; stored as the revision's actor
    adr.compliance_score = 0.9
    adr.metadata["owner"] = "team-a"             # JSON columns are mutation-tracked
    session.commit()                             # version 3 → 4, one "annotated" revision (actor, fields)

A database-owned row the ORM *creates* (a test case added by a script or the API) starts its history with a version-1
``created`` revision holding its fields, so that a database-owned record's history is complete from 1 like a synced
one's (sync, backfill and the results import insert with Core statements and write their ``created`` revisions
themselves).

The listeners below are registered once, on the mapper of every versioned model, so every session and every caller
is covered without doing anything. An UPDATE that changes no column emits nothing and bumps nothing. A copy that
another writer changed first raises ``sqlalchemy.orm.exc.StaleDataError`` (SQLAlchemy's version check), and no
revision is written. ORM-enabled bulk ``update()`` statements do not bump ``version`` and are not audited: set
attributes on loaded objects instead.

The same flush refuses what no ORM write may change: a field git owns of a synced record, a metadata key its file
sets among them (``GitOwnedField``, as the API's 409; sync and backfill write those with Core statements, which these
listeners never see) and a ``version`` set by hand (``UsageError``).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, Float, event, insert, inspect, null, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, object_session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.base import NO_VALUE

from tracertm.models.base import VersionedMixin

ACTOR_KEY = "actor"  # session.info key naming who edits (a user, a token, "test-results"...)
# The counter itself is not "what changed" (``updated_at`` is set by the database, so it never shows up here).
_BOOKKEEPING = frozenset({"version"})
# Entity type and identity column of the versioned models that are not spec record kinds.
_OTHER_TYPES = {"test_cases": ("test_case", "test_case_number")}
_PENDING = "_tracertm_audit"  # instance attribute holding (old version, changed fields) between the two events


def _changed_fields(target: Any) -> list[str]:
    state = inspect(target)
    changed: list[str] = []
    for attr in state.mapper.column_attrs:
        if attr.key in _BOOKKEEPING:
            continue
        if state.attrs[attr.key].history.has_changes():
            changed.append(attr.columns[0].key)
    return changed


def _forget_unchanged_json(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    """Leave out of the UPDATE the values flagged modified without an old value that end as stored.

    An in-place edit of a JSON value (``row.metadata["k"] = v``, ``row.tags.append(x)``) flags the attribute
    modified with no old value to compare, since the container changed where it stands (``flag_modified`` does the
    same): SQLAlchemy would write it, a version and an ``annotated`` revision, also when the value ends as it was
    (the same value set again, a key added and removed). Such values are compared, as JSON (``jsontext.same_json``:
    ``true`` is not ``1``), with the row's stored ones — one read, only for rows with such an edit — and those equal
    are made the committed value: nothing to write."""
    state = inspect(target)
    flagged = [attr for attr in mapper.column_attrs if state.committed_state.get(attr.key) is NO_VALUE]
    if not flagged or state.key is None:
        return
    from tracertm.jsontext import same_json

    table = mapper.local_table
    stored = connection.execute(
        select(*(attr.columns[0] for attr in flagged)).where(table.c.id == target.id)
    ).first()
    if stored is None:  # the row is gone: the UPDATE says so (StaleDataError)
        return
    for attr, value in zip(flagged, stored):
        current = state.dict.get(attr.key)
        if same_json(current, value, _keeps_zero_sign(connection.dialect.name, attr.columns[0].type)):
            set_committed_value(target, attr.key, current)


def _keeps_zero_sign(dialect: str, column_type: Any) -> bool:
    """Whether a column of ``column_type`` gives ``-0.0`` back: not PostgreSQL's jsonb (its numbers are ``numeric``,
    which has no negative zero) nor SQLite's REAL (it stores a float with no fraction as an integer). There, -0.0
    set over 0.0 is no change: writing it would make a version whose value is the one before."""
    if isinstance(column_type, JSON):
        return dialect != "postgresql"
    if isinstance(column_type, Float):
        return dialect != "sqlite"
    return True


def _refuse_set_version(mapper: Mapper[Any], target: Any) -> None:
    """A ``version`` set by hand is refused: it is the optimistic-lock counter, one revision per increment, and a
    jump (2 → 10) would leave versions no revision accounts for."""
    version = inspect(target).attrs.version.history
    if version.added:
        from tracertm.errors import UsageError

        raise UsageError(f"version of {_record_name(mapper, target)}: set to {version.added[0]!r} by hand; it is "
                         "the optimistic-lock counter, set by tracertm (one revision per increment): leave it alone "
                         "and set only the fields to change")


def _record_name(mapper: Mapper[Any], target: Any) -> str:
    """``adr ADR-0001`` as far as the copy holds it (no load mid-flush), else the table and the row's id."""
    from tracertm import kinds

    table = mapper.local_table.name  # type: ignore[attr-defined]
    kind = kinds.kind_of_table(table)
    entity_type, number_key = (kind, kinds.NUMBER_COLUMN[kind]) if kind is not None else _OTHER_TYPES.get(
        table, (table, "id"))
    number = inspect(target).dict.get(number_key)
    return f"{entity_type} {number}" if number is not None else f"{table} row {target.id}"


def _refuse_git_owned(mapper: Mapper[Any], connection: Connection, target: Any, fields: list[str]) -> None:
    """Refuse an ORM change of a field that git owns (docs/models.md: only sync and backfill write them, with Core
    statements, so no ORM write is theirs): a record's parsed fields, its provenance, the engine's columns and its
    ``deleted_at`` (a record synced from a file is deleted by removing the file), and the metadata keys its file
    sets (changed or removed; the other keys are the database's). Such an edit would stay for good: the file did
    not change, so no later sync looks at the record again. A row no file wrote (no ``source_path``:
    one a test or script added through the ORM) has no git side, and test cases are the database's."""
    from tracertm import kinds

    kind = kinds.kind_of_table(mapper.local_table.name)  # type: ignore[attr-defined]
    if kind is None or not fields:
        return
    from tracertm.repositories.kinds import KINDS
    from tracertm.schemas.records import derived_note

    k = KINDS[kind]
    editable = [f for f in k.db_owned if derived_note(kind, f) is None]  # not usage_count: sync derives it
    owned = [f for f in fields if f not in editable and f != k.metadata_column and f != "updated_at"]
    metadata = k.metadata_column if k.metadata_column in fields else None
    if not owned and metadata is None:
        return
    table = mapper.local_table
    # The stored values, not the edited ones (the id or path may be what changed); read only for a refusal or a
    # metadata edit (whose keys the file sets are told from the stored value).
    path, number, stored = connection.execute(
        select(table.c.source_path, table.c[k.number] if k.number else table.c.id,
               table.c[metadata] if metadata else null()).where(table.c.id == target.id)
    ).one()
    if path is None:
        return
    clash = [] if owned or metadata is None else _changed_file_keys(connection, target, metadata, stored)
    if not owned and not clash:
        return
    if kind == "scenario":
        number = f"{_feature_keys(connection, target.feature_id)[1]}/{number}"
    if not owned:  # as the API's PATCH of those keys (``Records.check_metadata``), without the line
        from tracertm.repositories.errors import git_owned_metadata

        raise git_owned_metadata(f"{kind} {number}", clash, path, path)
    raise _git_owned_error(k, f"{kind} {number}", owned, path, editable)


def _changed_file_keys(connection: Connection, target: Any, column: str, stored: Any) -> list[str]:
    """The metadata keys the record's file sets (the API's rule: ``models.sync.file_metadata_keys``) that this edit
    changes or removes, in place or by a new dict. Keys the file does not set are the database's: editable."""
    from tracertm.jsontext import same_json
    from tracertm.models.sync import file_metadata_keys

    stored = stored if isinstance(stored, dict) else {}
    current = _column_value(target, column)
    current = current if isinstance(current, dict) else {}
    signed = _keeps_zero_sign(connection.dialect.name, inspect(target).mapper.local_table.c[column].type)
    return sorted(key for key in file_metadata_keys(connection, target.id, column, stored)
                  if (key in stored) != (key in current)
                  or (key in stored and not same_json(stored[key], current[key], signed)))


def _git_owned_error(k: Any, record: str, owned: list[str], path: str, editable: list[str]) -> Exception:
    """The ``GitOwnedField`` the API's 409 raises for the same edit (``Records.check_fields``), without the line."""
    from tracertm.repositories.errors import GitOwnedField
    from tracertm.repositories.kinds import BOOKKEEPING
    from tracertm.repositories.locate import COMPUTED
    from tracertm.schemas.records import derived_note

    if owned == ["deleted_at"]:
        return GitOwnedField(f"{record} comes from {path}: delete or restore it in git (the next sync follows)",
                             ["deleted"], path, None, "a record synced from a file is deleted by removing the file")
    notes = [COMPUTED.get((k.name, f)) or derived_note(k.name, f) for f in owned]
    if all(f in BOOKKEEPING or note is not None for f, note in zip(owned, notes)):
        why = notes[0] or "maintained by tracertm itself (no file sets it)"
        return GitOwnedField(f"{', '.join(owned)} of {record}: {why}, so it cannot be set", owned, path, None, why)
    editable = [*editable, *(["metadata keys the file does not set"] if k.metadata_column else [])]
    return GitOwnedField(f"{', '.join(owned)} of {record}: owned by git, not the database; edit {path} and commit "
                         f"(the next sync updates the database). Editable here: {', '.join(editable)}",
                         owned, path, None, None)


def _before_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    _refuse_set_version(mapper, target)
    _forget_unchanged_json(mapper, connection, target)
    fields = _changed_fields(target)
    _refuse_git_owned(mapper, connection, target, fields)
    version = inspect(target).attrs.version.history
    old = (version.deleted or version.unchanged or [None])[0]
    object.__setattr__(target, _PENDING, (old, fields))


def _after_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    pending = target.__dict__.pop(_PENDING, None)
    if pending is None:
        return
    old_version, fields = pending
    if target.version == old_version:
        return  # no UPDATE was emitted: nothing to record (every emitted one bumped the version)
    _record(mapper, connection, target, "annotated", fields)


def _after_insert(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    if mapper.local_table.name not in _DATABASE_OWNED:  # type: ignore[attr-defined]
        return
    loaded = inspect(target).dict  # only what the INSERT sent: reading a server default now would query mid-flush
    fields = [attr.columns[0].key for attr in mapper.column_attrs
              if attr.key not in _CREATED_SKIP and loaded.get(attr.key) is not None]
    _record(mapper, connection, target, "created", fields)


# Records that no file creates: only the database can record their creation. Spec kinds are created by sync (its
# own revisions); a spec row a test or script adds through the ORM is scaffolding, not history.
_DATABASE_OWNED = frozenset({"test_cases"})
# Not part of a created row's snapshot: identity and bookkeeping (the revision has them in its own columns).
_CREATED_SKIP = frozenset({"id", "version", "created_at", "updated_at", "deleted_at", "project_id", "feature_id"})


def _record(mapper: Mapper[Any], connection: Connection, target: Any, change: str, fields: list[str]) -> None:
    """Write the revision of ``target``'s current version: ``change`` with the values of ``fields``."""
    from tracertm import kinds
    from tracertm.models.sync import SpecRevision
    from tracertm.parsers.common import json_safe

    table = mapper.local_table.name  # type: ignore[attr-defined]
    kind = kinds.kind_of_table(table)
    if kind is not None:
        entity_type, number_key = kind, kinds.NUMBER_COLUMN[kind]
    else:
        entity_type, number_key = _OTHER_TYPES[table]
    number = getattr(target, number_key)
    if number is None and entity_type == "step_definition":
        # A shared-library definition (no project) need not have a file::function; its pattern names it, as the
        # revision's number may not be NULL.
        number = target.pattern
    project_id = getattr(target, "project_id", None)
    snapshot = {name: json_safe(_column_value(target, name)) for name in fields}
    if kind == "scenario":
        project_id, feature_number = _feature_keys(connection, target.feature_id)
        snapshot.setdefault("feature_number", feature_number)
    session = object_session(target)
    actor = session.info.get(ACTOR_KEY) if session is not None else None
    connection.execute(
        insert(SpecRevision).values(
            id=uuid.uuid4(),
            project_id=project_id,
            entity_type=entity_type,
            entity_id=target.id,
            number=number,
            version=target.version,
            change=change,
            content_hash=getattr(target, "content_hash", None),
            source_path=getattr(target, "source_path", None),
            snapshot=snapshot,
            actor=None if actor is None else str(actor),
            changed_fields=fields if change == "annotated" else None,
            **_write_order(connection),
        )
    )


_NUMBERED = "tracertm_write_order"  # connection.info: (transaction, whether spec_revisions has ``seq``)


def _write_order(connection: Connection) -> dict[str, Any]:
    """SQLite: the revision's ``seq``, computed by its INSERT (``models.sync.next_write_order``): SQLite has no
    default that could number it. Nothing on PostgreSQL, whose column default draws from the sequence, nor in a
    schema older than migration 0030 (a migration's test filling one), asked once per transaction."""
    from tracertm.models.sync import next_write_order

    if connection.dialect.name != "sqlite":
        return {}
    transaction = connection.get_transaction()
    held = connection.info.get(_NUMBERED)
    if held is None or held[0] is not transaction:
        has = connection.exec_driver_sql(
            "SELECT 1 FROM pragma_table_info('spec_revisions') WHERE name = 'seq'").first() is not None
        held = connection.info[_NUMBERED] = (transaction, has)
    return {"seq": next_write_order()} if held[1] else {}


def _column_value(target: Any, column: str) -> Any:
    value = getattr(target, "metadata_" if column.endswith("_metadata") else column)
    return value.value if hasattr(value, "value") and not isinstance(value, (dict, list)) else value


_FEATURE_KEYS = "tracertm_feature_keys"  # connection.info: (transaction, feature id → (project id, feature number))


def _feature_keys(connection: Connection, feature_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """A scenario's project and feature number. Cached for the transaction, so a flush of many scenario edits — test
    results — does not query once per scenario; not longer: a feature named after its file changes its number when
    the file is renamed, and a pooled connection outlives its transactions (``tracertm serve``, a script)."""
    transaction = connection.get_transaction()
    held = connection.info.get(_FEATURE_KEYS)
    if held is None or held[0] is not transaction:
        held = connection.info[_FEATURE_KEYS] = (transaction, {})
    cache: dict[uuid.UUID, tuple[uuid.UUID, str]] = held[1]
    keys = cache.get(feature_id)
    if keys is None:
        from tracertm import kinds

        features = kinds.table("feature")
        row = connection.execute(
            select(features.c.project_id, features.c.feature_number).where(features.c.id == feature_id)
        ).one()
        if len(cache) > 100_000:
            cache.clear()
        keys = cache[feature_id] = (row.project_id, row.feature_number)
    return keys


# On the mixin, propagated: every versioned model, present and future, in every session.
event.listen(VersionedMixin, "before_update", _before_update, propagate=True)
event.listen(VersionedMixin, "after_update", _after_update, propagate=True)
event.listen(VersionedMixin, "after_insert", _after_insert, propagate=True)


__all__ = ["ACTOR_KEY"]
