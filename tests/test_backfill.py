"""``tracertm backfill``: history replayed commit by commit, on real repositories and real databases."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from conftest import GitRepo, init_repo, isolated, sqlite_only
from specs import adr, contract, feature
from tracertm import db
from tracertm.history.backfill import CHECKPOINT_KEY, backfill, record_at
from tracertm.cli import main
from tracertm.models import Base, Link, Project, Scenario
from tracertm.engine.sync import sync

ALICE, BOB, CAROL = "Alice Archer <alice@example.com>", "Bob Baker <bob@example.com>", "Carol Cook <carol@example.com>"
DAVE, ERIN, FRANK, GRACE = (
    "Dave Dale <dave@example.com>", "Erin East <erin@example.com>", "Frank Fox <frank@example.com>",
    "Grace Gray <grace@example.com>",
)


def _name(author: str) -> str:
    return author.split(" <")[0]


def adr_without_date(number: int, title: str, decision: str = "We will do it.") -> str:
    return (
        f"# {number}. {title}\n\n## Status\n\nAccepted\n\n## Context\n\nWe need to decide about {title.lower()}.\n\n"
        f"## Decision\n\n{decision}\n"
    )


def _day(n: int) -> str:
    return f"2024-03-{n:02d}T12:00:00+00:00"


def _scripted(repo: GitRepo) -> dict[str, str]:
    """create, edit, reformat-only, rename, delete, restore, a syntax error, a fix, and a merge."""
    c: dict[str, str] = {}
    repo.write("docs/adr/0001-use-git.md", adr_without_date(1, "Use git"))
    repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL"))
    repo.write("contracts/payments.yaml", contract(1, "Payments"))
    repo.write("features/login.feature", feature(1, "Login"))
    c["c1"] = repo.commit("seed", author=ALICE, date=_day(1))
    repo.write("docs/adr/0001-use-git.md", adr_without_date(1, "Use git", decision="We will use git everywhere."))
    repo.write("features/login.feature", repo.read("features/login.feature").replace("When I act again", "When I act twice"))
    repo.write("docs/adr/0003-use-kafka.md", adr(3, "Use Kafka"))
    c["c2"] = repo.commit("edit", author=BOB, date=_day(2))
    repo.write("docs/adr/0001-use-git.md", repo.read("docs/adr/0001-use-git.md").replace("We need to decide", "We   need\nto decide"))
    repo.write("features/login.feature", "# a comment\n\n" + repo.read("features/login.feature").replace("    ", "      "))
    c["c3"] = repo.commit("reformat only", author=CAROL, date=_day(3))
    repo.git("mv", "contracts/payments.yaml", "contracts/billing-payments.yaml")
    c["c4"] = repo.commit("rename", author=ALICE, date=_day(4))
    login = repo.read("features/login.feature")
    repo.remove("features/login.feature")
    c["c5"] = repo.commit("drop login", author=BOB, date=_day(5))
    repo.write("features/login.feature", login)
    c["c6"] = repo.commit("bring login back", author=CAROL, date=_day(6))
    repo.write("contracts/billing-payments.yaml", "id: CTR-0001\ntitle: [unclosed\n")
    c["c7"] = repo.commit("broken yaml", author=DAVE, date=_day(7))
    repo.write("contracts/billing-payments.yaml", contract(1, "Payments", ("pending", "paid", "refunded")))
    c["c8"] = repo.commit("fix yaml", author=ERIN, date=_day(8))
    repo.git("checkout", "-q", "-b", "side")
    repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL", decision="We will use PostgreSQL 16."))
    c["side"] = repo.commit("side work", author=FRANK, date=_day(9))
    repo.git("checkout", "-q", "main")
    repo.write("contracts/orders.yaml", contract(2, "Orders"))
    repo.remove("docs/adr/0003-use-kafka.md")
    c["c9"] = repo.commit("orders, drop kafka", author=ALICE, date=_day(10))
    name, email = _name(GRACE), GRACE.split("<")[1].rstrip(">")
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
           "GIT_COMMITTER_EMAIL": email, "GIT_AUTHOR_DATE": _day(11), "GIT_COMMITTER_DATE": _day(11)}
    repo.git("merge", "-q", "--no-ff", "side", "-m", "merge side", env=env)
    c["merge"] = repo.head()
    return c


Scripted = tuple[GitRepo, dict[str, str]]


@pytest.fixture(scope="module")
def _scripted_repo(tmp_path_factory: pytest.TempPathFactory) -> Scripted:
    """``_scripted``'s history, committed once for the module with the identity and home ``_isolated_home`` gives
    a test (the same commits a test's own call makes)."""
    with isolated(tmp_path_factory):
        repo = init_repo(tmp_path_factory.mktemp("scripted") / "repo")
        return repo, _scripted(repo)


@pytest.fixture
def scripted(_scripted_repo: Scripted, tmp_path: Path) -> Scripted:
    """This test's own copy of ``_scripted``'s repository (some commit to it), and its commits by name."""
    source, commits = _scripted_repo
    shutil.copytree(source.path, tmp_path / "repo", symlinks=True)
    return GitRepo(tmp_path / "repo"), commits


def _history(engine: Any, project: str) -> dict[str, list[tuple[str, int, str | None, str | None]]]:
    from tracertm.models import SpecRevision

    t = SpecRevision.__table__.c
    with engine.connect() as conn:
        pid = conn.execute(select(Project.id).where(Project.name == project)).scalar_one()
        rows = conn.execute(
            select(t.number, t.change, t.version, t.commit_sha, t.author_name, t.committed_at)
            .where(t.project_id == pid)
        ).all()
    out: dict[str, list[tuple[str, int, str | None, str | None]]] = {}
    # Oldest first; revisions without a commit (work-tree syncs) last, as NULLs sort differently per database.
    for r in sorted(rows, key=lambda r: (r.number, r.committed_at is None, r.committed_at or 0, r.version)):
        out.setdefault(r.number, []).append((r.change, r.version, r.commit_sha, r.author_name))
    return out


def test_scripted_history_gives_exact_revisions(scripted: Scripted, database_url: str, capsys: Any) -> None:
    git_repo, c = scripted
    engine = db.make_engine(database_url)
    try:
        result = backfill(git_repo.path, engine=engine, project="p", batch_size=3)
        a, b, cr, e, f = (_name(x) for x in (ALICE, BOB, CAROL, ERIN, FRANK))
        assert _history(engine, "p") == {
            "ADR-0001": [("created", 1, c["c1"], a), ("updated", 2, c["c2"], b)],
            # The merge's revision names whose work it merged (Frank's side commit), not Grace who merged it.
            "ADR-0002": [("created", 1, c["c1"], a), ("updated", 2, c["merge"], f)],
            "ADR-0003": [("created", 1, c["c2"], b), ("deleted", 2, c["c9"], a)],
            "CTR-0001": [("created", 1, c["c1"], a), ("moved", 1, c["c4"], a), ("updated", 2, c["c8"], e)],
            "CTR-0002": [("created", 1, c["c9"], a)],
            "FEAT-1": [("created", 1, c["c1"], a), ("deleted", 2, c["c5"], b), ("restored", 3, c["c6"], cr)],
            "SC-1": [("created", 1, c["c1"], a), ("deleted", 2, c["c5"], b), ("restored", 3, c["c6"], cr)],
            "SC-2": [("created", 1, c["c1"], a), ("updated", 2, c["c2"], b), ("deleted", 3, c["c5"], b),
                     ("restored", 4, c["c6"], cr)],
        }
        assert c["c3"] not in {rev[2] for revs in _history(engine, "p").values() for rev in revs}
        assert [(err.commit, err.diagnostic.path) for err in result.errors] == [(c["c7"], "contracts/billing-payments.yaml")]
        assert result.mode == "full" and result.revisions == 20 and result.head_errors == []
        assert result.commits == result.commits_total == 10  # the side commit is not on the first-parent chain
        with engine.connect() as conn:
            tables = Base.metadata.tables
            adrs = {r.adr_number: r for r in conn.execute(select(tables["adrs"]))}
            runs = conn.execute(select(tables["sync_runs"].c.trigger, tables["sync_runs"].c.errors)).all()
        assert str(adrs["ADR-0001"].date) == "2024-03-01", "an ADR without a date takes its creation commit's date"
        assert str(adrs["ADR-0002"].date) == "2024-01-02", "a date in the file wins"
        assert {r.version for r in adrs.values()} == {2}
        assert {r.trigger for r in runs} == {"backfill"}
        assert [e["commit"] for r in runs for e in r.errors] == [c["c7"]], "the error is recorded with its commit"

        # show --at and history through the CLI.
        args = ["--database-url", database_url, "--project", "p", "--path", str(git_repo.path), "--format", "json"]
        assert main(["show", "CTR-0001", "--at", c["c4"], *args]) == 0
        at = json.loads(capsys.readouterr().out)
        assert (at["version"], at["change"], at["source_path"], at["commit_sha"]) == (1, "moved", "contracts/billing-payments.yaml", c["c4"])
        assert at["snapshot"]["states"] == ["pending", "paid"]
        assert main(["show", "ADR-0003", "--at", c["c9"], *args]) == 0
        assert json.loads(capsys.readouterr().out)["change"] == "deleted"
        assert record_at(engine, "p", "adr", "ADR-0001", c["c1"], path=git_repo.path)["version"] == 1  # type: ignore[index]
        assert main(["history", "SC-2", *args]) == 0
        history = json.loads(capsys.readouterr().out)
        assert [(h["change"], h["commit_sha"], h["author_name"]) for h in history] == [
            ("created", c["c1"], a), ("updated", c["c2"], b), ("deleted", c["c5"], b), ("restored", c["c6"], cr)
        ]
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------- end state & reruns

_SKIP = {"id", "project_id", "feature_id", "created_at", "updated_at", "version", "deleted_at", "source_commit"}


def _rows(engine: Any, project: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Spec rows of one project keyed by number: git-owned fields, hashes, path and whether deleted."""
    t = Base.metadata.tables
    out: dict[str, dict[str, dict[str, Any]]] = {}
    with engine.connect() as conn:
        pid = conn.execute(select(Project.id).where(Project.name == project)).scalar_one()
        for name, number in (("adrs", "adr_number"), ("contracts", "contract_number"), ("features", "feature_number")):
            rows = conn.execute(select(t[name]).where(t[name].c.project_id == pid)).mappings()
            out[name] = {r[number]: {k: v for k, v in r.items() if k not in _SKIP} | {"deleted": r["deleted_at"] is not None}
                         for r in rows}
        s, f = t["scenarios"], t["features"]
        rows = conn.execute(select(s, f.c.feature_number).join(f, s.c.feature_id == f.c.id).where(f.c.project_id == pid)).mappings()
        out["scenarios"] = {f"{r['feature_number']}/{r['scenario_number']}": {k: v for k, v in r.items() if k not in _SKIP}
                            | {"deleted": r["deleted_at"] is not None} for r in rows}
    return out


# The collector is above the database: SQLite only (test_scripted_history_gives_exact_revisions[postgresql] runs the
# same backfill, batches of three, on PostgreSQL).
@sqlite_only
def test_the_collector_ages_no_frozen_heap_after_a_backfill(scripted: Scripted, database_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """When a backfill's pause of the collector ends, its heap is unfrozen already: ``collector._age`` counts the
    frozen objects, and a frozen heap is counted one object at a time (each backfill paid ~30-90 ms for it)."""
    import gc

    from tracertm import collector

    frozen_when_aged: list[int] = []
    age = collector._age
    monkeypatch.setattr(collector, "_age", lambda: (frozen_when_aged.append(gc.get_freeze_count()), age())[1])
    git_repo, _ = scripted
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p", batch_size=3)
    finally:
        engine.dispose()
    assert frozen_when_aged == [0]
    assert gc.isenabled() and gc.get_freeze_count() == 0


# SQLite only, as above (a failing backfill's rollback on PostgreSQL:
# test_a_sync_during_the_backfill_stops_it_and_the_rerun_merges[postgresql]).
@sqlite_only
def test_the_collector_is_paused_during_a_backfill_and_given_back(scripted: Scripted, database_url: str) -> None:
    """A backfill runs with the cyclic collector paused and what each batch kept frozen (``_long_lived_heap``), and
    leaves both as it found them, also when it fails."""
    import gc

    git_repo, _ = scripted
    seen: list[tuple[bool, bool]] = []
    engine = db.make_engine(database_url)
    try:
        assert gc.isenabled() and gc.get_freeze_count() == 0
        backfill(git_repo.path, engine=engine, project="p", batch_size=3,
                 on_progress=lambda *_: seen.append((gc.isenabled(), gc.get_freeze_count() > 0)))
        assert len(seen) >= 3 and set(seen) == {(False, True)}
        assert gc.isenabled() and gc.get_freeze_count() == 0

        def fail(*_: Any) -> None:
            raise RuntimeError("stop here")

        with pytest.raises(RuntimeError):
            backfill(git_repo.path, engine=engine, project="q", batch_size=3, on_progress=fail)
        assert gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        engine.dispose()


def test_end_state_equals_sync_ref_and_second_run_adds_nothing(scripted: Scripted, database_url: str) -> None:
    git_repo, c = scripted
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, ref="HEAD", engine=engine, project="synced")
        backfill(git_repo.path, ref="main", engine=engine, project="filled")
        synced, filled = _rows(engine, "synced"), _rows(engine, "filled")
        # Records deleted along the history stay as soft-deleted rows; sync --ref never saw them.
        gone = {kind: {n for n, r in rows.items() if r["deleted"]} for kind, rows in filled.items()}
        assert gone == {"adrs": {"ADR-0003"}, "contracts": set(), "features": set(), "scenarios": set()}
        del filled["adrs"]["ADR-0003"]
        # The one intended difference: an ADR without a date gets its creation commit's date.
        assert synced["adrs"]["ADR-0001"].pop("date") is None
        assert str(filled["adrs"]["ADR-0001"].pop("date")) == "2024-03-01"
        assert filled == synced

        before = _dump(engine, "filled", volatile=True)
        again = backfill(git_repo.path, ref="main", engine=engine, project="filled")
        assert (again.mode, again.revisions, again.batches) == ("up-to-date", 0, 0)
        assert _dump(engine, "filled", volatile=True) == before

        # New commits later: the next run continues from the checkpoint and only adds those.
        git_repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL", decision="Version 17."))
        c10 = git_repo.commit("bump", author=BOB, date=_day(12))
        more = backfill(git_repo.path, engine=engine, project="filled")
        assert (more.mode, more.commits, more.revisions) == ("resumed", 1, 1)
        assert _history(engine, "filled")["ADR-0002"][-1] == ("updated", 3, c10, _name(BOB))
        assert c  # the scripted commits are covered by the test above
    finally:
        engine.dispose()


def test_presynced_project_keeps_identities_and_gets_older_history(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("docs/adr/0009-use-cobol.md", adr(9, "Use COBOL"))
    git_repo.write("features/login.feature", feature(1, "Login").replace("@FEAT-1", "@FEAT-1 @ADR-0001"))
    c1 = git_repo.commit("seed", author=ALICE, date=_day(1))
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Everywhere."))
    git_repo.remove("docs/adr/0009-use-cobol.md")
    c2 = git_repo.commit("edit", author=BOB, date=_day(2))
    git_repo.write("features/login.feature", git_repo.read("features/login.feature").replace("When I act again", "When I act twice"))
    c3 = git_repo.commit("scenario", author=CAROL, date=_day(3))
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine, project="p")  # the work tree, before any backfill
        with engine.begin() as conn:
            conn.execute(update(Scenario.__table__).values(pass_rate=0.75))
        ids_before = {k: {n: r.get("pass_rate") for n, r in rows.items()} for k, rows in _rows(engine, "p").items()}
        before = {name: _ids(engine, name) for name in ("adrs", "features", "scenarios")}

        result = backfill(git_repo.path, engine=engine, project="p")
        assert result.mode == "merged"
        assert {name: _ids(engine, name) for name in ("adrs", "features", "scenarios")} == {
            "adrs": before["adrs"] | {"ADR-0009": _ids(engine, "adrs")["ADR-0009"]},
            "features": before["features"],
            "scenarios": before["scenarios"],
        }, "known records keep their rows; only the record the history alone knows is added"
        rows = _rows(engine, "p")
        assert {n: r["pass_rate"] for n, r in rows["scenarios"].items()} == ids_before["scenarios"]
        assert rows["adrs"]["ADR-0009"]["deleted"] is True
        history = _history(engine, "p")
        a, b = _name(ALICE), _name(BOB)
        assert [h[:3] for h in history["ADR-0009"]] == [("created", 1, c1), ("deleted", 2, c2)]
        # Older history before the sync's own revision (which had no commit: it synced the work tree). The sync's
        # revision moves behind it: it stands for the state c2 gave ADR-0001 (and c3 SC-2), an update, version 2,
        # and now that the history tells which commit made that state, it takes that commit, author and dates.
        assert history["ADR-0001"] == [("created", 1, c1, a), ("updated", 2, c2, b)]
        assert history["SC-2"] == [("created", 1, c1, a), ("updated", 2, c3, _name(CAROL))]
        assert all(len({h[2] for h in revs}) == len(revs) for revs in history.values()), \
            "what the sync already recorded is not repeated"
        assert history["SC-1"] == [("created", 1, c1, a)], "SC-1 never changed: nothing older to add, but its commit"
        assert _versions(engine) == {"ADR-0001": 2, "ADR-0009": 2, "FEAT-1": 1, "SC-1": 1, "SC-2": 2}
        _assert_versions_complete(engine)
        with engine.connect() as conn:  # the link the sync reviewed stays reviewed: the merge changed no content
            links = conn.execute(select(Link.reviewed_version, Link.target_version)
                                 .where(Link.target_ref == "ADR-0001")).all()
        assert links and {tuple(r) for r in links} == {(2, 2)}

        dump = _dump(engine, "p", volatile=True)
        again = backfill(git_repo.path, engine=engine, project="p")
        assert (again.mode, again.revisions) == ("up-to-date", 0)
        assert _dump(engine, "p", volatile=True) == dump
        assert b
    finally:
        engine.dispose()


def test_a_merge_after_syncs_out_of_order_numbers_versions_without_gaps(git_repo: GitRepo, database_url: str) -> None:
    """A sync of the work tree, then of an older commit (CI re-running an old pipeline), then a backfill: every
    record's versions are 1..n, the history's revisions before the database's own, then the commits after."""
    commits = []
    for n in range(1, 7):
        git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision=f"Edit {n}."))
        if n >= 4:
            git_repo.write("docs/adr/0009-use-cobol.md", adr(9, "Use COBOL", decision=f"Edit {n}."))
        commits.append(git_repo.commit(f"c{n}", author=ALICE, date=_day(n)))
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine, project="p")
        sync(git_repo.path, ref=commits[3], engine=engine, project="p")
        assert backfill(git_repo.path, engine=engine, project="p").mode == "merged"
        _assert_versions_complete(engine)
        history = _history(engine, "p")
        assert [r[1:3] for r in sorted(history["ADR-0001"], key=lambda r: r[1])] == [
            (1, commits[0]), (2, commits[1]), (3, commits[2]), (4, None), (5, commits[3]), (6, commits[4]),
            (7, commits[5])]
        assert _versions(engine)["ADR-0001"] == 7 and _versions(engine)["ADR-0009"] == 4
    finally:
        engine.dispose()


