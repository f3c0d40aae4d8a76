"""``tracertm check --results FILE``: every scenario whose status is ``approved`` must have passed in the given
reports at the checked commit. No database: scenarios come from the feature files being checked."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tracertm.errors import Diagnostic, ParseError
from tracertm.results.mapping import ScenarioIndex
from tracertm.results.report import FAILING, final_cases
from tracertm.results.scenarios import ScenarioRef, scenario_ref
from tracertm.results.store import ReportSource, parse_reports

if TYPE_CHECKING:
    from tracertm.config import Settings
    from tracertm.engine.scan import Location

__all__ = ["approved_without_pass"]

# What the report parsers suggest for a file they could not read, written for ``results import`` (its ``--format``
# option: ``results.options``, as ``check`` reads reports; "nothing was imported"): ``check --results`` has no such
# option, and imports nothing.
_IMPORT_HINT = re.compile(
    r"; (?:name it: [^;]*\(--format\)|pass --format to pick another format)(?:; nothing was imported from this "
    r"file)?"
)
_IMPORTED = "; nothing was imported from this file"  # (check imports nothing, whatever the report holds)
_CHECK_HINT = ("; check --results reads JUnit XML ('<'), Cucumber JSON ('[') and Cucumber Messages NDJSON ('{'), "
               "told apart by the first character; pass a report in one of them")


def approved_without_pass(
    path: str | os.PathLike[str] | None,
    reports: Sequence[ReportSource],
    *,
    ref: str | None = None,
    staged: bool = False,
    fmt: str = "auto",
    settings: Settings | None = None,
) -> list[Diagnostic]:
    """One error per approved scenario that has no passing result in ``reports``, or any failing one. ``settings``:
    the configuration the check used; by default read as ``check`` reads it (with ``staged``, the configuration the
    commit holds: ``staged_config.staged_settings``)."""
    from tracertm.engine.scan import Location
    from tracertm.results.source import feature_records

    location = Location.find(path)
    if settings is None:
        settings = _settings(location, staged)
    refs: list[ScenarioRef] = [
        scenario_ref((record.number, child.number), record.number, str(record.fields.get("name", "")), p,
                     child.fields, child.line)
        for p, record in feature_records(location, settings, ref=ref, staged=staged)
        for child in record.children
    ]
    index = ScenarioIndex(refs, settings.parser.scenario_id_pattern)
    outcomes: dict[object, set[str]] = {}
    try:
        parsed_reports = parse_reports(reports, fmt)
    except ParseError as exc:
        if fmt != "auto":
            raise
        said = [dataclasses.replace(d, message=_IMPORT_HINT.sub(_CHECK_HINT, d.message).replace(_IMPORTED, ""))
                for d in exc.diagnostics]
        raise dataclasses.replace(exc, message=said[0].message, diagnostics=said) from None
    for case in final_cases(parsed_reports):  # as `results import` stores them: a rerun's last report counts
        match = index.match(case)
        if match.scenario is not None:
            outcomes.setdefault(match.scenario.key, set()).add(case.status)
    names = ", ".join(os.path.basename(r.path) for r in parsed_reports)
    errors: list[Diagnostic] = []
    for s in refs:
        if s.status != "approved":
            continue
        found = outcomes.get(s.key, set())
        if found & FAILING:
            why = f"failed ({', '.join(sorted(found & FAILING))})"
        elif "passed" not in found:
            why = "has no passing result"
        else:
            continue
        errors.append(Diagnostic(s.path or "", s.line or 0, 0, f"approved scenario {s.label} '{s.title}' {why} in "
                                 f"{names}; make it pass, or take it back to review"))
    return errors


def _settings(location: Location, staged: bool) -> Settings:
    """The configuration ``check`` reads: the index's with ``staged`` (in a git repository), else the work tree's
    (``--ref`` too, as ``check --ref`` does)."""
    from tracertm.config import load_settings
    from tracertm.staged_config import staged_settings

    if staged and location.top is not None:
        return staged_settings(location)
    return load_settings(location.root)
