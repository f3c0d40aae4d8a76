"""Sub-folder projects of one repository that get the same name (``services/api`` and ``clients/api``: the folder
name) share the repository's root commit, so the root commit alone cannot tell them apart: each sync moved the
other's records into its own files (ADR-0001 created from services/api, moved to clients/api, moved back). A project
records the folder it is synced from (``project_metadata["spec_root"]``); a sync of its name from another folder is
refused while that folder still holds a file, and follows the project when the folder was moved away. Real git,
real SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from conftest import GitRepo, run_cli
from specs import adr
from tracertm import db, fastpath
from tracertm.engine import identity
from tracertm.engine.identity import ProjectMismatchError
from tracertm.engine.sync import sync


def _rows(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(db.parse_url(url))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def _adrs(url: str) -> list[tuple[str, str, str, int]]:
    """Every ADR row: project, title, source path, version."""
    return sorted((r[0], r[1], r[2], r[3]) for r in _rows(
        url, "SELECT p.name, a.title, a.source_path, a.version FROM adrs a JOIN projects p ON p.id = a.project_id"))


def _metadata(url: str, name: str) -> dict[str, Any]:
    (metadata,) = [r[1] for r in _rows(url, "SELECT name, project_metadata FROM projects") if r[0] == name]
    return json.loads(metadata) if isinstance(metadata, str) else dict(metadata)


def _spec_root(url: str, name: str) -> Any:
    return _metadata(url, name).get(identity.SPEC_ROOT_KEY)


def _two_apis(repo: GitRepo) -> None:
    repo.write("services/api/docs/adr/0001-server.md", adr(1, "Server"))
    repo.write("clients/api/docs/adr/0001-client.md", adr(1, "Client"))
    repo.commit("init")


def test_a_second_folder_of_the_same_name_is_refused(git_repo: GitRepo, database_url: str) -> None:
    """The audit's case: the second folder is refused in one line, exit 2, and writes nothing; the first keeps
    syncing; named with --project it is a project of its own."""
    _two_apis(git_repo)
    url = ["--database-url", database_url]
    assert run_cli("sync", str(git_repo.path / "services/api"), *url).returncode == 0
    refused = run_cli("sync", str(git_repo.path / "clients/api"), *url)
    assert refused.returncode == 2, refused.stdout
    (line,) = refused.stderr.splitlines()
    assert line == ("tracertm: error: project 'api' in this database holds the specs of services/api/, another "
                    "folder of this repository, not of clients/api/; pass --project NAME (or set project = \"NAME\" "
                    "in .tracertm.toml or [tool.tracertm]) to sync this folder as a project of its own"), line
    assert run_cli("sync", str(git_repo.path / "clients/api"), "--dry-run", *url).returncode == 2
    assert run_cli("backfill", str(git_repo.path / "clients/api"), *url).returncode == 2
    assert run_cli("sync", str(git_repo.path / "services/api"), *url).returncode == 0
    assert _adrs(database_url) == [("api", "Server", "docs/adr/0001-server.md", 1)], "no move back and forth"

    assert run_cli("sync", str(git_repo.path / "clients/api"), "--project", "client-api", *url).returncode == 0
    assert _adrs(database_url) == [("api", "Server", "docs/adr/0001-server.md", 1),
                                   ("client-api", "Client", "docs/adr/0001-client.md", 1)]
    assert (_spec_root(database_url, "api"), _spec_root(database_url, "client-api")) == ("services/api",
                                                                                         "clients/api")


def test_hook_sync_of_the_second_folder_names_the_configuration(git_repo: GitRepo, database_url: str) -> None:
    """What both folders' post-commit hooks run: the second is skipped (git never fails), naming what it takes."""
    _two_apis(git_repo)
    url = ["--database-url", database_url]
    assert run_cli("hook", "sync", str(git_repo.path / "services/api"), *url).stderr == ""
    skipped = run_cli("hook", "sync", str(git_repo.path / "clients/api"), *url)
    assert skipped.returncode == 0
    (line,) = skipped.stderr.splitlines()
    assert line.startswith("tracertm: hook sync skipped: project 'api' in this database holds the specs of "
                           "services/api/"), line
    assert line.endswith('set project = "NAME" in .tracertm.toml (or in [tool.tracertm] of pyproject.toml) to sync '
                         "this folder as a project of its own"), line
    git_repo.write("clients/api/.tracertm.toml", 'project = "client-api"\n')
    assert run_cli("hook", "sync", str(git_repo.path / "clients/api"), *url).stderr == ""
    assert [r[:2] for r in _adrs(database_url)] == [("api", "Server"), ("client-api", "Client")]


