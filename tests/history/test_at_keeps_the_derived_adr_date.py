"""``show --at`` and the API's ``/at/{commit}`` give an ADR whose file writes no date the date of the commit that
created it at every commit after that one, as its row and its revision's snapshot hold it (README "ADR dates").
A later commit that leaves the ADR alone is answered from the file there (its lines may have moved), and the file
has no date: the answer said no date, where ``show`` and ``--at`` the creating commit say the commit's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apikit import api_client
from conftest import GitRepo
from tracertm.api.app import ApiSettings
from tracertm.cli import main
from tracertm.history.backfill import backfill

ADR = "docs/adr/0003-no-date.md"
UNDATED = "# 3. No date\n\n## Status\n\nAccepted\n\n## Context\n\nC.\n\n## Decision\n\nD.\n"


def _show_at(capsys: pytest.CaptureFixture[str], repo: GitRepo, url: str, commit: str) -> Any:
    code = main(["show", "ADR-0003", "--at", commit, "--path", str(repo.path), "--database-url", url,
                 "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_an_undated_adr_keeps_its_creating_commits_date_at_later_commits(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write(ADR, UNDATED)
    created = git_repo.commit("undated adr", date="2024-01-02T10:00:00+00:00")
    git_repo.write("README.md", "hello\n")
    later = git_repo.commit("readme", date="2024-02-03T10:00:00+00:00")
    git_repo.write(ADR, "\n\n" + UNDATED)  # lines added above it: a new blob, the same content, no revision
    moved = git_repo.commit("blank lines", date="2024-03-04T10:00:00+00:00")
    backfill(git_repo.path, engine=engine, project="shop")

    for commit in (created, later, moved):
        rev = _show_at(capsys, git_repo, database_url, commit)
        assert (rev["version"], rev["snapshot"]["date"]) == (1, "2024-01-02"), (commit, rev)
    assert _show_at(capsys, git_repo, database_url, moved)["snapshot"].get("title") == "No date"

    with api_client(engine, ApiSettings(repositories={"shop": str(git_repo.path)})) as client:
        for commit in (created, later, moved):
            answer = client.get(f"/api/v1/adrs/ADR-0003/at/{commit}", params={"project": "shop"})
            assert answer.status_code == 200, answer.text
            assert answer.json()["snapshot"]["date"] == "2024-01-02", commit
        assert client.get("/api/v1/adrs/ADR-0003", params={"project": "shop"}).json()["date"] == "2024-01-02"
