"""Reqnroll's regex anchoring, found by exploratory testing: Reqnroll does not match a regex binding whole; it adds
``^`` before the pattern unless it starts with one and ``$`` after it unless it ends with one — as text
(``RegexFactory.GetWholeTextMatchRegexSource``) — and runs ``Regex.Match`` on the step text
(``StepDefinitionMatchService.Match``). So ``^I go home|I leave`` is ``^I go home|I leave$``: the alternation binds
looser than the anchors, and "I go home now" matches. tracertm matched the whole alternation (fullmatch).

No .NET runtime here: the expected verdicts are Python's ``re.search`` of the textually anchored source, which for
these patterns is what .NET's ``Regex.Match`` does."""

from __future__ import annotations

import re
from pathlib import Path

from tracertm.config import Settings
from tracertm.steps.expressions import Registries, compile_definition
from tracertm.steps.matching import StepIndex
from tracertm.steps.model import StepDefinition
from tracertm.steps.project import report_from

SETTINGS = Settings(root=Path("."))

STEPS = '''using Reqnroll;

[Binding]
public class HomeSteps {
    [Given(@"^I go home|I leave")]
    public void GoHome() {}

    [Given(@"I stay|I wait here$")]
    public void Stay() {}

    [Given(@"^I have (\\d+) apples$")]
    public void Apples(int n) {}

    [Given(@"I have (\\d+) pears")]
    public void Pears(int n) {}

    [Given(@"(?i)I shout", ExpressionType = ExpressionType.RegularExpression)]
    public void Shout() {}

    [Given(@"it costs 5\\$")]
    public void Costs() {}
}
'''
# (pattern as written, the source Reqnroll builds) for the expected verdicts.
REQNROLL = {
    "^I go home|I leave": "^I go home|I leave$",
    "I stay|I wait here$": "^I stay|I wait here$",
    r"^I have (\d+) apples$": r"^I have (\d+) apples$",
    r"I have (\d+) pears": r"^I have (\d+) pears$",
    "(?i)I shout": "(?i)^I shout$",  # .NET: ^(?i)I shout$ (Python wants the global flag first)
    r"it costs 5\$": r"^it costs 5\$",  # ends with "$" as text: nothing added
}
TEXTS = [
    "I go home", "I go home now", "I leave", "x I leave", "I leave now",
    "I stay", "I stay a while", "I wait here", "now I wait here", "I wait here now",
    "I have 3 apples", "I have 3 apples now", "I have 3 pears", "I have 3 pears now", "so I have 3 pears",
    "I SHOUT", "i shout", "I shout loudly",
    "it costs 5$", "it costs 5$ more", "so it costs 5$",
]


def _report() -> dict[str, list[str]]:
    feature = "Feature: F\n  Scenario: S\n" + "".join(f"    Given {t}\n" for t in TEXTS)
    report = report_from([("StepDefinitions/HomeSteps.cs", STEPS.encode())],
                         [("features/home.feature", feature.encode())], SETTINGS)
    assert not report.errors and not report.warnings, (report.errors, report.warnings)
    assert {d.pattern: d.kind for d in report.definitions} == dict.fromkeys(REQNROLL, "regex")
    return {r.use.text: [d.pattern for d, _ in r.matches] for r in report.results}


def test_reqnroll_adds_the_anchors_as_text_and_searches() -> None:
    ours = _report()
    expected = {t: [p for p, source in REQNROLL.items() if re.search(source, t)] for t in TEXTS}
    assert ours == expected
    assert ours["I go home now"] == ["^I go home|I leave"]  # ^I go home | I leave$
    assert ours["x I leave"] == ["^I go home|I leave"]
    assert ours["I leave now"] == [] and ours["I stay a while"] == ["I stay|I wait here$"]
    assert ours["now I wait here"] == ["I stay|I wait here$"]
    assert ours["I have 3 pears now"] == [] and ours["so I have 3 pears"] == []  # still the whole text
    assert ours["I SHOUT"] == ["(?i)I shout"] and ours["I shout loudly"] == []
    assert ours["it costs 5$ more"] == [r"it costs 5\$"] and ours["so it costs 5$"] == []


def test_reqnroll_arguments_and_the_recorded_pattern_stay_as_written() -> None:
    feature = "Feature: F\n  Scenario: S\n    Given I have 12 apples\n    Given I have 7 pears\n"
    report = report_from([("StepDefinitions/HomeSteps.cs", STEPS.encode())],
                         [("features/home.feature", feature.encode())], SETTINGS)
    got = [(d.pattern, [(a.value, a.start, a.end) for a in args]) for r in report.results for d, args in r.matches]
    assert got == [(r"^I have (\d+) apples$", [("12", 7, 9)]), (r"I have (\d+) pears", [("7", 7, 8)])]


def test_reqnroll_index_keys_stay_as_selective_and_never_hide_a_match() -> None:
    compiled = [compile_definition(StepDefinition("given", p, "regex", "reqnroll", "csharp", "s.cs", n + 1, 1,
                                                  f"f{n}"), Registries(()))
                for n, p in enumerate(REQNROLL)]
    keys = {c.definition.pattern: (c.keys, c.prefix) for c in compiled}
    # Ordinary patterns keep their literal head and words, written with or without the anchors.
    assert keys[r"^I have (\d+) apples$"] == (frozenset({"i", "have", "apples"}), "I have ")
    assert keys[r"I have (\d+) pears"] == (frozenset({"i", "have", "pears"}), "I have ")
    assert keys["^I go home|I leave"] == (frozenset(), "")  # a top-level alternation requires no word
    index = StepIndex(compiled)
    for text in TEXTS:
        brute = [c.definition for c in compiled if c.match(text) is not None]
        assert [d for d, _ in index.lookup(text, "given")] == brute, text
