"""A list query the server cannot page through is refused on its first page, not answered with a next link it then
refuses (a cursor carries the whole query and is taken back up to 4,096 characters), and a sort field given twice
is a 422 naming ``sort`` (thousands of them were an ORDER BY the database refused: a 503 "unavailable"). The CLI's
``list`` says the same in one line (exit 2). SQLite and PostgreSQL."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from apikit import api_client
from conftest import GitRepo
from specs import contract
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.schemas.filters import MAX_QUERY_CHARS, ListFilter

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1/projects/shop"


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    for n in range(1, 6):
        git_repo.write(f"contracts/c{n}.yaml", contract(n, f"Contract {n}") + "tags: [common]\n")
    git_repo.commit("contracts")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    with api_client(engine) as test_client:
        yield test_client


def _tags(count: int) -> str:
    return ",".join(f"team-{i:04d}" for i in range(count))


def test_a_long_query_pages_through_or_is_refused_up_front(client: TestClient) -> None:
    # As long as a query may be: every next link the server gives is one it takes, to the last page.
    tags = ["common"]
    while True:
        try:
            ListFilter(any_tag=[*tags, f"team-{len(tags):04d}"], limit=2, sort=["-number"])
        except ValidationError:
            break
        tags.append(f"team-{len(tags):04d}")
    assert len(tags) > 100
    seen: list[str] = []
    url = f"{API}/contracts?any_tag={','.join(tags)}&limit=2&sort=-number"
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text
        seen += [item["number"] for item in answer.json()["items"]]
        link = answer.headers.get("link")
        url = "" if link is None else (lambda u: f"{u.path}?{u.query}")(urlsplit(link.split(">")[0].lstrip("<")))
    assert seen == [f"CTR-{n:04d}" for n in range(5, 0, -1)]

    refused = client.get(f"{API}/contracts?any_tag={_tags(400)}&limit=2")
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"].startswith("the filters are too long (")
    assert f"at most {MAX_QUERY_CHARS})" in refused.json()["detail"]


def test_a_sort_field_given_twice_is_refused(client: TestClient) -> None:
    answer = client.get(f"{API}/contracts?sort=" + ",".join(["number"] * 2000))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == "sort: 'number' is given twice; give each sort field once"
    assert client.get(f"{API}/contracts?sort=-status,number").status_code == 200


def test_the_cli_says_so_in_one_line(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("contracts/c1.yaml", contract(1, "One"))
    git_repo.commit("one")
    sync(git_repo.path, engine=engine, project="shop")
    where = ["--path", str(git_repo.path), "--database-url", database_url, "--project", "shop"]
    assert main(["list", "contracts", "--sort=number,-number", *where]) == 2
    assert capsys.readouterr().err.strip() == "tracertm: error: --sort: 'number' is given twice; give each sort field once"
    assert main(["list", "contracts", "--any-tag", _tags(400), *where]) == 2
    assert capsys.readouterr().err.startswith("tracertm: error: the filters are too long (")
