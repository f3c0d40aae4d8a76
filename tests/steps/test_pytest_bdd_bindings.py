"""pytest-bdd's binding of features to test modules (``tracertm.steps.pytest_bdd``), checked against pytest-bdd's own
run of the same project: which definition each step runs (pytest-bdd's ``pytest_bdd_before_step`` hook logs it), which
steps it cannot find (``pytest_bdd_step_func_lookup_error``), and what no test ever runs — with two test modules
binding different features, a step defined only in the other module, one step text defined in two modules, conftest.py
overrides (a module over its conftest, a nearer conftest over a farther one), ``bdd_features_base_dir``, a folder
bound by ``scenarios("sub")``, a feature two modules run, ``from m import *`` (brings the step fixtures) and an import
by name (does not). Skipped without pytest-bdd (the ``dev`` extra installs it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.steps.project import analyze

HOOKS = '''\
import os
from pytest_bdd import given


def _log(request, line):
    with open(os.path.join(str(request.config.rootpath), "bdd.log"), "a", encoding="utf-8") as log:
        log.write(line + "\\n")


def _where(request, feature):
    return os.path.relpath(feature.filename, str(request.config.rootpath)).replace(os.sep, "/")


def pytest_bdd_before_step(request, feature, scenario, step, step_func):
    module = os.path.relpath(step_func.__code__.co_filename, str(request.config.rootpath))
    _log(request, f"ran|{_where(request, feature)}|{step.line_number}|{module.replace(os.sep, '/')}:{step_func.__name__}")


def pytest_bdd_step_func_lookup_error(request, feature, scenario, step, exception):
    _log(request, f"undefined|{_where(request, feature)}|{step.line_number}|")


@given("the shop is open")
def shop_open():
    pass


@given("a user")
def a_user():
    pass
'''

FILES = {
    "pytest.ini": "[pytest]\nbdd_features_base_dir = features/\n",
    "features/cart.feature": """\
Feature: Cart
  Background:
    Given the shop is open

  Scenario: adding
    Given a user
    When I add an apple
    Then the cart holds 1 item
    And I see the home page

  Scenario: coupons
    Given a coupon for 10 percent
    Then I see the home page
""",
    "features/login.feature": """\
Feature: Login
  Scenario: Logging in
    Given the shop is open
    And a user
    When I log in
    Then I see the home page

  Scenario: Shopping after login
    Given a user
    When I add an apple

  Scenario: Coupon at login
    Given a coupon for 5 percent
""",
    "features/sub/both.feature": """\
Feature: Both
  Scenario: twice
    Given a user
    When I pay
    Then I see the receipt
""",
    "tests/conftest.py": HOOKS,
    "tests/steps_common.py": '''\
from pytest_bdd import given, parsers


@given(parsers.parse("a coupon for {pct:d} percent"))
def coupon(pct):
    pass
''',
    # cart.feature, relative to bdd_features_base_dir; overrides the conftest's "the shop is open"; takes the coupon
    # with ``import *``.
    "tests/test_cart.py": '''\
from pytest_bdd import given, when, then, scenarios
from steps_common import *

scenarios("cart.feature")


@given("the shop is open")
def cart_shop_open():
    pass


@when("I add an apple")
def add_apple():
    pass


@then("the cart holds 1 item")
def holds_one():
    pass


@then("I see the home page")
def cart_home():
    pass
''',
    # Two scenarios of login.feature by name; "I add an apple" is test_cart's only; the coupon imported by name
    # (its fixture stays in steps_common); "I see the home page" defined here too.
    "tests/test_login.py": '''\
from pytest_bdd import given, when, then, scenario
from steps_common import coupon


@scenario("login.feature", "Logging in")
def test_logging_in():
    pass


@scenario("login.feature", "Shopping after login")
def test_shopping():
    pass


@scenario("login.feature", "Coupon at login")
def test_coupon():
    pass


@when("I log in")
def log_in():
    pass


@then("I see the home page")
def login_home():
    pass


@given("never used")
def never():
    pass
''',
    # A nearer conftest overrides tests/conftest.py's "a user" for the modules of tests/sub.
    "tests/sub/conftest.py": '''\
from pytest_bdd import given


@given("a user")
def sub_user():
    pass
''',
    # both.feature run by two modules: by file and by its folder; "I pay" defined in each, "I see the receipt" only
    # in the first (undefined when the second runs it).
    "tests/sub/test_both_a.py": '''\
from pytest_bdd import when, then, scenarios

scenarios("sub/both.feature")


@when("I pay")
def pay_a():
    pass


@then("I see the receipt")
def receipt():
    pass
''',
    "tests/sub/test_both_b.py": '''\
from pytest_bdd import when, scenarios

scenarios("sub")


@when("I pay")
def pay_b():
    pass
''',
}


def _pytest_bdd_run(root: Path) -> tuple[set[tuple[str, int, str]], set[tuple[str, int]]]:
    """pytest-bdd's run: (feature, line, definition file:function) of every step it ran, (feature, line) of every
    step it found no definition for."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "pytest.ini",
                           "tests"], cwd=root, capture_output=True, text=True, timeout=180)
    log = root / "bdd.log"
    assert log.exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    ran: set[tuple[str, int, str]] = set()
    undefined: set[tuple[str, int]] = set()
    for line in log.read_text(encoding="utf-8").splitlines():
        what, feature, number, definition = line.split("|")
        if what == "ran":
            ran.add((feature, int(number), definition))
        else:
            undefined.add((feature, int(number)))
    return ran, undefined


