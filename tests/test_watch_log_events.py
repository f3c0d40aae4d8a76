"""Every line of the watch log that reports a state carries its ``event`` (README, Watching: the JSON log is followed
by ``event``): a folder that cannot be watched for another reason than an inotify limit said so with none."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

import pytest

from tracertm.watcher.logs import LOGGER
from tracertm.watcher.observe import log_watch_failed


def test_a_folder_that_cannot_be_watched_is_a_watch_failed_event(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        log_watch_failed(Path("/repo/docs/adr"), PermissionError(errno.EACCES, "Permission denied"))
    [record] = caplog.records
    assert record.getMessage() == "/repo/docs/adr: cannot watch (Permission denied); relying on the periodic reconcile"
    fields = getattr(record, "fields")  # noqa: B009 - set through ``extra``
    assert fields == {"event": "watch_failed", "path": "/repo/docs/adr", "error": "Permission denied"}
