"""Match scenario steps against step definitions through an index, not N×M.

A definition whose matches all start with a literal word (``the user {word} logs in``, ``^I have (\\d+)``) is filed
under that first word — its first two when it has two (``the user``) — and tried only on steps that start with its
whole literal prefix (one string comparison).
Any other definition is filed under one of the words its matches must contain (the rarest of them among all
definitions) and tried on the steps containing that word; definitions that require no word at all (a pattern that
is all parameters) are tried on every step. A definition whose pattern runs over its time budget — on one step, or
in all its matches (``bounded.TOTAL``) — is reported and tried no more (``findings``). Keyword scoping is the
framework's: behave, pytest-bdd, Reqnroll and godog match a ``given`` definition only to Given steps (``step``
definitions to any), but godog any definition to a step whose pickle type is Unknown (``*``, an ``And`` after it:
``scenarios.Unknown``), which behave and pytest-bdd give the type before it; cucumber-js, cucumber-jvm and
cucumber-ruby ignore the keyword.

Several matching definitions are not always ambiguous: the framework may pick one (``settle``). behave takes the
first of its step type's registry, then of the generic ``step`` one, in registration order; pytest-bdd the last of
its fixtures after pytest's scoping sort (when tracertm can tell which those are); godog, not strict, the first
registered (when that order is known: one file — the calls its scenario initializer makes, else line order).
playwright-bdd the first matching alias of one call (an alias array is one definition);
cucumber-js/jvm/ruby report them ambiguous; Reqnroll too, of the definitions whose methods take the step's arguments
(``steps.reqnroll.candidates``).
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from time import perf_counter
from typing import TYPE_CHECKING, Literal, TypeVar, cast

from tracertm.errors import Diagnostic
from tracertm.steps import bounded
from tracertm.steps.bounded import TooSlow, slow_message
from tracertm.steps.compiled import KEYWORD_SCOPED, Argument, Compiled, DefinitionError
from tracertm.steps.expressions import compile_definition
from tracertm.steps.jvm_numbers import decimal_separator, localizable
from tracertm.steps.model import StepDefinition, exclusive
from tracertm.steps.parameter_types import Registries
from tracertm.steps.reqnroll import candidates
from tracertm.steps.scenarios import StepUse, Unknown, as_run, behave_text, step_argument, type_key

if TYPE_CHECKING:
    from tracertm.steps.lens import Lens, Lenses

Status = Literal["defined", "undefined", "ambiguous"]
T = TypeVar("T")


@dataclass(frozen=True)
class StepResult:
    """The verdict on one step: ``defined`` by exactly one definition, ``undefined``, or ``ambiguous`` (every
    candidate listed), with the arguments each matching definition would receive."""

    use: StepUse
    status: Status
    matches: tuple[tuple[StepDefinition, tuple[Argument, ...]], ...] = ()
    # An undefined step that a behave definition matches once the trailing ":" is stripped, as behave before 1.3
    # does (``scenarios.behave_text``): that definition, for the finding's hint (``behave_strip_trailing_colon``).
    colon_match: StepDefinition | None = None

    @property
    def definition(self) -> StepDefinition | None:
        return self.matches[0][0] if self.status == "defined" else None

    @property
    def definitions(self) -> tuple[StepDefinition, ...]:
        """The definitions the step runs: one — or, for a scenario several pytest-bdd test modules run, each
        module's (``steps.pytest_bdd``) —; none when undefined or ambiguous."""
        return tuple(d for d, _ in self.matches) if self.status == "defined" else ()

    def as_dict(self) -> dict[str, object]:
        return {
            **self.use.as_dict(),
            "status": self.status,
            "matches": [
                {"definition": d.identity, "location": d.location, "arguments": [a.as_dict() for a in args]}
                for d, args in self.matches
            ],
        }


