"""The watch daemon's log stream stays one record per line in JSON mode, Python warnings included."""

from __future__ import annotations

import io
import json
import logging
import warnings

from tracertm.watcher import logs


def test_warnings_are_log_records_and_watchdogs_callback_note_is_dropped() -> None:
    stream = io.StringIO()
    with warnings.catch_warnings():  # the filters configure adds go with the block
        warnings.simplefilter("always")
        # An earlier test in this process may have left warnings captured (a daemon it ran called configure):
        # captured again here, under this block's warnings machinery.
        logging.captureWarnings(False)
        handler = logs.configure("json", stream=stream)
        try:
            warnings.warn("a library noticed\nsomething odd", RuntimeWarning, stacklevel=1)
            warnings.warn("Callback with id 140 already exists for watch <InotifyWatch ...>. It will be Overwritten.",
                          RuntimeWarning, stacklevel=1)
        finally:
            logging.getLogger().removeHandler(handler)
            logging.captureWarnings(False)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines
    record = json.loads(lines[0])
    assert record["level"] == "warning" and "something odd" in record["message"]
