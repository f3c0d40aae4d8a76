"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from tracertm.kinds import KINDS
from tracertm.models.api_token import ApiToken
from tracertm.models.base import Base
from tracertm.models.link import Link, LinkType, ParkedReview
from tracertm.models.project import Project
from tracertm.models.specification import (
    ADR,
    ADRStatus,
    Contract,
    ContractStatus,
    ContractType,
    Feature,
    FeatureStatus,
    Scenario,
    ScenarioStatus,
    StepDefinition,
    StepType,
    scenario_test_case_association,
)
from tracertm.models.step_link import ScenarioSteps
from tracertm.models.sync import SourceFile, SpecRevision, SyncRun
from tracertm.models.test_case import TestCase
from tracertm.models.test_run import TestResult, TestRun

# Record kind → model (the kinds and their tables are listed in tracertm.kinds).
MODEL_BY_KIND: dict[str, type[Base]] = {
    name: next(m.class_ for m in Base.registry.mappers if m.class_.__tablename__ == info.table)
    for name, info in KINDS.items()
}

__all__ = [
    "ADR",
    "ApiToken",
    "ADRStatus",
    "Base",
    "Contract",
    "ContractStatus",
    "ContractType",
    "Feature",
    "FeatureStatus",
    "Link",
    "LinkType",
    "MODEL_BY_KIND",
    "ParkedReview",
    "Project",
    "Scenario",
    "ScenarioStatus",
    "ScenarioSteps",
    "SourceFile",
    "SpecRevision",
    "StepDefinition",
    "StepType",
    "SyncRun",
    "TestCase",
    "TestResult",
    "TestRun",
    "scenario_test_case_association",
]

# The audit listeners (one "annotated" revision per ORM version bump) are part of the models, always.
from tracertm.models import audit as _audit  # noqa: E402,F401
