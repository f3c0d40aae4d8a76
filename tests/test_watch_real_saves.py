"""A real ``tracertm watch`` process against how files really change: editors' save patterns, git commands that
rewrite the work tree, spec folders moved, deleted and restored, symbolic links swapped, changes inside the
debounce window, during a sync and while the daemon starts.

Each case syncs the start into the daemon's database and into a reference database, starts the daemon, changes the
work tree, then syncs the end into the reference (what ``tracertm sync`` before and after gives) and waits, by
polling the database, until the daemon's agrees with it: the records (kind, number, content hash, path, version,
live), each record's revisions' kinds in order, the file index (path, kind, blob, findings) and the links. Ids and
times are not compared. Where what the daemon saw on the way is not defined (the daemon started while files were
being written) only the end state is compared, against a fresh sync."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from conftest import GitRepo
from test_watch import Daemon, adr, adr_path
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Base

SETTLE_S = 60.0  # an upper bound only: the wait polls and returns as soon as the daemon agrees


def contract(number: int, title: str, states: str = "draft, done") -> str:
    return (f"id: CTR-{number:04d}\ntitle: {title}\ntype: service\nstatus: approved\ntags: [ADR-0001]\n"
            f"states: [{states}]\n")


def feature(number: int, title: str, then: str = "it works") -> str:
    return (f"@FEAT-{number} @ADR-0002\nFeature: {title}\n\n  @SC-1\n  Scenario: one\n    Given a thing\n"
            f"    Then {then}\n")


# ---------------------------------------------------------------------------------------------- what is compared


def _findings(value: Any) -> tuple[tuple[Any, ...], ...]:
    return tuple(sorted((d.get("line"), d.get("column"), d.get("severity", "error"), d.get("message"))
                        for d in value or ()))


def snapshot(engine: Engine, history: bool = True) -> dict[str, Any]:
    """What must agree, read from one database: records (with their versions and revisions' kinds when
    ``history``), the live file index and the links."""
    t = Base.metadata.tables
    with engine.connect() as conn:
        files = {
            r.path: (r.kind, r.blob_sha, _findings(r.parse_error))
            for r in conn.execute(select(t["source_files"]).where(t["source_files"].c.deleted_at.is_(None)))
        }
        revisions: dict[Any, list[tuple[int, str]]] = {}
        rev = t["spec_revisions"]
        for r in conn.execute(select(rev.c.entity_id, rev.c.version, rev.c.change)
                              .order_by(rev.c.version, rev.c.seq, rev.c.created_at)):
            revisions.setdefault(r.entity_id, []).append((r.version, r.change))
        features = {r.id: r.feature_number for r in conn.execute(select(t["features"]))}
        keys: dict[Any, tuple[str, str]] = {}
        records: dict[tuple[str, str], tuple[Any, ...]] = {}
        for kind, table, column in (("adr", "adrs", "adr_number"), ("contract", "contracts", "contract_number"),
                                    ("feature", "features", "feature_number"),
                                    ("scenario", "scenarios", "scenario_number")):
            for r in conn.execute(select(t[table])):
                number = r._mapping[column]
                if kind == "scenario":
                    number = f"{features.get(r.feature_id)}/{number}"
                keys[r.id] = (kind, number)
                if history:
                    records[(kind, number)] = (r.deleted_at is None, r.content_hash, r.source_path, r.version,
                                               tuple(revisions.get(r.id, ())))
                elif r.deleted_at is None:
                    records[(kind, number)] = (r.content_hash, r.source_path)
        links = sorted(
            (r.source_kind, r.source_ref, r.source_path, r.source_line, r.link_type, r.target_kind, r.target_ref,
             keys.get(r.target_id) if r.target_id is not None else None)
            for r in conn.execute(select(t["links"]))
        )
    return {"files": files, "records": records, "links": links}


def differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for part in ("files", "records"):
        for key in sorted(set(got[part]) | set(want[part]), key=repr):
            if got[part].get(key) != want[part].get(key):
                out.append(f"{part} {key}: daemon {got[part].get(key)} / sync {want[part].get(key)}")
    out += [f"link only in the daemon's database: {link}" for link in sorted(set(got["links"]) - set(want["links"]))]
    out += [f"link only in the sync's: {link}" for link in sorted(set(want["links"]) - set(got["links"]))]
    return out


class Case:
    """One repository, the daemon's database and the reference's, and the daemon once started."""

    def __init__(self, repo: GitRepo, url: str, reference_url: str) -> None:
        self.repo, self.root = repo, repo.path
        self.url, self.reference_url = url, reference_url
        self.engine, self.reference = db.make_engine(url), db.make_engine(reference_url)
        self.daemon: Daemon | None = None
        # A sync failure that may come on the way, in any case that deletes or renames files while a sync may be
        # reading them: the sync is retried once the files are quiet (its message holds this); the end state is
        # what each case defines.
        self.tolerated = "changed while this sync read the work tree"

    def begin(self, synced: bool = True) -> Daemon:
        """Sync the start into both databases (unless not ``synced``), start the daemon, wait for its start-up
        reconcile."""
        if synced:
            sync(self.root, engine=self.engine)
            sync(self.root, engine=self.reference)
        self.daemon = Daemon(self.root, self.url)
        self.daemon.wait(lambda e: e.get("event") == "sync" and e.get("reconcile"), "the start-up reconcile")
        return self.daemon

    def syncs(self) -> int:
        assert self.daemon is not None
        return sum(1 for e in list(self.daemon.lines) if e.get("event") == "sync")

    def wait_sync(self, after: int, what: str) -> None:
        """Until the daemon has logged a sync more than ``after``."""
        assert self.daemon is not None
        self.daemon.wait_for(lambda: self.syncs() > after, what)

    def settle(self, what: str, history: bool = True) -> None:
        """Sync the work tree into the reference; poll until the daemon's database agrees with it."""
        assert self.daemon is not None
        if history:
            sync(self.root, engine=self.reference)
            want = snapshot(self.reference)
        else:
            fresh = self.root.parent / "fresh.db"
            fresh.unlink(missing_ok=True)
            engine = db.make_engine(f"sqlite:///{fresh}")
            try:
                db.upgrade(engine)
                sync(self.root, engine=engine)
                want = snapshot(engine, history=False)
            finally:
                engine.dispose()
        deadline = time.monotonic() + SETTLE_S
        compared, read_at = -1, 0.0
        while True:
            # Read again once the daemon has logged another sync (its syncs are what change its database), or a
            # second on: a read of every table every 50 ms took the CPU the daemon needed.
            syncs = self.syncs()
            if syncs != compared or time.monotonic() > read_at:
                compared, read_at = syncs, time.monotonic() + 1.0
                diff = differences(snapshot(self.engine, history), want)
                if not diff:
                    return
            if time.monotonic() > deadline or self.daemon.proc.poll() is not None:
                diff = differences(snapshot(self.engine, history), want)
                raise AssertionError(f"{what}: the daemon's database differs from a sync of the work tree:\n  "
                                     + "\n  ".join(diff[:40]) + f"\nthe daemon logged:\n{self.daemon.tail(40)}")
            time.sleep(0.05)

    def close(self) -> None:
        if self.daemon is not None:
            self.daemon.proc.send_signal(signal.SIGTERM)
            code = self.daemon.finish()
            failures = [e for e in self.daemon.lines if e.get("event") in ("sync_failed", "fatal")
                        and self.tolerated not in str(e.get("message"))]
            assert code == 0 and not failures, self.daemon.tail(40)
        self.engine.dispose()
        self.reference.dispose()


