"""Lists sorted by a text field are in code point order on both databases, whatever a PostgreSQL database's
collation: a database created under an ICU or ``en_US.UTF-8`` locale sorted titles by its own rules (``eclair``
before ``Éclair`` and ``ECLAIR``, ``_x`` among the x's), so ``sort=title`` and its keyset pages answered otherwise
than on SQLite (found by a differential run of every API read over SQLite and such a database). The records'
lists, their cursors' next pages, and the projects' pages."""

from __future__ import annotations

from apikit import api_client
from conftest import GitRepo
from specs import adr
from tracertm.engine.sync import sync

TITLES = ["eclair", "Éclair", "ECLAIR", "Eclair", "éclair", "zeta", "Zeta", "_x", "x_", "ß", "ss", "a b", "ab",
          "İstanbul", "istanbul", "🚀 rocket", "Ω", "10 things", "2 things"]


def _paged(client: object, path: str, **params: str) -> list[dict[str, object]]:
    """Every item of a list, page after page by its cursors."""
    items: list[dict[str, object]] = []
    body = client.get(path, params=params).json()  # type: ignore[attr-defined]
    while True:
        items += body["items"]
        if not body["page"]["next"]:
            return items
        body = client.get(path, params={"cursor": body["page"]["next"]}).json()  # type: ignore[attr-defined]


def _check(git_repo: GitRepo, url: str) -> None:
    for n, title in enumerate(TITLES, start=1):
        git_repo.write(f"docs/adr/{n:04d}-t.md", adr(n, title))
    git_repo.commit("adrs titled alike but for case and accents")
    for name in ("b", "B", "É", "e", "_"):
        sync(git_repo.path, database_url=url, project=name)
    ordered = sorted(TITLES)
    with api_client(url) as client:
        for limit in ("3", "500"):
            for sort, expected in (("title", ordered), ("-title", ordered[::-1])):
                titles = [i["title"] for i in _paged(client, "/api/v1/projects/b/adrs", sort=sort, limit=limit)]
                assert titles == expected, (sort, limit)
            got = [i["title"] for i in _paged(client, "/api/v1/projects/b/adrs", sort="status,-title", limit=limit)]
            assert got == ordered[::-1]
        names, cursor = [], None
        while True:
            answer = client.get("/api/v1/projects", params={"limit": "2", **({"cursor": cursor} if cursor else {})})
            names += [p["name"] for p in answer.json()]
            if "link" not in answer.headers:
                break
            cursor = answer.headers["link"].split("cursor=", 1)[1].split("&", 1)[0]
        assert names == sorted(["b", "B", "É", "e", "_"])
        assert [p["name"] for p in client.get("/api/v1/projects").json()] == names


def test_titles_sort_by_code_point(git_repo: GitRepo, database_url: str) -> None:
    _check(git_repo, database_url)


def test_titles_sort_by_code_point_on_a_database_of_another_collation(git_repo: GitRepo,
                                                                       icu_database_url: str) -> None:
    _check(git_repo, icu_database_url)
