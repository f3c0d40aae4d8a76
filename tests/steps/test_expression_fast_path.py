"""The fast path for simple Cucumber Expressions (text and declared ``{name}`` parameters) builds exactly the regex
and top-level groups the ``cucumber-expressions`` package builds; anything else is left to the package."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tracertm.steps.expressions import Registries, _simple_regexp, _top_level_groups
from tracertm.steps.model import ParameterTypeDecl


def _registry() -> object:
    declared = [
        ParameterTypeDecl("color", ("red|blue", "(dark|light) green"), "cucumber-js", "javascript", "t.js", 1),
        ParameterTypeDecl("money", (r"(\d+)\.(\d\d) (EUR|USD)",), "cucumber-js", "javascript", "t.js", 2),
    ]
    return Registries(declared).cucumber("js")


PIECES = st.sampled_from([
    "I have ", "cukes", " ", "in my belly", ".", "$", "^", "|", "?", "*", "+", "[", "]", "}", "{", "a+b",
    "{int}", "{float}", "{word}", "{string}", "{}", "{color}", "{money}", "{undeclared}", "(s)", "a/b", "\\(", "ü",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=8))
def test_fast_path_equals_the_package(pieces: list[str]) -> None:
    from cucumber_expressions.expression import CucumberExpression

    pattern = "".join(pieces)
    registry = _registry()
    fast = _simple_regexp(pattern, registry)
    if fast is None:
        return
    expression = CucumberExpression(pattern, registry)  # the fast path never takes what the package refuses
    assert fast == (expression.regexp, _top_level_groups(expression.regexp))


def test_common_expressions_take_the_fast_path() -> None:
    registry = _registry()
    for pattern in ("I have {int} cukes in my belly", "the total is {float} {money}.", "a {color} car costs $5?",
                    "plain text only"):
        assert _simple_regexp(pattern, registry) is not None, pattern
    for pattern in ("I have {int} cuke(s)", "red/blue car", "an escaped \\{", "{undeclared}", "{}"):
        assert _simple_regexp(pattern, registry) is None, pattern


SAMPLES = {"int": "42", "float": "1.5", "word": "word", "string": '"quoted"', "": "any thing", "color": "dark green",
           "money": "12.34 EUR"}
TEXTS = st.sampled_from([
    "I have ", "cukes", " ", "in my belly", ".", "$", "|", "?", "*", "+", "[", "]", "}", "{", "a+b", "42", "-7",
    "1.5", '"quoted"', "'single'", "red", "dark green", "12.34 EUR", "word", "a/b", "(s)", "ü", "\n", "",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=8), st.lists(TEXTS, max_size=8), st.booleans())
def test_matching_after_the_head_equals_matching_the_whole_regex(
    pieces: list[str], words: list[str], lazy: bool
) -> None:
    """A simple expression's literal head is compared with ``startswith`` and the rest of its regex matched from
    there (``_split_head``): the same arguments (values and spans) as the whole regex matched from the start, for
    texts that start with the expression's own text and for others."""
    import regex

    from tracertm.steps.bounded import BUDGET
    from tracertm.steps.cucumber_matchers import _unquoted
    from tracertm.steps.expressions import Argument, DefinitionError, compile_definition, _split_head
    from tracertm.steps.model import ParameterTypeDecl, StepDefinition

    pattern = "".join(pieces)
    registry = _registry()
    fast = _simple_regexp(pattern, registry)
    if fast is None:
        return
    source, top = fast
    declared = [
        ParameterTypeDecl("color", ("red|blue", "(dark|light) green"), "cucumber-js", "javascript", "t.js", 1),
        ParameterTypeDecl("money", (r"(\d+)\.(\d\d) (EUR|USD)",), "cucumber-js", "javascript", "t.js", 2),
    ]
    from tracertm.steps.expressions import Registries

    definition = StepDefinition("given", pattern, "cucumber-expression", "cucumber-js", "javascript", "s.js", 1, 1,
                                "f")
    try:
        whole = regex.compile(source, regex.VERSION0)
    except regex.error:
        return
    try:
        compiled = compile_definition(definition, Registries(declared), lazy)
    except DefinitionError:
        raise AssertionError(f"{pattern!r} compiles whole but not split") from None
    head, _ = _split_head(pattern, source)
    # The expression's own text with a value for each parameter: matches, or nearly.
    instance = re.sub(r"\{(\w*)\}", lambda m: SAMPLES.get(m.group(1), "x"), pattern)
    texts = ["".join(words), pattern.split("{")[0] + "".join(words), head + "red 42 " + "".join(words), instance,
             instance + "".join(words)]
    for text in texts:
        found = whole.match(text, timeout=BUDGET)
        # (a {string}'s value is the text between its quotes: ``_unquoted``; its span the quoted text's)
        expected = None if found is None else tuple(
            Argument(_unquoted(found.group(g), True) if name == "string" else found.group(g), *found.span(g))
            for g, name in zip(top, re.findall(r"\{(\w*)\}", pattern)))
        assert compiled.match(text) == expected, (pattern, text)
        assert compiled.arguments(text) == (None if expected is None else tuple(a.value for a in expected))


def test_the_head_is_split_off_only_where_it_is_safe() -> None:
    from tracertm.steps.expressions import _split_head

    registry = _registry()
    for pattern, head in (("I have {int} cukes", "I have "), ("{int} cukes", ""), ("no parameters", ""),
                          ("a $ price {money}.", "a $ price ")):
        source, _ = _simple_regexp(pattern, registry)  # type: ignore[misc]
        assert _split_head(pattern, source)[0] == head, pattern
        got_head, rest = _split_head(pattern, source)
        assert source == ("^" + got_head.replace("$", "\\$") + rest if got_head else source)
    from tracertm.steps.expressions import Registries, compile_definition
    from tracertm.steps.model import StepDefinition

    for pattern, text, values in (("I have {int} cukes", "I have 42 cukes", [("42", 7, 9)]),
                                  ("the {word} pays {float}", "the customer pays 1.5", [("customer", 4, 12),
                                                                                        ("1.5", 18, 21)])):
        definition = StepDefinition("given", pattern, "cucumber-expression", "cucumber-js", "javascript", "s.js", 1,
                                    1, "f")
        for lazy in (False, True):
            found = compile_definition(definition, Registries(()), lazy).match(text)
            assert found is not None and [(a.value, a.start, a.end) for a in found] == values
    # A parameter type with an inline flag: it could change how the head matches.
    assert _split_head("the {x}", "^the ((?i)abc)$") == ("", "^the ((?i)abc)$")
    assert _split_head("the {x}", "^the (\\Gabc)$") == ("", "^the (\\Gabc)$")
    assert _split_head("the {x}", "^the ((?:a)(?P<n>b)(?=c))$") == ("the ", "((?:a)(?P<n>b)(?=c))$")
