"""Projects, their status, and their sync runs."""

from __future__ import annotations

import builtins
import shlex
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session, aliased

from tracertm.models import Feature, Project, Scenario, SourceFile, SyncRun
from tracertm.models.types import code_points
from tracertm.repositories.errors import NotFound, refuse_limit
from tracertm.repositories.kinds import KINDS
from tracertm.text import name_form, quoted_command, visible_form
from tracertm.timetext import json_time, json_time_or_none

if TYPE_CHECKING:
    from tracertm.engine.identity import RepoIdentity

COUNTED = ("adr", "contract", "feature", "scenario", "step_definition")  # the kinds ``status`` counts
SETTLED = ("ok", "errors")  # the statuses of a run that synced (a failed run wrote nothing; a running one not yet)


class Projects:
    """Read access to projects over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self) -> builtins.list[Project]:
        """Every project in the database, by name (code point order, on both databases)."""
        return list(self.session.execute(select(Project).order_by(code_points(Project.name))).scalars())

    def page(self, after: str | None, limit: int) -> tuple[builtins.list[Project], bool]:
        """The first ``limit`` projects by name after the name ``after`` (from the first one when None), and
        whether more follow: a keyset page of ``list`` (names ordered and compared by code point, as SQLite does,
        whatever a PostgreSQL database's collation)."""
        refuse_limit(limit)
        query = select(Project).order_by(code_points(Project.name)).limit(limit + 1)
        if after is not None:
            query = query.where(code_points(Project.name) > after)
        rows = list(self.session.execute(query).scalars())
        return rows[:limit], len(rows) > limit

    def get(self, name: str, option: str = "project") -> Project:
        """A project by name or UUID; unknown → :class:`NotFound` naming ``option`` and the known projects. A UUID
        is the project of that id first: another project may be named so (a folder of 32 hex digits, or on
        purpose), and must not take over the first one's id URLs."""
        project = None
        try:
            project = self.session.get(Project, uuid.UUID(name))
        except ValueError:
            pass
        if project is None:
            project = self._named(name)
        if project is None:
            raise NotFound(f"{option} {visible_form(name)}: no such project in the database; {self._known()}")
        return project

    def _named(self, name: str) -> Project | None:
        """The project named ``name`` in either Unicode form: names are stored in NFC (``text.name_form``), and a
        user types (or a macOS shell completes) either; the exact spelling first, for a database that held both
        forms as two projects before names were normalized (migration 0038 renames neither then)."""
        forms = list(dict.fromkeys((name, name_form(name))))
        rows = self.session.execute(select(Project).where(Project.name.in_(forms))).scalars().all()
        return min(rows, key=lambda p: forms.index(p.name), default=None)

    def existing(self, names: builtins.list[str]) -> set[str]:
        """Which of ``names`` name a project, by name or UUID as ``get`` reads them (one query)."""
        ids: dict[uuid.UUID, str] = {}
        for name in names:
            try:
                ids[uuid.UUID(name)] = name
            except ValueError:
                pass
        forms = {*names, *(name_form(n) for n in names)}  # (either Unicode form names it, as in ``get``)
        condition = or_(Project.name.in_(forms), Project.id.in_(list(ids))) if ids else Project.name.in_(forms)
        found: set[str] = set()
        for name, project_id in self.session.execute(select(Project.name, Project.id).where(condition)):
            found.update(n for n in names if name in (n, name_form(n)))
            if project_id in ids:
                found.add(ids[project_id])
        return found

    def resolve(self, wanted: str | None, derived: str | None = None, option: str = "--project", *,
                path: str | None = None, identity: RepoIdentity | None = None) -> Project:
        """``wanted`` (an option), else the project of the folder ``path`` whose sync would name it ``derived``:
        with the repository's ``identity`` (its root commit and the folder's path from its top), the one
        ``identity.read_project`` finds (the project recording that folder, else the project of the name when its
        root commit is one of this repository's, as ``sync`` checks, and its folder is this one or gone, else the
        one project of this repository's history: a project synced under another name, ``sync --project NAME``);
        without one (a plain folder), the project of the name. Else the only project when there is no repository
        to go by (callers pass no ``derived`` only there: run outside any, with no PATH). A repository with no
        project of its own is an error, never another project: not the database's only one, nor an unrelated
        repository's of the same folder name, nor another folder's of the same name (``services/api`` for
        ``clients/api``), which would show their records as this one's. ``wanted`` is answered whatever repository
        it is asked from: the user named it."""
        if wanted:
            return self.get(wanted, option)
        if derived:
            if identity is None:
                project = self._named(derived)
                passed = None
            else:
                from tracertm.engine.identity import read_project

                project, passed = read_project(self.session, derived, identity)
            if project is None:
                self._several_here(derived, option, path, identity)
                # The passed-over project's own sync refuses this folder too: a project of its own needs another name.
                named = ["--project", "NAME"] if passed is not None else []
                sync = shlex.join(["tracertm", "sync", *named, path]) if path else "tracertm sync PATH"
                raise NotFound(f"no project for {derived} in {self._database()}; {_theirs(passed, identity)}run "
                               f"{quoted_command(sync)} first, or name one with {option}")
            return project
        projects = self.session.execute(select(Project).order_by(Project.name).limit(2)).scalars().all()
        if len(projects) == 1:
            return projects[0]
        if not projects:
            raise NotFound("the database holds no project yet; run 'tracertm sync PATH' first")
        raise NotFound(f"several projects in the database; pick one with {option} ({self._known()})")

    def _several_here(self, derived: str, option: str, path: str | None, identity: RepoIdentity | None) -> None:
        """Refuse a folder synced under several projects (``sync --project alpha``, then ``beta``) naming them, as
        ``get`` lists the known ones: it was synced, and a sync, as the no-project error suggests, makes a third."""
        from tracertm.engine.identity import synced_here

        several = [] if identity is None else synced_here(self.session, identity)
        if len(several) > 1:
            names = ", ".join(visible_form(p.name) for p in several)
            raise NotFound(f"{path or derived} is synced under several projects in {self._database()} ({names}); "
                           f"pick one with {option}")

    def _database(self) -> str:
        """The database of this session as a user names it: a SQLite file's path, else the URL without password."""
        url = self.session.get_bind().engine.url  # (a Connection has no url of its own)
        if url.get_backend_name() == "sqlite":
            return url.database or ":memory:"
        return url.render_as_string(hide_password=True)

    def _known(self) -> str:
        names = self.session.execute(select(Project.name).order_by(code_points(Project.name))).scalars().all()
        return "known projects: " + (", ".join(visible_form(n) for n in names) if names else "none")

    def status(self, project: Project, *, good_run: bool = False) -> dict[str, Any]:
        """Counts per kind (live and deleted), the last sync, and the files currently in error; ``good_run``: also
        ``last_good_run``, the run of the last successful sync (``statuses``)."""
        return self.statuses([project], good_run=good_run)[project.id]

    def statuses(
        self, projects: Sequence[Project], *, every: bool = False, good_run: bool = False
    ) -> dict[uuid.UUID, dict[str, Any]]:
        """``status`` of each of ``projects``, by project id, in a fixed number of statements whatever their number
        (each grouped by project): the dashboard lists every project, and one round of queries per project cost
        a shared PostgreSQL server seconds per page. ``every``: ``projects`` are all the database's, so no
        statement lists their ids (1,000 projects would be 1,000 bound parameters in each). ``good_run`` (the
        text of ``status`` and the web view, not the API's shape): each status has ``last_good_run`` too, the
        newest ``ok`` or ``errors`` run, as ``last_run`` is shaped (None: none), the one of ``last_synced_at``
        and ``last_synced_commit``; and ``later_run``: ``last_run`` when it is a later one that failed or is
        still running (else None)."""
        ids = [p.id for p in projects]

        def mine(column: Any) -> Any:
            return true() if every else column.in_(ids)

        counts: dict[uuid.UUID, dict[str, dict[str, int]]] = {
            pid: {name: {"live": 0, "deleted": 0} for name in COUNTED} for pid in ids}
        for name in COUNTED:
            model = KINDS[name].model
            owner = Feature.project_id if name == "scenario" else model.project_id
            query = (select(owner, model.deleted_at.is_(None), func.count()).select_from(model).where(mine(owner))
                     .group_by(owner, model.deleted_at.is_(None)))
            if name == "scenario":
                query = query.join(Feature, Scenario.feature_id == Feature.id)
            for pid, live, n in self.session.execute(query.execution_options(include_deleted=True)).all():
                if pid in counts:
                    counts[pid][name]["live" if live else "deleted"] = int(n)
        # The newest run of each project: a correlated subquery per project row, which both databases answer from
        # the (project_id, started_at) index, reading one entry per project however many runs there are (a
        # window over every run would read them all).
        newest = aliased(SyncRun)
        latest = (select(newest.id).where(newest.project_id == Project.id).order_by(newest.started_at.desc())
                  .limit(1).correlate(Project).scalar_subquery())
        # And the newest run that finished (``ok`` or ``errors``), in the same statement: the files it found in
        # error that have no row (``_unrowed``). A failed run, recorded apart from the rollback, found nothing.
        settled_run = aliased(SyncRun)
        settled_id = (select(settled_run.id)
                      .where(settled_run.project_id == Project.id, settled_run.status.in_(SETTLED))
                      .order_by(settled_run.started_at.desc()).limit(1).correlate(Project).scalar_subquery())
        newest_ids = select(latest).select_from(Project).where(mine(Project.id))
        settled_ids = select(settled_id).select_from(Project).where(mine(Project.id))
        last: dict[uuid.UUID, SyncRun] = {}
        settled: dict[uuid.UUID, SyncRun] = {}
        for run in self.session.execute(
                select(SyncRun).where(or_(SyncRun.id.in_(newest_ids), SyncRun.id.in_(settled_ids)))).scalars():
            for pick, wanted in ((last, True), (settled, run.status in SETTLED)):
                known = pick.get(run.project_id)
                if wanted and (known is None or known.started_at < run.started_at):
                    pick[run.project_id] = run
        broken: dict[uuid.UUID, builtins.list[tuple[str, Any]]] = {pid: [] for pid in ids}
        for pid, path, stored in self.session.execute(
            select(SourceFile.project_id, SourceFile.path, SourceFile.parse_error)
            .where(
                mine(SourceFile.project_id),
                SourceFile.deleted_at.is_(None),
                SourceFile.parse_error.is_not(None),
            )
            .order_by(SourceFile.project_id, code_points(SourceFile.path))
        ).all():
            if pid in broken:
                broken[pid].append((path, stored))
        for pid, run in settled.items():
            if pid in broken:
                broken[pid] = _in_order([*broken[pid], *_unrowed(run, {path for path, _ in broken[pid]})])
        found = {project.id: _status(project, counts[project.id], last.get(project.id), broken[project.id])
                 for project in projects}
        if good_run:
            for pid, status in found.items():
                later = status["last_run"] is not None and status["last_run"]["status"] not in SETTLED
                status.update(last_good_run=_run_short(settled.get(pid)),
                              later_run=status["last_run"] if later else None)
        return found

    def sync_runs(self, project: Project | None = None, limit: int = 50) -> builtins.list[tuple[SyncRun, str]]:
        """The newest sync runs (of one project, or of all), with their project's name; ``limit`` 1 to
        ``MAX_LIMIT``, as the API's ``limit``."""
        refuse_limit(limit)
        query = select(SyncRun, Project.name).join(Project, SyncRun.project_id == Project.id)
        if project is not None:
            query = query.where(SyncRun.project_id == project.id)
        rows = self.session.execute(query.order_by(SyncRun.started_at.desc(), SyncRun.id).limit(limit)).all()
        return [(run, name) for run, name in rows]


def _theirs(passed: Project | None, identity: RepoIdentity | None) -> str:
    """What the error of a folder with no project says of the project of its name that is not its own: another
    repository's, or another folder's of this one (``identity.read_project``)."""
    if passed is None:
        return ""
    from tracertm.engine.identity import recorded_spec_root, shown_folder

    folder = recorded_spec_root(passed)
    if identity is not None and folder is not None and identity.matches(passed):
        return (f"the project {passed.name!r} there holds the specs of {shown_folder(folder)}, another folder of "
                "this repository; ")
    where = f", {passed.repo_url}" if passed.repo_url else ""
    return (f"the project {passed.name!r} there belongs to another repository (root commit "
            f"{(passed.root_commit or '')[:12]}{where}); ")


def _status(project: Project, counts: dict[str, dict[str, int]], last: SyncRun | None,
            broken: builtins.list[tuple[str, Any]]) -> dict[str, Any]:
    return {
        "project": project.name,
        "repo_url": project.repo_url,
        "last_synced_commit": project.last_synced_commit,
        "last_synced_at": json_time_or_none(project.last_synced_at),
        "last_run": _run_short(last),
        "counts": counts,
        "files_in_error": _files_in_error(broken),
    }


def _run_short(run: SyncRun | None) -> dict[str, Any] | None:
    """A sync run as a status names it (the API's ``LastRun``)."""
    if run is None:
        return None
    return {"trigger": run.trigger, "status": run.status, "started_at": json_time(run.started_at), "ref": run.ref}


def held_findings(session: Session, project_id: uuid.UUID, rowed: set[str]) -> dict[str, builtins.list[Any]]:
    """What ``status`` lists of the files without a row (``_unrowed``) of one project: their paths, each with the
    errors the project's newest finished run found in it (``rowed``: the paths of its live rows with findings)."""
    runs = [session.execute(  # an indexed search each, by (project, status): not a walk of the project's runs
        select(SyncRun).where(SyncRun.project_id == project_id, SyncRun.status == status)
        .order_by(SyncRun.started_at.desc()).limit(1)).scalar_one_or_none() for status in ("ok", "errors")]
    settled = [run for run in runs if run is not None]
    return dict(_unrowed(max(settled, key=lambda run: run.started_at), rowed)) if settled else {}


def _unrowed(run: SyncRun, rowed: set[str]) -> builtins.list[tuple[str, Any]]:
    """The files ``run`` found in error that have no row to store their findings on, with those findings: a new
    file that does not parse while a removed file of its kind keeps its records (``engine.plan``: ``held``, read
    again at every sync until it parses, so no row says it was read) and a file whose name is not UTF-8. A sync
    stores every other error on its file's row, in the same transaction as the run (``rowed``: the paths whose
    rows ``status`` lists). Not a backfill's run: it holds the errors of the commits it replayed, not those of
    the files as they are now."""
    if run.trigger == "backfill" or not isinstance(run.errors, list):
        return []
    return unrowed_errors(run.errors, rowed)


def unrowed_errors(errors: builtins.list[Any], rowed: set[str]) -> builtins.list[tuple[str, Any]]:
    """``errors`` (a run's, as stored) of the paths not ``rowed``, grouped by path (``_unrowed``; a sync asks
    what ``status`` will list after it: ``engine.sync``)."""
    found: dict[str, builtins.list[Any]] = {}
    for error in errors:
        path = error.get("path") if isinstance(error, dict) else None
        if isinstance(path, str) and path not in rowed:
            found.setdefault(path, []).append(error)
    return list(found.items())


def _in_order(rows: builtins.list[tuple[str, Any]]) -> builtins.list[tuple[str, Any]]:
    """``rows`` by path in code point order, as the query of the rows sorts them (``code_points``)."""
    return sorted(rows, key=lambda row: row[0])


def _files_in_error(rows: Any) -> builtins.list[dict[str, Any]]:
    """Files with at least one error, each with its first error (``line``, ``column``, ``message``) and every
    finding under ``diagnostics``."""
    from tracertm.engine.plan import file_findings

    out: builtins.list[dict[str, Any]] = []
    for path, stored in rows:
        findings = file_findings(path, stored)
        errors = [d for d in findings if d.severity == "error"]
        if errors:
            first = errors[0]
            out.append({"path": path, "line": first.line, "column": first.column, "message": first.message,
                        "diagnostics": [d.as_dict() for d in findings]})
    return out


def command(*words: str, project: str) -> str:
    """``tracertm WORDS --project NAME``, quoted for a shell: a command a message or page suggests about one project.
    It names the project because the reader's folder may find another (a sub-folder project, another repository),
    and a server (the API, the web view) cannot know that folder; ``--project`` is answered from wherever it is
    asked. A name starting with ``-`` is written ``--project=NAME``, which argparse cannot take for an option."""
    option = [f"--project={project}"] if project.startswith("-") else ["--project", project]
    return shlex.join(["tracertm", *words, *option])


def folder_command(verb: str, project: Project, *words: str) -> str:
    """``command`` for a verb that reads the project's files (``sync``, ``backfill``): it names, as PATH, the folder
    the project was synced from when that is a sub-folder of its repository (``tracertm backfill svc --project 'team
    svc'``), as a path from the top of the work tree, where such a command is pasted — ``--project`` alone, run
    there, would read the top's files and be refused (another folder's project). ``words`` follow PATH."""
    from tracertm.engine.identity import TOP, recorded_spec_root

    folder = recorded_spec_root(project)
    if folder is None or folder == TOP:
        return command(verb, *words, project=project.name)
    # A folder named like an option (``-x``) would be read as one: ``./-x`` is the same folder.
    return command(verb, f"./{folder}" if folder.startswith("-") else folder, *words, project=project.name)


def project_dict(project: Project) -> dict[str, Any]:
    """A project shaped like ``ProjectRead``: its columns, ``project_metadata`` as ``metadata``."""
    out = {c.key: getattr(project, c.key) for c in Project.__table__.columns if c.name != "project_metadata"}
    out["metadata"] = project.metadata_
    return out


def sync_run_dict(run: SyncRun, project: str) -> dict[str, Any]:
    """A sync run shaped like ``SyncRunRead``: its counts per kind (and a backfill batch's ``commits``), not the
    digest of the settings a sync read (``counts["read"]``, ``history.settings.READ_KEY``), which only a backfill
    reads."""
    counts = {key: value for key, value in (run.counts or {}).items() if key != "read"}
    return {
        "id": run.id, "project": project, "trigger": run.trigger, "ref": run.ref, "commit_sha": run.commit_sha,
        "started_at": run.started_at, "finished_at": run.finished_at, "status": run.status, "counts": counts,
        "errors": run.errors,
    }
