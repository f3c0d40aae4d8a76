"""Fixtures of the web view's tests: the built sample project (tests/web/project.py) in a real database of each
kind, built once per module (the page tests only read), and an in-process client of the API app. Test modules
import the fixture (``from webfixtures import site``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from webproject import Built, build, new_repo

from apikit import api_client
from conftest import _fresh_pg, isolated

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@contextmanager
def module_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                    name: str) -> Iterator[tuple[Path, str]]:
    """(work folder, database URL) of a module-scoped fixture parametrized by database kind: a copy of the migrated
    SQLite template or a fresh PostgreSQL database (dropped after), with the home folder and git identity the
    per-test autouse fixture would give."""
    with isolated(tmp_path_factory):  # the autouse home/identity fixture is per test; this is per module
        work = tmp_path_factory.mktemp(name)
        pg = None
        if request.param == "sqlite":
            path = work / "tracertm.db"
            shutil.copy(request.getfixturevalue("_sqlite_template"), path)
            url = f"sqlite:///{path}"
        else:
            pg = _fresh_pg(request.getfixturevalue("_pg_template"))
            url = next(pg)
        try:
            yield work, url
        finally:
            if pg is not None:
                pg.close()  # runs _fresh_pg's finally: the database is emptied for reuse or dropped


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Built]]:
    """(database URL, what was built): the sample project with history, steps, results and a hostile ADR."""
    with module_database(request, tmp_path_factory, "site") as (work, url):
        repo = new_repo(work / "repo")
        yield url, build(repo, url, hostile=True)


def client_for(url: str, **settings: Any) -> Iterator[TestClient]:
    """``apikit.api_client`` on ``url`` with ``ApiSettings(**settings)``, as a generator: a fixture's ``yield from``
    or a test's ``for client in``."""
    from tracertm.api.app import ApiSettings

    with api_client(url, ApiSettings(**settings)) as client:
        yield client


def main_of(page: str) -> str:
    """A page's ``<main>`` content (what is the page's own, without the navigation around it)."""
    return page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
