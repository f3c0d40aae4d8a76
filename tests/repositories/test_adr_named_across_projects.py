"""An ADR id no ADR has exactly, asked of every project (``Records.adr_named`` with no project), names each
project's slugged ADR of that number in one order on SQLite and PostgreSQL: by id, then by project name, by code
point. The ids tie across projects, and ``ORDER BY`` the id alone left them in the order the syncs wrote them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from conftest import init_repo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project
from tracertm.repositories.records import Records


def _adr(identifier: str) -> str:
    return f"---\nid: {identifier}\nstatus: accepted\n---\n\n# {identifier[9:]}\n\n## Context\n\nC.\n"


def test_one_slugged_id_in_several_projects_comes_by_project_name(tmp_path: Path, engine: Any) -> None:
    names = ("zeta", "alpha", "Beta")  # synced in this order, which is neither the expected one nor its reverse
    for name in names:
        repo = init_repo(tmp_path / name)
        repo.write("docs/adr/0008-use-x.md", _adr("ADR-0008-use-x"))
        repo.commit("ADR-0008-use-x")
        sync(repo.path, engine=engine, project=name)
    with db.session(engine) as session:
        owners = {pid: name for pid, name in session.execute(select(Project.id, Project.name))}
        named = Records(session, "adr").adr_named("ADR-0008", None)
        assert [(owners[row.project_id], row.adr_number) for row in named] == [
            ("Beta", "ADR-0008-use-x"), ("alpha", "ADR-0008-use-x"), ("zeta", "ADR-0008-use-x")]
