"""Why a link dangles, on the pages and in the API: *missing* (no live record has the id) or *ambiguous* (a plain
``ADR-0008`` while two live ADRs have that number with a slug, ``ADR-0008-use-x`` and ``ADR-0008-use-y``, and none
is ``ADR-0008`` itself: the sync stores the link dangling and warns that it is ambiguous).

The pages said "(no live adr has this id)" of the ambiguous one, which is false, and the API's links, trace,
matrix and coverage answers gave no reason at all. Now a dangling link (a link's ``dangling``), a missing node of
the trace graph and an orphaned ADR row of the matrix carry ``{"reason", "candidates"}``, the coverage summary
counts the dangling links by reason, and the pages name the candidates (linked) and say to write the full id. The
reason is read from the live ADRs when answered, with the sync's own rule (``crossfile.adr_resolver``), and at a
cost that does not grow with the links answered.

In-process (FastAPI's TestClient) on SQLite and PostgreSQL, over a real git repository synced for real.
"""

from __future__ import annotations

import re
from typing import Any

from webfixtures import client_for, main_of

from apikit import counting_client
from conftest import GitRepo
from tracertm.engine.sync import sync

P = "/projects/p"
API = "/api/v1/projects/p"
AMBIGUOUS = {"reason": "ambiguous", "candidates": ["ADR-0008-use-x", "ADR-0008-use-y"]}
MISSING = {"reason": "missing", "candidates": []}
# What the pages say of the ambiguous ADR-0008: the candidates linked, and what to do.
AMBIGUOUS_NOTE = (
    'ambiguous: <bdi><a href="/projects/p/adrs/ADR-0008-use-x">ADR-0008-use-x</a></bdi> and '
    '<bdi><a href="/projects/p/adrs/ADR-0008-use-y">ADR-0008-use-y</a></bdi> have that number; write the full id of '
    'the one '
    "meant, e.g. <code>ADR-0008-use-x</code>"
)
MISSING_NOTE = "no live adr has this id"


def _adr(ident: str, title: str) -> str:
    return f"---\nid: {ident}\nstatus: accepted\n---\n\n# {title}\n\n## Context\n\nC.\n"


def _seed(repo: GitRepo) -> None:
    """Two ADRs of number 8 with a slug; FEAT-2 (and its SC-1) names the plain ADR-0008 (ambiguous) and FEAT-2 the
    ADR-0077 no file has (missing: SC-1 too, by its feature's tag); FEAT-3 names ADR-0008-use-z, which no ADR is:
    missing too, though two ADRs have its number (a reference with a slug names only that id, or the plain one)."""
    repo.write("docs/adr/0008-use-x.md", _adr("ADR-0008-use-x", "Use X"))
    repo.write("docs/adr/0008-use-y.md", _adr("ADR-0008-use-y", "Use Y"))
    repo.write("features/amb.feature", "@FEAT-2 @ADR-0008 @ADR-0077\nFeature: Amb\n\n  @SC-1 @ADR-0008\n"
                                       "  Scenario: one\n    Given x\n")
    repo.write("features/z.feature", "@FEAT-3 @ADR-0008-use-z\nFeature: Zed\n\n  @SC-1\n  Scenario: z\n    Given x\n")
    repo.commit("seed")


def _synced(repo: GitRepo, engine: Any) -> list[str]:
    result = sync(repo.path, engine=engine, project="p")
    assert not result.errors, result.errors
    return [str(w) for w in (*result.warnings, *result.links)]


def _ok(answer: Any) -> Any:
    assert answer.status_code == 200, (answer.request.url, answer.text[:500])
    return answer


def _cell(main: str, target: str) -> list[str]:
    """The notes the links tables give the dangling target ``target``
    (``<td><bdi>ID</bdi> <span class="note">(…)</span>``)."""
    return re.findall(rf'<td><bdi>{re.escape(target)}</bdi> <span class="note">\((.*?)\)</span></td>', main)


