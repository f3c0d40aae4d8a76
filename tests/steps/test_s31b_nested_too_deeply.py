"""A step file of another language than Python nested deeper than tracertm's reader of it recurses — a Reqnroll
``[Scope(Tag = ...)]`` tag expression of 2,000 ``not``s or parentheses (Reqnroll's parser takes it) — was one error at
line 0 that said nothing to do: it is at line 1 and says to split the most deeply nested expression."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.checker import check
from tracertm.steps.project import analyze

DEPTH = 2000  # past Python's recursion limit (1,000)
PATH = "Steps/RainSteps.cs"


@pytest.mark.parametrize("tag", ["not " * DEPTH + "@a", "(" * DEPTH + "@a" + ")" * DEPTH])
def test_a_csharp_file_nested_too_deeply_says_what_to_do_at_line_1(git_repo: GitRepo, tag: str) -> None:
    git_repo.write("Features/rain.feature", "Feature: Rain\n  Scenario: s\n    Given it rains\n")
    git_repo.write(PATH, "using Reqnroll;\n[Binding]\npublic class RainSteps {\n"
                         f"  [Scope(Tag = \"{tag}\")]\n"
                         "  [Given(\"it rains\")] public void Rains() { }\n}\n")
    git_repo.commit("a deep tag expression")
    report = analyze(git_repo.path)
    assert [(e.path, e.line) for e in report.errors] == [(PATH, 1)]  # was: line 0
    message = report.errors[0].message
    assert "nested too deeply" in message and "split the most deeply nested expression" in message
    assert "\n" not in message
    checked = check(git_repo.path)
    assert [(e.path, e.line, e.message) for e in checked.errors] == [(PATH, 1, message)]
    assert str(checked.errors[0]).startswith(f"{PATH}:1:0: error: C# code nested too deeply")
