"""The read verbs find a sub-folder's project by the folder each project records (``spec_root``), as ``sync`` tells
them apart. Two sub-folders named alike (``services/api`` synced as ``api``, ``clients/api`` as ``client-api``)
share the name ``api`` and the root commit: ``status --path clients/api`` answered from ``api``, the other folder's
project (exit 0, its records shown as this folder's). A project that moved with its name kept (``git mv svc/a
svc/alpha``, ``sync svc/alpha --project a``) was ``no project for alpha`` (exit 2) once the repository held another
project. Real git, SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from conftest import GitRepo, run_cli
from specs import adr

READS = [["status"], ["list", "adrs"], ["show", "ADR-0001"], ["history", "ADR-0001"], ["trace", "ADR-0001"]]


def _two_apis(repo: GitRepo) -> None:
    repo.write("services/api/docs/adr/0001-server.md", adr(1, "Server"))
    repo.write("clients/api/docs/adr/0001-client.md", adr(1, "Client"))
    repo.commit("init")


def _read(repo: GitRepo, folder: str, url: str, *argv: str) -> str:
    done = run_cli(*argv, "--path", str(repo.path / folder), "--database-url", url)
    assert done.returncode == 0, (argv, done.stderr)
    return done.stdout


@pytest.mark.parametrize("argv", READS, ids=[" ".join(a) for a in READS])
def test_each_folder_reads_its_own_project(git_repo: GitRepo, database_url: str, argv: list[str]) -> None:
    _two_apis(git_repo)
    url = ["--database-url", database_url]
    assert run_cli("sync", str(git_repo.path / "services/api"), *url).returncode == 0
    assert run_cli("sync", str(git_repo.path / "clients/api"), "--project", "client-api", *url).returncode == 0
    client = _read(git_repo, "clients/api", database_url, *argv)
    server = _read(git_repo, "services/api", database_url, *argv)
    if argv == ["status"]:
        assert (client.splitlines()[0], server.splitlines()[0]) == ("project:     client-api", "project:     api")
    else:
        # (its title or its file, whichever the verb shows)
        assert "client" in client.lower() and "server" not in client.lower(), client
        assert "server" in server.lower() and "client" not in server.lower(), server


def test_a_folder_whose_name_is_another_folders_project_has_none(git_repo: GitRepo, database_url: str) -> None:
    """Before ``clients/api`` is synced, the project ``api`` is ``services/api``'s: not this folder's, and the error
    says so, with the sync that works (its own sync of ``api`` is refused)."""
    _two_apis(git_repo)
    assert run_cli("sync", str(git_repo.path / "services/api"), "--database-url", database_url).returncode == 0
    refused = run_cli("list", "adrs", "--path", str(git_repo.path / "clients/api"), "--database-url", database_url)
    assert refused.returncode == 2 and refused.stdout == "", refused.stdout
    (line,) = refused.stderr.splitlines()
    assert line.startswith("tracertm: error: no project for api in "), line
    assert line.endswith("; the project 'api' there holds the specs of services/api/, another folder of this "
                         f"repository; run 'tracertm sync --project NAME {git_repo.path / 'clients/api'}' first, or "
                         "name one with --project"), line


def test_a_moved_project_is_read_from_its_new_folder(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("svc/a/docs/adr/0001-a.md", adr(1, "A"))
    git_repo.write("svc/b/docs/adr/0001-b.md", adr(1, "B"))
    git_repo.commit("init")
    url = ["--database-url", database_url]
    for folder in ("svc/a", "svc/b"):
        assert run_cli("sync", str(git_repo.path / folder), *url).returncode == 0
    git_repo.git("mv", "svc/a", "svc/alpha")
    git_repo.commit("moved")
    assert run_cli("sync", str(git_repo.path / "svc/alpha"), "--project", "a", *url).returncode == 0
    shown = json.loads(_read(git_repo, "svc/alpha", database_url, "show", "ADR-0001", "--format", "json"))
    assert shown["title"] == "A", shown
    status = json.loads(_read(git_repo, "svc/b", database_url, "status", "--format", "json"))
    assert status["project"] == "b", status
