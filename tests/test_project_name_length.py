"""A project name is at most 255 characters, the longest the API's ``?project=`` takes: a sync refused no length, so
a project named longer (``--project``, ``project =``) was synced, listed and browsed, while every ``?project=`` of
it — search, facets, sync runs, a record and its history, the web view's JSON twins of its pages — was a 422. A
longer name is now refused where it is chosen, in one line naming the option or the configuration's line; nothing is
written."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx

from conftest import GitRepo, run_cli
from served import serve

LONGEST = "é" * 254 + "z"  # 255 characters (510 bytes in UTF-8)
TOO_LONG = LONGEST + "z"


def _specs(git_repo: GitRepo) -> None:
    git_repo.write("contracts/a.yaml", "id: C-1\ntitle: Zebra ledger\n")
    git_repo.commit()


def _projects(database_url: str) -> list[str]:
    """The names of the projects in the database, read with SQL (no tracertm code in between)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT name FROM projects")).scalars())
    finally:
        engine.dispose()


def test_a_project_option_over_255_characters_is_refused(git_repo: GitRepo, database_url: str) -> None:
    _specs(git_repo)
    for verb in ("sync", "backfill"):
        refused = run_cli(verb, str(git_repo.path), "--project", TOO_LONG, "--database-url", database_url)
        assert refused.returncode == 2, (verb, refused.stdout, refused.stderr)
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert lines[0].startswith("tracertm: error: --project: the project name 'éé"), lines[0]
        assert "is 256 characters long; a project name has at most 255" in lines[0], lines[0]
        assert TOO_LONG not in lines[0]  # (the name is cut: one readable line)
    assert _projects(database_url) == []


def test_a_configured_project_over_255_characters_names_the_line(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write(".tracertm.toml", f'# specs\nproject = "{TOO_LONG}"\n')
    _specs(git_repo)
    refused = run_cli("sync", str(git_repo.path), "--database-url", database_url)
    assert refused.returncode == 2, (refused.stdout, refused.stderr)
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert ".tracertm.toml:2: project = 'éé" in lines[0] and "is 256 characters long" in lines[0], lines[0]
    assert _projects(database_url) == []


def test_a_project_of_the_longest_name_is_named_by_every_project_parameter(
    git_repo: GitRepo, database_url: str, tmp_path: Path
) -> None:
    _specs(git_repo)
    synced = run_cli("sync", str(git_repo.path), "--project", LONGEST, "--database-url", database_url)
    assert synced.returncode == 0, synced.stderr
    name = quote(LONGEST, safe="")
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base:
        for path, expected in ((f"/api/v1/search?q=zebra&project={name}", "Zebra ledger"),
                               (f"/api/v1/facets?kind=contracts&project={name}", '"total":1'),
                               (f"/api/v1/sync-runs?project={name}", '"status":"ok"'),
                               (f"/api/v1/contracts/C-1?project={name}", "Zebra ledger"),
                               (f"/api/v1/contracts/C-1/history?project={name}", '"change":"created"'),
                               (f"/api/v1/projects/{name}/contracts", "Zebra ledger")):
            answer = httpx.get(base + path, timeout=30)
            assert answer.status_code == 200, (path[:60], answer.status_code, answer.text[:300])
            assert expected in answer.text, (path[:60], answer.text[:300])