class StepIndex:
    """The definitions of a project, filed by word."""

    def __init__(self, compiled: Iterable[Compiled], registries: Registries | None = None, *,
                 strip_colon: bool = False) -> None:
        self.compiled = list(compiled)
        # ``behave_strip_trailing_colon``: behave definitions match a step with a doc string or a data table without
        # the trailing ":" of its text (``scenarios.behave_text``), as behave before 1.3 does.
        self.strip_colon = strip_colon
        self._orders: dict[int, int] | None = None  # id of a definition → its place (``_colon_found``), on first use
        # cucumber-jvm expressions with number types match per feature language (``localized``); ``registries``
        # to compile them again for another decimal separator. Checked once here: most projects have none.
        self._registries = registries
        # The names of Reqnroll's [StepArgumentTransformation]s: a parameter of such a type may take any argument
        # (``steps.reqnroll.fits``).
        self.converters: frozenset[str] = frozenset(
            registries.declarations.get("dotnet", {}) if registries is not None else ())
        self._reqnroll = any(c.definition.framework == "reqnroll" for c in self.compiled)
        self._localizable = registries is not None and any(localizable(c.definition) for c in self.compiled)
        self._localized: dict[str, StepIndex] = {}
        frequency: Counter[str] = Counter(k for c in self.compiled for k in c.keys)
        self._by_first: dict[str, list[tuple[int, Compiled]]] = {}
        self._by_two: dict[tuple[str, str], list[tuple[int, Compiled]]] = {}
        self._by_word: dict[str, list[tuple[int, Compiled]]] = {}
        self._always: list[tuple[int, Compiled]] = []
        for order, c in enumerate(self.compiled):
            head = _head(c)
            if len(head) >= 2:  # many definitions share a first word ("the", "I"): two words narrow it down
                self._by_two.setdefault((head[0], head[1]), []).append((order, c))
            elif head:
                self._by_first.setdefault(head[0], []).append((order, c))
            elif c.keys:
                word = min(c.keys, key=lambda k: (frequency[k], -len(k), k))
                self._by_word.setdefault(word, []).append((order, c))
            else:
                self._always.append((order, c))
        # ``lookup_values`` (every distinct step of a cold sync, in the parse workers) reads the same buckets as
        # entries with what it needs worked out once per definition — its keyword scope, the function giving its
        # values — and each pair of first words' bucket merged with its first word's, in definition order: most
        # steps then cost one dictionary look-up and no sort (``_found_values``).
        entry = {order: _entry(order, c) for order, c in enumerate(self.compiled)}
        self._first_entries = {w: tuple(entry[o] for o, _ in b) for w, b in self._by_first.items()}
        self._pair_entries = {
            pair: tuple(entry[o] for o in sorted(o for o, _ in (*self._by_first.get(pair[0], ()), *b)))
            for pair, b in self._by_two.items()
        }
        self._word_entries = {w: tuple(entry[o] for o, _ in b) for w, b in self._by_word.items()}
        self._always_entries = tuple(entry[o] for o, _ in self._always)
        # Outlines, Backgrounds and common phrasing repeat texts: each (text, type) is matched once.
        self._seen: dict[tuple[str, str], tuple[tuple[StepDefinition, tuple[Argument, ...]], ...]] = {}
        self._bound_seen: dict[
            tuple[str, str], tuple[Status, tuple[tuple[StepDefinition, tuple[Argument, ...]], ...]]
        ] = {}
        # Definitions whose pattern ran over its time budget (tracertm.steps.bounded), with what ran over it (the
        # step text; ``spent`` when it was the total): tried no more in this run.
        self.slow: dict[str, tuple[StepDefinition, TooSlow]] = {}
        # Seconds each definition's matches took so far, by identity: past ``total`` in all it is slow too (a
        # budget per match alone lets a pattern taking just under it on each of many steps run for minutes). A
        # parse worker gets its share of ``TOTAL`` (``prematch``).
        self.spent: dict[str, float] = {}
        self.total = bounded.TOTAL

    def try_match(self, c: Compiled, text: str) -> tuple[Argument, ...] | None:
        """``c.match(text)``, or None when ``c`` is (or just turned out) too slow to match."""
        d = c.definition
        if d.identity in self.slow:
            return None
        start = perf_counter()
        try:
            found = c.match(text)
        except TooSlow as exc:
            self.slow[d.identity] = (d, exc)
            return None
        return None if self._over(d, text, perf_counter() - start) else found

    def _over(self, d: StepDefinition, text: str, seconds: float) -> bool:
        """Counts ``seconds`` of matching ``text`` to ``d``; True when that took it past ``total`` in all: ``d`` is
        slow then, and this match is dropped, as one over the budget of a single match is."""
        spent = self.spent[d.identity] = self.spent.get(d.identity, 0.0) + seconds
        if spent <= self.total:
            return False
        self.slow[d.identity] = (d, TooSlow(text, self.total))
        return True

    def budget(self, total: float) -> None:
        """A new run's time budget: ``total`` seconds per definition in all, none spent yet (an index kept across
        runs: a parse worker's, ``prematch``); its localized indexes share it."""
        self.spent.clear()
        self.total = total
        for index in self._localized.values():
            index.total = total

    def findings(self) -> list[Diagnostic]:
        """One error per definition that ran over its time budget, at the definition's line."""
        return [Diagnostic(d.path, d.line, d.column, slow_message(d.display_pattern, slow))
                for d, slow in self.slow.values()]

    def candidates(self, text: str) -> list[Compiled]:
        """The definitions that could match ``text``, in definition order."""
        found: list[tuple[int, Compiled]] = list(self._always)
        lowered = text.lower()
        words = lowered.split(" ")
        heads = self._by_first.get(words[0], ())
        if len(words) > 1:
            two = self._by_two.get((words[0], words[1]))
            if two:
                heads = [*heads, *two]
        for pair in heads:
            c = pair[1]
            if (lowered if c.fold else text).startswith(c.prefix):
                found.append(pair)
        if self._by_word:
            for word in set(words):
                bucket = self._by_word.get(word)
                if bucket:
                    found.extend(bucket)
        if len(found) > 1:
            found.sort(key=lambda pair: pair[0])
        return [c for _, c in found]

    def lookup(self, text: str, type: str) -> tuple[tuple[StepDefinition, tuple[Argument, ...]], ...]:
        """The definitions matching ``text`` as a step of ``type`` (given/when/then), each with its arguments, in
        definition order: ``match`` without building its result (what sync's linking needs per step)."""
        key = (text, type_key(type))
        matches = self._seen.get(key)
        if matches is None:
            matches = self._seen[key] = tuple(settle(self._candidates(self._found(text, type), type)))
        return matches

    def _candidates(self, found: list[tuple[StepDefinition, T]], type: str) -> list[tuple[StepDefinition, T]]:
        """``found`` without the Reqnroll definitions whose methods do not take the step's arguments, when some
        do (``steps.reqnroll.candidates``): with fewer than two matches nothing changes."""
        if len(found) < 2 or not self._reqnroll:
            return found
        return candidates(found, step_argument(type), self.converters)

    def _found(self, text: str, type: str) -> list[tuple[StepDefinition, tuple[Argument, ...]]]:
        """Every definition matching ``text`` as a step of ``type``, with its arguments, before ``settle``."""
        stripped = behave_text(text, type) if self.strip_colon else None
        if stripped is not None:
            return self._colon_found(self._found_as(text, type), self._found_as(stripped, type))
        return self._found_as(text, type)

    def _colon_found(self, whole: list[tuple[StepDefinition, T]], stripped: list[tuple[StepDefinition, T]]
                     ) -> list[tuple[StepDefinition, T]]:
        """The matches of a step whose trailing ":" behave strips: behave's definitions' of the text without it
        (``stripped``), every other framework's of the text as written (``whole``), in definition order."""
        if self._orders is None:
            self._orders = {id(c.definition): order for order, c in enumerate(self.compiled)}
        orders = self._orders
        found = [m for m in whole if m[0].framework != "behave"] + [m for m in stripped if m[0].framework == "behave"]
        return sorted(found, key=lambda m: orders.get(id(m[0]), -1))

    def colon_match(self, text: str, type: str) -> StepDefinition | None:
        """The first behave definition that matches a step undefined as written (``text``, of ``type``) once its
        trailing ":" is stripped as behave before 1.3 strips it (``scenarios.behave_text``); None when there is
        none, or when this index strips it already (``strip_colon``)."""
        stripped = None if self.strip_colon else behave_text(text, type)
        if stripped is None:
            return None
        return next((d for d, _ in self._found_as(stripped, type) if d.framework == "behave"), None)

    def _found_as(self, text: str, type: str) -> list[tuple[StepDefinition, tuple[Argument, ...]]]:
        """``_found`` of ``text`` as it is (no colon stripped)."""
        found: list[tuple[StepDefinition, tuple[Argument, ...]]] = []
        for c in self._scoped(text, type):
            args = self.try_match(c, text)
            if args is not None:
                found.append((c.definition, args))
        return found

    def bound(self, text: str, type: str, lens: Lens
              ) -> tuple[Status, tuple[tuple[StepDefinition, tuple[Argument, ...]], ...]]:
        """``lookup`` for a scenario with a ``Lens`` (``steps.lens``: pytest-bdd test modules that run it, Reqnroll
        scopes): the verdict and its definitions."""
        key = (text, type_key(type) + lens.key)
        known = self._bound_seen.get(key)
        if known is None:
            status, matches = lens.verdict(self._found(text, type), settle, step_argument(type), self.converters)
            known = self._bound_seen[key] = (cast(Status, status), tuple(matches))
        return known

    def _scoped(self, text: str, type: str) -> list[Compiled]:
        """``candidates(text)`` that a step of ``type`` may use (keyword-scoped frameworks: their own keyword or
        ``step``; godog any keyword when the step's pickle type is ``Unknown``)."""
        unknown = isinstance(type, Unknown)
        return [c for c in self.candidates(text)
                if not (c.definition.framework in KEYWORD_SCOPED and c.definition.keyword not in ("step", type)
                        and not (unknown and c.definition.framework == "godog"))]

    def lookup_values(self, text: str, type: str) -> tuple[tuple[StepDefinition, tuple[str | None, ...]], ...]:
        """``lookup`` with each argument's value only (``Compiled.arguments``), uncached: what a match row stores,
        for a caller that caches per (text, type) itself (``prematch.match_uses``). Same definitions, same
        values, same time budget and slow definitions as ``lookup``."""
        found = self._found_values(text, type)
        return tuple(found) if len(found) < 2 else tuple(settle(self._candidates(found, type)))

    def bound_values(self, text: str, type: str, lens: Lens
                     ) -> tuple[Status, tuple[tuple[StepDefinition, tuple[str | None, ...]], ...]]:
        """``bound`` with each argument's value only, uncached (as ``lookup_values``)."""
        status, matches = lens.verdict(self._found_values(text, type), settle, step_argument(type), self.converters)
        return cast(Status, status), tuple(matches)

    def _found_values(self, text: str, type: str) -> list[tuple[StepDefinition, tuple[str | None, ...]]]:
        """``_found`` with values only: the definitions of ``_scoped(text, type)``, in order, that match. Read from
        the entries (``__init__``) rather than through ``candidates`` — the same definitions, in the same order:
        a cold sync's workers look up tens of thousands of distinct texts, most of them matching nothing."""
        stripped = behave_text(text, type) if self.strip_colon else None
        if stripped is not None:
            return self._colon_found(self._values_as(text, type), self._values_as(stripped, type))
        return self._values_as(text, type)

    def _values_as(self, text: str, type: str) -> list[tuple[StepDefinition, tuple[str | None, ...]]]:
        """``_found_values`` of ``text`` as it is (no colon stripped)."""
        lowered = text.lower()
        by_word = self._word_entries
        # Only the first two words pick a head bucket; all of them when definitions are filed by word.
        words = lowered.split(" ") if by_word else lowered.split(" ", 2)
        heads = self._pair_entries.get((words[0], words[1])) if len(words) > 1 else None
        if heads is None:
            heads = self._first_entries.get(words[0], ())
        always = self._always_entries
        check = True  # whether an entry's literal prefix is still to compare (``candidates``: head buckets only)
        pool: Iterable[_Entry] = heads
        if always or by_word:
            mixed = [*always, *(e for e in heads if (lowered if e[2] else text).startswith(e[1]))]
            for word in set(words):
                bucket = by_word.get(word)
                if bucket:
                    mixed.extend(bucket)
            if len(mixed) > 1:
                mixed.sort(key=_ORDER)
            pool, check = mixed, False
        found: list[tuple[StepDefinition, tuple[str | None, ...]]] = []
        slow = self.slow
        for _, prefix, fold, keyword, godog, values, d in pool:
            if check and not (lowered if fold else text).startswith(prefix):
                continue
            if keyword is not None and keyword != type and not (godog and isinstance(type, Unknown)):
                continue  # (``_scoped``)
            if slow and d.identity in slow:
                continue
            start = perf_counter()
            try:
                matched = values(text)
            except TooSlow as exc:
                slow[d.identity] = (d, exc)
                continue
            if self._over(d, text, perf_counter() - start):
                continue
            if matched is not None:
                found.append((d, matched))
        return found

    def localized(self, language: str) -> StepIndex:
        """The index for the steps of a feature in Gherkin ``language``: this one, unless it has cucumber-jvm
        number types (``LOCALIZED``) and the language writes another decimal separator — then one with those
        definitions compiled for it, built once per separator (it keeps its own cache of verdicts)."""
        if not self._localizable:
            return self
        decimal = decimal_separator(language)
        if decimal == ".":
            return self
        index = self._localized.get(decimal)
        if index is None:
            registries = self._registries
            assert registries is not None
            compiled: list[Compiled] = []
            for c in self.compiled:
                d = c.definition
                if localizable(d):
                    try:
                        c = compile_definition(d, registries, decimal=decimal)
                    except DefinitionError:
                        continue
                compiled.append(c)
            index = self._localized[decimal] = StepIndex(compiled, strip_colon=self.strip_colon)
            index.converters = self.converters
            index.slow = self.slow  # one budget per definition, whichever language ran over it
            index.spent, index.total = self.spent, self.total
        return index

    def match(self, use: StepUse, lens: Lens | None = None) -> StepResult:
        """The verdict on one step; ``lens``: its scenario's (``steps.lens``), when it has one."""
        if lens is not None:
            status, bound = self.bound(use.text, use.type, lens)
            if status == "undefined" and not bound:
                return StepResult(use, status, bound, self.colon_match(use.text, use.type))
            return StepResult(use, status, bound)
        matches = self.lookup(use.text, use.type)
        if not matches:
            return StepResult(use, "undefined", colon_match=self.colon_match(use.text, use.type))
        return StepResult(use, "defined" if len(matches) == 1 else "ambiguous", matches)

    def match_all(self, uses: Iterable[StepUse], lenses: Lenses | None = None) -> list[StepResult]:
        """The verdicts on ``uses``; ``lenses``: the project's (``steps.lens``), when some scenario needs one. A
        step as written of an outline without Examples rows (``StepUse.as_written``) runs only where pytest-bdd
        modules run its scenario (its lens has their views): elsewhere it is not an executed step. An outline row's
        steps are matched as the runner of their scenario fills them (``Lenses.runner``, ``scenarios.as_run``):
        behave and pytest-bdd fill the Background's steps too, each in its own way (``outline_fill``). The steps of
        one feature file (``scenarios.FeatureSteps``) are matched in its language (``localized``)."""
        language = getattr(uses, "language", "en")
        if language != "en" and self._localizable:
            index = self.localized(language)
            if index is not self:
                return index.match_all(uses, lenses)
        filling = lenses.filling if lenses is not None else ()
        if not lenses:
            if filling:
                from tracertm.steps.lens import runner_of

                return [self.match(u if u.filled is None and u.rendered is None else
                                   as_run(u, runner_of(u.path, None, filling)))
                        for u in uses if not u.as_written]
            return [self.match(u) for u in uses if not u.as_written]
        out: list[StepResult] = []
        for u in uses:
            lens = lenses.for_scenario(u.path, u.scenario, u.feature, u.tags, u.row_tags)
            if u.as_written and (lens is None or lens.views is None):
                continue
            if u.filled is not None or u.rendered is not None:  # (the runner asked only then: few steps have them)
                u = as_run(u, lenses.runner(u.path, lens))
            out.append(self.match(u, lens))
        return out


