"""The web view's pages in a real browser, over hostile data: axe-core finds no accessibility violation, and no page
is pushed sideways by a long word.

A real ``tracertm serve`` over the sample project with its hostile ADR (webproject), plus what a web audit found
breaking the layout or the rules on real data: an ADR with controls, unclosed right-to-left overrides and a
540-letter word (``HOSTILE_TEXT``), a contract whose title and executable spec hold that word, and an untagged
feature whose id (its path, as cucumber-js names its features) and scenario are long unbroken words. Chromium is
the distribution's (``/usr/bin/chromium``, as ``test_browser``); axe-core is the one ``npm ci`` installs in
``tests/steps/node`` (its ``package.json`` pins it), injected into each page.

- axe-core (every rule of its default set: WCAG 2.x A and AA, and best practices) reports no violation on any page
  kind: landmarks named apart, headings in order, no scroll region a keyboard cannot reach, contrast, names.
- At a desktop's, a tablet's and a phone's width, no page scrolls sideways and no ``<pre>`` scrolls: long words wrap.

Skipped without Chromium (or without axe-core, for the axe test) unless ``TRACERTM_REQUIRE_BROWSER=1`` (or
``TRACERTM_REQUIRE_NODE=1``), as CI sets them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_browser import launched, sample_server
from webproject import HOSTILE_TEXT, HOSTILE_TEXT_PATH, LONG_WORD, build

from conftest import GitRepo

AXE = Path(__file__).resolve().parents[1] / "steps" / "node" / "node_modules" / "axe-core" / "axe.min.js"
P = "/projects/sample"
LONG_PROJECT = "acme-corporation/payments-platform-backend-eu-west-1"  # an option of the search form's project list
LONG_ID = "before_after_all_hook_interfaces_" * 5 + "end"  # an untagged feature's id: its path below features/
CONTRACT = f"""id: CTR-0042
title: Long {LONG_WORD}
type: service
status: approved
spec:
  language: sql
  source: |
    SELECT {LONG_WORD} FROM t;
"""
FEATURE = f"Feature: Long {LONG_WORD}\n\n  Scenario: {LONG_WORD}\n    Given a {LONG_WORD} step\n"
PAGES = ["/", P, f"{P}/adrs", f"{P}/adrs/ADR-0006", f"{P}/adrs/ADR-0009", f"{P}/adrs/ADR-0010", f"{P}/contracts",
         f"{P}/contracts/CTR-0042", f"{P}/features", f"{P}/features/{LONG_ID}", f"{P}/features/FEAT-1",
         f"{P}/features/FEAT-1/scenarios/SC-2", f"{P}/scenarios", f"{P}/matrix", f"{P}/matrix?from=adrs",
         f"{P}/links",
         "/search?q=ledger", "/search?q=pneumonoultramicroscopicsilicovolcanoconiosis", "/login",
         f"/search?q=ledger&project={LONG_PROJECT}&kind=adrs",
         f"{P}/adrs/ADR-9999", f"{P}/adrs/ADR-0010?before=52"]  # ADR-0010: 56 revisions, in pages of 50
# A desktop's, the narrowest that gives columns their minimum width (style.css's @media), a tablet's, a phone's.
WIDTHS = (1100, 960, 800, 375)


def _hostile(repo: GitRepo, url: str) -> None:
    """The sample project with its hostile ADR, then the texts that broke the layout, synced."""
    import tracertm

    build(repo, url, hostile=True)
    repo.write(HOSTILE_TEXT_PATH, HOSTILE_TEXT)
    repo.write("contracts/long.yaml", CONTRACT)
    repo.write(f"features/{LONG_ID}.feature", FEATURE)
    repo.commit("hostile text")
    result = tracertm.sync(repo.path, database_url=url, project="sample", ref="HEAD")
    assert not result.errors, result.errors
    result = tracertm.sync(repo.path, database_url=url, project=LONG_PROJECT, ref="HEAD")
    assert not result.errors, result.errors
    _edited(url, "ADR-0010", 55)


def _edited(url: str, adr: str, times: int) -> None:
    """``times`` database-side edits of ``adr``: a history longer than one page of its timeline, whose pages carry
    the count of revisions and the links to the older and the newest ones."""
    from tracertm import db
    from tracertm.repositories import Projects, Records

    engine = db.make_engine(url)
    try:
        with db.session(engine) as session, session.begin():
            adrs = Records(session, "adr")
            row = adrs.get(adr, Projects(session).get("sample"))
            for i in range(times):
                adrs.update(row, {"approved_by": f"Reviewer {i}"}, row.version, "api:carol")
                session.flush()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of ``tracertm serve`` on the hostile sample project."""
    with sample_server(tmp_path_factory, _hostile) as (base, _):
        yield base


