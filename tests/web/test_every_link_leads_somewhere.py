"""Every link of the web view leads somewhere: a crawler, breadth-first from ``/``, over a realistic project.

The project (built for real: git, sync, results import) has ADRs with a supersede chain, contracts, features with
an outline, step definitions (used, unused and ambiguous), imported results (passed and failed), suspect links,
dangling links (a missing ADR and a plain ``ADR-0008`` beside ``ADR-0008-use-x`` and ``ADR-0008-use-y``), a deleted
ADR, a moved feature file, revisions from several syncs, a file in error, and enough records and links that the
lists, the links pages and the search have a *Next* page.

The crawler follows every same-origin ``href`` and ``src`` and every GET form (submitted with its default field
values) it finds in the pages, up to ``MAX_URLS``, and asserts, per URL: a linked page answers 200 (or redirects to
one), never 404/405/500; a JSON twin answers JSON; an HTML page has ``<html lang>``, a ``<title>``, exactly one
``<h1>`` and one ``<main>``, no duplicate ``id``; each ``#fragment`` link names an id of its target page; nothing is
escaped twice and no raw ``None``, ``{{`` or ``{%`` shows in the text; and the conformance rules of
``conformance.py`` (no forbidden code point, valid ``<time datetime>``, no skipped heading level, landmarks of one
role named apart, no bidirectional override left open by a value). In-process (FastAPI's TestClient) on
PostgreSQL, and over a real ``tracertm serve`` on SQLite; the project is built once per database kind.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pytest
from conformance import problems as conformance_problems
from webfixtures import client_for, module_database
from webproject import HOSTILE_TEXT, HOSTILE_TEXT_PATH, build, new_repo

from conftest import GitRepo
from served import serve

ORIGIN = "http://testserver"  # the TestClient's
MAX_URLS = 1000
MAX_NEXT_HOPS = 3  # pagination: follow a "Next" link this many times from the first page of a chain
SLOW_S = 0.5
# Pages that are not the web view's own (no layout of base.html): the API's Swagger UI shell, which loads its
# script from a pinned CDN. They must answer, but are not held to the pages' landmarks.
FOREIGN_HTML = ("/docs",)
# Markup the templates write: seen as text (``&lt;a``), it was escaped twice.
OWN_TAGS = ("a", "span", "code", "strong", "mark", "del", "ins", "time", "td", "li", "p", "abbr", "br")
TWICE = re.compile(r"&amp;(?:amp|lt|gt|quot|#\d+|#x[0-9a-f]+);", re.I)
TAG_AS_TEXT = re.compile(r"<(?:/?(?:%s))(?:[\s>]|/>)" % "|".join(OWN_TAGS))


# ---------------------------------------------------------------------------------------------------- project


def _adr(ident: str, title: str, status: str = "accepted") -> str:
    return f"---\nid: {ident}\nstatus: {status}\n---\n\n# {title}\n\n## Context\n\nC.\n"


FILLER_ADRS = 105  # more than a list page's 50, and more than the search ranks (100): its last page links the lists
# The filler ADRs are there for those counts; their own pages (and twins, history, trace) are alike, so the crawl
# visits the first FILLER_CRAWLED of them and not the other ~400 URLs (half the crawl) that would prove the same.
FILLER_CRAWLED = 3
FILLER_ID = re.compile(r"ADR-0*(\d+)\b")


def _spared(url: str) -> bool:
    """Whether ``url`` is a page (or twin) of a filler ADR past the first FILLER_CRAWLED: not crawled."""
    found = FILLER_ID.search(urlsplit(url).path)
    return found is not None and 100 + FILLER_CRAWLED <= int(found.group(1)) < 100 + FILLER_ADRS
AMBIGUOUS_SCENARIOS = 30  # each links ADR-0008 and ADR-0077 (its own and its feature's tags): > 50 dangling links
MORE_STEPS = r"""const { Given, Then } = require('@cucumber/cucumber');

