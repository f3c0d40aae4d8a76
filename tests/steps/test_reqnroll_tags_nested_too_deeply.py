"""A Reqnroll ``[Scope(Tag = ...)]`` tag expression of 2,000 ``not``s or parentheses, or a chain of 3,000 ``or``s
(Reqnroll's parser takes them), went past Python's recursion limit in tracertm's reader: first one error at line 0
that said nothing to do, then one at line 1 for the whole file, its definitions lost. It is now an error at the
attribute that says what to do, and the file's definitions are read (the method with that scope as if it had not
the deep one, as for any tag expression tracertm cannot use)."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.checker import check
from tracertm.steps.project import analyze

DEPTH = 2000  # past Python's recursion limit (1,000)
PATH = "Steps/RainSteps.cs"


@pytest.mark.parametrize("tag", ["not " * DEPTH + "@a", "(" * DEPTH + "@a" + ")" * DEPTH,
                                 " or ".join(f"@t{i}" for i in range(3000))])
def test_a_tag_expression_nested_too_deeply_is_an_error_at_its_attribute(git_repo: GitRepo, tag: str) -> None:
    git_repo.write("Features/rain.feature", "Feature: Rain\n  Scenario: s\n    Given it rains\n    Then it pours\n")
    git_repo.write(PATH, "using Reqnroll;\n[Binding]\npublic class RainSteps {\n"
                         f"  [Scope(Tag = \"{tag}\")]\n"
                         "  [Given(\"it rains\")] public void Rains() { }\n"
                         "  [Then(\"it pours\")] public void Pours() { }\n}\n")
    git_repo.commit("a deep tag expression")
    report = analyze(git_repo.path)
    assert [(e.path, e.line) for e in report.errors] == [(PATH, 4)]  # was: the whole file, at line 1
    message = report.errors[0].message
    assert "which tracertm does not read" in message and "split it into several [Scope] attributes" in message
    assert "\n" not in message and len(message) < 300
    assert sorted(d.function for d in report.definitions) == ["Pours", "Rains"]
    checked = check(git_repo.path)
    assert [(e.path, e.line, e.message) for e in checked.errors] == [(PATH, 4, message)]
