"""pytest-bdd's parsers as pytest-bdd 9 applies them: ``parsers.parse/cfparse(pattern, extra_types, case_sensitive)``
hand their extra arguments to ``parse``, so ``case_sensitive=True`` makes the step text's case count (parse's default
ignores it); and a step function gets only named values — ``match.groupdict()`` of ``parsers.re``, ``.named`` of
``parsers.parse/cfparse`` — so a plain group or a ``{}`` field matches but hands nothing (behave hands every group
and field). Checked against pytest-bdd itself: a run of its tests, and its parsers' ``parse_arguments``."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import StepDefinition as StepRow
from tracertm.steps.expressions import Registries, compile_definition
from tracertm.steps.model import PatternKind, StepDefinition
from tracertm.steps.packed import match_rows
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.project import analyze

FEATURE = """\
Feature: case
  Scenario: user
    Given the USER logs in
  Scenario: admin
    When the ADMIN logs out
  Scenario: guest
    Then the GUEST waits
  Scenario: leaving
    Then the GUEST leaves
"""
MODULE = """\
from pytest_bdd import given, when, then, scenarios, parsers

scenarios("../features/case.feature")


@given(parsers.parse("the user logs in", case_sensitive=True))
def logs_in():
    pass


@when(parsers.cfparse("the admin logs out", case_sensitive=True))
def logs_out():
    pass


@then(parsers.parse("the guest waits", None, True))
def waits():
    pass


@then(parsers.cfparse("the {who} leaves", case_sensitive=False))
def leaves(who):
    pass
