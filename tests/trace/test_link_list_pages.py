"""The link list (``GET .../links``, the web view's links page, ``trace.listing.list_links``) reads a page, not the
project: each page seeks the project's links by number (``ix_links_project_id_id``, migration 0031) after the last
one of the page before and stops when it is full; with ``source`` it reads the record's own links. On SQLite, whose
planner has no statistics, every page read and sorted all of the project's links (98,171 on the large benchmark
corpus: 41 ms a page, 290-340 ms with ``suspect``, ``type`` or ``source``). The pages are those of the former read
(kept here as the reference), items and cursors alike, on SQLite and PostgreSQL, with a second project beside."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from conftest import GitRepo, init_repo
from raw_sql import statements_of
from specs import adr, contract
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import ADR, Link, Project
from tracertm.trace import listing
from tracertm.trace.listing import LinkFilter, LinkPage, list_links
from tracertm.trace.review import as_dict, record_id, record_links, with_reasons

FEATURE = """@FEAT-{n} @ADR-1 @REQ-{n}
Feature: Refunds {n}

  @SC-1 @ADR-0003
  Scenario: full refund
    Given a paid order
    When I refund it
    Then the money is back

  @SC-2 @REQ-9 @ADR-0009
  Scenario: partial refund
    Covers REQ-10 as well.
    Given a paid order
    When I refund half
    Then half the money is back
"""
STEPS = """const { Given, When, Then } = require('@cucumber/cucumber');

Given('a paid order', function paid() {});
When(/^I refund (it|half)$/, function refund(how) {});
"""
FILTERS = (
    LinkFilter(), LinkFilter(suspect=True), LinkFilter(suspect=False), LinkFilter(dangling=True),
    LinkFilter(dangling=False), LinkFilter(types=("implements",)), LinkFilter(types=("step", "covers")),
    LinkFilter(source="FEAT-2/SC-1"), LinkFilter(source="ADR-0003"), LinkFilter(target="ADR-0003"),
    LinkFilter(target="ADR-3"), LinkFilter(target="REQ-9"), LinkFilter(suspect=True, source="FEAT-1/SC-1"),
    LinkFilter(suspect=False, types=("implements",), target="ADR-0001"),
)


def _seed(repo: GitRepo, url: str, features: int) -> None:
    """ADRs relating to each other, a contract, features with ADR and requirement tags, a dangling ``@ADR-0009`` in
    each, steps; then ADR-0003 edited, which makes every link to it suspect."""
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", extra="\nRelates to REQ-1.\n"))
    repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL", extra="\nSee ADR-0001.\n"))
    repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", extra="\nSee ADR-0002.\n"))
    repo.write("contracts/refunds.yaml", contract(1, "Refunds") + "metadata: {decision: ADR-0003, requirement: REQ-7}\n")
    repo.write("features/step_definitions/refunds.js", STEPS)
    for n in range(1, features + 1):
        repo.write(f"features/refunds{n}.feature", FEATURE.format(n=n))
    repo.commit("seed")
    assert not sync(repo.path, database_url=url, project=repo.path.name).errors
    repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", decision="We use Kafka.", extra="\nSee ADR-0002.\n"))
    repo.commit("Kafka")
    assert not sync(repo.path, database_url=url, project=repo.path.name).errors


def _former_pages(session: Any, project: Project, flt: LinkFilter) -> list[LinkPage]:
    """The pages as the read before migration 0031 made them: the same conditions, the project's ones first."""
    stmt = select(Link).where(Link.project_id == project.id)
    if flt.suspect is not None:
        stmt = stmt.where(listing.suspect_clause() if flt.suspect else ~listing.suspect_clause())
    if flt.dangling is not None:
        stmt = stmt.where(listing.dangling_clause() if flt.dangling else ~listing.dangling_clause())
    if flt.types:
        stmt = stmt.where(Link.link_type.in_(flt.types))
    if flt.source:
        stmt = stmt.where(Link.source_id == record_id(session, project, flt.source))
    if flt.target:
        from tracertm.repositories.records import normalize_adr

        stmt = stmt.where(Link.target_ref.in_({flt.target, normalize_adr(flt.target)}))
    rows = session.execute(stmt.order_by(Link.id)).scalars().all()
    pages = []
    for start in range(0, max(len(rows), 1), flt.limit):
        chunk = rows[start:start + flt.limit]
        more = start + flt.limit < len(rows)
        cursor = listing._encode(project.id, flt, chunk[-1].id) if more else None
        pages.append(LinkPage(with_reasons(session, project, [as_dict(r) for r in chunk]), cursor, flt.limit))
    return pages