def test_a_sync_during_the_backfill_stops_it_and_the_rerun_merges(scripted: Scripted, database_url: str) -> None:
    from tracertm.errors import ConflictError

    git_repo, _ = scripted
    engine = db.make_engine(database_url)
    synced: list[int] = []

    def sync_once(progress: Any) -> None:  # another writer (a hook, the watcher) between two batches
        if progress.done >= 3 and not synced:
            synced.append(progress.done)
            sync(git_repo.path, engine=engine, project="p")

    try:
        with pytest.raises(ConflictError, match="another sync wrote to project p"):
            backfill(git_repo.path, engine=engine, project="p", batch_size=2, on_progress=sync_once)
        rerun = backfill(git_repo.path, engine=engine, project="p")
        assert rerun.mode == "merged"
        sync(git_repo.path, ref="HEAD", engine=engine, project="reference")
        merged, reference = _rows(engine, "p"), _rows(engine, "reference")
        assert {n for n, r in merged["adrs"].items() if r["deleted"]} == {"ADR-0003"}
        del merged["adrs"]["ADR-0003"]
        for rows in (merged, reference):
            rows["adrs"]["ADR-0001"].pop("date")
        assert merged == reference
        history = _history(engine, "p")
        for number, revs in history.items():
            commits = [r[2] for r in revs if r[2]]
            assert len(commits) == len(set(commits)), f"{number}: a commit recorded twice"
        assert _checkpoint(engine, "p")["complete"] is True  # type: ignore[index]
        assert backfill(git_repo.path, engine=engine, project="p").mode == "up-to-date"
        _assert_versions_complete(engine)
    finally:
        engine.dispose()


