"""How a sub-benchmark run on its own (``python -m bench.<name>_bench``) prints its rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
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
