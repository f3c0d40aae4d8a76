"""Regex step definitions → matchers (``compile_regex``): translated to Python's ``re`` (``tracertm.steps.regex``),
checked against the limits of ``re``, of tracertm and of Go's RE2, anchored as the framework applies them, with the
words and the literal head an index can use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from re import _parser as sre_parse  # type: ignore[attr-defined]  # Python's own regex parser (always loaded)
from re._compiler import compile as sre_compile  # type: ignore[import-not-found]  # its code generator
from re._constants import (  # type: ignore[import-not-found]
    ASSERT, ASSERT_NOT, AT, AT_BEGINNING, AT_END, AT_END_STRING, ATOMIC_GROUP, GROUPREF, GROUPREF_EXISTS, LITERAL,
    POSSESSIVE_REPEAT, SUBPATTERN,
)

from tracertm.steps import utf16
from tracertm.steps.bounded import TooLarge, check_size
from tracertm.steps.compiled import (
    INLINE_FLAG, Argument, Compiled, DefinitionError, Later, bounded_pattern, too_large,
)
from tracertm.steps.linear import linear
from tracertm.steps.model import Framework, StepDefinition
from tracertm.steps.regex import Refused, Untranslatable, translate

# Frameworks that search a regex in the step text (unanchored unless the pattern says ``^…$``).
_SEARCHING: frozenset[Framework] = frozenset({"cucumber-js", "playwright-bdd", "cucumber-ruby", "godog"})
# Frameworks that read a regex definition's arguments through cucumber-expressions' ``RegularExpression``: one per
# ``TreeRegexp`` top-level group (``_handed_groups``), not one per capturing group as godog, Reqnroll and Python's.
_TREE_REGEXP: frozenset[Framework] = frozenset({"cucumber-js", "playwright-bdd", "cucumber-ruby", "cucumber-jvm"})


def compile_regex(definition: StepDefinition, lazy: bool = False) -> Compiled:
    """The matcher of a regex definition, translated to Python's syntax and applied as its framework does
    (searched, matched from the start or matched whole); ``DefinitionError`` when it cannot match. ``lazy``: see
    ``expressions.compile_definition``."""
    framework = definition.framework
    pattern = _whole_text(definition.pattern) if framework == "reqnroll" else definition.pattern
    units = utf16.counts_units(definition.language, definition.flags)  # its texts are matched split (``split``)
    try:
        source, flags = translate(utf16.split(pattern) or pattern if units else pattern, definition.flags,
                                  definition.language)
        source = utf16.escaped(source) if units else source
        # Parsed once for the three uses below (``re.compile``'s own checks, the literal head, the words): parsing
        # is most of compiling a regex, and the pure-Python parser runs for each of a project's definitions.
        items = sre_parse.parse(source, flags)
        sre_compile(items, flags)  # what ``re.compile`` checks beyond the parse
        flags = items.state.flags  # inline flags ((?i)) included, as ``re.compile(source, flags).flags``
    except Untranslatable as exc:
        raise DefinitionError(f"regex cannot be matched by tracertm: {exc}", "warning") from None
    except Refused as exc:
        raise DefinitionError(f"regex does not compile in {exc.engine}: {exc}") from None
    except re.error as exc:
        if definition.language == "go":  # what RE2 reads, Python's re reads alike once translated
            raise DefinitionError(f"regex does not compile in Go: {exc}; godog panics when it registers the step "
                                  "— fix the regex") from None
        # Python's own, an error; another language's, perhaps only tracertm's translation's fault: a warning.
        severity = "error" if definition.language == "python" else "warning"
        raise DefinitionError(f"regex does not compile: {exc}", severity) from None
    except (OverflowError, ValueError):  # ``re``'s parser: a count past MAXREPEAT (or past int()'s digits)
        raise _beyond_re(definition, "a repetition count is larger than Python's re allows "
                                     f"({sre_parse.MAXREPEAT - 1})", "write a smaller count") from None
    except RecursionError:  # ``re``'s parser and compiler recurse per group
        raise _beyond_re(definition, "its groups are nested too deeply for Python's re",
                         "nest fewer groups") from None
    try:
        check_size(source, flags, items)
    except TooLarge as exc:
        raise too_large(exc) from None
    if framework == "cucumber-ruby" and items.state.groupdict:
        # cucumber-expressions' TreeRegexp (Ruby), which cucumber-ruby builds for every regex definition as it loads
        # them, raises for a named group: cucumber does not start. (Ruby would also capture only the named groups.)
        raise DefinitionError("regex is refused by cucumber-ruby: \"Named capture groups are not supported\" "
                              "(cucumber does not start) — make the group unnamed: (...) for (?<name>...)")
    refused = _re2_refuses(items) if definition.language == "go" else None
    if refused is not None:
        raise DefinitionError(f"regex does not compile in Go: RE2 has no {refused}; godog panics when it registers "
                              "the step — rewrite the regex without them")
    if framework in _SEARCHING or framework == "reqnroll":
        method = "search"  # Reqnroll: ``Regex.Match`` of the pattern with its anchors added as text
    elif framework == "behave":
        # Both of behave's regex matchers call ``re.match``: ``re0`` on the pattern as written (anchored at the
        # start only), ``re`` on ``^pattern$`` (the pattern python.py records).
        method = "match"
    else:
        method = "fullmatch"
    head, rest = _regex_head(source, flags, items)
    # A search tries every position: only a pattern matched where it starts can be linear (``steps.linear``).
    fast = linear(items, flags) and (method != "search" or bool(head))
    try:
        # Anchored at the start (``^``, no MULTILINE): a search tries position 0 only, as a match does.
        later = Later(rest, flags, "match" if head and method == "search" else method,
                      None if lazy or not head else re.compile(rest, flags) if fast else bounded_pattern(rest, flags),
                      fast)
    except (DefinitionError, re.error):
        head = ""  # the whole pattern's error below (positions in the message are the whole pattern's)
    if not head:
        fast = fast and method != "search"
        later = Later(source, flags, method,
                      None if lazy else re.compile(source, flags) if fast else bounded_pattern(source, flags), fast)

    # pytest-bdd hands the step function ``match.groupdict()``: its named groups only; cucumber one value per
    # top-level group; the others every group.
    handed = sorted(items.state.groupdict.values()) if framework == "pytest-bdd" \
        else _handed_groups(items) if framework in _TREE_REGEXP else None
    groups = range(1, items.state.groups) if handed is None else handed

    def match(text: str) -> tuple[Argument, ...] | None:
        split = utf16.split(text) if units else None
        if split is not None:
            return split_arguments(later.find(split, head), groups)
        found = later.find(text, head)
        if found is None:
            return None
        return tuple(Argument(found.group(i), *found.span(i)) for i in groups)

    def values(text: str) -> tuple[str | None, ...] | None:
        split = utf16.split(text) if units else None
        if split is not None:
            arguments = split_arguments(later.find(split, head), groups)
            return None if arguments is None else tuple(a.value for a in arguments)
        found = later.find(text, head)
        if found is None:
            return None
        # None where a group did not take part
        return found.groups() if handed is None else tuple(found.group(i) for i in handed)

    # Anchored at the start: behave's re.match and the whole-text matchers; at the end: the whole-text ones only (a
    # searched pattern, Reqnroll's included, is anchored where its own ``^``/``$`` say).
    keys, prefix = _regex_words(source, flags, method != "search", method == "fullmatch", items)
    if units and _HALVES.search(source):  # (its literal halves are characters in the text)
        keys, prefix = _joined_words(keys, prefix)
    fold = bool(flags & re.IGNORECASE)
    return Compiled(definition, match, keys, prefix.lower() if fold else prefix, fold, values)


# An escaped half of a UTF-16 surrogate pair in a translated regex (``utf16.escaped`` writes them so).
_HALVES = re.compile(r"\\u[dD][89a-fA-F]")


def split_arguments(found: Any, groups: Iterable[int]) -> tuple[Argument, ...] | None:
    """The arguments of a match ``found`` in a text split into UTF-16 halves (``utf16.split``), as characters and
    positions of the text (a regex's and a Cucumber Expression's)."""
    if found is None:
        return None
    arguments = []
    for i in groups:
        value, (start, end) = found.group(i), found.span(i)
        if value is None:
            arguments.append(Argument(None, start, end))
        else:
            units = found.string
            arguments.append(Argument(utf16.joined(value), utf16.offset(units, start, False),
                                      utf16.offset(units, end, True)))
    return tuple(arguments)


def _joined_words(keys: frozenset[str], prefix: str) -> tuple[frozenset[str], str]:
    """A UTF-16 regex's words and literal prefix (``_regex_words``, read from its pattern split into halves) as the
    text's characters: a word holding half of one is left out, a prefix ends before it."""
    words = {key for key in keys if key.isascii()}
    for key in keys - words:
        whole, _ = _characters(key)
        if whole is not None:  # (a word holding a half: the text holds its character, not the half)
            words.add(whole)
    return frozenset(words), _characters(prefix)[1]


