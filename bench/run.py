"""The benchmark runner: one table of ratios measured in the same run, with absolute figures and the machine.

    python -m bench --size large            # from the repository root; or: python bench/run.py --size large
    python -m bench --smoke                 # small corpus, every row, well under a minute
    python -m bench --size medium --postgres-url postgresql+psycopg://user:pw@host/db --markdown

Rows (see bench/README.md): cold sync ÷ parse-only floor, no-op ÷ cold (and the no-op's wall time through the CLI),
one-file edit ÷ no-op, PostgreSQL ÷ SQLite, peak RSS of a cold sync, parallel ÷ single-process parsing, then the rows
of bench/backfill_bench.py, bench/watch_bench.py and bench/check_bench.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus as corpus_mod
from bench.rows import paired

BENCH_DIR = Path(__file__).resolve().parent
CORPUS_DIR = BENCH_DIR / ".corpus"
EXTRA_MODULES = (
    "bench.backfill_bench", "bench.watch_bench", "bench.check_bench", "bench.api_bench", "bench.steps_bench",
    "bench.results_bench", "bench.trace_bench", "bench.web_bench", "bench.first_commit_bench",
)
PG_ENVS = ("TRACERTM_BENCH_DATABASE_URL", "TRACERTM_TEST_DATABASE_URL")

# Row names are stable: tests and READMEs refer to them.
COLD_VS_FLOOR = "cold sync (SQLite) / parse-only floor"
# Cold runs of each kind per report, interleaved, the best kept. The machines these figures come from share their
# cores with other tenants: within minutes the same parse-only floor took 3.9 s and 5.2 s, and a best of two still
# moved the cold row by ±10 % from one run to the next. Each further pair narrows that at ~11 s of the report's time.
REPEAT = 4
NOOP_VS_COLD = "no-op re-sync / cold sync"
NOOP_CLI = "no-op re-sync via CLI, wall time incl. start-up"
NOOP_CLI_VS_GIT = "no-op re-sync via CLI / git status"
HOOK_CLI = "no-op hook sync via CLI, wall time incl. start-up"
NOOP_AGED = "no-op re-sync via CLI, 100,000 past runs / none"
EDIT_VS_NOOP = "one-file edit sync / no-op sync"
PG_VS_SQLITE = "cold sync PostgreSQL / SQLite"
PEAK_RSS = "cold sync peak RSS (largest process)"
PARALLEL_VS_SERIAL = "cold sync jobs=cores / jobs=1"
CORE_ROWS = (
    COLD_VS_FLOOR, NOOP_VS_COLD, NOOP_CLI, NOOP_CLI_VS_GIT, HOOK_CLI, NOOP_AGED, EDIT_VS_NOOP, PG_VS_SQLITE,
    PEAK_RSS, PARALLEL_VS_SERIAL,
)
# A database's age (every sync records a run) must not slow the no-op down (migration 0022).
PAST_RUNS = 100_000
# The no-op and hook paths through the CLI (issue 18): at git's speed, start-up included.
TARGET_NOOP_CLI_S = 0.35

# Runs a command and prints the peak RSS of its largest process (KiB on Linux) — in a process of its own, so that no
# earlier child of the runner can be the maximum.
_RSS_WRAPPER = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "el = time.perf_counter() - t\n"
    "print(json.dumps({'rc': rc, 'elapsed': el, 'maxrss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))\n"
)


# ------------------------------------------------------------------------------------------------------- rows


def row(name: str, value: float | None, unit: str, target: str, detail: str = "", na: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "value": value, "unit": unit, "target": target, "detail": detail}
    if value is None:
        out["na"] = na or "not measured"
    out["ok"] = meets(value, target)
    return out


def na_row(name: str, reason: str, unit: str = "", target: str = "") -> dict[str, Any]:
    return row(name, None, unit, target, na=reason)


_TARGET = re.compile(r"^\s*(<=|>=|<|>|==)\s*(-?[0-9.]+)")


def meets(value: Any, target: Any) -> bool | None:
    """Whether ``value`` meets a target like ``"<= 1.5"``; None when either is not a number/comparison."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    match = _TARGET.match(str(target or ""))
    if not match:
        return None
    op, bound = match.group(1), float(match.group(2))
    return {"<=": value <= bound, ">=": value >= bound, "<": value < bound, ">": value > bound,
            "==": value == bound}[op]


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b > 0 else float("inf")


