"""A remote added after the first sync: ``git init myrepo``, sync (project ``myrepo``, no URL), ``git remote add
origin ...``, sync again. The project is renamed after the remote, with its records and history, instead of a second
project duplicating every record; a clone without a remote keeps syncing into it under its folder name, and nothing
of another repository, or of a project named after another folder, is adopted."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from conftest import GitRepo, run_cli, sqlite_only
from specs import adr
from tracertm import db
from tracertm.engine import identity
from tracertm.engine.identity import RepoIdentity, former_names
from tracertm.engine.sync import sync
from tracertm.models import ADR, Project, SpecRevision

URL = "git@github.com:acme/payments.git"
NAME = "acme/payments"  # the name git.remote_name gives URL


def _repo(where: Path, title: str = "First", count: int = 2) -> GitRepo:
    where.mkdir(parents=True)
    repo = GitRepo(where)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "commit.gpgsign", "false")
    for n in range(1, count + 1):
        repo.write(f"docs/adr/{n:04d}-d.md", adr(n, f"{title} {n}"))
    repo.commit(f"{title} repository")
    return repo


def _clone(source: GitRepo, where: Path) -> GitRepo:
    """A clone of ``source`` at ``where`` without any remote (its name comes from its folder)."""
    subprocess.run(["git", "clone", "-q", str(source.path), str(where)], check=True)
    clone = GitRepo(where)
    clone.git("remote", "remove", "origin")
    return clone


def _cli(repo: Path, url: str, *extra: str, verb: str = "sync") -> subprocess.CompletedProcess[str]:
    return run_cli(verb, str(repo), "--database-url", url, *extra)


def _synced(repo: Path, url: str, *extra: str) -> dict[str, Any]:
    """Sync ``repo`` through the command line; its JSON result."""
    done = _cli(repo, url, "--format", "json", *extra)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _state(url: str) -> dict[str, Any]:
    """Every project (name, URL, root commit, former names), every ADR (project, number, id, version, title) and the
    number of revisions."""
    engine = db.make_engine(url)
    try:
        with db.session(engine) as s:
            projects = {
                p.id: (p.name, p.repo_url, p.root_commit, former_names(p))
                for p in s.execute(select(Project)).scalars()
            }
            adrs = sorted(
                (projects[a.project_id][0], a.adr_number, str(a.id), a.version, a.title)
                for a in s.execute(select(ADR)).scalars()
            )
            revisions = s.execute(select(func.count()).select_from(SpecRevision)).scalar_one()
    finally:
        engine.dispose()
    return {"projects": sorted(projects.values()), "adrs": adrs, "revisions": revisions}


def _root(repo: GitRepo) -> str:
    return repo.git("rev-list", "--first-parent", "--max-parents=0", "HEAD")


def _renamed(state: dict[str, Any], name: str) -> list[tuple[Any, ...]]:
    """``state``'s ADRs as they read after their project was renamed to ``name``."""
    return [(name, *rest) for _, *rest in state["adrs"]]


def test_a_remote_added_after_the_first_sync_renames_the_project(tmp_path: Path, database_url: str) -> None:
    repo = _repo(tmp_path / "myrepo")
    assert _synced(repo.path, database_url)["project"] == "myrepo"
    before = _state(database_url)
    assert before["projects"] == [("myrepo", None, _root(repo), [])]

    repo.git("remote", "add", "origin", URL)
    result = _synced(repo.path, database_url)
    assert result["project"] == NAME
    assert result["counts"]["adr"]["created"] == 0 and result["counts"]["adr"]["unchanged"] == 2
    after = _state(database_url)
    assert after["projects"] == [(NAME, URL, _root(repo), ["myrepo"])]  # one project: renamed, URL set
    assert after["adrs"] == _renamed(before, NAME)  # the same rows: same ids, versions and titles
    assert after["revisions"] == before["revisions"]  # the rename is no new version of any record

    repo.write("docs/adr/0001-d.md", adr(1, "First 1, edited"))
    assert _synced(repo.path, database_url)["counts"]["adr"]["updated"] == 1
    edited = _state(database_url)
    assert edited["projects"] == after["projects"]
    assert [(a[1], a[3]) for a in edited["adrs"]] == [("ADR-0001", 2), ("ADR-0002", 1)]


