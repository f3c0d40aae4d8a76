"""Mapping a test result to the scenario (and outline row) it ran, in a fixed order — each rule is counted:

1. ``tag``: an id tag (``@SC-12``) on the test (Cucumber JSON and Messages keep tags);
2. ``line``: the feature file and the line of the scenario, or of the example row, at the run's commit;
3. ``name``: the feature name and scenario name after each framework's naming (behave, Cucumber's
   junit-xml-formatter, cucumber-junit-platform-engine's ``long`` and ``surefire`` naming strategies as Maven
   Surefire writes them, pytest-bdd).

A name that fits several scenarios is *ambiguous* and is never guessed: the result is stored unmatched.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass

from tracertm.results.match_keys import norm as _norm
from tracertm.results.match_keys import pytest_bdd_name
from tracertm.results.report import CaseResult, normalize_path
from tracertm.results.scenarios import Row, ScenarioRef
from tracertm.results.uris import FeaturePaths

__all__ = ["Match", "ScenarioIndex", "normalize_path", "pytest_bdd_name"]

_BEHAVE_ROW = re.compile(r"^(?P<name>.*?) -- @(?P<row>\d+\.\d+)(?: .*)?$")
# Cucumber's junit-xml-formatter names a row "<outline> - <examples> - #1.2"; cucumber-junit-platform-engine (JUnit
# Platform, under Maven Surefire or Gradle) names it "... - Example #1.2" (``GherkinMessagesExample.getName``, English
# whatever the feature's language). Either may add ": <pickle name>" when the outline's name has placeholders.
_CUCUMBER_ROW = re.compile(r"^(?P<base>.*?) - (?P<engine>Example )?#(?P<row>\d+\.\d+)(?:: .*)?$")
# A name or classname (whitespace normalized) longer than this is read as no runner's naming (rule 3 of a JUnit
# test): far longer than any real test's, and a hostile report's names cost no more than reading them once.
FUZZY_NAME_LIMIT = 4096


@dataclass(frozen=True)
class Match:
    """Where a result belongs: ``rule`` is tag, line or name; ``ambiguous`` when a name fitted several scenarios."""

    scenario: ScenarioRef | None = None
    row: str | None = None
    rule: str | None = None
    ambiguous: bool = False


class ScenarioIndex:
    """Lookups over the scenarios of one project (as they stood at the run's commit)."""

    def __init__(self, scenarios: Iterable[ScenarioRef], id_pattern: str = r"SC-\d+") -> None:
        self.scenarios = list(scenarios)
        self._id = re.compile(id_pattern)
        self._by_number: dict[str, list[ScenarioRef]] = defaultdict(list)
        self._by_path: dict[str, list[ScenarioRef]] = defaultdict(list)
        self._by_feature_name: dict[str, list[ScenarioRef]] = defaultdict(list)
        self._by_pytest: dict[str, list[ScenarioRef]] = defaultdict(list)
        self._classnames: dict[str | None, list[list[ScenarioRef]]] = {}  # by the classname as reported
        self._junit_names: dict[int, _JunitNames] = {}  # by id() of a scenario of self.scenarios, made when asked
        for s in self.scenarios:
            self._by_number[s.number].append(s)
            if s.path:
                self._by_path[normalize_path(s.path)].append(s)
            self._by_feature_name[_norm(s.feature_name)].append(s)
            self._by_pytest[pytest_bdd_name(s.title)].append(s)
        # The lengths of the feature names: a part of a test's name is looked up only when it has one of them (a
        # name with 100,000 separators is not cut 100,000 times).
        self._feature_lengths = frozenset(map(len, self._by_feature_name))
        self._longest_feature = max(self._feature_lengths, default=-1)
        self._paths: FeaturePaths | None = None  # made on first use: most JUnit imports name no feature file

    @property
    def paths(self) -> FeaturePaths:
        """The feature files of these scenarios, which read a runner's name of one (``uris``)."""
        if self._paths is None:
            self._paths = FeaturePaths(self._by_path)
        return self._paths

    # ------------------------------------------------------------------------------------------------- rules

    def match(self, case: CaseResult) -> Match:
        """The scenario of one result, trying tag, then line, then name."""
        if case.scenario_name is None and not case.tags and not case.line:
            return self._by_junit_name(case)  # no tag or line to try, and a JUnit name needs no feature file
        in_file = self._in_file(case.feature_uri or (case.file if (case.file or "").endswith(".feature") else None))
        found = self._by_tag(case, in_file)
        if found is not None:
            return found
        found = self._by_line(case, in_file)
        if found is not None:
            return found
        return self._by_name(case, in_file)

    def match_all(self, cases: Iterable[CaseResult]) -> list[Match]:
        """``match`` of every case, in order. Most tests of a large JUnit report are unit tests: a classname that
        names no feature (known after its first test) and a name that is no pytest-bdd scenario's. Those are
        decided here, without the calls ``match`` goes through per test."""
        classnames, pytest = self._classnames, self._by_pytest
        out: list[Match] = []
        append = out.append
        for case in cases:
            if (not classnames.get(case.classname, True) and case.scenario_name is None and not case.tags
                    and not case.line):
                name = case.name
                name = " ".join(name.split()) if name else ""  # _norm, inline: this loop runs per test
                # _pytest_candidates' first look-ups, inline: a unit test is no pytest-bdd scenario
                if len(name) > FUZZY_NAME_LIMIT:
                    append(_UNMATCHED)
                    continue
                base = name.partition("[")[0]
                if " - " in name:  # the engine's long name carries its feature (Surefire 3.5.4+)
                    found = self._long_candidates(name)
                    if found:
                        append(_chosen({(s.key, row): s for s, row in found}))
                        continue
                if not name.startswith("test_") or (base not in pytest and (
                        # _numbered_in, inline (this loop runs per test): the stem looked up first, as it fails first
                        (stem := base.rpartition("_"))[0] not in pytest or not stem[1] or not stem[2].isdigit())):
                    append(_UNMATCHED)
                    continue
                found = self._pytest_candidates(name)
                append(_chosen({(s.key, row): s for s, row in found}) if found else _UNMATCHED)
            else:
                append(self.match(case))
        return out

    def _in_file(self, uri: str | None) -> list[ScenarioRef] | None:
        """The scenarios of the feature file a runner named, in whichever form (``uris.FeaturePaths.resolve``:
        ``classpath:``, ``file:``, relative to another folder, an absolute path of the CI machine)."""
        if not uri:
            return None
        return self._by_path.get(self.paths.resolve(uri))

    def _by_tag(self, case: CaseResult, in_file: list[ScenarioRef] | None) -> Match | None:
        for tag in case.tags:
            if not self._id.fullmatch(tag):
                continue
            candidates = self._by_number.get(tag, [])
            if len(candidates) > 1 and in_file is not None:
                candidates = [s for s in candidates if s in in_file]
            if len(candidates) == 1:
                scenario = candidates[0]
                return Match(scenario, self._row(scenario, case), "tag")
        return None

    def _by_line(self, case: CaseResult, in_file: list[ScenarioRef] | None) -> Match | None:
        """The scenario (or outline row) at the result's line. Not when the report names the scenario otherwise:
        the lines known may not be those the runner saw (a commit no sync recorded, a scenario moved without a
        change of its own), and a line is never trusted over the name the report gives; the name rule decides.
        Two scenarios at the line (one file's scenarios of two features: read at the commit and as they are) that
        the name does not tell apart are ambiguous: neither is guessed."""
        if in_file is None or not case.line:
            return None
        found: dict[object, tuple[ScenarioRef, str | None]] = {}
        for scenario in in_file:
            if scenario.line == case.line:
                found.setdefault(scenario.key, (scenario, self._row(scenario, case)))
            for row in scenario.rows:
                if row.line == case.line:
                    found.setdefault(scenario.key, (scenario, row.ident))
        named = [(scenario, row) for scenario, row in found.values() if self._named(scenario, case)]
        if len(named) > 1:
            return Match(ambiguous=True)
        return Match(named[0][0], named[0][1], "line") if named else None

    def _named(self, scenario: ScenarioRef, case: CaseResult) -> bool:
        """Whether the report's scenario name (when it gives one) is a name of ``scenario``: its title, with its
        rule, or as one of its rows fills it in (Cucumber names outline rows so)."""
        name = _norm(case.scenario_name)
        if not name:
            return True
        known = self._junit_names.get(id(scenario))
        if known is None:
            known = self._junit_names[id(scenario)] = _JunitNames(scenario)
        return name in known.filled()

    def _by_name(self, case: CaseResult, in_file: list[ScenarioRef] | None) -> Match:
        if case.scenario_name is None:
            return self._by_junit_name(case)
        candidates: dict[tuple[object, str | None], ScenarioRef] = {}
        # Cucumber JSON / Messages: feature and scenario names
        pool = in_file if in_file is not None else self._by_feature_name.get(_norm(case.feature_name), [])
        if in_file is not None and case.feature_name:
            pool = [s for s in pool if _norm(s.feature_name) == _norm(case.feature_name)] or pool
        for s in pool:
            if _norm(s.title) == _norm(case.scenario_name):
                candidates[(s.key, self._row(s, case))] = s
        return _chosen(candidates)

    def _by_junit_name(self, case: CaseResult) -> Match:
        found = self._junit_candidates(case)
        if not found:
            return _UNMATCHED  # most tests of a large report: unit tests, which name no scenario
        return _chosen({(s.key, row): s for s, row in found})

    def _junit_candidates(self, case: CaseResult) -> list[tuple[ScenarioRef, str | None]]:
        name = _norm(case.name)
        # behave: classname "<dotted path>.<Feature>"; Cucumber's formatter: classname "<Feature>".
        features = self._classnames.get(case.classname)
        if features is None:  # thousands of unit tests share a few classnames
            classname = _norm(case.classname)
            by_name = self._by_feature_name
            features = [] if len(classname) > FUZZY_NAME_LIMIT else [
                _in_path(by_name[c], prefix) for prefix, c in _suffixes(classname, self._feature_lengths)
                if c in by_name]
            self._classnames[case.classname] = features
        if len(name) > FUZZY_NAME_LIMIT:
            return []
        if features:
            found = self._named_in(features, _JunitName(name))
            # A classname that names a feature, and a name that names none of its scenarios: the name may still be
            # the engine's long one (Surefire up to 3.5.3 writes the parent's long name as the classname).
            return found or self._long_candidates(name)
        return self._long_candidates(name) or self._pytest_candidates(name)

    def _named_in(
        self, features: Iterable[list[ScenarioRef]], parsed: _JunitName,
    ) -> list[tuple[ScenarioRef, str | None]]:
        """The scenarios of ``features`` (and their rows) that ``parsed`` names (its row forms, read once for all
        the features' scenarios)."""
        found: list[tuple[ScenarioRef, str | None]] = []
        names = self._junit_names
        for scenarios in features:
            for s in scenarios:
                known = names.get(id(s))
                if known is None:
                    known = names[id(s)] = _JunitNames(s)
                row = known.row(parsed)
                if row is None or isinstance(row, str):
                    found.append((s, row))
        return found

    def _long_candidates(self, name: str) -> list[tuple[ScenarioRef, str | None]]:
        """cucumber-junit-platform-engine's ``long`` naming strategy: ``<feature> - [<rule> - ]<scenario>``, rows
        ``<feature> - [<rule> - ]<outline> - <examples> - Example #1.2``. Surefire 3.5.4 and later write it with the
        classname of the ``@Suite`` class (or ``Cucumber``), which names no feature: the feature is the name's
        start. Feature names may hold " - " too: every split is tried, and what several fit is ambiguous."""
        if " - " not in name:
            return []
        found: list[tuple[ScenarioRef, str | None]] = []
        lengths, longest = self._feature_lengths, self._longest_feature
        at = name.find(" - ")
        while 0 <= at <= longest:  # each separator once; the name cut only where a feature name's length ends
            if at in lengths and (scenarios := self._by_feature_name.get(name[:at])):
                found += self._named_in((scenarios,), _JunitName(name[at + 3 :]))
            at = name.find(" - ", at + 1)
        return found

    def _pytest_candidates(self, name: str) -> list[tuple[ScenarioRef, str | None]]:
        """pytest-bdd: ``test_<scenario name>[<row values>]``, ``_1`` appended for a repeated name (``name``
        normalized)."""
        if not name.startswith("test_"):
            return []
        base, bracket, rest = name.partition("[")
        named = self._by_pytest.get(base)
        if not named:
            named = self._by_pytest.get(base.rpartition("_")[0]) if _numbered_in(base, self._by_pytest) else None
            if not named:
                return []
        params = rest[:-1] if bracket and rest.endswith("]") else None
        return [(s, _params_row(s, params)) for s in named]

    @staticmethod
    def _row(scenario: ScenarioRef, case: CaseResult) -> str | None:
        """The outline row a result ran, from its line or (pytest-bdd) the row values in its name."""
        if not scenario.rows:
            return None
        for row in scenario.rows:
            if case.line and row.line == case.line:
                return row.ident
        return _params_row(scenario, _bracketed(case.name or ""))


_UNMATCHED = Match()


def _chosen(candidates: dict[tuple[object, str | None], ScenarioRef]) -> Match:
    """The match among (scenario key, row) candidates: one scenario, its most specific row; several: ambiguous."""
    scenarios = {key for key, _ in candidates}
    if len(scenarios) == 1:
        (_key, row), scenario = max(candidates.items(), key=lambda item: item[0][1] is not None)
        return Match(scenario, row, "name")
    return Match(ambiguous=len(scenarios) > 1) if scenarios else _UNMATCHED


def _numbered_in(base: str, names: dict[str, list[ScenarioRef]]) -> bool:
    """Whether ``base`` is ``<name>_<digits>`` with ``<name>`` in ``names`` (pytest-bdd's repeated names)."""
    stem, underscore, digits = base.rpartition("_")
    return bool(underscore) and digits.isdigit() and stem in names


def _suffixes(classname: str, lengths: Container[int]) -> Iterator[tuple[str, str]]:
    """``a.b.Feature name`` → (the part before, the rest) for the whole name and every part after a dot (feature
    names may contain dots), in that order; only the rests whose length is in ``lengths`` (those of the feature
    names), each cut when reached: a classname of n dots is not n copies of itself."""
    if not classname:
        return
    size = len(classname)
    yield "", classname
    at = classname.find(".")
    while at >= 0:
        if size - at - 1 in lengths:
            yield classname[:at], classname[at + 1 :]
        at = classname.find(".", at + 1)


def _in_path(scenarios: list[ScenarioRef], prefix: str) -> list[ScenarioRef]:
    """The scenarios of a feature name whose file the part of a behave classname before it names: behave writes
    ``<path>.<Feature>``, the feature file's path relative to the features folder without ``.feature`` and with dots
    for its separators (``rule_2``, ``shop.cart``), so that two files whose features share a name are told apart.
    The path read as such a tail of the scenario's file (the folder it is relative to varies); a prefix that names
    none of the files (not behave's, or a file not known) leaves them all."""
    if not prefix or len({s.path for s in scenarios}) < 2:
        return scenarios
    named = [s for s in scenarios if s.path and _dotted_tail(s.path, prefix)]
    return named or scenarios


def _dotted_tail(path: str, prefix: str) -> bool:
    """Whether ``prefix`` is the end of ``path`` written behave's way (``features/shop/cart.feature``: ``cart``,
    ``shop.cart``, ``features.shop.cart``)."""
    stem = normalize_path(path)
    stem = stem[: -len(".feature")] if stem.endswith(".feature") else stem
    dotted = _norm(stem.replace("/", "."))
    return dotted == prefix or dotted.endswith("." + prefix)


def _params_row(scenario: ScenarioRef, params: str | None) -> str | None:
    """The row of ``scenario`` whose values pytest-bdd's test id names (``test_add[2-3]``: ``params`` "2-3")."""
    if not params:
        return None
    rows = _rows_named(scenario, params)
    if rows or not params.isascii():
        return rows[0].ident if len(rows) == 1 else None
    # pytest escapes what is not printable ASCII (``café``: ``caf\xe9``, as ``_pytest.compat.ascii_escaped``), and
    # makes a repeated id unique with a counter (``a0``, ``a1``; ``1_0``, ``1_1`` after a digit): the counter is
    # the row's place among the rows of that id.
    name = _unescaped(params)
    if name is not None and name != params and (rows := _rows_named(scenario, name)):
        return rows[0].ident if len(rows) == 1 else None
    unique = _pytest_counter(params)
    if unique is None:
        return None
    base, place = unique
    for candidate in ((base[:-1], base) if base.endswith("_") and base[-2:-1].isdigit() else (base,)):
        name = _unescaped(candidate)
        rows = _rows_named(scenario, name) if name is not None else []
        if len(rows) > 1:
            return rows[place].ident if place is not None and place < len(rows) else None
    return None


def _pytest_counter(params: str) -> tuple[str, int | None] | None:
    """A pytest id (ASCII) made unique: (the id, its counter: all the digits at the end), or None (no digit at the
    end). The counter is None when it is past any row's place (more than 18 digits once its leading zeros go: ``int``
    refuses 4,300). One scan from the end: a regex ``(.*?)(\\d+)`` retried each start in a long run of digits."""
    base = params.rstrip("0123456789")
    if len(base) == len(params):
        return None
    digits = params[len(base) :].lstrip("0")
    return base, (int(digits or "0") if len(digits) <= 18 else None)


def _bracketed(name: str) -> str | None:
    """The row values of a pytest id, ``test_add[2-3]`` → ``2-3``: what ``re.search(r"\\[(.*)\\]$", name)``
    captures (from the first ``[`` of the last line to a ``]`` ending the name, or before its final newline), found
    by two scans rather than the regex's scan to the end from every ``[``."""
    text = name[:-1] if name.endswith("\n") else name
    if not text.endswith("]"):
        return None
    end = len(text) - 1
    opening = text.find("[", text.rfind("\n", 0, end) + 1, end)
    return text[opening + 1 : end] if opening >= 0 else None


def _rows_named(scenario: ScenarioRef, params: str) -> list[Row]:
    return [row for row in scenario.rows if "-".join(row.cells) == params]


def _unescaped(params: str) -> str | None:
    """A pytest id with pytest's escapes undone (``\\xe9``, ``\\u2028``, ``\\U0001f600``, ``\\n``, ``\\\\``),
    or None: not escapes of pytest's (a lone backslash at the end)."""
    if "\\" not in params:
        return params
    try:
        return params.encode("ascii").decode("unicode_escape")
    except UnicodeDecodeError:
        return None


@functools.cache
def _examples_keywords() -> frozenset[str]:
    """The Examples keywords of every Gherkin language (gherkin-official's dialects): the scenarios do not keep the
    keyword an unnamed Examples block was written with, and a keyword of any language is no name of the project's."""
    from gherkin.dialect import DIALECTS

    return frozenset(_norm(k) for spec in DIALECTS.values() for k in spec["examples"])


class _JunitName:
    """A JUnit test name, normalized, and what it reads as under behave's and Cucumber's row naming (None: not
    that form): (the name before the row, the row ident)."""

    __slots__ = ("behave", "cucumber", "engine", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        behave = _BEHAVE_ROW.match(name)
        self.behave = (_norm(behave.group("name")), behave.group("row")) if behave else None
        cucumber = _CUCUMBER_ROW.match(name)
        self.cucumber = (_norm(cucumber.group("base")), cucumber.group("row")) if cucumber else None
        self.engine = bool(cucumber and cucumber.group("engine"))  # "Example #1.2": cucumber-junit-platform-engine


class _JunitNames:
    """The names a JUnit runner can give scenario ``s``, made once per scenario (not once per test that may name
    it): its plain names (title, ``<rule> - <title>``), the titles of its rows filled in (behave; made on first
    use), and each row ident's examples name (the first row of that ident, as a scan of ``s.rows`` finds it)."""

    __slots__ = ("_filled", "_pickles", "examples", "plain", "scenario")

    def __init__(self, s: ScenarioRef) -> None:
        title = _norm(s.title)
        self.scenario = s
        self.plain = frozenset({title} | ({f"{_norm(s.rule)} - {title}"} if s.rule else set()))
        self.examples: dict[str, str] = {}
        for r in s.rows:
            self.examples.setdefault(r.ident, r.examples_name)
        self._filled: frozenset[str] | None = None
        self._pickles: dict[str, list[Row]] | None = None

    def filled(self) -> frozenset[str]:
        """The plain names and the title as each row fills it in (behave names rows so)."""
        if self._filled is None:
            s = self.scenario
            self._filled = self.plain | {_norm(r.fill(s.title)) for r in s.rows}
        return self._filled

    def row(self, parsed: _JunitName) -> str | None | bool:
        """The row the name denotes for this scenario (None: the scenario itself), or False: not this scenario."""
        if parsed.name in self.plain:
            return None
        if parsed.behave is not None and parsed.behave[0] in self.filled():
            row = parsed.behave[1]
            return row if row in self.examples else False
        if parsed.cucumber is not None:
            base, row = parsed.cucumber
            examples = self.examples.get(row)
            if examples is None:
                return False
            if base in self.plain:
                return row
            if examples:
                named = _norm(examples)
                return row if any(base == f"{plain} - {named}" for plain in self.plain) else False
            # The engine names an unnamed Examples block by its keyword (``Examples``, ``Scenarios``, or the
            # feature's language's, ``GherkinMessagesExamples``/``nameOrKeyword``).
            return row if parsed.engine and self._keyword_after(base) else False
        if " - " in parsed.name and self.scenario.rows:
            return self._pickle_row(parsed.name)
        return False

    def _keyword_after(self, base: str) -> bool:
        """Whether ``base`` is one of the plain names, " - ", then an Examples keyword of a Gherkin language."""
        return any(base.startswith(plain + " - ") and base[len(plain) + 3 :] in _examples_keywords()
                   for plain in self.plain)

    def _pickle_row(self, name: str) -> str | None | bool:
        """The engine's ``example-name=pickle``: ``<outline> - <examples> - <pickle name>``, the pickle name being
        the title as the row fills it in. Rows that share a pickle name (an outline without placeholders) cannot be
        told apart: the scenario, without a row."""
        if self._pickles is None:
            self._pickles = defaultdict(list)
            for r in self.scenario.rows:
                self._pickles[_norm(r.fill(self.scenario.title))].append(r)
        fitting: set[str] = set()
        for filled, rows in self._pickles.items():
            if not name.endswith(" - " + filled):
                continue
            base = name[: -len(filled) - 3]
            for r in rows:
                named = _norm(r.examples_name)
                if (any(base == f"{plain} - {named}" for plain in self.plain) if named
                        else self._keyword_after(base)):
                    fitting.add(r.ident)
        if not fitting:
            return False
        return fitting.pop() if len(fitting) == 1 else None
