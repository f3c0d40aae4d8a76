"""Locating a refused edit's line in a work-tree feature file (the API's answer to an edit of a field git owns)
keeps the feature parser's size limits: a file past them is never given to gherkin, which would hold the request
for up to a minute (about 10 µs a line or table cell) — its line is unknown, as for any file that does not parse."""

from __future__ import annotations

from typing import Any

import pytest
from gherkin.parser import Parser

from tracertm.parsers.feature import MAX_FEATURE_CELLS_AND_TAGS, MAX_FEATURE_LINES
from tracertm.repositories.locate import field_spot

SMALL = "Feature: Refunds\n  Scenario: full\n    Given a paid order\n"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    parse = Parser.parse

    def counted(self: Parser, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return parse(self, *args, **kwargs)

    monkeypatch.setattr(Parser, "parse", counted)
    return calls


@pytest.mark.parametrize("text", [
    SMALL + "\n" * MAX_FEATURE_LINES,
    SMALL + "\r" * MAX_FEATURE_LINES,  # lone CRs are line ends to gherkin too
    SMALL + "    | a |\n" * (MAX_FEATURE_CELLS_AND_TAGS // 2 + 1),
])
def test_an_oversized_feature_is_not_given_to_gherkin(parses: list[int], text: str) -> None:
    spot = field_spot(text, "features/refunds.feature", "feature", "title")
    assert (spot.line, parses) == (None, [])


def test_a_feature_within_the_limits_is_located(parses: list[int]) -> None:
    assert field_spot(SMALL, "features/refunds.feature", "feature", "title").line == 1
    assert parses == [1]
