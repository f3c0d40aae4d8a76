"""Gherkin ``.feature`` files → one ``feature`` record whose children are its ``scenario`` records.

Parsing is gherkin-official's (every keyword of every ``# language:``, Rules, Backgrounds, outlines with several
Examples, data tables, doc strings); this module only maps its AST onto the model's columns:

- Feature identity: an id tag (``options.feature_id_pattern``, default ``@FEAT-<n>``), else the path below the
  fixed prefix of its ``feature_paths`` glob (``options.feature_roots``, default ``features/``), without ``.feature``.
- A file holding only blank lines and comments is valid Gherkin without a feature: no record, no error.
- Scenario identity: an id tag (``options.scenario_id_pattern``, default ``@SC-<n>``), else the scenario name (its
  whitespace runs made one space, as the content hash reads it), with ``#2``, ``#3``... for repeats in the file (the
  first keeps the bare name); a scenario without a name and without an id tag is ``Scenario #k``, k being its
  1-based position among the file's scenarios.
- Status: ``@status:<value>``, a bare ``@<value>`` tag or ``@wip`` (draft). A scenario without its own status tag
  takes its Rule's, else the feature's. Unknown ``@status:x`` is a warning and means draft.
- Steps are sorted into given/when/then by gherkin's keyword *type*, so ``And``/``But``/``*`` (and ``Et``, ``Und``...)
  continue the list of the step before them in every language.

A file gherkin refuses is read again as behave's parser reads it (``BehaveTokenMatcher``), which differs only where
gherkin reports an error, with a warning at each line only behave reads: a doc string between ``'''`` lines
(behave's second delimiter since 1.2, 2011), read as gherkin reads a ``\"\"\"`` one — same content, lines,
columns — but closed only by ``'''`` and unescaped by nothing, as behave; and a lower-case step keyword after a step
(``and x``), read as behave reads it, a step with the language's keyword. The stored ``gherkin_text`` stays the
file's text, and a delimiter is no field: a file rewritten to ``\"\"\"`` with the same content keeps its hashes.

Markdown with Gherkin (``*.feature.md``, cucumber-js) is read with gherkin's Markdown token matcher when a
``feature_paths`` glob names such a file: headings for Feature/Rule/Scenario/Examples, bullets for steps, tags in
backticks, indented tables; every other line is Markdown prose that gherkin skips, and ``#`` starts a heading, not a
comment. The prose between a heading and the next line gherkin reads is its description, as in a ``.feature`` file
(gherkin's Markdown matcher gives none: ``markdown_gherkin.descriptions``). Lines are the file's.

Every error of a file is raised together as one ``ParseError`` whose ``diagnostics`` carry the file's warnings too
(each at its line). ``ref_lines`` of a feature and of each scenario give the line of every ADR id they reference
(an ``@ADR-n`` tag, else a mention in a description), so that a finding about a link points at it. A file past the
fixed limits of ``feature_limits`` (its lines, cells and tags before gherkin reads it; once parsed, its steps expanded
as a check runs them and a sync stores them) is one error.

Fields never carry positions or layout except ``line`` keys and ``gherkin_text``, which the content hash ignores:
reformatting a file or editing comments changes no hash, editing one scenario changes that scenario's hash only.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Any, cast

from gherkin.dialect import Dialect
from gherkin.errors import CompositeParserException, ParserException
from gherkin.parser import Parser
from gherkin.token_matcher import TokenMatcher
from gherkin.token_matcher_markdown import GherkinInMarkdownTokenMatcher
from gherkin.token import Token

from tracertm.cancellation import safe_point
from tracertm.errors import Diagnostic, ParseError
from tracertm.parsers import feature_behave, scenario_ids
from tracertm.parsers.common import mention_ids, parse_text_safely, tag_adr_id, with_warnings
from tracertm.parsers.feature_limits import (
    MAX_FEATURE_CELLS_AND_TAGS,
    MAX_FEATURE_LINES,
    MAX_FEATURE_STEP_CHARACTERS,
    MAX_FEATURE_STEPS,
    check_expansion,
    check_size,
)
from tracertm.parsers.feature_language import FallbackTokenMatcher, file_language, language_diagnosis
from tracertm.parsers.feature_scanner import scanner
from tracertm.parsers.feature_story import STORY
from tracertm.parsers.markdown_gherkin import descriptions, is_markdown
from tracertm.parsers.paths import feature_number as derived_feature_number
from tracertm.parsers.records import DEFAULT_OPTIONS, FeatureParseResult, ParseResult, ParserOptions, SpecRecord
from tracertm.parsers.records import falls_back_language
from tracertm.parsers.step_text import as_written, render_steps

__all__ = [
    "FEATURE_STATUSES", "MAX_FEATURE_CELLS_AND_TAGS", "MAX_FEATURE_LINES", "MAX_FEATURE_STEPS",
    "MAX_FEATURE_STEP_CHARACTERS", "BehaveTokenMatcher", "check_size", "gherkin_document", "parse",
]

# FeatureStatus and ScenarioStatus share these values.
FEATURE_STATUSES: tuple[str, ...] = ("draft", "review", "approved", "deprecated", "archived")

_LOCATION_PREFIX = re.compile(r"^\(\d+:\d+\):\s*")
_STEP_LISTS = {"Context": "given_steps", "Action": "when_steps", "Outcome": "then_steps"}
_STEP_TYPES = {"Context": "Given", "Action": "When", "Outcome": "Then"}
# gherkin's "expected: ..., got 'x'" where a step could stand.
_GOT_WHERE_A_STEP_FITS = re.compile(r"expected: [^\n]*#StepLine[^\n]*, got '(.*)'\Z", re.DOTALL)
_SINGLE_QUOTES = "'''"
_LOWER_CASE_AFTER_STEP = (
    "{text!r} is read as a step, as behave reads it: its keyword is lower-case, which cucumber and pytest-bdd "
    "(gherkin) refuse after a step; write {keyword!r}"
)
_SINGLE_QUOTED = (
    "a doc string between ''' lines: behave reads it, cucumber and pytest-bdd (gherkin) refuse the file; "
    'write """ if they run it'
)

