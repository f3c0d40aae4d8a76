"""A query parameter sent empty (``?status=``), or a comma-separated list with an empty item (``?status=a,,b``), is a
400 naming it, as ``tracertm list --status ''`` is a usage error: it was read as no filter, and a client whose
variable was empty got the whole list as if it had asked for it. The web view's forms send empty fields (``any
status``): its pages still take them."""

from __future__ import annotations

from typing import Any

import pytest
from sample import sync_sample

from apikit import api_client, make_token
from conftest import GitRepo

# A value for each path parameter, naming something the sample project has.
PATH_VALUES = {"project": "sample", "ident": "ADR-0001", "commit": "HEAD", "link_id": "1",
               "run_id": "00000000-0000-0000-0000-000000000000"}


def _operations(client: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation of the OpenAPI document with query parameters: method, URL, and the parameters."""
    found = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        url = path.format(**PATH_VALUES)
        for method, operation in operations.items():
            params = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
            if params:
                found.append((method.upper(), url, params))
    return found


def _is_list(parameter: dict[str, Any]) -> bool:
    schema = parameter["schema"]
    return any(option.get("type") == "array" for option in [schema, *schema.get("anyOf", [])])


def test_every_query_parameter_sent_empty_is_a_400_naming_it(git_repo: GitRepo, database_url: str) -> None:
    sync_sample(git_repo, database_url)
    token = make_token(database_url)
    wrong = []
    with api_client(database_url) as client:
        operations = _operations(client)
        assert len(operations) >= 25, operations
        headers = {"Authorization": f"Bearer {token}"}
        for method, url, params in operations:
            for name, parameter in params.items():
                # Required ones (q, kind) are given, so that the empty one is the request's only fault.
                others = {other: ("adrs" if other == "kind" else "ledger") for other, p in params.items()
                          if p.get("required") and other != name}
                values = ["", "  "] + (["accepted,,proposed", "accepted,"] if _is_list(parameter) else [])
                for value in values:
                    answer = client.request(method, url, params={**others, name: value}, headers=headers)
                    body = answer.json() if answer.headers.get("content-type", "").endswith("json") else {}
                    if answer.status_code != 400 or body.get("empty") != name or name not in body.get("detail", ""):
                        wrong.append((method, url, name, value, answer.status_code, body.get("detail")))
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize(("query", "detail"), [
    ("status=", "query parameter 'status' is empty; give a value or leave the parameter out"),
    ("status=accepted&status=", "query parameter 'status' is empty; give a value or leave the parameter out"),
    ("tag=a,,b", "query parameter 'tag' has an empty item in 'a,,b'; separate each value from the next by one comma"),
])
def test_the_refusal_is_one_line_of_problem_json(git_repo: GitRepo, database_url: str, query: str,
                                                 detail: str) -> None:
    sync_sample(git_repo, database_url)
    with api_client(database_url) as client:
        answer = client.get(f"/api/v1/projects/sample/adrs?{query}")
        every = client.get("/api/v1/projects/sample/adrs")
        some = client.get("/api/v1/projects/sample/adrs?status=accepted")
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == detail and answer.json()["type"].endswith("/bad-request")
    assert every.status_code == some.status_code == 200 and every.json()["items"] and some.json()["items"]


def test_a_path_prefix_or_text_may_hold_commas(git_repo: GitRepo, database_url: str) -> None:
    """Only lists split at commas: ``path`` and ``text`` hold them as they are."""
    sync_sample(git_repo, database_url)
    with api_client(database_url) as client:
        assert client.get("/api/v1/projects/sample/adrs?path=a,,b").status_code == 200
        assert client.get("/api/v1/projects/sample/adrs?text=ledger,,").status_code == 200


def test_the_web_views_forms_still_send_empty_fields(git_repo: GitRepo, database_url: str) -> None:
    sync_sample(git_repo, database_url)
    with api_client(database_url) as client:
        page = client.get("/projects/sample/adrs?status=&q=")
    assert page.status_code == 200, page.text
