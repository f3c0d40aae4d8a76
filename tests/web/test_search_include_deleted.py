"""The web view's search can include deleted records, as the API's (``include_deleted=true``) and ``tracertm search
--include-deleted`` can: a checkbox of the search form, kept in the URL (the page's *Previous*/*Next* links and its
JSON twin), each deleted hit marked "(deleted)" after its status as the CLI and ``list`` mark it. The page had no
such option: a deleted record could not be found from the pages at all. On SQLite and PostgreSQL, and in Chromium
(the box ticked, the form sent)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from conformance import problems
from test_browser import page_at, sample_server
from webfixtures import client_for, main_of

import tracertm
from conftest import GitRepo

ADR = """# {n}. {title}

Date: 2024-01-0{n}

## Status

Accepted

## Context

The ledger needs {word}.

## Decision

Keep a ledger.

## Consequences

None.
"""


def _make(repo: GitRepo, url: str) -> None:
    """A project ``p``: ADR-0001 (live) and ADR-0002 (its file removed: deleted), both about the ledger."""
    repo.write("docs/adr/0001-live-ledger.md", ADR.format(n=1, title="Live ledger", word="entries"))
    repo.write("docs/adr/0002-gone-ledger.md", ADR.format(n=2, title="Gone ledger", word="postings"))
    repo.commit("two ADRs")
    assert not tracertm.sync(repo.path, database_url=url, project="p", ref="HEAD").errors
    repo.remove("docs/adr/0002-gone-ledger.md")
    repo.commit("drop ADR-0002")
    assert not tracertm.sync(repo.path, database_url=url, project="p", ref="HEAD").errors


@pytest.fixture
def client(git_repo: GitRepo, database_url: str) -> Iterator[Any]:
    _make(git_repo, database_url)
    yield from client_for(database_url)


def _hits(page: str) -> list[str]:
    """Each hit's line as text: ``ADR-0001 Live ledger accepted adr in p``, with ``(deleted)`` where it is one."""
    found = re.findall(r"<li>\s*<p>(.*?)</p>", main_of(page), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", hit)).split()) for hit in found]


def test_the_search_page_includes_deleted_records_when_asked_and_marks_them(client: Any) -> None:
    live = client.get("/search?q=ledger")
    assert live.status_code == 200
    assert _hits(live.text) == ["ADR-0001 Live ledger accepted adr in p"], "deleted records are left out by default"
    box = re.search(r'<input id="s-deleted" name="include_deleted" type="checkbox" value="true"[^>]*>', live.text)
    assert box and "checked" not in box.group(), "a checkbox of the form, not ticked"
    assert '<label for="s-deleted">' in live.text

    both = client.get("/search?q=ledger&include_deleted=true")
    assert both.status_code == 200
    assert sorted(_hits(both.text)) == ["ADR-0001 Live ledger accepted adr in p",
                                        "ADR-0002 Gone ledger accepted (deleted) adr in p"]
    assert "2 results for" in both.text, "the count counts the deleted hit too"
    box = re.search(r'<input id="s-deleted"[^>]*>', both.text)
    assert box and " checked" in box.group(), "the form says what was asked"
    # The JSON twin asks the API the same; both answer the same records.
    twin = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', both.text)
    assert twin and "include_deleted=true" in twin.group(1)
    api = client.get(html.unescape(twin.group(1))).json()["hits"]
    assert sorted((h["number"], h["deleted_at"] is not None) for h in api) == [("ADR-0001", False),
                                                                              ("ADR-0002", True)]
    # The deleted hit's link leads to its page, which says it is deleted.
    link = re.search(r'<a href="([^"]+)"><bdi>ADR-0002</bdi> <bdi>Gone ledger</bdi></a>', both.text)
    assert link
    record = client.get(html.unescape(link.group(1)))
    assert record.status_code == 200 and "<strong>deleted</strong>" in record.text
    # "postings" is only in the deleted record: found with the box ticked, nothing without.
    assert _hits(client.get("/search?q=postings").text) == []
    assert _hits(client.get("/search?q=postings&include_deleted=true").text) == [
        "ADR-0002 Gone ledger accepted (deleted) adr in p"]
    for r in (live, both):
        assert problems(r.text) == [], r.url


def test_pages_of_results_keep_include_deleted_in_their_links(client: Any, monkeypatch: Any) -> None:
    # Pages of one hit: the second holds the deleted one, and its "page" links are what carries the option onward
    # (a page past the last that holds hits is the 400 form).
    from tracertm.web import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    page = client.get("/search?q=ledger&include_deleted=true&page=2")
    assert page.status_code == 200
    previous = re.search(r'<a rel="prev" href="([^"]+)"', page.text)
    assert previous and "include_deleted=true" in html.unescape(previous.group(1))
    again = client.get("/search?q=ledger&include_deleted=false")
    assert again.status_code == 200 and len(_hits(again.text)) == 1
    twin = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', again.text)
    assert twin and "include_deleted" not in twin.group(1), "false is the default: not written"


def test_an_include_deleted_that_is_no_yes_or_no_is_the_form_with_its_message(client: Any) -> None:
    r = client.get("/search?q=ledger&include_deleted=maybe")
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    main = main_of(r.text)
    message = re.search(r'<p class="field-error" id="s-deleted-error">([^<]*)</p>', main)
    assert message and "include_deleted 'maybe': use true or false" in html.unescape(message.group(1))
    box = re.search(r'<input id="s-deleted"[^>]*>', main)
    assert box and 'aria-invalid="true"' in box.group() and 'aria-describedby="s-deleted-error"' in box.group()
    assert '<ol class="hits"' not in main and problems(r.text) == []


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, None]]:
    with sample_server(tmp_path_factory, _make) as served:
        yield served


def test_chromium_ticks_the_box_and_the_url_keeps_it(served: tuple[str, None]) -> None:
    base, _ = served
    with page_at(base) as page:
        page.goto("/search")
        page.get_by_label("Words").fill("ledger")
        box = page.get_by_label("Include deleted records")
        assert not box.is_checked()
        box.check()
        with page.expect_navigation() as navigation:
            page.get_by_role("search", name="Search with filters").get_by_role("button", name="Search").click()
        assert navigation.value.status == 200
        assert "include_deleted=true" in page.url, "a link to these results keeps the option"
        hits = page.locator("ol.hits > li")
        assert hits.count() == 2
        gone = hits.filter(has_text="Gone ledger")
        assert "(deleted)" in gone.inner_text() and "(deleted)" not in hits.filter(
            has_text="Live ledger").inner_text()
        assert page.get_by_label("Include deleted records").is_checked(), "the form shows what was asked"
        page.goto(page.url)  # the URL alone, as a link would open it
        assert page.locator("ol.hits > li").count() == 2