def _pages(session: Any, project: Project, flt: LinkFilter) -> list[LinkPage]:
    pages = [list_links(session, project, flt)]
    while pages[-1].next_cursor:
        pages.append(list_links(session, project, None, pages[-1].next_cursor))
    return pages


def test_pages_are_the_former_reads(git_repo: GitRepo, database_url: str, tmp_path: Any) -> None:
    _seed(init_repo(tmp_path / "other"), database_url, 2)  # a second project's links, before and after this one's
    _seed(git_repo, database_url, 4)
    _seed(init_repo(tmp_path / "later"), database_url, 1)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            project = session.execute(select(Project).where(Project.name == git_repo.path.name)).scalar_one()
            sizes = {}
            for flt in FILTERS:
                for limit in (1, 3, 50):
                    sized = LinkFilter(flt.suspect, flt.dangling, flt.types, flt.source, flt.target, limit)
                    pages = _pages(session, project, sized)
                    assert pages == _former_pages(session, project, sized), sized
                    sizes[sized] = sum(len(page.items) for page in pages)
            # Every filter found some links (none is an empty comparison), and the sizes are the seed's.
            assert all(sizes.values()), sizes
            assert sizes[LinkFilter(limit=50)] == len(session.execute(
                select(Link.id).where(Link.project_id == project.id)).all())
            assert sizes[LinkFilter(suspect=True, limit=50)] == 5  # to ADR-0003: the contract's, each SC-1's
            assert sizes[LinkFilter(dangling=True, limit=50)] == 4  # each SC-2's @ADR-0009
    finally:
        engine.dispose()


def _captured(engine: Engine, run: Any) -> list[tuple[str, Any]]:
    """The statements reading links that ``run()`` executes, with their parameters as the driver got them."""
    return statements_of(engine, run, lambda flat: " FROM links " in flat + " ")


def test_a_page_seeks_its_rows_on_sqlite(git_repo: GitRepo, tmp_path: Any) -> None:
    """SQLite's plans (no statistics, as tracertm leaves the file): the page's own index, no sort of the project."""
    url = f"sqlite:///{tmp_path / 'links.db'}"
    _seed(git_repo, url, 2)
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            project = session.execute(select(Project).where(Project.name == git_repo.path.name)).scalar_one()
            for flt in FILTERS:
                statements = _captured(engine, lambda f=flt: _pages(session, project, f))
                pages = [s for s in statements if "links.id LIMIT" in " ".join(s[0].split())]
                assert pages, flt
                for statement, parameters in pages:
                    plan = " | ".join(str(row[-1]) for row in session.connection().exec_driver_sql(
                        "EXPLAIN QUERY PLAN " + statement, parameters))
                    if flt.source:  # the record's own links, sorted: a handful
                        assert plan.startswith("SEARCH links USING INDEX sqlite_autoindex_links_1 (source_id=?)"), (
                            flt, plan)
                    elif flt.suspect:  # the suspect links alone (migration 0032)
                        assert plan == ("SEARCH links USING INDEX ix_links_project_id_id_suspect "
                                        "(project_id=? AND id>?)"), (flt, plan)
                    elif flt.dangling:
                        assert plan == ("SEARCH links USING INDEX ix_links_target_id_project_id_id_dangling "
                                        "(target_id=? AND project_id=? AND id>?)"), (flt, plan)
                    else:
                        assert plan == "SEARCH links USING INDEX ix_links_project_id_id (project_id=? AND id>?)", (
                            flt, plan)
            adr3 = session.execute(select(Link.target_id).where(Link.target_ref == "ADR-0003",
                                                                Link.target_id.is_not(None))).scalars().first()
            row = session.get(ADR, adr3)
            incoming = [s for s in _captured(engine, lambda: record_links(session, project, "adr", row))
                        if "links.target_id = ?" in " ".join(s[0].split())]
            assert len(incoming) == 1
            plan = [str(r[-1]) for r in session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + incoming[0][0], incoming[0][1])]
            assert plan[0] == "SEARCH links USING INDEX ix_links_target_id (target_id=?)", plan  # not the project's
    finally:
        engine.dispose()


