"""The five specification models (ADR, Contract, Feature, Scenario, StepDefinition), their enums and the
scenario ↔ test case association table. Field names are the contract of docs/models.md.

Git-owned fields are written by sync from files; database-owned fields (``compliance_score``, ``pass_rate``,
``usage_count``, ``verification_result``, approvals, test case links...) are never touched by sync.

Set database-owned fields through the ORM: ``session.info["actor"] = "ci"; adr.compliance_score = 0.9;
session.commit()`` bumps ``version`` and writes one ``annotated`` revision (see ``VersionedMixin`` and
docs/models.md). JSON columns are mutation-tracked, nested too: in-place edits persist. Text the user writes
(titles, names, numbers, paths) is ``Text``: no column type cuts or rejects it.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracertm.models.base import Base, SpecMixin
from tracertm.models.types import GUID, JSONList, NullableJSONDict, UTCDateTime, enum_check, enum_column

if TYPE_CHECKING:
    from tracertm.models.test_case import TestCase


class ADRStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DEPRECATED = "deprecated"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"


class ContractType(enum.StrEnum):
    INTERFACE = "interface"
    COMPONENT = "component"
    SERVICE = "service"
    SYSTEM = "system"
    INTEGRATION = "integration"
    DATABASE = "database"


class ContractStatus(enum.StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    APPROVED = "approved"
    DEPRECATED = "deprecated"
    ARCHIVED = "archived"


class FeatureStatus(enum.StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    APPROVED = "approved"
    DEPRECATED = "deprecated"
    ARCHIVED = "archived"


class ScenarioStatus(enum.StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    APPROVED = "approved"
    DEPRECATED = "deprecated"
    ARCHIVED = "archived"


class StepType(enum.StrEnum):
    GIVEN = "given"
    WHEN = "when"
    THEN = "then"
    AND = "and"
    BUT = "but"
    STEP = "step"  # any keyword (behave @step, pytest-bdd step, cucumber glue that ignores keywords)


# The condition of ``ix_scenarios_feature_id_position_id_live`` on SQLite, as SQL: a live scenario, stated so that no
# other index serves it (``Records`` states it so: ``unindexed(deleted_at) IS NULL``).
LIVE_SCENARIO = "+deleted_at IS NULL"


def _json_list() -> Any:
    return mapped_column(JSONList, nullable=False, default=list, server_default=text("'[]'"))


def _project_fk(nullable: bool = False) -> Any:
    return mapped_column(GUID, ForeignKey("projects.id", ondelete="CASCADE"), nullable=nullable)


scenario_test_case_association = Table(
    "scenario_test_case_association",
    Base.metadata,
    Column("scenario_id", GUID, ForeignKey("scenarios.id", ondelete="CASCADE"), primary_key=True),
    Column("test_case_id", GUID, ForeignKey("test_cases.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ADR(SpecMixin, Base):
    """An Architecture Decision Record, identified by ``adr_number`` within its project."""

    __tablename__ = "adrs"
    __metadata_column__ = "adr_metadata"
    __table_args__ = (
        UniqueConstraint("project_id", "adr_number"),
        Index("ix_adrs_project_id_status", "project_id", "status"),
        enum_check("adr_status", "status", ADRStatus),
    )

    adr_number: Mapped[str] = mapped_column(Text, nullable=False)
    project_id: Mapped[uuid.UUID] = _project_fk()
    title: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[ADRStatus] = mapped_column(
        enum_column(ADRStatus, "adr_status", constraint=False), nullable=False, default=ADRStatus.PROPOSED, index=True
    )
    context: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(Text)
    consequences: Mapped[str | None] = mapped_column(Text)
    decision_drivers: Mapped[list[Any]] = _json_list()
    considered_options: Mapped[list[Any]] = _json_list()
    related_requirements: Mapped[list[Any]] = _json_list()
    related_adrs: Mapped[list[Any]] = _json_list()
    supersedes: Mapped[str | None] = mapped_column(Text)
    superseded_by: Mapped[str | None] = mapped_column(Text)
    compliance_score: Mapped[float | None] = mapped_column(Float)
    stakeholders: Mapped[list[Any]] = _json_list()
    tags: Mapped[list[Any]] = _json_list()
    date: Mapped[dt.date | None] = mapped_column(Date)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(Text)
    last_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"ADR({self.adr_number!r}, status={self.status!s})"


class Contract(SpecMixin, Base):
    """A contract: conditions, invariants and a state machine, optionally with an executable specification."""

    __tablename__ = "contracts"
    __metadata_column__ = "contract_metadata"
    __table_args__ = (
        UniqueConstraint("project_id", "contract_number"),
        Index("ix_contracts_project_id_status", "project_id", "status"),
        Index("ix_contracts_project_id_contract_type", "project_id", "contract_type"),
        enum_check("contract_type", "contract_type", ContractType),
        enum_check("contract_status", "status", ContractStatus),
    )

    contract_number: Mapped[str] = mapped_column(Text, nullable=False)
    project_id: Mapped[uuid.UUID] = _project_fk()
    title: Mapped[str] = mapped_column(Text, nullable=False)
    contract_type: Mapped[ContractType] = mapped_column(
        enum_column(ContractType, "contract_type", constraint=False), nullable=False, default=ContractType.INTERFACE
    )
    status: Mapped[ContractStatus] = mapped_column(
        enum_column(ContractStatus, "contract_status", constraint=False), nullable=False, default=ContractStatus.DRAFT
    )
    preconditions: Mapped[list[Any]] = _json_list()
    postconditions: Mapped[list[Any]] = _json_list()
    invariants: Mapped[list[Any]] = _json_list()
    states: Mapped[list[Any]] = _json_list()
    transitions: Mapped[list[Any]] = _json_list()
    executable_spec: Mapped[str | None] = mapped_column(Text)
    spec_language: Mapped[str | None] = mapped_column(Text)
    verification_result: Mapped[dict[str, Any] | None] = mapped_column(NullableJSONDict)
    verification_timestamp: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    tags: Mapped[list[Any]] = _json_list()

    def __repr__(self) -> str:
        return f"Contract({self.contract_number!r}, status={self.status!s})"


class Feature(SpecMixin, Base):
    """A Gherkin feature file; its scenarios are rows of their own so each is versioned separately."""

    __tablename__ = "features"
    __metadata_column__ = "feature_metadata"
    __table_args__ = (
        UniqueConstraint("project_id", "feature_number"),
        Index("ix_features_project_id_status", "project_id", "status"),
        # A results import reads the features its report names, by name or by file (``results.match_keys``,
        # migration 0037), not every feature of the project.
        Index("ix_features_project_id_name_key", "project_id", "name_key"),
        Index("ix_features_project_id_file_key", "project_id", "file_key"),
        enum_check("feature_status", "status", FeatureStatus),
    )

    feature_number: Mapped[str] = mapped_column(Text, nullable=False)
    project_id: Mapped[uuid.UUID] = _project_fk()
    name: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    as_a: Mapped[str | None] = mapped_column(Text)
    i_want: Mapped[str | None] = mapped_column(Text)
    so_that: Mapped[str | None] = mapped_column(Text)
    status: Mapped[FeatureStatus] = mapped_column(
        enum_column(FeatureStatus, "feature_status", constraint=False), nullable=False, default=FeatureStatus.DRAFT
    )
    file_path: Mapped[str | None] = mapped_column(Text)
    background: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[Any]] = _json_list()
    related_requirements: Mapped[list[Any]] = _json_list()
    related_adrs: Mapped[list[Any]] = _json_list()
    approved_by: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # What a results import looks a feature up by (``results.match_keys``): written by sync with the row.
    # A results import's look-up keys (results/match_keys.py): only ever in a WHERE clause, so deferred (an ORM
    # read of a feature never loads them).
    name_key: Mapped[str | None] = mapped_column(Text, deferred=True)
    file_key: Mapped[str | None] = mapped_column(Text, deferred=True)

    scenarios: Mapped[list[Scenario]] = relationship(
        back_populates="feature",
        order_by="Scenario.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"Feature({self.feature_number!r})"


class Scenario(SpecMixin, Base):
    """One scenario (or outline) of a feature, identified by ``scenario_number`` within the feature."""

    __tablename__ = "scenarios"
    __metadata_column__ = "scenario_metadata"
    __table_args__ = (
        UniqueConstraint("feature_id", "scenario_number"),
        Index("ix_scenarios_feature_id_status", "feature_id", "status"),
        # The live scenarios of a feature in list order, the id too: a project's scenario lists, counts and
        # facets walk its features (``uq_features_project_id_feature_number``) and these, reading no scenario row
        # for the order or for ``changed_since`` (migration 0033). SQLite's condition is ``LIVE_SCENARIO``, which
        # those reads repeat: written with ``+`` so that ``ix_scenarios_deleted_at`` (every project's) cannot serve
        # it, and without statistics the planner would take that one.
        Index("ix_scenarios_feature_id_position_id_live", "feature_id", "position", "id",
              sqlite_where=text(LIVE_SCENARIO), postgresql_where=text("deleted_at IS NULL")),
        # A scenario by its number alone (``SC-4``, or a whole ``FEAT-2/SC-4`` a tag may be): ``Records.get`` asks
        # it of every id it is given (``show ADR-3`` too, ids being unique per kind only); without it the lookup
        # probed each feature of the project (migration 0036).
        Index("ix_scenarios_scenario_number", "scenario_number"),
        # The pytest-bdd test a scenario is (``results.match_keys``): a results import reads the scenarios a
        # report's test names can be, not every scenario of the project (migration 0037).
        Index("ix_scenarios_pytest_key", "pytest_key"),
        enum_check("scenario_status", "status", ScenarioStatus),
    )

    scenario_number: Mapped[str] = mapped_column(Text, nullable=False)
    feature_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("features.id", ondelete="CASCADE"), nullable=False)
    # Order within the feature file; presentation only (moving a scenario up does not change its version).
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    title: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    gherkin_text: Mapped[str | None] = mapped_column(Text)
    background: Mapped[list[Any]] = _json_list()
    given_steps: Mapped[list[Any]] = _json_list()
    when_steps: Mapped[list[Any]] = _json_list()
    then_steps: Mapped[list[Any]] = _json_list()
    is_outline: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))
    examples: Mapped[list[Any]] = _json_list()
    tags: Mapped[list[Any]] = _json_list()
    status: Mapped[ScenarioStatus] = mapped_column(
        enum_column(ScenarioStatus, "scenario_status", constraint=False), nullable=False, default=ScenarioStatus.DRAFT
    )
    requirement_ids: Mapped[list[Any]] = _json_list()
    test_case_ids: Mapped[list[Any]] = _json_list()
    pass_rate: Mapped[float | None] = mapped_column(Float)
    last_executed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Execution statistics (database-owned, written by tracertm.results; sync never touches them).
    last_status: Mapped[str | None] = mapped_column(String(16))
    execution_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    flaky: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=text("false"))
    approved_by: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # What a results import looks a scenario up by (``results.match_keys``): written by sync with the row.
    pytest_key: Mapped[str | None] = mapped_column(Text, deferred=True)  # a look-up key, as name_key

    feature: Mapped[Feature] = relationship(back_populates="scenarios")
    test_cases: Mapped[list[TestCase]] = relationship(
        secondary=scenario_test_case_association, back_populates="scenarios", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"Scenario({self.scenario_number!r})"


class StepDefinition(SpecMixin, Base):
    """A step implementation pattern; ``project_id`` NULL means a shared library.

    Synced ones (tracertm.steps) are identified by ``step_number`` = ``file::function``; the same pattern may be
    defined twice (that is an ambiguity to report, not a row to refuse). ``usage_count`` is derived by sync from
    ``scenario_steps`` (database-owned: it moves no version).
    """

    __tablename__ = "step_definitions"
    __metadata_column__ = "step_metadata"
    __table_args__ = (
        UniqueConstraint("project_id", "step_number"),
        Index("ix_step_definitions_step_type", "step_type"),
        enum_check("step_type", "step_type", StepType),
    )

    project_id: Mapped[uuid.UUID | None] = _project_fk(nullable=True)
    step_number: Mapped[str | None] = mapped_column(Text)  # identity: file::function
    step_type: Mapped[StepType] = mapped_column(enum_column(StepType, "step_type", constraint=False), nullable=False)
    pattern: Mapped[str] = mapped_column(Text, nullable=False)
    regex_pattern: Mapped[str | None] = mapped_column(Text)
    implementation_path: Mapped[str | None] = mapped_column(Text)
    implementation_code: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[list[Any]] = _json_list()
    documentation: Mapped[str | None] = mapped_column(Text)
    examples: Mapped[list[Any]] = _json_list()
    usage_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    pattern_kind: Mapped[str | None] = mapped_column(String(32))  # cucumber-expression, regex, parse, cfparse, string
    framework: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(32))
    function_name: Mapped[str | None] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"StepDefinition({self.step_type!s} {self.pattern!r})"