# ---------------------------------------------------------------------------------------------------- machine


def machine(pg_version: str | None = None) -> dict[str, Any]:
    import sqlalchemy

    import tracertm

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "sqlalchemy": sqlalchemy.__version__,
        "tracertm": getattr(tracertm, "__version__", "?"),
        "git": git_version.removeprefix("git version "),
    }


# -------------------------------------------------------------------------------------------------- databases


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def fresh_sqlite(work: Path, name: str) -> tuple[Any, str]:
    """A new, migrated SQLite database (migration is not part of any timing)."""
    from tracertm import db

    path = work / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = sqlite_url(path)
    engine = db.make_engine(url)
    db.ensure_schema(engine)
    return engine, url


def postgres_admin_url(option: str | None) -> tuple[str | None, str]:
    if option:
        return option, "--postgres-url"
    for env in PG_ENVS:
        if os.environ.get(env):
            return os.environ[env], f"${env}"
    return None, ""


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[tuple[str, str]]:
    """CREATE DATABASE a scratch database next to ``admin_url``'s, yield (url, server version), DROP it after."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from tracertm import db

    parsed = db.parse_url(admin_url, "PostgreSQL URL")
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    name = f"tracertm_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            version = str(conn.execute(text("SHOW server_version")).scalar())
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(parsed).set(database=name).render_as_string(hide_password=False), version
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()


# ------------------------------------------------------------------------------------------------ measurements


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _cpu() -> float:
    """CPU seconds of this process and of its reaped children (the parse workers)."""
    return sum(_cpu_split())


def _cpu_split() -> tuple[float, float]:
    """CPU seconds of this process (the writer), and of its reaped children (the parse workers)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


class Timing:
    """Wall and CPU seconds (this process + its parse workers) of repeated runs; the best run counts."""

    def __init__(self) -> None:
        self.walls: list[float] = []
        self.cpus: list[float] = []
        self.own_cpus: list[float] = []  # this process alone (a sync's writer; the floor's pool feeder)

    def __call__(self, fn: Callable[[], Any]) -> Any:
        (own0, kids0), t0 = _cpu_split(), time.perf_counter()
        out = fn()
        self.walls.append(time.perf_counter() - t0)
        own1, kids1 = _cpu_split()
        self.cpus.append(own1 - own0 + kids1 - kids0)
        self.own_cpus.append(own1 - own0)
        return out

    @property
    def own_cpu(self) -> float:
        return min(self.own_cpus)

    @property
    def wall(self) -> float:
        return min(self.walls)

    @property
    def cpu(self) -> float:
        return min(self.cpus)


def _floor_chunk(chunk: list[tuple[str, str, str]], options: Any) -> list[tuple[str, Any]]:
    """Read and parse files with the parsers alone: no hashing beyond what they do, no database, no git. Like a
    sync's worker (``engine.parse._worker_chunk``), a worker forked with the collector paused frees the last chunk's
    cyclic garbage with one young collection first."""
    import gc

    from tracertm.errors import ParseError
    from tracertm.parsers import parse

    if not gc.isenabled():
        gc.collect(0)
    out: list[tuple[str, Any]] = []
    for root, path, kind in chunk:
        data = (Path(root) / path).read_bytes()
        try:
            out.append((path, parse(kind, path, data, options)))  # type: ignore[arg-type]
        except ParseError as exc:
            out.append((path, exc))
    return out


