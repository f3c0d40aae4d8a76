"""Log output of the daemon: one line per event worth telling, as text for people or JSON lines for machines.

The daemon logs through ``logging`` (logger ``tracertm.watch``) with structured fields in ``extra={"fields": ...}``;
``configure`` installs the formatter on the root logger so watchdog's own warnings come out in the same format.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import warnings
from typing import Any, TextIO

LOGGER = "tracertm.watch"
FORMATS = ("text", "json")


def _timestamp(record: logging.LogRecord) -> str:
    when = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname.lower()} {record.getMessage()}"
        if record.exc_info and record.levelno >= logging.ERROR:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info and record.levelno >= logging.ERROR:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, sort_keys=False)


def configure(log_format: str = "text", *, verbose: bool = False, stream: TextIO | None = None) -> logging.Handler:
    """Send log records to ``stream`` (stderr) in ``log_format``; tracertm at INFO (DEBUG when verbose), other
    libraries at WARNING. Returns the handler (to remove it again)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    logging.getLogger("tracertm").setLevel(logging.DEBUG if verbose else logging.INFO)
    # Python warnings (a library's RuntimeWarning) go through the same handler, one record each: printed raw they
    # broke the one-JSON-object-per-line stream. watchdog's inotify emitter warns each time it re-adds the watch of
    # a folder created and replaced quickly ("Callback with id ... already exists"): harmless, and it can come by
    # the dozen, so it is not logged.
    logging.captureWarnings(True)
    warnings.filterwarnings("ignore", message="Callback with id .* already exists", category=RuntimeWarning)
    return handler


__all__ = ["FORMATS", "LOGGER", "JsonFormatter", "TextFormatter", "configure"]
