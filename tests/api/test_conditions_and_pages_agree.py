"""API consistency defects colleagues noticed (through the app, SQLite and PostgreSQL):

- a list's cursor did not carry ``fields``: only the ``Link`` header's next URL added ``fields=``, so a client
  following the body's ``page.next`` (a cursor alone, as the README says to) got whole records on page 2;
  nor ``count``: page 2, by its ``Link`` or by ``page.next``, had no ``total``;

- an ``If-Match: *`` PATCH was 412 after its third loss to a writer that takes no write lock (an ORM edit from
  Python), where the README says a ``*`` write is never 412: it is now tried again within the lock's bound;
- ``/history`` and ``/at`` by a former id (a scenario an upgrade renumbered, ``cart/add  an\titem``; a renamed
  file's untagged feature) were 404, while the CLI's ``history`` and ``show --at`` find the record (README);
- a link ``PATCH`` evaluated ``If-None-Match`` before the lock and before ``If-Match``: a stale ``If-Match`` sent with
  ``If-None-Match: *`` was the ``If-None-Match`` 412 without ``current_version``, while a record's ``PATCH`` answers
  the stale version first (RFC 9110 13.2.2: If-Match, then If-None-Match, as the README says for every route);
- on PostgreSQL a response read in several statements, each in a snapshot of its own (READ COMMITTED), contradicted
  itself when a sync or a prune committed between them: a last page (``count=true``) whose ``total`` was not its
  items' number, facets whose ``total`` was not the sum of their status counts, a test run with ``counts.total`` 3
  and no results. A read request is now one snapshot (README: one snapshot per response).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from sqlalchemy import event

from apikit import api_client, make_token, next_page, refunds_with_a_changed_adr
from conftest import GitRepo
from specs import adr
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/api/v1"
PROJECT = f"{API}/projects/refunds"
PROBLEMS = "https://tracertm.dev/problems/"
FEATURE = "@FEAT-1 @ADR-0003\nFeature: Refunds\n\n  @SC-1\n  Scenario: refund\n    Given a paid order\n"


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    """The app over a project whose FEAT-1 links ADR-0003, which is at version 2 since: the link is suspect."""
    refunds_with_a_changed_adr(git_repo, engine, FEATURE)
    with api_client(engine) as test_client:
        yield test_client


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    return body


def test_a_link_review_evaluates_if_match_before_if_none_match(client: TestClient, engine: Any) -> None:
    auth = {"Authorization": f"Bearer {make_token(engine)}"}
    link = client.get(f"{PROJECT}/links", params={"source": "FEAT-1", "target": "ADR-0003"}).json()["items"][0]
    url = f"{PROJECT}/links/{link['id']}"
    # Both preconditions false: the stale If-Match answers, naming the version to re-read, as a record's PATCH does.
    stale = problem(client.patch(url, json={"reviewed": True}, headers={**auth, "If-Match": '"1"',
                                                                         "If-None-Match": "*"}), 412)
    assert stale["type"] == PROBLEMS + "stale-version" and stale["current_version"] == 2, stale
    record = client.get(f"{API}/adrs/ADR-0003", params={"project": "refunds"})
    same = problem(client.patch(f"{API}/adrs/ADR-0003", json={"approved_by": "ada"},
                                headers={**auth, "If-Match": '"1"', "If-None-Match": "*"}), 412)
    assert same["type"] == stale["type"] and same["current_version"] == record.json()["version"], same
    # If-Match holds, If-None-Match names the link as it is: 412, nothing reviewed.
    refused = problem(client.patch(url, json={"reviewed": True}, headers={**auth, "If-Match": '"2"',
                                                                           "If-None-Match": "*"}), 412)
    assert refused["type"] == PROBLEMS + "precondition-failed", refused
    assert client.get(url).json()["state"] == "suspect"
    # Without If-Match, a false If-None-Match is still its 412 before the 428.
    problem(client.patch(url, json={"reviewed": True}, headers={**auth, "If-None-Match": "*"}), 412)
    assert client.patch(url, json={"reviewed": True}, headers={**auth, "If-None-Match": '"9"'}).status_code == 428
    # Both hold: reviewed.
    done = client.patch(url, json={"reviewed": True}, headers={**auth, "If-Match": '"2"', "If-None-Match": '"9"'})
    assert done.status_code == 200 and done.json()["reviewed_version"] == 2, done.text


def _three_adrs(git_repo: GitRepo, engine: Any) -> None:
    """ADR-0001 to ADR-0003, synced into the project ``p``."""
    for number in (1, 2, 3):
        git_repo.write(f"docs/adr/000{number}-use-x{number}.md", adr(number, f"Use x{number}"))
    git_repo.commit("adrs")
    sync(git_repo.path, engine=engine, project="p")


def test_a_cursor_carries_the_fields_of_its_list(git_repo: GitRepo, engine: Any) -> None:
    _three_adrs(git_repo, engine)
    with api_client(engine) as client:
        first = client.get(f"{API}/projects/p/adrs", params={"fields": "number,title", "limit": 1})
        assert [list(item) for item in first.json()["items"]] == [["number", "title"]], first.text
        cursor = first.json()["page"]["next"]
        # The body's cursor alone, and the Link header's URL: the same fields, the same page size, to the end.
        by_cursor = client.get(f"{API}/projects/p/adrs", params={"cursor": cursor}).json()
        by_link = client.get(next_page(first) or "").json()
        assert by_cursor == by_link, (by_cursor, by_link)
        assert by_cursor["items"] == [{"number": "ADR-0002", "title": "Use x2"}], by_cursor
        last = client.get(f"{API}/projects/p/adrs", params={"cursor": by_cursor["page"]["next"]}).json()
        assert last["items"] == [{"number": "ADR-0003", "title": "Use x3"}] and last["page"]["next"] is None, last
        # fields given next to a cursor choose what the page shows (and its next cursor carries them).
        other = client.get(f"{API}/projects/p/adrs", params={"cursor": cursor, "fields": "status"}).json()
        assert other["items"] == [{"status": "accepted"}] and other["page"]["limit"] == 1, other
        again = client.get(f"{API}/projects/p/adrs", params={"cursor": other["page"]["next"]}).json()
        assert again["items"] == [{"status": "accepted"}], again
        # A list without fields: whole records on every page.
        whole = client.get(f"{API}/projects/p/adrs", params={"limit": 2}).json()
        rest = client.get(f"{API}/projects/p/adrs", params={"cursor": whole["page"]["next"]}).json()
        assert len(rest["items"]) == 1 and {"number", "title", "status", "id"} <= set(rest["items"][0]), rest


def test_a_cursor_carries_the_count_of_its_list(git_repo: GitRepo, engine: Any) -> None:
    _three_adrs(git_repo, engine)
    with api_client(engine) as client:
        first = client.get(f"{API}/projects/p/adrs", params={"count": "true", "limit": 1, "status": "accepted"})
        assert first.json()["total"] == 3, first.text
        # page.next alone and the Link URL: the same page, with the total, to the end.
        by_cursor = client.get(f"{API}/projects/p/adrs", params={"cursor": first.json()["page"]["next"]}).json()
        by_link = client.get(next_page(first) or "").json()
        assert by_cursor == by_link and by_cursor["total"] == 3, (by_cursor, by_link)
        last = client.get(f"{API}/projects/p/adrs", params={"cursor": by_cursor["page"]["next"]}).json()
        assert last["total"] == 3 and last["page"]["next"] is None, last
        # count=true next to a cursor of a list without it counts too, and its next cursor keeps it.
        plain = client.get(f"{API}/projects/p/adrs", params={"limit": 1}).json()
        assert "total" not in plain
        asked = client.get(f"{API}/projects/p/adrs", params={"cursor": plain["page"]["next"], "count": "true"}).json()
        assert asked["total"] == 3, asked
        assert client.get(f"{API}/projects/p/adrs", params={"cursor": asked["page"]["next"]}).json()["total"] == 3
        assert "total" not in client.get(f"{API}/projects/p/adrs", params={"cursor": plain["page"]["next"]}).json()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite: the server's write blocks others
def test_a_star_write_outlasts_writers_that_take_no_lock(git_repo: GitRepo, engine: Any, database_url: str) -> None:
    """Each time the server's version-guarded UPDATE is about to run, a library caller commits an edit of the same
    ADR first (``Records.update`` in a session of its own: no write lock), five times over."""
    from tracertm import db
    from tracertm.repositories import KINDS, Records

    git_repo.write("docs/adr/0001-use-x.md", adr(1, "Use x"))
    git_repo.commit("adr")
    sync(git_repo.path, engine=engine, project="p")
    other = db.make_engine(database_url)
    losses: list[int] = []

    def edit_first(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE ADRS") and len(losses) < 5:
            with db.session(other) as session, session.begin():
                repo = Records(session, KINDS["adr"])
                row = repo.get("ADR-0001", None)
                repo.update(row, {"approved_by": f"python {len(losses)}"}, row.version, "python")
            losses.append(1)

    event.listen(engine, "before_cursor_execute", edit_first)
    try:
        with api_client(engine) as client:
            answer = client.patch(f"{API}/adrs/ADR-0001", json={"approved_by": "ada"},
                                  headers={"Authorization": f"Bearer {make_token(engine)}", "If-Match": "*"})
            assert answer.status_code == 200, answer.text
            assert len(losses) == 5 and answer.json()["approved_by"] == "ada" and answer.json()["version"] == 7
    finally:
        event.remove(engine, "before_cursor_execute", edit_first)
        other.dispose()


def test_history_and_at_find_a_record_by_a_former_id(git_repo: GitRepo, database_url: str) -> None:
    """The scenario ``add  an<TAB>item`` numbered as an earlier tracertm numbered it (its revisions too), then the
    first sync after the upgrade renumbers it ``add an item``; its feature's file renamed since."""
    from urllib.parse import quote

    from raw_sql import set_marker, sql
    from tracertm.engine.parsed_by import IDS_COLLAPSED_SINCE, PARSER_OUTPUT_KEY

    spaced = "add  an\titem"
    git_repo.write("features/cart.feature", f"Feature: Cart\n  Scenario: {spaced}\n    Given an empty cart\n")
    first = git_repo.commit("cart")
    sync(git_repo.path, database_url=database_url, project="p")
    (row_id,), = sql(database_url, "SELECT id FROM scenarios")
    sql(database_url, "UPDATE scenarios SET scenario_number = :n WHERE id = :i", n=spaced, i=row_id)
    sql(database_url, "UPDATE spec_revisions SET number = :n WHERE entity_id = :i", n=spaced, i=row_id)
    set_marker(database_url, PARSER_OUTPUT_KEY, IDS_COLLAPSED_SINCE - 1)  # parsed before today's scenario ids
    sync(git_repo.path, database_url=database_url, project="p")  # the upgrade: the row is 'add an item' now
    git_repo.git("mv", "features/cart.feature", "features/basket.feature")
    git_repo.commit("rename")
    sync(git_repo.path, database_url=database_url, project="p")
    with api_client(database_url) as client:
        now = client.get(f"{API}/scenarios/basket/add an item/history").json()
        assert [r["change"] for r in now][-1] == "moved", now
        for former in (f"cart/{spaced}",):  # as the CLI finds it: tracertm history "cart/add  an<TAB>item"
            history = client.get(f"{API}/scenarios/{quote(former)}/history", params={"project": "p"})
            assert history.status_code == 200 and history.json() == now, (former, history.text)
            at = client.get(f"{API}/scenarios/{quote(former)}/at/{first}")
            assert at.status_code == 200 and at.json()["version"] == 1, (former, at.text)
        feature = client.get(f"{API}/features/cart/history")
        assert feature.status_code == 200 and feature.json()[0]["change"] == "created", feature.text
        # An id no record ever had is still the 404 naming the list to look in.
        assert client.get(f"{API}/scenarios/cart/nothing/history").status_code == 404


