"""Mapping a hostile report's names costs about linear time and memory in their length (hostile-input audit):

- (a) a pytest-bdd row id ending in a long run of digits (``[111…1a]``) was a regex ``(.*?)(\\d+)`` retried from
  every start: quadratic; a counter of more than 4,300 digits was an internal error (``int``);
- (b) a classname of n dots was every suffix copied (n²/2 bytes: 100,000 dots, a MemoryError at 3 GB);
- (c) a name of n ``" - "`` was cut before every separator (quadratic);
- the same class elsewhere: ``re.search(r"\\[(.*)\\]$")`` on a name of many ``[`` (the row of a tag or line match),
  ``normalize_path`` on many ``./``, a feature file's longest known tail after many ``/``, a JUnit ``line`` of 5,000
  digits (an internal error).

Linearity is shown by counting (the characters looked up, the memory built) where Python code does the work; where
a regex did, a subprocess must finish a 200 KB name far within the time the old code needed for a tenth of it.
Each fix is compared with the old code on generated realistic names (hypothesis). The fixes are tested with the
4 KiB cap (``FUZZY_NAME_LIMIT``) lifted, so that the cap does not hide them; the cap has its own tests.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tracemalloc
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracertm.results import junit, mapping
from tracertm.results.mapping import ScenarioIndex, _JunitName, _params_row
from tracertm.results.report import CaseResult, normalize_path
from tracertm.results.scenarios import Row, ScenarioRef
from tracertm.results.uris import FeaturePaths

ROOT = Path(__file__).resolve().parents[2]


def _scenario(feature: str, title: str, rows: tuple[tuple[str, ...], ...] = (), key: Any = None,
              path: str | None = "features/a.feature", examples: str = "") -> ScenarioRef:
    return ScenarioRef(
        key=key or (feature, title), number="SC-1", feature_number="FEAT-1", feature_name=feature, path=path,
        title=title, rule=None, line=3,
        rows=tuple(Row(f"1.{i}", 10 + i, cells, examples, ("n",)) for i, cells in enumerate(rows, start=1)),
    )


def _case(name: str, classname: str | None = None, **kw: Any) -> CaseResult:
    return CaseResult(external_id=f"{classname}::{name}", name=name, status="passed", classname=classname, **kw)


@pytest.fixture
def no_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mapping, "FUZZY_NAME_LIMIT", 10**9, raising=False)


class _Counting(dict[str, Any]):
    """A dict that counts the characters of the keys looked up in it (the cost of cutting and hashing them)."""

    looked_up = 0

    def get(self, key: Any, default: Any = None) -> Any:
        self.looked_up += len(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.looked_up += len(key) if isinstance(key, str) else 0
        return super().__contains__(key)


def _counting(index: ScenarioIndex) -> _Counting:
    counting = _Counting(index._by_feature_name)
    index._by_feature_name = counting
    return counting


def _finishes(code: str, seconds: float = 60) -> None:
    """``code`` run in a fresh interpreter (a regex holds the GIL: no thread can time it out) ends in ``seconds``."""
    prelude = "from tracertm.results import mapping\nmapping.FUZZY_NAME_LIMIT = 10**9\n"
    try:
        done = subprocess.run([sys.executable, "-c", prelude + code], cwd=ROOT, timeout=seconds, capture_output=True,
                              text=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {seconds} s (super-linear)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok", done.stdout


# --------------------------------------------------------------------------------- (a) pytest-bdd row counters

LEDGER = _scenario("Ledger", "Journal entries must balance", rows=(("1",), ("1",), ("2",)))


def test_a_long_run_of_digits_in_a_row_id_maps_in_linear_time() -> None:
    # The old regex: 6.1 s for 20,000 digits, 46.5 s for 60,000; 200,000 would take about ten minutes.
    _finishes(
        "from tracertm.results.scenarios import Row, ScenarioRef\n"
        "rows = tuple(Row(f'1.{i}', None, ('1',), '', ('n',)) for i in (1, 2))\n"
        "s = ScenarioRef('k', 'SC-1', 'FEAT-1', 'Ledger', None, 'Journal entries must balance', None, 3, rows)\n"
        "index = mapping.ScenarioIndex([s])\n"
        "for params in ('1' * 200_000 + 'a', '[' * 1000 + '1' * 200_000 + 'a'):\n"
        "    assert mapping._params_row(s, params) is None\n"
        "name = 'test_journal_entries_must_balance[' + '1' * 200_000 + 'a]'\n"
        "found = index.match_all([mapping.CaseResult('i', name, 'passed', classname='t')])[0]\n"
        "assert (found.scenario, found.row) == (s, None)  # the outline, no row\n"
        "print('ok')\n"
    )


def test_a_row_counter_of_thousands_of_digits_is_no_row_and_no_error() -> None:
    assert _params_row(LEDGER, "1" * 5000) is None  # int() refuses over 4,300 digits
    assert _params_row(LEDGER, "1_" + "0" * 5000 + "1") == "1.2"  # leading zeros: the counter 1
    assert _params_row(LEDGER, "1_" + "9" * 19) is None


_OLD_COUNTER = re.compile(r"(?P<id>.*?)(?P<n>\d+)", re.DOTALL)


def _old_params_row(scenario: ScenarioRef, params: str | None) -> str | None:
    """``mapping._params_row`` before the fix (its regex), to compare."""
    if not params:
        return None
    rows = mapping._rows_named(scenario, params)
    if rows or not params.isascii():
        return rows[0].ident if len(rows) == 1 else None
    name = mapping._unescaped(params)
    if name is not None and name != params and (rows := mapping._rows_named(scenario, name)):
        return rows[0].ident if len(rows) == 1 else None
    unique = _OLD_COUNTER.fullmatch(params)
    if unique is None:
        return None
    base, place = unique["id"], int(unique["n"])
    for candidate in ((base[:-1], base) if base.endswith("_") and base[-2:-1].isdigit() else (base,)):
        name = mapping._unescaped(candidate)
        rows = mapping._rows_named(scenario, name) if name is not None else []
        if len(rows) > 1:
            return rows[place].ident if place < len(rows) else None
    return None


_CELL = st.sampled_from(["1", "2", "10", "a", "a0", "x_1", "caf\xe9", "b\\", "", "1-2", "0"])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # unicode_escape of "\\-": pytest's ids, as before
@settings(max_examples=300, deadline=None)
@given(cells=st.lists(st.tuples(_CELL, _CELL), min_size=1, max_size=5), suffix=st.sampled_from(
    ["", "0", "1", "2", "_0", "_1", "00", "01", "7", "_10"]), pick=st.integers(0, 4),
    noise=st.text("0123456789_-a\\x", max_size=8))
def test_row_ids_map_as_before(cells: list[tuple[str, str]], suffix: str, pick: int, noise: str) -> None:
    scenario = _scenario("F", "Outline", rows=tuple(cells))
    row_id = "-".join(cells[pick % len(cells)])
    for params in (row_id + suffix, row_id.encode("unicode_escape").decode() + suffix, noise, row_id + noise):
        assert _params_row(scenario, params) == _old_params_row(scenario, params), params


@settings(max_examples=300, deadline=None)
@given(st.text("0123456789a_-\n\\", max_size=30))
def test_the_counter_is_read_as_the_regex_read_it(params: str) -> None:
    old = _OLD_COUNTER.fullmatch(params)
    place = int(old["n"]) if old else 0
    assert mapping._pytest_counter(params) == ((old["id"], place if place < 10**18 else None) if old else None)


# ------------------------------------------------------- the row values of a tag or line match ([...] at the end)

def test_a_name_of_many_brackets_is_read_in_linear_time() -> None:
    # re.search(r"\[(.*)\]$"): 2.7 s for 20,000 "[", so about 270 s for 200,000.
    _finishes("assert mapping._bracketed('[' * 200_000) is None\n"
              "assert mapping._bracketed('[' * 200_000 + ']') == '[' * 199_999\nprint('ok')\n")


@settings(max_examples=500, deadline=None)
@given(st.text("[]\n a1-", max_size=30))
def test_the_bracketed_row_values_are_the_regexs(name: str) -> None:
    old = re.search(r"\[(.*)\]$", name)
    assert mapping._bracketed(name) == (old.group(1) if old else None)


def test_a_line_match_still_reads_the_row_values() -> None:
    index = ScenarioIndex([LEDGER])
    case = _case("test_journal_entries_must_balance[2]", "t", file="features/a.feature", line=3)
    assert (index.match(case).row, index.match(case).rule) == ("1.3", "line")


# ------------------------------------------------------------------------------------------ (b) classnames of dots

CART = _scenario("Shopping cart", "Add an item")


def test_a_classname_of_many_dots_builds_no_copy_per_dot(no_cap: None) -> None:
    index = ScenarioIndex([CART, _scenario("a.b", "x", key="ab"), _scenario("." * 50, "y", key="dots")])
    counting = _counting(index)
    classname = "." * 4000
    tracemalloc.start()
    try:
        assert not index.match(_case("Add an item", classname)).scenario
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Before: every suffix copied, 4000²/2 = 8 MB (100,000 dots: 5 GB); now a few copies of the name.
    assert peak < 1_000_000, peak
    assert counting.looked_up <= 2 * len(classname) + 200, counting.looked_up


def test_suffixes_are_cut_only_at_a_feature_names_length() -> None:
    classname = "." * 100_000
    assert sum(len(p) + len(c) for p, c in mapping._suffixes(classname, {3, 50})) == 3 * len(classname) - 2
    assert list(mapping._suffixes("a.b.Shop.cart", {9})) == [("", "a.b.Shop.cart"), ("a.b", "Shop.cart")]


def _old_suffixes(classname: str) -> list[tuple[str, str]]:
    if not classname:
        return []
    return [("", classname)] + [(classname[:i], classname[i + 1 :]) for i, c in enumerate(classname) if c == "."]


_PART = st.sampled_from(["a", "b", "Shop", "cart", "", " ", "Cart x"])


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_PART, max_size=6), names=st.lists(st.lists(_PART, min_size=1, max_size=3), max_size=4))
def test_suffixes_naming_a_feature_are_as_before(parts: list[str], names: list[list[str]]) -> None:
    classname = ".".join(parts)
    features = {".".join(n) for n in names}
    assert [s for s in mapping._suffixes(classname, {len(f) for f in features}) if s[1] in features] == [
        s for s in _old_suffixes(classname) if s[1] in features]


def test_behave_classnames_still_name_their_feature() -> None:
    a = _scenario("Shop.cart", "Add", path="features/x/a.feature", key="a")
    b = _scenario("Shop.cart", "Add", path="features/y/b.feature", key="b")
    index = ScenarioIndex([a, b])
    assert index.match(_case("Add", "y.b.Shop.cart")).scenario == b
    assert index.match(_case("Add", "Shop.cart")).ambiguous


# ------------------------------------------------------------------------------ (c) names of many " - " separators

def test_a_name_of_many_separators_is_cut_only_at_a_feature_names_length(no_cap: None) -> None:
    index = ScenarioIndex([CART, _scenario("Returns - Back", "Send", key="r"), _scenario("", "z", key="e")])
    counting = _counting(index)
    name = " - " * 20_000
    assert not index.match(_case(name, "RunCucumberTest")).scenario
    assert not index.match_all([_case(name, "RunCucumberTest")])[0].scenario
    # Before: name[:at] at each of the 20,000 separators, 6·10^8 characters; now only at the lengths 0, 13 and 14.
    assert counting.looked_up <= 2 * (13 + 14 + 10), counting.looked_up


class _OldIndex(ScenarioIndex):
    def _long_candidates(self, name: str) -> list[tuple[ScenarioRef, str | None]]:
        if " - " not in name:
            return []
        found: list[tuple[ScenarioRef, str | None]] = []
        at = name.find(" - ")
        while at >= 0:
            scenarios = self._by_feature_name.get(name[:at])
            if scenarios:
                found += self._named_in((scenarios,), _JunitName(name[at + 3 :]))
            at = name.find(" - ", at + 1)
        return found


_WORD = st.sampled_from(["Returns", "Back", "Send", "Returns - Back", "Add", "x", "", "Example #1.1", "#1.2"])


@settings(max_examples=300, deadline=None)
@given(features=st.lists(st.tuples(_WORD, _WORD), min_size=1, max_size=5), parts=st.lists(_WORD, max_size=6))
def test_long_names_map_as_before(features: list[tuple[str, str]], parts: list[str]) -> None:
    refs = [_scenario(f, t, rows=(("1",), ("2",)) if i % 2 else (), key=i, examples="small")
            for i, (f, t) in enumerate(features)]
    name = " - ".join(parts)
    new, old = ScenarioIndex(refs), _OldIndex(refs)
    case = _case(name, "RunCucumberTest")
    assert new._long_candidates(name) == old._long_candidates(name)
    assert new.match(case) == old.match(case)
    assert new.match_all([case, case]) == old.match_all([case, case])


# ----------------------------------------------------------------------------------------------- the 4 KiB cap

def test_a_name_over_the_cap_is_matched_by_no_runners_naming() -> None:
    long_title = "step " * 900  # 4,500 characters
    index = ScenarioIndex([CART, _scenario("Shopping cart", long_title.strip(), key="long")])
    assert index.match(_case("Shopping cart - Add an item", "RunCucumberTest")).scenario == CART
    assert not index.match(_case("Shopping cart - " + long_title, "RunCucumberTest")).scenario
    assert not index.match_all([_case("x", "C"), _case("Shopping cart - " + long_title, "C")])[1].scenario
    assert not index.match(_case("Add an item", "x." * 2100 + "Shopping cart")).scenario
    assert index.match(_case("Add an item", "x." * 2000 + "Shopping cart")).scenario == CART


# ------------------------------------------------------------------------------ feature file paths, JUnit lines

def test_normalize_path_of_many_dot_slashes_is_linear() -> None:
    # One copy of the path per "./" before: 0.46 s for 100,000, about 200 s for 2,000,000.
    _finishes("from tracertm.results.report import normalize_path\n"
              "assert normalize_path('./' * 2_000_000 + 'a.feature') == 'a.feature'\nprint('ok')\n")


@settings(max_examples=300, deadline=None)
@given(st.text("./:\\afiles", max_size=20))
def test_normalize_path_is_as_before(path: str) -> None:
    old = path.replace("\\", "/")
    old = old[7:] if old.startswith("file://") else old[5:] if old.startswith("file:") else old
    old = old.removeprefix("classpath:")
    while old.startswith("./"):
        old = old[2:]
    assert normalize_path(path) == old


class _CountingSet(frozenset[str]):
    looked_up = 0

    def __contains__(self, key: object) -> bool:
        type(self).looked_up += len(key) if isinstance(key, str) else 0
        return super().__contains__(key)


def test_the_longest_known_tail_of_a_path_of_many_slashes_is_found_in_linear_time() -> None:
    paths = FeaturePaths(["features/a.feature", "src/features/b.feature"])
    paths.paths = _CountingSet(paths.paths)
    _CountingSet.looked_up = 0
    path = "/" * 20_000 + "features/a.feature"
    assert paths.resolve(path) == "features/a.feature"
    assert paths.resolve("/" * 20_000 + "q.feature") == "/" * 20_000 + "q.feature"
    assert _CountingSet.looked_up <= 4 * len(path), _CountingSet.looked_up  # before: 2·10^8


def _old_resolve_tail(known: frozenset[str], path: str) -> str:
    for position, char in enumerate(path):
        if char == "/" and path[position + 1 :] in known:
            return path[position + 1 :]
    return path


@settings(max_examples=300, deadline=None)
@given(known=st.lists(st.text("ab/", min_size=1, max_size=6), min_size=1, max_size=4),
       path=st.text("ab/", max_size=12))
def test_the_longest_tail_is_as_before(known: list[str], path: str) -> None:
    paths = FeaturePaths(known)
    if path in paths.paths or paths._tails.get(path):
        return  # decided before the tails are tried
    assert paths.resolve(path) == _old_resolve_tail(paths.paths, path)


def test_a_junit_line_of_thousands_of_digits_is_absent() -> None:
    data = ('<testsuite><testcase classname="c" name="n" line="' + "4" * 5000 + '"/>'
            '<testcase classname="c" name="m" line="0007"/></testsuite>').encode()
    assert [c.line for c in junit.parse("r.xml", data).cases] == [None, 7]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text("0123456789²٣a-", max_size=25)))
def test_junit_lines_are_read_as_before(line: str | None) -> None:
    readable = line and line.isascii() and line.isdigit() and len(line.lstrip("0")) <= 18  # (no file has a longer line)
    assert junit._line(line) == (int(line) if readable else None)


def test_defaultdict_lookups_add_no_feature_names() -> None:
    index = ScenarioIndex([CART])
    assert isinstance(index._by_feature_name, defaultdict)
    index.match_all([_case("Nope - Add an item", "a.b.Nope"), _case("Add an item", "x.Shopping cart")])
    assert set(index._by_feature_name) == {"Shopping cart"}
