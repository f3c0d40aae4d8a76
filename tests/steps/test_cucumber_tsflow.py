"""cucumber-tsflow's step bindings: ``@given/@when/@then(pattern, tag?, timeout?)`` on the methods of a
``@binding()`` class register cucumber-js steps (https://github.com/timjroberts/cucumber-js-tsflow, MIT; the
fixture follows its README's ``ArithmeticSteps`` and its tagged-binding example). tracertm read none of them: a
TypeScript project written with tsflow had no step definitions, every step "undefined".

The LynxWall fork (@lynxwall/cucumber-tsflow), as cucumber-tsflow before 4.0, registers one cucumber step per
pattern and picks, when it runs, among that pattern's bindings: those whose tag the scenario has, else the untagged
ones (``BindingRegistry.getStepBindings``) — so one pattern bound twice, once with a tag, is no ambiguity.
cucumber-tsflow 4.0 and later (4.0.3 … 5.0.16, read from the npm packages) hands the tag to cucumber-js's
``Given(pattern, { tags })``, which ignores tags on steps, runs the first binding of the pattern, and stops
registering a class's bindings at one whose pattern and keyword are registered already. Its hooks (``@before``) are
no steps, and a class without ``@binding()`` registers nothing."""

from __future__ import annotations

from typing import Any

from conftest import GitRepo, run_cli
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.steps.project import analyze

STEPS = """\
import { binding, given, when, then, before } from "@lynxwall/cucumber-tsflow";
import { Basket } from "../support/basket";

@binding([Basket])
class ArithmeticSteps {
    constructor(protected basket: Basket) {}

    @before()
    public beforeAllScenarios(): void {}

    @given(/I enter '(\\d*)' and '(\\d*)'/)
    public givenTwoNumbers(num1: string, num2: string): void {}

    @when("I add them")
    public add(): void {}

    @when("I add them", "@slow", 60000)
    public addSlowly(): void {}

    @then(
        "I receive the result {int}"
    )
    public async thenResultReceived(expected: number): Promise<void> {}
}

export = ArithmeticSteps;

class Forgotten {
    @then("nothing is registered")
    public nothing(): void {}
}
"""

FEATURE = """\
Feature: arithmetic

  Scenario: quick
    Given I enter '2' and '8'
    When I add them
    Then I receive the result 10

  @slow
  Scenario: slow
    When I add them
    Then nothing is registered
"""


def _write(git_repo: GitRepo) -> None:
    git_repo.write("features/step_definitions/arithmetic.steps.ts", STEPS)
    git_repo.write("features/arithmetic.feature", FEATURE)
    git_repo.commit("tsflow project")


def test_bindings_are_read_with_their_lines(git_repo: GitRepo) -> None:
    _write(git_repo)
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert [(d.keyword, d.kind, d.pattern, d.line, d.function, d.framework, d.scopes)
            for d in report.definitions] == [
        ("given", "regex", "I enter '(\\d*)' and '(\\d*)'", 11, "givenTwoNumbers", "cucumber-js", ()),
        ("when", "cucumber-expression", "I add them", 14, "add", "cucumber-js", ()),
        ("when", "cucumber-expression", "I add them", 17, "addSlowly", "cucumber-js", (("@slow", None, None),)),
        ("then", "cucumber-expression", "I receive the result {int}", 20, "thenResultReceived", "cucumber-js", ()),
    ]
    assert [(w.line, w.message.split(":")[0]) for w in report.warnings] == [
        (29, "@then(...) is in a class without @binding()")]
    out = run_cli("steps", str(git_repo.path)).stdout
    assert "@when('I add them')  # features/step_definitions/arithmetic.steps.ts:14  (1 uses)" in out
    assert "@when('I add them')  # features/step_definitions/arithmetic.steps.ts:17  (1 uses)" in out
    assert "@given(/I enter '(\\d*)' and '(\\d*)'/)  # features/step_definitions/arithmetic.steps.ts:11" in out


# (feature line) → (status, the lines of the definitions it runs)
EXPECTED = {
    4: ("defined", [11]),
    5: ("defined", [14]),  # untagged scenario: the untagged binding
    6: ("defined", [20]),
    10: ("defined", [17]),  # @slow: the binding tagged @slow wins, no ambiguity
    11: ("undefined", []),  # its class has no @binding()
}


def test_a_tagged_binding_wins_in_its_scenarios(git_repo: GitRepo) -> None:
    _write(git_repo)
    report = analyze(git_repo.path)
    assert {r.use.line: (r.status, [d.line for d, _ in r.matches]) for r in report.results} == EXPECTED


def test_a_sync_stores_the_tagged_verdicts(git_repo: GitRepo, database_url: str) -> None:
    from sqlalchemy import select

    from tracertm.models import StepDefinition
    from tracertm.steps.packed import match_rows

    _write(git_repo)
    assert not sync(git_repo.path, database_url=database_url).errors
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            lines = {row.id: row.line for row in session.execute(select(StepDefinition)).scalars()}
            stored: dict[int, tuple[str, list[Any]]] = {}
            for r in match_rows(session):
                status, found = stored.setdefault(r.line, (r.status, []))
                if r.step_definition_id is not None:
                    found.append(lines[r.step_definition_id])
        assert stored == EXPECTED
    finally:
        engine.dispose()