"""


def test_case_sensitive_parsers_match_as_pytest_bdd_does(git_repo: GitRepo) -> None:
    pytest.importorskip("pytest_bdd")
    git_repo.write("features/case.feature", FEATURE)
    git_repo.write("pytest.ini", "[pytest]\n")
    git_repo.write("tests/test_case.py", MODULE)
    git_repo.commit("case")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "pytest.ini",
                           "tests"], cwd=git_repo.path, capture_output=True, text=True, timeout=120)
    theirs = sorted(re.findall(r'Step definition is not found: \w+ "([^"]*)"', proc.stdout))
    assert theirs == ["the ADMIN logs out", "the GUEST waits", "the USER logs in"], proc.stdout[-3000:]
    assert "3 failed, 1 passed" in proc.stdout

    report = analyze(git_repo.path)
    assert not report.errors
    assert [(r.use.text, r.status) for r in report.results] == [
        ("the USER logs in", "undefined"), ("the ADMIN logs out", "undefined"), ("the GUEST waits", "undefined"),
        ("the GUEST leaves", "defined")]


def test_extra_types_given_unnamed_are_read_as_pytest_bdd_reads_them(git_repo: GitRepo) -> None:
    """``parsers.parse(pattern, {"Number": int})``: the types are ``parse.compile``'s second argument, named or not.
    tracertm read only ``extra_types=``, so the pattern was an error ("format spec 'Number' not recognised") and its
    steps went to another definition, or undefined."""
    pytest.importorskip("pytest_bdd")
    git_repo.write("features/cukes.feature", (
        "Feature: cukes\n  Scenario: eat\n    Given I have 5 cukes\n    When I eat 3 cukes\n"
        "    Then 2 cukes are LEFT\n"))
    git_repo.write("pytest.ini", "[pytest]\n")
    git_repo.write("tests/test_cukes.py", (
        "import re\nfrom pytest_bdd import given, when, then, scenarios, parsers\n\n"
        'scenarios("../features/cukes.feature")\nNUMBER = dict(Number=int)\n\n\n'
        '@given(parsers.parse("I have {n:Number} cukes", dict(Number=int)))\ndef have(n):\n    assert n == 5\n\n\n'
        '@when(parsers.cfparse("I eat {n:Number} cukes", NUMBER))\ndef eat(n):\n    assert n == 3\n\n\n'
        '@then(parsers.parse("{n:Number} cukes are left", {"Number": int}, True))\ndef left(n):\n    pass\n\n\n'
        '@then(parsers.re(r"(?P<n>\\d+) cukes are left", re.IGNORECASE))\ndef left_any_case(n):\n    pass\n'))
    git_repo.commit("cukes")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "pytest.ini",
                           "tests"], cwd=git_repo.path, capture_output=True, text=True, timeout=120)
    assert "1 passed" in proc.stdout, proc.stdout[-3000:]  # the first three steps ran their parse definitions

    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert [(r.use.text, r.status, [d.function for d in r.definitions]) for r in report.results] == [
        ("I have 5 cukes", "defined", ["have"]), ("I eat 3 cukes", "defined", ["eat"]),
        ("2 cukes are LEFT", "defined", ["left_any_case"])]  # case_sensitive=True: "LEFT" is not "left"


def test_case_sensitive_is_part_of_what_a_definition_matches() -> None:
    def definition(call: str) -> StepDefinition:
        source = f"from pytest_bdd import given, parsers\n\n@given({call})\ndef f():\n    pass\n"
        return parse_step_file("tests/test_a.py", source.encode()).definitions[0]

    plain = definition('parsers.parse("a user")')
    sensitive = definition('parsers.parse("a user", case_sensitive=True)')
    assert (plain.flags, sensitive.flags) == ("", "c")
    assert sensitive.content_hash != plain.content_hash  # a new version: it matches other steps
    assert definition('parsers.parse("a user", case_sensitive=False)').content_hash == plain.content_hash
    assert definition('parsers.cfparse("a user", {}, True)').flags == "c"
    assert definition('parsers.re("a user", case_sensitive=True)').flags == ""  # re.compile's, not parse's

    computed = parse_step_file("tests/test_a.py", (
        "from pytest_bdd import given, parsers\nSTRICT = True\n\n"
        "@given(parsers.parse('a user', case_sensitive=STRICT))\ndef f():\n    pass\n").encode())
    assert not computed.definitions
    assert [(e.line, e.column, e.message) for e in computed.errors] == [
        (4, 47, "step definition of f() cannot be read: case_sensitive=STRICT is computed when the step code runs")]


KINDS: dict[str, PatternKind] = {"re": "regex", "parse": "parse", "cfparse": "cfparse"}
# (parser, pattern, step text): pytest-bdd hands the named values only.
ARGUMENTS = [
    ("re", r"re (?P<n>\d+) and (\w)", "re 42 and x"),
    ("re", r"(\w+) has (?P<count>\d+)(?: (?P<unit>kg))? and (?P<what>\w+)", "Ann has 3 and pears"),
    ("re", r"no (\w+) names (here)", "no group names here"),
    ("parse", "I have {} apples", "I have 5 apples"),
    ("parse", "I have {n:d} and {} apples of {color}", "I have 5 and 6 apples of red"),
    ("cfparse", "{} gives {who} {count:d}", "Bob gives Ann 3"),
]


@pytest.mark.parametrize(("parser", "pattern", "text"), ARGUMENTS)
def test_pytest_bdd_hands_named_values_only(parser: str, pattern: str, text: str) -> None:
    parsers = pytest.importorskip("pytest_bdd.parsers")
    behave_matchers = pytest.importorskip("behave.matchers")
    # (their values converted: {n:d} gives 5; tracertm keeps the text)
    theirs = [None if v is None else str(v) for v in getattr(parsers, parser)(pattern).parse_arguments(text).values()]
    kind = KINDS[parser]
    ours = compile_definition(StepDefinition("given", pattern, kind, "pytest-bdd", "python", "tests/test_a.py", 1, 0,
                                             "f"), Registries([]))
    assert [a.value for a in ours.match(text) or ()] == theirs
    assert list(ours.arguments(text) or ()) == theirs  # what a sync stores

    # behave hands every group and field, in the order they are in the text.
    matcher = {"re": behave_matchers.RegexMatcher, "parse": behave_matchers.ParseMatcher,
               "cfparse": behave_matchers.CFParseMatcher}[parser]
    behave_values = [a.original for a in matcher(lambda: None, pattern).check_match(text)]
    behave = compile_definition(StepDefinition("given", pattern, kind, "behave", "python", "features/steps/s.py", 1,
                                               0, "f"), Registries([]))
    assert list(behave.arguments(text) or ()) == behave_values
    assert len(behave_values) > len(theirs)


def test_a_sync_stores_pytest_bdd_named_values_and_the_case_flag(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/shop.feature", (
        "Feature: shop\n  Scenario: s\n    Given Ann has 3 pears\n    When I pay 5 euros\n"
        "    Then the SHOP closes\n"))
    git_repo.write("tests/test_shop.py", (
        "from pytest_bdd import given, when, then, scenarios, parsers\n\nscenarios('../features/shop.feature')\n\n"
        "@given(parsers.re(r'(\\w+) has (?P<count>\\d+) (\\w+)'))\ndef has(count):\n    pass\n\n"
        "@when(parsers.parse('I pay {} {currency}'))\ndef pay(currency):\n    pass\n\n"
        "@then(parsers.parse('the shop closes', case_sensitive=True))\ndef closes():\n    pass\n"))
    git_repo.commit("shop")
    sync(git_repo.path, database_url=database_url)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            definitions = {d.id: d for d in session.scalars(select(StepRow))}
            project_id = next(iter(definitions.values())).project_id
            stored = sorted((r.step_text, r.status, list(r.arguments or ()),
                             definitions[r.step_definition_id].function_name if r.step_definition_id else None)
                            for r in match_rows(session, project_id))
            flags = {d.function_name: d.metadata_.get("flags") for d in definitions.values()}
    finally:
        engine.dispose()
    assert stored == [("Ann has 3 pears", "defined", ["3"], "has"), ("I pay 5 euros", "defined", ["euros"], "pay"),
                      ("the SHOP closes", "undefined", [], None)]
    assert flags == {"has": None, "pay": None, "closes": "c"}
