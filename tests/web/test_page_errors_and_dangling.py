"""Web view defects an audit found:

- a page's 405 (``POST /projects/p``, ``DELETE /``) had an empty ``Allow`` (RFC 9110 requires the methods) and was
  problem+json, not the HTML error page the pages' other errors are: the 405's ``Allow`` saw only the app's own
  routes, not those of the routers the pages are included with;
- a record page linked a dangling link's target (``@ADR-0077``, no such ADR) to its page, a 404; the links and
  project pages already show such a target as text.

In-process (FastAPI's TestClient) on SQLite and PostgreSQL, and the 405 once through a real ``tracertm serve``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sample import sync_sample
from webfixtures import client_for, main_of

from conftest import GitRepo
from served import serve
from specs import adr

P = "/projects/refunds"
FEATURE = ("@FEAT-7 @ADR-0003 @ADR-0077\nFeature: Refunds\n\n  @SC-1\n  Scenario: refund\n"
           "    Given a paid order\n")


@pytest.fixture
def client(git_repo: GitRepo, database_url: str) -> Iterator[Any]:
    """The app over a project whose FEAT-7 (and its scenario) links ADR-0003 and the ADR-0077 no file has."""
    import tracertm

    git_repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues"))
    git_repo.write("features/refunds.feature", FEATURE)
    git_repo.commit("seed")
    result = tracertm.sync(git_repo.path, database_url=database_url, project="refunds", ref="HEAD")
    assert not result.errors, result.errors
    yield from client_for(database_url)


def assert_page_405(answer: Any, allow: str) -> None:
    """A page's 405: the HTML error page, with ``Allow`` listing what the path takes."""
    assert answer.status_code == 405, answer.text[:300]
    assert answer.headers["allow"] == allow, (answer.request.method, answer.request.url)
    assert answer.headers["content-type"].startswith("text/html"), answer.headers
    main = main_of(answer.text)
    assert "Method not allowed (405)" in main and f"takes only {allow.replace(', HEAD', '')}" in main, main
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_page_405_is_the_html_error_page_with_the_methods_in_allow(client: Any) -> None:
    for method, path in (("POST", P), ("DELETE", "/"), ("PUT", f"{P}/adrs/ADR-0003"), ("PATCH", f"{P}/links"),
                         ("POST", "/search?q=x"), ("DELETE", f"{P}/features/FEAT-7/scenarios/SC-1")):
        assert_page_405(client.request(method, path), "GET, HEAD")
    assert_page_405(client.put("/login"), "GET, HEAD, POST")
    assert_page_405(client.get("/logout"), "POST")
    assert_page_405(client.post("/static/style.css"), "GET, HEAD")
    # The API's 405 stays problem+json, with its Allow as before.
    api = client.delete("/api/v1/projects")
    assert (api.status_code, api.headers["allow"]) == (405, "GET, HEAD")
    assert api.headers["content-type"] == "application/problem+json" and api.json()["instance"] == "/api/v1/projects"
    api = client.put("/api/v1/adrs/ADR-0003")
    assert (api.status_code, api.headers["allow"]) == (405, "GET, HEAD, PATCH"), api.headers


def test_record_pages_show_a_dangling_target_as_text_not_a_link_to_a_404(client: Any) -> None:
    for path in (f"{P}/features/FEAT-7", f"{P}/features/FEAT-7/scenarios/SC-1"):
        page = client.get(path)
        assert page.status_code == 200, page.text[:300]
        main = main_of(page.text)
        hrefs = re.findall(r'href="([^"]+)"', main)
        assert not [h for h in hrefs if "ADR-0077" in h], hrefs
        note = r"<span class=\"note\">\(no live adr has this id\)</span>"
        assert re.search(rf"<td><bdi>ADR-0077</bdi> {note}</td>", main), main
        # The live target is still a link, and it answers.
        live = [h for h in hrefs if h.endswith("/adrs/ADR-0003")]
        assert live and client.get(live[0]).status_code == 200, hrefs
    assert client.get(f"{P}/adrs/ADR-0077").status_code == 404  # the page a link would have led to


def test_a_served_page_405_lists_its_methods(git_repo: GitRepo, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    sync_sample(git_repo, url, "sample-repo")
    with serve(url, git_repo.path, tmp_path / "serve.log") as base, httpx.Client(base_url=base, timeout=10) as http:
        for method, path in (("POST", "/projects/sample-repo"), ("DELETE", "/")):
            assert_page_405(http.request(method, path), "GET, HEAD")
