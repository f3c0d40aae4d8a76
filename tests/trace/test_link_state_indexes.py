"""The suspect and the dangling links have partial indexes of their own (migration 0032), and every read that counts
or lists the links in one state states its index's condition: the dashboard's counts (``review.counts_by_project``,
of every project or of a page's), the project page's and ``status``'s summary (``review.summary``), the link counts
of ``GET …/coverage`` (``listing.counts``) and the link list's ``suspect``/``dangling`` filters. Each read every
link of the project, or of the database, to find the few in either state (14-62 ms of CPU on the large benchmark
corpus, 98,171 links, none in either state). What they answer is the former reads' (kept here as the reference) on
SQLite and PostgreSQL, also after a review moves links out of a state; on SQLite each such statement reads its
state's index and no other; PostgreSQL proves each condition implies its index's."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from typing import Any

import pytest
from sqlalchemy import func, or_, select, true
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from conftest import GitRepo, init_repo
from raw_sql import statements_of
from specs import adr, contract
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Link, Project
from tracertm.trace import listing, review
from tracertm.trace.review import RECORD_KINDS, as_dict, link_state, with_reasons

SUSPECT_INDEX = "ix_links_project_id_id_suspect"
DANGLING_INDEX = "ix_links_target_id_project_id_id_dangling"
FEATURE = """@FEAT-{n} @ADR-0001 @REQ-{n}
Feature: Orders {n}

  @SC-1 @ADR-0002 @ADR-0091
  Scenario: placed
    Given an order

  @SC-2 @ADR-3 @REQ-9 @ADR-0092
  Scenario: paid
    Given a paid order
"""


def _seed(repo: GitRepo, url: str, features: int, *, troubled: bool = True) -> str:
    """A project of three ADRs (citing each other), a contract and ``features`` features linking to them and to
    requirement ids; ``troubled``: two ADRs that do not exist cited (dangling) and ADR-0002 and ADR-0003 edited
    (every link to them suspect). Returns the project's name."""
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", extra="\nRelates to REQ-1.\n"))
    repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL", extra="\nSee ADR-0001.\n"))
    repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", extra="\nSee ADR-0002.\n"))
    repo.write("contracts/orders.yaml",
               contract(1, "Orders") + "metadata: {decision: ADR-0003, requirement: REQ-7}\n")
    for n in range(1, features + 1):
        text = FEATURE.format(n=n)
        repo.write(f"features/orders{n}.feature", text if troubled else text.replace(" @ADR-0091", "").replace(
            " @ADR-0092", ""))
    repo.commit("seed")
    assert not sync(repo.path, database_url=url, project=repo.path.name).errors
    if troubled:
        repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL", decision="Version 16.",
                                                         extra="\nSee ADR-0001.\n"))
        repo.write("docs/adr/0003-use-queues.md", adr(3, "Use queues", decision="We use Kafka.",
                                                      extra="\nSee ADR-0002.\n"))
        repo.commit("edits")
        assert not sync(repo.path, database_url=url, project=repo.path.name).errors
    return repo.path.name


def _former_problem() -> Any:
    """The condition the counts and the summary read before migration 0032: either state, one OR."""
    return or_(
        Link.target_id.is_(None) & Link.target_kind.in_(RECORD_KINDS),
        Link.target_id.is_not(None) & Link.reviewed_version.is_not(None)
        & (Link.target_version != Link.reviewed_version),
    )


def _former_counts(session: Session, ids: Collection[uuid.UUID] | None) -> dict[uuid.UUID, dict[str, int]]:
    """``review.counts_by_project`` before migration 0032."""
    mine = true() if ids is None else Link.project_id.in_(ids)
    out: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: {"total": 0, "suspect": 0, "dangling": 0})
    for pid, n in session.execute(select(Link.project_id, func.count()).where(mine).group_by(Link.project_id)):
        out[pid]["total"] = int(n)
    gone = Link.target_id.is_(None)
    for pid, dangling, n in session.execute(
        select(Link.project_id, gone, func.count()).where(mine, _former_problem()).group_by(Link.project_id, gone)
    ):
        out[pid]["dangling" if dangling else "suspect"] = int(n)
    return out