def test_a_read_finds_the_project_the_write_would_adopt_and_changes_nothing(
    tmp_path: Path, database_url: str
) -> None:
    repo = _repo(tmp_path / "myrepo")
    _synced(repo.path, database_url)
    repo.git("remote", "add", "origin", URL)
    before = _state(database_url)
    dry = _synced(repo.path, database_url, "--dry-run")
    assert dry["project"] == NAME
    assert dry["counts"]["adr"]["created"] == 0 and dry["counts"]["adr"]["unchanged"] == 2
    assert _state(database_url) == before  # not renamed, no URL: a read changes nothing
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as s:
            found = identity.find(s, NAME, RepoIdentity(repo.path, URL, named_from_remote=True, folder="myrepo"))
            assert found is not None and found.name == "myrepo" and found.repo_url is None
        assert _state(database_url) == before
    finally:
        engine.dispose()


def test_a_clone_without_a_remote_syncs_into_the_renamed_project(tmp_path: Path, database_url: str) -> None:
    repo = _repo(tmp_path / "a" / "myrepo")
    clone = _clone(repo, tmp_path / "b" / "myrepo")  # same repository, same folder name, no remote
    _synced(repo.path, database_url)
    repo.git("remote", "add", "origin", URL)
    _synced(repo.path, database_url)
    renamed = _state(database_url)["projects"]
    assert renamed == [(NAME, URL, _root(repo), ["myrepo"])]

    for round_ in range(2):  # neither work tree makes the name flip; each one's edits land in the one project
        clone.write("docs/adr/0001-d.md", adr(1, f"Edited in the clone, round {round_}"))
        result = _synced(clone.path, database_url)
        assert result["project"] == NAME  # the clone's folder name is the project's former name
        assert result["counts"]["adr"]["created"] == 0 and result["counts"]["adr"]["updated"] >= 1
        state = _state(database_url)
        assert state["projects"] == renamed  # name and URL unchanged
        assert [a[4] for a in state["adrs"]][0] == f"Edited in the clone, round {round_}"
        repo.write("docs/adr/0002-d.md", adr(2, f"Edited in the original, round {round_}"))
        result = _synced(repo.path, database_url)
        assert result["project"] == NAME and result["counts"]["adr"]["created"] == 0
        state = _state(database_url)
        assert state["projects"] == renamed
        assert [a[4] for a in state["adrs"]][1] == f"Edited in the original, round {round_}"
        assert len(state["adrs"]) == 2


def test_a_dry_run_in_a_clone_without_a_remote_names_the_renamed_project(tmp_path: Path, database_url: str) -> None:
    """The clone's folder name is the project's former name: its sync writes to the renamed project and names it,
    and so does its dry run (it named the folder's, 'would sync myrepo')."""
    repo = _repo(tmp_path / "a" / "myrepo")
    clone = _clone(repo, tmp_path / "b" / "myrepo")
    _synced(repo.path, database_url)
    repo.git("remote", "add", "origin", URL)
    _synced(repo.path, database_url)
    before = _state(database_url)
    dry = _synced(clone.path, database_url, "--dry-run")
    assert dry["project"] == NAME and dry["counts"]["adr"]["unchanged"] == 2
    assert _state(database_url) == before
    assert _synced(clone.path, database_url)["project"] == NAME


