"""The step rules of ``tracertm check``: undefined and ambiguous steps at the feature line, unused definitions at
their line, unreadable step files and definitions. Warnings by default (``--strict`` makes them errors); each rule's
severity can be set with ``[tool.tracertm] step_checks = {undefined = "error", unused = "off", ...}``.

A repository whose ``step_paths`` hold no step definition at all is not checked for steps (its step code lives
elsewhere, or it keeps none): otherwise every step would be "undefined".

In the ``--staged`` hook mode only what the commit touches is matched and reported: the steps of changed features
(against every definition) and, when step files change, the usage of their definitions (against every step) and,
when they change parameter types or where behave's cucumber_expressions matcher is registered, the definition errors
that causes in the other step files (cucumber refuses to start on a definition using an undeclared type; behave on a
module selecting the matcher before its registration ran); and the errors a changed feature's step causes at a
definition of an unchanged file (cucumber's AmbiguousParameterTypeError, once a step matches the definition).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tracertm import git
from tracertm.config import Settings
from tracertm.errors import Diagnostic, ParseError
from tracertm.engine.scan import Location, scan
from tracertm.parsers.records import ParseResult, strips_trailing_colon
from tracertm.parsers.step_text import as_written

if TYPE_CHECKING:  # the matching machinery is imported only when there are steps to match
    from tracertm.steps.matching import StepResult
    from tracertm.steps.scenarios import StepUse
    from tracertm.steps.model import StepDefinition, StepFile
    from tracertm.steps.report import StepReport

# blob ids → bytes (hook mode's `git cat-file --batch`: ``check_changes``)
BlobRead = Callable[[list[str]], dict[str, bytes]]

RULES = ("undefined", "ambiguous", "unused")
SEVERITIES = ("error", "warning", "off")


@dataclass
class StepFindings:
    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    step_files: int = 0

    def add(self, diag: Diagnostic) -> None:
        (self.errors if diag.severity == "error" else self.warnings).append(diag)


def _row(r: StepResult, rows: tuple[int, ...] | None) -> str:
    from tracertm.steps.report import rows_note

    if rows is None:  # a caller without the grouping: the step's own row (a Background step as written names none)
        rows = (r.use.row_line,) if r.use.row_line is not None and r.use.names_row else ()
    return rows_note(rows, "on line")


def undefined_message(r: StepResult, rows: tuple[int, ...] | None = None) -> str:
    """``rows``: every Examples row the step's text is undefined in (``report.failing_rows``)."""
    if r.matches:  # a scenario several pytest-bdd test modules run: some of them see a definition, not all
        where = ", ".join(d.location for d, _ in r.matches)
        return (f"undefined step '{as_written(r.use.keyword, r.use.text)}'{_row(r, rows)}: not every pytest-bdd "
                f"test module that runs this scenario sees a definition for it (only {where} match, in the others' "
                "view); define it where each module sees it (a conftest.py) or bind the feature in fewer modules")
    if r.colon_match is not None:  # behave before 1.3 strips the colon (``behave_strip_trailing_colon``)
        from tracertm.steps.report import colon_hint

        return (f"undefined step '{as_written(r.use.keyword, r.use.text)}'{_row(r, rows)}: no step definition "
                f"matches it with its trailing ':', which behave 1.3 keeps; {colon_hint(r)}")
    from tracertm.text import name_form

    if name_form(r.use.text) != r.use.text:
        # A step saved decomposed (macOS input, some editors) prints exactly as the composed pattern of a definition
        # it does not match: the frameworks compare code points, as the matching here does; show the difference.
        return (f"undefined step {ascii(as_written(r.use.keyword, r.use.text))}{_row(r, rows)}: no step "
                "definition matches it; its text is decomposed (NFD, shown escaped), which a definition written "
                "composed (NFC) does not match, for the test runner either: save the feature file composed (NFC)")
    return (f"undefined step '{as_written(r.use.keyword, r.use.text)}'{_row(r, rows)}: no step definition matches "
            "it; write one or fix the step text")


def ambiguous_message(r: StepResult, rows: tuple[int, ...] | None = None) -> str:
    from tracertm.steps.report import _keyword_call

    where = ", ".join(f"{d.location} {_keyword_call(d)}" for d, _ in r.matches)
    return (f"ambiguous step '{as_written(r.use.keyword, r.use.text)}'{_row(r, rows)}: matched by {where}; "
            "make one pattern narrower")


