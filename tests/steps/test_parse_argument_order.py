"""A parse / cfparse definition's arguments in behave's order (``ParseMatcher.check_match``): its fixed fields, then
its named ones, sorted by where they start alone. A field that takes nothing where another starts (``{answer:Opt}`` of
``(?:yes)?`` before ``{:f}``) stays after a fixed field starting there; tracertm sorted the spans, the shorter first,
and listed the arguments in another order than behave's (``steps --format json``, the stored match). Found by a
differential run of random patterns against behave's own matchers; the expected values are behave's."""

from __future__ import annotations

from behave.matchers import CFParseMatcher, ParseMatcher

from conftest import GitRepo
from tracertm.steps.expressions import compile_definition
from tracertm.steps.model import ParameterTypeDecl, StepDefinition
from tracertm.steps.parameter_types import Registries
from tracertm.steps.project import analyze

STEPS = """\
import parse
from behave import given, register_type, use_step_matcher


@parse.with_pattern(r"(?:yes)?")
def parse_opt(text):
    return text


register_type(Opt=parse_opt)


@given("I pay {answer:Opt}{:f}")
def pay(context, answer, amount):
    pass


use_step_matcher("cfparse")


@given("I owe {answer:Opt}{:d} and {:Opt}{name}")
def owe(context, answer, amount, maybe, name):
    pass
"""
FEATURE = """\
Feature: f
  Scenario: s
    Given I pay 3.14
    And I owe 5 and Bob
"""
# behave's arguments (``Argument.original``) for each step: the fixed field first where both start.
EXPECTED = {"I pay 3.14": ["3.14", ""], "I owe 5 and Bob": ["5", "", "", "Bob"]}


def _registries() -> Registries:
    return Registries([ParameterTypeDecl("Opt", ("(?:yes)?",), "behave", "python", "features/steps/s.py", 8)])


def test_arguments_are_in_behaves_order() -> None:
    for kind, pattern, text in (("parse", "I pay {answer:Opt}{:f}", "I pay 3.14"),
                                ("cfparse", "I owe {answer:Opt}{:d} and {:Opt}{name}", "I owe 5 and Bob")):
        definition = StepDefinition("given", pattern, kind, "behave", "python", "features/steps/s.py", 1, 1, "f")
        found = compile_definition(definition, _registries()).match(text)
        assert found is not None and [a.value for a in found] == EXPECTED[text]


def test_behave_agrees() -> None:
    types = {"Opt": ParseMatcher.TYPE_REGISTRY.get("Opt")}
    try:
        ParseMatcher.TYPE_REGISTRY["Opt"] = lambda text: text
        ParseMatcher.TYPE_REGISTRY["Opt"].pattern = "(?:yes)?"  # type: ignore[attr-defined]
        for matcher, pattern, text in ((ParseMatcher, "I pay {answer:Opt}{:f}", "I pay 3.14"),
                                       (CFParseMatcher, "I owe {answer:Opt}{:d} and {:Opt}{name}",
                                        "I owe 5 and Bob")):
            found = matcher(lambda context: None, pattern).check_match(text)
            assert [a.original for a in found] == EXPECTED[text]
    finally:
        if types["Opt"] is None:
            del ParseMatcher.TYPE_REGISTRY["Opt"]
        else:
            ParseMatcher.TYPE_REGISTRY["Opt"] = types["Opt"]


def test_steps_report_lists_them_so(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/s.py", STEPS)
    git_repo.commit("steps")
    report = analyze(git_repo.path).as_dict()
    assert not report["errors"] and not report["warnings"], report
    got = {m["text"]: m["arguments"] for d in report["definitions"] for m in d["matches"]}
    assert got == EXPECTED
