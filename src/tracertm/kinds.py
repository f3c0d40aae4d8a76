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
    plural: str  # what the CLI calls a list of them (``tracertm list adrs``)
    parent: RecordKind | None = None  # a scenario lives in a feature's file and row
    # Paths ("/"-separated keys of the record's fields, "*" = any list item or key) whose strings are prose:
    # re-wrapping or re-indenting prose is not a change of meaning, so the content hash sees it with whitespace runs
    # collapsed (fenced code blocks inside excepted). Every other string — doc strings, code, literal YAML blocks,
    # parsed YAML/JSON structures, step text — is hashed exactly, line endings normalised.
    prose: tuple[str, ...] = ()
    # Paths where the parser puts positions (line numbers, the source text, the file path, a slug of the file name):
    # where something is, not what it says. Left out of the content hash at exactly these paths, nowhere else.
    positional: tuple[str, ...] = ()

    @property
    def is_file_kind(self) -> bool:
        """Whether a file holds records of this kind at its top level (scenarios live inside feature files)."""
        return self.parent is None


_STEP_LISTS = ("background", "given_steps", "when_steps", "then_steps")

KINDS: dict[str, KindInfo] = {
    info.name: info
    for info in (
        KindInfo(
            "adr", "adrs", "adr_number", "title", "adr_metadata", "adrs",
            prose=(
                "title", "context", "decision", "consequences", "decision_drivers/*",
                "considered_options/*/option", "considered_options/*/pros/*", "considered_options/*/cons/*",
                "adr_metadata/sections/*", "adr_metadata/preamble", "adr_metadata/options/*/description",
                "adr_metadata/options/*/neutral/*",
            ),
            positional=("adr_metadata/slug",),
        ),
        KindInfo(
            "contract", "contracts", "contract_number", "title", "contract_metadata", "contracts",
            # YAML already folds re-wrapped plain and ">" scalars; "|" literal blocks are meant exactly: only the
            # title is prose.
            prose=("title",),
        ),
        KindInfo(
            "feature", "features", "feature_number", "name", "feature_metadata", "features",
            prose=("name", "description", "as_a", "i_want", "so_that"),
            positional=("file_path",),
        ),
        KindInfo(
            "scenario", "scenarios", "scenario_number", "title", "scenario_metadata", "scenarios", parent="feature",
            # (Its Rule's description and its Examples blocks' are its prose too.)
            prose=("title", "description", "scenario_metadata/rule_description", "examples/*/description"),
            # (A Background step's column too: a scenario's own steps have theirs in ``gherkin_text``.)
            positional=("gherkin_text", *(f"{steps}/*/line" for steps in _STEP_LISTS), "background/*/column"),
        ),
        # Step definitions in test code (tracertm.steps); identity file::function. Their content hash is their own
        # (keyword, pattern, kind, flags, parameter types: tracertm.steps.records.StepRecord).
        KindInfo("step_definition", "step_definitions", "step_number", "pattern", "step_metadata", "steps"),
    )
}
# Every kind, parents before children (the order rows are inserted in).
RECORD_KINDS: tuple[RecordKind, ...] = ("adr", "contract", "feature", "scenario", "step_definition")
# Kinds a spec file is classified as.
FILE_KINDS: tuple[FileKind, ...] = ("adr", "contract", "feature", "step_definition")
# Identity column per kind (``NUMBER_COLUMN["adr"] == "adr_number"``).
NUMBER_COLUMN: dict[str, str] = {name: info.number_column for name, info in KINDS.items()}
TITLE_COLUMN: dict[str, str] = {name: info.title_column for name, info in KINDS.items()}
PLURAL: dict[str, str] = {name: info.plural for name, info in KINDS.items()}
# What users may type for a kind: "adr" or "adrs", ...
ALIASES: dict[str, str] = {alias: name for name, info in KINDS.items() for alias in (name, info.plural)}
# The kinds whose ids the command line looks up without being told the kind (``tracertm show ID``): an id of two of
# them is a warning (both records are kept; ``KIND:ID`` tells them apart), in sync's plan and in ``check``.
SHARED_KINDS: tuple[str, ...] = ("adr", "contract", "feature")


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


def shared_id(kind: str, number: str, other_kind: str, other: str) -> str:
    """The warning about ``number``, an id of a ``kind`` record and of an ``other_kind`` record in ``other``
    (:data:`SHARED_KINDS`)."""
    return (f"{kind} {number} has the id of {other_kind} {number} in {other}; give one of them another id (until "
            f"then, name them {other_kind}:{number} and {kind}:{number} on the command line)")


__all__ = [
    "ALIASES", "FILE_KINDS", "FileKind", "KINDS", "KindInfo", "NUMBER_COLUMN", "PLURAL", "RECORD_KINDS", "RecordKind",
    "SHARED_KINDS", "TITLE_COLUMN",
    "kind_of_table", "model", "shared_id", "table",
]