def test_pages_and_answers_say_why_a_link_dangles(git_repo: GitRepo, engine: Any, database_url: str) -> None:
    _seed(git_repo)
    warnings = _synced(git_repo, engine)
    # The sync's own warning, whose rule and words the pages and answers follow.
    assert any("ADR-0008, which is ambiguous: ADR-0008-use-x and ADR-0008-use-y have that number" in w
               for w in warnings), warnings
    for client in client_for(database_url):
        # Record pages (a feature's and a scenario's links), the links pages, the project page.
        for path in (f"{P}/features/FEAT-2", f"{P}/features/FEAT-2/scenarios/SC-1", f"{P}/links",
                     f"{P}/links?state=dangling"):
            main = main_of(_ok(client.get(path)).text)
            n = 2 if "/links" in path else 1  # (the scenario has its feature's tags too)
            assert _cell(main, "ADR-0008") == [AMBIGUOUS_NOTE] * n, (path, main)
            assert _cell(main, "ADR-0077") == [MISSING_NOTE] * n, (path, main)
        main = main_of(_ok(client.get(f"{P}/features/FEAT-3")).text)
        assert _cell(main, "ADR-0008-use-z") == [MISSING_NOTE], main
        main = main_of(_ok(client.get(P)).text)
        assert f"implements <bdi>ADR-0008</bdi>: {AMBIGUOUS_NOTE}" in main, main
        assert f"implements <bdi>ADR-0077</bdi>: {MISSING_NOTE}" in main, main
        # The matrix page: both are orphaned rows (README: referenced but not defined), each saying why.
        main = main_of(_ok(client.get(f"{P}/matrix?from=adrs")).text)
        rows = dict(re.findall(r'<tr>\s*<th scope="row"><bdi>([^<]*)</bdi></th>(.*?)</tr>', main, re.S))
        assert f'orphaned</span> <span class="note">({AMBIGUOUS_NOTE})</span>' in rows["ADR-0008"], rows
        assert f'orphaned</span> <span class="note">({MISSING_NOTE})</span>' in rows["ADR-0077"], rows
        assert f'orphaned</span> <span class="note">({MISSING_NOTE})</span>' in rows["ADR-0008-use-z"], rows

        # The API: every dangling link says why, the others have no reason.
        items = _ok(client.get(f"{API}/links", params={"limit": 500})).json()["items"]
        why = {(x["source"]["id"], x["target"]["id"]): x["dangling"] for x in items}
        assert why[("FEAT-2", "ADR-0008")] == why[("FEAT-2/SC-1", "ADR-0008")] == AMBIGUOUS, why
        assert why[("FEAT-2", "ADR-0077")] == why[("FEAT-3", "ADR-0008-use-z")] == MISSING, why
        assert all(x["dangling"] is None for x in items if x["state"] != "dangling"), items
        assert [x["dangling"] for x in _ok(client.get(f"{API}/links?dangling=true&source=FEAT-2")).json()[
            "items"]] == [AMBIGUOUS, MISSING]
        one = next(x for x in items if x["source"]["id"] == "FEAT-2" and x["target"]["id"] == "ADR-0008")
        assert _ok(client.get(f"{API}/links/{one['id']}")).json()["dangling"] == AMBIGUOUS

        graph = _ok(client.get(f"{API}/trace/FEAT-2", params={"depth": 1})).json()
        nodes = {n["id"]: n for n in graph["nodes"]}
        assert nodes["adr:ADR-0008"]["missing"] and nodes["adr:ADR-0008"]["dangling"] == AMBIGUOUS, nodes
        assert nodes["adr:ADR-0077"]["missing"] and nodes["adr:ADR-0077"]["dangling"] == MISSING, nodes
        assert nodes["feature:FEAT-2"]["dangling"] is None and not nodes["feature:FEAT-2"]["missing"]

        matrix = _ok(client.get(f"{API}/matrix", params={"from": "adrs"})).json()
        rows_json = {r["id"]: r for r in matrix["rows"]}
        assert {r["id"]: (r["state"], r["dangling"]) for r in matrix["rows"]} == {
            "ADR-0008": ("orphaned", AMBIGUOUS), "ADR-0077": ("orphaned", MISSING),
            "ADR-0008-use-z": ("orphaned", MISSING),
            "ADR-0008-use-x": ("uncovered", None), "ADR-0008-use-y": ("uncovered", None)}, rows_json
        assert rows_json["ADR-0008"]["features"] == ["FEAT-2"]
        assert rows_json["ADR-0008"]["scenarios"] == [{"id": "FEAT-2/SC-1", "result": None}]

        summary = _ok(client.get(f"{API}/coverage")).json()
        assert summary["adrs"]["states"]["orphaned"] == 3, summary
        assert summary["links"]["dangling"] == 6, summary  # FEAT-2, FEAT-3 and their scenarios' links
        assert summary["links"]["dangling_by_reason"] == {"missing": 4, "ambiguous": 2}, summary

    # ``tracertm matrix --format html`` (a page of its own) says it too, in the sync's words.
    from tracertm import db
    from tracertm.repositories import Projects
    from tracertm.trace import coverage, matrix

    with db.session(engine) as session:
        rows = coverage.coverage(session, Projects(session).get("p", "project"), "adrs")
        page = matrix.render(rows, "html", "adrs")
    assert ("<td>orphaned (ADR-0008, which is ambiguous: ADR-0008-use-x and ADR-0008-use-y have that number; write "
            "the full id of the one meant)</td>") in page, page
    assert "<td>orphaned</td>" in page  # (ADR-0077: missing, as the state says)

    # One ADR becomes the plain ADR-0008: the reference names it, a link as any other, on the next sync.
    git_repo.write("docs/adr/0008-use-x.md", _adr("ADR-0008", "Use X"))
    git_repo.commit("plain")
    _synced(git_repo, engine)
    for client in client_for(database_url):
        for path in (f"{P}/features/FEAT-2", f"{P}/features/FEAT-2/scenarios/SC-1"):
            main = main_of(_ok(client.get(path)).text)
            assert not _cell(main, "ADR-0008") and "ambiguous" not in main, main
            assert '<td><bdi><a href="/projects/p/adrs/ADR-0008">ADR-0008</a></bdi></td>' in main, main
        main = main_of(_ok(client.get(P)).text)
        assert "ambiguous" not in main and "implements <bdi>ADR-0008</bdi>:" not in main, main
        items = _ok(client.get(f"{API}/links", params={"source": "FEAT-2"})).json()["items"]
        assert {x["target"]["id"]: (x["state"], x["dangling"]) for x in items} == {
            "ADR-0008": ("ok", None), "ADR-0077": ("dangling", MISSING)}, items
        rows_json = {r["id"]: r for r in _ok(client.get(f"{API}/matrix", params={"from": "adrs"})).json()["rows"]}
        assert (rows_json["ADR-0008"]["state"], rows_json["ADR-0008"]["dangling"]) != ("orphaned", AMBIGUOUS)
        assert rows_json["ADR-0008"]["dangling"] is None and rows_json["ADR-0008"]["title"] == "Use X"
        assert "ADR-0008-use-x" not in rows_json
        # (ADR-0008-use-z, no ADR's id, now names the ADR-0008 of its number: only ADR-0077's two links dangle)
        assert _ok(client.get(f"{API}/coverage")).json()["links"]["dangling_by_reason"] == {
            "missing": 2, "ambiguous": 0}


