"""The scenarios a results import maps results to (``scenario_index``): the project's, read as plain rows, as they
stood at the run's commit — parsed from git, or from the revisions a sync recorded — where results name lines.
``results.streamed``'s import reads the rows here and makes the refs and the links' sources from them
(``scenario_refs``, ``link_sources``: pure)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracertm.errors import UsageError
from tracertm.results.mapping import ScenarioIndex, normalize_path
from tracertm.results.rows import IdForm
from tracertm.results.scenarios import ScenarioRef, scenario_ref
from tracertm.results.wanted import Wanted, wanted

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracertm.engine.scan import Location
    from tracertm.models import Project
    from tracertm.results.report import CaseResult

def scenario_index(
    session: Session,
    project: Project,
    commit: str | None,
    repo: Path | None,
    id_pattern: str = r"SC-\d+",
    uris: Collection[str] | None = None,
    cases: Iterable[CaseResult] | None = None,
) -> ScenarioIndex:
    """The project's scenarios as they stood at ``commit``: parsed from the repository ``repo`` at that commit when
    it has it, else from the newest revisions at or before it (when a sync recorded that commit: without the
    repository nothing else tells where a commit stands), else as they are now. Lines that may not be those the
    runner saw are why the line rule gives way to a scenario name the report contradicts (``ScenarioIndex``).

    ``uris`` are the feature files the results name with a line: only they need their lines at the commit (an
    empty collection: no result is matched by line, the scenarios as they are will do). ``cases``: the results to
    match; only the scenarios they can name are read (``wanted``), which the index matches as it would all of
    them. (The revisions at a commit, without the repository, place every scenario: then all are read.) The
    feature files changed between ``commit`` and the last synced one (``changed_since``) are read at the commit
    too, whatever the results name: a name is compared with the scenario's name then."""
    keys = wanted(cases, id_pattern) if cases is not None else None
    features: dict[str, tuple[str, str | None]] = {}
    refs = scenario_refs(scenario_rows(session, project) if keys is None else keyed_rows(session, project, keys),
                         features)
    parsed: set[str] | None = set()  # the features whose scenarios are those of their files at the commit
    # The files changed since the commit: their scenarios' names (and their features') may not be those the runner
    # saw, which the name rule reads too (nothing to read when the commit is the synced one).
    changed = changed_since(session, project, commit, repo) if commit else set()
    if commit and (uris is None or uris or changed != set()):
        parsed = _from_git(session, project, commit, repo, refs, uris, changed or set()) \
            if repo is not None and changed is not None else None
        if parsed is None:
            if keys is not None:
                features.clear()
                refs = scenario_refs(scenario_rows(session, project), features)
                keys = None
            _at_commit(session, project, commit, refs, features)
    if keys is not None and keys.numbers:
        assert parsed is not None
        for row in numbered_rows(session, project, keys.numbers, parsed):
            if row[0] not in refs:
                refs.update(scenario_refs([row]))
    return ScenarioIndex(refs.values(), id_pattern)


def changed_since(session: Session, project: Project, commit: str, repo: Path | None) -> set[str] | None:
    """The feature files (root-relative) that may differ between ``commit`` and the project's rows, which the name
    rule reads at the commit: none when it is the commit last synced; with the repository, those git's diff from
    ``commit`` to the last synced commit names (to the work tree when that commit is not in the clone). None when
    it cannot be told: no repository (or one without ``commit``) and a commit a sync recorded, whose revisions
    tell (``_at_commit``); without the repository a commit no sync recorded is none (the scenarios as they are)."""
    if commit == project.last_synced_commit:
        return set()  # the hot path: a CI import of the commit it synced reads no file
    if repo is None:
        return None if _recorded(session, project, commit) else set()
    from tracertm import git
    from tracertm.config import load_settings
    from tracertm.engine.scan import Location
    from tracertm.errors import GitError

    try:
        location = Location.find(repo)
        settings = load_settings(location.root)
    except (GitError, UsageError):
        return None
    if location.top is None:
        return None
    prefix, synced = location.prefix, project.last_synced_commit
    for end in ([synced], []) if synced else ([],):  # (no end: the work tree)
        try:
            # --no-renames: a file renamed since is named as it was at the commit too
            raw = git.run(location.top, "diff", "--name-only", "--no-renames", "-z", "--no-ext-diff", commit, *end,
                          "--", prefix or ".")
        except GitError:
            continue
        names = raw.decode("utf-8", "surrogateescape").split("\0")
        return {path for name in names if name.startswith(prefix)
                and settings.kind_of(path := name[len(prefix) :]) == "feature"}
    return None


