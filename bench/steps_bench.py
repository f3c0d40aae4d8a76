"""Benchmark of step-definition matching: the step scan + match cost on the corpus with generated step files.

    python bench/steps_bench.py [--smoke | --size medium] [--json]

Builds the corpus (large: 2,000 features × 10 scenarios with outlines, ~130k executed steps, and 2,000 step
definitions in 40 cucumber-js / cucumber-jvm files; smoke: the small corpus with 80 definitions), then times, in
this process, ``tracertm.steps.analyze`` (scan the step files and the features, parse both, compile, index, match
every step) against a cold ``tracertm.sync`` of the same repository into a fresh SQLite file; that cold sync
(definitions synced, every executed step linked) against a cold sync of the same corpus without step files (best of
four each, interleaved; their CPU time, parse workers included, and that of the sync's own process in the detail;
each compiles its definitions, as a sync from the command line does); a
sync after one step file's pattern edit; and the part of it a sync adds once it has parsed the features anyway: parse the step files, compile, index and match every executed
step of the already-parsed features. The issue's budget: matching adds at most 25 % to a cold sync. Also reports how
many definitions the index tries per step (the point of the index: not N × M). ``run(smoke)`` returns rows ``{"name", "value", "unit", "target"}`` for bench/run.py.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus as corpus_mod
from bench.rows import corpus_main, paired
from bench.run import settle

TARGET_RATIO = 0.25
PAIRS = 4  # cold syncs of each shape, interleaved, the best kept (bench/run.py REPEAT says why four)


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children (the parse pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run(smoke: bool = False, size: str | None = None) -> list[dict[str, Any]]:
    from tracertm import db
    from tracertm.config import load_settings
    from tracertm.engine.parse import default_jobs, parse_files
    from tracertm.engine.sync import sync
    from tracertm.parsers.records import ParseResult
    from tracertm.steps import prematch
    from tracertm.steps.project import analyze, report_from
    from tracertm.steps.scenarios import feature_uses

    size = size or ("small" if smoke else "large")
    with tempfile.TemporaryDirectory(prefix="tracertm-steps-bench-") as tmp:
        root = Path(tmp) / "corpus"
        corpus = corpus_mod.build(root, size, step_definitions=corpus_mod.STEP_DEFINITIONS[size])
        analyze(root)  # warm: OS file cache, grammars, .pyc files
        t0 = time.perf_counter()
        report = analyze(root)
        steps_s = time.perf_counter() - t0
        def timed_sync(repo: Path, name: str) -> tuple[float, float, float]:
            """(wall, CPU, CPU of this process) seconds of a cold sync into an empty, already-migrated SQLite file
            (migrating is not part of the figure); CPU counts this process and the parse workers (where the steps
            of the parsed features are matched: tracertm.steps.prematch)."""
            engine = db.make_engine(f"sqlite:///{Path(tmp) / name}")
            db.upgrade(engine)
            # A sync run from the command line compiles its definitions (before its parse workers fork): so does
            # each timed one here, not only the warm-up (the compiled index is cached by the definitions' digest).
            prematch._CACHE.clear()
            try:
                (own0, workers0), t0 = _cpu(), time.perf_counter()
                sync(repo, engine=engine)
                wall = time.perf_counter() - t0
                own, workers = _cpu()
                return wall, own - own0 + workers - workers0, own - own0
            finally:
                settle(engine)  # its WAL checkpoint, in a thread of its own, must not slow the next timing
                engine.dispose()

        bare = Path(tmp) / "bare"  # the same corpus without step files: nothing to match
        corpus_mod.build(bare, size)
        timed_sync(root, "warm-steps.db")  # warm-up of both shapes (imports, statements compiled)
        timed_sync(bare, "warm-bare.db")
        # Best of PAIRS each, interleaved: one cold sync of each shape alone is at the mercy of the machine's other
        # load (and of the previous sync's WAL checkpoint, which runs in the background).
        steps_runs, bare_runs = [], []
        for n in range(1 if smoke else PAIRS):
            steps_runs.append(timed_sync(root, f"cold{n}.db"))  # definitions synced, every executed step linked
            bare_runs.append(timed_sync(bare, f"bare{n}.db"))
        sync_s, bare_s = min(w for w, _, _ in steps_runs), min(w for w, _, _ in bare_runs)
        sync_cpu, bare_cpu = min(c for _, c, _ in steps_runs), min(c for _, c, _ in bare_runs)
        sync_own, bare_own = min(o for _, _, o in steps_runs), min(o for _, _, o in bare_runs)

        # One step file edited (a pattern): re-matches only the scenarios it can affect.
        first = corpus.paths("step")[0]
        text = (root / first).read_text()
        (root / first).write_text(text.replace("{word} {word}')", "{word} {word} {word}')", 1))
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'cold0.db'}")
        try:
            t0 = time.perf_counter()
            sync(root, engine=engine)
            edit_s = time.perf_counter() - t0
        finally:
            engine.dispose()

        # What a sync adds: the features are parsed already (as sync parses them: in worker processes).
        settings = load_settings(root)
        features = [(p, "feature", (root / p).read_bytes()) for p in corpus.paths("feature")]
        parsed = parse_files(features, settings.parser, default_jobs())
        step_items = [(p, (root / p).read_bytes()) for p in corpus.paths("step")]
        t0 = time.perf_counter()
        uses = {p: feature_uses(r) for p, r in parsed.items() if isinstance(r, ParseResult)}
        report_from(step_items, uses, settings)
        added_s = time.perf_counter() - t0

        from tracertm.steps.expressions import Registries, compile_definition
        from tracertm.steps.matching import StepIndex

        index = StepIndex(compile_definition(d, Registries(())) for d in report.definitions)
        texts = {r.use.text for r in report.results}
        tried = sum(len(index.candidates(t)) for t in texts) / max(1, len(texts))
    defined = sum(r.status == "defined" for r in report.results)
    detail = (f"{len(report.definitions)} definitions, {len(report.results)} steps of "
              f"{corpus.counts['scenario']} scenarios ({defined} defined); sync {sync_s:.2f} s")
    return [
        {"name": "cold sync with step files / without", "value": round(sync_s / bare_s, 3), "unit": "x",
         "target": f"<= {1 + TARGET_RATIO}",
         "detail": f"{detail}; without {bare_s:.2f} s (best of {len(bare_runs)} each; wall "
                   f"{paired([w for w, _, _ in steps_runs], [w for w, _, _ in bare_runs])}); CPU {sync_cpu:.1f} s / "
                   f"{bare_cpu:.1f} s "
                   f"(x{sync_cpu / bare_cpu:.3f}, workers included; the sync's own process {sync_own:.1f} s / "
                   f"{bare_own:.1f} s); load {os.getloadavg()[0]:.1f}"},
        {"name": "one step file edited, sync / cold sync", "value": round(edit_s / sync_s, 3), "unit": "x",
         "target": "report", "detail": f"{edit_s:.2f} s"},
        {"name": "step files parse + match of parsed features / cold sync", "value": round(added_s / sync_s, 3),
         "unit": "x", "target": f"<= {TARGET_RATIO}", "detail": detail},
        {"name": "tracertm steps (scan, parse all, match) / cold sync", "value": round(steps_s / sync_s, 3),
         "unit": "x", "target": "report", "detail": detail},
        {"name": "tracertm steps, wall", "value": round(steps_s, 3), "unit": "s", "target": "report",
         "detail": detail},
        {"name": "definitions tried per distinct step text", "value": round(tried, 2), "unit": "",
         "target": "report", "detail": f"of {len(report.definitions)} definitions"},
    ]


def main() -> None:
    corpus_main(run, __doc__)


if __name__ == "__main__":
    main()