// The same pattern as in pay.js: every step it matches is ambiguous.
Given('the merchant {string} accepts payments in {string}', function again(name, currency) {});
// No step says this: an unused definition.
Then('the moon is made of {string}', function moon(cheese) {});
"""


def _build(repo: GitRepo, url: str) -> None:
    """The sample project of the page tests (webproject: two syncs, results, an approval, a hostile ADR), then a
    third commit and sync: ADR-0008 deleted, two slugged ADR-0008s and a feature naming the plain one (ambiguous)
    and ADR-0077 (missing), a moved feature file, ambiguous and unused step definitions, filler ADRs, and a broken
    contract (a file in error)."""
    import tracertm

    build(repo, url, hostile=True)
    repo.remove("docs/adr/0008-poll-settlement-files-over-sftp.md")
    repo.write("docs/adr/0008-use-x.md", _adr("ADR-0008-use-x", "Use X"))
    repo.write("docs/adr/0008-use-y.md", _adr("ADR-0008-use-y", "Use Y", "proposed"))
    scenarios = "".join(f"\n  @SC-{n}\n  Scenario: ambiguous {n}\n    Given nothing defines this step\n"
                        for n in range(1, AMBIGUOUS_SCENARIOS + 1))
    repo.write("features/amb.feature", f"@FEAT-20 @ADR-0008 @ADR-0077\nFeature: Ambiguous and missing\n{scenarios}")
    for n in range(100, 100 + FILLER_ADRS):
        repo.write(f"docs/adr/{n:04d}-filler-{n}.md",
                   f"# {n}. Filler decision {n}\n\nDate: 2025-01-01\n\n## Status\n\nProposed\n\n## Context\n\n"
                   "The quokka stays.\n")
    repo.git("mv", "features/ledger/postings.feature", "features/ledger/moved-postings.feature")
    repo.write("features/step_definitions/more.js", MORE_STEPS)
    repo.write("contracts/broken.yaml", "id: CTR-0099\ntitle: [unclosed\n")
    repo.write(HOSTILE_TEXT_PATH, HOSTILE_TEXT)
    # An untagged feature's number is its path ("esm"), which an untagged scenario of another feature has as its
    # name: the id alone names both, so the pages' links to the trace must say which kind they mean.
    step = "    Given nothing defines this step\n"
    repo.write("features/esm.feature", f"Feature: ES modules\n\n  Scenario: import\n{step}")
    repo.write("features/stack.feature", f"Feature: Stack traces\n\n  Scenario: esm\n{step}")
    repo.commit("third", date="2026-11-20T10:00:00+00:00")
    result = tracertm.sync(repo.path, database_url=url, project="sample", ref="HEAD")
    assert [str(e) for e in result.errors] and all("broken.yaml" in str(e) for e in result.errors), result.errors
    # An author whose name leaves a right-to-left override open: the timeline shows it beside the page's words.
    repo.write(HOSTILE_TEXT_PATH, HOSTILE_TEXT.replace("## Decision\n", "## Decision\n\nEdited.\n"))
    repo.commit("fourth", author="Eve \u202eevE <eve@example.com>", date="2026-11-21T10:00:00+00:00")
    result = tracertm.sync(repo.path, database_url=url, project="sample", ref="HEAD")
    assert all("broken.yaml" in str(e) for e in result.errors), result.errors


# A project name with a slash (as named after an origin remote) and what URLs must encode (``&#+?=%``, non-ASCII).
SECOND = "acme/R&D #1 café+ü?x=1%"
AWKWARD = "Refund 100% of #42? & <more>"  # a scenario name with what a URL and HTML must encode


def _build_second(repo: GitRepo, url: str) -> None:
    """A second project, ``SECOND``: an untagged feature (its number is its path, slashes and all) whose
    scenarios' names hold a slash and ``%#?&<>``, and a supersede chain whose oldest ADR is then deleted; the same
    files as the projects ``team`` and ``team/adrs``."""
    import tracertm

    repo.write("docs/adr/0001-old.md", _adr("ADR-0001", "Old way", "superseded"))
    repo.write("docs/adr/0002-new.md", "---\nid: ADR-0002\nstatus: accepted\nsupersedes: ADR-0001\n---\n\n"
                                       "# New way\n\n## Context\n\nBetter.\n")
    repo.write("features/billing/refund.feature",
               f"@ADR-0002\nFeature: Refunds\n\n  Scenario: Pay by card/debit\n    Given a card\n\n"
               f"  Scenario: {AWKWARD}\n    Given a refund\n")
    repo.write("features/billing/Rückerstattung & Storno.feature",
               "Feature: Storno\n\n  Scenario: Undo/scenarios/redo\n    Given a refund\n")
    repo.commit("acme")
    result = tracertm.sync(repo.path, database_url=url, project=SECOND, ref="HEAD")
    assert not result.errors, result.errors
    repo.remove("docs/adr/0001-old.md")
    repo.commit("drop the old way")
    result = tracertm.sync(repo.path, database_url=url, project=SECOND, ref="HEAD")
    assert not result.errors, result.errors
    # ``team`` and ``team/adrs``: /projects/team/adrs names the second, so the pages link the first by its UUID.
    # ``dots/..``: a name a browser would resolve away in a URL (``/projects/dots/..`` is ``/projects``).
    for name in ("team", "team/adrs", "dots/.."):
        result = tracertm.sync(repo.path, database_url=url, project=name, ref="HEAD")
        assert not result.errors, result.errors


# ---------------------------------------------------------------------------------------------------- parsing


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)


class Page(HTMLParser):
    """What the crawler needs of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.title = ""
        self.h1 = self.main = 0
        self.ids: list[str] = []
        self.refs: list[tuple[str, str]] = []  # (attribute, id) of label for=, aria-labelledby, aria-describedby
        self.links: list[tuple[str, bool]] = []  # (URL, rel="next")
        self.forms: list[Form] = []
        self.text: list[str] = []
        self.attrs_text: list[str] = []
        self._in: list[str] = []
        self._form: Form | None = None
        self._select: tuple[str, bool, list[tuple[str, bool]]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.attrs_text.extend(a.values())
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label" and "for" in a:
            self.refs.append(("for", a["for"]))
        for attr in ("aria-labelledby", "aria-describedby", "aria-controls"):
            self.refs.extend((attr, ident) for ident in a.get(attr, "").split())
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "main":
            self.main += 1
        if tag in ("title", "script", "style", "textarea"):
            self._in.append(tag)
        for attr in ("href", "src"):
            if attr in a:
                self.links.append((a[attr], "next" in a.get("rel", "").split()))
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "image", "reset", "file"):
                self._form.fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and self._form is not None:
            self._select = (a.get("name", ""), "multiple" in a, [])
        elif tag == "option" and self._select is not None:
            self._select[2].append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, multiple, options = self._select
            chosen = [v for v, selected in options if selected] or [v for v, _ in options[:1]]
            if name:
                self._form.fields.extend((name, v) for v in (chosen if multiple else chosen[:1]))
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "title":
            self.title += data
        elif not self._in or self._in[-1] == "textarea":
            self.text.append(data)


