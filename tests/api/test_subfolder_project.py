"""A project whose spec root is a sub-folder of its git repository (the quick start: ``tracertm sync sample-repo``
from the repository's top), served by ``tracertm serve`` run at that top without ``--path``: ``at/{commit}``
answers its HEAD state as ``show --at HEAD`` does, and a PATCH of a git-owned field names the line (not ``null``
with "the server does not know where the repository is"). The server finds the project in the repository it runs
in by its root commit and the folder its recorded files are in. SQLite and PostgreSQL, through the real app."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from apikit import api_client, make_token
from conftest import SAMPLE_REPO, GitRepo
from tracertm.api import ApiSettings
from tracertm.cli.serve import served_repository
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"


@pytest.fixture
def served(git_repo: GitRepo, engine: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, str]]:
    """The sample project in ``sample-repo/`` of a repository, synced from its clean HEAD, and the app ``serve``
    would run at the repository's top (its settings as ``serve`` makes them there)."""
    shutil.copytree(SAMPLE_REPO, git_repo.path / "sample-repo")
    git_repo.write("README.md", "the product\n")
    head = git_repo.commit("init")
    result = sync(git_repo.path / "sample-repo", engine=engine)
    assert not result.errors, result.errors
    monkeypatch.chdir(git_repo.path)
    repositories, repository, _configured = served_repository(None)
    assert "sample-repo" not in repositories  # found by its identity, not by name
    settings = ApiSettings(repositories=repositories, repository=repository)
    with api_client(engine, settings) as client:
        yield client, head


def test_at_head_answers_a_sub_folder_project(served: tuple[TestClient, str]) -> None:
    client, head = served
    for query in ("", "?project=sample-repo"):
        response = client.get(f"{API}/adrs/ADR-0003/at/{head}{query}")
        assert response.status_code == 200, (query, response.text[:300])
        body = response.json()
        assert body["number"] == "ADR-0003" and body["source_path"].startswith("docs/adr/0003")
        assert body["snapshot"]["title"] == "Use PostgreSQL for the ledger"


def test_patch_of_a_git_owned_field_names_its_line(served: tuple[TestClient, str], engine: Any) -> None:
    client, _head = served
    token = make_token(engine)
    response = client.patch(f"{API}/adrs/ADR-0003?project=sample-repo", json={"title": "x"},
                            headers={"Authorization": f"Bearer {token}", "If-Match": "*"})
    assert response.status_code == 409, response.text[:300]
    body = response.json()
    assert body["line"] == 1, body  # the ``# 3. Use PostgreSQL for the ledger`` heading
    assert "line_note" not in body, body


def test_a_project_of_another_repository_is_not_located(git_repo: GitRepo, engine: Any, tmp_path: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Same folder name, same files, another repository (another root commit): the server does not read this
    repository's files for it (no line), and its ``at`` does not use this repository's history."""
    other = GitRepo(tmp_path / "other")
    other.path.mkdir()
    other.git("init", "-q", "-b", "main")
    shutil.copytree(SAMPLE_REPO, other.path / "sample-repo")
    other.write("OTHER", "another root\n")
    other.commit("other init")
    assert not sync(other.path / "sample-repo", engine=engine).errors
    shutil.copytree(SAMPLE_REPO, git_repo.path / "sample-repo")
    git_repo.commit("init")
    monkeypatch.chdir(git_repo.path)
    repositories, repository, _configured = served_repository(None)
    with api_client(engine, ApiSettings(repositories=repositories, repository=repository)) as client:
        token = make_token(engine)
        response = client.patch(f"{API}/adrs/ADR-0003", json={"title": "x"},
                                headers={"Authorization": f"Bearer {token}", "If-Match": "*"})
        assert response.status_code == 409
        assert response.json()["line"] is None and response.json()["line_note"]


def test_show_at_from_the_top_reads_a_sub_folder_projects_files(git_repo: GitRepo, engine: Any,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """``show --at`` run from the repository's top reads the project's files in its sub-folder: an edit synced
    before it was committed is answered at the commit that holds it (the file there decides), as from inside."""
    from tracertm.cli import main

    shutil.copytree(SAMPLE_REPO, git_repo.path / "sample-repo")
    git_repo.commit("init")
    url = str(engine.url.render_as_string(hide_password=False))
    assert not sync(git_repo.path / "sample-repo", engine=engine).errors
    adr = next((git_repo.path / "sample-repo" / "docs" / "adr").glob("0003-*.md"))
    adr.write_text(adr.read_text() + "\nOne more consequence.\n")
    assert not sync(git_repo.path / "sample-repo", engine=engine).errors  # version 2, from the uncommitted file
    head = git_repo.commit("the edit, committed")
    for where in (git_repo.path, git_repo.path / "sample-repo"):
        monkeypatch.chdir(where)
        code = main(["show", "ADR-0003", "--at", head, "--project", "sample-repo", "--database-url", url])
        out, err = capsys.readouterr()
        assert code == 0, (where, err)
        assert "version 2" in out.splitlines()[0], (where, out[:200])
