"""A link review through the API holds the write lock of the project it writes to, also when the project was
renamed (a sync after ``git remote set-url``) between the request reading the project's name and taking the lock.
The lock is the project's own (keyed by its row, README "Locks"); a review that locked the old name only would write
while a sync of the renamed project holds that lock. PostgreSQL (on SQLite the write lock covers the whole file).

The interleaving is forced: the request stops right after reading the name, the test renames the project and takes
its write lock (what a sync holds while it plans and writes), and lets the request go on. It must wait for that lock
(seen as its attempt at the project's advisory lock), not answer while the lock is held."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from apikit import api_client
from conftest import PG_ENV, GitRepo, _fresh_pg
from test_trace_api import change_adr3, token
from test_trace_links import links, seed
from tracertm import db
from tracertm.api import trace_routes
from tracertm.db import locks
from tracertm.engine.sync import sync
from tracertm.models import Project

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"needs {PG_ENV}")
WAIT_S = 60.0


@pytest.fixture
def pg_engine(request: pytest.FixtureRequest) -> Iterator[Any]:
    for url in _fresh_pg(request.getfixturevalue("_pg_template")):  # one database, dropped when the loop ends
        engine = db.make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


class Request(threading.Thread):
    """One request in a thread of its own; ``done`` once it has answered."""

    def __init__(self, send: Any) -> None:
        super().__init__(daemon=True)
        self.send = send
        self.response: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.response = self.send()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            self.done.set()


@pytest.mark.parametrize("how", ["patch", "post"])
def test_a_review_waits_for_the_lock_of_the_project_renamed_under_it(
    git_repo: GitRepo, pg_engine: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    engine = pg_engine
    seed(git_repo)
    sync(git_repo.path, engine=engine, project="refunds")
    change_adr3(git_repo, engine)  # the scenario's link to ADR-0003 is suspect now
    link = links(engine)[("FEAT-1/SC-1", "implements", "ADR-0003")]
    assert link["target_version"] == 2 and link["reviewed_version"] == 1
    with db.session(engine) as session:
        project_id = session.query(Project.id).filter_by(name="refunds").scalar()
    own_lock = locks.project_id_lock_name(project_id)

    named, go, trying = threading.Event(), threading.Event(), threading.Event()
    read_name = trace_routes._name

    def name_then_pause(*args: Any, **kwargs: Any) -> Any:
        found = read_name(*args, **kwargs)
        named.set()
        assert go.wait(WAIT_S)
        return found

    take = locks._pg_try
    test_thread = threading.current_thread()  # the renaming and the holding writer: the request runs in another

    def seen_trying(session: Any, key: int) -> bool:
        if key == locks._lock_key(own_lock) and threading.current_thread() is not test_thread:
            trying.set()
        return take(session, key)

    monkeypatch.setattr(trace_routes, "_name", name_then_pause)
    monkeypatch.setattr(locks, "_pg_try", seen_trying)
    with api_client(engine) as client:
        headers = {"Authorization": f"Bearer {token(engine)}", "If-Match": '"2"'}
        base = f"/api/v1/projects/{project_id}/links"  # by UUID: the URL names the project whatever it is called

        def send() -> Any:
            if how == "patch":
                return client.patch(f"{base}/{link['id']}", json={"reviewed": True}, headers=headers)
            return client.post(f"{base}/review", json={"source": "ADR-0003"}, headers=headers)

        request = Request(send)
        request.start()
        try:
            assert named.wait(WAIT_S), "the request never read the project's name"
            with db.write_session(engine, "refunds") as renaming:  # a sync renaming the project, committed
                renaming.execute(update(Project).where(Project.id == project_id).values(name="acme/refunds"))
            with db.write_session(engine, "acme/refunds"):  # what a sync of the renamed project holds
                go.set()
                while not (request.done.is_set() or trying.is_set()):
                    request.done.wait(0.02)  # polling the two conditions, not a guess at how long anything takes
                assert not request.done.is_set(), (
                    f"the review answered while the project's write lock was held: {request.response}")
        finally:
            go.set()
            request.join(WAIT_S)
    assert request.error is None, request.error
    assert request.response is not None and request.response.status_code == 200, request.response.text
    assert links(engine)[("FEAT-1/SC-1", "implements", "ADR-0003")]["reviewed_version"] == 2
