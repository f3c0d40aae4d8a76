"""Benchmark of importing test results: a JUnit XML report of 20,000 tests (smoke: 1,000) into SQLite, divided by
parsing the same report alone (defusedxml, the same parser the import uses).

    python bench/results_bench.py [--smoke] [--json]

A tenth of the tests are scenario outline rows, named the way Cucumber's junit-xml-formatter names them
(``classname`` = feature, ``name`` = ``<outline> - #1.<row>``): 2,000 rows of 500 outlines in 125 features (smoke:
100 rows), mapped by name, updating the statistics of their scenarios; the rest are plain unit tests that stay
unmatched. Each import goes into a fresh
copy of the synced database (first import: every test case is inserted), then the same tests run a day later are
imported into it (every test case known: results and statistics only). ``run(smoke)`` returns rows
``{"name", "value", "unit", "target"}`` for the suite runner.

The full-size report (1.7 MB) is imported streamed (``tracertm.results.streamed``: a forked process parses it and
prepares its rows while the import writes them); the smoke report (85 KB) in-process. The CPU figures count both
processes: the import's own (``time.process_time``) and its reaped parse process (``RUSAGE_CHILDREN``). A third row
is the database's share: SQLite running the first import's statements alone (recorded on an import of their own,
replayed with the values bound, ``_replay``), divided by the same parse.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``tracertm`` and ``bench`` importable from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_RATIO = 2.0
ROW = "import 20,000-test JUnit report / parse it alone"
FLOOR_ROW = "SQLite running those statements alone / parse it alone"


PARSES = 3  # parses timed per import timed (each figure is the best of its samples)
RUNS = 5  # imports timed (each a first import, then the next day's)
ROWS = 4  # example rows per outline
SCENARIOS_PER_FEATURE = 4


def _shape(tests: int) -> tuple[int, int]:
    """(features, mapped tests): a tenth of the tests are scenario rows, four rows per outline."""
    features = max(1, tests // 10 // (ROWS * SCENARIOS_PER_FEATURE))
    return features, min(tests, features * ROWS * SCENARIOS_PER_FEATURE)


def _features(repo: Path, features: int) -> None:
    rows = "".join(f"      | {k} |\n" for k in range(1, ROWS + 1))
    for n in range(features):
        body = "".join(
            f"\n  Scenario Outline: step {j} of area {n}\n    Given area {n}\n    When step {j} runs <k> times\n"
            f"    Then it is done\n\n    Examples:\n      | k |\n{rows}"
            for j in range(SCENARIOS_PER_FEATURE)
        )
        path = repo / "features" / f"area{n % 10}" / f"f{n:04d}.feature"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Feature: Area {n}\n{body}")


def _report(tests: int, day: int = 1) -> bytes:
    features, mapped = _shape(tests)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench">\n',
             f'<testsuite name="Cucumber" timestamp="2026-01-{day:02d}T00:00:00" time="12.5">\n']
    for i in range(tests):
        if i < mapped:  # Cucumber's junit-xml-formatter: classname = feature, outline rows "<name> - #1.<row>"
            n, rest = divmod(i, ROWS * SCENARIOS_PER_FEATURE)
            j, k = divmod(rest, ROWS)
            head = f'<testcase classname="Area {n}" name="step {j} of area {n} - #1.{k + 1}" time="0.002"'
        else:
            head = f'<testcase classname="tests.unit.test_module_{i % 200}" name="test_case_{i}" time="0.001"'
        if i % 50 == 0:
            failure = f'<failure message="assert {i} == 0" type="AssertionError">trace</failure>'
            parts.append(f"{head}>{failure}</testcase>\n")
        elif i % 97 == 0:
            parts.append(f'{head}><skipped message="later"/></testcase>\n')
        else:
            parts.append(f"{head}/>\n")
    parts.append("</testsuite>\n</testsuites>\n")
    return "".join(parts).encode()


def _git(repo: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    identity = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *identity, *args], cwd=repo, env=env, check=True, capture_output=True)


def run(smoke: bool = False, *, repeat: int | None = None) -> list[dict[str, Any]]:
    from tracertm import db
    from tracertm.engine.sync import sync
    from tracertm.results.formats import parse_report
    from tracertm.results.store import import_results

    tests = 1_000 if smoke else 20_000
    features, _mapped = _shape(tests)
    runs = repeat or (1 if smoke else RUNS)
    with tempfile.TemporaryDirectory(prefix="tracertm-results-bench-") as tmp:
        work = Path(tmp)
        repo = work / "repo"
        repo.mkdir()
        _git(repo, "init", "-q", "-b", "main")
        _features(repo, features)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", "bench")
        template = work / "template.db"
        engine = db.make_engine(f"sqlite:///{template}")
        sync(repo, ref="HEAD", engine=engine, project="bench")
        engine.dispose()
        _settle(template)
        data = _report(tests)
        next_day = _report(tests, day=2)  # the same tests run again (CI's every-day case): no new test case

        parse_report("warm-up.xml", _report(50))  # imports, compiled code
        warm = work / "warm-up.db"  # the import's own lazy imports (repositories, trace, stats), outside the timing
        shutil.copy(template, warm)
        engine = db.make_engine(f"sqlite:///{warm}")
        db.ensure_schema(engine)
        import_results(engine, "bench", [("warm-up.xml", _report(50))], commit="f" * 40)
        engine.dispose()
        statements = _statements(template, work / "recorded.db", data)
        parse_times, import_times, again_times = [], [], []
        parse_cpu, import_cpu, again_cpu = [], [], []  # CPU seconds of this process: the same ratios, load aside
        import_child, again_child = [], []  # CPU seconds of the import's parse process (results.streamed)
        floor_times: list[float] = []  # SQLite running the first import's statements, nothing else (_replay)
        summary = None
        for i in range(runs):
            for _ in range(PARSES):  # the denominator is short and the noisiest figure: more samples of it
                gc.collect()  # each timing starts from the same heap: no collection owed by what ran before it
                c0, t0 = time.process_time(), time.perf_counter()
                parsed = parse_report("bench.xml", data)
                parse_times.append(time.perf_counter() - t0)
                parse_cpu.append(time.process_time() - c0)
                assert len(parsed.cases) == tests
            copy = work / f"run{i}.db"
            shutil.copy(template, copy)
            engine = db.make_engine(f"sqlite:///{copy}")
            db.ensure_schema(engine)
            with engine.connect():
                pass  # connection set-up outside the timing
            gc.collect()
            c0, k0, t0 = time.process_time(), _children_cpu(), time.perf_counter()
            summary = import_results(engine, "bench", [("bench.xml", data)], commit="0" * 40)
            import_times.append(time.perf_counter() - t0)
            import_cpu.append(time.process_time() - c0)
            import_child.append(_children_cpu() - k0)
            gc.collect()
            c0, k0, t0 = time.process_time(), _children_cpu(), time.perf_counter()
            again = import_results(engine, "bench", [("bench.xml", next_day)], commit="1" * 40)
            again_times.append(time.perf_counter() - t0)
            again_cpu.append(time.process_time() - c0)
            again_child.append(_children_cpu() - k0)
            assert again.test_cases_created == 0 and not again.duplicate
            engine.dispose()
            floor_times.append(_replay(template, work / f"replay{i}.db", statements))
        assert summary is not None and summary.total == tests
        # Each figure the best of its samples, as bench/run.py's rows are: the uncontended time of each, on a machine
        # whose cores other tenants share. (The ratio of the medians, which the noise moves more, is in the detail.)
        parse_s, import_s, again_s, floor_s = map(min, (parse_times, import_times, again_times, floor_times))
        medians = statistics.median(import_times) / statistics.median(parse_times)
        cpu = {name: min(times) for name, times in
               (("parse", parse_cpu), ("import", import_cpu), ("again", again_cpu), ("import child", import_child),
                ("again child", again_child))}
        load = f"load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
        detail = (f"{tests:,} tests ({sum(summary.matched.values()):,} mapped to scenarios, {summary.unmatched:,} "
                  f"unmatched, {summary.scenarios_updated:,} scenarios updated), {len(data) / 1e6:.1f} MB; "
                  f"import {import_s:.2f} s (best of {runs}), parse {parse_s:.2f} s (best of {len(parse_times)}); "
                  f"medians {medians:.2f}x; {_cpu(cpu['import'], cpu['import child'], cpu['parse'])}; {load}")
        name = ROW if not smoke else ROW.replace("20,000", f"{tests:,}")
        return [
            {"name": name, "value": round(import_s / parse_s, 2), "unit": "x", "target": f"<= {TARGET_RATIO:g}",
             "detail": detail},
            {"name": "import wall time", "value": round(import_s, 3), "unit": "s", "target": "", "detail": detail},
            {"name": FLOOR_ROW, "value": round(floor_s / parse_s, 2), "unit": "x", "target": "report",
             "detail": f"SQLite running the {len(statements)} statements of the first import (its reads, the inserts "
                       f"of test cases, revisions, results and links, the statistics' updates) with the values it "
                       f"bound, in one transaction: {floor_s:.3f} s (best of {len(floor_times)}); parse "
                       f"{parse_s:.2f} s; {load}"},
            {"name": "re-import of the same tests (test cases known) / parse", "value": round(again_s / parse_s, 2),
             "unit": "x", "target": "",
             "detail": f"import {again_s:.2f} s (best of {runs}), parse {parse_s:.2f} s (best of "
                       f"{len(parse_times)}); {_cpu(cpu['again'], cpu['again child'], cpu['parse'])}; {load}"},
        ]


def _statements(template: Path, database: Path, data: bytes) -> list[tuple[str, Any, bool]]:
    """The statements an import of ``data`` into a copy of ``template`` runs, as the driver gets them (text,
    parameters, whether ``executemany``): recorded on an import of its own, outside every timing."""
    from sqlalchemy import event

    from tracertm import db
    from tracertm.results.store import import_results

    shutil.copy(template, database)
    engine = db.make_engine(f"sqlite:///{database}")
    db.ensure_schema(engine)
    recorded: list[tuple[str, Any, bool]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            recorded.append((statement, parameters, many))

    event.listen(engine, "before_cursor_execute", record)
    try:
        import_results(engine, "bench", [("bench.xml", data)], commit="0" * 40)
    finally:
        event.remove(engine, "before_cursor_execute", record)
        engine.dispose()
    return recorded


def _replay(template: Path, database: Path, statements: list[tuple[str, Any, bool]]) -> float:
    """Wall seconds SQLite takes to run ``statements`` (``_statements``) on a copy of ``template``: the import's
    own reads and writes with the values it bound, in one transaction with its pragmas (WAL, ``synchronous=NORMAL``,
    its page cache), and no Python between them but the driver's — the database's share of the import."""
    import sqlite3

    from tracertm.results.store import IMPORT_CACHE_KIB

    shutil.copy(template, database)
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL",
                       f"cache_size=-{IMPORT_CACHE_KIB}"):
            connection.execute(f"PRAGMA {pragma}")
        gc.collect()
        t0 = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        for statement, parameters, many in statements:
            if many:
                connection.executemany(statement, parameters)
            else:
                connection.execute(statement, parameters).fetchall()
        connection.execute("COMMIT")
        return time.perf_counter() - t0
    finally:
        connection.close()


def _settle(database: Path) -> None:
    """Everything of a SQLite database in its main file, so that a copy of that file alone holds it: the sync's
    commit left its WAL to a checkpoint thread (``db.write_session(bulk=True)``), which may not have run yet."""
    import sqlite3

    connection = sqlite3.connect(database, timeout=30)
    try:
        # A checkpoint the sync's own thread is running makes this one return busy (not wait): try again until
        # the WAL is empty, or the copy would miss the synced project.
        deadline = time.monotonic() + 30
        while connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        connection.close()


def _children_cpu() -> float:
    """User + system CPU seconds of this process's reaped children (the import reaps its parse process)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu(own: float, child: float, parse: float) -> str:
    """The import's CPU, both processes, against the parse's."""
    return (f"CPU {own:.2f} s in the import's process + {child:.2f} s in its parse process = {own + child:.2f} s "
            f"/ parse {parse:.2f} s = {(own + child) / parse:.2f}× ({own / parse:.2f}× for the import's process)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = run(args.smoke, repeat=args.repeat)
    from bench.rows import print_rows

    print_rows(rows, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
