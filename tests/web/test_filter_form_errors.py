"""A bad value in a page's filter form is that page again, not an error page: HTTP 400, the form as it was sent, the
one-line message beside the field at fault (``aria-invalid`` and ``aria-describedby`` naming it), no results —
as the API answers a bad filter with an error and no items — and the page still passes the conformance checks.
Every parameter of the list pages (``status``, ``q``, ``cursor``) and of the search (``q``, ``project``, ``kind``,
``page``); in a real Chromium too. Also: text from spec files in a right-to-left script carries ``dir="auto"``."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from conformance import problems
from test_browser import launched, page_in, sample_server
from test_browser_axe_and_layout import AXE, AXE_RUN_JS, OVERFLOW_JS, _need_axe
from webproject import Built, build, new_repo
from webfixtures import client_for, main_of, module_database, site  # noqa: F401 - site is a fixture

P = "/projects/sample"
LONG = "ledger " * 72  # 504 characters: over the 500 a query takes

# (URL, the id of the field at fault, what its message says, the value the form must still hold)
CASES = [
    (f"{P}/adrs?status=bogus", "f-status", "status 'bogus': not a status of adrs; use one of", "bogus"),
    (f"{P}/contracts?status=approved,bogus", "f-status", "status 'bogus': not a status of contracts", "bogus"),
    (f"{P}/features?status=draft&status=%D7%A9%D7%92%D7%95%D7%99", "f-status", "not a status of features",
     "שגוי"),
    (f"{P}/adrs?q={LONG}", "f-q", "q: at most 500 characters (this one has 504)", LONG),
    (f"{P}/contracts?q=%20%20", "f-q", "needs at least one word to look for", "  "),
    (f"{P}/features?q=the", "f-q", "needs at least one word to look for", "the"),
    (f"{P}/adrs?cursor=not-a-cursor", "f-cursor", "cursor: not a cursor of this list; start again without it", None),
    (f"{P}/adrs?cursor={'A' * 5000}", "f-cursor", "cursor: not a cursor of this list", None),
    (f"/search?q={LONG}", "s-q", "q: at most 500 characters", LONG),
    ("/search?q=%20", "s-q", "needs at least one word to look for", " "),
    ("/search?q=the+a&kind=adrs", "s-q", "needs at least one word to look for", "the a"),
    ("/search?q=ledger&project=nope", "s-project", "project 'nope': no such project; choose one of", "nope"),
    ("/search?q=ledger&kind=widgets", "s-kind", "kind 'widgets': not a kind search looks in; use one of", "widgets"),
    ("/search?q=ledger&kind=step-definitions", "s-kind", "use one of adrs, contracts, features, scenarios",
     "step-definitions"),
    ("/search?q=ledger&page=abc", "s-page", "page 'abc': not a page number; use 1 or more", None),
    ("/search?q=ledger&page=0", "s-page", "page '0': not a page number", None),
    ("/search?q=ledger&page=3", "s-page", "page '3': the 14 results fit on page 1", None),
    (f"/search?q=ledger&page={'9' * 5000}", "s-page", "results fit on page 1", None),
    ("/search?q=ledger&page=%C2%B2", "s-page", "page '²'", None),
]


@pytest.fixture(scope="module")
def client(site: tuple[str, Built]) -> Iterator[Any]:  # noqa: F811
    """One client of the app for the module's page tests: they only read (GET and HEAD)."""
    yield from client_for(site[0])


def _field_values(page: str, field: str) -> list[str]:
    """What the form's field ``field`` holds: an input's value, or a select's selected options' values."""
    found = re.search(rf'<(input|select) id="{field}"[^>]*>', page)
    assert found, f"no field {field}"
    if found.group(1) == "input":
        value = re.search(r'value="([^"]*)"', found.group())
        return [html.unescape(value.group(1))] if value else []
    body = page[found.end():page.index("</select>", found.end())]
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]*)" selected', body)]


