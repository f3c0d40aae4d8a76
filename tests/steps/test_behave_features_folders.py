"""behave runs one features folder at a time (``Runner.setup_paths``: the nearest folder holding ``steps/`` or
``environment.py``; ``load_step_definitions``: only its ``steps/*.py``), so a project with behave step modules in
several features folders gets each folder's scenarios matched against that folder's definitions only
(``steps.lens.BehaveFolders``) — in ``tracertm steps``, ``check``, ``check --staged`` and sync alike. Before, the
definitions of every folder were pooled: a step defined only in another folder read as defined, the same step
defined in two folders was refused as behave's load-time ``AmbiguousStep``, and definitions used only by another
folder's scenarios read as used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo, sqlite_only
from tracertm import db
from tracertm.checker import check
from tracertm.engine.sync import sync
from tracertm.models import StepDefinition
from tracertm.steps.lens import Lenses
from tracertm.steps.packed import match_rows
from tracertm.steps.project import analyze

MAIN = """from behave import given

@given('a shared step')
def shared(context):
    pass

@given('only in features')
def only_main(context):
    pass
"""
ISSUES = """from behave import given

@given('a shared step')
def shared(context):
    pass

@given('only in issues')
def only_issues(context):
    pass

@given('nobody uses this')
def nobody(context):
    pass
