"""Scenarios as the feature files of a source (a commit, the index, the work tree) state them: the exact lines a
test runner saw when it ran that source."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tracertm.errors import ParseError

if TYPE_CHECKING:
    from tracertm.config import Settings
    from tracertm.engine.scan import Location
    from tracertm.parsers.records import SpecRecord

__all__ = ["feature_records"]


def feature_records(
    location: Location,
    settings: Settings,
    *,
    ref: str | None = None,
    staged: bool = False,
    keep: Callable[[str], bool] | None = None,
) -> list[tuple[str, SpecRecord]]:
    """(root-relative path, feature record with its scenarios) of every feature file of the source that parses
    (and that ``keep`` accepts); files that do not parse are left out (``check`` and ``sync`` report them)."""
    from tracertm.engine.scan import scan
    from tracertm.parsers import feature as feature_parser

    snapshot = scan(location, settings, ref=ref, staged=staged)
    try:
        paths = sorted(
            p for p, f in snapshot.files.items()
            if f.kind == "feature" and f.error is None and (keep is None or keep(p))
        )
        contents = snapshot.read(paths)
    finally:
        snapshot.close()
    out: list[tuple[str, SpecRecord]] = []
    for path in paths:
        try:
            parsed = feature_parser.parse(path, contents[path], settings.parser)
        except ParseError:
            continue
        out.extend((path, record) for record in parsed.records)
    return out