Node = Mapping[str, Any]  # a gherkin AST node (TypedDicts at runtime are plain dicts)


def parse(path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS) -> ParseResult:
    """Parse one ``.feature`` file into a feature record with its scenarios, or raise ``ParseError``. A ``.feature``
    file that is not UTF-8 is read in the encoding its ``# encoding:`` comment names, as cucumber-jvm reads it."""
    return parse_text_safely(_parse_text, path, data, options, pragma=not is_markdown(path))


# --------------------------------------------------------------------------------------------------------------
# Gherkin


class BehaveTokenMatcher(FallbackTokenMatcher):
    """gherkin's token matcher that also reads the two lines behave's parser (behave/parser.py) runs where gherkin
    refuses the file — so it reads every file gherkin reads the same, and a few more:

    - a doc string opened by a ``'''`` line (``Parser.action_steps``), only where gherkin would take a ``\"\"\"``
      (after a step), closed only by ``'''`` (a ``\"\"\"`` line inside is content, as a ``'''`` line is inside a
      ``\"\"\"`` one), its lines unescaped by nothing (gherkin's ``_unescaped_docstring`` knows only ``\"\"\"`` and
      backticks; behave unescapes nothing);
    - after a step of a scenario or background, a step whose keyword is not written in its case (``and x``:
      ``Parser.parse_step`` compares lower-cased), read with the language's keyword (``And``), as behave stores it.
      Before the first step such a line is description to gherkin, and stays so (``_lower_case_steps`` warns).

    ``behave_only``: (line, column, message) of each such line, for a warning at it."""

    behave_only: list[tuple[int, int, str]]
    _after_step: bool

    def reset(self) -> None:
        """Start a new file (gherkin's parser calls it first)."""
        super().reset()
        self.behave_only = []
        self._after_step = False

    def _match_title_line(self, token: Token, token_type: str, keywords: Iterable[str]) -> bool:
        # Every Feature/Rule/Background/Scenario/Examples line ends the steps written before it.
        if super()._match_title_line(token, token_type, keywords):
            self._after_step = False
            return True
        return False

    def match_DocStringSeparator(self, token: Token) -> bool:  # noqa: N802 - gherkin's name
        """gherkin's separators, then an opening ``'''`` when no doc string is open."""
        if super().match_DocStringSeparator(token):
            return True
        if self._active_doc_string_separator or not self._match_DocStringSeparator(token, _SINGLE_QUOTES, True):
            return False
        self.behave_only.append((int(token.location["line"]), int(token.location.get("column") or 0),
                                 _SINGLE_QUOTED))
        return True

    def match_StepLine(self, token: Token) -> bool:  # noqa: N802 - gherkin's name
        """gherkin's steps, then (after a step) a step keyword compared lower-cased, as behave compares it."""
        if super().match_StepLine(token):
            self._after_step = True
            return True
        if not self._after_step:
            return False
        written = token.line.get_line_text().lower()
        for keyword in self._sorted_step_keywords:  # longest first, as gherkin's
            if written.startswith(keyword.lower()):
                types = self.keyword_types[keyword]
                self._set_token_matched(token, "StepLine", token.line.get_rest_trimmed(len(keyword)), keyword,
                                        keyword_type=types[0] if len(types) == 1 else "Unknown")
                line, column = int(token.location["line"]), int(token.location.get("column") or 0)
                text = token.line.get_line_text().strip()
                self.behave_only.append((line, column, _LOWER_CASE_AFTER_STEP.format(text=text,
                                                                                     keyword=keyword.strip())))
                return True
        return False


