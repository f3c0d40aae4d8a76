"""``changed_since`` a commit id lists records with a revision after it: the revisions of a clean work tree's sync
(no commit of their own; their run records HEAD) are at that HEAD, so ``changed_since HEAD`` lists none of them, nor
those synced at an older HEAD; an edit committed later, or synced from uncommitted files, is listed. The repository
query, the CLI (``list --changed-since``) and the API (``?changed_since=``), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil

import pytest

import tracertm
from apikit import api_client
from conftest import SAMPLE_REPO, GitRepo
from tracertm import db
from tracertm.cli import main
from tracertm.repositories import Projects, Records
from tracertm.schemas.filters import ListFilter


def _edit_adr_1(repo: GitRepo) -> None:
    path = next(p for p in sorted((repo.path / "docs/adr").glob("*.md")) if p.name.startswith("0001"))
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more consequence.\n", encoding="utf-8")


def _changed(database_url: str, since: str) -> list[str]:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            project = Projects(session).resolve(None)
            page = Records(session, "adr").list(project, ListFilter(changed_since=since))
            return [row.adr_number for row, _ in page.rows]
    finally:
        engine.dispose()


def test_changed_since_a_clean_head_is_not_its_own_sync(git_repo: GitRepo, database_url: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(SAMPLE_REPO, git_repo.path, dirs_exist_ok=True)
    first = git_repo.commit("sample", date="2021-01-01T00:00:00+00:00")  # long before the syncs run
    assert not tracertm.sync(git_repo.path, database_url=database_url, project="sample").errors
    assert _changed(database_url, first) == []  # synced from that very commit's files
    _edit_adr_1(git_repo)
    second = git_repo.commit("edit ADR 1", date="2021-02-01T00:00:00+00:00")
    assert not tracertm.sync(git_repo.path, database_url=database_url, project="sample").errors
    assert _changed(database_url, first) == ["ADR-0001"]  # a revision at a later commit
    assert _changed(database_url, second) == []  # at it, or at its ancestor ``first``: none after it

    code = main(["list", "adrs", "--changed-since", second[:12], "--format", "json", "--database-url", database_url,
                 "--project", "sample"])
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out) == [], err
    with api_client(database_url) as client:
        adrs = "/api/v1/projects/sample/adrs"
        response = client.get(adrs, params={"changed_since": second, "fields": "number"})
        assert response.status_code == 200 and response.json()["items"] == [], response.text[:300]
        response = client.get(adrs, params={"changed_since": first, "fields": "number"})
        assert [i["number"] for i in response.json()["items"]] == ["ADR-0001"]

    _edit_adr_1(git_repo)  # synced before it is committed: a revision after ``second``
    assert not tracertm.sync(git_repo.path, database_url=database_url, project="sample").errors
    assert _changed(database_url, second) == ["ADR-0001"]
