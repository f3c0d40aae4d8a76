"""Step and test links on SQLite and PostgreSQL: scenario → step definition links follow sync's step matching (and
turn suspect when a definition's pattern changes), scenario → test case links come from results import through the
mapping; both show in ``trace``, ``show`` and the matrix, and survive a rebuild."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import contract
from test_trace_links import links
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.models import Project, Scenario
from tracertm.results import import_results
from tracertm.trace.results import add_test_links, link_scenarios_to_test_cases

FEATURE = """\
@FEAT-1 @REQ-1
Feature: Basket

  @SC-1
  Scenario: add
    Given an empty basket
    When I add 2 "apples"
    Then the basket holds 2 items

  @SC-2
  Scenario: empty
    Given an empty basket
    Then the basket holds 0 items
"""
STEPS = r"""const { Given, When, Then } = require('@cucumber/cucumber');

Given('an empty basket', function empty() {});
When('I add {int} {string}', function add(n, what) {});
Then(/^the basket holds (\d+) items?$/, function holds(n) {});
"""
PATH = "features/step_definitions/basket.js"
TC = "features/basket.feature"  # test ids of Cucumber JSON: uri::id


def report(*scenarios: tuple[str, int, str, str]) -> bytes:
    """A Cucumber JSON report: (tag, line, name, status) per scenario."""
    elements = [
        {"type": "scenario", "id": f"basket;{name}", "name": name, "line": line, "keyword": "Scenario",
         "tags": [{"name": f"@{tag}"}],
         "steps": [{"keyword": "Given ", "name": "an empty basket", "line": line + 1,
                    "result": {"status": status, "duration": 1000}}]}
        for tag, line, name, status in scenarios
    ]
    doc = [{"uri": "features/basket.feature", "id": "basket", "name": "Basket", "keyword": "Feature", "line": 2,
            "elements": elements}]
    return json.dumps(doc).encode()


@pytest.fixture
def basket(git_repo: GitRepo, engine: Any) -> GitRepo:
    git_repo.write("features/basket.feature", FEATURE)
    git_repo.write(PATH, STEPS)
    git_repo.write("contracts/basket.yaml", contract(1, "Basket") + "metadata: {requirement: REQ-1}\n")
    git_repo.commit("basket")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    return git_repo


def step_links(engine: Any) -> dict[tuple[str, str], Any]:
    return {(k[0], k[2].rsplit("::", 1)[-1]): v for k, v in links(engine).items() if k[1] == "step"}


def test_step_links_follow_the_matches(basket: GitRepo, engine: Any, database_url: str,
                                       capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    found = step_links(engine)
    assert set(found) == {("FEAT-1/SC-1", "empty"), ("FEAT-1/SC-1", "add"), ("FEAT-1/SC-1", "holds"),
                          ("FEAT-1/SC-2", "empty"), ("FEAT-1/SC-2", "holds")}
    add = found[("FEAT-1/SC-1", "add")]
    assert (add["target_kind"], add["target_ref"], add["source_path"], add["source_line"]) == (
        "step_definition", f"{PATH}::add", "features/basket.feature", 7)  # the step that uses it
    assert add["target_version"] == add["reviewed_version"] == 1

    # A pattern change is a new content version of the definition: its links turn suspect; the others stay ok.
    basket.write(PATH, STEPS.replace(r"(\d+) items?", r"(\d+) items?\.?"))
    basket.commit("holds")
    sync(basket.path, engine=engine, project="shop")
    found = step_links(engine)
    assert {k for k, v in found.items() if v["target_version"] != v["reviewed_version"]} == {
        ("FEAT-1/SC-1", "holds"), ("FEAT-1/SC-2", "holds")}
    # The scenarios whose step definition changed are flagged by status, show and check --strict.
    common = ["--database-url", database_url, "--project", "shop", "--path", str(basket.path)]
    assert main(["status", *common]) == 0
    out = capsys.readouterr().out
    assert "(2 suspect, 0 dangling)" in out and f"FEAT-1/SC-1 step {PATH}::holds (suspect: reviewed at v1, changed at v2)" in out
    assert main(["show", "FEAT-1/SC-2", *common]) == 0
    assert f"! FEAT-1/SC-2 step {PATH}::holds (suspect" in capsys.readouterr().out
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    (basket.path / "pyproject.toml").write_text('[tool.tracertm]\nproject = "shop"\n')
    assert main(["check", str(basket.path), "--strict"]) == 1
    out = capsys.readouterr().out
    assert f"features/basket.feature:8:1: suspect link: FEAT-1/SC-1 step {PATH}::holds" in out
    (basket.path / "pyproject.toml").unlink()
    # Reviewing a step definition reviews the suspect links to it.
    assert main(["review", f"{PATH}::holds", "--by", "Ada", *common]) == 0
    assert capsys.readouterr().out.count("reviewed FEAT-1/SC-") == 2
    assert all(v["reviewed_by"] == "Ada" for k, v in step_links(engine).items() if k[1] == "holds")

    # A step that stops matching loses its link; a removed definition takes its links with it (no dangling).
    basket.write("features/basket.feature", FEATURE.replace('When I add 2 "apples"', "When I juggle"))
    basket.write(PATH, STEPS.replace("Given('an empty basket', function empty() {});\n", ""))
    basket.commit("juggle")
    result = sync(basket.path, engine=engine, project="shop")
    assert result.links == []
    assert set(step_links(engine)) == {("FEAT-1/SC-1", "holds"), ("FEAT-1/SC-2", "holds")}

    # A no-op sync changes nothing; a full sync rebuilds the same links with their reviews.
    before = links(engine)
    assert not sync(basket.path, engine=engine, project="shop").changed
    sync(basket.path, engine=engine, project="shop", full=True)
    after = links(engine)
    assert set(after) == set(before)
    assert all(after[k]["reviewed_version"] == before[k]["reviewed_version"] for k in before)


def test_test_links_come_from_results_import(basket: GitRepo, engine: Any, database_url: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    summary = import_results(engine, "shop", [("cucumber.json", report(("SC-1", 5, "add", "passed"),
                                                                       ("SC-2", 11, "empty", "failed")))])
    assert summary.matched["tag"] == 2
    tests = {k[0]: v for k, v in links(engine).items() if k[1] == "test"}
    assert set(tests) == {"FEAT-1/SC-1", "FEAT-1/SC-2"}
    assert tests["FEAT-1/SC-1"]["target_kind"] == "test_case" and tests["FEAT-1/SC-1"]["target_ref"] == "features/basket.feature::basket;add"
    assert tests["FEAT-1/SC-1"]["source_line"] == 6  # its first step
    # The same mapping again adds nothing (a second run of other files, same scenarios).
    import_results(engine, "shop", [("again.json", report(("SC-1", 5, "add", "passed")) + b" ")])
    assert len([k for k in links(engine) if k[1] == "test"]) == 2

    common = ["--database-url", database_url, "--project", "shop"]
    code = main(["matrix", "--format", "json", *common])
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert code == 0 and rows["REQ-1"]["tests"] == [f"{TC}::basket;add", f"{TC}::basket;empty"]
    assert rows["REQ-1"]["state"] == "failing"

    code = main(["trace", "FEAT-1/SC-1", "--depth", "1", "--format", "json", *common])
    graph = json.loads(capsys.readouterr().out)
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes[f"test_case:{TC}::basket;add"]["title"] == "add"
    assert not nodes[f"test_case:{TC}::basket;add"]["missing"]
    assert nodes[f"step_definition:{PATH}::add"]["title"] == "I add {int} {string}"
    assert ("scenario:FEAT-1/SC-1", "test", f"test_case:{TC}::basket;add") in {
        (e["source"], e["type"], e["target"]) for e in graph["edges"]}
    # Step definitions and test cases are leaves: a shared step does not pull in every scenario that uses it.
    code = main(["trace", "FEAT-1/SC-1", "--depth", "2", "--format", "json", *common])
    edges = {(e["source"], e["type"], e["target"]) for e in json.loads(capsys.readouterr().out)["edges"]}
    assert ("scenario:FEAT-1/SC-1", "step", f"step_definition:{PATH}::empty") in edges
    assert not [e for e in edges if e[0] == "scenario:FEAT-1/SC-2" and e[1] == "step"]
    assert ("feature:FEAT-1", "contains", "scenario:FEAT-1/SC-2") in edges  # reached through its feature instead
    code = main(["trace", f"{PATH}::add", "--depth", "1", *common])
    out = capsys.readouterr().out
    assert code == 0 and f"scenario FEAT-1/SC-1 -step-> step_definition {PATH}::add" in out

    code = main(["show", "FEAT-1/SC-2", *common, "--path", str(basket.path)])
    out = capsys.readouterr().out
    assert code == 0 and f"FEAT-1/SC-2 test {TC}::basket;empty" in out and f"FEAT-1/SC-2 step {PATH}::holds" in out

    # A scenario deleted and restored gets its test link back (the mapping survives in the database).
    basket.write("features/basket.feature", FEATURE.split("  @SC-2")[0])
    basket.commit("drop SC-2")
    sync(basket.path, engine=engine, project="shop")
    assert "FEAT-1/SC-2" not in {k[0] for k in links(engine) if k[1] == "test"}
    basket.write("features/basket.feature", FEATURE)
    basket.commit("SC-2 is back")
    sync(basket.path, engine=engine, project="shop")
    assert {k[0] for k in links(engine) if k[1] == "test"} == {"FEAT-1/SC-1", "FEAT-1/SC-2"}


def test_step_and_test_links_follow_a_renamed_feature_file(basket: GitRepo, engine: Any) -> None:
    """A feature file renamed (``git mv``, nothing else changed) takes its scenarios' step and test links with it,
    in a sync and in a rebuild (``--full``): those links are not derived from the file, and only the scenarios whose
    links name another path are updated (``engine.scenario_moves``); the others' rows are left as they are."""
    import_results(engine, "shop", [("cucumber.json", report(("SC-1", 5, "add", "passed")))])
    basket.write("features/other.feature", "@FEAT-2\nFeature: Other\n\n  @SC-1\n  Scenario: o\n"
                                           "    Given an empty basket\n")
    basket.commit("other")
    sync(basket.path, engine=engine, project="shop")

    def placed() -> dict[tuple[str, str, str], tuple[str, Any]]:
        return {k: (v["source_path"], v["updated_at"]) for k, v in links(engine).items() if k[1] in ("step", "test")}

    before = placed()
    assert {path for path, _ in before.values()} == {"features/basket.feature", "features/other.feature"}
    assert ("FEAT-1/SC-1", "test", f"{TC}::basket;add") in before
    basket.git("mv", "features/basket.feature", "features/cart.feature")
    basket.commit("rename")
    sync(basket.path, engine=engine, project="shop")
    after = placed()
    assert after.keys() == before.keys()
    for key, (path, stamp) in after.items():
        if key[0].startswith("FEAT-1/"):
            assert path == "features/cart.feature", key
        else:  # the other feature's scenario did not move: its link is the row it was
            assert (path, stamp) == before[key], key
    basket.git("mv", "features/cart.feature", "features/basket.feature")
    basket.commit("rename back")
    sync(basket.path, engine=engine, project="shop", full=True)
    assert {k: path for k, (path, _) in placed().items()} == {k: path for k, (path, _) in before.items()}