def token_matcher(path: str, fallback: bool = False) -> TokenMatcher:
    """gherkin's token matcher for the feature file at ``path``: Markdown's for ``*.md`` (which reads no
    ``# language:`` header), else Gherkin's (``fallback``: see ``FallbackTokenMatcher``)."""
    return GherkinInMarkdownTokenMatcher() if is_markdown(path) else FallbackTokenMatcher(fallback)


def gherkin_document(path: str, text: str, fallback: bool = False) -> tuple[Node, list[tuple[int, int, str]]]:
    """gherkin's document of the feature file ``text`` at ``path``, and the lines only behave reads so (see
    ``BehaveTokenMatcher``: (line, column, message) each). A file gherkin refuses, and only such a file, is read
    again as behave reads it, so the files gherkin reads cost nothing more. Raises gherkin's exception when neither
    reads it (the second reading's, whose errors are not the cascade a ``'''`` line makes in gherkin).
    ``fallback``: ``gherkin_language_fallback`` (``FallbackTokenMatcher``)."""
    try:
        return cast(Node, Parser().parse(scanner(text), token_matcher(path, fallback))), []
    except (CompositeParserException, ParserException):
        if is_markdown(path):  # cucumber-js's Markdown: behave does not read it
            raise
    matcher = BehaveTokenMatcher(fallback)
    try:
        return cast(Node, Parser().parse(scanner(text), matcher)), matcher.behave_only
    except (CompositeParserException, ParserException) as exc:
        setattr(exc, "behave_only", matcher.behave_only)  # noqa: B010 - the warnings go with the errors
        raise


def _gherkin(path: str, text: str, context: _Context, fallback: bool) -> Node:
    """The gherkin document, or a ParseError carrying every error the gherkin parser reported; a warning in
    ``context`` at each line only behave reads (carried by the ParseError too). ``fallback``: see
    ``FallbackTokenMatcher``."""
    try:
        document, behave_only = gherkin_document(path, text, fallback)
    except CompositeParserException as exc:
        errors, behave_only = list(exc.errors), getattr(exc, "behave_only", [])
    except ParserException as exc:
        errors, behave_only = [exc], getattr(exc, "behave_only", [])
    else:
        for line, column, message in behave_only:
            context.warn(line, column, message)
        return document
    for line, column, message in behave_only:
        context.warn(line, column, message)
    # Gherkin reports in parse order (AST errors at the end); report them in file order.
    language = file_language(text, fallback)
    diagnostics = sorted((_diagnostic(path, error, language) for error in errors), key=lambda d: (d.line, d.column))
    if not diagnostics:  # pragma: no cover - gherkin always names at least one error
        diagnostics = [Diagnostic(path, 1, 0, "Gherkin syntax error")]
    # (one cause, not its cascade)
    cause = None if is_markdown(path) else language_diagnosis(text, diagnostics, fallback)
    diagnostics = diagnostics if cause is None else [cause]
    if context.warnings:
        raise with_warnings(diagnostics, context.warnings)
    return _raise(diagnostics)


def _raise(diagnostics: list[Diagnostic]) -> Node:
    raise ParseError.from_diagnostics(diagnostics)


def _diagnostic(path: str, error: ParserException, language: str) -> Diagnostic:
    location = error.location or {}
    message = _LOCATION_PREFIX.sub("", str(error.args[0]) if error.args else str(error))
    got = _GOT_WHERE_A_STEP_FITS.search(message)
    if got is not None:
        # ``when I log in`` after a step: behave would run it, gherkin does not know the keyword; say which it is.
        keyword = _lower_case_keyword(language, got.group(1))
        if keyword is not None:
            message += f" (a step keyword is case-sensitive in gherkin: write {keyword[1].strip()!r})"
    return Diagnostic(path, int(location.get("line", 0) or 0), int(location.get("column", 0) or 0), message)


# --------------------------------------------------------------------------------------------------------------
# Tags


@dataclass(frozen=True)
class _Tag:
    name: str  # without "@"
    line: int
    column: int


def _tags(node: Node) -> list[_Tag]:
    return [
        _Tag(
            tag["name"].removeprefix("@"),
            _line(tag),
            tag["location"].get("column", 0),
        )
        for tag in node.get("tags", ())
    ]


def _line(node: Node) -> int:
    return int(node["location"]["line"])


