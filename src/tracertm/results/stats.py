"""Scenario execution statistics, recomputed from stored results (database-owned; sync never touches them).

Per scenario and run, the scenario's outcome combines its results (all outline rows together, see ``combined``).
Over the scenario's last ``window`` executed runs (runs where it did not only skip): ``pass_rate`` is the share that
passed, ``last_status`` the newest outcome; ``execution_count`` counts every executed run; ``flaky`` is set when one
commit has both a passing and a failing run of the scenario, or a result passed only after failed attempts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracertm.results.report import FAILING, worst

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "ACTOR", "DEFAULT_WINDOW", "RunOutcome", "combined", "last_executed", "outcomes", "recompute", "summarize",
]

DEFAULT_WINDOW = 20
ACTOR = "results-import"  # who the annotated revisions name
_CHUNK = 500


@dataclass(frozen=True)
class RunOutcome:
    """One scenario's outcome in one run."""

    run_id: uuid.UUID
    commit: str | None
    when: dt.datetime
    status: str
    retried_pass: bool  # passed after failed attempts


def combined(statuses: list[str]) -> str:
    """One scenario's outcome in a run from its results (outline rows, several reports): the worst failure, else
    passed when any result passed, else skipped. Unlike steps, a skipped row next to passed rows still ran."""
    failing = [s for s in statuses if s in FAILING]
    if failing:
        return worst(failing)
    return "passed" if "passed" in statuses else "skipped"


def outcomes(session: Session, scenario_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[RunOutcome]]:
    """Every run outcome of the given scenarios, newest first."""
    from sqlalchemy import func, select

    from tracertm.models import TestResult, TestRun

    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
    grouped: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[str, int]]] = defaultdict(list)
    runs: dict[uuid.UUID, tuple[str | None, dt.datetime, dt.datetime]] = {}
    ids = list(scenario_ids)
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(TestResult.scenario_id, TestRun.id, TestRun.commit_sha, when, TestRun.imported_at,
                   TestResult.status, TestResult.failed_attempts)
            .join(TestRun, TestResult.run_id == TestRun.id)
            .where(TestResult.scenario_id.in_(ids[start : start + _CHUNK]))
        ).all()
        for scenario_id, run_id, commit, at, imported, status, failed in rows:
            assert scenario_id is not None
            grouped[(scenario_id, run_id)].append((status, failed))
            runs[run_id] = (commit, at, imported)
    out: dict[uuid.UUID, list[RunOutcome]] = defaultdict(list)
    for (scenario_id, run_id), results in grouped.items():
        commit, at, _imported = runs[run_id]
        status = combined([s for s, _ in results])
        retried = status == "passed" and any(failed for _, failed in results)
        out[scenario_id].append(RunOutcome(run_id, commit, at, status, retried))
    for items in out.values():
        items.sort(key=lambda o: (o.when, runs[o.run_id][2]), reverse=True)
    return out


def last_executed(
    session: Session, scenario_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[str | None, dt.datetime]]:
    """(commit, time) of the newest run in which each scenario executed (a result other than skipped): one row per
    scenario from the database (a window function), however many runs are stored."""
    from sqlalchemy import func, select

    from tracertm.models import TestResult, TestRun

    when = func.coalesce(TestRun.finished_at, TestRun.started_at, TestRun.imported_at)
    out: dict[uuid.UUID, tuple[str | None, dt.datetime]] = {}
    ids = list(scenario_ids)
    for start in range(0, len(ids), _CHUNK):
        ranked = (
            select(
                TestResult.scenario_id.label("scenario_id"), TestRun.commit_sha.label("commit"), when.label("at"),
                func.row_number().over(
                    partition_by=TestResult.scenario_id, order_by=(when.desc(), TestRun.imported_at.desc())
                ).label("rank"),
            )
            .join(TestRun, TestResult.run_id == TestRun.id)
            .where(TestResult.scenario_id.in_(ids[start : start + _CHUNK]), TestResult.status != "skipped")
            .subquery()
        )
        for scenario_id, commit, at in session.execute(
            select(ranked.c.scenario_id, ranked.c.commit, ranked.c.at).where(ranked.c.rank == 1)
        ).all():
            if isinstance(at, str):  # SQLite returns the subquery's timestamp as text
                at = dt.datetime.fromisoformat(at)
            out[scenario_id] = (commit, at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc))
    return out


def summarize(items: list[RunOutcome], window: int) -> dict[str, object]:
    """The statistics columns for one scenario's run outcomes (newest first)."""
    executed = [o for o in items if o.status != "skipped"]
    recent = executed[:window]
    by_commit: dict[str | None, set[str]] = defaultdict(set)
    for o in recent:
        if o.commit:
            by_commit[o.commit].add("passed" if o.status == "passed" else "failed" if o.status in FAILING else "")
    flaky = any({"passed", "failed"} <= found for found in by_commit.values()) or any(o.retried_pass for o in recent)
    return {
        "pass_rate": (sum(o.status == "passed" for o in recent) / len(recent)) if recent else None,
        "last_status": recent[0].status if recent else None,
        "last_executed_at": recent[0].when if recent else None,
        "execution_count": len(executed),
        "flaky": flaky,
    }


def recompute(session: Session, scenario_ids: Iterable[uuid.UUID], window: int = DEFAULT_WINDOW) -> int:
    """Rewrite the statistics of the given scenarios through the ORM, as ``results-import``: each changed scenario
    gets one version increment (and, through the integrity layer, one ``annotated`` revision). Returns how many
    scenarios changed."""
    from sqlalchemy import select
    from sqlalchemy.orm import load_only

    from tracertm.models import Scenario

    # The statistics, plus what the annotated revision records (number, feature, hash, path): nothing else is
    # loaded (no JSON to decode) and nothing is lazily loaded one attribute at a time during the flush.
    _STAT_COLUMNS = (Scenario.id, Scenario.version, Scenario.pass_rate, Scenario.last_status,
                     Scenario.last_executed_at, Scenario.execution_count, Scenario.flaky, Scenario.scenario_number,
                     Scenario.feature_id, Scenario.content_hash, Scenario.source_path)
    ids = list(dict.fromkeys(scenario_ids))
    found = outcomes(session, ids)
    session.info["actor"] = ACTOR
    changed = 0
    for start in range(0, len(ids), _CHUNK):
        scenarios = session.execute(
            select(Scenario)
            .where(Scenario.id.in_(ids[start : start + _CHUNK]))
            .options(load_only(*_STAT_COLUMNS))  # not the JSON columns: nothing to decode
        ).scalars()
        for scenario in scenarios:
            values = summarize(found.get(scenario.id, []), window)
            dirty = False
            for key, value in values.items():
                if getattr(scenario, key) != value:
                    setattr(scenario, key, value)
                    dirty = True
            changed += dirty
    session.flush()
    return changed