def test_the_reasons_cost_the_same_few_queries_for_two_dangling_links_or_forty(
    git_repo: GitRepo, engine: Any, database_url: str
) -> None:
    """The reasons are read once per answer, never once per link: the links page, the project page and the trace
    of a record answer with as many statements for 2 ambiguous links as for 40 (of 20 numbers)."""
    def adrs_of(n: int) -> None:
        for suffix in ("x", "y"):
            git_repo.write(f"docs/adr/{n:04d}-use-{suffix}.md", _adr(f"ADR-{n:04d}-use-{suffix}", f"Use {suffix}"))

    adrs_of(8)
    git_repo.write("features/amb.feature", "@FEAT-2 @ADR-0008\nFeature: Amb\n\n  @SC-1 @ADR-0008\n"
                                           "  Scenario: one\n    Given x\n")
    git_repo.commit("one number")
    _synced(git_repo, engine)
    paths = (f"{API}/links?dangling=true&limit=100", f"{API}/trace/FEAT-2?depth=2", f"{P}/links?state=dangling",
             f"{P}/features/FEAT-2", P, f"{API}/matrix?from=adrs", f"{API}/coverage")

    def cost() -> dict[str, int]:
        out = {}
        with counting_client(database_url) as (client, statements):
            for path in paths:
                _ok(client.get(path))  # (a first answer may read what is cached after)
                statements.clear()
                _ok(client.get(path))
                out[path] = len(statements)
        return out

    few = cost()
    tags = " ".join(f"@ADR-{n:04d}" for n in range(9, 28))
    for n in range(9, 28):
        adrs_of(n)
    git_repo.write("features/amb.feature", f"@FEAT-2 @ADR-0008 {tags}\nFeature: Amb\n\n  @SC-1 @ADR-0008 {tags}\n"
                                           "  Scenario: one\n    Given x\n")
    git_repo.commit("twenty numbers")
    _synced(git_repo, engine)
    for client in client_for(database_url):
        items = _ok(client.get(f"{API}/links?dangling=true&limit=100")).json()["items"]
        assert len(items) == 40 and all(x["dangling"]["reason"] == "ambiguous" for x in items), items
    assert cost() == few