def _characters(units: str) -> tuple[str | None, str]:
    """(``units`` as characters or None when it holds a lone half, its part before the first lone half)."""
    raw = units.encode("utf-16-le", "surrogatepass")
    try:
        return raw.decode("utf-16-le"), raw.decode("utf-16-le")
    except UnicodeDecodeError as exc:
        return None, raw[: exc.start].decode("utf-16-le")


def _handed_groups(items: Any) -> list[int]:
    """The groups whose values cucumber-expressions' ``RegularExpression`` hands the step function, one per
    ``TreeRegexp`` top-level group (a capturing group outside any other capturing group; one inside a
    non-capturing group or a lookaround counts): the group itself, or the first capturing group inside it when
    it holds any — a regex group's parameter type is anonymous, whose transformer takes the first of the group's
    values (its children's when it has them: ``/^((a)(b)) (c)$/`` hands "a" and "c", as cucumber-js, -ruby and
    -jvm do). ``items``: the regex parsed (``sre_parse.parse``)."""
    top: list[int] = []
    pending: list[Any] = [items]
    while pending:
        current = pending.pop()
        if hasattr(current, "data"):  # a SubPattern: its items
            pending.extend(current.data)
        elif isinstance(current, (tuple, list)):
            if len(current) == 2 and current[0] is SUBPATTERN and current[1][0] is not None:
                top.append(current[1][0])  # a capturing group: the groups inside it are its children
            else:
                pending.extend(current)
    # Groups are numbered in the order they open, so the group after a top-level one that is not top-level itself
    # is inside it, its first child.
    count, tops = items.state.groups, set(top)
    return [g + 1 if g + 1 < count and g + 1 not in tops else g for g in sorted(top)]


