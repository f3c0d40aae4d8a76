"""``review.summary`` (the project page, ``tracertm status``'s links) counts links by state in the database and reads
only the suspect and dangling links it shows (``limit`` of each): it read every problem link and every link id
of the project to count them. The counts and the links shown are what reading them all gives."""

from __future__ import annotations

from sqlalchemy import event, select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Link, Project
from tracertm.trace.review import as_dict, link_state, summary

ADR = "---\nid: ADR-{n:04d}\nstatus: accepted\n---\n\n# Decision {n}\n\n## Context\n\n{text}\n"


def test_summary_counts_in_the_database_and_reads_only_what_it_shows(git_repo: GitRepo, database_url: str) -> None:
    for n in (1, 2, 3):
        git_repo.write(f"docs/adr/{n:04d}-d.md", ADR.format(n=n, text="first"))
    scenarios = "".join(f"\n  @SC-{k} @ADR-{1 + k % 3:04d} @ADR-{90 + k:04d}\n  Scenario: s{k}\n    Given x\n"
                        for k in range(1, 9))
    git_repo.write("features/f.feature", "@FEAT-1\nFeature: F\n" + scenarios)
    git_repo.commit("specs")
    assert not sync(git_repo.path, database_url=database_url, project="p").errors
    for n in (1, 2):  # every link to ADR-0001 and ADR-0002 turns suspect
        git_repo.write(f"docs/adr/{n:04d}-d.md", ADR.format(n=n, text="second"))
    git_repo.commit("edit")
    assert not sync(git_repo.path, database_url=database_url, project="p").errors

    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            project = session.execute(select(Project).where(Project.name == "p")).scalar_one()
            links = session.execute(select(Link).where(Link.project_id == project.id).order_by(
                Link.source_path, Link.source_line, Link.target_ref, Link.id)).scalars().all()
            states = [link_state(x) for x in links]
            suspect = [as_dict(x) for x, s in zip(links, states) if s == "suspect"]
            dangling = [as_dict(x) for x, s in zip(links, states) if s == "dangling"]
            assert len(suspect) > 3 and len(dangling) > 3
        with db.session(engine) as session:  # a new identity map: every link summary reads is loaded again
            project = session.execute(select(Project).where(Project.name == "p")).scalar_one()
            loaded: list[object] = []  # every Link row the ORM builds while summary runs
            listener = lambda target, _context: loaded.append(target)  # noqa: E731
            event.listen(Link, "load", listener)
            try:
                found = summary(session, project, limit=3)
            finally:
                event.remove(Link, "load", listener)
            assert len(loaded) <= 6, f"{len(loaded)} links read for 3 of each state"
    finally:
        engine.dispose()
    assert (found["total"], found["suspect"], found["dangling"]) == (len(links), len(suspect), len(dangling))
    assert [x["id"] for x in found["suspect_links"]] == [x["id"] for x in suspect[:3]]
    assert [x["id"] for x in found["dangling_links"]] == [x["id"] for x in dangling[:3]]
    assert all(x.get("dangling") for x in found["dangling_links"]), found["dangling_links"]  # why each dangles
