"""Every answer of a served API — each route README lists, over a project with rows in the tables the routes read
(records of every kind, step definitions and executed steps, links reviewed and suspect, revisions, sync runs,
test runs, results and test cases, tokens) — is valid, checked by jsonschema-rs with formats, against the schema
``tracertm schema`` prints for it. A client that validates what it reads against the printed schemas never
rejects an answer, and none is left without a schema (``status``, facets, test runs, link pages had none)."""

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
KINDS = {"adrs": "adr", "contracts": "contract", "features": "feature", "scenarios": "scenario",
         "step-definitions": "step-definition", "test-cases": "test-case"}
STEPS = '''from behave import given, then


@given('the merchant "{merchant}" accepts payments in "{currency}"')
def merchant(context, merchant, currency):
    pass


@then('the payment is "{state}"')
def payment_is(context, state):
    pass
'''
REPORT = """<testsuites><testsuite name="s" timestamp="2026-12-01T10:00:00Z" tests="3">
<testcase classname="Pay with a card" name="Successful payment is authorized and captured" time="0.1"/>
<testcase classname="Pay with a card" name="Retrying with the same idempotency key does not charge twice" time="0.2">
<failure message="charged twice">boom</failure></testcase>
<testcase classname="nothing" name="matches no scenario" time="0.3"><skipped/></testcase>
</testsuite></testsuites>"""
_printed: dict[tuple[str, str], Any] = {}


def _validator(name: str, model: str, array: bool) -> Any:
    """A validator of ``tracertm schema NAME --model MODEL`` (printed once per test process), or of a JSON array of
    it (``GET /projects``, ``/sync-runs``, ``/history``)."""
    if (name, model) not in _printed:
        printed = run_cli("schema", name, "--model", model)
        assert printed.returncode == 0, (name, model, printed.stderr)
        _printed[name, model] = json.loads(printed.stdout)
    schema = _printed[name, model]
    if array:  # the items' $refs point at the root's $defs: keep them there
        item = {key: value for key, value in schema.items() if key != "$defs"}
        schema = {"type": "array", "items": {"$ref": "#/$defs/__item"}, "$defs": {**schema.get("$defs", {}),
                                                                                   "__item": item}}
    return jsonschema_rs.validator_for(schema, validate_formats=True)


