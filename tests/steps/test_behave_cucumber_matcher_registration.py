"""behave's ``cucumber_expressions`` step matcher is no built-in one: ``use_step_matcher_for_cucumber_expressions()``
(``behave.cucumber_expression``) registers it, and ``use_step_matcher("cucumber_expressions")`` before that is
``KeyError: 'cucumber_expressions'`` — behave stops loading the step code. The registration counts when behave has
run it by then: above the selection in its module, in environment.py (loaded first), in a step module loaded
earlier (file-name order). Each case is checked against ``behave --dry-run``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import GitRepo
from tracertm.steps.project import analyze

FEATURE = "Feature: f\n  Scenario: s\n    Given I have 3 cucumbers\n"
REGISTER = ("from behave.cucumber_expression import use_step_matcher_for_cucumber_expressions\n"
            "use_step_matcher_for_cucumber_expressions()\n")
SELECT = "from behave import given, use_step_matcher\nuse_step_matcher('cucumber_expressions')\n"
STEP = "\n@given('I have {int} cucumber(s)')\ndef have(context, n):\n    pass\n"
NO_REGISTRATION = ("behave's step matcher 'cucumber_expressions' is not registered when this line runs: behave "
                   "refuses to load the steps (KeyError: 'cucumber_expressions') — call use_step_matcher_for_"
                   "cucumber_expressions() from behave.cucumber_expression instead, which registers and selects it")

# files → the finding tracertm gives (path, line, column, message), None when behave loads the steps.
CASES: dict[str, tuple[dict[str, str], tuple[str, int, int, str] | None]] = {
    "selected, never registered": (
        {"features/steps/s.py": SELECT + STEP}, ("features/steps/s.py", 2, 1, NO_REGISTRATION)),
    "registered by environment.py": (
        {"features/environment.py": REGISTER + "from behave import use_step_matcher\nuse_step_matcher('parse')\n",
         "features/steps/s.py": SELECT + STEP}, None),
    "registered by a step module loaded earlier": (
        {"features/steps/a_setup.py": REGISTER, "features/steps/s.py": SELECT + STEP}, None),
    "registered by a step module loaded later": (
        {"features/steps/z_setup.py": REGISTER, "features/steps/s.py": SELECT + STEP},
        ("features/steps/s.py", 2, 1, NO_REGISTRATION)),
    "registered above in the module": (
        {"features/steps/s.py": REGISTER + "use_step_matcher('parse')\n" + SELECT + STEP}, None),
    "registered below in the module": (
        {"features/steps/s.py": SELECT + REGISTER + STEP}, ("features/steps/s.py", 2, 1, NO_REGISTRATION)),
    "made the default before it is registered": (
        {"features/steps/s.py": "from behave import given, use_default_step_matcher\n"
                                "use_default_step_matcher('cucumber_expressions')\n" + STEP},
         ("features/steps/s.py", 2, 1, NO_REGISTRATION)),
    "named 'cucumber', which behave never registers": (
        {"features/steps/s.py": REGISTER + SELECT.replace("cucumber_expressions", "cucumber") + STEP},
        ("features/steps/s.py", 4, 1, "unknown step matcher 'cucumber'; behave knows parse, cfparse, re, re0, "
                                      "cucumber_expressions")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_cucumber_expressions_matcher_must_be_registered_first(git_repo: GitRepo, case: str) -> None:
    pytest.importorskip("behave.cucumber_expression")
    files, finding = CASES[case]
    git_repo.write("features/a.feature", FEATURE)
    for path, text in files.items():
        git_repo.write(path, text)
    git_repo.commit(case)
    proc = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "--no-capture", "-f", "steps.usage"],
                          cwd=git_repo.path, capture_output=True, text=True, timeout=120)
    refused = "KeyError: 'cucumber" in proc.stdout + proc.stderr
    assert refused == (finding is not None), proc.stdout + proc.stderr
    if not refused:  # the step is used: shown under its definition, no UNDEFINED STEPS section
        assert "# features/a.feature:3" in proc.stdout and "UNDEFINED" not in proc.stdout, proc.stdout

    report = analyze(git_repo.path)
    assert [(e.path, e.line, e.column, e.message) for e in report.errors] == ([finding] if finding else [])
    # Where behave stops at the selection, the definition below it is never registered: its step is undefined, not
    # counted as a use (``report._matcher_stopped``).
    assert [r.status for r in report.results] == ["undefined" if refused else "defined"]
    assert report.usage_counts() == {"features/steps/s.py::have": 0 if refused else 1}
