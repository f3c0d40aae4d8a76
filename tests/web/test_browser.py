"""The web view in a real browser: a real ``tracertm serve`` (uvicorn, a free loopback port) over the sample
project, driven by Playwright with the distribution's Chromium (``/usr/bin/chromium``; never a downloaded browser).

Follows links as a reader would, uses the status filter and the search, saves a screenshot of every step under the
test's temporary folder, and checks accessibility basics from the rendered page: landmarks, a label for every
control, the skip link, and the contrast of text and links computed from the browser's computed styles.

Skipped when Chromium is absent, unless ``TRACERTM_REQUIRE_BROWSER=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from webproject import EDITED_WORDS, Built, build, new_repo

from conftest import GitRepo, isolated
from served import serve

T = TypeVar("T")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MIN_CONTRAST = 4.5
PAGES = [
    "/", "/projects/sample", "/projects/sample/adrs", "/projects/sample/adrs/ADR-0006",
    "/projects/sample/contracts/CTR-0001", "/projects/sample/features/FEAT-1",
    "/projects/sample/features/FEAT-1/scenarios/SC-2", "/projects/sample/matrix", "/search?q=ledger", "/login",
    "/projects/sample/adrs/ADR-9999",
]


def _need_browser() -> None:
    required = os.environ.get("TRACERTM_REQUIRE_BROWSER") == "1"
    why = None
    if not CHROMIUM.exists():
        why = f"{CHROMIUM} is absent (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "playwright is not installed (pip install -e '.[dev]')"
    if why:
        if required:
            pytest.fail(f"TRACERTM_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)



@contextmanager
def sample_server(tmp_path_factory: pytest.TempPathFactory, make: Callable[[GitRepo, str], T]) -> Iterator[
        tuple[str, T]]:
    """(base URL, what ``make(repo, database URL)`` returned): ``tracertm serve`` over a new repository that ``make``
    fills and syncs (a home folder and a git identity of the test's own), stopped even when a test fails."""
    _need_browser()
    work = tmp_path_factory.mktemp("served")
    with isolated(tmp_path_factory):
        repo = new_repo(work / "repo")
        url = f"sqlite:///{work / 'served.db'}"
        made = make(repo, url)
        with serve(url, repo.path, work / "serve.log", process=True) as base:
            yield base, made


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Built]]:
    """(base URL, what was built): ``tracertm serve`` on the sample project."""
    with sample_server(tmp_path_factory, build) as served:
        yield served


@contextmanager
def launched() -> Iterator[Any]:
    """The distribution's Chromium, headless, through Playwright; closed even when a test fails."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def page_in(browser: Any, base: str, **context_options: Any) -> Iterator[Any]:
    """A page in a new context of ``browser`` on ``base`` (waits bounded at 15 s), closed even when a test fails."""
    context = browser.new_context(base_url=base, **context_options)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@contextmanager
def page_at(base: str, **context_options: Any) -> Iterator[Any]:
    """A page of a fresh headless Chromium (``launched``, closed after it): ``page_in`` that browser."""
    with launched() as chromium, page_in(chromium, base, **context_options) as page:
        yield page


@pytest.fixture(scope="module")
def browser(served: tuple[str, Built]) -> Iterator[Any]:
    with launched() as chromium:
        yield chromium


@pytest.fixture
def page(browser: Any, served: tuple[str, Built]) -> Iterator[Any]:
    context = browser.new_context(base_url=served[0], viewport={"width": 1100, "height": 900})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


class Shots:
    """Numbered screenshots of one test under its temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.n = folder, 0

    def __call__(self, page: Any, name: str) -> Path:
        self.n += 1
        path = self.folder / f"{self.n:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000
        return path


@pytest.fixture
def shot(tmp_path: Path) -> Shots:
    return Shots(tmp_path)


def _h1(page: Any) -> str:
    return str(page.locator("h1").inner_text())


