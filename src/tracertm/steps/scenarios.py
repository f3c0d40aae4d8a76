"""Parsed features → the steps a runner executes, as cucumber's pickles define them, from the feature parser's
records (no second Gherkin parse):

- a scenario's steps in file order, Background steps (the feature's, then the Rule's) first — and only for
  scenarios that have steps; each typed by its keyword in the feature's language, ``And``/``But``/``*``
  continuing the type of the step before them (across the Background, as gherkin does) — as behave and pytest-bdd
  type them; where gherkin's pickle says ``Unknown`` instead (``*``, and ``And``/``But`` after it), the type is an
  ``Unknown`` (equal to that same type), for godog (see ``Unknown``);
- a Scenario Outline's steps once per Examples row, ``<column>`` placeholders substituted, naming the row's line
  (found from the scenario's source text: the Examples tables are its last table lines), filled as gherkin's
  pickles fill them; the Background's steps as written, as gherkin has them. behave and pytest-bdd fill the row into
  the Background's steps too, and behave from cells of its own reading (``outline_fill``): the texts they run are
  kept beside (``StepUse.filled``, ``StepUse.rendered``; ``as_run`` and ``run_by`` swap them in).

``tests/steps/pickles.py`` computes the same from gherkin's own pickle compiler; a test holds them equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple, cast

from tracertm.parsers.feature_limits import MAX_FEATURE_STEP_CHARACTERS
from tracertm.parsers.markdown_gherkin import gherkin_line, is_markdown
from tracertm.parsers.records import ParseResult, SpecRecord
from tracertm.parsers.step_text import is_step_line
from tracertm.steps.model import Keyword
from tracertm.steps.outline_fill import (
    BEHAVE,
    PYTEST_BDD,
    behave_cells,
    fill_in_turn,
    pytest_bdd_filled,
    pytest_bdd_plain_row,
    pytest_bdd_plain_text,
)

_LISTS = ("given_steps", "when_steps", "then_steps")


class Unknown(str):
    """The type of a step whose pickle type is ``Unknown`` in gherkin's pickle compiler: a ``*`` step, and an
    ``And``/``But`` after one (a conjunction continues the previous step's pickle type, Unknown included) or first
    in a scenario. godog matches a definition of any keyword to such a step (``keywordMatches`` is true for
    Unknown), while behave and pytest-bdd give it the type of the step before it.

    Equal to that previous type (``Unknown("when") == "when"``), so that every reader of a step's type sees what
    behave and pytest-bdd see (and what ``tests/steps/pickles.py`` gives); only ``StepIndex`` looks further, for
    godog's definitions. Caches of verdicts per (text, type) key it by ``type_key``, which tells the two apart."""

    __slots__ = ()


class _Table(str):
    """The type of a step with a DataTable (equal to that type): Reqnroll hands the table to its definition as
    one more argument (``steps.reqnroll.candidates``). See ``with_argument``."""

    __slots__ = ()
    argument = "table"


class _DocString(str):
    """The type of a step with a DocString (Reqnroll's multiline text argument), equal to that type."""

    __slots__ = ()
    argument = "doc"


class _UnknownTable(Unknown):
    __slots__ = ()
    argument = "table"


class _UnknownDocString(Unknown):
    __slots__ = ()
    argument = "doc"


# A step with an argument whose text, as written, ends with ":": behave before 1.3 strips it (``behave_text``).
class _TableColon(_Table):
    __slots__ = ()
    argument = "table:"


class _DocStringColon(_DocString):
    __slots__ = ()
    argument = "doc:"


class _UnknownTableColon(_UnknownTable):
    __slots__ = ()
    argument = "table:"


class _UnknownDocStringColon(_UnknownDocString):
    __slots__ = ()
    argument = "doc:"


_WITH_ARGUMENT: dict[tuple[bool, str], type[str]] = {
    (False, "table"): _Table, (False, "doc"): _DocString, (True, "table"): _UnknownTable,
    (True, "doc"): _UnknownDocString, (False, "table:"): _TableColon, (False, "doc:"): _DocStringColon,
    (True, "table:"): _UnknownTableColon, (True, "doc:"): _UnknownDocStringColon,
}


def with_argument(kind: str, step: Mapping[str, Any]) -> str:
    """``kind`` (a step's type) marked with the step's own argument — a DataTable or a DocString —, which Reqnroll
    counts among the arguments a definition's method must take (``steps.reqnroll.candidates``), and with whether
    the step's text as written ends with ``:`` (``behave_text``); ``kind`` itself when the step has no argument.
    Like ``Unknown``, equal to the type, so that every other reader sees the type alone; caches of verdicts key it
    by ``type_key``."""
    argument = "table" if "data_table" in step else "doc" if "doc_string" in step else ""
    if not argument:
        return kind
    colon = ":" if str(step.get("text", "")).endswith(":") else ""
    return _WITH_ARGUMENT[(isinstance(kind, Unknown), argument + colon)](kind)


def step_argument(kind: str) -> str:
    """The argument a step of type ``kind`` carries (``with_argument``): ``"table"``, ``"doc"`` or ``""``."""
    return str(getattr(kind, "argument", "")).rstrip(":")


def behave_text(text: str, kind: str) -> str | None:
    """The text behave before 1.3 matches for a step of type ``kind`` whose text is ``text``: without its last
    character when the step has a doc string or a data table and its text as written ends with ``:`` (behave 1.2.6's
    parser, ``action_multiline`` / ``action_table``: ``step.name[:-1]``, once, on the outline's step as written —
    its Examples values are filled in after); None for any other step (nothing to strip). behave 1.3 keeps it
    (``BEHAVE_STRIP_STEPS_WITH_TRAILING_COLON``), as tracertm does unless ``behave_strip_trailing_colon``."""
    if not str(getattr(kind, "argument", "")).endswith(":") or not text.endswith(":"):
        return None
    return text[:-1]


def type_key(kind: str) -> str:
    """``kind`` as a key of a cache of verdicts: an ``Unknown`` type apart from the type it is equal to (godog
    matches the two differently), and a step's DataTable or DocString apart (Reqnroll counts it as an argument:
    ``with_argument``)."""
    if type(kind) is str:
        return kind  # the common case (a step of a known type, no table or DocString), once per step matched
    key = "*" + kind if isinstance(kind, Unknown) else str.__str__(kind)
    argument = getattr(kind, "argument", "")
    return f"{key}|{argument}" if argument else key


class StepUse(NamedTuple):
    """One step of one scenario (one Examples row for an outline), as a runner would match it.

    ``type`` is the effective keyword (given/when/then); ``row_line`` is the Examples row's line for outline steps;
    ``scenario_line`` the line of the scenario's keyword (the scenario record's ``line``). A named tuple: a sync
    builds one per executed step (hundreds of thousands), and a tuple is built several times faster than a frozen
    dataclass."""

    path: str
    line: int
    keyword: str
    type: Keyword
    text: str
    scenario: str
    scenario_line: int
    row_line: int | None = None
    background: bool = False
    column: int = 1
    scenario_number: str = ""  # the scenario record's identity (its id tag or name)
    feature: str = ""  # the feature's title (Reqnroll's [Scope(Feature = ...)])
    tags: tuple[str, ...] = ()  # the feature's, the rule's and the scenario's tags, without '@' (Reqnroll's scopes)
    # A step of a Scenario Outline whose Examples give no row, as written (``<n>`` not substituted): pytest-bdd runs
    # such an outline once that way, gherkin's pickles (behave, Cucumber, ...) not at all — so it counts only in the
    # view of the pytest-bdd modules that run its scenario (``matching.StepIndex.match_all``).
    as_written: bool = False
    # A step of an outline's Examples row as behave runs it, where that differs from ``text`` (else None): a
    # Background step whose ``<column>`` placeholders the row fills (behave fills the Background's steps with the
    # row too; gherkin's pickles — Cucumber, godog, Reqnroll, ... — match it as written), and any step a row cell
    # that behave reads otherwise fills otherwise (``outline_fill.behave_cells``). ``as_run`` makes it ``text``.
    filled: str | None = None
    # The tags of an outline row's Examples block, without '@': gherkin's pickle of the row has them after ``tags``
    # (playwright-bdd and cucumber-tsflow scope steps by the pickle's tags; Reqnroll's [Scope] is not modelled so).
    row_tags: tuple[str, ...] = ()
    # The same as ``filled``, as pytest-bdd runs the step (``outline_fill``).
    rendered: str | None = None

    @property
    def names_row(self) -> bool:
        """Whether a finding at this step names its Examples row: an outline's own step, or a Background step as
        its row filled it (it may fail in that row alone); a Background step as written fails in every scenario,
        row or not, so a row says nothing about where."""
        return self.row_line is not None and (
            not self.background or self.text == self.filled or self.text == self.rendered)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "keyword": self.keyword,
            "type": self.type,
            "text": self.text,
            "scenario": self.scenario,
            "scenario_line": self.scenario_line,
            "row_line": self.row_line,
            "background": self.background,
            "scenario_number": self.scenario_number,
        }