@pytest.mark.parametrize(("url", "field", "message", "value"), CASES)
def test_a_bad_parameter_is_the_page_with_the_message_beside_its_field(client: Any, url: str, field: str,
                                                                       message: str, value: str | None) -> None:
    r = client.get(url)
    assert r.status_code == 400, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    main = main_of(page)
    assert "<title>Error: " in page and 'class="filters"' in main, "the page itself, its form, not the error page"
    shown = re.search(rf'<p class="(?:field-)?error" id="{field}-error">([^<]*)</p>', main)
    assert shown, f"no message {field}-error"
    text = html.unescape(shown.group(1))
    assert message in text and "\n" not in text and len(text) < 600, "one line, a long value cut short"
    if value is None:  # a parameter no field shows (a next page's cursor, the page number): the form names it
        form = re.search(r'<form class="filters"[^>]*>', main)
        assert form and f'aria-describedby="{field}-error"' in form.group()
    else:
        found = re.search(rf'<(?:input|select) id="{field}"[^>]*>', main)
        assert found, f"no field {field}"
        control = found.group()
        assert 'aria-invalid="true"' in control and f'aria-describedby="{field}-error"' in control, control
        assert value in _field_values(main, field), "the form keeps what was sent"
    assert main.count('aria-invalid="true"') == (0 if value is None else 1), "only the field at fault"
    assert "<table" not in main and '<ol class="hits"' not in main and 'role="status"' not in main, "no results"
    assert 'rel="alternate"' not in page, "no JSON twin of a query the API refuses too"
    assert problems(page) == []
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "ids unique"
    assert client.head(url).status_code == 400


def test_good_parameters_mark_no_field(client: Any) -> None:
    for url in (f"{P}/adrs?status=accepted,proposed&q=ledger", "/search?q=ledger&project=sample&kind=adrs&page=1",
                "/search", f"{P}/features?status=&q="):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        assert "aria-invalid" not in r.text and "-error" not in main_of(r.text) and "<title>Error" not in r.text
        assert problems(r.text) == []


def test_the_bad_value_of_a_several_status_list_stays_selected_among_the_good(client: Any) -> None:
    main = main_of(client.get(f"{P}/adrs?status=accepted&status=bogus,proposed").text)
    assert sorted(_field_values(main, "f-status")) == ["accepted", "bogus", "proposed"]
    assert re.search(r'<select id="f-status"[^>]* multiple size="\d+"', main)


# ------------------------------------------------------------------------------------------ right-to-left text

ARABIC = "اعتماد دفتر الأستاذ القائم على الأحداث"
HEBREW = "תשלום בכרטיס"
RTL_ADR = f"""# 1. {ARABIC}

Date: 2024-01-02

## Status

Accepted

## Context

نحتاج إلى سجل كامل للتغييرات.

## Decision

سنستخدم دفتر الأستاذ.

## Consequences

لا شيء.
"""
RTL_FEATURE = f"""@FEAT-7
Feature: {HEBREW}

  @SC-1
  Scenario: {HEBREW} מוצלח
    Given a card
"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def rtl(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The database URL of a project ``rtl``: an ADR with an Arabic title and prose, a feature with a Hebrew name."""
    import tracertm

    with module_database(request, tmp_path_factory, "rtl") as (work, url):
        repo = new_repo(work / "repo")
        repo.write("docs/adr/0001-ledger.md", RTL_ADR)
        repo.write("features/pay.feature", RTL_FEATURE)
        repo.commit("rtl")
        result = tracertm.sync(repo.path, database_url=url, project="rtl", ref="HEAD")
        assert not result.errors, result.errors
        yield url


def _dir_of(page: str, text: str) -> str:
    """The ``dir`` of the innermost element holding ``text`` as its whole content."""
    found = re.search(rf'<(\w+)((?: [\w-]+="[^"]*")*)>{re.escape(html.escape(text, quote=False))}</\1>', page)
    assert found, f"{text!r} is not an element's whole text"
    attr = re.search(r' dir="([^"]*)"', found.group(2))
    return attr.group(1) if attr else ""