# ---------------------------------------------------------------------------------------------------- crawling


@dataclass
class Crawl:
    checked: dict[str, int] = field(default_factory=dict)  # URL → final status
    ids: dict[str, list[str]] = field(default_factory=dict)  # HTML page → its ids
    fragments: list[tuple[str, str, str]] = field(default_factory=list)  # (linking page, target page, fragment)
    referrer: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # URL → time to answer
    problems: list[str] = field(default_factory=list)


def _local(base: str, ref: str) -> tuple[str, str] | None:
    """(path and query, fragment) of ``ref`` resolved against ``base``, or None when it leaves the origin."""
    full = urlsplit(urljoin(ORIGIN + base, ref))
    if f"{full.scheme}://{full.netloc}" != ORIGIN:
        return None
    return urlunsplit(("", "", full.path, full.query, "")), full.fragment


def _form_url(page: str, form: Form) -> str | None:
    if form.method != "get":
        return None
    target = _local(page, form.action or page)
    if target is None:
        return None
    path = target[0].split("?", 1)[0]  # a GET form replaces the action's query with its fields
    return path + "?" + urlencode(form.fields)


def _check_html(crawl: Crawl, url: str, body: str, page: Page) -> None:
    def bad(what: str) -> None:
        crawl.problems.append(f"{url} (linked from {crawl.referrer.get(url, '-')}): {what}")

    if not page.lang:
        bad("no <html lang>")
    if not page.title.strip():
        bad("no <title>")
    if page.h1 != 1:
        bad(f"{page.h1} <h1> elements")
    if page.main != 1:
        bad(f"{page.main} <main> elements")
    dupes = sorted({i for i in page.ids if page.ids.count(i) > 1})
    if dupes:
        bad(f"duplicate ids {dupes}")
    for attr, ident in page.refs:
        if ident not in page.ids:
            bad(f"{attr}={ident!r} names no element of the page")
    for found in TWICE.findall(body):
        bad(f"escaped twice: {found}")
    text = "".join(page.text)
    for found in TAG_AS_TEXT.findall(text):
        bad(f"markup shown as text (escaped twice): {found!r}")
    for token in ("{{", "{%"):  # (a closing "}}" is JSON's: field values are shown as JSON)
        if token in text or any(token in v for v in page.attrs_text):
            bad(f"template syntax {token!r} in the page")
    # A Python None rendered is a whole value ("<td>None</td>") or glued to the words around it ("vNone"); the
    # records' own text may say "is not None" (a contract's condition).
    for i, chunk in enumerate(page.text):
        if (chunk.strip() == "None") or re.search(r"\wNone\b|\bNone\w", chunk):
            bad(f"raw None in the text: …{''.join(page.text[max(0, i - 3):i + 2])!r}…")
    if any(v == "None" for v in page.attrs_text):
        bad("raw None in an attribute")
    for problem in conformance_problems(body):
        bad(problem)