def seed(repo: GitRepo, adrs: int = 4) -> None:
    for n in range(1, adrs + 1):
        repo.write(adr_path(n), adr(n, f"Decision {n}", f"We will do {n}. See ADR-{n % adrs + 1:04d}."))
    repo.write("contracts/orders.yaml", contract(1, "Orders"))
    repo.write("features/cart.feature", feature(1, "Cart"))
    repo.commit("seed")


@pytest.fixture
def case(git_repo: GitRepo, database_url: str, other_database_url: str) -> Iterator[Case]:
    seed(git_repo)
    handle = Case(git_repo, database_url, other_database_url)
    yield handle
    handle.close()


sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


# ------------------------------------------------------------------------------------------------- editors


@sqlite_only
def test_vim_save_with_backup_and_swap_files(case: Case) -> None:
    case.begin()
    folder = case.root / "docs" / "adr"
    name = "0002-decision.md"
    (folder / f".{name}.swp").write_bytes(b"b0VIM 9.0\0swap")
    os.rename(folder / name, folder / f"{name}~")  # backupcopy=no: the file becomes the backup
    (folder / name).write_text(adr(2, "Decision 2, saved by vim"), encoding="utf-8")
    (folder / f"{name}~").unlink()  # writebackup: the backup goes once the write succeeded
    case.settle("vim's save")
    (folder / f".{name}.swp").unlink()  # vim quits
    (folder / "0003-decision.md~").write_text(adr(3, "An old backup left"), encoding="utf-8")
    case.settle("vim's quit")


