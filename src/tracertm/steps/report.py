"""The step report: every definition with the steps that use it, the unused ones, the undefined and ambiguous
steps, and the findings about step files; rendered as text (grouped like behave's ``steps.usage`` and cucumber-js's
``usage`` formatter) or as a JSON-ready dict."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tracertm.errors import Diagnostic, ParseError
from tracertm.parsers.step_text import as_written
from tracertm.steps.compiled import Compiled, DefinitionError
from tracertm.steps.cucumber_matchers import parse_tree
from tracertm.steps.expressions import compile_definition, compile_matchable
from tracertm.steps.matching import StepIndex, StepResult, behave_order
from tracertm.steps import behave_features
from tracertm.steps.behave_layout import base as behave_base
from tracertm.steps.behave_layout import is_environment
from tracertm.steps.model import ParameterTypeDecl, StepDefinition, StepFile, exclusive
from tracertm.steps.parameter_types import FAMILY, ListedType, Registries, group_regexps, prefer_option
from tracertm.steps.python import BehaveStepFile
from tracertm.steps.python_types import field_types
from tracertm.steps.lens import BehaveFolders, Lenses
from tracertm.steps.scenarios import StepUse

FILTERS = ("undefined", "unused", "ambiguous")


@dataclass
class StepReport:
    """Definitions (file order), per-step results (feature order) and findings."""

    definitions: list[StepDefinition] = field(default_factory=list)
    results: list[StepResult] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # identities of definitions that cannot match (findings above)
    # The AmbiguousParameterTypeError findings among ``errors`` (``_ambiguous_lookups``): they depend on which steps
    # match, so the hook looks for those a commit's features cause in step files it leaves alone (steps.checks).
    lookups: list[Diagnostic] = field(default_factory=list)
    step_files: int = 0
    feature_files: int = 0
    strip_colon: bool = False  # behave's steps matched without a trailing ":" (``behave_strip_trailing_colon``)

    def uses(self) -> dict[str, list[StepResult]]:
        """Definition identity → the steps it alone matches (ambiguous steps count for none, as in cucumber)."""
        out: dict[str, list[StepResult]] = {d.identity: [] for d in self.definitions}
        for r in self.results:
            if r.status == "defined":  # one definition, or one per pytest-bdd module running the scenario
                for d, _ in r.matches:
                    out[d.identity].append(r)
        return out

    def usage_counts(self) -> dict[str, int]:
        return {identity: len(results) for identity, results in self.uses().items()}

    def unused(self) -> list[StepDefinition]:
        """Definitions no step matches at all. (One that only ambiguous steps match is not unused: the ambiguity is
        the finding. Its usage count is still 0, as in cucumber-js's usage report.)"""
        matched = {d.identity for r in self.results for d, _ in r.matches}
        # The same step written in each branch of an ``if``/``try`` (``model.exclusive``): a step links to the first
        # (``matching.settle``), the others are its alternatives, not unused code.
        def same(d: StepDefinition) -> tuple[str, str, str, str, str]:
            return d.path, d.keyword, d.kind, d.pattern, d.flags

        used = {same(d): d for d in self.definitions if d.identity in matched and d.alternatives}
        return [d for d in self.definitions if d.identity not in matched and d.identity not in self.broken
                and not (d.alternatives and exclusive(d, used.get(same(d), d)))]

    def undefined(self) -> list[StepResult]:
        return _distinct(r for r in self.results if r.status == "undefined")

    def ambiguous(self) -> list[StepResult]:
        return _distinct(r for r in self.results if r.status == "ambiguous")

    def undefined_rows(self) -> list[tuple[StepResult, tuple[int, ...]]]:
        return failing_rows(r for r in self.results if r.status == "undefined")

    def ambiguous_rows(self) -> list[tuple[StepResult, tuple[int, ...]]]:
        return failing_rows(r for r in self.results if r.status == "ambiguous")

    def as_dict(self, only: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "step_files": self.step_files,
            "feature_files": self.feature_files,
            "steps": len(self.results),
            "errors": [d.as_dict() for d in self.errors],
            "warnings": [d.as_dict() for d in self.warnings],
        }
        if only in (None, "unused"):
            uses = self.uses()
            definitions = self.unused() if only == "unused" else self.definitions
            out["definitions"] = [
                {**d.as_dict(), "usage_count": len(uses[d.identity]),
                 "matches": [_use_dict(r) for r in _listed_uses(uses[d.identity])]}
                for d in definitions
            ]
        if only in (None, "undefined"):
            out["undefined"] = [_failing_dict(r, rows, False) for r, rows in self.undefined_rows()]
        if only in (None, "ambiguous"):
            out["ambiguous"] = [_failing_dict(r, rows, True) for r, rows in self.ambiguous_rows()]
        return out


def _use_dict(r: StepResult) -> dict[str, object]:
    """A listed use as JSON (``_listed_uses``): a Background step as written names no row (listed once for all)."""
    args = r.matches[0][1] if r.matches else ()
    out = {**r.use.as_dict(), "arguments": [a.value for a in args]}
    if not r.use.names_row:
        out["row_line"] = None
    return out


def _distinct(results: Iterable[StepResult]) -> list[StepResult]:
    """One per (feature, line, text): a Background step counts once, an outline step once per distinct text."""
    seen: dict[tuple[str, int, str], StepResult] = {}
    for r in results:
        seen.setdefault((r.use.path, r.use.line, r.use.text), r)
    return list(seen.values())


def _listed_uses(results: Iterable[StepResult]) -> list[StepResult]:
    """The uses of a definition as the report lists them: each Examples row of an outline step (its own step, or a
    Background step its row filled: ``StepUse.names_row``), even where two rows fill in the same text — as
    cucumber-js's ``usage`` formatter and ``show STEP-n`` list them; a Background step as written once, however
    many scenarios run it (its use is still counted per scenario)."""
    seen: dict[tuple[str, int, str, int | None], StepResult] = {}
    for r in results:
        use = r.use
        seen.setdefault((use.path, use.line, use.text, use.row_line if use.names_row else None), r)
    return list(seen.values())


def failing_rows(results: Iterable[StepResult]) -> list[tuple[StepResult, tuple[int, ...]]]:
    """``_distinct``, each with the Examples rows (lines, ascending) its text fails in. Several rows can give an
    outline step the same text (``| pear | 1 |`` and ``| pear | 2 |``): naming only the first would hide the others.
    A Background step as written names none: it fails in every scenario, row or not, so a row says nothing about
    where (``StepUse.names_row``; one its row filled does)."""
    seen: dict[tuple[str, int, str, str], tuple[StepResult, set[int]]] = {}
    for r in results:
        use = r.use
        entry = seen.setdefault((use.path, use.line, use.text, r.status), (r, set()))
        if use.row_line is not None and use.names_row:
            entry[1].add(use.row_line)
    return [(r, tuple(sorted(rows))) for r, rows in seen.values()]


def _failing_dict(r: StepResult, rows: tuple[int, ...], full: bool) -> dict[str, object]:
    """A failing step as JSON: ``row_line`` the first failing row, ``row_lines`` every one."""
    out = r.as_dict() if full else r.use.as_dict()
    out["row_line"] = rows[0] if rows else None
    out["row_lines"] = list(rows)
    if r.colon_match is not None:
        out["hint"] = colon_hint(r)
    return out


def colon_hint(r: StepResult) -> str:
    """What to do about an undefined step a behave definition matches once its trailing ":" is stripped
    (``StepResult.colon_match``): behave before 1.3 does strip it."""
    d = r.colon_match
    assert d is not None
    return (f"behave before 1.3 strips the trailing ':' of a step with a doc string or a data table, and then "
            f"{_keyword_call(d)} ({d.location}) matches it: if the project runs behave < 1.3, set "
            "behave_strip_trailing_colon = true in .tracertm.toml (or [tool.tracertm] of pyproject.toml)")


# ---------------------------------------------------------------------------------------------------- building


def build_report(
    step_files: Mapping[str, StepFile | ParseError],
    features: Mapping[str, list[StepUse] | ParseError],
    titles: Mapping[str, Collection[str] | None] | None = None,
    invalid: Collection[str] = (),
    *,
    strip_colon: bool = False,
) -> StepReport:
    """Compile every definition with the project's parameter types, match every step, collect the findings.
    Features that are not valid Gherkin are skipped (the feature parser reports them). ``titles``: feature files
    (beyond ``features``: those that did not parse) → their scenario titles, None where not known; a pytest-bdd
    binding to a feature file none of these is, or to a title its file lacks, is a finding
    (``pytest_bdd.Bindings.stale``), and so is one to a file that is not valid Gherkin: a ``ParseError`` in
    ``features``, or a path of ``invalid`` (for callers that leave such files out of ``features``). ``strip_colon``:
    behave's steps with a doc string or a data table are matched without their trailing ":"
    (``behave_strip_trailing_colon``: ``parsers.records.strips_trailing_colon`` of the settings' options).

    With the cyclic garbage collector paused (``tracertm.collector``), as a sync's matching is: a report builds a
    result per executed step (130,000 on the large bench corpus) next to every parsed feature, and each
    collection re-scanned them all — half the CPU time of matching the large corpus."""
    from tracertm.collector import collector_paused

    with collector_paused():
        return _build_report(step_files, features, {**dict.fromkeys(features), **(titles or {})}, invalid,
                             strip_colon)


def _build_report(
    step_files: Mapping[str, StepFile | ParseError],
    features: Mapping[str, list[StepUse] | ParseError],
    titles: Mapping[str, Collection[str] | None],
    invalid: Collection[str] = (),
    strip_colon: bool = False,
) -> StepReport:
    report = StepReport(step_files=len(step_files), feature_files=len(features), strip_colon=strip_colon)
    files = [step_files[p] for p in sorted(step_files)]
    for f in files:
        if isinstance(f, ParseError):
            report.errors.extend(f.diagnostics)
        else:
            report.errors.extend(f.errors)
            report.warnings.extend(f.warnings)
    parsed = [f for f in files if isinstance(f, StepFile)]
    registries = Registries(t for f in parsed for t in f.parameter_types)
    compiled = []
    for f in parsed:
        for d in f.definitions:
            report.definitions.append(d)
            try:
                compiled.append(compile_definition(d, registries))
            except DefinitionError as exc:
                report.broken.add(d.identity)
                finding = Diagnostic(d.path, d.line, d.column, f"step definition {d.display_pattern!r} {exc}",
                                     exc.severity)
                (report.errors if exc.severity == "error" else report.warnings).append(finding)
    report.errors.extend(registries.findings)
    lenses = Lenses({f.path: f for f in parsed})
    if lenses.bindings:
        unparsed = {p for p, uses in features.items() if isinstance(uses, ParseError)}
        report.warnings.extend(lenses.bindings.stale(titles, unparsed.union(invalid)))
    index = StepIndex(compiled, registries, strip_colon=strip_colon)
    unregistered = _behave_unregistered([c.definition for c in compiled], registries, parsed, lenses.behave)
    stopped = _matcher_stopped(parsed, lenses.behave)  # (their error is the selection's, below)
    refused = _behave_refuses(_loaded(compiled, stopped.union(unregistered)), index, *_behave_read(parsed),
                              group=lenses.behave.group, order=lenses.behave.order)
    refused.update(unregistered)
    report.errors.extend(_unregistered_matcher(parsed, lenses.behave))
    if refused or stopped:
        report.errors.extend(refused.values())
        report.broken.update(refused, stopped)
        slow, spent = index.slow, index.spent
        index = StepIndex((c for c in compiled if c.definition.identity not in report.broken), registries,
                          strip_colon=strip_colon)
        index.slow.update(slow)
        index.spent.update(spent)
    for p in sorted(features):
        uses = features[p]
        if not isinstance(uses, ParseError):
            report.results.extend(index.match_all(uses, lenses))
    if lenses.bindings:
        for p in sorted(features):
            uses = features[p]
            if not isinstance(uses, ParseError):
                report.errors.extend(lenses.bindings.conjunction_first(p, uses))
    # behave's parser refuses a conjunction no step types, a doc string between ``` lines and Examples under a plain
    # Scenario (its whole run stops); its features folders' files only.
    folders = {b for f in parsed if isinstance(f, BehaveStepFile) and (b := behave_base(f.path)) is not None}
    if folders:
        said = {(e.path, e.line) for e in report.errors}
        for p in sorted(features):
            uses = features[p]
            if not isinstance(uses, ParseError) and behave_features.runs(p, folders):
                report.errors.extend(e for e in behave_features.conjunction_first(p, uses)
                                     if (e.path, e.line) not in said)
                report.errors.extend(behave_features.parser_refusals(p, uses))
    report.errors.extend(index.findings())
    report.lookups = _ambiguous_lookups(report.definitions, report.results, registries)
    report.errors.extend(report.lookups)
    report.broken.update(index.slow)
    return report


def _ambiguous_lookups(definitions: Iterable[StepDefinition], results: Iterable[StepResult],
                       registries: Registries) -> list[Diagnostic]:
    """cucumber's ``AmbiguousParameterTypeError``: when a regex definition matches a step, cucumber looks up the
    parameter type of each of its groups by the group's regexp text (``Registries.regexp_rivals``), and throws when
    several types have that regexp and none is preferential — cucumber-js stops the run there, a dry run too. Only
    then: a definition no step matches is never looked up. An error at each such definition, naming the first step
    that matches it."""
    suspects: dict[str, tuple[str, list[ListedType]]] = {}
    for d in definitions:
        family = FAMILY[d.framework]
        if d.kind != "regex" or family not in registries.by_regexp:
            continue
        for group in group_regexps(d.pattern):
            rivals = registries.regexp_rivals(family, group)
            if rivals:
                suspects[d.identity] = (group, rivals)
                break
    if not suspects:
        return []
    found: dict[str, tuple[StepDefinition, StepUse]] = {}
    for r in results:
        for d, _ in r.matches:
            if d.identity in suspects:
                found.setdefault(d.identity, (d, r.use))
    out = []
    for d, use in found.values():
        group, rivals = suspects[d.identity]
        declared = [t.decl for t in rivals if t.decl is not None]  # (a built-in type cannot be made preferential)
        fix = (f"make one {prefer_option(declared[0].language)}, or write a Cucumber Expression" if declared
               else "write a Cucumber Expression, or a group of another regexp")
        out.append(Diagnostic(
            d.path, d.line, d.column,
            f"step definition {d.display_pattern!r} matches the step '{as_written(use.keyword, use.text)}' "
            f"({use.path}:{use.line}), and cucumber cannot tell which parameter type its group ({group}) is: "
            f"{', '.join(map(str, rivals))} all have that regexp, none preferential (cucumber stops: "
            f"AmbiguousParameterTypeError) — {fix}", names=(use.path,)))
    return out


def behave_refused(
    definitions: Iterable[StepDefinition], registries: Registries, files: Iterable[StepFile | ParseError] = ()
) -> set[str]:
    """The identities of the behave ``definitions`` behave refuses to load (``_behave_refuses``,
    ``_behave_unregistered``, ``_matcher_stopped``): left out of the matching wherever steps are matched, as
    ``tracertm steps`` leaves them out — sync's (``links.refresh``) and its parse workers' (``prematch.matcher``).
    ``files``: the parsed step files the definitions come from (what was written for behave's ``re`` matcher;
    definitions rebuilt from rows are checked as of unknown matcher)."""
    behave = [d for d in definitions if d.framework == "behave"]
    parsed = [f for f in files if isinstance(f, StepFile)]
    # One registry per features folder when there are several (``lens.BehaveFolders``): behave loads one per run.
    folders = BehaveFolders({f.path: f for f in parsed}, behave)
    unregistered = set(_behave_unregistered(behave, registries, parsed, folders))
    unregistered |= _matcher_stopped(parsed, folders) & {d.identity for d in behave}
    if len(behave) < 2:
        return unregistered
    compiled = compile_matchable(behave, registries)
    read = _behave_read(parsed)
    return unregistered | set(_behave_refuses(_loaded(compiled, unregistered), StepIndex(compiled), *read,
                                              group=folders.group, order=folders.order))


def _loaded(compiled: list[Compiled], unloaded: Collection[str]) -> list[Compiled]:
    """``compiled`` but the definitions behave stops before registering (``unloaded``: ``_matcher_stopped``,
    ``_behave_unregistered``): ``_behave_refuses`` checks only what behave registers — one it never registers
    refuses no later definition as ambiguous with it, nor is refused as ambiguous itself (its error is its stop)."""
    return [c for c in compiled if c.definition.identity not in unloaded] if unloaded else compiled


def _behave_unregistered(
    definitions: Iterable[StepDefinition], registries: Registries, files: Iterable[StepFile],
    folders: BehaveFolders | None = None,
) -> dict[str, Diagnostic]:
    """behave checks a definition's custom types when it registers it: a parse/cfparse field type no
    ``register_type`` has declared by then is ``ValueError: format spec 'X' not recognised`` (cfparse:
    ``MissingTypeError``), a Cucumber Expression's ``{name}`` no ``define_parameter_type`` has defined by then is
    cucumber-expressions' ``UndefinedParameterTypeError`` (behave's matcher builds the expression there), and behave
    stops loading the step code. behave runs ``environment.py`` first, then the step modules of the steps folder in
    sorted file-name order, each top to bottom. A definition (of a file ``python.parse`` read here) whose type is
    declared only by modules of its folder loaded after it, or below it in its own file, is refused — unless its
    file imports the declaring module (which runs it first). A declaration anywhere else (a helper module, another
    folder) counts as made in time: tracertm cannot tell when it runs — except, when behave's features folders are
    scoped (``folders``), one in another features folder's step modules or environment.py: behave never runs it
    in this folder's run. Identity → the error at the definition."""
    if not registries.behave_sites and not registries.behave_cucumber_sites:
        return {}
    scoped = folders is not None and folders.active
    imports = {f.path: f.imports for f in files if isinstance(f, BehaveStepFile)}
    refused: dict[str, Diagnostic] = {}
    for d in definitions:
        if d.framework == "behave" and d.path in imports:
            found = _unregistered_type(d, registries, imports[d.path], scoped)
            if found is not None:
                refused[d.identity] = found
    return refused


def _unregistered_type(d: StepDefinition, registries: Registries, imports: frozenset[str], scoped: bool
                       ) -> Diagnostic | None:
    """``_behave_unregistered`` of one behave definition: the error at it, or None when behave registers it."""
    cucumber = d.kind == "cucumber-expression"
    if cucumber:
        names, sites = _cucumber_parameters(d.pattern), registries.behave_cucumber_sites
    elif d.kind in ("parse", "cfparse"):
        names, sites = field_types(d.pattern), registries.behave_sites
    else:
        return None
    # behave's own words when it refuses, the call that declares such a type, and what that call does to it.
    refusal, call, verb = (("UndefinedParameterTypeError: Undefined parameter type '{}'", "define_parameter_type",
                            "define") if cucumber
                           else ("ValueError: format spec {!r} not recognised", "register_type", "register"))
    done = "defined" if cucumber else "registered"
    here = behave_base(d.path) if scoped else None
    for name in names:
        declared = sites.get(name)
        if not declared:
            continue
        shown = f"the parameter type {{{name}}}" if cucumber else f"the type {name!r}"
        if scoped and here is not None:
            # Declarations of other features folders never run here (a library's, no folder's, may).
            mine = [t for t in declared if behave_base(t.path) in (here, None)]
            if not mine:
                return Diagnostic(
                    d.path, d.line, d.column,
                    f"step definition {_keyword_call(d)} uses {shown}, which only other behave features folders "
                    f"{verb} ({call} at {_sites(declared)}): behave runs each folder with its own steps and refuses "
                    f"to load these ({refusal.format(name)}) — {verb} the type in this folder's environment.py or "
                    "step modules")
            declared = mine
        if any(_registered_before(t, d, imports) for t in declared):
            continue
        return Diagnostic(
            d.path, d.line, d.column,
            f"step definition {_keyword_call(d)} uses {shown}, which behave has not {done} when it loads this "
            f"definition ({call} at {_sites(declared)} runs later: step modules load in file-name order): behave "
            f"refuses to load the steps ({refusal.format(name)}) — {verb} the type in environment.py or in a step "
            "module whose name sorts first")
    return None


def _sites(declared: Iterable[ParameterTypeDecl]) -> str:
    """Where the declarations are, as a finding names them: ``path:line, path:line``."""
    return ", ".join(sorted({f"{t.path}:{t.line}" for t in declared}))


def _cucumber_parameters(pattern: str) -> list[str]:
    """The parameter type names a Cucumber Expression uses (``{color}``: ``color``), as cucumber-expressions parses
    it (an escaped ``\\{`` names none); none when it does not parse (``expressions.pattern_errors`` says so)."""
    if "{" not in pattern:
        return []
    from cucumber_expressions.ast import Node, NodeType
    from cucumber_expressions.errors import CucumberExpressionError

    try:
        tree = parse_tree(pattern)
    except (CucumberExpressionError, DefinitionError):
        return []
    names: list[str] = []
    pending: list[Node] = [tree]
    while pending:
        node = pending.pop()
        if node.ast_type == NodeType.PARAMETER:
            names.append(node.text)
        pending.extend(reversed(node.nodes or ()))
    return list(dict.fromkeys(names))


def _registered_before(t: ParameterTypeDecl, d: StepDefinition, imports: frozenset[str]) -> bool:
    """Whether behave has run declaration ``t`` when it registers definition ``d`` (``_behave_unregistered``)."""
    if is_environment(t.path) or posixpath.dirname(t.path) != posixpath.dirname(d.path):
        return True
    if t.path == d.path:
        return t.line < d.line
    return posixpath.basename(t.path) < posixpath.basename(d.path) or posixpath.basename(t.path)[:-3] in imports


def _unregistered_matcher(files: Iterable[StepFile], folders: BehaveFolders) -> list[Diagnostic]:
    """An error at each selection of behave's ``cucumber_expressions`` step matcher that no registration precedes
    (``_unregistered_selections``)."""
    return [Diagnostic(
        f.path, line, column,
        "behave's step matcher 'cucumber_expressions' is not registered when this line runs: behave refuses "
        "to load the steps (KeyError: 'cucumber_expressions') — call use_step_matcher_for_cucumber_"
        "expressions() from behave.cucumber_expression instead, which registers and selects it")
        for f, line, column in _unregistered_selections(files, folders)]


def _unregistered_selections(files: Iterable[StepFile], folders: BehaveFolders
                             ) -> list[tuple[BehaveStepFile, int, int]]:
    """behave's own step matchers are parse, cfparse, re and re0; ``cucumber_expressions`` exists once
    ``use_step_matcher_for_cucumber_expressions()`` has registered it (``behave.cucumber_expression``; importing the
    module does not), and selecting it by name before that is ``KeyError: 'cucumber_expressions'``, on which behave
    stops loading the step code. The registration is in time when it is above the selection in its module, in
    ``environment.py``, in a step module of the folder loaded earlier (file-name order) or one the module imports,
    or anywhere else tracertm reads (a library, another steps folder: it cannot tell when that runs) — but not in
    another features folder's files when behave's folders are scoped (``folders``). Each selection that no
    registration precedes (``BehaveStepFile.cucumber_selected``): its file, line and column."""
    behave = [f for f in files if isinstance(f, BehaveStepFile)]
    registering = [(f.path, f.cucumber_registered) for f in behave if f.cucumber_registered is not None]
    found: list[tuple[BehaveStepFile, int, int]] = []
    for f in behave:
        here = behave_base(f.path) if folders.active else None
        for line, column in f.cucumber_selected:
            if not any(_runs_before(path, at, f, line) for path, at in registering
                       if here is None or behave_base(path) in (here, None)):
                found.append((f, line, column))
    return found


def _matcher_stopped(files: Iterable[StepFile], folders: BehaveFolders) -> set[str]:
    """The identities of the behave definitions a ``KeyError`` of behave's step matchers keeps it from loading: a
    selection of ``cucumber_expressions`` before its registration (``_unregistered_selections``) or of a matcher
    behave does not have (``BehaveStepFile.unknown_matchers``). behave stops running the module at that line, so
    the definitions below it in the module are never registered — and a selection in ``environment.py``, which
    behave runs before any step module, keeps every definition of its features folder out. The error is at the
    selection (``_unregistered_matcher``, ``python._matcher_name``); these definitions are left out of the matching
    as the definitions behave refuses are (else their steps counted as defined, which behave never runs)."""
    files = list(files)
    stops: dict[str, int] = {}
    for f, line in [*((f, line) for f, line, _ in _unregistered_selections(files, folders)),
                    *((f, line) for f in files if isinstance(f, BehaveStepFile) for line in f.unknown_matchers)]:
        stops[f.path] = min(line, stops.get(f.path, line))
    if not stops:
        return set()
    stopped_folders = {behave_base(path) for path in stops if is_environment(path)}
    return {d.identity for f in files if isinstance(f, BehaveStepFile) for d in f.definitions
            if d.line > stops.get(f.path, d.line) or behave_base(d.path) in stopped_folders}


def _runs_before(path: str, line: int, module: BehaveStepFile, at: int) -> bool:
    """Whether behave has run line ``line`` of ``path`` when it runs line ``at`` of ``module``
    (``_unregistered_matcher``)."""
    if path == module.path:
        return line < at
    if is_environment(path) or posixpath.dirname(path) != posixpath.dirname(module.path):
        return True
    name = posixpath.basename(path)
    return name < posixpath.basename(module.path) or name[:-3] in module.imports


def _behave_read(files: Iterable[StepFile]) -> tuple[frozenset[str], frozenset[str]]:
    """Of the behave files ``python.parse`` read: the identities of their definitions (their matcher is known),
    and those written for behave's ``re`` matcher (``BehaveStepFile.written_for_re``)."""
    behave_files = [f for f in files if isinstance(f, BehaveStepFile)]
    return (frozenset(d.identity for f in behave_files for d in f.definitions),
            frozenset(i for f in behave_files for i in f.written_for_re))


def _behave_refuses(
    compiled: list[Compiled], index: StepIndex, read: frozenset[str] = frozenset(),
    written_for_re: frozenset[str] = frozenset(),
    group: Callable[[StepDefinition], Collection[str]] = lambda d: ("",),
    order: Callable[[StepDefinition, str], tuple[Any, ...]] = lambda d, registry: behave_order(d),
) -> dict[str, Diagnostic]:
    """behave's load-time ``AmbiguousStep``: its ``StepRegistry.add_step_definition`` refuses a definition whose
    pattern text as written an already registered definition of the same step type matches (``given`` against the
    ``given`` ones... ``step`` against the ``step`` ones; ``Matcher.matches`` also counts the earlier pattern equal
    to the text), and behave stops loading the step code. Registration order: ``matching.behave_order`` (step
    modules by file name, then ``StepDefinition.registration``, where a function's stacked decorators come
    bottom-up, as Python applies them, else line). Each refused definition (identity → its error at its line) is
    left out of the registry, as behave leaves it out.

    A behave regex recorded as ``^X$`` was written ``X`` with the ``re`` matcher (``written_for_re``) or ``^X$``
    with ``re0``; for one whose file did not say (not in ``read``: not read by ``python.parse`` here, such as a
    definition rebuilt from its row), it counts as refused only when the earlier definition matches both texts.
    Stacked decorators of one function on consecutive lines with the same pattern are one registration (behave
    skips the same function registered again: ``same_step_matcher``), and definitions in different branches of one
    ``if``/``try``/``match`` (``model.exclusive``) never refuse each other: only one branch runs.

    ``group``: the registries a definition is loaded into (``lens.BehaveFolders.group``: one per features folder
    when there are several; a step library or a step module another folder imports is loaded into each folder
    whose run imports it), ``order``: its registration order in one of them (``BehaveFolders.order``: a library
    where the module importing it first runs). Each registry is checked on its own; definitions of different
    registries never refuse each other."""
    behave = [c for c in compiled if c.definition.framework == "behave"]
    if len(behave) < 2:
        return {}
    groups = {c.definition.identity: group(c.definition) for c in behave}
    refused: dict[str, Diagnostic] = {}
    for registry in sorted({r for g in groups.values() for r in g}):
        members = sorted((c for c in behave if registry in groups[c.definition.identity]),
                         key=lambda c: order(c.definition, registry))
        if len(members) > 1:
            _refuses_in(members, index, read, written_for_re, refused)
    return refused


def _refuses_in(behave: list[Compiled], index: StepIndex, read: frozenset[str], written_for_re: frozenset[str],
                found: dict[str, Diagnostic]) -> None:
    """``_behave_refuses`` in one registry: ``behave``, its definitions in registration order; each refused one
    (not refused in another registry already) into ``found``."""
    order = {c.definition.identity: n for n, c in enumerate(behave)}
    by_pattern: dict[tuple[str, str], list[Compiled]] = {}  # registered so far, by (keyword, pattern)
    refused: dict[str, Diagnostic] = {}
    for n, c in enumerate(behave):
        d = c.definition
        texts = _pattern_texts(d, written_for_re, d.identity in read)
        # Every registered definition that can match the text (the index's), or whose pattern is the text.
        pool = [*index.candidates(texts[0]), *(x for t in texts for x in by_pattern.get((d.keyword, t), ()))]
        earlier: Compiled | None = None
        for other in pool:
            e = other.definition
            if (e.framework != "behave" or e.keyword != d.keyword or order.get(e.identity, n) >= n
                    or e.identity in refused or e.identity in index.slow or exclusive(d, e)
                    or (earlier is not None and order[e.identity] >= order[earlier.definition.identity])):
                continue
            if e.pattern == d.pattern and e.path == d.path and e.function == d.function and abs(d.line - e.line) == 1:
                continue  # one function's stacked decorators: behave's same_step_matcher
            if all(e.pattern == text or _matches(index, other, text) for text in texts):
                earlier = other  # behave names the first registered one that matches
        if earlier is None:
            by_pattern.setdefault((d.keyword, d.pattern), []).append(c)
            continue
        e = earlier.definition
        refused[d.identity] = Diagnostic(
            d.path, d.line, d.column,
            f"step definition {_keyword_call(d)} would be ambiguous with {_keyword_call(e)} at {e.location}: "
            "behave refuses to load it (AmbiguousStep: the earlier definition matches this pattern's text); remove "
            "one of them or narrow the earlier one", names=(e.path,))
        found.setdefault(d.identity, refused[d.identity])


def _matches(index: StepIndex, c: Compiled, text: str) -> bool:
    """behave's ``Matcher.matches``: a type converter that raises (``MatchWithError``) is no match."""
    try:
        return index.try_match(c, text) is not None
    except Exception:  # noqa: BLE001 - a converter of parse's built-in types refusing the text
        return False


def _pattern_texts(d: StepDefinition, written_for_re: frozenset[str] = frozenset(), known: bool = False
                   ) -> tuple[str, ...]:
    """The text behave's registry checks a new definition's predecessors against: its pattern as written — for
    behave's ``re`` matcher without the ``^…$`` it is recorded (and matched) with. A behave regex recorded as
    ``^X$`` whose matcher is not ``known`` may be ``re``'s ``X`` or ``re0``'s ``^X$`` (both: see
    ``_behave_refuses``)."""
    p = d.pattern
    if d.kind == "regex" and len(p) >= 2 and p.startswith("^") and p.endswith("$"):
        inner = p[1:-1]
        if d.identity in written_for_re:
            return (inner,)
        if not known and not (inner.startswith("^") or inner.endswith("$")):
            return inner, p
    return (p,)


# --------------------------------------------------------------------------------------------------- rendering


def _keyword_call(d: StepDefinition) -> str:
    """How the definition is written: ``@Given('…')``, ``Given('…')``, ``@Étantdonné('…')`` (``StepDefinition.label``
    when the parser kept the keyword as written)."""
    name: str = d.keyword
    if d.language in ("javascript", "typescript", "java", "ruby", "csharp", "go"):
        name = name.capitalize()
    shown = d.display_pattern
    if not (d.kind == "regex" and shown.startswith("/") and d.language in ("javascript", "typescript", "ruby")):
        shown = f"'{shown}'"  # as written (no escaping), like behave's steps.usage
    if d.label:
        return f"{d.label}({shown})"
    return f"@{name}({shown})" if d.language in ("python", "java", "csharp") else f"{name}({shown})"


def _step_line(r: StepResult, rows: tuple[int, ...] | None = None) -> str:
    """``rows``: the failing Examples rows of an undefined or ambiguous step (``failing_rows``); None: the step's own
    row (a used step, listed once per row under its definition: ``_listed_uses``)."""
    if rows is None:  # (a Background step as written: listed once for every scenario and row, so naming none)
        rows = (r.use.row_line,) if r.use.row_line is not None and r.use.names_row else ()
    hint = f"; {colon_hint(r)}" if r.colon_match is not None else ""
    return f"{as_written(r.use.keyword, r.use.text)}  # {r.use.location}{rows_note(rows, 'line')}{hint}"


def rows_note(rows: tuple[int, ...], on: str) -> str:
    """`` (Examples row line 15)`` / `` (Examples rows lines 15, 16, 18)``; ``on``: the word before the lines."""
    if not rows:
        return ""
    if len(rows) == 1:
        return f" (Examples row {on} {rows[0]})"
    return f" (Examples rows {on}s {', '.join(map(str, rows))})"


def render_text(report: StepReport, only: str | None = None) -> str:
    """The report as text: usage per definition (file order), then the unused, undefined and ambiguous sections."""
    out: list[str] = []
    uses = report.uses()
    if only is None:
        for d in report.definitions:
            matched = _listed_uses(uses[d.identity])
            if not matched:
                continue
            out.append(f"{_keyword_call(d)}  # {d.location}  ({len(uses[d.identity])} uses)")
            out.extend(f"  {_step_line(r)}" for r in matched)
            out.append("")
    if only in (None, "unused"):
        unused = report.unused()
        out.append(f"UNUSED STEP DEFINITIONS[{len(unused)}]:")
        out.extend(f"  {_keyword_call(d)}  # {d.location}" for d in unused)
        out.append("")
    if only in (None, "undefined"):
        undefined = report.undefined_rows()
        out.append(f"UNDEFINED STEPS[{len(undefined)}]:")
        out.extend(f"  {_step_line(r, rows)}" for r, rows in undefined)
        out.append("")
    if only in (None, "ambiguous"):
        ambiguous = report.ambiguous_rows()
        out.append(f"AMBIGUOUS STEPS[{len(ambiguous)}]:")
        for r, rows in ambiguous:
            out.append(f"  {_step_line(r, rows)}")
            out.extend(f"    matches {_keyword_call(d)}  # {d.location}" for d, _ in r.matches)
        out.append("")
    # Each entry one line, whatever its pattern holds (a Python string's ``\n``): escaped as ``check`` shows it.
    from tracertm.output import one_line

    return "\n".join(map(one_line, out)).rstrip("\n")
