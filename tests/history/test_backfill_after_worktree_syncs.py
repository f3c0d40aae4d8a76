"""A backfill of a project whose commits were each synced from a clean work tree repeats none of them (SQLite and
PostgreSQL). Those syncs' revisions carry no commit of their own, but their runs name the HEAD they read
(``sync._clean_head``): the graft starts at the history's state at that commit — even when the change is older than
the sync — not at the latest state with the same content (a file deleted and restored, or changed back, had its
earlier history written a second time: two deletes and two restores for one in git)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conftest import GitRepo
from specs import adr, contract
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import SpecRevision


def _trail(engine: Any, number: str) -> list[tuple[int, str]]:
    with db.session(engine) as session:
        rows = session.execute(select(SpecRevision.version, SpecRevision.change)
                               .where(SpecRevision.number == number).order_by(SpecRevision.version))
        return [(v, c) for v, c in rows]


def test_delete_and_restore_synced_at_each_commit_is_not_replayed_again(git_repo: GitRepo, engine: Any) -> None:
    path = "docs/adr/0002-two.md"
    git_repo.write("docs/adr/0001-one.md", adr(1, "One"))
    git_repo.write(path, adr(2, "Two"))
    git_repo.commit("c1")
    sync(git_repo.path, engine=engine, project="p")
    git_repo.git("rm", "-q", path)
    git_repo.commit("c2")
    sync(git_repo.path, engine=engine, project="p")
    git_repo.git("revert", "--no-edit", "HEAD")
    sync(git_repo.path, engine=engine, project="p")
    git_repo.write(path, adr(2, "Two", decision="We will do it twice."))
    git_repo.commit("c4")
    sync(git_repo.path, engine=engine, project="p")
    trail = [(1, "created"), (2, "deleted"), (3, "restored"), (4, "updated")]
    assert _trail(engine, "ADR-0002") == trail
    backfill(git_repo.path, engine=engine, project="p")
    assert _trail(engine, "ADR-0002") == trail


def test_content_changed_back_is_not_replayed_again(git_repo: GitRepo, engine: Any) -> None:
    """A → B → A, each synced; and one sync two commits after the change (the state at its HEAD is older)."""
    for title in ("A", "B", "A"):
        git_repo.write("contracts/a.yaml", contract(1, title))
        git_repo.commit(title)
        sync(git_repo.path, engine=engine, project="p")
    git_repo.write("contracts/a.yaml", contract(1, "C"))
    git_repo.commit("C")
    git_repo.write("README.md", "unrelated\n")
    git_repo.commit("later")
    sync(git_repo.path, engine=engine, project="p")
    assert _trail(engine, "CTR-0001") == [(1, "created"), (2, "updated"), (3, "updated"), (4, "updated")]
    backfill(git_repo.path, engine=engine, project="p")
    assert _trail(engine, "CTR-0001") == [(1, "created"), (2, "updated"), (3, "updated"), (4, "updated")]


def test_the_first_sync_takes_the_commit_people_and_dates_of_the_state_it_holds(
    git_repo: GitRepo, engine: Any
) -> None:
    """Synced once at the third commit (from the work tree, or ``--ref`` that commit), then backfilled: the sync's
    revision holds the state the second commit made, so it takes that commit, its author and dates — as a backfill
    from scratch gives it — and ``--at`` the second commit answers that state (it answered the first's)."""
    import json

    from conftest import run_cli
    from tracertm.models import Project

    git_repo.write("contracts/c.yaml", contract(1, "One"))
    first = git_repo.commit("A", author="Ann <ann@example.com>")
    git_repo.write("contracts/c.yaml", contract(1, "One edited"))
    second = git_repo.commit("B", author="Bo <bo@example.com>")
    git_repo.write("contracts/d.yaml", contract(2, "Two"))
    third = git_repo.commit("C", author="Cy <cy@example.com>")
    expected = {"CTR-0001": [(1, "created", first, "Ann"), (2, "updated", second, "Bo")],
                "CTR-0002": [(1, "created", third, "Cy")]}
    url = engine.url.render_as_string(hide_password=False)
    for project, ref in (("worktree", None), ("ref", "HEAD"), ("scratch", None)):
        if project != "scratch":
            sync(git_repo.path, engine=engine, project=project, ref=ref)
        backfill(git_repo.path, engine=engine, project=project)
        with db.session(engine) as session:
            for number, trail in expected.items():
                columns = (SpecRevision.version, SpecRevision.change, SpecRevision.commit_sha,
                           SpecRevision.author_name)
                rows = session.execute(
                    select(*columns)
                    .join(Project, Project.id == SpecRevision.project_id)
                    .where(SpecRevision.number == number, Project.name == project).order_by(SpecRevision.version))
                assert [tuple(r) for r in rows] == trail, (project, number)
        shown = run_cli("show", "CTR-0001", "--at", second, "--project", project, "--path", str(git_repo.path),
                        "--database-url", url, "--format", "json")
        assert shown.returncode == 0 and json.loads(shown.stdout)["snapshot"]["title"] == "One edited", shown
