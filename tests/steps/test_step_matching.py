"""Matching with each framework's rules, on small projects; cases equivalent to cucumber's compatibility kit
(``undefined``, ``ambiguous``, ``unused-steps``, ``unknown-parameter-type``); the index gives the same verdicts as
trying every definition on every step."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tracertm.config import Settings
from tracertm.steps.project import report_from
from tracertm.steps.report import StepReport

SETTINGS = Settings(root=__import__("pathlib").Path("."))


def _report(steps: dict[str, str], features: dict[str, str]) -> StepReport:
    return report_from(
        [(p, s.encode()) for p, s in steps.items()], [(p, s.encode()) for p, s in features.items()], SETTINGS
    )


def _verdicts(report: StepReport) -> list[tuple[int, str, str, list[str]]]:
    return [(r.use.line, r.use.text, r.status, [d.function or d.pattern for d, _ in r.matches]) for r in report.results]


# ------------------------------------------------------------------------------------- compatibility-kit cases


def test_ckit_undefined() -> None:
    report = _report(
        {"features/step_definitions/s.js": "Given('an implemented step', () => {});\n"},
        {"features/undefined.feature": "Feature: Undefined steps\n  Scenario: Undefined step causes failure\n"
         "    Given an implemented step\n    And a step that is yet to be implemented\n"
         "  Scenario: Steps before undefined steps are executed\n    Given a list of 8 things\n"},
    )
    assert [(r.use.line, r.status) for r in report.results] == [(3, "defined"), (4, "undefined"), (6, "undefined")]
    assert [r.use.text for r in report.undefined()] == ["a step that is yet to be implemented", "a list of 8 things"]


def test_ckit_ambiguous() -> None:
    report = _report(
        {"features/step_definitions/s.js":
         "Given(/^a (.*?) with (.*?)$/, function one(a, b) {});\nGiven(/^a step with (.*)$/, function two(x) {});\n"},
        {"features/ambiguous.feature": "Feature: Ambiguous\n  Scenario: two matches\n    Given a step with ambiguity\n"},
    )
    [result] = report.results
    assert result.status == "ambiguous" and [d.function for d, _ in result.matches] == ["one", "two"]
    assert [[a.value for a in args] for _, args in result.matches] == [["step", "ambiguity"], ["ambiguity"]]
    assert report.unused() == []  # the ambiguity is the finding, not two unused definitions
    # As cucumber-js's usage formatter: an ambiguous step counts for no definition.
    assert report.usage_counts() == {d.identity: 0 for d in report.definitions}


def test_ckit_unused_steps() -> None:
    report = _report(
        {"features/step_definitions/s.js":
         "Given('a step that is used', () => {});\nGiven('a step that is not used', () => {});\n"},
        {"features/unused.feature": "Feature: Unused\n  Scenario: a scenario\n    Given a step that is used\n"},
    )
    assert [d.pattern for d in report.unused()] == ["a step that is not used"]
    assert not report.errors and not report.undefined()


def test_ckit_unknown_parameter_type_is_an_error_at_the_definition() -> None:
    report = _report(
        {"features/step_definitions/s.js":
         "Given('{airport} is closed because of a strike', function (a) {});\n"},
        {"features/x.feature": "Feature: X\n  Scenario: strike\n    Given LHR is closed because of a strike\n"},
    )
    [error] = report.errors
    assert (error.path, error.line) == ("features/step_definitions/s.js", 1)
    assert "{airport}" in error.message and "defineParameterType" in error.message
    assert report.results[0].status == "undefined"
    assert report.unused() == []  # a definition that cannot match is reported as broken, not as unused


# ----------------------------------------------------------------------------------------- framework rules


FEATURE = """\
Feature: Shopping
  Background:
    Given a customer named "Ann"

  Scenario: buying
    Given 3 items in the basket
    And a coupon
    When the customer pays
    But nothing else
    Then the order is placed
    * a mail is sent

  Scenario Outline: many
    Given <n> items in the basket
    Then the total is <total>

    Examples:
      | n | total |
      | 1 | 10    |
      | 2 | abc   |
