"""A step module written for a newer Python than the one tracertm runs on — PEP 701's f-string reusing its quotes,
PEP 695's ``type X = …`` (Python 3.12) — loads in the test run but ``ast`` refuses it here: its error was a bare
"Python syntax error (f-string: unmatched '[')", which reads as a broken file. It names the Python tracertm runs on
and, for a line that looks like 3.12 syntax, says so and what to do."""

from __future__ import annotations

import sys

import pytest

from tracertm.errors import ParseError
from tracertm.steps.parsing import parse_step_file

RUNNING = f"Python {sys.version_info.major}.{sys.version_info.minor}"
FSTRING = b'from behave import given\n\n@given("a step {x}")\ndef step_a(context, x):\n    data = {"k": x}\n' \
          b'    print(f"value: {data["k"]}")\n'
TYPE_ALIAS = b'from behave import then\n\ntype Items = list[int]\n\n@then("it works")\n' \
             b'def step_t(context):\n    pass\n'
GENERIC = b'from behave import then\n\ndef first[T](items: list[T]) -> T:\n    return items[0]\n'


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 reads these modules")
@pytest.mark.parametrize(("text", "line"), [(FSTRING, 6), (TYPE_ALIAS, 3), (GENERIC, 3)])
def test_python_3_12_syntax_is_named_with_the_running_version(text: bytes, line: int) -> None:
    with pytest.raises(ParseError) as raised:
        parse_step_file("features/steps/s.py", text)
    [error] = raised.value.diagnostics
    assert error.line == line
    message = error.message
    assert f"for {RUNNING}, which tracertm runs on" in message
    assert "looks like Python 3.12 syntax" in message and "run tracertm on Python 3.12 or later" in message
    assert "\n" not in message


def test_a_plain_syntax_error_names_the_running_version_too() -> None:
    with pytest.raises(ParseError) as raised:
        parse_step_file("features/steps/s.py", b"from behave import given\n\n@given('x'\ndef f(context): pass\n")
    message = raised.value.diagnostics[0].message
    assert message.startswith("Python syntax error (") and f"for {RUNNING}, which tracertm runs on" in message
    assert "3.12 syntax" not in message and "fix the line" in message
