"""A record with a long history (253 revisions: git changes, a pure move that keeps its version, and database-side
edits through the ORM, as the API's PATCH makes them): its web page shows the newest 50 with their diffs, says how
many there are in all and links the older ones (``?before=<version>``); walking those links gives every revision
once with the diffs the whole timeline shows, and each page reads a bounded number of revisions. The API's history
stays whole by default (the README: every revision) and pages with ``limit``/``cursor`` and a ``Link`` header."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from webfixtures import client_for, module_database
from webproject import new_repo

API = "/api/v1"
P = "/projects/long"
PAGE = f"{P}/adrs/ADR-0001"
ADR = """# 1. Use a queue

Date: 2024-05-01

## Status

Accepted

## Context

Orders arrive in bursts.

## Decision

{decision}

## Consequences

Workers scale out.
"""
CONTRACT = "id: CTR-0001\ntitle: Queue\ntype: service\nstatus: approved\n"
FEATURE = "@FEAT-1\nFeature: Queue\n\n  @SC-1\n  Scenario: Burst\n    Given a burst\n"
OTHER_EDITS = 55  # of the contract and the scenario: 56 revisions, two pages
FIRST_EDITS, SECOND_EDITS = 120, 130
TOTAL = 1 + FIRST_EDITS + 2 + SECOND_EDITS  # created, edits, an update and a pure move, edits


def _edit(url: str, count: int, start: int, kind: str = "adr", ident: str = "ADR-0001") -> None:
    """``count`` database-side edits of a record: ``approved_by`` every time, ``metadata`` every ninth (so a page's
    first edit of it diffs against an edit far older than the page)."""
    from tracertm import db
    from tracertm.repositories import Projects, Records

    engine = db.make_engine(url)
    try:
        with db.session(engine) as session, session.begin():
            adrs = Records(session, kind)
            row = adrs.get(ident, Projects(session).get("long"))
            for i in range(start, start + count):
                changes: dict[str, Any] = {"approved_by": f"Carol {i}"}
                if i % 9 == 0:
                    changes["metadata"] = {"round": i}
                adrs.update(row, changes, row.version, "api:carol")
                session.flush()
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def long_history(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The database URL of the project ``long``: ADR-0001 with ``TOTAL`` revisions."""
    import tracertm

    with module_database(request, tmp_path_factory, "long") as (work, url):
        repo = new_repo(work / "repo")
        repo.write("docs/adr/0001-use-a-queue.md", ADR.format(decision="Use a queue."))
        repo.write("contracts/queue.yaml", CONTRACT)
        repo.write("features/queue.feature", FEATURE)
        repo.commit("ADR-0001", date="2026-11-01T10:00:00+00:00")
        assert not tracertm.sync(repo.path, database_url=url, project="long", ref="HEAD").errors
        _edit(url, OTHER_EDITS, 0, "contract", "CTR-0001")
        _edit(url, OTHER_EDITS, 0, "scenario", "FEAT-1/SC-1")
        _edit(url, FIRST_EDITS, 0)
        repo.write("docs/adr/0001-use-a-queue.md", ADR.format(decision="Use a durable queue, replicated."))
        repo.commit("ADR-0001: durable", date="2026-11-02T10:00:00+00:00")
        assert not tracertm.sync(repo.path, database_url=url, project="long", ref="HEAD").errors
        repo.git("mv", "docs/adr/0001-use-a-queue.md", "docs/adr/0001-queue.md")
        repo.commit("ADR-0001: rename", date="2026-11-03T10:00:00+00:00")
        assert not tracertm.sync(repo.path, database_url=url, project="long", ref="HEAD").errors
        _edit(url, SECOND_EDITS, FIRST_EDITS)
        yield url


def _history(url: str) -> list[Any]:
    from tracertm import db
    from tracertm.repositories import Projects, Records

    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            adrs = Records(session, "adr")
            rows = adrs.history(adrs.get("ADR-0001", Projects(session).get("long")))
            session.expunge_all()
            return rows
    finally:
        engine.dispose()


