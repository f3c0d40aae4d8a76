"""behave's JUnit classname ``<path>.<Feature>`` tells apart two feature files whose features share a name; and a
scenario without steps (an outline with only its Examples) is matched by its line, its rows too, when the feature
files are read at the run's commit.

Real files: ``fixtures/behave-gherkin-v6`` holds behave's (BSD) ``examples/gherkin_v6/features/rule_{1,2}.feature``
and the reports behave 1.3 ``--junit`` wrote for them; ``fixtures/godog-few-empty`` holds cucumber/godog's (MIT)
``internal/formatters/formatter-tests/features/with_few_empty_scenarios.feature`` and its ``cucumber`` formatter
output (Cucumber JSON)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.results import import_results
from tracertm.results.scenarios import scenario_ref

FIXTURES = Path(__file__).parent / "fixtures"
BEHAVE = FIXTURES / "behave-gherkin-v6"
GODOG = FIXTURES / "godog-few-empty"


def _stored(database_url: str, project: str) -> list[tuple[str, str | None, str | None, str | None]]:
    """(test case, scenario as feature/scenario number, row, match rule) of the project's results."""
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as connection:
            return sorted((row[0], row[1], row[2], row[3]) for row in connection.execute(text(
                "SELECT c.test_case_number, f.feature_number || '/' || s.scenario_number, r.example_row, "
                "r.match_rule FROM test_results r JOIN test_cases c ON c.id = r.test_case_id "
                "JOIN projects p ON p.id = c.project_id LEFT JOIN scenarios s ON s.id = r.scenario_id "
                "LEFT JOIN features f ON f.id = s.feature_id WHERE p.name = :p"), {"p": project}))
    finally:
        engine.dispose()


def test_behave_classname_path_picks_among_features_of_one_name(git_repo: GitRepo, database_url: str) -> None:
    for name in ("rule_1.feature", "rule_2.feature"):
        git_repo.write(f"features/{name}", (BEHAVE / name).read_text(encoding="utf-8"))
    git_repo.commit("two features of one name")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="behave").errors
    summary = import_results(database_url, "behave", [BEHAVE / "TESTS-rule_1.xml", BEHAVE / "TESTS-rule_2.xml"],
                             commit=git_repo.head(), repo=git_repo.path)
    assert (summary.total, summary.matched, summary.unmatched) == (12, {"tag": 0, "line": 0, "name": 12}, 0)
    stored = _stored(database_url, "behave")
    # Each test goes to the scenario of the file its classname's path names (rule_2 has a second Examples block).
    assert all(test.split(".", 1)[0] == scenario.split("/", 1)[0]
               for test, scenario, _row, _rule in stored if scenario)
    assert [(s, row) for t, s, row, _rule in stored if "R3.Scenario" in t] == [
        ("rule_1/R3.Scenario", "1.1"), ("rule_1/R3.Scenario", "1.2"), ("rule_2/R3.Scenario", "1.1"),
        ("rule_2/R3.Scenario", "1.2"), ("rule_2/R3.Scenario", "2.1"), ("rule_2/R3.Scenario", "2.2")]


def test_behave_classname_path_in_a_subfolder(git_repo: GitRepo, database_url: str) -> None:
    """A folder under the features folder is a dot in behave's classname (``shop.cart``); a file of that name in
    another folder is not it."""
    feature = "Feature: Cart\n\n  Scenario: Add\n    Given a step\n"
    git_repo.write("features/shop/cart.feature", feature)
    git_repo.write("features/admin/cart.feature", feature)
    git_repo.commit("two carts")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="sub").errors
    report = (b'<testsuite name="shop.cart.Cart"><testcase classname="shop.cart.Cart" name="Add" status="failed">'
              b'<failure message="no"/></testcase></testsuite>')
    summary = import_results(database_url, "sub", [("TESTS-shop.cart.xml", report)], commit=git_repo.head())
    assert (summary.matched["name"], summary.ambiguous) == (1, 0)
    stored = _stored(database_url, "sub")
    assert len(stored) == 1 and stored[0][1] is not None
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as connection:
            path = connection.execute(text(
                "SELECT f.source_path FROM scenarios s JOIN features f ON f.id = s.feature_id JOIN test_results r "
                "ON r.scenario_id = s.id")).scalar_one()
    finally:
        engine.dispose()
    assert path == "features/shop/cart.feature"


def test_a_scenario_without_steps_is_matched_by_line_with_its_rows(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("formatter-tests/features/with_few_empty_scenarios.feature",
                   (GODOG / "with_few_empty_scenarios.feature").read_text(encoding="utf-8"))
    git_repo.write(".tracertm.toml", 'feature_paths = ["formatter-tests/features/*.feature"]\n')
    git_repo.commit("empty scenarios")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="godog").errors
    summary = import_results(database_url, "godog", [GODOG / "with_few_empty_scenarios.json"],
                             commit=git_repo.head(), repo=git_repo.path)
    assert (summary.total, summary.matched) == (5, {"tag": 0, "line": 5, "name": 0})
    base = "formatter-tests/features/with_few_empty_scenarios.feature::few-empty-scenarios;"
    assert [(t.removeprefix(base), row, rule) for t, _s, row, rule in _stored(database_url, "godog")] == [
        ("one", None, "line"), ("three", None, "line"), ("two;first-group;2", "1.1", "line"),
        ("two;first-group;3", "1.2", "line"), ("two;second-group;2", "2.1", "line")]


def test_a_keyword_line_places_a_stepless_outline_and_its_rows() -> None:
    fields = {
        "scenario_number": "two", "title": "two",
        "gherkin_text": "@tag\nScenario Outline: two\n\n  Examples: first group\n    | one | two |\n    | 1 | 2 |\n"
                        "    | 4 | 7 |\n\n  Examples: second group\n    | one | two |\n    | 5 | 9 |",
        "examples": [{"name": "first group", "columns": ["one", "two"], "rows": [["1", "2"], ["4", "7"]]},
                     {"name": "second group", "columns": ["one", "two"], "rows": [["5", "9"]]}],
    }
    assert scenario_ref(1, "f", "F", "f.feature", fields).line is None  # nothing stored tells its line
    ref = scenario_ref(1, "f", "F", "f.feature", fields, 5)
    assert (ref.line, [(row.ident, row.line) for row in ref.rows]) == (5, [("1.1", 9), ("1.2", 10), ("2.1", 14)])