def _recorded(session: Session, project: Project, commit: str) -> bool:
    """Whether a sync recorded ``commit`` (on its run, or on a revision: ``sync --ref``, a backfill)."""
    from sqlalchemy import exists, select

    from tracertm.models import SpecRevision, SyncRun

    return bool(session.execute(select(
        exists().where(SyncRun.project_id == project.id, SyncRun.commit_sha == commit)
        | exists().where(SpecRevision.project_id == project.id, SpecRevision.commit_sha == commit)
    )).scalar())


def _selected() -> list[Any]:
    """The columns of ``scenario_rows``' rows."""
    from tracertm.models import Feature, Scenario

    columns = [getattr(Scenario, key) for key in _FIELDS]
    return [Scenario.id, Scenario.metadata_, Feature.feature_number, Feature.name, Feature.source_path, *columns]


def scenario_rows(session: Session, project: Project) -> list[tuple[Any, ...]]:
    """The project's live scenarios as plain rows, for ``scenario_refs`` (not ORM objects: this runs on every
    import)."""
    from sqlalchemy import select

    from tracertm.models import Feature, Scenario

    return [tuple(row) for row in session.execute(
        select(*_selected())
        .join(Feature, Scenario.feature_id == Feature.id)
        .where(Feature.project_id == project.id, Scenario.deleted_at.is_(None), Feature.deleted_at.is_(None))
    ).all()]


def keyed_rows(session: Session, project: Project, keys: Wanted) -> list[tuple[Any, ...]]:
    """``scenario_rows`` of the scenarios under ``keys``' names, files and pytest names (``match_keys``): every
    scenario of a feature of one of those names or file names, every scenario of one of those pytest names. Each
    key is an index seek (``ix_features_project_id_name_key``, ``..._file_key``, ``ix_scenarios_pytest_key``)."""
    from sqlalchemy import select

    from tracertm.engine.apply import iter_chunks
    from tracertm.models import Feature, Scenario
    from tracertm.models.types import unindexed

    # ``unindexed``: SQLite's planner, without statistics, would otherwise walk the project's or every live row.
    live = (unindexed(Scenario.deleted_at).is_(None), unindexed(Feature.deleted_at).is_(None))
    # (``include_deleted``: the session's own filter states the live condition as an indexed one.)
    base = (select(*_selected()).join(Feature, Scenario.feature_id == Feature.id).where(*live)
            .execution_options(include_deleted=True))
    found: dict[Any, tuple[Any, ...]] = {}
    for column, values in ((Feature.name_key, keys.names), (Feature.file_key, keys.files)):
        for chunk in iter_chunks(sorted(values)):
            for row in session.execute(base.where(Feature.project_id == project.id, column.in_(chunk))):
                found.setdefault(row[0], tuple(row))
    for chunk in iter_chunks(sorted(keys.pytest)):
        for row in session.execute(base.where(unindexed(Feature.project_id) == project.id,
                                              Scenario.pytest_key.in_(chunk))):
            found.setdefault(row[0], tuple(row))
    return list(found.values())