"""
MAIN_FEATURE = "Feature: Main\n  Scenario: one\n    Given a shared step\n    And only in issues\n"
ISSUE_FEATURE = "Feature: Issue\n  Scenario: two\n    Given a shared step\n    And only in features\n"


def _two_folders(git_repo: GitRepo) -> None:
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/**/*.feature", "issue.features/**/*.feature"]\n'
                   'step_paths = ["features/steps/*.py", "issue.features/steps/*.py"]\n')
    git_repo.write("features/main.feature", MAIN_FEATURE)
    git_repo.write("features/steps/main_steps.py", MAIN)
    git_repo.write("issue.features/issue.feature", ISSUE_FEATURE)
    git_repo.write("issue.features/steps/issue_steps.py", ISSUES)
    git_repo.commit("two behave features folders")


def _verdicts(path: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    """Undefined steps, unused definitions (location), ambiguous steps, errors."""
    report = analyze(path)
    return (sorted(f"{r.use.path}:{r.use.line} {r.use.text}" for r in report.undefined()),
            sorted(d.location for d in report.unused()),
            sorted(f"{r.use.path}:{r.use.line}" for r in report.ambiguous()),
            [e.message for e in report.errors])


UNDEFINED = ["features/main.feature:4 only in issues", "issue.features/issue.feature:4 only in features"]
UNUSED = ["features/steps/main_steps.py:7", "issue.features/steps/issue_steps.py:11",
          "issue.features/steps/issue_steps.py:7"]


def test_each_folder_sees_only_its_own_steps(git_repo: GitRepo) -> None:
    _two_folders(git_repo)
    undefined, unused, ambiguous, errors = _verdicts(git_repo.path)
    assert errors == []  # not refused: each folder registers 'a shared step' in its own run
    assert undefined == UNDEFINED
    assert unused == UNUSED
    assert ambiguous == []
    report = analyze(git_repo.path)
    shared = {r.use.path: r.definition.path for r in report.results if r.definition and r.use.text == "a shared step"}
    assert shared == {"features/main.feature": "features/steps/main_steps.py",
                      "issue.features/issue.feature": "issue.features/steps/issue_steps.py"}


def _behave(path: Path, folder: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "--no-summary", "--no-snippets", "-f",
                           "steps.usage", folder], cwd=path, capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


def test_agrees_with_behaves_dry_run_per_folder(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    _two_folders(git_repo)
    main, issues = _behave(git_repo.path, "features"), _behave(git_repo.path, "issue.features")
    assert "UNDEFINED STEPS[1]" in main and "only in issues" in main, main
    assert "UNDEFINED STEPS[1]" in issues and "only in features" in issues, issues
    assert "AmbiguousStep" not in main + issues
    assert "features/steps/main_steps.py:7" in main.split("UNUSED STEP DEFINITIONS")[1]
    unused_issues = issues.split("UNUSED STEP DEFINITIONS")[1].split("UNDEFINED")[0]
    assert "issue.features/steps/issue_steps.py:7" in unused_issues
    assert "issue.features/steps/issue_steps.py:11" in unused_issues


def test_a_nested_features_folder_is_its_own_run(git_repo: GitRepo) -> None:
    """``behave features/sub`` stops at ``features/sub`` (it has a steps folder): its feature files see its steps
    only; a feature file in no features folder sees no behave step."""
    _two_folders(git_repo)
    git_repo.write(".tracertm.toml", 'feature_paths = ["**/*.feature"]\n'
                   'step_paths = ["features/steps/*.py", "issue.features/steps/*.py", "features/sub/steps/*.py"]\n')
    git_repo.write("features/sub/nested.feature", "Feature: N\n  Scenario: n\n    Given nested\n"
                   "    And a shared step\n")
    git_repo.write("features/sub/steps/nested_steps.py", "from behave import given\n\n@given('nested')\n"
                   "def nested(context):\n    pass\n")
    git_repo.write("elsewhere/loose.feature", "Feature: L\n  Scenario: l\n    Given a shared step\n")
    git_repo.commit("nested")
    undefined = _verdicts(git_repo.path)[0]
    assert undefined == sorted([*UNDEFINED, "features/sub/nested.feature:4 a shared step",
                                "elsewhere/loose.feature:3 a shared step"])
    if _has_behave():
        out = _behave(git_repo.path, "features/sub")
        assert "UNDEFINED STEPS[1]" in out and "a shared step" in out.split("UNDEFINED STEPS")[1], out


def _has_behave() -> bool:
    import importlib.util

    return importlib.util.find_spec("behave") is not None


def test_check_and_staged_check_agree(git_repo: GitRepo) -> None:
    _two_folders(git_repo)
    found = check(git_repo.path)
    messages = [f"{d.path}:{d.line} {d.message}" for d in [*found.errors, *found.warnings]]
    undefined = sorted(m.split(" ", 1)[0] for m in messages if "undefined step" in m)
    assert undefined == ["features/main.feature:4", "issue.features/issue.feature:4"]
    assert not [m for m in messages if "AmbiguousStep" in m or "ambiguous step" in m]
    # The hook: a commit that changes one feature is judged with that folder's steps.
    git_repo.write("issue.features/issue.feature", ISSUE_FEATURE + "    And only in issues\n")
    git_repo.git("add", "-A")
    staged = check(git_repo.path, staged=True)
    staged_messages = [f"{d.path}:{d.line} {d.message}" for d in [*staged.errors, *staged.warnings]]
    assert sorted(m.split(" ", 1)[0] for m in staged_messages if "undefined step" in m) == [
        "issue.features/issue.feature:4"]


def test_one_folder_projects_get_no_lens(git_repo: GitRepo) -> None:
    """A single features folder (the common case, and every project without behave) matches as before: no lens."""
    git_repo.write("features/main.feature", MAIN_FEATURE)
    git_repo.write("features/steps/main_steps.py", MAIN)
    git_repo.write("features/steps/more_steps.py", ISSUES.replace("a shared step", "another"))
    git_repo.write("features/environment.py", "def before_all(context):\n    pass\n")
    git_repo.commit("one folder")
    from tracertm.parsers.records import DEFAULT_OPTIONS
    from tracertm.steps.model import StepFile
    from tracertm.steps.project import parse_step_files

    files = {p: f for p, f in parse_step_files(
        ((str(p.relative_to(git_repo.path)), p.read_bytes()) for p in (git_repo.path / "features").rglob("*.py")),
        DEFAULT_OPTIONS).items() if isinstance(f, StepFile)}
    assert len(files) == 3
    lenses = Lenses(files)
    assert not lenses and not lenses.behave and lenses.signature == ""
    assert _verdicts(git_repo.path)[0] == []  # 'only in issues' is defined in this folder


def _state(database_url: str) -> tuple[list[tuple[str, str, str | None]], dict[tuple[str, str], int]]:
    """(step text, status, file of the definition) per match row; usage count per (file, pattern)."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            live = select(StepDefinition).where(StepDefinition.deleted_at.is_(None))
            defs = {d.id: d for d in session.scalars(live)}
            rows = sorted((r.step_text, r.status,
                           defs[r.step_definition_id].source_path if r.step_definition_id else None)
                          for r in match_rows(session))
            return rows, {(d.source_path or "", d.pattern): d.usage_count for d in defs.values()}
    finally:
        engine.dispose()


