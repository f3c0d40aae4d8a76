"""A regex definition anchored at its start compares its literal head with ``startswith`` and matches only the rest
of its regex from there (``expressions._regex_head``): the same arguments as the whole regex, searched (cucumber-js),
matched whole (cucumber-jvm) or matched from the start (behave's), compiled first or on first use."""

from __future__ import annotations

import re

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from tracertm.steps.bounded import BUDGET
from tracertm.steps.expressions import Argument, DefinitionError, Registries, _regex_head, compile_definition
from tracertm.steps.model import StepDefinition

PIECES = st.sampled_from([
    "^", "the ", "user", " ", "a", "b", "(\\w+)", "(\\d+)", "(a|b)", "+", "*", "?", "{2}", "|", "$", "\\.", ".",
    "(?:x)?", "[ab]", "(?i)", "(?i:a)", "\\G", ",", "'", '"', "-", "(?P<n>a)", "(?<=a)b", "\\b", "x",
])
HEADS = st.sampled_from(["the ", "user", " ", "a", "b", ",", "'", "-", "x"])
TEXTS = st.sampled_from(["the ", "user", " ", "a", "b", "aa", "12", "x", ".", ",", "-", "A", "\n", "ab", ""])
FRAMEWORKS = {"cucumber-js": ("javascript", "search"), "cucumber-jvm": ("java", "fullmatch"),
              "behave": ("python", "match")}


@settings(max_examples=500, deadline=None)
@given(st.booleans(), st.lists(HEADS, max_size=4), st.lists(PIECES, max_size=6), st.lists(TEXTS, max_size=6),
       st.sampled_from(sorted(FRAMEWORKS)), st.booleans())
def test_matching_after_the_head_equals_matching_the_whole_regex(
    anchored: bool, heads: list[str], pieces: list[str], words: list[str], framework: str, lazy: bool
) -> None:
    pattern = ("^" if anchored else "") + "".join(heads) + "".join(pieces)
    language, method = FRAMEWORKS[framework]  # behave: re.match, for re0 and re alike (re's pattern is ^…$)
    try:
        flags = re.compile(pattern).flags
        whole = regex.compile(pattern, flags | regex.VERSION0)
    except (re.error, regex.error):
        return
    definition = StepDefinition("given", pattern, "regex", framework, language, "s", 1, 1, "f")
    try:
        compiled = compile_definition(definition, Registries(()), lazy)
    except DefinitionError:
        return  # e.g. a construct tracertm's translation refuses: no head either way
    head = _regex_head(pattern, flags)[0]
    literal = re.sub(r"[^\w ]", "", pattern)
    for text in ("".join(words), head + "".join(words), literal, literal + "".join(words)):
        found = getattr(whole, method)(text, timeout=BUDGET)
        expected = None if found is None else tuple(
            Argument(found.group(i), *found.span(i)) for i in range(1, whole.groups + 1))
        assert compiled.match(text) == expected, (pattern, framework, text)
        assert compiled.arguments(text) == (None if expected is None else tuple(a.value for a in expected))


def test_the_head_is_split_off_only_where_it_is_safe() -> None:
    assert _regex_head(r"^throttle event (\w+) (\w+)$", re.UNICODE) == ("throttle event ", r"(\w+) (\w+)$")
    assert _regex_head("^abc$", re.UNICODE) == ("abc", "$")
    assert _regex_head("^abc+d", re.UNICODE) == ("ab", "c+d")  # the quantified character stays in the rest
    for source in ("^abc|def", "abc", "^a{2}", "^(a)", "^abc(?i)x", "^ab\\Gc"):
        assert _regex_head(source, re.UNICODE) == ("", source), source
    assert _regex_head("^abc", re.UNICODE | re.IGNORECASE) == ("", "^abc")
    definition = StepDefinition("given", r"^the user (\w+) pays$", "regex", "cucumber-js", "javascript", "s", 1, 1,
                                "f")
    for lazy in (False, True):
        compiled = compile_definition(definition, Registries(()), lazy)
        found = compiled.match("the user ann pays")
        assert found is not None and [(a.value, a.start, a.end) for a in found] == [("ann", 9, 12)]
        assert compiled.match("xthe user ann pays") is None and compiled.match("the user ann pays!") is None
