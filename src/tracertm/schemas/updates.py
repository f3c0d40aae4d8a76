"""Update models: only the database-owned fields of each kind, so a git-owned field cannot be written by
construction (the API answers 409 naming the file to edit instead)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from tracertm.repositories.kinds import KINDS
from tracertm.schemas.records import _python_type, model_name


MAX_METADATA_DEPTH = 16
MAX_METADATA_KEY = 200


def _plain_json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Metadata both databases store as given: keys of at most 200 characters, no NUL character anywhere
    (PostgreSQL's JSON cannot hold one), nesting at most 16 deep."""

    def check(item: Any, depth: int) -> None:
        if depth > MAX_METADATA_DEPTH:
            raise ValueError(f"metadata nests deeper than {MAX_METADATA_DEPTH} levels")
        if isinstance(item, str) and "\x00" in item:
            raise ValueError("metadata may not contain NUL characters")
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
            raise ValueError(f"metadata keys must be 1 to {MAX_METADATA_KEY} characters")
        check(value, 1)
    return value


@cache
def update_model(kind_name: str) -> type[BaseModel]:
    """Every database-owned field of the kind, each optional; unknown fields are rejected (``extra="forbid"``)."""
    k = KINDS[kind_name]
    fields: dict[str, Any] = {}
    for name in k.db_owned:
        column = k.table.c[name]
        annotation = _python_type(column, k.model)
        if not column.nullable:  # a NOT NULL column can be set but not cleared
            fields[name] = (Optional[annotation], Field(default=None, description="database-owned; null = unchanged"))
        else:
            fields[name] = (annotation | None, Field(default=None, description="database-owned"))
    if k.metadata_column is not None:
        fields["metadata"] = (
            Annotated[dict[str, Any] | None, AfterValidator(_plain_json)],
            Field(default=None, description="metadata keys to set (merged into the record's metadata; a null value "
                  "removes the key). Only keys the database owns: a key the file sets is refused with 409 naming "
                  "the file and line"),
        )
    return create_model(
        model_name(k, "Update"), __config__=ConfigDict(extra="forbid"), **fields
    )
