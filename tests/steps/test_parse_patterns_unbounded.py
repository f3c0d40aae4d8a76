"""A parse/cfparse pattern the ``regex`` package refuses although ``re`` compiles it — a custom type's regex nested
a few hundred groups deep (``regex``'s compiler recurses; ``re``'s does not) — is matched without the time bound, by
parse's own regex. That path lacked the guard the bounded one has: a converter refusing the text (parse's ``tg``:
no 31 February) raised out of the matcher and crashed ``tracertm steps``, ``check`` and ``sync``."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.steps.project import analyze

DEPTH = 400  # groups: far past what ``regex``'s recursive compiler takes, nothing for ``re``
DEEP = "(?:" * DEPTH + "rain" + ")" * DEPTH
FEATURE = ("Feature: Rain\n  Scenario: s\n    Given on 31/02/2020 12:00:00 it rains\n"
           "    Given on 1/2/2020 12:00:00 it rains\n")


def test_the_deep_pattern_is_one_regex_refuses_and_re_accepts() -> None:
    import re

    import regex

    re.compile(DEEP)
    with pytest.raises((regex.error, RecursionError)):
        regex.compile(DEEP, regex.VERSION0)


@pytest.mark.parametrize("framework", ["behave", "pytest-bdd"])
def test_a_converter_refusing_the_text_is_no_crash_without_the_time_bound(git_repo: GitRepo, framework: str) -> None:
    """As with the bounded matcher: pytest-bdd's ``is_matching`` takes the converter's ValueError as no match;
    behave runs the definition, which fails when it runs (a match at parse's spans)."""
    git_repo.write("features/rain.feature", FEATURE)
    declare = f"@parse.with_pattern(r'{DEEP}')\ndef weather(text):\n    return text\n"
    if framework == "behave":
        git_repo.write("features/steps/rain.py",
                       "import parse\nfrom behave import given, register_type\n" + declare
                       + "register_type(Weather=weather)\n"
                       "@given('on {when:tg} it {what:Weather}s')\ndef rains(context, when, what):\n    pass\n")
    else:
        git_repo.write("tests/test_rain.py",
                       "import parse\nfrom pytest_bdd import given, parsers, scenarios\n" + declare
                       + "scenarios('../features/rain.feature')\n"
                       "@given(parsers.parse('on {when:tg} it {what:Weather}s', extra_types={'Weather': weather}))\n"
                       "def rains(when, what):\n    pass\n")
    git_repo.commit("an impossible date, a deep type")
    report = analyze(git_repo.path)  # was: ValueError (day is out of range for month)
    assert not report.errors
    if framework == "behave":
        assert [[a.value for a in r.matches[0][1]] for r in report.results] == [
            ["31/02/2020 12:00:00", "rain"], ["1/2/2020 12:00:00", "rain"]]
    else:
        assert [r.status for r in report.results] == ["undefined", "defined"]
        assert [a.value for a in report.results[1].matches[0][1]] == ["1/2/2020 12:00:00", "rain"]
