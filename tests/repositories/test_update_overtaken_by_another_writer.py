"""``Records.update`` and ``set_deleted`` in a library caller's session that another writer overtook.

A ``db.session`` reads in a deferred transaction; once another connection commits, SQLite cannot turn that read
into a write, and the flush's "database is locked" went out as SQLAlchemy's ``OperationalError`` (a traceback),
where PostgreSQL's same race is ``StaleVersion``. Both are now a one-line ``ConflictError`` (``StaleVersion`` is
one), nothing written, and the session rolled back and usable."""

from __future__ import annotations

from typing import Any

import pytest

import tracertm
from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.errors import ConflictError
from tracertm.models import TestCase
from tracertm.repositories import Projects, Records
from tracertm.repositories.errors import StaleVersion


def _two_sessions_one_overtaken(git_repo: GitRepo, database_url: str, kind: str,
                                ident: str) -> tuple[Any, Any, Records, Any, int]:
    git_repo.write("docs/adr/0001-storage.md", adr(1, "Storage"))
    git_repo.commit("ADR")
    tracertm.sync(git_repo.path, database_url=database_url, project="p")
    engine = db.open_engine(database_url)
    if kind == "test-cases":
        with db.session(engine) as setup:
            setup.add(TestCase(project_id=Projects(setup).get("p").id, test_case_number=ident, title="Login works"))
            setup.commit()
    late = db.session(engine)
    records = Records(late, kind)
    row = records.get(ident)  # the read: on SQLite, the snapshot the write would have to start from
    version = row.version
    with db.session(engine) as first:
        other = Records(first, kind).get(ident)
        if kind == "adrs":
            other.approved_by = "bob"
        else:
            other.title = "Login still works"
        first.commit()
    return engine, late, records, row, version


def test_an_update_overtaken_by_another_writer_is_a_conflict_and_writes_nothing(git_repo: GitRepo,
                                                                                database_url: str) -> None:
    engine, late, records, row, version = _two_sessions_one_overtaken(git_repo, database_url, "adrs", "ADR-0001")
    try:
        with pytest.raises(ConflictError) as caught:
            records.update(row, {"compliance_score": 0.5}, version, "api:alice")
        assert "\n" not in str(caught.value) and "re-read it and apply the change again" in str(caught.value)
        again = records.get("ADR-0001")  # the session was rolled back: it reads again
        assert (again.version, again.approved_by, again.compliance_score) == (version + 1, "bob", None)
    finally:
        late.close()
        engine.dispose()


def test_a_delete_overtaken_by_another_writer_is_a_conflict(git_repo: GitRepo, database_url: str) -> None:
    engine, late, records, row, version = _two_sessions_one_overtaken(git_repo, database_url, "test-cases", "TC-1")
    try:
        with pytest.raises(ConflictError) as caught:
            records.set_deleted(row, True, version, "api:alice")
        assert "\n" not in str(caught.value)
        again = records.get("TC-1")
        assert (again.version, again.title, again.deleted_at) == (version + 1, "Login still works", None)
    finally:
        late.close()
        engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite: the ConflictError above
@pytest.mark.parametrize(("kind", "ident"), [("adrs", "ADR-0001"), ("test-cases", "TC-1")])
def test_a_stale_version_names_the_version_that_overtook_it(git_repo: GitRepo, database_url: str, kind: str,
                                                            ident: str) -> None:
    # On PostgreSQL the overtaken flush is SQLAlchemy's StaleDataError: its StaleVersion said the version the edit
    # expected was the current one (the API's 412: ``current_version`` and ``ETag`` of the version already gone), so
    # a client that retried with it was refused again.
    engine, late, records, row, version = _two_sessions_one_overtaken(git_repo, database_url, kind, ident)
    try:
        with pytest.raises(StaleVersion) as caught:
            if kind == "adrs":
                records.update(row, {"compliance_score": 0.5}, version, "api:alice")
            else:
                records.set_deleted(row, True, version, "api:alice")
        assert caught.value.current == version + 1
        assert records.get(ident).version == version + 1
    finally:
        late.close()
        engine.dispose()