@cache
def _keyword_types(language: str) -> dict[str, Keyword]:
    """Keyword (stripped) → type in a Gherkin language; conjunctions and ``*`` are absent."""
    from gherkin.dialect import Dialect

    dialect = Dialect.for_name(language) or Dialect.for_name("en")
    assert dialect is not None
    out: dict[str, Keyword] = {}
    for kind, keywords in (("then", dialect.then_keywords), ("when", dialect.when_keywords),
                           ("given", dialect.given_keywords)):
        for keyword in keywords:
            if keyword.strip() != "*":
                out[keyword.strip()] = kind  # type: ignore[assignment]
    return out


class FeatureSteps(list[StepUse]):
    """The steps of one feature file (``feature_uses``) and its ``# language:``, which cucumber-jvm's number types
    follow (``StepIndex.localized``): kept per file, not per step, as a file has one language. With what behave's
    parser refuses in the file (``parsers.records.FeatureParseResult``: ``behave_features.parser_refusals``)."""

    language: str = "en"
    fences: tuple[tuple[int, int], ...] = ()
    plain_examples: tuple[tuple[int, int, str], ...] = ()


def feature_uses(result: ParseResult, as_written: bool = False) -> list[StepUse]:
    """Every executed step of a parsed feature file, scenario by scenario (rows in order, steps in file order).
    The cyclic collector is paused meanwhile (see ``report.build_report``): a step report or a check builds these
    for every feature of a project, next to all of them parsed. ``as_written``: with the steps of the outlines
    whose Examples give no row, as written (``StepUse.as_written``; for the matchers that keep them for the
    scenarios pytest-bdd runs)."""
    from tracertm.collector import collector_paused

    out = FeatureSteps()
    out.fences = getattr(result, "fences", ())
    out.plain_examples = getattr(result, "plain_examples", ())
    with collector_paused():
        for feature in result.records:
            language = out.language = str(feature.fields.get("feature_metadata", {}).get("language") or "en")
            title = str(feature.fields.get("name") or "")
            for scenario in feature.children:
                out.extend(scenario_uses(result.path, scenario, _keyword_types(language), title, as_written))
    return out


