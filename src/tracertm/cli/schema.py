"""``tracertm schema NAME [--model read|update|filter|page]``: the JSON Schema of the API's and the CLI's models."""

from __future__ import annotations

import argparse

from tracertm.cli import EXIT_OK, _common, _Parser


def register(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser("schema", help="print the JSON Schema of a kind's read, update, filter or page model, or "
                         "of another shape the API serves", parents=[_common(True)])
    p.add_argument("kind", metavar="KIND",
                   help="adr, contract, feature, scenario, step-definition, test-case, or: project, status, "
                   "sync-run, revision, search, search-hit, facets, health, problem, link, review, matrix, coverage, "
                   "trace-graph, test-run, test-run-import, test-result (singular or plural, any case, - or _)")
    p.add_argument("--model", choices=("read", "update", "filter", "page"), default="read")
    p.set_defaults(func=_schema)


def _schema(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.schemas import json_schema

    print(output.to_json(json_schema(args.kind, args.model)))
    return EXIT_OK
