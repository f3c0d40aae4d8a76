"""An absolute ``bdd_features_base_dir``: pytest-bdd joins it to the rootdir with ``os.path.join``, which keeps it
as it is (held against pytest-bdd itself, skipped when absent). It names a folder of one machine: tracertm binds no
feature through it, and says so with a warning at the option's line instead of dropping the bindings silently.
Failed before its fix (no warning)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import GitRepo
from tracertm.checker import check
from tracertm.steps.project import analyze

FEATURE = "Feature: F\n  Scenario: s\n    Given a thing\n"
MODULE = ("from pytest_bdd import scenarios, given\nscenarios('a.feature')\n\n@given('a thing')\ndef thing():\n"
          "    pass\n")


@pytest.mark.parametrize("name, text, line", [
    ("pytest.ini", "[pytest]\naddopts = -q\nbdd_features_base_dir = {base}\n", 3),
    ("pyproject.toml", "[project]\nname = 'x'\n\n[tool.pytest.ini_options]\nbdd_features_base_dir = '{base}'\n", 5),
    ("setup.cfg", "[tool:pytest]\nbdd_features_base_dir: {base}\n", 2),
])
def test_absolute_bdd_features_base_dir_is_a_warning_at_its_line(
    git_repo: GitRepo, name: str, text: str, line: int
) -> None:
    base = str(git_repo.path / "features")
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("tests/test_a.py", MODULE)
    git_repo.write(name, text.format(base=base))
    git_repo.commit("absolute base")
    report = analyze(git_repo.path)
    found = [w for w in report.warnings if "bdd_features_base_dir" in w.message]
    assert [(w.path, w.line) for w in found] == [(name, line)], report.warnings
    assert "absolute path" in found[0].message and "relative to the rootdir" in found[0].message
    assert base in found[0].message
    assert any(w.path == name and "bdd_features_base_dir" in w.message for w in check(git_repo.path).warnings)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/test_a.py"],
                          cwd=git_repo.path, capture_output=True, text=True, timeout=180)
    if "No module named pytest_bdd" not in proc.stdout + proc.stderr:
        assert "1 passed" in proc.stdout, proc.stdout  # pytest-bdd found the feature at the absolute path


def test_relative_bdd_features_base_dir_is_no_warning(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("tests/test_a.py", MODULE)
    git_repo.write("pytest.ini", "[pytest]\nbdd_features_base_dir = features\n")
    git_repo.commit("relative base")
    report = analyze(git_repo.path)
    assert report.warnings == [] and report.errors == []
    assert [r.status for r in report.results] == ["defined"]
