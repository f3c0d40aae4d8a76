"""``tracertm diff``: record-by-record changes between two commits, by parsing both trees and from a backfill's
revisions — the two must agree."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import GitRepo
from specs import adr, contract
from test_trace_links import FEATURE
from tracertm.cli import main
from tracertm.trace.diff import diff


def history(repo: GitRepo) -> tuple[str, str]:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL"))
    repo.write("contracts/refunds.yaml", contract(1, "Refunds"))
    repo.write("features/refunds.feature", FEATURE)
    first = repo.commit("first")
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git, and only git."))
    repo.write("docs/adr/0002-use-postgres.md", "\n" + adr(2, "Use PostgreSQL"))  # reformatting only
    repo.git("mv", "contracts/refunds.yaml", "contracts/money-back.yaml")
    repo.remove("features/refunds.feature")
    repo.write("features/refunds.feature", FEATURE.replace("When I refund half", "When I refund a third"))
    repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues"))
    repo.commit("middle")
    repo.write("features/refunds.feature", FEATURE.replace("When I refund half", "When I refund a third").split("  @SC-2")[0])
    last = repo.commit("last")
    return first, last


EXPECTED = [
    {"action": "updated", "kind": "adr", "id": "ADR-0001", "path": "docs/adr/0001-use-git.md", "fields": ["decision"]},
    {"action": "created", "kind": "adr", "id": "ADR-0003", "path": "docs/adr/0003-use-queues.md"},
    {"action": "moved", "kind": "contract", "id": "CTR-0001", "path": "contracts/money-back.yaml",
     "from_path": "contracts/refunds.yaml"},
    {"action": "deleted", "kind": "scenario", "id": "FEAT-1/SC-2", "path": "features/refunds.feature"},
]


def test_diff_by_parsing_both_trees(git_repo: GitRepo) -> None:
    first, last = history(git_repo)
    result = diff(git_repo.path, first, last, method="parse")
    assert result.method == "parse" and result.errors == []
    assert [c.as_dict() for c in result.changes] == EXPECTED
    assert diff(git_repo.path, last, last, method="parse").changes == []
    back = diff(git_repo.path, last, first, method="parse")
    assert [(c.action, c.id) for c in back.changes] == [
        ("updated", "ADR-0001"), ("deleted", "ADR-0003"), ("moved", "CTR-0001"), ("created", "FEAT-1/SC-2")]


def test_diff_from_backfilled_revisions_agrees(git_repo: GitRepo, engine: Any, database_url: str) -> None:
    from tracertm.history.backfill import backfill

    first, last = history(git_repo)
    backfill(git_repo.path, engine=engine)
    result = diff(git_repo.path, first, last, method="history", database_url=database_url)
    assert result.method == "history"
    assert [c.as_dict() for c in result.changes] == EXPECTED
    middle = git_repo.git("rev-parse", "HEAD~1")
    assert [c.as_dict() for c in diff(git_repo.path, middle, last, database_url=database_url).changes] == \
        [c.as_dict() for c in diff(git_repo.path, middle, last, method="parse").changes]
    assert diff(git_repo.path, middle, last, database_url=database_url).method == "history"


def test_diff_reports_a_broken_file_and_says_nothing_about_its_records(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = history(git_repo)
    git_repo.write("contracts/money-back.yaml", "id: CTR-0001\ntitle: [unclosed\n")
    git_repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL", status="Rejected"))
    broken = git_repo.commit("broken")
    code = main(["diff", first, broken, "--path", str(git_repo.path), "--method", "parse", "--format", "json"])
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert code == 1
    assert [e["path"] for e in data["errors"]] == ["contracts/money-back.yaml"]
    assert "CTR-0001" not in {c["id"] for c in data["changes"]}
    assert any(c["id"] == "ADR-0002" and c["action"] == "updated" and "status" in c["fields"] for c in data["changes"])


def test_diff_cli_text_and_errors(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    first, last = history(git_repo)
    code = main(["diff", first, "--path", str(git_repo.path)])
    out, _ = capsys.readouterr()
    assert code == 0 and "from parse" in out
    assert "moved    contract  CTR-0001  (contracts/refunds.yaml → contracts/money-back.yaml)" in out
    assert "updated  adr       ADR-0001  (docs/adr/0001-use-git.md)  [decision]" in out
    code = main(["diff", "no-such-ref", "--path", str(git_repo.path)])
    _, err = capsys.readouterr()
    assert code == 2 and "no-such-ref" in err and err.count("\n") == 1
    code = main(["diff", first, "--path", str(git_repo.path), "--method", "history"])
    _, err = capsys.readouterr()
    assert code == 2 and "backfill" in err and err.count("\n") == 1


def test_diff_auto_parses_when_the_database_cannot_help(git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Any) -> None:
    first, last = history(git_repo)
    missing = tmp_path / "never-created.db"
    monkeypatch.setenv("TRACERTM_DATABASE_URL", f"sqlite:///{missing}")
    assert [c.as_dict() for c in diff(git_repo.path, first, last).changes] == EXPECTED
    assert diff(git_repo.path, first, last).method == "parse" and not missing.exists()
    monkeypatch.setenv("TRACERTM_DATABASE_URL", "postgresql+psycopg://nobody:x@127.0.0.1:9/none")
    assert diff(git_repo.path, first, last).method == "parse"


def test_a_renamed_file_whose_records_are_named_after_it_is_a_move(git_repo: GitRepo, engine: Any,
                                                                  database_url: str) -> None:
    """An untagged feature and a contract without an id take their numbers from their file names: renaming the files
    (one as it is, one edited a little) is a move in both methods, as sync and backfill record it."""
    from tracertm.history.backfill import backfill

    login = "Feature: Login\n  Scenario: ok\n    Given a user\n    When they log in\n    Then they see home\n"
    git_repo.write("features/login.feature", login)
    git_repo.write("contracts/pay.yaml", "title: Pay\ntype: service\ndescription: Takes money.\n")
    first = git_repo.commit("first")
    git_repo.git("mv", "features/login.feature", "features/signin.feature")
    git_repo.git("mv", "contracts/pay.yaml", "contracts/payment.yaml")
    git_repo.write("contracts/payment.yaml", "title: Payment\ntype: service\ndescription: Takes money.\n")
    last = git_repo.commit("renamed")
    expected = [
        ("moved", "contract", "payment", "contracts/payment.yaml", "contracts/pay.yaml", ("title",)),
        ("moved", "feature", "signin", "features/signin.feature", "features/login.feature", ()),
        ("moved", "scenario", "signin/ok", "features/signin.feature", "features/login.feature", ()),
    ]
    parsed = diff(git_repo.path, first, last, method="parse")
    assert [(c.action, c.kind, c.id, c.path, c.from_path, c.fields) for c in parsed.changes] == expected
    backfill(git_repo.path, engine=engine)
    recorded = diff(git_repo.path, first, last, method="history", database_url=database_url)
    assert [(c.action, c.kind, c.id, c.path, c.from_path, c.fields) for c in recorded.changes] == expected


def test_the_history_method_reports_a_file_broken_at_a_commit_as_parsing_does(git_repo: GitRepo, engine: Any,
                                                                              database_url: str) -> None:
    """The backfill's runs keep the errors of each commit: a file broken at either commit is reported, and its
    records are not guessed from its last good revision."""
    from tracertm.history.backfill import backfill

    git_repo.write("features/f.feature", "@FEAT-1\nFeature: F\n  @SC-1\n  Scenario: s\n    Given x\n")
    first = git_repo.commit("c1")
    git_repo.write("features/f.feature", "@FEAT-1\nFeature: F\n  @SC-1\n  Scenario: s2\n    Given x\n")
    middle = git_repo.commit("c2")
    git_repo.write("features/f.feature", git_repo.read("features/f.feature") + "garbage ::: not gherkin\n")
    last = git_repo.commit("c3 breaks it")
    git_repo.write("features/f.feature", "@FEAT-1\nFeature: F\n  @SC-1\n  Scenario: s3\n    Given x\n")
    fixed = git_repo.commit("c4 fixes it")
    backfill(git_repo.path, engine=engine)

    def both(a: str, b: str) -> list[tuple[Any, ...]]:
        out = []
        for method in ("parse", "history"):
            result = diff(git_repo.path, a, b, method=method, database_url=database_url)
            assert result.method == method
            out.append(([c.as_dict() for c in result.changes], [(d.path, d.line, d.message) for d in result.errors]))
        assert out[0] == out[1], (a, b)
        return out[0]

    changes, errors = both(first, last)
    assert changes == [] and [(p, m.startswith(f"at {last[:12]}:")) for p, _, m in errors] == [
        ("features/f.feature", True)]
    assert both(first, middle) == ([{"action": "updated", "kind": "scenario", "id": "FEAT-1/SC-1",
                                     "path": "features/f.feature", "fields": ["title"]}], [])
    assert both(middle, fixed)[1] == [] and both(last, fixed)[1] != []


def test_a_file_broken_at_a_commit_is_reported_once_after_a_backfill_of_a_rewritten_history(
    git_repo: GitRepo, engine: Any, database_url: str,
) -> None:
    """A backfill after an amend merges, and its run lists every error of the history again (the runs of the
    commits both histories share had listed them): the history method reported each broken file twice."""
    from tracertm.history.backfill import backfill

    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("A")
    git_repo.write("features/bad.feature", "Feature: f\n  Scenario: s\n    Given a\n  zzz: ::\n")
    git_repo.write("features/worse.feature", "Feature: g\n  Scenario: s\n    Given a\n  yyy: ::\n")
    broken = git_repo.commit("B")
    git_repo.remove("features/bad.feature")
    git_repo.remove("features/worse.feature")
    git_repo.commit("C")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git."))
    git_repo.commit("D")
    backfill(git_repo.path, engine=engine)
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git, only git."))
    git_repo.git("commit", "-q", "--amend", "-am", "D2")
    backfill(git_repo.path, engine=engine)
    before = git_repo.git("rev-parse", f"{broken}~1")
    found = {method: [(d.path, d.line, d.message) for d in diff(git_repo.path, before, broken, method=method,
                                                               database_url=database_url).errors]
             for method in ("parse", "history")}
    assert found["history"] == found["parse"] and [p for p, _, _ in found["history"]] == [
        "features/bad.feature", "features/worse.feature"], found


def test_a_rewrap_or_a_line_shift_before_a_change_is_not_reported_with_it(git_repo: GitRepo, engine: Any,
                                                                         database_url: str) -> None:
    """A re-wrapped paragraph, or steps moved down a line, write no revision; the next real change must not list
    those fields (the stored snapshot still has the old text and lines): both methods agree."""
    from tracertm.history.backfill import backfill

    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/f.feature", "@FEAT-1\nFeature: F\n\n  @SC-1\n  Scenario: s\n    Given a\n    Then b\n")
    git_repo.commit("first")
    git_repo.write("docs/adr/0001-use-git.md",
                   git_repo.read("docs/adr/0001-use-git.md").replace("We need to decide", "We   need\nto decide"))
    git_repo.write("features/f.feature", "# a comment\n" + git_repo.read("features/f.feature"))
    middle = git_repo.commit("re-wrap, shift")
    git_repo.write("docs/adr/0001-use-git.md", git_repo.read("docs/adr/0001-use-git.md").replace(
        "Accepted", "Deprecated"))
    git_repo.write("features/f.feature", git_repo.read("features/f.feature").replace("Then b", "Then c"))
    last = git_repo.commit("status, step")
    backfill(git_repo.path, engine=engine)
    by_history = [c.as_dict() for c in diff(git_repo.path, middle, last, method="history",
                                           database_url=database_url).changes]
    assert by_history == [c.as_dict() for c in diff(git_repo.path, middle, last, method="parse").changes]
    fields = {c["id"]: c["fields"] for c in by_history}
    assert fields == {"ADR-0001": ["metadata", "status"], "FEAT-1/SC-1": ["then_steps"]}
