"""The revisions of one version in the order they were recorded: the change that made the version (``created``,
``updated``, ``restored``, ``deleted`` or a database-side edit's ``annotated``) first, the pure moves that kept it
after. They were ordered by date, a git commit's against the database's write time: a commit older than an API
edit, synced after it (a hook run late, a CI backlog), put its move before the edit — ``history`` ended on the old
path while the row is at the new one, and the web timeline showed the edit as a move back. Likewise a sync of the
work tree that created a record, then a ``sync --ref`` of the older commit that had it at another path. The
history, a page of it and the timeline agree. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from conftest import GitRepo, run_cli
from specs import contract
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Feature, Scenario
from tracertm.repositories import Records
from tracertm.web.timeline import timeline


def _an_hour_ago() -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat(timespec="seconds")


def _approve(engine: Any, feature_number: str) -> None:
    """A database-side edit (through the ORM, as the API's PATCH makes it): an ``annotated`` revision."""
    with db.session(engine) as session:
        session.info["actor"] = "grace"
        row = session.execute(select(Scenario).join(Feature).where(
            Feature.feature_number == feature_number, Scenario.scenario_number == "add item")).scalar_one()
        row.approved_by = "Q"
        session.commit()


def _trail(engine: Any, kind: str, ident: str) -> tuple[list[tuple[int, str, str | None]], str, Any]:
    """The record's history as ``Records.history`` gives it, its newest page (newest first, as the web page reads
    it) put back in order, and the record's row."""
    with db.session(engine) as session:
        records = Records(session, kind)
        row = records.get(ident)
        whole = [(r.version, r.change, r.source_path) for r in records.history(row)]
        page, _ = records.history_window(row, None, 50)
        assert [(r.version, r.change, r.source_path) for r in page] == whole
        return whole, row.source_path, timeline(page)


def test_an_api_edit_before_an_older_commit_s_move_is_listed_before_it(
        git_repo: GitRepo, engine: Any, database_url: str) -> None:
    git_repo.write("features/cart.feature", "Feature: Cart\n  Scenario: add item\n    Given a\n")
    git_repo.commit("c0")
    sync(git_repo.path, ref="HEAD", engine=engine, project="p", trigger="hook")
    git_repo.git("mv", "features/cart.feature", "features/basket.feature")
    git_repo.commit("mv", date=_an_hour_ago())  # made before the edit below, synced after it
    _approve(engine, "cart")
    sync(git_repo.path, ref="HEAD", engine=engine, project="p", trigger="hook")
    trail, path, entries = _trail(engine, "scenario", "basket/add item")
    assert trail == [(1, "created", "features/cart.feature"), (2, "annotated", "features/cart.feature"),
                     (2, "moved", "features/basket.feature")]
    assert path == trail[-1][2]
    moved, edited, _ = entries  # newest first
    assert [c.name for c in edited.changes] == ["approved_by"]  # an edit, not a move back to cart.feature
    assert [(c.name, c.before, c.after) for c in moved.changes] == [
        ("source_path", "features/cart.feature", "features/basket.feature"), ("feature", "cart", "basket")]
    out = run_cli("history", "basket/add item", "--format", "json", "--path", str(git_repo.path),
                  "--database-url", database_url)
    assert out.returncode == 0, out.stderr
    assert [(r["version"], r["change"], r["source_path"]) for r in json.loads(out.stdout)] == trail


def test_a_work_tree_s_creation_before_an_older_commit_s_move_is_listed_first(
        git_repo: GitRepo, engine: Any) -> None:
    """contracts/a.yaml committed, moved to b.yaml uncommitted and synced (created, no commit), then a ``sync
    --ref`` of that older commit: a pure move back to a.yaml, after the creation."""
    git_repo.write("contracts/a.yaml", contract(1, "One"))
    git_repo.commit("c1", date=_an_hour_ago())
    git_repo.git("mv", "contracts/a.yaml", "contracts/b.yaml")
    sync(git_repo.path, engine=engine, project="p")
    sync(git_repo.path, ref="HEAD", engine=engine, project="p")
    trail, path, _ = _trail(engine, "contract", "CTR-0001")
    assert trail == [(1, "created", "contracts/b.yaml"), (1, "moved", "contracts/a.yaml")]
    assert path == "contracts/a.yaml"


def test_the_older_moves_a_backfill_grafts_before_a_sync_s_revision_come_before_it(
        git_repo: GitRepo, engine: Any) -> None:
    """A backfill merge writes the history before a sync's first revision after it: the moves it grafts into that
    revision's version (a.yaml → b.yaml) were written later but come first, as their commits do."""
    from tracertm.history.backfill import backfill

    git_repo.write("contracts/a.yaml", contract(1, "One"))
    git_repo.commit("c1", date="2024-01-01T10:00:00+00:00")
    git_repo.git("mv", "contracts/a.yaml", "contracts/b.yaml")
    git_repo.commit("c2", date="2024-01-02T10:00:00+00:00")
    git_repo.git("mv", "contracts/b.yaml", "contracts/c.yaml")
    git_repo.commit("c3", date="2024-01-03T10:00:00+00:00")
    sync(git_repo.path, engine=engine, project="p")
    assert backfill(git_repo.path, engine=engine, project="p").mode == "merged"
    trail, path, _ = _trail(engine, "contract", "CTR-0001")
    assert trail == [(1, "created", "contracts/a.yaml"), (1, "moved", "contracts/b.yaml"),
                     (1, "moved", "contracts/c.yaml")]
    assert path == "contracts/c.yaml"


def test_a_work_tree_s_move_before_a_sync_of_the_older_commit_is_listed_first(
        git_repo: GitRepo, engine: Any, database_url: str) -> None:
    """contracts/a.yaml committed and synced, moved to b.yaml in the work tree and synced (a move with no commit
    date, recorded now), then a ``sync --ref`` of that older commit (a CI runner on an older checkout): a move back to
    a.yaml, dated by its commit an hour ago but written last. The moves were ordered by date, so the history ended
    on b.yaml while the record is at a.yaml; they are listed as written."""
    git_repo.write("contracts/a.yaml", contract(1, "One"))
    git_repo.commit("c1", date=_an_hour_ago())
    sync(git_repo.path, ref="HEAD", engine=engine, project="p")
    git_repo.git("mv", "contracts/a.yaml", "contracts/b.yaml")
    sync(git_repo.path, engine=engine, project="p")
    sync(git_repo.path, ref="HEAD", engine=engine, project="p")
    trail, path, entries = _trail(engine, "contract", "CTR-0001")
    assert trail == [(1, "created", "contracts/a.yaml"), (1, "moved", "contracts/b.yaml"),
                     (1, "moved", "contracts/a.yaml")]
    assert path == trail[-1][2]
    back, moved, _ = entries  # newest first
    assert [(c.name, c.before, c.after) for c in back.changes if c.name == "source_path"] == [
        ("source_path", "contracts/b.yaml", "contracts/a.yaml")]
    assert [(c.name, c.before, c.after) for c in moved.changes if c.name == "source_path"] == [
        ("source_path", "contracts/a.yaml", "contracts/b.yaml")]
    out = run_cli("history", "CTR-0001", "--format", "json", "--path", str(git_repo.path),
                  "--database-url", database_url)
    assert out.returncode == 0, out.stderr
    assert [(r["version"], r["change"], r["source_path"]) for r in json.loads(out.stdout)] == trail
