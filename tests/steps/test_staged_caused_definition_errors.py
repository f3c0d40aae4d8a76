"""``check --staged`` (the pre-commit hook) reports the definition errors a commit causes in step files it leaves
alone, as ``check`` reports them for the staged tree: a regex definition that a step of a changed feature now
matches while cucumber cannot tell which parameter type its group is (cucumber stops with
AmbiguousParameterTypeError: ``report._ambiguous_lookups``), and a behave step module selecting the
``cucumber_expressions`` matcher before the module registering it loads, once that module is renamed to load later
or loses the registration (``report._unregistered_matcher``). The hook reported step findings only in the step
files the commit changes, so both passed it. Errors HEAD had already are not reported again; ``sync`` reports
neither, as it reports no step finding that depends on other files (README: "In the database")."""

from __future__ import annotations

from conftest import GitRepo, run_cli
from tracertm.engine.sync import sync

JS_DIR = "features/step_definitions"
CODES = ("const { Given, defineParameterType } = require('@cucumber/cucumber');\n"
         "defineParameterType({ name: 'code', regexp: /[A-Z]{2}/ });\n"
         "defineParameterType({ name: 'code2', regexp: /[A-Z]{2}/ });\n"
         "Given(/^code ([A-Z]{2}) here$/, function (c) {});\n"
         "Given('plain', function () {});\n")
PLAIN = "Feature: A\n  Scenario: s\n    Given plain\n"
CODE_STEP = "    Given code AB here\n"


def _lookup(where: str) -> str:
    """check's error at codes.js's regex definition, naming the first step that matches it (``where``)."""
    return (f"{JS_DIR}/codes.js:4:1: step definition '/^code ([A-Z]{{2}}) here$/' matches the step 'Given code AB "
            f"here' (features/{where}), and cucumber cannot tell which parameter type its group ([A-Z]{{2}}) is: "
            f"{{code}} ({JS_DIR}/codes.js:2), {{code2}} ({JS_DIR}/codes.js:3) all have that regexp, none "
            "preferential (cucumber stops: AmbiguousParameterTypeError) — make one preferForRegexpMatch: true, or "
            "write a Cucumber Expression")


REGISTER = ("from behave.cucumber_expression import use_step_matcher_for_cucumber_expressions\n"
            "use_step_matcher_for_cucumber_expressions()\n")
SELECTING = ("from behave import given, use_step_matcher\nuse_step_matcher('cucumber_expressions')\n\n"
             "@given('I have {int} cucumber(s)')\ndef have(context, n):\n    pass\n")
CUCUMBERS = "Feature: f\n  Scenario: s\n    Given I have 3 cucumbers\n"
UNREGISTERED = ("features/steps/s.py:2:1: behave's step matcher 'cucumber_expressions' is not registered when this "
                "line runs: behave refuses to load the steps (KeyError: 'cucumber_expressions') — call "
                "use_step_matcher_for_cucumber_expressions() from behave.cucumber_expression instead, which "
                "registers and selects it")
# behave never loads the definition below that line: its step is undefined (``report._matcher_stopped``).
UNDEFINED = ("features/a.feature:3:5: warning: undefined step 'Given I have 3 cucumbers': no step definition matches "
             "it; write one or fix the step text")


def _findings(*argv: str) -> tuple[int, list[str]]:
    """``tracertm check ARGV`` : its exit code and its finding lines (the summary left out)."""
    result = run_cli("check", *argv)
    lines = (result.stdout + result.stderr).splitlines()
    return result.returncode, [line for line in lines if " files checked, " not in line]


def _staged(repo: GitRepo) -> tuple[int, list[str]]:
    """``check --staged`` of what ``git add -A`` stages, after asserting it says what ``check`` says of the
    staged tree (the work tree, all staged)."""
    repo.git("add", "-A")
    staged = _findings(str(repo.path), "--staged")
    assert staged == _findings(str(repo.path)), staged
    return staged


def _codes(repo: GitRepo, features: dict[str, str]) -> None:
    repo.write(f"{JS_DIR}/codes.js", CODES)
    for path, text in features.items():
        repo.write(path, text)
    repo.commit("codes")


# ------------------------------------------------------------------------------- AmbiguousParameterTypeError


def test_a_feature_step_matching_a_definition_cucumber_cannot_look_up_fails_the_commit(git_repo: GitRepo) -> None:
    """The audit's case: only the feature changes; the error is at the unchanged step file's definition."""
    _codes(git_repo, {"features/a.feature": PLAIN})
    assert _findings(str(git_repo.path))[0] == 0
    git_repo.write("features/a.feature", PLAIN + CODE_STEP)
    assert _staged(git_repo) == (1, [_lookup("a.feature:4")])