def unused_message(d: StepDefinition) -> str:
    from tracertm.steps.report import _keyword_call

    return f"unused step definition {_keyword_call(d)}: no scenario step matches it; remove it or use it"


def findings(
    report: StepReport,
    rules: Mapping[str, str],
    *,
    features: Iterable[str] | None = None,
    step_files: Iterable[str] | None = None,
) -> StepFindings:
    """The check findings of a report. ``features`` / ``step_files`` (None = all) limit what is reported on."""
    from tracertm.steps.report import failing_rows

    out = StepFindings(step_files=report.step_files)
    feature_set = set(features) if features is not None else None
    step_set = set(step_files) if step_files is not None else None

    def rule(name: str) -> str:
        return rules.get(name, "warning")

    for diag in [*report.errors, *report.warnings]:
        # (a finding at a feature's step: a framework refusing the feature file, ``report.build_report``)
        if step_set is None or diag.path in step_set or feature_set is not None and diag.path in feature_set:
            out.add(diag)
    for r, rows in failing_rows(r for r in report.results if r.status != "defined"):
        if feature_set is not None and r.use.path not in feature_set:
            continue
        severity = rule(r.status)
        if severity != "off":
            message = undefined_message(r, rows) if r.status == "undefined" else ambiguous_message(r, rows)
            named = tuple(d.path for d, _ in r.matches) + ((r.colon_match.path,) if r.colon_match else ())
            out.add(Diagnostic(r.use.path, r.use.line, r.use.column, message, severity, names=named))
    severity = rule("unused")
    if severity != "off":
        for d in report.unused():
            if step_set is None or d.path in step_set:
                out.add(Diagnostic(d.path, d.line, d.column, unused_message(d), severity))
    return out


def _has_definitions(report: StepReport) -> bool:
    return bool(report.definitions) or bool(report.errors)


# ------------------------------------------------------------------------------------------------------ modes


def check_snapshot(
    location: Location, settings: Settings, features: Mapping[str, ParseResult], *, ref: str | None, staged: bool,
    feature_paths: Iterable[str] = (),
) -> StepFindings:
    """Everything mode: every step file of the source against every parsed feature (``features``: the check's
    own parse results, so no feature is parsed twice; ``feature_paths``: every feature file of the source, those
    that did not parse included)."""
    steps = scan(location, settings.for_steps(), ref=ref, staged=staged)
    try:
        if not steps.files:
            # No step file at all: behave's configured stage may load step modules step_paths do not match.
            none = StepFindings()
            from tracertm.steps.libraries import layout_warnings

            for diag in layout_warnings(location, settings, (), ref=ref, staged=staged):
                none.add(diag)
            return none
        readable = sorted(p for p, f in steps.files.items() if f.error is None)
        contents = steps.read(readable)
    finally:
        steps.close()
    from tracertm.steps.project import parse_step_files
    from tracertm.steps.report import build_report
    from tracertm.steps.scenarios import feature_uses, scenario_titles

    files: dict[str, StepFile | ParseError] = {
        p: ParseError.from_diagnostics([f.error]) for p, f in steps.files.items() if f.error is not None
    }
    files.update(parse_step_files(((p, contents[p]) for p in readable), settings.parser))
    if not any(isinstance(f, ParseError) or f.definitions or f.errors for f in files.values()):
        # No definition to judge steps by, so no verdict; a step module importing a library still says why.
        bare = StepFindings(step_files=len(files))
        _library_hints(bare, location, settings, contents, ref=ref, staged=staged)
        return bare
    uses = {p: feature_uses(r, as_written=True) for p, r in features.items() if r.kind == "feature"}
    feature_paths = list(feature_paths)
    titles: dict[str, frozenset[str] | None] = dict.fromkeys(feature_paths)
    titles.update((p, scenario_titles(r)) for p, r in features.items() if r.kind == "feature")
    # The feature files that did not parse: a pytest-bdd module binding one is refused whole by pytest.
    invalid = [p for p in feature_paths if p not in uses]
    found = findings(build_report(files, uses, titles, invalid, strip_colon=strips_trailing_colon(settings.parser)),
                     settings.step_checks)
    _library_hints(found, location, settings, contents, ref=ref, staged=staged)
    return found


