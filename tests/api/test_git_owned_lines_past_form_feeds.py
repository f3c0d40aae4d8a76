"""The line a refused edit of a git-owned field names is the file's line although the text holds a form feed, \\x1c
to \\x1e, NEL, U+2028 or U+2029: ``str.splitlines`` ends a line at each of them, git, editors and the parsers only at
LF, CRLF and CR — an ADR's ``## Decision``, a feature's ``So that`` line and a scenario's line known from the database
alone were named one line down per such character above them (SQLite and PostgreSQL, through the HTTP app)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from apikit import api_client, make_token
from conftest import GitRepo
from tracertm.api import ApiSettings
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
ADR = ("# 3. FF test\n\nDate: 2024-01-01\n\n## Status\n\nAccepted\n\n## Context\n\npage one\x0cpage two\n\n"
       "## Decision\n\nWe decide.\n")
FEATURE = ("@FEAT-1\nFeature: Refunds\n  Refund paid orders.\x1c Mostly.\u2028\n  As a customer\n"
           "  I want my money back\n  So that I trust the shop\n\n  @SC-1\n  Scenario: full refund\n    A refund\x0c of\x85 everything.\n"
           "    Given a paid order\n")


@pytest.fixture
def repo(git_repo: GitRepo, engine: Any) -> GitRepo:
    git_repo.write("docs/adr/0003-ff.md", ADR)
    git_repo.write("features/refunds.feature", FEATURE)
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    return git_repo


def _line(client: TestClient, token: str, url: str, body: dict[str, Any]) -> int:
    response = client.patch(url, json=body, headers={"Authorization": f"Bearer {token}", "If-Match": "*"})
    assert response.status_code == 409, response.text
    return int(response.json()["line"])


def _file_line(text: str, starts: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if line.startswith(starts))


def test_lines_of_the_work_tree_file(repo: GitRepo, engine: Any) -> None:
    token = make_token(engine)
    with api_client(engine, ApiSettings(repositories={"shop": str(repo.path)})) as client:
        assert _line(client, token, f"{API}/adrs/ADR-0003", {"decision": "x"}) == _file_line(ADR, "## Decision") == 13
        assert _line(client, token, f"{API}/features/FEAT-1", {"so_that": "x"}) == _file_line(FEATURE, "  So that")
        assert _line(client, token, f"{API}/scenarios/FEAT-1/SC-1", {"description": "x"}) == 10


def test_a_scenario_line_known_from_the_database_alone(repo: GitRepo, engine: Any) -> None:
    token = make_token(engine)
    with api_client(engine) as client:  # no repository: its first step's line less the lines before it in its text
        line = _line(client, token, f"{API}/scenarios/FEAT-1/SC-1", {"title": "x"})
    assert line == _file_line(FEATURE, "  @SC-1")  # the first line of the scenario's text
