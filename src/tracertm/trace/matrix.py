"""The traceability matrix: coverage rows rendered as text, CSV, JSON or a standalone HTML page."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from typing import Any

from tracertm.trace.coverage import Row, states_count

HEADERS = ("id", "title", "state", "scenarios", "features", "contracts", "adrs", "suspect", "tests")
# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"): a title is written by whoever
# commits the ADR, and ``=HYPERLINK(...)`` or a DDE call in it would run where the matrix is opened.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet reads as a formula: a leading ``'`` before a formula character (shown
    as text, the rest kept as written)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _cells(row: Row) -> list[str]:
    scenarios = ", ".join(f"{s} ({row.results.get(s) or 'not run'})" for s in row.scenarios)
    return [row.id, row.title or "", str(row.state), scenarios, ", ".join(row.features), ", ".join(row.contracts),
            ", ".join(row.adrs), ", ".join(row.suspect), ", ".join(row.tests)]


def render(rows: Sequence[Row], fmt: str, by: str, *, ascii_json: bool = False) -> str:
    """``rows`` (from ``coverage.coverage``) as ``text``, ``csv``, ``json`` or ``html``; ``ascii_json``: JSON with
    every character past ASCII as a ``\\u`` escape (for an output that cannot hold them:
    ``output.unicode_stdout``)."""
    if fmt == "json":
        payload: dict[str, Any] = {"from": by, "states": states_count(rows), "rows": [r.as_dict() for r in rows]}
        return json.dumps(payload, indent=2, ensure_ascii=ascii_json)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADERS)
        writer.writerows([_csv_cell(c) for c in _cells(r)] for r in rows)
        return out.getvalue()
    if fmt == "html":
        return _html(rows, by)
    return _text(rows, by)


def _text(rows: Sequence[Row], by: str) -> str:
    from tracertm import output

    if not rows:
        return f"no {by} are referenced by any spec"
    table = output.table(
        [[r.id, output.clip(r.title or "", 40), str(r.state), len(r.scenarios),
          output.clip(", ".join(r.scenarios), 50),
          len(r.suspect)] for r in rows],
        ["id", "title", "state", "n", "scenarios", "suspect"], right=(3, 5),
    )
    counts = ", ".join(f"{n} {s}" for s, n in states_count(rows).items() if n)
    return f"{table}\n\n{output.counted(len(rows), by.removesuffix('s'))}: {counts}"  # "1 requirement", "2 adrs"


_STATE_CLASS = {"covered": "ok", "not executed": "todo", "suspect": "warn", "failing": "bad", "uncovered": "bad",
                "orphaned": "bad"}


def _html_cells(row: Row) -> list[str]:
    """``_cells``, the state of an orphaned ADR whose references are ambiguous saying so (``Row.dangling``)."""
    cells = _cells(row)
    if row.dangling and row.dangling["reason"] == "ambiguous":
        from tracertm.crossfile import ambiguous_text

        cells[2] += f" ({row.id}, {ambiguous_text(row.dangling['candidates'])})"
    return cells


def _html(rows: Sequence[Row], by: str) -> str:
    """A self-contained page (no script, no external asset): a table with one row per requirement/ADR."""
    esc = html.escape
    counts = "".join(f"<li>{esc(s)}: {n}</li>" for s, n in states_count(rows).items())
    body = "\n".join(
        "<tr class=\"{cls}\">{cells}</tr>".format(
            cls=_STATE_CLASS.get(str(r.state), ""),
            cells="".join(f"<td>{esc(c)}</td>" for c in _html_cells(r)),
        )
        for r in rows
    )
    head = "".join(f"<th scope=\"col\">{esc(h)}</th>" for h in HEADERS)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Traceability matrix ({esc(by)})</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#1a1a1a}}
table{{border-collapse:collapse;width:100%}}th,td{{border:1px solid #999;padding:.3rem .5rem;\
text-align:left;vertical-align:top}}
tr.ok td:nth-child(3){{background:#d8f0d8}}tr.todo td:nth-child(3){{background:#eeeeee}}
tr.warn td:nth-child(3){{background:#fff0c0}}tr.bad td:nth-child(3){{background:#f8d0d0}}
</style></head>
<body><main><h1>Traceability matrix: {esc(by)}</h1>
<ul>{counts}</ul>
<table><thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody></table></main></body></html>
"""
