"""The project list in pages: ``GET /api/v1/projects`` stays the whole list by default and pages with
``limit``/``cursor`` and an RFC 8288 ``Link: <...>; rel="next"`` header, as a record's history does; the dashboard
(``GET /``) shows the first 100 projects by name and links the next ones (``?after=<the last name>``), each page in
the statements a database of two projects costs. A database of 230 projects once gave a dashboard of them all."""

from __future__ import annotations

import html
import re
from typing import Any

from webproject import build, new_repo

from apikit import counting_client, next_page
from test_dashboard_queries import _cost

# Names a cursor and a link must carry as they are: a slash, a space, a non-ASCII letter, URL punctuation.
ODD = ["acme/payments", "prøjekt x", "a&b=c?d#e", "100%"]
TOTAL = 230


def _add_projects(url: str, names: list[str]) -> None:
    """Projects of those names, made straight in the database (no records: a dashboard card of zeros)."""
    from tracertm import db
    from tracertm.models import Project

    engine = db.make_engine(url)
    try:
        with db.session(engine) as session, session.begin():
            session.add_all(Project(name=name) for name in names)
    finally:
        engine.dispose()


def _cards(page: str) -> list[str]:
    """The project names a dashboard page shows, in order."""
    return [html.unescape(name) for name in re.findall(r'<h2 id="p-\d+"><a href="[^"]*">([^<]*)</a></h2>', page)]


def _next_page(page: str) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]*)">Next projects', page)
    return html.unescape(found.group(1)) if found else None


def test_the_project_list_pages_by_cursor_and_the_dashboard_by_name(database_url: str, tmp_path: Any) -> None:
    build(new_repo(tmp_path / "sample"), database_url, project="sample")  # one project with records, runs, links
    with counting_client(database_url) as (client, statements):
        few = _cost(client, statements, "/")[0]
        assert "Next projects" not in client.get("/").text
    _add_projects(database_url, [*ODD, *(f"p{i:03d}" for i in range(TOTAL - len(ODD) - 1))])
    with counting_client(database_url) as (client, statements):
        whole = client.get("/api/v1/projects")
        assert whole.status_code == 200 and "link" not in whole.headers  # the whole list, as the README promises
        names = [p["name"] for p in whole.json()]
        assert len(names) == TOTAL and set(ODD) < set(names)

        # Keyset pages of 70 (the database's order: its collation decides where "acme/payments" goes).
        walked: list[dict[str, Any]] = []
        path: str | None = "/api/v1/projects?limit=70"
        while path is not None:
            answer = client.get(path)
            assert answer.status_code == 200, answer.text
            assert len(answer.json()) <= 70
            walked += answer.json()
            path = next_page(answer)
            assert path is None or "limit=70" in path
        assert [p["name"] for p in walked] == names
        assert walked == whole.json()  # each project as the whole list gives it
        assert len(client.get("/api/v1/projects?limit=300").json()) == TOTAL
        assert next_page(client.get("/api/v1/projects?limit=300")) is None
        # A cursor without a limit: the lists' page of 50.
        second = client.get(next_page(client.get("/api/v1/projects?limit=3")) or "")
        assert [p["name"] for p in second.json()] == names[3:6]
        cursor = re.search(r"cursor=([^&>]*)", second.headers["link"])
        assert cursor is not None
        assert [p["name"] for p in client.get(f"/api/v1/projects?cursor={cursor.group(1)}").json()] == names[6:56]
        for bad in ("v3", "p.!!", "nonsense"):
            refused = client.get(f"/api/v1/projects?cursor={bad}")
            assert refused.status_code == 400 and "cursor: not a cursor of this list" in refused.json()["detail"]
        assert client.get("/api/v1/projects?limit=0").status_code == 422

        # The dashboard: 100 projects a page, a link to the next ones, in as many statements as two projects.
        shown: list[str] = []
        page_path: str | None = "/"
        pages = 0
        while page_path is not None:
            cost, page = _cost(client, statements, page_path)
            assert cost == few, (page_path, cost, few)
            cards = _cards(page)
            assert len(cards) == (100 if pages < 2 else TOTAL - 200)
            shown += cards
            assert ('href="/">← First projects' in page) == (pages > 0)
            page_path = _next_page(page)
            pages += 1
        assert pages == 3 and shown == names
        beyond = client.get("/", params={"after": names[-1]})
        assert beyond.status_code == 200 and not _cards(beyond.text) and "Next projects" not in beyond.text
