"""The projects dashboard (``GET /``) and the API's project list (``GET /api/v1/projects``) read every project in a
fixed number of statements: the dashboard once cost some 16 statements per project (each project's counts, last
run, files in error, links and both coverage tables apart), seconds per page on a PostgreSQL server holding 100
projects. The page must stay what the per-project reads made of it."""

from __future__ import annotations

from typing import Any

import pytest
from webproject import build, new_repo

from apikit import counting_client
from conftest import GitRepo

ADR = "---\nid: ADR-{n:04d}\nstatus: accepted\n---\n\n# Decision {n}\n\n## Context\n\nC.\n"
FEATURE = "@FEAT-1 @ADR-0001 @ADR-0099 @REQ-7\nFeature: Pay\n\n  @SC-1\n  Scenario: one\n    Given x\n"


def _cost(client: Any, statements: list[str], path: str) -> tuple[int, str]:
    """The statements one ``GET path`` sends (after a first request has warmed the app up) and its body."""
    assert client.get(path).status_code == 200
    statements.clear()
    answer = client.get(path)
    assert answer.status_code == 200, answer.text[:500]
    return len(statements), answer.text


def _tiny(repo: GitRepo) -> tuple[str, str]:
    """Two commits of a small repository: ADRs 1 and 2 and a feature naming ADR-0001, the missing ADR-0099 and
    REQ-7; then ADR-0001 deleted (a deleted record, a dangling link) and a feature file that does not parse."""
    repo.write("docs/adr/0001-one.md", ADR.format(n=1))
    repo.write("docs/adr/0002-two.md", ADR.format(n=2))
    repo.write("features/pay.feature", FEATURE)
    first = repo.commit("one")
    repo.git("rm", "-q", "docs/adr/0001-one.md")
    repo.write("features/broken.feature", "@FEAT-2\nFeature: Broken\n\n  Scenario Outline: no examples\n"
                                          "    Given <x>\n  Examples:\n  | x |\n  nonsense here\n")
    second = repo.commit("two")
    return first, second


def _sync(repo: GitRepo, database_url: str, project: str, *refs: str) -> None:
    import tracertm

    for ref in refs:
        tracertm.sync(repo.path, database_url=database_url, project=project, ref=ref)


def test_the_dashboard_and_the_project_list_cost_the_same_statements_for_2_projects_or_12(
    git_repo: GitRepo, database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(new_repo(tmp_path / "sample"), database_url, project="sample")  # results, history, suspect links
    first, second = _tiny(git_repo)
    _sync(git_repo, database_url, "t00", first, second)
    with counting_client(database_url) as (client, statements):
        few = _cost(client, statements, "/")[0], _cost(client, statements, "/api/v1/projects")[0]
    for i in range(1, 11):  # every shape: synced once at either commit, or twice (deletions)
        _sync(git_repo, database_url, f"t{i:02d}", *((first,), (second,), (first, second))[i % 3])
    with counting_client(database_url) as (client, statements):
        many, page = _cost(client, statements, "/")
        listed, projects = _cost(client, statements, "/api/v1/projects")
        assert (many, listed) == few
        assert len(client.get("/api/v1/projects").json()) == 12

        # The page the per-project reads made (``pages.summary`` of each project, as the dashboard was built).
        from tracertm.repositories import Projects
        from tracertm.web import pages

        def one_by_one(session: Any, after: str | None = None) -> dict[str, Any]:
            return {"summaries": [pages.summary(session, p, link_limit=5) for p in Projects(session).list()],
                    "next_page": None, "first_page": None, "json_url": "/api/v1/projects"}  # (one page)

        monkeypatch.setattr(pages, "dashboard", one_by_one)
        old, reference = _cost(client, statements, "/")
    assert page == reference
    assert old > many + 100  # the reference did read project by project
    # What the page says of the shapes (golden values, not only the reference's word for them).
    card = page.split('href="/projects/t00"', 1)[1].split("</section>", 1)[0]
    assert "(+1 deleted)" in card  # ADR-0001
    assert "<dt>files in error</dt><dd>1</dd>" in card
    # ADR-0001 and ADR-0099, from the feature and (by its feature's tags) its scenario
    assert "<dt>dangling links</dt><dd>4</dd>" in card
    assert "(cli, errors)" in card  # the newest run, of the second commit
    sample = page.split('href="/projects/sample"', 1)[1].split("</section>", 1)[0]
    assert "<dt>suspect links</dt><dd>11</dd>" in sample  # the links to ADR-0006, edited after the first sync
    assert 'class="s-failing"' in sample