def test_a_project_moved_to_another_folder_follows_it(git_repo: GitRepo, database_url: str) -> None:
    """``git mv svc/a svc/alpha`` keeping the name: the old folder holds no file, so the project follows — from
    the index, the work tree and the commit alike — and records its new folder."""
    git_repo.write("svc/a/docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("init")
    sync(git_repo.path / "svc/a", database_url=database_url)
    assert _spec_root(database_url, "a") == "svc/a"
    git_repo.git("mv", "svc/a", "svc/alpha")
    (git_repo.path / "svc/a").mkdir()  # a folder left with ignored files only (a build's output) is gone for git
    (git_repo.path / "svc/a/out.log").write_text("x\n")
    git_repo.write(".gitignore", "*.log\n")
    assert not sync(git_repo.path / "svc/alpha", staged=True, project="a", database_url=database_url).errors
    assert not sync(git_repo.path / "svc/alpha", project="a", database_url=database_url).errors
    git_repo.commit("moved")
    assert not sync(git_repo.path / "svc/alpha", ref="HEAD", project="a", database_url=database_url).errors
    assert _spec_root(database_url, "a") == "svc/alpha"
    assert _adrs(database_url) == [("a", "A", "docs/adr/0001-a.md", 1)], "the same paths from the new folder"


def test_backfill_follows_a_moved_folder_without_a_name_given(git_repo: GitRepo, database_url: str) -> None:
    """``sync svc/a`` (named ``a`` after its folder), ``git mv svc/a svc/alpha`` committed: a backfill of
    ``svc/alpha`` without --project created the project ``alpha``. It follows ``a`` there, as sync does, saying so
    in the same line (in ``warnings`` of --format json)."""
    git_repo.write("svc/a/docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("init")
    sync(git_repo.path / "svc/a", database_url=database_url)
    git_repo.git("mv", "svc/a", "svc/alpha")
    git_repo.commit("moved")
    done = run_cli("backfill", str(git_repo.path / "svc/alpha"), "--format", "json", "--database-url", database_url)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["project"] == "a" and [w["message"] for w in report["warnings"]] == [
        f"project 'a' was synced from {git_repo.path / 'svc/a'}, which holds no file any more: following it here; "
        "pass --project NAME to sync this folder as a new project"]
    assert [r[0] for r in _rows(database_url, "SELECT name FROM projects")] == ["a"]
    assert _spec_root(database_url, "a") == "svc/alpha"
    assert _adrs(database_url) == [("a", "A", "docs/adr/0001-a.md", 1)]


def test_the_old_folder_still_there_in_what_is_synced_refuses(git_repo: GitRepo, database_url: str) -> None:
    """Whether the recorded folder is still there is asked of what the sync reads: a commit that still has it is
    refused even when the work tree no longer does, and a work tree that still holds a file there is refused."""
    git_repo.write("svc/a/docs/adr/0001-a.md", adr(1, "A"))
    git_repo.write("svc/b/docs/adr/0001-b.md", adr(1, "B"))
    git_repo.commit("init")
    sync(git_repo.path / "svc/a", database_url=database_url)
    with pytest.raises(ProjectMismatchError, match="holds the specs of svc/a/"):
        sync(git_repo.path / "svc/b", project="a", database_url=database_url)
    git_repo.git("rm", "-q", "-r", "svc/a")
    with pytest.raises(ProjectMismatchError, match="holds the specs of svc/a/"):
        sync(git_repo.path / "svc/b", ref="HEAD", project="a", database_url=database_url)
    git_repo.write("svc/a/README.md", "code lives on here\n")  # untracked, not ignored: git would track it
    with pytest.raises(ProjectMismatchError, match="holds the specs of svc/a/"):
        sync(git_repo.path / "svc/b", project="a", database_url=database_url)
    assert _adrs(database_url) == [("a", "A", "docs/adr/0001-a.md", 1)]


def test_a_folder_was_never_recorded_adopts_the_one_synced(git_repo: GitRepo, database_url: str) -> None:
    """A project of an earlier tracertm has no folder recorded: its next sync records the folder it is synced from
    (the fast path gives way to the engine until then), and the other folder is refused from then on."""
    _two_apis(git_repo)
    sync(git_repo.path / "services/api", database_url=database_url)
    sync(git_repo.path / "services/api", database_url=database_url)  # (links and options recorded: a no-op next)
    assert isinstance(fastpath.attempt(git_repo.path / "services/api", database_url=database_url), fastpath.NoopSync)
    assert fastpath.SPEC_ROOT_KEY == identity.SPEC_ROOT_KEY
    metadata = _metadata(database_url, "api")
    del metadata[identity.SPEC_ROOT_KEY]
    _rows(database_url, "UPDATE projects SET project_metadata = :m", m=json.dumps(metadata))
    missed = fastpath.attempt(git_repo.path / "services/api", database_url=database_url)
    assert isinstance(missed, fastpath.Miss) and "no folder recorded" in missed.reason
    sync(git_repo.path / "services/api", database_url=database_url)
    assert _spec_root(database_url, "api") == "services/api"
    missed = fastpath.attempt(git_repo.path / "clients/api", database_url=database_url)
    assert isinstance(missed, fastpath.Miss) and "another folder" in missed.reason
    with pytest.raises(ProjectMismatchError):
        sync(git_repo.path / "clients/api", database_url=database_url)


def test_backfill_goes_on_after_the_folder_moved(git_repo: GitRepo, database_url: str) -> None:
    """A backfill of ``svc/a``, then the folder moved and committed: the backfill from its new folder, under the
    same name, goes on (the commit it reads has no svc/a) instead of being refused."""
    git_repo.write("svc/a/docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("init")
    url = ["--database-url", database_url]
    assert run_cli("backfill", str(git_repo.path / "svc/a"), *url).returncode == 0
    git_repo.git("mv", "svc/a", "svc/alpha")
    git_repo.write("svc/alpha/docs/adr/0002-b.md", adr(2, "B"))
    git_repo.commit("moved, and one more")
    done = run_cli("backfill", str(git_repo.path / "svc/alpha"), "--project", "a", *url)
    assert done.returncode == 0, done.stderr
    assert [r[:3] for r in _adrs(database_url)] == [("a", "A", "docs/adr/0001-a.md"),
                                                    ("a", "B", "docs/adr/0002-b.md")]
    assert _spec_root(database_url, "a") == "svc/alpha"
