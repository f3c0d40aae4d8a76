"""A step decorator under another name (``g = given``; cucumber-js ``const G = Given``) and behave's/pytest-bdd's
call form ``given("…")(func)`` register step definitions in the frameworks; tracertm read none of them, silently
(their steps undefined, no error). They are read now, located where the framework locates them (behave: the
function's first line), and a step decorator called in a form tracertm still cannot follow is a warning."""

from __future__ import annotations

from tracertm.steps.parsing import parse_step_file

BEHAVE = '''from behave import given, then

g = given

@g("an aliased step")
def step_aliased(context):
    pass

def shared(context, n):
    pass

given("a step registered by a call {n:d}")(shared)
then("a lambda step")(lambda context: None)

d = given("a decorator bound to a name")

@d
def step_bound(context):
    pass

steps = [given("a step in a list")]

@then("a plain step")
def step_plain(context):
    pass
'''

PYTEST_BDD = '''from pytest_bdd import given as gv, scenarios
scenarios("features/a.feature")
alias = gv

def _shared():
    pass

@alias("an aliased step")
def _aliased():
    pass

gv("a call form step")(_shared)
'''

JS = '''const cucumber = require('@cucumber/cucumber');
const { Given } = cucumber;
const G = Given;
const H = cucumber.Given;
G('an aliased step', function () {});
H('a namespaced alias step', function () {});
'''


def test_behave_alias_call_form_and_bound_decorator() -> None:
    f = parse_step_file("features/steps/s.py", BEHAVE.encode())
    got = [(d.keyword, d.pattern, d.line, d.function, [p.name for p in d.parameters]) for d in f.definitions]
    assert got == [
        ("given", "an aliased step", 5, "step_aliased", []),
        ("given", "a step registered by a call {n:d}", 9, "shared", ["n"]),  # behave: shared's own line
        ("then", "a lambda step", 13, "", []),
        ("given", "a decorator bound to a name", 17, "step_bound", []),
        ("then", "a plain step", 23, "step_plain", []),
    ]
    assert not f.errors
    assert [(w.line, w.severity) for w in f.warnings] == [(21, "warning")]
    assert "given('a step in a list') is not read" in f.warnings[0].message.replace('"', "'")


def test_pytest_bdd_alias_and_call_form() -> None:
    f = parse_step_file("tests/test_a.py", PYTEST_BDD.encode())
    assert [(d.keyword, d.pattern, d.line, d.function) for d in f.definitions] == [
        ("given", "an aliased step", 8, "_aliased"),
        ("given", "a call form step", 12, "_shared"),  # pytest-bdd: the call's line
    ]
    assert not f.errors and not f.warnings


def test_cucumber_js_alias_of_a_destructured_step_function() -> None:
    f = parse_step_file("features/step_definitions/s.js", JS.encode())
    assert [(d.keyword, d.pattern, d.line) for d in f.definitions] == [
        ("given", "an aliased step", 5), ("given", "a namespaced alias step", 6)]
    assert not f.errors
