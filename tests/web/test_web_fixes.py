"""Web view defects fixed: pages of untagged features and of scenarios whose numbers hold slashes, links of a
project whose name another project's name extends with a route word (by UUID), the history timeline's dates and
long fields, the search page's total and next page, the project page's "… and N more" links, and the 400 page of
a search of only spaces. In-process (FastAPI's TestClient) on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from webfixtures import client_for, main_of, module_database
from webproject import new_repo

from conftest import GitRepo

P = "/projects/plain"
LONG = " ".join(f"word{i}" for i in range(900))  # about 7,000 characters: the change is past the first 4,000
SUSPECT = 55  # features linking ADR-0001 (suspect once it changes) and ADR-0999 (dangling): more than the 50 shown
ZEBRAS = 12  # ADRs matching "zebra"


@dataclass
class Fixes:
    url: str
    team_id: str
    team_adrs_id: str


def _adr(number: int, title: str, context: str) -> str:
    return f"# {number}. {title}\n\nDate: 2024-01-01\n\n## Status\n\nAccepted\n\n## Context\n\n{context}\n"


def _commit(repo: GitRepo, message: str, authored: str, committed: str) -> None:
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", message, env={"GIT_AUTHOR_DATE": authored, "GIT_COMMITTER_DATE": committed})


def _build(work: Path, url: str) -> Fixes:
    import tracertm
    from tracertm import db
    from tracertm.repositories import Projects

    def sync(repo: GitRepo, project: str) -> None:
        result = tracertm.sync(repo.path, database_url=url, project=project, ref="HEAD")
        assert not result.errors, result.errors

    plain = new_repo(work / "plain")
    plain.write("docs/adr/0001-one.md", _adr(1, "One", f"{LONG} END-OLD"))
    for n in range(2, 2 + ZEBRAS):
        plain.write(f"docs/adr/{n:04d}-zebra.md", _adr(n, f"Zebra crossing {n}", "The zebra rule."))
    plain.write("features/billing/refund.feature", (  # untagged: feature billing/refund
        "Feature: Refunds\n  @SC-1\n  Scenario: full refund\n    Given a paid order\n\n"
        "  @REQ-2\n  Scenario: Refund to card/wallet\n    Given a paid order\n"))
    plain.write("features/pay.feature", (
        "@FEAT-1 @REQ-1\nFeature: Pay\n  Scenario: Pay by card/debit\n    Given a paid order\n"
        "  Scenario: Pay 100% #1 ?now\n    Given a paid order\n"))
    plain.write("features/a/scenarios/b.feature",  # untagged: feature a/scenarios/b
                "Feature: Nested\n  @SC-1\n  Scenario: nested one\n    Given a paid order\n")
    for i in range(10, 10 + SUSPECT):
        plain.write(f"features/f{i}.feature", f"@FEAT-{i} @ADR-1 @ADR-999\nFeature: f{i}\n  @SC-1\n  Scenario: s\n"
                                              "    Given x\n")
    _commit(plain, "one", "2020-01-02T03:04:05+00:00", "2024-06-07T08:09:10+00:00")
    sync(plain, "plain")
    plain.write("docs/adr/0001-one.md", _adr(1, "One", f"{LONG} END-NEW"))
    _commit(plain, "two", "2021-01-02T03:04:05+00:00", "2024-06-08T08:09:10+00:00")
    sync(plain, "plain")

    for name, count in (("team", 7), ("team/adrs", 1)):
        repo = new_repo(work / name.replace("/", "-"))
        for n in range(1, count + 1):
            repo.write(f"docs/adr/{n:04d}-d.md", _adr(n, f"{name} decision {n}", "Team things."))
        repo.commit("init")
        sync(repo, name)

    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            ids = {name: str(Projects(session).get(name).id) for name in ("team", "team/adrs")}
    finally:
        engine.dispose()
    return Fixes(url, ids["team"], ids["team/adrs"])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fixes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fixes]:
    with module_database(request, tmp_path_factory, "fixes") as (work, url):
        yield _build(work, url)


@pytest.fixture(scope="module")
def client(fixes: Fixes) -> Iterator[Any]:
    """One client of the app for the module: the tests only read through it."""
    yield from client_for(fixes.url)


def _hrefs(page: str, start: str = "/projects/") -> list[str]:
    return sorted({html.unescape(h) for h in re.findall(r'href="([^"]+)"', main_of(page)) if h.startswith(start)})


def _h1(client: Any, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[-600:])
    found = re.search(r"<h1[^>]*>(.*?)</h1>", r.text, re.S)
    assert found, url
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


# ------------------------------------------------------------------------------- 1, 2: numbers with slashes


def test_an_untagged_feature_and_its_scenarios_have_pages_encoded_or_not(client: Any) -> None:
    listed = _hrefs(client.get(f"{P}/features", params={"q": "refunds OR nested"}).text)
    assert f"{P}/features/billing%2Frefund" in listed and f"{P}/features/a%2Fscenarios%2Fb" in listed
    for url in (f"{P}/features/billing%2Frefund", f"{P}/features/billing/refund"):
        assert _h1(client, url) == "billing/refund Refunds", url
    feature = client.get(f"{P}/features/billing%2Frefund").text
    assert f'href="{P}/features/billing%2Frefund/scenarios/SC-1"' in feature
    assert f'href="{P}/features/billing%2Frefund/scenarios/Refund%20to%20card%2Fwallet"' in feature
    for url in (f"{P}/features/billing%2Frefund/scenarios/SC-1", f"{P}/features/billing/refund/scenarios/SC-1"):
        assert _h1(client, url) == "billing/refund/SC-1 full refund", url
    # A feature number holding the route word: its encoded link is its page; typed plainly, too.
    for url in (f"{P}/features/a%2Fscenarios%2Fb", f"{P}/features/a/scenarios/b"):
        assert _h1(client, url) == "a/scenarios/b Nested", url
    assert _h1(client, f"{P}/features/a%2Fscenarios%2Fb/scenarios/SC-1") == "a/scenarios/b/SC-1 nested one"
    missing = client.get(f"{P}/features/billing%2Fnope")
    assert missing.status_code == 404 and "billing/nope: no feature with this id" in html.unescape(missing.text)


def test_a_scenario_name_with_a_slash_is_linked_whole_and_its_encoded_url_works(client: Any) -> None:
    exact = f"{P}/features/FEAT-1/scenarios/Pay%20by%20card%2Fdebit"
    assert _h1(client, exact) == "FEAT-1/Pay by card/debit Pay by card/debit"
    assert exact in _hrefs(client.get(f"{P}/features/FEAT-1").text)
    assert exact in _hrefs(client.get(f"{P}/matrix").text)
    assert exact in _hrefs(client.get("/search", params={"q": "pay", "project": "plain"}).text)
    # billing/refund/Refund to card/wallet (three slashes) in the matrix: linked as the feature and scenario it is
    wallet = f"{P}/features/billing%2Frefund/scenarios/Refund%20to%20card%2Fwallet"
    assert wallet in _hrefs(client.get(f"{P}/matrix").text)
    assert _h1(client, wallet) == "billing/refund/Refund to card/wallet Refund to card/wallet"


def test_every_record_link_of_the_lists_matrix_search_and_feature_pages_answers(client: Any) -> None:
    pages = [f"{P}/features", f"{P}/features?q=refunds+OR+nested", f"{P}/matrix", f"{P}/matrix?from=adrs",
             f"{P}/features/FEAT-1", f"{P}/features/billing%2Frefund",
             "/search?q=pay+OR+refund+OR+nested&project=plain"]
    seen: set[str] = set()
    for page in pages:
        r = client.get(page)
        assert r.status_code == 200, page
        seen.update(h for h in _hrefs(r.text) if "/features/" in h or "/adrs/" in h)
    assert len(seen) > 50
    for url in sorted(seen):
        assert client.get(url).status_code == 200, url


# ------------------------------------------------------------------------- 3: a name extended by a route word


def test_a_project_whose_name_plus_a_route_word_is_another_project_links_by_uuid(
        client: Any, fixes: Fixes, monkeypatch: Any) -> None:
    from tracertm.web import pages

    team = f"/projects/{fixes.team_id}"
    for url in (team, f"{team}/adrs", f"{team}/adrs/ADR-0001", f"{team}/matrix", f"{team}/links"):
        page = client.get(url).text
        assert "/projects/team/" not in page and 'href="/projects/team"' not in page, url
    dashboard = client.get("/").text  # team/adrs's own links are there, none of team's by its name
    for link in ("/projects/team", "/projects/team/contracts", "/projects/team/matrix"):
        assert f'href="{link}"' not in dashboard and f'href="{link}?' not in dashboard, link
    project = client.get(team).text
    assert f'<a href="{team}/adrs">7<span class="vh"> adrs</span></a>' in project
    assert f'href="/api/v1/projects/{fixes.team_id}/coverage"' in project
    assert f'<a href="{team}/adrs" aria-current="page">ADRs</a>' in client.get(f"{team}/adrs").text
    assert f'href="{team}"' in client.get("/").text  # the dashboard too
    assert f'href="{team}/adrs/ADR-0002"' in client.get("/search", params={"q": "team"}).text

    monkeypatch.setattr(pages, "PAGE_SIZE", 3)  # the list's Next link stays on team's list
    seen: list[str] = []
    url: str | None = f"{team}/adrs"
    while url:
        page = client.get(url).text
        assert "<h1>ADRs</h1>" in page
        assert f'action="{team}/adrs"' in page
        seen += re.findall(r'<td><a href="[^"]+/adrs/(ADR-\d+)">', page)
        found = re.search(r'<a rel="next" href="([^"]+)">', page)
        url = html.unescape(found.group(1)) if found else None
        assert url is None or url.startswith(f"{team}/adrs?")
    assert seen == [f"ADR-{n:04d}" for n in range(1, 8)]

    # team/adrs itself is named: nothing extends its name; plain keeps its name too
    other = client.get("/projects/team/adrs").text
    assert "<h1>team/adrs</h1>" in other and 'href="/projects/team/adrs/adrs"' in other
    assert f'href="{P}/adrs"' in client.get(P).text


# --------------------------------------------------------------------------------------- 4: history timeline


def test_the_timeline_dates_by_author_date_and_shows_a_change_past_4000_characters(client: Any) -> None:
    main = main_of(client.get(f"{P}/adrs/ADR-0001").text)
    timeline = main.split('<ol class="timeline"', 1)[1].split("</ol>", 1)[0]
    v2, v1 = timeline.split("<li>")[1:3]
    assert re.search(r'authored <time datetime="2021-01-02T03:04:05\+00:00">2021-01-02 03:04 UTC</time>', v2)
    assert "(committed <time" in v2 and "2024-06-08 08:09 UTC" in v2
    assert "authored" in v1 and "2020-01-02 03:04 UTC" in v1 and "2024-06-07 08:09 UTC" in v1
    assert "<dt>context</dt>" in v2
    assert re.search(r"<del>(<span[^>]*>[^<]*</span>)?END-OLD</del>", v2)
    assert re.search(r"<ins>(<span[^>]*>[^<]*</span>)?END-NEW</ins>", v2)


def test_timeline_compares_whole_values_and_says_when_it_cut_a_change() -> None:
    import datetime as dt
    from types import SimpleNamespace

    from tracertm.web.timeline import MAX_TEXT, timeline

    def rev(version: int, context: str) -> Any:
        return SimpleNamespace(
            version=version, change="created" if version == 1 else "updated", snapshot={"context": context},
            source_path="docs/adr/1.md", changed_fields=None, author_name="Ada", author_email=None, actor=None,
            commit_sha=f"{version:040x}", authored_at=dt.datetime(2020, 1, version, tzinfo=dt.timezone.utc),
            committed_at=dt.datetime(2024, 1, version, tzinfo=dt.timezone.utc), created_at=None)

    head = "x" * (MAX_TEXT + 10)
    entries = timeline([rev(1, head + " old"), rev(2, head + " new"), rev(3, head + " new " + "y" * 2 * MAX_TEXT)])
    v3, v2 = entries[0], entries[1]
    (change,) = v2.changes
    assert [(s.op, s.text) for s in change.segments if s.op != "same"] == [("removed", "old"), ("added", "new")]
    assert change.clipped == 0
    assert v2.when == dt.datetime(2020, 1, 2, tzinfo=dt.timezone.utc) and v2.when_label == "authored"
    assert v2.committed == dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)
    (long_change,) = v3.changes
    added = [s.text for s in long_change.segments if s.op == "added"]
    assert len(added) == 1 and len(added[0]) == MAX_TEXT and added[0].endswith("…")
    assert long_change.clipped == MAX_TEXT


# ---------------------------------------------------------------------------------------------- 5, 7: search


def test_search_says_the_true_total_and_pages_through_every_hit(client: Any, monkeypatch: Any) -> None:
    from tracertm.web import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 5)
    first = client.get("/search", params={"q": "zebra"}).text
    assert f"{ZEBRAS} results for “<bdi>zebra</bdi>”; 1–5 shown." in first
    seen: list[str] = []
    url: str | None = "/search?q=zebra"
    while url:
        page = client.get(url).text
        assert f"{ZEBRAS} results for “<bdi>zebra</bdi>”" in page
        seen += re.findall(r'<a href="/projects/plain/adrs/(ADR-\d+)">', page)
        found = re.search(r'<a rel="next" href="([^"]+)">', page)
        url = html.unescape(found.group(1)) if found else None
    assert sorted(seen) == [f"ADR-{n:04d}" for n in range(2, 2 + ZEBRAS)]
    last = client.get("/search", params={"q": "zebra", "page": 3}).text
    assert "11–12 shown" in last and 'rel="prev" href="/search?q=zebra&amp;page=2"' in last


def test_search_past_the_ranked_best_says_so_and_links_the_lists(client: Any, monkeypatch: Any) -> None:
    from tracertm.search import engine
    from tracertm.web import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 5)
    monkeypatch.setattr(engine, "MAX_HITS", 8)
    page = client.get("/search", params={"q": "zebra", "project": "plain", "page": 2}).text
    assert f"{ZEBRAS} results for “<bdi>zebra</bdi>”; 6–8 shown." in page and 'rel="next"' not in page
    assert "Search ranks the best 8 results; 4 more match." in page
    assert f'<a href="{P}/adrs?q=zebra">{ZEBRAS} adrs</a>' in page
    beyond = client.get("/search", params={"q": "zebra", "page": 3})
    assert beyond.status_code == 400 and "search ranks the best 8 results" in html.unescape(beyond.text)


def test_a_search_page_past_the_last_that_holds_hits_says_how_many_pages_they_fill(client: Any) -> None:
    # 12 zebras fit on page 1: page 2 was an empty page of them (200, "← Previous 50"), page 3 a 400 saying the
    # ranking's 100 best made pages 1–2 and to narrow the words.
    def page_error(params: dict[str, Any]) -> tuple[int, list[str]]:
        got = client.get("/search", params=params)
        return got.status_code, re.findall(r'<p class="error" id="s-page-error">([^<]*)</p>', html.unescape(got.text))

    assert page_error({"q": "zebra", "page": 2}) == (400, ["page '2': the 12 results fit on page 1"])
    assert page_error({"q": "zebra", "page": 3}) == (400, ["page '3': the 12 results fit on page 1"])
    huge = f"page '{'9' * 20}…': the 12 results fit on page 1"
    assert page_error({"q": "zebra", "page": "9" * 5000}) == (400, [huge])
    assert page_error({"q": "okapizzz", "page": 2}) == (400, ["page '2': no record matches these words; page 1 "
                                                              "says so"])
    assert page_error({"q": "okapizzz"})[0] == 200 and page_error({"q": "zebra", "page": 1}) == (200, [])


def test_scenario_matches_past_the_ranked_best_are_in_the_scenario_list(
        git_repo: GitRepo, database_url: str, monkeypatch: Any) -> None:
    # Scenarios had no list page: past the best hits, the note linked the ADRs only, and with a project and a kind
    # chosen still said to choose them.
    import tracertm
    from tracertm.search import engine
    from tracertm.web import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 5)
    monkeypatch.setattr(engine, "MAX_HITS", 8)
    git_repo.write("features/okapi.feature", "@FEAT-1\nFeature: Okapi herd\n" + "".join(
        f"  @SC-{n}\n  Scenario: okapi scenario {n}\n    Given a step\n" for n in range(1, 13)))
    for n in (1, 2, 3):
        git_repo.write(f"docs/adr/{n:04d}-okapi.md", _adr(n, f"Okapi rule {n}", "The okapi rule."))
    git_repo.commit("okapis")
    assert not tracertm.sync(git_repo.path, database_url=database_url, project="big", ref="HEAD").errors
    for client in client_for(database_url):
        chosen = html.unescape(client.get("/search", params={"q": "okapi", "project": "big", "kind": "scenarios",
                                                             "page": 2}).text)
        mixed = html.unescape(client.get("/search", params={"q": "okapi", "project": "big", "page": 2}).text)
        anywhere = html.unescape(client.get("/search", params={"q": "okapi", "page": 2}).text)
        listed = client.get("/projects/big/scenarios", params={"q": "okapi"})
        found: list[str] = []
        url: str | None = "/projects/big/scenarios?q=okapi"
        while url:  # the list's pages (5 rows each here) hold every match
            page = client.get(url).text
            found += re.findall(r'<a href="/projects/big/features/FEAT-1/scenarios/(SC-\d+)"><bdi>', page)
            more = re.search(r'<a rel="next" href="([^"]+)">', page)
            url = html.unescape(more.group(1)) if more else None
        summary = client.get("/projects/big").text
        # Past the last page, the 400 names only what is left to choose too (it said "choose a project or kind").
        choices = {"both": {"project": "big", "kind": "scenarios"}, "project": {"project": "big"},
                   "kind": {"kind": "scenarios"}, "none": {}}
        beyond = {name: client.get("/search", params={"q": "okapi", **picked, "page": 3})
                  for name, picked in choices.items()}
        api = client.get("/api/v1/search", params={"q": "okapi", "project": "big", "kind": "scenarios", "limit": 101})
    assert {name: (r.status_code, re.findall(r"pages 1–2; [^<]*", html.unescape(r.text)))
            for name, r in beyond.items()} == {
        "both": (400, ["pages 1–2; narrow the words"]),
        "project": (400, ["pages 1–2; narrow the words or choose a kind"]),
        "kind": (400, ["pages 1–2; narrow the words or choose a project"]),
        "none": (400, ["pages 1–2; narrow the words or choose a project or kind"])}
    assert api.status_code == 422 and "choose" not in api.text  # (the API's limit: a bound, no advice)
    assert ("Search ranks the best 8 results; 4 more match. Narrow the words — or see every match in its list: "
            '<a href="/projects/big/scenarios?q=okapi">12 scenarios</a>.') in chosen
    assert ("Narrow the words, or choose a kind — or see every match in its list: "
            '<a href="/projects/big/adrs?q=okapi">3 adrs</a>, <a href="/projects/big/features?q=okapi">1 feature</a>, '
            '<a href="/projects/big/scenarios?q=okapi">12 scenarios</a>.') in mixed  # (one: "1 features" it said)
    assert "Narrow the words, or choose a project and a kind." in anywhere
    assert listed.status_code == 200 and "12 Scenarios matching “<bdi>okapi</bdi>”." in listed.text
    assert sorted(found) == sorted(f"SC-{n}" for n in range(1, 13))
    assert '<a href="/projects/big/scenarios">12<span class="vh"> scenarios</span></a>' in summary


def test_a_search_of_only_spaces_is_a_400_page_saying_it_needs_a_word(client: Any) -> None:
    for q in ("  ", " \t "):
        r = client.get("/search", params={"q": q})
        assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
        assert "needs at least one word" in html.unescape(r.text)
        api = client.get("/api/v1/search", params={"q": q})  # the API refuses any blank parameter alike
        assert api.status_code == 400 and api.json()["detail"] == "query parameter 'q' is empty; give it a value"
    assert client.get("/search").status_code == 200  # no query: the form


# ------------------------------------------------------------------------ 6: the project page's link lists


@pytest.mark.parametrize("state", ["suspect", "dangling"])
def test_the_project_page_says_how_many_links_more_and_links_them_all(client: Any, state: str) -> None:
    main = main_of(client.get(P).text)
    total = int(re.search(rf"<dt>{state} links</dt><dd>(\d+)</dd>", main).group(1))  # type: ignore[union-attr]
    assert total >= SUSPECT > 50  # each feature and its scenario link both ADRs
    section = main.split(f'id="{state}"', 1)[1].split("<h2", 1)[0]
    assert len(re.findall(r"<tr><td>|<li>", section)) == 50
    assert f"… and {total - 50} more" in section
    found = re.search(rf'<a href="([^"]+)">all {total} {state} links</a>', section)
    assert found and html.unescape(found.group(1)) == f"{P}/links?state={state}"
    seen: list[str] = []
    url: str | None = found.group(1)
    while url:
        r = client.get(html.unescape(url))
        assert r.status_code == 200, url
        assert f"{total} links {state}" in r.text
        rows = re.findall(r'<tr class="link-(\w+)">\s*<td>(\d+)</td>', r.text)
        assert rows and {s for s, _ in rows} == {state}
        seen += [n for _, n in rows]
        nxt = re.search(r'<a rel="next" href="([^"]+)">', r.text)
        url = nxt.group(1) if nxt else None
    assert len(seen) == len(set(seen)) == total
    twin = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)">', client.get(f"{P}/links").text)
    assert twin and twin.group(1) == "/api/v1/projects/plain/links"
    bad = client.get(f"{P}/links?state=bogus")
    assert bad.status_code == 400 and "use suspect or dangling" in bad.text


def test_record_urls_encode_each_number_as_one_segment() -> None:
    from tracertm.web.pages import record_url

    assert record_url("acme/pay", "feature", "billing/refund") == "/projects/acme/pay/features/billing%2Frefund"
    assert record_url("p", "scenario", "Pay by card/debit", "FEAT-1") == \
        f"/projects/p/features/FEAT-1/scenarios/{quote('Pay by card/debit', safe='')}"
    assert record_url("p", "scenario", "SC-1", "billing/refund") == \
        "/projects/p/features/billing%2Frefund/scenarios/SC-1"
    assert record_url("p", "requirement", "REQ-1") is None
