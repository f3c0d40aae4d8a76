"""More framework rules found by exploratory testing: each test fails without its fix.

- cucumber-jvm: localized annotations count when imported with a wildcard (``import io.cucumber.java.fr.*;``) or
  written fully qualified (``@io.cucumber.java.fr.Soit``) — their names are the ones cucumber-jvm generates from
  gherkin's keywords — in Java and in Kotlin.
- cucumber-ruby: ``%r{…}`` Regexp literals (any ``%r`` delimiter, flags after it) are regexes, as ``/…/`` ones.
- godog: a ``*`` step and an ``And``/``But`` after it have gherkin's pickle type Unknown, which a definition of any
  keyword matches (``keywordMatches``); behave and pytest-bdd still give them the type before them.
- cucumber-js and cucumber-ruby, given no require, load every ``features/**/*.{js,cjs,mjs}`` / ``features/**/*.rb``
  (``support/`` too, where cucumber's docs put ``parameter_types``): the default ``step_paths`` read them; a
  JavaScript file naming no step function (a world, hooks, a bundle) is not parsed, so never a finding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo, run_cli
from test_match_diff import _difference, _dump
from tracertm import db
from tracertm.config import Settings
from tracertm.engine import reading
from tracertm.engine.sync import sync
from tracertm.parsers import parse
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.project import report_from
from tracertm.steps.scenarios import _keyword_types, executed_steps, feature_uses, scenario_uses

SETTINGS = Settings(root=Path("."))


def _statuses(steps: list[tuple[str, bytes]], feature: str) -> list[tuple[str, str]]:
    report = report_from(steps, [("features/a.feature", feature.encode())], SETTINGS)
    assert not report.errors, report.errors
    return [(r.use.text, r.status) for r in report.results]


# ------------------------------------------------------------------------- cucumber-jvm localized annotations

JAVA_WILDCARD = '''package x;
import io.cucumber.java.fr.*;
import io.cucumber.java.sr_latn.*;
import io.cucumber.java.xx.*;
public class FrSteps {
  @Soit("fr soit {int}")
  public void a(int n) {}
  @io.cucumber.java.fr.Soit("fq soit {int}")
  public void b(int n) {}
  @Etantdonnéqu("il y a {int} pommes")
  public void c(int n) {}
  @Zadato("serbian {int}")
  public void d(int n) {}
  @io.cucumber.java.de.Angenommen("german {int}")
  public void e(int n) {}
  @Pourquoi("not a keyword")
  public void f() {}
  @io.cucumber.java.fr.Pourquoi("not a keyword either")
  public void g() {}
  @io.cucumber.java.Before
  public void h() {}
}
'''

JVM_FEATURE = ("Feature: A\n  Scenario: s\n    Given fr soit 3\n    Given fq soit 4\n    Given il y a 2 pommes\n"
               "    Given serbian 5\n    Given german 6\n    Given not a keyword\n")


def test_localized_annotations_are_the_names_cucumber_jvm_generates() -> None:
    """From gherkin's keywords, as cucumber-jvm's ``GenerateI18n``: spaces, ``'``, ``,`` and ``!`` dropped, no ``*``
    nor keyword starting with a digit; packages named by the language lower case, ``-`` as ``_``."""
    from tracertm.steps.java import localized_annotations

    names = localized_annotations()
    assert {"Soit", "Etantdonnéqu", "Sachantque", "Et", "Mais", "Alors", "Quand", "Lorsqu"} <= names["fr"]
    assert "*" not in names["fr"] and not any(" " in n or "'" in n for n in names["fr"])
    assert names["en"] == {"Given", "When", "Then", "And", "But"}
    assert "Zadato" in names["sr_latn"] and "sr-latn" not in names and "sr_Latn" not in names
    assert "em" not in names  # cucumber-jvm generates nothing for the emoji dialect


def test_java_wildcard_and_fully_qualified_localized_annotations() -> None:
    f = parse_step_file("src/test/java/x/FrSteps.java", JAVA_WILDCARD.encode())
    assert not f.errors
    assert [(d.keyword, d.pattern, d.function) for d in f.definitions] == [
        ("step", "fr soit {int}", "a"),
        ("step", "fq soit {int}", "b"),
        ("step", "il y a {int} pommes", "c"),
        ("step", "serbian {int}", "d"),
        ("step", "german {int}", "e"),  # fully qualified: no import needed
    ]
    assert _statuses([("src/test/java/x/FrSteps.java", JAVA_WILDCARD.encode())], JVM_FEATURE) == [
        ("fr soit 3", "defined"), ("fq soit 4", "defined"), ("il y a 2 pommes", "defined"),
        ("serbian 5", "defined"), ("german 6", "defined"), ("not a keyword", "undefined"),
    ]


def test_java_single_imports_still_count_and_wildcards_of_other_packages_do_not() -> None:
    source = '''package x;
import io.cucumber.java.de.Angenommen;
import io.cucumber.java.*;
import io.cucumber.java8.*;
public class S {
  @Angenommen("one")
  public void a() {}
  @Soit("two")
  public void b() {}
  @Given("three")
  public void c() {}
  @ParameterType("red|blue")
  public String color(String s) { return s; }
}
'''
    f = parse_step_file("src/test/java/x/S.java", source.encode())
    assert [(d.keyword, d.pattern) for d in f.definitions] == [("step", "one"), ("given", "three")]
    assert [t.name for t in f.parameter_types] == ["color"]


KOTLIN_WILDCARD = '''package steps

import io.cucumber.java.fr.*

class FrSteps {
    @Soit("fr soit {int}")
    fun a(n: Int) {}

    @io.cucumber.java.fr.Soit("fq soit {int}")
    fun b(n: Int) {}

    @io.cucumber.java.de.Angenommen("german {int}")
    fun e(n: Int) {}

    @Pourquoi("not a keyword")
    fun f() {}
}
'''


def test_kotlin_wildcard_and_fully_qualified_localized_annotations() -> None:
    f = parse_step_file("src/test/kotlin/FrSteps.kt", KOTLIN_WILDCARD.encode())
    assert not f.errors
    assert [(d.keyword, d.pattern, d.function) for d in f.definitions] == [
        ("step", "fr soit {int}", "a"), ("step", "fq soit {int}", "b"), ("step", "german {int}", "e"),
    ]
    feature = "Feature: A\n  Scenario: s\n    Given fr soit 3\n    Given fq soit 4\n    Given german 6\n"
    assert [s for _, s in _statuses([("src/test/kotlin/FrSteps.kt", KOTLIN_WILDCARD.encode())], feature)] == \
        ["defined"] * 3


# --------------------------------------------------------------------------------------- cucumber-ruby %r{…}

RUBY_PERCENT = r"""ParameterType(name: 'fruit', regexp: %r{apple|pear}, transformer: ->(s) { s })

