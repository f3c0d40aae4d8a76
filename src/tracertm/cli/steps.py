"""``tracertm steps``: the step-definition report, from the files (no database)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(verbs: Any) -> None:
    from tracertm.cli import _common, _source_options

    p = verbs.add_parser(
        "steps", help="step definitions: usage, unused, undefined and ambiguous steps (no database needed)",
        parents=[_common(True)],
    )
    _source_options(p)
    only = p.add_mutually_exclusive_group()
    only.add_argument("--undefined", dest="only", action="store_const", const="undefined",
                      help="only the steps no definition matches (exit 1 when there are any)")
    only.add_argument("--unused", dest="only", action="store_const", const="unused",
                      help="only the definitions no step uses (exit 1 when there are any)")
    only.add_argument("--ambiguous", dest="only", action="store_const", const="ambiguous",
                      help="only the steps several definitions match (exit 1 when there are any)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_steps, only=None)


def _steps(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.steps.project import analyze
    from tracertm.steps.report import render_text

    report = analyze(args.path, ref=args.ref, staged=args.staged)
    if args.format == "json":
        print(output.to_json(report.as_dict(args.only)))
    else:
        text = render_text(report, args.only)
        if text:
            print(text)
        for diag in [*report.errors, *report.warnings]:
            print(output.diagnostic(diag), file=sys.stderr)
        print(
            f"{len(report.definitions)} step definitions in {report.step_files} files, {len(report.results)} steps "
            f"in {report.feature_files} features: {len(report.undefined())} undefined, "
            f"{len(report.ambiguous())} ambiguous, {len(report.unused())} unused",
            file=sys.stderr,
        )
    if report.errors:
        return 1
    found = {"undefined": report.undefined, "unused": report.unused, "ambiguous": report.ambiguous}
    return 1 if args.only and found[args.only]() else 0
