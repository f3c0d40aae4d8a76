"""``tracertm check --results FILE``: every scenario whose status is ``approved`` must have passed in the given
reports at the checked commit. No database: scenarios come from the feature files being checked."""

from __future__ import annotations

import os
from collections.abc import Sequence

from tracertm.errors import Diagnostic
from tracertm.results.mapping import ScenarioIndex
from tracertm.results.report import FAILING, final_cases
from tracertm.results.scenarios import ScenarioRef, scenario_ref
from tracertm.results.store import ReportSource, parse_reports

__all__ = ["approved_without_pass"]


def approved_without_pass(
    path: str | os.PathLike[str] | None,
    reports: Sequence[ReportSource],
    *,
    ref: str | None = None,
    staged: bool = False,
    fmt: str = "auto",
) -> list[Diagnostic]:
    """One error per approved scenario that has no passing result in ``reports``, or any failing one."""
    from tracertm.config import load_settings
    from tracertm.engine.scan import Location
    from tracertm.results.source import feature_records

    location = Location.find(path)
    settings = load_settings(location.root)
    refs: list[ScenarioRef] = [
        scenario_ref((record.number, child.number), record.number, str(record.fields.get("name", "")), p,
                     child.fields, child.line)
        for p, record in feature_records(location, settings, ref=ref, staged=staged)
        for child in record.children
    ]
    index = ScenarioIndex(refs, settings.parser.scenario_id_pattern)
    outcomes: dict[object, set[str]] = {}
    parsed_reports = parse_reports(reports, fmt)
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
