"""The definitions behave never loads because it stops at a line of the step code before them: a selection of the
``cucumber_expressions`` step matcher before ``use_step_matcher_for_cucumber_expressions()`` registered it (or of a
matcher behave does not have: ``KeyError``), and a Cucumber Expression using a ``{type}`` that no
``define_parameter_type`` has run for yet (``UndefinedParameterTypeError``) — as parse's ``ValueError: format spec
… not recognised`` for a type registered too late. ``tracertm steps`` (text and json), ``check`` and ``sync``'s
links and usage counts (``show STEP-n``) give their steps as behave's dry run does: undefined, the definition used by
none. Before the fix, the first two showed the definition with "1 uses" and sync linked the step to it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from conftest import GitRepo
from test_behave_registration_sync import _state
from tracertm.checker import check
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.steps.project import analyze

FEATURE = "Feature: f\n  Scenario: s\n    Given the color red\n"
COLOR = "@given('the color {color}')\ndef color(context, c):\n    pass\n"
PARSE_COLOR = "@given('the color {c:Color}')\ndef color(context, c):\n    pass\n"
REGISTER = ("from behave.cucumber_expression import use_step_matcher_for_cucumber_expressions\n"
            "use_step_matcher_for_cucumber_expressions()\n")
STEPS = "from behave import given\n" + REGISTER + "\n" + COLOR
DEFINE = "from behave.cucumber_expression import define_parameter_type_with\n" \
         "define_parameter_type_with('color', r'red|blue', str)\n"
PARSE_TYPE = ("import parse\nfrom behave import register_type\n\n@parse.with_pattern(r'red|blue')\n"
              "def to_color(text):\n    return text\n\nregister_type(Color=to_color)\n")
SELECT = "from behave import given, use_step_matcher\nuse_step_matcher('cucumber_expressions')\n\n"

# files → the exception behave stops loading the step code with (None: it loads them, and the step is defined).
CASES: dict[str, tuple[dict[str, str], str | None]] = {
    "matcher selected before it is registered": (
        {"features/steps/a_types.py": DEFINE, "features/steps/s.py": SELECT + COLOR},
        "KeyError: 'cucumber_expressions'"),
    "matcher selected in environment.py before it is registered": (
        {"features/environment.py": SELECT.replace("given, ", ""), "features/steps/a_types.py": DEFINE,
         "features/steps/s.py": "from behave import given\n\n" + COLOR},
        "KeyError: 'cucumber_expressions'"),
    "a matcher behave does not have": (
        {"features/steps/a_types.py": DEFINE,
         "features/steps/s.py": STEPS.replace("\n\n", "\nuse_step_matcher('cucumber')\n\n").replace(
             "from behave import given", "from behave import given, use_step_matcher")},
        "KeyError: 'cucumber'"),
    "parameter type defined by a step module loaded later": (
        {"features/steps/s.py": STEPS, "features/steps/z_types.py": DEFINE}, "UndefinedParameterTypeError"),
    "parameter type defined below in the module": (
        {"features/steps/s.py": STEPS + DEFINE}, "UndefinedParameterTypeError"),
    "parse type registered by a step module loaded later": (
        {"features/steps/s.py": "from behave import given\n\n" + PARSE_COLOR,
         "features/steps/z_types.py": PARSE_TYPE},
        "ValueError: format spec 'Color' not recognised"),
    "parameter type defined by a step module loaded earlier": (
        {"features/steps/a_types.py": DEFINE, "features/steps/s.py": STEPS}, None),
    "parameter type defined by environment.py": (
        {"features/environment.py": DEFINE, "features/steps/s.py": STEPS}, None),
}


def _write(repo: GitRepo, files: dict[str, str], message: str, feature: str = FEATURE) -> None:
    """The feature and ``files``, committed; the Python files of an earlier commit that ``files`` lacks removed."""
    for path in {*repo.git("ls-files", "*.py").split()} - files.keys():
        repo.remove(path)
    repo.write("features/a.feature", feature)
    for path, text in files.items():
        repo.write(path, text)
    repo.commit(message)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.mark.parametrize("case", list(CASES))
def test_steps_and_check_count_what_behave_loads(git_repo: GitRepo, capsys: pytest.CaptureFixture[str],
                                                 case: str) -> None:
    pytest.importorskip("behave.cucumber_expression")
    files, stops = CASES[case]
    _write(git_repo, files, case)
    proc = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "--no-capture", "-f", "steps.usage"],
                          cwd=git_repo.path, capture_output=True, text=True, timeout=120)
    output = proc.stdout + proc.stderr
    if stops is None:  # behave loads the steps: the step is used, shown under its definition
        assert "Exception" not in output and "# features/a.feature:3" in output, output
    else:
        assert f"Exception {stops}" in output, output

    code, out = _cli(capsys, "steps", str(git_repo.path))
    assert ("(1 uses)" in out) == (stops is None), out
    assert ("UNDEFINED STEPS[1]:\n  Given the color red  # features/a.feature:3" in out) == (stops is not None), out
    assert "UNUSED STEP DEFINITIONS[0]:" in out and code == (0 if stops is None else 1)
    _, out = _cli(capsys, "steps", str(git_repo.path), "--format", "json")
    shown = json.loads(out)
    assert [(d["function"], d["usage_count"]) for d in shown["definitions"]] == [
        ("color", 1 if stops is None else 0)]
    assert len(shown["undefined"]) == (0 if stops is None else 1) and bool(shown["errors"]) == (stops is not None)

    result = check(git_repo.path)
    warnings = [(w.path, w.line, w.message.split(" ")[0]) for w in result.warnings]
    assert warnings == ([] if stops is None else [("features/a.feature", 3, "undefined")])
    assert bool(result.errors) == (stops is not None)


@pytest.mark.parametrize("case", ["matcher selected before it is registered",
                                  "parameter type defined by a step module loaded later"])
def test_sync_links_no_step_to_a_definition_behave_never_loads(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    """On a first sync (the parse workers match, ``prematch.matcher``), on a later one (sync's own matching,
    ``links.refresh``), and when the step code is mended and broken again though the definition's own row does not
    change (``links._refused_changed``)."""
    files, _ = CASES[case]
    _write(git_repo, files, case)
    pattern = "the color {color}"
    undefined = ([("the color red", "undefined", None)], {pattern: 0}, [])
    sync(git_repo.path, database_url=database_url)
    assert _state(database_url) == undefined
    code, out = _cli(capsys, "show", "STEP-1", "--database-url", database_url, "--project", git_repo.path.name)
    assert code == 0 and "usage_count: 0\n" in out and "used by: no scenario step" in out, out

    two = FEATURE + "  Scenario: t\n    Given the color blue\n"
    _write(git_repo, files, "two", two)
    sync(git_repo.path, database_url=database_url)
    rows, usage, linked = _state(database_url)
    assert rows == [("the color blue", "undefined", None), ("the color red", "undefined", None)]
    assert usage == {pattern: 0} and linked == []

    _write(git_repo, {"features/steps/s.py": STEPS, "features/steps/a_types.py": DEFINE}, "mended", two)
    sync(git_repo.path, database_url=database_url)
    rows, usage, linked = _state(database_url)
    assert rows == [("the color blue", "defined", pattern), ("the color red", "defined", pattern)]
    assert usage == {pattern: 2} and linked == [pattern, pattern]

    _write(git_repo, files, "broken again", two)
    sync(git_repo.path, database_url=database_url)
    rows, usage, linked = _state(database_url)
    assert rows == [("the color blue", "undefined", None), ("the color red", "undefined", None)]
    assert usage == {pattern: 0} and linked == []


def test_the_workers_matcher_leaves_out_what_behave_never_loads() -> None:
    """``prematch.matcher`` leaves out what ``links.refresh`` and ``tracertm steps`` leave out."""
    from tracertm.steps.prematch import matcher
    from tracertm.steps.records import parse

    for case in ("matcher selected before it is registered", "parameter type defined by a step module loaded later"):
        files, _ = CASES[case]
        outcomes = {path: parse(path, text.encode()) for path, text in files.items()}
        found = matcher(outcomes, "spawn")
        assert found is not None
        assert [d.function for d in found.definitions] == [], case


def test_a_parameter_type_defined_only_by_another_features_folder_is_not_defined(git_repo: GitRepo) -> None:
    """behave runs each features folder on its own: another folder's ``define_parameter_type`` never runs in this
    one's run (``UndefinedParameterTypeError``), as another folder's ``register_type`` does not."""
    git_repo.write(".tracertm.toml", 'feature_paths = ["**/*.feature"]\nstep_paths = ["**/steps/*.py"]\n')
    git_repo.write("features/steps/a_types.py", DEFINE + STEPS)
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("more.features/steps/b.py", STEPS.replace("def color", "def more_color"))
    git_repo.write("more.features/b.feature", FEATURE)
    git_repo.commit("a parameter type of one folder")
    report = analyze(git_repo.path)
    assert [(e.path, e.line) for e in report.errors] == [("more.features/steps/b.py", 5)]
    assert report.errors[0].message.startswith(
        "step definition @given('the color {color}') uses the parameter type {color}, which only other behave "
        "features folders define (define_parameter_type at features/steps/a_types.py:2): behave runs each folder "
        "with its own steps and refuses to load these (UndefinedParameterTypeError: Undefined parameter type "
        "'color')")
    assert [f"{r.use.path}:{r.use.line}" for r in report.undefined()] == ["more.features/b.feature:3"]
    if importlib.util.find_spec("behave") is not None:
        for folder, refused in (("more.features", True), ("features", False)):
            proc = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "-f", "steps.usage", folder],
                                  cwd=git_repo.path, capture_output=True, text=True, timeout=120)
            assert ("UndefinedParameterTypeError" in proc.stdout + proc.stderr) == refused, proc.stdout + proc.stderr


def test_check_staged_reports_a_parameter_type_module_renamed_to_load_later(git_repo: GitRepo) -> None:
    """The hook: renaming the module that defines the type so that it loads after its user breaks the user's
    definition, in a step file the commit leaves alone — reported as ``check`` reports the staged tree."""
    _write(git_repo, {"features/steps/a_types.py": DEFINE, "features/steps/s.py": STEPS}, "in time")
    assert check(git_repo.path, staged=True).ok
    git_repo.git("mv", "features/steps/a_types.py", "features/steps/z_types.py")
    staged = check(git_repo.path, staged=True)
    assert [(e.path, e.line) for e in staged.errors] == [("features/steps/s.py", 5)]
    assert "define_parameter_type at features/steps/z_types.py:2 runs later" in staged.errors[0].message
    assert [(w.path, w.line, w.message.split(" ")[0]) for w in staged.warnings] == [
        ("features/a.feature", 3, "undefined")]
