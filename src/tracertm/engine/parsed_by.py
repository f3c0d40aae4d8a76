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
# The version of the parsers from which an untagged scenario's id is its name with whitespace runs made one space.
IDS_COLLAPSED_SINCE = 10

__all__ = [
    "IDS_COLLAPSED_SINCE", "PARSER_OUTPUT", "PARSER_OUTPUT_KEY", "ids_by_name_as_written", "mark_parsed",
    "parsed_by_older",
]


def parsed_by_older(project: Any, db_files: Mapping[str, Any]) -> bool:
    """Whether ``project``'s records were made by another version of the parsers than this one. A project with no
    file known (none yet, or a first sync) has nothing parsed to redo."""
    if project is None or not db_files:
        return False
    return (project.metadata_ or {}).get(PARSER_OUTPUT_KEY) != PARSER_OUTPUT


def ids_by_name_as_written(project: Any) -> bool:
    """Whether ``project``'s records were made by parsers that numbered an untagged scenario by its name as written
    (before ``PARSER_OUTPUT`` 10, ``parsers.scenario_ids``), or by parsers that kept no version."""
    marker = (project.metadata_ or {}).get(PARSER_OUTPUT_KEY) if project is not None else None
    return project is not None and (not isinstance(marker, int) or marker < IDS_COLLAPSED_SINCE)


def mark_parsed(project: Any) -> None:
    """Record that every record of ``project`` was made by this version of the parsers (after a sync that parsed
    every file, or any sync of a project that was already so)."""
    if (project.metadata_ or {}).get(PARSER_OUTPUT_KEY) != PARSER_OUTPUT:
        project.metadata_ = {**(project.metadata_ or {}), PARSER_OUTPUT_KEY: PARSER_OUTPUT}
