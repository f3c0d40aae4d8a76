"""What the parsers produce: plain, immutable records that know their identity and content hash.

Records carry the *git-owned* fields of one row, keyed by the model's column names (``adr_metadata`` etc.), so the
sync engine can write them without a translation table. Values are JSON-safe, except ``date`` (a ``datetime.date``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

from tracertm.errors import Diagnostic
from tracertm.kinds import FILE_KINDS, NUMBER_COLUMN, FileKind, RecordKind

__all__ = [
    "BEHAVE_STRIP_COLON", "DEFAULT_OPTIONS", "FILE_KINDS", "FeatureParseResult", "FileKind", "NUMBER_COLUMN",
    "ParseResult",
    "GHERKIN_LANGUAGE_FALLBACK", "ParserOptions", "RecordKind", "SpecRecord", "falls_back_language",
    "strips_trailing_colon",
]


@dataclass(frozen=True)
class SpecRecord:
    """One row to be: an ADR, a contract, a feature (its scenarios as ``children``) or a scenario."""

    kind: RecordKind
    number: str
    fields: Mapping[str, Any]
    line: int = 1
    children: tuple[SpecRecord, ...] = ()
    # Where each referenced ADR id is first written (file line), so findings about a reference point at it.
    ref_lines: Mapping[str, int] = field(default_factory=dict, compare=False)
    # The column of those written as a tag (``@ADR-0008``, at its line in ``ref_lines``) or as an ADR's front matter
    # relation (``supersedes: 8``: its value's); others have none.
    ref_columns: Mapping[str, int] = field(default_factory=dict, compare=False)
    # An untagged scenario's id by the naming rule before ``PARSER_OUTPUT`` 10 (its name as written), where it
    # differs: the row an earlier tracertm stored for it (``parsers.scenario_ids``); no content.
    former_number: str | None = field(default=None, compare=False)

    @cached_property
    def content_hash(self) -> str:
        from tracertm.parsers.common import content_hash

        return content_hash(self.kind, self.fields)


@dataclass(frozen=True)
class ParseResult:
    """The records of one file, in file order, plus the warnings found while reading it."""

    path: str
    kind: FileKind
    records: tuple[SpecRecord, ...]
    warnings: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True)
class FeatureParseResult(ParseResult):
    """A feature file's records, with what behave's own parser refuses there and no record keeps
    (``feature_behave``): the (line, column) of each doc string between ``` (triple backtick) lines, and the
    (line, column, scenario keyword) of each plain scenario's first ``Examples:``."""

    fences: tuple[tuple[int, int], ...] = ()
    plain_examples: tuple[tuple[int, int, str], ...] = ()


@dataclass(frozen=True)
class ParserOptions:
    """Knobs a repository may set in ``[tool.tracertm]``; the defaults follow README.md's "Supported formats".

    Patterns are regular expressions matched against the whole tag name (without ``@``) or searched in text.
    """

    max_file_size: int = 4 * 1024 * 1024
    requirement_pattern: str = r"\bREQ-\d+\b"
    feature_id_pattern: str = r"FEAT-\d+"
    scenario_id_pattern: str = r"SC-\d+"
    # YAML hardening: documents deeper than this or using more aliases than this are rejected.
    yaml_max_depth: int = 64
    yaml_max_aliases: int = 100
    # Order of numeric day/month dates in ADRs ("DD/MM/YYYY" or "MM/DD/YYYY"); None: only unambiguous ones are read.
    date_format: str | None = None
    # Folders the feature globs start from (their fixed prefixes): a feature's derived id is its path below one.
    feature_roots: tuple[str, ...] = ("features/",)
    extra: Mapping[str, Any] = field(default_factory=dict)


DEFAULT_OPTIONS = ParserOptions()

# The ``ParserOptions.extra`` entry that ``behave_strip_trailing_colon = true`` sets (absent otherwise, so that the
# options' digest of every other project stays as it was): behave's steps are matched as behave before 1.3 parses
# them (``steps.scenarios.behave_text``). In the options rather than beside them, because what they hold travels to
# the parse workers, keys the check cache and makes a sync whose options changed read (and match) everything again.
BEHAVE_STRIP_COLON = "behave_strip_trailing_colon"


def strips_trailing_colon(options: ParserOptions) -> bool:
    """Whether behave's steps drop the trailing ``:`` of a step with a doc string or a data table before matching,
    as behave before 1.3 does (``behave_strip_trailing_colon = true``)."""
    return options.extra.get(BEHAVE_STRIP_COLON) is True


# The ``ParserOptions.extra`` entry that ``gherkin_language_fallback = true`` sets (absent otherwise, as
# ``BEHAVE_STRIP_COLON``): a ``# language:`` code gherkin does not know is read in the language its part before ``-``
# names, as Reqnroll and SpecFlow read it (``parsers.feature_language.fallback_language``).
GHERKIN_LANGUAGE_FALLBACK = "gherkin_language_fallback"


def falls_back_language(options: ParserOptions) -> bool:
    """Whether a feature headed ``# language: hu-HU`` (a code gherkin does not know, whose ``hu`` it knows) is read
    in ``hu``, as Reqnroll does (``gherkin_language_fallback = true``), rather than refused, as cucumber does."""
    return options.extra.get(GHERKIN_LANGUAGE_FALLBACK) is True