def test_right_to_left_user_text_is_marked_dir_auto(rtl: str) -> None:
    for made in client_for(rtl):
        client: Any = made
        adr = client.get("/projects/rtl/adrs/ADR-0001")
        assert adr.status_code == 200
        assert _dir_of(adr.text, ARABIC) == "auto", "the title in the <h1>"
        assert re.search(r'<div class="prose" dir="auto"><p>نحتاج', adr.text), "the prose"
        assert '<h1 id="record-title"><bdi class="id">ADR-0001</bdi> <span dir="auto">' in adr.text
        listed = client.get("/projects/rtl/adrs")
        assert _dir_of(listed.text, ARABIC) == "auto", "the list's title cell"
        feature = client.get("/projects/rtl/features/FEAT-7")
        assert _dir_of(feature.text, HEBREW) == "auto"
        scenario = client.get("/projects/rtl/features/FEAT-7/scenarios/SC-1")
        assert _dir_of(scenario.text, f"{HEBREW} מוצלח") == "auto"
        matrix = client.get("/projects/rtl/matrix?from=adrs")
        assert _dir_of(matrix.text, ARABIC) == "auto"
        hits = client.get("/search?q=" + "دفتر")
        assert hits.status_code == 200 and 'class="snippet" dir="auto"' in hits.text
        for r in (adr, listed, feature, scenario, matrix, hits):
            assert problems(r.text) == [], r.url
            assert '<h1 dir="auto"' not in r.text and "<label dir" not in r.text, "the page's own labels stay"


# ------------------------------------------------------------------------------------------------ in Chromium


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Built]]:
    with sample_server(tmp_path_factory, build) as served:
        yield served


@pytest.fixture(scope="module")
def browser(served: tuple[str, Built]) -> Iterator[Any]:
    """One Chromium for the module; each test has a context (cookies, viewport) of its own."""
    with launched() as chromium:
        yield chromium


def test_chromium_shows_the_message_beside_the_field_it_describes(served: tuple[str, Built], browser: Any) -> None:
    base, _ = served
    with page_in(browser, base) as page:
        from playwright.sync_api import expect

        page.goto("/projects/sample/adrs")
        words = page.get_by_label("Words")
        words.fill("the")  # only a common word: nothing to look for
        with page.expect_navigation() as navigation:
            words.press("Enter")
        assert navigation.value.status == 400
        assert page.title().startswith("Error: ADRs")
        words = page.get_by_label("Words")
        assert words.input_value() == "the", "the form keeps what was typed"
        assert words.get_attribute("aria-invalid") == "true"
        message = page.locator("#" + str(words.get_attribute("aria-describedby")))
        assert message.is_visible() and "needs at least one word" in message.inner_text()
        # The accessible description Chromium computes for the field is the message.
        expect(words).to_have_accessible_description(re.compile("needs at least one word"))
        assert page.locator("table.records").count() == 0


# The last two: a value each select shows as an option of its own, marked, as long as a long project name (a
# select is as wide as its longest option unless style.css holds it to its field).
WIDE = "payments-platform-backend-" * 4
BAD = [f"{P}/adrs?status=accepted&status=bogus", f"{P}/features?q=the", f"{P}/adrs?cursor=x",
       "/search?q=ledger&project=nope&kind=widgets", f"/search?q=ledger&page={'9' * 300}",
       f"{P}/contracts?status=approved&status={WIDE}", f"/search?q=ledger&project=acme/{WIDE}&kind={WIDE}"]


def test_axe_finds_no_violation_on_a_form_with_errors_and_it_never_scrolls_sideways(
        served: tuple[str, Built], browser: Any) -> None:
    _need_axe()
    base, _ = served
    source = AXE.read_text(encoding="utf-8")
    # The pages run no script; axe is the test's, injected past their Content-Security-Policy.
    with page_in(browser, base, viewport={"width": 375, "height": 900}, bypass_csp=True) as page:
        for url in BAD:
            assert page.goto(url).status == 400, url
            page.evaluate(source)
            assert page.evaluate(AXE_RUN_JS) == [], url
            layout = page.evaluate(OVERFLOW_JS)
            assert layout["scrollWidth"] <= layout["width"], (url, layout)