"""


def test_behave_scopes_by_keyword_and_and_but_take_the_previous_one() -> None:
    steps = """\
from behave import given, when, then, step

@given('a customer named "{name}"')
def customer(context, name): pass

@given("{n:d} items in the basket")
def items(context, n): pass

@given("a coupon")
def coupon(context): pass

@when("the customer pays")
def pays(context): pass

@when("nothing else")
def nothing(context): pass

@then("the order is placed")
def placed(context): pass

@then("a mail is sent")
def mail(context): pass

@then("the total is {total:d}")
def total(context, total): pass

@given("the order is placed")
def given_placed(context): pass
"""
    report = _report({"features/steps/shop.py": steps}, {"features/shop.feature": FEATURE})
    verdicts = _verdicts(report)
    assert verdicts[:7] == [
        (3, 'a customer named "Ann"', "defined", ["customer"]),
        (6, "3 items in the basket", "defined", ["items"]),
        (7, "a coupon", "defined", ["coupon"]),
        (8, "the customer pays", "defined", ["pays"]),
        (9, "nothing else", "defined", ["nothing"]),  # "But" after When: a when step
        (10, "the order is placed", "defined", ["placed"]),  # the Given with the same text is not a candidate
        (11, "a mail is sent", "defined", ["mail"]),  # "*" after Then: a then step
    ]
    # Background steps count in every scenario (and every outline row); outline rows are matched after substitution.
    assert [(v[0], v[2]) for v in verdicts[7:]] == [(3, "defined"), (14, "defined"), (15, "defined"),
                                                    (3, "defined"), (14, "defined"), (15, "undefined")]
    [undefined] = report.undefined()
    assert (undefined.use.text, undefined.use.row_line) == ("the total is abc", 20)
    assert [d.function for d in report.unused()] == ["given_placed"]
    assert report.usage_counts()["features/steps/shop.py::customer"] == 3
    args = {d.function: [a.value for a in a_] for r in report.results for d, a_ in r.matches}
    assert args["customer"] == ["Ann"] and args["items"] in (["3"], ["1"], ["2"])


def test_cucumber_ignores_the_keyword_so_same_text_is_ambiguous() -> None:
    steps = "Given('the order is placed', () => {});\nThen('the order is placed', () => {});\n"
    report = _report({"features/step_definitions/s.js": steps},
                     {"f.feature": "Feature: F\n  Scenario: S\n    Then the order is placed\n"})
    assert report.results[0].status == "ambiguous"


def test_cucumber_js_regex_is_unanchored_and_jvm_is_whole_text() -> None:
    js = "Given(/I have (\\d+) cukes/, () => {});\n"
    java = ('import io.cucumber.java.en.Given;\nclass S {\n  @Given("^I have (\\\\d+) cukes")\n'
            '  public void have(int n) {}\n  @Given("I eat {int} cukes")\n  public void eat(int n) {}\n}\n')
    feature = "Feature: F\n  Scenario: S\n    Given so I have 5 cukes today\n    Given I eat 5 cukes today\n"
    js_report = _report({"features/step_definitions/s.js": js}, {"f.feature": feature})
    assert [r.status for r in js_report.results] == ["defined", "undefined"]
    jvm_report = _report({"src/test/java/S.java": java}, {"f.feature": feature})
    # "^I have (\d+) cukes" is a regex (starts with ^); cucumber-jvm matches the whole text: neither matches.
    assert [r.status for r in jvm_report.results] == ["undefined", "undefined"]
    fits = "Feature: F\n  Scenario: S\n    Given I have 5 cukes\n    Given I eat 7 cukes\n"
    jvm_report = _report({"src/test/java/S.java": java}, {"f.feature": fits})
    assert [[a.value for a in r.matches[0][1]] for r in jvm_report.results] == [["5"], ["7"]]


def test_cucumber_expressions_with_declared_types_optionals_and_alternatives() -> None:
    js = (
        "defineParameterType({name: 'color', regexp: /red|blue/});\n"
        "Given('I have {int} {color} ball(s) in/on my bag', (n, c) => {});\n"
        "Given('a (?<named>group)', () => {});\n"  # literal text in a Cucumber Expression
        "Given(/^a JS named (?<what>\\w+)$/, () => {});\n"
    )
    feature = ("Feature: F\n  Scenario: S\n    Given I have 1 red ball in my bag\n"
               "    Given I have 2 blue balls on my bag\n    Given I have 2 green balls on my bag\n"
               "    Given a JS named group\n")
    report = _report({"features/step_definitions/s.js": js}, feature_map(feature))
    assert [r.status for r in report.results] == ["defined", "defined", "undefined", "defined"]
    assert [a.value for a in report.results[1].matches[0][1]] == ["2", "blue"]
    assert [a.value for a in report.results[3].matches[0][1]] == ["group"]


# One step file per framework with Cucumber Expressions: ``I add {int} {string}`` (built here: ``_simple_regexp``) and
# ``the name is {string}( now)`` (an optional: built by the cucumber-expressions package).
STRING_STEPS = {
    "cucumber-js": ("features/step_definitions/s.js",
                    "When('I add {int} {string}', function (n, what) {});\n"
                    "When('the name is {string}( now)', function (name) {});\n"),
    "cucumber-jvm": ("src/test/java/steps/StepDefs.java",
                     "package steps;\nimport io.cucumber.java.en.When;\npublic class StepDefs {\n"
                     "    @When(\"I add {int} {string}\")\n    public void add(int n, String what) {}\n"
                     "    @When(\"the name is {string}( now)\")\n    public void name(String name) {}\n}\n"),
    "cucumber-ruby": ("features/step_definitions/s.rb",
                      "When('I add {int} {string}') do |n, what| end\n"
                      "When('the name is {string}( now)') do |name| end\n"),
    "behave": ("features/steps/s.py",
               "from behave import when\n"
               "from behave.cucumber_expression import use_step_matcher_for_cucumber_expressions\n"
               "use_step_matcher_for_cucumber_expressions()\n\n"
               "@when('I add {int} {string}')\ndef add(context, n, what):\n    pass\n\n"
               "@when('the name is {string}( now)')\ndef name(context, name):\n    pass\n"),
    "reqnroll": ("StepDefinitions/S.cs",
                 "using Reqnroll;\n[Binding]\npublic class S {\n"
                 "    [When(\"I add {int} {string}\")] public void Add(int n, string what) { }\n"
                 "    [When(\"the name is {string}( now)\")] public void Name(string name) { }\n}\n"),
}
STRING_FEATURE = """\
Feature: F
  Scenario: S
    When I add 2 "apples"
    When I add 3 'big \\'red\\' "ripe" apples'
    When the name is ""
    When the name is "a \\"b\\"" now