# A definition as ``_found_values`` reads it: (order, literal prefix, fold, the keyword a step's type must equal —
# None when any type may use it —, godog (any keyword for an ``Unknown`` type), values of a text, definition).
_Entry = tuple[int, str, bool, "str | None", bool, Callable[[str], "tuple[str | None, ...] | None"], StepDefinition]


_ORDER = itemgetter(0)  # an entry's place in definition order


def _entry(order: int, c: Compiled) -> _Entry:
    """``c`` as an entry of ``StepIndex._found_values``: ``_scoped``'s keyword rule and ``Compiled.arguments``
    decided once (a definition with ``values`` is asked for them directly)."""
    d = c.definition
    scoped = d.framework in KEYWORD_SCOPED and d.keyword != "step"
    return (order, c.prefix, c.fold, d.keyword if scoped else None, d.framework == "godog",
            c.values if c.values is not None else c.arguments, d)


def _head(c: Compiled) -> list[str]:
    """The whole words (lower-case) every text ``c`` matches starts with: its literal prefix's words up to the last
    space (all of them for an exact string)."""
    words = c.prefix.split(" ")
    if not (c.prefix == c.definition.pattern and c.definition.kind == "string"):
        words = words[:-1]  # the last one may continue in the text ("I hav" of "I hav{e}")
    head: list[str] = []
    for word in words:
        if not word:
            break
        head.append(word.lower())
    return head



