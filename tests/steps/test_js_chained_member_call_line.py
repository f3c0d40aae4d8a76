"""A cucumber-js definition written as a member call broken over lines (``cucumber\\n  .When('…', fn)``) is at the
line of ``.When``, where cucumber-js (V8's call site) locates it; tracertm gave the line of the object (``cucumber``).
A member call on one line keeps the call's own line and column."""

from __future__ import annotations

from tracertm.steps.parsing import parse_step_file

CHAINED = b"""const cucumber = require('@cucumber/cucumber');
cucumber
  .When('a chained step', function () {});
cucumber.Given('a one-line step', function () {});
"""


def test_a_chained_member_call_is_at_its_property_line() -> None:
    f = parse_step_file("features/step_definitions/s.js", CHAINED)
    assert [(d.pattern, d.line, d.column) for d in f.definitions] == [
        ("a chained step", 3, 4), ("a one-line step", 4, 1)]
    assert not f.errors
