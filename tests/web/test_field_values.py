"""How the pages' field tables show a value (``web.render.value``): a list of texts reads as a list of words, not
as JSON; a list whose items hold commas, or of anything else, stays JSON so that it cannot be misread."""

from __future__ import annotations

from tracertm.web.render import value


def test_lists_of_texts_read_as_words() -> None:
    assert value(["ADR-0006", "ADR-0007"]) == "ADR-0006, ADR-0007"
    assert value(["payments"]) == "payments"


def test_other_values_keep_their_forms() -> None:
    assert value(["a, b", "c"]) == '["a, b", "c"]'
    assert value([1, 2]) == "[1, 2]"
    assert value({"b": 1, "a": [2]}) == '{"a": [2], "b": 1}'
    assert value(None) == value([]) == value({}) == "—"
