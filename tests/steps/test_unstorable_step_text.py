"""A step definition whose text no database stores — a NUL or a lone surrogate, made by an escape in its string
literal — is an error at its line, not a row the sync cannot write (the soak's parser fuzz found one in TypeScript);
the rest of the file still counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracertm.cli import main
from tracertm.steps.parsing import parse_step_file

TS = r"""import { Given } from '@cucumber/cucumber';
Given('I open \0 it', () => {});
Given('a \ud800 surrogate', () => {});
Given('fine', () => {});
"""


def test_unstorable_definitions_are_errors() -> None:
    step_file = parse_step_file("features/step_definitions/a.steps.ts", TS.encode())
    assert [d.pattern for d in step_file.definitions] == ["fine"]
    assert [(e.line, "NUL character or invalid UTF-8" in e.message) for e in step_file.errors] == [(2, True), (3, True)]


JS = r"""const { Given } = require('@cucumber/cucumber');
Given('past the last code point \u{110000}', () => {});
Given('far past it \u{FFFFFFFFFFFFFFFFFFFF}', () => {});
Given('an astral \u{1F600} is fine', () => {});
"""

BEHAVE = r"""from behave import given

@given('I see \x00 nothing')
def step_nul(context):
    pass

@given('a \ud800 surrogate')
def step_surrogate(context):
    pass

@given('fine')
def step_fine(context):
    pass
"""


def test_an_escape_past_the_last_code_point_is_an_error_at_its_line() -> None:
    """The soak's fuzz: ``\\u{110000}`` made ``chr()`` raise, and the whole sync exited 3 (internal error)."""
    step_file = parse_step_file("features/step_definitions/a.steps.js", JS.encode())
    assert [d.pattern for d in step_file.definitions] == ["an astral \U0001F600 is fine"]
    assert [e.line for e in step_file.errors] == [2, 3]


def test_python_definitions_are_checked_too() -> None:
    step_file = parse_step_file("features/steps/a_steps.py", BEHAVE.encode())
    assert [d.pattern for d in step_file.definitions] == ["fine"]
    assert [e.line for e in step_file.errors] == [3, 7]


def test_check_reports_them_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "features" / "step_definitions").mkdir(parents=True)
    (tmp_path / "features" / "step_definitions" / "a.steps.js").write_text(JS)
    (tmp_path / "features" / "a.feature").write_text("Feature: A\n  Scenario: s\n    Given an astral \U0001F600 is fine\n")
    code = main(["check", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert "a.steps.js:2:" in out + err and "internal error" not in out + err
