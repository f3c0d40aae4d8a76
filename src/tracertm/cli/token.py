"""``tracertm token create|list|revoke``: bearer tokens of the HTTP API (stored only as hashes)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tracertm.cli import EXIT_OK, _common, _Parser
from tracertm.timetext import text_time

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def register(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser("token", help="API tokens: create, list, revoke")
    actions = p.add_subparsers(dest="token_verb", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    create = actions.add_parser("create", help="create a token; it is printed once, on the last line",
                                parents=[_common()])
    create.add_argument("--scope", choices=("read", "write"), default="read",
                        help="write: may PATCH; read: may read when the server requires tokens for reads")
    create.add_argument("--label", help="who or what uses it (shown by 'token list' and in revisions)")
    create.set_defaults(func=_create)
    listing = actions.add_parser("list", help="every token (never the tokens themselves)", parents=[_common()])
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(func=_list)
    revoke = actions.add_parser("revoke", help="revoke a token by id or shown prefix", parents=[_common()])
    revoke.add_argument("token", metavar="ID", help="the id or the prefix 'token list' shows")
    revoke.set_defaults(func=_revoke)


@contextmanager
def _engine(args: argparse.Namespace, create: bool = False) -> Iterator[Engine]:
    """The database; only ``token create`` may create it (listing or revoking in a new, empty one is a typo)."""
    from tracertm.cli.records import open_database

    engine = open_database(args, create=create)
    try:
        yield engine
    finally:
        engine.dispose()


def _writing(engine: Engine) -> Engine:
    """``engine`` whose transactions take the write lock first (SQLite: ``BEGIN IMMEDIATE``, waiting as any writer
    does): a revoke reads the token before it writes, and on SQLite a transaction that read cannot write once
    another connection committed after its read (the API recording a token's use): "database is locked"."""
    from tracertm import db

    return db._bounded(engine, db.DEFAULT_LOCK_TIMEOUT_S)


def _create(args: argparse.Namespace) -> int:
    from tracertm import db, tokens

    with _engine(args, create=True) as engine, db.session(_writing(engine)) as session, session.begin():
        token, row = tokens.create(session, args.scope, args.label)
        print(f"created {row.scope} token {row.prefix}… (id {row.id}); it is shown once — store it now:")
    print(token)
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from tracertm import db, output, tokens
    from tracertm.schemas.common import TokenRead

    with _engine(args) as engine, db.session(engine) as session:
        rows = [TokenRead.model_validate(t, from_attributes=True) for t in tokens.list_tokens(session)]
    if args.format == "json":
        print(output.to_json([r.model_dump(mode="json") for r in rows]))
        return EXIT_OK
    # ``last used`` is refreshed at most once a minute (and skipped while a writer holds the lock): about the minute.
    table = [
        [r.prefix + "…", r.scope, r.label or "", text_time(r.created_at, "seconds"),
         text_time(r.last_used_at, "minutes") if r.last_used_at else "-",
         text_time(r.revoked_at, "seconds") if r.revoked_at else "", str(r.id)]
        for r in rows
    ]
    headers = ["token", "scope", "label", "created", "last used", "revoked", "id"]
    print(output.table(table, headers) if rows else "no tokens")
    return EXIT_OK


def _revoke(args: argparse.Namespace) -> int:
    from tracertm import db, tokens

    with _engine(args) as engine, db.session(_writing(engine)) as session, session.begin():
        row, revoked = tokens.revoke(session, args.token)
        if revoked:
            print(f"revoked {row.prefix}… ({row.id})")
        else:
            # The token is revoked, as asked (exit 0, as for any success: a script revoking a list of tokens must
            # not fail on one revoked before); "revoked" again said this call stopped it, at another time.
            assert row.revoked_at is not None
            print(f"{row.prefix}… ({row.id}) was already revoked, at "
                  f"{text_time(row.revoked_at, 'seconds')}; nothing changed")
    return EXIT_OK
