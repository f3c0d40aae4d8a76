"""A page of the matrix builds its own rows only. The web view's matrix page showed 100 rows but built every row of
the project's matrix (``coverage.coverage``) to count them: ~0.6 s of CPU a page on the large benchmark corpus
(20,000 scenarios). The counts and the ids in order now come from a row per requirement or ADR id grouped in the
database (``coverage.row_index``, as ``states_by_project`` counts them) and the page's rows from their own links
(``coverage.page_rows``); ``GET .../matrix`` pages the same way with ``limit``/``cursor`` and a ``Link`` header
(every row without them, as before). Pages, counts and rows equal the whole matrix's, on a project with rows of every
state (a deleted scenario, a suspect link, orphaned ids, an ADR reference that is ambiguous, test cases, two ids of
one natural key), one whose requirements no ADR states and one with no links. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from test_coverage_states_counted import _bare, _loose, _main

from apikit import api_client, counting_client, next_page
from conftest import GitRepo, init_repo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project
from tracertm.trace import coverage
from tracertm.web import pages

BY = ("requirements", "adrs")


def _ambiguous(repo: GitRepo, url: str) -> None:
    """Two ADRs of number 8 with a slug and a feature naming the plain ADR-0008 (orphaned, ambiguous), and REQ-01
    beside REQ-1 (one natural key, two rows)."""
    for slug in ("x", "y"):
        repo.write(f"docs/adr/0008-use-{slug}.md",
                   f"---\nid: ADR-0008-use-{slug}\nstatus: accepted\n---\n\n# Use {slug}\n\n## Context\n\nC.\n")
    repo.write("features/amb.feature", "@FEAT-4 @ADR-0008 @REQ-01\nFeature: Amb\n\n  @SC-1 @REQ-2\n"
                                       "  Scenario: A1\n    Given x\n")
    repo.commit("ambiguous")
    assert not sync(repo.path, database_url=url, project="main").errors


def _projects(git_repo: GitRepo, url: str, tmp_path: Any) -> None:
    _main(git_repo, url)
    _ambiguous(git_repo, url)
    _loose(init_repo(tmp_path / "loose"), url)
    _bare(init_repo(tmp_path / "bare"), url)


def test_matrix_pages_hold_the_rows_and_counts_of_the_whole_matrix(
    git_repo: GitRepo, database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _projects(git_repo, database_url, tmp_path)
    monkeypatch.setattr(pages, "MATRIX_PAGE", 3)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            for project in session.execute(select(Project)).scalars():
                for by in BY:
                    whole = coverage.coverage(session, project, by)
                    ids = [row.id for row in whole]
                    if project.name == "main":  # rows of every state, the ambiguous ADR, REQ-01 beside REQ-1
                        assert {str(row.state) for row in whole} >= (
                            {"orphaned", "failing", "not executed", "covered"} if by == "requirements" else
                            {"orphaned", "uncovered", "failing", "suspect"})
                        assert ("REQ-01" in ids and "REQ-1" in ids) if by == "requirements" else any(
                            row.dangling and row.dangling["reason"] == "ambiguous" for row in whole)
                        assert any(row.tests for row in whole)
                    # Every page after each id (and after ids no row has) against the whole matrix's rows.
                    for after in [None, *ids, "REQ-0", "REQ-1a", "ADR-0002a", "zzz"]:
                        page = pages.matrix_page(session, project.name, by, after)
                        start = 0 if after is None else ids.index(after) + 1 if after in ids else next(
                            (i for i, row in enumerate(whole) if coverage.order(row.id) > coverage.order(after)),
                            len(whole))
                        assert page["rows"] == whole[start:start + 3], (project.name, by, after)
                        assert page["states"] == coverage.states_count(whole)
                        assert page["total"] == len(whole) and page["first"] == start + 1
                        assert (page["next_page"] is not None) == (start + 3 < len(whole))
    finally:
        engine.dispose()


def test_the_api_matrix_pages_with_limit_and_cursor_and_is_whole_without(
    git_repo: GitRepo, database_url: str, tmp_path: Any
) -> None:
    _projects(git_repo, database_url, tmp_path)
    with api_client(database_url) as client:
        for name in ("main", "loose", "bare"):
            for by in BY:
                base = f"/api/v1/projects/{name}/matrix?from={by}"
                whole = client.get(base)
                assert whole.status_code == 200 and "link" not in whole.headers  # every row, as the README says
                for size in (1, 2, 5, 500):
                    rows: list[Any] = []
                    path: str | None = f"{base}&limit={size}"
                    while path is not None:
                        answer = client.get(path)
                        assert answer.status_code == 200, answer.text
                        body = answer.json()
                        assert set(body) == {"from", "states", "rows"} and body["from"] == by
                        assert body["states"] == whole.json()["states"] and len(body["rows"]) <= size
                        rows += body["rows"]
                        path = next_page(answer)
                        assert path is None or (f"limit={size}" in path and f"from={by}" in path)
                    assert rows == whole.json()["rows"], (name, by, size)
        # A cursor alone pages by 50; a bad cursor, or one of the other origin's rows, is a 400.
        first = client.get("/api/v1/projects/main/matrix?limit=1")
        cursor = re.search(r"cursor=([^&>]*)", first.headers["link"])
        assert cursor is not None
        rest = client.get(f"/api/v1/projects/main/matrix?cursor={cursor.group(1)}")
        assert rest.status_code == 200 and "link" not in rest.headers
        assert [first.json()["rows"][0], *rest.json()["rows"]] == client.get(
            "/api/v1/projects/main/matrix").json()["rows"]
        other = (cursor.group(1), "adrs")  # a cursor of the requirements' rows
        for bad, by in ((cursor.group(1) + "!", "requirements"), ("nonsense", "requirements"),
                        ("p.UkVRLTE", "requirements"), other):
            refused = client.get(f"/api/v1/projects/main/matrix?from={by}&cursor={bad}")
            assert refused.status_code == 400, (bad, refused.text)
            assert refused.json()["detail"] == "cursor: not a cursor of this list; use the previous page's Link header"
        assert client.get("/api/v1/projects/main/matrix?limit=0").status_code == 422
        assert client.get("/api/v1/projects/main/matrix?limit=501").status_code == 422
        params = {p["name"]: p for p in client.get("/openapi.json").json()["paths"][
            "/api/v1/projects/{project}/matrix"]["get"]["parameters"]}
        assert params["limit"]["schema"]["anyOf"][0]["maximum"] == 500 and "cursor" in params


def test_a_matrix_page_reads_the_links_of_its_own_rows_only(git_repo: GitRepo, database_url: str) -> None:
    """The statements of a page that read links one by one (their sources, for the rows' scenarios, features,
    contracts and suspect sources) name the page's requirement ids: the other rows' links are never read."""
    tags = " ".join([*(f"@REQ-{n}" for n in range(1, 131)), *(f"@ADR-{n:04d}" for n in range(1, 31))])
    git_repo.write("features/pay.feature", f"@FEAT-1 {tags}\nFeature: Pay\n\n  @SC-1\n  Scenario: one\n"
                                           "    Given x\n")
    git_repo.commit("specs")
    assert not sync(git_repo.path, database_url=database_url, project="p").errors
    with counting_client(database_url) as (client, statements):
        for path in ("/projects/p/matrix?from=requirements", "/projects/p/matrix?from=requirements&after=REQ-100",
                     "/api/v1/projects/p/matrix?limit=20", "/api/v1/projects/p/matrix?from=adrs&limit=20"):
            statements.clear()
            answer = client.get(path)
            assert answer.status_code == 200, answer.text[:300]
            per_link = [sql for sql in statements if sql.lstrip().startswith("SELECT")
                        and re.search(r"links\.source_(id|ref)", sql.split("FROM", 1)[0])]
            assert per_link, path
            assert all("links.target_ref IN" in sql for sql in per_link), (path, per_link)