def crawl_site(client: Any, starts: tuple[str, ...] = ("/",),
               skip: Callable[[str], bool] = lambda url: False) -> Crawl:
    """Breadth-first from ``starts``: every link, form and fragment checked, but URLs for which ``skip`` holds."""
    crawl = Crawl()
    queue: deque[tuple[str, int]] = deque((start, 0) for start in starts)
    seen = set(starts)
    while queue and len(crawl.checked) < MAX_URLS:
        url, hops = queue.popleft()
        began = time.perf_counter()
        answer = client.get(url, follow_redirects=False)
        crawl.seconds[url] = time.perf_counter() - began
        where, redirects = url, 0  # where the answer came from: a redirect's target (links resolve against it)
        while answer.is_redirect and redirects < 5:
            redirects += 1
            moved = _local(where, answer.headers["location"])
            if moved is None:
                crawl.problems.append(f"{url}: redirects off the origin to {answer.headers['location']}")
                break
            where = moved[0]
            answer = client.get(where, follow_redirects=False)
        crawl.checked[url] = answer.status_code
        if answer.status_code != 200:
            crawl.problems.append(f"{url} (linked from {crawl.referrer.get(url, '-')}): {answer.status_code} "
                                  f"{answer.text[:300]!r}")
            continue
        kind = answer.headers.get("content-type", "")
        if url.startswith("/api/"):
            if kind.split(";")[0] != "application/json":
                crawl.problems.append(f"{url} (linked from {crawl.referrer.get(url, '-')}): a JSON twin answers "
                                      f"{kind}")
            continue
        if not kind.startswith("text/html") or urlsplit(url).path in FOREIGN_HTML:
            continue
        page = Page()
        page.feed(answer.text)
        page.close()
        crawl.ids[where] = page.ids
        _check_html(crawl, url, answer.text, page)
        found: list[tuple[str, bool]] = [(ref, nxt) for ref, nxt in page.links]
        found += [(u, False) for u in (_form_url(where, f) for f in page.forms) if u is not None]
        for ref, nxt in found:
            local = _local(where, ref)
            if local is None:
                continue
            link, fragment = local
            if fragment:
                crawl.fragments.append((where, link, fragment))
            if link in seen or skip(link):
                continue
            if nxt and hops + 1 > MAX_NEXT_HOPS:
                continue
            seen.add(link)
            crawl.referrer[link] = url
            queue.append((link, hops + 1 if nxt else 0))
    for source, target, fragment in crawl.fragments:
        if target not in crawl.ids:  # linked but past the bound, or not HTML: fetch it to read its ids
            answer = client.get(target)
            page = Page()
            page.feed(answer.text)
            crawl.ids[target] = page.ids
        if fragment not in crawl.ids[target]:
            crawl.problems.append(f"{source}: links #{fragment} of {target}, which has no such id")
    return crawl


