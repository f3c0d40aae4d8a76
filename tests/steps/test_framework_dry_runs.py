"""tracertm's verdicts against the frameworks' own: behave's dry-run ``steps.usage`` report (undefined and unused;
two definitions matching one step are no ambiguity: behave runs the first of its step type's, then the generic)
and pytest-bdd's run (the first undefined step of each scenario / outline row). Skipped when the tool is absent;
CI installs both (the ``dev`` extra)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.steps.project import analyze

FEATURE = """\
Feature: Shop
  Background:
    Given a customer named "Ann"

  Scenario: buying
    Given 3 items in the basket
    And a coupon for 10 percent
    When the customer pays
    But nothing else happens
    Then the order is placed
    * a mail is sent
    And the mail is archived

  Scenario: refunds
    Given 2 items in the basket
    When the customer asks for a refund
    Then the refund is 20 euros

  Scenario Outline: totals
    Given <n> items in the basket
    Then the total is <total>

    Examples:
      | n | total |
      | 1 | 10    |
      | 2 | abc   |
      | 3 | 30    |
"""


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


def _sections(output: str) -> dict[str, list[str]]:
    """behave steps.usage: ``UNUSED STEP DEFINITIONS[n]:`` / ``UNDEFINED STEPS[n]:`` → their ``# location`` lines."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in output.splitlines():
        head = re.match(r"(UNUSED STEP DEFINITIONS|UNDEFINED STEPS)\[\d+\]:", line)
        if head:
            current = head.group(1)
            sections[current] = []
        elif current and line.startswith("  ") and "#" in line:
            text, location = line.rsplit("#", 1)
            sections[current].append(f"{' '.join(text.split())} @ {location.strip()}")
        elif not line.strip():
            current = None
    return sections


def test_behave_dry_run_agrees(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    git_repo.write("features/shop.feature", FEATURE)
    # behave starts each scenario's step types afresh: ``*`` opening a scenario is a Given, whatever the
    # Background's last step was.
    git_repo.write("features/star.feature", "Feature: Star\n  Background:\n    When the customer pays\n\n"
                   "  Scenario: starred\n    * the shop opens\n")
    git_repo.write("features/steps/shop_steps.py", '''\
from behave import given, when, then, step, use_step_matcher

@given('a customer named "{name}"')
def customer(context, name):
    pass

@step("{count:d} items in the {place}")
def items_anywhere(context, count, place):
    pass

@given("{count:d} items in the basket")
def items(context, count):
    pass

@when("the customer pays")
def pays(context):
    pass

@then("the order is placed")
def placed(context):
    pass

@step("a mail is sent")
def mail(context):
    pass

@given("the order is placed")
def given_placed(context):
    pass

@given("the shop opens")
def opens(context):
    pass

use_step_matcher("re")

@when(r"the customer asks for an? (?P<what>\\w+)")
def asks(context, what):
    pass

@then(r"the total is (?P<total>\\d+)")
def total(context, total):
    pass

@then(r"the refund is (?P<amount>\\d+) dollars")
def refund_dollars(context, amount):
    pass
''')
    git_repo.commit("behave project")
    proc = _run([sys.executable, "-m", "behave", "--dry-run", "--no-summary", "--no-snippets", "-f", "steps.usage",
                 "features"], git_repo.path)
    assert "UNUSED STEP DEFINITIONS" in proc.stdout, proc.stdout + proc.stderr
    behave = _sections(proc.stdout)

    report = analyze(git_repo.path)
    assert not report.errors
    ours_unused = sorted(d.location for d in report.unused())
    theirs_unused = sorted(entry.rsplit(" @ ", 1)[1] for entry in behave["UNUSED STEP DEFINITIONS"])
    # Two definitions match "Given 3 items in the basket": behave runs the first of the Given registry, then of the
    # generic @step one (not ambiguous), so the @step one above it is unused.
    assert ours_unused == theirs_unused == [
        "features/steps/shop_steps.py:27", "features/steps/shop_steps.py:45", "features/steps/shop_steps.py:7"]
    assert not report.ambiguous()
    ours_undefined = sorted(f"{r.use.keyword} {r.use.text} @ {r.use.location}" for r in report.undefined())
    assert ours_undefined == sorted(behave["UNDEFINED STEPS"])
    assert len(ours_undefined) == 5  # coupon, nothing else (But → when), the mail archived, refund 20 euros, abc


def test_pytest_bdd_run_agrees(git_repo: GitRepo) -> None:
    pytest.importorskip("pytest_bdd")
    git_repo.write("features/shop.feature", FEATURE)
    git_repo.write("pytest.ini", "[pytest]\n")
    git_repo.write("tests/test_shop.py", '''\
import re
from pytest_bdd import given, when, then, step, parsers, scenarios

scenarios("../features")

@given(parsers.parse('a customer named "{name}"'))
def customer(name):
    pass

@given(parsers.parse("{count:d} items in the basket"))
def items(count):
    pass

@given(parsers.parse("a coupon for {pct:d} percent"))
def coupon(pct):
    pass

@when("the customer pays")
def pays():
    pass

@step("nothing else happens")
def nothing():
    pass

@then("the order is placed")
def placed():
    pass

@then("a mail is sent")
def mail():
    pass

@when(parsers.re(r"the customer asks for an? (?P<what>\\w+)"))
def asks(what):
    pass

@then(parsers.re(r"the total is (?P<total>\\d+)"))
def total(total):
    pass

@then(parsers.cfparse("the refund is {amount:d} euros"))
def refund(amount):
    pass

@given("never used")
def unused():
    pass
''')
    git_repo.commit("pytest-bdd project")
    proc = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "pytest.ini", "tests"],
                git_repo.path)
    theirs = sorted(set(re.findall(r'Step definition is not found: (\w+) "([^"]*)"\. Line (\d+)', proc.stdout)))
    assert theirs, proc.stdout[-3000:]

    report = analyze(git_repo.path)
    assert not report.errors
    first_undefined: dict[tuple[int, int | None], tuple[str, str, str]] = {}
    for r in report.results:
        key = (r.use.scenario_line, r.use.row_line)
        if r.status == "undefined" and key not in first_undefined:
            first_undefined[key] = (r.use.type.capitalize(), r.use.text, str(r.use.line))
    assert sorted(set(first_undefined.values())) == theirs
    assert [d.function for d in report.unused()] == ["unused"]


