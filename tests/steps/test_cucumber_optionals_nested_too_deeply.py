"""A Cucumber Expression whose optionals nest a few hundred deep: the ``cucumber-expressions`` package's parser
recurses per nested optional, and its RecursionError came out of ``check`` and ``tracertm steps`` as an internal
error, and out of ``sync`` as ``path:0:0: document is nested too deeply to parse`` (no line, nothing to do). Cucumber
refuses any optional inside an optional, so it is the project's error at the definition's line; the rest of the
project still counts."""

from __future__ import annotations

from conftest import GitRepo
from tracertm import db
from tracertm.checker import check
from tracertm.engine.sync import sync
from tracertm.steps.project import analyze
from tracertm.steps.packed import match_rows

PATH = "features/step_definitions/rain.js"
# 500 levels: the pattern (1,000 characters) is under the id limit, the parser's recursion is past Python's.
DEEP = "(a" * 500 + ")" * 500


def _project(repo: GitRepo) -> None:
    repo.write("features/rain.feature", "Feature: Rain\n  Scenario: s\n    Given it rains\n    When it snows\n")
    repo.write(PATH, "const { Given, When } = require('@cucumber/cucumber');\n"
                     f"Given('it {DEEP}', function () {{}});\n"
                     "When('it snows', function () {});\n")
    repo.commit("optionals nested 500 deep")


def _is_the_error(message: str) -> bool:
    return "is not a valid Cucumber Expression" in message and "nested too deeply" in message


def test_check_and_steps_name_the_definition(git_repo: GitRepo) -> None:
    _project(git_repo)
    result = check(git_repo.path)  # was: RecursionError
    assert not result.ok
    assert [(e.path, e.line, _is_the_error(e.message)) for e in result.errors] == [(PATH, 2, True)]
    report = analyze(git_repo.path)  # was: RecursionError
    assert [(e.path, e.line, _is_the_error(e.message)) for e in report.errors] == [(PATH, 2, True)]
    assert "\n" not in report.errors[0].message
    assert [r.status for r in report.results] == ["undefined", "defined"]


def test_sync_names_the_definition_and_keeps_the_rest(git_repo: GitRepo, database_url: str) -> None:
    _project(git_repo)
    result = sync(git_repo.path, database_url=database_url)
    # was: features/step_definitions/rain.js:0:0: document is nested too deeply to parse
    assert [(e.path, e.line, _is_the_error(e.message)) for e in result.errors] == [(PATH, 2, True)]
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            assert sorted(m.step_text for m in match_rows(session)) == ["it rains", "it snows"]
    finally:
        engine.dispose()