def test_the_same_with_a_step_file_changed_in_the_commit(git_repo: GitRepo) -> None:
    """Another step file changes too (no parameter type does): every feature is matched, and the lookup error at
    the unchanged file is still the commit's doing."""
    _codes(git_repo, {"features/a.feature": PLAIN, f"{JS_DIR}/other.js": "// nothing yet\n"})
    git_repo.write(f"{JS_DIR}/other.js", "const { Given } = require('@cucumber/cucumber');\n"
                                         "Given('other', function () {});\n")
    git_repo.write("features/b.feature", "Feature: B\n  Scenario: s\n    Given other\n" + CODE_STEP)
    assert _staged(git_repo) == (1, [_lookup("b.feature:4")])


def test_a_lookup_error_committed_already_is_not_reported_again(git_repo: GitRepo) -> None:
    """An unchanged feature matched the definition in HEAD (cucumber stopped there already): a commit adding
    another such step, or editing the feature that has one, passes, as for every error already committed."""
    _codes(git_repo, {"features/a.feature": PLAIN + CODE_STEP, "features/b.feature": PLAIN})
    assert _findings(str(git_repo.path)) == (1, [_lookup("a.feature:4")])
    git_repo.write("features/b.feature", PLAIN + CODE_STEP)
    git_repo.git("add", "-A")
    assert _findings(str(git_repo.path), "--staged") == (0, [])
    git_repo.git("reset", "-q", "--hard")
    git_repo.write("features/a.feature", PLAIN + "    And plain\n" + CODE_STEP)
    git_repo.git("add", "-A")
    assert _findings(str(git_repo.path), "--staged") == (0, [])


# ------------------------------------------------------------------ behave's cucumber_expressions registration


def _behave(repo: GitRepo, files: dict[str, str]) -> None:
    repo.write("features/a.feature", CUCUMBERS)
    for path, text in files.items():
        repo.write(path, text)
    repo.commit("cucumber expressions")


def test_renaming_the_registering_module_to_load_later_fails_the_commit(git_repo: GitRepo) -> None:
    """The audit's case: ``a_setup.py`` registers the matcher before ``s.py`` selects it; renamed ``z_setup.py``,
    behave loads it after ``s.py`` (file-name order) and stops on s.py's KeyError, s.py unchanged."""
    _behave(git_repo, {"features/steps/a_setup.py": REGISTER, "features/steps/s.py": SELECTING})
    assert _findings(str(git_repo.path))[0] == 0
    git_repo.git("mv", "features/steps/a_setup.py", "features/steps/z_setup.py")
    assert _staged(git_repo) == (1, [UNREGISTERED, UNDEFINED])


def test_removing_the_registration_fails_the_commit(git_repo: GitRepo) -> None:
    _behave(git_repo, {"features/steps/a_setup.py": REGISTER, "features/steps/s.py": SELECTING})
    git_repo.write("features/steps/a_setup.py", "# no registration any more\n")
    assert _staged(git_repo) == (1, [UNREGISTERED, UNDEFINED])


def test_an_unregistered_selection_committed_already_is_not_reported_again(git_repo: GitRepo) -> None:
    """HEAD loads the registration late already; a commit moving it to another late name changes nothing."""
    _behave(git_repo, {"features/steps/y_setup.py": REGISTER, "features/steps/s.py": SELECTING})
    git_repo.git("mv", "features/steps/y_setup.py", "features/steps/z_setup.py")
    git_repo.git("add", "-A")
    assert _findings(str(git_repo.path), "--staged") == (0, [])


# ------------------------------------------------------------------------------------------------------- sync


def test_sync_reports_neither_as_it_reports_no_cross_file_definition_error(
    git_repo: GitRepo, database_url: str
) -> None:
    """sync stores definitions per file: an error that depends on other files (an undeclared or clashing parameter
    type, a behave registration order, these two) is check's and steps', not sync's."""
    _codes(git_repo, {"features/a.feature": PLAIN + CODE_STEP})
    git_repo.write("features/b.feature", CUCUMBERS)
    git_repo.write("features/steps/s.py", SELECTING)
    git_repo.write("features/steps/z_setup.py", REGISTER)
    git_repo.commit("both findings")
    assert len(_findings(str(git_repo.path))[1]) == 3  # the two errors, and b.feature's step undefined
    result = sync(git_repo.path, database_url=database_url)
    assert (result.errors, result.warnings) == ([], [])
