"""Every page of the web view in-process (FastAPI's TestClient) on SQLite and PostgreSQL: status, key content, the
JSON twin, landmarks, escaping of hostile titles, HTML error pages, and the sign-in cookie."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from markupsafe import escape
from webproject import EDITED_WORDS, HOSTILE_TITLE, Built
from webfixtures import client_for, main_of, site  # noqa: F401 - site is a fixture

from apikit import make_token
from conftest import GitRepo
from sample import sync_sample
from served import serve

API = "/api/v1"
P = "/projects/sample"
# Twins that another branch (trace2) adds to the API: the pages must link exactly these URLs.
TRACE2_TWINS = ("/matrix", "/coverage", "/links", "/trace/")

PAGES = [
    "/", P, f"{P}/adrs", f"{P}/adrs?status=accepted&q=ledger", f"{P}/contracts", f"{P}/features",
    f"{P}/adrs/ADR-0006", f"{P}/adrs/ADR-0003", f"{P}/contracts/CTR-0001", f"{P}/features/FEAT-1",
    f"{P}/features/FEAT-1/scenarios/SC-2", f"{P}/matrix", f"{P}/matrix?from=adrs", "/search?q=idempotency",
]


@pytest.fixture
def client(site: tuple[str, Built]) -> Iterator[Any]:  # noqa: F811
    yield from client_for(site[0])


def _alternate(page: str) -> str:
    found = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)">', page)
    assert found, "no JSON twin link"
    return html.unescape(found.group(1))


@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders_with_landmarks_and_a_json_twin(client: Any, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert page.startswith("<!doctype html>") and '<html lang="en">' in page
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in page, landmark
    assert '<a class="skip" href="#main">' in page
    twin = _alternate(page)
    assert f'<a href="{html.escape(twin)}" type="application/json">JSON</a>' in page, "no visible JSON link"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "private, no-cache" and r.headers["x-content-type-options"] == "nosniff"
    if any(part in twin for part in TRACE2_TWINS) and not _traceability_api(client):
        return  # the trace2 branch adds these routes; until it lands test_trace_twins_are_linked checks the URLs
    j = client.get(twin)
    assert j.status_code == 200 and j.headers["content-type"] == "application/json", (twin, j.text[:300])


def _traceability_api(client: Any) -> bool:
    return any(getattr(r, "path", "").endswith("/trace/{ident:path}") for r in client.app.routes)


def test_trace_twins_are_linked_exactly(client: Any) -> None:
    project = client.get(P).text
    for twin in (f"{API}/projects/sample/coverage", f"{API}/projects/sample/links?suspect=true",
                 f"{API}/projects/sample/matrix?from=requirements"):
        assert f'href="{twin}"' in project, twin
    assert _alternate(client.get(f"{P}/matrix?from=adrs").text) == f"{API}/projects/sample/matrix?from=adrs"
    assert _alternate(client.get(f"{P}/matrix").text) == f"{API}/projects/sample/matrix?from=requirements"
    # The trace's id says its kind: an id alone may name records of two kinds (test_every_link_leads_somewhere).
    assert f'href="{API}/projects/sample/trace/adr:ADR-0006"' in client.get(f"{P}/adrs/ADR-0006").text
    assert f'href="{API}/projects/sample/trace/contract:CTR-0001"' in client.get(f"{P}/contracts/CTR-0001").text
    assert f'href="{API}/projects/sample/trace/feature:FEAT-1"' in client.get(f"{P}/features/FEAT-1").text
    assert (f'href="{API}/projects/sample/trace/scenario:FEAT-1/SC-2"'
            in client.get(f"{P}/features/FEAT-1/scenarios/SC-2").text)
    if _traceability_api(client):  # once the API serves them, every linked twin answers JSON
        for twin in (f"{API}/projects/sample/coverage", f"{API}/projects/sample/links?suspect=true",
                     f"{API}/projects/sample/trace/adr:ADR-0006", f"{API}/projects/sample/trace/contract:CTR-0001",
                     f"{API}/projects/sample/trace/feature:FEAT-1",
                     f"{API}/projects/sample/trace/scenario:FEAT-1/SC-2"):
            r = client.get(twin)
            assert r.status_code == 200 and r.headers["content-type"] == "application/json", (twin, r.text[:300])


def test_dashboard_counts_last_sync_suspect_links_and_coverage(client: Any, site: tuple[str, Built]) -> None:  # noqa: F811
    main = main_of(client.get("/").text)
    assert f'<a href="{P}">sample</a>' in main
    assert re.search(rf'<dt>adrs</dt><dd><a href="{P}/adrs">9<span class="vh"> adrs</span></a>', main)  # 8 sample ADRs + the hostile one
    assert re.search(rf'<dt>scenarios</dt><dd><a href="{P}/scenarios">16<span class="vh"> scenarios</span></a>', main)
    assert re.search(r"<dt>files in error</dt><dd>0</dd>", main)
    suspect = int(re.search(r"<dt>suspect links</dt><dd>(\d+)</dd>", main).group(1))  # type: ignore[union-attr]
    assert suspect > 0, "ADR-0006 changed after the specs linking to it were reviewed"
    assert site[1].second[:12] in main  # last synced commit
    assert "failing" in main and "not executed" in main
    project = main_of(client.get(P).text)
    assert "FEAT-3" in project and "tracertm review" in project  # the suspect links themselves


def test_adr_list_filters_by_status_and_words_and_pages_with_a_cursor(client: Any, monkeypatch: Any) -> None:
    main = main_of(client.get(f"{P}/adrs?status=superseded").text)
    assert "ADR-0003" in main and "ADR-0006" not in main
    assert '<option value="superseded" selected>superseded (1)</option>' in main
    assert '<label for="f-status">Status</label>' in main and '<label for="f-q">Words</label>' in main
    main = main_of(client.get(f"{P}/adrs", params={"q": "kafka"}).text)
    assert "ADR-0002" in main and "ADR-0005" in main and "ADR-0001" not in main
    assert 'value="kafka"' in main
    both = main_of(client.get(f"{P}/adrs", params={"q": "kafka", "status": "accepted"}).text)
    assert "2 ADRs with status accepted matching “<bdi>kafka</bdi>”" in both
    bad = client.get(f"{P}/adrs?status=bogus")
    assert bad.status_code == 400 and "not a status of adrs" in bad.text

    from tracertm.web import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 4)
    seen: list[str] = []
    url: str | None = f"{P}/adrs"
    while url:
        page = client.get(url).text
        shown = re.findall(r'<td><a href="/projects/sample/adrs/(ADR-\d+)">', page)
        seen += shown
        # Its JSON twin lists this very page's records (a later page's twin carries its cursor), not page 1's.
        twin = [item["adr_number"] for item in client.get(_alternate(page)).json()["items"]]
        assert twin[:len(shown)] == shown, (url, _alternate(page))
        found = re.search(r'<a rel="next" href="([^"]+)">', page)
        url = html.unescape(found.group(1)) if found else None
    assert seen == [f"ADR-{n:04d}" for n in range(1, 10)]


def test_a_cursor_sent_with_other_filters_gives_a_page_that_describes_the_cursors_query(client: Any,
                                                                                        monkeypatch: Any) -> None:
    # The rows follow the cursor's query (other filters are ignored next to it); the page said "2 ADRs with status
    # superseded matching “zzz”" above them, selected "superseded" and sent it on in its Next link.
    from tracertm.web import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 4)
    first = client.get(f"{P}/adrs").text
    cursor = html.unescape(re.findall(r'<a rel="next" href="[^"]*cursor=([^"&]+)', first)[0])
    alone = main_of(client.get(f"{P}/adrs", params={"cursor": cursor}).text)
    mixed = client.get(f"{P}/adrs", params={"cursor": cursor, "status": "superseded", "q": "zzz"})
    assert mixed.status_code == 200 and main_of(mixed.text) == alone
    assert "9 ADRs." in alone and 'value="superseded" selected' not in alone and 'value=""' in alone
    assert re.findall(r'<a rel="next" href="([^"]+)">', alone) == [f"{P}/adrs?cursor=" + re.findall(
        r'<a rel="next" href="[^"]*cursor=([^"&]+)', alone)[0]]
    # A filtered list's cursor keeps its filter whatever is sent beside it.
    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    kafka = client.get(f"{P}/adrs", params={"q": "kafka"}).text
    cursor = html.unescape(re.findall(r'<a rel="next" href="[^"]*cursor=([^"&]+)', kafka)[0])
    second = main_of(client.get(f"{P}/adrs", params={"cursor": cursor, "q": "ledger", "status": "draft"}).text)
    assert "2 ADRs matching “<bdi>kafka</bdi>”." in second and 'value="kafka"' in second
    assert "ADR-0005" in second and '<option value="" selected>any</option>' in second


def test_a_later_links_page_names_its_own_json_twin(client: Any, monkeypatch: Any) -> None:
    from tracertm.web import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    for url in (f"{P}/links", f"{P}/links?state=suspect"):
        pages_seen = 0
        while url:
            page = client.get(url).text
            shown = [int(n) for n in re.findall(r'<tr class="link-\w+">\s*<td>(\d+)</td>', page)]
            assert shown, url
            twin = client.get(_alternate(page)).json()
            assert [item["id"] for item in twin["items"]][:len(shown)] == shown, (url, _alternate(page))
            found = re.search(r'<a rel="next" href="([^"]+)">', page)
            url = html.unescape(found.group(1)) if found else None
            pages_seen += 1
        assert pages_seen > 1


def test_a_links_cursor_sent_with_another_state_gives_a_page_of_the_cursors_state(client: Any,
                                                                                  monkeypatch: Any) -> None:
    from tracertm.web import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    first = client.get(f"{P}/links").text
    cursor = html.unescape(re.findall(r'<a rel="next" href="[^"]*cursor=([^"&]+)', first)[0])
    alone = main_of(client.get(f"{P}/links", params={"cursor": cursor}).text)
    mixed = main_of(client.get(f"{P}/links", params={"cursor": cursor, "state": "dangling"}).text)
    assert mixed == alone and "<strong>all (" in alone and "links dangling" not in alone


def test_adr_page_fields_supersede_chain_and_history_timeline(client: Any, site: tuple[str, Built]) -> None:  # noqa: F811
    built = site[1]
    main = main_of(client.get(f"{P}/adrs/ADR-0006").text)
    assert "Event-sourced ledger on PostgreSQL" in main
    chain = main.split('aria-label="Supersede chain"', 1)[1].split("</nav>", 1)[0]
    title = "<bdi>Use PostgreSQL for the ledger</bdi>"
    assert f'<a href="{P}/adrs/ADR-0003"><bdi>ADR-0003</bdi> {title}</a>' in chain
    assert chain.index("ADR-0003") < chain.index('aria-current="page"')
    timeline = main.split('<ol class="timeline"', 1)[1].split("</ol>", 1)[0]
    entries = re.findall(r"<strong>v(\d+) (\w+)</strong>", timeline)
    assert entries == [("3", "annotated"), ("2", "updated"), ("1", "created")]
    v3, v2, v1 = timeline.split("<li>")[1:]
    assert "api:carol" in v3 and "<dt>approved by</dt>" in v3 and "Carol Architect</ins>" in v3
    assert "Bo Reviewer" in v2 and built.second[:12] in v2 and "2026-11-15 10:00 UTC" in v2
    assert "<dt>decision</dt>" in v2 and EDITED_WORDS in v2.split("<ins>", 1)[1]
    assert "Ada Author" in v1 and built.first[:12] in v1 and "<dd>" not in v1
    assert "<th scope=\"row\">approved by</th><td dir=\"auto\">Carol Architect</td>" in main  # database-owned field
    older = main_of(client.get(f"{P}/adrs/ADR-3").text)  # ids are normalised like the CLI's
    title = "<bdi>Event-sourced ledger on PostgreSQL</bdi>"
    assert f'<a href="{P}/adrs/ADR-0006"><bdi>ADR-0006</bdi> {title}</a>' in older


def test_contract_feature_and_scenario_pages(client: Any) -> None:
    contract = main_of(client.get(f"{P}/contracts/CTR-0001").text)
    assert "CTR-0001" in contract and "contracts/payment-service.yaml" in contract
    assert f'<a href="{P}/adrs/ADR-0005">ADR-0005</a>' in contract  # its link to the ADR it implements

    feature = main_of(client.get(f"{P}/features/FEAT-1").text)
    assert "Pay with a card" in feature
    for number in ("SC-1", "SC-2", "SC-3"):
        assert f'href="{P}/features/FEAT-1/scenarios/{number}"' in feature
    assert "features/step_definitions/pay.js:5" in feature  # the definition "the shopper pays" matched
    assert "s-undefined" in feature  # steps no definition matches
    assert 's-passed">passed</span>' in feature and 's-failed">failed</span>' in feature
    assert "ci-42" in feature

    scenario = main_of(client.get(f"{P}/features/FEAT-1/scenarios/SC-2").text)
    assert "Retrying with the same idempotency key" in scenario
    assert "second authorization sent" in scenario and "ci-42" in scenario
    assert f'<a href="{P}/features/FEAT-1"><bdi>FEAT-1</bdi> <bdi>Pay with a card</bdi></a>' in scenario


def test_matrix_and_search(client: Any) -> None:
    reqs = main_of(client.get(f"{P}/matrix").text)
    assert "REQ-102" in reqs and f'href="{P}/features/FEAT-1/scenarios/SC-2"' in reqs
    assert "s-failing" in reqs
    adrs = main_of(client.get(f"{P}/matrix?from=adrs").text)
    assert f'<a href="{P}/adrs/ADR-0006">ADR-0006</a>' in adrs
    bad = client.get(f"{P}/matrix?from=nothing")
    assert bad.status_code == 400 and "use requirements or adrs" in bad.text

    found = main_of(client.get("/search", params={"q": "idempotency", "project": "sample"}).text)
    assert "<mark>" in found.lower() and f'href="{P}/adrs/ADR-0005"' in found
    assert '<label for="s-q">Words</label>' in found
    empty = client.get("/search")
    assert empty.status_code == 200 and "result" not in main_of(empty.text)
    scoped = client.get("/search", params={"q": "ledger", "kind": "contracts"})
    main = main_of(scoped.text)
    assert scoped.status_code == 200 and "/contracts/" in main and "/adrs/" not in main


@pytest.mark.parametrize("url", [f"{P}/adrs", f"{P}/adrs/ADR-0009", "/search?q=bold", f"{P}/adrs?q=bold"])
def test_hostile_titles_and_text_are_escaped(client: Any, url: str) -> None:
    page = client.get(url).text
    assert HOSTILE_TITLE not in page and "<script>" not in page and "<img" not in page
    assert "<b>" not in page
    assert str(escape(HOSTILE_TITLE)) in page  # shown, as text


def test_error_pages_are_html_with_the_one_line_message(client: Any) -> None:
    for url, status, message in [
        (f"{P}/adrs/ADR-9999", 404, "ADR-9999: no adr with this id in project sample"),
        ("/projects/nope", 404, "project nope: no such project in the database; known projects: sample"),
        (f"{P}/features/FEAT-1/scenarios/SC-99", 404, "no scenario with this id"),
        (f"{P}/widgets", 404, "lists are adrs, contracts, features"),
        ("/no/such/page", 404, "/no/such/page: no such page"),
        ("/search?q=" + "x" * 600, 400, "q:"),
    ]:
        r = client.get(url)
        assert r.status_code == status, (url, r.text[:300])
        assert r.headers["content-type"].startswith("text/html") and "Traceback" not in r.text
        assert message in html.unescape(r.text), (url, r.text)
    api = client.get(f"{API}/nothing-here")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "--link" in css.text


def test_pages_need_the_token_when_reads_do_and_a_browser_signs_in_with_a_cookie(site: tuple[str, Built]) -> None:  # noqa: F811
    token = make_token(site[0], "read")
    for client in client_for(site[0], read_token_required=True):
        r = client.get(f"{P}/adrs?status=accepted", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fprojects%2Fsample%2Fadrs%3Fstatus%3Daccepted"
        form = client.get("/login?next=/projects/sample").text
        assert '<label for="l-token">API token</label>' in form and 'type="password"' in form

        bad = client.post("/login", data={"token": "trtm_nope", "next": "/"}, follow_redirects=False)
        assert bad.status_code == 401 and "unknown or revoked token" in bad.text and "set-cookie" not in bad.headers
        hostile = client.post("/login", data={"token": token}, headers={"Origin": "https://evil.example"},
                              follow_redirects=False)
        assert hostile.status_code == 403 and "set-cookie" not in hostile.headers
        ok = client.post("/login", data={"token": token, "next": "//evil.example/x"}, follow_redirects=False)
        assert ok.status_code == 303 and ok.headers["location"] == "/"  # never an open redirect
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        assert client.get(f"{P}/adrs").status_code == 200  # the cookie jar carries it
        assert "Sign out" in client.get("/").text
        api = client.get(f"{API}/projects")  # the API still wants the header, never the cookie
        assert api.status_code == 401

        out = client.post("/logout", follow_redirects=False)
        assert out.status_code == 303 and 'tracertm_token=""' in out.headers["set-cookie"]
        client.cookies.clear()
        assert client.get("/", follow_redirects=False).status_code == 303
        bearer = client.get("/", headers={"Authorization": f"Bearer {token}"})
        assert bearer.status_code == 200  # scripts may use the header, as with the API
        # A script's unknown token is the API's 401 and challenge, not a redirect to a form it cannot fill in.
        wrong = client.get(f"{P}/adrs", headers={"Authorization": "Bearer trtm_nope"}, follow_redirects=False)
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == 'Bearer realm="tracertm"'
        assert "unknown or revoked token" in wrong.text and "location" not in wrong.headers
        basic = client.get(f"{P}/adrs", headers={"Authorization": "Basic dTpw"}, follow_redirects=False)
        assert basic.status_code == 303  # a proxy's Basic sign-in is ignored: a browser goes to /login

    for client in client_for(site[0]):  # open reads: a revoked cookie is dropped, not an error page
        client.cookies.set("tracertm_token", "trtm_revoked")
        r = client.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert 'tracertm_token=""' in r.headers["set-cookie"]


def test_an_empty_database_says_what_to_do(database_url: str) -> None:
    for client in client_for(database_url):
        main = main_of(client.get("/").text)
        assert "no project yet" in main and "tracertm sync PATH" in main
        r = client.get("/projects/sample/adrs")
        assert r.status_code == 404 and "known projects: none" in r.text


def test_a_bug_is_an_html_500_page_without_a_traceback(client: Any, monkeypatch: Any, caplog: Any) -> None:
    from tracertm.web import pages

    def broken(session: Any, after: str | None = None) -> Any:
        raise RuntimeError("boom in the dashboard")

    monkeypatch.setattr(pages, "dashboard", broken)
    r = client.get("/")
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert "the server log has the details" in r.text and "boom" not in r.text and "Traceback" not in r.text
    assert "boom in the dashboard" in caplog.text


def _metadata_under(page: str, caption: str) -> dict[str, Any] | None:
    """The ``metadata`` row of a record page's field table captioned ``caption``, as JSON (None: no such row)."""
    table = re.search(rf"<caption>{re.escape(caption)}</caption>(.*?)</table>", main_of(page), re.DOTALL)
    row = re.search(r'<th scope="row">metadata</th><td dir="auto">(.*?)</td>', table.group(1)) if table else None
    return json.loads(html.unescape(row.group(1))) if row else None


