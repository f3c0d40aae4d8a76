"""How a sub-benchmark run on its own (``python -m bench.<name>_bench``) prints its rows, and what rows share."""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable, Sequence
from typing import Any


def print_rows(rows: Sequence[dict[str, Any]], as_json: bool) -> None:
    """The rows as JSON (``--json``), or one aligned line each: name, value and unit, target, detail."""
    if as_json:
        print(json.dumps(list(rows), indent=2))
        return
    width = max((len(r["name"]) for r in rows), default=0)
    for r in rows:
        detail = f"  {r['detail']}" if r.get("detail") else ""
        print(f"{r['name']:<{width}}  {r['value']:>10} {r['unit']:<7} (target {r.get('target') or '-'}){detail}")


def corpus_main(run: Callable[[bool, str | None], list[dict[str, Any]]], doc: str | None) -> None:
    """``main`` of a sub-benchmark over the benchmark corpus: ``--smoke``, ``--size`` (default large; small with
    ``--smoke``) and ``--json``, then its ``run(smoke, size)``'s rows printed."""
    from bench.corpus import SIZES

    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--size", choices=tuple(SIZES), help="corpus size (default: large; small with --smoke)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    print_rows(run(args.smoke, args.size), args.json)


def paired(numerators: Sequence[float], denominators: Sequence[float]) -> str:
    """The ratio of each interleaved pair of runs and their median, for a row's detail. A row's value divides the
    best of each side, which a host whose speed drifts during the run can pair from different minutes; each pair
    ran back to back."""
    ratios = [n / d for n, d in zip(numerators, denominators) if d > 0]
    if not ratios:
        return "no pairs"
    return f"pairs {', '.join(f'{r:.2f}' for r in ratios)} (median {statistics.median(ratios):.2f})"