def test_an_unrelated_repository_with_the_same_folder_name_is_not_adopted(
    tmp_path: Path, database_url: str
) -> None:
    ours = _repo(tmp_path / "a" / "myrepo", "Ours")
    other = _repo(tmp_path / "b" / "myrepo", "Other")  # another root commit, same folder name
    _synced(ours.path, database_url)

    refused = _cli(other.path, database_url)  # as before: the same default name, another repository
    assert refused.returncode == 2 and "another repository" in refused.stderr, refused.stderr
    other.git("remote", "add", "origin", "https://example.com/acme/other.git")
    assert _synced(other.path, database_url)["project"] == "acme/other"  # a project of its own, ours untouched
    state = _state(database_url)
    assert state["projects"] == [
        ("acme/other", "https://example.com/acme/other.git", _root(other), []),
        ("myrepo", None, _root(ours), []),
    ]
    other.git("remote", "remove", "origin")  # its folder name is no former name of its project: refused again
    assert _cli(other.path, database_url).returncode == 2

    ours.git("remote", "add", "origin", URL)
    assert _synced(ours.path, database_url)["project"] == NAME
    state = _state(database_url)
    assert state["projects"] == [
        ("acme/other", "https://example.com/acme/other.git", _root(other), []),
        (NAME, URL, _root(ours), ["myrepo"]),
    ]
    assert sorted((a[0], a[4]) for a in state["adrs"]) == [
        ("acme/other", "Other 1"), ("acme/other", "Other 2"), (NAME, "Ours 1"), (NAME, "Ours 2"),
    ]


def test_a_project_named_after_another_folder_is_not_adopted(tmp_path: Path, database_url: str) -> None:
    repo = _repo(tmp_path / "myrepo")
    mirror = _clone(repo, tmp_path / "mirror")  # the same repository under another folder name: its own project
    _synced(repo.path, database_url)
    _synced(mirror.path, database_url)
    assert [p[0] for p in _state(database_url)["projects"]] == ["mirror", "myrepo"]

    repo.git("remote", "add", "origin", URL)
    assert _synced(repo.path, database_url)["project"] == NAME
    assert _state(database_url)["projects"] == [
        (NAME, URL, _root(repo), ["myrepo"]),  # the project named after this folder
        ("mirror", None, _root(repo), []),  # the other folder's project, not adopted
    ]

    elsewhere = _clone(repo, tmp_path / "elsewhere")  # named after a folder no project was ever called
    elsewhere.git("remote", "add", "origin", URL)
    assert _synced(elsewhere.path, database_url)["project"] == NAME  # by the remote's name, as before
    assert len(_state(database_url)["projects"]) == 2


# The API's sync and backfill are other ways in to the same adoption (above the database): SQLite alone. The
# adoption's store path (rename, URL, former names) runs on PostgreSQL in
# test_a_remote_added_after_the_first_sync_renames_the_project and
# test_a_clone_without_a_remote_syncs_into_the_renamed_project.


@sqlite_only
def test_the_api_sync_adopts_the_folder_project_too(tmp_path: Path, database_url: str) -> None:
    repo = _repo(tmp_path / "myrepo")
    engine = db.make_engine(database_url)
    try:
        assert sync(repo.path, engine=engine).project == "myrepo"
        repo.git("remote", "add", "origin", URL)
        result = sync(repo.path, engine=engine)
        assert result.project == NAME and result.counts["adr"]["unchanged"] == 2
        with db.session(engine) as s:
            project = s.execute(select(Project)).scalar_one()
            assert (project.name, project.repo_url, former_names(project)) == (NAME, URL, ["myrepo"])
            assert s.execute(select(func.count()).select_from(ADR)).scalar_one() == 2
    finally:
        engine.dispose()


@sqlite_only
def test_backfill_adopts_the_folder_project_too(tmp_path: Path, database_url: str) -> None:
    repo = _repo(tmp_path / "myrepo")
    _synced(repo.path, database_url)
    repo.git("remote", "add", "origin", URL)
    done = _cli(repo.path, database_url, "-q", verb="backfill")
    assert done.returncode == 0, done.stderr
    state = _state(database_url)
    assert state["projects"] == [(NAME, URL, _root(repo), ["myrepo"])]
    assert [(a[0], a[1]) for a in state["adrs"]] == [(NAME, "ADR-0001"), (NAME, "ADR-0002")]
