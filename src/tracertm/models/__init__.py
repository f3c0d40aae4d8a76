"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from tracertm.models.base import Base
from tracertm.models.link import Link, LinkType
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
from tracertm.models.sync import SourceFile, SpecRevision, SyncRun
from tracertm.models.test_case import TestCase

# Record kind → model, for code that handles every kind alike.
MODEL_BY_KIND = {"adr": ADR, "contract": Contract, "feature": Feature, "scenario": Scenario}

__all__ = [
    "ADR",
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
    "Project",
    "Scenario",
    "ScenarioStatus",
    "SourceFile",
    "SpecRevision",
    "StepDefinition",
    "StepType",
    "SyncRun",
    "TestCase",
    "scenario_test_case_association",
]
