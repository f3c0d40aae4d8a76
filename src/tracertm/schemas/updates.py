"""Update models: only the database-owned fields of each kind, so a git-owned field cannot be written by
construction (the API answers 409 naming the file to edit instead)."""

from __future__ import annotations

import datetime as dt

import math
import re
import uuid
from functools import cache
from typing import Annotated, Any, Optional, get_args

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationInfo,
                      create_model, model_validator)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from tracertm.repositories.kinds import KINDS
from tracertm.schemas.records import _python_type, derived_note, model_name
from tracertm.text import is_text


MAX_METADATA_DEPTH = 16
MAX_METADATA_KEY = 200
# Database-owned figures with a range: a share (0 to 1).
_BOUNDS: dict[str, tuple[float, float | None]] = {"pass_rate": (0, 1), "compliance_score": (0, 1)}


_SKIP_SCHEMA: Any = SkipJsonSchema  # ``SkipJsonSchema[T]``: a field left out of the JSON schema (typed as Any)


def _refuse_derived(why: str) -> Any:
    """An after-validator refusing any value of a derived field, ``why`` as the message."""

    def refuse(value: Any) -> Any:
        raise PydanticCustomError("derived_field", why)

    return refuse


def storable_text(value: Any, where: str = "a value") -> None:
    """Refuse text neither database can store as given, anywhere in ``value`` (keys of objects included): a NUL
    character (PostgreSQL's text and JSON cannot hold one) or a lone surrogate (``"\\ud800"`` in JSON: not a
    character, not encodable as UTF-8, so a row holding one could be written but never read back or shown)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where} may not contain NUL characters")
        if not is_text(value):
            raise ValueError(f"{where} holds a lone surrogate (\\ud800-\\udfff alone is not a character)")
    elif isinstance(value, dict):
        for key, sub in value.items():
            storable_text(key, where)
            storable_text(sub, where)
    elif isinstance(value, list):
        for sub in value:
            storable_text(sub, where)


def storable_time(value: dt.datetime, where: str) -> dt.datetime:
    """``value`` in UTC (one without an offset is UTC already), or a ValueError naming ``where`` when that falls
    outside the calendar."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError:
        raise ValueError(f"{where}: {value.isoformat()} is outside years 1 to 9999 in UTC") from None


# Text pydantic's lax mode reads as a Unix time rather than as ISO 8601: digits alone, with a sign or a point.
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")


def _time_text(value: Any) -> Any:
    """A time as ISO 8601 text (or a ``datetime`` from Python), never a number. pydantic would read a number, or
    text of digits alone, as a Unix time in seconds or milliseconds by its size: ``"20240101"`` (ISO's basic
    form of a date) became 1970-08-23 and ``"2024"`` 33 minutes past 1970 — stored without a word."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number or (isinstance(value, str) and _NUMBER_TEXT.fullmatch(value)):
        raise PydanticCustomError(
            "time_not_number",
            "{value} is a number, not a time; write a time in ISO 8601 (2024-05-01T12:00:00Z, or a date: 2024-05-01)",
            {"value": value})
    return value


class _Update(BaseModel):
    """The base of every update model: unknown fields refused, numbers finite, text storable."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _text(cls, data: Any) -> Any:
        storable_text(data, "text")
        return data

    @model_validator(mode="after")
    def _times(self) -> _Update:
        """Time stamps are stored in UTC: one whose UTC value falls outside years 1 to 9999
        (``9999-12-31T23:59:59-05:00``) has no such value, and refusing it here makes it a 422, not a 500. Each is
        given in UTC, as a stored one is read: a naive one compared unequal to the same time stored, and a PATCH
        sending the time already stored made a new version (and revision) that changed nothing."""
        for name, value in self:
            if isinstance(value, dt.datetime):
                setattr(self, name, storable_time(value, name))
        return self


def _uuid_text(value: str) -> str:
    """A test case id as the column keeps it (the canonical hyphenated form)."""
    return str(uuid.UUID(value))


# ``model_validate``'s context keys: the ids of the test cases a scenario may name (those of its project), and of
# those of its project it may not, being deleted (a 422 that says so, and how to restore one).
KNOWN_TEST_CASES = "test_case_ids"
DELETED_TEST_CASES = "deleted_test_case_ids"


def _test_case_ids(value: list[str] | None, info: ValidationInfo) -> list[str] | None:
    """A scenario's test cases: each once, each one of its project's (when the caller tells which: the context's
    ``KNOWN_TEST_CASES``; one of ``DELETED_TEST_CASES`` is refused as deleted, with how to restore it). A repeat or
    an id of no test case was stored as sent: a link to nothing."""
    if value is None:
        return None
    seen: set[str] = set()
    for item in value:
        if item in seen:
            raise ValueError(f"{item} is listed twice; list each test case once")
        seen.add(item)
    known = (info.context or {}).get(KNOWN_TEST_CASES)
    unknown = [item for item in value if known is not None and item not in known]
    deleted = (info.context or {}).get(DELETED_TEST_CASES) or ()
    if unknown and unknown[0] in deleted:
        raise ValueError(f"{unknown[0]} is a deleted test case of this project; restore it first "
                         f"(POST /api/v1/test-cases/{unknown[0]}/restore) or leave it out")
    if unknown:
        raise ValueError(f"{unknown[0]} is no test case of this project; name test cases the results imports made "
                         "(GET /api/v1/projects/{project}/test-cases)")
    return value