def test_a_tag_tsflow_never_finds_is_an_error(git_repo: GitRepo) -> None:
    git_repo.write("features/step_definitions/s.steps.ts", """\
import { binding, given } from "@lynxwall/cucumber-tsflow";

@binding()
export class S {
    @given("a", "slow")
    public a(): void {}

    @given("b", TAG)
    public b(): void {}
}
""")
    git_repo.commit("tags")
    report = analyze(git_repo.path)
    assert [(e.line, e.message) for e in report.errors] == [
        (5, "@given(...)'s tag 'slow' is never a scenario's tag (cucumber-tsflow compares it, as written, with each "
            "of the scenario's tags, which start with @ and hold no space), so it never runs: write '@slow'"),
        (8, "@given(...)'s tag is not a string literal; tracertm reads tags without running code: write one such "
            "as '@web'"),
    ]
    assert report.definitions == []


def test_an_examples_block_s_tag_counts_for_its_rows(git_repo: GitRepo) -> None:
    """The LynxWall fork reads the scenario's tags from its pickle (``scenario.pickle.tags``), which has an outline
    row's Examples block's tags: the row of a block tagged ``@slow`` runs the ``@slow`` binding."""
    git_repo.write("features/step_definitions/rows.steps.ts", """\
import { binding, when } from "@lynxwall/cucumber-tsflow";

@binding()
class RowSteps {
    @when("I add {int}")
    public addQuickly(n: number): void {}

    @when("I add {int}", "@slow")
    public addSlowly(n: number): void {}
}

export = RowSteps;
""")
    git_repo.write("features/rows.feature", """\
Feature: rows

  Scenario Outline: add
    When I add <n>

    Examples:
      | n |
      | 1 |

    @slow
    Examples:
      | n |
      | 2 |
""")
    git_repo.commit("tsflow outline")
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert [(r.use.row_line, r.status, [d.function for d, _ in r.matches]) for r in report.results] == [
        (8, "defined", ["addQuickly"]), (13, "defined", ["addSlowly"])]


UPSTREAM = """\
import { binding, given, when, then } from "cucumber-tsflow";

@binding()
class QuickSteps {
    @when("I add them", "@slow")
    public addSlowly(): void {}

    @then("I receive the result {int}", { timeout: 5000 })
    public result(expected: number): void {}
}

@binding()
class SlowSteps {
    @given("two numbers")
    public numbers(): void {}

    @when("I add them")
    public add(): void {}

    @then("it took long")
    public tookLong(): void {}
}

export = QuickSteps;
"""

OTHER_FILE = """\
const { binding, when } = require("cucumber-tsflow");

@binding()
class LaterSteps {
    @when("I add them")
    public addAgain(): void {}
}
"""

UPSTREAM_FEATURE = """\
Feature: arithmetic

  Scenario: quick
    Given two numbers
    When I add them
    Then I receive the result 10

  @slow
  Scenario: slow
    When I add them
    Then it took long
"""


def test_cucumber_tsflow_runs_the_first_binding_of_a_pattern_whatever_the_tags(git_repo: GitRepo) -> None:
    """cucumber-tsflow 4.0 and later: the tag selects nothing (a warning); of one pattern's bindings the first one
    registered runs in every scenario — in its file, then in the file cucumber-js loads first — and the others never
    do (no ambiguity); the class that repeats the pattern registers nothing from there on (``then it took long`` is
    undefined). Before, the tag picked the binding, the untagged one in the untagged scenario, and two untagged
    bindings in two files were ambiguous."""
    git_repo.write("features/step_definitions/a.steps.ts", UPSTREAM)
    git_repo.write("features/step_definitions/b.steps.ts", OTHER_FILE)
    git_repo.write("features/arithmetic.feature", UPSTREAM_FEATURE)
    git_repo.commit("cucumber-tsflow 5")
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert [(d.path[-10:], d.line, d.function, d.scopes, d.registration) for d in report.definitions] == [
        ("a.steps.ts", 5, "addSlowly", (), 0), ("a.steps.ts", 8, "result", (), 1),
        ("a.steps.ts", 14, "numbers", (), 2), ("a.steps.ts", 17, "add", (), 3),
        ("b.steps.ts", 5, "addAgain", (), 0),
    ]
    assert [(w.line, w.message) for w in report.warnings] == [
        (5, "@when(...)'s tag selects nothing: cucumber-tsflow 4.0 and later hands it to cucumber-js, which ignores "
            "tags on steps, so the binding runs in every scenario (of one pattern's bindings, the first); drop the "
            "tag, or import @lynxwall/cucumber-tsflow, which still picks bindings by tag"),
        (17, "@when(...) repeats the pattern of line 5: cucumber-tsflow (4.0 and later) registers only the first "
             "binding of a pattern, whatever the tags, so this one never runs, nor does any binding below it in its "
             "class; remove it"),
        (20, "@then(...) is never registered: its class's binding at line 17 repeats a pattern, where "
             "cucumber-tsflow (4.0 and later) stops registering the class's bindings, so its steps are undefined; "
             "move it above that binding, or remove the repeat"),
    ]
    assert {r.use.line: (r.status, [d.function for d, _ in r.matches]) for r in report.results} == {
        4: ("defined", ["numbers"]),
        5: ("defined", ["addSlowly"]),  # untagged scenario: still the first binding, tagged @slow
        6: ("defined", ["result"]),
        10: ("defined", ["addSlowly"]),
        11: ("undefined", []),
    }
