"""The record kinds the query layer serves: model, identity column, title, URL name, and who owns which field.

Git-owned fields come from files and only sync writes them; database-owned fields are written through the API or
the ORM (docs/models.md). Bookkeeping columns are neither: the engine maintains them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracertm.errors import UsageError
from tracertm.kinds import KINDS as SPEC_KINDS
from tracertm.models import ADR, Contract, Feature, Scenario, StepDefinition, TestCase
from tracertm.repositories.keyset import Key

# A results import's look-up keys (``results.match_keys``): the engine's index of git-owned fields, no field of the
# record (not in the read models, the CLI's JSON, the API or the web view).
LOOKUP_KEYS = frozenset({"name_key", "file_key", "pytest_key"})
# Columns the engine maintains: never editable, never "git-owned" in an error message.
BOOKKEEPING = frozenset(
    {
        "id", "project_id", "feature_id", "created_at", "updated_at", "version", "deleted_at", "content_hash",
        "source_commit", "source_path", "position", "file_path",
    }
) | LOOKUP_KEYS


@dataclass(frozen=True)
class Kind:
    """One kind of record as the query layer sees it."""

    name: str  # singular, as in spec_revisions.entity_type: "adr"
    plural: str  # URL segment and CLI word: "adrs"
    model: Any
    number: str | None  # column holding the human id (None: addressed by UUID only)
    title: str
    db_owned: tuple[str, ...]  # the fields an update may set
    sort_fields: tuple[str, ...]  # columns a list may be sorted by (see README: which are indexed)
    default_sort: tuple[str, ...] = ("number",)
    # What breaks ties after the sort asked for, before the id: the record's own ids, which every database holds
    # alike (a random id alone ordered a tie otherwise per database and per sync). Those the sort has are skipped.
    tie_break: tuple[str, ...] = ("number",)
    # Fields no two live records share (a scenario's feature and its place in that feature's file): a sort that has
    # them lists the live records in a total order, and their tie-break stops there (it keeps the index's order).
    live_unique: frozenset[str] = frozenset()
    facets: tuple[str, ...] = ("status", "tag")
    relations: tuple[str, ...] = ()  # filters by reference: "related_adr", "feature"
    searchable: bool = True
    from_git: bool = True  # records that sync creates and deletes; the others may be soft-deleted here
    git_owned: frozenset[str] = field(default=frozenset())
    # Read-model fields that are no column of the kind's table: the engine derives them when it reads a record
    # (a scenario's ``feature_deleted``, a step definition's ``short_id``), so a PATCH of one is refused as every
    # field tracertm maintains is (409), not as a field the API does not know (422).
    derived: frozenset[str] = frozenset()

    @property
    def table(self) -> Any:
        return self.model.__table__

    @property
    def metadata_column(self) -> str | None:
        return next((c.name for c in self.table.columns if c.name.endswith("_metadata")), None)

    def owner_of(self, name: str) -> str:
        """"git", "database", "engine" or "unknown" for a field name of this kind's read model."""
        if name in self.db_owned:
            return "database"
        if name in BOOKKEEPING or name in ("kind", "project", "feature", "deleted", "number") or name in self.derived:
            return "engine"
        if name in self.git_owned or name == "metadata":
            return "git"
        return "unknown"


def _kind(name: str, plural: str, model: Any, number: str | None, title: str, db_owned: tuple[str, ...],
          sort_fields: tuple[str, ...], **kw: Any) -> Kind:
    shared = SPEC_KINDS.get(name)  # the spec kinds' facts live in tracertm.kinds; this adds the query layer's
    if shared is not None:
        number, title = shared.number_column, shared.title_column
    columns = {c.key for c in model.__table__.columns}
    git_owned = frozenset(columns - BOOKKEEPING - set(db_owned) - {c for c in columns if c.endswith("_metadata")})
    return Kind(name, plural, model, number, title, db_owned, sort_fields, git_owned=git_owned, **kw)


_COMMON_SORT = ("created_at", "updated_at", "version")

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        _kind("adr", "adrs", ADR, "adr_number", "title",
              ("compliance_score", "approved_by", "approved_at", "last_verified_at"),
              ("number", "status", "title", "date", *_COMMON_SORT), relations=("related_adr",)),
        _kind("contract", "contracts", Contract, "contract_number", "title",
              ("verification_result", "verification_timestamp", "last_verified_at", "approved_by", "approved_at"),
              ("number", "status", "type", "title", *_COMMON_SORT), facets=("status", "type", "tag")),
        _kind("feature", "features", Feature, "feature_number", "name", ("approved_by", "approved_at"),
              ("number", "status", "title", *_COMMON_SORT), relations=("related_adr",)),
        _kind("scenario", "scenarios", Scenario, "scenario_number", "title",
              ("pass_rate", "last_executed_at", "test_case_ids", "approved_by", "approved_at"),
              ("feature", "position", "number", "status", "title", *_COMMON_SORT), relations=("feature",),
              default_sort=("feature", "position"), tie_break=("feature", "position", "number"),
              live_unique=frozenset({"feature", "position"}), derived=frozenset({"feature_deleted"})),
        _kind("step_definition", "step-definitions", StepDefinition, None, "pattern", ("usage_count", "last_used_at"),
              ("type", "title", *_COMMON_SORT), facets=("type",), searchable=False,
              default_sort=("title",), tie_break=("step_number",), derived=frozenset({"short_id"})),
        _kind("test_case", "test-cases", TestCase, "test_case_number", "title",
              ("title", "status", "automation_script_path", "last_execution_result", "last_executed_at"),
              ("number", "status", "title", *_COMMON_SORT), facets=("status",), searchable=False, from_git=False),
    )
}