@dataclass
class _Context:
    """Per-file state: compiled patterns and the diagnostics found so far."""

    path: str
    feature_id: re.Pattern[str]
    scenario_id: re.Pattern[str]
    requirement: re.Pattern[str]
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    def error(self, line: int, column: int, message: str) -> None:
        self.errors.append(Diagnostic(self.path, line, column, message))

    def warn(self, line: int, column: int, message: str) -> None:
        self.warnings.append(Diagnostic(self.path, line, column, message, severity="warning"))

    def status(self, tags: Iterable[_Tag]) -> str | None:
        """The status the tags give (first wins, disagreement warned), or None when they give none."""
        found: list[tuple[str, _Tag]] = []
        for tag in tags:
            lowered = tag.name.lower()
            if lowered.startswith("status:"):
                value = lowered[len("status:") :]
                if value not in FEATURE_STATUSES:
                    self.warn(
                        tag.line,
                        tag.column,
                        f"unknown status @{tag.name}; allowed: {', '.join(FEATURE_STATUSES)}; using draft",
                    )
                    value = "draft"
                found.append((value, tag))
            elif lowered in FEATURE_STATUSES:
                found.append((lowered, tag))
            elif lowered == "wip":
                found.append(("draft", tag))
        if not found:
            return None
        if len({value for value, _ in found}) > 1:
            first = found[0][1]
            names = ", ".join("@" + tag.name for _, tag in found)
            self.warn(first.line, first.column, f"conflicting status tags {names}; using {found[0][0]}")
        return found[0][0]

    def requirements(self, tags: Iterable[_Tag]) -> list[str]:
        return _unique(tag.name for tag in tags if self.requirement.fullmatch(tag.name))

    def one_id(self, tags: Iterable[_Tag], pattern: re.Pattern[str], what: str) -> _Tag | None:
        """The id tag among ``tags``; two different ones are an error (which one would be meant?)."""
        found = [tag for tag in tags if pattern.fullmatch(tag.name)]
        for extra in found[1:]:
            if extra.name != found[0].name:
                self.error(extra.line, extra.column, f"{what} has two id tags: @{found[0].name} and @{extra.name}")
        return found[0] if found else None


def _compile(path: str, options: ParserOptions) -> _Context:
    try:
        return _Context(
            path,
            re.compile(options.feature_id_pattern),
            re.compile(options.scenario_id_pattern),
            re.compile(options.requirement_pattern),
        )
    except re.error as exc:
        raise ParseError(path, 0, 0, f"invalid tag pattern in configuration: {exc}") from None


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _adrs(tags: Iterable[_Tag]) -> list[str]:
    """``@ADR-1`` / ``@adr-0001`` → ``ADR-0001`` (the ADR parser's normal form); ``@ADR-0008-use-x`` (an id with a
    slug) → ``ADR-0008-use-x``, the exact id of one ADR (``common.tag_adr_id``)."""
    return _unique(adr for tag in tags if (adr := tag_adr_id(tag.name)) is not None)


def _tag_lines(tags: Iterable[_Tag], column: bool = False) -> dict[str, int]:
    """ADR id → the line (``column``: the column) of the first ``@ADR-n`` tag naming it."""
    out: dict[str, int] = {}
    for tag in tags:
        if "dr" in tag.name or "DR" in tag.name or "Dr" in tag.name or "dR" in tag.name:  # (the regex: rarely)
            adr = tag_adr_id(tag.name)
            if adr is not None:
                out.setdefault(adr, tag.column if column else tag.line)
    return out


def _mention_lines(description: str | None, lines: list[str], after_line: int) -> dict[str, int]:
    """ADR id → the file line of its first mention in a description (which starts after ``after_line``)."""
    if not description or "adr" not in description.lower():  # nearly every description: no search at all
        return {}
    out: dict[str, int] = {}
    cursor = after_line
    for text in description.split("\n"):
        text = text.strip()
        if not text:
            continue
        cursor = _find_line(lines, text, cursor)
        for adr in mention_ids(text):
            out.setdefault(adr, cursor)
    return out


# --------------------------------------------------------------------------------------------------------------
# Steps and text


def _step(step: Node, column: bool = False) -> dict[str, Any]:  # column: a Background step's (not in gherkin_text)
    result: dict[str, Any] = {"keyword": step["keyword"].strip(), "text": step["text"], "line": _line(step),
                              **({"column": int(step["location"]["column"])} if column else {})}
    if "dataTable" in step:
        result["data_table"] = _rows(step["dataTable"]["rows"])
    if "docString" in step:
        doc = step["docString"]
        result["doc_string"] = {"content": doc["content"], "media_type": doc.get("mediaType")}
    return result


def _rows(rows: Iterable[Node]) -> list[list[str]]:
    return [[cell["value"] for cell in row["cells"]] for row in rows]


