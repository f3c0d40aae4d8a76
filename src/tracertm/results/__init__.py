"""Test results: import JUnit XML / Cucumber JSON / Cucumber Messages reports, map each result to the scenario it
ran, keep per-scenario statistics, and answer coverage questions.

Modules: ``formats`` (detection, size limit), ``junit`` / ``cucumber_json`` / ``messages`` (pure parsers;
``json_walk``: Cucumber JSON decoded one element at a time), ``scenarios`` + ``mapping`` (which scenario a result
belongs to), ``store`` (the one writer: the import and its run), ``import_rows`` (the rows it writes),
``scenario_reads`` (the scenarios it maps results to, as of the run's commit) and ``rows`` (how it writes many rows
at once), ``stats`` (pass rate, flakiness), ``queries`` (read side), ``gate`` (``check --results``, no database).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracertm.results.formats import parse_report, read_report
    from tracertm.results.queries import coverage, list_results, list_runs, prune, scenario_results, unmatched
    from tracertm.results.store import ImportSummary, import_results

__all__ = [
    "ImportSummary",
    "coverage",
    "import_results",
    "list_results",
    "list_runs",
    "parse_report",
    "prune",
    "read_report",
    "scenario_results",
    "unmatched",
]

_HOME = {
    "ImportSummary": "store",
    "import_results": "store",
    "parse_report": "formats",
    "read_report": "formats",
    "coverage": "queries",
    "list_results": "queries",
    "list_runs": "queries",
    "prune": "queries",
    "scenario_results": "queries",
    "unmatched": "queries",
}


def __getattr__(name: str) -> Any:
    # Lazy: ``import tracertm.results`` stays cheap for the CLI's start-up.
    if name in _HOME:
        from importlib import import_module

        return getattr(import_module(f"tracertm.results.{_HOME[name]}"), name)
    raise AttributeError(name)
