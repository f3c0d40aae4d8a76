"""A Kotlin step file with an annotation left unclosed (``@Given("foo"`` without its ``)``): tree-sitter-kotlin turns
the whole class into one ERROR node. The error is said at the broken annotation's line and the file's other
definitions still count (``tracertm.steps.kotlin._recovered``); a sync still refuses the file (its stored
definitions stay as they were).
"""

from __future__ import annotations

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.steps.kotlin import parse
from tracertm.steps.project import analyze

ANNOTATED = """\
package steps

import io.cucumber.java.en.Given
import io.cucumber.java.en.When

class Steps {
    @Given("a user")
    fun aUser() {
    }

    @Given("foo"
    fun foo() {
    }

    @When("it runs {int} times")
    fun runs(n: Int) {
    }
}
"""
GLUE = """\
package steps

import io.cucumber.java8.En

class Glue : En {
    init {
        Given("a glue step") { }
        Given("broken" { }
        When("it counts {int}") { n: Int -> }
    }
}

class Two {
    @Given("x"
    fun x() {}
    @When("y"
    fun y() {}
    @Then("z")
    fun z() {}
}
"""
TOP_LEVEL = """\
package steps

import io.cucumber.java.en.Given

@Given("foo"
fun foo() {}

@Given("bar")
fun bar() {}
"""


def _read(source: str) -> tuple[list[tuple[int, str]], list[tuple[int, int]]]:
    step_file = parse("src/test/kotlin/Steps.kt", source.encode())
    return ([(d.line, d.pattern) for d in step_file.definitions],
            [(e.line, e.column) for e in step_file.errors])


def test_the_error_is_at_the_broken_annotation_and_the_class_still_counts() -> None:
    assert _read(ANNOTATED) == ([(7, "a user"), (15, "it runs {int} times")], [(11, 5)])


def test_each_broken_piece_is_one_error_and_glue_calls_count_too() -> None:
    definitions, errors = _read(GLUE)
    assert definitions == [(7, "a glue step"), (9, "it counts {int}"), (18, "z")]
    assert errors == [(8, 9), (14, 5), (16, 5)]


def test_at_the_top_level() -> None:
    assert _read(TOP_LEVEL) == ([(8, "bar")], [(5, 1)])


def test_a_file_without_errors_is_read_once_as_before() -> None:
    fixed = ANNOTATED.replace('@Given("foo"\n', '@Given("foo")\n')
    assert _read(fixed) == ([(7, "a user"), (11, "foo"), (15, "it runs {int} times")], [])


def test_the_report_and_a_sync(git_repo: GitRepo, database_url: str) -> None:
    from sqlalchemy import select

    from tracertm.models import StepDefinition

    path = "src/test/kotlin/Steps.kt"
    git_repo.write("features/run.feature",
                   "Feature: Run\n  Scenario: s\n    Given a user\n    When it runs 3 times\n")
    git_repo.write(path, ANNOTATED.replace('@Given("foo"\n', '@Given("foo")\n'))
    git_repo.commit("steps")
    assert not sync(git_repo.path, database_url=database_url).errors
    engine = db.make_engine(database_url)

    def stored() -> list[tuple[str, int]]:
        with db.session(engine) as session:
            return sorted((row.pattern, row.line) for row in session.execute(select(StepDefinition)).scalars())

    try:
        before = stored()
        assert len(before) == 3
        git_repo.write(path, ANNOTATED)
        git_repo.commit("broken annotation")
        report = analyze(git_repo.path)
        assert [(e.path, e.line) for e in report.errors] == [(path, 11)]
        assert [r.status for r in report.results] == ["defined", "defined"]
        result = sync(git_repo.path, database_url=database_url)
        assert [(e.path, e.line) for e in result.errors] == [(path, 11)]
        assert stored() == before
    finally:
        engine.dispose()
