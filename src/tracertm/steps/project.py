"""``tracertm.steps.analyze()``: the step report of a source (work tree, ``--ref``, ``--staged``), straight from
the files like ``check``: no database."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Mapping

from tracertm.config import Settings, load_settings
from tracertm.errors import Diagnostic, ParseError, UsageError
from tracertm.engine.scan import Location, Snapshot, scan
from tracertm.parsers.records import ParserOptions, strips_trailing_colon
from tracertm.steps.behave_layout import is_step_module
from tracertm.steps.model import StepFile
from tracertm.steps.parsing import environment_matchers, parse_step_file, with_matchers
from tracertm.steps.python import BehaveStepFile
from tracertm.steps.report import StepReport, build_report
from tracertm.steps.scenarios import StepUse, feature_uses, scenario_titles


def parse_step_files(items: Iterable[tuple[str, bytes]], options: ParserOptions) -> dict[str, StepFile | ParseError]:
    """Parse step files; a file that cannot be read is its ``ParseError``. behave's step modules are read with the
    step matcher the environment.py among ``items`` of their features folder leaves (``parsing.with_matchers``;
    ``options`` may carry those of environment.py files not among ``items``), or the default an earlier step module
    of their folder among ``items`` set with ``use_default_step_matcher(name)``."""
    items = sorted(items)  # behave's load order within a folder: file names sorted (same folder, same prefix)
    options = with_matchers(options, environment_matchers(items, options))
    # behave loads a folder's step modules one after another and, after each, goes back to the *default* matcher;
    # a module's ``use_default_step_matcher(name)`` changes that default for the modules loaded after it (behave
    # 1.3's ``runner_util.load_step_modules``). Folder → the default the last module parsed there left.
    defaults: dict[str, str] = {}
    out: dict[str, StepFile | ParseError] = {}
    for path, data in items:
        folder = posixpath.dirname(path)
        try:
            out[path] = parsed = parse_step_file(path, data, options, defaults.get(folder))
        except ParseError as exc:
            out[path] = exc
            continue
        if isinstance(parsed, BehaveStepFile) and is_step_module(path):
            defaults[folder] = parsed.default_matcher
    return out


def parse_features(
    items: Iterable[tuple[str, bytes]], options: ParserOptions, jobs: int = 1,
    titles: dict[str, frozenset[str]] | None = None,
) -> dict[str, list[StepUse] | ParseError]:
    """The executed steps of feature files (parsed by the feature parser, in ``jobs`` processes when there are
    many); a file that is not valid Gherkin is its ``ParseError``. ``titles``, when given, gets each parsed file's
    scenario titles (``build_report``'s)."""
    from tracertm.engine.parse import parse_files

    outcomes = parse_files([(p, "feature", data) for p, data in items], options, jobs)
    if titles is not None:
        titles.update((p, scenario_titles(o)) for p, o in outcomes.items() if not isinstance(o, ParseError))
    return {p: o if isinstance(o, ParseError) else feature_uses(o, as_written=True) for p, o in outcomes.items()}


def _read(snapshot: Snapshot) -> tuple[list[tuple[str, bytes]], list[ParseError]]:
    readable = sorted(p for p, f in snapshot.files.items() if f.error is None)
    errors = [ParseError.from_diagnostics([f.error]) for f in snapshot.files.values() if f.error is not None]
    contents = snapshot.read(readable)
    return [(p, contents[p]) for p in readable], errors


def step_snapshots(
    location: Location, settings: Settings, *, ref: str | None = None, staged: bool = False
) -> tuple[Snapshot, Snapshot]:
    """The step files and the feature files of a source (close both)."""
    steps = scan(location, settings.for_steps(), ref=ref, staged=staged)
    features = scan(location, settings, ref=ref, staged=staged)
    features.files = {p: f for p, f in features.files.items() if f.kind == "feature"}
    return steps, features


def report_from(
    step_items: Iterable[tuple[str, bytes]],
    feature_items: Iterable[tuple[str, bytes]] | Mapping[str, list[StepUse] | ParseError],
    settings: Settings,
    step_errors: Mapping[str, ParseError] | None = None,
    jobs: int = 1,
) -> StepReport:
    """The report over the given step files (path, bytes) and feature files: (path, bytes) to parse, or their
    steps already (path → ``feature_uses`` of the parse). The cyclic collector is paused meanwhile (see
    ``report.build_report``): the parse of every feature and step file is as large a heap."""
    from tracertm.collector import collector_paused

    with collector_paused():
        files: dict[str, StepFile | ParseError] = dict(step_errors or {})
        files.update(parse_step_files(step_items, settings.parser))
        if isinstance(feature_items, Mapping):
            return build_report(files, feature_items, strip_colon=strips_trailing_colon(settings.parser))
        titles: dict[str, frozenset[str]] = {}
        uses = parse_features(feature_items, settings.parser, jobs, titles)
        report = build_report(files, uses, titles, strip_colon=strips_trailing_colon(settings.parser))
    # A definition only a broken feature uses would show as unused with no word why ('tracertm check' has the error).
    for path, outcome in sorted(uses.items()):
        if isinstance(outcome, ParseError) and outcome.diagnostics:
            first = outcome.diagnostics[0]
            report.warnings.append(Diagnostic(path, first.line, first.column, "not valid Gherkin, so its steps are "
                                              f"not matched ({first.message}); 'tracertm check' lists its errors",
                                              "warning"))
    return report


def analyze(
    path: str | os.PathLike[str] | None = None, *, ref: str | None = None, staged: bool = False
) -> StepReport:
    """Discover the step definitions of the repository at ``path`` (``step_paths``), match every scenario step of
    its features, and report usage, unused definitions, undefined and ambiguous steps. Needs no database. With
    ``staged`` the configuration is the index's too (``check --staged``'s); with ``ref``, the work tree's."""
    if ref and staged:
        raise UsageError("--ref and --staged exclude each other; pick one source")
    location = Location.find(path)
    if staged and location.top is not None:
        # The index's configuration, as ``check --staged`` reads it: a step_paths / feature_paths change the commit
        # stages decides what the commit's steps are, and one left unstaged is not the commit's.
        from tracertm.staged_config import staged_settings

        settings = staged_settings(location)
    else:
        settings = load_settings(location.root)
    steps, features = step_snapshots(location, settings, ref=ref, staged=staged)
    try:
        step_items, step_errors = _read(steps)
        feature_items, _ = _read(features)  # unreadable features: `check` reports them
    finally:
        steps.close()
        features.close()
    from tracertm.engine.parse import default_jobs

    report = report_from(step_items, feature_items, settings, {e.path: e for e in step_errors}, default_jobs())
    # Step libraries the step modules import from outside step_paths: behave defines their steps, tracertm cannot
    # read them (a file's kind is its path's), so each such import says which glob would.
    from tracertm.steps.libraries import layout_warnings, library_warnings

    report.warnings.extend(library_warnings(location, settings, dict(step_items), ref=ref, staged=staged))
    # behave's configured stage loads other steps folders than the default step_paths read.
    report.warnings.extend(layout_warnings(location, settings, [p for p, _ in step_items], ref=ref, staged=staged))
    return report


step_report = analyze  # the public name: ``tracertm.step_report(path, ref=..., staged=...)``
