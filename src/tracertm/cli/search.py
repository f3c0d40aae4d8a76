"""``tracertm search "QUERY" [--kind K]``: ranked full-text search with highlighted snippets."""

from __future__ import annotations

import argparse

from tracertm.cli import EXIT_OK, _common, _Parser
from tracertm.cli.parsing import bounded_int, nonblank
from tracertm.cli.records import nonblank_items


def register(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser(
        "search", help="full-text search over ADRs, contracts, features and scenarios", parents=[_common()],
        description='Words must all occur (stemmed); "a phrase"; a OR b; -excluded. Best matches first.',
    )
    p.add_argument("query", metavar="QUERY", help='e.g. "idempotency key" or \'ledger -postgres\'')
    p.add_argument("--kind", action="append", metavar="KIND", type=nonblank_items("kind"),
                   help="adrs, contracts, features or scenarios (repeat or comma-separate)")
    p.add_argument("--project", metavar="NAME", type=nonblank("project name"),
                   help="only this project (default: every project of the database)")
    p.add_argument("--path", metavar="PATH", type=nonblank("path"),
                   help="repository whose configuration names the database (default: current folder)")
    p.add_argument("--limit", type=bounded_int(1, 100), default=20,
                   help="most hits to show (default 20, at most 100)")
    p.add_argument("--include-deleted", action="store_true", help="also soft-deleted records")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_search)


def _search(args: argparse.Namespace) -> int:
    from tracertm import db, output
    from tracertm.repositories import Projects, kind
    from tracertm.schemas.common import SearchHit
    from tracertm.search.engine import search

    from tracertm.errors import UsageError
    from tracertm.search.syntax import MAX_QUERY_LENGTH

    if len(args.query) > MAX_QUERY_LENGTH:  # the API's q and list --text refuse it too
        raise UsageError(f"QUERY: {len(args.query)} characters; at most {MAX_QUERY_LENGTH} (shorten the query)")
    kinds = [kind(name.strip(), "--kind") for item in args.kind or [] for name in item.split(",")]
    from tracertm.cli.records import open_database, option_error

    engine = open_database(args)
    try:
        with db.session(engine) as session:
            project = Projects(session).get(args.project, "--project") if args.project else None
            try:
                hits = search(session, args.query, kinds=kinds or None, project=project, limit=args.limit,
                              include_deleted=args.include_deleted, option="QUERY")
            except UsageError as exc:  # the search layer names the API's parameters (``kind``): say the option
                raise option_error(exc) from None
    finally:
        engine.dispose()
    if args.format == "json":
        print(output.to_json([SearchHit.model_validate(h).model_dump(mode="json") for h in hits]))
    else:
        print(output.search_hits(hits))
    return EXIT_OK
