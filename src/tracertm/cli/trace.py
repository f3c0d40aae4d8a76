"""Traceability verbs: ``trace``, ``matrix``, ``diff`` and ``review``. Heavy imports live inside the handlers."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(verbs: Any) -> None:
    """Add the traceability sub-commands to the ``tracertm`` parser."""
    from tracertm.cli import _common
    from tracertm.cli.parsing import MAX_JOBS, bounded_int, nonblank
    from tracertm.trace.graph_limits import DEFAULT_EDGES, MAX_EDGES  # not graph_pages: it loads the ORM

    def project_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--project", metavar="NAME", type=nonblank("project name"),
                       help="project (default: this repository's, or the only one)")
        p.add_argument("--path", metavar="PATH", type=nonblank("path"),
                       help="repository whose project to use (default: current folder)")

    p = verbs.add_parser("trace", help="the graph of links around one record", parents=[_common()])
    p.add_argument("id", metavar="ID", type=nonblank("record id", ""),
                   help="ADR-0003, CTR-0001, a feature, FEATURE/SCENARIO, STEP-n or a requirement id; KIND:ID "
                   "names the kind (contract:ADR-0003) when two kinds share an id")
    p.add_argument("--depth", type=bounded_int(0, 10), default=2, metavar="N",
                   help="links to follow from ID, 0 to 10 as in the API (default: 2)")
    p.add_argument("--limit", type=bounded_int(1, MAX_EDGES), metavar="N",
                   help=f"links per page, 1 to {MAX_EDGES:,} as in the API (default: {DEFAULT_EDGES}; with --cursor: "
                   "the cursor's own)")
    p.add_argument("--cursor", type=nonblank("cursor"), help="the next page of a previous trace (printed on stderr)")
    p.add_argument("--format", choices=("text", "json", "dot", "mermaid"), default="text")
    project_options(p)
    p.set_defaults(func=_trace)

    p = verbs.add_parser("matrix", help="traceability matrix with coverage states", parents=[_common()])
    p.add_argument("--from", dest="origin", choices=("requirements", "adrs"), default="requirements",
                   help="one row per requirement id (default) or per ADR")
    p.add_argument("--format", choices=("text", "csv", "json", "html"), default="text")
    p.add_argument("--output", "-o", metavar="FILE", type=nonblank("file"),
                   help="write to FILE instead of standard output")
    project_options(p)
    p.set_defaults(func=_matrix)

    p = verbs.add_parser("diff", help="what changed in the specs between two commits", parents=[_common()])
    p.add_argument("ref1", metavar="REF1", type=nonblank("commit", ""),
                   help="the older commit")
    p.add_argument("ref2", metavar="REF2", nargs="?", default="HEAD",
                   type=nonblank("commit", "or leave REF2 out for HEAD"), help="the newer commit (default: HEAD)")
    p.add_argument("--path", metavar="PATH", type=nonblank("path"), help="repository (default: current folder)")
    p.add_argument("--project", metavar="NAME", type=nonblank("project name"),
                   help="project whose backfilled history to use")
    p.add_argument("--method", choices=("auto", "history", "parse"), default="auto",
                   help="history: from a backfill's revisions; parse: read both trees (default: history if possible)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--jobs", type=bounded_int(1, MAX_JOBS), metavar="N",
                   help="parser processes (default: one per core)")
    p.set_defaults(func=_diff)

    p = verbs.add_parser("review", help="mark suspect links reviewed (who and when)", parents=[_common()])
    p.add_argument("target", nargs="?", metavar="LINK|ID", type=nonblank("link or record id", "or use --all"),
                   help="a link number (as 'status' shows it) or a record id (also STEP-n or file::function): its "
                        "suspect links, both ways")
    p.add_argument("--all", dest="everything", action="store_true", help="every suspect link of the project")
    p.add_argument("--by", metavar="NAME", type=nonblank("reviewer name"),
                   help="reviewer (default: git user.name, else the login name)")
    p.add_argument("--version", dest="target_version", type=bounded_int(1, 2**31 - 1), metavar="N",
                   help="the version of the target you reviewed: refused (exit 2, nothing written) when a link "
                        "to review points at another version (default: whatever version is current)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    project_options(p)
    p.set_defaults(func=_review)


def _trace(args: argparse.Namespace) -> int:
    from tracertm.cli.records import next_page_command, open_project, option_error
    from tracertm.errors import UsageError
    from tracertm.trace import graph

    with open_project(args) as (session, project):
        try:
            found = graph.build(session, project, args.id, args.depth, args.limit, args.cursor)
        except UsageError as exc:  # (the graph names the API's cursor parameter; here it is --cursor)
            raise option_error(exc) from None
        if found.next_cursor:
            more = next_page_command(args, ["trace", args.id], project.name, found.next_cursor,
                                     ("--format", args.format))
            print(f"more: {more}", file=sys.stderr)
        print(graph.render(found, args.format))
    return 0


def _matrix(args: argparse.Namespace) -> int:
    from tracertm.cli.records import open_project
    from tracertm.errors import UsageError
    from tracertm.output import unicode_stdout
    from tracertm.trace import coverage, matrix

    with open_project(args) as (session, project):
        rows = coverage.coverage(session, project, args.origin)
    text = matrix.render(rows, args.format, args.origin, ascii_json=not args.output and not unicode_stdout())
    if args.output:
        try:
            out = open(args.output, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise UsageError(f"--output {args.output}: {exc.strerror}; pick a writable file") from None
        try:
            with out:
                out.write(text if text.endswith("\n") else text + "\n")
        except OSError as exc:  # (opened, so writable: a full disk, an I/O error)
            raise UsageError(f"--output {args.output}: cannot write: {exc.strerror}; the output is incomplete"
                             ) from None
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.trace.diff import diff

    result = diff(args.path, args.ref1, args.ref2, method=args.method, project=args.project,
                  database_url=args.database_url, jobs=args.jobs)
    if args.format == "json":
        print(output.to_json(result.as_dict()))
    else:
        print(f"{args.ref1} ({result.commit1[:12]}) → {args.ref2} ({result.commit2[:12]}), from {result.method}")
        for c in result.changes:
            where = f"{c.from_path} → {c.path}" if c.from_path else c.path
            fields = f"  [{', '.join(c.fields)}]" if c.fields else ""
            print(output.one_line(f"  {c.action:<8} {c.kind:<9} {c.id}  ({where}){fields}"))
        if not result.changes:
            print("  no spec changes")
        for d in result.errors:
            print(output.diagnostic(d), file=sys.stderr)
    return 1 if result.errors else 0


def _review(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import Engine

    from tracertm import db, output
    from tracertm.cli.records import open_project, repository_settings
    from tracertm.config import DEFAULT_LOCK_TIMEOUT_S, control_characters
    from tracertm.repositories import Projects
    from tracertm.errors import UsageError
    from tracertm.trace import review

    if args.target_version is not None and args.everything:
        # The links of a project point at many targets: one version cannot be what was read of all of them.
        raise UsageError("--version: names the version of one target; give a LINK or a record ID, not --all")
    with open_project(args) as (session, project):
        found = repository_settings(args.path)  # lock_timeout, as sync and results import read it
        timeout = found[1].lock_timeout if found else DEFAULT_LOCK_TIMEOUT_S
        # The default reviewer is git's user.name of the repository reviewed (--path), not of the current folder.
        by = args.by or review.reviewer(found[0].top if found else None)
        source = "--by" if args.by else "the reviewer (git's user.name)"
        if len(by) > review.MAX_REVIEWER:
            raise UsageError(f"{source}: {len(by)} characters; a reviewer's name is at most {review.MAX_REVIEWER}, "
                             "give a shorter one with --by")
        bad = control_characters(by)
        if bad:  # (a line break or an escape sequence stored as who reviewed, shown by every reader; tokens' labels
            # and project names refuse them alike)
            raise UsageError(f"{source}: the reviewer's name holds a control character ({bad}); give one printable "
                             "line with --by")
        name = project.name
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        with db.write_session(engine, name, timeout) as writer:
            locked = Projects(writer).resolve(name, None)
            reviewed = review.review(writer, locked, args.target, everything=args.everything, by=by,
                                     expected=args.target_version)
    if args.format == "json":
        print(output.to_json(reviewed))
        return 0
    for link in reviewed:
        print(output.one_line(f"reviewed {review.describe(link)}"))
    if not reviewed:
        print("no suspect link to review" + (f" for {args.target}" if args.target else ""))
    return 0