def parse_floor(root: Path, jobs: int, timing: Timing) -> int:
    """The parse-only floor: the same files through the same parsers with the same process count and chunking as
    ``tracertm.engine.parse.parse_files`` (results travel back to the parent, as in a sync), and with the cyclic
    collector paused as a sync's parse runs (``collector_paused``: the parent, and the workers it forks, which
    freeze what they inherit). Until stop 46 the floor ran with the collector on: about 0.7 s of its parent's 0.8 s
    of CPU went to collections while it unpickled the results (a sync pauses them), and its workers collected too;
    that floor took 3.2-3.4 s on the large corpus against 2.8-2.9 s so, and the row read about a seventh low."""
    import gc
    from concurrent.futures import ProcessPoolExecutor

    from tracertm.collector import collector_paused
    from tracertm.config import load_settings
    from tracertm.engine import parse as sync_parse
    from tracertm.engine.scan import Location, scan

    location = Location.find(root)
    settings = load_settings(location.root)
    snapshot = scan(location, settings)
    work = [(str(location.root), p, f.kind) for p, f in sorted(snapshot.files.items())]

    def run() -> list[Any]:
        if jobs <= 1 or len(work) < sync_parse.PARALLEL_THRESHOLD:
            return _floor_chunk(work, settings.parser)
        if hasattr(sync_parse, "chunks"):
            chunks = sync_parse.chunks(work, jobs)  # the same scheduling as the sync
        else:  # an older tracertm (before/after comparisons): its contiguous chunks
            size = max(16, len(work) // (jobs * 4))
            chunks = [work[i : i + size] for i in range(0, len(work), size)]
        results: list[Any] = []
        with ProcessPoolExecutor(max_workers=jobs, initializer=gc.freeze) as pool:
            for part in pool.map(_floor_chunk, chunks, [settings.parser] * len(chunks)):
                results.extend(part)
        return results

    def paused() -> int:
        with collector_paused():
            return len(run())

    # What it parsed is freed inside the timing, as a sync frees its parse results before it returns (tens of
    # thousands of records: about 0.07 s on the large corpus): both figures include that teardown.
    return int(timing(paused))


def settle(engine: Any) -> None:
    """Wait for the WAL checkpoint threads of ``engine``'s bulk writes (outside any timing); an older tracertm
    (before/after comparisons) without them checkpoints in its commit."""
    from tracertm.db import engines

    wait = getattr(engines, "wait_for_checkpoints", None)
    if wait is not None:
        wait(engine)


def sync_once(root: Path, engine: Any, jobs: int) -> tuple[float, Any]:
    from tracertm.engine.sync import sync

    return _timed(lambda: sync(root, engine=engine, jobs=jobs, trigger="cli"))


def _cli_env(**extra: str) -> dict[str, str]:
    """The environment of a timed CLI run: no database URL from outside, and bytecode caching on (a developer's
    machine has ``.pyc`` files; ``PYTHONDONTWRITEBYTECODE`` would time the compiler instead)."""
    drop = ("TRACERTM_DATABASE_URL", "PYTHONDONTWRITEBYTECODE", "TRACERTM_FASTPATH")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def cli_sync(root: Path, url: str, *verb: str, **env: str) -> tuple[float, int]:
    """Wall time of ``python -m tracertm VERB... ROOT --database-url URL`` (default verb ``sync``)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "tracertm", *(verb or ("sync",)), str(root), "--database-url", url],
        cwd=root, env=_cli_env(**env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
    )
    return time.perf_counter() - t0, proc.returncode


def git_status_time(root: Path) -> float:
    """Wall time of ``git status`` in the corpus: the in-run reference for "at git's speed"."""
    t0 = time.perf_counter()
    subprocess.run(["git", "status", "--porcelain"], cwd=root, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def cli_rss(root: Path, *argv: str) -> dict[str, Any]:
    """``python -m tracertm ARGV`` in ``root``, in a process tree of its own: its exit code (``rc``), wall time
    (``elapsed``) and the peak RSS of its largest process (``maxrss``, KiB)."""
    env = {k: v for k, v in os.environ.items() if k != "TRACERTM_DATABASE_URL"}
    proc = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, sys.executable, "-m", "tracertm", *argv],
                          cwd=root, env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _check_result(result: Any, expected: dict[str, int]) -> str:
    """'' when a cold sync created exactly the corpus, else what differs (reported with the row)."""
    created = {kind: result.counts[kind]["created"] for kind in expected}
    problems = [f"{k}: {created[k]} created, {v} expected" for k, v in expected.items() if created[k] != v]
    if result.errors:
        problems.append(f"{len(result.errors)} spec errors, first: {result.errors[0]}")
    return "; ".join(problems)


# ----------------------------------------------------------------------------------------------------- runner


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.jobs = args.jobs or os.cpu_count() or 1
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.pg_version: str | None = None

    def log(self, message: str) -> None:
        if not self.args.quiet:
            print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def build(self, work: Path) -> corpus_mod.Corpus:
        self.log(f"generating the {self.args.size} corpus (seed {self.args.seed}) in {work / 'repo'}")
        t, corpus = _timed(lambda: corpus_mod.build(work / "repo", self.args.size, self.args.seed))
        self.log(f"corpus: {len(corpus.files)} files, {corpus.counts} in {t:.1f} s")
        return corpus

    def run(self) -> list[dict[str, Any]]:
        with self.workspace() as work:
            corpus = self.build(work)
            self.core_rows(corpus, work)
            if self.args.profile:
                self.profile(corpus, work, Path(self.args.profile))
        if not self.args.no_extra:
            self.extra_rows()
        return self.rows

    @contextmanager
    def workspace(self) -> Iterator[Path]:
        if self.args.keep:
            work = CORPUS_DIR / f"{self.args.size}-seed{self.args.seed}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            yield work
            self.log(f"kept corpus and databases in {work}")
            return
        with tempfile.TemporaryDirectory(prefix="tracertm-bench-") as tmp:
            yield Path(tmp)

    def warm_up(self, work: Path) -> None:
        """Import everything and compile the statements once (a 6-file sync), so the timed runs measure throughput
        and not first-import costs (those are in the CLI no-op row)."""
        import tracertm.parsers.adr
        import tracertm.parsers.contract
        import tracertm.parsers.feature  # noqa: F401 - imported for their import cost only

        tiny = corpus_mod.build(work / "warm-up", "small", self.args.seed, adrs=2, contracts=2, features=2)
        engine, _ = fresh_sqlite(work, "warm-up")
        sync_once(tiny.root, engine, 1)
        tiny.edit()
        sync_once(tiny.root, engine, 1)
        engine.dispose()

    def core_rows(self, corpus: corpus_mod.Corpus, work: Path) -> None:
        root, jobs, repeat = corpus.root, self.jobs, max(1, self.args.repeat)
        self.warm_up(work)
        expected = {k: corpus.counts[k] for k in ("adr", "contract", "feature", "scenario")}
        n_files = len(corpus.files)

        # 1. Cold sync on SQLite vs the parse-only floor, interleaved and best-of-N so both see the same machine.
        floor_t, cold_t, problems = Timing(), Timing(), ""
        engine, url = None, ""
        for i in range(repeat):
            self.log(f"parse-only floor, jobs={jobs} ({i + 1}/{repeat})")
            parse_floor(root, jobs, floor_t)
            if engine is not None:
                engine.dispose()
            engine, url = fresh_sqlite(work, "cold")
            self.log(f"cold sync on SQLite, jobs={jobs} ({i + 1}/{repeat})")
            # The result is checked and dropped: kept alive into the next round (its 26,000 operations hold their
            # parsed records), it slowed that round's floor and sync by up to a half (the pairs alternated).
            problems = _check_result(cold_t(lambda engine=engine: sync_once(root, engine, jobs)[1]), expected)
            # The sync leaves its WAL checkpoint to a thread of its own (off its critical path, issue #18): let it
            # finish before the next timing, or its I/O and CPU slow the next floor and flatter the ratio.
            settle(engine)
        floor, cold = floor_t.wall, cold_t.wall
        self.rows.append(row(
            COLD_VS_FLOOR, _ratio(cold, floor), "x", "<= 1.25",
            f"cold {cold:.2f} s, floor {floor:.2f} s (best of {repeat}; wall {paired(cold_t.walls, floor_t.walls)}); "
            f"CPU {cold_t.cpu:.1f} s vs {floor_t.cpu:.1f} s "
            f"(x{_ratio(cold_t.cpu, floor_t.cpu)}; of which the parent process {cold_t.own_cpu:.1f} s vs "
            f"{floor_t.own_cpu:.1f} s); load {os.getloadavg()[0]:.1f}; {n_files} files, {sum(expected.values())} "
            f"records, jobs={jobs}"
            + (f"; PROBLEM: {problems}" if problems else ""),
        ))
        if self.args.cold_only:
            return

        # 2. No-op re-sync (in-process, median of a few), and through the CLI with start-up.
        # 2 and 3: no-op syncs and one-file-edit syncs, interleaved (best of a few each), so both see the same machine.
        small = 1 if self.args.smoke else 5  # the smoke run proves the rows come out, not their figures
        noop_t, edit_t = Timing(), Timing()
        for _ in range(small):
            result = noop_t(lambda: sync_once(root, engine, jobs)[1])
            if result.files_parsed or result.changed:
                self.notes.append(f"no-op sync parsed {result.files_parsed} files / changed the database")
            corpus.edit()  # a new version of one ADR in the work tree
            result = edit_t(lambda: sync_once(root, engine, jobs)[1])
            if result.files_parsed != 1 or result.counts["adr"]["updated"] != 1:
                self.notes.append(f"edit sync parsed {result.files_parsed} files, counts {result.counts['adr']}")
        noop, edit = noop_t.wall, edit_t.wall
        self.rows.append(row(NOOP_VS_COLD, _ratio(noop, cold), "x", "<= 0.05",
                             f"no-op {noop * 1000:.0f} ms (best of {small}, in-process), cold {cold:.2f} s"))
        self.rows.append(row(EDIT_VS_NOOP, _ratio(edit, noop), "x", "<= 1.5",
                             f"edit {edit * 1000:.0f} ms, no-op {noop * 1000:.0f} ms (best of {small} each)"))
        engine.dispose()
        # Undo the edits so later cold syncs see the committed corpus.
        corpus_mod.git(root, "checkout", "-q", "--", ".")
        self.rows.extend(self.cli_noop_rows(root, url))
        self.rows.append(self.aged_noop_row(root, url))

        # 4. PostgreSQL vs SQLite.
        self.rows.append(self.postgres_row(root, jobs, cold, expected))

        # 5. Peak memory of a cold sync through the CLI (default jobs), in its own process tree.
        self.log("cold sync through the CLI for peak RSS")
        _, rss_url = fresh_sqlite(work, "rss")
        rss = cli_rss(root, "sync", str(root), "--database-url", rss_url)
        mb = rss["maxrss"] / 1024  # ru_maxrss is KiB on Linux
        self.rows.append(row(PEAK_RSS, round(mb, 1), "MB", "<= 250",
                             f"ru_maxrss of `python -m tracertm sync` (cold, {rss['elapsed']:.2f} s, exit {rss['rc']})"))

        # 6. Parallel parsing vs one process.
        single_t = Timing()
        for i in range(repeat):
            self.log(f"cold sync on SQLite, jobs=1 ({i + 1}/{repeat})")
            eng1, _ = fresh_sqlite(work, "serial")
            single_t(lambda eng1=eng1: sync_once(root, eng1, 1))
            eng1.dispose()
        single = single_t.wall
        self.rows.append(row(PARALLEL_VS_SERIAL, _ratio(cold, single), "x", "< 1.0",
                             f"jobs={jobs} {cold:.2f} s, jobs=1 {single:.2f} s (best of {repeat})"))

    def cli_noop_rows(self, root: Path, url: str) -> list[dict[str, Any]]:
        """No-op ``sync`` and ``hook sync`` through the CLI, start-up included (the fast path, tracertm.fastpath),
        beside the full engine's no-op (``TRACERTM_FASTPATH=0``) and ``git status`` in the same corpus,
        interleaved so that all see the same machine (median of a few each)."""
        n = 1 if self.args.smoke else 5
        _, rc = cli_sync(root, url, "hook", "sync")  # the database at HEAD; also the OS file cache and .pyc files
        cli_sync(root, url)
        fast, hook, full, status = [], [], [], []
        for _ in range(n):
            t, rc = cli_sync(root, url)
            fast.append(t)
            t, hook_rc = cli_sync(root, url, "hook", "sync")
            hook.append(t)
            full.append(cli_sync(root, url, TRACERTM_FASTPATH="0")[0])
            status.append(git_status_time(root))
        fast_s, hook_s, full_s, git_s = (statistics.median(x) for x in (fast, hook, full, status))
        target = f"<= {TARGET_NOOP_CLI_S}" if self.args.size == "large" and not self.args.smoke else "report"
        return [
            row(NOOP_CLI, round(fast_s, 3), "s", target,
                f"`python -m tracertm sync` in a subprocess, median of {n} (exit {rc}); the full engine's no-op "
                f"(TRACERTM_FASTPATH=0) {full_s:.3f} s ({_ratio(full_s, fast_s)}x slower)"),
            row(NOOP_CLI_VS_GIT, _ratio(fast_s, git_s), "x", "report",
                f"no-op sync {fast_s * 1000:.0f} ms, `git status` {git_s * 1000:.0f} ms in the same corpus (median of {n})"),
            row(HOOK_CLI, round(hook_s, 3), "s", target,
                f"`python -m tracertm hook sync` (HEAD) in a subprocess, median of {n} (exit {hook_rc})"),
        ]

    def aged_noop_row(self, root: Path, url: str) -> dict[str, Any]:
        """The CLI's no-op sync on a copy of the database that holds PAST_RUNS finished sync runs of the project (a
        hook after every commit, a watch daemon on every save), against the database as it is: interleaved,
        median of a few each. Every sync looks for unfinished runs; it must read those alone."""
        fresh = Path(url.removeprefix("sqlite:///"))
        aged = fresh.with_name("aged.db")
        runs = PAST_RUNS // 10 if self.args.smoke else PAST_RUNS
        with sqlite3.connect(fresh) as source, sqlite3.connect(aged) as target:
            source.backup(target)
        with sqlite3.connect(aged) as conn:
            (project,) = conn.execute("SELECT id FROM projects").fetchone()
            conn.executemany(
                "INSERT INTO sync_runs (id, project_id, trigger, started_at, finished_at, status, counts, errors) "
                "VALUES (?, ?, 'cli', '2025-01-01 00:00:00', '2025-01-01 00:00:01', 'ok', '{}', '[]')",
                ((uuid.uuid4().hex, project) for _ in range(runs)))
        aged_url = sqlite_url(aged)
        n = 1 if self.args.smoke else 5
        cli_sync(root, aged_url)
        young, old = [], []
        for _ in range(n):
            young.append(cli_sync(root, url)[0])
            old.append(cli_sync(root, aged_url)[0])
        young_s, old_s = statistics.median(young), statistics.median(old)
        return row(NOOP_AGED, _ratio(old_s, young_s), "x", "report" if self.args.smoke else "<= 1.25",
                   f"{runs:,} past runs: {old_s * 1000:.0f} ms, the database as synced: {young_s * 1000:.0f} ms "
                   f"(median of {n} each, interleaved)")

    def postgres_row(self, root: Path, jobs: int, sqlite_cold: float, expected: dict[str, int]) -> dict[str, Any]:
        admin, source = postgres_admin_url(self.args.postgres_url)
        if not admin:
            return na_row(PG_VS_SQLITE, "no PostgreSQL URL; pass --postgres-url or set $" + " or $".join(PG_ENVS),
                          "x", "<= 2")
        from tracertm import db

        try:
            with scratch_postgres(admin) as (url, version):
                self.pg_version = version
                engine = db.make_engine(url)
                try:
                    db.ensure_schema(engine)
                    times, problems = [], ""
                    for i in range(max(1, self.args.repeat)):
                        if i:
                            engine.dispose()
                            _truncate(engine)
                        self.log(f"cold sync on PostgreSQL {version}, jobs={jobs}")
                        t, result = sync_once(root, engine, jobs)
                        times.append(t)
                        problems, result = _check_result(result, expected), None  # (not kept into the next run)
                finally:
                    engine.dispose()
        except Exception as exc:  # noqa: BLE001 - an unreachable server is a reason, not a crash
            first = str(getattr(exc, "orig", exc)).strip().splitlines()
            return na_row(PG_VS_SQLITE, f"PostgreSQL from {source} unusable: {first[0] if first else type(exc).__name__}",
                          "x", "<= 2")
        pg = min(times)
        return row(PG_VS_SQLITE, _ratio(pg, sqlite_cold), "x", "<= 2",
                   f"PostgreSQL {pg:.2f} s, SQLite {sqlite_cold:.2f} s (scratch database, from {source})"
                   + (f"; PROBLEM: {problems}" if problems else ""))

    def profile(self, corpus: corpus_mod.Corpus, work: Path, out: Path) -> None:
        """Extra (untimed) cold and no-op syncs under pyinstrument; text and HTML reports in ``out``."""
        try:
            from pyinstrument import Profiler
        except ImportError:
            self.notes.append("--profile: pyinstrument is not installed")
            return
        out.mkdir(parents=True, exist_ok=True)
        engine, _ = fresh_sqlite(work, "profile")
        for name in ("cold", "noop"):
            profiler = Profiler(interval=0.001)
            profiler.start()
            sync_once(corpus.root, engine, self.jobs)
            profiler.stop()
            stem = out / f"{self.args.size}-{name}"
            Path(f"{stem}.txt").write_text(profiler.output_text(unicode=True, color=False))
            Path(f"{stem}.html").write_text(profiler.output_html())
            self.log(f"profile written: {stem}.txt / .html")
        engine.dispose()

    def extra_rows(self) -> None:
        """Each sub-benchmark's rows, each module run in a Python process of its own (``_extra_process``), as
        ``python bench/<name>.py`` runs it: none inherits what an earlier one left in this process — a heap of
        hundreds of MB that a fork copies page by page (``results.streamed`` forks its parse process), threads
        that decide whether an import may fork at all, caches and imported modules."""
        for name in EXTRA_MODULES:
            short = name.rsplit(".", 1)[-1]
            self.log(f"{short}.run(smoke={self.args.smoke}) in a process of its own")
            t0 = time.perf_counter()
            try:
                rows = _extra_process(name, self.args.smoke, quiet=self.args.quiet)
            except _ExtraFailed as exc:
                self.rows.append(na_row(f"{short}", str(exc)))
                continue
            self.log(f"{short}: {len(rows)} rows in {time.perf_counter() - t0:.1f} s")
            if not rows:
                self.rows.append(na_row(f"{short}", "run() returned no rows"))
            for r in rows:
                self.rows.append(_normalise_extra(short, r))


class _ExtraFailed(Exception):
    """A sub-benchmark gave no rows: why, in one line (an ``n/a`` row's reason)."""


# The child's side of ``_extra_process``: import the module, run it, write its rows as JSON to the file named.
_EXTRA_CHILD = """
import importlib, json, sys
name, smoke, out = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
try:
    module = importlib.import_module(name)
except ModuleNotFoundError as exc:
    sys.exit("module not present" if exc.name == name else f"import failed: {exc}")
run = getattr(module, "run", None)
if not callable(run):
    sys.exit("module has no run(smoke) function")
rows = list(run(smoke))
with open(out, "w") as f:
    json.dump(rows, f, default=str)
"""


def _extra_process(name: str, smoke: bool, quiet: bool = False) -> list[Any]:
    """The rows of sub-benchmark module ``name``'s ``run(smoke)``, run in a new Python process (from the repository
    root, this interpreter, this environment); its progress messages go to this process's stderr unless
    ``quiet``. Raises ``_ExtraFailed`` with the reason when it fails."""
    with tempfile.TemporaryDirectory(prefix="tracertm-bench-rows-") as tmp:
        out = Path(tmp) / "rows.json"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(BENCH_DIR.parent), os.environ.get("PYTHONPATH", "")) if p)}
        proc = subprocess.run(
            [sys.executable, "-c", _EXTRA_CHILD, name, "1" if smoke else "0", str(out)],
            cwd=BENCH_DIR.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            check=False,
        )
        if not quiet and proc.stderr:
            sys.stderr.write(proc.stderr)
        if proc.returncode != 0 or not out.exists():
            lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
            reason = lines[-1] if lines else f"exit status {proc.returncode}"
            raise _ExtraFailed(reason if proc.returncode == 1 and len(lines) == 1 else f"run() failed: {reason}")
        rows: list[Any] = json.loads(out.read_text())
        return rows


