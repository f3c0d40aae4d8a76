"""A test-run upload to a project named by its UUID goes in when a sync renames the project (``git remote
set-url``) between the request reading the project's name and the import taking the project's write lock: not a
404 saying that a project that exists does not. The import still runs under the lock of the project's current name
(it looks the project up by that name under the lock). SQLite and PostgreSQL.

The interleaving is forced: the rename is committed right before the import starts, after the request read the
name."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from apikit import api_client, make_token
from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project, TestRun
from tracertm.results import store

HERE = Path(__file__).parent


def test_an_upload_by_uuid_goes_in_while_a_sync_renames_the_project(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(HERE / "project" / "features", git_repo.path / "features", ignore=shutil.ignore_patterns("steps"))
    git_repo.commit("cart")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="shop").errors
    engine = db.make_engine(database_url)
    try:
        token = make_token(engine)
        with db.session(engine) as session:
            project_id = session.execute(select(Project.id).where(Project.name == "shop")).scalar_one()
        imported = store.import_results
        renamed: list[str] = []

        def renamed_first(*args: Any, **kwargs: Any) -> Any:
            if not renamed:  # a sync renames the project now: after the request read its name, before the lock
                with db.write_session(engine, "shop") as session:
                    session.execute(update(Project).where(Project.id == project_id).values(name="acme/shop"))
                renamed.append("acme/shop")
            return imported(*args, **kwargs)

        monkeypatch.setattr(store, "import_results", renamed_first)
        report = (HERE / "fixtures" / "cucumber-junit.xml").read_bytes()
        with api_client(engine) as client:
            answer = client.post(f"/api/v1/projects/{project_id}/test-runs", content=report,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"})
        assert renamed, "the import never started"
        assert answer.status_code == 201, answer.text
        assert answer.json()["summary"]["project"] == "acme/shop"
        with db.session(engine) as session:
            runs = session.execute(select(TestRun.project_id)).scalars().all()
        assert runs == [project_id]
    finally:
        engine.dispose()