@sqlite_only
def test_jetbrains_safe_write(case: Case) -> None:
    case.begin()
    folder = case.root / "contracts"
    (folder / "orders.yaml___jb_tmp___").write_text(contract(1, "Orders, by IntelliJ"), encoding="utf-8")
    os.rename(folder / "orders.yaml", folder / "orders.yaml___jb_old___")
    os.rename(folder / "orders.yaml___jb_tmp___", folder / "orders.yaml")
    (folder / "orders.yaml___jb_old___").unlink()
    case.settle("JetBrains' safe write")


@sqlite_only
def test_vscode_atomic_rename(case: Case) -> None:
    case.begin()
    folder = case.root / "features"
    tmp = folder / ".cart.feature.tmp.4f1c"
    tmp.write_text(feature(1, "Cart", "it works atomically"), encoding="utf-8")
    os.replace(tmp, folder / "cart.feature")
    case.settle("an atomic rename over the file")


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("path", [adr_path(1), "features/cart.feature", "contracts/orders.yaml"])
def test_truncate_then_write_with_a_pause(case: Case, path: str) -> None:
    """An editor that truncates the file, pauses, then writes it (the file open all along): the daemon waits for
    it to close the file. Synced empty, a feature or contract would lose its records and get them back, a
    revision deleted and one restored, which no sync before and after shows."""
    daemon = case.begin()
    content = {"docs": adr(1, "Decision 1, rewritten in place"), "features": feature(1, "Cart", "it is rewritten"),
               "contracts": contract(1, "Orders, rewritten in place")}[path.split("/")[0]]
    before = case.syncs()
    with (case.root / path).open("w", encoding="utf-8") as handle:  # truncated, still open
        handle.flush()
        daemon.wait_for(lambda: case.syncs() > before or daemon.saw(
            lambda e: "open for writing" in str(e.get("message"))), "the truncation seen")
        handle.write(content)
    case.settle("a truncate, a pause, then the write")


# ---------------------------------------------------------------------------------------------- git commands


def _branch_with_many_changes(repo: GitRepo, count: int) -> None:
    repo.git("checkout", "-q", "-b", "big")
    for n in range(1, count + 1):
        repo.write(adr_path(n, "many"), adr(n + 10, f"Many {n}"))
    repo.remove(adr_path(3))
    repo.write(adr_path(2), adr(2, "Decision 2 on big"))
    repo.write("features/cart.feature", feature(1, "Cart", "it works on big"))
    repo.commit("big")
    repo.git("checkout", "-q", "main")


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_checkout_of_a_branch_with_hundreds_of_changed_specs(case: Case) -> None:
    _branch_with_many_changes(case.repo, 300)
    case.begin()
    case.repo.git("checkout", "-q", "big")
    case.settle("checkout big")
    case.repo.git("checkout", "-q", "main")
    case.settle("checkout main")
    edit(case, adr_path(2), 2)


@sqlite_only
def test_rebase(case: Case) -> None:
    repo = case.repo
    repo.git("checkout", "-q", "-b", "topic")
    repo.write(adr_path(5), adr(5, "Topic"))
    repo.commit("topic 1")
    repo.write(adr_path(1), adr(1, "Decision 1 on topic"))
    repo.commit("topic 2")
    repo.git("checkout", "-q", "main")
    repo.write(adr_path(2), adr(2, "Decision 2 on main"))
    repo.write("contracts/orders.yaml", contract(1, "Orders on main"))
    repo.commit("main moves")
    repo.git("checkout", "-q", "topic")
    case.begin()
    repo.git("rebase", "-q", "main")
    case.settle("rebase")


@sqlite_only
def test_stash_and_pop(case: Case) -> None:
    case.begin()
    repo = case.repo
    repo.write(adr_path(1), adr(1, "Decision 1, uncommitted"))
    repo.write(adr_path(6), adr(6, "Untracked"))
    repo.remove("features/cart.feature")
    case.settle("the edits")
    repo.git("stash", "push", "-q", "-u")
    case.settle("stash")
    repo.git("stash", "pop", "-q")
    case.settle("stash pop")


