"""A feature's user story (``as_a``, ``i_want``, ``so_that``) is read whatever whitespace separates the words of its
keyword (``I  want``, ``As\\ta``), case aside, as it is after the keyword: the description is prose, whose whitespace
runs the content hash reads as one space (README "The whitespace rule"). A re-spaced keyword was a line of
description only: its field was lost and the record hashed as a new version."""

from __future__ import annotations

import pytest

from tracertm.parsers.feature import parse
from tracertm.repositories.locate import field_line

STORY = """\
@FEAT-1
Feature: Pay
  {as_a} a shopper,
  {i_want} to pay
  {so_that} the merchant ships

  Scenario: card
    Given a card
"""
WRITTEN = {"as_a": "As", "i_want": "I want", "so_that": "So that"}
FIELDS = {"as_a": "shopper", "i_want": "to pay", "so_that": "the merchant ships"}


def _feature(text: str) -> tuple[dict[str, object], str]:
    (record,) = parse("features/pay.feature", text.encode()).records
    return {key: record.fields[key] for key in FIELDS}, record.content_hash


@pytest.mark.parametrize("field, respaced", [
    ("as_a", "As  "), ("as_a", "As\t"), ("i_want", "I  want"), ("i_want", "I\t \twant"), ("so_that", "So   that"),
])
def test_a_respaced_keyword_keeps_its_field_and_hash(field: str, respaced: str) -> None:
    story, content_hash = _feature(STORY.format(**WRITTEN))
    assert story == FIELDS
    text = STORY.format(**{**WRITTEN, field: respaced})
    assert _feature(text) == (FIELDS, content_hash)  # only whitespace differs: the same content, no new version
    assert field_line(text, "feature", field) == 3 + list(FIELDS).index(field)  # where the field is written


@pytest.mark.parametrize("keyword, field, value", [
    ("As  an", "as_a", "admin"), ("In  order\tto", "so_that", "admin"), ("so  THAT", "so_that", "admin"),
])
def test_the_other_keywords_too(keyword: str, field: str, value: str) -> None:
    (record,) = parse("features/pay.feature", f"Feature: Pay\n  {keyword} admin\n".encode()).records
    assert record.fields[field] == value


def test_a_keyword_run_into_its_value_is_still_description() -> None:
    (record,) = parse("features/pay.feature", b"Feature: Pay\n  I wanted to pay\n  As  apple\n").records
    assert (record.fields["i_want"], record.fields["as_a"]) == (None, None)
