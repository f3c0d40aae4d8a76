"""Walking a JSON text one value at a time: the arrays and objects a reader goes into are read by the cursor,
every other value is decoded alone (``json.JSONDecoder.raw_decode``) and can be dropped before the next.

``json.loads`` builds the whole document at once: a 50 MB Cucumber JSON report of a million scenarios grew the
import by 450 MB of Python objects before it read the first one. A reader that goes into the top-level list and
into each feature holds one element at a time. Every error is the one ``json.loads`` raises for the same text —
message and position (``tests/results/test_cucumber_json_incremental.py`` compares them over every prefix of a
report): the cursor reads the brackets, commas and colons as CPython's scanner does, and the values are read by
that scanner itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["Cursor"]

# JSON's whitespace, exactly json.loads's own (a regular expression: megabytes of spaces between two features are
# skipped at C speed, as json.loads skipped them).
_SPACE = re.compile(r"[ \t\n\r]*")


class Cursor:
    """A position in a JSON text. ``items`` and ``members`` go into an array or object, yielding at each value,
    which the caller reads (``value``, or ``items``/``members`` again) before it resumes them."""

    def __init__(self, text: str, pos: int = 0) -> None:
        self.text, self.pos = text, pos
        self._decode = json.JSONDecoder().raw_decode
        self._space = _SPACE.match

    def space(self) -> None:
        """Skip whitespace."""
        found = self._space(self.text, self.pos)  # always a match (of no character, at least)
        self.pos = found.end() if found else self.pos

    def peek(self) -> str:
        """The character at the cursor ("" at the end)."""
        return self.text[self.pos:self.pos + 1]

    def value(self) -> Any:
        """Decode the value at the cursor and move past it (``json.JSONDecodeError`` as ``json.loads`` raises it;
        ``RecursionError`` for a value nested too deeply; ``ValueError`` for an integer too long to convert)."""
        result, self.pos = self._decode(self.text, self.pos)
        return result

    def items(self) -> Iterator[int]:
        """Go into the array at the cursor: yield each item's index with the cursor at its start; the caller reads
        the item before resuming. Ends past the closing bracket."""
        assert self.peek() == "["
        self.pos += 1
        self.space()
        if self.peek() == "]":
            self.pos += 1
            return
        index = 0
        while True:
            if self.pos >= len(self.text):  # "[" or "[1," at the end: the scanner's own error
                self.value()
            yield index
            index += 1
            self.space()
            if self.peek() == "]":
                self.pos += 1
                return
            self._expect(",", "Expecting ',' delimiter")
            self.space()

    def members(self) -> Iterator[str]:
        """Go into the object at the cursor: yield each key with the cursor at its value; the caller reads the value
        before resuming. Ends past the closing brace."""
        assert self.peek() == "{"
        self.pos += 1
        self.space()
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            if self.peek() != '"':
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", self.text, self.pos)
            key = self.value()
            self.space()
            self._expect(":", "Expecting ':' delimiter")
            self.space()
            yield key
            self.space()
            if self.peek() == "}":
                self.pos += 1
                return
            self._expect(",", "Expecting ',' delimiter")
            self.space()

    def end(self) -> None:
        """After the document's value: only whitespace may follow (``json.loads``'s "Extra data")."""
        self.space()
        if self.pos != len(self.text):
            raise json.JSONDecodeError("Extra data", self.text, self.pos)

    def _expect(self, char: str, message: str) -> None:
        if self.peek() != char:
            raise json.JSONDecodeError(message, self.text, self.pos)
        self.pos += 1
