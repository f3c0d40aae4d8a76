"""Audit fixes: ``matrix`` and ``coverage`` read a pending or undefined last result alike (failing); ``review --by``
refuses a blank name; ``diff`` withholds only a broken file's own records, by both methods."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo, sqlite_only
from specs import adr
from tracertm.cli import main
from tracertm.trace.coverage import scenario_result
from tracertm.trace.diff import diff

FEATURE = (
    "@f\nFeature: F\n\n"
    "  @SC-1 @REQ-1\n  Scenario: S\n    Given a step\n\n"
    "  @SC-2 @REQ-1\n  Scenario: T\n    Given a step\n\n"
    "  @SC-3 @REQ-2\n  Scenario: U\n    Given a step\n"
)


def _report(first: str, third: str) -> str:
    def element(ident: str, name: str, line: int, status: str) -> dict[str, Any]:
        return {"id": ident, "keyword": "Scenario", "name": name, "line": line, "type": "scenario",
                "steps": [{"keyword": "Given ", "name": "a step", "line": line + 1,
                           "result": {"status": status, "duration": 1}}]}

    return json.dumps([{"uri": "features/f.feature", "id": "f", "keyword": "Feature", "name": "F", "line": 2,
                        "elements": [element("f;s", "S", 5, first), element("f;t", "T", 9, "passed"),
                                     element("f;u", "U", 13, third)]}])


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitRepo]:
    git_repo.write("features/f.feature", FEATURE)
    git_repo.commit("init")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert main(["sync"]) == 0
    yield git_repo


def test_scenario_result_counts_pending_and_undefined_as_failed() -> None:
    assert scenario_result({"last_status": "undefined"}) == "failed"
    assert scenario_result({"last_status": "pending"}) == "failed"
    assert scenario_result({"last_status": "error"}) == "failed"
    assert scenario_result({"last_status": "failed"}) == "failed"
    assert scenario_result({"last_status": "passed"}) == "passed"
    assert scenario_result({"last_status": "skipped"}) is None  # it did not run
    assert scenario_result({"last_status": None, "pass_rate": None}) is None


@pytest.mark.parametrize("status", ["undefined", "pending"])
def test_matrix_and_coverage_agree_on_a_pending_or_undefined_last_result(
    project: GitRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path, status: str
) -> None:
    report = tmp_path / "report.json"
    report.write_text(_report(status, status))
    assert _cli(capsys, "results", "import", str(report))[0] == 0
    code, out, _ = _cli(capsys, "coverage", "--exit-code")
    assert code == 1 and f"f/SC-1  S  (last {status}" in out and f"f/SC-3  U  (last {status}" in out
    data = json.loads(_cli(capsys, "matrix", "--format", "json")[1])
    rows = {r["id"]: r for r in data["rows"]}
    assert rows["REQ-1"]["state"] == "failing"  # SC-1 failing, SC-2 passed
    assert rows["REQ-1"]["scenarios"] == [{"id": "f/SC-1", "result": "failed"}, {"id": "f/SC-2", "result": "passed"}]
    assert rows["REQ-2"]["state"] == "failing"  # its only scenario: not "not executed"
    assert rows["REQ-2"]["scenarios"] == [{"id": "f/SC-3", "result": "failed"}]
    assert data["states"]["failing"] == 2 and data["states"]["not executed"] == 0
    code, out, _ = _cli(capsys, "matrix")
    assert code == 0 and "2 requirements: 2 failing" in out


def test_a_skipped_last_result_is_not_executed_in_the_matrix(project: GitRepo, capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(_report("passed", "skipped"))
    assert _cli(capsys, "results", "import", str(report))[0] == 0
    code, out, _ = _cli(capsys, "coverage", "--exit-code")
    assert "never executed: 1\n  f/SC-3  U" in out and "failing: 0" in out  # a skipped scenario did not run
    rows = {r["id"]: r["state"] for r in json.loads(_cli(capsys, "matrix", "--format", "json")[1])["rows"]}
    assert rows == {"REQ-1": "covered", "REQ-2": "not executed"}


# ------------------------------------------------------------------------------------------------ review --by


# The reviewer name and the arguments are checked above the database: SQLite only; ``review --all`` writes on
# PostgreSQL in tests/trace/test_review_default_reviewer.py.
@sqlite_only
def test_review_by_a_blank_name_is_a_usage_error_and_writes_nothing(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import select

    from tracertm import db
    from tracertm.models import Link

    git_repo.write("docs/adr/0001-use-x.md", adr(1, "Use X"))
    git_repo.write("features/f.feature", "@ADR-0001\nFeature: F\n  Scenario: S\n    Given a step\n")
    git_repo.commit("init")
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    assert main(["sync"]) == 0
    git_repo.write("docs/adr/0001-use-x.md", adr(1, "Use X", decision="Something else."))
    git_repo.commit("change")
    assert main(["sync"]) == 0
    capsys.readouterr()

    def reviewers() -> list[Any]:
        engine = db.make_engine(database_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(select(Link.reviewed_by).where(Link.target_kind == "adr")).scalars())
        finally:
            engine.dispose()

    before = reviewers()
    for blank in ("   ", "", "\t"):
        code, out, err = _cli(capsys, "review", "--all", "--by", blank)
        assert code == 2 and out == "" and err.count("\n") == 1, (blank, err)
        assert "--by" in err and "blank reviewer name" in err
        assert reviewers() == before
    # A record and --all at once: which one was meant is not guessed, and the message says so.
    code, out, err = _cli(capsys, "review", "ADR-0001", "--all", "--by", "Grace")
    assert code == 2 and out == "" and err.count("\n") == 1 and "ADR-0001 and --all" in err and "not both" in err
    assert reviewers() == before
    code, out, _ = _cli(capsys, "review", "--all", "--by", "Grace")
    assert code == 0 and out.startswith("reviewed ")
    assert set(reviewers()) == {"Grace"}


# ------------------------------------------------------------------------------------------------------- diff


def _changes(repo: GitRepo, a: str, b: str, database_url: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The changes and the paths of the errors, the same by both methods."""
    out = []
    for method in ("parse", "history"):
        result = diff(repo.path, a, b, method=method, database_url=database_url)
        assert result.method == method
        out.append(([(c.action, c.id) for c in result.changes], sorted({d.path for d in result.errors})))
    assert out[0] == out[1], (a, b, out)
    return out[0]


