"""``GET /{kind}/{id}/at/{commit}`` takes a ref holding a slash, sent as ``%2F`` (``/at/release%2F1.0``), and
answers what ``show --at release/1.0`` does (SQLite and PostgreSQL, and one real server).

Routing read the decoded path, ``ADR-0001/at/release/1.0``, which no ``at`` route took: the record route answered
404 "no adr with this id". The commit is now the last segment of the path as sent; the id before ``/at/`` may hold
slashes itself (an untagged feature ``billing/at``, its scenario, a feature named ``at``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apikit import api_client
from conftest import GitRepo
from served import serve
from specs import adr
from tracertm.api import ApiSettings
from tracertm.engine.sync import sync
from tracertm.history.at import record_at

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
ADR_PATH = "docs/adr/0001-use-queues.md"
SCENARIO = "Feature: {}\n\n  @SC-1\n  Scenario: pays\n    Given a card\n"


def _history(git_repo: GitRepo, **database: Any) -> dict[str, str]:
    """ADR-0001 and two untagged features (``billing/at``, ``at``) at C1, branch ``release/1.0`` there, the ADR
    edited at C2 on main; both synced (``database``: ``engine=`` or ``database_url=``)."""
    git_repo.write(ADR_PATH, adr(1, "Use queues"))
    git_repo.write("features/billing/at.feature", SCENARIO.format("Billing at"))
    git_repo.write("features/at.feature", SCENARIO.format("At"))
    first = git_repo.commit("init")
    git_repo.git("branch", "release/1.0")
    git_repo.write(ADR_PATH, adr(1, "Use queues", decision="Kafka it is."))
    second = git_repo.commit("kafka")
    for sha in (first, second):
        assert not sync(git_repo.path, project="shop", ref=sha, **database).errors
    return {"first": first, "second": second}


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    with api_client(engine, ApiSettings(repositories={"shop": str(git_repo.path)})) as test_client:
        yield test_client


def test_a_ref_with_a_slash_answers_as_show_at(git_repo: GitRepo, engine: Any, client: TestClient) -> None:
    commits = _history(git_repo, engine=engine)
    at = client.get(f"{API}/adrs/ADR-0001/at/release%2F1.0")
    assert at.status_code == 200, at.text
    cli = record_at(engine, "shop", "adr", "ADR-0001", "release/1.0", path=git_repo.path)
    assert cli is not None and cli["commit"] == commits["first"]
    assert (at.json()["version"], at.json()["commit_sha"]) == (cli["version"], cli["commit"]) == (1, commits["first"])
    assert client.get(f"{API}/adrs/ADR-0001/at/main").json()["version"] == 2
    # Ids holding slashes, a feature named ``at``: the id is everything before the last ``/at/`` as sent.
    for path, kind_id in (("features/billing/at/at/release%2F1.0", "billing/at"),
                          ("features/billing%2Fat/at/release%2F1.0", "billing/at"),
                          ("features/at/at/release%2F1.0", "at"),
                          ("features/at/at/main", "at"),
                          ("scenarios/billing/at/SC-1/at/release%2F1.0", "billing/at/SC-1")):
        answer = client.get(f"{API}/{path}")
        assert answer.status_code == 200 and answer.json()["commit_sha"] == commits["first"], (path, answer.text)
        assert answer.json()["snapshot"], path
    assert client.get(f"{API}/features/billing/at").json()["number"] == "billing/at"  # still the record itself
    # The at path takes GET only, with a slash in the ref as without: 405, never the record's PATCH.
    for ref in ("release%2F1.0", "main"):
        refused = client.patch(f"{API}/adrs/ADR-0001/at/{ref}", json={"approved_by": "x"})
        assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD", (ref, refused.text)
    # A slash sent as a slash is a path of more segments (README: send it as %2F): no record has that id.
    assert client.get(f"{API}/adrs/ADR-0001/at/release/1.0").status_code == 404


def test_a_served_server_reads_the_commit_as_sent(git_repo: GitRepo, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    commits = _history(git_repo, database_url=url)
    with serve(url, git_repo.path, tmp_path / "serve.log") as base, httpx.Client(base_url=base, timeout=30) as http:
        at = http.get(f"{API}/adrs/ADR-0001/at/release%2F1.0")
        assert at.status_code == 200 and at.json()["commit_sha"] == commits["first"], at.text
