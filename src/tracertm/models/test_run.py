"""Imported test runs and their results. Database-owned: sync never writes them (see tracertm.results)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Enum, Float, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from tracertm.models.base import Base, UUIDPrimaryKeyMixin
from tracertm.models.types import GIT_ID_LENGTH, GUID, JSONType, UTCDateTime, one_of_check, string_check, utcnow

RESULT_FORMAT_VALUES = ("junit", "cucumber-json", "cucumber-messages")
RESULT_STATUS_VALUES = ("passed", "failed", "skipped", "undefined", "pending", "error")
MATCH_RULE_VALUES = ("tag", "line", "name")
# A run's time in the statistics' order (``results.stats``): its end, else its start, else its import.
WHEN_SQL = "coalesce(finished_at, started_at, imported_at)"


class TestRun(UUIDPrimaryKeyMixin, Base):
    """One imported report (or set of report files): what ran, against which commit, and the digest that makes a
    second import of the same files a no-op."""

    __tablename__ = "test_runs"
    __table_args__ = (
        UniqueConstraint("project_id", "digest"),
        Index("ix_test_runs_project_id_imported_at", "project_id", "imported_at"),
        # The statistics' order of a project's runs, newest first (``results.stats.walk``, migration 0025): the
        # walk reads its few newest runs from it, no sort of them all. The query spells the expression alike.
        Index("ix_test_runs_project_id_when", "project_id", text(f"{WHEN_SQL} DESC"), text("imported_at DESC"),
              "id"),
    )
    __test__ = False  # not a pytest test class

    project_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    commit_sha: Mapped[str | None] = mapped_column(String(GIT_ID_LENGTH))
    name: Mapped[str | None] = mapped_column(String(255))
    source_format: Mapped[str] = mapped_column(
        Enum(*RESULT_FORMAT_VALUES, name="test_run_format", native_enum=False, create_constraint=True, length=32,
             validate_strings=True),
        nullable=False,
    )
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, server_default=utcnow())
    # Per status, plus how results were matched: {"passed": 3, ..., "matched": {"tag": 1, ...}, "unmatched": 2}.
    counts: Mapped[dict[str, Any]] = mapped_column(
        JSONType, nullable=False, default=dict, server_default=text("'{}'")
    )
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    files: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list, server_default=text("'[]'"))


class TestResult(Base):
    """The outcome of one test case in one run, and the scenario (and outline row) it was matched to then.

    One row per (run, test case): the natural key is the primary key (a test reported twice in one run keeps its
    last report), which also serves lookups by run.
    """

    __tablename__ = "test_results"
    __table_args__ = (
        # Only results matched to a scenario: every lookup by scenario implies IS NOT NULL (migration 0021).
        Index("ix_test_results_scenario_id_run_id", "scenario_id", "run_id",
              sqlite_where=text("scenario_id IS NOT NULL"), postgresql_where=text("scenario_id IS NOT NULL")),
        # Comparisons, not IN lists: cheaper for SQLite on every row written (migration 0014).
        one_of_check("test_result_match", "match_rule", *MATCH_RULE_VALUES),
        one_of_check("test_result_status", "status", *RESULT_STATUS_VALUES),
    )
    __test__ = False

    run_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("test_runs.id", ondelete="CASCADE"), primary_key=True)
    test_case_id: Mapped[uuid.UUID] = mapped_column(
        GUID, ForeignKey("test_cases.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    scenario_id: Mapped[uuid.UUID | None] = mapped_column(GUID, ForeignKey("scenarios.id", ondelete="SET NULL"))
    example_row: Mapped[str | None] = mapped_column(String(32))  # "<examples>.<row>", 1-based, for outline rows
    match_rule: Mapped[str | None] = mapped_column(
        string_check("test_result_match", *MATCH_RULE_VALUES, constraint=False)
    )
    status: Mapped[str] = mapped_column(
        string_check("test_result_status", *RESULT_STATUS_VALUES, constraint=False), nullable=False
    )
    duration: Mapped[float | None] = mapped_column(Float)  # seconds
    message: Mapped[str | None] = mapped_column(String(1000))  # first line of the failure message
    # Failed attempts before this (final) outcome: Surefire flakyFailure, Cucumber retries.
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))


__all__ = ["MATCH_RULE_VALUES", "RESULT_FORMAT_VALUES", "RESULT_STATUS_VALUES", "TestResult", "TestRun"]