Given %r{^rb percent (\d+)$} do |n|
end

Given(%r(^parens (\d+) (?:x|y)$)i) do |n|
end

When %r[^brackets (\d+)$] do |n|
end

When %r<^angles (\d+)$> do |n|
end

Then %r|^pipes a\|b (\d+)$| do |n|
end

Then %r{^braces a{2} \} (\d+)$}m do |n|
end

Then %r!^bangs (\d+)$! do |n|
end

Then 'I eat a {fruit}' do |fruit|
end

Then %r{^interpolated #{x}$} do
end
"""


def test_ruby_percent_r_regex_literals() -> None:
    f = parse_step_file("features/step_definitions/s.rb", RUBY_PERCENT.encode())
    got = [(d.kind, d.pattern, d.flags) for d in f.definitions]
    assert got == [
        ("regex", r"^rb percent (\d+)$", ""),
        ("regex", r"^parens (\d+) (?:x|y)$", "i"),
        ("regex", r"^brackets (\d+)$", ""),
        ("regex", r"^angles (\d+)$", ""),
        ("regex", r"^pipes a\|b (\d+)$", ""),
        ("regex", r"^braces a{2} \} (\d+)$", "m"),
        ("regex", r"^bangs (\d+)$", ""),
        ("cucumber-expression", "I eat a {fruit}", ""),
    ]
    assert [(t.name, t.regexps) for t in f.parameter_types] == [("fruit", ("apple|pear",))]
    # Interpolation is still no literal: an error at that definition, the rest of the file counts.
    assert len(f.errors) == 1 and f.errors[0].line == 27 and "not a literal" in f.errors[0].message
    feature = ("Feature: A\n  Scenario: s\n    Given rb percent 11\n    Given PARENS 2 Y\n    When brackets 3\n"
               "    When angles 4\n    Then pipes a|b 5\n    Then braces aa } 6\n    Then bangs 7\n"
               "    Then I eat a pear\n    Then pipes a 5\n")
    report = report_from([("features/step_definitions/s.rb", RUBY_PERCENT.encode())],
                         [("features/a.feature", feature.encode())], SETTINGS)
    assert [(r.use.text, r.status) for r in report.results] == [
        ("rb percent 11", "defined"), ("PARENS 2 Y", "defined"), ("brackets 3", "defined"), ("angles 4", "defined"),
        ("pipes a|b 5", "defined"), ("braces aa } 6", "defined"), ("bangs 7", "defined"),
        ("I eat a pear", "defined"), ("pipes a 5", "undefined"),  # \| is a literal |, not an alternative
    ]
    assert [a.value for a in report.results[0].matches[0][1]] == ["11"]


# ------------------------------------------------------------------- cucumber's support folder, read by default

COLOUR_FEATURE = "Feature: f\n  Scenario: s\n    Given the colour is red\n"


@pytest.mark.parametrize(("support", "steps"), [
    (("features/support/parameter_types.js", "const { defineParameterType } = require('@cucumber/cucumber')\n"
                                             "defineParameterType({ name: 'colour', regexp: /red|blue/ })\n"),
     ("features/step_definitions/steps.js", "const { Given } = require('@cucumber/cucumber')\n"
                                           "Given('the colour is {colour}', function (c) {})\n")),
    (("features/support/parameter_types.rb", "ParameterType(name: 'colour', regexp: /red|blue/, "
                                             "transformer: ->(s) { s })\n"),
     ("features/step_definitions/steps.rb", "Given('the colour is {colour}') do |c|\nend\n")),
])
def test_parameter_types_of_the_support_folder_count_by_default(
    git_repo: GitRepo, support: tuple[str, str], steps: tuple[str, str]
) -> None:
    """cucumber's docs put parameter types in ``features/support/``, which cucumber-js (``paths.ts``:
    ``deriveSupportPaths``, the features folder's ``**/*.@(js|cjs|mjs)``) and cucumber-ruby (``all_files_to_load``:
    every file under ``features/``, the ``.rb`` ones required) load when no require is configured. tracertm read
    only ``step_definitions/``: the definition was an error ("which no defineParameterType … declares"), its step
    undefined."""
    git_repo.write("features/a.feature", COLOUR_FEATURE)
    git_repo.write(*support)
    git_repo.write(*steps)
    git_repo.write("features/support/env.rb", "require 'rspec/expectations'\nWorld(RSpec::Matchers)\n")
    git_repo.write("features/support/world.js", "const { setWorldConstructor, Before } = "
                                                "require('@cucumber/cucumber')\nBefore(function () {})\n"
                                                "setWorldConstructor(class {})\n")
    git_repo.commit("support folder")
    result = run_cli("check", str(git_repo.path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert not result.stdout and "0 errors, 0 warnings" in result.stderr, result.stdout + result.stderr
    listed = run_cli("steps", str(git_repo.path))
    assert f"Given('the colour is {{colour}}')  # {steps[0]}:" in listed.stdout, listed.stdout
    assert "(1 uses)" in listed.stdout and "UNDEFINED STEPS[0]" in listed.stdout, listed.stdout


def test_a_javascript_file_naming_no_step_function_is_not_parsed() -> None:
    """cucumber-js loads every JavaScript file under ``features/``; one that names none of cucumber's step functions
    (nor ``defineParameterType``, ``createBdd``) defines nothing: its syntax errors and size are no finding."""
    broken = b"const { Before } = require('@cucumber/cucumber')\nBefore(function () {\n"
    bundle = b"var a=" + b"1+" * 210_000 + b"1;\n"
    for path, data in (("features/support/hooks.js", broken), ("features/support/vendor/app.min.js", bundle),
                       ("features/support/world.ts", broken)):
        parsed = parse_step_file(path, data)
        assert (parsed.definitions, parsed.parameter_types, parsed.errors, parsed.warnings) == ((), (), (), ()), path
    named = parse_step_file("features/support/steps.js", broken + b"Given('x', function () {})\n")
    assert named.errors, "a file naming a step function is still read, its syntax errors errors"
    # A name in a comment that starts its line (a fixture file's header, a JSDoc block) is no reason to parse it.
    commented = b"// Step 2: customers (But see orders.js)\n/**\n * Given steps live in step_definitions/\n */\n"
    parsed = parse_step_file("features/support/customers.js", commented + broken)
    assert (parsed.definitions, parsed.errors) == ((), ()), parsed.errors
    after = parse_step_file("features/support/steps.js", commented + b"/* eslint-disable */ Given('x', () => {})\n")
    assert [d.pattern for d in after.definitions] == ["x"], "code after a comment closed on its line is read"


# ---------------------------------------------------------------------------------- godog: Unknown step types

GODOG = '''package x
import "github.com/cucumber/godog"
func InitializeScenario(ctx *godog.ScenarioContext) {
	ctx.When(`^I do x$`, func() error { return nil })
	ctx.Given(`^the thing is ready$`, func() error { return nil })
	ctx.Then(`^it is still ready$`, func() error { return nil })
	ctx.Given(`^a given$`, func() error { return nil })
}
'''

GODOG_FEATURE = """Feature: A
  Scenario: star and conjunctions
    When I do x
    * the thing is ready
    And it is still ready
    But it is still ready
    Then it is still ready
    And the thing is ready

  Scenario: a star first
    * I do x
    And a given
