"""A real server: ``tracertm serve`` on a free loopback port, reached over TCP with httpx, stopped in a fixture
even when the test fails."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sample import sync_sample

from conftest import GitRepo
from served import serve




@pytest.fixture
def server(git_repo: GitRepo, tmp_path: Path) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    sync_sample(git_repo, url)
    with serve(url, git_repo.path, tmp_path / "serve.log") as base:
        yield base, url


def test_a_served_api_answers_over_tcp_and_git_history_reaches_at(server: tuple[str, str], git_repo: GitRepo) -> None:
    base, _ = server
    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/api/v1/projects/sample/scenarios", params={"limit": 2})
        assert page.status_code == 200 and len(page.json()["items"]) == 2
        assert page.headers["link"].startswith(f"<{base}/api/v1/projects/sample/scenarios?cursor=")
        nxt = client.get(page.headers["link"].split(">")[0].lstrip("<"))
        assert nxt.status_code == 200 and nxt.json()["items"][0]["id"] not in {i["id"] for i in page.json()["items"]}
        head = git_repo.head()
        at = client.get(f"/api/v1/features/FEAT-1/at/{head[:12]}")
        assert at.status_code == 200 and at.json()["commit_sha"] == head
        assert "server" not in page.headers, "no server banner"
        r = client.patch("/api/v1/adrs/ADR-1", json={"approved_by": "x"})
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


def test_serve_refuses_a_bad_database_url_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tracertm", "serve", "--database-url", "mysql://nope"], capture_output=True,
        text=True, timeout=60, cwd=tmp_path,
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--database-url" in result.stderr
