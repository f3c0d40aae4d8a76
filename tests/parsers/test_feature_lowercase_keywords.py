"""A step written with a lower-case keyword (``given I ...``) is a step to behave but description text to gherkin.

behave's ``Parser.parse_step`` (behave/parser.py) matches Given/When/Then/And/But case-insensitively
(``line.lower().startswith(kw.lower())``) on every line of a Scenario/Background before its first step, while
gherkin-official (tracertm's parser, cucumber's, pytest-bdd's) reads such a line as the scenario's description. The
scenario then had fewer steps in tracertm than behave runs, silently; before a first step the parser now warns at the
line. After a first step gherkin refuses the file (cucumber and pytest-bdd would not run it): tracertm reads it as
behave does, the line a step with the language's keyword, and warns at it. Feature and Rule descriptions are not step
positions in behave either: never warned. A trailing description run must start with given/when/then (or ``*``):
a description ending in ``but only ...`` / ``and ...`` prose is left alone.
"""

from __future__ import annotations

import textwrap

import pytest

from conftest import GitRepo
from tracertm.cli import main
from tracertm.errors import ParseError
from tracertm.parsers.feature import parse

PATH = "features/login.feature"


def src(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode("utf-8")


def warned(data: bytes) -> list[tuple[int, str]]:
    return [(w.line, w.message) for w in parse(PATH, data).warnings]


def test_lower_case_steps_before_the_first_step_are_warned_at_their_lines() -> None:
    data = src(
        """
        Feature: Login
          Scenario: all lower-case
            given I am on the login page
            when I log in
            then I see my dashboard

          Scenario: only the first
            given I am on the login page
            And I am a customer
            When I log in
            Then I see my dashboard
        """
    )
    (record,) = parse(PATH, data).records
    first, second = record.children
    assert first.fields["given_steps"] == first.fields["when_steps"] == first.fields["then_steps"] == []
    assert [s["text"] for s in second.fields["given_steps"]] == ["I am a customer"]
    assert warned(data) == [
        (3, "'given I am on the login page' is read as description, not as a step: its keyword is lower-case "
            "(behave runs it as a step, gherkin does not); write 'Given'"),
        (4, "'when I log in' is read as description, not as a step: its keyword is lower-case "
            "(behave runs it as a step, gherkin does not); write 'When'"),
        (5, "'then I see my dashboard' is read as description, not as a step: its keyword is lower-case "
            "(behave runs it as a step, gherkin does not); write 'Then'"),
        (8, "'given I am on the login page' is read as description, not as a step: its keyword is lower-case "
            "(behave runs it as a step, gherkin does not); write 'Given'"),
        (9, "step 'And I am a customer' continues no step; counted as Given"),
    ]


def test_background_and_outline_and_rule_scenarios_are_checked_too() -> None:
    data = src(
        """
        Feature: Login
          Background:
            given a user
            and a password

          Rule: r
            Scenario Outline: o
              when I send <n>
              Then it works

              Examples:
                | n |
                | 1 |
        """
    )
    assert [(line, message.split("'")[1]) for line, message in warned(data)] == [
        (3, "given a user"), (4, "and a password"), (8, "when I send <n>"),
    ]


def test_other_languages_use_their_own_keywords() -> None:
    data = src(
        """
        # language: de
        Funktionalität: Anmeldung
          Szenario: s
            angenommen ich bin angemeldet
            Wenn ich mich abmelde
        """
    )
    assert warned(data) == [
        (4, "'angenommen ich bin angemeldet' is read as description, not as a step: its keyword is lower-case "
            "(behave runs it as a step, gherkin does not); write 'Angenommen'")
    ]


@pytest.mark.parametrize(
    "description",
    [
        # Prose in a feature or rule description is never a step position (behave reads steps only in scenarios).
        "Feature: Login\n  given the constraints, we log in\n  Scenario: s\n    Given x\n",
        "Feature: Login\n  Rule: r\n    when the order ships, it is final\n    Scenario: s\n      Given x\n",
        # A scenario description ending in an and/but continuation of its prose.
        "Feature: Login\n  Scenario: s\n    Customers get a refund\n    but only within 14 days.\n    Given x\n",
        # A lower-case keyword inside a line, or a word that merely starts like one.
        "Feature: Login\n  Scenario: s\n    The user, given a password,\n    whenever asked logs in\n    Given x\n",
        # Prose after the lower-case keyword line: the keyword line is not where a step would be.
        "Feature: Login\n  Scenario: s\n    when the order is cancelled\n    the customer gets a refund.\n"
        "    Given x\n",
    ],
)
def test_description_prose_is_not_warned(description: str) -> None:
    assert warned(description.encode()) == []


AFTER_STEP = (
    "{text!r} is read as a step, as behave reads it: its keyword is lower-case, which cucumber and pytest-bdd "
    "(gherkin) refuse after a step; write {keyword!r}"
)


def test_after_the_first_step_it_is_a_step_as_behave_reads_it_with_a_warning() -> None:
    # gherkin refuses the file (cucumber and pytest-bdd would not run it); behave runs the line as a step. A file
    # only behave runs is read as behave reads it, and the warning tells a cucumber user.
    data = src(
        """
        Feature: Login
          Background:
            Given a user
            and a password

          Scenario: s
            Given I am on the login page
            when I log in
            and I wait
            then I see my dashboard
            But not twice
        """
    )
    result = parse(PATH, data)
    (record,) = result.records
    (child,) = record.children
    assert record.fields["background"] == "Given a user\nAnd a password"
    assert [(s["keyword"], s["text"], s["line"]) for s in child.fields["when_steps"]] == [
        ("When", "I log in", 8), ("And", "I wait", 9),
    ]
    assert [(s["keyword"], s["text"], s["line"]) for s in child.fields["then_steps"]] == [
        ("Then", "I see my dashboard", 10), ("But", "not twice", 11),
    ]
    assert [(w.line, w.column, w.message) for w in result.warnings] == [
        (4, 5, AFTER_STEP.format(text="and a password", keyword="And")),
        (8, 5, AFTER_STEP.format(text="when I log in", keyword="When")),
        (9, 5, AFTER_STEP.format(text="and I wait", keyword="And")),
        (10, 5, AFTER_STEP.format(text="then I see my dashboard", keyword="Then")),
    ]
    # The same scenario written with capitals: the same steps, the same content hash.
    fixed = data.replace(b"and a", b"And a").replace(b"when I", b"When I").replace(b"and I", b"And I")
    (capitals,) = parse(PATH, fixed.replace(b"then I", b"Then I")).records
    assert capitals.children[0].content_hash == child.content_hash
    assert capitals.content_hash == record.content_hash


def test_after_the_first_step_another_language_and_a_real_error_stays_one() -> None:
    data = src(
        """
        # language: de
        Funktionalität: Anmeldung
          Szenario: s
            Angenommen ich bin da
            und ich bin angemeldet
            Wenn ich mich abmelde
            Das ist kein Schritt
        """
    )
    with pytest.raises(ParseError) as caught:
        parse(PATH, data)
    found = [(d.line, d.severity, d.message) for d in caught.value.diagnostics]
    assert found[0] == (5, "warning", AFTER_STEP.format(text="und ich bin angemeldet", keyword="Und"))
    assert [(line, severity) for line, severity, _ in found[1:]] == [(7, "error")], found


def test_check_prints_the_warning_at_its_line(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(PATH, "Feature: Login\n  Scenario: s\n    given I am on the login page\n    When I log in\n")
    git_repo.commit("seed")
    main(["check", str(git_repo.path)])
    out = capsys.readouterr()
    lines = [line for line in (out.out + out.err).splitlines() if line.startswith(PATH)]
    assert any(
        line.startswith(f"{PATH}:3:") and "'given I am on the login page' is read as description" in line
        for line in lines
    ), lines