@sqlite_only
def test_reset_hard_and_clean(case: Case) -> None:
    case.begin()
    repo = case.repo
    repo.write(adr_path(1), adr(1, "Decision 1, committed then reset"))
    repo.commit("to be reset")
    repo.write(adr_path(2), adr(2, "Decision 2, uncommitted"))
    repo.write(adr_path(7), adr(7, "Untracked"))
    repo.write("docs/adr/new/0008-nested.md", adr(8, "Untracked, in a new folder"))
    case.settle("the edits")
    repo.git("reset", "-q", "--hard", "HEAD~1")
    case.settle("reset --hard")
    repo.git("clean", "-q", "-f", "-d")
    case.settle("clean -fd")
    edit(case, "docs/adr/new/0008-nested.md", 8)


# ----------------------------------------------------------------------------------------------- folders


def edit(case: Case, path: str, number: int) -> None:
    """An edit of ``path`` after the case's operations (the daemon still watches where it is); ``number``: the
    ADR's number, 0 for the feature."""
    if number:
        case.repo.write(path, adr(number, f"Decision {number}, edited at {path}"))
    else:
        case.repo.write(path, feature(1, "Cart", f"it works at {path}"))
    case.settle(f"an edit of {path} after that")


@sqlite_only
def test_spec_folder_moved_out_and_back(case: Case) -> None:
    case.begin()
    trash = case.root.parent / "trash"
    trash.mkdir()
    os.rename(case.root / "docs" / "adr", trash / "adr")
    case.settle("docs/adr moved out of the repository")
    (trash / "adr" / "0001-decision.md").write_text(adr(1, "Edited in the trash"), encoding="utf-8")
    os.rename(trash / "adr", case.root / "docs" / "adr")
    case.settle("docs/adr moved back")
    edit(case, adr_path(3), 3)
    os.rename(case.root / "docs" / "adr", case.root / "docs" / "old")  # out of the ADR globs, inside the watch
    case.settle("docs/adr moved to docs/old")
    (case.root / "docs" / "old" / "0002-decision.md").write_text(adr(2, "Edited in docs/old"), encoding="utf-8")
    os.rename(case.root / "docs" / "old", case.root / "docs" / "adr")
    case.settle("docs/old moved back to docs/adr")
    edit(case, adr_path(2), 2)
    os.makedirs(case.root / "docs" / "adr" / "sub")
    os.rename(case.root / "docs" / "adr" / "sub", case.root / "docs" / "adr" / "sub2")
    edit(case, "docs/adr/sub2/0011-deep.md", 11)
    os.rename(case.root / "docs" / "adr" / "sub2", case.root / "docs" / "adr" / "sub3")
    case.settle("a sub-folder renamed")
    edit(case, "docs/adr/sub3/0011-deep.md", 11)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_adr_folder_moved_with_adr_dir(case: Case) -> None:
    case.repo.write(".adr-dir", "docs/adr\n")
    case.repo.commit("adr-tools")
    case.begin()
    os.rename(case.root / "docs" / "adr", case.root / "docs" / "records")
    (case.root / ".adr-dir").write_text("docs/records\n", encoding="utf-8")
    case.settle("mv docs/adr docs/records, .adr-dir updated")
    os.rename(case.root / "docs" / "records", case.root / "docs" / "decisions")
    (case.root / ".adr-dir").write_text("docs/decisions\n", encoding="utf-8")
    case.settle("mv docs/records docs/decisions, .adr-dir updated")
    edit(case, "docs/decisions/0001-decision.md", 1)


@sqlite_only
def test_spec_folder_deleted_and_restored(case: Case) -> None:
    case.begin()
    shutil.rmtree(case.root / "docs" / "adr")
    case.settle("rm -rf docs/adr")
    case.repo.git("checkout", "--", "docs/adr")
    case.settle("git checkout -- docs/adr")
    shutil.rmtree(case.root / "features")
    case.repo.git("restore", "features")
    case.settle("rm -rf features; git restore features")
    edit(case, "features/cart.feature", 0)
    edit(case, adr_path(2), 2)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_spec_folder_moved_out_and_linked_back(case: Case) -> None:
    """``mv docs/adr ../adr && ln -s ../adr docs/adr``: the same files behind a link git does not follow (``git
    status``: deleted), which ``git ls-files`` stats through as unchanged: the daemon kept their records, and a
    first sync (a new database, the daemon's or the command's) failed at every run on the read's refusal of the
    link."""
    case.begin()
    outside = case.root.parent / "adr"
    os.rename(case.root / "docs" / "adr", outside)
    os.symlink(outside, case.root / "docs" / "adr")
    case.settle("docs/adr moved out and linked back")
    assert not [key for key, record in snapshot(case.engine)["records"].items() if key[0] == "adr" and record[0]]
    case.settle("the same, against a first sync", history=False)
    (case.root / "docs" / "adr").unlink()
    os.rename(outside, case.root / "docs" / "adr")
    case.settle("the link replaced by the folder again")
    edit(case, adr_path(1), 1)


