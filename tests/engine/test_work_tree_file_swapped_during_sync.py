"""A work-tree spec file replaced between the scan and the read: by a FIFO (a plain ``open`` would wait for a writer
forever — the sync, or the hook, hung), or grown past ``max_file_size`` (read whole into memory before the parser
refused it). The read now goes through one non-blocking descriptor asked what it is (``engine.regular_file``): the
FIFO is "changed while this sync read the work tree", nothing written; the grown file is that file's error, its
records kept. Real git repository, real SQLite file, real FIFO."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from conftest import GitRepo
from specs import feature
from tracertm import db
from tracertm.engine import sync as sync_module
from tracertm.engine.regular_file import TooLarge, read_regular
from tracertm.errors import ConflictError


@pytest.fixture
def after_scan(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Callable[[], None]]]:
    """Actions run right after a sync's scan, before it reads the files (another process acting meanwhile)."""
    actions: list[Callable[[], None]] = []
    real = sync_module.scan

    def scan(*args: Any, **kwargs: Any) -> Any:
        snapshot = real(*args, **kwargs)
        while actions:
            actions.pop(0)()
        return snapshot

    monkeypatch.setattr(sync_module, "scan", scan)
    yield actions


def _scenarios(url: str) -> list[tuple[str, bool]]:
    engine = create_engine(db.parse_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT title, deleted_at IS NOT NULL FROM scenarios"))
            return sorted((r[0], bool(r[1])) for r in rows)
    finally:
        engine.dispose()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_fifo_swapped_in_after_the_scan_is_a_changed_work_tree_not_a_hang(
    git_repo: GitRepo, database_url: str, after_scan: list[Callable[[], None]], jobs: int
) -> None:
    git_repo.write("features/a.feature", feature(1, "A"))
    git_repo.commit("seed")
    path = git_repo.path / "features/a.feature"

    def swap() -> None:
        path.unlink()
        os.mkfifo(path)

    after_scan.append(swap)
    with pytest.raises(ConflictError) as raised:
        sync_module.sync(git_repo.path, database_url=database_url, jobs=jobs)
    assert str(raised.value) == ("features/a.feature: changed while this sync read the work tree (no longer a "
                                 "regular file); nothing was written — run the sync again")
    assert _scenarios(database_url) == []


@pytest.mark.timeout(60)
def test_a_file_grown_past_the_limit_after_the_scan_is_its_error_and_its_records_stay(
    git_repo: GitRepo, database_url: str, after_scan: list[Callable[[], None]]
) -> None:
    git_repo.write(".tracertm.toml", "max_file_size = 4000\n")
    git_repo.write("features/a.feature", feature(1, "A"))
    git_repo.commit("seed")
    assert sync_module.sync(git_repo.path, database_url=database_url).errors == []
    before = _scenarios(database_url)
    assert before and not any(deleted for _, deleted in before)
    path = git_repo.path / "features/a.feature"
    path.write_text(feature(1, "A", {"edited": ["Given a change"]}))  # a change the next sync must read

    def grow() -> None:
        with path.open("a") as f:
            f.write("# padding\n" * 1000)

    after_scan.append(grow)
    result = sync_module.sync(git_repo.path, database_url=database_url)
    size = path.stat().st_size
    assert [str(e) for e in result.errors] == [
        f"features/a.feature:0:0: error: file is {size} bytes, over the 4000-byte limit; raise max_file_size in "
        ".tracertm.toml (or [tool.tracertm] in pyproject.toml) if it is really a spec"]
    assert _scenarios(database_url) == before


def test_read_regular_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError) as raised:
        read_regular(fifo)  # returns at once: no writer is waited for
    assert raised.value.errno == errno.EINVAL and raised.value.filename == str(fifo)
    with pytest.raises(OSError):
        read_regular("/dev/zero", 10)  # a device is not read without end
    big = tmp_path / "big"
    big.write_bytes(b"x" * 11)
    with pytest.raises(TooLarge) as too:
        read_regular(big, 10)
    assert too.value.size == 11
    assert read_regular(big, 11) == b"x" * 11
    link = tmp_path / "link"
    link.symlink_to(big)
    assert read_regular(link) == b"x" * 11