def test_a_deleted_records_approval_is_written_and_kept_through_its_restore(git_repo: GitRepo, engine: Any) -> None:
    """README: a record a sync soft-deleted keeps database-owned fields writable (``If-Match: *`` holds for it), and
    its file coming back restores the row with them. (Documents what the API did already.)"""
    text = adr(1, "Use x")
    git_repo.write("docs/adr/0001-use-x.md", text)
    git_repo.commit("adr")
    sync(git_repo.path, engine=engine, project="p")
    git_repo.remove("docs/adr/0001-use-x.md")
    git_repo.commit("gone")
    sync(git_repo.path, engine=engine, project="p")
    auth = {"Authorization": f"Bearer {make_token(engine)}", "If-Match": "*"}
    with api_client(engine) as client:
        answer = client.patch(f"{API}/adrs/ADR-0001", json={"approved_by": "ada"}, headers=auth)
        assert answer.status_code == 200 and answer.json()["deleted_at"] is not None, answer.text
        git_repo.write("docs/adr/0001-use-x.md", text)
        git_repo.commit("back")
        sync(git_repo.path, engine=engine, project="p")
        back = client.get(f"{API}/adrs/ADR-0001").json()
        assert back["deleted_at"] is None and back["approved_by"] == "ada", back


@contextmanager
def _committed_after_a_read_of(engine: Any, table: str, write: Callable[[], None]) -> Iterator[list[str]]:
    """While the block runs: right after the first statement on ``engine`` that reads ``table`` (a request's first
    read of it), ``write`` commits through connections of its own, before the request's next statement. Yields the
    statements seen after it (the request read on: the write fell between two of its reads)."""
    after: list[str] = []

    def commit_between(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if after or f" {table} " in f" {' '.join(statement.split())} ".replace(",", " "):
            if not after:
                write()
            after.append(statement)

    event.listen(engine, "after_cursor_execute", commit_between)
    try:
        yield after
    finally:
        event.remove(engine, "after_cursor_execute", commit_between)


def test_a_response_is_one_snapshot_while_others_commit(git_repo: GitRepo, engine: Any, database_url: str) -> None:
    """A list with its total, facets with theirs, and a test run with its results, each read while another
    connection commits between the first and the next statement of the request: the answer is the one read before
    the write (one snapshot), and the next request sees the write."""
    from raw_sql import sql
    from tracertm import db
    from tracertm.repositories import Projects
    from tracertm.results.queries import prune

    _three_adrs(git_repo, engine)
    token = make_token(engine)
    junit = b'<testsuite name="s">' + b"".join(b'<testcase classname="c" name="t%d"/>' % n for n in range(3)) + \
        b"</testsuite>"

    def soft_delete_an_adr() -> None:  # as a sync of the ADR's file's removal commits it
        sql(database_url, "UPDATE adrs SET deleted_at = CURRENT_TIMESTAMP WHERE adr_number = 'ADR-0003'")

    def prune_every_run() -> None:  # tracertm results prune --keep 0
        other = db.make_engine(database_url)
        try:
            with db.session(other) as session, session.begin():
                prune(session, Projects(session).get("p", "project"), 0)
        finally:
            other.dispose()

    with api_client(engine) as client:
        uploaded = client.post(f"{API}/projects/p/test-runs", content=junit,
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"})
        assert uploaded.status_code == 201, uploaded.text
        run = f"{API}/projects/p/test-runs/{uploaded.json()['run']['id']}"
        reads = [
            (f"{API}/projects/p/adrs?limit=500&count=true&fields=number", "adrs", soft_delete_an_adr),
            (f"{API}/facets?kind=adrs&project=p", "adrs", soft_delete_an_adr),
            (run, "test_runs", prune_every_run),
        ]
        for url, table, write in reads:
            sql(database_url, "UPDATE adrs SET deleted_at = NULL")
            before = client.get(url)
            assert before.status_code == 200, before.text
            with _committed_after_a_read_of(engine, table, write) as after:
                during = client.get(url)
            assert after[1:], f"{url}: the write came after the request's last read"
            assert during.status_code == 200 and during.json() == before.json(), (url, before.text, during.text)
            assert client.get(url).json() != before.json(), f"{url}: the write was not committed"
        assert client.get(run).status_code == 404
    # The snapshot stays with the reads: every pooled connection, as a write checks it out next, reads committed
    # data and may write (SQLAlchemy resets a connection's isolation when it goes back to the pool).
    pooled = engine.pool.checkedin()
    assert pooled >= 1
    with ExitStack() as stack:
        for _ in range(pooled):
            conn = stack.enter_context(engine.connect())
            if engine.dialect.name == "postgresql":
                shown = conn.exec_driver_sql("SHOW transaction_isolation").scalar(), \
                    conn.exec_driver_sql("SHOW transaction_read_only").scalar()
                assert shown == ("read committed", "off"), shown
            conn.exec_driver_sql("UPDATE adrs SET approved_by = 'x' WHERE 1 = 0")