def test_bindings_agree_with_pytest_bdd(git_repo: GitRepo) -> None:
    pytest.importorskip("pytest_bdd")
    for path, text in FILES.items():
        git_repo.write(path, text)
    git_repo.commit("pytest-bdd project with bindings")
    theirs_ran, theirs_undefined = _pytest_bdd_run(git_repo.path)

    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert not report.ambiguous(), [r.as_dict() for r in report.ambiguous()]
    ours_ran: set[tuple[str, int, str]] = set()
    ours_undefined: set[tuple[str, int]] = set()
    stopped: set[tuple[str, int, int | None]] = set()  # pytest-bdd stops a scenario at its first undefined step
    for r in report.results:
        scenario = (r.use.path, r.use.scenario_line, r.use.row_line)
        if scenario in stopped:
            continue
        if r.status == "undefined":
            ours_undefined.add((r.use.path, r.use.line))
            stopped.add(scenario)
        ours_ran.update((r.use.path, r.use.line, f"{d.path}:{d.function}") for d in r.definitions)
    assert ours_undefined == theirs_undefined == {
        ("features/login.feature", 10),  # I add an apple: test_cart's only
        ("features/login.feature", 13),  # the coupon imported by name
        ("features/sub/both.feature", 5),  # I see the receipt: test_both_a's only
    }
    # A step undefined in one module's run is undefined (it names the definitions the other modules run).
    assert ours_ran == {(f, line, d) for f, line, d in theirs_ran if (f, line) not in theirs_undefined}
    receipt = next(r for r in report.results if r.use.text == "I see the receipt")
    assert receipt.status == "undefined" and [d.function for d, _ in receipt.matches] == ["receipt"]
    # The overrides pytest-bdd took (not ambiguous): test_cart's "the shop is open" over the conftest's, each
    # module's "I see the home page", tests/sub/conftest.py's "a user" over tests/conftest.py's, both "I pay".
    assert ("features/cart.feature", 3, "tests/test_cart.py:cart_shop_open") in ours_ran
    assert ("features/login.feature", 3, "tests/conftest.py:shop_open") in ours_ran
    assert {d for f, line, d in ours_ran if f == "features/sub/both.feature" and line in (3, 4)} == {
        "tests/sub/conftest.py:sub_user", "tests/sub/test_both_a.py:pay_a", "tests/sub/test_both_b.py:pay_b"}
    assert sorted(d.location for d in report.unused()) == ["tests/test_login.py:30"]
    used = report.usage_counts()
    assert used["tests/sub/test_both_a.py::pay_a"] == used["tests/sub/test_both_b.py::pay_b"] == 1


