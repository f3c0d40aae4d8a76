"""Sync's step links: after apply, in the same transaction, which definition every executed scenario step matches
(``scenario_steps``) and each definition's ``usage_count`` — derived figures, recomputed, never versioned.

Only what could have changed is re-matched, per scenario:

- the scenarios this run wrote (created, updated, restored, moved — a changed feature file);
- when definitions changed (created, updated, deleted, restored, moved): the scenarios with a step that matched a
  changed or removed definition (their stored steps name its id), and those with a step some new or changed
  definition could match (found through an index of just those definitions, over the step texts already stored);
  all scenarios when a parameter type changed (it can change what any Cucumber Expression means).

Definitions come from the step files of this run's source (parsed here, they are few); a step file that fails to
parse keeps its rows, and its definitions are rebuilt from them.

The re-matched scenarios' rows and step trace links are written as a difference from what is stored
(``tracertm.steps.matchrows``, ``tracertm.steps.tracelinks``): a cold sync only inserts, a later one touches only
the scenarios whose steps changed; ``usage_count`` is counted afterwards (``matchrows.write_usage_counts``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.orm import Session

from tracertm.errors import Diagnostic, ParseError
from tracertm.parsers.records import ParseResult, SpecRecord
from tracertm.steps.bounded import TooSlow
from tracertm.steps.eager import EagerMatches
from tracertm.steps.expressions import compile_matchable
from tracertm.steps.matchrows import MatchWriter, write_usage_counts
from tracertm.steps.matching import StepIndex
from tracertm.steps.prematch import Scenario as Matched
from tracertm.steps.prematch import Verdict, digest, match_uses, prematched
from tracertm.steps.report import behave_refused
from tracertm.steps.model import Parameter, ParameterTypeDecl, StepDefinition, StepFile
from tracertm.steps.packed import NONE, Packed, decoded, pack
from tracertm.steps.parameter_types import Registries
from tracertm.steps.scenarios import FeatureSteps, StepUse, _keyword_types, run_by, scenario_uses
from tracertm.steps.lens import BehaveFolders, Lenses
from tracertm.steps.pytest_bdd import Bindings
from tracertm.steps.tracelinks import StepLinkWriter

_BATCH = 2000


@dataclass
class LinkStats:
    """What a refresh did: scenarios re-matched, ``scenario_steps`` rows inserted, steps per verdict among them."""

    scenarios: int = 0
    rows: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    # Definitions skipped for running over their time budget (tracertm.steps.bounded), as warnings of the sync.
    findings: list[Diagnostic] = field(default_factory=list)


def _tables() -> tuple[Any, Any, Any, Any]:
    from tracertm.models import Base

    t = Base.metadata.tables
    return t["scenario_steps"], t["step_definitions"], t["scenarios"], t["features"]


def definition_from_row(row: Any) -> StepDefinition:
    """A step definition rebuilt from its row (for a step file that does not parse right now)."""
    metadata = row.step_metadata or {}
    return StepDefinition(
        keyword=row.step_type, pattern=row.pattern, kind=row.pattern_kind, framework=row.framework,
        language=row.language, path=row.source_path or row.implementation_path or "", line=row.line or 0,
        column=int(metadata.get("column", 1)), function=row.function_name or "",
        parameters=tuple(Parameter(p.get("name", ""), p.get("type", "")) for p in row.parameters or ()),
        flags=str(metadata.get("flags", "")), target_fixture=metadata.get("target_fixture"),
        identity=row.step_number, registration=_int_or_none(metadata.get("registration")),
        scopes=tuple((s[0], s[1], s[2]) for s in metadata.get("scopes") or ()
                     if isinstance(s, list) and len(s) == 3),
        label=str(metadata.get("label") or ""),
        alternatives=tuple((a[0], a[1], a[2]) for a in metadata.get("alternatives") or ()
                           if isinstance(a, list) and len(a) == 3 and all(_int_or_none(x) is not None for x in a)),
    )


def _int_or_none(value: Any) -> int | None:
    """A stored integer (``step_metadata`` is JSON: anything may be there), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def refresh(
    session: Session,
    project_id: uuid.UUID,
    step_files: Mapping[str, StepFile | ParseError],
    *,
    changed_features: Iterable[str],
    changed_definitions: Iterable[str],
    types_changed: bool,
    full: bool = False,
    parsed_features: Mapping[str, ParseResult] | None = None,
    eager: EagerMatches | None = None,
    strip_colon: bool = False,
) -> LinkStats:
    """Re-match what could have changed (see the module docstring) and recompute ``usage_count``.

    ``step_files``: every step file of the source (parsed, or its error); ``changed_features``: paths of the feature
    files this run parsed or removed; ``changed_definitions``: identities of definitions this run created, changed,
    deleted, restored or moved; ``types_changed``: a step file declaring parameter types changed; ``full``: re-match
    every scenario (the first run, or ``sync --full``); ``parsed_features``: this run's parse results of feature
    files (their scenarios' steps are taken from them instead of being read back); ``eager``: the rows a first sync
    wrote while its features parsed (``tracertm.steps.eager``): their scenarios are not matched again when those
    workers' matching is what this would use. ``strip_colon``: ``behave_strip_trailing_colon``
    (``StepIndex.strip_colon``)."""
    links, defs, scenarios, features = _tables()
    conn = session.connection()
    # The live definitions' ids and files; whole rows only for those rebuilt from them, below (decoding the JSON
    # columns of all 2,000 of the large benchmark's took ~40 ms after a first sync's parse, for nothing).
    rows = conn.execute(
        select(defs.c.id, defs.c.step_number, defs.c.version, defs.c.source_path, defs.c.implementation_path).where(
            defs.c.project_id == project_id, defs.c.deleted_at.is_(None), defs.c.step_number.is_not(None))
    ).all()
    ids = {r.step_number: r.id for r in rows}
    versions = {r.id: (r.step_number, r.version) for r in rows}  # the step links' targets
    parsed = {p: f for p, f in step_files.items() if isinstance(f, StepFile)}
    definitions = [d for f in parsed.values() for d in f.definitions if d.identity in ids]
    # A file that fails to parse keeps its rows: its definitions are rebuilt from them (as is any live definition
    # whose file this run did not read).
    unread = [r.id for r in rows if (r.source_path or r.implementation_path) not in parsed]
    for start in range(0, len(unread), _BATCH):
        definitions += [definition_from_row(r) for r in conn.execute(
            select(defs).where(defs.c.id.in_(unread[start : start + _BATCH])))]
    # In file order, as ``tracertm steps`` has them (an ambiguous step lists its candidates in this order), whichever
    # files this run happened to parse.
    definitions.sort(key=lambda d: (d.path, d.line, d.column, d.identity))
    registries = Registries(t for f in parsed.values() for t in f.parameter_types)

    changed = set(changed_definitions)
    # The behave definitions behave refuses to load (AmbiguousStep) match nothing, as in ``tracertm steps``; a
    # definition that became refused, or no longer is, re-matches the scenarios it could concern as a changed one.
    refused = behave_refused(definitions, registries, parsed.values())
    if refused:
        definitions = [d for d in definitions if d.identity not in refused]
    changed |= _refused_changed(session, project_id, refused)
    changed |= _order_changed(session, project_id, parsed) & ids.keys()
    lenses = Lenses(parsed, definitions)
    rebound = _bindings_changed(session, project_id, lenses.bindings)
    rebound |= _behave_folders_changed(session, project_id, lenses.behave)
    rebound |= _filling_changed(session, project_id, lenses.filling)
    slow: dict[str, tuple[StepDefinition, TooSlow]] = {}
    spent: dict[str, float] = {}

    paths = [] if full or types_changed else sorted(set(changed_features))  # else: every scenario, below
    targets: set[uuid.UUID] = set()
    for start in range(0, len(paths), _BATCH):  # deleted scenarios too: their rows go
        targets |= {r.id for r in conn.execute(
            select(scenarios.c.id).join(features, scenarios.c.feature_id == features.c.id).where(
                features.c.project_id == project_id, features.c.source_path.in_(paths[start : start + _BATCH]))
        )}
    if rebound and not (full or types_changed):
        # The features whose pytest-bdd binding (the modules that run them, what those see) changed.
        folders = sorted(rebound)
        for start in range(0, len(folders), 50):
            under = [or_(features.c.source_path == t, features.c.source_path.startswith(t + "/", autoescape=True))
                     if t else features.c.source_path.is_not(None) for t in folders[start : start + 50]]
            targets |= {r.id for r in conn.execute(
                select(scenarios.c.id).join(features, scenarios.c.feature_id == features.c.id).where(
                    features.c.project_id == project_id, or_(*under)))}
    parsed_features = parsed_features or {}
    key = digest(definitions, [t for f in parsed.values() for t in f.parameter_types], lenses.verdicts_signature,
                 strip_colon)
    # Rows a first sync wrote while its features parsed, from the workers' matching against these very definitions.
    written = eager if eager is not None and eager.digest == key else None
    live: dict[uuid.UUID, _Live] | None = None
    if (full or types_changed) and written is not None and written.complete:
        # Every scenario of the project is one the eager writer wrote (the project held none before), each with its
        # rows: nothing is left to match, and nothing was deleted.
        live = {}
    elif full or types_changed:
        live = _live_rows(conn, project_id)
        targets = set(live) | _gone_with_rows(conn, project_id)
    elif changed:
        changed_ids = {r.id for r in conn.execute(
            select(defs.c.id).where(defs.c.project_id == project_id, defs.c.step_number.in_(sorted(changed)))
        )}
        targets |= _naming(conn, project_id, changed_ids)
        probe = StepIndex(
            compile_matchable((d for d in definitions if d.identity in changed), registries), registries,
            strip_colon=strip_colon,
        )
        slow, spent = probe.slow, probe.spent  # this run's budget: the index below goes on from them
        # A changed cucumber-jvm number type may match a step only in a feature written with a decimal comma: the
        # stored steps carry no language, so the probe tries both separators (a scenario too many is matched again,
        # none too few).
        probes = [probe] + [p for p in (probe.localized("fr"),) if p is not probe]
        if probe.compiled:
            tried: dict[str, bool] = {}  # per step text: whether a changed definition could match it
            for scenario_id, steps in conn.execute(
                select(links.c.scenario_id, links.c.steps).where(links.c.project_id == project_id)
            ):
                if scenario_id in targets:
                    continue
                for step in decoded(steps):
                    text = step[4]
                    hit = tried.get(text)
                    if hit is None:
                        # (A stored step carries no type: without its trailing ":" too, where behave strips it.)
                        texts = [text, text[:-1]] if strip_colon and text.endswith(":") else [text]
                        hit = tried[text] = any(p.try_match(c, t) is not None for p in probes for t in texts
                                                for c in p.candidates(t))
                    if hit:
                        targets.add(scenario_id)
                        break
    stats = LinkStats()
    if targets or changed or (written is not None and written.done):
        def build() -> StepIndex:
            index = StepIndex(compile_matchable(definitions, registries), registries, strip_colon=strip_colon)
            index.slow.update(slow)
            index.spent.update(spent)
            return index

        # Compiled only if some scenario is left to match here: when the parse workers matched them all, this
        # process never compiles a definition (a second or more on a large project).
        index = _Lazy(build)
        # The parse workers' matching of this run's features, when they matched against exactly these definitions
        # and types (tracertm.steps.prematch); not when the probe above found a definition too slow (this index
        # skips it, theirs did not).
        pre = None if slow else prematched(parsed_features.values(), key)
        # Written already, from the matching ``pre`` holds (else matched again here: the writers correct them).
        done = written.done if written is not None and pre is not None else set()
        left = sorted(targets - done, key=str)
        tally = None
        if left:
            stats = _rematch(conn, project_id, left, index, ids, versions, parsed_features, pre or {}, live,
                             lenses)
        elif written is not None and live == {}:
            # Every row of the project is one the eager writer inserted: its tally is every definition's usage.
            tally = written.tally
        if done:
            assert written is not None
            stats.scenarios += len(done)
            stats.rows += written.inserted
            for status, count in written.statuses.items():
                stats.statuses[status] = stats.statuses.get(status, 0) + count
        write_usage_counts(conn, project_id, tally)
        found = index.built.findings() if index.built is not None else _slow_findings(slow)
        stats.findings = [replace(d, severity="warning") for d in found]
    return stats


