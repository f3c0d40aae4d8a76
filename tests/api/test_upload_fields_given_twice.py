"""A test-run upload's ``commit``, ``format`` and ``run_name`` come as query parameters or as multipart fields.
Given twice — two multipart fields, or a query parameter and a field — one was used and the other dropped without a
word: the query's ``commit`` won over the form's, the form's last field over its first, so a run could be stored
against a commit other than the one a field named. Each is a 400 naming the field, nothing imported, on SQLite and
PostgreSQL. A ``file`` sent as a text field (``curl -F 'file=<testsuite…'`` reads no file) was "multipart field
'file': unknown; use file, …", which named the very field it refused: it now says to attach the report as a file."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from apikit import api_client, make_token
from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import TestRun

RUNS = "/api/v1/projects/shop/test-runs"
FEATURE = "@FEAT-1\nFeature: Refunds\n\n  @SC-1\n  Scenario: refund\n    Given a paid order\n"
REPORT = b'<testsuite name="s"><testcase classname="Refunds" name="refund"/></testsuite>'


def _runs(engine: Any) -> int:
    with db.session(engine) as session:
        return int(session.execute(select(func.count()).select_from(TestRun)).scalar_one())


def _refused(response: Any, detail: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://tracertm.dev/problems/bad-request"
    assert response.json()["detail"] == detail


def test_an_upload_field_given_twice_is_a_400_and_imports_nothing(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("features/refunds.feature", FEATURE)
    first = git_repo.commit("seed")
    git_repo.write("features/refunds.feature", FEATURE + "    Then it is refunded\n")
    second = git_repo.commit("then")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    write = {"Authorization": f"Bearer {make_token(engine)}"}
    report = [("file", ("junit.xml", REPORT, "application/xml"))]
    with api_client(engine) as client:
        twice = client.post(RUNS, files=report, data={"commit": [first, second]}, headers=write)
        _refused(twice, "multipart field 'commit' is given twice; send it once")
        both = client.post(f"{RUNS}?commit={first}", files=report, data={"commit": second}, headers=write)
        _refused(both, "'commit' is given both as a query parameter and as a multipart field; send it once")
        both = client.post(f"{RUNS}?run_name=a", files=report, data={"run_name": "a"}, headers=write)
        _refused(both, "'run_name' is given both as a query parameter and as a multipart field; send it once")
        text = client.post(RUNS, files=[("file", (None, REPORT.decode()))], headers=write)
        _refused(text, "multipart field 'file' is text, not a file: attach the report as a file part "
                       "(curl -F file=@report.xml)")
        assert _runs(engine) == 0
        # Once each, wherever it comes from, the upload is imported against the commit named.
        r = client.post(f"{RUNS}?run_name=ci", files=report, data={"commit": second}, headers=write)
        assert r.status_code == 201, r.text
        assert (r.json()["run"]["commit"], r.json()["run"]["name"]) == (second, "ci")
        assert _runs(engine) == 1
