"""A step saved decomposed (NFD: ``e`` and U+0301, as macOS input and some editors write ``é``) is not matched by a
definition written composed (NFC), for behave as for tracertm: both compare code points, and tracertm agrees with
the framework rather than "fixing" it. The undefined-step warning prints the two spellings apart: the step's text
escaped, and why it does not match."""

from __future__ import annotations

import subprocess
import sys
import unicodedata

import pytest

from conftest import GitRepo, run_cli
from tracertm.steps.project import analyze

NFC = "a café"
NFD = unicodedata.normalize("NFD", NFC)


def test_a_decomposed_step_is_undefined_as_behave_says_and_the_warning_shows_why(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    git_repo.write("features/order.feature", f"Feature: Order\n  Scenario: Brew\n    Given {NFD}\n"
                                             f"    Given {NFC}\n")
    git_repo.write("features/steps/order_steps.py",
                   f"from behave import given\n\n\n@given('{NFC}')\ndef cafe(context):\n    pass\n")
    git_repo.commit("behave project")
    proc = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "--no-summary", "--no-snippets", "-f",
                           "steps.usage", "features"], cwd=git_repo.path, capture_output=True, text=True,
                          timeout=120)
    undefined = proc.stdout.split("UNDEFINED STEPS", 1)[1]
    assert "features/order.feature:3" in undefined and "features/order.feature:4" not in undefined, proc.stdout
    report = analyze(git_repo.path)
    assert [r.use.location for r in report.undefined()] == ["features/order.feature:3"]
    checked = run_cli("check", str(git_repo.path))
    warnings = [line for line in (checked.stdout + checked.stderr).splitlines() if "undefined step" in line]
    assert warnings == [
        "features/order.feature:3:5: warning: undefined step 'Given a cafe\\u0301': no step definition matches it; "
        "its text is decomposed (NFD, shown escaped), which a definition written composed (NFC) does not match, "
        "for the test runner either: save the feature file composed (NFC)"], checked.stderr
