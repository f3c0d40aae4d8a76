"""The fast path for simple Cucumber Expressions (text and declared ``{name}`` parameters) builds exactly the regex
and top-level groups the ``cucumber-expressions`` package builds; anything else is left to the package."""

from __future__ import annotations

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
