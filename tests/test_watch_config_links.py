"""``tracertm watch`` follows a configuration file that is a symbolic link to a file inside the repository (which
stands for that file, see ``test_config_symlinks_and_gitlinks``): an edit of the link's target alone reconfigures
the repository as an edit of the file itself does — the database ends as ``tracertm sync`` leaves it — and once
the link points elsewhere, its old target no longer matters.

Real git repositories, real watchdog observers and file-system events, a real SQLite database; every wait polls
for an observable condition with a generous upper bound (see ``test_watch``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import GitRepo
from test_watch import WAIT_S, Db, adr, sqlite_db, start, stop_all, wait_for
from tracertm.watcher import Watcher

__all__ = ["sqlite_db", "stop_all"]  # fixtures, used by name

# Step definitions only under steps/: with the default globs (``**/conftest.py``) every top-level folder is a spec
# folder, watched recursively anyway; with these, config/ and settings/ are watched for the configuration only.
NARROW = 'step_paths = ["steps/*.py"]\n'


def _config(name: str, folder: str) -> str:
    """The body of configuration file ``name`` that makes ``folder`` the ADR folder."""
    if name == ".adr-dir":
        return f"{folder}\n"  # (added to the default ADR globs: the step globs stay the default, wide ones)
    table = f'adr_paths = ["{folder}/*.md"]\n{NARROW}'
    return table if name == ".tracertm.toml" else f"[tool.tracertm]\n{table}"


def _adr_in(folder: str) -> str:
    return f"{folder}/0001-{folder}.md"


def _seed(repo: GitRepo) -> None:
    """The same ADR, titled after its folder, in three folders."""
    for folder in ("decisions", "architecture", "records"):
        repo.write(_adr_in(folder), adr(1, folder.title()))


def _link(repo: GitRepo, name: str, target: str) -> None:
    """Point ``name`` at ``target`` (root-relative), as ``ln -sfn`` does: a new link renamed over the old one."""
    tmp = repo.path / f"{name}.new-link"
    os.symlink(os.path.relpath(repo.path / target, (repo.path / name).parent), tmp)
    os.replace(tmp, repo.path / name)


def _settled(w: Watcher, db: Db, root: Path) -> None:
    """The daemon is idle and its database is what a manual sync of ``root`` leaves (a dry run changes nothing)."""
    assert w.wait_idle(WAIT_S)
    assert db.in_sync_with(root)


@pytest.mark.parametrize("name", [".tracertm.toml", "pyproject.toml", ".adr-dir"])
def test_an_edit_of_a_linked_configurations_target_reconfigures(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher], name: str
) -> None:
    _seed(git_repo)
    git_repo.write("config/tracertm.toml", _config(name, "decisions"))
    _link(git_repo, name, "config/tracertm.toml")
    git_repo.commit("seed")
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    assert sqlite_db.live() == {_adr_in("decisions"): "Decisions"}

    git_repo.write("config/tracertm.toml", _config(name, "architecture"))  # the target alone
    wait_for(lambda: sqlite_db.live() == {_adr_in("architecture"): "Architecture"}, what="the target's folder")
    _settled(w, sqlite_db, git_repo.path)

    # Saved as an editor saves: a temporary file renamed over the target.
    tmp = git_repo.write("config/tracertm.toml.tmp", _config(name, "records"))
    tmp.rename(git_repo.path / "config" / "tracertm.toml")
    wait_for(lambda: sqlite_db.live() == {_adr_in("records"): "Records"}, what="the target replaced")
    _settled(w, sqlite_db, git_repo.path)

    git_repo.write(_adr_in("records"), adr(1, "Records, edited"))  # records/ is watched now
    wait_for(lambda: sqlite_db.live() == {_adr_in("records"): "Records, edited"}, what="an edit in the new folder")
    _settled(w, sqlite_db, git_repo.path)
    assert w.stats.failures == 0


def test_a_repointed_configuration_link_follows_its_new_target_only(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    _seed(git_repo)
    git_repo.write("config/tracertm.toml", _config(".tracertm.toml", "decisions"))
    git_repo.write("settings/deep/tracertm.toml", _config(".tracertm.toml", "architecture"))
    _link(git_repo, ".tracertm.toml", "config/tracertm.toml")
    git_repo.commit("seed")
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    assert sqlite_db.live() == {_adr_in("decisions"): "Decisions"}

    _link(git_repo, ".tracertm.toml", "settings/deep/tracertm.toml")  # the link itself: its new target read
    wait_for(lambda: sqlite_db.live() == {_adr_in("architecture"): "Architecture"}, what="the new target")
    _settled(w, sqlite_db, git_repo.path)

    git_repo.write("settings/deep/tracertm.toml", _config(".tracertm.toml", "records"))  # the new target's edit
    wait_for(lambda: sqlite_db.live() == {_adr_in("records"): "Records"}, what="the new target edited")
    _settled(w, sqlite_db, git_repo.path)

    reconciles = w.stats.reconciles
    git_repo.write("config/tracertm.toml", _config(".tracertm.toml", "decisions"))  # the old target: nothing
    git_repo.write(_adr_in("records"), adr(1, "Records, edited"))  # (a change that syncs: a fence for the above)
    wait_for(lambda: sqlite_db.live() == {_adr_in("records"): "Records, edited"}, what="the fence")
    assert w.wait_idle(WAIT_S)
    assert w.stats.reconciles == reconciles
    assert sqlite_db.in_sync_with(git_repo.path)
    assert w.stats.failures == 0


def test_a_configuration_link_to_nothing_yet_is_read_once_its_target_appears(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    """The link's target and its folders come later (as a checkout of a branch that has them writes them): the
    daemon watches the deepest folder on the target's way that exists, and reads the configuration once it is
    there."""
    _seed(git_repo)
    _link(git_repo, ".tracertm.toml", "config/sub/tracertm.toml")
    git_repo.commit("seed")
    w = Watcher([git_repo.path], database_url=sqlite_db.url, debounce_ms=100).start()
    stop_all.append(w)
    wait_for(lambda: w.stats.failures >= 1, what="the first sync to fail on the configuration")
    assert sqlite_db.live() == {}

    git_repo.write("config/sub/tracertm.toml", _config(".tracertm.toml", "architecture"))
    wait_for(lambda: sqlite_db.live() == {_adr_in("architecture"): "Architecture"}, what="the target appearing")
    _settled(w, sqlite_db, git_repo.path)

    git_repo.write("config/sub/tracertm.toml", _config(".tracertm.toml", "records"))
    wait_for(lambda: sqlite_db.live() == {_adr_in("records"): "Records"}, what="the target edited")
    _settled(w, sqlite_db, git_repo.path)
