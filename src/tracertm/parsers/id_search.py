"""The requirement ids a text mentions (``requirement_pattern``), found in time bounded by the text's length.

``re`` tries a pattern at every position of the text, and a repeat tried there runs to the end of the run of
characters it can take before the attempt fails: ``[A-Z]+-\\d+`` over a line of a million capitals (minified data, an
embedded base64 image) costs a million times a million steps, a hook that never ends. So a pattern of the
configuration's is searched line by line, each line (with its line break) as if it were the whole text, and a line
longer than ``MAX_LINE`` characters is not searched at all: a line costs at most ``MAX_LINE`` squared steps, and the
configuration refuses the patterns that would cost more (``config_regex``). The default pattern is searched whole: its
literal ``REQ-`` starts every attempt, each of which reads its own digits once.
"""

from __future__ import annotations

import re

DEFAULT_REQUIREMENT_PATTERN = r"\bREQ-\d+\b"
MAX_LINE = 10_000  # characters of a line searched for requirement ids (README: Configuration)


def find_ids(pattern: re.Pattern[str], text: str) -> list[str]:
    """The matches of ``pattern`` in ``text``, in order: the whole text for the default pattern, else each line with
    its line break as a text of its own, lines longer than ``MAX_LINE`` characters left out."""
    if pattern.pattern == DEFAULT_REQUIREMENT_PATTERN or (len(text) <= MAX_LINE and "\n" not in text):
        return [m.group(0) for m in pattern.finditer(text)]
    found: list[str] = []
    start, size = 0, len(text)
    while start < size:
        newline = text.find("\n", start)
        end = size if newline < 0 else newline
        if end - start <= MAX_LINE:
            found += [m.group(0) for m in pattern.finditer(text[start:end + 1])]
        start = end + 1
    return found


__all__ = ["DEFAULT_REQUIREMENT_PATTERN", "MAX_LINE", "find_ids"]
