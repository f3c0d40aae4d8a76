"""Benchmark of traceability: what link maintenance adds to a cold sync, and the matrix over many requirements.

    python bench/trace_bench.py [--smoke] [--json]

Rows (``run(smoke)`` returns them for ``python -m bench``):

- *link maintenance share of a cold sync* (%, target ≤ 15): what deriving and writing links adds to a cold
  ``tracertm.sync()`` of the benchmark corpus with its step files (medium: 500 ADRs, 500 contracts, 500 features
  with 10 scenarios each, 500 step definitions; ``--size large`` for 2,000 of each; smoke: small) — the best of
  four cold syncs with link maintenance against the best of four without it (its functions made no-ops: no link
  stored), alternated, each into a new database;
- *matrix over N requirements* (s, target ≤ 1.0): ``coverage()`` + text rendering of the requirements matrix of a
  repository whose scenarios name N distinct requirement ids (2,000; smoke: 200), half of them with results and
  every scenario linked to a test case (test links, written by ``link_scenarios_to_test_cases``);
- *trace --depth 2* (ms, no target yet): the graph around an ADR, a scenario and a feature of the same corpus, slowest
  of the three.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_SHARE_PERCENT = 15.0
TARGET_MATRIX_S = 1.0
SHARE_RUNS = 4  # pairs of cold syncs, with and without link maintenance


def _link_share(work: Path, smoke: bool, size: str = "medium") -> list[dict[str, Any]]:
    """What link maintenance adds to a cold sync: cold syncs with it and without it (its functions replaced by
    no-ops, so that no link is derived or stored), alternated, each into a new database; the best of each.

    Until stop 51 the row was the wall time spent inside the link functions as a share of the rest of the sync. That
    counted the time the sync's process waits for a core while the parse workers run (the share moved between 15
    and 24 % from run to run, the CPU share stayed at 6 %), and it missed the step links a first sync writes
    (``steps.tracelinks.StepLinkWriter``). Both figures are still in the detail, the step links now included."""
    from bench import corpus as corpus_mod
    from bench.run import fresh_sqlite, settle, sqlite_url
    from tracertm import db
    from tracertm.engine import eager, links
    from tracertm.engine.sync import sync
    from tracertm.steps import tracelinks

    size = "small" if smoke else size
    corpus = corpus_mod.build(work / "corpus", size, step_definitions=corpus_mod.STEP_DEFINITIONS[size])
    # Where a sync derives and writes links: a later sync (``maintain``, ``write_scenario_links``), a first one while
    # its files parse (``EagerWriter``), and the step links of re-matched scenarios (``StepLinkWriter``).
    owners: list[tuple[Any, str, Any]] = [
        (links, "maintain", lambda *args, **kwargs: []),
        (links, "write_scenario_links", lambda *args, **kwargs: None),
        (eager.EagerWriter, "_write_links", lambda *args, **kwargs: None),
        (eager.EagerWriter, "_finish_links", lambda *args, **kwargs: None),
        (tracelinks.StepLinkWriter, "write", lambda *args, **kwargs: None),
    ]
    originals = [getattr(owner, name) for owner, name, _ in owners]
    spent = [0.0, 0.0]  # wall, CPU inside the link functions

    def timed(original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t0
                spent[1] += time.thread_time() - c0
        return wrapper

    def cold(name: str, with_links: bool) -> tuple[float, float, Any, int]:
        """(wall, CPU of all processes, result, links stored) of one cold sync into a new database."""
        for (owner, attr, stub), original in zip(owners, originals, strict=True):
            setattr(owner, attr, timed(original) if with_links else stub)
        engine, _ = fresh_sqlite(work, name)
        try:
            spent[:] = [0.0, 0.0]
            before, t0 = _cpu(), time.perf_counter()
            result = sync(corpus.root, engine=engine, trigger="cli")
            wall, cpu = time.perf_counter() - t0, _cpu() - before
            with engine.connect() as conn:
                stored = int(conn.exec_driver_sql("SELECT count(*) FROM links").scalar() or 0)
            settle(engine)  # its WAL checkpoint thread, not into the next timed sync
        finally:
            engine.dispose()
            for (owner, attr, _), original in zip(owners, originals, strict=True):
                setattr(owner, attr, original)
        return wall, cpu, result, stored

    pairs = 1 if smoke else SHARE_RUNS
    withs: list[tuple[float, float, float, float]] = []  # (wall, CPU, wall in links, CPU in links)
    withouts: list[float] = []
    for n in range(pairs):
        wall, cpu, result, stored = cold(f"links{n}", True)
        withs.append((wall, cpu, *spent))
        bare_wall, _, _, bare_links = cold(f"bare{n}", False)
        if bare_links:
            raise RuntimeError(f"the sync without link maintenance stored {bare_links} links: the row would be wrong")
        withouts.append(bare_wall)
    engine = db.make_engine(sqlite_url(work / f"links{pairs - 1}.db"))  # the last cold sync with its links
    try:
        trace_row = _trace(engine, size)
        with engine.connect() as conn:
            n_step = conn.exec_driver_sql("SELECT count(*) FROM links WHERE link_type = 'step'").scalar()
    finally:
        engine.dispose()
    best_with, best_without = min(w[0] for w in withs), min(withouts)
    share = 100.0 * (best_with - best_without) / best_without
    by_pair = [100.0 * (w[0] - b) / b for w, b in zip(withs, withouts, strict=True)]
    wall, cpu, linked, linked_cpu = min(withs)
    created = sum(c["created"] for c in result.counts.values())
    return [{
        "name": f"link maintenance share of a cold sync ({size})",
        "value": round(share, 1),
        "unit": "%",
        "target": f"<= {TARGET_SHARE_PERCENT:g}",
        "detail": f"cold sync {best_with:.2f} s with links, {best_without:.2f} s without (best of {pairs} each; "
                  f"pairs {', '.join(f'{x:.1f}' for x in by_pair)} %, median {statistics.median(by_pair):.1f} %); "
                  f"inside the link functions {linked:.2f} s of {wall:.2f} s wall, CPU share "
                  f"{100.0 * linked_cpu / max(cpu - linked_cpu, 1e-9):.1f} %; {stored} links ({n_step} step links) "
                  f"for {created} records",
    }, trace_row]


def _trace(engine: Any, size: str) -> dict[str, Any]:
    """``trace --depth 2`` around an ADR, a scenario and a feature of the synced corpus (median ms of each)."""
    from sqlalchemy import select

    from tracertm import db
    from tracertm.models import Feature, Scenario
    from tracertm.repositories import Projects
    from tracertm.trace import graph

    with db.session(engine) as session:
        project = Projects(session).resolve(None)
        feature, scenario = session.execute(
            select(Feature.feature_number, Scenario.scenario_number).join(Feature, Scenario.feature_id == Feature.id)
            .order_by(Feature.feature_number, Scenario.scenario_number).limit(1)).one()
        times: dict[str, float] = {}
        sizes: dict[str, int] = {}
        for ident in ("ADR-0001", f"{feature}/{scenario}", feature):
            runs = []
            for _ in range(3):
                t0 = time.perf_counter()
                built = graph.build(session, project, ident, 2)
                runs.append(time.perf_counter() - t0)
            times[ident], sizes[ident] = statistics.median(runs), len(built.edges)
    return {
        "name": f"trace --depth 2 ({size})",
        "value": round(1000 * max(times.values()), 1),
        "unit": "ms",
        "target": "",
        "detail": ", ".join(f"{k} {1000 * v:.0f} ms ({sizes[k]} edges)" for k, v in times.items()),
    }


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (the parse workers)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _requirements_repo(root: Path, requirements: int) -> None:
    """Features of 10 scenarios; scenario i of feature f names REQ-(10f+i); the 50 ADRs state every requirement
    (so none is orphaned), ADR n the n-th fiftieth of them."""
    from bench.corpus import git

    root.mkdir(parents=True)
    features = max(1, requirements // 10)
    for f in range(features):
        body = "".join(
            f"\n  @SC-{i} @REQ-{10 * f + i + 1} @ADR-{(f % 50) + 1:04d}\n  Scenario: case {i}\n"
            f"    Given state {f}.{i}\n    When it runs\n    Then it works\n"
            for i in range(10)
        )
        path = root / "features" / f"f{f:04d}.feature"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"@FEAT-{f + 1}\nFeature: Feature {f}\n{body}", encoding="utf-8")
    per_adr = -(-features * 10 // 50)
    for n in range(1, 51):
        path = root / "docs" / "adr" / f"{n:04d}-decision.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        stated = ", ".join(f"REQ-{r}" for r in range((n - 1) * per_adr + 1, n * per_adr + 1))
        path.write_text(
            f"# {n}. Decision {n}\n\n## Status\n\nAccepted\n\n## Context\n\nAbout {stated}.\n\n"
            f"## Decision\n\nYes.\n", encoding="utf-8",
        )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "requirements")


def _test_links(engine: Any) -> None:
    """One test case per scenario, mapped and linked as a results import does."""
    import uuid

    from sqlalchemy import insert, select

    from tracertm import db
    from tracertm.models import Project, Scenario, TestCase, scenario_test_case_association
    from tracertm.trace.results import link_scenarios_to_test_cases

    with db.session(engine) as session, session.begin():
        project_id = session.execute(select(Project.id)).scalar_one()
        scenario_ids = list(session.execute(select(Scenario.id)).scalars())
        cases = [{"id": uuid.uuid4(), "project_id": project_id, "test_case_number": f"tests::case_{i}",
                  "title": f"case {i}", "status": "automated"} for i in range(len(scenario_ids))]
        session.execute(insert(TestCase.__table__), cases)
        pairs = [(s, c["id"]) for s, c in zip(scenario_ids, cases)]
        session.execute(insert(scenario_test_case_association),
                        [{"scenario_id": s, "test_case_id": c} for s, c in pairs])
        link_scenarios_to_test_cases(session, project_id, pairs)


def _matrix(work: Path, smoke: bool) -> dict[str, Any]:
    from sqlalchemy import update

    from bench.run import fresh_sqlite
    from tracertm import db
    from tracertm.repositories import Projects
    from tracertm.engine.sync import sync
    from tracertm.models import Scenario
    from tracertm.trace import coverage, matrix

    n = 200 if smoke else 2000
    root = work / "reqs"
    _requirements_repo(root, n)
    engine, _ = fresh_sqlite(work, "matrix")
    try:
        sync(root, engine=engine, trigger="cli")
        with engine.begin() as conn:  # half of the scenarios have a result
            conn.execute(update(Scenario).where(Scenario.scenario_number.in_([f"SC-{i}" for i in range(5)]))
                         .values(pass_rate=1.0))
        _test_links(engine)
        times = []
        rows: list[Any] = []
        for _ in range(1 if smoke else 3):
            with db.session(engine) as session:
                project = Projects(session).resolve(None)
                t0 = time.perf_counter()
                rows = coverage.coverage(session, project, "requirements")
                matrix.render(rows, "text", "requirements")
                times.append(time.perf_counter() - t0)
    finally:
        engine.dispose()
    return {
        "name": f"matrix over {len(rows)} requirements",
        "value": round(statistics.median(times), 3),
        "unit": "s",
        "target": f"<= {TARGET_MATRIX_S:g}",
        "detail": ", ".join(f"{k} {v}" for k, v in coverage.states_count(rows).items() if v),
    }


def run(smoke: bool = False, size: str = "medium") -> list[dict[str, Any]]:
    """Rows for ``python -m bench``."""
    with tempfile.TemporaryDirectory(prefix="tracertm-trace-bench-") as tmp:
        work = Path(tmp)
        return [*_link_share(work, smoke, size), _matrix(work, smoke)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--smoke", action="store_true", help="small corpus, 200 requirements")
    p.add_argument("--size", choices=("small", "medium", "large"), default="medium",
                   help="corpus of the link-share row (default medium)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    rows = run(args.smoke, args.size)
    from bench.rows import print_rows

    print_rows(rows, args.json)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
