"""Step files → definitions: behave and pytest-bdd through ``ast``, cucumber-js (JS/TS) and cucumber-jvm through
tree-sitter; unreadable definitions are located errors and the rest of the file still counts."""

from __future__ import annotations

import pytest

from tracertm.errors import ParseError
from tracertm.steps.parsing import parse_step_file


def _defs(path: str, source: str) -> list[tuple[str, str, str, int, str]]:
    f = parse_step_file(path, source.encode())
    return [(d.keyword, d.kind, d.pattern, d.line, d.function) for d in f.definitions]


# ------------------------------------------------------------------------------------------------------ behave


BEHAVE = '''\
from behave import given, when, then, step, use_step_matcher, register_type
import parse

@parse.with_pattern(r"red|green")
def parse_color(text):
    return text

register_type(Color=parse_color)

@given("I have {n:d} {color:Color} apples")
def have(context, n: int, color):
    pass

use_step_matcher("re")

@when(r"I eat (?P<count>\\d+)")
@step(r"I munch (?P<count>\\d+)")
def eat(context, count):
    pass

use_step_matcher("cfparse")

@then("I see {names:Name+}")
def see(context, names):
    pass

PATTERN = "constant pattern"

use_default_step_matcher()

@then(PATTERN)
def constant(context):
    pass

@then(f"no {PATTERN}")
def formatted(context):
    pass

@then("after the broken one")
def after(context):
    pass
'''


def test_behave_matchers_types_and_unreadable_patterns() -> None:
    f = parse_step_file("features/steps/fruit.py", BEHAVE.encode())
    assert [(d.keyword, d.kind, d.pattern, d.function) for d in f.definitions] == [
        ("given", "parse", "I have {n:d} {color:Color} apples", "have"),
        # behave's "re" matcher compiles ^pattern$ (and shows it so in steps.usage)
        ("when", "regex", r"^I eat (?P<count>\d+)$", "eat"),
        ("step", "regex", r"^I munch (?P<count>\d+)$", "eat"),
        ("then", "cfparse", "I see {names:Name+}", "see"),
        ("then", "parse", "constant pattern", "constant"),
        ("then", "parse", "after the broken one", "after"),
    ]
    first = f.definitions[0]
    assert first.framework == "behave" and first.line == 10 and first.column == 2
    assert [(p.name, p.type) for p in first.parameters] == [("n", "int"), ("color", "")]  # context is not one
    # Two decorators on one function: named by keyword and pattern too, not by their order.
    assert [d.identity for d in f.definitions[1:3]] == [
        r"features/steps/fruit.py::eat:when(^I eat (?P<count>\d+)$)",
        r"features/steps/fruit.py::eat:step(^I munch (?P<count>\d+)$)",
    ]
    assert [(t.name, t.regexps) for t in f.parameter_types] == [("Color", ("red|green",))]
    assert len(f.errors) == 1 and (f.errors[0].line, f.errors[0].column) == (35, 7)
    assert "f-string" in f.errors[0].message and "formatted()" in f.errors[0].message


def test_behave_module_without_import_in_steps_folder_and_plain_tests_are_ignored() -> None:
    src = '@given("a thing")\ndef thing(context):\n    pass\n'
    assert _defs("features/steps/implicit.py", src) == [("given", "parse", "a thing", 1, "thing")]
    assert _defs("tests/test_plain.py", src) == []  # neither behave nor pytest-bdd: an ordinary module


def test_content_hash_ignores_body_names_and_position_but_not_pattern_or_types() -> None:
    base = 'from behave import given\n@given("a {n:d}")\ndef one(context, n: int):\n    pass\n'
    moved = '\n\nfrom behave import given\n@given("a {n:d}")\ndef one(context, count: int):\n    return 1\n'
    retyped = 'from behave import given\n@given("a {n:d}")\ndef one(context, n: str):\n    pass\n'
    other = 'from behave import given\n@given("an {n:d}")\ndef one(context, n: int):\n    pass\n'
    h = [parse_step_file("features/steps/a.py", s.encode()).definitions[0].content_hash
         for s in (base, moved, retyped, other)]
    assert h[0] == h[1] and len({h[0], h[2], h[3]}) == 3


def test_python_syntax_error_is_a_file_error() -> None:
    with pytest.raises(ParseError) as exc:
        parse_step_file("features/steps/bad.py", b"from behave import given\n@given('x'\ndef f(c): pass\n")
    assert exc.value.path == "features/steps/bad.py" and exc.value.line >= 2