@pytest.mark.parametrize("writer", ["driver", "reference"])
def test_test_links_are_set_based_and_idempotent(basket: GitRepo, engine: Any, writer: str) -> None:
    """The import's writer (``add_test_links``) and the reference it is held equal to
    (``link_scenarios_to_test_cases``): a pair given twice is one link, a link that exists is not added again."""

    def link(session: Any, project_id: Any, pairs: Any) -> int:
        if writer == "driver":
            return add_test_links(session.connection(), project_id, pairs)
        return link_scenarios_to_test_cases(session, project_id, pairs)

    import_results(engine, "shop", [("cucumber.json", report(("SC-1", 5, "add", "passed")))])
    with db.session(engine) as session, session.begin():
        project = session.execute(select(Project)).scalar_one()
        scenarios = dict(session.execute(select(Scenario.scenario_number, Scenario.id)).all())
        case = next(v["target_id"] for k, v in links(engine).items() if k[1] == "test")
        pairs = [(scenarios["SC-1"], case), (scenarios["SC-2"], case), (scenarios["SC-2"], case)]
        assert link(session, project.id, pairs) == 1
        assert link(session, project.id, pairs) == 0
        assert link(session, project.id, []) == 0
    tests = [k[0] for k in links(engine) if k[1] == "test"]
    assert sorted(tests) == ["FEAT-1/SC-1", "FEAT-1/SC-2"]


