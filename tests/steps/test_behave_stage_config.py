"""behave's configuration files change its step loading through one key only, ``stage`` (``product`` →
``product_steps/`` and ``product_environment.py``); behave has no ``steps_dir`` key. tracertm reads behave's
default layout, so a configured stage whose steps ``step_paths`` do not read is a warning at that key, in
``steps`` and ``check`` (``steps.behave_config``). Held against behave's own dry run (skipped when absent)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.checker import check
from tracertm.steps.project import analyze

FEATURE = "Feature: F\n  Scenario: s\n    Given a staged step\n"
STEPS = "from behave import given\n\n@given('a staged step')\ndef staged(context):\n    pass\n"


def _behave(path: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "--no-summary", "--no-snippets", "-f",
                           "steps.usage"], cwd=path, capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


def _stage_hints(warnings: Sequence[object]) -> list[str]:
    return [str(w) for w in warnings if "behave's stage" in str(w)]


def test_a_configured_stage_is_named_until_step_paths_read_its_steps(git_repo: GitRepo) -> None:
    git_repo.write("behave.ini", "[behave]\nformat = plain\nstage = product\n")
    # pyproject.toml is read first: behave.ini's stage wins.
    git_repo.write("pyproject.toml", '[project]\nname = "x"\n\n[tool.behave]\nstage = "other"\n')
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/product_steps/staged_steps.py", STEPS)
    git_repo.commit("a behave stage")
    hint = ("behave.ini:3:1: warning: behave's stage 'product' makes behave load the step modules of "
            "product_steps/ and run product_environment.py instead of steps/ and environment.py; tracertm reads "
            "behave's default layout, so their steps show as undefined; add 'features/product_steps/**/*.py' (its "
            "features folder's) to step_paths")
    assert _stage_hints(analyze(git_repo.path).warnings) == [hint]
    assert _stage_hints(check(git_repo.path).warnings) == [hint]
    if importlib.util.find_spec("behave") is not None:
        out = _behave(git_repo.path)
        assert "features/product_steps/staged_steps.py:3" in out and "UNDEFINED" not in out, out
    # Followed: the steps are read and defined, as behave has them; nothing left to say.
    git_repo.write(".tracertm.toml", 'step_paths = ["features/product_steps/**/*.py"]\n')
    report = analyze(git_repo.path)
    assert report.undefined() == [] and _stage_hints(report.warnings) == []
    assert [d.location for d in report.definitions] == ["features/product_steps/staged_steps.py:3"]
    assert _stage_hints(check(git_repo.path).warnings) == []


@pytest.mark.parametrize("name, text, line", [
    ("setup.cfg", "[metadata]\nname = x\n\n[behave]\nstage = product\n", 5),
    ("tox.ini", "[behave]\nstage: product\n", 2),
    (".behaverc", "[behave]\nstage=product\n", 2),
    ("pyproject.toml", '[tool.behave]\nstage = "product"\n', 2),
    # A form feed and U+2028 end no line of the file (str.splitlines ends one at each).
    ("behave.ini", "[behave]\n# page one\x0cpage two\u2028\nstage = product\n", 3),
])
def test_each_configuration_file_behave_reads(git_repo: GitRepo, name: str, text: str, line: int) -> None:
    git_repo.write(name, text)
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/other_steps.py", STEPS.replace("a staged step", "another step"))
    git_repo.commit("a behave stage")
    assert [h.split(": warning")[0] for h in _stage_hints(analyze(git_repo.path).warnings)] == [f"{name}:{line}:1"]


def test_steps_dir_is_no_behave_setting(git_repo: GitRepo) -> None:
    """behave has no ``steps_dir`` key: it still looks for ``steps/`` (and stops: no steps directory), so
    tracertm says nothing of it and reads no ``step_definitions/`` folder either."""
    git_repo.write("behave.ini", "[behave]\nsteps_dir = step_definitions\n")
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/step_definitions/staged_steps.py", STEPS)
    git_repo.commit("steps_dir")
    report = analyze(git_repo.path)
    assert report.definitions == [] and report.warnings == []
    if importlib.util.find_spec("behave") is not None:
        assert "No steps directory" in _behave(git_repo.path)
