"""What one scenario's steps may match beyond the text: a ``Lens`` per scenario, when the project has something that
depends on the scenario — pytest-bdd test modules binding features (``steps.pytest_bdd``: the views of the modules
that run it), Reqnroll ``[Scope]``d definitions (``steps.reqnroll``: which of them are in its scope, and how
specifically), playwright-bdd's tagged ones (``tagged``) or behave step modules in several features folders
(``BehaveFolders``: behave runs one folder at a time, each with its own steps). A project with none of them gets no
lens for any scenario, and every step is matched as before (one verdict per step text and type,
``matching.settle``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Callable, TypeVar

from tracertm.steps.behave_features import runs
from tracertm.steps.behave_layout import base as behave_base
from tracertm.steps.behave_layout import is_environment, load_key
from tracertm.steps.javascript import path_tags
from tracertm.steps.model import StepDefinition, StepFile
from tracertm.steps.outline_fill import BEHAVE, PYTEST_BDD
from tracertm.steps.pytest_bdd import Bindings, View, combine, in_view
from tracertm.steps.reqnroll import best_match, candidates

T = TypeVar("T")
Settle = Callable[[Sequence[tuple[StepDefinition, T]]], Sequence[tuple[StepDefinition, T]]]


@dataclass(frozen=True)
class Lens:
    """One scenario's view of the definitions. ``key`` tells lenses apart in the caches of verdicts (scenarios with
    equal lenses share their verdicts). ``views``: the pytest-bdd modules that run the scenario (None: no module
    binds it). ``in_scope``: Reqnroll's scoped definitions in the scenario's scope, each with its scope matches
    (a scoped definition absent from it is out of scope); ``scoped``: every scoped definition. ``hidden``: the
    behave definitions of the other features folders (``BehaveFolders``), which the scenario's run never loads."""

    key: str
    views: tuple[View, ...] | None = None
    in_scope: Mapping[str, int] | None = None
    scoped: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()

    def verdict(self, found: Sequence[tuple[StepDefinition, T]], settle: Settle[T], argument: str = "",
                converters: Collection[str] = ()) -> tuple[str, list[tuple[StepDefinition, T]]]:
        """The status and definitions of a step ``found`` (every definition matching its text and type) matches
        in this scenario; ``argument``: the step's DataTable or DocString, ``converters``: the project's Reqnroll
        transformations (``steps.reqnroll.candidates``: scopes and the methods' parameters)."""
        if self.hidden:
            found = [pair for pair in found if pair[0].identity not in self.hidden]
        if self.scoped or len(found) > 1:
            found = candidates(found, argument, converters, self.in_scope, self.scoped)
        if self.scoped:
            found = tsflow_tagged(tagged(found, self.in_scope or {}, self.scoped), self.in_scope or {}, self.scoped)
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


def tsflow_tagged(found: Sequence[tuple[StepDefinition, T]], in_scope: Mapping[str, int], scoped: Collection[str]
                 ) -> list[tuple[StepDefinition, T]]:
    """Of ``found``, the cucumber-js definitions the LynxWall fork of cucumber-tsflow runs (only its tagged bindings,
    ``@given(p, '@tag')``, give cucumber-js definitions scopes; cucumber-tsflow 4.0 on ignores the tag:
    ``matching.settle``). The fork registers one cucumber step per pattern and, when it runs, picks among that
    pattern's bindings (``BindingRegistry.getStepBindings``): those whose tag the scenario has, else the untagged
    ones — else none, and the step fails (kept here as matched: cucumber-js found it).
    Definitions of different patterns that match one step stay ambiguous, as cucumber-js has them."""
    ours = [pair for pair in found if pair[0].framework == "cucumber-js"]
    if not any(pair[0].identity in scoped for pair in ours):
        return list(found)
    groups: dict[tuple[str, str, str], list[tuple[StepDefinition, T]]] = {}
    for pair in ours:
        groups.setdefault((pair[0].kind, pair[0].pattern, pair[0].flags), []).append(pair)
    dropped: set[int] = set()
    for group in groups.values():
        if not any(pair[0].identity in scoped for pair in group):
            continue
        matching = [pair for pair in group if pair[0].identity in scoped and pair[0].identity in in_scope]
        kept = matching or [pair for pair in group if pair[0].identity not in scoped] or group
        dropped.update(id(pair) for pair in group if not any(pair is k for k in kept))
    return [pair for pair in found if id(pair) not in dropped]


