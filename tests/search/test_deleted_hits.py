"""Search with deleted records included says which hits are deleted: ``deleted_at`` (as the list read models carry
it) in the API's and ``--format json``'s hits, and the ``(deleted)`` marker ``tracertm list`` puts after the status
in the text lines. A real repository, synced, then a file deleted and the repository synced again."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Iterator

import pytest
from specs import adr, feature

import tracertm
from apikit import api_client
from conftest import GitRepo, run_cli
from tracertm.schemas.common import TIME_PATTERN

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def synced(git_repo: GitRepo, database_url: str) -> str:
    """ADR-0001 and ADR-0002 and a feature with one scenario, all about quokkas; then ADR-0002 and the feature
    deleted from the repository and synced again."""
    git_repo.write("docs/adr/0001-quokka-habitat.md", adr(1, "Quokka habitat"))
    git_repo.write("docs/adr/0002-quokka-diet.md", adr(2, "Quokka diet"))
    git_repo.write("features/quokka.feature", feature(1, "Quokka feeding", {
        "Feed a quokka": ["Given a hungry quokka", "When it is fed", "Then it is happy"]}))
    git_repo.commit("quokkas")
    assert not tracertm.sync(git_repo.path, database_url=database_url, project="zoo", ref="HEAD").errors
    git_repo.remove("docs/adr/0002-quokka-diet.md")
    git_repo.remove("features/quokka.feature")
    git_repo.commit("fewer quokkas")
    result = tracertm.sync(git_repo.path, database_url=database_url, project="zoo", ref="HEAD")
    assert not result.errors and result.counts["adr"]["deleted"] == 1, result.counts
    return database_url


def _listed_deleted_at(url: str, kind: str) -> dict[str, str | None]:
    """``deleted_at`` of each record as ``tracertm list --include-deleted --format json`` gives it."""
    out = run_cli("list", kind, "--include-deleted", "--format", "json", "--project", "zoo",
                  "--database-url", url)
    assert out.returncode == 0, out.stderr
    return {r["number"]: r["deleted_at"] for r in json.loads(out.stdout)}


def _by_number(hits: list[dict]) -> dict[str, str | None]:  # type: ignore[type-arg]
    return {(h["feature"] + "/" if h["feature"] else "") + h["number"]: h["deleted_at"] for h in hits}


def _check(url: str, live: list[dict], every: list[dict]) -> None:  # type: ignore[type-arg]
    """Without deleted records: only the live ADR, ``deleted_at`` null. With them: the deleted ADR, feature and
    scenario too, each with the ``deleted_at`` its list record shows (the same value and format)."""
    assert _by_number(live) == {"ADR-0001": None}
    adrs, features = _listed_deleted_at(url, "adrs"), _listed_deleted_at(url, "features")
    assert adrs["ADR-0001"] is None and adrs["ADR-0002"] is not None and features["FEAT-1"] is not None
    scenario = _listed_deleted_at(url, "scenarios")["SC-1"]
    assert scenario is not None
    assert _by_number(every) == {"ADR-0001": None, "ADR-0002": adrs["ADR-0002"], "FEAT-1": features["FEAT-1"],
                                 "FEAT-1/SC-1": scenario}
    for value in (adrs["ADR-0002"], features["FEAT-1"], scenario):
        assert dt.datetime.fromisoformat(value).tzinfo is not None


def test_cli_json_and_text(synced: str) -> None:
    live = run_cli("search", "quokka", "--format", "json", "--database-url", synced)
    every = run_cli("search", "quokka", "--include-deleted", "--format", "json", "--database-url", synced)
    assert live.returncode == every.returncode == 0, live.stderr + every.stderr
    _check(synced, json.loads(live.stdout), json.loads(every.stdout))

    text = run_cli("search", "quokka", "--include-deleted", "--database-url", synced)
    assert text.returncode == 0, text.stderr
    heads = {line.split()[1]: line for line in text.stdout.splitlines() if not line.startswith(" ")}
    assert heads["ADR-0001"].endswith("(accepted, zoo)"), heads
    # The marker of 'tracertm list --include-deleted': " (deleted)" after the status.
    assert heads["ADR-0002"].endswith("(accepted (deleted), zoo)"), heads
    assert heads["FEAT-1"].endswith(" (deleted), zoo)") and heads["FEAT-1/SC-1"].endswith(" (deleted), zoo)"), heads
    listed = run_cli("list", "adrs", "--include-deleted", "--project", "zoo", "--database-url", synced).stdout
    assert "accepted (deleted)" in listed
    plain = run_cli("search", "quokka", "--database-url", synced)
    assert "(deleted)" not in plain.stdout and "ADR-0001" in plain.stdout


@pytest.fixture
def client(synced: str) -> Iterator[TestClient]:
    with api_client(synced) as c:
        yield c


def test_api(client: TestClient, synced: str) -> None:
    live = client.get("/api/v1/search", params={"q": "quokka"})
    every = client.get("/api/v1/search", params={"q": "quokka", "include_deleted": "true"})
    assert live.status_code == every.status_code == 200, live.text + every.text
    _check(synced, live.json()["hits"], every.json()["hits"])
    # The OpenAPI document says it, as the list read models' field does.
    schema = client.get("/openapi.json").json()["components"]["schemas"]["SearchHit"]
    assert "deleted_at" in schema["required"]
    time = schema["properties"]["deleted_at"]["anyOf"][0]
    assert (time["type"], time["format"], time["pattern"]) == ("string", "date-time", TIME_PATTERN), time
