"""A backfill into a project ``sync`` already wrote (SQLite and PostgreSQL): it repeats no commit a work-tree sync
recorded before the record's first revision, gives a revision written from the work tree no commit whose tree holds
its content at another path (nor one the record names already), and keeps the ``<model>_metadata`` keys the
database set, as ``sync`` does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from conftest import GitRepo
from specs import adr, contract, feature
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import ADR, Feature, Scenario, SpecRevision


def _trail(engine: Any, number: str) -> list[tuple[int, str, str | None, str]]:
    """(version, change, commit, path) of a record's revisions, in order."""
    with db.session(engine) as session:
        rows = session.execute(
            select(SpecRevision.version, SpecRevision.change, SpecRevision.commit_sha, SpecRevision.source_path)
            .where(SpecRevision.number == number).order_by(SpecRevision.version, SpecRevision.created_at))
        return [(v, c, sha, path) for v, c, sha, path in rows]


def test_a_commit_a_later_sync_recorded_does_not_go_before_an_uncommitted_first_revision(
    git_repo: GitRepo, engine: Any
) -> None:
    """ADR 2 synced as Proposed before it was committed, then committed as Accepted and synced from the clean
    HEAD: that commit is the second revision's state, not a change before the first (it made it v1 "created" at
    the commit, then "updated" back to Proposed and again to Accepted: three versions, dates backwards)."""
    path = "docs/adr/0002-two.md"
    git_repo.write("docs/adr/0001-one.md", adr(1, "One"))
    git_repo.commit("c1")
    git_repo.write(path, adr(2, "Two", status="Proposed"))
    sync(git_repo.path, engine=engine, project="p")
    git_repo.write(path, adr(2, "Two", status="Accepted"))
    git_repo.commit("c2")
    sync(git_repo.path, engine=engine, project="p")
    before = _trail(engine, "ADR-0002")
    assert [(v, c, sha) for v, c, sha, _ in before] == [(1, "created", None), (2, "updated", None)]
    backfill(git_repo.path, engine=engine, project="p")
    assert _trail(engine, "ADR-0002") == before
    with db.session(engine) as session:
        row = session.execute(select(ADR).where(ADR.adr_number == "ADR-0002")).scalar_one()
        assert row.version == 2


def test_a_file_moved_in_the_work_tree_takes_no_commit_of_its_old_path(git_repo: GitRepo, engine: Any) -> None:
    """contracts/a.yaml committed, moved to b.yaml uncommitted and synced: that revision's content is the commit's,
    but not at that path — it keeps no commit (it was "created at c1" with path b.yaml, which c1 does not hold)."""
    git_repo.write("contracts/a.yaml", contract(1, "One"))
    git_repo.commit("c1")
    git_repo.git("mv", "contracts/a.yaml", "contracts/b.yaml")
    sync(git_repo.path, engine=engine, project="p")
    backfill(git_repo.path, engine=engine, project="p")
    trail = _trail(engine, "CTR-0001")
    assert trail[0] == (1, "created", None, "contracts/b.yaml")
    assert all(sha is None or path == "contracts/a.yaml" for _, _, sha, path in trail)


def test_a_commit_a_sync_ref_recorded_is_not_given_to_the_first_revision_too(git_repo: GitRepo, engine: Any) -> None:
    """As above, then ``sync --ref HEAD`` (back to a.yaml: moved at c1) and a committed move to c.yaml: c1 once."""
    c1 = None
    git_repo.write("contracts/a.yaml", contract(1, "One"))
    c1 = git_repo.commit("c1")
    git_repo.git("mv", "contracts/a.yaml", "contracts/b.yaml")
    sync(git_repo.path, engine=engine, project="p")
    sync(git_repo.path, ref="HEAD", engine=engine, project="p")
    git_repo.git("mv", "contracts/b.yaml", "contracts/c.yaml")
    c2 = git_repo.commit("c2")
    backfill(git_repo.path, engine=engine, project="p")
    trail = _trail(engine, "CTR-0001")
    assert trail == [(1, "created", None, "contracts/b.yaml"), (1, "moved", c1, "contracts/a.yaml"),
                     (1, "moved", c2, "contracts/c.yaml")]


def _annotate(engine: Any, model: Any, where: Any, **extra: Any) -> None:
    """A database-side edit (through the ORM, as the API makes them): an ``annotated`` revision."""
    with db.session(engine) as session:
        session.info["actor"] = "alice"
        row = session.execute(select(model).where(where)).scalar_one()
        row.metadata_ = {**row.metadata_, "owner": "team-a"}
        for name, value in extra.items():
            setattr(row, name, value)
        session.commit()


