"""``tracertm watch`` follows what git ignores: a change to a ``.gitignore`` (at the root, in a spec folder, above a
monorepo project's folder) or to ``.git/info/exclude`` is synced at once — the database ends as ``tracertm sync``
leaves it — not at the next periodic reconcile (600 s by default, far beyond every wait here).

Real git repositories, real watchdog observers and file-system events, a real SQLite database; every wait polls
for an observable condition with a generous upper bound (see ``test_watch``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from conftest import GitRepo
from test_watch import WAIT_S, Daemon, Db, adr, adr_path, sqlite_db, start, stop_all, wait_for
from tracertm import db
from tracertm.models import Feature
from tracertm.watcher import Watcher

__all__ = ["sqlite_db", "stop_all"]  # fixtures, used by name


def _settled(w: Watcher, db: Db, root: Path) -> None:
    """The daemon is idle and its database is what a manual sync of ``root`` leaves (a dry run changes nothing)."""
    assert w.wait_idle(WAIT_S)
    assert db.in_sync_with(root)
    assert w.stats.failures == 0


def test_a_root_gitignore_ignoring_and_unignoring_a_file_syncs(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    git_repo.write(adr_path(1), adr(1, "One"))
    git_repo.commit("one")
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    git_repo.write(adr_path(2), adr(2, "Scratch"))  # untracked: synced by the watch
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One", adr_path(2): "Scratch"}, what="the scratch ADR")

    git_repo.write(".gitignore", adr_path(2) + "\n")
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One"}, what="the ignored ADR to be deleted")
    _settled(w, sqlite_db, git_repo.path)

    git_repo.remove(".gitignore")  # un-ignored: the file is read again
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One", adr_path(2): "Scratch"}, what="the ADR restored")
    _settled(w, sqlite_db, git_repo.path)


def test_a_gitignore_inside_a_spec_folder_syncs(git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]) -> None:
    git_repo.write(adr_path(1), adr(1, "One"))
    git_repo.write(adr_path(2), adr(2, "Two"))
    git_repo.git("add", adr_path(1))
    git_repo.git("commit", "-q", "-m", "one")  # ADR 2 stays untracked
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    assert sqlite_db.live() == {adr_path(1): "One", adr_path(2): "Two"}

    # Written as an editor saves: a temporary file renamed over the name.
    tmp = git_repo.write("docs/adr/.gitignore.tmp", "0002-*.md\n")
    tmp.rename(git_repo.path / "docs" / "adr" / ".gitignore")
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One"}, what="the ADR ignored from its own folder")
    _settled(w, sqlite_db, git_repo.path)

    git_repo.write("docs/adr/.gitignore", "# nothing ignored\n")
    wait_for(lambda: len(sqlite_db.live()) == 2, what="the ADR read again")
    _settled(w, sqlite_db, git_repo.path)


def test_info_exclude_syncs_even_when_its_folder_appears_later(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    git_repo.write(adr_path(1), adr(1, "One"))
    git_repo.commit("one")
    shutil.rmtree(git_repo.path / ".git" / "info")  # as after 'git init --template=': no info/ to watch at start
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    git_repo.write(adr_path(2), adr(2, "Local"))
    wait_for(lambda: len(sqlite_db.live()) == 2, what="the local ADR")

    git_repo.write(".git/info/exclude", "docs/adr/0002-*\n")  # info/ and the file at once
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One"}, what="the excluded ADR to be deleted")
    _settled(w, sqlite_db, git_repo.path)

    git_repo.write(".git/info/exclude", "")  # info/ is watched now: an edit of the file
    wait_for(lambda: len(sqlite_db.live()) == 2, what="the ADR no longer excluded")
    _settled(w, sqlite_db, git_repo.path)


def test_gitignores_above_a_monorepo_project_sync(git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]) -> None:
    """The spec root is ``services/pay``: the repository's top ``.gitignore`` and the one in ``services/`` apply to
    its files as well, though neither folder is inside the root."""
    root = git_repo.path / "services" / "pay"
    git_repo.write(f"services/pay/{adr_path(1)}", adr(1, "One"))
    git_repo.write("src/app.py", "print('x')\n")
    git_repo.commit("one")
    w = start(root, sqlite_db.url)
    stop_all.append(w)
    git_repo.write(f"services/pay/{adr_path(2)}", adr(2, "Two"))
    wait_for(lambda: len(sqlite_db.live()) == 2, what="the second ADR")

    git_repo.write(".gitignore", f"services/pay/{adr_path(2)}\n")
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One"}, what="ignored from the top")
    _settled(w, sqlite_db, root)
    git_repo.remove(".gitignore")
    wait_for(lambda: len(sqlite_db.live()) == 2, what="un-ignored at the top")
    _settled(w, sqlite_db, root)

    git_repo.write("services/.gitignore", "0002-*.md\n")
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One"}, what="ignored from services/")
    _settled(w, sqlite_db, root)

    reconciles = w.stats.reconciles
    git_repo.write("src/app.py", "print('y')\n")  # the top's other files still mean nothing
    git_repo.write("README.md", "# hello\n")
    git_repo.write(f"services/pay/{adr_path(3)}", adr(3, "Three"))  # (a change that syncs: a fence for the above)
    wait_for(lambda: adr_path(3) in sqlite_db.live(), what="the third ADR")
    assert w.wait_idle(WAIT_S)
    assert w.stats.reconciles == reconciles


def test_a_plain_folder_that_becomes_a_git_work_tree_follows_what_git_ignores(
    tmp_path: Path, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    """A watched plain folder where ``git init`` runs: its ``.gitignore`` was never applied (the daemon kept it a
    plain folder, whose ``.git`` events it skips, until the periodic reconcile); once its ``.git`` is deleted again,
    the ignored file is read again."""
    folder = tmp_path / "plain"
    for n, title in ((1, "One"), (2, "Local")):
        (folder / adr_path(n)).parent.mkdir(parents=True, exist_ok=True)
        (folder / adr_path(n)).write_text(adr(n, title), encoding="utf-8")
    w = start(folder, sqlite_db.url)
    stop_all.append(w)
    assert sqlite_db.live() == {adr_path(1): "One", adr_path(2): "Local"}

    repo = GitRepo(folder)
    repo.git("init", "-q", "-b", "main")
    repo.git("add", adr_path(1))
    repo.git("-c", "commit.gpgsign=false", "commit", "-q", "-m", "one")
    repo.write(".gitignore", adr_path(2) + "\n")
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One"}, what="the ignored ADR to be deleted")
    _settled(w, sqlite_db, folder)

    shutil.rmtree(folder / ".git")  # a plain folder again: nothing is ignored
    wait_for(lambda: sqlite_db.live() == {adr_path(1): "One", adr_path(2): "Local"}, what="the ADR read again")
    _settled(w, sqlite_db, folder)


def test_the_watch_command_follows_a_gitignore(git_repo: GitRepo, sqlite_db: Db) -> None:
    """The audit's case through ``tracertm watch`` itself: a feature written while watched, then ignored; then
    ``tracertm list features`` no longer shows it and ``sync --dry-run`` has nothing to do."""
    git_repo.write("features/one.feature", "@FEAT-1\nFeature: One\n  Scenario: s\n    Given x\n")
    git_repo.commit("init")
    daemon = Daemon(git_repo.path, sqlite_db.url)

    def features() -> str:
        listed = subprocess.run(
            [sys.executable, "-m", "tracertm", "list", "features", "--database-url", sqlite_db.url,
             "--project", git_repo.path.name],
            capture_output=True, text=True, timeout=120, check=False,
        )
        return listed.stdout if listed.returncode == 0 else ""

    # The waits read the database in this process (a CLI run per poll cost a Python start-up each); the CLI's
    # listing is asserted once the database shows each state.
    engine = db.make_engine(sqlite_db.url)

    def stored() -> set[str]:
        with db.session(engine) as session:
            return set(session.scalars(select(Feature.feature_number)))

    try:
        daemon.wait(lambda e: e.get("event") == "sync", "the start-up reconcile")
        git_repo.write("features/scratch.feature", "@FEAT-2\nFeature: Scratch\n  Scenario: s\n    Given x\n")
        daemon.wait_for(lambda: "FEAT-2" in stored(), "FEAT-2 synced")
        assert "FEAT-2" in features()
        git_repo.write(".gitignore", "features/scratch.feature\n")
        daemon.wait_for(lambda: stored() == {"FEAT-1"}, "FEAT-2 gone")
        listed = features()
        assert "FEAT-2" not in listed and "FEAT-1" in listed, listed
        daemon.wait_for(lambda: sqlite_db.in_sync_with(git_repo.path), "the database as a manual sync leaves it")
    finally:
        engine.dispose()
        daemon.proc.terminate()
        assert daemon.finish() == 0, daemon.tail()