class Checked:
    """Requests to the served API, each answer checked against the printed schema of its shape."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.checked: list[tuple[str, str]] = []  # the shapes of the answers checked

    def __call__(self, method: str, path: str, shape: tuple[str, str] | None, status: int = 200,
                 array: bool = False, **options: Any) -> Any:
        answer = self.client.request(method, API + path, **options)
        assert answer.status_code == status, (method, path, answer.status_code, answer.text[:500])
        name, model = shape or ("problem", "read")
        errors = [f"{e.instance_path}: {e.message}" for e in _validator(name, model, array).iter_errors(
            answer.json())]
        assert not errors, (method, path, name, model, errors[:5])
        self.checked.append((name, model))
        return answer.json()


def _seed(git_repo: GitRepo, database_url: str) -> str:
    """The sample project with step definitions, synced twice (the second time ADR-0004's decision changed, so
    its links are suspect and the ADR has two revisions); returns the first commit."""
    git_repo.write("features/steps/pay.py", STEPS)
    commit = sync_sample(git_repo, database_url)
    adr = next((git_repo.path / "docs" / "adr").glob("0004-*.md"))
    adr.write_text(adr.read_text().replace("Chosen option:", "Chosen option, after review:"))
    git_repo.commit("ADR-0004: reworded")
    synced = run_cli("sync", str(git_repo.path), "--database-url", database_url, "--project", "sample")
    assert synced.returncode == 0, synced.stderr
    return commit


def test_every_served_answer_is_valid_against_its_printed_schema(
    git_repo: GitRepo, database_url: str, tmp_path: Path
) -> None:
    commit = _seed(git_repo, database_url)
    token = make_token(database_url)
    write = {"Authorization": f"Bearer {token}"}
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        call = Checked(client)
        uploaded = call("POST", f"/projects/sample/test-runs?commit={commit}", ("test-run-import", "read"), 201,
                        content=REPORT, headers={**write, "Content-Type": "application/xml"})
        run = uploaded["run"]["id"]
        call("GET", "/healthz", ("health", "read"))
        call("GET", "/projects", ("project", "read"), array=True)
        call("GET", "/projects?limit=1", ("project", "read"), array=True)
        call("GET", "/projects/sample", ("project", "read"))
        call("GET", "/projects/sample/status", ("status", "read"))
        call("GET", "/sync-runs?project=sample", ("sync-run", "read"), array=True)
        call("GET", "/search?q=ledger", ("search", "read"))
        call("GET", "/search?q=ledger&include_deleted=true&kind=adrs,scenarios", ("search", "read"))
        for plural, kind in KINDS.items():
            page = call("GET", f"/projects/sample/{plural}?count=true&limit=500", (kind, "page"))
            assert page["items"], plural
            call("GET", f"/projects/sample/{plural}?fields=id,version&limit=2", (kind, "page"))
            call("GET", f"/facets?kind={plural}&project=sample", ("facets", "read"))
            for item in page["items"][:3]:
                call("GET", f"/{plural}/{item['id']}", (kind, "read"))
                history = call("GET", f"/{plural}/{item['id']}/history", ("revision", "read"), array=True)
                if history and history[-1]["commit_sha"]:
                    call("GET", f"/{plural}/{item['id']}/at/{history[-1]['commit_sha']}", ("revision", "read"))
            first = page["items"][0]["id"]
            etag = client.get(f"{API}/{plural}/{first}").headers["etag"]
            call("PATCH", f"/{plural}/{first}", (kind, "read"), json={"metadata": {"schema_checked_by": "test"}},
                 headers={**write, "If-Match": etag})
        case = call("GET", "/projects/sample/test-cases", ("test-case", "page"))["items"][0]["id"]
        etag = client.get(f"{API}/test-cases/{case}").headers["etag"]
        call("DELETE", f"/test-cases/{case}", ("test-case", "read"), headers={**write, "If-Match": etag})
        call("POST", f"/test-cases/{case}/restore", ("test-case", "read"), headers={**write, "If-Match": "*"})
        call("GET", "/projects/sample/test-runs", ("test-run", "page"))
        call("GET", f"/projects/sample/test-runs/{run}", ("test-run", "read"))
        call("GET", f"/projects/sample/test-runs/{run}?status=failed&limit=1", ("test-run", "read"))
        for origin in ("requirements", "adrs"):
            call("GET", f"/projects/sample/matrix?from={origin}", ("matrix", "read"))
            call("GET", f"/projects/sample/matrix?from={origin}&limit=2", ("matrix", "read"))
        call("GET", "/projects/sample/coverage", ("coverage", "read"))
        links = call("GET", "/projects/sample/links?limit=500", ("link", "page"))["items"]
        suspect = call("GET", "/projects/sample/links?suspect=true", ("link", "page"))["items"]
        assert len(suspect) >= 2, "ADR-0004's links are suspect"
        for link in links[:5]:
            call("GET", f"/projects/sample/links/{link['id']}", ("link", "read"))
        call("PATCH", f"/projects/sample/links/{suspect[0]['id']}", ("link", "read"), json={"reviewed": True},
             headers={**write, "If-Match": "*"})
        call("POST", "/projects/sample/links/review", ("review", "read"), json={"all": True}, headers=write)
        call("GET", "/projects/sample/trace/ADR-0004?depth=2", ("trace-graph", "read"))
        call("GET", "/projects/sample/trace/FEAT-1/SC-1?depth=1&limit=1", ("trace-graph", "read"))
        # Problems have their schema too.
        call("GET", "/adrs/ADR-9999", None, 404)
        call("GET", "/projects/sample/adrs?stauts=accepted", None, 400)
        call("GET", "/projects/sample/adrs?status=", None, 400)
        call("PATCH", "/adrs/ADR-0001", None, 401, json={"metadata": {}})
    assert len(set(call.checked)) >= 25, sorted(set(call.checked))
