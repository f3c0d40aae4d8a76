"""Traceability models: links, link pages and reviews, the matrix, coverage summaries and the trace graph.

The API's traceability routes (``tracertm.api.trace_routes``) answer with these; the CLI's ``--format json`` of
``matrix``, ``trace``, ``review`` and the ``links`` of ``status``/``show`` print the same shapes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tracertm.schemas.common import Instant
from tracertm.schemas.filters import no_nul

_STRICT = ConfigDict(extra="forbid")

LinkState = Literal["ok", "suspect", "dangling"]
CoverageState = Literal["orphaned", "uncovered", "failing", "suspect", "not executed", "covered"]


class LinkEnd(BaseModel):
    """One end of a link: the record's kind and human id, and for a source where the link is written."""

    model_config = _STRICT
    kind: str = Field(description="adr, contract, feature, scenario, step_definition, test_case or requirement")
    id: str = Field(description="ADR-0003, CTR-0001, FEAT-2, FEAT-2/SC-4, a step's file::function, a test id, REQ-7")
    path: str | None = Field(default=None, description="the source's file (sources only)")
    line: int | None = Field(default=None, description="the line the link is written on (sources only)")


class Dangling(BaseModel):
    """Why a dangling link names no live record, read from the live ADRs when it is answered."""

    model_config = _STRICT
    reason: Literal["missing", "ambiguous"] = Field(
        description="missing: no live record has the id; ambiguous: a plain ADR id (ADR-0008) while several live "
                    "ADRs have its number with a slug (ADR-0008-use-x, ADR-0008-use-y) and none is ADR-0008")
    candidates: list[str] = Field(
        description="ambiguous: the live ADRs of that number; write the full id of the one meant. missing: empty")


DANGLING = "why the link dangles (state dangling: missing, or ambiguous with its candidates); null otherwise"


class LinkRead(BaseModel):
    """One derived trace link and its review state."""

    model_config = _STRICT
    id: int = Field(description="the link number ('tracertm review N', PATCH .../links/N)")
    source: LinkEnd
    type: str = Field(description="supersedes, superseded_by, related, implements, covers, step or test")
    target: LinkEnd
    state: LinkState = Field(description="suspect: the target changed since the last review; dangling: no target")
    target_version: int | None = Field(description="the target's content version as sync last saw it")
    reviewed_version: int | None = Field(description="the target version the link was last reviewed against")
    reviewed_by: str | None
    reviewed_at: Instant | None
    dangling: Dangling | None = Field(default=None, description=DANGLING)


class LinkPage(BaseModel):
    """A keyset page of links (in link-number order) and the cursor of the next page."""

    model_config = _STRICT
    items: list[LinkRead]
    page: PageRef


class PageRef(BaseModel):
    model_config = _STRICT
    next: str | None = Field(default=None, description="opaque cursor of the next page; null on the last page")
    limit: int


class LinkUpdate(BaseModel):
    """``PATCH .../links/{id}``: mark the link reviewed (against its target's current version)."""

    model_config = _STRICT
    reviewed: Literal[True] = Field(description="true: reviewed now, by the token's label")


class ReviewRequest(BaseModel):
    """``POST .../links/review``: the suspect links from or to one record (``source``), or every one (``all``)."""

    model_config = _STRICT
    source: str | None = Field(default=None, min_length=1, max_length=1024,
                               description="a record id (ADR-0003, FEAT-2/SC-4) or a link number")
    all: bool = Field(default=False, description="every suspect link of the project")

    # A NUL, which JSON can carry (a URL and a command line cannot), would be looked up as an id: PostgreSQL
    # refuses it in text (a 500), SQLite matched nothing (a 404). A 422 naming the field on both.
    _source = field_validator("source")(no_nul)

    @model_validator(mode="after")
    def _one_of(self) -> ReviewRequest:
        if bool(self.source) == self.all:
            raise ValueError("give either 'source' (a record id or link number) or 'all': true")
        return self


class ReviewResult(BaseModel):
    """What a review did: the links it marked, as they were before (``state`` suspect), and by whom."""

    model_config = _STRICT
    reviewed_by: str
    reviewed: list[LinkRead]


class ScenarioResult(BaseModel):
    model_config = _STRICT
    id: str = Field(description="FEATURE/SCENARIO")
    result: Literal["passed", "failed"] | None = Field(description="its last result; null: never executed")


class MatrixRow(BaseModel):
    """One requirement or ADR: what links to it, and its coverage state."""

    model_config = _STRICT
    kind: Literal["requirement", "adr"]
    id: str
    title: str | None
    state: CoverageState
    scenarios: list[ScenarioResult]
    features: list[str]
    contracts: list[str]
    adrs: list[str]
    suspect: list[str] = Field(description="sources whose link to this row is suspect")
    tests: list[str] = Field(description="test cases mapped to its scenarios (test links)")
    dangling: Dangling | None = Field(
        default=None, description="an orphaned ADR: why the references to it dangle (missing, or ambiguous with its "
                                  "candidates); null otherwise")


class Matrix(BaseModel):
    """The traceability matrix of a project (``tracertm matrix --format json``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: Literal["requirements", "adrs"] = Field(alias="from")
    states: dict[str, int] = Field(description="rows per coverage state")
    rows: list[MatrixRow]


class StateCounts(BaseModel):
    model_config = _STRICT
    total: int
    states: dict[str, int] = Field(description="how many are in each coverage state (every state listed)")


class LinkCounts(BaseModel):
    model_config = _STRICT
    total: int
    suspect: int
    dangling: int
    dangling_by_reason: dict[str, int] = Field(
        default_factory=dict, description="the dangling links by why they dangle: missing (no live record has the "
                                          "id) or ambiguous (a plain ADR id several live ADRs have the number of)")
    by_type: dict[str, int] = Field(description="links per type")


class CoverageSummary(BaseModel):
    """Coverage states counted per requirement and per ADR, with the project's link counts."""

    model_config = _STRICT
    project: str
    requirements: StateCounts
    adrs: StateCounts
    links: LinkCounts


class GraphNode(BaseModel):
    model_config = _STRICT
    id: str = Field(description="kind:ref, e.g. adr:ADR-0003")
    kind: str
    ref: str
    title: str | None
    missing: bool = Field(description="a record kind with no live record (a dangling target)")
    depth: int
    dangling: Dangling | None = Field(
        default=None, description="a missing ADR, contract, feature or scenario: why the links to it dangle "
                                  "(missing, or ambiguous with its candidates); null otherwise")


class GraphEdge(BaseModel):
    model_config = _STRICT
    source: str
    target: str
    type: str = Field(description="a link type, or 'contains' (feature → scenario)")
    state: LinkState


class TraceGraph(BaseModel):
    """A page of the graph around one record (``tracertm trace ID --format json``): at most ``page.limit`` edges,
    in the order the walk reached them, and the nodes they join (the root always)."""

    model_config = _STRICT
    root: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool = Field(description="more edges follow these: page.next is the next page's cursor")
    page: PageRef


LinkPage.model_rebuild()

__all__ = [
    "CoverageSummary", "Dangling", "GraphEdge", "GraphNode", "LinkCounts", "LinkEnd", "LinkPage", "LinkRead",
    "LinkUpdate", "Matrix", "MatrixRow", "PageRef", "ReviewRequest", "ReviewResult", "ScenarioResult", "StateCounts",
    "TraceGraph",
]
