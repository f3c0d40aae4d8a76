"""The traceability verbs through the real CLI: review, trace, matrix, status/show flags — SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from sqlalchemy import update

from apikit import api_client
from conftest import GitRepo, sqlite_only
from specs import adr, contract
from test_trace_links import FEATURE, links, seed
from tracertm.cli import main
from tracertm.models import Scenario


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def synced(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> tuple[GitRepo, str]:
    seed(git_repo)
    code, _, err = run(capsys, "sync", str(git_repo.path), "--database-url", database_url)
    assert code == 0, err
    return git_repo, database_url


def change_adr3(repo: GitRepo, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", decision="Kafka it is.", extra="\nSee ADR-0002.\n"))
    code, _, err = run(capsys, "sync", str(repo.path), "--database-url", url)
    assert code == 0, err


def test_suspect_links_show_in_status_show_and_go_away_with_review(
    synced: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, url = synced
    common = ["--database-url", url, "--path", str(repo.path)]
    code, out, _ = run(capsys, "status", *common)
    assert code == 0 and "(0 suspect, 0 dangling)" in out

    change_adr3(repo, url, capsys)
    code, out, _ = run(capsys, "status", *common)
    assert "(2 suspect, 0 dangling)" in out
    assert "features/refunds.feature:" in out and "FEAT-1/SC-1 implements ADR-0003 (suspect: reviewed at v1, changed at v2)" in out
    code, out, _ = run(capsys, "show", "FEAT-1/SC-1", *common)
    assert code == 0 and "! FEAT-1/SC-1 implements ADR-0003 (suspect" in out
    code, out, _ = run(capsys, "show", "ADR-0003", *common, "--format", "json")
    incoming = json.loads(out)["links"]["incoming"]
    assert sorted((x["source"]["id"], x["state"]) for x in incoming) == [
        ("CTR-0001", "suspect"), ("FEAT-1/SC-1", "suspect")]

    code, out, _ = run(capsys, "review", "FEAT-1/SC-1", "--by", "Grace Reviewer", *common)
    assert code == 0 and out.strip() == "reviewed FEAT-1/SC-1 implements ADR-0003 (suspect: reviewed at v1, changed at v2)"
    link = links_of(url)[("FEAT-1/SC-1", "implements", "ADR-0003")]
    assert link["reviewed_version"] == 2 and link["reviewed_by"] == "Grace Reviewer" and link["reviewed_at"] is not None
    code, out, _ = run(capsys, "status", *common, "--format", "json")
    summary = json.loads(out)["links"]
    assert summary["suspect"] == 1 and summary["suspect_links"][0]["source"]["id"] == "CTR-0001"

    # By link number (status shows it as #N), then nothing is left; --all with nothing suspect says so.
    number = summary["suspect_links"][0]["id"]
    code, out, _ = run(capsys, "status", *common)
    assert f"#{number} CTR-0001 implements ADR-0003" in out
    code, out, _ = run(capsys, "review", str(number), *common)
    assert code == 0 and out.startswith("reviewed CTR-0001 implements ADR-0003")
    code, out, _ = run(capsys, "review", "--all", *common)
    assert code == 0 and out.strip() == "no suspect link to review"


def test_the_cli_prints_the_links_the_api_serves(synced: tuple[GitRepo, str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A link's target in ``show``, ``status`` and ``review --format json`` was ``{"kind", "id"}`` where the API's
    ``LinkRead`` writes ``"path": null, "line": null`` too: the CLI now prints the API's link, key for key."""
    repo, url = synced
    common = ["--database-url", url, "--path", str(repo.path)]
    change_adr3(repo, url, capsys)
    printed: list[dict[str, Any]] = []
    for ident in ("FEAT-1/SC-1", "ADR-0003"):
        code, out, _ = run(capsys, "show", ident, *common, "--format", "json")
        shown = json.loads(out)["links"]
        printed += shown["outgoing"] + shown["incoming"]
    code, out, _ = run(capsys, "status", *common, "--format", "json")
    suspect = json.loads(out)["links"]["suspect_links"]
    assert code == 0 and len(suspect) == 2
    printed += suspect
    with api_client(url) as client:
        project = client.get("/api/v1/projects").json()[0]["name"]
        for link in printed:
            assert link == client.get(f"/api/v1/projects/{project}/links/{link['id']}").json()
        code, out, _ = run(capsys, "review", str(suspect[0]["id"]), *common, "--format", "json")
        [reviewed] = json.loads(out)  # (as it was before the review)
        served = client.get(f"/api/v1/projects/{project}/links/{reviewed['id']}").json()
    assert list(reviewed) == list(served) and (reviewed["source"], reviewed["target"]) == (served["source"],
                                                                                          served["target"])
    assert reviewed["target"] == {"kind": "adr", "id": "ADR-0003", "path": None, "line": None}


