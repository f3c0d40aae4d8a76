"""``tracertm watch`` defects found by exploratory testing: a losing claimant of an id taking it over in a sync of
some paths, editor lock files ignored by the scan as by the watcher, a second signal while the daemon exits, a
symbolic link's target edited alone, and a plain folder (no git) as a workspace. Real file-system events, real
daemons and databases; every wait polls an observable condition."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo
from test_watch import (  # noqa: F401 - fixtures (dbx, sqlite_db, stop_all) are used by name
    Daemon,
    Db,
    adr,
    adr_path,
    dbx,
    sqlite_db,
    start,
    stop_all,
    wait_for,
)
from tracertm import db
from tracertm import config as config_module
from tracertm.engine.sync import sync
from tracertm.models import Contract, SourceFile
from tracertm.watcher import Watcher
from tracertm.watcher.repos import Repository, split_targets


def contract(number: str, title: str) -> str:
    return f"id: {number}\ntitle: {title}\ntype: service\n"


def contracts(handle: Db) -> dict[str, tuple[str, str, bool]]:
    """contract_number → (source_path, title, deleted), soft-deleted rows included."""
    with db.session(handle.engine) as s:
        rows = s.execute(select(Contract).execution_options(include_deleted=True)).scalars()
        return {r.contract_number: (r.source_path or "", r.title, r.deleted_at is not None) for r in rows}


def file_rows(handle: Db) -> dict[str, object]:
    """path → stored findings of the live ``source_files`` rows."""
    with db.session(handle.engine) as s:
        rows = s.execute(select(SourceFile).where(SourceFile.deleted_at.is_(None))).scalars()
        return {r.path: r.parse_error for r in rows}


# ------------------------------------------------------------------------- 1. the losing claimant takes over


def test_a_sync_of_the_winners_path_lets_the_loser_take_the_id_over(git_repo: GitRepo, dbx: Db) -> None:
    """The watcher's sync names only the changed paths: the stored loser of an identity whose winner is among them
    is read too, and takes the identity over in that one sync — as a full sync does, never a delete."""
    git_repo.write("contracts/payment.yaml", contract("CTR-0001", "Payment"))
    git_repo.commit("init")
    sync(git_repo.path, engine=dbx.engine)
    git_repo.write("contracts/payment-v2.yaml", contract("CTR-0001", "Payment"))
    loser = sync(git_repo.path, paths=["contracts/payment-v2.yaml"], engine=dbx.engine)
    assert [d.path for d in loser.errors] == ["contracts/payment-v2.yaml"]

    git_repo.remove("contracts/payment.yaml")
    result = sync(git_repo.path, paths=["contracts/payment.yaml"], engine=dbx.engine)
    assert [(op.action, op.number, op.path) for op in result.operations] == [
        ("moved", "CTR-0001", "contracts/payment-v2.yaml")
    ]
    assert contracts(dbx) == {"CTR-0001": ("contracts/payment-v2.yaml", "Payment", False)}
    assert file_rows(dbx) == {"contracts/payment-v2.yaml": None}
    assert dbx.in_sync_with(git_repo.path)


def test_a_renumbered_winner_hands_its_id_to_the_loser_in_a_sync_of_its_path(git_repo: GitRepo, dbx: Db) -> None:
    git_repo.write("contracts/a.yaml", contract("CTR-0001", "A"))
    git_repo.write("contracts/b.yaml", contract("CTR-0001", "B"))
    git_repo.write("contracts/other.yaml", contract("CTR-0009", "Other"))
    git_repo.commit("init")
    sync(git_repo.path, engine=dbx.engine)  # a.yaml wins (first by path), b.yaml is in error
    git_repo.write("contracts/a.yaml", contract("CTR-0002", "A"))
    result = sync(git_repo.path, paths=["contracts/a.yaml"], engine=dbx.engine)
    assert not result.errors
    assert {(op.action, op.number, op.path) for op in result.operations} == {
        ("moved", "CTR-0001", "contracts/b.yaml"),
        ("created", "CTR-0002", "contracts/a.yaml"),
    }
    # A sync of an unrelated path reads no loser (and reports none of their findings).
    git_repo.write("contracts/c.yaml", contract("CTR-0003", "C"))
    git_repo.write("contracts/d.yaml", contract("CTR-0003", "D"))
    sync(git_repo.path, paths=["contracts/c.yaml", "contracts/d.yaml"], engine=dbx.engine)
    git_repo.write("contracts/other.yaml", contract("CTR-0009", "Other, edited"))
    unrelated = sync(git_repo.path, paths=["contracts/other.yaml"], engine=dbx.engine)
    assert unrelated.files_parsed == 1 and not unrelated.errors
    assert dbx.in_sync_with(git_repo.path)


def test_watch_lets_the_loser_take_the_id_over_when_the_winner_goes(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    git_repo.write("contracts/payment.yaml", contract("CTR-0001", "Payment"))
    git_repo.commit("init")
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    git_repo.write("contracts/payment-v2.yaml", contract("CTR-0001", "Payment"))
    wait_for(lambda: "contracts/payment-v2.yaml" in file_rows(sqlite_db), what="the loser's row")
    git_repo.remove("contracts/payment.yaml")
    wait_for(lambda: contracts(sqlite_db)["CTR-0001"] == ("contracts/payment-v2.yaml", "Payment", False),
             what="the loser taking CTR-0001 over")
    assert w.wait_idle()
    assert sqlite_db.in_sync_with(git_repo.path)


# ------------------------------------------------------------------------------ 4. editor lock files ignored


def test_an_emacs_lock_link_is_no_spec_file_for_sync_or_check(git_repo: GitRepo, sqlite_db: Db) -> None:
    from tracertm.cli import main

    git_repo.write("features/cart.feature", "@FEAT-1\nFeature: Cart\n  Scenario: add\n    Given a cart\n")
    git_repo.commit("init")
    os.symlink("ada@laptop.4242:1700000000", git_repo.path / "features" / ".#cart.feature")  # dangling
    assert main(["check", str(git_repo.path)]) == 0
    result = sync(git_repo.path, engine=sqlite_db.engine)
    assert not result.errors and result.files_scanned == 1
    assert set(file_rows(sqlite_db)) == {"features/cart.feature"}


def test_a_stored_lock_file_in_error_goes_at_the_next_sync(
    git_repo: GitRepo, sqlite_db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database synced by a version that took the lock link for a spec file lists it in error: the next sync
    drops the row (the scan no longer lists the file), whether or not the link is still there."""
    git_repo.write("features/cart.feature", "@FEAT-1\nFeature: Cart\n  Scenario: add\n    Given a cart\n")
    git_repo.commit("init")
    os.symlink("ada@laptop.4242:1700000000", git_repo.path / "features" / ".#cart.feature")
    with monkeypatch.context() as patched:
        patched.setattr(config_module, "is_temp_name", lambda name: False)
        assert sync(git_repo.path, engine=sqlite_db.engine).errors
    assert file_rows(sqlite_db)["features/.#cart.feature"]
    result = sync(git_repo.path, engine=sqlite_db.engine)
    assert not result.errors
    assert set(file_rows(sqlite_db)) == {"features/cart.feature"}