@pytest.mark.parametrize("data", [b"\xff\xfe bad", b"a\x00b"])
def test_undecodable_step_file_is_a_file_error(data: bytes) -> None:
    with pytest.raises(ParseError):
        parse_step_file("features/steps/bad.py", data)


# -------------------------------------------------------------------------------------------------- pytest-bdd


PYTEST_BDD = '''\
import re
from pytest_bdd import given, when, then, step, parsers, scenarios
from pytest_bdd.parsers import parse as p

scenarios("features")

@given("a plain account", target_fixture="account")
def account():
    return {}

@when(parsers.parse("I deposit {amount:d} euros"), converters={"amount": int})
def deposit(account, amount):
    pass

@when(p("I withdraw {amount:Money}", extra_types={"Money": int}))
def withdraw(account, amount):
    pass

@then(parsers.re(r"the balance is (?P<total>\\d+)", flags=re.IGNORECASE))
def balance(account, total: str):
    pass

@step(parsers.cfparse("notes {items:Note+}"))
def notes(items):
    pass

@then(parsers.string("exactly this"))
def exact():
    pass

@then(make_parser("x"))
def dynamic():
    pass
'''


def test_pytest_bdd_parsers_fixtures_converters() -> None:
    f = parse_step_file("tests/test_bank.py", PYTEST_BDD.encode())
    got = [(d.keyword, d.kind, d.pattern, d.flags, d.function, d.target_fixture) for d in f.definitions]
    assert got == [
        ("given", "string", "a plain account", "", "account", "account"),
        ("when", "parse", "I deposit {amount:d} euros", "", "deposit", None),
        ("when", "parse", "I withdraw {amount:Money}", "", "withdraw", None),
        ("then", "regex", r"the balance is (?P<total>\d+)", "i", "balance", None),
        ("step", "cfparse", "notes {items:Note+}", "", "notes", None),
        ("then", "string", "exactly this", "", "exact", None),
    ]
    assert all(d.framework == "pytest-bdd" for d in f.definitions)
    assert [(p.name, p.type) for p in f.definitions[1].parameters] == [("account", ""), ("amount", "int")]
    assert [t.name for t in f.parameter_types] == ["Money"]
    assert len(f.errors) == 1 and f.errors[0].line == 31 and "make_parser" in f.errors[0].message


# -------------------------------------------------------------------------------------------------- JavaScript


JS = r"""
const { Given, When, Then, defineParameterType, defineStep } = require('@cucumber/cucumber');

defineParameterType({ name: 'color', regexp: /red|blue|yellow/, transformer: s => s });
defineParameterType({ name: 'flight', regexp: ['[A-Z]{3}-[A-Z]{3}', /\d+/] });

Given('I have {int} {color} ball(s)', function (count, color) {});
When(/^I throw (\d+) balls? at "([^"]*)"$/i, async function throwing(n, target) {});
Then(`the \(escaped\) text`, () => {});
defineStep('any keyword', named);
Given(patternFromVariable, () => {});
Then('after the broken one', () => {});
"""


def test_cucumber_js_strings_regexes_parameter_types() -> None:
    f = parse_step_file("features/step_definitions/balls.js", JS.encode())
    got = [(d.keyword, d.kind, d.pattern, d.flags, d.function, d.line) for d in f.definitions]
    assert got == [
        ("given", "cucumber-expression", "I have {int} {color} ball(s)", "", "", 7),
        ("when", "regex", r'^I throw (\d+) balls? at "([^"]*)"$', "i", "throwing", 8),
        ("then", "cucumber-expression", "the (escaped) text", "", "", 9),  # JavaScript drops a needless backslash
        ("step", "cucumber-expression", "any keyword", "", "named", 10),
        ("then", "cucumber-expression", "after the broken one", "", "", 12),
    ]
    assert f.definitions[0].framework == "cucumber-js" and f.definitions[0].language == "javascript"
    assert [p.name for p in f.definitions[0].parameters] == ["count", "color"]
    assert f.definitions[0].identity == "features/step_definitions/balls.js::given(I have {int} {color} ball(s))"
    assert [(t.name, t.regexps) for t in f.parameter_types] == [
        ("color", ("red|blue|yellow",)), ("flight", ("[A-Z]{3}-[A-Z]{3}", r"\d+")),
    ]
    assert len(f.errors) == 1 and (f.errors[0].line, f.errors[0].column) == (11, 7)