def _former_summary(session: Session, project: Project, limit: int) -> dict[str, Any]:
    """``review.summary`` before migration 0032."""
    counts = _former_counts(session, [project.id]).get(project.id, {"total": 0, "suspect": 0, "dangling": 0})

    def first(dangling: bool) -> list[dict[str, Any]]:
        gone = Link.target_id.is_(None) if dangling else Link.target_id.is_not(None)
        return [as_dict(x) for x in session.execute(
            select(Link).where(Link.project_id == project.id, _former_problem(), gone)
            .order_by(Link.source_path, Link.source_line, Link.target_ref, Link.id).limit(limit)
        ).scalars()]

    dangling = first(True)
    with_reasons(session, project, dangling)
    return {**counts, "suspect_links": first(False), "dangling_links": dangling}


def _by_state(session: Session, project: Project) -> dict[str, int]:
    """The project's links counted by ``link_state`` in Python, every link read: what the counts must say."""
    links = session.execute(select(Link).where(Link.project_id == project.id)).scalars().all()
    states = [link_state(x) for x in links]
    return {"total": len(links), "suspect": states.count("suspect"), "dangling": states.count("dangling")}


def _projects(session: Session) -> list[Project]:
    return list(session.execute(select(Project).order_by(Project.name)).scalars())


def _assert_reads_agree(engine: Engine, expected: dict[str, dict[str, int]]) -> None:
    """Every read counting or listing links by state answers the former read's, and the counts are ``expected``
    (by project name: total, suspect, dangling)."""
    with db.session(engine) as session:
        projects = _projects(session)
        ids = [p.id for p in projects]
        assert review.counts_by_project(session, None) == _former_counts(session, None)
        for some in (ids, ids[:1], ids[1:]):
            assert review.counts_by_project(session, some) == _former_counts(session, some)
        for p in projects:
            assert _by_state(session, p) == expected[p.name], p.name
            for limit in (1, 2, 50):
                assert review.summary(session, p, limit) == _former_summary(session, p, limit), (p.name, limit)
            counted = listing.counts(session, p)
            assert {k: counted[k] for k in ("total", "suspect", "dangling")} == expected[p.name]
            assert counted["dangling_by_reason"] == {"missing": expected[p.name]["dangling"], "ambiguous": 0}
            for flt in (listing.LinkFilter(suspect=True), listing.LinkFilter(dangling=True)):
                page = listing.list_links(session, p, flt)
                state = "suspect" if flt.suspect else "dangling"
                assert [x["state"] for x in page.items] == [state] * expected[p.name][state]


def test_counts_and_summaries_are_the_former_reads(git_repo: GitRepo, database_url: str, tmp_path: Any) -> None:
    names = [_seed(init_repo(tmp_path / "a-other"), database_url, 2), _seed(git_repo, database_url, 3),
             _seed(init_repo(tmp_path / "z-calm"), database_url, 1, troubled=False)]
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            found = {p.name: _by_state(session, p) for p in _projects(session)}
        # Two dangling references per feature; suspect: each scenario's ADR-0002 or ADR-3, the contract's ADR-0003
        # and ADR-0003's own ADR-0002.
        assert {n: (found[n]["suspect"], found[n]["dangling"]) for n in names} == {
            names[0]: (6, 4), names[1]: (8, 6), names[2]: (0, 0)}, found
        _assert_reads_agree(engine, found)
        with db.session(engine) as session:  # reviewed: out of the suspect links' index
            project = session.execute(select(Project).where(Project.name == names[1])).scalar_one()
            assert len(review.review(session, project, "ADR-0003")) == 5  # its own link to ADR-0002 too
            session.commit()
        found[names[1]]["suspect"] -= 5
        _assert_reads_agree(engine, found)
    finally:
        engine.dispose()


def _link_statements(engine: Engine, run: Any) -> list[tuple[str, Any]]:
    """The statements ``run()`` executes that read links in a state, with their parameters as the driver got them."""
    return statements_of(engine, run, lambda flat: "FROM links" in flat and ("reviewed_version IS NOT NULL" in flat or "target_id IS NULL" in flat))


