"""Matching scenario steps in the parse workers, while the features parse, instead of in sync's own process after.

A sync that parses every step file of its source and some feature files parses the step files first (they are few
and small), then hands the feature parse a ``StepMatcher`` as its ``prepare`` callable (``engine.parse.parse_one``):
the definitions are compiled and indexed once per process (cached by their digest; in the sync's own process before
the workers fork, so that they inherit the index, when the pool forks), and each parsed
feature file's result carries its scenarios' steps, packed as they are stored (``Prematched``,
``tracertm.steps.packed``), back to the parent, which only fills in the definitions' ids and writes them
(``tracertm.steps.links``).

The parent uses a file's rows only when the definitions and parameter types it would match against itself have the
same digest as the worker's, and no worker found a definition too slow to match (a definition skipped for that in one
process is not skipped in the other, so the outcome could depend on the order files were parsed in); otherwise it
matches as before. A worker's budget for a definition's matches in all is its share of ``bounded.TOTAL`` (divided by
the pool's workers): when no worker spends its share, the run spent less than ``TOTAL`` on that definition, and the
parent's index would not have skipped it either; when one does, the parent matches everything itself under the whole
of it, as ``check`` and ``tracertm steps`` do in one process — so their verdicts agree. Rows are the same either
way: both sides look up the same index — the parent through ``match_uses`` over ``scenario_uses``, a worker through
``match_steps`` over ``executed_steps`` (the same rows from plain tuples; tests hold the two equal).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from tracertm.parsers.records import ParseResult
from tracertm.steps import bounded
from tracertm.steps.behave_features import runs
from tracertm.steps.outline_fill import BEHAVE, PYTEST_BDD
from tracertm.steps.model import ParameterTypeDecl, StepDefinition
from tracertm.steps.packed import Packed, Row, pack
from tracertm.steps.lens import Lens, Lenses
from tracertm.steps.scenarios import (
    Executed, StepUse, _keyword_types, examples_tags, executed_steps, scenario_context, type_key,
)

# Per (step text, step type as ``scenarios.type_key`` gives it): the rows' (definition key or None, status, argument
# values) — outlines, Backgrounds and common phrasing repeat texts, so each is turned into rows once. A key is the
# definition row's id (hex digits) in the parent and the definition's identity in a worker (the rows do not exist
# yet there).
Verdict = tuple[tuple["str | None", str, "tuple[str | None, ...]"], ...]
# The attribute of a feature's ``ParseResult`` that carries its ``Prematched`` (a frozen dataclass has a __dict__:
# set with object.__setattr__, pickled with the result).
ATTRIBUTE = "step_matches"


class Scenario(NamedTuple):
    """One scenario's matching: its steps packed (``tracertm.steps.packed``; definitions named by identity), the line
    of the first step each definition alone matched, and how many steps got each verdict."""

    steps: Packed
    firsts: dict[str, int]
    statuses: dict[str, int]


class Prematched(NamedTuple):
    """A feature file's matching, done in a parse worker: per scenario number (the last of a duplicated number
    wins, as in ``links._records``), and the digest of the definitions it was matched against. ``slow``: a
    definition ran over its time budget in that worker (see the module docstring)."""

    digest: str
    scenarios: dict[str, Scenario]
    slow: bool


def digest(definitions: Iterable[StepDefinition], types: Iterable[ParameterTypeDecl], bindings: str = "",
           strip_colon: bool = False) -> str:
    """What decides every verdict: the definitions in index order, the declared parameter types in order,
    pytest-bdd's bindings (``pytest_bdd.Bindings.signature``; empty when nothing is bound) and whether behave's
    steps are matched without a trailing ":" (``behave_strip_trailing_colon``)."""
    if strip_colon:  # (only then: the digests of every other project stay as they were)
        return hashlib.sha256(repr((tuple(definitions), tuple(types), bindings, "strip_colon")).encode()).hexdigest()
    if bindings:
        return hashlib.sha256(repr((tuple(definitions), tuple(types), bindings)).encode()).hexdigest()
    return hashlib.sha256(repr((tuple(definitions), tuple(types))).encode()).hexdigest()


def verdict(matches: tuple[tuple[StepDefinition, tuple[str | None, ...]], ...], keys: Mapping[str, str] | None,
            status: str | None = None) -> Verdict:
    """The rows' (definition key, status, values) of one step's matches (``StepIndex.lookup_values``); ``keys``
    maps identities to keys (None: the identity is the key); ``status``: the verdict when it is not told by the
    number of matches (``StepIndex.bound_values``: a step defined by one definition per pytest-bdd module)."""
    if not matches:
        return _UNDEFINED
    if status is None:
        status = "defined" if len(matches) == 1 else "ambiguous"
    if keys is None:
        return tuple((d.identity, status, values) for d, values in matches)
    return tuple((keys[d.identity], status, values) for d, values in matches)


_UNDEFINED: Verdict = ((None, "undefined", ()),)


def match_uses(
    uses: list[StepUse], index: Any, keys: Mapping[str, str] | None, verdicts: dict[tuple[str, str], Verdict],
    statuses: dict[str, int], lens: Lens | None = None, row_lenses: Mapping[int, Lens] | None = None,
) -> tuple[list[Row], dict[str, int]]:
    """One scenario's rows and the line of the first step each definition alone matched; counts verdicts into
    ``statuses``. ``verdicts`` caches per (text, type) across scenarios. ``lens``: the scenario's, when it has one
    (``steps.lens``); ``row_lenses``: an outline row's own, by row line, where its Examples tags give it another
    (``Lenses.for_rows``)."""
    if lens is not None:
        return match_steps([(u.line, u.keyword, u.type, u.text, u.row_line) for u in uses], index, verdicts,
                           statuses, lens, keys, row_lenses)
    rows: list[Row] = []
    first_lines: dict[str, int] = {}
    for position, use in enumerate(uses):
        key = (use.text, type_key(use.type))
        found = verdicts.get(key)
        if found is None:
            found = verdicts[key] = verdict(index.lookup_values(use.text, use.type), keys)
        for definition, status, values in found:
            rows.append((definition, position, use.line, use.row_line, use.keyword, use.text, status, values))
        first, status, _ = found[0]
        statuses[status] = statuses.get(status, 0) + 1
        if status == "defined" and first is not None:
            line = first_lines.get(first)
            if line is None or use.line < line:
                first_lines[first] = use.line
    return rows, first_lines


def match_steps(
    steps: list[Executed], index: Any, verdicts: dict[tuple[str, str], Verdict], statuses: dict[str, int],
    lens: Lens | None = None, keys: Mapping[str, str] | None = None,
    row_lenses: Mapping[int, Lens] | None = None,
) -> tuple[list[Row], dict[str, int]]:
    """``match_uses`` of a scenario's ``executed_steps`` (definition keys are identities, or ``keys`` of them): the
    same rows, first lines and verdict counts, from plain tuples (see ``executed_steps``)."""
    if lens is not None:
        return _match_bound(steps, index, verdicts, statuses, lens, keys, row_lenses or {})
    rows: list[Row] = []
    append = rows.append
    first_lines: dict[str, int] = {}
    for position, (line, keyword, kind, text, row_line) in enumerate(steps):
        key = (text, type_key(kind))
        found = verdicts.get(key)
        if found is None:
            found = verdicts[key] = verdict(index.lookup_values(text, kind), None)
        for definition, status, values in found:
            append((definition, position, line, row_line, keyword, text, status, values))
        first, status, _ = found[0]
        statuses[status] = statuses.get(status, 0) + 1
        if status == "defined" and first is not None:
            known = first_lines.get(first)
            if known is None or line < known:
                first_lines[first] = line
    return rows, first_lines


def _match_bound(
    steps: list[Executed], index: Any, verdicts: dict[tuple[str, str], Verdict], statuses: dict[str, int],
    lens: Lens, keys: Mapping[str, str] | None, row_lenses: Mapping[int, Lens],
) -> tuple[list[Row], dict[str, int]]:
    """``match_steps`` of a scenario with a lens (``StepIndex.bound_values``): a defined step may name one
    definition per pytest-bdd module that runs it, each used (its first line kept). ``row_lenses``: the lens of an
    outline row whose Examples tags give it its own, by row line."""
    rows: list[Row] = []
    first_lines: dict[str, int] = {}
    for position, (line, keyword, kind, text, row_line) in enumerate(steps):
        here = row_lenses.get(row_line, lens) if row_lenses and row_line is not None else lens
        key = (text, type_key(kind) + here.key)
        found = verdicts.get(key)
        if found is None:
            status, matches = index.bound_values(text, kind, here)
            found = verdicts[key] = verdict(matches, keys, status)
        for definition, status, values in found:
            rows.append((definition, position, line, row_line, keyword, text, status, values))
            if status == "defined" and definition is not None:
                known = first_lines.get(definition)
                if known is None or line < known:
                    first_lines[definition] = line
        status = found[0][1]
        statuses[status] = statuses.get(status, 0) + 1
    return rows, first_lines


# The index of the last matcher used in this (worker) process: compiled once, not once per chunk of files.
_CACHE: dict[str, tuple[Any, dict[tuple[str, str], Verdict]]] = {}
# Verdicts of the cached index's localized indexes (``StepIndex.localized``), by the localized index's id: they live
# as long as the cached index that holds them, and go with it.
_LOCAL_VERDICTS: dict[int, dict[tuple[str, str], Verdict]] = {}
# The matcher made for workers that will be forked from this process (``matcher``), by key: a forked worker inherits
# it, so the matcher travels to it as its key alone (``StepMatcher.__reduce__``) instead of its 2,000 definitions
# pickled with every chunk, and the feature parse can use the small chunks of a streamed parse (``engine.parse``).
_FORKED: dict[str, StepMatcher] = {}


@dataclass(frozen=True)
class StepMatcher:
    """The ``prepare`` of a feature parse that matches steps (see the module docstring): picklable — plain
    definitions and parameter types; compiled in the process that runs it."""

    definitions: tuple[StepDefinition, ...]
    types: tuple[ParameterTypeDecl, ...]
    key: str
    lenses: Lenses | None = None  # when a scenario needs one (``steps.lens``: pytest-bdd bindings, Reqnroll scopes)
    jobs: int = 1  # the parse pool's workers: each gets ``share`` of a definition's time budget
    # behave's features folders (``lens.filling_folders``): their outlines' rows fill the Background too
    filling: frozenset[str] = frozenset()
    strip_colon: bool = False  # ``behave_strip_trailing_colon`` (``StepIndex.strip_colon``)

    @property
    def share(self) -> float:
        """Each worker's budget per definition, its matches in all (see the module docstring)."""
        return bounded.TOTAL / max(1, self.jobs)

    @property
    def by_reference(self) -> bool:
        """Whether this matcher is sent to forked workers as its key alone (see ``_FORKED``)."""
        return _FORKED.get(self.key) is self

    def __reduce__(self) -> tuple[Any, ...]:
        if self.by_reference:
            return (_inherited, (self.key,))
        return (StepMatcher, (self.definitions, self.types, self.key, self.lenses, self.jobs, self.filling,
                              self.strip_colon))

    def __call__(self, result: ParseResult) -> None:
        from tracertm.engine.parse import hash_records
        from tracertm.steps.packed import match_packed

        hash_records(result)
        if result.kind != "feature":
            return
        try:
            base, base_verdicts = self._index()
            scenarios: dict[str, Scenario] = {}
            lenses = self.lenses
            for feature in result.records:
                language = str(feature.fields.get("feature_metadata", {}).get("language") or "en")
                types = _keyword_types(language)
                # cucumber-jvm's number types follow the feature's language (``StepIndex.localized``): another
                # index then, with verdicts of its own (the same text may match there and not here).
                index = base.localized(language)
                verdicts = base_verdicts if index is base else _LOCAL_VERDICTS.setdefault(id(index), {})
                for child in feature.children:
                    statuses: dict[str, int] = {}
                    context = scenario_context(child, feature)
                    lens = lenses.for_scenario(result.path, *context) if lenses else None
                    # An outline without Examples rows runs as written where pytest-bdd modules run it.
                    written = lens is not None and lens.views is not None
                    # behave and pytest-bdd fill an outline row's values in their own ways (``outline_fill``).
                    runner = PYTEST_BDD if written else BEHAVE if self.filling and runs(result.path, self.filling) \
                        else ""
                    # Packed here, in the worker: the parent only puts the definitions' ids in (packed.fill).
                    if lens is None:  # ``pack`` of ``match_steps``'s rows, without the rows (``match_packed``)
                        steps = executed_steps(child, types, False, result.path, runner)
                        packed, firsts = match_packed(steps, index, verdicts, statuses)
                    else:
                        steps = executed_steps(child, types, written, result.path, runner)
                        # an outline row's Examples tags are its pickle's too (``StepUse.row_tags``)
                        tagged_rows = examples_tags(child, result.path)
                        own = lenses.for_rows(result.path, *context, tagged_rows) if lenses and tagged_rows else {}
                        rows, firsts = match_steps(steps, index, verdicts, statuses, lens, row_lenses=own)
                        packed = pack(rows)
                    scenarios[child.number] = Scenario(packed, firsts, statuses)
        except Exception:  # noqa: BLE001 - never the file's parse error: the parent matches this file as before
            return
        # ``base.slow``, not the loop's last index: a file with no feature (empty, only comments) binds none; the
        # localized indexes share ``base``'s slow definitions anyway (``StepIndex.localized``).
        object.__setattr__(result, ATTRIBUTE, Prematched(self.key, scenarios, bool(base.slow)))

    def _index(self, lazy: bool = True) -> tuple[Any, dict[tuple[str, str], Verdict]]:
        """This process's index of the definitions (and its verdict cache), built on first use. ``lazy``: each
        pattern is compiled when the index first offers it (``compile_matchable``) — in a worker that did not
        inherit the index (a pool that spawns its workers), which then compiles only what its files need; a
        parent about to fork workers compiles everything (``matcher``)."""
        cached = _CACHE.get(self.key)
        if cached is None:
            from tracertm.steps.expressions import compile_matchable
            from tracertm.steps.matching import StepIndex
            from tracertm.steps.parameter_types import Registries

            _CACHE.clear()
            _LOCAL_VERDICTS.clear()
            registries = Registries(self.types)
            index = StepIndex(compile_matchable(self.definitions, registries, lazy=lazy), registries,
                              strip_colon=self.strip_colon)
            index.total = self.share
            cached = _CACHE[self.key] = (index, {})
        return cached


