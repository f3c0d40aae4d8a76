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


def _common(traceback_only: bool = False) -> _Parser:
    common = _Parser(add_help=False)
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


# ----------------------------------------------------------------------------------------------- sync/check


def _source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", metavar="PATH", help="repository or folder (default: the current repository)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--ref", metavar="REF", help="read the files of this commit instead of the work tree")
    source.add_argument("--staged", action="store_true", help="read the index: what the next commit will contain")


def _register_sync(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser("sync", help="sync the spec files of a repository into the database", parents=[_common()])
    _source_options(p)
    p.add_argument("--project", metavar="NAME", help="project name (default: configuration, origin remote, folder)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    p.add_argument("--full", action="store_true", help="re-parse every file instead of trusting unchanged blob ids")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when the database differs from the source")
    p.add_argument("--jobs", type=int, metavar="N", help="parser processes (default: one per core)")
    p.add_argument("--trigger", choices=("cli", "hook", "ci", "watch"), help=argparse.SUPPRESS)
    p.set_defaults(func=_sync)


def _sync(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.sync.engine import sync

    result = sync(
        args.path,
        ref=args.ref,
        staged=args.staged,
        project=args.project,
        database_url=args.database_url,
        dry_run=args.dry_run,
        full=args.full,
        trigger=args.trigger,
        jobs=args.jobs,
    )
    if args.format == "json":
        print(output.to_json(result.as_dict()))
    else:
        print(output.sync_summary(result))
        for diag in result.errors:
            print(output.diagnostic(diag), file=sys.stderr)
    if result.errors:
        return EXIT_SPEC_ERRORS
    if args.exit_code and result.changed:
        return EXIT_SPEC_ERRORS
    return EXIT_OK


def _register_check(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser("check", help="validate spec files (no database needed)", parents=[_common(True)])
    _source_options(p)
    p.add_argument("--format", choices=("text", "json", "github"), default="text")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--jobs", type=int, metavar="N", help="parser processes (default: one per core)")
    p.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.check import check

    result = check(args.path, ref=args.ref, staged=args.staged, strict=args.strict, jobs=args.jobs)
    if args.format == "json":
        print(output.to_json(result.as_dict()))
    else:
        for diag in [*result.errors, *result.warnings]:
            print(output.diagnostic(diag, args.format))
        if args.format == "text":
            print(
                f"{result.files_checked} files checked: {len(result.errors)} errors, {len(result.warnings)} warnings",
                file=sys.stderr,
            )
    return EXIT_OK if result.ok else EXIT_SPEC_ERRORS


# ------------------------------------------------------------------------------------------------- queries


def _register_queries(verbs: argparse._SubParsersAction[_Parser]) -> None:
    def project_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--project", metavar="NAME", help="project (default: this repository's, or the only one)")
        p.add_argument("--path", metavar="PATH", help="repository whose project to use (default: current folder)")

    p = verbs.add_parser("status", help="project, last sync, counts, files in error", parents=[_common()])
    project_options(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_status)

    p = verbs.add_parser("list", help="list adrs, contracts, features or scenarios", parents=[_common()])
    p.add_argument("kind", metavar="KIND", choices=("adrs", "contracts", "features", "scenarios", "adr", "contract",
                                                     "feature", "scenario"))
    project_options(p)
    p.add_argument("--status", help="only records with this status")
    p.add_argument("--tag", help="only records with this tag")
    p.add_argument("--include-deleted", action="store_true", help="include soft-deleted records")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_list)

    p = verbs.add_parser("show", help="one record: fields, source path, version", parents=[_common()])
    p.add_argument("id", metavar="ID", help="ADR-0003, CTR-0001, a feature or scenario number")
    project_options(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_show)

    p = verbs.add_parser("history", help="every revision of one record", parents=[_common()])
    p.add_argument("id", metavar="ID")
    project_options(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_history)


def _open_project(args: argparse.Namespace) -> tuple[object, object]:
    """A read session and the project the query is about."""
    from tracertm import db, queries
    from tracertm.config import load_settings
    from tracertm.sync.engine import project_name
    from tracertm.sync.scan import Location

    derived: str | None = None
    configured: str | None = None
    try:
        location = Location.find(args.path)
        settings = load_settings(location.root)
        derived, configured = project_name(location, settings), settings.database_url
    except UsageError:
        if args.path:
            raise
    engine = db.open_engine(args.database_url, configured)
    session = db.session(engine)
    return session, queries.resolve_project(session, args.project, derived)


def _status(args: argparse.Namespace) -> int:
    from tracertm import output, queries

    session, project = _open_project(args)
    info = queries.status(session, project)  # type: ignore[arg-type]
    if args.format == "json":
        print(output.to_json(info))
        return EXIT_OK
    run = info["last_run"]
    print(f"project:     {info['project']}")
    print(f"last sync:   {info['last_synced_at'] or 'never'}" + (f" ({run['trigger']}, {run['status']})" if run else ""))
    print(f"last commit: {info['last_synced_commit'] or '-'}")
    rows = [[output.KIND_LABELS[k], c["live"], c["deleted"]] for k, c in info["counts"].items()]
    print(output.table(rows, ["", "live", "deleted"], right=(1, 2)))
    if info["files_in_error"]:
        print("files in error:")
        for f in info["files_in_error"]:
            print(f"  {f['path']}:{f.get('line', 0)}:{f.get('column', 0)}: {f.get('message', '')}")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from tracertm import output, queries

    session, project = _open_project(args)
    kind = queries.KIND_ALIASES[args.kind]
    items = queries.list_records(
        session, project, kind, status=args.status, tag=args.tag, include_deleted=args.include_deleted  # type: ignore[arg-type]
    )
    if args.format == "json":
        print(output.to_json(items))
        return EXIT_OK
    headers = ["feature", "id", "title", "status", "v", "path"] if kind == "scenario" else ["id", "title", "status", "v", "path"]
    rows = []
    for item in items:
        status = item["status"] + (" (deleted)" if item["deleted"] else "")
        row = [item["id"], _clip(item["title"]), status, item["version"], item["path"]]
        rows.append([item["feature"], *row] if kind == "scenario" else row)
    print(output.table(rows, headers) if rows else f"no {output.KIND_LABELS[kind]}")
    return EXIT_OK


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _show(args: argparse.Namespace) -> int:
    import json

    from tracertm import output, queries

    session, project = _open_project(args)
    kind, row = queries.find_record(session, project, args.id)  # type: ignore[arg-type]
    fields = queries.record_fields(kind, row)
    if args.format == "json":
        print(output.to_json(fields))
        return EXIT_OK
    for key, value in fields.items():
        if value in (None, [], {}, ""):
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ", ".join(value)
        elif isinstance(value, (list, dict)):
            value = json.dumps(value, ensure_ascii=False)
        text = str(value)
        if "\n" in text:
            print(f"{key}:")
            print("\n".join("  " + line for line in text.splitlines()))
        else:
            print(f"{key}: {text}")
    return EXIT_OK


def _history(args: argparse.Namespace) -> int:
    from tracertm import output, queries

    session, project = _open_project(args)
    kind, row = queries.find_record(session, project, args.id)  # type: ignore[arg-type]
    revisions = queries.history(session, project, kind, row)  # type: ignore[arg-type]
    if args.format == "json":
        print(output.to_json(revisions))
        return EXIT_OK
    rows = [
        [r["version"], r["change"], (r["commit"] or "")[:12] or "-", r["author"] or "-", r["date"], r["path"]]
        for r in revisions
    ]
    print(output.table(rows, ["v", "change", "commit", "author", "date", "path"], right=(0,)))
    return EXIT_OK


_REGISTRY: list[Callable[[argparse._SubParsersAction[_Parser]], None]] = [
    _register_sync,
    _register_check,
    _register_queries,
    _register_db,
]


# ---------------------------------------------------------------------------------------------------- watch


def _register_watch(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser("watch", help="keep the database in sync as files change (daemon)", parents=[_common()])
    p.add_argument(
        "workspaces", nargs="*", metavar="WORKSPACE", help="repositories or folders holding repositories (default: .)"
    )
    p.add_argument(
        "--debounce", type=float, default=200, metavar="MS", help="quiet period before a sync (default: 200)"
    )
    p.add_argument(
        "--reconcile-every", type=float, default=600, metavar="SECONDS", help="full reconcile period (default: 600)"
    )
    p.add_argument("--log-format", choices=("text", "json"), default="text", help="log lines (default: text)")
    p.add_argument("-v", "--verbose", action="store_true", help="also log retries and sync starts")
    p.set_defaults(func=_watch)


def _watch(args: argparse.Namespace) -> int:
    from tracertm.watch import logs, watch

    logs.configure(args.log_format, verbose=args.verbose)
    watch(
        args.workspaces,
        database_url=args.database_url,
        debounce_ms=args.debounce,
        reconcile_every=args.reconcile_every,
    )
    return EXIT_OK


_REGISTRY.append(_register_watch)


# ------------------------------------------------------------------------------------------------- dispatch


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see README, "Exit codes")."""
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv
    try:
        args = build_parser().parse_args(argv)
        handler: Handler = args.func
        return handler(args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
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
