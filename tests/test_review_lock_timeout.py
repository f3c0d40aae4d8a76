"""``tracertm review`` waits for the project's write lock at most the configured ``lock_timeout``, as ``sync`` and
``results import`` do (it waited the default 60 s whatever the configuration said, and then advised raising the
setting it had not read). SQLite and PostgreSQL: another writer holds the lock for the whole command."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
import pytest

from conftest import GitRepo
from specs import adr, feature
from tracertm import db
from tracertm.cli import main
from tracertm.config import DEFAULT_LOCK_TIMEOUT_S


@contextmanager
def _held(url: str, project: str) -> Iterator[None]:
    """Another writer holding the write lock: ``BEGIN IMMEDIATE`` on the SQLite file, the project's lock on
    PostgreSQL; released when the block ends, whatever happens in it."""
    if url.startswith("sqlite"):
        raw = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            raw.execute("BEGIN IMMEDIATE")
            yield
        finally:
            raw.close()  # rolls back
        return
    engine = db.make_engine(url)
    try:
        with db.write_session(engine, project):
            yield
    finally:
        engine.dispose()


def test_review_waits_the_configured_lock_timeout(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("docs/adr/0001-use-x.md", adr(1, "Use X"))
    git_repo.write("features/cart.feature", "@ADR-0001\n" + feature(1, "Cart"))
    git_repo.write(".tracertm.toml", "lock_timeout = 0.5\n")
    git_repo.commit("init")
    common = ["--database-url", database_url, "--path", str(git_repo.path)]
    assert main(["sync", str(git_repo.path), "--database-url", database_url, "--project", "p"]) == 0
    capsys.readouterr()
    with _held(database_url, "p"):
        start = time.monotonic()
        code = main(["review", "--all", "--project", "p", *common])
        elapsed = time.monotonic() - start
    _out, err = capsys.readouterr()
    assert code == 2, err
    assert "waited 0.5 s for the write lock" in err, err
    assert elapsed < DEFAULT_LOCK_TIMEOUT_S / 2, elapsed  # not the default 60 s
    # Once the lock is free the same command succeeds.
    assert main(["review", "--all", "--project", "p", *common]) == 0


def test_backfill_waits_the_configured_lock_timeout(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same omission in ``backfill``'s batches (its final ``sync --ref`` read the setting already)."""
    git_repo.write("docs/adr/0001-use-x.md", adr(1, "Use X"))
    git_repo.write(".tracertm.toml", "lock_timeout = 0.5\n")
    git_repo.commit("init")
    assert main(["sync", str(git_repo.path), "--database-url", database_url, "--project", "p"]) == 0
    git_repo.write("docs/adr/0001-use-x.md", adr(1, "Use X, again"))
    git_repo.commit("again")
    capsys.readouterr()
    with _held(database_url, "p"):
        start = time.monotonic()
        code = main(["backfill", str(git_repo.path), "--project", "p", "--quiet", "--database-url", database_url])
        elapsed = time.monotonic() - start
    _out, err = capsys.readouterr()
    assert code == 2, err
    assert "waited 0.5 s for the write lock" in err, err
    assert elapsed < DEFAULT_LOCK_TIMEOUT_S / 2, elapsed