def matcher(step_outcomes: Mapping[str, Any], start_method: str | None = None, jobs: int = 1,
            strip_colon: bool = False) -> StepMatcher | None:
    """The matcher of every step file of a source, from their parse outcomes (``StepParseResult``); None when one
    failed (its definitions then come from its stored rows: the parent matches). ``jobs``: the parse pool's workers.
    ``strip_colon``: ``behave_strip_trailing_colon`` (``StepIndex.strip_colon``).

    When the parse workers will be forked from this process (``start_method``: the pool's, None for the platform's
    default), the definitions are compiled here first: the workers inherit the compiled index instead of each
    compiling it again (about 0.1 s of CPU for the bench's 2,000 definitions). Not lazily: when every worker's
    files use most definitions (as the large bench corpus does), compiling in each forked worker on first use
    cost more CPU in all (measured before heads were split off the patterns: +0.35 s per worker against 0.25 s
    saved here, on 2 cores busy parsing) than the serial compile before the fork."""
    from tracertm.steps.records import StepParseResult

    files = []
    for path in sorted(step_outcomes):
        outcome = step_outcomes[path]
        if not isinstance(outcome, StepParseResult) or outcome.step_file is None:
            return None
        files.append(outcome.step_file)
    # In the order links.refresh sorts them, and its parameter types in file order; without the behave definitions
    # behave refuses to load, as links.refresh leaves them out (the same digest for the same files).
    from tracertm.steps.parameter_types import Registries
    from tracertm.steps.report import behave_refused

    types = tuple(t for f in files for t in f.parameter_types)
    found_definitions = sorted((d for f in files for d in f.definitions),
                               key=lambda d: (d.path, d.line, d.column, d.identity))
    refused = behave_refused(found_definitions, Registries(types), files)
    definitions = tuple(d for d in found_definitions if d.identity not in refused)
    from tracertm.steps.lens import Lenses

    lenses = Lenses({f.path: f for f in files})
    key = digest(definitions, types, lenses.verdicts_signature, strip_colon)
    found = StepMatcher(definitions, types, key, lenses or None, jobs, lenses.filling, strip_colon)
    cached = _CACHE.get(found.key)
    if cached is not None:  # an earlier run's index (a daemon's process): this run's budget starts afresh
        cached[0].budget(found.share)
    import multiprocessing

    if (start_method or multiprocessing.get_start_method()) == "fork":
        try:
            found._index(lazy=False)
        except Exception:  # noqa: BLE001 - as in a worker (``__call__``): the parent matches as before
            pass
        _FORKED.clear()  # one sync's matcher at a time: the last one made
        _FORKED[found.key] = found
    return found


def _inherited(key: str) -> Any:
    """A matcher sent by its key (``StepMatcher.__reduce__``): the one this forked worker inherited. A worker that
    did not inherit it (forked before it was made) gets ``hash_records`` instead: its features carry no rows, and
    the parent matches them itself, as for any feature a worker did not match."""
    found = _FORKED.get(key)
    if found is None:
        from tracertm.engine.parse import hash_records

        return hash_records
    return found


def prematched(results: Iterable[ParseResult], key: str) -> dict[tuple[str, str], Scenario] | None:
    """(feature path, scenario number) → its worker matching, of the results matched against ``key``; None when
    a worker found a definition too slow (the parent matches everything then)."""
    out: dict[tuple[str, str], Scenario] = {}
    for result in results:
        found: Prematched | None = getattr(result, ATTRIBUTE, None)
        if found is None or found.digest != key:
            continue
        if found.slow:
            return None
        for number, scenario in found.scenarios.items():
            out[(result.path, number)] = scenario
    return out


__all__ = ["Prematched", "Scenario", "StepMatcher", "digest", "match_steps", "match_uses", "matcher", "prematched"]