# What Python's regexes have and Go's (RE2, godog's ``regexp.MustCompile``) refuse, by parsed item.
_NOT_RE2 = {ASSERT: "lookarounds", ASSERT_NOT: "lookarounds", GROUPREF: "back-references",
            GROUPREF_EXISTS: "conditional groups", ATOMIC_GROUP: "atomic groups",
            POSSESSIVE_REPEAT: "possessive quantifiers"}


def _re2_refuses(items: Any) -> str | None:
    """What RE2 lacks among the parsed regex ``items`` (``sre_parse.parse``), or None."""
    pending: list[Any] = [items]
    while pending:
        current = pending.pop()
        if hasattr(current, "data"):  # a SubPattern: its items
            pending.extend(current.data)
        elif isinstance(current, (tuple, list)):
            if len(current) == 2 and current[0] in _NOT_RE2:
                return _NOT_RE2[current[0]]
            pending.extend(current)
    return None


# Characters that stand for themselves outside a character class (and are never a flag's business).
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-,'\":;=@%&!/<>~`")


def _regex_head(source: str, flags: int, items: Any = None) -> tuple[str, str]:
    """(head, rest) of a regex anchored at its start: ``^`` then literal characters (``head``), then ``rest``; a
    text matches (searched, matched or matched whole) exactly when it starts with ``head`` and ``rest`` matches
    from there, as for a Cucumber Expression (``cucumber_matchers._split_head``). ``("", source)`` unless that is
    certain: flags other than UNICODE (a case-insensitive or verbose head is not compared by ``startswith``), a
    top-level alternation (Python's parser confirms the head is literal items after ``^``), an inline flag or
    ``\\G`` in the rest; the last character before a quantifier stays in the rest. ``items``: ``source`` parsed
    already."""
    if flags & ~re.UNICODE or not source.startswith("^"):
        return "", source
    end = 1
    while end < len(source) and source[end] in _PLAIN:
        end += 1
    if end < len(source) and source[end] in "*+?{":
        end -= 1  # quantified: not literal
    head, rest = source[1:end], source[end:]
    if not head or "\\G" in rest or INLINE_FLAG.search(rest):
        return "", source
    try:
        if items is None:
            items = sre_parse.parse(source, flags)
    except Exception:  # noqa: BLE001 - an internal API: without it, no head
        return "", source
    if len(items) <= len(head) or items[0] != (AT, AT_BEGINNING) or any(
        items[i + 1] != (LITERAL, ord(c)) for i, c in enumerate(head)
    ):
        return "", source
    return head, rest


