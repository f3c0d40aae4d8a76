"""Numbers of more digits than Python's ``int`` converts (4,300: ``sys.get_int_max_str_digits``), sent by a client:
in a JSON body they are a body that is not JSON (422, "a number of more than 4,300 digits", at its character), as in
an uploaded report; as the number of an id (``ADR-n``, ``STEP-n``, a link number) they name no record: 404 in the
API and the web view, one line and exit 2 in the CLI. Each was a 500 (exit 3) from ``int``'s ValueError; the link
number's was raised while routing, before the token was checked (an anonymous read got a 500, not a 401)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from apikit import api_client, make_token
from sample import sync_sample

from conftest import GitRepo, run_cli
from tracertm.api.app import ApiSettings

API = "/api/v1"
HUGE = "9" * 4301  # one digit past what ``int`` converts


@pytest.fixture
def synced_url(git_repo: GitRepo, database_url: str) -> str:
    sync_sample(git_repo, database_url)
    return database_url


def _problem(response: Any, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/problem+json"
    return str(response.json()["detail"])


@pytest.mark.parametrize(("method", "path"), [
    ("PATCH", "/adrs/ADR-0003"), ("PATCH", "/features/FEAT-1"), ("PATCH", "/projects/sample/links/1"),
    ("POST", "/projects/sample/links/review"),
])
def test_a_body_with_an_integer_past_int_is_not_json(synced_url: str, method: str, path: str) -> None:
    headers = {"Authorization": f"Bearer {make_token(synced_url)}", "If-Match": "*",
               "Content-Type": "application/json"}
    with api_client(synced_url) as client:
        for body, at in ((f'{{"approved_by": {HUGE}}}', 16), (f'{{"a": [1.5, "{HUGE}", -{HUGE}]}}', 4317)):
            detail = _problem(client.request(method, API + path, content=body.encode(), headers=headers), 422)
            assert detail == f"the body is not JSON (a number of more than 4,300 digits) at character {at}"


def test_an_id_number_past_int_is_not_found(synced_url: str) -> None:
    token = {"Authorization": f"Bearer {make_token(synced_url)}"}
    with api_client(synced_url) as client:
        for path in (f"/adrs/ADR-{HUGE}", f"/adrs/ADR-{HUGE}/history", f"/features/ADR-{HUGE}",
                     f"/step-definitions/STEP-{HUGE}", f"/projects/sample/trace/STEP-{HUGE}",
                     f"/projects/sample/trace/ADR-{HUGE}"):
            assert "no " in _problem(client.get(API + path), 404), path
        assert _problem(client.patch(f"{API}/adrs/ADR-{HUGE}", json={"owner": "x"},
                                     headers={**token, "If-Match": "*"}), 404)
        link = f"{API}/projects/sample/links/{HUGE}"
        expected = "link of more than 4,300 digits: no such link in project sample; see GET .../links"
        assert _problem(client.get(link), 404) == expected
        assert _problem(client.patch(link, json={"reviewed": True}, headers={**token, "If-Match": "*"}), 404) \
            == expected
        assert client.patch(link, json={"reviewed": True}).status_code == 401  # the token before the link
        assert client.get(f"/projects/sample/adrs/ADR-{HUGE}").status_code == 404  # the web page
    with api_client(synced_url, ApiSettings(read_token_required=True)) as client:
        assert client.get(link).status_code == 401


def test_the_cli_says_no_such_record(synced_url: str, git_repo: GitRepo, tmp_path: Path) -> None:
    every = "no ADR, contract, feature, scenario, step definition or test case with this id"
    for verb, ident, said in (("show", f"ADR-{HUGE}", every),
                              ("history", f"ADR-{HUGE}", every),
                              ("trace", f"ADR-{HUGE}", "no record and no link target with this id"),
                              ("show", f"STEP-{HUGE}", "no step definition or test case with this id"),
                              ("history", f"STEP-{HUGE}", "no step definition or test case with this id"),
                              ("trace", f"STEP-{HUGE}", "no record and no link target with this id")):
        done = run_cli(verb, ident, "--database-url", synced_url, "--project", "sample")
        assert done.returncode == 2 and said in done.stderr and done.stderr.count("\n") == 1, (verb, done.stderr)