@pytest.fixture(scope="module")
def pages(served: str) -> list[str]:
    """``PAGES`` and the long scenario's page (linked from its feature's), each answering 200."""
    with httpx.Client(base_url=served, timeout=30) as http:
        feature = http.get(f"{P}/features/{LONG_ID}")
        assert feature.status_code == 200, feature.text[:300]
        scenario = next(href for href in _hrefs(feature.text) if "/scenarios/" in href)
        for url in PAGES:
            status = http.get(url).status_code
            assert status == (404 if url.endswith("ADR-9999") else 200), url
    return [*PAGES, scenario]


def _hrefs(html: str) -> list[str]:
    from html.parser import HTMLParser

    found: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.extend(v for k, v in attrs if k == "href" and v)

    Links().feed(html)
    return found


@pytest.fixture(scope="module")
def browser(served: str) -> Iterator[Any]:
    with launched() as chromium:
        yield chromium


# What sticks out on the right: the page's width beside the viewport's, the first elements past it, and each
# <pre> that scrolls (a region a keyboard cannot scroll, as it takes no focus).
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const e of document.querySelectorAll('body *')) {
    if (e.closest('.vh') || e.classList.contains('skip')) continue;
    if (e.getBoundingClientRect().right > width + 1) wide.push(e.tagName + '.' + e.className);
  }
  const scrolling = Array.from(document.querySelectorAll('pre')).filter(p => p.scrollWidth > p.clientWidth + 1)
    .map(p => p.textContent.slice(0, 60));
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5), scrolling};
}"""


def test_no_page_scrolls_sideways(browser: Any, served: str, pages: list[str]) -> None:
    # Each page is loaded once and laid out again at each width (a viewport resize reflows it as a load at that
    # width would: the pages run no script and no media query depends on anything but the width).
    context = browser.new_context(base_url=served, viewport={"width": WIDTHS[0], "height": 900})
    try:
        page = context.new_page()
        wide = {}
        for url in pages:
            page.goto(url)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                found = page.evaluate(OVERFLOW_JS)
                assert found["width"] <= width, (url, width, found)  # laid out at this width
                if found["scrollWidth"] > found["width"] or found["scrolling"]:
                    wide[f"{url} at {width}px"] = found
        assert not wide, json.dumps(wide, indent=1, ensure_ascii=False)
    finally:
        context.close()


def _need_axe() -> None:
    if AXE.exists():
        return
    why = f"{AXE} is absent (cd tests/steps/node && npm ci)"
    if os.environ.get("TRACERTM_REQUIRE_NODE") == "1":
        pytest.fail(f"TRACERTM_REQUIRE_NODE=1 but {why}")
    pytest.skip(why)


AXE_RUN_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.html.slice(0, 120))}));
}"""


def test_axe_finds_no_violation(browser: Any, served: str, pages: list[str]) -> None:
    _need_axe()
    # The pages' Content-Security-Policy runs no script of theirs; axe is the test's, injected past it.
    context = browser.new_context(base_url=served, viewport={"width": 1100, "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()
        source = AXE.read_text(encoding="utf-8")
        violations = {}
        for url in pages:
            page.goto(url)
            page.evaluate(source)
            found = page.evaluate(AXE_RUN_JS)
            if found:
                violations[url] = found
        assert not violations, json.dumps(violations, indent=1, ensure_ascii=False)
    finally:
        context.close()


def test_a_missing_axe_skips_unless_required(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys

    monkeypatch.setattr(sys.modules[__name__], "AXE", tmp_path / "no-axe.js")
    monkeypatch.delenv("TRACERTM_REQUIRE_NODE", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-axe.js is absent"):
        _need_axe()
    monkeypatch.setenv("TRACERTM_REQUIRE_NODE", "1")
    with pytest.raises(pytest.fail.Exception, match="TRACERTM_REQUIRE_NODE=1 but"):
        _need_axe()
