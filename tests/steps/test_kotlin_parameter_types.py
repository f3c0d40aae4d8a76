"""Kotlin parameter types as cucumber-jvm declares them: ``@ParameterType`` with named arguments (``name =`` names the
type instead of the function), and the lambda glue's ``ParameterType("name", "regex") { … }`` (cucumber-kotlin-java8):
a step using the type matches, where it was an undeclared type before."""

from __future__ import annotations

from pathlib import Path

from tracertm.config import Settings
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.project import report_from

SETTINGS = Settings(root=Path("."))

KOTLIN = '''package steps

import io.cucumber.java.ParameterType
import io.cucumber.java.en.Given
import io.cucumber.java8.En

class ShapeSteps : En {
    @ParameterType(value = "circle|square", name = "shape")
    fun toShape(value: String): String = value

    @ParameterType(name = "size", value = "small|large")
    fun toSize(value: String): String = value

    @Given("a {shape} of {size} size")
    fun shapeOfSize(shape: String, size: String) {}

    init {
        ParameterType("color", "red|blue") { value: String -> value }
        Given("a {color} ball") { color: String -> }
    }
}
'''


def test_named_annotation_arguments_and_lambda_glue_declare_parameter_types() -> None:
    f = parse_step_file("src/test/kotlin/ShapeSteps.kt", KOTLIN.encode())
    assert [(t.name, t.regexps, t.line) for t in f.parameter_types] == [
        ("shape", ("circle|square",), 8), ("size", ("small|large",), 11), ("color", ("red|blue",), 18)]
    assert f.errors == ()


def test_steps_using_those_types_match() -> None:
    feature = ("Feature: F\n  Scenario: S\n    Given a circle of large size\n    Given a red ball\n"
               "    Given a green ball\n")
    report = report_from([("src/test/kotlin/ShapeSteps.kt", KOTLIN.encode())],
                         [("features/f.feature", feature.encode())], SETTINGS)
    assert not report.errors, report.errors
    assert [r.status for r in report.results] == ["defined", "defined", "undefined"]
