"""A Cucumber Messages run that failed outside its test cases — a BeforeAll hook (no test ran), an AfterAll hook
(every test passed), an error of the runner (``testRunFinished`` with a message or an exception) — is said so on
import, one warning line per report, and kept with the run (``counts.run_failures``): it used to import as a run of
0 results (or of passes), exit 0, with the failure nowhere. A run that failed only because tests failed
(``success: false`` alone) warns of nothing. Fixtures: Cucumber's compatibility kit (MIT, see their README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apikit import api_client, make_token
from conftest import GitRepo, run_cli
from specs import adr
from tracertm.results.formats import parse_report

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = {
    "global-hooks-beforeall-error.ndjson": "BeforeAll hook went wrong",
    "global-hooks-afterall-error.ndjson": "AfterAll hook went wrong",
    "test-run-exception.ndjson": "Whoops!",
}


@pytest.mark.parametrize(("name", "message"), SAMPLES.items())
def test_the_reports_failure_outside_its_tests_is_read(name: str, message: str) -> None:
    path = FIXTURES / "cck-run-failures" / name
    assert parse_report(name, path.read_bytes()).failure == message


def test_a_run_that_failed_only_in_its_tests_has_no_failure_of_its_own() -> None:
    data = (FIXTURES / "cart.ndjson").read_bytes()
    assert b'"success":false' in data  # a test failed: the run did not succeed
    assert parse_report("cart.ndjson", data).failure is None


def test_import_warns_and_keeps_the_failure_with_the_run(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    common = ("--project", "repo", "--database-url", database_url)
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 0
    before = FIXTURES / "cck-run-failures" / "global-hooks-beforeall-error.ndjson"

    result = run_cli("results", "import", str(before), "--commit", git_repo.head(), *common)

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines() == [  # the file as given, as the summary's ``files`` name it
        f"warning: {before}: BeforeAll hook went wrong (the run failed outside its "
        "tests; no scenario's result shows it)"]
    runs = json.loads(run_cli("results", "runs", "--output", "json", *common).stdout)
    assert runs[0]["counts"]["run_failures"] == ["global-hooks-beforeall-error.ndjson: BeforeAll hook went wrong"]
    listed = run_cli("results", "runs", *common).stdout.splitlines()
    assert listed[-1] == (f"run {runs[0]['id'][:8]} failed outside its tests: global-hooks-beforeall-error.ndjson: "
                          "BeforeAll hook went wrong")

    # Two reports as one run: each failure named by its file; a report without one adds none.
    after = FIXTURES / "cck-run-failures" / "global-hooks-afterall-error.ndjson"
    result = run_cli("results", "import", str(after), str(FIXTURES / "cart.ndjson"), "--output", "json",
                     "--commit", git_repo.head(), *common)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["run_failures"] == [f"{after}: AfterAll hook went wrong"]
    assert result.stderr.splitlines() == [  # with --output json too: it used to say nothing there
        f"warning: {after}: AfterAll hook went wrong (the run failed outside its tests; no scenario's result shows "
        "it)"]
    assert summary["files"] == [str(after), str(FIXTURES / "cart.ndjson")]


def test_an_upload_says_the_runs_failure(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 0
    token = make_token(database_url)
    with api_client(database_url, raise_server_exceptions=True) as client:
        body = (FIXTURES / "cck-run-failures" / "test-run-exception.ndjson").read_bytes()
        answer = client.post("/api/v1/projects/repo/test-runs", content=body, headers={
            "Content-Type": "application/x-ndjson", "Authorization": f"Bearer {token}"})
        assert answer.status_code == 201, answer.text
        assert answer.json()["summary"]["run_failures"] == ["request-body.ndjson: Whoops!"]
        assert answer.json()["run"]["counts"]["run_failures"] == ["request-body.ndjson: Whoops!"]
