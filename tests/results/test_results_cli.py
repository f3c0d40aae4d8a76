"""The CLI verbs over test results: results import|list|runs|unmatched|prune, coverage, show, check --results."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import jsonschema_rs
import pytest

from apikit import api_client
from conftest import GitRepo, sqlite_only
from tracertm.cli import main

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"


@pytest.fixture
def cart(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitRepo]:
    shutil.copytree(HERE / "project" / "features", git_repo.path / "features", ignore=shutil.ignore_patterns("steps"))
    git_repo.commit("cart")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    monkeypatch.delenv("CI_COMMIT_SHA", raising=False)
    assert main(["sync", "--ref", "HEAD"]) == 0
    yield git_repo


# Above the database (environment variables, parsing, configuration, wording): on SQLite only. The same import and
# lookup run on PostgreSQL in test_import_summary_defaults_to_head and
# test_show_and_history_open_a_test_case_by_its_id, a results window in tests/results/test_results_stats_bounded.py.


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_summary_defaults_to_head(cart: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code, out, err = _cli(capsys, "results", "import", str(FIXTURES / "cart.ndjson"), "--run-name", "nightly")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("imported 5 results into run ") and f"at {cart.head()[:12]}:" in lines[0]
    assert "1 failed, 3 passed, 1 undefined" in lines[0]
    assert lines[1].startswith("matched 5 (tag 1, line 4, name 0); unmatched 0 (0 ambiguous); 5 new test cases")
    code, out, _ = _cli(capsys, "results", "import", str(FIXTURES / "cart.ndjson"))
    assert code == 0 and "already imported as run" in out and "nothing added" in out
    code, out, _ = _cli(capsys, "results", "runs", "--output", "json")
    runs = json.loads(out)
    assert [(r["name"], r["commit"], r["format"]) for r in runs] == [("nightly", cart.head(), "cucumber-messages")]


@sqlite_only
@pytest.mark.parametrize("variable", ["GITHUB_SHA", "CI_COMMIT_SHA"])
def test_ci_commit_variables_are_honoured(cart: GitRepo, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "f" * 40)
    code, out, err = _cli(capsys, "results", "import", str(FIXTURES / "surefire.xml"), "--output", "json")
    assert code == 0, err
    assert json.loads(out)["commit"] == "f" * 40
    code, out, _ = _cli(capsys, "results", "import", str(FIXTURES / "cucumber-junit.xml"), "--commit", "HEAD",
                        "--output", "json")
    assert json.loads(out)["commit"] == cart.head(), "--commit wins and is resolved to the full id"


@sqlite_only
def test_a_full_id_of_another_object_than_a_commit_is_refused(cart: GitRepo,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The full id of a blob or a tree the repository holds was stored as the run's commit (its abbreviation was
    refused): refused in one line naming ``--commit`` and the object. An annotated tag's id is its commit; a full id
    the repository does not hold is kept (an import away from the clone the tests ran in)."""
    report = str(FIXTURES / "surefire.xml")
    blob = cart.git("rev-parse", "HEAD:features/cart.feature").strip()
    tree = cart.git("rev-parse", "HEAD^{tree}").strip()
    for kind, sha in (("blob", blob), ("tree", tree)):
        code, out, err = _cli(capsys, "results", "import", report, "--commit", sha)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
        assert f"--commit '{sha}': a {kind} of the repository at " in err and "not a commit" in err, err
    assert _cli(capsys, "results", "runs", "--output", "json")[1].strip() == "[]"
    cart.git("tag", "-a", "v1", "-m", "release 1")
    tag = cart.git("rev-parse", "v1").strip()
    assert tag != cart.head()
    code, out, err = _cli(capsys, "results", "import", report, "--commit", tag, "--output", "json")
    assert code == 0 and json.loads(out)["commit"] == cart.head(), err
    code, out, err = _cli(capsys, "results", "import", str(FIXTURES / "cucumber-junit.xml"), "--commit", "e" * 40,
                          "--output", "json")
    assert code == 0 and json.loads(out)["commit"] == "e" * 40, err


