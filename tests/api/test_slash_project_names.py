"""A project named ``owner/name`` (the default name after an origin remote, e.g. ``acme/payments``) through a real
``tracertm serve``: uvicorn decodes ``%2F`` before routing, so the name reaches the routes with its slash whether
a client sends it plain or encoded. Every per-project API route and every page of the web view answer for it,
``Link`` and ``Location`` headers name it as a path, and the pages' own links lead to pages that exist."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sample import sync_sample

from apikit import make_token
from conftest import GitRepo
from served import serve

NAME = "acme/payments"
FORMS = ("acme/payments", "acme%2Fpayments")  # as sent: plain, or one encoded segment
API = "/api/v1"
KINDS = ("adrs", "contracts", "features", "scenarios", "step-definitions", "test-cases")
JUNIT = b'<testsuite name="s"><testcase classname="a" name="t"/></testsuite>'


@pytest.fixture
def served(git_repo: GitRepo, tmp_path: Path) -> Iterator[tuple[httpx.Client, str]]:
    """A client of ``tracertm serve`` over the sample synced as ``acme/payments``, and a write token."""
    url = f"sqlite:///{tmp_path / 'slash.db'}"
    sync_sample(git_repo, url, project=NAME)
    token = make_token(url)
    with serve(url, git_repo.path, tmp_path / "serve.log") as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        yield client, token


def _ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, (response.request.url, response.status_code, response.text[:300])
    return response


def test_every_page_and_api_route_answers_for_a_name_with_a_slash(served: tuple[httpx.Client, str]) -> None:
    """One server for both: the web view's pages first (they only read), then the API's routes (which write)."""
    client, token = served
    _web_views_links_lead_to_pages_of_a_project_with_a_slash(client)
    _every_project_route_of_the_api_answers_for_a_name_with_a_slash(client, token)


def _every_project_route_of_the_api_answers_for_a_name_with_a_slash(client: httpx.Client, token: str) -> None:
    assert NAME in [p["name"] for p in _ok(client.get(f"{API}/projects")).json()]
    for p in FORMS:
        assert _ok(client.get(f"{API}/projects/{p}")).json()["name"] == NAME
        for plural in KINDS:
            _ok(client.get(f"{API}/projects/{p}/{plural}"))
        page = _ok(client.get(f"{API}/projects/{p}/scenarios", params={"limit": 2}))
        link = page.headers["link"]
        assert link.startswith(f"<{client.base_url}{API}/projects/acme/payments/scenarios?cursor="), link
        following = _ok(client.get(link[1:link.index(">")])).json()["items"]
        assert following and following[0]["id"] not in {item["id"] for item in page.json()["items"]}
        assert _ok(client.get(f"{API}/projects/{p}/coverage")).json()["project"] == NAME
        _ok(client.get(f"{API}/projects/{p}/matrix", params={"from": "adrs"}))
        links = _ok(client.get(f"{API}/projects/{p}/links")).json()["items"]
        assert links, "the sample has links"
        assert _ok(client.get(f"{API}/projects/{p}/links/{links[0]['id']}")).json()["id"] == links[0]["id"]
        _ok(client.get(f"{API}/projects/{p}/trace/ADR-0003", params={"depth": 1}))
        _ok(client.get(f"{API}/projects/{p}/trace/FEAT-2/SC-4", params={"depth": 1}))  # an id with a slash too
        _ok(client.get(f"{API}/projects/{p}/test-runs"))
        _ok(client.get(f"{API}/adrs/ADR-0003", params={"project": NAME}))
    # Writes, with the name in the path.
    auth = {"Authorization": f"Bearer {token}"}
    _ok(client.patch(f"{API}/projects/{FORMS[1]}/links/{links[0]['id']}", json={"reviewed": True},
                       headers={**auth, "If-Match": "*"}))
    _ok(client.post(f"{API}/projects/{FORMS[0]}/links/review", json={"all": True}, headers=auth))
    upload = client.post(f"{API}/projects/{FORMS[1]}/test-runs", content=JUNIT,
                         headers={**auth, "Content-Type": "application/xml"})
    assert upload.status_code == 201, upload.text
    location = upload.headers["location"]
    assert location == f"{API}/projects/acme/payments/test-runs/{upload.json()['run']['id']}"
    _ok(client.get(location))
    # A page a known project does not have is still a 404, and an unknown project's too.
    for path in (f"{API}/projects/{NAME}/widgets", f"{API}/projects/acme/nothing", f"{API}/projects/acme"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json", path


def _web_views_links_lead_to_pages_of_a_project_with_a_slash(client: httpx.Client) -> None:
    dashboard = _ok(client.get("/")).text
    assert 'href="/projects/acme/payments"' in dashboard
    # Every page reachable from the dashboard through the project's own links, two clicks deep (and the JSON
    # twins they name): each answers.
    seen: set[str] = set()
    frontier = ["/"]
    for _ in range(3):
        found = []
        for page in frontier:
            for href in re.findall(r'href="(/(?:projects|api/v1)/[^"]*)"', _ok(client.get(page)).text):
                href = href.replace("&amp;", "&")
                if href not in seen:
                    seen.add(href)
                    found.append(href)
        frontier = [href for href in found if href.startswith("/projects/")]
    for href in seen:
        _ok(client.get(href))
    expected = ["/projects/acme/payments", "/projects/acme/payments/adrs", "/projects/acme/payments/contracts",
                "/projects/acme/payments/features", "/projects/acme/payments/matrix",
                "/projects/acme/payments/adrs/ADR-0003", "/api/v1/projects/acme/payments/coverage"]
    assert set(expected) <= {href.split("?")[0] for href in seen}, sorted(seen)
    assert any(re.fullmatch(r"/projects/acme/payments/features/FEAT-\d+/scenarios/SC-\d+", h) for h in seen)
    # The encoded form of older links still works, and the navigation marks the page being read.
    for p in FORMS:
        nav = _ok(client.get(f"/projects/{p}/adrs")).text
        assert '<a href="/projects/acme/payments/adrs" aria-current="page">ADRs</a>' in nav
    missing = client.get(f"/projects/{NAME}/widgets")
    assert missing.status_code == 404 and "lists are adrs, contracts, features" in missing.text


# A project whose name ends in a route word: ``team/adrs`` next to ``team`` (then the longer name wins; ``team``'s
# ADR list is reached through its UUID), and ``ops/matrix`` alone (no project ``ops``).
ROUTE_WORD_NAMES = ("team", "team/adrs", "ops/matrix")


@pytest.fixture
def route_words(git_repo: GitRepo, tmp_path: Path) -> Iterator[tuple[httpx.Client, str]]:
    """A client of ``tracertm serve`` over the sample synced as each of ``ROUTE_WORD_NAMES``, and a write token."""
    import tracertm

    url = f"sqlite:///{tmp_path / 'words.db'}"
    sync_sample(git_repo, url, project=ROUTE_WORD_NAMES[0])
    for name in ROUTE_WORD_NAMES[1:]:
        result = tracertm.sync(git_repo.path, database_url=url, project=name, ref="HEAD")
        assert not result.errors, result.errors
    token = make_token(url)
    with serve(url, git_repo.path, tmp_path / "serve.log") as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        yield client, token


def test_a_project_named_like_a_route_is_reachable_through_every_page_and_api_route(
    route_words: tuple[httpx.Client, str],
) -> None:
    """One server for both: the web view's pages first (they only read), then the API's routes (which write)."""
    client, token = route_words
    _web_view_of_a_project_named_like_a_route(client)
    _api_of_a_project_named_like_a_route(client, token)


def _api_of_a_project_named_like_a_route(client: httpx.Client, token: str) -> None:
    assert {p["name"] for p in _ok(client.get(f"{API}/projects")).json()} == set(ROUTE_WORD_NAMES)
    for name, forms in (("team/adrs", ("team/adrs", "team%2Fadrs")), ("ops/matrix", ("ops/matrix", "ops%2Fmatrix"))):
        for p in forms:
            assert _ok(client.get(f"{API}/projects/{p}")).json()["name"] == name, p
            for plural in KINDS:
                _ok(client.get(f"{API}/projects/{p}/{plural}"))
            page = _ok(client.get(f"{API}/projects/{p}/adrs", params={"limit": 2}))
            link = page.headers["link"]
            assert link.startswith(f"<{client.base_url}{API}/projects/{name}/adrs?cursor="), link
            assert _ok(client.get(link[1:link.index(">")])).json()["items"]
            assert _ok(client.get(f"{API}/projects/{p}/coverage")).json()["project"] == name
            assert _ok(client.get(f"{API}/projects/{p}/matrix", params={"from": "adrs"})).json()["from"] == "adrs"
            links = _ok(client.get(f"{API}/projects/{p}/links")).json()["items"]
            assert _ok(client.get(f"{API}/projects/{p}/links/{links[0]['id']}")).json()["id"] == links[0]["id"]
            _ok(client.get(f"{API}/projects/{p}/trace/FEAT-2/SC-4", params={"depth": 1}))
            _ok(client.get(f"{API}/projects/{p}/test-runs"))
        auth = {"Authorization": f"Bearer {token}"}
        upload = client.post(f"{API}/projects/{name}/test-runs", content=JUNIT,
                             headers={**auth, "Content-Type": "application/xml"})
        assert upload.status_code == 201, upload.text
        location = upload.headers["location"]
        assert location == f"{API}/projects/{name}/test-runs/{upload.json()['run']['id']}"
        assert _ok(client.get(location)).json()["id"] == upload.json()["run"]["id"]
        review = client.post(f"{API}/projects/{name}/links/review", json={"all": True}, headers=auth)
        assert review.status_code == 200, review.text
    # The shorter project keeps every route no longer name claims, and its UUID reaches the one it lost.
    team = _ok(client.get(f"{API}/projects/team")).json()
    assert team["name"] == "team"
    assert _ok(client.get(f"{API}/projects/team/contracts")).json()["items"]
    assert _ok(client.get(f"{API}/projects/team/coverage")).json()["project"] == "team"
    assert _ok(client.get(f"{API}/projects/{team['id']}/adrs")).json()["items"]
    assert _ok(client.get(f"{API}/projects/team/test-runs")).json()["items"] == []  # the uploads went to team/adrs
    for path in (f"{API}/projects/ops", f"{API}/projects/team/adrs/widgets", f"{API}/projects/nobody/adrs"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json", path


def _web_view_of_a_project_named_like_a_route(client: httpx.Client) -> None:
    for name in ("team/adrs", "ops/matrix"):
        page = _ok(client.get(f"/projects/{name}")).text
        assert f'href="{API}/projects/{name}"' in page  # the project page (its JSON twin), not a list or matrix
        for plural in ("adrs", "contracts", "features"):
            listed = _ok(client.get(f"/projects/{name}/{plural}")).text
            assert f'<a href="/projects/{name}/{plural}" aria-current="page">' in listed
        assert "ADR-0003" in _ok(client.get(f"/projects/{name}/adrs/ADR-0003")).text
        _ok(client.get(f"/projects/{name}/matrix"))
        # Every link of the project's pages, two clicks deep, leads to a page of that project that answers.
        seen: set[str] = set()
        frontier = [f"/projects/{name}"]
        for _ in range(2):
            found = []
            for href_page in frontier:
                for href in re.findall(r'href="(/(?:projects|api/v1)/[^"]*)"', _ok(client.get(href_page)).text):
                    href = href.replace("&amp;", "&")
                    if href not in seen:
                        seen.add(href)
                        found.append(href)
            frontier = [href for href in found if href.startswith(f"/projects/{name}/")]
        for href in seen:
            _ok(client.get(href))
        assert any(re.fullmatch(rf"/projects/{name}/features/FEAT-\d+/scenarios/SC-\d+", h) for h in seen)
    # team's pages link it by its UUID (team/adrs is another project): its JSON twin is team's.
    twin = re.search(r'href="(/api/v1/projects/[^"/]+)"', _ok(client.get("/projects/team")).text)
    assert twin is not None and _ok(client.get(twin.group(1))).json()["name"] == "team"
    assert "lists are adrs, contracts, features" in client.get("/projects/ops/matrix/widgets").text
    assert client.get("/projects/team/adrs/widgets").status_code == 404  # team's ADR "widgets": there is none