def test_test_cases_a_patch_names_are_test_links(basket: GitRepo, engine: Any) -> None:
    """The test cases a ``PATCH`` names in a scenario's ``test_case_ids`` are its test links too, in the PATCH's
    transaction (``GET …/links``, ``trace``, the matrix): naming one no more takes its link, not the one the results
    import tied (its review kept); a sync and a rebuild keep them."""
    from apikit import api_client, make_token

    import_results(engine, "shop", [("cucumber.json", report(("SC-1", 5, "add", "passed"),
                                                             ("SC-2", 11, "empty", "failed")))])
    cases = {k[2]: v["target_id"] for k, v in links(engine).items() if k[1] == "test"}
    add, empty = f"{TC}::basket;add", f"{TC}::basket;empty"
    api, sc2 = "/api/v1", "/api/v1/scenarios/FEAT-1/SC-2"
    with api_client(engine) as client:
        def patch(ids: list[str]) -> dict[str, Any]:
            version = client.get(sc2).json()["version"]
            answer = client.patch(sc2, json={"test_case_ids": ids}, headers={
                "Authorization": f"Bearer {make_token(engine)}", "If-Match": f'"{version}"'})
            assert answer.status_code == 200 and answer.json()["version"] == version + 1, answer.text
            return answer.json()  # type: ignore[no-any-return]

        def tests() -> set[str]:
            page = client.get(f"{api}/projects/shop/links", params={"source": "FEAT-1/SC-2", "type": "test"})
            trace = client.get(f"{api}/projects/shop/trace/FEAT-1/SC-2", params={"depth": 1}).json()
            edges = {e["target"].removeprefix("test_case:") for e in trace["edges"] if e["type"] == "test"}
            assert {i["target"]["id"] for i in page.json()["items"]} == edges
            return edges

        assert tests() == {empty}
        assert patch([str(cases[add])])["test_case_ids"] == [str(cases[add])]
        assert tests() == {empty, add}
        rows = {r["id"]: r for r in client.get(f"{api}/projects/shop/matrix").json()["rows"]}
        assert rows["REQ-1"]["tests"] == [add, empty]
        reviewed = {k[0]: v["reviewed_version"] for k, v in links(engine).items() if k[1:] == ("test", add)}
        assert reviewed == {"FEAT-1/SC-1": 1, "FEAT-1/SC-2": 1}
        sync(basket.path, engine=engine, project="shop", full=True)
        assert tests() == {empty, add}
        # The results-tied test case named, then no test case: the hand-named link goes, the results' stays.
        patch([str(cases[empty])])
        assert tests() == {empty}
        patch([str(cases[add])])
        patch([])
        assert tests() == {empty}
        patch([str(cases[add])])
        # A named test case deleted keeps its link, as a results-tied one does; a deleted one is not named anew.
        case_url = f"{api}/test-cases/{quote(add, safe='')}"
        case_version = client.get(case_url).json()["version"]
        token = {"Authorization": f"Bearer {make_token(engine)}"}
        assert client.delete(case_url, headers={**token, "If-Match": f'"{case_version}"'}).status_code == 200
        sync(basket.path, engine=engine, project="shop", full=True)
        assert tests() == {empty, add}
        assert patch([str(cases[add]), str(cases[empty])])["test_case_ids"] == [str(cases[add]), str(cases[empty])]
        patch([])
        version = client.get(sc2).json()["version"]
        refused = client.patch(sc2, json={"test_case_ids": [str(cases[add])]},
                               headers={**token, "If-Match": f'"{version}"'})
        assert refused.status_code == 422 and f"{cases[add]} is a deleted test case of this project" in refused.text
        assert f"/test-cases/{cases[add]}/restore" in refused.text
        restored = client.post(f"{case_url}/restore", headers={**token, "If-Match": f'"{case_version + 1}"'})
        assert restored.status_code == 200, restored.text
        patch([str(cases[add])])
    basket.write("features/basket.feature", FEATURE.replace("Then the basket holds 0", "Then the basket holds 1"))
    basket.commit("SC-2 changes")
    sync(basket.path, engine=engine, project="shop")
    assert {k[0] for k in links(engine) if k[1:] == ("test", add)} == {"FEAT-1/SC-1", "FEAT-1/SC-2"}


