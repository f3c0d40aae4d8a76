"""Kotlin raw (triple-quoted) strings, tree-sitter's ``multiline_string_literal``, as cucumber-jvm patterns: read
as written (no escapes), a template makes them unreadable, a call on them (``.trimIndent()``) is not a literal."""

from __future__ import annotations

from pathlib import Path

from tracertm.config import Settings
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.project import report_from

SETTINGS = Settings(root=Path("."))

Q = '"""'

KOTLIN = f'''package steps

import io.cucumber.java.en.Given
import io.cucumber.java.en.When
import io.cucumber.java.ParameterType
import io.cucumber.java8.En

class RawSteps : En {{
    @Given({Q}^I have (\\d+) cukes$""")
    fun cukes(n: Int) {{}}

    @When({Q}I say "{{word}}" with \\n in it{Q})
    fun say(word: String) {{}}

    @ParameterType({Q}red|blue{Q})
    fun color(value: String): String = value

    @Given({Q}^a {Q} + "(\\\\w+) " + {Q}{{color}} thing${Q})
    fun joined(w: String) {{}}

    @Given("plain " + "joined")
    fun plainJoined() {{}}

    @Given({Q}^hello $name${Q})
    fun templated() {{}}

    @Given({Q}
        ^indented (\\d+)$
    {Q}.trimIndent())
    fun indented(n: Int) {{}}

    @Given({Q}|^margin$""".trimMargin())
    fun margin() {{}}

    init {{
        Then({Q}^the belly growls (\\d+) times${Q}) {{ n: Int -> }}
    }}
}}
'''


def test_kotlin_raw_string_patterns_are_read_as_written() -> None:
    f = parse_step_file("src/test/kotlin/RawSteps.kt", KOTLIN.encode())
    got = [(d.keyword, d.kind, d.pattern, d.function, d.line) for d in f.definitions]
    assert got == [
        ("given", "regex", r"^I have (\d+) cukes$", "cukes", 9),
        ("when", "cucumber-expression", r'I say "{word}" with \n in it', "say", 12),  # no escapes in raw strings
        ("given", "regex", r"^a (\w+) {color} thing$", "joined", 18),  # raw + escaped + raw
        ("given", "cucumber-expression", "plain joined", "plainJoined", 21),
        ("then", "regex", r"^the belly growls (\d+) times$", "", 36),
    ]
    assert [(t.name, t.regexps) for t in f.parameter_types] == [("color", ("red|blue",))]
    # A template, and a call on a raw string, are not literal patterns: reported as the other non-literal ones.
    assert [(e.line, e.message.split(" cannot")[0]) for e in f.errors] == [
        (24, "@Given on templated()"), (27, "@Given on indented()"), (32, "@Given on margin()"),
    ]
    assert all("not a string literal" in e.message for e in f.errors)


def test_kotlin_raw_string_steps_match() -> None:
    feature = ("Feature: F\n  Scenario: S\n    Given I have 7 cukes\n    Then the belly growls 2 times\n"
               "    Given plain joined\n    Given I have many cukes\n")
    report = report_from([("src/test/kotlin/RawSteps.kt", KOTLIN.encode())],
                         [("features/f.feature", feature.encode())], SETTINGS)
    assert [r.status for r in report.results] == ["defined", "defined", "defined", "undefined"]
