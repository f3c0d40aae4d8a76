"""The user-story lines of a feature's description (``As a …``, ``I want …``, ``So that …`` / ``In order to …``)
and the field each fills.

A keyword is matched whatever whitespace separates its words (``I  want``, ``As\\ta``), case aside: the description
is prose, whose whitespace runs the content hash reads as one space, so a re-spaced keyword is the same story — it
was a line of description only, its field lost and the record a new version.
"""

from __future__ import annotations

import re

__all__ = ["STORY", "STORY_LINES"]

# Each field and the keywords that fill it, as written in English (the feature page shows these lines as written).
_KEYWORDS = (
    ("as_a", r"As an?\s"),
    ("i_want", r"I want\b"),
    ("so_that", r"So that\b"),
    ("so_that", r"In order to\b"),
)


def _spaced(keyword: str) -> str:
    """``keyword`` with each space between its words any run of whitespace (spaces, tabs)."""
    return keyword.replace(" ", r"\s+")


# Field and pattern of a stripped description line; group 1 is the rest of the line (the field's value).
STORY: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(_spaced(keyword) + r"\s*(.*)", re.IGNORECASE)) for key, keyword in _KEYWORDS
)
# Field → the pattern that finds its line in the file (``repositories.locate_gherkin``: where a field is written).
STORY_LINES: dict[str, re.Pattern[str]] = {
    key: re.compile(r"^\s*(?:" + "|".join(_spaced(keyword) for k, keyword in _KEYWORDS if k == key) + ")",
                    re.IGNORECASE)
    for key, _ in _KEYWORDS
}
