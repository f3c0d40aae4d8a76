"""Reviewing a dangling link whose plain ADR id is ambiguous (``ADR-0008`` while ``ADR-0008-use-x`` and
``ADR-0008-use-y`` live) says so, naming the candidates, instead of "there is no adr ADR-0008": the API's 409 (with
and without ``If-Match``) and the library's (the CLI's) error alike. A missing target keeps the old words.

In-process (FastAPI's TestClient) on SQLite and PostgreSQL, over a real git repository synced for real.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_dangling_link_reasons import _seed, _synced
from webfixtures import client_for

from apikit import make_token
from conftest import GitRepo
from tracertm import db
from tracertm.repositories import Projects
from tracertm.trace.review import DanglingLinkError, review

API = "/api/v1/projects/p"
AMBIGUOUS = ("ADR-0008 names no one ADR, which is ambiguous: ADR-0008-use-x and ADR-0008-use-y have that number; "
             "write the full id of the one meant; fix the reference at features/amb.feature:1")


def _link(client: Any, target: str) -> int:
    answer = client.get(f"{API}/links", params={"source": "FEAT-2", "target": target})
    assert answer.status_code == 200, answer.text
    (link,) = answer.json()["items"]
    return int(link["id"])


def test_reviewing_an_ambiguous_dangling_link_names_the_candidates(
    git_repo: GitRepo, engine: Any, database_url: str
) -> None:
    _seed(git_repo)
    _synced(git_repo, engine)
    token = make_token(engine)
    for client in client_for(database_url):
        ambiguous, missing = _link(client, "ADR-0008"), _link(client, "ADR-0077")
        for match in ({}, {"If-Match": "*"}):
            headers = {"Authorization": f"Bearer {token}", **match}
            answer = client.patch(f"{API}/links/{ambiguous}", json={"reviewed": True}, headers=headers)
            assert answer.status_code == 409, answer.text
            assert AMBIGUOUS in answer.json()["detail"], answer.json()
            answer = client.patch(f"{API}/links/{missing}", json={"reviewed": True}, headers=headers)
            assert answer.status_code == 409, answer.text
            assert "there is no adr ADR-0077 to review it against" in answer.json()["detail"]
    with db.session(engine) as session:
        project = Projects(session).get("p", "project")
        with pytest.raises(DanglingLinkError, match="ADR-0008 names no one ADR, which is ambiguous"):
            review(session, project, f"#{ambiguous}", by="me")
