"""A report uploaded over TCP to a real ``tracertm serve`` (uvicorn, SQLite file, the cart repository as ``--path``):
lines matched at the commit from the served repository, ``--max-report-size`` enforced while a chunked body streams
in. The server is stopped in the fixture even when the test fails."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apikit import make_token
from conftest import GitRepo
from served import serve
from tracertm.engine.sync import sync

HERE = Path(__file__).parent
LIMIT = 200_000



@pytest.fixture
def served(git_repo: GitRepo, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(base URL, write token) of ``tracertm serve`` over the synced cart repository."""
    shutil.copytree(HERE / "project" / "features", git_repo.path / "features",
                    ignore=shutil.ignore_patterns("steps"))
    git_repo.commit("cart")
    url = f"sqlite:///{tmp_path / 'served.db'}"
    assert not sync(git_repo.path, ref="HEAD", database_url=url, project="shop").errors
    token = make_token(url)
    with serve(url, git_repo.path, tmp_path / "serve.log", "--max-report-size", str(LIMIT)) as base:
        yield base, token


def test_upload_to_a_served_api(served: tuple[str, str], git_repo: GitRepo) -> None:
    base, token = served
    auth = {"Authorization": f"Bearer {token}"}
    messages = (HERE / "fixtures" / "cart.ndjson").read_bytes()
    with httpx.Client(base_url=base, timeout=60, headers=auth) as client:
        r = client.post("/api/v1/projects/shop/test-runs", params={"commit": git_repo.head()},
                        files={"file": ("cart.ndjson", messages, "application/x-ndjson")})
        assert r.status_code == 201, r.text
        summary = r.json()["summary"]
        assert summary["total"] == 5 and summary["unmatched"] == 0 and summary["matched"]["line"] >= 1
        run = client.get(r.headers["location"]).json()
        assert {x["scenario"] for x in run["results"]} and all(x["scenario"] for x in run["results"])

        # Past --max-report-size, sent in chunks without a Content-Length: refused while it streams in.
        def chunks() -> Iterator[bytes]:
            for _ in range(LIMIT // 10_000 + 2):
                yield b" " * 10_000

        big = client.post("/api/v1/projects/shop/test-runs", content=chunks(),
                          headers={"Content-Type": "application/xml"})
        assert big.status_code == 413 and big.headers["content-type"] == "application/problem+json"
        assert str(LIMIT) in big.json()["detail"]
        assert len(client.get("/api/v1/projects/shop/test-runs").json()["items"]) == 1
