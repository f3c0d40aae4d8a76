"""Benchmark of a backfill's first commit: the corpus (one commit of all its spec files) backfilled through the CLI.

    python bench/first_commit_bench.py [--smoke | --size medium] [--json]

A backfill bounds what it keeps across commits (the parse cache: ``history.replay``), not one commit's own files,
which it parses, plans and writes together; ``tracertm sync`` writes them while it parses. Reports the peak RSS of
``python -m tracertm backfill`` of the corpus into an empty SQLite file, and of the same backfill onto the rows a
``tracertm sync`` of the corpus wrote (the merge: ``history.merge``), each in a process tree of its own (the largest
process's ``ru_maxrss``), with their wall times. No target: the issue's memory bound is the real-size history's
(``bench/backfill_bench.py``); these rows show where one big commit stands against it. ``run(smoke)`` returns rows
``{"name", "value", "unit", "target"}`` for bench/run.py.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus as corpus_mod
from bench.rows import corpus_main
from bench.run import cli_rss


def run(smoke: bool = False, size: str | None = None) -> list[dict[str, Any]]:
    size = size or ("small" if smoke else "large")
    with tempfile.TemporaryDirectory(prefix="tracertm-first-commit-bench-") as tmp:
        root = Path(tmp) / "corpus"
        corpus = corpus_mod.build(root, size)
        files = sum(corpus.counts[k] for k in ("adr", "contract", "feature"))
        empty = f"sqlite:///{Path(tmp) / 'empty.db'}"
        full = cli_rss(root, "backfill", "-q", str(root), "--database-url", empty)
        synced = f"sqlite:///{Path(tmp) / 'synced.db'}"
        sync = cli_rss(root, "sync", str(root), "--database-url", synced)
        merged = cli_rss(root, "backfill", "-q", str(root), "--database-url", synced)
    what = f"one commit of {files} spec files ({corpus.counts['scenario']} scenarios), `python -m tracertm backfill`"
    return [
        {"name": "backfill of one commit of the corpus, peak RSS (largest process)",
         "value": round(full["maxrss"] / 1024, 1), "unit": "MB", "target": "report",
         "detail": f"{what} into an empty database; {full['elapsed']:.2f} s, exit {full['rc']}"},
        {"name": "the same onto the rows a sync wrote, peak RSS (largest process)",
         "value": round(merged["maxrss"] / 1024, 1), "unit": "MB", "target": "report",
         "detail": f"{what} after `tracertm sync` of it (exit {sync['rc']}); {merged['elapsed']:.2f} s, "
                   f"exit {merged['rc']}"},
    ]


def main() -> None:
    corpus_main(run, __doc__)


if __name__ == "__main__":
    main()