EXPECTED_ROWS = [("a shared step", "defined", "features/steps/main_steps.py"),
                 ("a shared step", "defined", "issue.features/steps/issue_steps.py"),
                 ("only in features", "undefined", None), ("only in issues", "undefined", None)]


# Which folder's definitions a scenario sees is decided above the database: the re-matching tests below run on
# SQLite alone. The store path they reach (match rows, usage counts, step links) runs on PostgreSQL in
# test_sync_stores_the_folders_verdicts and in tests/steps/test_match_diff.py.


def test_sync_stores_the_folders_verdicts(git_repo: GitRepo, database_url: str) -> None:
    """A first sync (the parse workers match) and a later one (sync's own matching) store what ``tracertm steps``
    reports; adding the second folder's steps re-matches the first folder's scenarios too."""
    _two_folders(git_repo)
    sync(git_repo.path, database_url=database_url)
    rows, usage = _state(database_url)
    assert rows == EXPECTED_ROWS
    assert usage[("features/steps/main_steps.py", "a shared step")] == 1
    assert usage[("issue.features/steps/issue_steps.py", "a shared step")] == 1
    assert usage[("features/steps/main_steps.py", "only in features")] == 0

    git_repo.write("issue.features/issue.feature", ISSUE_FEATURE + "    And only in issues\n")
    git_repo.commit("use it")
    sync(git_repo.path, database_url=database_url)
    rows, usage = _state(database_url)
    assert rows == sorted([*EXPECTED_ROWS, ("only in issues", "defined", "issue.features/steps/issue_steps.py")])
    assert usage[("issue.features/steps/issue_steps.py", "only in issues")] == 1


@sqlite_only
def test_sync_rematches_when_a_second_folder_appears(git_repo: GitRepo, database_url: str) -> None:
    """One folder first (pooled: every behave definition serves every feature file), then a second folder's step
    module: the feature file in the new folder no longer uses the first folder's definition."""
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/**/*.feature", "issue.features/**/*.feature"]\n'
                   'step_paths = ["features/steps/*.py", "issue.features/steps/*.py"]\n')
    git_repo.write("features/main.feature", MAIN_FEATURE)
    git_repo.write("features/steps/main_steps.py", MAIN)
    git_repo.write("issue.features/issue.feature", ISSUE_FEATURE)
    git_repo.commit("one folder with steps")
    sync(git_repo.path, database_url=database_url)
    assert _state(database_url)[0] == sorted([
        ("a shared step", "defined", "features/steps/main_steps.py"),
        ("a shared step", "defined", "features/steps/main_steps.py"),
        ("only in features", "defined", "features/steps/main_steps.py"), ("only in issues", "undefined", None)])

    git_repo.write("issue.features/steps/issue_steps.py", ISSUES)
    git_repo.commit("the second folder's steps")
    sync(git_repo.path, database_url=database_url)
    assert _state(database_url)[0] == EXPECTED_ROWS
    assert sorted(d.location for d in analyze(git_repo.path).unused()) == UNUSED

    git_repo.write("issue.features/steps/issue_steps.py", "")  # its step module stays, defining nothing
    git_repo.commit("empty")
    sync(git_repo.path, database_url=database_url)
    assert _state(database_url)[0] == [
        ("a shared step", "defined", "features/steps/main_steps.py"), ("a shared step", "undefined", None),
        ("only in features", "undefined", None), ("only in issues", "undefined", None)]