def _plain_json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A JSON object (metadata, a verification result) both databases store as given: keys of at most 200
    characters, nesting at most 16 deep, finite numbers (``NaN`` is not JSON: SQLite would keep an invalid
    document, PostgreSQL refuse it); text is checked by ``storable_text``."""

    def check(item: Any, depth: int) -> None:
        if depth > MAX_METADATA_DEPTH:
            raise ValueError(f"the object nests deeper than {MAX_METADATA_DEPTH} levels")
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("numbers must be finite (NaN and Infinity are not JSON)")
        if isinstance(item, dict):
            for key, sub in item.items():
                check(key, depth)
                check(sub, depth + 1)
        elif isinstance(item, list):
            for sub in item:
                check(sub, depth + 1)

    if value is not None:
        too_long = [key for key in value if len(key) > MAX_METADATA_KEY or not key]
        if too_long:
            raise ValueError(f"keys must be 1 to {MAX_METADATA_KEY} characters")
        check(value, 1)
    return value


# What the validators above refuse, said in the JSON Schema too (``tracertm schema KIND --model update``, the
# OpenAPI document's request bodies), so that a body a client checked against the schema is not a 422: an
# object's keys are 1 to MAX_METADATA_KEY characters, a test case is named by its UUID, each once.
_JSON_KEYS = Field(json_schema_extra={"propertyNames": {"minLength": 1, "maxLength": MAX_METADATA_KEY}})
_UUID_TEXT = Field(json_schema_extra={"format": "uuid"})
_EACH_ONCE = Field(json_schema_extra={"uniqueItems": True})


def validated(kind_name: str, changes: dict[str, Any], context: dict[str, Any] | None) -> dict[str, Any]:
    """``changes`` to a record of the kind, as ``update_model`` validates them (the fields set); ``InvalidValues``
    (a ``UsageError``, as the Python API's errors are) for what it refuses."""
    from pydantic import ValidationError

    from tracertm.errors import InvalidValues

    try:
        return update_model(kind_name).model_validate(changes, context=context).model_dump(exclude_unset=True)
    except ValidationError as exc:
        raise InvalidValues([dict(e) for e in exc.errors()]) from None


@cache
def update_model(kind_name: str) -> type[BaseModel]:
    """Every database-owned field of the kind, each optional; unknown fields are rejected (``extra="forbid"``),
    and so are non-finite numbers, figures out of their range and text no database can store (``_Update``)."""
    k = KINDS[kind_name]
    fields: dict[str, Any] = {}
    for name in k.db_owned:
        column = k.table.c[name]
        if (why := derived_note(k.name, name)) is not None:  # refused whatever the value, left out of the schema
            fields[name] = (_SKIP_SCHEMA[Annotated[Any, AfterValidator(_refuse_derived(why))]], None)
            continue
        annotation = _python_type(column, k.model)
        if name == "test_case_ids":
            annotation = Annotated[list[Annotated[str, AfterValidator(_uuid_text), _UUID_TEXT]],
                                   AfterValidator(_test_case_ids), _EACH_ONCE]
        elif name == "verification_result":
            annotation = Annotated[Annotated[dict[str, Any], _JSON_KEYS] | None, AfterValidator(_plain_json)]
        elif dt.datetime in (annotation, *get_args(annotation)):  # Optional[datetime] for a nullable column
            annotation = Annotated[dt.datetime, BeforeValidator(_time_text)]
        elif float in (annotation, *get_args(annotation)):
            # A JSON number (an integer too), as the schema says: lax mode took true as 1.0 and "0.5" as 0.5.
            annotation = Annotated[float, Strict()]
        low, high = _BOUNDS.get(name, (None, None))
        # A VARCHAR(n) column (a test case's status): PostgreSQL refuses a longer value, SQLite would keep it.
        longest = getattr(column.type, "length", None)
        if not column.nullable:  # a NOT NULL column can be set but not cleared
            fields[name] = (Optional[annotation], Field(default=None, description="database-owned; null = unchanged",
                                                        ge=low, le=high, max_length=longest))
        else:
            fields[name] = (annotation | None, Field(default=None, description="database-owned", ge=low, le=high,
                                                     max_length=longest))
    if k.metadata_column is not None:
        fields["metadata"] = (
            Annotated[Annotated[dict[str, Any], _JSON_KEYS] | None, AfterValidator(_plain_json)],
            Field(default=None, description="metadata keys to set (merged into the record's metadata; a null value "
                  "removes the key). Only keys the database owns: a key the file sets is refused with 409 naming "
                  "the file and line"),
        )
    return create_model(model_name(k, "Update"), __base__=_Update, **fields)