def _ids(engine: Any, table: str) -> dict[str, Any]:
    t = Base.metadata.tables[table]
    number = {"adrs": "adr_number", "features": "feature_number", "scenarios": "scenario_number"}[table]
    with engine.connect() as conn:
        return {r[0]: r[1] for r in conn.execute(select(t.c[number], t.c.id))}


def _assert_versions_complete(engine: Any) -> None:
    """Every record's revisions number its versions 1..n (a version an unchanged move shares may repeat)."""
    from tracertm.models import SpecRevision

    t = SpecRevision.__table__.c
    with engine.connect() as conn:
        for table in ("adrs", "features", "scenarios"):
            records = Base.metadata.tables[table].c
            for record_id, version in conn.execute(select(records.id, records.version)):
                versions = {v for (v,) in conn.execute(select(t.version).where(t.entity_id == record_id))}
                assert versions == set(range(1, version + 1)), (table, record_id, sorted(versions), version)


def _versions(engine: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for table, number in (("adrs", "adr_number"), ("features", "feature_number"), ("scenarios", "scenario_number")):
            t = Base.metadata.tables[table]
            out.update({r[0]: r[1] for r in conn.execute(select(t.c[number], t.c.version))})
    return out


def _dump(engine: Any, project: str, *, volatile: bool = False) -> dict[str, Any]:
    """Everything of one project: spec rows, revisions (entity named by its natural key), the file index and, with
    ``volatile``, ids, timestamps and the sync_runs rows too."""
    t = Base.metadata.tables
    skip = set() if volatile else {"id", "project_id", "feature_id", "created_at", "updated_at", "sync_run_id",
                                   "entity_id", "deleted_at", "seq"}
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        pid = conn.execute(select(Project.id).where(Project.name == project)).scalar_one()
        features = {r.id for r in conn.execute(select(t["features"].c.id).where(t["features"].c.project_id == pid))}
        names: dict[Any, str] = {}
        for table in ("adrs", "contracts", "features", "scenarios", "source_files", "spec_revisions", "sync_runs"):
            if table == "sync_runs" and not volatile:
                continue
            tab = t[table]
            query = select(tab).where(tab.c.feature_id.in_(features)) if table == "scenarios" else select(tab).where(tab.c.project_id == pid)
            rows = []
            for r in conn.execute(query).mappings():
                if "number" not in r and table not in ("source_files", "sync_runs"):
                    names[r["id"]] = table + ":" + str(r.get("adr_number") or r.get("contract_number") or r.get("feature_number") or r.get("scenario_number"))
                item = {k: v for k, v in r.items() if k not in skip}
                if "deleted_at" in r and not volatile:
                    item["deleted"] = r["deleted_at"] is not None
                if table == "spec_revisions" and not volatile:
                    item["entity"] = names.get(r["entity_id"])
                rows.append(item)
            out[table] = sorted(rows, key=repr)
        meta = conn.execute(select(Project.__table__.c.project_metadata).where(Project.__table__.c.id == pid)).scalar_one()
        checkpoint = dict(meta.get(CHECKPOINT_KEY) or {})
        checkpoint.pop("updated_at", None)
        if not volatile:
            checkpoint.pop("runs", None)
        out["checkpoint"] = checkpoint
    return out


# ------------------------------------------------------------------------------------------------- SIGKILL + resume


def _generate(path: Path, commits: int, files: int, seed: int = 7) -> str:
    """A history of ``commits`` commits over ``files`` spec files, written with one ``git fast-import``."""
    import random

    rng = random.Random(seed)
    out: list[bytes] = []

    def blob(text: str) -> None:
        data = text.encode()
        out.append(b"data %d\n" % len(data) + data + b"\n")

    live: dict[str, int] = {}
    for i in range(1, commits + 1):
        out.append(f"commit refs/heads/main\nmark :{i}\n".encode())
        who = rng.choice((ALICE, BOB, CAROL))
        out.append(f"author {who} {1_700_000_000 + i * 3600} +0000\ncommitter {who} {1_700_000_000 + i * 3600} +0000\n".encode())
        blob(f"commit {i}")
        if i > 1:
            out.append(f"from :{i - 1}\n".encode())
        for _ in range(files if i == 1 else rng.randint(1, 3)):
            n = len(live) + 1 if i == 1 else rng.randint(1, files)
            action = rng.random()
            if n % 3 == 0:
                p = f"features/f{n}.feature"
                text = feature(n, f"Feature {n}", {"one": ["Given a", f"When b {rng.randint(0, 9)}", "Then c"],
                                                    "two": ["Given x", "When y", f"Then z {i}"]})
            elif n % 3 == 1:
                p, text = f"docs/adr/{n:04d}-decision.md", adr(n, f"Decision {n}", decision=f"Choice {rng.randint(0, 5)}.")
            else:
                p, text = f"contracts/c{n}.yaml", contract(n, f"Contract {n}", ("a", "b", "c")[: rng.randint(2, 3)])
            if i > 1 and action < 0.1 and p in live:
                out.append(f"D {p}\n".encode())
                live.pop(p)
                continue
            if i > 1 and action < 0.13:
                text = "id: [broken\n" if p.endswith(".yaml") else text.replace("Feature:", "Feature :\n  Scenario")
            out.append(f"M 100644 inline {p}\n".encode())
            blob(text)
            live[p] = i
        out.append(b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(out), check=True)
    return subprocess.run(["git", "rev-parse", "main"], cwd=path, capture_output=True, text=True, check=True).stdout.strip()


def _checkpoint(engine: Any, project: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        meta = conn.execute(select(Project.__table__.c.project_metadata).where(Project.name == project)).scalar_one_or_none()
    return None if meta is None else meta.get(CHECKPOINT_KEY)


# Thirty batches of five: the kill lands after the first checkpoint, long before the last (the test asserts it).
COMMITS = 150


def test_sigkill_then_resume_equals_an_uninterrupted_run(git_repo: GitRepo, database_url: str) -> None:
    _generate(git_repo.path, commits=COMMITS, files=30)
    engine = db.make_engine(database_url)
    try:
        straight = backfill(git_repo.path, engine=engine, project="straight")
        assert straight.errors and straight.revisions > COMMITS

        cmd = [sys.executable, "-m", "tracertm", "backfill", str(git_repo.path), "--project", "killed",
               "--database-url", database_url, "--batch-size", "5", "--quiet"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        checkpoint = None
        while checkpoint is None and proc.poll() is None and time.monotonic() < deadline:
            checkpoint = _checkpoint(engine, "killed")
            if checkpoint is None:
                time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert checkpoint is not None, proc.stderr.read().decode() if proc.stderr else ""
        proc.stderr.close()  # type: ignore[union-attr]
        killed_at = _checkpoint(engine, "killed")
        assert killed_at is not None and not killed_at["complete"], "the kill must land in the middle of the run"
        assert killed_at["commits_done"] < COMMITS

        resumed = backfill(git_repo.path, engine=engine, project="killed", resume=True)
        assert resumed.mode == "resumed" and resumed.commits == COMMITS - killed_at["commits_done"]
        assert _dump(engine, "killed") == _dump(engine, "straight")
    finally:
        engine.dispose()


# -------------------------------------------------------------------------------------------------- refusals


def test_shallow_clone_is_refused_with_exit_2(git_repo: GitRepo, tmp_path: Path, capsys: Any) -> None:
    for i in range(3):
        git_repo.write(f"docs/adr/000{i + 1}-x.md", adr(i + 1, f"X {i}"))
        git_repo.commit(f"c{i}")
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{git_repo.path}", str(shallow)], check=True)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["backfill", str(shallow), "--database-url", url]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "shallow clone" in err and "git fetch --unshallow" in err

    assert main(["backfill", str(git_repo.path), "--database-url", url, "--resume", "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert not os.environ.get("TRACERTM_DATABASE_URL")
    # A complete backfill has nothing to continue either.
    assert main(["backfill", str(git_repo.path), "--database-url", url, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["backfill", str(git_repo.path), "--database-url", url, "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--resume" in err and "complete" in err


def test_show_at_a_commit_of_a_merged_branch_is_refused(scripted: Scripted, database_url: str) -> None:
    """The side branch's own commit was never recorded (its merge's revision carries its change): answering with
    the main line's revision before the branch point would show the content before that change as of it."""
    from tracertm.errors import UsageError

    git_repo, c = scripted
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        with pytest.raises(UsageError, match=r"not in the first-parent history .* \(a commit of a merged branch\)"):
            record_at(engine, "p", "adr", "ADR-0002", c["side"], path=git_repo.path)
        merged = record_at(engine, "p", "adr", "ADR-0002", c["merge"], path=git_repo.path)
        assert merged is not None and merged["fields"]["decision"] == "We will use PostgreSQL 16."
        before = record_at(engine, "p", "adr", "ADR-0002", c["c9"], path=git_repo.path)
        assert before is not None and before["fields"]["decision"] == "We will do it."
    finally:
        engine.dispose()


def test_show_at_a_commit_that_only_moved_a_record_gives_its_lines_there(
        git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Lines added above a scenario move it without a revision (positions are not content): as of that commit its
    lines are the file's there, not its last revision's; as of the commit before, the revision's."""
    text = "@FEAT-1\nFeature: F\n\n  @SC-1\n  Scenario: s\n    Given x\n"
    git_repo.write("features/f.feature", text)
    first = git_repo.commit("one")
    git_repo.write("features/f.feature", text.replace("Feature: F\n", "Feature: F\n\n\n"))
    moved = git_repo.commit("two blank lines above the scenario")
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        lines = {}
        for commit in (first, moved):
            found = record_at(engine, "p", "scenario", "SC-1", commit, path=git_repo.path, feature="FEAT-1")
            assert found is not None and found["version"] == 1
            lines[commit] = found["fields"]["given_steps"][0]["line"]
        assert lines == {first: 6, moved: 8}
        capsys.readouterr()
        assert main(["show", "FEAT-1/SC-1", "--at", moved, "--path", str(git_repo.path), "--database-url",
                     database_url, "--project", "p", "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["snapshot"]["given_steps"][0]["line"] == 8
    finally:
        engine.dispose()
