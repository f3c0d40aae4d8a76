"""A pytest-bdd binding pytest refuses when it collects the module — ``scenarios()`` of a feature file or folder that
does not exist, ``@scenario`` of a title its feature file does not have — is a ``check`` warning at the binding's line
(``steps.pytest_bdd.Bindings.stale``), in the everything mode and in the ``--staged`` hook mode when the module
changes; so is a binding of a feature file that exists but does not parse (pytest fails the whole module:
``test_pytest_bdd_unparsable_binding.py``); a folder of features and a correct title are not. Checked against
pytest's own collection of the same modules (skipped without pytest-bdd: the ``dev`` extra installs it)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable

import pytest

from conftest import GitRepo
from tracertm.cli import main
from tracertm.steps.project import analyze

FEATURE = ("Feature: Cart\n  Scenario: adding\n    Given a user\n\n  Scenario Outline: paying <n>\n"
           "    Given a user\n\n    Examples:\n      | n |\n      | 1 |\n")
STEP = 'from pytest_bdd import given, scenario, scenarios\n\n\n@given("a user")\ndef a_user():\n    pass\n'
MODULES = {
    # Refused by pytest: each has one stale binding (line 3 or 5).
    "tests/test_missing_file.py": 'from pytest_bdd import scenarios\n\nscenarios("../features/gone.feature")\n',
    "tests/test_missing_folder.py": 'from pytest_bdd import scenarios\n\nscenarios("../features/nowhere")\n',
    "tests/test_unknown_title.py": 'from pytest_bdd import scenario\n\n\n\n@scenario("../features/cart.feature", '
                                   '"Adding")\ndef test_adding():\n    pass\n',
    # Collected by pytest: no finding.
    "tests/test_good.py": 'from pytest_bdd import scenario, scenarios\n\nscenarios("../features/sub")\n\n\n'
                          '@scenario("../features/cart.feature", "paying <n>")\ndef test_paying():\n    pass\n',
}


def _project(repo: GitRepo, broken: bool = False) -> None:
    repo.write("features/cart.feature", FEATURE)
    repo.write("features/sub/more.feature", "Feature: More\n  Scenario: more\n    Given a user\n")
    repo.write("tests/conftest.py", STEP)
    for path, text in MODULES.items():
        repo.write(path, text)
    if broken:  # exists, does not parse: pytest fails the module on its Gherkin error; the feature parser says why
        repo.write("features/broken.feature", "this is not Gherkin\n")
        repo.write("tests/test_broken.py",
                   'from pytest_bdd import scenarios\n\nscenarios("../features/broken.feature")\n')
    repo.commit("pytest-bdd bindings")


def _stale(lines: str) -> dict[tuple[str, int], str]:
    return {(d.split(":")[0], int(d.split(":")[1])): d
            for d in lines.splitlines() if "pytest-bdd fails collecting" in d}


def test_stale_bindings_are_warned_at_their_line(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _project(git_repo, broken=True)
    code = main(["check", str(git_repo.path)])
    out, err = capsys.readouterr()
    found = _stale(out + err)
    assert set(found) == {("tests/test_missing_file.py", 3), ("tests/test_missing_folder.py", 3),
                          ("tests/test_unknown_title.py", 5), ("tests/test_broken.py", 3)}, out + err
    assert "features/broken.feature is not valid Gherkin" in found[("tests/test_broken.py", 3)]
    assert "features/gone.feature is no feature file or folder of feature files tracertm reads" in \
        found[("tests/test_missing_file.py", 3)]
    assert "features/cart.feature has no scenario named 'Adding'" in found[("tests/test_unknown_title.py", 5)]
    assert all("warning" in line for line in found.values())
    assert code != 0  # the broken feature file is an error of its own
    assert main(["check", "--strict", str(git_repo.path)]) != 0
    capsys.readouterr()

    report = analyze(git_repo.path)  # `tracertm steps` reports them too
    assert {(w.path, w.line) for w in report.warnings if "pytest-bdd fails collecting" in w.message} == set(found)


def pytest_collects(repo: GitRepo, modules: Iterable[str]) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """pytest's own collection of ``modules`` in ``repo``, and the modules it refused. One collection of every
    module (a pytest start-up each cost 3 s): the modules it fails on are its errors."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only",
                           "--continue-on-collection-errors", *modules], cwd=repo.path, capture_output=True,
                          text=True, timeout=180)
    return proc, {line.split()[1] for line in proc.stdout.splitlines() if line.startswith("ERROR ")}


@pytest.mark.slow
def test_stale_bindings_agree_with_pytest_collection(git_repo: GitRepo) -> None:
    pytest.importorskip("pytest_bdd")
    _project(git_repo)
    proc, refused = pytest_collects(git_repo, MODULES)
    assert "test_paying" in proc.stdout, proc.stdout  # the good module was collected
    report = analyze(git_repo.path)
    assert {w.path for w in report.warnings if "pytest-bdd fails collecting" in w.message} == refused == {
        "tests/test_missing_file.py", "tests/test_missing_folder.py", "tests/test_unknown_title.py"}


def test_hook_mode_warns_when_the_module_changes(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _project(git_repo)
    git_repo.write("tests/test_good.py", MODULES["tests/test_good.py"].replace('"paying <n>"', '"paying"'))
    git_repo.git("add", "-A")
    main(["check", "--staged", str(git_repo.path)])
    out, err = capsys.readouterr()
    assert set(_stale(out + err)) == {("tests/test_good.py", 6)}, out + err