def _refused_changed(session: Session, project_id: uuid.UUID, refused: set[str]) -> set[str]:
    """The identities whose refusal by behave (``report.behave_refused``) differs from the last refresh's, kept in
    the project's metadata (``behave_refused``): a definition refused now was matched before (its scenarios name
    it), one refused no longer may match steps that were undefined."""
    return _stored_set_changed(session, project_id, _REFUSED_KEY, refused)


def _stored_set_changed(session: Session, project_id: uuid.UUID, key: str, now: Collection[str]) -> set[str]:
    """What ``now`` adds to or drops from the set the project's metadata kept under ``key`` at the last refresh;
    ``now`` is kept there in its place (the key dropped when it is empty)."""
    from tracertm.models import Project

    project = session.get(Project, project_id)
    if project is None:
        return set()
    metadata = dict(project.metadata_ or {})
    stored = metadata.get(key)
    before = {str(b) for b in stored} if isinstance(stored, list) else set()
    if before == set(now):
        return set()
    if now:
        metadata[key] = sorted(now)
    else:
        metadata.pop(key, None)
    project.metadata_ = metadata
    return before ^ set(now)


def _bindings_changed(session: Session, project_id: uuid.UUID, bindings: Bindings) -> set[str]:
    """The feature files and folders whose pytest-bdd binding differs from the last refresh's (a rule — module,
    target, scenario, what the module sees — added or gone: ``Bindings.rule_keys``, kept in the project's metadata
    under ``pytest_bdd_bindings``): their scenarios are re-matched."""
    from tracertm.models import Project

    project = session.get(Project, project_id)
    if project is None:
        return set()
    metadata = dict(project.metadata_ or {})
    stored = metadata.get(_BINDINGS_KEY)
    before: dict[str, str] = dict(stored) if isinstance(stored, dict) else {}
    now = bindings.rule_keys()
    if before == now:
        return set()
    if now:
        metadata[_BINDINGS_KEY] = now
    else:
        metadata.pop(_BINDINGS_KEY, None)
    project.metadata_ = metadata
    return {t for k, t in before.items() if k not in now} | {t for k, t in now.items() if k not in before}