def _description(text: str) -> str | None:
    """Gherkin keeps the description's indentation; drop the common part and trailing spaces."""
    lines = [line.rstrip() for line in textwrap.dedent(text).split("\n")]
    return "\n".join(lines).strip("\n") or None


def _rule_description(rule: Node | None) -> dict[str, str]:
    """The ``rule_description`` of a scenario's metadata: its Rule's description (the Rule is no record of its own:
    each of its scenarios carries it, as its tags and Background). No key without one: a scenario's content is
    unchanged by a Rule that says nothing."""
    description = _description(rule.get("description", "")) if rule else None
    return {"rule_description": description} if description else {}


def _examples(example: Node) -> dict[str, Any]:
    """An Examples block of a scenario's fields; its ``description`` only when it has one (``_rule_description``)."""
    description = _description(example.get("description", ""))
    return {
        "name": example["name"],
        "tags": [tag.name for tag in _tags(example)],
        "columns": [cell["value"] for cell in example["tableHeader"]["cells"]] if "tableHeader" in example else [],
        "rows": _rows(example.get("tableBody", ())),
        **({"description": description} if description else {}),
    }


def _examples_lines(node: Node, lines: list[str]) -> dict[str, int]:
    """ADR id → the line of its first mention in the descriptions of the scenario ``node``'s Examples blocks."""
    out: dict[str, int] = {}
    for example in node.get("examples", ()):
        out = {**_mention_lines(_description(example.get("description", "")), lines, _line(example)), **out}
    return out


def _split_steps(context: _Context, steps: Iterable[Node], inherited: str | None) -> dict[str, list[dict[str, Any]]]:
    """given/when/then lists; a conjunction (or ``*``) joins the list of the step before it. ``inherited``: the type
    the Backgrounds above the scenario leave (``_inherited``), None without one."""
    lists: dict[str, list[dict[str, Any]]] = {"given_steps": [], "when_steps": [], "then_steps": []}
    current: str | None = None
    for step in steps:
        keyword_type = step.get("keywordType")
        if keyword_type in _STEP_LISTS:
            current = _STEP_LISTS[keyword_type]
        elif current is None:
            if keyword_type == "Conjunction":
                context.warn(_line(step), 0, _first_conjunction(step, inherited))
            current = "given_steps"
        lists[current].append(_step(step))
    return lists


def _first_conjunction(step: Node, inherited: str | None) -> str:
    """The warning for a conjunction that starts a scenario: stored with the Given steps (where a record's step lists
    have always put it), and typed by the step matching as the step before it, the Background's last, as behave
    types it (``steps.scenarios._placed``): a When step after a Background that ends in ``When``."""
    shown = f"step '{as_written(step['keyword'].strip(), step['text'])}'"
    if inherited is None:
        return f"{shown} continues no step; counted as Given"
    return (f"{shown} starts its scenario: matched as a {inherited} step, continuing the Background's last step; "
            "stored with the Given steps")


def _inherited(steps: Iterable[Node], before: str | None = None) -> str | None:
    """The type a conjunction after Background ``steps`` continues (``before``: the type of a Background above
    them): the last Given, When or Then among them, over ``*`` and conjunctions; Given when none (the type a first
    step gets); None when there are no steps and ``before`` is None."""
    for step in steps:
        before = _STEP_TYPES.get(step.get("keywordType") or "", before or "Given")
    return before


def _story(context: _Context, description: str, lines: list[str], after_line: int) -> dict[str, str | None]:
    """as_a / i_want / so_that from description lines (``As a``, ``I want``, ``So that`` / ``In order to``)."""
    story: dict[str, str | None] = {"as_a": None, "i_want": None, "so_that": None}
    cursor = after_line  # description lines come in file order: search on from the last one found
    for text in description.split("\n"):
        text = text.strip()
        for key, pattern in STORY:
            match = pattern.match(text)
            if not match:
                continue
            # "As a customer," is common: the trailing comma is punctuation, not part of the role.
            value = match.group(1).strip().rstrip(",").strip() or None
            line = cursor = _find_line(lines, text, cursor)
            if story[key] is not None:
                context.warn(line, 0, f"a second '{text}' line; {key} keeps {story[key]!r}")
            else:
                story[key] = value
            break
    return story


def _find_line(lines: list[str], text: str, after_line: int) -> int:
    """The first line after ``after_line`` whose text is ``text`` (descriptions do not carry positions)."""
    for number in range(after_line + 1, len(lines) + 1):
        if lines[number - 1].strip() == text:
            return number
    return after_line  # pragma: no cover - description lines are lines of the file


# --------------------------------------------------------------------------------------------------------------
# Lower-case step keywords