@sqlite_only
def test_symlink_swapped(case: Case) -> None:
    repo = case.repo
    repo.git("config", "core.symlinks", "true")
    repo.write("shared/one.yaml.in", contract(2, "Shared one"))
    repo.write("shared/two.yaml.in", contract(2, "Shared two", "draft, review, done"))
    os.symlink("../shared/one.yaml.in", case.root / "contracts" / "shared.yaml")
    repo.commit("a linked contract")
    case.begin()
    os.symlink("../shared/two.yaml.in", case.root / "contracts" / ".shared.yaml.new")
    os.replace(case.root / "contracts" / ".shared.yaml.new", case.root / "contracts" / "shared.yaml")  # ln -sfn
    case.settle("the link swapped")
    (case.root / "contracts" / "shared.yaml").unlink()
    os.symlink("../shared/one.yaml.in", case.root / "contracts" / "shared.yaml")
    case.settle("the link removed and made again")


# ------------------------------------------------------------------------------------------------- timing


@sqlite_only
def test_created_and_deleted_within_the_debounce_window(case: Case) -> None:
    case.begin()
    folder = case.root / "docs" / "adr"
    (folder / "0009-flash.md").write_text(adr(9, "Flash"), encoding="utf-8")
    (folder / "0009-flash.md").unlink()
    (folder / "0010-moved.md").write_text(adr(10, "Moved at once"), encoding="utf-8")
    os.rename(folder / "0010-moved.md", folder / "0010-there.md")
    os.rename(folder / "0004-decision.md", folder / "0004-gone.md")
    (folder / "0004-gone.md").unlink()
    case.settle("created and deleted at once")


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_burst_while_a_sync_runs(case: Case) -> None:
    daemon = case.begin()
    staging = case.root.parent / "staging"
    staging.mkdir()
    for n in range(20, 320):
        (staging / f"{n:04d}-batch.md").write_text(adr(n, f"Batch {n}"), encoding="utf-8")
    os.rename(staging, case.root / "docs" / "adr" / "batch")
    daemon.wait(lambda e: "sync started" in str(e.get("message")) and "paths=300" in str(e.get("message")),
                "the big sync to start")
    folder = case.root / "docs" / "adr"
    for n in range(1, 5):
        (folder / f"000{n}-decision.md").write_text(adr(n, f"Decision {n}, during the sync"), encoding="utf-8")
    os.rename(folder / "batch" / "0020-batch.md", folder / "0020-batch.md")
    (folder / "batch" / "0021-batch.md").unlink()
    case.settle("a burst during a sync")


@sqlite_only
def test_daemon_started_while_changes_are_in_flight(case: Case) -> None:
    """Files written, rewritten and deleted while the daemon starts (its start-up reconcile may fail on a file
    deleted while it read it, and is retried): the end state only is defined."""
    folder = case.root / "docs" / "adr"
    daemon = case.daemon = Daemon(case.root, case.url)
    n, until_n = 0, 0
    while not until_n or n < until_n:  # until 2,000 writes after its start-up reconcile began
        n += 1
        if not until_n and daemon.saw(lambda e: "sync started" in str(e.get("message"))):
            until_n = n + 2000
        assert n < 10_000_000, daemon.tail()
        (folder / f"{100 + n % 50:04d}-flight.md").write_text(adr(100 + n % 50, f"Flight {n}"), encoding="utf-8")
        if n % 7 == 0:
            (folder / f"{100 + (n // 7) % 50:04d}-flight.md").unlink(missing_ok=True)
    started = time.monotonic()
    case.settle("writes while the daemon started", history=False)
    print(f"settled {time.monotonic() - started:.1f} s after the last write")
    case.repo.write(adr_path(1), adr(1, "Decision 1, edited once started"))
    case.settle("an edit once started", history=False)
