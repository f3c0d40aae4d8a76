"""behave's own parse converters (``behave.parameter_type``: ``parse_unquoted_text``, ``parse_number``, ...) carry
their patterns (``@parse.with_pattern``); step libraries register them under names of their own
(``register_type(Unquoted=parse_unquoted_text)``, behave4cmd0 does). tracertm read such a type as "cannot be read"
(a warning, and a type that matches any text), so a step behave leaves undefined read as defined."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from test_behave_default_matcher_across_modules import behave_undefined
from tracertm.steps.project import analyze

STEPS = """\
from behave import given, register_type
from behave.parameter_type import parse_number, parse_unquoted_text

register_type(Unquoted=parse_unquoted_text, Count=parse_number)


@given('a "{name:Unquoted}" file of {n:Count} lines')
def a_file(context, name, n):
    pass
"""
FEATURE = """\
Feature: Files
  Scenario: plain
    Given a "notes.txt" file of 3 lines

  Scenario: quoted
    Given a "say "hi"" file of 3 lines

  Scenario: negative
    Given a "notes.txt" file of -3 lines
"""


def test_behaves_converters_are_read_with_their_patterns(git_repo: GitRepo) -> None:
    git_repo.write("features/files.feature", FEATURE)
    git_repo.write("features/steps/files_steps.py", STEPS)
    git_repo.commit("converters")
    report = analyze(git_repo.path)
    assert [str(w) for w in report.warnings if "cannot be read" in w.message] == []
    undefined = sorted(r.use.text for r in report.undefined())
    assert undefined == ['a "notes.txt" file of -3 lines', 'a "say "hi"" file of 3 lines']
    pytest.importorskip("behave.parameter_type")  # behave 1.2.7 and later
    assert behave_undefined(str(git_repo.path), tuple(undefined) + ('a "notes.txt" file of 3 lines',)) == undefined
