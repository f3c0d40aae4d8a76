"""Command line: argument parsing, dispatch and exit codes. The only module that calls ``sys.exit``.

Every verb is a thin shell over a library function; heavy modules are imported inside the handlers so that
``tracertm check`` in a pre-commit hook starts fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from tracertm._version import __version__
from tracertm.errors import TracertmError, UsageError

EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line through the common error handler."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _common(traceback_only: bool = False) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--traceback", action="store_true", default=argparse.SUPPRESS, help="show the traceback of internal errors"
    )
    if not traceback_only:
        common.add_argument(
            "--database-url",
            metavar="URL",
            help="database to use (default: $TRACERTM_DATABASE_URL, then configuration, then the embedded SQLite file)",
        )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tracertm", description="Git-native spec sync engine.", parents=[_common(True)])
    parser.add_argument("--version", action="version", version=f"tracertm {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=_Parser)
    verbs.required = True
    for register in _REGISTRY:
        register(verbs)
    return parser


# ------------------------------------------------------------------------------------------------------- db


def _register_db(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser("db", help="database schema: upgrade, current")
    actions = p.add_subparsers(dest="db_verb", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    up = actions.add_parser("upgrade", help="create or migrate the database schema", parents=[_common()])
    up.add_argument("--revision", default="head", help="target revision (default: head)")
    up.set_defaults(func=_db_upgrade)
    cur = actions.add_parser("current", help="show the database and its schema revision", parents=[_common()])
    cur.set_defaults(func=_db_current)


def _db_upgrade(args: argparse.Namespace) -> int:
    from tracertm import db

    engine = db.open_engine(args.database_url, migrate=False)
    db.upgrade(engine, args.revision)
    print(f"{db.redact(engine.url)}: at revision {db.current_revision(engine)}")
    return EXIT_OK


def _db_current(args: argparse.Namespace) -> int:
    from tracertm import db

    engine = db.open_engine(args.database_url, migrate=False)
    revision = db.current_revision(engine)
    state = "head" if revision == db.SCHEMA_HEAD else ("empty" if revision is None else "needs upgrade")
    print(f"database: {db.redact(engine.url)}")
    print(f"revision: {revision or '-'} ({state})")
    return EXIT_OK


_REGISTRY: list[Callable[[argparse._SubParsersAction[_Parser]], None]] = [_register_db]


# ------------------------------------------------------------------------------------------------- dispatch


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see README, "Exit codes")."""
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv
    try:
        args = build_parser().parse_args(argv)
        handler: Handler = args.func
        return handler(args)
    except KeyboardInterrupt:
        print("tracertm: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except TracertmError as exc:
        if show_traceback:
            import traceback

            traceback.print_exc()
        print(f"tracertm: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the one place unexpected errors become exit 3
        if show_traceback:
            import traceback

            traceback.print_exc()
        else:
            first = (str(exc).strip().splitlines() or [""])[0]
            print(
                f"tracertm: internal error: {type(exc).__name__}: {first} (rerun with --traceback for details)",
                file=sys.stderr,
            )
        return EXIT_INTERNAL


def run() -> NoReturn:
    """Console-script entry point."""
    sys.exit(main())