"""


@pytest.mark.parametrize("framework", list(STRING_STEPS))
def test_a_string_argument_is_the_text_between_its_quotes(framework: str) -> None:
    """A {string} argument is what the framework hands the step function: the text between its quotes (either
    kind), with \\" and \\' unescaped as cucumber-expressions' transformer does in JavaScript, Java, Ruby and Python
    (behave's matcher); Reqnroll hands the regex group inside the quotes as it is. Its span stays the quoted
    text's, as cucumber's argument group; the values alone (sync's matching) are the same."""
    if framework == "behave":
        pytest.importorskip("behave.cucumber_expression")
    path, source = STRING_STEPS[framework]
    report = _report({path: source}, feature_map(STRING_FEATURE))
    assert not report.errors and [r.status for r in report.results] == ["defined"] * 4
    got = [[(a.value, a.start, a.end) for a in args] for r in report.results for _, args in r.matches]
    kept = "\\" if framework == "reqnroll" else ""
    assert got == [
        [("2", 6, 7), ("apples", 8, 16)],
        [("3", 6, 7), (f"big {kept}'red{kept}' \"ripe\" apples", 8, 35)],
        [("", 12, 14)],
        [(f"a {kept}\"b{kept}\"", 12, 21)],
    ]
    from tracertm.steps.expressions import Registries, compile_definition

    for definition in report.definitions:
        compiled = compile_definition(definition, Registries(()))
        for r in report.results:
            found = compiled.match(r.use.text)
            assert compiled.arguments(r.use.text) == (None if found is None else tuple(a.value for a in found))


def feature_map(text: str) -> dict[str, str]:
    return {"features/f.feature": text}


def test_untranslatable_regex_is_a_warning_not_a_crash() -> None:
    report = _report({"features/step_definitions/s.js": "Given(/^\\p{Lu}\\w+ arrives$/u, () => {});\n"},
                     feature_map("Feature: F\n  Scenario: S\n    Given Ann arrives\n"))
    assert not report.errors
    [warning] = report.warnings
    assert warning.line == 1 and "\\p{" in warning.message
    assert report.results[0].status == "undefined" and report.unused() == []


def test_pytest_bdd_plain_string_is_exact_and_step_matches_any_keyword() -> None:
    steps = ("from pytest_bdd import given, step, parsers\n"
             "@given('a coupon')\ndef coupon(): pass\n"
             "@step(parsers.parse('the customer {verb}'))\ndef customer(verb): pass\n")
    report = _report({"tests/test_shop.py": steps}, {"features/shop.feature": FEATURE})
    statuses = {r.use.text: r.status for r in report.results}
    assert statuses["a coupon"] == "defined" and statuses["the customer pays"] == "defined"
    assert statuses["3 items in the basket"] == "undefined"


# --------------------------------------------------------------------------------------------------- the index


def _random_project() -> tuple[list[Any], list[Any]]:
    """~150 compiled definitions of many forms (Cucumber Expressions, regexes searched and whole, behave parse and
    re) and the executed steps of a feature of random texts: some match one definition, some several, most none."""
    from tracertm.steps.expressions import Registries, compile_definition
    from tracertm.steps.parsing import parse_step_file
    from tracertm.parsers import parse
    from tracertm.steps.scenarios import feature_uses

    rng = random.Random(7)
    words = ["alpha", "beta", "gamma", "delta", "the", "a", "item", "items", "Order", "order"]
    js, py, texts = [], [], []
    for i in range(150):
        w = rng.sample(words, 3)
        form = i % 8
        if form == 0:
            js.append(f"Given('{w[0]} {{int}} {w[1]} {w[2]}', () => {{}});")
        elif form == 1:
            js.append(f"Given(/{w[0]} (\\d+) {w[1]}/i, () => {{}});")
        elif form == 2:
            js.append(f"Given('{w[0]}(s) {w[1]}/{w[2]} {{word}}', () => {{}});")
        elif form == 3:
            js.append(f"Given(/^(\\w+) {w[1]} {w[2]}$/, () => {{}});")
        elif form == 4:
            py.append(f"@step('{w[0]} {{n:d}} {w[1]}')\ndef f{i}(context, n): pass\n")
        elif form == 5:
            py.append(f"@step(r'(?P<x>\\w+) {w[1]}(?: {w[2]})?')\ndef g{i}(context, x): pass\n")
        elif form == 6:
            js.append(f"Given(/^{w[0]} {w[1]} (\\w+)$/i, () => {{}});")
        else:
            js.append(f"Given(/(?i)^{w[0]} (\\w+)/, () => {{}});")
        texts.append(" ".join(rng.choice(words) if rng.random() < 0.8 else str(rng.randint(1, 9))
                              for _ in range(rng.randint(2, 5))))
    py_src = "from behave import step, use_step_matcher\n" + "".join(py[: len(py) // 2]) + \
        "use_step_matcher('re')\n" + "".join(py[len(py) // 2:])
    definitions = [*parse_step_file("s.steps.js", "\n".join(js).encode()).definitions,
                   *parse_step_file("features/steps/s.py", py_src.encode()).definitions]
    registries = Registries(())
    compiled = []
    for d in definitions:
        try:
            compiled.append(compile_definition(d, registries))
        except Exception:  # noqa: BLE001 - a random behave parse pattern may be invalid for re; skip it
            pass
    assert len(compiled) > 100
    feature = "Feature: F\n  Scenario: S\n" + "".join(f"    Given {t}\n" for t in texts)
    return compiled, feature_uses(parse("feature", "f.feature", feature.encode()))


def test_index_verdicts_equal_brute_force() -> None:
    """The word index must never hide a match: compare with trying every definition on every step."""
    from tracertm.steps.matching import StepIndex, settle

    compiled, uses = _random_project()
    index = StepIndex(compiled)
    matched = 0
    for use in uses:
        # Every match, then the framework's pick among several (behave's first, ...).
        expected = [d for d, _ in settle([(c.definition, ()) for c in compiled if c.match(use.text) is not None])]
        got = [d for d, _ in index.match(use).matches]
        assert got == expected, use.text
        matched += bool(expected)
    assert matched > 10  # the comparison is not vacuous


def test_argument_values_equal_the_arguments() -> None:
    """``Compiled.arguments`` and ``StepIndex.lookup_values`` (sync's matching: values only, no ``Argument``
    objects) give exactly the values of ``match`` and ``lookup``: for every definition and every text, matching
    or not, with optional groups that take no part (None) and Cucumber parameter types with groups of their own."""
    from tracertm.steps.expressions import Registries, compile_definition
    from tracertm.steps.matching import StepIndex
    from tracertm.steps.model import ParameterTypeDecl, StepDefinition

    compiled, uses = _random_project()
    declared = ParameterTypeDecl("color", ("(r)(e)d|blue",), "cucumber-js", "javascript", "s.js", 1)
    registries = Registries([declared])
    extra = [
        ("cucumber-expression", "cucumber-js", 'I have {string} and {int} cuke(s) {float}'),
        ("cucumber-expression", "cucumber-js", "a {color} {word} in/on {}"),
        ("cucumber-expression", "cucumber-js", "{color} or {color}"),
        ("cucumber-expression", "cucumber-js", "the {color} one"),
        ("cucumber-expression", "cucumber-jvm", "no parameters at all"),
        ("regex", "cucumber-js", r"^a (\w+)(?: and (\w+))?( or (\w+))?$"),
        ("regex", "cucumber-jvm", r"a (\w+) (x)?"),
        ("regex", "cucumber-js", r"^no groups$"),
    ]
    for n, (kind, framework, pattern) in enumerate(extra):
        definition = StepDefinition("given", pattern, kind, framework, "javascript", "s.js", n + 1, 1, f"f{n}")
        compiled.append(compile_definition(definition, registries))
    texts = [u.text for u in uses] + [
        'I have "a \\"b\\"" and -5 cuke 1.5E3', "a red ball on the table", "blue or red", "the red one",
        "the blue one", "no parameters at all", "a b", "a b and c", "a b or c", "a b and c or d", "a b x", "a b ",
        "no groups",
    ]
    assert any(c.values is not None for c in compiled) and any(c.values is None for c in compiled)
    matched = 0
    for c in compiled:
        for text in texts:
            args = c.match(text)
            assert c.arguments(text) == (None if args is None else tuple(a.value for a in args)), (c, text)
            matched += args is not None
    assert matched > 20  # not vacuous
    index = StepIndex(compiled)
    for text in texts:
        for kind in ("given", "when"):
            expected = tuple((d, tuple(a.value for a in args)) for d, args in index.lookup(text, kind))
            assert index.lookup_values(text, kind) == expected, text


def test_index_tries_only_the_definitions_sharing_a_rare_word() -> None:
    from tracertm.steps.expressions import Registries, compile_definition
    from tracertm.steps.matching import StepIndex
    from tracertm.steps.parsing import parse_step_file

    js = "\n".join(f"Given('the user{i} logs in {{int}} times', () => {{}});" for i in range(500))
    js += "\nGiven(/^(.*) anything$/, () => {});\nGiven(/^(.*)$/, () => {});"
    definitions = parse_step_file("s.steps.js", js.encode()).definitions
    index = StepIndex(compile_definition(d, Registries(())) for d in definitions)
    candidates = index.candidates("the user42 logs in 3 times")
    assert [c.definition.pattern for c in candidates] == ["the user42 logs in {int} times", "^(.*)$"]


@pytest.mark.parametrize("expression, text", [
    ('I have {string} and {int} cuke(s) {float}', 'I have "a \\"b\\"" and -5 cuke 1.5E3'),
    ("a {color} {word} in/on {}", "a red ball on the table"),
    ("{color} or {color}", "blue or red"),
])
def test_cucumber_arguments_equal_the_packages(expression: str, text: str) -> None:
    """Arguments come from the compiled regex's top-level groups; they must be what the package's match() gives,
    also for types whose regex has groups of its own: the group's text and span, a {string}'s value transformed
    (the text between its quotes, unescaped)."""
    from cucumber_expressions.expression import CucumberExpression

    from tracertm.steps.expressions import Registries, compile_definition
    from tracertm.steps.model import ParameterTypeDecl, StepDefinition

    declared = ParameterTypeDecl("color", ("(r)(e)d|blue",), "cucumber-js", "javascript", "s.js", 1)
    registries = Registries([declared])
    definition = StepDefinition("given", expression, "cucumber-expression", "cucumber-js", "javascript", "s.js", 1,
                                1, "f")
    ours = compile_definition(definition, registries).match(text)
    theirs = CucumberExpression(expression, registries.cucumber("js")).match(text)
    assert ours is not None and theirs is not None
    assert [(a.value, a.start, a.end) for a in ours] == [
        (a.value if a.parameter_type.name == "string" else a.group.value, a.group.start, a.group.end) for a in theirs]


def test_lazy_compile_matches_as_the_eager_one() -> None:
    """``compile_matchable(lazy=True)`` (a spawned parse worker's index: each pattern compiled when first offered)
    gives the same matches and values as compiling every definition first; nothing is compiled before a match."""
    from tracertm.steps.expressions import Registries, compile_matchable
    from tracertm.steps.matching import StepIndex

    compiled, uses = _random_project()
    definitions = [c.definition for c in compiled]
    eager = StepIndex(compile_matchable(definitions, Registries(())))
    lazy_compiled = compile_matchable(definitions, Registries(()), lazy=True)
    assert [c.definition for c in lazy_compiled] == definitions
    lazy = StepIndex(lazy_compiled)
    for use in uses:
        assert lazy.lookup_values(use.text, use.type) == eager.lookup_values(use.text, use.type), use.text
        assert lazy.lookup(use.text, use.type) == eager.lookup(use.text, use.type), use.text
    assert any(c.values is not None for c in lazy_compiled)


def test_lazy_compile_keeps_the_time_bound() -> None:
    """A catastrophically backtracking pattern compiled on first use still runs under the time budget: the index
    records it as slow instead of hanging."""
    from tracertm.steps.expressions import Registries, compile_matchable
    from tracertm.steps.matching import StepIndex
    from tracertm.steps.parsing import parse_step_file

    js = "Given(/^(a|aa)+$/, function slow() {});\nGiven('the {word} pays', function pays() {});\n"
    definitions = parse_step_file("s.steps.js", js.encode()).definitions
    index = StepIndex(compile_matchable(definitions, Registries(()), lazy=True))
    assert index.lookup_values("a" * 60 + "!!", "given") == ()
    assert [d.pattern for d, _ in index.slow.values()] == ["^(a|aa)+$"]
    assert [(d.pattern, values) for d, values in index.lookup_values("the customer pays", "given")] == [
        ("the {word} pays", ("customer",))]


def test_a_pattern_the_regex_package_refuses_never_matches_when_compiled_lazily(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eagerly, a pattern ``re`` accepts but ``regex`` refuses leaves its definition out of the index; compiled on
    first use, the definition stays in but never matches: the same verdicts."""
    import regex

    from tracertm.steps import compiled, cucumber_matchers, parse_matchers
    from tracertm.steps.bounded import compile_pattern as real
    from tracertm.steps.expressions import Registries, compile_matchable
    from tracertm.steps.matching import StepIndex
    from tracertm.steps.parsing import parse_step_file

    def refusing(source: str, flags: int = 0) -> Any:
        if "refused" in source:
            raise regex.error("refused here")
        return real(source, flags)

    for module in (compiled, cucumber_matchers, parse_matchers):  # each compiles user patterns for bounded matching
        monkeypatch.setattr(module, "compile_pattern", refusing)
    # Patterns that can backtrack (``.*`` before a space, ``{string}``): ``re`` would run the others unbounded.
    js = ("Given(/^the (.*) is refused$/, function a() {});\nGiven('the {string} is refused', function b() {});\n"
          "Given(/^the (\\w+) is (\\w+)$/, function c() {});\n")
    definitions = parse_step_file("s.steps.js", js.encode()).definitions
    eager = StepIndex(compile_matchable(definitions, Registries(())))
    lazy = StepIndex(compile_matchable(definitions, Registries(()), lazy=True))
    assert len(eager.compiled) == 1 and len(lazy.compiled) == 3
    for text in ("the order is refused", "the order is paid"):
        expected = eager.lookup_values(text, "given")
        assert expected and lazy.lookup_values(text, "given") == expected
        assert lazy.lookup(text, "given") == eager.lookup(text, "given")


def test_a_report_matches_with_the_collector_paused_and_gives_it_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """``report_from`` / ``build_report`` / ``feature_uses`` pause the cyclic collector while they build the
    steps and match them (a large project's report spent half its CPU in collections), turn it back on after, and
    report exactly what building the report with the collector on gives."""
    import gc

    from tracertm.steps import report as report_module
    from tracertm.steps import scenarios
    from tracertm.steps.matching import StepIndex

    steps = {"features/step_definitions/s.js": "Given('a shop', () => {});\nWhen('I buy {int} {word}', () => {});\n"
                                               "When('I buy {int} pears', () => {});\n"}
    features = {"features/f.feature": "Feature: F\n  Background:\n    Given a shop\n  Scenario: s\n"
                                      "    When I buy 2 apples\n    And I buy 3 pears\n    Then I pay\n"
                                      "  Scenario Outline: o\n    When I buy <n> <what>\n    Examples:\n"
                                      "      | n | what |\n      | 1 | pears |\n      | 2 | figs |\n"}
    seen: list[bool] = []
    real_match, real_uses = StepIndex.match, scenarios.scenario_uses

    def match(self: StepIndex, use: Any) -> Any:
        seen.append(gc.isenabled())
        return real_match(self, use)

    def uses(*args: Any) -> Any:
        seen.append(gc.isenabled())
        return real_uses(*args)

    monkeypatch.setattr(StepIndex, "match", match)
    monkeypatch.setattr(scenarios, "scenario_uses", uses)
    assert gc.isenabled()
    paused = _report(steps, features)
    assert seen and not any(seen)
    assert gc.isenabled()
    # The same report with the collector on throughout (the unpaused body).
    monkeypatch.setattr(report_module, "build_report", report_module._build_report)
    monkeypatch.setattr("tracertm.steps.project.build_report", report_module._build_report)
    monkeypatch.setattr("tracertm.collector.collector_paused", _not_paused)
    seen.clear()
    plain = _report(steps, features)
    assert seen and all(seen)
    assert paused.as_dict() == plain.as_dict()
    assert {r.status for r in paused.results} == {"defined", "undefined", "ambiguous"}


@__import__("contextlib").contextmanager
def _not_paused() -> Any:
    yield