# -------------------------------------------------------------------------------- several matching definitions


def settle(found: Sequence[tuple[StepDefinition, T]]) -> Sequence[tuple[StepDefinition, T]]:
    """The definitions a step of one of ``found``'s framework runs: the one its framework picks when it picks one
    (then a list of one), else all of them (ambiguous). Definitions of several frameworks stay ambiguous."""
    if len(found) < 2:
        return found
    found = _one_branch(found)
    if len(found) < 2:
        return found
    framework = found[0][0].framework
    if any(d.framework != framework for d, _ in found):
        return found
    if framework == "behave":
        return [_behave_first(found)]
    if framework == "pytest-bdd":
        return _pytest_bdd_last(found)
    if framework == "reqnroll":
        # Reqnroll groups the matching bindings by method (``StepDefinitionMatchService.GetCandidatingBindings``):
        # two step attributes of one method that both match are one candidate, not an ambiguity.
        methods: dict[tuple[str, str, str], tuple[StepDefinition, T]] = {}
        for pair in sorted(found, key=lambda pair: pair[0].line):
            d = pair[0]  # (a definition of no known method is a method of its own)
            methods.setdefault((d.path, d.function or f":{d.line}:{d.column}", repr(d.parameters)), pair)
        return list(methods.values()) if len(methods) < len(found) else found
    if framework == "playwright-bdd":
        # The aliases of one call (``Given(['a', 'b'], fn)``) are one step definition: playwright-bdd keeps the
        # first matching alias of each call (``excludeStepAliases``: they share one location), no ambiguity.
        calls: dict[tuple[str, int, int], tuple[StepDefinition, T]] = {}
        for pair in found:
            calls.setdefault((pair[0].path, pair[0].line, pair[0].column), pair)
        return list(calls.values()) if len(calls) < len(found) else found
    if framework == "cucumber-js":
        return _tsflow_first(found)
    if framework == "godog" and len({d.path for d, _ in found}) == 1:
        # godog (not strict) runs the first registered handler: in one file, in the order its scenario initializer
        # makes the ``ctx.Step`` calls when that is known for each of them (``StepDefinition.registration``:
        # ``steps.golang``), else in line order (across files the order is the calls' order at run time: unknown
        # here, so ambiguous).
        if all(d.registration is not None for d, _ in found):
            return [min(found, key=lambda pair: (pair[0].registration or 0, pair[0].line))]
        return [min(found, key=lambda pair: pair[0].line)]
    return found