def test_a_test_case_a_patch_names_is_not_unmatched(basket: GitRepo, engine: Any, database_url: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """``results unmatched`` lists the test cases tied to no scenario: one a ``PATCH`` names in a scenario's
    ``test_case_ids`` is tied (a test link, as a results-tied one is), and was listed. A deleted scenario's names tie
    their test cases as its association rows do."""
    from apikit import api_client, make_token

    import_results(engine, "shop", [("cucumber.json", report(("SC-1", 5, "add", "passed"),
                                                             ("SC-9", 40, "elsewhere", "failed")))])
    common = ["--database-url", database_url, "--project", "shop", "--path", str(basket.path)]

    def unmatched() -> list[str]:
        assert main(["results", "unmatched", "--output", "json", *common]) == 0
        listed = [row["test"] for row in json.loads(capsys.readouterr().out)]
        assert main(["results", "unmatched", *common]) == 0
        text = capsys.readouterr().out
        assert all(test in text for test in listed) and ("every test case maps" in text) == (not listed)
        return listed

    elsewhere = f"{TC}::basket;elsewhere"
    assert unmatched() == [elsewhere]
    sc2 = "/api/v1/scenarios/FEAT-1/SC-2"
    with api_client(engine) as client:
        case = client.get(f"/api/v1/test-cases/{quote(elsewhere, safe='')}").json()["id"]

        def patch(ids: list[str]) -> None:
            version = client.get(sc2).json()["version"]
            answer = client.patch(sc2, json={"test_case_ids": ids}, headers={
                "Authorization": f"Bearer {make_token(engine)}", "If-Match": f'"{version}"'})
            assert answer.status_code == 200, answer.text

        patch([case])
        assert unmatched() == []
        patch([])
        assert unmatched() == [elsewhere]
        patch([case])
    # Both scenarios deleted: SC-1's association row and SC-2's name still tie their test cases.
    basket.remove("features/basket.feature")
    basket.commit("no basket")
    sync(basket.path, engine=engine, project="shop")
    with db.session(engine) as session:
        assert all(s.deleted_at is not None for s in session.execute(
            select(Scenario).execution_options(include_deleted=True)).scalars())
    assert unmatched() == []
