"""Read models of the records, generated from the ORM tables so that they cannot drift from the columns.

One model per kind (``ADRRead``...): every column but the engine's look-up keys (``kinds.LOOKUP_KEYS``; ``*_metadata``
as ``metadata``), enums as their values, plus ``kind``, ``project`` (its name), ``deleted``, for scenarios ``feature``
(the feature's number) and for step definitions ``short_id`` (``STEP-n``). The CLI's ``--format json`` and the HTTP
API both print these. Columns are named by ``history.names.field_name``, which names the fields of revisions (history,
``at``) too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import cache
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy import JSON, Boolean, Date, DateTime, Enum, Float, Integer, String, Text, Uuid
from sqlalchemy.types import TypeDecorator

from tracertm.history.names import field_name
from tracertm.repositories.kinds import KINDS, LOOKUP_KEYS, Kind
from tracertm.schemas.common import Instant

_CAMEL = {
    "adr": "ADR", "contract": "Contract", "feature": "Feature", "scenario": "Scenario",
    "step_definition": "StepDefinition", "test_case": "TestCase",
}


# Database-owned figures that are derived: every sync recomputes them from the files (without a new version), so a
# value a client set would be silently replaced. Readable, never writable: an update naming one is refused (422).
DERIVED: dict[tuple[str, str], str] = {
    ("step_definition", "usage_count"):
        "computed by sync from the step matches (derived, read-only); it cannot be set",
}


def derived_note(kind_name: str, name: str) -> str | None:
    """Why ``name`` of ``kind_name`` is read-only (derived by sync), or None for any other field."""
    return DERIVED.get((kind_name, name))


def model_name(k: Kind, suffix: str) -> str:
    return _CAMEL[k.name] + suffix


def _annotation(model: Any, key: str) -> str:
    """The (string) ``Mapped[...]`` annotation of ``key`` on ``model`` or its mixins, '' when none."""
    for klass in getattr(model, "__mro__", ()):
        annotation = getattr(klass, "__annotations__", {}).get(key)
        if annotation is not None:
            return str(annotation)
    return ""


def _python_type(column: Any, model: Any = None, *, time: Any = dt.datetime) -> Any:
    """The Python type of ``column`` for a pydantic model; a timestamp's is ``time`` (a read model's: ``Instant``,
    which writes it as every output writes a time; an update model reads a plain ``datetime``)."""
    col_type = column.type
    if isinstance(col_type, TypeDecorator):
        col_type = col_type.impl if not isinstance(col_type.impl, type) else col_type.impl()
    base: Any
    if isinstance(col_type, Enum):
        base = Literal[tuple(col_type.enums)]
    elif isinstance(col_type, JSON) or type(col_type).__name__ == "JSONB":
        is_list = (str(getattr(column.server_default, "arg", "")) == "'[]'"
                   or "list[" in _annotation(model, column.key))
        base = list[Any] if is_list else dict[str, Any]
    elif isinstance(col_type, Uuid):
        base = uuid.UUID
    elif isinstance(col_type, DateTime):
        base = time
    elif isinstance(col_type, Date):
        base = dt.date
    elif isinstance(col_type, Boolean):
        base = bool
    elif isinstance(col_type, Integer):
        base = int
    elif isinstance(col_type, Float):
        base = float
    elif isinstance(col_type, (String, Text)):
        base = str
    else:  # pragma: no cover - a new column type needs a line above
        raise TypeError(f"no JSON type for column {column}")
    return Optional[base] if column.nullable else base  # noqa: UP007 - create_model wants a runtime type


@cache
def read_model(kind_name: str) -> type[BaseModel]:
    """The read model of one kind (cached; built from the table's columns)."""
    k = KINDS[kind_name]
    fields: dict[str, Any] = {
        "kind": (Literal[k.name], Field(description="the record kind")),
        "id": (uuid.UUID, Field(description="stable UUID of the record")),
        "project": (Optional[str], Field(description="the project's name (null for a shared step library)")),
        "number": (Optional[str], Field(description="the human id (ADR-0003, CTR-0001, FEAT-2, SC-4); null if none")),
    }
    if k.name == "step_definition":
        fields["short_id"] = (Optional[str], Field(description=(
            "the definition's short id, STEP-n: it numbers the project's definitions in the order they were first "
            "synced (a number never moves to another definition); accepted wherever the id is; null for a "
            "definition of no project")))
    if "title" not in k.table.c:
        fields["title"] = (str, Field(description=f"the record's title (its {k.title})"))
    if k.name == "scenario":
        fields["feature"] = (str, Field(description="number of the feature the scenario belongs to"))
        fields["feature_deleted"] = (bool, Field(description="true when the scenario's feature is soft-deleted"))
    for c in k.table.columns:
        name = field_name(k.name, c.key)
        if name in fields or c.key in LOOKUP_KEYS:
            continue
        owner = k.owner_of(name)
        description = f"{owner}-owned" if owner != "unknown" else None
        if (why := derived_note(k.name, name)) is not None:
            description = f"{owner}-owned, {why}"
        fields[name] = (_python_type(c, k.model, time=Instant), Field(description=description))
    fields["deleted"] = (bool, Field(description="true when the record is soft-deleted (deleted_at set)"))
    return create_model(
        model_name(k, "Read"), __config__=ConfigDict(extra="forbid"), **fields
    )


@cache
def item_model(kind_name: str) -> type[BaseModel]:
    """The read model with every field optional: list items carry only the ``fields`` asked for."""
    full = read_model(kind_name)
    fields: dict[str, Any] = {
        # rebuild_annotation: the type with its metadata (``Instant``'s serializer), which ``annotation`` drops
        name: (Optional[info.rebuild_annotation()], Field(default=None, description=info.description))
        for name, info in full.model_fields.items()
    }
    return create_model(
        model_name(KINDS[kind_name], "Item"), __config__=ConfigDict(extra="forbid"), **fields
    )


@cache
def page_model(kind_name: str) -> type[BaseModel]:
    """What a list of one kind serves (``GET /projects/{project}/adrs``...): ``items`` (item models: only the
    ``fields`` asked for), ``page`` and, with ``count=true``, ``total``."""
    from tracertm.schemas.common import PageInfo

    return create_model(
        model_name(KINDS[kind_name], "Page"), __config__=ConfigDict(extra="forbid"),
        items=(list[item_model(kind_name)], ...),  # type: ignore[arg-type,misc]  # a model built at run time
        page=(PageInfo, ...), total=(Optional[int], Field(default=None, description="matching records (count=true)")),
    )


def to_dict(k: Kind, row: Any, project: str | None, feature: str | None = None) -> dict[str, Any]:
    """A record shaped like the read model (Python values; see :func:`to_read`), from an ORM object or from a
    plain row of a list page (``Records.list``)."""
    from sqlalchemy.engine import Row

    plain = isinstance(row, Row)
    mapping = row._mapping if plain else None

    def value_of(column: Any) -> Any:
        if mapping is not None:
            return mapping[column]
        return getattr(row, "metadata_" if column.name.endswith("_metadata") else column.key)

    out: dict[str, Any] = {
        "kind": k.name, "id": row.id, "project": project,
        "number": value_of(k.table.c[k.number]) if k.number else None,
    }
    if k.name == "step_definition":
        out["short_id"] = _short_id(row, mapping)
    if "title" not in k.table.c:
        out["title"] = value_of(k.table.c[k.title])
    if k.name == "scenario":
        from tracertm.repositories.records import FEATURE_DELETED_LABEL, FEATURE_LABEL

        if mapping is not None:
            out["feature"] = feature if feature is not None else mapping[FEATURE_LABEL]
            out["feature_deleted"] = bool(mapping[FEATURE_DELETED_LABEL])
        else:
            out["feature"] = feature if feature is not None else row.feature.feature_number
            out["feature_deleted"] = row.feature.deleted_at is not None
    for c in k.table.columns:
        key = field_name(k.name, c.key)
        if key not in out and c.key not in LOOKUP_KEYS:
            value = value_of(c)
            out[key] = value.value if hasattr(value, "value") else value
    out["deleted"] = out["deleted_at"] is not None
    return out


def _short_id(row: Any, mapping: Any) -> str | None:
    """A step definition's ``STEP-n``: from the number a list page's row carries (``Records.list`` numbers its
    rows in the page's query), else (one ORM row) asked of the row's session; None without a project."""
    from sqlalchemy.orm import object_session

    from tracertm.repositories.records import STEP_NUMBER_LABEL
    from tracertm.steps.queries import short_id, short_ids

    if mapping is not None:
        n = mapping.get(STEP_NUMBER_LABEL)
        return None if n is None else short_id(n)
    session = object_session(row)
    if session is None or row.project_id is None:
        return None
    return short_ids(session, row.project_id, [row.id]).get(row.id)


def to_read(k: Kind, row: Any, project: str | None, feature: str | None = None) -> BaseModel:
    """A row as its validated read model."""
    return read_model(k.name).model_validate(to_dict(k, row, project, feature))
