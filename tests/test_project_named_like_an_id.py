"""A project named like another project's UUID (``--project <uuid>`` by mistake, or a checkout folder of 32 hex
digits) does not take over that project's id: ``{project}`` is "a project's name or UUID", and the id is the one
that names a project for good (the web view links some projects by it). Before, whichever row the database
returned first answered: after such a sync, the first project's UUID listed the second one's records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from conftest import init_repo
from specs import adr
from tracertm.cli import main
from tracertm.models import Project


def test_a_uuid_names_the_project_of_that_id_first(
        tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    url = ("--database-url", database_url)
    repos = []
    for name in ("a", "b"):
        repo = init_repo(tmp_path / name)
        repo.write("docs/adr/0001-x.md", adr(1, f"Decision of {name}"))
        repo.commit()
        repos.append(repo)
    assert main(["sync", str(repos[0].path), *url, "--format", "json"]) == 0
    capsys.readouterr()
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            a_id = str(conn.execute(select(Project.id).where(Project.name == "a")).scalar_one())
    finally:
        engine.dispose()
    assert main(["sync", str(repos[1].path), "--project", a_id, *url]) == 0  # a project named so
    capsys.readouterr()
    for named in (a_id, "a"):
        assert main(["list", "adrs", "--project", named, *url, "--format", "json"]) == 0
        titles = [r["title"] for r in json.loads(capsys.readouterr().out)]
        assert titles == ["Decision of a"], (named, titles)