def test_without_bindings_every_definition_is_visible(git_repo: GitRepo) -> None:
    """A feature no test module binds keeps tracertm's view of every definition: defined by another module's step,
    ambiguous between two modules'."""
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: s\n    Given one\n    Then two\n")
    git_repo.write("features/b.feature", "Feature: B\n  Scenario: s\n    Given one\n")
    git_repo.write("tests/test_x.py", 'from pytest_bdd import given, then, scenarios\n\nscenarios("../features/b.feature")'
                   '\n\n@given("one")\ndef one():\n    pass\n\n@then("two")\ndef two():\n    pass\n')
    git_repo.write("tests/test_y.py", 'from pytest_bdd import given\n\n@given("one")\ndef one():\n    pass\n')
    git_repo.commit("one bound, one not")
    report = analyze(git_repo.path)
    verdicts = {(r.use.path, r.use.text): (r.status, sorted(d.path for d, _ in r.matches)) for r in report.results}
    assert verdicts == {
        ("features/a.feature", "one"): ("ambiguous", ["tests/test_x.py", "tests/test_y.py"]),
        ("features/a.feature", "two"): ("defined", ["tests/test_x.py"]),
        ("features/b.feature", "one"): ("defined", ["tests/test_x.py"]),  # bound: test_x's own only
    }


def test_pyproject_plugins_and_partial_agree_with_pytest_bdd(git_repo: GitRepo) -> None:
    """``[tool.pytest.ini_options]`` in pyproject.toml (``bdd_features_base_dir``, ``python_files``), a conftest's
    ``pytest_plugins`` (global step fixtures), ``scenario = partial(scenario, "a.feature")`` (pytest-bdd's README), and
    a module pytest does not collect (it binds nothing)."""
    pytest.importorskip("pytest_bdd")
    git_repo.write("pyproject.toml", '[tool.pytest.ini_options]\nbdd_features_base_dir = "specs"\n'
                                     'python_files = "check_*.py"\n')
    git_repo.write("specs/a.feature", "Feature: A\n  Scenario: one\n    Given a plugin step\n    When a module step\n"
                                      "    Then an ignored module step\n\n  Scenario: two\n    Given a plugin step\n")
    git_repo.write("features/unused.feature", "Feature: U\n")  # a features folder, so that tracertm reads specs/ too
    git_repo.write("tests/conftest.py", HOOKS.replace('@given("the shop is open")', '@given("unrelated")')
                   + '\npytest_plugins = ["shared_steps"]\n')
    git_repo.write("tests/shared_steps.py", 'from pytest_bdd import given\n\n\n@given("a plugin step")\n'
                                            'def plugin_step():\n    pass\n')
    git_repo.write("tests/check_a.py", 'from functools import partial\n\nfrom pytest_bdd import scenario, when\n\n'
                                       'scenario = partial(scenario, "a.feature")\n\n\n@scenario("one")\n'
                                       'def test_one():\n    pass\n\n\n@when("a module step")\ndef module_step():\n'
                                       '    pass\n')
    git_repo.write("tests/test_ignored.py", 'from pytest_bdd import then, scenarios\n\nscenarios("a.feature")\n\n\n'
                                            '@then("an ignored module step")\ndef ignored():\n    pass\n')
    git_repo.write(".tracertm.toml", 'feature_paths = ["specs/**/*.feature"]\n')
    git_repo.commit("pyproject, plugins, partial")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                          cwd=git_repo.path, capture_output=True, text=True, timeout=180)
    log = (git_repo.path / "bdd.log")
    assert log.exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    theirs = sorted(line for line in log.read_text(encoding="utf-8").splitlines())
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    ours = []
    for r in report.results:
        if r.use.scenario != "one":
            continue  # "two" is bound by no module pytest collects: tracertm's view of every definition
        if r.status == "undefined":
            ours.append(f"undefined|{r.use.path}|{r.use.line}|")
            break
        ours += [f"ran|{r.use.path}|{r.use.line}|{d.path}:{d.function}" for d in r.definitions]
    assert sorted(ours) == theirs == [
        "ran|specs/a.feature|3|tests/shared_steps.py:plugin_step",
        "ran|specs/a.feature|4|tests/check_a.py:module_step",
        "undefined|specs/a.feature|5|",  # test_ignored.py is no test module here (python_files)
    ]