# The CLI's wording of --all and of its usage errors (above the database): SQLite alone. review --all runs on
# PostgreSQL in test_suspect_links_show_in_status_show_and_go_away_with_review.
@sqlite_only
def test_review_all_and_usage_errors(synced: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, url = synced
    common = ["--database-url", url, "--path", str(repo.path)]
    change_adr3(repo, url, capsys)
    code, out, _ = run(capsys, "review", "--all", "--by", "ci", *common, "--format", "json")
    assert code == 0 and len(json.loads(out)) == 2
    assert all(x["reviewed_by"] == "ci" for k, x in links_of(url).items() if k[2] == "ADR-0003")
    code, _, err = run(capsys, "review", *common)
    assert code == 2 and err.count("\n") == 1 and "--all" in err
    code, _, err = run(capsys, "review", "ADR-0042", *common)
    assert code == 2 and err.count("\n") == 1 and "ADR-0042" in err
    code, _, err = run(capsys, "review", "999", *common)  # a link number: named as one
    assert code == 2 and err.count("\n") == 1 and "no link" in err and "999" in err


def links_of(url: str) -> dict[tuple[str, str, str], Any]:
    from tracertm import db

    engine = db.make_engine(url)
    try:
        return links(engine)
    finally:
        engine.dispose()


# The output formats (above the database): SQLite alone. The same trace graph is read on PostgreSQL in
# tests/trace/test_trace_api.py::test_matrix_coverage_and_trace_are_the_json_twins_of_the_cli.
@sqlite_only
def test_trace_formats(synced: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, url = synced
    common = ["--database-url", url, "--path", str(repo.path)]
    code, out, _ = run(capsys, "trace", "ADR-0003", "--format", "json", *common)
    assert code == 0
    graph = json.loads(out)
    edges = {(e["source"], e["type"], e["target"]) for e in graph["edges"]}
    assert ("scenario:FEAT-1/SC-1", "implements", "adr:ADR-0003") in edges
    assert ("contract:CTR-0001", "implements", "adr:ADR-0003") in edges
    assert ("adr:ADR-0003", "related", "adr:ADR-0002") in edges
    assert ("feature:FEAT-1", "contains", "scenario:FEAT-1/SC-1") in edges  # depth 2 reaches the feature
    depth1 = json.loads(run(capsys, "trace", "ADR-0003", "--depth", "1", "--format", "json", *common)[1])
    assert {n["id"] for n in depth1["nodes"]} == {"adr:ADR-0003", "scenario:FEAT-1/SC-1", "contract:CTR-0001",
                                                  "adr:ADR-0002"}
    code, out, _ = run(capsys, "trace", "REQ-7", "--depth", "1", "--format", "dot", *common)
    assert code == 0 and out.startswith("digraph trace {") and '"requirement REQ-7"' in out and out.rstrip().endswith("}")
    code, out, _ = run(capsys, "trace", "FEAT-1/SC-1", "--format", "mermaid", *common)
    assert out.startswith("flowchart LR") and '-->|"implements"|' in out
    code, out, _ = run(capsys, "trace", "FEAT-1/SC-1", *common)
    assert "scenario FEAT-1/SC-1 -implements-> adr ADR-0003" in out
    code, _, err = run(capsys, "trace", "NOPE-1", *common)
    assert code == 2 and "NOPE-1" in err and err.count("\n") == 1


def test_matrix_states_and_formats(synced: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str],
                                   tmp_path: Any) -> None:
    from tracertm import db

    repo, url = synced
    common = ["--database-url", url, "--path", str(repo.path)]
    data = json.loads(run(capsys, "matrix", "--format", "json", *common)[1])
    states = {r["id"]: r["state"] for r in data["rows"]}
    # REQ-9 and REQ-10 are named by a scenario only, and no ADR or contract states them: orphaned.
    assert states == {"REQ-1": "uncovered", "REQ-7": "not executed", "REQ-9": "orphaned", "REQ-10": "orphaned"}
    repo.write("contracts/partial.yaml", contract(2, "Partial refunds") + "metadata: {requirement: REQ-9}\n")
    assert run(capsys, "sync", str(repo.path), "--database-url", url)[0] == 0
    # Results: SC-2 passes, SC-1 fails (database-owned columns, as the results importer writes them).
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(update(Scenario).where(Scenario.scenario_number == "SC-2").values(pass_rate=1.0))
        conn.execute(update(Scenario).where(Scenario.scenario_number == "SC-1").values(pass_rate=0.0))
    engine.dispose()
    data = json.loads(run(capsys, "matrix", "--format", "json", *common)[1])
    states = {r["id"]: r["state"] for r in data["rows"]}
    assert states == {"REQ-1": "uncovered", "REQ-7": "failing", "REQ-9": "covered", "REQ-10": "orphaned"}
    assert data["states"] == {"orphaned": 1, "uncovered": 1, "failing": 1, "suspect": 0, "not executed": 0,
                              "covered": 1}

    # By ADR: ADR-0003 covered by failing SC-1; a reference to a missing ADR is orphaned; a changed ADR is suspect.
    repo.write("features/other.feature", "@FEAT-2\nFeature: Other\n\n  @SC-1 @ADR-0042\n  Scenario: x\n    Given y\n")
    change_adr3(repo, url, capsys)
    adrs = {r["id"]: r for r in json.loads(run(capsys, "matrix", "--from", "adrs", "--format", "json", *common)[1])["rows"]}
    assert adrs["ADR-0042"]["state"] == "orphaned" and adrs["ADR-0042"]["title"] is None
    assert adrs["ADR-0003"]["state"] == "failing" and adrs["ADR-0003"]["suspect"] == ["CTR-0001", "FEAT-1/SC-1"]
    assert adrs["ADR-0002"]["state"] == "uncovered" and adrs["ADR-0002"]["features"] == ["FEAT-1"]
    assert adrs["ADR-0001"]["state"] == "failing"  # SC-1 inherits @ADR-1 from the feature
    run(capsys, "review", "--all", *common)
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(update(Scenario).where(Scenario.scenario_number == "SC-1").values(pass_rate=1.0))
    engine.dispose()
    change = repo.read("docs/adr/0001-use-git.md").replace("We will do it.", "We will do it, carefully.")
    repo.write("docs/adr/0001-use-git.md", change)
    run(capsys, "sync", str(repo.path), "--database-url", url)
    adrs = {r["id"]: r for r in json.loads(run(capsys, "matrix", "--from", "adrs", "--format", "json", *common)[1])["rows"]}
    assert adrs["ADR-0003"]["state"] == "covered" and adrs["ADR-0001"]["state"] == "suspect"

    code, out, _ = run(capsys, "matrix", "--format", "csv", *common)
    table = list(csv.reader(io.StringIO(out)))
    assert table[0][:3] == ["id", "title", "state"] and [r[0] for r in table[1:]] == ["REQ-1", "REQ-7", "REQ-9", "REQ-10"]
    page = tmp_path / "matrix.html"
    code, out, _ = run(capsys, "matrix", "--from", "adrs", "--format", "html", "-o", str(page), *common)
    html = page.read_text()
    assert code == 0 and out == "" and html.startswith("<!doctype html>") and "<main>" in html
    assert "<td>ADR-0042</td>" in html and "orphaned" in html
    code, out, _ = run(capsys, "matrix", *common)
    assert code == 0 and "REQ-10" in out and "4 requirements:" in out


def test_feature_edit_keeps_scenario_links_reviewed(synced: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str]) -> None:
    repo, url = synced
    change_adr3(repo, url, capsys)
    run(capsys, "review", "--all", "--database-url", url, "--path", str(repo.path))
    repo.write("features/refunds.feature", FEATURE.replace("full refund", "complete refund"))
    run(capsys, "sync", str(repo.path), "--database-url", url)
    link = links_of(url)[("FEAT-1/SC-1", "implements", "ADR-0003")]
    assert link["reviewed_version"] == link["target_version"] == 2