def test_behave_dry_run_agrees_per_features_folder(git_repo: GitRepo) -> None:
    """Two features folders: behave runs each with its own steps folder only (``steps.lens.BehaveFolders``)."""
    pytest.importorskip("behave")
    step = "from behave import given\n\n@given('{0}')\ndef {1}(context):\n    pass\n"
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/**/*.feature", "more.features/**/*.feature"]\n'
                   'step_paths = ["features/steps/*.py", "more.features/steps/*.py"]\n')
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: a\n    Given shared\n    And only more\n")
    git_repo.write("features/steps/a.py", step.format("shared", "a") + "\n" + step.format("only main", "b"))
    git_repo.write("more.features/b.feature", "Feature: B\n  Scenario: b\n    Given shared\n    And only main\n")
    git_repo.write("more.features/steps/b.py", step.format("shared", "a") + "\n" + step.format("only more", "b"))
    git_repo.commit("two folders")
    report = analyze(git_repo.path)
    assert not report.errors
    for folder in ("features", "more.features"):
        proc = _run([sys.executable, "-m", "behave", "--dry-run", "--no-summary", "--no-snippets", "-f",
                     "steps.usage", folder], git_repo.path)
        behave = _sections(proc.stdout)
        assert "AmbiguousStep" not in proc.stdout + proc.stderr
        ours_undefined = sorted(f"{r.use.keyword} {r.use.text} @ {r.use.location}" for r in report.undefined()
                                if r.use.path.startswith(folder + "/"))
        assert ours_undefined == sorted(behave["UNDEFINED STEPS"]) and len(ours_undefined) == 1
        ours_unused = sorted(d.location for d in report.unused() if d.path.startswith(folder + "/"))
        assert ours_unused == sorted(e.rsplit(" @ ", 1)[1] for e in behave["UNUSED STEP DEFINITIONS"])