def test_list_unmatched_prune(cart: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(capsys, "results", "import", str(FIXTURES / "surefire.xml"))[0] == 0
    assert _cli(capsys, "results", "import", str(FIXTURES / "cucumber-junit.xml"))[0] == 0
    code, out, _ = _cli(capsys, "results", "list", "--status", "failed")
    assert code == 0
    assert "Shopping cart::Add several - small - #1.2" in out and "FEAT-1/Add several #1.2" in out
    assert "Add an item" not in out
    code, out, _ = _cli(capsys, "results", "list", "--since", "2000-01-01", "--output", "json")
    assert len(json.loads(out)) == 11
    code, out, _ = _cli(capsys, "results", "unmatched")
    assert "com.example.CartTest::removesItem" in out and "Shopping cart" not in out
    code, out, _ = _cli(capsys, "results", "prune", "--keep", "1")
    assert (code, out.strip()) == (0, "pruned 1 run of repo; kept the newest 1")
    code, out, _ = _cli(capsys, "results", "runs", "--output", "json")
    assert [r["format"] for r in json.loads(out)] == ["junit"] and json.loads(out)[0]["counts"]["total"] == 5



# Beyond the test-result read model, each item of ``results list --output json`` names its run (README).
RUN_EXTRAS = {"run": {"type": "string"}, "run_name": {"type": ["string", "null"]},
              "commit": {"type": ["string", "null"]}, "imported_at": {"type": ["string", "null"]}}


def test_list_items_are_the_read_model_and_their_run(cart: GitRepo, database_url: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Each item of ``results list --output json`` matched no schema: no ``title``, and the run's fields beside the
    result's. Now it is the ``test-result`` read model, as the API's run detail serves it, and the run (documented
    extras)."""
    assert _cli(capsys, "results", "import", str(FIXTURES / "cucumber-junit.xml"), "--run-name", "ci")[0] == 0
    code, out, err = _cli(capsys, "schema", "test-result")
    assert code == 0, err
    schema = json.loads(out)
    schema["properties"].update(RUN_EXTRAS)
    schema["required"] = [*schema["required"], *RUN_EXTRAS]
    code, out, err = _cli(capsys, "results", "list", "--output", "json")
    assert code == 0, err
    items = json.loads(out)
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    assert items and [list(validator.iter_errors(item)) for item in items] == [[]] * len(items)
    [run] = {item["run"] for item in items}
    assert {(i["run_name"], i["commit"]) for i in items} == {("ci", cart.head())}
    with api_client(database_url) as client:
        served = client.get(f"/api/v1/projects/repo/test-runs/{run}").json()["results"]
    assert [{k: v for k, v in item.items() if k not in RUN_EXTRAS} for item in items] == served


def test_prune_names_the_runs_it_kept_not_keep(cart: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    """Of two runs, ``--keep 100`` keeps two: the line said "kept the newest 100" (and "pruned 1 runs")."""
    assert _cli(capsys, "results", "import", str(FIXTURES / "surefire.xml"))[0] == 0
    assert _cli(capsys, "results", "import", str(FIXTURES / "cucumber-junit.xml"))[0] == 0
    assert _cli(capsys, "results", "prune", "--keep", "100")[:2] == (0, "pruned 0 runs of repo; kept the newest 2\n")
    assert _cli(capsys, "results", "prune", "--keep", "1")[:2] == (0, "pruned 1 run of repo; kept the newest 1\n")
    assert _cli(capsys, "results", "prune", "--keep", "0")[:2] == (0, "pruned 1 run of repo; kept the newest 0\n")
    assert _cli(capsys, "results", "prune", "--keep", "5")[:2] == (0, "pruned 0 runs of repo; kept the newest 0\n")

@sqlite_only
def test_bad_input_is_one_line(cart: GitRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text('<testsuite>\n  <testcase name="a">\n</testsuite>\n')
    code, out, err = _cli(capsys, "results", "import", str(broken))
    assert code == 1 and out == ""
    assert err.strip() == f"tracertm: error: {broken}:3:3: malformed XML: mismatched tag; nothing was imported from this file"
    code, _, err = _cli(capsys, "results", "import", str(FIXTURES / "surefire.xml"), "--max-size", "100")
    assert code == 1 and "over the 100-byte limit for one report" in err and "--max-size BYTES" in err
    code, _, err = _cli(capsys, "results", "import", str(tmp_path / "missing.xml"))
    assert code == 2 and err.strip().endswith("missing.xml: no such file; pass the path of a test report")
    code, _, err = _cli(capsys, "results", "list", "--since", "yesterday")
    assert code == 2 and "--since yesterday: not a date" in err and len(err.strip().splitlines()) == 1


def test_show_prints_last_results_and_pass_rate(cart: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _cli(capsys, "results", "import", str(FIXTURES / "cucumber-junit.xml"))
    code, out, _ = _cli(capsys, "show", "SC-1")
    assert code == 0
    assert "test results: pass rate 100% over the last runs, 1 execution, last passed" in out
    assert "Shopping cart::Add an item" in out
    code, out, _ = _cli(capsys, "show", "SC-1", "--format", "json")
    payload = json.loads(out)
    assert payload["results"]["pass_rate"] == 1.0 and payload["results"]["last_results"][0]["status"] == "passed"


def test_show_and_history_open_a_test_case_by_its_id(cart: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(capsys, "results", "import", str(FIXTURES / "surefire.xml"))[0] == 0
    code, out, err = _cli(capsys, "show", "com.example.CartTest::removesItem", "--format", "json")
    assert code == 0, err
    record = json.loads(out)
    assert (record["kind"], record["number"]) == ("test_case", "com.example.CartTest::removesItem")
    # Its last execution, the report's: a pass after a failed attempt (Surefire's flakyFailure) is a pass.
    assert (record["last_execution_result"], record["last_executed_at"]) == ("passed", "2026-11-30T09:10:01.250000Z")
    code, out, err = _cli(capsys, "history", "com.example.CartTest::removesItem", "--format", "json")
    assert code == 0, err
    assert [r["change"] for r in json.loads(out)] == ["created"], "created with its last execution"


@sqlite_only
def test_an_unknown_id_of_that_shape_is_one_line_naming_both_kinds(cart: GitRepo,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "show", "tests/test_a.py::test_missing")
    assert code != 0 and out == ""
    assert err.strip().splitlines() == [
        "tracertm: error: tests/test_a.py::test_missing: no step definition or test case with this id in project "
        "repo; see 'tracertm steps' or 'tracertm list test-cases' (ids are STEP-n, file::function or the test's id)"
    ]
    code, _, err = _cli(capsys, "show", "STEP-7")
    assert code != 0 and "STEP-7: no step definition or test case" in err


def test_coverage(cart: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "coverage", "--format", "json", "--exit-code")
    assert code == 1 and len(json.loads(out)["never_executed"]) == 4
    _cli(capsys, "results", "import", str(FIXTURES / "cart.ndjson"))
    code, out, _ = _cli(capsys, "coverage", "--format", "json")
    report = json.loads(out)
    assert report["never_executed"] == []
    assert [i["scenario"] for i in report["failing"]] == ["FEAT-1/Add several", "FEAT-1/Check out"]
    assert [i["scenario"] for i in report["flaky"]] == ["FEAT-1/Remove an item"]
    assert report["stale"] == []
    # Change one scenario after its last run: its results are now older than its content.
    cart.write("features/cart.feature", cart.read("features/cart.feature").replace("Then the cart holds 0 items",
                                                                                   "Then the cart is empty"))
    cart.commit("edit check out")
    assert _cli(capsys, "sync", "--ref", "HEAD")[0] == 0
    code, out, _ = _cli(capsys, "coverage")
    assert code == 0
    assert "stale (last run older than the feature's last change): 1" in out, "only Check out changed"
    assert f"  FEAT-1/Check out  Check out  (last undefined, pass rate 0%, changed in {cart.head()[:12]})" in out
    # A change of the feature itself (its background) makes every scenario of it stale.
    cart.write("features/cart.feature", cart.read("features/cart.feature").replace(
        "  @SC-1\n", "  Background:\n    Given a shop\n\n  @SC-1\n"))
    cart.commit("a background")
    assert _cli(capsys, "sync", "--ref", "HEAD")[0] == 0
    code, out, _ = _cli(capsys, "coverage", "--format", "json")
    assert len(json.loads(out)["stale"]) == 4


def test_coverage_counts_a_move_that_changed_the_content(cart: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    """A file renamed as it changes: the moved scenario whose steps changed is stale; a pure rename is not."""
    _cli(capsys, "results", "import", str(FIXTURES / "cart.ndjson"))
    cart.git("mv", "features/cart.feature", "features/basket.feature")
    cart.commit("a pure rename")
    assert _cli(capsys, "sync", "--ref", "HEAD")[0] == 0
    assert json.loads(_cli(capsys, "coverage", "--format", "json")[1])["stale"] == []
    cart.git("mv", "features/basket.feature", "features/shop.feature")
    cart.write("features/shop.feature", cart.read("features/shop.feature").replace("Then the cart holds 0 items",
                                                                                   "Then the cart is empty"))
    cart.commit("renamed, and check out changed")
    assert _cli(capsys, "sync", "--ref", "HEAD")[0] == 0
    stale = json.loads(_cli(capsys, "coverage", "--format", "json")[1])["stale"]
    assert [(i["scenario"], i["changed_in"]) for i in stale] == [("FEAT-1/Check out", cart.head())]

APPROVED = """Feature: Payments

  @SC-7 @approved
  Scenario: Pay by card
    Given a card
    Then it is charged

  @SC-8 @approved
  Scenario: Pay by invoice
    Given an invoice
    Then it is sent

  @SC-9
  Scenario: Pay later
    Given a promise
"""


def test_check_results_fails_approved_scenarios_without_a_pass(git_repo: GitRepo, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    git_repo.write("features/pay.feature", APPROVED)
    git_repo.commit("payments")
    report = tmp_path / "junit.xml"
    report.write_text('<testsuite name="Cucumber"><testcase classname="Payments" name="Pay by card"/>'
                      '<testcase classname="Payments" name="Pay by invoice"><failure message="no"/></testcase>'
                      "</testsuite>")
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--results", str(report))
    assert code == 1
    assert out.splitlines()[0] == (
        "features/pay.feature:9:0: approved scenario pay/SC-8 'Pay by invoice' failed (failed) in "
        "junit.xml; make it pass, or take it back to review"
    )
    report.write_text('<testsuite name="Cucumber"><testcase classname="Payments" name="Pay by card"/>'
                      '<testcase classname="Payments" name="Pay by invoice"/></testsuite>')
    assert _cli(capsys, "check", str(git_repo.path), "--results", str(report))[0] == 0
    report.write_text('<testsuite name="Cucumber"><testcase classname="Payments" name="Pay by card"/></testsuite>')
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--results", str(report))
    assert code == 1 and "'Pay by invoice' has no passing result in junit.xml" in out


@sqlite_only
def test_results_window_from_the_configuration(cart: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    (cart.path / ".tracertm.toml").write_text('project = "repo"\nresults_window = 1\n')
    failing = '<testsuite name="Cucumber" timestamp="2026-01-01T00:00:00"><testcase classname="Shopping cart" ' \
              'name="Add an item"><failure message="no"/></testcase></testsuite>'
    passing = failing.replace('<failure message="no"/>', "").replace("2026-01-01", "2026-01-02")
    for name, body in (("a.xml", failing), ("b.xml", passing)):
        (cart.path / name).write_text(body)
        assert _cli(capsys, "results", "import", name)[0] == 0
    code, out, _ = _cli(capsys, "show", "SC-1", "--format", "json")
    assert json.loads(out)["results"]["pass_rate"] == 1.0, "a window of one run: only the newest counts"
    (cart.path / ".tracertm.toml").write_text("results_window = 0\n")
    code, _, err = _cli(capsys, "results", "import", "a.xml", "--commit", "0" * 40)
    assert code == 2 and ".tracertm.toml:1: results_window must be 1 to 1000000" in err
    # Past 2**63 - 1 it passed `check` and reached the database: an internal error (SQLite), "bigint out of range"
    # and advice about privileges (PostgreSQL). The bound is --window's.
    for window in (1_000_001, 5 * 10**18):
        (cart.path / ".tracertm.toml").write_text(f"results_window = {window}\n")
        code, _, err = _cli(capsys, "results", "import", "a.xml", "--commit", "0" * 40)
        assert code == 2 and err.strip() == (
            f"tracertm: error: {cart.path / '.tracertm.toml'}:1: results_window must be 1 to 1000000 (the runs a "
            f"scenario's pass_rate covers), not {window}, e.g. results_window = 20"), err


def test_check_results_with_a_broken_report_answers_in_the_format_asked(  # type: ignore[no-untyped-def]
        git_repo: GitRepo, capsys, tmp_path: Path) -> None:
    """A report that does not parse is a finding of ``check --results`` (exit 1) in every output format: a JSON
    object for ``--format json``, an annotation for ``--format github`` — not a bare stderr line CI cannot read."""
    git_repo.write("features/pay.feature", APPROVED)
    git_repo.commit("payments")
    report = tmp_path / "broken.xml"
    report.write_text('<testsuite><testcase name="a">\n<failure>x</testcase>\n')
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--results", str(report), "--format", "json")
    assert code == 1
    found = json.loads(out)
    assert found["ok"] is False and [(e["line"], e["message"]) for e in found["errors"]] == [
        (2, "malformed XML: mismatched tag")], "check imports nothing: no 'nothing was imported from this file'"
    code, out, _ = _cli(capsys, "check", str(git_repo.path), "--results", str(report), "--format", "github")
    assert code == 1 and out.startswith("::error file=") and "line=2" in out and "malformed XML" in out
