"""Update models: only the database-owned fields of each kind, so a git-owned field cannot be written by
construction (the API answers 409 naming the file to edit instead)."""

from __future__ import annotations

from functools import cache
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from tracertm.repositories.kinds import KINDS
from tracertm.schemas.records import _python_type, model_name


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
    return create_model(
        model_name(k, "Update"), __config__=ConfigDict(extra="forbid"), **fields
    )