def _truncate(engine: Any) -> None:
    from sqlalchemy import text

    from tracertm.models import Base

    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} CASCADE"))


def _normalise_extra(module: str, r: Any) -> dict[str, Any]:
    if not isinstance(r, dict) or "name" not in r:
        return na_row(f"{module}", f"malformed row: {r!r}"[:200])
    value = r.get("value")
    name = f"{module}: {r['name']}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        reason = r.get("na") or r.get("reason") or (f"non-numeric value {value!r}" if value is not None else "no value")
        return row(name, None, str(r.get("unit", "")), str(r.get("target", "")), str(r.get("detail", "")), na=str(reason))
    return row(name, value, str(r.get("unit", "")), str(r.get("target", "")), str(r.get("detail", "")))


# ----------------------------------------------------------------------------------------------------- output


def _fmt_value(r: dict[str, Any]) -> str:
    if r["value"] is None:
        return f"n/a ({r.get('na', '')})"
    v = r["value"]
    text = f"{v:.3g}" if isinstance(v, float) and abs(v) < 10 else (f"{v:.1f}" if isinstance(v, float) else str(v))
    return f"{text} {r['unit']}".strip()


def _fmt_ok(r: dict[str, Any]) -> str:
    return {True: "yes", False: "NO", None: "-"}[r["ok"]]


