"""``tracertm schema KIND [--model read|update|filter]``: the JSON Schema of the API's and the CLI's models."""

from __future__ import annotations

import argparse

from tracertm.cli import EXIT_OK, _common, _Parser


def register(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser("schema", help="print the JSON Schema of a kind's read, update or filter model",
                         parents=[_common(True)])
    p.add_argument("kind", metavar="KIND",
                   help="adr, contract, feature, scenario, step-definition, test-case, or: project, sync-run, "
                   "revision, problem, search-hit, link, matrix, coverage, trace-graph")
    p.add_argument("--model", choices=("read", "update", "filter"), default="read")
    p.set_defaults(func=_schema)


def _schema(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.errors import UsageError
    from tracertm.schemas import SCHEMA_NAMES, json_schema

    try:
        schema = json_schema(args.kind, args.model)
    except UsageError as exc:
        if "unknown kind" not in str(exc):
            raise
        # The library names the record kinds only; the other schemas (link, matrix...) are as valid here.
        raise UsageError(f"{exc}, or one of {', '.join(SCHEMA_NAMES)}") from None
    print(output.to_json(schema))
    return EXIT_OK