@sqlite_only
def test_sync_rematches_a_folder_that_becomes_a_features_folder(git_repo: GitRepo, database_url: str) -> None:
    """A steps folder with no definition yet (an empty step module) makes its folder a features folder of its own:
    its feature files lose the enclosing folder's definitions though no definition changed."""
    _two_folders(git_repo)
    git_repo.write(".tracertm.toml", 'feature_paths = ["**/*.feature"]\nstep_paths = ["**/steps/*.py"]\n')
    git_repo.write("features/sub/nested.feature", "Feature: N\n  Scenario: n\n    Given only in features\n")
    git_repo.commit("a sub-folder")
    sync(git_repo.path, database_url=database_url)
    assert ("only in features", "defined", "features/steps/main_steps.py") in _state(database_url)[0]

    git_repo.write("features/sub/steps/__init__.py", "")
    git_repo.commit("its own steps folder")
    sync(git_repo.path, database_url=database_url)
    assert sorted(f"{r.use.path}:{r.use.line}" for r in analyze(git_repo.path).undefined()) == [
        "features/main.feature:4", "features/sub/nested.feature:3", "issue.features/issue.feature:4"]
    assert _state(database_url)[0] == sorted([*EXPECTED_ROWS, ("only in features", "undefined", None)])


def test_a_type_registered_only_by_another_folder_is_not_registered(git_repo: GitRepo) -> None:
    """behave's run of a folder never runs another folder's ``register_type``: a definition using such a type is
    refused as behave refuses it (``ValueError: format spec ... not recognised``)."""
    types = ("import parse\nfrom behave import given, register_type\n\n@parse.with_pattern(r'\\d+')\n"
             "def number(text):\n    return int(text)\n\nregister_type(Number=number)\n\n"
             "@given('{n:Number} apples')\ndef apples(context, n):\n    pass\n")
    git_repo.write(".tracertm.toml", 'feature_paths = ["**/*.feature"]\nstep_paths = ["**/steps/*.py"]\n')
    git_repo.write("features/steps/a_types.py", types)
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: a\n    Given 3 apples\n")
    git_repo.write("more.features/steps/b.py", "from behave import given\n\n@given('{n:Number} pears')\n"
                   "def pears(context, n):\n    pass\n")
    git_repo.write("more.features/b.feature", "Feature: B\n  Scenario: b\n    Given 3 pears\n")
    git_repo.commit("a type of one folder")
    report = analyze(git_repo.path)
    assert [(e.path, e.line) for e in report.errors] == [("more.features/steps/b.py", 3)]
    assert "only other behave features folders register" in report.errors[0].message
    assert [f"{r.use.path}:{r.use.line}" for r in report.undefined()] == ["more.features/b.feature:3"]
    if _has_behave():
        assert "not recognised" in _behave(git_repo.path, "more.features")
        assert "UNDEFINED" not in _behave(git_repo.path, "features")


LIBRARY = ("from behave import given\n\n@given('from the library')\ndef from_library(context):\n    pass\n\n"
           "@given('only in the library')\ndef only_library(context):\n    pass\n")