def numbered_rows(
    session: Session, project: Project, numbers: Collection[str], parsed: Collection[str],
) -> list[tuple[Any, ...]]:
    """``scenario_rows`` of scenarios numbered ``numbers``, at most two per number outside the features ``parsed``
    (whose scenarios the index has from their files at the commit): the tag rule only asks whether one scenario of
    the project has the number, or which of the feature file's do (those are read by their file). A feature has a
    number once: ``2 + len(parsed)`` rows of a number hold two outside ``parsed`` when it has two."""
    from sqlalchemy import select, union_all

    from tracertm.engine.apply import iter_chunks
    from tracertm.models import Feature, Scenario
    from tracertm.models.types import unindexed

    live = (unindexed(Scenario.deleted_at).is_(None), unindexed(Feature.deleted_at).is_(None),
            unindexed(Feature.project_id) == project.id)
    columns = _selected()
    out: list[tuple[Any, ...]] = []
    # Each number a select of its own, limited (SQLite takes up to 500 in one compound statement).
    for chunk in iter_chunks(sorted(numbers), 100):
        arms = [select(*columns).join(Feature, Scenario.feature_id == Feature.id)
                .where(Scenario.scenario_number == number, *live).limit(2 + len(parsed)).subquery()
                for number in chunk]
        statement = union_all(*(select(*arm.c) for arm in arms)).execution_options(include_deleted=True)
        kept: dict[str, int] = {}
        for row in session.execute(statement):
            if row[2] in parsed:
                continue
            number = row[5]
            if kept.get(number, 0) < 2:
                kept[number] = kept.get(number, 0) + 1
                out.append(tuple(row))
    return out


def scenario_refs(
    rows: list[tuple[Any, ...]], features: dict[str, tuple[str, str | None]] | None = None
) -> dict[Any, ScenarioRef]:
    """``ScenarioRef`` by scenario id of ``scenario_rows`` (pure: ``results.streamed``'s parse process makes them);
    each feature's (name, path) by number into ``features``."""
    refs: dict[Any, ScenarioRef] = {}
    for ident, metadata, number, name, path, *values in rows:
        if features is not None:
            features[number] = (name, path)
        fields = dict(zip(_FIELDS, values))
        fields["status"] = str(fields["status"])
        fields["scenario_metadata"] = metadata
        refs[ident] = scenario_ref(ident, number, name, path, fields)
    return refs


def link_sources(rows: list[tuple[Any, ...]], ids: IdForm) -> dict[str, tuple[str, str | None, int]]:
    """Each scenario's ``trace.results.link_source`` by its id in the driver's form, from ``scenario_rows`` (pure:
    ``results.streamed``'s parse process makes the rows of new test cases' links with them)."""
    from tracertm.trace.results import link_source

    out: dict[str, tuple[str, str | None, int]] = {}
    for ident, _metadata, number, _name, path, *values in rows:
        fields = dict(zip(_FIELDS, values))
        out[ids.of(ident)] = link_source(str(fields["scenario_number"]), number, path,
                                         (fields["given_steps"], fields["when_steps"], fields["then_steps"]))
    return out


def _from_git(
    session: Session, project: Project, commit: str, repo: Path, refs: dict[Any, ScenarioRef],
    uris: Collection[str] | None, changed: Collection[str] = (),
) -> set[str] | None:
    """Replace the scenarios of the feature files named by ``uris`` (all of them for None) or by ``changed``
    (root-relative paths) by those files at ``commit``, parsed from git: exact lines even when only the layout
    moved (revisions are written on content changes only). A feature whose file now is one of those loses its
    scenarios as they are now, whatever its number (a file added since, an id tag changed since). Returns the
    numbers (now) of the features replaced; None when the repository cannot read that commit."""
    from tracertm.config import load_settings
    from tracertm.engine.scan import Location
    from tracertm.errors import GitError
    from tracertm.results.source import feature_records

    try:
        location = Location.find(repo)
        if location.top is None:
            return None
        named = {normalize_path(u) for u in uris} if uris is not None else None

        def keep(path: str) -> bool:
            return named is None or path in changed or any(
                u == path or u.endswith("/" + path) or path.endswith("/" + u) for u in named)

        records = feature_records(location, load_settings(location.root), ref=commit, keep=keep)
    except (GitError, UsageError):
        return None
    numbers = {record.number for _path, record in records}
    ids = _scenario_ids(session, project, numbers)  # the scenarios of those features, deleted ones too
    unknown = numbers - {f for f, _s in ids}
    now = _numbers_now(session, project, unknown)
    never = unknown - set(now)  # numbers no revision holds: a rename before the first sync, perhaps
    if never:
        now.update(_renamed_before_its_first_sync(
            session, project, location, commit, {path: r.number for path, r in records if r.number in never}))
    ids.update(_scenario_ids(session, project, set(now.values()) - numbers))
    live = _numbers_of_paths(session, project, {path for path, _record in records} | set(changed))
    if commit == project.last_synced_commit:
        # The rows are the commit's, but a sync of the work tree reads uncommitted files too: a feature file read
        # here whose feature is not the one synced from it (an id tag changed, not committed yet) keeps the rows.
        records = [(path, record) for path, record in records if live.get(path) == now.get(record.number,
                                                                                            record.number)]
    parsed = {now.get(record.number, record.number) for _path, record in records}
    if commit != project.last_synced_commit:
        # The features whose files now are one read at the commit or one changed since: a file added after the
        # commit, or whose feature's id tag changed (@FEAT-2 → @FEAT-5), holds no scenario the runner saw under its
        # number now.
        parsed |= set(live.values())
    for key in [k for k, ref in refs.items() if named is None or ref.feature_number in parsed]:
        del refs[key]  # as they are now; those files as they were at the commit come next
    for path, record in records:
        number = now.get(record.number, record.number)
        for child in record.children:
            ident = ids.get((number, child.number))
            if ident is not None:  # a scenario the database never saw cannot hold results
                refs[ident] = scenario_ref(ident, number, str(record.fields.get("name", "")), path, child.fields,
                                           child.line)
    return parsed