def test_metadata_keys_show_under_their_owners(git_repo: GitRepo, database_url: str, tmp_path: Path) -> None:
    """A record page shows the metadata keys its file sets under "From the file" and those set through the API
    under "From the database", as a PATCH decides who owns a key. Every key used to be under "From the file"."""
    sync_sample(git_repo, database_url)
    headers = {"Authorization": f"Bearer {make_token(database_url)}", "If-Match": "*"}
    git, ours = "From the file (git owns these)", "From the database (set through the API)"
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base:
        for record, page in (("contracts/CTR-0002", "contracts/CTR-0002"), ("adrs/ADR-0001", "adrs/ADR-0001")):
            before = httpx.get(f"{base}{P}/{page}", timeout=30).text
            assert _metadata_under(before, git) and _metadata_under(before, ours) is None, record
            r = httpx.patch(f"{base}{API}/{record}?project=sample", json={"metadata": {"note": "kept"}},
                            headers=headers, timeout=30)
            assert r.status_code == 200, r.text
            after = httpx.get(f"{base}{P}/{page}", timeout=30).text
            files = _metadata_under(after, git)
            assert files == _metadata_under(before, git) and "note" not in files, (record, files)
            assert {*files, "note"} == set(r.json()["metadata"]), record
            assert _metadata_under(after, ours) == {"note": "kept"}, record


def test_last_sync_is_the_good_one_and_a_later_failed_run_is_named_apart(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard and the project page: the last good sync's time and commit with its own trigger and status,
    then the failed run after it. Before: "Last sync: <the good sync> at commit <its commit> (cli, failed)."."""
    from apikit import api_client
    from test_status_every_finding import failed_sync_after_a_good_one

    from tracertm.web.render import when

    url = f"sqlite:///{tmp_path / 'pages.db'}"
    good = failed_sync_after_a_good_one(git_repo, url, monkeypatch)
    with api_client(url) as client:
        info = client.get(f"/api/v1/projects/{git_repo.path.name}/status").json()
        said = (f"<p>Last sync: {when(info['last_synced_at'])} at commit <code>{good[:12]}</code> (cli, ok). "
                f"Newest run: {when(info['last_run']['started_at'])} (cli, failed).</p>")
        for page in ("/", f"/projects/{git_repo.path.name}"):
            answer = client.get(page)
            assert answer.status_code == 200 and said in answer.text, (said, answer.text)
