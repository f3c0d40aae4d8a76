"""Which user patterns run on ``re`` without the time bound (``tracertm.steps.linear``): the shapes that backtrack
are refused, the common ones pass, and no pattern it passes backtracks catastrophically."""

from __future__ import annotations

import re
import signal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracertm.steps.expressions import Registries, compile_definition
from tracertm.steps.linear import COMBINATIONS, linear_source
from tracertm.steps.matching import StepIndex
from tracertm.steps.model import StepDefinition

LINEAR = [
    r"([^\s]+) ([^\s]+)$",  # a simple Cucumber Expression's rest ({word} {word})
    r"((?:-?\d+)|(?:\d+)) cukes$",  # {int}: two alternatives, each read
    r'^I type "([^"]*)" into the (\w+) field$',
    r"^I have (\d+) cukes? in my (\w+)$",
    r"([-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[E][+-]?\d+)?) metres",  # {float}: optional groups and alternatives
    r"^the answer is (\d+)",  # re.match: may stop anywhere
    r"^(.*)$",  # a last repeat: the first length that reaches the end is taken
    r"^(\d{4})-(\d{2})-(\d{2})$",  # fixed counts
    r"^(\w+?)\.$",  # lazy
    r"^(.+)\n",  # . is no newline
]
NOT_LINEAR = [
    r"^(a|aa)+$",  # a repeated group
    r"^(.*) and (.*)$",  # .* can hold the " and " it is followed by
    r"^(\w+)+$",
    r"^(\w+)(\w+)$",  # two repeats of one class side by side
    r"^([^\s]+)s x$",  # the class holds the s that follows
    r"(?i)^(a+)b$",  # case-folded: the characters compared are not the ones written
    r"(?s)^(.+)\n",  # . is any character
    r"^(?=a)(\w+)$",  # a lookahead
    r"^(\w+)\b(\w*)$",  # an anchor inside
    r"^(\w+) \1$",  # a back-reference
    r"^(a)?b*(\w*)$",  # a repeat followed by a repeat that may be empty
    " ".join([r"((?:-?\d+)|(?:\d+))"] * 7) + "$",  # 2**7 readings of {int}s: over COMBINATIONS
]


@pytest.mark.parametrize("source", LINEAR)
def test_patterns_that_cannot_backtrack_much_are_linear(source: str) -> None:
    assert linear_source(source)


@pytest.mark.parametrize("source", NOT_LINEAR)
def test_patterns_that_can_backtrack_are_not(source: str) -> None:
    assert not linear_source(source)


def test_the_number_of_readings_is_what_bounds_alternations() -> None:
    ints = [r"((?:-?\d+)|(?:\d+))"] * 6  # 64 readings
    assert 2 ** len(ints) == COMBINATIONS and linear_source(" ".join(ints) + "$")


def _definition(pattern: str, kind: str = "regex", framework: str = "cucumber-js") -> StepDefinition:
    language = {"cucumber-js": "javascript", "cucumber-jvm": "java", "behave": "python"}[framework]
    return StepDefinition(keyword="given", pattern=pattern, kind=kind, framework=framework,  # type: ignore[arg-type]
                          language=language, path="steps.js", line=1, column=1, function="f", identity="steps.js::f")


def test_a_catastrophic_regex_is_still_bounded_and_reported() -> None:
    index = StepIndex([compile_definition(_definition(r"^(a|aa)+$"), Registries(()))])
    assert index.lookup("a" * 60 + "b", "given") == ()
    assert [f.message.split(" to match")[0] for f in index.findings()] == [
        "step definition '/^(a|aa)+$/' took over 0.5 s"]


@pytest.mark.parametrize(("pattern", "kind"), [
    ("the {word} has {int} cukes", "cucumber-expression"),
    (r"^I type \"([^\"]*)\" into (\w+)$", "regex"),
])
def test_linear_definitions_match_as_before(pattern: str, kind: str) -> None:
    c = compile_definition(_definition(pattern, kind), Registries(()))
    text = {"cucumber-expression": "the basket has 12 cukes", "regex": 'I type "a b" into name'}[kind]
    values = c.values(text) if c.values else None
    assert values == {"cucumber-expression": ("basket", "12"), "regex": ("a b", "name")}[kind]
    assert c.match(text + " ") is None


# Patterns from the pieces regexes are made of, often side by side and repeated, so that many backtrack: of 300,
# about one in ten takes over 0.2 s on one of the texts below (stop 43), and about one in ten is linear.
_PIECES = st.sampled_from(["a", "b", " ", r"\d", r"\w", r"\s", r"[^\s]", "[ab]", "[^a]", ".", r"\.", "x"])
_QUANTIFIERS = st.sampled_from(["", "+", "*", "?", "{2}", "{1,3}", "+?", "*?", "+", "*"])


@st.composite
def _patterns(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(2, 7))):
        piece = draw(_PIECES) + draw(_QUANTIFIERS)
        shape = draw(st.sampled_from(["plain", "plain", "group", "optional", "branch", "repeated"]))
        if shape == "group":
            piece = f"({piece})"
        elif shape == "optional":
            piece = f"(?:{piece}{draw(_PIECES)})?"
        elif shape == "branch":
            piece = f"({piece}|{draw(_PIECES)}{draw(_QUANTIFIERS)})"
        elif shape == "repeated":
            piece = f"(?:{piece}{draw(_PIECES)}{draw(_QUANTIFIERS)})+"
        parts.append(piece)
    return draw(st.sampled_from(["^", ""])) + "".join(parts) + draw(st.sampled_from(["$", ""]))


class _Backtracked(Exception):
    pass


def _stop(signum: int, frame: object) -> None:
    raise _Backtracked


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_patterns(), st.lists(st.text(alphabet="ab 1.x\n", min_size=1, max_size=3), min_size=1, max_size=4))
def test_a_linear_pattern_never_backtracks_catastrophically(source: str, pieces: list[str]) -> None:
    """Texts of 40-80 characters repeating a few of the patterns' characters: a pattern that backtracks
    exponentially or as a high power of the length takes hours on one of them, a linear one microseconds. The
    10 s alarm only turns a wrong verdict's hang into a failure that names the pattern."""
    try:
        plain = re.compile(source)
    except re.error:
        return
    if not linear_source(source):
        return
    previous = signal.signal(signal.SIGALRM, _stop)
    try:
        for piece in pieces:
            for text in ((piece * 80)[:40], (piece * 80)[:80] + "\x00"):
                signal.setitimer(signal.ITIMER_REAL, 10)
                try:
                    plain.match(text)
                    plain.fullmatch(text)
                except _Backtracked:
                    pytest.fail(f"{source!r} is called linear but backtracks on {text!r}")
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_re_runs_a_linear_pattern_the_regex_package_misreads() -> None:
    """``regex`` 2026.11 read an alternation of two negated classes as neither (``([^ ]|[^a])`` did not match "a";
    fixed in 2026.12.2); ``re`` runs the linear patterns, so their steps match as the frameworks match them, whatever
    the installed ``regex`` reads."""
    c = compile_definition(_definition(r"^I pick ([^ ]|[^a])$"), Registries(()))
    assert c.values is not None and c.values("I pick a") == ("a",)
