"""Two link defects fixed, in-process (FastAPI's TestClient) on SQLite:

* a name that is a dot segment (a project ``..``, a scenario titled ``..`` or ``.``) is written into every link
  percent-encoded (``%2E%2E``, ``%2E``: ``quote`` never encodes a dot, and ``/projects/../adrs`` resolves to
  ``/adrs``) — the API's ``Link`` header, the pages' links and JSON twins; the pages link such a project, and a
  record whose id is such a segment (the scenarios ``..`` and ``.``, the feature of ``features/...feature``, the
  contract ``..``), by UUID, since browsers resolve ``%2E%2E`` away too;
* a web list page takes several statuses as its JSON twin does (``?status=a,b`` or repeated), shows each of them
  in its filter and carries all of them in its JSON link.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from webfixtures import client_for, main_of, module_database
from webproject import new_repo

from apikit import make_token

API = "/api/v1"
DOTS = "/projects/%2E%2E"  # the project ".."
PLAIN = "/projects/plain"
STATUSES = {"accepted": 3, "proposed": 2, "deprecated": 1}


@dataclass
class Built:
    url: str
    dots_id: str  # the UUID of the project ".."
    ids: dict[str, str]  # the UUIDs of its records with a dot id: "scenario:billing/refund/..", "feature:.."...


def _adr(number: int, status: str) -> str:
    return f"# {number}. Decision {number}\n\nDate: 2024-01-01\n\n## Status\n\n{status.capitalize()}\n\n" \
           "## Context\n\nThings.\n"


def _build(work: Path, url: str) -> Built:
    import tracertm
    from tracertm import db
    from tracertm.repositories import Projects, Records

    dots = new_repo(work / "dots")
    for n in range(1, 4):
        dots.write(f"docs/adr/{n:04d}-d.md", _adr(n, "accepted"))
    dots.write("features/billing/refund.feature",  # untagged: feature billing/refund, scenarios ".." and "."
               "Feature: Refunds\n  Scenario: ..\n    Given dots\n\n  Scenario: .\n    Given a dot\n")
    dots.write("features/...feature",  # untagged: the feature "..", its scenario "." too
               "Feature: Dotted file\n  Scenario: .\n    Given a dot\n")
    dots.write("contracts/dots.yaml", "id: '..'\ntitle: Dotted contract\n")
    dots.commit("dots")
    plain = new_repo(work / "plain")
    n = 0
    for status, count in STATUSES.items():
        for _ in range(count):
            n += 1
            plain.write(f"docs/adr/{n:04d}-d.md", _adr(n, status))
    plain.commit("plain")
    for repo, project in ((dots, ".."), (plain, "plain")):
        result = tracertm.sync(repo.path, database_url=url, project=project, ref="HEAD")
        assert not result.errors, result.errors
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            project = Projects(session).get("..")
            ids = {f"{kind}:{ident}": str(Records(session, kind).get(ident, project).id) for kind, ident in (
                ("scenario", "billing/refund/.."), ("scenario", "billing/refund/."), ("scenario", "../."),
                ("feature", ".."), ("contract", ".."))}
    finally:
        engine.dispose()
    return Built(url, str(project.id), ids)


# SQLite only: what is tested is how links are written (above the database); the same store paths (a project
# looked up by name or UUID, a list of several statuses) run on PostgreSQL in test_every_link_leads_somewhere.
@pytest.fixture(scope="module", params=["sqlite"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    with module_database(request, tmp_path_factory, "dots") as (work, url):
        yield _build(work, url)


@pytest.fixture(scope="module")
def client(built: Built) -> Iterator[Any]:
    """One client of the app for the module: the tests only read through it."""
    yield from client_for(built.url)


def _alternate(page: str) -> str:
    found = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)">', page)
    assert found, "no JSON twin link"
    return html.unescape(found.group(1))


def _dot_segments(url: str) -> list[str]:
    return [part for part in urlsplit(url).path.split("/") if part in (".", "..")]


def _browser_dot_segments(url: str) -> list[str]:
    """The segments of ``url``'s path that a browser (the WHATWG URL parser) resolves away: ``.`` and ``..`` also
    written ``%2E``, ``.%2E``, ``%2e%2e``..., which an RFC 3986 client keeps."""
    return [part for part in urlsplit(url).path.split("/") if part.lower().replace("%2e", ".") in (".", "..")]


# ------------------------------------------------------------------------------------------ A: dot segments


def test_a_path_segment_that_is_a_dot_segment_is_percent_encoded() -> None:
    from tracertm.api.deps import path_segment
    from tracertm.web.pages import record_url, seg, twin
    from tracertm.repositories.kinds import KINDS

    assert path_segment("..") == "%2E%2E" and path_segment(".") == "%2E"
    assert path_segment("acme/../x/.") == "acme/%2E%2E/x/%2E"
    assert path_segment("a..b/.c/..d") == "a..b/.c/..d"  # only a whole segment is a dot segment
    assert path_segment("acme/qa#1") == "acme/qa%231"  # the rest as before
    assert path_segment("../x", keep_slashes=False) == "..%2Fx" and path_segment("..", keep_slashes=False) == "%2E%2E"
    assert seg("..") == "%2E%2E" and seg(".") == "%2E" and seg("billing/refund") == "billing%2Frefund"
    # Outside a page (no project names bound): the name encoded, its dot segments too.
    assert record_url("..", "scenario", "..", "billing/refund") == \
        "/projects/%2E%2E/features/billing%2Frefund/scenarios/%2E%2E"
    assert record_url(".", "adr", "ADR-0001") == "/projects/%2E/adrs/ADR-0001"
    assert twin(KINDS["scenario"], "billing/refund/..", "..") == \
        "/api/v1/scenarios/billing/refund/%2E%2E?project=%2E%2E"


def test_the_api_next_link_of_a_dot_project_is_encoded_and_leads_to_the_next_page(client: Any) -> None:
    first = client.get(f"{API}/projects/%2E%2E/adrs", params={"limit": 1, "fields": "number"})
    assert first.status_code == 200 and first.json()["items"] == [{"number": "ADR-0001"}]
    found = re.fullmatch(r"<([^>]+)>; rel=\"next\"", first.headers["link"])
    assert found, first.headers["link"]
    link = found.group(1)
    assert urlsplit(link).path == f"{API}/projects/%2E%2E/adrs" and not _dot_segments(link)
    resolved = urljoin(str(first.url), link)  # as an RFC 3986 client (curl, httpx, urllib) resolves it
    assert urlsplit(resolved).path == f"{API}/projects/%2E%2E/adrs"
    second = client.get(resolved)
    assert second.status_code == 200 and second.json()["items"] == [{"number": "ADR-0002"}]


@pytest.mark.parametrize("page", ["/", DOTS, f"{DOTS}/adrs", f"{DOTS}/features",
                                  f"{DOTS}/features/billing%2Frefund",
                                  f"{DOTS}/features/billing%2Frefund/scenarios/%2E%2E",
                                  f"{DOTS}/features/billing%2Frefund/scenarios/%2E", f"{DOTS}/adrs/ADR-0001",
                                  f"{DOTS}/features/%2E%2E", f"{DOTS}/features/%2E%2E/scenarios/%2E",
                                  f"{DOTS}/contracts", f"{DOTS}/contracts/%2E%2E", f"{DOTS}/scenarios",
                                  "/search?q=dot"])
def test_no_link_of_a_page_holds_a_dot_segment_and_every_one_answers(client: Any, built: Built, page: str) -> None:
    r = client.get(page)
    assert r.status_code == 200, (page, r.status_code, r.text[-600:])
    hrefs = {html.unescape(h) for h in re.findall(r'href="(/[^"]*)"', r.text)}
    hrefs.add(_alternate(r.text))
    ours = sorted(h for h in hrefs if h.startswith(("/projects/", "/api/")))
    assert ours, page
    assert [h for h in ours if _browser_dot_segments(h)] == []
    # The project ".." is linked by its UUID: browsers (WHATWG URL) resolve "%2E%2E" away as they do "..".
    assert [h for h in ours if h.startswith(f"{DOTS}/") or h == DOTS] == []
    assert any(h.startswith(f"/projects/{built.dots_id}") for h in ours), ours
    for href in ours:
        assert client.get(href).status_code == 200, href


def test_the_feature_page_links_its_dot_scenarios_to_their_own_pages(client: Any, built: Built) -> None:
    main = main_of(client.get(f"{DOTS}/features/billing%2Frefund").text)
    base = f"/projects/{built.dots_id}/features/billing%2Frefund/scenarios"
    for name in ("..", "."):
        record = built.ids[f"scenario:billing/refund/{name}"]
        assert f'href="{base}/{record}"' in main  # "%2E%2E" would lead a browser to the feature's folder
        page = client.get(f"{base}/{record}")
        assert page.status_code == 200 and f'<bdi class="id">billing/refund/{name}</bdi>' in page.text
        assert _alternate(page.text) == f"{API}/scenarios/{record}?project=%2E%2E"
        twin = client.get(_alternate(page.text))
        assert twin.status_code == 200 and twin.json()["number"] == name
        trace = client.get(f"{API}/projects/{built.dots_id}/trace/scenario:{record}", params={"depth": 0})
        assert trace.status_code == 200 and trace.json()["root"] == f"scenario:billing/refund/{name}"
        assert f'href="{API}/projects/{built.dots_id}/trace/scenario:{record}"' in page.text


def test_a_dot_feature_and_contract_are_linked_by_uuid_as_is_their_scenario(client: Any, built: Built) -> None:
    feature, contract = built.ids["feature:.."], built.ids["contract:.."]
    listed = main_of(client.get(f"{DOTS}/features").text)
    assert f'href="/projects/{built.dots_id}/features/{feature}"' in listed
    page = client.get(f"/projects/{built.dots_id}/features/{feature}")
    assert page.status_code == 200 and _alternate(page.text) == f"{API}/features/{feature}?project=%2E%2E"
    scenario = built.ids["scenario:../."]
    assert f'href="/projects/{built.dots_id}/features/{feature}/scenarios/{scenario}"' in page.text
    # Either number may be the UUID: the feature's under the scenario's number, the scenario's under "..".
    for path in (f"{feature}/scenarios/%2E", f"%2E%2E/scenarios/{scenario}"):
        assert client.get(f"/projects/{built.dots_id}/features/{path}").status_code == 200, path
    other = built.ids["scenario:billing/refund/."]  # a scenario of another feature is not this feature's
    assert client.get(f"/projects/{built.dots_id}/features/{feature}/scenarios/{other}").status_code == 404
    assert f'href="/projects/{built.dots_id}/contracts/{contract}"' in main_of(client.get(f"{DOTS}/contracts").text)
    assert client.get(f"/projects/{built.dots_id}/contracts/{contract}").status_code == 200


# ------------------------------------------------------------------------------------- B: several statuses


@pytest.mark.parametrize("query", ["status=accepted,proposed", "status=accepted&status=proposed",
                                   "status=accepted%2C%20proposed", "status=accepted,&status=proposed,accepted"])
def test_a_list_page_takes_several_statuses_as_its_json_twin_does(client: Any, query: str) -> None:
    page = client.get(f"{PLAIN}/adrs?{query}")
    assert page.status_code == 200, page.text[-600:]
    main = main_of(page.text)
    want = STATUSES["accepted"] + STATUSES["proposed"]
    assert f"{want} ADRs with status accepted or proposed." in main
    assert len(re.findall(r"<tr(?: class=\"deleted\")?>\s*<td><a ", main)) == want
    for status, count in STATUSES.items():  # the filter shows every chosen status, and only those
        selected = " selected" if status in ("accepted", "proposed") else ""
        assert f'<option value="{status}"{selected}>{status} ({count})</option>' in main
    assert '<select id="f-status" name="status" multiple' in main
    twin = _alternate(page.text)
    assert twin == f"{API}/projects/plain/adrs?status=accepted&status=proposed"
    api = client.get(f"{twin}&count=true")
    assert api.status_code == 200 and api.json()["total"] == want
    raw = client.get(f"{API}/projects/plain/adrs?{query}&count=true")
    if ",&" in query:  # the page's form reads an empty item as none; the API refuses it, as the CLI does
        assert raw.status_code == 400 and raw.json()["empty"] == "status", raw.text
    else:
        assert raw.json()["total"] == want


def test_one_status_is_shown_as_before_and_a_bad_one_in_a_list_is_a_400_page(client: Any) -> None:
    main = main_of(client.get(f"{PLAIN}/adrs?status=proposed").text)
    assert "2 ADRs with status proposed." in main
    assert '<select id="f-status" name="status">' in main
    assert '<option value="proposed" selected>proposed (2)</option>' in main
    for query in ("status=accepted,bogus", "status=accepted&status=bogus"):
        bad = client.get(f"{PLAIN}/adrs?{query}")
        assert bad.status_code == 400 and "status &#39;bogus&#39;: not a status of adrs" in bad.text
    too_long = client.get(f"{PLAIN}/adrs", params={"status": ",".join(["accepted"] * 400)})
    assert too_long.status_code == 400 and "the filters are too long" in too_long.text


def test_the_sign_in_redirect_comes_back_to_the_dot_project_page(built: Built) -> None:
    token = make_token(built.url, "read")
    for client in client_for(built.url, read_token_required=True):
        r = client.get(f"{DOTS}/adrs?status=accepted", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=%2Fprojects%2F%252E%252E%2Fadrs%3Fstatus%3Daccepted"
        ok = client.post("/login", data={"token": token, "next": f"{DOTS}/adrs?status=accepted"},
                         follow_redirects=False)
        assert ok.status_code == 303 and ok.headers["location"] == f"{DOTS}/adrs?status=accepted"
        assert not _dot_segments(urljoin(str(ok.url), ok.headers["location"]))
        page = client.get(ok.headers["location"])
        assert page.status_code == 200 and "3 ADRs with status accepted." in main_of(page.text)


def test_the_sign_in_page_reads_as_sentences(built: Built) -> None:
    """Its first two sentences ran together ("requires a token to read.Paste"): the template's block tag ate the
    line break between them."""
    for client in client_for(built.url, read_token_required=True):
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main_of(client.get("/login").text))).split())
        assert "This server requires a token to read. Paste a token from" in text, text