_LOWER_CASE_STEP = (
    "{text!r} is read as description, not as a step: its keyword is lower-case (behave runs it as a step, gherkin "
    "does not); write {keyword!r}"
)


@lru_cache(maxsize=None)
def _lower_keywords(language: str) -> tuple[tuple[str, str, bool], ...]:
    """(lower-cased keyword, keyword as written, whether it starts steps rather than continues them) for every step
    keyword of ``language`` that has a lower case (not ``*``, not CJK), longest first (``Gegeben seien`` before
    ``Gegeben sei``)."""
    dialect = Dialect.for_name(language)
    if dialect is None:
        return ()
    found: dict[str, tuple[str, str, bool]] = {}
    for keywords, starts in (
        (dialect.given_keywords, True), (dialect.when_keywords, True), (dialect.then_keywords, True),
        (dialect.and_keywords, False), (dialect.but_keywords, False),
    ):
        for keyword in keywords:
            lowered = keyword.lower()
            if lowered != keyword and lowered not in found:
                found[lowered] = (lowered, keyword, starts)
    return tuple(sorted(found.values(), key=lambda k: -len(k[0])))


def _lower_case_keyword(language: str, text: str) -> tuple[str, str, bool] | None:
    """The step keyword ``text`` (a stripped line) starts with when compared as behave does (lower-cased), if it
    does not start with it as written (what gherkin requires)."""
    lowered = text.lower()
    for keyword in _lower_keywords(language):
        if lowered.startswith(keyword[0]):
            return None if text.startswith(keyword[1]) else keyword
    return None


def _lower_case_steps(context: _Context, node: Node, language: str, lines: list[str]) -> None:
    """Warn about description lines of a Scenario/Background that behave reads as steps.

    behave matches step keywords case-insensitively on every line of a scenario before its first step; gherkin reads
    ``given I ...`` there as description, silently (after a first step it is a syntax error). The lines warned are
    the trailing run of description lines that each start with a lower-case step keyword and a space: where the
    steps would be. The run's leading ``and``/``but`` lines are left out, so a description ending in prose such as
    ``but only within 14 days.`` is not warned; a keyword line followed by more prose is not where a step stands.
    """
    description = node.get("description")
    if not description:  # nearly every scenario: nothing to look at
        return
    texts = [text.strip() for text in description.split("\n")]
    run: list[tuple[int, tuple[str, str, bool]]] = []  # (index in texts, keyword), last first
    for index in range(len(texts) - 1, -1, -1):
        if not texts[index]:
            continue
        keyword = _lower_case_keyword(language, texts[index])
        if keyword is None:
            break
        run.append((index, keyword))
    while run and not run[-1][1][2]:  # and/but lines at the start of the run continue prose
        run.pop()
    if not run:
        return
    cursor = _line(node)
    numbers: dict[int, int] = {}
    for index, text in enumerate(texts):  # description lines carry no positions: find them in file order
        if text:
            cursor = numbers[index] = _find_line(lines, text, cursor)
    for index, keyword in reversed(run):
        context.warn(numbers[index], 0, _LOWER_CASE_STEP.format(text=texts[index], keyword=keyword[1].strip()))


# --------------------------------------------------------------------------------------------------------------
# The file


@dataclass
class _Scenario:
    """A scenario with what it inherits from where it stands."""

    node: Node
    rule: Node | None
    rule_background: list[dict[str, Any]]
    start: int  # first line of its text: its first tag line or its keyword line
    inherited: str | None = None  # the type its Backgrounds leave (``_inherited``); None without a step in one
    number: str = ""
    former: str | None = None  # the id the earlier naming rule gave it, where that differs (``scenario_ids``)


def _start(node: Node) -> int:
    return min([_line(node), *(_line(tag) for tag in node.get("tags", ()))])


def _collect(feature: Node) -> tuple[Node | None, list[_Scenario], list[Node]]:
    """The feature Background, every scenario in file order (with its Rule), and the Rules."""
    background: Node | None = None
    scenarios: list[_Scenario] = []
    rules: list[Node] = []
    for child in feature.get("children", ()):
        if "background" in child:
            background = child["background"]
        elif "scenario" in child:
            inherited = _inherited(background["steps"]) if background else None
            scenarios.append(_Scenario(child["scenario"], None, [], _start(child["scenario"]), inherited))
        elif "rule" in child:
            rule = child["rule"]
            rules.append(rule)
            rule_background: list[dict[str, Any]] = []
            inherited = _inherited(background["steps"]) if background else None
            for grandchild in rule.get("children", ()):
                if "background" in grandchild:
                    rule_background = [_step(step, column=True) for step in grandchild["background"]["steps"]]
                    inherited = _inherited(grandchild["background"]["steps"], inherited)
                elif "scenario" in grandchild:
                    node = grandchild["scenario"]
                    scenarios.append(_Scenario(node, rule, rule_background, _start(node), inherited))
    return background, scenarios, rules