def scenario_titles(result: ParseResult) -> frozenset[str]:
    """The titles of a parsed feature file's scenarios and outlines (pytest-bdd's ``@scenario`` names one)."""
    return frozenset(str(s.fields.get("title") or "") for feature in result.records for s in feature.children)


def scenario_context(scenario: SpecRecord, feature: SpecRecord) -> tuple[str, str, tuple[str, ...]]:
    """(scenario title, feature title, tags) of a parsed scenario: what a ``steps.lens.Lens`` depends on."""
    return str(scenario.fields.get("title") or ""), str(feature.fields.get("name") or ""), _tags(scenario.fields)


def _tags(fields: Mapping[str, Any]) -> tuple[str, ...]:
    """The feature's and the rule's tags (``inherited_tags``), then the scenario's own, without '@'."""
    own = fields.get("tags")
    metadata = fields.get("scenario_metadata")
    inherited = metadata.get("inherited_tags") if metadata else None
    if not inherited:  # a sync builds one per scenario: kept cheap
        return tuple(own) if own else ()
    return (*inherited, *own) if own else tuple(inherited)


def scenario_uses(
    path: str, scenario: SpecRecord, types: Mapping[str, Keyword], feature: str = "", as_written: bool = False
) -> list[StepUse]:
    """The executed steps of one scenario record (or of a scenario row: ``SpecRecord("scenario", number, row
    fields)`` — positions come from the fields, the record's ``line`` is not needed); ``feature``: the feature's
    title. ``as_written``: an outline whose Examples give no row has its steps as written, each marked
    ``StepUse.as_written`` (pytest-bdd runs it so); else none, as gherkin's pickles."""
    fields = scenario.fields
    steps = sorted((s for key in _LISTS for s in fields.get(key) or ()), key=lambda s: int(s["line"]))
    if not steps:
        return []  # as gherkin: a scenario without steps runs no Background either
    lines = _source_lines(fields, path)
    start = _start_line(steps[0], lines)
    keyword = str(fields.get("scenario_metadata", {}).get("keyword") or "")
    scenario_line = next(
        (start + i for i, text in enumerate(lines)
         if keyword and text.strip().startswith(keyword) and text.strip()[len(keyword):].lstrip().startswith(":")),
        scenario.line,
    )
    rows = _rows(fields.get("examples") or (), lines, start)
    written = False
    if rows == [] and as_written:
        rows, written = None, True
    name = str(fields.get("title") or "")
    number = scenario.number
    tags = _tags(fields)
    placed = _placed(fields, steps, types)
    # Each step's column, read from the scenario's text; a Background step's (first in ``placed``, its text the
    # feature's) the parser keeps with it (1 in a record stored by a tracertm before it did).
    count = len(lines)
    columns = [int(step.get("column") or 1) for step in fields.get("background") or ()]
    for line, _keyword, _kind, _text, background in placed[len(columns):]:
        source = "" if background or not 0 <= line - start < count else lines[line - start]
        stripped = source.lstrip()
        columns.append(len(source) - len(stripped) + 1 if stripped else 1)
    # tuple.__new__: a named tuple's own __new__ is a Python function, a third of building each of a sync's
    # hundreds of thousands of steps.
    new = tuple.__new__
    if rows is None:
        return [new(StepUse, (path, line, keyword, kind, text, name, scenario_line, None, background, column, number,
                              feature, tags, written, None, (), None))
                for (line, keyword, kind, text, background), column in zip(placed, columns)]
    out: list[StepUse] = []
    for i, text, row_line, (filled, rendered), row_tags in _filled(placed, rows, _BOTH):
        line, keyword, kind, _text, background = placed[i]
        out.append(new(StepUse, (path, line, keyword, kind, text, name, scenario_line, row_line, background,
                                 columns[i], number, feature, tags, False, filled, row_tags, rendered)))
    return out


