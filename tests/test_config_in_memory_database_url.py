"""``database_url`` naming an in-memory SQLite database in the configuration (``sqlite:///``, ``sqlite://``,
``sqlite:///:memory:``): an invalid configuration like any other bad ``database_url`` — one line naming the file and
line, from ``check`` too (which accepted it), and ``config_error`` from the watch daemon (which logged a failed sync
naming no file)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from specs import adr
from test_watch import stop_all, wait_for  # noqa: F401 - fixture (stop_all) used by name
from tracertm.watcher import Watcher
from tracertm.watcher.logs import LOGGER

IN_MEMORY = ["sqlite:///", "sqlite://", "sqlite:///:memory:", "sqlite:///file::memory:"]


def configured(git_repo: GitRepo, url: str) -> Path:
    git_repo.write(".tracertm.toml", f'database_url = "{url}"\n')
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("config")
    return git_repo.path / ".tracertm.toml"


@pytest.mark.parametrize("url", IN_MEMORY)
@pytest.mark.parametrize("verb", ["check", "sync"])
def test_an_in_memory_database_url_is_a_configuration_error_at_its_line(
    git_repo: GitRepo, url: str, verb: str
) -> None:
    config = configured(git_repo, url)
    result = run_cli(verb, str(git_repo.path))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"tracertm: error: {config}:1: database_url: {url} is an in-memory SQLite database"), \
        lines[0]
    assert "sqlite:///PATH" in lines[0]


def test_a_file_database_url_is_still_accepted(git_repo: GitRepo) -> None:
    configured(git_repo, "sqlite:///specs.db")
    assert run_cli("check", str(git_repo.path)).returncode == 0


def test_watch_logs_it_as_a_configuration_error(
    git_repo: GitRepo, stop_all: list[Watcher], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    config = configured(git_repo, "sqlite:///")
    w = Watcher([git_repo.path], debounce_ms=50).start()
    stop_all.append(w)

    def events(name: str) -> list[logging.LogRecord]:
        return [r for r in caplog.records if getattr(r, "fields", {}).get("event") == name]

    [record] = wait_for(lambda: events("config_error"), what="the configuration error")
    assert f"{config}:1: database_url: sqlite:/// is an in-memory SQLite database" in record.getMessage()
    assert w.wait_idle(20)
    assert events("sync_failed") == [] and w.stats.syncs == 0
