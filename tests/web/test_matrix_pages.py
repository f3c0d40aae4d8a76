"""The matrix page shows its rows 100 at a time. It was one page of every requirement or ADR: on the large benchmark
corpus 900 requirements (2,000 ADRs) naming 26,000 records, 2.8 MB (3.3 MB) of HTML that Chromium took 5-7 s to
load. The states above the table still count every row, as the API's; the pages together hold the API's rows."""

from __future__ import annotations

import html
import re
from typing import Any

from apikit import api_client
from conftest import GitRepo

REQUIREMENTS = 205  # two full pages and five rows
P = "/projects/p/matrix"


def _feature() -> str:
    """A feature tagged with every requirement, its two scenarios covering each, one ADR that states REQ-1."""
    tags = " ".join(f"@REQ-{n}" for n in range(1, REQUIREMENTS + 1))
    return (f"@FEAT-1 @ADR-0001 {tags}\nFeature: Pay\n\n  @SC-1\n  Scenario: one\n    Given x\n\n"
            "  @SC-2\n  Scenario: two\n    Given y\n")


def _page(client: Any, url: str) -> tuple[list[str], str]:
    """The row ids of the matrix page at ``url`` and its text (200 required)."""
    answer = client.get(url)
    assert answer.status_code == 200, answer.text[:500]
    body = answer.text
    ids = re.findall(r'<tr>\s*<th scope="row">(?:<bdi>)?(?:<a [^>]*>)?([^<]+)', body)
    return [html.unescape(i).strip() for i in ids], html.unescape(body)


def _states(text: str) -> dict[str, int]:
    """The page's count of each state (its list above the table)."""
    listed = re.search(r'<ul class="states">(.*?)</ul>', text, re.S)
    assert listed is not None
    items = (re.sub(r"<[^>]+>", "", item).split() for item in re.findall(r"<li>(.*?)</li>", listed.group(1), re.S))
    return {" ".join(words[:-1]): int(words[-1]) for words in items}


def _next(text: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)">Next rows', text)
    return P + found.group(1) if found else None


def test_the_matrix_page_shows_100_rows_at_a_time_and_the_pages_hold_the_apis_rows(
        git_repo: GitRepo, database_url: str) -> None:
    import tracertm

    git_repo.write("features/pay.feature", _feature())
    git_repo.write("docs/adr/0001-one.md", "# 1. One\n\n## Status\n\nAccepted\n\n## Context\n\nREQ-1.\n")
    git_repo.commit("specs")
    tracertm.sync(git_repo.path, database_url=database_url, project="p", ref="HEAD")
    with api_client(database_url) as client:
        api = client.get("/api/v1/projects/p/matrix?from=requirements").json()
        assert len(api["rows"]) == REQUIREMENTS

        url: str | None = f"{P}?from=requirements"
        seen: list[str] = []
        for first, count in ((1, 100), (101, 100), (201, 5)):
            assert url is not None
            ids, text = _page(client, url)
            assert len(ids) == count and f"Rows {first}–{first + count - 1} of {REQUIREMENTS}." in text, url
            assert _states(text) == api["states"], url  # of every row, not the page's
            assert ("← First rows" in text) == (first > 1), url
            seen += ids
            url = _next(text)
        assert url is None  # the last page has no Next
        assert seen == [row["id"] for row in api["rows"]]  # natural order: REQ-2 before REQ-10
        assert seen[:3] == ["REQ-1", "REQ-2", "REQ-3"]

        # An id no row has starts at the first row after it; past the last row, a page that says so.
        assert _page(client, f"{P}?from=requirements&after=REQ-150a")[0][0] == "REQ-151"
        assert _page(client, f"{P}?from=requirements&after=REQ-0")[0][:2] == ["REQ-1", "REQ-2"]
        ids, text = _page(client, f"{P}?from=requirements&after=REQ-{REQUIREMENTS}")
        assert ids == [] and f"No row after REQ-{REQUIREMENTS} (the previous page's last)." in text
        assert "← First rows" in text and _next(text) is None
        ids, text = _page(client, f"{P}?from=adrs")  # one page: neither link
        assert ids == ["ADR-0001"] and "Rows 1–1 of 1." in text and "First rows" not in text and _next(text) is None