def render_text(report: dict[str, Any]) -> str:
    m, c = report["machine"], report["corpus"]
    lines = [
        f"tracertm benchmark — {c['size']} corpus (seed {c['seed']}): {c['files']} files; "
        + ", ".join(f"{v} {k}s" for k, v in c["counts"].items()),
        (
            f"machine: {m['cores']} cores ({m['cpu']}), {m['platform']}; Python {m['python']}, SQLite {m['sqlite']}, "
            f"PostgreSQL {m['postgresql'] or 'n/a'}, SQLAlchemy {m['sqlalchemy']}, git {m['git']}; "
            f"load average at start {m['load_average']}, at end {report['load_average_end']}"
        ),
        "",
    ]
    table = [("#", "metric", "value", "target", "ok", "absolute figures")]
    for i, r in enumerate(report["rows"], 1):
        table.append((str(i), r["name"], _fmt_value(r), r["target"], _fmt_ok(r), r.get("detail", "")))
    widths = [min(max(len(t[i]) for t in table), 24 if i == 2 else 80) for i in range(5)]  # long n/a reasons overflow
    for t in table:
        lines.append("  ".join(t[i].ljust(widths[i]) for i in range(5)).rstrip() + "  " + t[5])
    for note in report["notes"]:
        lines.append(f"note: {note}")
    lines.append(f"command: {report['command']}  ({report['elapsed']:.0f} s)")
    return "\n".join(lines)


