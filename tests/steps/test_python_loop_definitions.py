"""behave and pytest-bdd register a step decorator wherever the module's top-level code runs it: inside a ``for``,
``async for`` or ``while`` loop and a ``match`` case as inside an ``if``. tracertm read definitions only in
``if``/``try``/``with`` blocks: those in a loop or a case were silently left out (their steps undefined, no
error). A literal pattern there is read; one built from the loop variable is the "not a literal" error."""

from __future__ import annotations

from tracertm.steps.parsing import parse_step_file

BEHAVE = '''from behave import given

for colour in ["red", "blue"]:
    @given("the colour " + colour)
    def step_colour(context):
        pass

for _ in range(1):
    @given("a literal step inside a loop")
    def step_literal(context):
        pass

while True:
    @given("a step inside a while loop")
    def step_while(context):
        pass
    break

match 1:
    case 1:
        @given("a step inside a match case")
        def step_match(context):
            pass
'''

PYTEST_BDD = '''from pytest_bdd import scenarios, given
scenarios("features/a.feature")
for colour in ["red", "blue"]:
    @given(colour)
    def _colour(): pass
for _ in range(1):
    @given("a loop step")
    def _loop(): pass
'''


def test_behave_definitions_in_loops_and_match_cases_are_read() -> None:
    f = parse_step_file("features/steps/s.py", BEHAVE.encode())
    assert [(d.pattern, d.line, d.function) for d in f.definitions] == [
        ("a literal step inside a loop", 9, "step_literal"),
        ("a step inside a while loop", 14, "step_while"),
        ("a step inside a match case", 21, "step_match"),
    ]
    # The pattern built from the loop variable: one error at it, naming why.
    assert [(e.line, e.column) for e in f.errors] == [(4, 12)]
    assert "is not a string literal" in f.errors[0].message
    assert "step_colour()" in f.errors[0].message


def test_pytest_bdd_definitions_in_a_loop_are_read() -> None:
    f = parse_step_file("tests/test_a.py", PYTEST_BDD.encode())
    assert [(d.pattern, d.line, d.framework) for d in f.definitions] == [("a loop step", 7, "pytest-bdd")]
    assert [e.line for e in f.errors] == [4]
    assert "the step name is not a string literal (colour)" in f.errors[0].message