def test_js_string_escapes_follow_javascript() -> None:
    f = parse_step_file("x.steps.js", b"Given('it\\'s a \\\\(literal\\\\) \\u0041', () => {});\n")
    assert f.definitions[0].pattern == "it's a \\(literal\\) A"


TS = """
import { createBdd } from 'playwright-bdd';
const { Given, When } = createBdd();

Given('I open {string}', async ({ page }: { page: Page }, url: string) => {});
When(['I click {string}', 'I press {string}'], async ({ page }, label: string) => {});

export class TodoPage {
  @Given('an empty list')
  async empty(this: World, name: string) {}
}
"""


def test_playwright_bdd_typescript_aliases_and_decorators() -> None:
    f = parse_step_file("features/todo.steps.ts", TS.encode())
    got = [(d.keyword, d.pattern, d.function, d.framework, d.language) for d in f.definitions]
    assert got == [
        ("given", "I open {string}", "", "playwright-bdd", "typescript"),
        ("when", "I click {string}", "", "playwright-bdd", "typescript"),
        ("when", "I press {string}", "", "playwright-bdd", "typescript"),
        ("given", "an empty list", "empty", "playwright-bdd", "typescript"),
    ]
    assert [(p.name, p.type) for p in f.definitions[0].parameters][-1] == ("url", "string")
    assert [(p.name, p.type) for p in f.definitions[3].parameters] == [("name", "string")]


def test_js_syntax_error_is_located_and_the_rest_counts() -> None:
    src = "Given('before', () => {});\nWhen('broken', () => { if ( });\nThen('after', () => {});\n"
    f = parse_step_file("features/step_definitions/x.js", src.encode())
    assert {d.pattern for d in f.definitions} >= {"before", "after"}
    assert f.errors and f.errors[0].line == 2 and "syntax error" in f.errors[0].message


# ------------------------------------------------------------------------------------------------------- Java


JAVA = """
package steps;

import io.cucumber.java.ParameterType;
import io.cucumber.java.en.Given;
import io.cucumber.java.en.When;
import io.cucumber.java.fr.Soit;
import io.cucumber.java8.En;

public class BellySteps implements En {
    @ParameterType("red|blue")
    public Color color(String value) { return Color.of(value); }

    @ParameterType(value = "[A-Z]{3}", name = "airport")
    public Airport code(String value) { return null; }

    @Given("I have {int} cukes in my {color} belly")
    public void cukes(int count, Color color) {}

    @When("^I wait (\\\\d+) hours?$")
    @When("/I sleep (\\\\d+)/")
    public void waitHours(Integer hours) {}

    @Soit("un concombre")
    public void concombre() {}

    @Given(PATTERN)
    public void constant() {}

    @Given("split " + "literal")
    public void joined() {}

    public BellySteps() {
        Then("the belly growls {int} times", (Integer n) -> {});
        ParameterType("mood", "happy|sad", (String s) -> s);
    }
}
"""


def test_cucumber_jvm_annotations_lambdas_parameter_types() -> None:
    f = parse_step_file("src/test/java/steps/BellySteps.java", JAVA.encode())
    got = [(d.keyword, d.kind, d.pattern, d.function) for d in f.definitions]
    assert got == [
        ("given", "cucumber-expression", "I have {int} cukes in my {color} belly", "cukes"),
        ("when", "regex", r"^I wait (\d+) hours?$", "waitHours"),
        ("when", "regex", r"I sleep (\d+)", "waitHours"),
        ("step", "cucumber-expression", "un concombre", "concombre"),
        ("given", "cucumber-expression", "split literal", "joined"),
        ("then", "cucumber-expression", "the belly growls {int} times", ""),
    ]
    assert [(p.name, p.type) for p in f.definitions[0].parameters] == [("count", "int"), ("color", "Color")]
    assert [(p.name, p.type) for p in f.definitions[5].parameters] == [("n", "Integer")]
    assert [(t.name, t.regexps) for t in f.parameter_types] == [
        ("color", ("red|blue",)), ("airport", ("[A-Z]{3}",)), ("mood", ("happy|sad",)),
    ]
    assert len(f.errors) == 1 and f.errors[0].line == 27 and "constant()" in f.errors[0].message