def _library_hints(found: StepFindings, location: Location, settings: Settings, contents: Mapping[str, bytes], *,
                   ref: str | None, staged: bool, only: Iterable[str] | None = None) -> None:
    """The imports of step libraries outside step_paths (``steps.libraries``): why their steps show as
    undefined."""
    from tracertm.steps.libraries import layout_warnings, library_warnings

    for diag in library_warnings(location, settings, contents, ref=ref, staged=staged, only=only):
        found.add(diag)
    if only is None:  # (the hook reports what the commit changes: the step files)
        for diag in layout_warnings(location, settings, contents, ref=ref, staged=staged):
            found.add(diag)


def check_changes(
    location: Location, settings: Settings, read: BlobRead, *,
    diff: Mapping[str, tuple[str | None, str | None]] | None = None,
    listing: Mapping[str, tuple[str, str]] | None = None,
) -> StepFindings:
    """Hook mode: only when the commit changes a step file or a feature; only what it changes is reported.

    ``diff`` (path → (blob in HEAD, blob in the index), at least every spec file the commit changes) and
    ``listing`` (the index: path → (mode, blob id)), root-relative, spare the git calls when the caller (the
    spec check) has made them already."""
    top = location.top
    assert top is not None
    step_settings = settings.for_steps()
    prefix = location.prefix
    prefixes = tuple(prefix + p for p in sorted(set(step_settings.prefixes) | set(settings.prefixes)))
    if diff is None:
        diff = {p[len(prefix):]: v for p, v in git.index_changes(top, "HEAD", prefixes).items()
                if p.startswith(prefix)}
    changed_steps = sorted(p for p, (_, new) in diff.items() if new and step_settings.kind_of(p) is not None)
    changed_features = sorted(p for p, (_, new) in diff.items() if new and settings.kind_of(p) == "feature")
    removed_steps = [p for p, (_, new) in diff.items() if not new and step_settings.kind_of(p) is not None]
    if not (changed_steps or changed_features or removed_steps):
        return StepFindings()
    if listing is None:
        listing = {p[len(prefix):]: v for p, v in git.index_blobs(top, prefixes).items() if p.startswith(prefix)}
    listing = {p: v for p, v in listing.items() if v[0] != "120000"}
    step_paths = sorted(p for p in listing if step_settings.kind_of(p) is not None)
    if not step_paths and not removed_steps:
        return StepFindings()
    # Every feature when definitions changed (their usage needs every step), else only the changed ones.
    if changed_steps or removed_steps:
        feature_paths = sorted(p for p in listing if settings.kind_of(p) == "feature")
    else:
        feature_paths = changed_features
    from tracertm.engine.parse import default_jobs
    from tracertm.steps.project import parse_features, parse_step_files
    from tracertm.steps.report import StepReport, build_report

    # The step files before the change (HEAD's blobs; a new one had none) matter when definitions changed: what the
    # change causes.
    touched = set(changed_steps) | set(removed_steps)
    before = {p: old for p, (old, _) in diff.items() if old and p in touched}
    blobs = read(sorted({listing[p][1] for p in step_paths + feature_paths} | set(before.values())))
    now = parse_step_files(((p, blobs[listing[p][1]]) for p in step_paths), settings.parser)
    # A pool only pays for itself on hundreds of features.
    titles: dict[str, frozenset[str]] = {}
    uses = parse_features(((p, blobs[listing[p][1]]) for p in feature_paths), settings.parser, default_jobs(), titles)
    report = build_report(now, uses, titles, strip_colon=strips_trailing_colon(settings.parser))
    if not _has_definitions(report):
        # No definition left (the commit removes or empties the last step file, or there was none): the commit
        # makes a repository whose step_paths hold no definition, which gets no step findings (``check_snapshot``).
        return StepFindings(step_files=report.step_files)
    from tracertm.steps.behave_layout import base as behave_base
    from tracertm.steps.behave_layout import is_environment as is_behave_environment

    # A changed environment.py changes its step modules' default matcher: their definitions change with it (their
    # unused ones are the commit's doing too). So does a step module that calls ``use_default_step_matcher`` (now or
    # in HEAD) for the step modules of its folder behave loads after it.
    bases = {behave_base(p) for p in touched if is_behave_environment(p)}
    from tracertm.steps.behave_layout import is_step_module
    from tracertm.steps.parsing import may_set_default

    setters = [p for p in sorted(touched) if is_step_module(p)
               and ((p in listing and p in step_paths and may_set_default(blobs[listing[p][1]]))
                    or (p in before and may_set_default(blobs[before[p]])))]
    first: dict[str, str] = {}  # folder → its first step module the commit changes that sets (or did set) a default
    for p in setters:
        first.setdefault(posixpath.dirname(p), p)
    again = {p for p in step_paths if p not in touched
             and ((bases and behave_base(p) in bases)
                  or (is_step_module(p) and p > first.get(posixpath.dirname(p), p)))}
    found = findings(report, settings.step_checks, features=changed_features,
                     step_files=sorted(set(changed_steps) | again))
    _library_hints(found, location, settings, {p: blobs[listing[p][1]] for p in changed_steps if p in listing},
                   ref=None, staged=True, only=changed_steps)
    then: Mapping[str, StepFile | ParseError] = now  # the step files as HEAD holds them
    old: StepReport | None = None  # HEAD's step files against the staged features' steps
    quiet = set(step_paths) - set(changed_steps) - again  # the step files ``found`` does not report on
    if touched:
        # Steps of unchanged features whose verdict the step-file change turned bad (a definition removed or
        # narrowed: undefined; a new overlapping one, also in a new file: ambiguous).
        then_items = [(p, blobs[sha]) for p, sha in before.items()]
        # The step modules of a changed environment.py are read again as before it, with HEAD's environment.py
        # (among ``then_items``), or none when the commit adds it.
        from tracertm.steps.parsing import environment_matchers, with_matchers

        then_items += [(p, blobs[listing[p][1]]) for p in sorted(again)]
        # ... and with the earlier step modules of their folders, whose defaults they start from.
        then_items += [(p, blobs[listing[p][1]]) for p in step_paths if p not in touched and p not in again
                       and is_step_module(p) and posixpath.dirname(p) in first]
        then = {p: f for p, f in now.items() if p not in touched and p not in again}
        now_matchers = environment_matchers(
            ((p, blobs[listing[p][1]]) for p in step_paths if is_behave_environment(p)), settings.parser)
        then_options = with_matchers(settings.parser, {b: m for b, m in now_matchers.items() if b not in bases})
        then.update(parse_step_files(then_items, then_options))
        # A parameter type declared, removed or changed in a touched step file breaks (or mends) definitions in step
        # files the commit leaves alone, which ``found`` does not report on: compared below. So does a registration
        # of behave's cucumber_expressions matcher that moves (a renamed module now loads after a module selecting
        # it) or goes. The titles make the two reports' pytest-bdd findings alike, so only what the commit changed
        # differs.
        declarations_changed = _declared_types(now, touched) != _declared_types(then, touched) or (
            _matcher_registrations(now, touched) != _matcher_registrations(then, touched))
        old = build_report(then, uses, titles if declarations_changed else None, strip_colon=report.strip_colon)
        was = {(r.use.path, r.use.line, r.use.row_line, r.use.text): r.status for r in old.results}
        caused = [r for r in report.results if r.status != "defined" and r.use.path not in set(changed_features)
                  and was.get((r.use.path, r.use.line, r.use.row_line, r.use.text)) == "defined"]
        if caused:
            extra = findings(StepReport(results=caused), settings.step_checks)  # just these steps
            for diag in [*extra.errors, *extra.warnings]:
                found.add(diag)
        if declarations_changed:
            for diag in _caused_findings(report, old, quiet):
                found.add(diag)
    if any(d.path in quiet for d in report.lookups):
        # A step matching a regex definition whose group cucumber cannot give a parameter type (cucumber stops:
        # ``report._ambiguous_lookups``) makes that definition an error, in a step file the commit may leave alone.
        # Rare (the tree is broken then): only then are the other features parsed, and HEAD's.
        def features_at(shas: Mapping[str, str]) -> dict[str, list[StepUse] | ParseError]:
            if not shas:
                return {}
            data = read(sorted(set(shas.values())))
            return parse_features(((p, data[sha]) for p, sha in sorted(shas.items())), settings.parser,
                                  default_jobs())

        features = {p: sha for p, (_, sha) in listing.items() if settings.kind_of(p) == "feature"}
        earlier = {p: sha for p, (sha, _) in diff.items() if settings.kind_of(p) == "feature"}
        reported = {(d.path, d.line, d.column) for d in [*found.errors, *found.warnings]}
        for diag in _caused_lookups(report, old, now, then, uses, features, earlier, features_at, quiet):
            if (diag.path, diag.line, diag.column) not in reported:
                found.add(diag)
    return found


