"""Benchmark of the web view: the ADR page of an ADR with 50 revisions, server time.

    python bench/web_bench.py [--smoke] [--json]

Row (``run(smoke)`` returns it for ``python -m bench``):

- *ADR page with 50 revisions, server time* (ms, target ≤ 50): the median time of ``GET /projects/p/adrs/ADR-0001``
  answered in-process by the API app (routing, session, the page's queries, the timeline's field diffs, template
  rendering; no network), for an ADR whose 50 revisions come from 50 commits (backfilled) that each rewrite a part
  of its prose, among 20 other ADRs and a feature linking to it. The detail gives the CPU time (steadier than wall
  time on a busy machine) and splits gathering from rendering.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REVISIONS = 50
TARGET_MS = 50.0
NAME = "ADR page with 50 revisions, server time"


def _repository(root: Path) -> None:
    """One ADR edited in 49 commits after its first (50 revisions), 20 other ADRs, a feature that links to it."""
    from bench.corpus import git

    (root / "docs" / "adr").mkdir(parents=True)
    (root / "features").mkdir()
    for n in range(2, 22):
        (root / "docs" / "adr" / f"{n:04d}-other.md").write_text(
            f"# {n}. Other decision {n}\n\n## Status\n\nAccepted\n\n## Context\n\nAbout ADR-0001.\n\n"
            "## Decision\n\nYes.\n", encoding="utf-8")
    (root / "features" / "f.feature").write_text(
        "@FEAT-1 @ADR-0001\nFeature: Uses the decision\n\n  @SC-1\n  Scenario: one\n    Given a state\n"
        "    When it runs\n    Then it works\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    adr = root / "docs" / "adr" / "0001-the-decision.md"
    for i in range(REVISIONS):
        words = " ".join(f"word{(i * 7 + w) % 97}" for w in range(40))
        adr.write_text(
            f"# 1. The decision, take {i}\n\n## Status\n\n{'Proposed' if i < REVISIONS - 1 else 'Accepted'}\n\n"
            f"## Context\n\nRevision {i} of the context. {words}\n\n## Decision\n\nWe decide {i}.\n\n"
            f"## Consequences\n\n- one\n- two {i % 3}\n", encoding="utf-8")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"revision {i}")


def run(smoke: bool = False) -> list[dict[str, Any]]:
    """Rows for ``python -m bench`` (smoke: fewer timed requests, the same 50 revisions)."""
    from fastapi.testclient import TestClient

    from bench.run import fresh_sqlite
    from tracertm import db
    from tracertm.api.app import ApiSettings, create_app
    from tracertm.history.backfill import backfill
    from tracertm.web import pages
    from tracertm.web.render import environment

    runs = 5 if smoke else 101
    with tempfile.TemporaryDirectory(prefix="tracertm-web-bench-") as tmp:
        work = Path(tmp)
        root = work / "repo"
        root.mkdir()
        _repository(root)
        engine, _ = fresh_sqlite(work, "web")
        try:
            backfill(root, engine=engine, project="p")
            url = "/projects/p/adrs/ADR-0001"
            with TestClient(create_app(ApiSettings(), engine)) as client:
                first = client.get(url)
                if first.status_code != 200:
                    raise RuntimeError(f"GET {url}: {first.status_code} {first.text[:200]}")
                revisions = first.text.count("<li>\n    <p class=\"rev\">")
                times, cpu = [], []
                for _ in range(runs):
                    t0, c0 = time.perf_counter(), time.process_time()
                    client.get(url)
                    times.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
            gather, render = [], []
            template = environment().get_template("adr.html")
            for _ in range(runs):
                with db.session(engine) as session:
                    t0 = time.perf_counter()
                    context = pages.adr_page(session, "p", "ADR-0001")
                    t1 = time.perf_counter()
                    template.render(static="/static", path=url, signed_in=False, version="", crumbs=[], **context)
                    t2 = time.perf_counter()
                gather.append(t1 - t0)
                render.append(t2 - t1)
        finally:
            engine.dispose()
    ms = 1000 * statistics.median(times)
    return [{
        "name": NAME,
        "value": round(ms, 1),
        "unit": "ms",
        "target": f"<= {TARGET_MS:g}",
        "detail": f"{revisions} revisions on the page; median of {runs}: CPU {1000 * statistics.median(cpu):.1f} ms; "
                  "queries + diffs "
                  f"{1000 * statistics.median(gather):.1f} ms, template {1000 * statistics.median(render):.1f} ms",
    }]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--smoke", action="store_true", help="fewer timed requests")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    rows = run(args.smoke)
    from bench.rows import print_rows

    print_rows(rows, args.json)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