def _step_holders(background: Node | None, scenarios: list[_Scenario], rules: list[Node]) -> list[Node]:
    """The Backgrounds (the feature's and the rules') and the scenarios: where steps are written."""
    found = [background] if background else []
    found.extend(child["background"] for rule in rules for child in rule.get("children", ()) if "background" in child)
    found.extend(scenario.node for scenario in scenarios)
    return found


def _number_scenarios(context: _Context, scenarios: list[_Scenario]) -> None:
    """Id tags first (duplicates are errors), then names with ``#k`` for repeats, skipping numbers already taken."""
    taken: dict[str, int] = {}
    for scenario in scenarios:
        tag = context.one_id(_tags(scenario.node), context.scenario_id, f"scenario on line {_line(scenario.node)}")
        if tag is None:
            continue
        if tag.name in taken:
            context.error(
                tag.line, tag.column, f"duplicate scenario id @{tag.name} (lines {taken[tag.name]} and {tag.line})"
            )
        else:
            taken[tag.name] = tag.line
        scenario.number = tag.name
    # The name as prose: its whitespace runs are one space, as the content hash reads a title, so that a
    # whitespace-only edit of a title (a doubled space, a tab) is the same scenario, not a delete and a create; and
    # the id the earlier rule gave (the name as written), the row an earlier tracertm stored for it.
    untagged = [(position, s) for position, s in enumerate(scenarios, start=1) if not s.number]
    names = [(position, s.node["name"]) for position, s in untagged]
    earlier = scenario_ids.name_ids(names, taken, as_written=True)
    for (_, scenario), number, former in zip(untagged, scenario_ids.name_ids(names, taken), earlier):
        scenario.number, scenario.former = number, (former if former != number else None)


def _gherkin_text(lines: list[str], start: int, end: int) -> str:
    """Lines ``start``..``end`` (1-based, inclusive) of the file, trailing blank and comment lines trimmed.

    A comment right before the next scenario or rule introduces *that* one, so it is not part of this text. (A
    ``#`` line inside a doc string cannot be trailing: the closing delimiter comes after it.)
    """
    chunk = lines[start - 1 : end]
    while chunk and (not chunk[-1].strip() or chunk[-1].lstrip().startswith("#")):
        chunk.pop()
    return "\n".join(chunk)


def _holds_nothing(text: str, markdown: bool) -> bool:
    """Only blank lines and comments (a ``# language:`` header included); in Markdown only blank lines (``#`` is a
    heading there, and gherkin takes a Markdown file's first line as its feature whatever it says)."""
    if markdown:
        return not text.strip()
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.split("\n"))