def test_metadata_keys_set_in_the_database_survive_a_backfilled_commit(git_repo: GitRepo, engine: Any) -> None:
    path = "docs/adr/0001-one.md"
    git_repo.write(path, adr(1, "One"))
    git_repo.commit("c1")
    sync(git_repo.path, engine=engine, project="p")
    _annotate(engine, ADR, ADR.adr_number == "ADR-0001", approved_by="alice")
    git_repo.write(path, adr(1, "One", decision="We will do it twice."))
    git_repo.commit("c2")
    backfill(git_repo.path, engine=engine, project="p")
    with db.session(engine) as session:
        row = session.execute(select(ADR).where(ADR.adr_number == "ADR-0001")).scalar_one()
        assert row.metadata_.get("owner") == "team-a"
        assert row.approved_by == "alice"
        assert row.decision == "We will do it twice."
    assert [c for _, c, _, _ in _trail(engine, "ADR-0001")] == ["created", "annotated", "updated"]


def test_metadata_keys_set_in_the_database_survive_a_backfilled_restore(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("docs/adr/0001-one.md", adr(1, "One"))
    git_repo.write("features/f.feature", feature(1, "Pay"))
    git_repo.commit("c1")
    sync(git_repo.path, engine=engine, project="p")
    _annotate(engine, ADR, ADR.adr_number == "ADR-0001")
    with db.session(engine) as session:
        feature_id = session.execute(select(Feature.id).where(Feature.feature_number == "FEAT-1")).scalar_one()
    _annotate(engine, Scenario, (Scenario.scenario_number == "SC-1") & (Scenario.feature_id == feature_id))
    git_repo.remove("docs/adr/0001-one.md")
    git_repo.remove("features/f.feature")
    git_repo.commit("c2")
    git_repo.write("docs/adr/0001-one.md", adr(1, "One"))
    git_repo.write("features/f.feature", feature(1, "Pay"))
    git_repo.commit("c3")
    backfill(git_repo.path, engine=engine, project="p")
    with db.session(engine) as session:
        adr_row = session.execute(select(ADR).where(ADR.adr_number == "ADR-0001")).scalar_one()
        scenario = session.execute(select(Scenario).where(Scenario.scenario_number == "SC-1",
                                                          Scenario.feature_id == feature_id)).scalar_one()
        assert adr_row.deleted_at is None and scenario.deleted_at is None
        assert adr_row.metadata_.get("owner") == "team-a"
        assert scenario.metadata_.get("owner") == "team-a"
    assert [c for _, c, _, _ in _trail(engine, "SC-1")] == ["created", "annotated", "deleted", "restored"]


def test_a_key_a_backfilled_commit_took_over_is_git_s(git_repo: GitRepo, engine: Any) -> None:
    """The database set ``owner``; one commit of the backfill writes ``owner`` in the file (git's from then on),
    the next drops it: dropped from the row, as the ``sync --ref`` of each commit does."""
    path = "contracts/a.yaml"
    git_repo.write(path, contract(1, "One"))
    git_repo.commit("c1")
    sync(git_repo.path, engine=engine, project="p")
    from tracertm.models import Contract

    _annotate(engine, Contract, Contract.contract_number == "CTR-0001")
    git_repo.write(path, contract(1, "One") + "metadata: {owner: team-b}\n")
    git_repo.commit("c2")
    git_repo.write(path, contract(1, "One edited"))
    git_repo.commit("c3")
    backfill(git_repo.path, engine=engine, project="p")
    with db.session(engine) as session:
        row = session.execute(select(Contract).where(Contract.contract_number == "CTR-0001")).scalar_one()
        assert "owner" not in row.metadata_


def test_the_first_revision_takes_no_commit_a_later_revision_names(git_repo: GitRepo, engine: Any) -> None:
    """An edit synced before it was committed (c2), then another uncommitted edit, then ``sync --ref HEAD`` (c2's
    state again, with its commit): the first revision holds c2's content at c2's path, but c2 is recorded by the
    later one — giving it to both recorded one commit twice."""
    path = "contracts/a.yaml"
    git_repo.write(path, contract(1, "One"))
    c1 = git_repo.commit("c1")
    git_repo.write(path, contract(1, "Two"))
    sync(git_repo.path, engine=engine, project="p")
    c2 = git_repo.commit("c2")
    git_repo.write(path, contract(1, "Three"))
    sync(git_repo.path, engine=engine, project="p")
    sync(git_repo.path, ref="HEAD", engine=engine, project="p")
    backfill(git_repo.path, engine=engine, project="p")
    trail = _trail(engine, "CTR-0001")
    assert [(v, c, sha) for v, c, sha, _ in trail] == [
        (1, "created", c1), (2, "updated", None), (3, "updated", None), (4, "updated", c2)]
