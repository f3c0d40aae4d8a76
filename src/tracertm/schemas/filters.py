"""The filter model of list, count and facets: the same query for the CLI, Python and HTTP."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tracertm.text import is_text

MAX_LIMIT = 500
# The filters of one query, as JSON: a next page's cursor carries them (base64, with the project, the last row's
# id and its sort values or their digest), and a cursor is taken back up to 4,096 characters (``api.routes``).
MAX_QUERY_CHARS = 2800


def _split(values: list[str] | str | None) -> list[str]:
    """``a,b`` and repeated parameters alike: ``status=a&status=b`` = ``status=a,b``."""
    if values is None:
        return []
    items = [values] if isinstance(values, str) else values
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError("expected text or a list of texts")  # a forged cursor's query: 422/400, not a crash
    if not all(is_text(item) for item in items):
        # What a mode="before" validator returns is not checked again for lone surrogates (a str field's value
        # is): refused here as pydantic refuses one in ``text``, not bound later as a tag the database cannot encode.
        raise PydanticCustomError(
            "string_unicode", "Input should be a valid string, unable to parse raw data as a unicode string")
    for item in items:
        no_nul(item)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def no_nul(value: str | None) -> str | None:
    """``value`` unless it holds a NUL, which PostgreSQL refuses in text (a 500 there, where SQLite matched nothing).
    The URL never brings one (``api.limits``) nor does a command line: a forged cursor's filters do."""
    if value is not None and "\x00" in value:
        raise PydanticCustomError("string_nul", "Input should be a string without NUL characters")
    return value


class ListFilter(BaseModel):
    """What to list. Lists combine with AND; values inside ``status``, ``type`` and ``any_tag`` with OR."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: list[str] = Field(default_factory=list, description="any of these statuses")
    tag: list[str] = Field(default_factory=list, description="all of these tags (without @)")
    any_tag: list[str] = Field(default_factory=list, description="at least one of these tags")
    type: list[str] = Field(default_factory=list, description="contract or step type: any of these")
    text: str | None = Field(default=None, max_length=500, description="full-text query (see README: search syntax)")
    changed_since: str | None = Field(
        default=None, max_length=64,
        description="ISO 8601 timestamp, or a commit id, branch or tag name: records with a revision after it",
    )
    path: str | None = Field(default=None, max_length=1024, description="source path prefix, e.g. docs/adr/")
    include_deleted: bool = Field(default=False, description="also soft-deleted records")
    related_adr: str | None = Field(
        default=None, max_length=255, description="records whose related_adrs has this ADR"
    )
    feature: str | None = Field(default=None, max_length=255, description="scenarios of this feature number")
    sort: list[str] = Field(
        default_factory=list,
        description="sort fields, most significant first; '-' prefix = descending (e.g. -status,number); "
        "default: number (scenarios: feature,position)",
    )
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    # Not a filter of rows but part of the query all the same: the API's ``fields``, which a next page's cursor
    # carries with the rest — a client following ``page.next`` (a cursor alone) got whole records on page 2.
    fields: list[str] = Field(default_factory=list, description="API lists: only these keys of each record")
    # The API's ``count`` too: a next page's cursor carries it, or page 2 (by its Link or by page.next) had no total.
    count: bool = Field(default=False, description="API lists: also the total of every matching record")

    @field_validator("status", "tag", "any_tag", "type", "sort", "fields", mode="before")
    @classmethod
    def _lists(cls, value: list[str] | str | None) -> list[str]:
        return _split(value)

    @field_validator("text", "changed_since", "path", "related_adr", "feature")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return no_nul(value)

    @field_validator("tag", "any_tag")
    @classmethod
    def _no_at(cls, value: list[str]) -> list[str]:
        return [v.lstrip("@") for v in value]

    @field_validator("sort")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        """Each field once: a repeat orders nothing more (and thousands of them overflow the database's ORDER BY)."""
        seen: set[str] = set()
        for item in value:
            name = item.lstrip("-+")
            if name in seen:
                raise ValueError(f"{name!r} is given twice; give each sort field once")
            seen.add(name)
        return value

    @model_validator(mode="after")
    def _pageable(self) -> ListFilter:
        """A query short enough for its next page's cursor (which carries it: ``repositories.cursor``) to be taken
        back: refused here, on its first page, rather than answered with a next link the server then refuses."""
        size = len(json.dumps(self.model_dump(mode="json", exclude_defaults=True), separators=(",", ":")))
        if size > MAX_QUERY_CHARS:
            raise ValueError(f"the filters are too long ({size} characters in all, at most {MAX_QUERY_CHARS}); "
                             "narrow them (fewer or shorter values)")
        return self