def _one_branch(found: Sequence[tuple[StepDefinition, T]]) -> Sequence[tuple[StepDefinition, T]]:
    """``found`` without the definitions that sit in another branch of an ``if``/``try``/``match`` than an earlier
    one of them in its file (``model.exclusive``): only one branch runs, so they are no rivals — tracertm, not
    knowing which branch runs, keeps the first in the file (by line) and the step links to it."""
    if not any(d.alternatives for d, _ in found):
        return found
    kept: list[tuple[StepDefinition, T]] = []
    for pair in sorted(found, key=lambda pair: (pair[0].path, pair[0].line, pair[0].column)):
        if not any(exclusive(pair[0], other) for other, _ in kept):
            kept.append(pair)
    return kept if len(kept) < len(found) else found


def _tsflow_first(found: Sequence[tuple[StepDefinition, T]]) -> Sequence[tuple[StepDefinition, T]]:
    """cucumber-tsflow (4.0 and later) registers one cucumber-js step per pattern and keyword, its first binding's,
    which runs whatever the scenario's tags: of the bindings of one pattern and keyword (``registration`` marks
    them, ``steps.javascript._Registered``; the LynxWall fork's, which pick by tag, have none) the first one in
    cucumber-js's load order — files by path, then registration — is the step's, no ambiguity."""
    firsts: dict[tuple[str, str, str, str], tuple[StepDefinition, T]] = {}
    for pair in sorted(found, key=lambda pair: (pair[0].path, pair[0].registration or 0, pair[0].line)):
        d = pair[0]
        if d.registration is not None:
            firsts.setdefault((d.keyword, d.kind, d.pattern, d.flags), pair)
    kept = {id(pair) for pair in firsts.values()}
    tsflow = [pair for pair in found if pair[0].registration is None or id(pair) in kept]
    return tsflow if len(tsflow) < len(found) else found


