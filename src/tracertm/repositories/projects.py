"""Projects, their status, and their sync runs."""

from __future__ import annotations

import builtins
import shlex
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tracertm.models import Feature, Project, Scenario, SourceFile, SyncRun
from tracertm.repositories.errors import NotFound
from tracertm.repositories.kinds import KINDS


class Projects:
    """Read access to projects over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self) -> builtins.list[Project]:
        return list(self.session.execute(select(Project).order_by(Project.name)).scalars())

    def get(self, name: str, option: str = "project") -> Project:
        """A project by name or UUID; unknown → :class:`NotFound` naming ``option`` and the known projects."""
        query = select(Project).where(Project.name == name)
        try:
            query = select(Project).where((Project.name == name) | (Project.id == uuid.UUID(name)))
        except ValueError:
            pass
        project = self.session.execute(query).scalars().first()
        if project is None:
            raise NotFound(f"{option} {name}: no such project in the database; {self._known()}")
        return project

    def existing(self, names: builtins.list[str]) -> set[str]:
        """Which of ``names`` name a project, by name or UUID as ``get`` reads them (one query)."""
        ids: dict[uuid.UUID, str] = {}
        for name in names:
            try:
                ids[uuid.UUID(name)] = name
            except ValueError:
                pass
        condition = or_(Project.name.in_(names), Project.id.in_(list(ids))) if ids else Project.name.in_(names)
        found: set[str] = set()
        for name, project_id in self.session.execute(select(Project.name, Project.id).where(condition)):
            if name in names:
                found.add(name)
            if project_id in ids:
                found.add(ids[project_id])
        return found

    def resolve(self, wanted: str | None, derived: str | None = None, option: str = "--project", *,
                path: str | None = None, root: Callable[[], str | None] | None = None) -> Project:
        """``wanted`` (an option), else the project named ``derived`` (the repository's, whose folder is ``path``),
        else the one project of this repository's history (``root`` gives its root commit: a project synced under
        another name, ``sync --project NAME``), else the only project when there is no repository to go by
        (callers pass no ``derived`` only there: run outside any, with no PATH). A repository with no project of
        its own is an error, never the database's only project: that would show another repository's records as
        this one's."""
        if wanted:
            return self.get(wanted, option)
        if derived:
            project = self.session.execute(select(Project).where(Project.name == derived)).scalar_one_or_none()
            commit = root() if project is None and root is not None else None
            if commit:
                ours = self.session.execute(select(Project).where(Project.root_commit == commit).limit(2)).scalars()
                found = ours.all()
                project = found[0] if len(found) == 1 else None
            if project is None:
                sync = shlex.join(["tracertm", "sync", path]) if path else "tracertm sync PATH"
                raise NotFound(f"no project for {derived} in {self._database()}; run '{sync}' first, or name one "
                               f"with {option}")
            return project
        projects = self.session.execute(select(Project).order_by(Project.name).limit(2)).scalars().all()
        if len(projects) == 1:
            return projects[0]
        if not projects:
            raise NotFound("the database holds no project yet; run 'tracertm sync PATH' first")
        raise NotFound(f"several projects in the database; pick one with {option} ({self._known()})")

    def _database(self) -> str:
        """The database of this session as a user names it: a SQLite file's path, else the URL without password."""
        url = self.session.get_bind().engine.url  # (a Connection has no url of its own)
        if url.get_backend_name() == "sqlite":
            return url.database or ":memory:"
        return url.render_as_string(hide_password=True)

    def _known(self) -> str:
        names = self.session.execute(select(Project.name).order_by(Project.name)).scalars().all()
        return "known projects: " + (", ".join(names) if names else "none")

    def status(self, project: Project) -> dict[str, Any]:
        """Counts per kind (live and deleted), the last sync, and the files currently in error."""
        counts: dict[str, dict[str, int]] = {}
        for name in ("adr", "contract", "feature", "scenario", "step_definition"):
            model = KINDS[name].model
            query = select(model.deleted_at.is_(None), func.count()).group_by(model.deleted_at.is_(None))
            if name == "scenario":
                query = query.join(Feature, Scenario.feature_id == Feature.id).where(Feature.project_id == project.id)
            else:
                query = query.where(model.project_id == project.id)
            rows: dict[bool, int] = dict(self.session.execute(query.execution_options(include_deleted=True)).all())
            counts[name] = {"live": rows.get(True, 0), "deleted": rows.get(False, 0)}
        last = self.session.execute(
            select(SyncRun).where(SyncRun.project_id == project.id).order_by(SyncRun.started_at.desc()).limit(1)
        ).scalar_one_or_none()
        broken = self.session.execute(
            select(SourceFile.path, SourceFile.parse_error)
            .where(
                SourceFile.project_id == project.id,
                SourceFile.deleted_at.is_(None),
                SourceFile.parse_error.is_not(None),
            )
            .order_by(SourceFile.path)
        ).all()
        return {
            "project": project.name,
            "repo_url": project.repo_url,
            "last_synced_commit": project.last_synced_commit,
            "last_synced_at": project.last_synced_at.isoformat() if project.last_synced_at else None,
            "last_run": None
            if last is None
            else {
                "trigger": last.trigger, "status": last.status, "started_at": last.started_at.isoformat(),
                "ref": last.ref,
            },
            "counts": counts,
            "files_in_error": _files_in_error(broken),
        }

    def sync_runs(self, project: Project | None = None, limit: int = 50) -> builtins.list[tuple[SyncRun, str]]:
        """The newest sync runs (of one project, or of all), with their project's name."""
        query = select(SyncRun, Project.name).join(Project, SyncRun.project_id == Project.id)
        if project is not None:
            query = query.where(SyncRun.project_id == project.id)
        rows = self.session.execute(query.order_by(SyncRun.started_at.desc(), SyncRun.id).limit(limit)).all()
        return [(run, name) for run, name in rows]


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


def project_dict(project: Project) -> dict[str, Any]:
    """A project shaped like ``ProjectRead``: its columns, ``project_metadata`` as ``metadata``."""
    out = {c.key: getattr(project, c.key) for c in Project.__table__.columns if c.name != "project_metadata"}
    out["metadata"] = project.metadata_
    return out


def sync_run_dict(run: SyncRun, project: str) -> dict[str, Any]:
    """A sync run shaped like ``SyncRunRead``."""
    return {
        "id": run.id, "project": project, "trigger": run.trigger, "ref": run.ref, "commit_sha": run.commit_sha,
        "started_at": run.started_at, "finished_at": run.finished_at, "status": run.status, "counts": run.counts,
        "errors": run.errors,
    }