def as_run(use: StepUse, runner: str) -> StepUse:
    """``use`` as ``runner`` (``outline_fill``: ``"behave"``, ``"pytest-bdd"``, or ``""`` for gherkin's pickles)
    runs it: its text the one that runner fills in (``StepUse.filled``, ``StepUse.rendered``)."""
    other = use.filled if runner == BEHAVE else use.rendered if runner == PYTEST_BDD else None
    return use if other is None else use._replace(text=other)


def run_by(uses: list[StepUse], runner: str) -> list[StepUse]:
    """``uses`` (one scenario's, or one feature file's) as ``runner`` runs them (``as_run``); ``uses`` itself when
    that changes none of them."""
    if not runner or not any((u.filled if runner == BEHAVE else u.rendered) is not None for u in uses):
        return uses
    out = [as_run(u, runner) for u in uses]
    if isinstance(uses, FeatureSteps):
        steps = FeatureSteps(out)
        steps.language = uses.language
        return steps
    return out


# An executed step as a match row needs it: (line, keyword, type, text after substitution, Examples row line).
Executed = tuple[int, str, Keyword, str, "int | None"]


def executed_steps(
    scenario: SpecRecord, types: Mapping[str, Keyword], as_written: bool = False, path: str = "", runner: str = "",
) -> list[Executed]:
    """The executed steps of one scenario record as ``scenario_uses`` gives them (same order, line, keyword, type,
    text and row line), without what only a ``StepUse`` carries: the parse workers build a match row from each of a
    cold sync's 130,000 steps (``tracertm.steps.prematch``), and a scenario's own line, a step's column and the
    named tuple were a third of that work. The source text is only read for an outline (its Examples row lines).
    ``as_written``: an outline whose Examples give no row runs its steps as written (pytest-bdd's, for a scenario
    a pytest-bdd module runs: ``StepUse.as_written``). ``path``: the feature file (``*.md``: Markdown with
    Gherkin). ``runner``: the steps as that runner fills them in (``as_run``: behave and pytest-bdd fill an outline
    row's values into the Background's steps too, and behave from its own reading of the cells)."""
    fields = scenario.fields
    steps = sorted((s for key in _LISTS for s in fields.get(key) or ()), key=lambda s: int(s["line"]))
    if not steps:
        return []  # as scenario_uses
    placed = _placed(fields, steps, types)
    examples = fields.get("examples") or ()
    if not examples:  # not an outline (``_rows`` gives None)
        return [(line, keyword, kind, text, None) for line, keyword, kind, text, _ in placed]
    lines = _source_lines(fields, path)
    rows = _rows(examples, lines, _start_line(steps[0], lines))
    assert rows is not None
    if not rows and as_written:
        return [(line, keyword, kind, text, None) for line, keyword, kind, text, _ in placed]
    if runner:
        which = (runner == BEHAVE, runner == PYTEST_BDD)
        return [(placed[i][0], placed[i][1], placed[i][2], other if other is not None else text, row_line)
                for i, text, row_line, others, _ in _filled(placed, rows, which)
                for other in [others[0] if which[0] else others[1]]]
    return [(placed[i][0], placed[i][1], placed[i][2], text, row_line)
            for i, text, row_line, _, _ in _filled(placed, rows)]


