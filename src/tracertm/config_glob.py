"""Repository globs (``*_paths``, ``exclude``, ``step_paths``): ``*``, ``**``, ``?`` and ``[...]`` classes, translated
to regular expressions that never backtrack for ever (``_glob_source``), and the literal parts a scan starts from."""

from __future__ import annotations

import re
from collections.abc import Iterator


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile a repository glob (``*`` within a folder, ``**/`` any folders, ``?``, ``[...]``) to a full-match
    regex."""
    return re.compile(_glob_source(pattern))


# A glob's wildcards as ``re`` reads them, greedy and lazy: ``*`` (within a folder name), ``**`` (anything: folders
# too; also a newline, which ``.`` alone leaves out) and ``**/`` (nothing, or any folders).
_STARS = {"*": ("[^/]*", "[^/]*?"), "**": ("(?s:.*)", "(?s:.*?)"), "**/": ("(?s:.*/)?", "(?s:.*?/)??")}


def _class_end(pattern: str, start: int) -> int:
    """Where the character class that ``pattern[start]`` (a ``[``) opens ends, past its ``]``; ``start + 1`` when
    no ``]`` closes it (the ``[`` is then a literal, as ``fnmatch`` has it). A ``]`` first in the class (after the
    ``!`` or ``^`` of a negation) is one of its characters, as in ``fnmatch`` and git."""
    i = start + 1
    if pattern[i : i + 1] in ("!", "^"):
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    end = pattern.find("]", i)
    return end + 1 if end >= 0 else start + 1


def _tokens(pattern: str) -> Iterator[str]:
    """A glob's tokens: its wildcards (``**/``, ``**``, ``*``, ``?``, a character class ``[...]``) and, between
    them, its literal characters one by one (an unclosed ``[`` among them)."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "*":
            end = i + (3 if pattern.startswith("**/", i) else 2 if pattern.startswith("**", i) else 1)
        else:
            end = _class_end(pattern, i) if pattern[i] == "[" else i + 1
        yield pattern[i:end]
        i = end


def _is_wildcard(token: str) -> bool:
    return token[0] in "*?" or len(token) > 1  # (a literal is one character; a class at least ``[x]``)


def _class_source(token: str) -> str:
    """A character class (``[a-z]``, ``[!._]``, ``[]x]``) as ``re`` reads it: never a ``/`` (as ``?``), a range
    from a higher character to a lower one empty (as in ``fnmatch`` and git)."""
    body = token[1:-1]
    negated = body[:1] in ("!", "^")
    body = body[1:] if negated else body
    items, i = [], 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            if body[i] <= body[i + 2]:
                items.append(f"{re.escape(body[i])}-{re.escape(body[i + 2])}")
            i += 3
        else:
            items.append(re.escape(body[i]))
            i += 1
    if not items:
        return "[^/]" if negated else "(?!)"
    return f"(?!/)[{'^' if negated else ''}{''.join(items)}]"


def _glob_parts(pattern: str) -> tuple[list[str], list[str]]:
    """A glob split into its wildcards (``*``, ``**``, ``**/``) and the texts around them: ``n`` wildcards, ``n + 1``
    texts (``?`` and a class ``[...]`` are part of a text: each matches one character, in one way)."""
    texts, stars, text = [], [], ""
    for token in _tokens(pattern):
        if token[0] == "*":
            texts.append(text)
            stars.append(token)
            text = ""
        else:
            text += token
    texts.append(text)
    return texts, stars


def _committed(before: str, text: str, after: str) -> bool:
    """Whether the text between the wildcards ``before`` and ``after`` may be matched where it first fits and that
    choice never revisited (``re``'s atomic group): true when a later place could only leave ``after`` more to
    take, which it can always take. ``**`` takes anything; ``*`` more of a folder name, so both around a text in
    one folder name (were the text to hold a ``/``, it would fit in one place only; ``?`` and a class never match
    one); ``**/`` text ending at a ``/`` (or none after a ``**/``)."""
    if after == "**":
        return True
    if after == "*":
        return before == "*"
    return text.endswith("/") or (not text and before == "**/")


def _glob_backtracking(pattern: str) -> int:
    """How many of the glob's wildcards ``re`` may have to try in more than one place (see ``_glob_source``)."""
    texts, stars = _glob_parts(pattern)
    return sum(not _committed(stars[i - 1], texts[i], stars[i]) for i in range(1, len(stars)))


def _glob_source(pattern: str) -> str:
    """The regular expression of a repository glob, as text (``config.Settings`` joins many into one pattern).

    ``re`` backtracks: ``*a*a*a*a*b`` against a long name of ``a``s tried every way to share the name between the
    stars (polynomial in its length with the number of stars as the power: minutes, a hook that never ends). As
    Python's ``fnmatch`` does, each text between two wildcards is matched where it first fits, in an atomic group,
    when that is provably as good as any later place (``_committed``); a glob with more than one wildcard that
    cannot be committed so is refused when the configuration loads (``config._check_value``). With at most one
    tried in several places, a match costs at most quadratic time in the path's length (linear for most globs)."""
    texts, stars = _glob_parts(pattern)

    def text(t: str) -> str:
        return "".join("[^/]" if c == "?" else _class_source(c) if len(c) > 1 else re.escape(c) for c in _tokens(t))

    out = [text(texts[0])]
    for i, star in enumerate(stars, 1):
        greedy, lazy = _STARS[star]
        if i < len(stars) and _committed(star, texts[i], stars[i]):
            out.append(f"(?>{lazy}{text(texts[i])})")
        else:
            out.append(greedy + text(texts[i]))
    return "".join(out)


def literal_prefix(pattern: str) -> str:
    """The folder part of a glob before its first wildcard: where a scan has to look (``docs/adr/``)."""
    head = ""
    for token in _tokens(pattern):
        if _is_wildcard(token):
            break
        head += token
    return head[: head.rfind("/") + 1]


def literal_suffix(pattern: str) -> str:
    """The part of a glob after its last wildcard (``.md`` of ``docs/adr/[0-9]*.md``); empty when it ends in one."""
    tail = ""
    for token in _tokens(pattern):
        tail = "" if _is_wildcard(token) else tail + token
    return tail