def test_check_strict_flags_suspect_links_from_the_database(
    synced: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, url = synced
    code, out, _ = run(capsys, "check", str(repo.path), "--strict")
    assert code == 0, out  # no database configured and no default one: nothing to look up, nothing created
    missing = repo.path.parent / "missing.db"
    monkeypatch.setenv("TRACERTM_DATABASE_URL", f"sqlite:///{missing}")
    assert run(capsys, "check", str(repo.path), "--strict")[0] == 0 and not missing.exists()
    monkeypatch.setenv("TRACERTM_DATABASE_URL", url)
    assert run(capsys, "check", str(repo.path), "--strict")[0] == 0
    change_adr3(repo, url, capsys)
    code, out, _ = run(capsys, "check", str(repo.path), "--strict")
    assert code == 1
    assert "features/refunds.feature:" in out and "suspect link: FEAT-1/SC-1 implements ADR-0003" in out
    # Run from another folder than the repository's: the review to paste names it (without, it found no project)
    assert f"tracertm review --path {repo.path} FEAT-1/SC-1" in out
    assert run(capsys, "check", str(repo.path))[0] == 0  # not strict: suspect links are not checked
    run(capsys, "review", "--all", "--path", str(repo.path))
    assert run(capsys, "check", str(repo.path), "--strict")[0] == 0


def test_check_reports_scenario_tags_naming_missing_adrs(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    seed(git_repo)
    git_repo.write("features/refunds.feature", FEATURE.replace("@ADR-0003", "@ADR-0077"))
    git_repo.commit("typo")
    code, out, _ = run(capsys, "check", str(git_repo.path))
    assert code == 1
    # At the scenario's tag line (5), not the feature's (2).
    assert "features/refunds.feature:5:9: scenario SC-1 tag refers to ADR-0077, which is not an ADR" in out
    git_repo.git("add", "-A")
    code, out, _ = run(capsys, "check", str(git_repo.path), "--staged", "--all")
    assert code == 1 and "ADR-0077" in out


@sqlite_only
def test_a_reviewer_name_with_a_control_character_is_refused(
    synced: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A line break or an escape sequence in ``--by`` (or git's user.name) would be stored as who reviewed and shown by
    every reader: one usage line instead, nothing reviewed (tokens' labels and project names refuse them alike)."""
    repo, url = synced
    common = ["--database-url", url, "--path", str(repo.path)]
    change_adr3(repo, url, capsys)
    for name in ("Evil\x1b[31mRed", "two\nlines"):
        code, _, err = run(capsys, "review", "FEAT-1/SC-1", "--by", name, *common)
        assert code == 2 and "--by: the reviewer's name holds a control character" in err, err
        assert len(err.splitlines()) == 1
    code, out, _ = run(capsys, "status", *common)
    assert "(2 suspect, 0 dangling)" in out


# Mermaid's flowchart grammar (mermaid 11: ``arrowText: PIPE text PIPE``), for the lines ``trace`` writes: a node
# is an id and a double-quoted label without a double quote; an edge label is a double-quoted string as well — a
# bare one may not hold a parenthesis, and ``|implements (suspect)|`` failed the whole diagram (checked against
# mermaid 11.17.2's own ``mermaid.parse``: the quoted form parses).
MERMAID_NODE = re.compile(r'  n\d+\["[^"\[\](){}<>|#;`]*"\]')
MERMAID_EDGE = re.compile(r'  n\d+ (?:-->|-\.->)\|"[^"]*"\| n\d+')


def test_mermaid_writes_suspect_and_dangling_edges_as_mermaid_reads_them(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git (really)"))
    git_repo.write("features/a.feature", "@FEAT-1 @ADR-0001 @ADR-0009\nFeature: A [b]\n\n  @SC-1\n  Scenario: s\n"
                                         "    Given x\n")
    git_repo.commit("specs")
    assert main(["sync", str(git_repo.path), "--database-url", url]) == 0
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git (really)", decision="Changed."))
    git_repo.commit("the decision changed")
    assert main(["sync", str(git_repo.path), "--database-url", url]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "trace", "FEAT-1", "--depth", "1", "--format", "mermaid", "--database-url", url,
                       "--path", str(git_repo.path))
    lines = out.splitlines()
    assert code == 0 and lines[0] == "flowchart LR"
    assert [line for line in lines[1:] if not (MERMAID_NODE.fullmatch(line) or MERMAID_EDGE.fullmatch(line))] == []
    edges = {line.split("|")[1] for line in lines if MERMAID_EDGE.fullmatch(line)}
    assert edges == {'"implements (suspect)"', '"implements (dangling)"', '"contains"'}, lines


def behave_report(path: Any) -> None:
    """A behave JSON report of the refunds feature's two scenarios (lines 6 and 12): one failed, one passed."""
    def element(name: str, line: int, status: str) -> dict[str, Any]:
        return {"keyword": "Scenario", "name": name, "line": line, "type": "scenario",
                "steps": [{"keyword": "Given ", "name": "a paid order", "line": line + 1,
                           "result": {"status": status, "duration": 1}}]}

    path.write_text(json.dumps([{"uri": "features/refunds.feature", "keyword": "Feature", "name": "Refunds",
                                 "line": 2, "elements": [element("full refund", 6, "failed"),
                                                         element("partial refund", 12, "passed")]}]))


def test_a_changed_feature_id_says_what_the_old_record_keeps(
    synced: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    """README "Renamed files (moves)": a new id is a new record. The sync says what stays with the deleted one
    (its suspect links, test results), in one warning line; nothing when it keeps nothing."""
    repo, url = synced
    common = ["--database-url", url, "--path", str(repo.path)]
    repo.write("features/refunds.feature", FEATURE.replace("@FEAT-1 ", "@FEAT-3 "))
    code, out, err = run(capsys, "sync", str(repo.path), "--database-url", url)
    assert code == 0 and "is now" not in out + err, out + err  # FEAT-1 kept nothing: no word

    change_adr3(repo, url, capsys)  # FEAT-3/SC-1 → ADR-0003 suspect
    report = tmp_path / "behave.json"
    behave_report(report)
    code, _, err = run(capsys, "results", "import", str(report), *common)
    assert code == 0, err
    repo.write("features/refunds.feature", FEATURE.replace("@FEAT-1 ", "@FEAT-4 "))
    code, out, err = run(capsys, "sync", str(repo.path), "--database-url", url, "--dry-run")
    assert code == 0 and "FEAT-3 is now FEAT-4" in out + err, out + err  # told before it happens too
    code, out, err = run(capsys, "sync", str(repo.path), "--database-url", url)
    lines = [x for x in (out + err).splitlines() if "is now" in x]
    assert code == 0 and lines == [
        "features/refunds.feature:1:1: warning: FEAT-3 is now FEAT-4 (a new id is a new record): the 1 suspect "
        "link of FEAT-3 and its 2 test results stay with FEAT-3 (deleted); write the id FEAT-3 back in the file "
        "to keep them, or check FEAT-4 against ADR-0003 (its links start reviewed)"], out + err
    code, out, _ = run(capsys, "status", *common)
    assert "(1 suspect, 0 dangling)" in out and "FEAT-4" not in out  # the contract's only: what the warning said