def _parse_text(path: str, text: str, options: ParserOptions) -> ParseResult:
    check_size(path, text)
    context = _compile(path, options)
    if _holds_nothing(text, is_markdown(path)):
        # Valid Gherkin with no feature in it (an empty file, a placeholder of comments): nothing to record.
        return ParseResult(path, "feature", ())
    document = _gherkin(path, text, context, falls_back_language(options))
    feature = document.get("feature")
    if not feature:
        raise ParseError(path, 1, 0, "no Feature: the file has no 'Feature:' line (or its language's keyword)")

    lines = text.split("\n")
    markdown = is_markdown(path)
    if markdown:
        descriptions(document, lines)
    feature_line = _line(feature)
    language = str(feature.get("language", "en"))
    dialect = Dialect.for_name(language)
    outline_keywords = {k.strip() for k in dialect.scenario_outline_keywords} if dialect else set()

    feature_tags = _tags(feature)
    id_tag = context.one_id(feature_tags, context.feature_id, "the feature")
    feature_number = id_tag.name if id_tag else derived_feature_number(path, options.feature_roots)
    feature_status = context.status(feature_tags) or "draft"
    feature_requirements = context.requirements(feature_tags)
    description = _description(feature.get("description", ""))
    story = _story(context, description or "", lines, feature_line)

    background, scenarios, rules = _collect(feature)
    background_steps = [_step(step, column=True) for step in background["steps"]] if background else []
    holders = [] if markdown else _step_holders(background, scenarios, rules)  # (behave reads no Markdown)
    for node in holders:
        _lower_case_steps(context, node, language, lines)
    _number_scenarios(context, scenarios)

    # A scenario's text runs to the line before the next scenario or rule starts (or the end of the file).
    starts = sorted({s.start for s in scenarios} | {_start(rule) for rule in rules})
    ends = {start: following - 1 for start, following in pairwise(starts)}
    rule_status = {id(rule): context.status(_tags(rule)) for rule in rules}  # once per rule: warnings once
    # Where each ADR id a scenario links to is written (``SpecRecord.ref_lines``): its own tag, its description, its
    # Examples blocks' tags, its rule's tag, its feature's tag, the first of these that names it. Shared by the
    # scenarios that add nothing.
    inherited_lines = _tag_lines(feature_tags)
    rule_lines = {id(rule): {**inherited_lines, **_mention_lines(_description(rule.get("description", "")), lines,
                                                                 _line(rule)), **_tag_lines(_tags(rule))}
                  for rule in rules}
    children: list[SpecRecord] = []
    expanded: list[tuple[dict[str, Any], int, list[int]]] = []  # (fields, line, Examples row lines) per scenario
    for scenario in scenarios:
        safe_point()  # (a file of thousands of scenarios: a cancelled sync stops here)
        node = scenario.node
        end = ends.get(scenario.start, len(lines))
        own_tags = _tags(node)
        rule_tags = _tags(scenario.rule) if scenario.rule else []
        keyword = str(node["keyword"]).strip()
        # An Examples block's tags are its rows' (cucumber gives them to the scenarios it makes of the rows): its
        # ``@ADR-n`` and requirement tags are the outline's references, as its own are.
        examples_tags = [tag for example in node.get("examples", ()) for tag in _tags(example)]
        examples = [_examples(example) for example in node.get("examples", ())]
        fields: dict[str, Any] = {
            "scenario_number": scenario.number,
            "title": node["name"],
            "description": _description(node.get("description", "")),
            "gherkin_text": _gherkin_text(lines, scenario.start, end),
            "background": background_steps + scenario.rule_background,
            **_split_steps(context, node.get("steps", ()), scenario.inherited),
            "is_outline": bool(examples) or keyword in outline_keywords,
            "examples": examples,
            "tags": [tag.name for tag in own_tags],
            "status": context.status(own_tags) or rule_status.get(id(scenario.rule)) or feature_status,
            "requirement_ids": sorted(
                set(context.requirements(own_tags) + context.requirements(examples_tags)
                    + context.requirements(rule_tags) + feature_requirements)
            ),
            "scenario_metadata": {
                "rule": scenario.rule["name"] if scenario.rule else None,
                "keyword": keyword,
                "inherited_tags": [tag.name for tag in feature_tags + rule_tags],
                **_rule_description(scenario.rule),
            },
        }
        ref_lines = rule_lines[id(scenario.rule)] if scenario.rule else inherited_lines
        if examples_tags or any("description" in e for e in examples):
            ref_lines = {**ref_lines, **_examples_lines(node, lines), **_tag_lines(examples_tags)}
        own_lines = _tag_lines(own_tags) if own_tags else None
        if fields["description"]:
            own_lines = {**_mention_lines(fields["description"], lines, _line(node)), **(own_lines or {})}
        if own_lines:
            ref_lines = {**ref_lines, **own_lines}
        children.append(SpecRecord("scenario", scenario.number, fields, line=_line(node), ref_lines=ref_lines,
                                   former_number=scenario.former))
        expanded.append((fields, _line(node), [_line(row) for example in node.get("examples", ())
                                               if example.get("tableHeader", {}).get("cells")
                                               for row in example.get("tableBody", ())]))

    if context.errors:
        # The warnings go with the errors, each at its line (not one round after the errors are fixed).
        raise with_warnings(context.errors, context.warnings)
    check_expansion(path, expanded)  # (the Background is in every scenario's fields: storage grows as the product)

    fields = {
        "feature_number": feature_number,
        "name": feature["name"],
        "description": description,
        **story,
        "status": feature_status,
        "file_path": path,
        "background": render_steps(background_steps),
        "tags": [tag.name for tag in feature_tags],
        "related_requirements": feature_requirements,
        "related_adrs": _adrs(feature_tags),
        "feature_metadata": {
            "language": language,
            "rules": [rule["name"] for rule in rules],
            "background_name": (background["name"] or None) if background else None,
        },
    }
    # Findings about an @ADR-n tag point at the tag, about a mention in the description at its line.
    feature_lines = {**_mention_lines(description, lines, feature_line), **inherited_lines}
    record = SpecRecord(
        "feature", feature_number, fields, line=feature_line, children=tuple(children), ref_lines=feature_lines,
        ref_columns=_tag_lines(feature_tags, column=True),
    )
    warnings = tuple(sorted(context.warnings, key=lambda d: (d.line, d.column)))
    return FeatureParseResult(path, "feature", (record,), warnings, feature_behave.fences(holders),
                              feature_behave.plain_examples(holders, outline_keywords))