def _behave_first(found: Sequence[tuple[StepDefinition, T]]) -> tuple[StepDefinition, T]:
    """behave's ``StepRegistry.find_match``: the step type's own definitions first, then the ``@step`` ones, each in
    registration order — step modules by file name (behave loads them sorted), then ``StepDefinition.registration``
    in the file (a function's stacked decorators bottom-up), else line."""
    return min(found, key=lambda pair: (pair[0].keyword == "step", *behave_order(pair[0])))


def behave_order(d: StepDefinition) -> tuple[str, int, int]:
    """The sort key of behave's registration order: file, then the definition's place in its file's registration
    (``StepDefinition.registration``; -1 when unknown, and then for every definition of that file: line order)."""
    return d.path, -1 if d.registration is None else d.registration, d.line


def _pytest_bdd_last(found: Sequence[tuple[StepDefinition, T]]) -> Sequence[tuple[StepDefinition, T]]:
    """pytest-bdd (``inject_fixturedefs_for_step``): the matching step fixtures, by fixture name in the order pytest
    registered the names (conftest.py files from the outermost, then the module; within a file in ``dir()`` order
    of ``pytestbdd_stepdef_<type or *>_<pattern>``, ``_1``, ``_2``... for a repeated one), stably sorted by scope
    (a conftest.py's folder before the modules in it): the last one wins — pytest's fixture overriding. Only when
    every match is visible from one test module (it and the conftest.py files of its folders) can tracertm tell;
    otherwise they stay ambiguous."""
    scopes = {d.path: _pytest_scope(d.path) for d, _ in found}
    chain = sorted(set(scopes.values()), key=len)
    modules = [p for p in scopes if posixpath.basename(p) != "conftest.py"]
    if len(modules) > 1 or any(not _inside(inner, outer) for outer, inner in zip(chain, chain[1:])):
        return found  # not one module's view (two test modules, or conftest.py files of unrelated folders)
    fixture: dict[int, str] = {}
    repeats: Counter[tuple[str, str]] = Counter()
    for i, (d, _) in sorted(enumerate(found), key=lambda item: (item[1][0].path, item[1][0].line)):
        name = f"pytestbdd_stepdef_{'*' if d.keyword == 'step' else d.keyword}_{d.pattern}"
        repeats[(d.path, name)] += 1
        fixture[i] = name if repeats[(d.path, name)] == 1 else f"{name}_{repeats[(d.path, name)] - 1}"
    registered: dict[str, int] = {}
    for i in sorted(fixture, key=lambda i: (len(scopes[found[i][0].path]), fixture[i])):
        registered.setdefault(fixture[i], len(registered))
    last = max(fixture, key=lambda i: (len(scopes[found[i][0].path]), registered[fixture[i]]))
    return [found[last]]


def _pytest_scope(path: str) -> str:
    """The node id a pytest fixture's visibility starts from: a conftest.py's folder, a test module itself."""
    return posixpath.dirname(path) if posixpath.basename(path) == "conftest.py" else path


def _inside(inner: str, outer: str) -> bool:
    return outer == "" or inner == outer or inner.startswith(outer + "/")