def _numbers_of_paths(session: Session, project: Project, paths: set[str]) -> dict[str, str]:
    """The numbers of the project's live features whose files (root-relative) are ``paths``, by path."""
    from sqlalchemy import select

    from tracertm.engine.apply import iter_chunks
    from tracertm.models import Feature

    out: dict[str, str] = {}
    for chunk in iter_chunks(sorted(paths)):
        out.update((path, number) for number, path in session.execute(
            select(Feature.feature_number, Feature.source_path)
            .where(Feature.project_id == project.id, Feature.source_path.in_(chunk))
        ).all() if path is not None)
    return out


def _scenario_ids(session: Session, project: Project, numbers: set[str]) -> dict[tuple[str, str], Any]:
    """The ids of the scenarios (deleted ones too) of the features ``numbers``, by (feature, scenario) number."""
    from sqlalchemy import select

    from tracertm.engine.apply import iter_chunks
    from tracertm.models import Feature, Scenario

    out: dict[tuple[str, str], Any] = {}
    for chunk in iter_chunks(sorted(numbers)):
        out.update(((feature, number), ident) for ident, feature, number in session.execute(
            select(Scenario.id, Feature.feature_number, Scenario.scenario_number)
            .join(Feature, Scenario.feature_id == Feature.id)
            .where(Feature.project_id == project.id, Feature.feature_number.in_(chunk))
            .execution_options(include_deleted=True)
        ))
    return out


def _numbers_now(session: Session, project: Project, numbers: set[str]) -> dict[str, str]:
    """The feature numbers no feature has now, that a feature had before (an untagged feature takes its number from
    its file's name: ``cart`` renamed to ``basket``), by the number that feature has now — when exactly one feature
    ever had it."""
    from sqlalchemy import select

    from tracertm.models import Feature, SpecRevision

    if not numbers:
        return {}
    owners: dict[str, set[str]] = {}
    for old, new in session.execute(
        select(SpecRevision.number, Feature.feature_number)
        .join(Feature, SpecRevision.entity_id == Feature.id)
        .where(SpecRevision.project_id == project.id, SpecRevision.entity_type == "feature",
               SpecRevision.number.in_(sorted(numbers)))
        .execution_options(include_deleted=True)
    ).all():
        owners.setdefault(old, set()).add(new)
    return {old: next(iter(new)) for old, new in owners.items() if len(new) == 1}


