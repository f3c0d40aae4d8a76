"""A query parameter that takes one value, sent twice, is a 400 naming it (``api.query_names``): the route took the
last value and dropped the others without a word — ``/search?q=kafka&q=ledger`` searched ``ledger`` alone,
``?limit=1&limit=3`` gave three records, ``?project=a&project=b`` read ``b``. The parameters that take several
(``status``, ``tag``, ``any_tag``, ``type``, ``fields``, ``sort``, the search's ``kind``) still may repeat. Refused
before the database is read, as an unknown parameter is, so the reads run on SQLite alone."""

from __future__ import annotations

import warnings
from typing import Any

from conftest import sqlite_only
from test_http_api import client, synced_url  # noqa: F401 - fixtures

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"


def _refused(response: Any, name: str, values: str) -> None:
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "https://tracertm.dev/problems/bad-request" and body["repeated"] == [name]
    assert body["detail"] == (f"query parameter {name!r} takes one value and was given several ({values}); "
                              "send it once"), body["detail"]


@sqlite_only
def test_a_single_valued_parameter_sent_twice_is_a_400(client: TestClient) -> None:
    _refused(client.get(f"{API}/projects/sample/adrs?limit=1&limit=3"), "limit", "'1', '3'")
    assert client.head(f"{API}/projects/sample/adrs?limit=1&limit=3").status_code == 400
    _refused(client.get(f"{API}/search?q=kafka&q=ledger"), "q", "'kafka', 'ledger'")
    _refused(client.get(f"{API}/search?q=kafka&project=sample&project=other"), "project", "'sample', 'other'")
    _refused(client.get(f"{API}/projects/sample/trace/ADR-0001?depth=0&depth=3"), "depth", "'0', '3'")
    _refused(client.get(f"{API}/projects/sample/adrs?text=a&text=a"), "text", "'a', 'a'")
    _refused(client.get(f"{API}/projects?limit=1&limit=2"), "limit", "'1', '2'")
    # An unknown parameter is named first, as before; a project that does not exist is still its 404.
    assert client.get(f"{API}/projects/sample/adrs?stauts=x&limit=1&limit=2").json()["unknown"] == ["stauts"]
    assert client.get(f"{API}/projects/nope?limit=1&limit=2").status_code == 404


@sqlite_only
def test_parameters_that_take_several_values_still_repeat(client: TestClient) -> None:
    every = client.get(f"{API}/projects/sample/adrs?limit=500").json()["items"]
    both = client.get(f"{API}/projects/sample/adrs?status=accepted&status=proposed&limit=500")
    assert both.status_code == 200, both.text
    assert {a["number"] for a in both.json()["items"]} == {a["number"] for a in every
                                                           if a["status"] in ("accepted", "proposed")}
    fields = client.get(f"{API}/projects/sample/adrs?fields=number&fields=title&sort=-number&sort=title")
    assert fields.status_code == 200 and set(fields.json()["items"][0]) == {"number", "title"}
    assert client.get(f"{API}/search?q=ledger&kind=adrs&kind=contracts").status_code == 200
