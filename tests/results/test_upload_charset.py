"""An upload's Content-Type ``charset``: XML in another charset is read in it (RFC 7303), JSON in one is refused
(RFC 8259: JSON is UTF-8)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import warnings

import pytest

from apikit import api_client, make_token
from conftest import GitRepo
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HERE = Path(__file__).parent
RUNS = "/api/v1/projects/shop/test-runs"
REPORT = ('<testsuite name="s"><testcase classname="Café" name="crème brûlée"><failure message="ça"/>'
          '</testcase></testsuite>')


@pytest.fixture
def client(git_repo: GitRepo, database_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    shutil.copytree(HERE / "project" / "features", git_repo.path / "features", ignore=shutil.ignore_patterns("steps"))
    git_repo.commit("cart")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="shop").errors
    token = make_token(database_url)
    with api_client(database_url) as test_client:
        yield test_client, {"Authorization": f"Bearer {token}"}


def _names(test_client: TestClient, answer: object) -> list[tuple[str, str | None]]:
    location = answer.headers["location"]  # type: ignore[attr-defined]
    return [(x["test"], x["message"]) for x in test_client.get(location).json()["results"]]


@pytest.mark.parametrize("declaration", ["", '<?xml version="1.0" encoding="UTF-8"?>\n'])
def test_xml_in_the_charset_its_content_type_names(client: tuple[TestClient, dict[str, str]],
                                                   declaration: str) -> None:
    test_client, write = client
    body = (declaration + REPORT).encode("iso-8859-1")  # a declaration that disagrees: the charset decides
    latin = {**write, "Content-Type": "application/xml; charset=ISO-8859-1"}
    answer = test_client.post(RUNS, content=body, headers=latin)
    assert answer.status_code == 201, answer.text  # was 422: "malformed XML: not well-formed (invalid token)"
    assert _names(test_client, answer) == [("Café::crème brûlée", "ça")]


def test_a_byte_order_mark_decides_and_utf8_passes_unchanged(client: tuple[TestClient, dict[str, str]]) -> None:
    test_client, write = client
    answer = test_client.post(RUNS, content=REPORT.encode("utf-16"),  # with its BOM
                              headers={**write, "Content-Type": "text/xml; charset=iso-8859-1"})
    assert answer.status_code == 201, answer.text
    assert _names(test_client, answer) == [("Café::crème brûlée", "ça")]
    again = test_client.post(RUNS, content=REPORT.replace("ça", "ça 2").encode(),
                             headers={**write, "Content-Type": 'application/xml; charset="utf-8"'})
    assert again.status_code == 201 and _names(test_client, again) == [("Café::crème brûlée", "ça 2")]
    # charset=utf-8, which clients add to whatever they send, leaves a report's own declaration to decide.
    declared = b'<?xml version="1.0" encoding="ISO-8859-1"?>' + REPORT.replace("ça", "ça 3").encode("iso-8859-1")
    utf8 = {**write, "Content-Type": "application/xml; charset=utf-8"}
    third = test_client.post(RUNS, content=declared, headers=utf8)
    assert third.status_code == 201 and _names(test_client, third) == [("Café::crème brûlée", "ça 3")]


@pytest.mark.parametrize(("content_type", "words"), [
    ("application/json; charset=iso-8859-1", "a JSON report is UTF-8 (RFC 8259)"),
    ("application/xml; charset=no-such-thing", "no such character encoding"),
    ("application/xml; charset=us-ascii", "cannot be read in it"),
])
def test_a_charset_that_cannot_be_honoured_is_415(client: tuple[TestClient, dict[str, str]], content_type: str,
                                                   words: str) -> None:
    test_client, write = client
    body = REPORT.encode("iso-8859-1") if "xml" in content_type else '[{"name": "Café"}]'.encode("iso-8859-1")
    answer = test_client.post(RUNS, content=body, headers={**write, "Content-Type": content_type})
    assert answer.status_code == 415, answer.text
    assert words in answer.json()["detail"] and "Traceback" not in answer.text
