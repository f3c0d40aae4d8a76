"""The test-run shapes the API serves (``POST``/``GET …/test-runs``, ``GET …/test-runs/{id}``): runs, their
results and an upload's summary. Plain Pydantic models, so ``tracertm schema test-run`` prints them without the web
stack (they were defined in ``api.results_routes``, which imports FastAPI)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tracertm.schemas.common import Instant, PageInfo

_STRICT = ConfigDict(extra="forbid")


class TestRunRead(BaseModel):
    """One imported run: what ran, against which commit, and its counts per status and mapping rule."""

    model_config = _STRICT
    __test__ = False  # not a pytest test class
    id: str
    name: str | None
    commit: str | None
    format: str
    started_at: Instant | None
    finished_at: Instant | None
    imported_at: Instant | None
    counts: dict[str, Any]
    files: list[str]


class EarlierRunRead(BaseModel):
    """A run imported before that holds files of an upload, and which of them: files of one upload may be in
    different runs."""

    model_config = _STRICT
    run_id: str
    commit: str | None
    files: list[str]


class ImportSummaryRead(BaseModel):
    """What one upload did (``duplicate``: these reports were imported before; nothing was added)."""

    model_config = _STRICT
    project: str
    run_id: str | None
    commit: str | None
    format: str
    files: list[str]
    duplicate: bool
    total: int
    reported: int = 0  # test reports read; ``merged`` of them decided by another report of their test (reruns)
    merged: int = 0
    # of ``merged``: no reruns but tests a report names alike (behave's same-named scenarios), kept as the worse one
    namesakes: int = 0
    statuses: dict[str, int]
    matched: dict[str, int]
    unmatched: int
    ambiguous: int
    test_cases_created: int
    scenarios_updated: int
    skipped: list[str] = []  # files of the upload imported before (see "Importing again")
    # the runs holding the upload's files imported before (a duplicate's, the skipped ones), each with its files
    earlier_runs: list[EarlierRunRead] = []
    run_failures: list[str] = []  # "FILE: message" of a run that failed outside its tests (a BeforeAll hook ...)
    # FILE: the report's first run time written without a time zone, as written (read as UTC: said, not guessed)
    zoneless_times: dict[str, str] = {}


class TestRunImported(BaseModel):
    """The answer to an upload: the run (new, or the existing one for a duplicate) and the import's summary."""

    model_config = _STRICT
    __test__ = False
    run: TestRunRead
    summary: ImportSummaryRead


class TestResultRead(BaseModel):
    """One test's outcome in a run and the scenario (``FEAT-n/SC-m``, outline ``row``) it was matched to."""

    model_config = _STRICT
    __test__ = False
    test: str
    title: str
    status: str
    duration: float | None
    message: str | None
    scenario: str | None
    row: str | None
    match: str | None = Field(description="tag, line or name; null when unmatched")
    failed_attempts: int


class TestRunDetail(TestRunRead):
    """A run with a page of its results (ordered by test id); ``page.next`` (and the ``Link`` header) carry the
    next page's cursor."""

    results: list[TestResultRead]
    page: PageInfo


class TestRunPage(BaseModel):
    """A page of runs, newest first; ``page.next`` (and the ``Link`` header) carry the next page's cursor."""

    model_config = _STRICT
    items: list[TestRunRead]
    page: PageInfo
