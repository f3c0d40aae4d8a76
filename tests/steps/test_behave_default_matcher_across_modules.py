"""behave's ``use_default_step_matcher(name)`` in a step module changes the default matcher of the step modules
of its folder loaded after it (file-name order): behave 1.3's ``load_step_modules`` goes back to the *default*
after each module, not to environment.py's. Held against behave's own ``--dry-run`` (skipped when absent)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import GitRepo
from tracertm.checker import check
from tracertm.steps.project import analyze

FEATURE = "Feature: F\n  Scenario: s\n    Given a number 5\n    When text hello\n"
STEPS = ("from behave import given, when\n\n@given(r'a number (?P<n>\\d+)')\ndef num(ctx, n):\n    pass\n\n"
         "@when('text {word}')\ndef txt(ctx, word):\n    pass\n")
SETS_DEFAULT = "from behave import use_default_step_matcher\nuse_default_step_matcher('re')\n"
# A module's own use_step_matcher (not the default) ends with the module; use_default_step_matcher() with no name
# goes back to the default without changing it.
SETS_CURRENT = "from behave import use_step_matcher, use_default_step_matcher\nuse_step_matcher('re')\n" \
               "use_default_step_matcher()\nuse_step_matcher('re')\n"
DEFAULT_THEN_OTHER = SETS_DEFAULT + "from behave import use_step_matcher\nuse_step_matcher('parse')\n"


def behave_undefined(cwd: str, texts: tuple[str, ...] = ("a number 5", "text hello")) -> list[str]:
    """Which of ``texts`` behave's own dry run (``steps.usage``) in ``cwd`` lists as undefined steps."""
    proc = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "--no-capture", "-f", "steps.usage"],
                          cwd=cwd, capture_output=True, text=True, timeout=180)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    undefined = out.split("UNDEFINED STEPS", 1)[1] if "UNDEFINED STEPS" in out else ""
    return sorted(text for text in texts if text in undefined)


@pytest.mark.parametrize("setter, name, undefined", [
    (SETS_DEFAULT, "a_setup.py", ["text hello"]),  # loaded before the steps: they are read with 're'
    (SETS_DEFAULT, "z_setup.py", ["a number 5"]),  # loaded after: the steps keep 'parse'
    (SETS_CURRENT, "a_setup.py", ["a number 5"]),  # use_step_matcher lasts to the end of its own module only
    (DEFAULT_THEN_OTHER, "a_setup.py", ["text hello"]),  # the default it set, not the matcher it ends with
])
def test_default_matcher_carries_to_later_modules(
    git_repo: GitRepo, setter: str, name: str, undefined: list[str]
) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/b_steps.py", STEPS)
    git_repo.write(f"features/steps/{name}", setter)
    git_repo.commit("behave")
    report = analyze(git_repo.path)
    assert report.errors == []
    assert sorted(r.use.text for r in report.undefined()) == undefined
    warnings = [w.message for w in check(git_repo.path).warnings if "undefined" in w.message]
    # check reads the step modules alike
    assert len(warnings) == len(undefined) and all(any(u in w for w in warnings) for u in undefined)
    pytest.importorskip("behave")
    assert behave_undefined(str(git_repo.path)) == undefined


def test_default_set_in_another_folder_does_not_carry(git_repo: GitRepo) -> None:
    """Each features folder loads its own steps folder after its own environment.py."""
    git_repo.write(".tracertm.toml", 'feature_paths = ["**/*.feature"]\nstep_paths = ["*/steps/*.py"]\n')
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/b_steps.py", STEPS)
    other = {"a number": "another number", "text ": "other text "}  # texts of its own: behave folders are pooled
    feature, steps = FEATURE, STEPS
    for old, new in other.items():
        feature, steps = feature.replace(old, new), steps.replace(old, new)
    git_repo.write("other/b.feature", feature)
    git_repo.write("other/steps/a_setup.py", SETS_DEFAULT)
    git_repo.write("other/steps/b_steps.py", steps)
    git_repo.commit("two folders")
    report = analyze(git_repo.path)
    assert report.errors == []
    assert sorted((r.use.path, r.use.text) for r in report.undefined()) == [
        ("features/a.feature", "a number 5"), ("other/b.feature", "other text hello")]