_BINDINGS_KEY = "pytest_bdd_bindings"


def _behave_folders_changed(session: Session, project_id: uuid.UUID, folders: BehaveFolders) -> set[str]:
    """The folders whose feature files may now run in another behave features folder (``lens.BehaveFolders``):
    each folder added or gone since the last refresh (kept in the project's metadata under ``behave_folders``
    while there are several with step modules) — every feature file when scoping starts or stops — and each folder
    that now imports a step library it did not, or no longer imports one (``behave_libraries``: library file →
    the folders importing it). Their scenarios are re-matched."""
    from tracertm.models import Project

    project = session.get(Project, project_id)
    if project is None:
        return set()
    metadata = dict(project.metadata_ or {})
    stored = metadata.get(_BEHAVE_FOLDERS_KEY)
    before = {str(b) for b in stored} if isinstance(stored, list) else set()
    now = set(folders.bases)
    stored_libraries = metadata.get(_BEHAVE_LIBRARIES_KEY)
    libraries_before = ({str(p): {str(b) for b in bs} for p, bs in stored_libraries.items() if isinstance(bs, list)}
                        if isinstance(stored_libraries, dict) else {})
    libraries_now = {p: set(bs) for p, bs in folders.library_files.items()}
    if before == now and libraries_before == libraries_now:
        return set()
    if now:
        metadata[_BEHAVE_FOLDERS_KEY] = sorted(now)
    else:
        metadata.pop(_BEHAVE_FOLDERS_KEY, None)
    if libraries_now:
        metadata[_BEHAVE_LIBRARIES_KEY] = {p: sorted(bs) for p, bs in sorted(libraries_now.items())}
    else:
        metadata.pop(_BEHAVE_LIBRARIES_KEY, None)
    project.metadata_ = metadata
    if not (before and now):
        return {""} if before != now else set()
    moved = before ^ now
    for p in libraries_before.keys() | libraries_now.keys():
        moved |= libraries_before.get(p, set()) ^ libraries_now.get(p, set())
    return moved


