"""behave registers the definitions of every module a step module imports, at the import: a step library's, and
another features folder's step module's (``from features.steps import common``). So a folder's run sees an
imported folder's definitions (``lens.BehaveFolders.imported``), and a library's definition that clashes with the
folder's own is behave's load-time ``AmbiguousStep`` — the later registered one refused, in the order behave
registers them: a library where the module importing it first runs (``libraries.first_loaders``). Held against
behave's own dry run (skipped when it is absent)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.checker import check
from tracertm.engine.sync import sync
from tracertm.models import StepDefinition
from tracertm.steps.packed import match_rows
from tracertm.steps.project import analyze

TWO_FOLDERS = ('feature_paths = ["features/**/*.feature", "issue.features/**/*.feature"]\n'
               'step_paths = ["features/steps/*.py", "issue.features/steps/*.py", "steplib/**/*.py"]\n')
SHARED = "from behave import given\n\n@given('a shared step')\ndef {name}(context):\n    pass\n"
ONLY_MAIN = "from behave import given\n\n@given('only in features')\ndef only_main(context):\n    pass\n"
ONLY_ISSUES = "from behave import given\n\n@given('only in issues')\ndef only_issues(context):\n    pass\n"


def _behave(path: Path, folder: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "--no-summary", "--no-snippets", "-f",
                           "steps.usage", folder], cwd=path, capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


def _has_behave() -> bool:
    return importlib.util.find_spec("behave") is not None


def _library_clash(git_repo: GitRepo, importer: str, two_folders: bool) -> None:
    """``features/steps/main_steps.py`` and ``steplib/lib_steps.py`` both define 'a shared step'; the folder's
    module ``importer`` imports the library (so it loads before or after main_steps.py, by its name)."""
    if two_folders:
        git_repo.write(".tracertm.toml", TWO_FOLDERS)
        git_repo.write("issue.features/steps/issue_steps.py", SHARED.format(name="issue_shared"))
        git_repo.write("issue.features/i.feature", "Feature: I\n  Scenario: two\n    Given a shared step\n")
    else:
        git_repo.write(".tracertm.toml", 'step_paths = ["features/steps/*.py", "steplib/**/*.py"]\n')
    git_repo.write("steplib/__init__.py", "")
    git_repo.write("steplib/lib_steps.py", SHARED.format(name="lib_shared"))
    git_repo.write(f"features/steps/{importer}", "import steplib.lib_steps  # noqa: F401\n")
    git_repo.write("features/steps/main_steps.py", SHARED.format(name="main_shared"))
    git_repo.write("features/m.feature", "Feature: M\n  Scenario: one\n    Given a shared step\n")
    git_repo.commit("a library clashing with the folder's own step")


@pytest.mark.parametrize("two_folders", [True, False])
@pytest.mark.parametrize("importer, refused, existing", [
    ("a_use.py", "features/steps/main_steps.py:3", "steplib/lib_steps.py:3"),  # the library registers first
    ("z_use.py", "steplib/lib_steps.py:3", "features/steps/main_steps.py:3"),  # main_steps.py loads first
])
def test_a_library_clashing_with_a_folders_step_is_refused_at_load(
    git_repo: GitRepo, two_folders: bool, importer: str, refused: str, existing: str
) -> None:
    _library_clash(git_repo, importer, two_folders)
    report = analyze(git_repo.path)
    errors = [f"{e.path}:{e.line}" for e in report.errors if "AmbiguousStep" in e.message]
    assert errors == [refused], report.errors
    assert f"at {existing}:" in next(e.message for e in report.errors if "AmbiguousStep" in e.message)
    found = check(git_repo.path)
    assert [f"{d.path}:{d.line}" for d in [*found.errors, *found.warnings] if "AmbiguousStep" in d.message] == \
        [refused]
    # The step runs the definition behave kept.
    used = {r.use.path: r.definition.location for r in report.results if r.definition is not None}
    assert used["features/m.feature"] == existing
    if two_folders:  # issue.features imports no library: its own step stands alone there
        assert used["issue.features/i.feature"] == "issue.features/steps/issue_steps.py:3"
    if _has_behave():
        out = _behave(git_repo.path, "features")
        assert "AmbiguousStep" in out and f"existing step @given('a shared step') at {existing}" in out, out
        if two_folders:
            assert "AmbiguousStep" not in _behave(git_repo.path, "issue.features")


def _imports_other_folder(git_repo: GitRepo) -> None:
    """``issue.features`` imports the step module of ``features`` (a namespace package from the project root)."""
    git_repo.write(".tracertm.toml", TWO_FOLDERS)
    git_repo.write("features/steps/main_steps.py", ONLY_MAIN)
    git_repo.write("issue.features/steps/issue_steps.py", ONLY_ISSUES)
    git_repo.write("issue.features/steps/use_main.py", "from features.steps import main_steps  # noqa: F401\n")
    git_repo.write("features/m.feature", "Feature: M\n  Scenario: one\n    Given only in features\n"
                   "    And only in issues\n")
    git_repo.write("issue.features/i.feature", "Feature: I\n  Scenario: two\n    Given only in issues\n"
                   "    And only in features\n")
    git_repo.commit("a folder importing another folder's step module")


def test_a_folder_importing_another_folders_step_module_sees_its_steps(git_repo: GitRepo) -> None:
    _imports_other_folder(git_repo)
    report = analyze(git_repo.path)
    assert report.errors == []
    # features/ imports nothing of issue.features: its 'only in issues' stays undefined there.
    assert [f"{r.use.path}:{r.use.line}" for r in report.undefined()] == ["features/m.feature:4"]
    used = sorted((r.use.path, r.definition.location) for r in report.results if r.definition is not None)
    assert used == [("features/m.feature", "features/steps/main_steps.py:3"),
                    ("issue.features/i.feature", "features/steps/main_steps.py:3"),
                    ("issue.features/i.feature", "issue.features/steps/issue_steps.py:3")]
    if _has_behave():
        main, issues = _behave(git_repo.path, "features"), _behave(git_repo.path, "issue.features")
        assert "UNDEFINED STEPS[1]" in main and "only in issues" in main.split("UNDEFINED STEPS")[1], main
        assert "UNDEFINED" not in issues and "features/steps/main_steps.py:3" in issues, issues


def test_an_imported_folders_step_clashing_with_the_importers_own_is_refused(git_repo: GitRepo) -> None:
    """The imported module registers first (``a_use.py`` sorts before the folder's own module): the folder's own
    definition of the same step is behave's AmbiguousStep, in that folder's run only."""
    git_repo.write(".tracertm.toml", TWO_FOLDERS)
    git_repo.write("features/steps/main_steps.py", SHARED.format(name="main_shared"))
    git_repo.write("issue.features/steps/a_use.py", "from features.steps import main_steps  # noqa: F401\n")
    git_repo.write("issue.features/steps/issue_steps.py", SHARED.format(name="issue_shared"))
    git_repo.write("features/m.feature", "Feature: M\n  Scenario: one\n    Given a shared step\n")
    git_repo.write("issue.features/i.feature", "Feature: I\n  Scenario: two\n    Given a shared step\n")
    git_repo.commit("clash through an import")
    report = analyze(git_repo.path)
    assert [f"{e.path}:{e.line}" for e in report.errors] == ["issue.features/steps/issue_steps.py:3"]
    used = sorted((r.use.path, r.definition.location) for r in report.results if r.definition is not None)
    assert used == [("features/m.feature", "features/steps/main_steps.py:3"),
                    ("issue.features/i.feature", "features/steps/main_steps.py:3")]
    if _has_behave():
        assert "AmbiguousStep" not in _behave(git_repo.path, "features")
        out = _behave(git_repo.path, "issue.features")
        assert "AmbiguousStep" in out and "at features/steps/main_steps.py:3" in out, out


def _rows(database_url: str) -> list[tuple[str, str, str | None]]:
    """(step text, status, file of the definition) per stored match."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            defs = {d.id: d.source_path for d in session.scalars(
                select(StepDefinition).where(StepDefinition.deleted_at.is_(None)))}
            return sorted((r.step_text, r.status,
                           defs[r.step_definition_id] if r.step_definition_id else None)
                          for r in match_rows(session))
    finally:
        engine.dispose()


def test_sync_follows_the_import_and_the_clash(git_repo: GitRepo, database_url: str) -> None:
    """A first sync (the parse workers' matching), then one where only the import changes (sync's own)."""
    _imports_other_folder(git_repo)
    sync(git_repo.path, database_url=database_url)
    assert _rows(database_url) == [("only in features", "defined", "features/steps/main_steps.py")] * 2 + [
        ("only in issues", "defined", "issue.features/steps/issue_steps.py"), ("only in issues", "undefined", None)]

    git_repo.write("issue.features/steps/use_main.py", "")
    git_repo.commit("stop importing")
    sync(git_repo.path, database_url=database_url)
    assert _rows(database_url) == [("only in features", "defined", "features/steps/main_steps.py"),
                                   ("only in features", "undefined", None),
                                   ("only in issues", "defined", "issue.features/steps/issue_steps.py"),
                                   ("only in issues", "undefined", None)]