def test_dashboard_to_adr_list_to_adr_page_to_the_superseding_adr(page: Any, shot: Shots) -> None:
    page.goto("/")
    assert _h1(page) == "Projects"
    shot(page, "dashboard")
    page.locator("section.card").get_by_role("link", name="8 adrs").click()  # the ADR count
    page.wait_for_url("**/projects/sample/adrs")
    assert _h1(page) == "ADRs" and page.locator("table.records tbody tr").count() == 8
    shot(page, "adr-list")
    page.get_by_role("link", name="ADR-0003", exact=True).click()
    page.wait_for_url("**/adrs/ADR-0003")
    assert "Use PostgreSQL for the ledger" in _h1(page)
    shot(page, "adr-0003")
    chain = page.get_by_role("navigation", name="Supersede chain")
    chain.get_by_role("link", name="ADR-0006 Event-sourced ledger on PostgreSQL").click()
    page.wait_for_url("**/adrs/ADR-0006")
    assert "Event-sourced ledger on PostgreSQL" in _h1(page)
    timeline = page.locator("ol.timeline")
    assert "Bo Reviewer" in timeline.inner_text()
    assert any(EDITED_WORDS in text for text in timeline.locator("ins").all_inner_texts())
    shot(page, "adr-0006")
    twin = page.get_by_role("link", name="JSON", exact=True)
    assert twin.get_attribute("href") == "/api/v1/adrs/ADR-0006?project=sample"
    twin.click()
    assert '"number":"ADR-0006"' in page.content().replace(" ", "")


def test_feature_to_scenario_results(page: Any, shot: Shots) -> None:
    page.goto("/projects/sample/features")
    page.get_by_role("link", name="FEAT-1", exact=True).click()
    page.wait_for_url("**/features/FEAT-1")
    assert "Pay with a card" in _h1(page)
    assert "features/step_definitions/pay.js" in page.locator("table.steps").first.inner_text()
    shot(page, "feature")
    page.get_by_role("link", name="SC-2 Retrying with the same idempotency key does not charge twice").click()
    page.wait_for_url("**/features/FEAT-1/scenarios/SC-2")
    results = page.get_by_role("table", name="Last results")
    assert "failed" in results.inner_text() and "second authorization sent" in results.inner_text()
    shot(page, "scenario")


def test_status_filter_and_search(page: Any, shot: Shots) -> None:
    page.goto("/projects/sample/adrs")
    page.get_by_label("Status").select_option("superseded")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/adrs?status=superseded*")
    rows = page.locator("table.records tbody tr")
    assert rows.count() == 1 and "ADR-0003" in rows.inner_text()
    shot(page, "filtered")
    page.get_by_role("link", name="clear").click()
    page.get_by_label("Words").fill("kafka")
    page.get_by_label("Words").press("Enter")
    page.wait_for_url("**q=kafka*")
    numbers = page.locator("table.records tbody td:first-child").all_inner_texts()
    assert numbers == ["ADR-0002", "ADR-0005"]
    shot(page, "words")

    page.get_by_role("search").first.get_by_label("Search specs").fill("idempotency key")
    page.get_by_role("search").first.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=idempotency+key*")
    hits = page.locator("ol.hits > li")
    assert hits.count() > 0 and page.locator("ol.hits mark").count() > 0
    shot(page, "search")
    first = hits.first.get_by_role("link")
    target = first.get_attribute("href")
    first.click()
    page.wait_for_url(f"**{target}")
    assert page.locator("h1 .id").count() == 1


# Landmarks, labels and contrast as the browser renders them. Contrast follows WCAG 2.x: relative luminance of
# the computed colour against the first opaque background up the tree.
A11Y_JS = """() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(s => parseFloat(s)); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = el => { for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a >= 0.99) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const visible = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const out = {lang: document.documentElement.lang, landmarks: {}, unlabelled: [], worst: null, checked: 0};
  for (const sel of ['header', 'nav', 'main', 'footer']) out.landmarks[sel] = document.querySelectorAll(sel).length;
  for (const el of document.querySelectorAll('input, select, textarea, button')) {
    if (el.type === 'hidden') continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
      || (el.tagName === 'BUTTON' && el.textContent.trim());
    if (!named) out.unlabelled.push(el.outerHTML.slice(0, 120));
  }
  const texts = document.querySelectorAll('body p, body li, body td, body th, body dt, body dd, body a, body label, body h1, body h2, body h3, body span, body code, body caption, body button, body del, body ins, body mark');
  for (const el of texts) {
    if (!visible(el) || el.closest('.vh')) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const fg = parse(getComputedStyle(el).color); const value = ratio(fg, background(el));
    out.checked++;
    if (!out.worst || value < out.worst.ratio) out.worst = {ratio: value, tag: el.tagName, text: el.textContent.trim().slice(0, 60),
      color: getComputedStyle(el).color, background: JSON.stringify(background(el))};
  }
  return out;
}"""


