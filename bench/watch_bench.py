"""Benchmark of ``tracertm watch``: edit-to-commit latency with the default debounce, and what a burst costs.

    python bench/watch_bench.py [--smoke] [--edits N] [--database-url URL] [--json]

Runs the daemon in-process on a temporary git repository (SQLite in the same temporary folder unless
``--database-url`` is given). Latency is measured from just before a file is written to the commit of the sync that
contains it (the daemon's own commit timestamp), one edit at a time. ``run(smoke)`` returns the rows for a suite
runner: ``{"name", "value", "unit", "target"}``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``tracertm`` and ``bench`` importable from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracertm.watcher import Watcher

TARGET_MEDIAN_S = 0.5


def _adr(number: int, title: str) -> str:
    return f"# {number}. {title}\n\nStatus: accepted\n\n## Context\n\nAbout {title}.\n\n## Decision\n\nDo it.\n"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _wait(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for the daemon")
        time.sleep(0.001)


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def run(smoke: bool = False, *, edits: int | None = None, database_url: str | None = None) -> list[dict[str, Any]]:
    n_edits = edits if edits is not None else (2 if smoke else 30)
    burst = 100 if smoke else 500
    with tempfile.TemporaryDirectory(prefix="tracertm-watch-bench-") as tmp:
        repo = Path(tmp) / "repo"
        (repo / "docs" / "adr").mkdir(parents=True)
        _git(repo, "init", "-q", "-b", "main")
        for i in range(1, 21):
            (repo / f"docs/adr/{i:04d}-d.md").write_text(_adr(i, f"Decision {i}"))
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "seed")
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        watcher = Watcher([repo], database_url=url).start()  # default debounce
        try:
            _wait(lambda: watcher.stats.reconciles >= 1 and watcher.wait_idle(0))
            latencies: list[float] = []
            for k in range(n_edits):
                syncs = watcher.stats.syncs
                path = repo / f"docs/adr/{k % 20 + 1:04d}-d.md"
                t0 = time.monotonic()
                path.write_text(_adr(k % 20 + 1, f"Decision edited {k}"))
                _wait(lambda syncs=syncs: watcher.stats.syncs > syncs)
                latencies.append(watcher.history[-1].committed - t0)
                time.sleep(0.05)

            syncs = watcher.stats.syncs
            for i in range(1000, 1000 + burst):
                (repo / f"docs/adr/{i:04d}-burst.md").write_text(_adr(i, f"Burst {i}"))
            t_last = time.monotonic()
            _wait(lambda: watcher.stats.syncs > syncs and watcher.wait_idle(0))
            time.sleep(0.5)  # let stragglers show up as extra syncs if the batching were wrong
            _wait(lambda: watcher.wait_idle(0))
            burst_syncs = watcher.stats.syncs - syncs
            burst_latency = watcher.history[-1].committed - t_last
        finally:
            watcher.stop()
            watcher.join(30)
    edits_detail = f"{n_edits} single-file edits, default debounce"
    burst_detail = f"{burst} new files written in a tight loop"
    return [
        {
            "name": "watch edit-to-commit latency, median",
            "value": round(statistics.median(latencies), 3),
            "unit": "s",
            "target": f"<= {TARGET_MEDIAN_S}",
            "detail": edits_detail,
        },
        {
            "name": "watch edit-to-commit latency, p95",
            "value": round(_percentile(latencies, 95), 3),
            "unit": "s",
            "target": "<= 2.0",
            "detail": edits_detail,
        },
        {
            "name": "watch syncs for a burst of writes",
            "value": burst_syncs,
            "unit": "syncs",
            "target": "<= 3",
            "detail": burst_detail,
        },
        {
            "name": "watch burst last-write-to-commit",
            "value": round(burst_latency, 3),
            "unit": "s",
            "target": "<= 5.0",
            "detail": burst_detail,
        },
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a few edits only (seconds)")
    parser.add_argument("--edits", type=int, help="number of single-file edits (default 30, smoke 2)")
    parser.add_argument("--database-url", help="database to use (default: SQLite in a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    rows = run(args.smoke, edits=args.edits, database_url=args.database_url)
    from bench.rows import print_rows

    print_rows(rows, args.json)
    median = rows[0]["value"]
    return 0 if median <= TARGET_MEDIAN_S else 1


if __name__ == "__main__":
    sys.exit(main())
