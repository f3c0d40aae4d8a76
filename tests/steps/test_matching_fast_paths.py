"""The parse workers' faster ways of matching steps give exactly what the general ones give: the index's entries
(``StepIndex._found_values``) the definitions of ``candidates``/``_scoped``, ``packed.match_packed`` the ``pack`` of
``prematch.match_steps``'s rows, ``packed._dumps`` the JSON encoder's text, a simple Cucumber Expression that
counts spaces first (``expressions._spaces``) the arguments of running its pattern."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tracertm.steps.expressions import Registries, compile_matchable
from tracertm.steps.matching import StepIndex
from tracertm.steps.model import StepDefinition
from tracertm.steps.scenarios import Unknown

WORDS = ["the", "The", "user", "pays", "a", "order", "x", "3", "THE", "user's"]

# (kind, framework, language, pattern): every bucket of the index — two first words, one first word, a rare word
# (no literal start), always (no word at all) —, case-insensitive regexes, keyword-scoped frameworks and godog.
PATTERNS = [
    ("cucumber-expression", "cucumber-js", "javascript", "the user {word}"),
    ("cucumber-expression", "cucumber-js", "javascript", "the user pays {int}"),
    ("cucumber-expression", "godog", "go", "the {word} pays"),
    ("cucumber-expression", "reqnroll", "csharp", "the user pays {int}"),
    ("cucumber-expression", "cucumber-jvm", "java", "{word} pays"),
    ("cucumber-expression", "cucumber-jvm", "java", "a order(s) {int}"),
    ("regex", "cucumber-js", "javascript", r"^the (\w+) pays$"),
    ("regex", "cucumber-js", "javascript", r"(\w+) pays"),
    ("regex", "godog", "go", r"^the user (\w+)"),
    ("regex", "godog", "go", r"(?i)^the user (\w+)"),
    ("regex", "reqnroll", "csharp", r"(.*) x"),
    ("regex", "cucumber-ruby", "ruby", r"^(.*)$"),
    ("regex", "behave", "python", r"^(?P<who>\w+) pays$"),
    ("parse", "behave", "python", "the {who} pays"),
    ("parse", "pytest-bdd", "python", "The user {what}"),
    ("string", "pytest-bdd", "python", "the user pays"),
    ("string", "pytest-bdd", "python", "a order"),
]
KEYWORDS = ["given", "when", "then", "step"]
TYPES = ["given", "when", "then", Unknown("given"), Unknown("when")]


def _index(chosen: list[tuple[int, str]]) -> StepIndex:
    definitions = []
    for n, (pattern, keyword) in enumerate(chosen):
        kind, framework, language, text = PATTERNS[pattern]
        path = f"s{n % 3}.x"  # several files: godog's and behave's picks among several depend on it
        definitions.append(StepDefinition(keyword, text, kind, framework, language,  # type: ignore[arg-type]
                                          path, n + 1, 1, f"f{n}", identity=f"{path}::f{n}"))
    return StepIndex(compile_matchable(definitions, Registries(())))


DEFINITIONS = st.lists(st.tuples(st.integers(0, len(PATTERNS) - 1), st.sampled_from(KEYWORDS)), min_size=1,
                       max_size=12)
TEXTS = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join)


@settings(max_examples=100, deadline=None)
@given(DEFINITIONS, st.lists(st.tuples(TEXTS, st.sampled_from(TYPES)), min_size=1, max_size=8))
def test_lookup_values_equals_the_general_lookup(chosen: list[tuple[int, str]], steps: list[tuple[str, str]]) -> None:
    """``lookup_values`` reads precomputed entries; ``lookup`` goes through ``candidates`` and ``_scoped``: the same
    definitions (keyword scopes, godog's Unknown rule, buckets merged in definition order) and the same values."""
    index = _index(chosen)
    for text, kind in steps:
        expected = tuple((d, tuple(a.value for a in args)) for d, args in index.lookup(text, kind))
        assert index.lookup_values(text, kind) == expected, (text, kind)


def test_lookup_values_covers_every_bucket() -> None:
    """The definitions above fill every bucket of the index, and some steps match several of them."""
    index = _index([(n, KEYWORDS[n % 4]) for n in range(len(PATTERNS))])
    assert index._by_two and index._by_first and index._by_word and index._always
    assert len(index.lookup_values("the user pays", "when")) > 1


STEPS = st.lists(st.tuples(st.integers(1, 40), st.sampled_from(["Given ", "And ", "* "]), st.sampled_from(TYPES),
                           TEXTS, st.none() | st.integers(41, 50)), max_size=10)


@settings(max_examples=100, deadline=None)
@given(DEFINITIONS, st.lists(STEPS, min_size=1, max_size=4))
def test_match_packed_equals_pack_of_the_rows(chosen: list[tuple[int, str]], scenarios: list[Any]) -> None:
    """``match_packed`` (a worker's scenario without a lens) gives the ``Packed``, first lines and verdict counts
    (in the same order) of ``pack`` over ``match_steps``'s rows, with verdicts cached across scenarios."""
    from tracertm.steps.packed import match_packed, pack
    from tracertm.steps.prematch import match_steps

    index = _index(chosen)
    rows_verdicts: dict[Any, Any] = {}
    packed_verdicts: dict[Any, Any] = {}
    for steps in scenarios:
        rows_statuses: dict[str, int] = {}
        packed_statuses: dict[str, int] = {}
        rows, firsts = match_steps(steps, index, rows_verdicts, rows_statuses)
        assert match_packed(steps, index, packed_verdicts, packed_statuses) == (pack(rows), firsts)
        assert list(packed_statuses.items()) == list(rows_statuses.items())


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.sampled_from(["\udfff", "{}", "é", "\n\"\\"]),
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(tuple),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(st.lists(JSON, max_size=5))
def test_packed_json_is_the_encoders(value: list[Any]) -> None:
    """``packed._dumps`` (the C encoder made once) writes the text ``JSONEncoder(separators=(",", ":"))`` writes."""
    from tracertm.steps.packed import _dumps

    assert _dumps(value) == json.JSONEncoder(separators=(",", ":")).encode(value)


PIECES = st.sampled_from(["the user", " ", "  ", "pays", "{int}", "{float}", "{word}", "{string}", "{}", "{color}",
                          "{id}", "x"])
TEXT_PIECES = st.sampled_from(["the user", " ", "  ", "pays", "3", "-1.5", "bob", '"a b"', "red", "dark green",
                               "x", "\t", "\u00a0"])


@settings(max_examples=150, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=6).map("".join),
       st.lists(st.lists(TEXT_PIECES, min_size=1, max_size=7).map("".join), min_size=1, max_size=6))
