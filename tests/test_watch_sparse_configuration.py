"""``tracertm watch`` in a sparse checkout that keeps the configuration off disk (``.tracertm.toml`` is read from
git's index, as ``sync`` reads it): a checkout whose configuration names other globs rewrites the index only, with no
event of the configuration file. The reconcile that checkout triggers must read the configuration again and watch
what its globs name: an edit under the new globs is synced. Real daemons, git repositories, file-system events and
SQLite files; every wait polls an observable condition."""

from __future__ import annotations

from conftest import GitRepo
from test_watch import (  # noqa: F401 - fixtures (sqlite_db, stop_all) are used by name
    Db, sqlite_db, start, stop_all, wait_for,
)
from tracertm.watcher import Watcher


def feature(tag: str, name: str) -> str:
    return f"@{tag}\nFeature: {name}\n\n  Scenario: S\n    Given x\n"


def features(handle: Db) -> dict[str, str]:
    """Feature source_path → name, live ones."""
    from sqlalchemy import select

    from tracertm import db
    from tracertm.models import Feature

    with db.session(handle.engine) as s:
        return {f.source_path or "": f.name for f in s.execute(select(Feature)).scalars()}


def test_a_checkout_that_changes_an_off_disk_configuration_reconfigures(
    git_repo: GitRepo, sqlite_db: Db, stop_all: list[Watcher]
) -> None:
    git_repo.write(".tracertm.toml", 'feature_paths = ["specs/**/*.feature"]\n')
    git_repo.write("specs/a.feature", feature("FEAT-1", "A"))
    git_repo.write("specs2/b.feature", feature("FEAT-2", "B"))
    git_repo.commit("init")
    git_repo.git("checkout", "-q", "-b", "other")
    git_repo.write(".tracertm.toml", 'feature_paths = ["specs2/**/*.feature"]\n')
    git_repo.commit("globs")
    git_repo.git("checkout", "-q", "main")
    git_repo.git("sparse-checkout", "set", "--no-cone", "/specs/", "/specs2/")  # root files stay off disk
    assert not (git_repo.path / ".tracertm.toml").exists()
    w = start(git_repo.path, sqlite_db.url)
    stop_all.append(w)
    assert features(sqlite_db) == {"specs/a.feature": "A"}

    git_repo.git("checkout", "-q", "other")  # the configuration now: specs2/**
    wait_for(lambda: features(sqlite_db) == {"specs2/b.feature": "B"}, what="the checkout's reconcile")
    assert w.wait_idle(20)
    git_repo.write("specs2/b.feature", feature("FEAT-2", "B edited"))
    wait_for(lambda: features(sqlite_db) == {"specs2/b.feature": "B edited"}, what="an edit under the new globs")
    assert w.wait_idle(20)
    assert sqlite_db.in_sync_with(git_repo.path)
