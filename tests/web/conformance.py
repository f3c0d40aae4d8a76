"""HTML conformance checks of a web view page that need neither Java nor a network: the rules the Nu HTML Checker
(vnu) and axe-core found broken on real data (a web audit over the sample, adr-tools, cucumber-js and a hostile
repository), restated in the standard library so that the crawler (``test_every_link_leads_somewhere``) holds
every page to them:

- no code point HTML forbids in a document (C0 controls but tab, line feed, form feed and carriage return; DEL
  and the C1 controls; noncharacters) — a record's text may hold them, the page must not;
- every ``<time datetime>`` is a valid date/time string (at most three digits of a second's fraction);
- heading levels never skip one going deeper (``<h2>`` then ``<h5>``: an outline with holes);
- two landmarks of one role (``search``, ``navigation``, ``complementary``) have different accessible names;
- every text node and attribute value closes the bidirectional embeddings and isolates it opens (U+202A–U+202E,
  U+2066–U+2069): a record's unbalanced right-to-left override must not reverse the page's own words after it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]|"
                       + "|".join(f"{chr(plane * 0x10000 + 0xFFFE)}|{chr(plane * 0x10000 + 0xFFFF)}"
                                  for plane in range(1, 17)))
# HTML's valid date string, time string, local and global date and time strings (the forms a page writes).
DATETIME = re.compile(r"\d{4,}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?(?:Z|[+-]\d\d:?\d\d)?)?"
                      r"|\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?")
OPENERS = {"\u202a": "embedding", "\u202b": "embedding", "\u202d": "embedding", "\u202e": "embedding",
           "\u2066": "isolate", "\u2067": "isolate", "\u2068": "isolate"}
LANDMARKS = {"nav": "navigation", "aside": "complementary"}


def open_bidi(text: str) -> int:
    """How many embeddings, overrides and isolates ``text`` leaves open (UAX #9: PDF closes the innermost
    embedding unless an isolate is open inside it; PDI closes the innermost isolate and what is open inside it)."""
    stack: list[str] = []
    for ch in text:
        if ch in OPENERS:
            stack.append(OPENERS[ch])
        elif ch == "\u202c" and stack and stack[-1] == "embedding":
            stack.pop()
        elif ch == "\u2069" and "isolate" in stack:
            while stack.pop() != "isolate":
                pass
    return len(stack)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.level = 0  # the last heading's level
        self.landmarks: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for name, v in a.items():
            if open_bidi(v):
                self.problems.append(f"<{tag} {name}>: leaves a bidirectional override open: {v[:60]!r}")
        if tag == "time" and "datetime" in a and not DATETIME.fullmatch(a["datetime"]):
            self.problems.append(f"<time datetime={a['datetime']!r}>: not a valid date/time string")
        if re.fullmatch(r"h[1-6]", tag):
            level = int(tag[1])
            if level > self.level + 1:
                self.problems.append(f"<{tag}> follows <h{self.level}>: a heading level skipped")
            self.level = level
        role = a.get("role") or LANDMARKS.get(tag)
        if role in ("search", "navigation", "complementary"):
            name = a.get("aria-label") or a.get("aria-labelledby") or ""
            if name in self.landmarks.setdefault(role, []):
                self.problems.append(f"two {role} landmarks named {name!r}: name each for what it is")
            self.landmarks[role].append(name)

    def handle_data(self, data: str) -> None:
        if open_bidi(data):
            self.problems.append(f"text leaves a bidirectional override open: {data[:60]!r}")


def problems(html: str) -> list[str]:
    """What ``html`` (a whole page) breaks of the rules above, one line each."""
    found = [f"forbidden code point U+{ord(m.group()):04X} at offset {m.start()}" for m in FORBIDDEN.finditer(html)]
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return found + checker.problems