_ALIASES = {alias: k for k in KINDS.values() for alias in (k.name, k.plural, k.plural.replace("-", "_"))}
_ALIASES |= {k.name.replace("_", "-"): k for k in KINDS.values()}


def kind(name: str, option: str = "KIND") -> Kind:
    """The kind named ``adr``/``adrs``/``step-definitions``...; an unknown name is a usage error naming ``option``."""
    found = _ALIASES.get(name.lower())
    if found is None:
        raise UsageError(f"{option} {name!r}: unknown kind; use one of {', '.join(k.plural for k in KINDS.values())}")
    return found


# The kinds a ``KIND:`` prefix names (``adr:ADR-0003``, ``scenario:<UUID>``): ids are unique per kind only.
KIND_PREFIX = {"adr": "adr", "contract": "contract", "feature": "feature", "scenario": "scenario",
               "test_case": "test_case", "test-case": "test_case"}


def kind_prefixed(ident: str) -> tuple[str, str] | None:
    """``(kind, id)`` of a kind-qualified id ``KIND:ID`` (``adr:ADR-0003``), None for any other id."""
    head, sep, rest = ident.partition(":")
    name = KIND_PREFIX.get(head.strip().lower()) if sep else None
    return (name, rest.strip()) if name is not None and rest.strip() else None


def prefixed_uuid(ident: str) -> tuple[str, uuid.UUID] | None:
    """``(kind, row id)`` of ``KIND:<UUID>`` (``scenario:3f0c…``: how the pages name a record whose id is ``.`` or
    ``..`` or has such a segment, which a browser would resolve away), None for any other id. The one rule that
    ``show``, ``history``, ``review``, the trace and the API's record paths read such an id by."""
    prefixed = kind_prefixed(ident)
    if prefixed is None:
        return None
    try:
        return prefixed[0], uuid.UUID(prefixed[1])
    except ValueError:
        return None


def column(k: Kind, sort_field: str) -> Any:
    """The column behind a sort or facet field name (``number``, ``title`` and ``type`` are per-kind aliases)."""
    if sort_field == "number":
        return k.table.c[k.number]
    if sort_field == "title":
        return k.table.c[k.title]
    if sort_field == "feature":
        return Feature.__table__.c.feature_number
    if sort_field == "type":
        return k.table.c["contract_type" if k.name == "contract" else "step_type"]
    return k.table.c[sort_field]


def is_live(row: Any) -> bool:
    """Whether a record is live: not soft-deleted, and for a scenario its feature not either (a scenario of a
    deleted feature is shown as deleted, ``feature_deleted``)."""
    feature = getattr(row, "feature", None) if isinstance(row, Scenario) else None
    return getattr(row, "deleted_at", None) is None and (feature is None or feature.deleted_at is None)


def the_live_one(rows: list[Any]) -> Any | None:
    """Of several records one id names, the only live one, else None (none or several live: the id stays
    ambiguous). A deleted record gives way to a live one of its id — a tagged scenario moved into another feature
    (ids are a feature's own) leaves a deleted record of the same ``SC-n`` behind — and keeps an id of its own
    (``FEAT-1/SC-2``, ``KIND:ID``), as a record that has an id now wins over those that had it before."""
    live = [row for row in rows if is_live(row)]
    return live[0] if len(live) == 1 else None


def live_first(rows: Iterable[Any], qualified: Callable[[Any], str]) -> list[Any]:
    """``rows`` live ones first, then by their qualified id (``FEAT-2/SC-4``) in code point order: the records one
    id names in one order on every database (an ambiguous id's message lists them so), not a plan's."""
    rows = list(rows)  # one row (the usual answer) is in order as it is: its scenario's feature is not read for it
    return rows if len(rows) < 2 else sorted(rows, key=lambda row: (not is_live(row), qualified(row)))


def sort_keys(k: Kind, sort: Sequence[str] | None, include_deleted: bool) -> list[Key]:
    """The keys a list of ``k`` is sorted by: ``sort``'s fields ('-' for descending; the kind's default without),
    then the kind's ``tie_break`` fields it has not named (so that ties list alike on every database), then the id:
    the last tie-break, which makes the keyset total."""
    out: list[Key] = []
    named: set[str] = set()
    for item in sort or k.default_sort:
        name, desc = (item[1:], True) if item.startswith("-") else (item, False)
        if name not in k.sort_fields:
            raise UsageError(f"sort {name!r}: {k.plural} sort by {', '.join(k.sort_fields)} ('-' for descending)")
        out.append(Key(column(k, name), desc))
        named.add(name)
    # Up to the fields that make the live records' order total (deleted records may share them: a deleted scenario
    # keeps its old place in the file).
    for name in k.tie_break:
        if k.live_unique and k.live_unique <= named and not include_deleted:
            break
        if name not in named:
            out.append(Key(column(k, name), False))
            named.add(name)
    return [*out, Key(k.table.c.id, False)]
