"""The fixed limit on a step file's tokens, which keeps a hostile, generated or minified file one error at a line,
read in bounded memory — checked before its parser (tree-sitter, Python's ``ast``) builds anything.

A parser's tree costs memory per token, not per byte, and ``max_file_size`` counts bytes: within its 4 MiB,
``tracertm steps`` on one minified bundle or generated file peaked at 0.3-0.5 GB, and on hostile code at 1.0-1.4 GB
(``a=1+1+…+1``, ``[[[…]]]``, a Python line of ``f(1)`` per statement) — tree-sitter's tree takes 80 to 290 bytes
a token, Python's ``ast`` about 1.8 KB a statement. At this limit the worst file peaks at about 240 MB
(Python, a name per line), 140 MB in a tree-sitter language. Real step files and test modules hold far fewer:
behave's largest module about 20,000, mypy's checker.py (10,000 lines) 87,000. A fixed limit, not a setting, as the
feature files' (``parsers.feature_limits``).

The count is a scan, not a parse: a run of word characters (letters, digits, ``_``, ``$``, any character that is
not ASCII) or one other character that is no blank. It counts a string's or comment's words one by one, so it is
above what the parser makes of them: a file it lets through costs at most what the limit says.
"""

from __future__ import annotations

import re
from itertools import islice

__all__ = ["MAX_STEP_FILE_TOKENS", "TooManyTokens", "check_tokens"]

MAX_STEP_FILE_TOKENS = 200_000

_TOKEN_BYTES = re.compile(rb"[\w$\x80-\xff]+|[^\w$\x80-\xff\s]")  # UTF-8: a byte of a character that is not ASCII
# Python's, on its text: the same, and each line end — Python's ``ast`` costs about 1.8 KB for each statement, even
# one of a single name (``a``), where a tree-sitter tree costs about 200 bytes.
_PYTHON_TOKEN = re.compile(r"[\w$\x80-\U0010ffff]+|[^\w$\x80-\U0010ffff\s]|\n", re.ASCII)


class TooManyTokens(Exception):
    """A source with more than ``MAX_STEP_FILE_TOKENS`` tokens: ``line`` and ``column`` (1-based, in characters)
    of the first token past the limit."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(line, column)
        self.line = line
        self.column = column

    def message(self, language: str) -> str:
        """The one-line finding for a step file of ``language`` (its name in messages)."""
        counted = "words, numbers, punctuation marks and line ends" if language == "Python" else (
            "words, numbers and punctuation marks")
        return (f"{language} step file holds more than {MAX_STEP_FILE_TOKENS} tokens ({counted}), over the limit "
                "for step files, a fixed limit (a larger one could take "
                "gigabytes of memory to read); step definitions not read — split it, or keep generated or "
                "minified code out of step_paths")


def check_tokens(source: bytes | str) -> None:
    """Raise ``TooManyTokens`` when ``source`` holds more tokens than ``MAX_STEP_FILE_TOKENS``: the UTF-8 bytes a
    tree-sitter reader parses, or the text of a Python file (whose line ends count too); lines end at LF. Cheap: a
    source of fewer characters holds fewer tokens (each is one at least), and the scan stops at the token past the
    limit (about 0.1 s)."""
    if len(source) <= MAX_STEP_FILE_TOKENS:
        return
    if isinstance(source, bytes):
        past = next(islice(_TOKEN_BYTES.finditer(source), MAX_STEP_FILE_TOKENS, None), None)
        if past is None:
            return
        start = past.start()
        line_start = source.rfind(b"\n", 0, start) + 1
        column = len(source[line_start:start].decode("utf-8", "replace")) + 1
        raise TooManyTokens(source.count(b"\n", 0, start) + 1, column)
    found = next(islice(_PYTHON_TOKEN.finditer(source), MAX_STEP_FILE_TOKENS, None), None)
    if found is None:
        return
    start = found.start()
    raise TooManyTokens(source.count("\n", 0, start) + 1, start - (source.rfind("\n", 0, start) + 1) + 1)
