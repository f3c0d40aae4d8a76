"""cucumber-kotlin-java8's lambda glue with the body inside the parentheses — ``Given("…", { … })``, a function
reference ``Given("…", ::step)`` — as well as after them (``Given("…") { … }``): each is a definition (Kotlin
passes the same lambda to ``En.Given(String, StepDefinitionBody)``). Only the trailing form was read, so the other
steps were undefined with no word about it.

The fixture is cut down from cucumber-jvm's ``cucumber-kotlin-java8/src/test/kotlin/io/cucumber/kotlin/
LambdaStepDefinitions.kt`` and ``kotlin.feature`` (https://github.com/cucumber/cucumber-jvm, MIT)."""

from __future__ import annotations

from pathlib import Path

from tracertm.config import Settings
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.project import report_from

SETTINGS = Settings(root=Path("."))
PATH = "src/test/kotlin/io/cucumber/kotlin/LambdaStepDefinitions.kt"

KOTLIN = '''package io.cucumber.kotlin

import io.cucumber.java8.En

class LambdaStepDefinitions : En {

    init {
        Given("A statement with a body expression") { assertTrue(true) }

        Given("A statement with a simple match", { assertTrue(true) })

        val localInt = 1
        Given("A statement with a scoped argument", { assertEquals(2, localInt + 1) })

        Then("I have {int} {word} cukes", { n: Int, kind: String -> assertEquals(42, n) })

        ParameterType("color", "red|blue", { value: String -> value })
        When("I paint it {color}", ::paint)

        println("not a step", { 1 })
    }
}
'''

FEATURE = """\
Feature: Kotlin

  Scenario: Parameterless lambdas
    Given A statement with a simple match
    Given A statement with a scoped argument
    Given A statement with a body expression
    Then I have 42 green cukes
    When I paint it red
"""


def test_lambdas_inside_the_parentheses_are_definitions() -> None:
    f = parse_step_file(PATH, KOTLIN.encode())
    assert f.errors == ()
    assert [(d.keyword, d.pattern, d.line, d.label, d.function, [(p.name, p.type) for p in d.parameters])
            for d in f.definitions] == [
        ("given", "A statement with a body expression", 8, "Given", "", []),
        ("given", "A statement with a simple match", 10, "Given", "", []),
        ("given", "A statement with a scoped argument", 13, "Given", "", []),
        ("then", "I have {int} {word} cukes", 15, "Then", "", [("n", "Int"), ("kind", "String")]),
        ("when", "I paint it {color}", 18, "When", "::paint", []),
    ]
    assert [(t.name, t.regexps, t.line) for t in f.parameter_types] == [("color", ("red|blue",), 17)]


def test_their_steps_are_defined() -> None:
    report = report_from([(PATH, KOTLIN.encode())], [("src/test/resources/kotlin.feature", FEATURE.encode())],
                         SETTINGS)
    assert not report.errors, report.errors
    assert [r.status for r in report.results] == ["defined"] * 5
    assert not report.unused()


KOTEST = '''package shop

import io.kotest.core.spec.style.BehaviorSpec

class BroomstickSpec : BehaviorSpec({
    Given("a broomstick") {
        When("I sit on it") {
            Then("I should be able to fly") { }
        }
        When("I throw it", { })
    }
})
'''


def test_kotest_behavior_specs_are_no_glue() -> None:
    """Kotest's ``BehaviorSpec`` has the glue's shape; without an ``io.cucumber.java8`` import it is no step."""
    f = parse_step_file("src/test/kotlin/shop/BroomstickSpec.kt", KOTEST.encode())
    assert f.definitions == ()
    assert f.errors == ()