def _reads(session: Session) -> list[Any]:
    """Every read of links in a state: the dashboard's, a page's, a project's summary, counts and filtered lists."""
    projects = _projects(session)
    p = projects[1]
    return [
        lambda: review.counts_by_project(session, None),
        lambda: review.counts_by_project(session, [x.id for x in projects]),
        lambda: review.summary(session, p),
        lambda: listing.counts(session, p),
        lambda: listing.list_links(session, p, listing.LinkFilter(suspect=True)),
        lambda: listing.list_links(session, p, listing.LinkFilter(dangling=True, limit=1)),
    ]


def _seeded(git_repo: GitRepo, url: str, tmp_path: Any) -> None:
    _seed(init_repo(tmp_path / "a-other"), url, 2)
    _seed(git_repo, url, 3)
    _seed(init_repo(tmp_path / "z-calm"), url, 1, troubled=False)


def test_each_state_reads_its_own_index_on_sqlite(git_repo: GitRepo, tmp_path: Any) -> None:
    """SQLite's plans (no statistics, as tracertm leaves the file): each statement reads its state's index; none
    reads the links by another index or scans them."""
    url = f"sqlite:///{tmp_path / 'links.db'}"
    _seeded(git_repo, url, tmp_path)
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            for read in _reads(session):
                statements = _link_statements(engine, read)
                assert statements
                for statement, parameters in statements:
                    flat = " ".join(statement.split())
                    wanted = {index for index, condition in (
                        (SUSPECT_INDEX, "links.target_version != links.reviewed_version"),
                        (DANGLING_INDEX, "links.target_id IS NULL AND links.target_kind IN")) if condition in flat}
                    plan = [str(row[-1]) for row in session.connection().exec_driver_sql(
                        "EXPLAIN QUERY PLAN " + statement, parameters)]
                    reads = [step for step in plan if step.startswith(("SEARCH links", "SCAN links"))]
                    used = {index for index in (SUSPECT_INDEX, DANGLING_INDEX) for step in reads
                            if f"INDEX {index} " in step + " "}
                    assert wanted and used == wanted and len(reads) == len(wanted), (flat, plan)
    finally:
        engine.dispose()


def _only_the_state_indexes(session: Session) -> None:
    """Drop every other index of ``links`` in the session's transaction (the caller rolls it back)."""
    conn = session.connection()
    for (name,) in conn.exec_driver_sql(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'links'::regclass AND contype IN ('p', 'u')"
    ).all():
        conn.exec_driver_sql(f'ALTER TABLE links DROP CONSTRAINT "{name}" CASCADE')
    for (name,) in conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'links'").all():
        if name not in (SUSPECT_INDEX, DANGLING_INDEX):
            conn.exec_driver_sql(f'DROP INDEX "{name}"')


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_can_take_each_states_index(git_repo: GitRepo, database_url: str, tmp_path: Any) -> None:
    """PostgreSQL proves each statement's condition implies its index's (the kinds written as literals, as the
    index has them): with the other indexes of ``links`` gone (a transaction rolled back) and sequential scans
    priced out, each plan reads the links through its state's index. Which index it takes where all are there
    depends on its statistics (a table this small it reads whole)."""
    _seeded(git_repo, database_url, tmp_path)
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            try:
                _only_the_state_indexes(session)
                session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")
                for read in _reads(session):
                    statements = _link_statements(engine, read)
                    assert statements
                    for statement, parameters in statements:
                        flat = " ".join(statement.split())
                        plan = "\n".join(str(row[0]) for row in session.connection().exec_driver_sql(
                            "EXPLAIN " + statement, parameters))
                        assert "Seq Scan" not in plan, (flat, plan)
                        if "links.target_version != links.reviewed_version" in flat:
                            assert SUSPECT_INDEX in plan, (flat, plan)
                        if "links.target_id IS NULL AND links.target_kind IN" in flat:
                            assert DANGLING_INDEX in plan, (flat, plan)
            finally:
                session.rollback()
    finally:
        engine.dispose()