def examples_tags(scenario: SpecRecord, path: str = "") -> dict[int, tuple[str, ...]]:
    """Examples row line → its Examples block's tags (without '@'), for the rows of a block with tags: what a row's
    pickle has beyond its scenario's tags (``StepUse.row_tags``). Empty for a scenario without such rows, or whose
    rows' lines cannot be told (``_rows``)."""
    fields = scenario.fields
    examples = fields.get("examples") or ()
    if not any(e.get("tags") for e in examples):
        return {}
    steps = sorted((s for key in _LISTS for s in fields.get(key) or ()), key=lambda s: int(s["line"]))
    if not steps:
        return {}
    lines = _source_lines(fields, path)
    rows = _rows(examples, lines, _start_line(steps[0], lines)) or []
    return {line: tags for _, _, line, tags, _ in rows if line is not None and tags}


def _placed(
    fields: Mapping[str, Any], steps: Sequence[Mapping[str, Any]], types: Mapping[str, Keyword]
) -> list[tuple[int, str, Keyword, str, bool]]:
    """(line, keyword, type, text, in the Background) of each executed step of a scenario — the Background's, then
    ``steps`` — computed once however many Examples rows repeat it; ``And``/``But``/``*`` continue the type of the
    step before them, across the Background, except a ``*`` that starts the scenario's own steps: behave's parser
    starts each scenario afresh (``*`` first is a Given there; a conjunction first takes the Background's last
    type). As in gherkin's pickles, ``*`` is ``Unknown`` (of the type before it) and a conjunction after it (or
    first) stays ``Unknown``: no language shares a keyword between kinds but ``*`` (gherkin would make such a
    keyword Unknown too)."""
    placed: list[tuple[int, str, Keyword, str, bool]] = []
    kind: Keyword = _FIRST
    for background, items in ((True, fields.get("background") or ()), (False, steps)):
        for position, step in enumerate(items):
            keyword = str(step["keyword"])
            typed = types.get(keyword)
            if typed is not None:
                kind = typed
            elif keyword == "*":
                kind = _FIRST if position == 0 and not background else cast(Keyword, Unknown(kind))
            placed.append((int(step["line"]), keyword, cast(Keyword, with_argument(kind, step)), str(step["text"]),
                           background))
    return placed


# The type of a conjunction that starts a scenario: no step before it gives one (gherkin: Unknown; behave and
# pytest-bdd: given).
_FIRST = cast(Keyword, Unknown("given"))


# Which of behave's and pytest-bdd's texts ``_filled`` gives: (behave's, pytest-bdd's).
_NEITHER = (False, False)
_BOTH = (True, True)
_NONE = (None, None)


