"""Benchmark of the query layer and the HTTP API on a generated corpus (large: 2,000 ADRs, 2,000 contracts,
2,000 features with 20,000 scenarios ≈ 26k records; smoke: the small corpus).

    python bench/api_bench.py [--smoke] [--json]

Rows (``run(smoke)`` returns them for ``python -m bench``):

- list page of 50 scenarios through HTTP (a real ``tracertm serve`` on a loopback port, keep-alive client): p50, p99;
- full-text search through HTTP: p50;
- HTTP list page ÷ the same repository call in-process (query + read models): target ≤ 2;
- keyset pagination: page 400 ÷ page 1 of the same list, in-process (smoke: the last page): target ≤ 1.5 —
  a page's cost must not grow with its position (no OFFSET scan).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus as corpus_mod

PAGE = 50
FAR_PAGE = 400
HTTP_LIST_P50 = "list page of 50 via HTTP, p50"
HTTP_LIST_P99 = "list page of 50 via HTTP, p99"
SEARCH_P50 = "search via HTTP, p50"
HTTP_VS_INPROC = "HTTP list page / in-process repository call"
KEYSET_RATIO = "keyset page 400 / page 1"


def _quantile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _time(fn: Any, runs: int) -> list[float]:
    fn()  # warm caches and connections
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def run(smoke: bool = False, *, verbose: bool = False) -> list[dict[str, Any]]:
    import httpx

    import tracertm
    from tracertm import db
    from tracertm.repositories import Projects, Records
    from tracertm.schemas.filters import ListFilter
    from tracertm.schemas.records import to_read

    say = print if verbose else (lambda *a, **k: None)
    runs = 5 if smoke else 200  # smoke: the rows come out, not their figures
    scratch = Path(tempfile.mkdtemp(prefix="tracertm-api-bench-"))
    os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")
    proc: subprocess.Popen[bytes] | None = None
    try:
        size = "small" if smoke else "large"
        corpus = corpus_mod.build(scratch / "repo", size)
        url = f"sqlite:///{scratch / 'api.db'}"
        t = time.perf_counter()
        tracertm.sync(corpus.root, database_url=url, project="bench")
        say(f"synced the {size} corpus in {time.perf_counter() - t:.1f}s")

        engine = db.open_engine(url)
        with db.session(engine) as session:
            project = Projects(session).get("bench")
            repo = Records(session, "scenario")

            def in_process(cursor: str | None = None) -> None:
                # What the endpoint does, minus HTTP: a fresh session, the project, the page, the read models.
                with db.session(engine) as fresh:
                    scoped = Projects(fresh).get("bench")
                    records = Records(fresh, "scenario")
                    page = records.list(scoped, ListFilter(limit=PAGE), cursor)
                    [to_read(records.kind, row, scoped.name, feature).model_dump(mode="json")
                     for row, feature in page.rows]

            total_pages = -(-repo.count(project) // PAGE)
            far = min(FAR_PAGE, total_pages)
            cursor: str | None = None
            for _ in range(far - 1):
                cursor = repo.list(project, ListFilter(limit=PAGE), cursor).next_cursor
            first_page = _time(in_process, runs)
            far_page = _time(lambda: in_process(cursor), runs)
            word = session.execute(
                __import__("sqlalchemy").text("SELECT title FROM adrs ORDER BY adr_number LIMIT 1")
            ).scalar_one().split()[0]
        engine.dispose()

        port = _free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "tracertm", "serve", "--port", str(port), "--database-url", url,
             "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=scratch,
        )
        base = f"http://127.0.0.1:{port}/api/v1"
        with httpx.Client(timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("tracertm serve did not start") from None
                    time.sleep(0.05)
            list_url = f"{base}/projects/bench/scenarios?limit={PAGE}"
            http_list = _time(lambda: client.get(list_url).raise_for_status(), runs)
            search = _time(lambda: client.get(f"{base}/search", params={"q": word}).raise_for_status(), runs)

        p50_http, p50_inproc = statistics.median(http_list), statistics.median(first_page)
        detail = f"{size} corpus, {runs} runs, SQLite"
        return [
            {"name": HTTP_LIST_P50, "value": round(p50_http * 1000, 2), "unit": "ms", "target": "", "detail": detail},
            {"name": HTTP_LIST_P99, "value": round(_quantile(http_list, 0.99) * 1000, 2), "unit": "ms",
             "target": "", "detail": detail},
            {"name": SEARCH_P50, "value": round(statistics.median(search) * 1000, 2), "unit": "ms", "target": "",
             "detail": f"{detail}, query {word!r} over every kind"},
            {"name": HTTP_VS_INPROC, "value": round(p50_http / p50_inproc, 3), "unit": "x", "target": "<= 2",
             "detail": f"p50 {p50_http * 1000:.1f} ms / {p50_inproc * 1000:.1f} ms"},
            {"name": KEYSET_RATIO, "value": round(statistics.median(far_page) / statistics.median(first_page), 3),
             "unit": "x", "target": "<= 1.5",
             "detail": f"page {far} of {total_pages} (scenarios, {PAGE} per page)" + (" — smoke: last page" if far < FAR_PAGE else "")},
        ]
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    rows = run(args.smoke, verbose=not args.json)
    print(json.dumps(rows, indent=2) if args.json else "\n".join(f"{r['name']}: {r['value']} {r['unit']}" for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