def _entries(page: str) -> list[str]:
    """The timeline's entries of a page, each as its HTML."""
    found = re.search(r'<ol class="timeline" reversed>(.*?)</ol>', page, re.S)
    assert found, "no timeline"
    return re.findall(r"<li>.*?</li>", found.group(1), re.S)


def _whole_timeline(url: str) -> list[str]:
    """What the page showed before it was bounded: every revision's entry, diffed along the whole history."""
    from tracertm.web.render import environment
    from tracertm.web.timeline import timeline

    macro = environment().get_template("macros.html").module.timeline  # type: ignore[attr-defined]
    return _entries(str(macro(timeline(_history(url)))))


class Reads:
    """Statements on ``spec_revisions`` and revisions loaded while the block runs (any engine, any session)."""

    def __init__(self) -> None:
        self.statements = self.rows = 0

    def _statement(self, *args: Any) -> None:
        self.statements += "spec_revisions" in str(args[2])

    def _row(self, *_: Any) -> None:
        self.rows += 1

    def __enter__(self) -> Reads:
        from tracertm.models import SpecRevision

        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(SpecRevision, "load", self._row)
        return self

    def __exit__(self, *_: Any) -> None:
        from tracertm.models import SpecRevision

        event.remove(Engine, "before_cursor_execute", self._statement)
        event.remove(SpecRevision, "load", self._row)


def test_the_history_is_long_and_has_a_pure_move(long_history: str) -> None:
    rows = _history(long_history)
    assert len(rows) == TOTAL
    versions = [r.version for r in rows]
    assert len(set(versions)) == TOTAL - 1  # the move kept the version of the update before it
    assert [r.change for r in rows].count("annotated") == FIRST_EDITS + SECOND_EDITS


def test_the_page_shows_the_newest_fifty_and_its_links_walk_every_revision_once(long_history: str) -> None:
    from tracertm.web.pages import HISTORY_PAGE

    whole = _whole_timeline(long_history)
    assert len(whole) == TOTAL
    newest = [r.version for r in _history(long_history)][::-1]
    shown: list[str] = []
    pages = []
    for client in client_for(long_history):
        url: str | None = PAGE
        while url:
            with Reads() as reads:
                answer = client.get(url)
            assert answer.status_code == 200, answer.text
            # Bounded, whatever the page: not the 253 revisions (nor a statement per revision).
            assert reads.rows <= 3 * HISTORY_PAGE and reads.statements <= 12, (url, reads.rows, reads.statements)
            entries = _entries(answer.text)
            pages.append((url, len(entries)))
            assert f"{TOTAL} revisions in all" in answer.text
            shown += entries
            older = re.search(r'<a rel="next" href="([^"]+)">Older revisions', answer.text)
            url = html.unescape(older.group(1)) if older else None
            if url:
                assert url.startswith(f"{PAGE}?before=") and url.endswith("#history")
                url = url.removesuffix("#history")
            if len(pages) > 1:
                assert f'href="{PAGE}#history">← Newest revisions' in answer.text
    assert pages[0] == (PAGE, HISTORY_PAGE)  # the newest fifty first
    assert all(n >= HISTORY_PAGE for _, n in pages[:-1]), pages
    assert pages[1][0] == f"{PAGE}?before={newest[HISTORY_PAGE - 1]}"
    # Every revision once, in order, with the diffs of the whole timeline — the first entry of each page too,
    # against the revision before it (a git snapshot far back, a database edit of ``metadata`` from another page).
    assert shown == whole


def test_a_page_before_the_first_version_is_empty_and_a_bad_one_is_400(long_history: str) -> None:
    for client in client_for(long_history):
        answer = client.get(f"{PAGE}?before=1")
        assert answer.status_code == 200
        assert _entries(answer.text) == [] and "Older revisions" not in answer.text
        assert f"{TOTAL} revisions in all" in answer.text and "← Newest revisions" in answer.text
        for bad in ("x", "0", "-3", str(2**40)):
            refused = client.get(f"{PAGE}?before={bad}")
            assert refused.status_code == 400 and "before" in refused.text, (bad, refused.status_code)