# ------------------------------------------------------------------------------------------------------- tests

P = "/projects/sample"
# Where the crawl starts: the dashboard, and what a reader types rather than clicks — the README's example URLs
# (a filter of several statuses, a search) and searches as the search form sends them (no page links a search
# with words): the filler ADRs share "quokka", more hits than the search ranks; "zanzibar" is in a snippet of
# HOSTILE_TEXT, after an override and an isolate it leaves open.
STARTS = ("/", f"{P}/adrs?status=accepted&q=ledger", f"{P}/adrs?status=accepted,proposed",
          f"{P}/links?state=suspect", "/search?q=idempotency&project=sample&kind=adrs", "/search?q=quokka",
          "/search?q=quokka&project=sample", "/search?q=refund", "/search?q=refund&kind=scenarios",
          "/search?" + urlencode({"q": "card", "project": SECOND, "kind": "features"}),
          "/search?q=ledger&kind=contracts", "/search?q=zanzibar", "/login")
# Error pages: not linked, but laid out as every page is.
ERRORS = {f"{P}/adrs/ADR-9999": 404, "/nowhere": 404, f"{P}/adrs?status=bogus": 400, f"{P}/matrix?from=x": 400,
          "/search?q=%20": 400, "/search?q=quokka&page=3": 400, f"{P}/features/FEAT-1/scenarios/SC-99": 404}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(database URL, the sample's repository): both projects, built once per module (the tests only read)."""
    with module_database(request, tmp_path_factory, "crawl") as (work, url):
        repo = new_repo(work / "repo")
        _build(repo, url)
        _build_second(new_repo(work / "acme"), url)
        yield url, repo.path


@pytest.fixture
def client(site: tuple[str, Path]) -> Iterator[Any]:
    yield from client_for(site[0])


def _assert_reached(urls: set[str]) -> None:
    """The crawl reached what the project has: every kind of page, the twins, the pagination, a form's submission,
    and the awkward names (the second project's pages, its scenarios, the untagged feature with a slash in its
    scenario's name)."""
    for expected in ("/", P, f"{P}/adrs", f"{P}/adrs/ADR-0006", f"{P}/adrs/ADR-0008-use-x", f"{P}/contracts",
                     f"{P}/contracts/CTR-0001", f"{P}/features/FEAT-1", f"{P}/features/FEAT-1/scenarios/SC-2",
                     f"{P}/features/FEAT-20", f"{P}/matrix", f"{P}/matrix?from=adrs", f"{P}/links?state=dangling",
                     f"{P}/links?state=suspect", "/api/v1/projects/sample", "/docs", f"{P}/adrs/ADR-0100",
                     "/api/v1/adrs/ADR-0100/history?project=sample"):
        assert expected in urls, expected
    assert any("cursor=" in u and u.startswith(f"{P}/adrs") for u in urls), "no Next page of the ADR list"
    assert any("cursor=" in u and u.startswith(f"{P}/links") for u in urls), "no Next page of the links"
    assert any(u.startswith("/search?") and "page=2" in u for u in urls), "no Next page of a search"
    assert any(u.startswith(f"{P}/adrs?status=") for u in urls), "the filter form was not submitted"
    assert any(u.startswith(f"{P}/adrs?q=quokka") for u in urls), "the capped search did not link the lists"
    from tracertm.web.pages import seg

    second = f"/projects/{seg(SECOND).replace('%2F', '/')}"
    assert second in urls and f"{second}/features/billing%2Frefund/scenarios/{seg(AWKWARD)}" in urls, second
    assert any(u.endswith("/scenarios/Undo%2Fscenarios%2Fredo") for u in urls)
    assert len(urls) < MAX_URLS, "the bound cut the crawl short: raise MAX_URLS"


# In-process on PostgreSQL; on SQLite the same crawl runs over a real server (test_the_same_crawl_over_a_real_server,
# which asserts the same and more): the in-process crawl on SQLite proved nothing that one does not.
@pytest.mark.slow  # ~10 s: scheduled first (conftest)
@pytest.mark.parametrize("site", ["postgresql"], indirect=True)
def test_every_link_of_the_web_view_leads_somewhere(client: Any) -> None:
    began = time.perf_counter()
    crawl = crawl_site(client, STARTS, _spared)
    took = time.perf_counter() - began
    ranked = sorted(((s, u) for u, s in crawl.seconds.items()), reverse=True)
    print(f"\ncrawled {len(crawl.checked)} URLs in {took:.1f}s; slowest: "
          + ", ".join(f"{u} {s:.2f}s" for s, u in ranked[:3]))
    # Not asserted (a shared machine), but said: pages slower than SLOW_S to render.
    for seconds, url in ranked:
        if seconds > SLOW_S:
            print(f"slow page: {seconds:.2f}s {url}")
    assert not crawl.problems, "\n".join(crawl.problems)
    _assert_reached(set(crawl.checked))


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)
def test_error_pages_are_laid_out_as_pages(client: Any) -> None:
    crawl = Crawl()
    for url, status in ERRORS.items():
        answer = client.get(url)
        assert answer.status_code == status, (url, answer.text[:300])
        page = Page()
        page.feed(answer.text)
        _check_html(crawl, url, answer.text, page)
    assert not crawl.problems, "\n".join(crawl.problems)


