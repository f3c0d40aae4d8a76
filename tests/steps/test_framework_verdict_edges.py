"""Framework verdicts at the edges, held against the frameworks themselves (behave's ``--dry-run``, pytest's
``--collect-only``, in a subprocess with this interpreter; skipped when the tool is absent):

- behave checks each definition's parse types when it registers it, loading ``features/steps/*.py`` in sorted file
  name order (``environment.py`` first): a type ``register_type``-d only by a module loaded later is refused;
- pytest-bdd's ``extra_types=`` given as a module-level name bound to a dict is read; one tracertm cannot read is a
  warning, never a claim that the pattern is invalid;
- pytest-bdd refuses to collect a module bound to a scenario whose first step is ``And``/``*`` (StepError)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo
from tracertm.steps.project import analyze

PERSON_FEATURE = "Feature: F\n  Scenario: s\n    Given the person Alice arrives\n"
USES_PERSON = "from behave import given\n\n@given('the person {who:Person} arrives')\ndef arr(ctx, who):\n    pass\n"
REGISTERS_PERSON = ("from behave import register_type\n\ndef person(text):\n    return text\n\n"
                    'person.pattern = r"[A-Z]\\w+"\nregister_type(Person=person)\n')


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=180)


def _behave_loads(cwd: Path) -> bool:
    proc = _run([sys.executable, "-m", "behave", "--dry-run", "--no-capture", "-f", "plain"], cwd)
    return "not recognised" not in proc.stdout + proc.stderr and "MissingTypeError" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("layout, refused", [
    ({"features/steps/a_steps.py": USES_PERSON, "features/steps/b_types.py": REGISTERS_PERSON}, True),
    ({"features/steps/b_steps.py": USES_PERSON, "features/steps/a_types.py": REGISTERS_PERSON}, False),
    ({"features/steps/a_steps.py": USES_PERSON, "features/environment.py": REGISTERS_PERSON}, False),
    ({"features/steps/a_steps.py": USES_PERSON + REGISTERS_PERSON}, True),  # registered below the definition
    ({"features/steps/a_steps.py": REGISTERS_PERSON + USES_PERSON}, False),
    ({"features/steps/a_steps.py": "import b_types\n" + USES_PERSON, "features/steps/b_types.py": REGISTERS_PERSON},
     False),  # importing it runs the registration first
])
def test_behave_type_registered_later_is_refused(git_repo: GitRepo, layout: dict[str, str], refused: bool) -> None:
    git_repo.write("features/a.feature", PERSON_FEATURE)
    for path, text in layout.items():
        git_repo.write(path, text)
    git_repo.commit("behave types")
    report = analyze(git_repo.path)
    found = [e for e in report.errors if "Person" in e.message and "behave" in e.message]
    if refused:
        assert [(e.path, e.line) for e in found] == [(next(p for p in layout if "a_steps" in p), 3)], report.errors
        assert "register" in found[0].message
        assert len(report.undefined()) == 1  # behave loads none of it: the step runs nothing
    else:
        assert found == [] and report.errors == [], report.errors
        assert len(report.undefined()) == 0
    if pytest.importorskip("behave"):
        assert _behave_loads(git_repo.path) is not refused


EXTRA_MODULE = """\
import parse
from pytest_bdd import scenarios, given, parsers
scenarios('../features/a.feature')

@parse.with_pattern(r'\\d+')
def parse_num(t):
    return int(t)

EXTRA = {extra}

@given(parsers.parse('num {{n:Num}} here', extra_types=EXTRA))
def a(n):
    assert n == 12
"""


@pytest.mark.parametrize("extra", ["dict(Num=parse_num)", "{'Num': parse_num}"])
def test_pytest_bdd_extra_types_by_name(git_repo: GitRepo, extra: str) -> None:
    git_repo.write("features/a.feature", "Feature: T\n  Scenario: s\n    Given num 12 here\n")
    git_repo.write("tests/test_a.py", EXTRA_MODULE.format(extra=extra))
    git_repo.commit("extra types")
    report = analyze(git_repo.path)
    assert report.errors == [] and report.warnings == []
    assert len(report.undefined()) == 0 and len(report.results) == 1
    if pytest.importorskip("pytest_bdd"):
        proc = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_a.py"],
                    git_repo.path)
        assert "1 passed" in proc.stdout, proc.stdout


def test_pytest_bdd_unreadable_extra_types_is_a_warning(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", "Feature: T\n  Scenario: s\n    Given num 12 here\n")
    git_repo.write("tests/test_a.py", EXTRA_MODULE.format(extra="make_types()").replace(
        "EXTRA = make_types()", "def make_types():\n    return {'Num': parse_num}\n\nEXTRA = make_types()"))
    git_repo.commit("extra types")
    report = analyze(git_repo.path)
    assert report.errors == [], report.errors
    assert any("extra_types" in w.message and "without running code" in w.message for w in report.warnings)
    assert not any("not a valid" in w.message for w in report.warnings)
    assert len(report.undefined()) == 0 and len(report.results) == 1


STAR_FEATURE = """\
Feature: Star
  Background:
    Given a base

  Scenario: and first
    {first} another thing
    Then done

  Scenario: fine
    Given another thing
"""
STAR_MODULE = """\
from pytest_bdd import scenarios, given, then
scenarios('../features/{name}.feature')
@given('a base')
def a():
    pass
@given('another thing')
def t2():
    pass
@then('done')
def d():
    pass
"""
FIRSTS = {"and": "And", "star": "*", "but": "But", "given": "Given"}


def test_pytest_bdd_refuses_a_conjunction_first(git_repo: GitRepo) -> None:
    """Each first keyword in a feature and a module of its own, in one repository: one pytest process (the
    oracle) collects them all, and says for each module whether it refused it."""
    for name, first in FIRSTS.items():
        git_repo.write(f"features/{name}.feature", STAR_FEATURE.format(first=first))
        git_repo.write(f"tests/test_{name}.py", STAR_MODULE.format(name=name))
    git_repo.commit("star")
    report = analyze(git_repo.path)
    found = [e for e in report.errors if "pytest-bdd" in e.message and "first step" in e.message.lower()]
    refused = {name for name, first in FIRSTS.items() if first != "Given"}
    assert sorted((e.path, e.line, e.column) for e in found) == sorted(
        (f"features/{name}.feature", 6, 5) for name in refused), report.errors
    for e in found:
        assert f"tests/test_{Path(e.path).stem}.py" in e.message, e.message
    if pytest.importorskip("pytest_bdd"):
        proc = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", "tests"],
                    git_repo.path)
        errors = set(re.findall(r"^ERROR tests/test_(\w+)\.py - pytest_bdd\.exceptions\.StepError", proc.stdout,
                                re.MULTILINE))
        assert errors == refused, proc.stdout
        assert "2 tests collected" in proc.stdout, proc.stdout  # the module whose first step is Given


def test_conjunction_first_without_pytest_bdd_is_no_error(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", STAR_FEATURE.format(first="And"))
    git_repo.write("features/steps/s.py", "from behave import given, then\n@given('a base')\ndef a(c):\n    pass\n"
                   "@given('another thing')\ndef t(c):\n    pass\n@then('done')\ndef d(c):\n    pass\n")
    git_repo.commit("behave star")
    assert analyze(git_repo.path).errors == []
