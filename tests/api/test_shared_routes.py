"""The API's routes are built once per process and shared by its apps (``api.app.api_routes``): two apps alive at
once, over two databases and with different upload limits, each answer from their own state."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from conftest import init_repo
from sample import sync_sample
from tracertm import db
from tracertm.api import ApiSettings, create_app
from tracertm.api.app import api_routes


def test_two_apps_share_the_routes_and_keep_their_own_state(tmp_path: Path) -> None:
    engines = []
    try:
        apps = []
        for name, limit in (("first", 1000), ("second", 2000)):
            repo = init_repo(tmp_path / name)
            url = f"sqlite:///{tmp_path / name}.db"
            sync_sample(repo, url, project=name)
            engine = db.make_engine(url)
            engines.append(engine)
            apps.append(create_app(ApiSettings(max_report_bytes=limit), engine))
        first, second = apps
        shared = set(map(id, api_routes()))
        assert shared <= set(map(id, first.routes)) and shared <= set(map(id, second.routes))
        # Each app's own limit for uploads (set per app, not on the shared routes).
        assert [limit for *_, limit in first.state.body_limits] == [1000]
        assert [limit for *_, limit in second.state.body_limits] == [2000]
        with TestClient(first) as a, TestClient(second) as b:
            assert [p["name"] for p in a.get("/api/v1/projects").json()] == ["first"]
            assert [p["name"] for p in b.get("/api/v1/projects").json()] == ["second"]
            assert a.get("/api/v1/projects/second").status_code == 404
            assert b.get("/api/v1/projects/second/adrs").status_code == 200
            assert a.get("/openapi.json").json()["paths"] == b.get("/openapi.json").json()["paths"]
    finally:
        for engine in engines:
            engine.dispose()