BROKEN = "garbage ::: not gherkin\n"


def test_a_broken_file_does_not_hide_the_changes_of_other_files(git_repo: GitRepo, engine: Any,
                                                                database_url: str) -> None:
    from tracertm.history.backfill import backfill

    git_repo.write("features/f.feature", "Feature: F\n  Scenario: S\n    Given a step\n")
    first = git_repo.commit("init")
    git_repo.write("features/f.feature", git_repo.read("features/f.feature") + BROKEN)
    broken = git_repo.commit("break f")
    git_repo.write("features/h.feature", "Feature: H\n  Scenario: hh\n    Given x\n")
    added = git_repo.commit("add h")
    backfill(git_repo.path, engine=engine)

    created = [("created", "h"), ("created", "h/hh")]
    deleted = [("deleted", "h"), ("deleted", "h/hh")]
    assert _changes(git_repo, first, added, database_url) == (created, ["features/f.feature"])
    assert _changes(git_repo, added, first, database_url) == (deleted, ["features/f.feature"])
    # f.feature is the same (broken) file at both commits: nothing of it changed, nothing to report.
    assert _changes(git_repo, broken, added, database_url) == (created, [])
    assert _changes(git_repo, added, broken, database_url) == (deleted, [])
    assert _changes(git_repo, first, broken, database_url) == ([], ["features/f.feature"])


def test_a_record_moved_out_of_a_broken_file_is_not_created(git_repo: GitRepo, engine: Any,
                                                            database_url: str) -> None:
    """A file broken at a commit keeps (for sync, so for the history method) the records of its last version that
    parsed: one of them found in another file at the other commit is not reported as created (nor deleted), while a
    record of a third file is."""
    from tracertm.history.backfill import backfill

    git_repo.write("features/b.feature", "@FEAT-1\nFeature: B\n  @SC-1\n  Scenario: s\n    Given x\n")
    git_repo.commit("init")
    git_repo.write("features/b.feature", git_repo.read("features/b.feature") + BROKEN)
    broken = git_repo.commit("break b")
    git_repo.write("features/b.feature", "Feature: still\n" + BROKEN)
    git_repo.write("features/p.feature", "@FEAT-1\nFeature: B\n  @SC-1\n  Scenario: s\n    Given x\n")
    git_repo.write("features/q.feature", "@FEAT-2\nFeature: Q\n  @SC-1\n  Scenario: q\n    Given x\n")
    moved = git_repo.commit("move FEAT-1 out of the broken b, add q")
    backfill(git_repo.path, engine=engine)

    created = [("created", "FEAT-2"), ("created", "FEAT-2/SC-1")]
    assert _changes(git_repo, broken, moved, database_url) == (created, ["features/b.feature"])
    assert _changes(git_repo, moved, broken, database_url) == (
        [("deleted", "FEAT-2"), ("deleted", "FEAT-2/SC-1")], ["features/b.feature"])


def test_a_file_renamed_and_broken_keeps_its_records_unreported(git_repo: GitRepo, engine: Any,
                                                                database_url: str) -> None:
    """A file gone while a new file of its kind does not parse may be that file renamed: sync keeps its records,
    and diff does not report them deleted — but reports the other files' changes."""
    from tracertm.history.backfill import backfill

    git_repo.write("features/f.feature", "@FEAT-1\nFeature: F\n  @SC-1\n  Scenario: s\n    Given x\n")
    git_repo.write("docs/adr/0001-use-x.md", adr(1, "Use X"))
    first = git_repo.commit("init")
    git_repo.git("mv", "features/f.feature", "features/g.feature")
    git_repo.write("features/g.feature", git_repo.read("features/g.feature") + BROKEN)
    git_repo.write("features/h.feature", "@FEAT-3\nFeature: H\n  @SC-1\n  Scenario: h\n    Given x\n")
    git_repo.write("docs/adr/0001-use-x.md", adr(1, "Use X", status="Rejected"))
    renamed = git_repo.commit("rename and break f, add h, reject ADR-0001")
    backfill(git_repo.path, engine=engine)

    changes, errors = _changes(git_repo, first, renamed, database_url)
    assert changes == [("updated", "ADR-0001"), ("created", "FEAT-3"), ("created", "FEAT-3/SC-1")]
    assert errors == ["features/g.feature"]