def _renamed_before_its_first_sync(
    session: Session, project: Project, location: Location, commit: str, paths: dict[str, str],
) -> dict[str, str]:
    """The numbers of the features ``paths`` holds at ``commit`` (root-relative path → number there) that no
    feature ever had, by the number their feature has now: an untagged feature (its number its file's name)
    renamed before the database's first sync, so that no revision holds its old number (``_numbers_now``). git's
    rename detection from ``commit`` to HEAD names its file now, and the database's feature of that file is it."""
    from sqlalchemy import select

    from tracertm import git
    from tracertm.errors import GitError
    from tracertm.models import Feature

    prefix = location.prefix
    if location.top is None:
        return {}
    try:
        raw = git.run(location.top, "diff", "--name-status", "-z", "-M", "--no-ext-diff", commit, "HEAD", "--",
                      prefix or ".")
    except GitError:
        return {}
    parts = raw.decode("utf-8", "surrogateescape").split("\0")
    renamed: dict[str, str] = {}  # root-relative path now → number at the commit
    at = 0
    while at < len(parts) - 1:
        status = parts[at]
        if status.startswith("R") and at + 2 < len(parts):
            old, new = parts[at + 1], parts[at + 2]
            if old.startswith(prefix) and new.startswith(prefix) and old[len(prefix) :] in paths:
                renamed[new[len(prefix) :]] = paths[old[len(prefix) :]]
            at += 3
        else:
            at += 3 if status.startswith("C") else 2
    if not renamed:
        return {}
    return {renamed[path]: number for number, path in session.execute(
        select(Feature.feature_number, Feature.source_path)
        .where(Feature.project_id == project.id, Feature.source_path.in_(sorted(renamed)))
    ).all() if path in renamed}


_FIELDS = (
    "scenario_number", "title", "gherkin_text", "given_steps", "when_steps", "then_steps", "examples", "status",
)


def _at_commit(
    session: Session, project: Project, commit: str, refs: dict[Any, ScenarioRef],
    features: dict[str, tuple[str, str | None]],
) -> None:
    """Without a repository (an upload to the API): each scenario's newest revision committed no later than
    ``commit``'s own revisions — a revision of a clean work tree's sync is ``commit``'s when its run recorded that
    HEAD, and dated by it (``history.dated``: as ``show --at`` dates it). Revisions are written on content changes,
    so a scenario that only moved keeps the lines of its last change; ``repo`` gives exact lines. A commit no sync
    recorded (one that changed no spec file) cannot be placed without the repository: the scenarios stay as they
    are now."""
    from sqlalchemy import select

    from tracertm.history.dated import clean_run, dated_commit, dated_time
    from tracertm.models import SpecRevision, SyncRun

    at, when = dated_commit(SyncRun), dated_time(SyncRun)
    revisions = session.execute(
        select(SpecRevision, at, when)
        .outerjoin(SyncRun, clean_run(SyncRun))
        .where(
            SpecRevision.project_id == project.id,
            SpecRevision.entity_type.in_(("scenario", "feature")),
            SpecRevision.change != "annotated",  # a database-side edit (an import's statistics): no file's state
            at.is_not(None),
            when.is_not(None),
        )
    ).all()
    # Commit times have one-second resolution: the time the revision was recorded breaks ties (syncs follow history).
    keys = {rev.id: (dated, rev.created_at, rev.version) for rev, _sha, dated in revisions}

    def order(rev: Any) -> tuple[Any, Any, int]:
        return keys[rev.id]

    commit = commit.lower()  # stored ids are lower case (``commit_id``)
    anchors = [keys[rev.id] for rev, sha, _dated in revisions if sha and sha.startswith(commit)]
    if not anchors or len(commit) < 7:
        return  # a commit no sync recorded: match against the scenarios as they are
    cutoff = max(anchors)
    best: dict[Any, Any] = {}
    for rev, _sha, _dated in revisions:
        if order(rev) > cutoff:
            continue
        held = best.get(rev.entity_id)
        if held is None or order(rev) > order(held):
            best[rev.entity_id] = rev
    for rev in best.values():  # feature names and paths first
        if rev.entity_type == "feature" and rev.change != "deleted":
            features[rev.number] = (str(rev.snapshot.get("name", "")), rev.source_path)
    for entity_id in list(refs):  # no revision by then: the scenario did not exist at that commit
        if entity_id not in best:
            del refs[entity_id]
    for entity_id, rev in best.items():
        if rev.entity_type != "scenario":
            continue
        if rev.change == "deleted":
            refs.pop(entity_id, None)
            continue
        number = str(rev.snapshot.get("feature_number", ""))
        name, path = features.get(number, ("", None))
        refs[entity_id] = scenario_ref(entity_id, number, name, rev.source_path or path, rev.snapshot)
