"""The kinds of record tracertm syncs, and every per-kind fact in one table.

Anything that differs by kind — the table, the identity ("number") column, the title column, the parent kind, the
metadata column, which fields are prose — is looked up here; no other module keeps its own mapping. This module
imports nothing heavy (the hook path uses it); the SQLAlchemy model of a kind is imported on first use by
:func:`model`.

To add a kind: add a :class:`KindInfo` row to :data:`KINDS`, a model whose ``__tablename__`` is the row's ``table``,
a parser producing :class:`~tracertm.parsers.records.SpecRecord` objects of that kind, and a migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sqlalchemy import Table

FileKind = Literal["adr", "contract", "feature", "step_definition"]
RecordKind = Literal["adr", "contract", "feature", "scenario", "step_definition"]


@dataclass(frozen=True)
class KindInfo:
    """What tracertm knows about one record kind."""

    name: RecordKind
    table: str  # the model's table
    number_column: str  # the identity within the project (within the feature, for a scenario)
    title_column: str
    metadata_column: str  # the JSON ``<model>_metadata`` column
    parent: RecordKind | None = None  # a scenario lives in a feature's file and row
    # Fields whose text is prose: re-wrapping or re-indenting it is not a change of meaning, so the content hash sees
    # it whitespace-collapsed. Every other string (doc strings, code blocks, literal YAML blocks, parsed structures)
    # is hashed exactly, with line endings normalised.
    prose_fields: frozenset[str] = frozenset()

    @property
    def is_file_kind(self) -> bool:
        """Whether a file holds records of this kind at its top level (scenarios live inside feature files)."""
        return self.parent is None


KINDS: dict[str, KindInfo] = {
    info.name: info
    for info in (
        KindInfo(
            "adr", "adrs", "adr_number", "title", "adr_metadata",
            prose_fields=frozenset({"title", "context", "decision", "consequences", "decision_drivers",
                                    "considered_options", "stakeholders"}),
        ),
        KindInfo(
            "contract", "contracts", "contract_number", "title", "contract_metadata",
            prose_fields=frozenset({"title"}),
        ),
        KindInfo(
            "feature", "features", "feature_number", "name", "feature_metadata",
            prose_fields=frozenset({"name", "description", "as_a", "i_want", "so_that"}),
        ),
        KindInfo(
            "scenario", "scenarios", "scenario_number", "title", "scenario_metadata", parent="feature",
            prose_fields=frozenset({"title", "description"}),
        ),
        # Step definitions in test code (tracertm.steps); identity file::function. Their content hash is their own
        # (keyword, pattern, kind, flags, parameter types: tracertm.steps.records.StepRecord).
        KindInfo("step_definition", "step_definitions", "step_number", "pattern", "step_metadata"),
    )
}
# Every kind, parents before children (the order rows are inserted in).
RECORD_KINDS: tuple[RecordKind, ...] = ("adr", "contract", "feature", "scenario", "step_definition")
# Kinds a spec file is classified as.
FILE_KINDS: tuple[FileKind, ...] = ("adr", "contract", "feature", "step_definition")
# Identity column per kind (``NUMBER_COLUMN["adr"] == "adr_number"``).
NUMBER_COLUMN: dict[str, str] = {name: info.number_column for name, info in KINDS.items()}
TITLE_COLUMN: dict[str, str] = {name: info.title_column for name, info in KINDS.items()}


def model(kind: str) -> Any:
    """The SQLAlchemy model class of ``kind`` (imports the models on first use)."""
    from tracertm.models import MODEL_BY_KIND

    return MODEL_BY_KIND[kind]


def table(kind: str) -> Table:
    """The Core ``Table`` of ``kind``."""
    from tracertm.models import Base

    return Base.metadata.tables[KINDS[kind].table]


def kind_of_table(name: str) -> str | None:
    """The kind stored in table ``name``, or None for tables that hold no spec records."""
    for info in KINDS.values():
        if info.table == name:
            return info.name
    return None


__all__ = [
    "FILE_KINDS", "FileKind", "KINDS", "KindInfo", "NUMBER_COLUMN", "RECORD_KINDS", "RecordKind", "TITLE_COLUMN",
    "kind_of_table", "model", "table",
]