def _declared_types(files: Mapping[str, StepFile | ParseError], paths: Iterable[str]) -> set[tuple[object, ...]]:
    """The parameter types ``paths`` (of ``files``; a missing or unreadable file declares none) declare, without
    their lines: a declaration that only moves within its file changes no definition's compiling. Its path stays
    part of it, since the order of the files decides which of two rival declarations wins."""
    from tracertm.steps.model import StepFile

    return {(t.name, t.regexps, t.framework, t.language, t.path, t.flags, t.registry, t.prefer)
            for p in paths if isinstance(f := files.get(p), StepFile) for t in f.parameter_types}


def _matcher_registrations(files: Mapping[str, StepFile | ParseError], paths: Iterable[str]) -> set[str]:
    """The files of ``paths`` that register behave's cucumber_expressions matcher (``report._unregistered_matcher``):
    where it happens in them does not matter to another module, only which file does (behave's load order)."""
    from tracertm.steps.python import BehaveStepFile

    return {p for p in paths if isinstance(f := files.get(p), BehaveStepFile) and f.cucumber_registered is not None}


def _caused_lookups(
    report: StepReport, old: StepReport | None, now: Mapping[str, StepFile | ParseError],
    then: Mapping[str, StepFile | ParseError], uses: Mapping[str, list[StepUse] | ParseError],
    features: Mapping[str, str], earlier: Mapping[str, str | None],
    features_at: Callable[[Mapping[str, str]], dict[str, list[StepUse] | ParseError]], quiet: set[str],
) -> list[Diagnostic]:
    """The AmbiguousParameterTypeError findings (``report.lookups``) in the step files ``quiet`` that the staged
    tree has and HEAD's has not: what the commit's features (or step files) cause there. Each as the whole check
    gives it, naming the first step of any feature that matches the definition, so both trees are matched in full:
    ``report`` (``now`` against ``uses``) and ``old`` (HEAD's step files, ``then``, against them) already are when
    step files changed (``uses`` holds every feature); else only the changed features were, and the others are
    parsed here (``features``: every feature's blob in the index, ``earlier``: HEAD's of those the commit changes,
    None for a new one; ``features_at`` parses blobs). A finding HEAD had already (an unchanged feature, or a line
    of the changed one the commit leaves, matched the definition) was committed: not reported again, as
    ``_caused_findings`` leaves such findings out."""
    from tracertm.steps.report import build_report

    staged = dict(uses)
    missing = {p: sha for p, sha in features.items() if p not in staged}
    if missing:
        staged.update(features_at(missing))
        report = build_report(now, staged, strip_colon=report.strip_colon)
    if old is None or earlier:
        head = {p: u for p, u in staged.items() if p not in earlier}
        head.update(features_at({p: sha for p, sha in earlier.items() if sha is not None}))
        old = build_report(then, head, strip_colon=report.strip_colon)
    was = {(d.path, d.line, d.column) for d in old.lookups}
    return [d for d in report.lookups if d.path in quiet and (d.path, d.line, d.column) not in was]


def _caused_findings(now: StepReport, then: StepReport, unchanged: set[str]) -> list[Diagnostic]:
    """The definition findings ``now`` has in the ``unchanged`` step files that ``then`` (the same files, with the
    touched ones as before the commit) has not at that place: what the commit's parameter type change causes there
    (a definition using a type it removes, a declaration its new rival outranks). A finding that was there already
    is left out even when its text changed (it may name the line of a declaration the commit moved), as a step's
    verdict is (``check_changes``): the commit did not cause it."""
    before = {(d.path, d.line, d.column, d.severity) for d in [*then.errors, *then.warnings] if d.path in unchanged}
    return [d for d in [*now.errors, *now.warnings]
            if d.path in unchanged and (d.path, d.line, d.column, d.severity) not in before]