def _pg_plan(session: Any, statement: str, parameters: Any) -> str:
    return "\n".join(str(row[0]) for row in session.connection().exec_driver_sql("EXPLAIN " + statement, parameters))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_page_is_no_walk_of_the_primary_key_on_postgresql(git_repo: GitRepo, database_url: str,
                                                            tmp_path: Any) -> None:
    """PostgreSQL: a page's order is one only the project's indexes give, never the primary key's. Written
    ``ORDER BY links.id`` beside ``project_id = $1`` it was both (PostgreSQL drops the constant's column from the
    order), and with a LIMIT the planner walked the primary key through the other projects' links, priced as if the
    project's were spread evenly among them (ten projects of the medium benchmark corpus: 2-8 × the project alone;
    docs/performance.md, stop 58). Which plan it takes depends on its statistics, so: with the primary key the only
    index of ``links`` (a transaction rolled back) a page must sort what it read — the key gives no order the page
    wants (before, an index scan of ``pk_links`` and no sort); with every index there and sorts and scans of the
    whole table priced out, it reads through the project's index, its state's for ``suspect``/``dangling``."""
    _seed(init_repo(tmp_path / "other"), database_url, 2)
    _seed(git_repo, database_url, 3)
    _seed(init_repo(tmp_path / "later"), database_url, 1)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            project = session.execute(select(Project).where(Project.name == git_repo.path.name)).scalar_one()
            filters = [f for f in FILTERS if not f.source]  # the source's own links: its index, then a sort
            pages = {f: [s for s in _captured(engine, lambda f=f: _pages(session, project, f))
                         if "links.id LIMIT" in " ".join(s[0].split())] for f in filters}
            assert all(pages.values()), pages
            conn = session.connection()
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort", "enable_incremental_sort"):
                conn.exec_driver_sql(f"SET LOCAL {setting} = off")
            for flt, statements in pages.items():
                wanted = ("ix_links_target_id_project_id_id_dangling" if flt.dangling
                          else "ix_links_project_id_id_suspect" if flt.suspect else "ix_links_project_id_")
                for statement, parameters in statements:
                    plan = _pg_plan(session, statement, parameters)
                    assert "pk_links" not in plan and "Sort" not in plan and f"using {wanted}" in plan, (flt, plan)
            try:
                for (name,) in conn.exec_driver_sql(
                        "SELECT indexname FROM pg_indexes WHERE tablename = 'links' AND indexname != 'pk_links'").all():
                    if name.startswith("uq_"):
                        conn.exec_driver_sql(f'ALTER TABLE links DROP CONSTRAINT "{name}"')
                    else:
                        conn.exec_driver_sql(f'DROP INDEX "{name}"')
                conn.exec_driver_sql("SET LOCAL enable_sort = on")
                for flt, statements in pages.items():
                    for statement, parameters in statements:
                        plan = _pg_plan(session, statement, parameters)
                        assert "Sort" in plan.split("\n")[1], (flt, plan)  # Limit, then the sort of what it read
            finally:
                session.rollback()
    finally:
        engine.dispose()
