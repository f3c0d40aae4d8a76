"""Which version of the parsers made a project's records (``parsers.common.PARSER_OUTPUT``), kept in its metadata.

The blob gate trusts a file whose bytes did not change: what it parsed to then is what it parses to now. That holds
until tracertm's parsers change what they make of the same bytes; then the records of every unchanged file are what
the older parsers made, and would stay so until their files change. A sync of a project whose records another
version of the parsers made parses every file again, once, as ``--full`` does (``engine.sync``; the no-op fast path,
``tracertm.fastpath``, mirrors both facts and gives way). A project that never recorded one was synced by a
tracertm from before the version was kept: older parsers, as far as anyone knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracertm.parsers.common import PARSER_OUTPUT

PARSER_OUTPUT_KEY = "parser_output"

__all__ = ["PARSER_OUTPUT", "PARSER_OUTPUT_KEY", "mark_parsed", "parsed_by_older"]


def parsed_by_older(project: Any, db_files: Mapping[str, Any]) -> bool:
    """Whether ``project``'s records were made by another version of the parsers than this one. A project with no
    file known (none yet, or a first sync) has nothing parsed to redo."""
    if project is None or not db_files:
        return False
    return (project.metadata_ or {}).get(PARSER_OUTPUT_KEY) != PARSER_OUTPUT


def mark_parsed(project: Any) -> None:
    """Record that every record of ``project`` was made by this version of the parsers (after a sync that parsed
    every file, or any sync of a project that was already so)."""
    if (project.metadata_ or {}).get(PARSER_OUTPUT_KEY) != PARSER_OUTPUT:
        project.metadata_ = {**(project.metadata_ or {}), PARSER_OUTPUT_KEY: PARSER_OUTPUT}
