"""An id holding a character ``str.isdigit`` calls a digit but ``int`` cannot read (``²``, ``①``): the matrix's
natural order (``coverage.natural``) turned ``"²"`` into an int — ``matrix --from adrs`` of a project with an ADR
numbered ``1²`` was an internal error (exit 3), the API's matrix a 500 and the web view's matrix page too."""

from __future__ import annotations

import json

import pytest

from apikit import api_client
from conftest import GitRepo, run_cli
from tracertm import db
from tracertm.engine.sync import sync


def _project(repo: GitRepo, url: str) -> None:
    repo.write("docs/adr/0001-x.md", "---\nid: ADR-1²\nstatus: accepted\n---\n# Squared\n\nStates REQ-1 and REQ-2①.\n")
    repo.write("docs/adr/0010-y.md", "---\nid: ADR-10\nstatus: accepted\n---\n# Ten\n\nStates REQ-10.\n")
    repo.write("docs/adr/0002-z.md", "---\nid: ADR-2\nstatus: accepted\n---\n# Two\n\nd\n")
    repo.commit("ADRs with other digits")
    sync(repo.path, database_url=url)


def test_the_matrix_orders_ids_with_digits_int_cannot_read(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(git_repo, database_url)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    by_adrs = run_cli("matrix", "--from", "adrs", "--format", "json")
    assert by_adrs.returncode == 0, by_adrs.stderr
    assert [r["id"] for r in json.loads(by_adrs.stdout)["rows"]] == ["ADR-1²", "ADR-0002", "ADR-0010"]
    assert run_cli("matrix").returncode == 0
    with api_client(db.make_engine(database_url)) as client:
        base = f"/api/v1/projects/{git_repo.path.name}/matrix"
        for query in ("?from=adrs", "?from=adrs&limit=1", "?from=requirements&limit=1"):
            assert client.get(base + query).status_code == 200, query
        assert client.get(f"/projects/{git_repo.path.name}/matrix?from=adrs").status_code == 200