def test_windows_never_split_a_version_and_cover_the_history_both_ways(long_history: str) -> None:
    from tracertm import db
    from tracertm.repositories import Projects, Records

    engine = db.make_engine(long_history)
    try:
        with db.session(engine) as session:
            adrs = Records(session, "adr")
            row = adrs.get("ADR-0001", Projects(session).get("long"))
            whole = [r.id for r in adrs.history(row)]
            assert adrs.history_count(row) == TOTAL
            for size in (1, 2, 7, 50, TOTAL, TOTAL + 1):
                backward: list[Any] = []
                bound = None
                while True:
                    rows, more = adrs.history_window(row, bound, size)
                    backward = [r.id for r in rows] + backward
                    if not more:
                        break
                    bound = rows[0].version
                forward: list[Any] = []
                after = None
                while True:
                    rows, more = adrs.history_window(row, after, size, newest=False)
                    forward += [r.id for r in rows]
                    if not more:
                        break
                    after = rows[-1].version
                assert backward == whole and forward == whole, size
    finally:
        engine.dispose()


def test_the_api_history_is_whole_by_default_and_pages_with_a_limit(long_history: str) -> None:
    whole_path = f"{API}/adrs/ADR-0001/history?project=long"
    for client in client_for(long_history):
        whole = client.get(whole_path)
        assert whole.status_code == 200 and "link" not in whole.headers
        everything = whole.json()
        assert len(everything) == TOTAL  # the README: every revision, oldest first
        pages = []
        walked: list[Any] = []
        url: str | None = f"{whole_path}&limit=40"
        while url:
            with Reads() as reads:
                answer = client.get(url)
            assert answer.status_code == 200, answer.text
            assert reads.rows <= 41 + 2 and reads.statements <= 4, (reads.rows, reads.statements)
            pages.append(len(answer.json()))
            walked += answer.json()
            link = answer.headers.get("link")
            found = re.fullmatch(r'<([^>]+)>; rel="next"', link) if link else None
            url = found.group(1).removeprefix("http://testserver") if found else None
            if url:
                assert "project=long" in url and "limit=40" in url and "cursor=v" in url
        assert walked == everything
        assert pages[0] == 40 and len(pages) == 7
        # A cursor alone pages by 50; a bad cursor is a 400 problem, not the whole history.
        cursor = client.get(f"{whole_path}&cursor=v0")
        assert len(cursor.json()) == 50 and "cursor=v50" in cursor.headers["link"]
        for bad in ("x", "v", "v-1", "v1x", "v99999999999"):
            refused = client.get(f"{whole_path}&cursor={bad}")
            assert refused.status_code == 400 and "cursor" in refused.json()["detail"], bad
        assert client.get(f"{whole_path}&limit=0").status_code in (400, 422)


@pytest.mark.parametrize("page", [f"{P}/contracts/CTR-0001", f"{P}/features/FEAT-1/scenarios/SC-1"])
def test_contract_and_scenario_pages_page_their_history_too(long_history: str, page: str) -> None:
    for client in client_for(long_history):
        first = client.get(page)
        assert first.status_code == 200, first.text
        assert len(_entries(first.text)) == 50 and "56 revisions in all" in first.text
        older = re.search(r'<a rel="next" href="([^"]+)">Older revisions', first.text)
        assert older and html.unescape(older.group(1)) == f"{page}?before=7#history"
        rest = client.get(f"{page}?before=7")
        assert rest.status_code == 200
        entries = _entries(rest.text)
        assert len(entries) == 6 and "<strong>v1 created</strong>" in entries[-1]
        assert "Older revisions" not in rest.text and f'href="{page}#history">← Newest' in rest.text