def render_markdown(report: dict[str, Any]) -> str:
    m, c = report["machine"], report["corpus"]
    out = [
        f"Corpus: `{c['size']}` (seed {c['seed']}): {c['files']} files — "
        + ", ".join(f"{v} {k}s" for k, v in c["counts"].items()) + ".",
        "",
        (
            f"Machine: {m['cores']} cores ({m['cpu']}), {m['platform']}, Python {m['python']}, "
            f"SQLite {m['sqlite']}, PostgreSQL {m['postgresql'] or 'n/a'}, SQLAlchemy {m['sqlalchemy']}, "
            f"git {m['git']} (load average at start {m['load_average'][0]})."
        ),
        "",
        "| # | metric | value | target | met | absolute figures |",
        "|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(report["rows"], 1):
        cells = [str(i), r["name"], _fmt_value(r), r["target"], _fmt_ok(r), r.get("detail", "")]
        out.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    out += ["", f"Reproduce: `{report['command']}` (took {report['elapsed']:.0f} s)."]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", choices=tuple(corpus_mod.SIZES), default="medium", help="corpus size (default medium)")
    p.add_argument("--smoke", action="store_true", help="small corpus, one repetition, smoke sub-benches")
    p.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    p.add_argument("--jobs", type=int, help="parse processes for the parallel runs (default: all cores)")
    p.add_argument("--repeat", type=int, help="repetitions of each cold run, the best kept (default: 1 for small, "
                   f"{REPEAT} for medium and large)")
    p.add_argument("--postgres-url", help="PostgreSQL server for the PostgreSQL row (a scratch database is created "
                   "and dropped); default $TRACERTM_BENCH_DATABASE_URL, then $TRACERTM_TEST_DATABASE_URL")
    p.add_argument("--no-extra", action="store_true", help="skip the backfill/watch/check sub-benchmarks")
    p.add_argument("--cold-only", action="store_true", help="only the cold sync ÷ parse-only floor row (no other "
                   "core row, no sub-benchmark): the row alone, for before/after comparisons")
    p.add_argument("--keep", action="store_true", help=f"generate under {CORPUS_DIR} and keep it")
    p.add_argument("--profile", metavar="DIR", help="also profile a cold and a no-op sync (pyinstrument) into DIR")
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--output", metavar="FILE", help="also write the JSON report to FILE")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages on stderr")
    args = p.parse_args(argv)
    if args.cold_only:
        args.no_extra = True
    if args.smoke:
        args.size = "small"
    if args.repeat is None:
        args.repeat = 1 if args.size == "small" else REPEAT
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    start_load = [round(x, 2) for x in os.getloadavg()]
    runner = Runner(args)
    rows = runner.run()
    m = machine(runner.pg_version) | {"load_average": start_load}
    n_adr, n_ctr, n_feat = corpus_mod.SIZES[args.size]
    report = {
        "machine": m,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "corpus": {
            "size": args.size, "seed": args.seed, "files": n_adr + n_ctr + n_feat,
            "counts": {"adr": n_adr, "contract": n_ctr, "feature": n_feat, "scenario": n_feat * corpus_mod.SCENARIOS},
        },
        "rows": rows,
        "notes": runner.notes,
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "elapsed": time.perf_counter() - started,
    }
    if args.output:
        Path(args.output).write_text(json.dumps(report, indent=2, default=str))
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    elif args.markdown:
        print(render_markdown(report))
    else:
        print(render_text(report))
    missed = [r["name"] for r in rows if r["ok"] is False]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