class BehaveFolders:
    """behave's features folders of a project (``behave_layout.base``: ``D`` of ``D/steps/*.py`` and of
    ``D/environment.py``), when its behave step modules are in more than one of them; falsy otherwise, and then
    nothing is scoped (every behave definition serves every scenario, as before).

    behave runs one features folder at a time (``Runner.setup_paths``): from the folder or feature file it is given
    it walks up to the first folder holding a ``steps`` folder or an ``environment.py`` (the base) and loads only
    ``base/steps/*.py`` (``load_step_definitions``). So a scenario sees the definitions of its feature file's
    nearest enclosing features folder and no other folder's; a feature file in no features folder sees none of
    them (behave stops: no steps directory). A behave definition outside every steps folder (a step library
    ``step_paths`` names) is registered only when a step module or environment.py imports its file, directly or
    through other imports (``libraries.importers``: the imports the parse recorded, resolved as behave's process
    resolves them): it serves exactly the folders whose runs import it, and no folder when none does (behave never
    loads it). Imports only a file outside ``step_paths`` makes are not seen (tracertm does not read it;
    ``libraries.library_warnings`` names such files when they define steps themselves)."""

    def __init__(self, files: Mapping[str, StepFile], definitions: Iterable[StepDefinition]) -> None:
        from tracertm.steps.python import BehaveStepFile

        definitions = list(definitions)
        self.folder: dict[str, str] = {}  # definition identity → its features folder
        self.libraries: dict[str, frozenset[str]] = {}  # a library definition → the folders whose runs import it
        self.library_files: dict[str, frozenset[str]] = {}  # a library file → the same (the signature)
        # A folder's step module that another folder's run imports (``from features.steps import common``) →
        # those folders: behave registers its definitions there too.
        self.imported: dict[str, frozenset[str]] = {}
        self._order: dict[str, dict[str, tuple[int, str]]] = {}  # path → folder → ``libraries.first_loaders``
        self._hidden: dict[str | None, frozenset[str]] = {}
        self._of_folder: dict[str, str | None] = {}
        modules: set[str] = set()  # the folders with step modules
        for d in definitions:
            if d.framework == "behave" and (b := behave_base(d.path)) is not None:
                self.folder[d.identity] = b
                if not is_environment(d.path):
                    modules.add(b)
        for p, f in files.items():
            if isinstance(f, BehaveStepFile) and not is_environment(p) and (b := behave_base(p)) is not None:
                modules.add(b)
        behave_paths = {d.path for d in definitions if d.framework == "behave"}
        if behave_paths and any(isinstance(f, BehaveStepFile) and f.module_imports for f in files.values()):
            from tracertm.steps.libraries import first_loaders

            # Which module's import registers each file's definitions: behave's registration order (``order``).
            self._order = first_loaders(files, behave_paths)
        self.active = len(modules) > 1
        if not self.active:
            self.folder = {}
            self.bases: frozenset[str] = frozenset()
            return
        # An environment.py stops behave's walk up as a steps folder does, with or without step modules.
        self.bases = frozenset(modules | {b for p in files if is_environment(p) and (b := behave_base(p)) is not None}
                               | set(self.folder.values()))
        for d in definitions:
            if d.framework != "behave":
                continue
            loaded = frozenset(self._order.get(d.path, ()))
            if d.identity not in self.folder:
                self.libraries[d.identity] = self.library_files[d.path] = loaded
            elif loaded - {self.folder[d.identity]}:
                self.imported[d.identity] = self.library_files[d.path] = loaded | {self.folder[d.identity]}

    def __bool__(self) -> bool:
        return self.active

    @property
    def signature(self) -> str:
        """The folders and which of them import each step library (empty when nothing is scoped): a scenario's
        definitions depend on them."""
        if not self.active:
            return ""
        return repr((sorted(self.bases), sorted((p, sorted(b)) for p, b in self.library_files.items())))

    def base_of(self, path: str) -> str | None:
        """The features folder whose run has the scenarios of feature file ``path``: the nearest one enclosing it;
        None when there is none."""
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        if folder in self._of_folder:
            return self._of_folder[folder]
        parts = folder.split("/") if folder else []
        found: str | None = None
        for n in range(len(parts), -1, -1):
            if "/".join(parts[:n]) in self.bases:
                found = "/".join(parts[:n])
                break
        self._of_folder[folder] = found
        return found

    def hidden(self, base: str | None) -> frozenset[str]:
        """The behave definitions a scenario of features folder ``base`` does not see: every other folder's, and
        the step libraries its run does not import."""
        found = self._hidden.get(base)
        if found is None:
            found = self._hidden[base] = frozenset(
                [i for i, b in self.folder.items() if b != base and base not in self.imported.get(i, ())]
                + [i for i, folders in self.libraries.items() if base not in folders])
        return found

    def group(self, d: StepDefinition) -> frozenset[str]:
        """The registries a behave definition is loaded into: when folders are scoped, those of its features folder
        and of the folders whose runs import its file (none: a library no folder imports); else the one registry
        of every behave definition ("")."""
        if not self.active:
            return frozenset({""})
        own = self.folder.get(d.identity)
        imported = self.imported.get(d.identity) if own is not None else self.libraries.get(d.identity)
        return imported or (frozenset({own}) if own is not None else frozenset())

    def order(self, d: StepDefinition, registry: str) -> tuple[tuple[int, str], int, str, int, int]:
        """The sort key of behave's registration order in ``registry`` (``group``; "": the one registry): the
        environment.py or step module whose run registers the definition (``behave_layout.load_key``), a file it
        imports before its own definitions, then ``matching.behave_order`` within the file. A file no run is
        known to import (one registry: every library stays visible) comes after the folder's own files."""
        loaders = self._order.get(d.path, {})
        if registry:
            loader = loaders.get(registry)
        else:
            loader = min(loaders.values(), default=None)
        if loader is None:
            loader = (2, d.path) if behave_base(d.path) is None else load_key(d.path)
        own = loader[1] == d.path
        return loader, 1 if own else 0, d.path, -1 if d.registration is None else d.registration, d.line


