"""``tracertm schema KIND --model update`` describes the bodies a served API's ``PATCH`` takes: a body the printed
schema validates is not refused by the API. The update models refused an empty metadata key and one of 201
characters (``metadata``, a contract's ``verification_result``), a test case id that is no UUID and a test case
listed twice (a scenario's ``test_case_ids``) — each a 422 — while the schema they printed let every one of them
through: a client that checked its body against the schema still got the 422. The schema now says so
(``propertyNames``, ``format: uuid``, ``uniqueItems``). Checked with a JSON Schema validator (jsonschema-rs,
which schemathesis brings), against ``tracertm serve`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
from sample import sync_sample

from apikit import make_token
from conftest import GitRepo, run_cli
from served import serve

API = "/api/v1"
REPORT = """<testsuites><testsuite name="s" timestamp="2026-12-01T10:00:00Z" tests="1">
<testcase classname="Pay with a card" name="Successful payment is authorized and captured" time="0.1"/>
</testsuite></testsuites>"""


def _printed_schema(kind: str) -> Any:
    printed = run_cli("schema", kind, "--model", "update")
    assert printed.returncode == 0, printed.stderr
    return jsonschema_rs.validator_for(json.loads(printed.stdout), validate_formats=True)


def _patched(client: httpx.Client, path: str, body: dict[str, Any], token: str) -> int:
    """The status of a PATCH of ``body`` to the record at ``path``, sent with the record's current ETag."""
    etag = client.get(path).headers["etag"]
    return client.patch(path, json=body, headers={"Authorization": f"Bearer {token}", "If-Match": etag}).status_code


def test_a_body_the_printed_update_schema_validates_is_taken_by_the_served_api(
    git_repo: GitRepo, database_url: str, tmp_path: Path
) -> None:
    commit = sync_sample(git_repo, database_url)
    report = tmp_path / "junit.xml"
    report.write_text(REPORT)
    imported = run_cli("results", "import", str(report), "--commit", commit, "--path", str(git_repo.path),
                       "--database-url", database_url)
    assert imported.returncode == 0, imported.stderr
    token = make_token(database_url)
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base, \
            httpx.Client(base_url=base + API, timeout=30) as client:
        case = client.get("/projects/sample/test-cases").json()["items"][0]["id"]
        keys: list[dict[str, Any]] = [{"": 1}, {"k" * 201: 1}, {"k" * 200: 1}, {"owner": "team-a"}]
        bodies: list[tuple[str, str, dict[str, Any]]] = [
            *(("adr", "/adrs/ADR-0001", {"metadata": value}) for value in keys),
            *(("contract", "/contracts/CTR-0001", {"verification_result": value}) for value in keys),
            *(("scenario", "/scenarios/FEAT-1/SC-1", {"test_case_ids": ids})
              for ids in (["x"], ["1234"], [case, case], [case], [])),
        ]
        verdicts = []
        for kind, path, body in bodies:
            schema_ok = _printed_schema(kind).is_valid(body)
            status = _patched(client, path, body, token)
            assert status in (200, 422), (kind, body, status)
            verdicts.append((kind, json.dumps(body)[:60], schema_ok, status))
    # What the schema lets through, the API takes; what the API refuses, the schema refuses.
    assert [v for v in verdicts if v[2] != (v[3] == 200)] == [], verdicts
    assert sum(v[3] == 422 for v in verdicts) == 7, verdicts  # every bad key and id above was tried and refused