_BEHAVE_FOLDERS_KEY = "behave_folders"
_BEHAVE_LIBRARIES_KEY = "behave_libraries"


def _filling_changed(session: Session, project_id: uuid.UUID, folders: frozenset[str]) -> set[str]:
    """The features folders of behave added or gone since the last refresh (``lens.filling_folders``, kept in the
    project's metadata under ``background_filling``): behave fills an outline row's values into the Background of
    the feature files under them, and their stored steps hold the other text — a definition added for it would
    not find them by the stored texts. Their scenarios are re-matched."""
    return _stored_set_changed(session, project_id, _FILLING_KEY, folders)


_FILLING_KEY = "background_filling"


# The project metadata key of the identities behave refused at the last refresh (``_refused_changed``).
_REFUSED_KEY = "behave_refused"


def _order_changed(session: Session, project_id: uuid.UUID, parsed: Mapping[str, StepFile]) -> set[str]:
    """The identities of definitions whose order of registration within their file differs from the last
    refresh's: behave and godog run the first definition that matches a step, pytest-bdd the last of a module, so
    swapping two definitions changes verdicts though neither changed. Each such file's order (a short digest per
    identity) is kept in the project's metadata (``step_order``); of the definitions in both orders, those whose
    place among them moved count (a definition only added or removed is a change of its own already); a file never
    recorded counts whole.
    Files of frameworks where order decides nothing (Cucumber's: two matches are ambiguous) are not recorded."""
    import hashlib

    from tracertm.models import Project
    from tracertm.steps.matching import behave_order

    project = session.get(Project, project_id)
    if project is None:
        return set()
    metadata = dict(project.metadata_ or {})
    before = metadata.get(_ORDER_KEY)
    kept: dict[str, list[str]] = dict(before) if isinstance(before, dict) else {}
    changed: set[str] = set()
    for path, step_file in parsed.items():
        # (cucumber-tsflow's bindings, which have a registration order: the first of a pattern runs)
        ordered = sorted((d for d in step_file.definitions if d.framework in _ORDERED or d.registration is not None),
                         key=behave_order)
        if len(ordered) < 2:
            kept.pop(path, None)
            continue
        by_digest = {hashlib.sha256(d.identity.encode()).hexdigest()[:12]: d.identity for d in ordered}
        order = list(by_digest)
        previous = kept.get(path)
        if previous == order:
            continue
        if isinstance(previous, list):
            was = set(previous)
            now_common = [h for h in order if h in was]
            before_common = [h for h in previous if h in by_digest]
            changed.update(by_digest[a] for a, b in zip(now_common, before_common) if a != b)
        else:
            changed.update(by_digest.values())
        kept[path] = order
    kept = {p: kept[p] for p in sorted(kept) if p in parsed or _still_stored(session, project_id, p)}
    if kept != before:
        metadata[_ORDER_KEY] = kept
        project.metadata_ = metadata
    return changed


