"""``tracertm coverage``: scenarios never executed, failing, flaky, or stale (run before their last change)."""

from __future__ import annotations

import argparse
from typing import Any

SECTIONS = (
    ("never_executed", "never executed"),
    ("failing", "failing"),
    ("flaky", "flaky"),
    ("stale", "stale (last run older than the feature's last change)"),
)


def register(verbs: Any) -> None:
    from tracertm.cli import _common
    from tracertm.cli.parsing import nonblank

    p = verbs.add_parser("coverage", parents=[_common()],
                         help="scenarios never executed, failing, flaky, or stale, from imported test results")
    p.add_argument("--project", metavar="NAME", type=nonblank("project name"),
                   help="project (default: this repository's, or the only one)")
    p.add_argument("--path", metavar="PATH", type=nonblank("path"),
                   help="repository (or sub-folder) whose project and configuration to use (default: current folder)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when any scenario is failing, flaky or never run")
    p.set_defaults(func=_coverage)


def _coverage(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.cli.results import _context, _project
    from tracertm.results.queries import coverage

    context = _context(args)
    session, project = _project(context, args.project)
    with session:
        report = coverage(session, project, repo=context.top)
    if args.format == "json":
        print(output.to_json(report))
    else:
        for key, title in SECTIONS:
            items = report[key]
            print(f"{title}: {len(items)}")
            for item in items:
                rate = "-" if item["pass_rate"] is None else f"{item['pass_rate']:.0%}"
                changed = f", changed in {item['changed_in'][:12]}" if item.get("changed_in") else ""
                print(output.one_line(f"  {item['scenario']}  {item['title']}  (last {item['last_status'] or '-'}, "
                                      f"pass rate {rate}{changed})"))
    problems = sum(len(report[k]) for k in ("never_executed", "failing", "flaky"))
    return 1 if args.exit_code and problems else 0
