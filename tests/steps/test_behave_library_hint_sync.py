"""``tracertm sync`` gives the hint ``steps`` and ``check`` give at a behave step module's import of a step library
outside ``step_paths`` (``steps.libraries.library_warnings``): once per sync that matches steps again, not once
per file, and a no-op sync reads nothing for it."""

from __future__ import annotations

from collections.abc import Sequence

from conftest import GitRepo, run_cli
from tracertm.engine.sync import sync

FEATURE = "Feature: F\n  Scenario: s\n    Given a browser\n    When I log in\n"
LOCAL = "from behave import when\n\n@when('I log in')\ndef log_in(context):\n    pass\n"
WEB = "from behave import given\n\n@given('a browser')\ndef browser(context):\n    pass\n"
HINT = ("features/steps/use_lib.py:1:1: warning: imports step library steplib.web_steps (steplib/web_steps.py: 1 "
        "step definition), which step_paths do not match: behave registers its steps, tracertm does not read them, "
        "so steps only they define show as undefined; add 'steplib/**/*.py' to step_paths")


def _project(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/b.feature", FEATURE.replace("Feature: F", "Feature: G"))
    git_repo.write("features/steps/local_steps.py", LOCAL)
    git_repo.write("features/steps/use_lib.py", "import steplib.web_steps\n")
    git_repo.write("steplib/__init__.py", "")
    git_repo.write("steplib/web_steps.py", WEB)
    git_repo.commit("a library outside step_paths")


def _hints(warnings: Sequence[object]) -> list[str]:
    return [str(w) for w in warnings if "step library" in str(w)]


def test_sync_names_the_library_once(git_repo: GitRepo, database_url: str) -> None:
    _project(git_repo)
    assert _hints(sync(git_repo.path, database_url=database_url).warnings) == [HINT]
    assert _hints(sync(git_repo.path, database_url=database_url).warnings) == []  # no-op: nothing matched again
    # A feature changes: the steps are matched again, and the hint comes with them (the step module unchanged).
    git_repo.write("features/a.feature", FEATURE + "    Then more\n")
    git_repo.commit("edit")
    assert _hints(sync(git_repo.path, database_url=database_url).warnings) == [HINT]
    # Followed: the library is read, nothing left to say.
    git_repo.write(".tracertm.toml", 'step_paths = ["features/steps/**/*.py", "steplib/**/*.py"]\n')
    git_repo.commit("read the library")
    assert _hints(sync(git_repo.path, database_url=database_url).warnings) == []


def test_the_command_prints_it_once(git_repo: GitRepo, database_url: str) -> None:
    _project(git_repo)
    proc = run_cli("sync", str(git_repo.path), "--database-url", database_url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (proc.stdout + proc.stderr).count("imports step library") == 1, proc.stdout + proc.stderr
