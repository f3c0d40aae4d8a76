"""Playwright's JUnit reporter writes a ``<testsuite>`` per project and test file, each named after the file with
the project (the browser) in ``hostname``, and every test once, its retries inside its ``<testcase>``
(``flakyFailure``/``rerunFailure`` with ``includeRetries``). A test that failed on chromium and passed on firefox is
two results: the firefox suite is no rerun of the chromium one, though every test it shares with it had failed there
(it was read as one, and the failure became a flaky pass). SQLite and PostgreSQL.

``PLAYWRIGHT`` has the shape ``@playwright/test``'s ``packages/playwright/src/reporters/junit.ts`` (Apache-2.0)
writes: the root's empty ``id`` and ``name``, then its counts; a suite's ``timestamp`` and ``hostname``; the failure's
``message`` ``<file>:<line>:<column> <title>`` and ``type="FAILURE"``, its text in CDATA."""

from __future__ import annotations

import pytest

from conftest import GitRepo, force_streaming
from test_junit_suites_and_godog_skips import _stored
from tracertm.engine.sync import sync
from tracertm.results import import_results
from tracertm.results.junit import parse, stream
from tracertm.results.report import final_cases

PLAYWRIGHT = b"""<testsuites id="" name="" tests="2" failures="1" skipped="0" errors="0" time="3.412">
<testsuite name="cart.spec.ts" timestamp="2026-12-01T10:00:00.000Z" hostname="chromium" tests="1" failures="1" \
skipped="0" time="1.604" errors="0">
<testcase name="Shopping cart \xe2\x80\xba adds an item" classname="cart.spec.ts" time="1.604">
<failure message="cart.spec.ts:4:7 adds an item" type="FAILURE">
<![CDATA[  [chromium] \xe2\x80\xba cart.spec.ts:4:7 \xe2\x80\xba Shopping cart \xe2\x80\xba adds an item

    Error: expect(locator).toHaveText(expected) failed
]]>
</failure>
</testcase>
</testsuite>
<testsuite name="cart.spec.ts" timestamp="2026-12-01T10:00:00.000Z" hostname="firefox" tests="1" failures="0" \
skipped="0" time="1.808" errors="0">
<testcase name="Shopping cart \xe2\x80\xba adds an item" classname="cart.spec.ts" time="1.808">
</testcase>
</testsuite>
</testsuites>
"""
TEST = "cart.spec.ts::Shopping cart \u203a adds an item"
EXPECTED = [(f"cart.spec.ts::{TEST}", "failed", 0, "cart.spec.ts:4:7 adds an item"),
            (f"cart.spec.ts#2::{TEST}", "passed", 0, None)]


def test_a_failure_on_one_project_is_not_a_failed_attempt_of_another() -> None:
    report = parse("results.xml", PLAYWRIGHT)
    assert list(stream("results.xml", PLAYWRIGHT, [], [], [])) == list(report.cases)
    assert [(c.external_id, c.status, c.failed_attempts, c.message) for c in final_cases([report])] == EXPECTED


@pytest.mark.parametrize("streamed", [False, True])
def test_both_projects_results_are_stored(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, streamed: bool,
) -> None:
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: A\n    Given a step\n")
    git_repo.commit("a")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="web").errors
    if streamed:
        outcomes = force_streaming(monkeypatch, 50, 50)
    else:
        monkeypatch.setenv("TRACERTM_RESULTS_STREAM", "0")
    summary = import_results(database_url, "web", [("results.xml", PLAYWRIGHT)], commit=git_repo.head())
    assert (summary.reported, summary.merged, summary.total) == (2, 0, 2)
    assert _stored(database_url, "web") == sorted(EXPECTED)
    if streamed:
        assert outcomes == ["streamed"]
