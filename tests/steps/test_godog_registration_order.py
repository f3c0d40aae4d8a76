"""godog (not strict) runs the first registered of several matching definitions — ``suite.matchStepTextAndType``
walks ``s.steps`` in the order the ``ctx.Step`` calls appended them (cucumber/godog ``suite.go``,
``test_context.go``) —, so the order is that of the calls the scenario initializer makes, helpers included, not the
lines of the file (``tracertm.steps.golang._registration_order``, ``StepDefinition.registration``).
"""

from __future__ import annotations

from typing import Any

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.steps.golang import parse
from tracertm.steps.matching import settle
from tracertm.steps.model import StepDefinition
from tracertm.steps.project import analyze

HELPERS = """\
package steps

import "github.com/cucumber/godog"

func registerCommon(ctx *godog.ScenarioContext) {
	ctx.Step(`^I have (\\d+) apples$`, haveCommon)
}

func registerSpecific(ctx *godog.ScenarioContext) {
	ctx.Step(`^I have (.*) apples$`, haveSpecific)
}

func InitializeScenario(ctx *godog.ScenarioContext) {
	ctx.Step(`^a first step$`, first)
	registerSpecific(ctx)
	registerCommon(ctx)
	ctx.Before(func(c context.Context, sc *godog.Scenario) (context.Context, error) {
		registerCommon(nil) // runs before each scenario, after registration: no order of its own
		return c, nil
	})
}
"""
FEATURE = "Feature: Apples\n  Scenario: count\n    Given I have 5 apples\n"


def _orders(source: str) -> dict[str, int | None]:
    return {d.pattern: d.registration for d in parse("steps/steps_test.go", source.encode()).definitions}


def test_a_helper_registers_when_its_caller_calls_it() -> None:
    assert _orders(HELPERS) == {"^a first step$": 0, "^I have (.*) apples$": 1, "^I have (\\d+) apples$": 2}


def test_the_report_runs_the_definition_registered_first(git_repo: GitRepo) -> None:
    git_repo.write("features/apples.feature", FEATURE)
    git_repo.write("steps/steps_test.go", HELPERS)
    git_repo.commit("godog helpers")
    report = analyze(git_repo.path)
    assert [(r.status, r.definition.function if r.definition else None) for r in report.results] == [
        ("defined", "haveSpecific")]  # line order would say haveCommon (line 6)


def test_the_initializer_a_test_suite_names_and_methods() -> None:
    source = """\
package steps

import "github.com/cucumber/godog"

type world struct{}

func (w *world) second(ctx *godog.ScenarioContext) {
	ctx.Step(`^b$`, w.b)
}

func (w *world) first(ctx *godog.ScenarioContext) {
	ctx.Step(`^a$`, w.a)
}

func unused(ctx *godog.ScenarioContext) {
	ctx.Step(`^c$`, c)
}

func TestFeatures(t *testing.T) {
	w := &world{}
	godog.TestSuite{ScenarioInitializer: func(ctx *godog.ScenarioContext) {
		w.first(ctx)
		w.second(ctx)
	}}.Run()
}
"""
    # ``unused`` is not reached from the initializer: its order is not known (line order then).
    assert _orders(source) == {"^b$": 1, "^a$": 0, "^c$": None}


def test_without_an_initializer_the_one_uncalled_registering_function_is_the_entry() -> None:
    source = """\
package steps

import "github.com/cucumber/godog"

func b(ctx *godog.ScenarioContext) { ctx.Step(`^b$`, nop) }
func a(ctx *godog.ScenarioContext) { ctx.Step(`^a$`, nop) }

func Register(ctx *godog.ScenarioContext) {
	a(ctx)
	b(ctx)
}
"""
    assert _orders(source) == {"^b$": 1, "^a$": 0}
    two_entries = source + "\nfunc Other(ctx *godog.ScenarioContext) { ctx.Step(`^z$`, nop) }\n"
    assert set(_orders(two_entries).values()) == {None}  # which runs first is not known here


def test_line_order_where_the_order_is_not_known() -> None:
    def d(line: int, registration: int | None) -> tuple[StepDefinition, tuple[()]]:
        return (StepDefinition("step", "^a (.*)$", "regex", "godog", "go", "x_test.go", line, 1, "",
                               registration=registration), ())

    assert settle([d(9, 0), d(4, 1)]) == [d(9, 0)]
    assert settle([d(9, 0), d(4, None)]) == [d(4, None)]


def test_a_sync_rematches_when_the_calls_swap(git_repo: GitRepo, database_url: str) -> None:
    """Swapping the helper calls changes no definition (same identity, same content) but which one runs: the sync
    re-matches the step (the file's order of registration is kept, as behave's is), also from the rows of a step
    file that does not parse now (its order is stored with the definitions)."""
    from tracertm.models import StepDefinition as Row
    from tracertm.steps.packed import match_rows

    def stored(engine: Any) -> list[tuple[str, str | None]]:
        from sqlalchemy import select

        with db.session(engine) as session:
            names = {row.id: row.function_name for row in session.execute(select(Row)).scalars()}
            return [(r.status, names.get(r.step_definition_id)) for r in match_rows(session)]

    git_repo.write("features/apples.feature", FEATURE)
    git_repo.write("steps/steps_test.go", HELPERS)
    git_repo.commit("godog helpers")
    assert not sync(git_repo.path, database_url=database_url).errors
    engine = db.make_engine(database_url)
    try:
        assert stored(engine) == [("defined", "haveSpecific")]
        swapped = HELPERS.replace("\tregisterSpecific(ctx)\n\tregisterCommon(ctx)\n",
                                  "\tregisterCommon(ctx)\n\tregisterSpecific(ctx)\n")
        git_repo.write("steps/steps_test.go", swapped)
        git_repo.commit("swap")
        assert not sync(git_repo.path, database_url=database_url).errors
        assert stored(engine) == [("defined", "haveCommon")]
        git_repo.write("steps/steps_test.go", swapped + "\nfunc broken( {\n")
        git_repo.write("features/apples.feature", FEATURE + "    And I have 6 apples\n")
        git_repo.commit("broken step file")
        sync(git_repo.path, database_url=database_url)
        assert stored(engine) == [("defined", "haveCommon")] * 2
    finally:
        engine.dispose()