"""


def test_godog_matches_any_keyword_to_an_unknown_step() -> None:
    """gherkin's pickles: ``*`` is Unknown, an And/But after it stays Unknown, a typed step ends it; godog's
    ``keywordMatches`` accepts a definition of any keyword for an Unknown step."""
    assert _statuses([("steps_test.go", GODOG.encode())], GODOG_FEATURE) == [
        ("I do x", "defined"), ("the thing is ready", "defined"), ("it is still ready", "defined"),
        ("it is still ready", "defined"), ("it is still ready", "defined"),
        ("the thing is ready", "undefined"),  # And after Then: an Outcome step, and the definition is a Given
        ("I do x", "defined"), ("a given", "defined"),
    ]


BEHAVE = '''from behave import given, when, then

@given("the thing is ready")
def ready(context):
    pass

@when("I do x")
def do(context):
    pass
'''


def test_behave_still_gives_a_star_step_the_type_before_it() -> None:
    feature = "Feature: A\n  Scenario: s\n    When I do x\n    * the thing is ready\n    And the thing is ready\n"
    assert [s for _, s in _statuses([("features/steps/s.py", BEHAVE.encode())], feature)] == \
        ["defined", "undefined", "undefined"]


def _pickle_types(text: str) -> list[list[str]]:
    """Each pickle's step types, from gherkin's own pickle compiler."""
    from gherkin.parser import Parser
    from gherkin.pickles.compiler import Compiler

    document: Any = dict(Parser().parse(text))
    document["uri"] = "a.feature"
    return [[str(s["type"]) for s in pickle["steps"]] for pickle in Compiler().compile(document)]


UNKNOWNS = """Feature: U
  Background:
    Given a base
    * a star base

  Scenario: continues the background
    And a conjunction
    When acting
    * starred
    But still starred
    Then done

  Scenario Outline: rows
    Then <x>
    * <x> starred
    And <x> conjunction

    Examples:
      | x |
      | 1 |
      | 2 |

  Rule: r
    Scenario: conjunction first
      And first
      * second
      Given third
