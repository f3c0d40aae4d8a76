"""A PATCH answers the record as stored (SQLite and PostgreSQL): a time sent with another offset, or with none, is
stored in UTC, and the answer and its ETag are exactly what a GET of the new version gives (so ``If-None-Match``
with the PATCH's ETag is a 304); and a record id takes ASCII digits only."""

from __future__ import annotations

from typing import Any

from apikit import api_client
from conftest import GitRepo
from specs import adr
from tracertm.engine.sync import sync
from test_metadata_patch import API, auth


def test_patch_answer_and_etag_are_a_get_of_the_new_version(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    with api_client(engine) as client:
        url = f"{API}/adrs/ADR-0001"
        for version, sent, stored in ((1, "2024-01-01T00:00:00+05:00", "2023-12-31T19:00:00Z"),
                                      (2, "2024-06-01T12:00:00", "2024-06-01T12:00:00Z")):
            patched = client.patch(url, json={"approved_at": sent}, headers=auth(engine, version))
            assert patched.status_code == 200, patched.text
            got = client.get(url)
            assert patched.json()["approved_at"] == got.json()["approved_at"] == stored
            assert patched.json() == got.json()
            assert patched.headers["etag"] == got.headers["etag"]
            assert client.get(url, headers={"If-None-Match": patched.headers["etag"]}).status_code == 304


def test_record_ids_take_ascii_digits_only(git_repo: GitRepo, engine: Any) -> None:
    """``ADR-3``, ``adr3`` and ``ADR-0003`` name ADR-0003; ``ADR-٣`` (Arabic-Indic) and ``ADR-３`` (fullwidth) name
    nothing, as ``SC-٣`` and ``FEAT-١`` never did."""
    from tracertm.repositories.records import normalize_adr

    assert normalize_adr("adr3") == normalize_adr("ADR-0003") == "ADR-0003"
    assert normalize_adr("ADR-٣") == "ADR-٣" and normalize_adr("ADR-３") == "ADR-３"
    git_repo.write("docs/adr/0003-use-git.md", adr(3, "Use git"))
    git_repo.commit("seed")
    assert not sync(git_repo.path, engine=engine, project="shop").errors
    with api_client(engine) as client:
        assert client.get(f"{API}/adrs/ADR-3").json()["number"] == "ADR-0003"
        assert client.get(f"{API}/adrs/ADR-٣").status_code == client.get(f"{API}/adrs/ADR-３").status_code == 404
