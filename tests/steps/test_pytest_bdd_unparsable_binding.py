"""A pytest-bdd module binding a feature file that is not valid Gherkin is refused whole by pytest: pytest-bdd parses
every file ``scenarios()`` names (and every ``**/*.feature`` of a folder it names) when it collects the module, so
a parse error is a collection error of the module and none of its scenarios run — those of its valid feature files
included. ``tracertm steps`` and ``check`` warn at the binding (the feature's own parse error says nothing of the
other files), and the warning agrees with pytest's own collection.

Cut down from ENCODE-DCC/encoded (MIT licence, commit 046703ce01c7), ``src/encoded/tests/features/test_matrix.py``:
one module binds fifteen matrix feature files, of which ``matrix_brain.feature`` (a ``Scenario Data`` line with no
colon) and ``matrix_experiment.feature`` (two ``Feature:`` sections in one file) do not parse; pytest-bdd 9 fails
the module and runs none of the 185 steps of the other thirteen."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from test_pytest_bdd_stale_bindings import pytest_collects
from tracertm.cli import main
from tracertm.steps.project import analyze

GOOD = ('Feature: Matrix\n    Scenario: Matrix\n        When I visit "/"\n'
        '        Then the title should contain the text "ENCODE"\n')
BRAIN = ('Feature: Brain matrix\n    Scenario: Legend\n        When I visit "/"\n\n    Scenario Data\n'
         '        Then the title should contain the text "ENCODE"\n')
TWO_FEATURES = ('@title\nFeature: Title\n    Scenario: Title\n        When I visit "/"\n\n'
                '@matrix\nFeature: Matrix\n    Scenario: Matrix\n        When I visit "/"\n')
STEPS = ('from pytest_bdd import parsers, then, when\n\n\n@when(parsers.parse(\'I visit "{url}"\'))\n'
         'def when_i_visit_url(url):\n    pass\n\n\n'
         '@then(parsers.parse(\'the title should contain the text "{text}"\'))\n'
         'def the_title_should_contain_the_text(text):\n    pass\n')
MODULES = {
    # scenarios() of a valid file and an invalid one: pytest refuses the module (warned at the call, line 3).
    "tests/test_matrix.py": "from pytest_bdd import scenarios\n\nscenarios(\n    'matrix_entex.feature',\n"
                            "    'matrix_brain.feature',\n)\n",
    # a folder holding an invalid file: refused as well.
    "tests/test_folder.py": "from pytest_bdd import scenarios\n\nscenarios('more')\n",
    # only valid files: collected.
    "tests/test_good.py": "from pytest_bdd import scenarios\n\nscenarios('matrix_entex.feature')\n",
}


def _project(repo: GitRepo) -> None:
    repo.write("pytest.ini", "[pytest]\n")
    repo.write("tests/matrix_entex.feature", GOOD)
    repo.write("tests/matrix_brain.feature", BRAIN)
    repo.write("tests/more/matrix_experiment.feature", TWO_FEATURES)
    repo.write("tests/conftest.py", STEPS)
    for path, text in MODULES.items():
        repo.write(path, text)
    repo.write(".tracertm.toml", 'feature_paths = ["tests/**/*.feature"]\n')
    repo.commit("encoded-like pytest-bdd project")


def _refused(warnings: list[tuple[str, int, str]]) -> dict[tuple[str, int], str]:
    return {(path, line): message for path, line, message in warnings if "not valid Gherkin; pytest-bdd" in message}


def test_binding_an_unparsable_feature_is_warned_at_the_binding(git_repo: GitRepo,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    _project(git_repo)
    report = analyze(git_repo.path)
    found = _refused([(w.path, w.line, w.message) for w in report.warnings])
    assert set(found) == {("tests/test_matrix.py", 3), ("tests/test_folder.py", 3)}, report.warnings
    assert found[("tests/test_matrix.py", 3)] == (
        "scenarios('matrix_brain.feature'): tests/matrix_brain.feature is not valid Gherkin; pytest-bdd fails "
        "collecting this module, so none of its scenarios run (those of its other feature files included) — fix "
        "the feature file ('tracertm check' lists its errors)")
    assert "tests/more/matrix_experiment.feature is not valid Gherkin" in found[("tests/test_folder.py", 3)]

    main(["check", str(git_repo.path)])  # check says it too, one line each at the binding
    out, err = capsys.readouterr()
    lines = [line for line in (out + err).splitlines() if "not valid Gherkin; pytest-bdd" in line]
    assert sorted(line.split(": ")[0].rsplit(":", 1)[0] for line in lines) == [
        "tests/test_folder.py:3", "tests/test_matrix.py:3"], out + err


@pytest.mark.slow
def test_warned_modules_are_those_pytest_refuses(git_repo: GitRepo) -> None:
    pytest.importorskip("pytest_bdd")
    _project(git_repo)
    proc, refused = pytest_collects(git_repo, MODULES)
    assert "test_matrix" in proc.stdout or refused, proc.stdout
    report = analyze(git_repo.path)
    assert {w.path for w in report.warnings if "not valid Gherkin; pytest-bdd" in w.message} == refused == {
        "tests/test_matrix.py", "tests/test_folder.py"}, proc.stdout