def _still_stored(session: Session, project_id: uuid.UUID, path: str) -> bool:
    """Whether a live definition of ``path`` is stored (a step file this run did not parse, or one that failed to)."""
    _links, defs, _scenarios, _features = _tables()
    return session.connection().execute(
        select(defs.c.id).where(defs.c.project_id == project_id, defs.c.source_path == path,
                                defs.c.deleted_at.is_(None)).limit(1)
    ).first() is not None


# The project metadata key of the step files' orders of registration at the last refresh (``_order_changed``), and
# the frameworks whose verdicts depend on that order.
_ORDER_KEY = "step_order"
_ORDERED = frozenset({"behave", "pytest-bdd", "godog"})


class _Lazy:
    """A ``StepIndex`` built on first use (``get``); ``built`` is it, or None while unused."""

    def __init__(self, build: Callable[[], StepIndex]) -> None:
        self._build = build
        self.built: StepIndex | None = None

    def get(self) -> StepIndex:
        if self.built is None:
            self.built = self._build()
        return self.built


def _slow_findings(slow: Mapping[str, tuple[StepDefinition, TooSlow]]) -> list[Diagnostic]:
    """What ``StepIndex.findings`` says of ``slow`` (the index was never built)."""
    index = StepIndex(())
    index.slow.update(slow)
    return index.findings()


# A live scenario's number, its feature file and the feature's number.
_Live = tuple[str, "str | None", str]


def _live_rows(conn: Any, project_id: uuid.UUID) -> dict[uuid.UUID, _Live]:
    """Every live scenario of the project (by id) with what ``_uses`` needs of it: one query where re-matching them
    all would otherwise look each batch up again."""
    features = _tables()[3]
    query = _live_query(features.c.project_id == project_id)
    return {r.id: (r.scenario_number, r.source_path, r.feature_number) for r in conn.execute(query)}


def _live_query(where: Any) -> Any:
    """(id, number, feature file, feature number) of the live scenarios ``where`` selects."""
    _, _, s, f = _tables()
    return select(s.c.id, s.c.scenario_number, f.c.source_path, f.c.feature_number).join(
        f, s.c.feature_id == f.c.id
    ).where(where, f.c.deleted_at.is_(None), s.c.deleted_at.is_(None))


_Records = dict[tuple[str, str], tuple[SpecRecord, str, str]]


