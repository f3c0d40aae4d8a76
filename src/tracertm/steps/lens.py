"""What one scenario's steps may match beyond the text: a ``Lens`` per scenario, when the project has something that
depends on the scenario — pytest-bdd test modules binding features (``steps.pytest_bdd``: the views of the modules
that run it), Reqnroll ``[Scope]``d definitions (``steps.reqnroll``: which of them are in its scope, and how
specifically) or playwright-bdd's tagged ones (``tagged``). A project with none of them gets no lens for any
scenario, and every step is matched as before (one verdict per step text and type, ``matching.settle``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Callable, TypeVar

from tracertm.steps.javascript import path_tags
from tracertm.steps.model import StepDefinition, StepFile
from tracertm.steps.pytest_bdd import Bindings, View, combine, in_view
from tracertm.steps.reqnroll import best_match, candidates

T = TypeVar("T")
Settle = Callable[[Sequence[tuple[StepDefinition, T]]], Sequence[tuple[StepDefinition, T]]]


@dataclass(frozen=True)
class Lens:
    """One scenario's view of the definitions. ``key`` tells lenses apart in the caches of verdicts (scenarios with
    equal lenses share their verdicts). ``views``: the pytest-bdd modules that run the scenario (None: no module
    binds it). ``in_scope``: Reqnroll's scoped definitions in the scenario's scope, each with its scope matches
    (a scoped definition absent from it is out of scope); ``scoped``: every scoped definition."""

    key: str
    views: tuple[View, ...] | None = None
    in_scope: Mapping[str, int] | None = None
    scoped: frozenset[str] = frozenset()

    def verdict(self, found: Sequence[tuple[StepDefinition, T]], settle: Settle[T], argument: str = "",
                converters: Collection[str] = ()) -> tuple[str, list[tuple[StepDefinition, T]]]:
        """The status and definitions of a step ``found`` (every definition matching its text and type) matches
        in this scenario; ``argument``: the step's DataTable or DocString, ``converters``: the project's Reqnroll
        transformations (``steps.reqnroll.candidates``: scopes and the methods' parameters)."""
        if self.scoped or len(found) > 1:
            found = candidates(found, argument, converters, self.in_scope, self.scoped)
        if self.scoped:
            found = tagged(found, self.in_scope or {}, self.scoped)
        if self.views is not None:
            return combine(settle(in_view(found, view)) for view in self.views)
        settled = list(settle(found))
        return ("undefined" if not settled else "defined" if len(settled) == 1 else "ambiguous"), settled


def tagged(found: Sequence[tuple[StepDefinition, T]], in_scope: Mapping[str, int], scoped: Collection[str]
           ) -> list[tuple[StepDefinition, T]]:
    """Of ``found``, the playwright-bdd definitions its ``StepFinder.filterByTags`` keeps: those whose tags match
    the scenario when there are any, else those without tags (a tagged one that does not match never does); the
    definitions of other frameworks stay."""
    ours = [pair for pair in found if pair[0].framework == "playwright-bdd"]
    if not ours:
        return list(found)
    matching = [pair for pair in ours if pair[0].identity in scoped and pair[0].identity in in_scope]
    kept = {id(pair) for pair in (matching or [pair for pair in ours if pair[0].identity not in scoped])}
    return [pair for pair in found if pair[0].framework != "playwright-bdd" or id(pair) in kept]


class Lenses:
    """The lenses of a project's scenarios, from its step files (see the module docstring); falsy when no scenario
    needs one."""

    def __init__(self, files: Mapping[str, StepFile], definitions: Iterable[StepDefinition] | None = None) -> None:
        """``definitions``: those matched against, when not all of them come from ``files`` (a sync rebuilds the
        definitions of a step file that does not parse from their rows, scopes included)."""
        self.bindings = Bindings(files)
        if definitions is None:
            definitions = (d for f in files.values() for d in f.definitions)
        scoped_definitions = [d for d in definitions if d.scopes and d.framework in ("reqnroll", "playwright-bdd")]
        self._scoped = {d.identity: d.scopes for d in scoped_definitions}
        self._all_scoped = frozenset(self._scoped)
        self._tagged = frozenset(d.identity for d in scoped_definitions if d.framework == "playwright-bdd")
        self._cache: dict[tuple[str, str, str, tuple[str, ...]], Lens | None] = {}

    def __bool__(self) -> bool:
        return bool(self.bindings) or bool(self._scoped)

    @property
    def signature(self) -> str:
        """What the lenses depend on beyond the definitions themselves (their scopes are part of the definitions)."""
        return self.bindings.signature

    def for_scenario(self, path: str, scenario: str, feature: str = "", tags: Sequence[str] = ()) -> Lens | None:
        """The lens of scenario ``scenario`` of feature file ``path`` (feature title ``feature``; ``tags``: the
        feature's, the rule's and the scenario's, without ``@``); None when nothing depends on the scenario."""
        key = (path, scenario, feature, tuple(tags))
        if key in self._cache:
            return self._cache[key]
        views = self.bindings.views_for(path, scenario) if self.bindings else None
        in_scope: dict[str, int] | None = None
        if self._scoped:
            marked = {f"@{t}" for t in tags}
            # playwright-bdd tags a feature file's scenarios with the ``@tag`` parts of its path too
            # (``TagsFromPathInjector``); Reqnroll does not.
            pathed = marked | set(path_tags(path)) if self._tagged else marked
            in_scope = {identity: n for identity, scopes in self._scoped.items()
                        if (n := best_match(scopes, feature, scenario,
                                            pathed if identity in self._tagged else marked)) is not None}
        if views is None and in_scope is None:
            lens = None
        else:
            parts = [] if views is None else [v.module for v in views]
            if in_scope is not None:
                parts.append(repr(sorted(in_scope.items())))
            lens = Lens("\x00" + "\x00".join(parts), views, in_scope, self._all_scoped)
        self._cache[key] = lens
        return lens


__all__ = ["Lens", "Lenses"]
