"""The ``path`` filter (``list --source-prefix``) is a prefix of the source path as written, letter case included,
on both databases. SQLite's LIKE ignores the case of ASCII letters: ``path=features/L`` listed the records under
``features/lower/`` there too, and only those under ``features/Lower/`` on PostgreSQL (found by a differential run
of every API read over both databases). GLOB's special characters in a prefix are themselves, as LIKE's are."""

from __future__ import annotations

from typing import Any

from apikit import api_client
from conftest import GitRepo
from specs import adr
from tracertm.engine.sync import sync


def _feature(n: int) -> str:
    return f"@FEAT-{n}\nFeature: Feature {n}\n\n  @SC-{n}\n  Scenario: S {n}\n    Given a step\n"


def test_the_path_filter_keeps_letter_case_and_special_characters(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/lower/a.feature", _feature(1))
    git_repo.write("features/Lower/b.feature", _feature(2))
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.write("docs/adr/[x]*?/0002-b.md", adr(2, "B"))
    git_repo.commit("specs")
    sync(git_repo.path, database_url=database_url, project="p")

    def numbers(kind: str, prefix: str) -> list[str]:
        body = client.get(f"/api/v1/projects/p/{kind}", params={"path": prefix, "count": "true"}).json()
        assert body["total"] == len(body["items"])
        facets = client.get("/api/v1/facets", params={"kind": kind, "project": "p", "path": prefix}).json()
        assert facets["total"] == len(body["items"])
        return [item["number"] for item in body["items"]]

    with api_client(database_url) as client:
        assert numbers("features", "features/lower/") == ["FEAT-1"]
        assert numbers("features", "features/Lower/") == ["FEAT-2"]
        assert numbers("features", "features/LOWER") == []
        assert numbers("features", "features/") == ["FEAT-1", "FEAT-2"]
        assert numbers("scenarios", "features/L") == ["SC-2"]
        assert numbers("adrs", "docs/adr/[x]*?/") == ["ADR-0002"]
        assert numbers("adrs", "docs/adr/[x]") == ["ADR-0002"]
        assert numbers("adrs", "docs/adr/x") == []
        assert numbers("adrs", "docs/adr/?") == []
        assert numbers("adrs", "docs/adr/*") == []
        assert numbers("adrs", "docs/") == ["ADR-0001", "ADR-0002"]


def test_list_source_prefix_keeps_letter_case(git_repo: GitRepo, database_url: str) -> None:
    from conftest import run_cli

    git_repo.write("features/lower/a.feature", _feature(1))
    git_repo.write("features/Lower/b.feature", _feature(2))
    git_repo.commit("specs")
    sync(git_repo.path, database_url=database_url, project="p")
    listed: Any = run_cli("list", "features", "--source-prefix", "features/L", "--format", "json", "--project", "p",
                          "--database-url", database_url)
    assert listed.returncode == 0, listed.stderr
    assert '"FEAT-2"' in listed.stdout and '"FEAT-1"' not in listed.stdout