def test_counting_spaces_first_keeps_every_match(pattern: str, texts: list[str]) -> None:
    """A simple Cucumber Expression whose parameters match no space rejects a text with another number of spaces
    before running its pattern (``cucumber_matchers._spaces``): the same arguments and values as running it, for
    parameter types with spaces (``{string}``, ``{}``, a declared one) and without (a declared one too)."""
    from tracertm.steps import cucumber_matchers
    from tracertm.steps.expressions import DefinitionError, compile_definition
    from tracertm.steps.model import ParameterTypeDecl

    declared = [ParameterTypeDecl("color", ("red|dark green",), "cucumber-js", "javascript", "t.js", 1),
                ParameterTypeDecl("id", (r"[^\s]+",), "cucumber-js", "javascript", "t.js", 2)]
    definition = StepDefinition("given", pattern, "cucumber-expression", "cucumber-js", "javascript", "s.js", 1, 1,
                                "f")
    try:
        counted = compile_definition(definition, Registries(declared))
    except DefinitionError:
        return
    spaceless = cucumber_matchers._SPACELESS
    try:
        cucumber_matchers._SPACELESS = frozenset()  # every expression runs its pattern
        run = compile_definition(definition, Registries(declared))
    finally:
        cucumber_matchers._SPACELESS = spaceless
    for text in texts:
        assert counted.arguments(text) == run.arguments(text), (pattern, text)
        assert counted.match(text) == run.match(text), (pattern, text)


def test_spaces_are_counted_only_for_spaceless_parameters() -> None:
    """Which expressions count spaces first: built-in int, float and word (and a declared type of such a regex), not
    string, anonymous or a declared type that matches spaces."""
    from tracertm.steps.expressions import _spaces
    from tracertm.steps.model import ParameterTypeDecl

    declared = [ParameterTypeDecl("color", ("red|dark green",), "cucumber-js", "javascript", "t.js", 1),
                ParameterTypeDecl("id", (r"[^\s]+",), "cucumber-js", "javascript", "t.js", 2)]
    registry = Registries(declared).cucumber("js")
    assert _spaces("the user {word} pays {int} or {float} for {id}", registry) == 8
    assert _spaces("no parameters  here", registry) == 3
    assert _spaces("the {string} pays", registry) == _spaces("a {color} one", registry) == -1
