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

    from tracertm.cli import require_folder

    require_folder(args.path)
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


# ---------------------------------------------------------------------------------------- show / history hooks


def show_definition(args: argparse.Namespace, session: Any, project: Any) -> int:
    """``tracertm show STEP-n`` (or ``file::function``): the definition and the steps that use it."""
    from tracertm import output
    from tracertm.parsers.step_text import as_written
    from tracertm.repositories import Records
    from tracertm.schemas.records import to_read
    from tracertm.steps.queries import definition_uses

    row = find_definition(session, project, args.id)
    read = to_read(Records(session, "step_definition").kind, row, project.name).model_dump(mode="json")
    uses = definition_uses(session, row)
    if args.format == "json":
        # The API's record (``id`` the UUID, ``short_id`` STEP-n) plus keys it serves elsewhere: CLI and API agree;
        # ``links`` as every kind's ``show --format json`` has them (the ``-step->`` links into it ``trace`` lists).
        from tracertm.trace import review

        links = review.record_links(session, project, "step_definition", row)
        print(output.to_json({**read, "used_by": uses, "links": links}))
        return 0
    # Text leads with the id a person types (README: ``id: STEP-4``), the UUID next.
    fields = {"id": read.pop("short_id"), "uuid": read.pop("id"), **read}
    print(output.fields_text(fields))
    print(f"used by ({len(uses)}):" if uses else "used by: no scenario step")
    for u in uses:
        row_text = f" (Examples row line {u['row_line']})" if u["row_line"] else ""
        state = "" if u["status"] == "defined" else f"  [{u['status']}]"
        print(output.one_line(f"  {as_written(u['keyword'], u['text'])}  # {u['path']}:{u['line']}{row_text}  "
                              f"{u['feature']}/{u['scenario']}{state}"))
    return 0


def find_definition(session: Any, project: Any, ident: str) -> Any:
    from tracertm.repositories.errors import NotFound
    from tracertm.steps.queries import find_definition as find

    row = find(session, project, ident)
    if row is None:
        raise NotFound(f"{ident}: no step definition with this id in project {project.name}; see 'tracertm steps' "
                       "(ids are STEP-n or file::function)")
    return row


def print_scenario_steps(steps: list[dict[str, Any]]) -> None:
    """The ``steps:`` section of ``show SC-n``."""
    from tracertm import output
    from tracertm.parsers.step_text import as_written

    if not steps:
        return
    print("steps:")
    for s in steps:
        row_text = f" (Examples row line {s['row_line']})" if s["row_line"] else ""
        if s["status"] == "undefined":
            target = "UNDEFINED"
        else:
            target = ", ".join(f"{d['id']} {d['location']}" for d in s["definitions"])
            target = target if s["status"] == "defined" else f"AMBIGUOUS: {target}"
        print(output.one_line(f"  {as_written(s['keyword'], s['text'])}  # line {s['line']}{row_text} -> {target}"))