class Lenses:
    """The lenses of a project's scenarios, from its step files (see the module docstring); falsy when no scenario
    needs one."""

    def __init__(self, files: Mapping[str, StepFile], definitions: Iterable[StepDefinition] | None = None) -> None:
        """``definitions``: those matched against, when not all of them come from ``files`` (a sync rebuilds the
        definitions of a step file that does not parse from their rows, scopes included)."""
        self.bindings = Bindings(files)
        if definitions is None:
            definitions = [d for f in files.values() for d in f.definitions]
        elif not isinstance(definitions, (list, tuple)):
            definitions = list(definitions)
        # (a cucumber-js definition has a scope when the LynxWall cucumber-tsflow tags it: ``tsflow_tagged``)
        scoped_definitions = [d for d in definitions
                              if d.scopes and d.framework in ("reqnroll", "playwright-bdd", "cucumber-js")]
        self._scoped = {d.identity: d.scopes for d in scoped_definitions}
        self._all_scoped = frozenset(self._scoped)
        self._tagged = frozenset(d.identity for d in scoped_definitions if d.framework == "playwright-bdd")
        # the definitions scoped by the pickle's tags, an outline row's Examples tags too: playwright-bdd's and
        # cucumber-tsflow's (``StepUse.row_tags``)
        self._pickled = frozenset(d.identity for d in scoped_definitions if d.framework != "reqnroll")
        self.behave = BehaveFolders(files, definitions)
        self.filling = filling_folders(files, definitions)
        self._cache: dict[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], Lens | None] = {}

    def __bool__(self) -> bool:
        return bool(self.bindings) or bool(self._scoped) or self.behave.active

    @property
    def signature(self) -> str:
        """What the lenses depend on beyond the definitions themselves (their scopes are part of the definitions)."""
        if self.behave.active:
            return f"{self.bindings.signature}\x00behave:{self.behave.signature}"
        return self.bindings.signature

    @property
    def verdicts_signature(self) -> str:
        """``signature`` and behave's features folders, where an outline row fills the Background (``filling``):
        what the verdicts depend on beyond the definitions and parameter types (``prematch.digest``)."""
        return f"{self.signature}\x00filling:{sorted(self.filling)!r}" if self.filling else self.signature

    def for_rows(self, path: str, scenario: str, feature: str, tags: Sequence[str],
                 rows: Mapping[int, tuple[str, ...]]) -> dict[int, Lens]:
        """The lens of each outline row whose Examples block has tags (``rows``: row line → those tags,
        ``scenarios.examples_tags``), when a definition is scoped by them (``for_scenario``'s ``row_tags``); the
        other rows have their scenario's."""
        if not self._pickled:
            return {}
        return {line: lens for line, row_tags in rows.items()
                if (lens := self.for_scenario(path, scenario, feature, tags, row_tags)) is not None}

    def runner(self, path: str, lens: Lens | None) -> str:
        """Which runner fills an outline row into the steps of a scenario of feature file ``path`` (``lens``: its
        lens): ``runner_of``."""
        return runner_of(path, lens, self.filling)

    def for_scenario(self, path: str, scenario: str, feature: str = "", tags: Sequence[str] = (),
                     row_tags: Sequence[str] = ()) -> Lens | None:
        """The lens of scenario ``scenario`` of feature file ``path`` (feature title ``feature``; ``tags``: the
        feature's, the rule's and the scenario's, without ``@``; ``row_tags``: an outline row's Examples block's,
        ``StepUse.row_tags``); None when nothing depends on the scenario."""
        key = (path, scenario, feature, tuple(tags), tuple(row_tags))
        if key in self._cache:
            return self._cache[key]
        views = self.bindings.views_for(path, scenario) if self.bindings else None
        in_scope: dict[str, int] | None = None
        if self._scoped:
            marked = {f"@{t}" for t in tags}
            # The pickle's tags, playwright-bdd and cucumber-tsflow scope by: a row's Examples tags too (Reqnroll
            # counts them as well, not modelled here). playwright-bdd tags a feature file's scenarios with the
            # ``@tag`` parts of its path too (``TagsFromPathInjector``); Reqnroll does not.
            pickled = marked | {f"@{t}" for t in row_tags}
            pathed = pickled | set(path_tags(path)) if self._tagged else pickled
            in_scope = {identity: n for identity, scopes in self._scoped.items()
                        if (n := best_match(scopes, feature, scenario,
                                            pathed if identity in self._tagged else
                                            pickled if identity in self._pickled else marked)) is not None}
        hidden: frozenset[str] = frozenset()
        base: str | None = None
        if self.behave.active:
            base = self.behave.base_of(path)
            hidden = self.behave.hidden(base)
        if views is None and in_scope is None and not self.behave.active:
            lens = None
        else:
            parts = [] if views is None else [v.module for v in views]
            if in_scope is not None:
                parts.append(repr(sorted(in_scope.items())))
            if self.behave.active:
                parts.append(f"behave:{base!r}")
            lens = Lens("\x00" + "\x00".join(parts), views, in_scope, self._all_scoped, hidden)
        self._cache[key] = lens
        return lens