"""


NO_BACKGROUND = """Feature: N
  Scenario: conjunction first
    And first
    When second
    * third
    Given fourth
    But fifth
"""


def test_unknown_types_are_gherkins_pickles() -> None:
    """The steps ``scenario_uses`` marks ``Unknown`` are the ones gherkin's compiler types Unknown (a pickle's step
    types, in order, with the Background)."""
    _same_unknowns(NO_BACKGROUND)
    assert _same_unknowns(UNKNOWNS)[0] == ["given", "Unknown", "Unknown", "when", "Unknown", "Unknown", "then"]


def _same_unknowns(text: str) -> list[list[str]]:
    """Asserts that ``feature_uses`` types steps Unknown where gherkin's pickles do; the pickles' types."""
    from tracertm.steps.scenarios import Unknown

    ours: dict[tuple[int, int | None], list[str]] = {}  # per pickle: a scenario, or an outline's row
    for use in feature_uses(parse("feature", "a.feature", text.encode())):
        kind = "Unknown" if isinstance(use.type, Unknown) else use.type
        ours.setdefault((use.scenario_line, use.row_line), []).append(kind)
    gherkin_names = {"Context": "given", "Action": "when", "Outcome": "then"}
    expected = [[gherkin_names.get(t, "Unknown") for t in types] for types in _pickle_types(text)]
    assert list(ours.values()) == expected
    return expected


def test_worker_rows_equal_parent_rows_with_unknown_steps() -> None:
    """``match_steps`` over ``executed_steps`` (the parse workers) gives the rows of ``match_uses`` over
    ``scenario_uses``; a verdict cached for ``When x`` is not reused for ``* x`` (nor the other way round)."""
    from tracertm.engine.parse import parse_one
    from tracertm.parsers.records import ParserOptions
    from tracertm.steps import prematch

    options = ParserOptions()
    found = prematch.matcher({"steps_test.go": parse_one("steps_test.go", "step_definition", GODOG.encode(),
                                                         options)}, "spawn")
    assert found is not None
    index, _ = found._index()
    feature = GODOG_FEATURE + "\n  Scenario: same texts\n    When the thing is ready\n    * the thing is ready\n" \
        "    Given I do x\n"
    result = parse_one("features/a.feature", "feature", feature.encode(), options)
    old_verdicts: dict[Any, Any] = {}
    new_verdicts: dict[Any, Any] = {}
    old_statuses: dict[str, int] = {}
    new_statuses: dict[str, int] = {}
    statuses = []
    for record in result.records:  # type: ignore[union-attr]
        types = _keyword_types("en")
        for scenario in record.children:
            old = prematch.match_uses(scenario_uses("features/a.feature", scenario, types), index, None,
                                      old_verdicts, old_statuses)
            new = prematch.match_steps(executed_steps(scenario, types), index, new_verdicts, new_statuses)
            assert new == old, scenario.number
            statuses += [row[6] for row in new[0]]
    assert old_statuses == new_statuses
    assert statuses[-3:] == ["undefined", "defined", "undefined"]


def _cold(repo: GitRepo, url: str, project: str) -> dict[str, Any]:
    sync(repo.path, database_url=url, project=project, jobs=1)
    engine = db.make_engine(url)
    try:
        return _dump(engine, project)
    finally:
        engine.dispose()


def test_godog_unknown_steps_in_the_database_from_workers_and_parent(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync stores the same verdicts whether the parse workers matched the steps or sync's own process did."""
    git_repo.write("features/a.feature", GODOG_FEATURE)
    git_repo.write("steps_test.go", GODOG)
    git_repo.commit("godog")
    workers = _cold(git_repo, database_url, "workers")
    # (path, scenario, position, definition, line, row line, keyword, text, status, arguments), by scenario
    assert [(m[1], m[6], m[8]) for m in workers["matches"] if m[8] != "defined"] == \
        [("star and conjunctions", "And", "undefined")]
    assert len(workers["matches"]) == 8
    monkeypatch.setattr(reading, "_steps_first", lambda snapshot, changed: [])
    parent = _cold(git_repo, database_url, "parent")
    assert workers == parent, _difference(workers, parent)