@pytest.mark.slow
@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # the HTTP layer, not the database, is tested
def test_the_same_crawl_over_a_real_server(site: tuple[str, Path], tmp_path: Path) -> None:
    """uvicorn, not the TestClient: paths arrive as a real client encodes them (``raw_path``, which the scenario
    and feature routes read), and the static files and headers come through a real HTTP stack. The SQLite crawl
    of the suite: it reaches what the in-process one on PostgreSQL does."""
    url, repo = site
    with serve(url, repo, tmp_path / "serve.log") as base, httpx.Client(base_url=base, timeout=30) as http:
        crawl = crawl_site(http, STARTS, _spared)
    assert not crawl.problems, "\n".join(crawl.problems)
    assert crawl.checked["/static/style.css?v=" + _version()] == 200
    assert len(crawl.checked) > 400  # (about 480: the whole crawl but the filler ADRs it spares)
    _assert_reached(set(crawl.checked))


def _version() -> str:
    from tracertm._version import __version__

    return __version__


def test_the_crawler_reports_what_it_must() -> None:
    """The checks are not vacuous: a small app with one page of each defect, every one reported."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse, JSONResponse
    from fastapi.testclient import TestClient

    def page(main: str, title: str = "t", lang: str = ' lang="en"') -> HTMLResponse:
        return HTMLResponse(f"<!doctype html><html{lang}><head><title>{title}</title></head><body>"
                            f'<main id="main"><h1>h</h1>{main}</main></body></html>')

    links = ["/gone", "/post-only", "/boom", "/twice", "/tag", "/h1s", "/ids", "/frag#nowhere", "/none", "/jinja",
             "/api/v1/html", "/untitled", "/label", "/moved", "/bell", "/time", "/h4", "/searches", "/rlo",
             "/rlo-attr"]
    app = FastAPI()
    app.get("/")(lambda: page("".join(f'<a href="{u}">x</a>' for u in links)
                              + '<form action="/filter"><input name="q" value="a b"><select name="s"><option '
                              'value="1">1</option><option value="2" selected>2</option></select></form>'))
    app.post("/post-only")(lambda: page(""))
    app.get("/boom")(lambda: 1 / 0)
    app.get("/twice")(lambda: page("R&amp;amp;D"))
    app.get("/tag")(lambda: page("&lt;a href=x&gt;"))
    app.get("/h1s")(lambda: page("<h1>again</h1>"))
    app.get("/ids")(lambda: page('<p id="x"></p><p id="x"></p>'))
    app.get("/frag")(lambda: page(""))
    app.get("/none")(lambda: page("<td>None</td>"))
    app.get("/jinja")(lambda: page("{{ row.title }}"))
    app.get("/api/v1/html")(lambda: page(""))
    app.get("/untitled")(lambda: page("", title="", lang=""))
    app.get("/label")(lambda: page('<label for="q">Q</label>'))
    app.get("/moved")(lambda: HTMLResponse("", status_code=303, headers={"Location": "/gone2"}))
    app.get("/bell")(lambda: page("ding\x07"))
    app.get("/time")(lambda: page('<time datetime="2026-12-04T15:02:04.225000+00:00">x</time>'))
    app.get("/h4")(lambda: page("<h2>a</h2><h4>b</h4>"))
    app.get("/searches")(lambda: page('<form role="search"></form><form role="search"></form>'))
    app.get("/rlo")(lambda: page("<p>\u202eevil</p>"))
    app.get("/rlo-attr")(lambda: page('<p title="\u2067x"></p>'))
    app.get("/filter")(lambda q, s: JSONResponse({}) if (q, s) == ("a b", "2") else 1 / 0)
    with TestClient(app, raise_server_exceptions=False) as client:
        crawl = crawl_site(client)
    problems = "\n".join(crawl.problems)
    for expected in ("/gone (linked from /): 404", "/post-only (linked from /): 405", "/boom (linked from /): 500",
                     "/twice (linked from /): escaped twice: &amp;amp;", "/tag (linked from /): markup shown as text",
                     "/h1s (linked from /): 2 <h1>", "/ids (linked from /): duplicate ids ['x']",
                     "/: links #nowhere of /frag", "/none (linked from /): raw None",
                     "/jinja (linked from /): template syntax '{{'", "/api/v1/html (linked from /): a JSON twin",
                     "/untitled (linked from /): no <html lang>", "/untitled (linked from /): no <title>",
                     "/label (linked from /): for='q' names no element", "/moved (linked from /): 404",
                     "/bell (linked from /): forbidden code point U+0007",
                     "/time (linked from /): <time datetime='2026-12-04T15:02:04.225000+00:00'>: not a valid",
                     "/h4 (linked from /): <h4> follows <h2>: a heading level skipped",
                     "/searches (linked from /): two search landmarks named ''",
                     "/rlo (linked from /): text leaves a bidirectional override open",
                     "/rlo-attr (linked from /): <p title>: leaves a bidirectional override open"):
        assert expected in problems, (expected, problems)
    assert crawl.checked["/filter?q=a+b&s=2"] == 200  # the form, submitted with its default values
