"""Reading report files: size limit, format detection and dispatch to the parser of each format."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from tracertm.errors import UsageError
from tracertm.results.options import option
from tracertm.results.report import DEFAULT_MAX_REPORT_SIZE, Report, report_error

__all__ = ["FORMATS", "detect", "parse_report", "read_report", "read_source"]

FORMATS: tuple[str, ...] = ("junit", "cucumber-json", "cucumber-messages")


def detect(path: str, data: bytes) -> str:
    """The format of a report from its first significant byte: ``<`` XML (JUnit), ``[`` Cucumber JSON, ``{`` a
    Cucumber Messages stream (one envelope object per line)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its byte-order mark: XML's parser reads it
        head = data[2:4096].decode("utf-16-le" if data[0] == 0xFF else "utf-16-be", "ignore").lstrip().encode()
    if head.startswith(b"<"):
        return "junit"
    if head.startswith(b"["):
        return "cucumber-json"
    if head.startswith(b"{"):
        return "cucumber-messages"
    if not head and not data.lstrip(b"\xef\xbb\xbf \t\r\n"):
        # Naming a format would not help: an empty file is no report of any format (a test job that died first).
        raise report_error(path, 1, "empty file: no test report in it; nothing was imported from this file")
    raise report_error(path, 1, "unknown report format (expected JUnit XML, Cucumber JSON or Cucumber Messages "
                                f"NDJSON); name it: junit, cucumber-json or cucumber-messages ({option('--format')})")


def parse_report(path: str, data: bytes, fmt: str = "auto") -> Report:
    """Parse the bytes of one report (``fmt`` ``auto`` detects it). Raises ``ParseError`` naming file and line."""
    if fmt == "auto":
        fmt = detect(path, data)
    if fmt == "junit":
        from tracertm.results import junit

        return junit.parse(path, data)
    if fmt == "cucumber-json":
        from tracertm.results import cucumber_json

        return cucumber_json.parse(path, data)
    if fmt == "cucumber-messages":
        from tracertm.results import messages

        return messages.parse(path, data)
    raise UsageError(f"--format {fmt}: unknown format; use auto, {', '.join(FORMATS)}")


def read_report(
    source: str | os.PathLike[str] | tuple[str, bytes], fmt: str = "auto", max_size: int = DEFAULT_MAX_REPORT_SIZE
) -> Report:
    """Read and parse one report: a path, or ``(name, bytes)`` (an upload). Files over ``max_size`` bytes are
    rejected from their size, before a byte is read."""
    return parse_report(*read_source(source, max_size), fmt)


def read_source(
    source: str | os.PathLike[str] | tuple[str, bytes], max_size: int = DEFAULT_MAX_REPORT_SIZE
) -> tuple[str, bytes]:
    """(name, bytes) of one report, a path or an upload, within the size limit (see ``read_report``)."""
    if isinstance(source, tuple):
        name, data = source
        if len(data) > max_size:
            raise _too_big(name, len(data), max_size)
        return name, data
    path = Path(source)
    name = str(source)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise UsageError(f"{name}: not a file; pass the path of a test report")
        if size > max_size:
            raise _too_big(name, size, max_size)
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file; pass the path of a test report") from None
    except OSError as exc:
        raise UsageError(f"{name}: cannot read ({exc.strerror}); {_unreadable_hint(exc)}") from None
    if len(data) > max_size:  # grew while we looked
        raise _too_big(name, len(data), max_size)
    return name, data


def _unreadable_hint(exc: OSError) -> str:
    """What to do about a report path the system would not read."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "give this user read access to it"
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop; fix or remove the link"
    return "check the path and pass the path of a test report"


def _too_big(name: str, size: int, limit: int) -> Exception:
    return report_error(name, 0, f"report is {size:,} bytes, over the {limit:,}-byte limit for one report; split it "
                                 f"(one file per suite) or raise the limit with {option('--max-size')} BYTES")