def _records(parsed: Mapping[str, ParseResult]) -> _Records:
    """(feature path, scenario number) → (scenario record, the feature's language, its title) of this run's parsed
    features."""
    return {(r.path, child.number): (child, str(feature.fields.get("feature_metadata", {}).get("language") or "en"),
                                     str(feature.fields.get("name") or ""))
            for r in parsed.values() for feature in r.records for child in feature.children}


def _naming(conn: Any, project_id: uuid.UUID, definition_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The scenarios whose stored steps name one of ``definition_ids`` (matched by it, ambiguous candidates
    included): their JSON text holds the id's hex digits (an id is written nowhere else in it)."""
    links = _tables()[0]
    hexes = sorted(d.hex for d in definition_ids)
    text = cast(links.c.steps, Text)
    found: set[uuid.UUID] = set()
    for start in range(0, len(hexes), 50):
        found |= {r.scenario_id for r in conn.execute(select(links.c.scenario_id).where(
            links.c.project_id == project_id, or_(*(text.contains(h) for h in hexes[start : start + 50]))))}
    return found


def _gone_with_rows(conn: Any, project_id: uuid.UUID) -> set[uuid.UUID]:
    """Deleted scenarios (or of a deleted feature) that still have rows: those of this run's deletions."""
    links, _, scenarios, features = _tables()
    query = (
        select(links.c.scenario_id).distinct()
        .join(scenarios, links.c.scenario_id == scenarios.c.id)
        .join(features, scenarios.c.feature_id == features.c.id)
        .where(links.c.project_id == project_id,
               scenarios.c.deleted_at.is_not(None) | features.c.deleted_at.is_not(None))
    )
    return {r.scenario_id for r in conn.execute(query)}


def _uses(
    conn: Any, scenario_ids: list[uuid.UUID], records: _Records, pre: Mapping[tuple[str, str], Matched],
    live: Mapping[uuid.UUID, _Live] | None = None,
) -> Iterable[tuple[uuid.UUID, str, str | None, list[StepUse] | Matched]]:
    """(id, ref ``FEATURE/SCENARIO``, file, executed steps) of the live scenarios among ``scenario_ids`` (at most
    one batch): the steps from this run's parse of their feature file when there is one (no read back) — or its
    parse worker's matching of them (``pre``) —, else rebuilt from their rows (deleted scenarios have none).
    ``live``: every live scenario of the project, when read already (``_live_rows``)."""
    from tracertm.engine.links import source_ref

    _, _, s, f = _tables()
    rest: list[uuid.UUID] = scenario_ids
    if records:
        rest = []
        if live is None:
            found_rows: Iterable[tuple[uuid.UUID, str, str | None, str]] = conn.execute(
                _live_query(s.c.id.in_(scenario_ids)))
        else:
            found_rows = [(i, *live[i]) for i in scenario_ids if i in live]
        for scenario_id, number, path, feature_number in found_rows:
            key = (path or "", number)  # no parsed file has the path ""
            matched = pre.get(key)
            if matched is not None:
                yield (scenario_id, source_ref("scenario", number, feature_number), path, matched)
                continue
            found = records.get(key)
            if found is None:
                rest.append(scenario_id)
            else:
                yield (scenario_id, source_ref("scenario", number, feature_number), path,
                       _in_language(scenario_uses(path or "", found[0], _keyword_types(found[1]), found[2], True),
                                    found[1]))
        if not rest:
            return
    columns = (s.c.id, s.c.scenario_number, s.c.title, s.c.gherkin_text, s.c.background, s.c.given_steps,
               s.c.when_steps, s.c.then_steps, s.c.examples, s.c.scenario_metadata, s.c.tags, f.c.source_path,
               f.c.feature_metadata, f.c.feature_number, f.c.name)
    query = select(*columns).join(f, s.c.feature_id == f.c.id).where(
        s.c.id.in_(rest), s.c.deleted_at.is_(None), f.c.deleted_at.is_(None)
    )
    for r in conn.execute(query):
        fields = {
            "title": r.title, "gherkin_text": r.gherkin_text, "background": r.background,
            "given_steps": r.given_steps, "when_steps": r.when_steps, "then_steps": r.then_steps,
            "examples": r.examples, "scenario_metadata": r.scenario_metadata or {}, "tags": r.tags or [],
        }
        language = str((r.feature_metadata or {}).get("language") or "en")
        record = SpecRecord("scenario", r.scenario_number, fields)
        yield (r.id, source_ref("scenario", r.scenario_number, r.feature_number), r.source_path,
               _in_language(scenario_uses(r.source_path or "", record, _keyword_types(language), r.name or "", True),
                            language))


def _in_language(uses: list[StepUse], language: str) -> list[StepUse]:
    """A scenario's steps with its feature's language, which cucumber-jvm's number types follow
    (``StepIndex.localized``, as ``feature_uses`` gives a report)."""
    out = FeatureSteps(uses)
    out.language = language
    return out


def _rematch(
    conn: Any, project_id: uuid.UUID, targets: list[uuid.UUID], index: _Lazy, ids: Mapping[str, uuid.UUID],
    versions: Mapping[uuid.UUID, tuple[str, int]], parsed: Mapping[str, ParseResult],
    pre: Mapping[tuple[str, str], Matched], live: Mapping[uuid.UUID, _Live] | None = None,
    lenses: Lenses | None = None,
) -> LinkStats:
    """Match the steps of ``targets`` and write the difference: their ``scenario_steps`` rows
    (tracertm.steps.matchrows) and their step trace links (tracertm.steps.tracelinks), a batch of scenarios at a
    time (memory stays bounded on a cold sync). Ids are keyed by their hex digits while matching: a ``str`` hashes
    once, a ``UUID`` in Python code at every dictionary lookup (hundreds of thousands on a cold sync). Scenarios in
    ``pre`` were matched by a parse worker (packed there, definitions named by identity): only re-keyed here."""
    stats = LinkStats(scenarios=len(targets))
    statuses = stats.statuses
    matches = MatchWriter(conn, project_id)
    step_links = StepLinkWriter(conn, project_id, {
        row_id.hex: (row_id, identity, version) for row_id, (identity, version) in versions.items()})
    records = _records(parsed)
    keys = {identity: row_id.hex for identity, row_id in ids.items()}
    verdicts: dict[tuple[str, str], Verdict] = {}
    local_verdicts: dict[int, dict[tuple[str, str], Verdict]] = {}  # a localized index's own (``localized``)
    for start in range(0, len(targets), _BATCH):
        scenarios = {scenario_id.hex: scenario_id for scenario_id in targets[start : start + _BATCH]}
        wanted: dict[str, Packed] = {key: NONE for key in scenarios}
        sources: dict[str, tuple[str, str | None]] = {}
        firsts: dict[str, dict[str, int]] = {}  # scenario → definition → line of the first step it alone matched
        for scenario_id, ref, path, uses in _uses(conn, list(scenarios.values()), records, pre, live):
            scenario = scenario_id.hex
            sources[scenario] = (ref, path)
            if isinstance(uses, Matched):
                packed = uses.steps
                wanted[scenario] = Packed(packed.text, tuple(keys[ref] for ref in packed.refs),
                                          {keys[ref]: n for ref, n in packed.counts.items()})
                first_lines = {keys[identity]: line for identity, line in uses.firsts.items()}
                for status, count in uses.statuses.items():
                    statuses[status] = statuses.get(status, 0) + count
            else:
                first = uses[0] if uses else None
                lens = (lenses.for_scenario(first.path, first.scenario, first.feature, first.tags)
                        if lenses and first else None)
                if first is not None and first.as_written and (lens is None or lens.views is None):
                    uses = []  # an outline without Examples rows runs as written only where pytest-bdd modules run it
                elif first is not None and lenses is not None:
                    uses = run_by(uses, lenses.runner(first.path, lens))  # behave's and pytest-bdd's filling
                base = index.get()
                here = base.localized(getattr(uses, "language", "en"))
                # an outline row's Examples tags are its pickle's too (``StepUse.row_tags``)
                tagged_rows = {u.row_line: u.row_tags for u in uses if u.row_tags and u.row_line is not None}
                own = (lenses.for_rows(first.path, first.scenario, first.feature, first.tags, tagged_rows)
                       if lenses and first and lens is not None and tagged_rows else None)
                rows, first_lines = match_uses(uses, here, keys, verdicts if here is base else
                                               local_verdicts.setdefault(id(here), {}), statuses, lens, own)
                wanted[scenario] = pack(rows)
            if first_lines:
                firsts[scenario] = first_lines
        matches.write(wanted, scenarios)
        step_links.write(scenarios, sources, firsts)
    stats.rows = matches.inserted
    return stats


__all__ = ["LinkStats", "ParameterTypeDecl", "definition_from_row", "refresh"]
