"""A sync that rebuilds a project's links because they predate the current links format (a database an older
tracertm wrote) reads the unchanged spec files again for where their references are written: links written before
migration 0017 put an ADR's or a contract's references at its first lines, and a rebuild from the rows alone kept
those lines until each file changed (or ``sync --full``)."""

from __future__ import annotations

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from conftest import GitRepo
from link_rows import adr_links
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project

CONTRACT = """id: CTR-0001
title: Orders
type: service
status: approved
# what this contract follows
adrs: [ADR-0001]
"""


def test_a_rebuild_of_old_links_reads_the_unchanged_files_for_their_lines(
    git_repo: GitRepo, database_url: str
) -> None:
    git_repo.write("docs/adr/0001-storage.md", adr(1, "Storage"))
    git_repo.write("docs/adr/0002-ledger.md", adr(2, "Ledger", decision="It follows ADR-0001 closely."))
    git_repo.write("contracts/orders.yaml", CONTRACT)
    git_repo.commit("specs")
    assert not sync(git_repo.path, database_url=database_url).errors
    engine = create_engine(db.parse_url(database_url))
    try:
        right = adr_links(engine, "repo", "source_ref", "source_line")
        assert ("ADR-0002", 1) not in right and ("CTR-0001", 1) not in right, right
        # As an older tracertm left them: every reference at line 1, the links of format 2.
        with engine.begin() as conn:
            conn.execute(text("UPDATE links SET source_line = 1"))
        with Session(engine) as session, session.begin():
            project = session.execute(select(Project)).scalar_one()
            project.metadata_ = {**(project.metadata_ or {}), "links_format": 2}
        assert adr_links(engine, "repo", "source_ref", "source_line") != right
        result = sync(git_repo.path, database_url=database_url)  # no file changed
        assert not result.errors and not result.changed
        assert adr_links(engine, "repo", "source_ref", "source_line") == right
    finally:
        engine.dispose()