def _with_library(git_repo: GitRepo, imports: str = "import steplib\n") -> None:
    """The two folders, and a step library ``step_paths`` reads (``steplib/``, whose package runs its step module)
    that only ``features/`` imports; a second library (``unread/``) no step module imports."""
    _two_folders(git_repo)
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/**/*.feature", "issue.features/**/*.feature"]\n'
                   'step_paths = ["features/steps/*.py", "issue.features/steps/*.py", "steplib/**/*.py", '
                   '"unread/**/*.py"]\n')
    git_repo.write("steplib/__init__.py", "from steplib import lib_steps  # noqa: F401\n")
    git_repo.write("steplib/lib_steps.py", LIBRARY)
    git_repo.write("unread/never_steps.py", "from behave import given\n\n@given('never loaded')\n"
                   "def never(context):\n    pass\n")
    git_repo.write("features/steps/use_library.py", imports)
    git_repo.write("features/main.feature", MAIN_FEATURE + "    And from the library\n    And never loaded\n")
    git_repo.write("issue.features/issue.feature", ISSUE_FEATURE + "    And from the library\n")
    git_repo.commit("a step library")


def test_a_library_serves_the_folders_that_import_it(git_repo: GitRepo) -> None:
    """behave registers a step library's definitions only in the runs whose step modules import it (here through
    its package's ``__init__.py``): ``issue.features`` does not, so its step is undefined there; a library nobody
    imports is never loaded (its step is undefined, its definition unused)."""
    _with_library(git_repo)
    undefined, unused, ambiguous, errors = _verdicts(git_repo.path)
    assert errors == [] and ambiguous == []
    assert undefined == sorted([*UNDEFINED, "features/main.feature:6 never loaded",
                                "issue.features/issue.feature:5 from the library"])
    assert unused == sorted([*UNUSED, "steplib/lib_steps.py:7", "unread/never_steps.py:3"])
    if _has_behave():
        main, issues = _behave(git_repo.path, "features"), _behave(git_repo.path, "issue.features")
        assert "UNDEFINED STEPS[2]" in main and "never loaded" in main.split("UNDEFINED STEPS")[1], main
        assert "steplib/lib_steps.py:7" in main.split("UNUSED STEP DEFINITIONS")[1], main
        assert "UNDEFINED STEPS[2]" in issues and "from the library" in issues.split("UNDEFINED STEPS")[1], issues
        assert "steplib" not in issues and "never_steps" not in main + issues
    found = check(git_repo.path)
    messages = [f"{d.path}:{d.line}" for d in [*found.errors, *found.warnings] if "undefined step" in d.message]
    assert sorted(messages) == ["features/main.feature:4", "features/main.feature:6",
                                "issue.features/issue.feature:4", "issue.features/issue.feature:5"]


def test_a_library_stays_visible_in_a_one_folder_project(git_repo: GitRepo) -> None:
    """One features folder: nothing is scoped, a library no step module imports still serves (as before)."""
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/**/*.feature"]\n'
                   'step_paths = ["features/steps/*.py", "unread/**/*.py"]\n')
    git_repo.write("features/steps/main_steps.py", MAIN)
    git_repo.write("unread/never_steps.py", "from behave import given\n\n@given('never loaded')\n"
                   "def never(context):\n    pass\n")
    git_repo.write("features/main.feature", MAIN_FEATURE.replace("only in issues", "never loaded"))
    git_repo.commit("one folder and a library")
    assert _verdicts(git_repo.path)[0] == []


@sqlite_only
def test_sync_rematches_when_a_folder_starts_importing_a_library(git_repo: GitRepo, database_url: str) -> None:
    """Only an import changes (no definition, no feature file): the folder's scenarios are matched again, by the
    parse workers' matching (the lenses' signature changed) and by sync's own."""
    _with_library(git_repo, imports="")
    sync(git_repo.path, database_url=database_url)
    rows = _state(database_url)[0]
    assert ("from the library", "defined", "steplib/lib_steps.py") not in rows
    assert rows.count(("from the library", "undefined", None)) == 2

    git_repo.write("features/steps/use_library.py", "import steplib.lib_steps\n")
    git_repo.commit("import the library")
    sync(git_repo.path, database_url=database_url)
    rows, usage = _state(database_url)
    assert ("from the library", "defined", "steplib/lib_steps.py") in rows
    assert rows.count(("from the library", "undefined", None)) == 1  # issue.features still does not import it
    assert usage[("steplib/lib_steps.py", "from the library")] == 1