def test_accessibility_smoke(page: Any, shot: Shots) -> None:
    # Every page in one context (a new one per page cost more than the page's checks); each failure names its page.
    for url in PAGES:
        page.goto(url)
        found = page.evaluate(A11Y_JS)
        assert found["lang"] == "en", url
        assert all(found["landmarks"][name] >= 1 for name in ("header", "nav", "main", "footer")), \
            (url, found["landmarks"])
        assert found["unlabelled"] == [], (url, found["unlabelled"])
        assert found["checked"] > 5 and found["worst"]["ratio"] >= MIN_CONTRAST, (url, found["worst"])
        page.keyboard.press("Tab")  # the first stop is the skip link, visible when focused, and it leads to main
        focused = page.evaluate(
            "() => [document.activeElement.className, document.activeElement.getBoundingClientRect().left]")
        assert focused[0] == "skip" and focused[1] >= 0, (url, focused)
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main", url
        shot(page, "a11y")


def test_the_console_stays_free_of_errors(browser: Any, served: tuple[str, Built]) -> None:
    # A browser of its own, from the module's Playwright (a second one cannot start inside it): one whose pages
    # fetched the icon for an earlier test keeps the answer, in every context, and asks no more. A JSON twin first
    # (no <link rel="icon"> there: the browser asks /favicon.ico), then every page that answers 200 (a 404 page's
    # own status is an error line). Before, /favicon.ico was a 404: an error in the console of every first visit.
    fresh = browser.browser_type.launch(executable_path=str(CHROMIUM), args=ARGS)
    try:
        with page_in(fresh, served[0]) as page:
            errors: list[str] = []
            page.on("console", lambda m: m.type == "error" and errors.append(f"{m.text} ({m.location['url']})"))
            page.on("pageerror", lambda e: errors.append(str(e)))
            for url in ["/api/v1/adrs/ADR-0006?project=sample", *PAGES[:-1]]:
                assert page.goto(url).status == 200, url
                page.wait_for_load_state("networkidle")  # the icon is fetched once the document has loaded
                assert errors == [], url
            icon = page.locator('link[rel="icon"]').get_attribute("href")
            assert page.request.get(icon).headers["content-type"] == "image/svg+xml"
    finally:
        fresh.close()


def _dots(repo: GitRepo, database_url: str) -> None:
    """The project ``r``: a feature ``dots`` whose scenarios are titled ``..`` and ``.``."""
    import tracertm

    repo.write("features/dots.feature",
               "Feature: Dots\n  Scenario: ..\n    Given dotted x\n  Scenario: .\n    Given dotted y\n")
    repo.commit("dots")
    result = tracertm.sync(repo.path, database_url=database_url, project="r", ref="HEAD")
    assert not result.errors, result.errors


def test_links_to_records_whose_id_is_a_dot_segment_lead_to_them(browser: Any,
                                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    # Chromium resolves ".." and "%2E%2E" alike (WHATWG URL): /features/dots/scenarios/%2E%2E was /features/dots/,
    # a 404. The pages link such a record by its UUID: the feature page's, the scenario list's and search's links,
    # and the scenario page's JSON twin and trace. (The module's browser: a second Playwright cannot start in it.)
    with sample_server(tmp_path_factory, _dots) as (base, _), page_in(browser, base) as page:
        for start in ("/projects/r/features/dots", "/projects/r/scenarios", "/search?q=dotted&project=r"):
            reached = set()
            for n in range(2):
                assert page.goto(start).status == 200, start
                links = page.locator("main a[href*='/scenarios/']")
                assert links.count() == 2, (start, page.content())
                with page.expect_navigation() as went:
                    links.nth(n).click()
                assert went.value is not None and went.value.status == 200, (start, n, page.url)
                reached.add(_h1(page).split()[0])
            assert reached == {"dots/..", "dots/."}, (start, reached)
        for twin, key, want in (("record", "number", "."), ("trace", "root", "scenario:dots/.")):
            assert page.goto("/projects/r/features/dots").status == 200
            with page.expect_navigation():
                page.locator("main a[href*='/scenarios/']").nth(1).click()
            with page.expect_navigation() as went:
                page.locator("p.twins").get_by_role("link", name=twin, exact=True).click()
            assert went.value is not None and went.value.status == 200, (twin, page.url)
            assert went.value.json()[key] == want, page.url


def test_a_missing_browser_skips_unless_required(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("TRACERTM_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium is absent"):
        _need_browser()
    monkeypatch.setenv("TRACERTM_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="TRACERTM_REQUIRE_BROWSER=1 but"):
        _need_browser()
