"""A behave definition behave never registers — below a step-matcher selection behave stops at (``KeyError``), or
one whose Cucumber Expression's ``{type}`` is defined later (``UndefinedParameterTypeError``) — refuses no later
definition as ambiguous with it: behave's registry never held it, so its ``AmbiguousStep`` check cannot see it.
``check`` and ``steps`` reported 'step definition @given('the color red') would be ambiguous with
@given('the color {word}') at features/steps/a.py:4: behave refuses to load it (AmbiguousStep …)', an error
behave's dry run never gives, and left the later definition's step undefined (sync did not link it)"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import GitRepo
from tracertm.checker import check
from tracertm.steps.prematch import matcher
from tracertm.steps.project import analyze
from tracertm.steps.records import parse

FEATURE = "Feature: f\n  Scenario: s\n    Given the color red\n"
RED = "from behave import given\n\n@given('the color red')\ndef red(context):\n    pass\n"
STOP_AT_SELECTION = ("from behave import given, use_step_matcher\nuse_step_matcher('cucumber_expressions')\n\n"
                     "@given('the color {word}')\ndef color(context, c):\n    pass\n")
LATE_TYPE = ("from behave import given\nfrom behave.cucumber_expression import use_step_matcher_for_cucumber_"
             "expressions\nuse_step_matcher_for_cucumber_expressions()\n\n@given('the color {color}')\n"
             "def color(context, c):\n    pass\n")
DEFINE = ("from behave.cucumber_expression import define_parameter_type_with\n"
          "define_parameter_type_with('color', r'red|blue', str)\n")

# files → (what stops behave, the line of the module that holds it).
CASES: dict[str, tuple[dict[str, str], str]] = {
    "below a selection behave stops at": (
        {"features/steps/a.py": STOP_AT_SELECTION, "features/steps/b.py": RED}, "KeyError: 'cucumber_expressions'"),
    "a parameter type defined later": (
        {"features/steps/a.py": LATE_TYPE, "features/steps/b.py": RED, "features/steps/z_types.py": DEFINE},
        "UndefinedParameterTypeError"),
}


def _dry_run(repo: GitRepo) -> str:
    proc = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "--no-capture", "-f", "steps.usage"],
                          cwd=repo.path, capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


@pytest.mark.parametrize("case", list(CASES))
def test_a_definition_behave_never_registers_makes_no_later_one_ambiguous(git_repo: GitRepo, case: str) -> None:
    pytest.importorskip("behave.cucumber_expression")
    files, stops = CASES[case]
    git_repo.write("features/a.feature", FEATURE)
    for path, text in files.items():
        git_repo.write(path, text)
    git_repo.commit(case)

    # behave stops at a.py, never registering its definition: no AmbiguousStep, whatever b.py holds.
    output = _dry_run(git_repo)
    assert f"Exception {stops}" in output and "AmbiguousStep" not in output, output
    # What behave registered of a.py before it stopped (nothing) and b.py: b.py's definition loads, used by the step.
    git_repo.write("features/steps/a.py", "")
    output = _dry_run(git_repo)
    assert "AmbiguousStep" not in output and "Exception" not in output, output
    assert "@given('the color red')" in output and "# features/a.feature:3" in output, output
    git_repo.write("features/steps/a.py", files["features/steps/a.py"])

    result = check(git_repo.path)
    assert [(e.path, e.line) for e in result.errors] == [("features/steps/a.py", 2 if "KeyError" in stops else 5)]
    assert "AmbiguousStep" not in result.errors[0].message
    assert result.warnings == []  # the step is b.py's
    report = analyze(git_repo.path)
    assert [(r.use.line, [d.function for d, _ in r.matches]) for r in report.results] == [(3, ["red"])]

    found = matcher({path: parse(path, text.encode()) for path, text in files.items()}, "spawn")  # sync's workers
    assert found is not None and [d.function for d in found.definitions] == ["red"]