def _filled(
    placed: Sequence[tuple[int, str, Keyword, str, bool]], rows: Iterable[_Row], which: tuple[bool, bool] = _NEITHER
) -> Iterator[tuple[int, str, int | None, tuple[str | None, str | None], tuple[str, ...]]]:
    """An outline's steps per Examples row (``_rows``): (index into ``placed``, the text with the row's values
    filled in, the row's line, the texts behave and pytest-bdd run where they differ from it — as ``which`` asks,
    else None —, the row's Examples block's tags). The Background's steps are not filled in the text: gherkin's
    pickles leave them as written — behave and pytest-bdd fill them too (``StepUse.filled``, ``StepUse.rendered``;
    None where the row changes nothing). behave fills from the cells it reads itself (``_Row``'s last item),
    pytest-bdd in one pass of its own (``outline_fill.pytest_bdd_filled``: only where a row or a text holds what
    makes it differ, ``pytest_bdd_plain_row``; the others are gherkin's filling). Filled
    as gherkin's pickle compiler fills them, column by column, each in the text the columns before it left
    (``feature_limits.filled`` says it once more, for the parser's limit): the parser refused a file whose filled
    steps pass that limit (``feature_limits.check_expansion``, which counts the Background's filled too), so none is
    built here past it; a record stored before the limit existed stops growing at it."""
    behave, bdd = which
    plain_texts: dict[int, bool] = {}  # index into ``placed`` → ``pytest_bdd_plain_text``, once per step
    for columns, values, row_line, tags, raw in rows:
        pairs = [(f"<{column}>", value) for column, value in zip(columns, values)]
        plain_row = bdd and pytest_bdd_plain_row(columns, values)
        for i, (_line, _keyword, _kind, text, background) in enumerate(placed):
            if "<" not in text:
                yield i, text, row_line, _NONE, tags
                continue
            written = text
            for placeholder, value in pairs:
                text = text.replace(placeholder, value)
                if len(text) > MAX_FEATURE_STEP_CHARACTERS:  # (a record stored before the limit existed)
                    break
            by_behave = fill_in_turn(written, *raw) if behave and raw is not None else text
            by_bdd = text
            if bdd:
                plain = plain_texts.get(i)
                if plain is None:
                    plain = plain_texts[i] = pytest_bdd_plain_text(written)
                if not (plain_row and plain):
                    by_bdd = pytest_bdd_filled(written, columns, values)
            if background:
                yield i, written, row_line, (
                    None if not behave or by_behave == written else by_behave,
                    None if not bdd or by_bdd == written else by_bdd), tags
            else:
                yield i, text, row_line, (None if by_behave == text else by_behave,
                                          None if by_bdd == text else by_bdd), tags


def _source_lines(fields: Mapping[str, Any], path: str) -> list[str]:
    """The lines of a scenario's text (``gherkin_text``, from its first tag line), a Markdown feature's as the Gherkin
    lines they stand for, at the same columns (``markdown_gherkin.gherkin_line``: no heading marks or bullets, and
    no GFM separator row among the table rows)."""
    lines = str(fields.get("gherkin_text") or "").split("\n")
    return [gherkin_line(line) for line in lines] if is_markdown(path) else lines


def _start_line(first: Mapping[str, Any], lines: Sequence[str]) -> int:
    """The file line of ``gherkin_text``'s first line (it starts at the scenario's first tag), from the scenario's
    first step: its line is known, and so is its text (after its keyword as written: ``Étant donné qu'il``, no space
    between them)."""
    keyword, wanted = str(first["keyword"]).strip(), str(first["text"])
    for index, text in enumerate(lines):
        if is_step_line(text, keyword, wanted):
            return int(first["line"]) - index
    return int(first["line"])  # pragma: no cover - the step is a line of the scenario's text


# An Examples row: (columns, values, its line — None when it cannot be told —, its Examples block's tags, the
# columns and values behave reads from the header's and the row's lines where they differ: None when they do not).
_Row = tuple[list[str], list[str], "int | None", tuple[str, ...], "tuple[list[str], list[str]] | None"]


def _rows(examples: Iterable[Mapping[str, Any]], lines: Sequence[str], start: int) -> list[_Row] | None:
    """Each Examples row (``_Row``); None when the scenario has no Examples (not an outline)."""
    tables = [e for e in examples]
    if not tables:
        return None
    needed = sum(1 + len(e.get("rows") or ()) for e in tables if e.get("columns"))
    pipes = [start + i for i, text in enumerate(lines) if text.lstrip().startswith("|")]
    row_lines: list[int | None] = list(pipes[len(pipes) - needed:]) if needed and len(pipes) >= needed else []
    out: list[_Row] = []
    cursor = 0
    for e in tables:
        columns = [str(c) for c in e.get("columns") or ()]
        if not columns:
            continue
        header = _behave_cells(lines, row_lines[cursor] if cursor < len(row_lines) else None, start, columns)
        cursor += 1  # the header
        tags = tuple(str(t) for t in e.get("tags") or ())
        for values in e.get("rows") or ():
            line = row_lines[cursor] if cursor < len(row_lines) else None
            cells = [str(v) for v in values]
            own = _behave_cells(lines, line, start, cells)
            raw = None if header is None and own is None else (header or columns, own or cells)
            out.append((columns, cells, line, tags, raw))
            cursor += 1
    return out


def _behave_cells(lines: Sequence[str], line: int | None, start: int, cells: list[str]) -> list[str] | None:
    """The cells behave reads from the table row on file line ``line`` (``outline_fill.behave_cells``) where they
    differ from ``cells``, the gherkin parser's."""
    if line is None or not 0 <= line - start < len(lines):
        return None
    return behave_cells(lines[line - start], cells)
