"""A link's source id and file are text of any length, as the record's own are (docs/models.md: no column type cuts
or rejects what users write): a feature 1,200 characters deep links to its ADR on both databases — PostgreSQL
refused the link's VARCHAR(1024) columns, and the whole sync, until migration 0035."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Link

# Six folders of 200 characters: a path over 1,024 characters (each name stays under the 255-byte file name limit).
DEEP = "features/" + "/".join(c * 200 for c in "abcdef")
FEATURE = "@ADR-0001\nFeature: Deep\n\n  @ADR-0001\n  Scenario: One\n    Given a step\n"


def _links(url: str) -> list[tuple[str, str | None, str]]:
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            rows = session.execute(select(Link.source_ref, Link.source_path, Link.target_ref).order_by(Link.id))
            return [tuple(row) for row in rows]  # type: ignore[misc]
    finally:
        engine.dispose()


def _seed(git_repo: GitRepo, folder: str) -> str:
    git_repo.write("docs/adr/0001-use-x.md", adr(1, "Use X"))
    path = f"{folder}/deep.feature"
    git_repo.write(path, FEATURE)
    git_repo.commit("a feature deep down")
    return path


def test_a_feature_deeper_than_1024_characters_links_to_its_adr(git_repo: GitRepo, database_url: str) -> None:
    path = _seed(git_repo, DEEP)
    assert len(path) > 1024
    result = sync(git_repo.path, database_url=database_url, project="p")
    assert not result.errors, result.errors
    links = _links(database_url)
    assert {(p, t) for _ref, p, t in links} == {(path, "ADR-0001")} and len(links) == 2, links
    refs = sorted(ref for ref, _p, _t in links)
    assert len(refs[0]) > 1024 and refs[1].startswith(refs[0] + "/"), "the feature's id, then its scenario's"


def _widths(engine: sa.Engine) -> set[int | None]:
    return {getattr(column["type"], "length", None) for column in sa.inspect(engine).get_columns("links")
            if column["name"] in ("source_ref", "source_path")}


def test_migration_0035_keeps_the_links_and_refuses_to_narrow_a_longer_source(
    git_repo: GitRepo, empty_database_url: str,
) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine)  # sync writes through the models of head: its rows go in at head, then down and up again
        _seed(git_repo, "features/shallow")
        assert not sync(git_repo.path, engine=engine, project="p").errors
        before = _links(empty_database_url)
        assert len(before) == 2
        db.downgrade(engine, "0034")
        assert _widths(engine) == {1024} and _links(empty_database_url) == before
        db.upgrade(engine)
        assert _widths(engine) == {None} and _links(empty_database_url) == before
        git_repo.remove("features/shallow/deep.feature")
        git_repo.write(f"{DEEP}/deep.feature", FEATURE)
        git_repo.commit("the feature moves deep down")
        assert not sync(git_repo.path, engine=engine, project="p").errors, \
            "the rebuilt table (its indexes) still takes a sync"
        assert {len(p or "") > 1024 for _r, p, _t in _links(empty_database_url)} == {True}
        with pytest.raises(RuntimeError, match=r"links\.source_ref holds 2 values longer than 1024"):
            db.downgrade(engine, "0034")
        assert db.current_revision(engine) == db.SCHEMA_HEAD  # nothing changed: still at head
    finally:
        engine.dispose()