def filling_folders(files: Mapping[str, StepFile], definitions: Iterable[StepDefinition]) -> frozenset[str]:
    """behave's features folders of a project (``behave_layout.base``: ``D`` of ``D/steps/*.py`` and of
    ``D/environment.py``), one or many — those of its behave step files and of its behave definitions (a sync
    rebuilds a step file's that does not parse from their rows): behave runs the feature files under them."""
    from tracertm.steps.python import BehaveStepFile

    found = {b for p, f in files.items() if isinstance(f, BehaveStepFile) and (b := behave_base(p)) is not None}
    found.update(b for d in definitions if d.framework == "behave" and (b := behave_base(d.path)) is not None)
    return frozenset(found)


def runner_of(path: str, lens: Lens | None, folders: Collection[str]) -> str:
    """Which runner fills an outline's Examples rows into the steps of a scenario of feature file ``path``, as
    ``scenarios.as_run`` takes it: ``"pytest-bdd"`` for a scenario its test modules bind (``lens.views``),
    ``"behave"`` for the feature files under its features ``folders`` (``filling_folders``), else ``""``: gherkin's
    pickles (Cucumber, godog, Reqnroll, playwright-bdd). behave and pytest-bdd fill the row into the Background's
    steps too (their parsers substitute every step of the row's scenario), and each fills in its own way
    (``outline_fill``)."""
    if lens is not None and lens.views is not None:
        return PYTEST_BDD
    return BEHAVE if runs(path, folders) else ""


__all__ = ["BehaveFolders", "Lens", "Lenses", "filling_folders", "runner_of", "tsflow_tagged"]