def test_watch_and_sync_agree_on_an_editor_lock_file(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    git_repo.write("features/cart.feature", "@FEAT-1\nFeature: Cart\n  Scenario: add\n    Given a cart\n")
    git_repo.commit("init")
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    lock = git_repo.path / "features" / ".#cart.feature"
    os.symlink("ada@laptop.4242:1700000000", lock)
    assert not sync(git_repo.path, engine=sqlite_db.engine).errors  # a manual sync while the lock is there
    git_repo.write("features/cart.feature", "@FEAT-1\nFeature: Cart, edited\n  Scenario: add\n    Given a cart\n")
    lock.unlink()
    # Another writer (the manual sync) came between: that save is reconciled (``watcher.runs``); the next one is
    # a sync of its path, the lock file coming and going with it.
    wait_for(lambda: any(r.reconcile and r.counts["updated"] for r in list(w.history)), what="the save")
    assert w.wait_idle()
    os.symlink("ada@laptop.4242:1700000000", lock)
    git_repo.write("features/cart.feature", "@FEAT-1\nFeature: Cart, again\n  Scenario: add\n    Given a cart\n")
    lock.unlink()
    wait_for(lambda: any(r.paths == 1 and r.counts["updated"] for r in list(w.history)), what="the next save")
    assert w.wait_idle()
    assert set(file_rows(sqlite_db)) == {"features/cart.feature"}
    assert sqlite_db.in_sync_with(git_repo.path)


# ------------------------------------------------------------------------------ 5. a second signal, late


def _sigterm_handled_by_python(pid: int) -> bool | None:
    """Whether ``pid`` catches SIGTERM (None: gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def test_a_second_sigterm_while_the_daemon_exits_still_exits_0(git_repo: GitRepo, sqlite_db: Db) -> None:
    """The second signal arrives once the daemon has stopped and ``watch`` has returned (its handlers are gone:
    the interpreter is shutting down). It must not kill the process by the default action (exit 143)."""
    git_repo.write(adr_path(1), adr(1, "Seed"))
    daemon = Daemon(git_repo.path, sqlite_db.url)
    try:
        daemon.wait(lambda e: e.get("event") == "sync", "the start-up reconcile")
        daemon.proc.send_signal(signal.SIGTERM)
        daemon.wait(lambda e: e.get("event") == "stop", "the daemon to stop")
        # Past ``watch``'s return: SIGTERM is no longer caught by its Python handler.
        def handler_gone() -> str | None:
            caught = _sigterm_handled_by_python(daemon.proc.pid)
            return "exited" if caught is None else None if caught else "not caught"

        sent = daemon.wait_for(handler_gone, "the handler to go") == "not caught"
        if sent:
            daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.finish() == 0, daemon.tail()
        assert sent or _sigterm_handled_by_python(daemon.proc.pid) is None
    finally:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.finish()


# ------------------------------------------------------------------------------ 2. a spec link's target


def test_editing_the_target_of_a_spec_link_syncs_the_link(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    git_repo.write("contracts/shared/payment.yaml.in", contract("CTR-0006", "Target v1"))
    os.symlink("shared/payment.yaml.in", git_repo.path / "contracts" / "payment.yaml")
    git_repo.commit("init")
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    assert contracts(sqlite_db) == {"CTR-0006": ("contracts/payment.yaml", "Target v1", False)}

    git_repo.write("contracts/shared/payment.yaml.in", contract("CTR-0006", "Target v2"))
    wait_for(lambda: contracts(sqlite_db)["CTR-0006"][1] == "Target v2", what="the edit of the target")

    # An editor's atomic save of the target (a temporary file renamed over it).
    tmp = git_repo.path / "contracts" / "shared" / "payment.yaml.in.tmp"
    tmp.write_text(contract("CTR-0006", "Target v3"))
    os.replace(tmp, git_repo.path / "contracts" / "shared" / "payment.yaml.in")
    wait_for(lambda: contracts(sqlite_db)["CTR-0006"][1] == "Target v3", what="the atomic save of the target")
    assert w.wait_idle()
    assert sqlite_db.in_sync_with(git_repo.path)


def test_a_link_made_while_watching_is_followed_too(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    git_repo.write("contracts/shared/payment.yaml.in", contract("CTR-0007", "One"))
    git_repo.commit("init")
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    os.symlink("shared/payment.yaml.in", git_repo.path / "contracts" / "payment.yaml")
    wait_for(lambda: "CTR-0007" in contracts(sqlite_db), what="the new link")
    git_repo.write("contracts/shared/payment.yaml.in", contract("CTR-0007", "Two"))
    wait_for(lambda: contracts(sqlite_db)["CTR-0007"][1] == "Two", what="the edit of the target")


def test_links_of_a_repository_are_noted_by_target(git_repo: GitRepo) -> None:
    git_repo.write("contracts/shared/p.yaml.in", contract("CTR-0001", "P"))
    os.symlink("shared/p.yaml.in", git_repo.path / "contracts" / "p.yaml")
    os.symlink("shared/p.yaml.in", git_repo.path / "contracts" / "q.yaml")
    repo = Repository.open(git_repo.path)
    repo.note_links(repo.spec_files(), every=True)
    assert repo.links == {"contracts/shared/p.yaml.in": frozenset({"contracts/p.yaml", "contracts/q.yaml"})}
    target = str(git_repo.path / "contracts" / "shared" / "p.yaml.in")
    assert set(repo.classify("tree", git_repo.path, "modified", False, [target]).paths) == {
        "contracts/p.yaml", "contracts/q.yaml",
    }
    (git_repo.path / "contracts" / "q.yaml").unlink()
    repo.note_links(["contracts/q.yaml"])
    assert repo.links == {"contracts/shared/p.yaml.in": frozenset({"contracts/p.yaml"})}


def test_a_chain_of_links_is_noted_by_every_link_on_the_way(git_repo: GitRepo) -> None:
    """A link to a link reads the file at the chain's end: re-pointing the link on the way changes it too."""
    git_repo.write("shared/p.yaml.in", contract("CTR-0001", "P"))
    os.symlink("p.yaml.in", git_repo.path / "shared" / "alias.in")
    os.makedirs(git_repo.path / "contracts")
    os.symlink("../shared/alias.in", git_repo.path / "contracts" / "p.yaml")
    repo = Repository.open(git_repo.path)
    repo.note_links(repo.spec_files(), every=True)
    assert repo.links == {"shared/alias.in": frozenset({"contracts/p.yaml"}),
                          "shared/p.yaml.in": frozenset({"contracts/p.yaml"})}
    alias = str(git_repo.path / "shared" / "alias.in")
    assert repo.classify("tree", git_repo.path, "created", False, [alias]).paths == ("contracts/p.yaml",)


# ------------------------------------------------------------------------------ 3. a plain folder


def test_a_plain_folder_with_spec_files_is_one_watched_project(
    tmp_path: Path, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    plain = tmp_path / "plain"
    (plain / "docs" / "adr").mkdir(parents=True)
    (plain / adr_path(5, "plain")).write_text(adr(5, "Plain folder ADR"))
    assert split_targets([plain]) == ([plain.resolve()], [])
    w = start(plain, sqlite_db.url)
    stop_all.append(w)
    assert w.repositories == [plain.resolve()]
    assert sqlite_db.live() == {adr_path(5, "plain"): "Plain folder ADR"}
    (plain / adr_path(5, "plain")).write_text(adr(5, "Plain folder ADR, edited"))
    wait_for(lambda: sqlite_db.live() == {adr_path(5, "plain"): "Plain folder ADR, edited"}, what="the edit")
    assert sqlite_db.in_sync_with(plain)


def test_an_empty_folder_is_still_a_workspace(tmp_path: Path) -> None:
    """A folder with no spec file and no repository yet is where repositories will be cloned."""
    (tmp_path / "src" / "notes").mkdir(parents=True)
    (tmp_path / "src" / "notes" / "todo.txt").write_text("x")
    assert split_targets([tmp_path / "src"]) == ([], [(tmp_path / "src").resolve()])


def test_a_committed_lock_link_is_no_spec_file_for_the_hook_or_backfill(git_repo: GitRepo, sqlite_db: Db) -> None:
    """``git add -A`` while Emacs holds a lock commits its dangling link: the hook (``check --staged``) and a
    backfill leave it out as sync and check do (one predicate, ``Settings.kind_of``)."""
    from tracertm.checker import check
    from tracertm.history.backfill import backfill

    git_repo.write("features/cart.feature", "@FEAT-1\nFeature: Cart\n  Scenario: add\n    Given a cart\n")
    os.symlink("ada@laptop.4242:1700000000", git_repo.path / "features" / ".#cart.feature")
    git_repo.git("add", "-A")
    assert check(git_repo.path, staged=True).errors == []
    git_repo.commit("init")
    result = backfill(git_repo.path, engine=sqlite_db.engine)
    assert result.errors == [] and result.head_errors == []
    assert set(file_rows(sqlite_db)) == {"features/cart.feature"}
