"""``/healthz`` of a server whose database another tracertm migrated while it ran (a rolling upgrade: new workers or
a CI runner's newer tracertm migrate the shared database, the old workers still serve) or that was restored to an
older schema: a 503 naming which side to upgrade, so that a load balancer takes the worker out of its pool. It
answered 200 "ok" with the newer revision. Real SQLite file and PostgreSQL database, the API app in process."""

from __future__ import annotations

import pytest

from apikit import api_client, make_token
from conftest import GitRepo
from raw_sql import sql
from sample import sync_sample
from tracertm import db

API = "/api/v1"


def _stamp(url: str, revision: str) -> None:
    sql(url, "UPDATE alembic_version SET version_num = :r", r=revision)


@pytest.mark.parametrize(("revision", "says"), [
    ("9999", f"the database is at schema revision 9999, newer than this server's tracertm knows (up to "
             f"{db.SCHEMA_HEAD}); upgrade tracertm on this server and restart it"),
    # A gap in the ids: no tracertm's revision, which a newer tracertm would not help with.
    ("0007", f"the database is at schema revision 0007, unknown (this server's tracertm ships 0001 … "
             f"{db.SCHEMA_HEAD}, with gaps; a newer tracertm's revisions come after {db.SCHEMA_HEAD}): not a "
             "tracertm schema revision; restore the database from a backup, or stamp the revision its tables are at "
             "('alembic -x url=URL stamp REVISION' from a tracertm source checkout)"),
    ("0032", f"the database is at schema revision 0032, not this server's ({db.SCHEMA_HEAD}); run 'tracertm db "
             "upgrade', or restart the server, which migrates it"),
])
def test_a_database_at_another_revision_takes_the_server_out_of_the_pool(
        git_repo: GitRepo, database_url: str, revision: str, says: str) -> None:
    sync_sample(git_repo, database_url)
    with api_client(database_url) as client:
        assert client.get(f"{API}/healthz").json()["status"] == "ok"
        _stamp(database_url, revision)  # migrated (or restored) behind the running server's back
        answer = client.get(f"{API}/healthz")
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        body = answer.json()
        assert body["type"] == "https://tracertm.dev/problems/schema-mismatch" and body["detail"] == says
        assert (body["schema_revision"], body["server_schema_revision"]) == (revision, db.SCHEMA_HEAD)
        assert "tracertm:" not in body["detail"] and "sqlite" not in body["detail"]  # no database URL to anyone
        _stamp(database_url, db.SCHEMA_HEAD)
        assert client.get(f"{API}/healthz").status_code == 200


def test_a_database_a_newer_tracertm_migrated_takes_no_write_from_the_older_server(
        git_repo: GitRepo, database_url: str) -> None:
    """Every write of the API checks the revision in its own transaction, under the project's lock: a PATCH, a
    link review and a test-run upload answer the 503 ``/healthz`` does and write nothing, and a token's use is not
    recorded either. They answered 200 and wrote through the older schema's model, while the CLI refused the
    database."""
    sync_sample(git_repo, database_url)
    token = make_token(database_url)
    auth = {"Authorization": f"Bearer {token}"}
    with api_client(database_url) as client:
        tag = client.get(f"{API}/adrs/ADR-0003", params={"project": "sample"}).headers["etag"]
        _stamp(database_url, "9999")
        writes = [
            client.patch(f"{API}/adrs/ADR-0003", params={"project": "sample"}, json={"approved_by": "stale"},
                         headers={**auth, "If-Match": tag}),
            client.post(f"{API}/projects/sample/links/review", json={"all": True}, headers=auth),
            client.post(f"{API}/projects/sample/test-runs", content='<testsuite name="s"><testcase name="t"/>'
                        "</testsuite>", headers={**auth, "Content-Type": "application/xml"}),
        ]
        health = client.get(f"{API}/healthz").json()
        for answer in writes:
            assert answer.status_code == 503, answer.text
            body = answer.json()
            assert body["type"] == "https://tracertm.dev/problems/schema-mismatch", body
            assert {k: v for k, v in body.items() if k != "instance"} == {
                k: v for k, v in health.items() if k != "instance"}
    assert sql(database_url, "SELECT approved_by FROM adrs WHERE adr_number = 'ADR-0003'") == [(None,)]
    assert sql(database_url, "SELECT count(*) FROM test_runs") == [(0,)]
    assert sql(database_url, "SELECT last_used_at FROM api_tokens") == [(None,)]