def _beyond_re(definition: StepDefinition, what: str, fix: str) -> DefinitionError:
    """The finding for a regex Python's ``re`` refuses past its limits: an error for a Python one (the step module
    fails to load), tracertm's limit (a warning) for another language's, whose engine may take it."""
    if definition.language == "python":
        return DefinitionError(f"regex does not compile: {what} — {fix}")
    return DefinitionError(f"regex cannot be matched by tracertm: {what}; {fix} to have its steps matched", "warning")


def _regex_words(
    source: str, flags: int, start: bool, end: bool, parsed: Any = None
) -> tuple[frozenset[str], str]:
    """Words a regex certainly requires: literal runs at its top level, split at literal spaces; a word at a
    run's edge counts only when the run starts (ends) the whole pattern, anchored there — by the way it is
    applied (``start``: matched from the start; ``end``: matched to the end) or by its own ``^`` (``$``). A last
    word that may continue in the text (``logs in`` of ``re.match``, which "Bob logs inside" satisfies) is no
    whole word. Plus its literal prefix when it is anchored at the start. ``parsed``: ``source`` parsed already."""
    if flags & re.VERBOSE:
        return frozenset(), ""  # literal spaces mean nothing there: words cannot be told apart
    try:
        items = list(sre_parse.parse(source, flags) if parsed is None else parsed)
    except Exception:  # noqa: BLE001 - an internal API: without it the definition is just always a candidate
        return frozenset(), ""
    runs: list[tuple[str, bool, bool]] = []  # (text, starts the pattern, ends the pattern)
    current: list[str] = []
    start_ok = start
    for position, (op, arg) in enumerate(items):
        if op is LITERAL:
            if not current and position > 0 and not (position == 1 and items[0] == (AT, AT_BEGINNING)):
                start_ok = False
            current.append(chr(arg))
            continue
        if op is AT and arg is AT_BEGINNING and position == 0:
            start_ok = True
            continue
        if current:
            ends = op is AT and arg in (AT_END, AT_END_STRING) and position == len(items) - 1
            runs.append(("".join(current), start_ok, ends))
            current = []
        start_ok = False
    if current:
        runs.append(("".join(current), start_ok, end))
    words: set[str] = set()
    prefix = runs[0][0] if runs and runs[0][1] and _starts_with_literal(items) else ""
    for run, starts, ends in runs:
        tokens = run.split(" ")
        for i, token in enumerate(tokens):
            if (i > 0 or starts) and (i < len(tokens) - 1 or ends) and token:
                words.add(token.lower())
    return frozenset(words), prefix


# Inline global flags at the start of a pattern (``(?i)``): Python wants them first, .NET takes them anywhere.
_LEADING_FLAGS = re.compile(r"(?:\(\?[a-zA-Z]+\))+")


def _whole_text(pattern: str) -> str:
    """Reqnroll's ``RegexFactory.GetWholeTextMatchRegexSource``: ``^`` before the pattern unless it starts with
    one, ``$`` after it unless it ends with one — as text, so ``^I go home|I leave`` is ``^I go home|I leave$``
    (which ``Regex.Match`` finds in "I go home now"). Leading inline flags stay first (``(?i)a`` → ``(?i)^a$``,
    what .NET's ``^(?i)a$`` means)."""
    if not pattern.startswith("^"):
        lead = _LEADING_FLAGS.match(pattern)
        cut = lead.end() if lead else 0
        if not pattern.startswith("^", cut):  # ``(?i)^a``: .NET's ``^(?i)^a`` anchors once
            pattern = f"{pattern[:cut]}^{pattern[cut:]}"
    return pattern if pattern.endswith("$") else pattern + "$"


def _starts_with_literal(items: list[tuple[object, object]]) -> bool:
    first = 1 if items and items[0] == (AT, AT_BEGINNING) else 0
    return len(items) > first and items[first][0] is LITERAL
