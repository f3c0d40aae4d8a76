"""Command line: argument parsing, dispatch and exit codes. The only module that calls ``sys.exit``.

Every verb is a thin shell over a library function; heavy modules are imported inside the handlers so that
``tracertm check`` in a pre-commit hook starts fast.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

from tracertm._version import __version__
from tracertm.cli.stdout import Guarded, OutputError, stand_in, unwritable
from tracertm.cli.stdout import gone as _stdout_gone
from tracertm.errors import TracertmError, UsageError
from tracertm.text import is_text, typed_arguments, unnamable_file

if TYPE_CHECKING:
    import argparse
    from types import FrameType

    from tracertm.cli.parsing import MAX_JOBS, bounded_float, bounded_int, nonblank, nonblank_path
    from tracertm.cli.parsing import _common as _common
    from tracertm.cli.parsing import _Parser as _Parser

EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
# SIGTERM (a plain ``kill``, a CI job's timeout): stopped as by Ctrl-C, exit 128 + SIGTERM as when the signal kills.
EXIT_TERMINATED = 143
# stdout closed under us (``tracertm check | head -1``): 128 + SIGPIPE, what git and coreutils exit with. Not 0:
# under ``set -o pipefail`` a failing check must not pass because its reader stopped early.

Handler = Callable[["argparse.Namespace"], int]
# The options and arguments that name files (a SQLite database's in a URL): kept as the bytes given, in any locale.
_FILE_NAMES = frozenset({"path", "repo", "workspaces", "files", "results", "output", "database_url"})

# Verbs that live in their own module of this package: each has ``register(verbs)`` adding its sub-parsers with
# ``set_defaults(func=handler)``. Such a module imports only argparse-level things at the top (start-up cost).
VERB_MODULES: tuple[str, ...] = (
    "records", "search", "serve", "token", "schema", "steps", "results", "coverage", "trace",
)


def _parsing() -> None:
    """Bind ``argparse``, ``_Parser`` and ``_common`` (``tracertm.cli.parsing``) into this module, for the code that
    builds parsers here and the verb modules that import them from here (``__getattr__``). Not at import: the
    pre-commit hook's command line is parsed without argparse (``_hook_args``)."""
    if "_Parser" not in globals():
        from tracertm.cli import parsing

        globals().update(argparse=parsing.argparse, _Parser=parsing._Parser, _common=parsing._common,
                         MAX_JOBS=parsing.MAX_JOBS, bounded_int=parsing.bounded_int,
                         bounded_float=parsing.bounded_float, nonblank=parsing.nonblank,
                         nonblank_path=parsing.nonblank_path)


def __getattr__(name: str) -> Any:
    if name in ("argparse", "_Parser", "_common"):
        _parsing()
        return globals()[name]
    raise AttributeError(f"module 'tracertm.cli' has no attribute {name!r}")


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``verb`` one of the hook-path verbs (``sync``, ``check``, ``hook``), only that
    verb's sub-parser: building and importing every other verb's costs a pre-commit hook more than its work.

    Built once per process and kept (parsing changes no parser): a program that calls ``main`` many times, a test
    suite, would otherwise build it for each call (15 ms, most of it argparse's message look-ups in gettext)."""
    return _built(verb if verb in _HOT else None)


@functools.cache
def _built(verb: str | None) -> argparse.ArgumentParser:
    _parsing()
    parser = _Parser(prog="tracertm", description="Git-native spec sync engine.", parents=[_common(True)])
    parser.add_argument("--version", action="version", version=f"tracertm {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=_Parser)
    verbs.required = True
    if verb in _HOT:
        _HOT[verb](verbs)
        return parser
    for register in _REGISTRY:
        register(verbs)
    for name in VERB_MODULES:
        import_module(f"tracertm.cli.{name}").register(verbs)
    return parser


def require_folder(path: str | None, what: str = "the path of a repository") -> None:
    """A PATH argument that names a file: say so. The library's own check says "no such folder" for anything that
    is not a folder, which sends the user looking for a typo in a path that exists."""
    if path is not None and os.path.exists(os.path.expanduser(path)) and not os.path.isdir(os.path.expanduser(path)):
        raise UsageError(f"{path}: not a folder; pass {what}")


def _hooked_gone(path: str | None, *, staged: bool = True) -> str | None:
    """``hooks.gone``: what a hook says of its project's folder when it is gone (its module not imported while the
    path is there: a hook's start stays short)."""
    if path is None or os.path.lexists(os.path.expanduser(path)):
        return None
    from tracertm.hooks import gone

    return gone(path, staged=staged)


def _verb(argv: Sequence[str]) -> str | None:
    """The verb of a command line: its first word that is not an option (top-level options take no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


# ------------------------------------------------------------------------------------------------------- db


def _register_db(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser("db", help="database schema: upgrade, current")
    actions = p.add_subparsers(dest="db_verb", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    up = actions.add_parser("upgrade", help="create or migrate the database schema", parents=[_common()])
    up.add_argument("--revision", default="head", type=nonblank("revision"), help="target revision (default: head)")
    up.set_defaults(func=_db_upgrade)
    cur = actions.add_parser("current", help="show the database and its schema revision", parents=[_common()])
    cur.set_defaults(func=_db_current)


def _db_upgrade(args: argparse.Namespace) -> int:
    from tracertm import db
    from tracertm.cli.records import open_database

    db.check_revision(args.revision)  # before the database file is made
    engine = open_database(args, create=True, migrate=False)
    db.upgrade(engine, args.revision)
    print(f"{db.redact(engine.url)}: at revision {db.current_revision(engine)}")
    return EXIT_OK


def _db_current(args: argparse.Namespace) -> int:
    from tracertm import db
    from tracertm.cli.records import NoDatabase, NotTracertmDatabase, open_database

    try:  # only shows: a SQLite file that is not there is not created (a mistyped path left a database behind)
        engine = open_database(args, migrate=False)
    except NoDatabase as missing:
        print(f"database: {missing.path} (no file: nothing created; 'tracertm db upgrade' or a sync creates it)")
        print("revision: - (empty)")
        return EXIT_OK
    except NotTracertmDatabase as foreign:  # an empty file, or another program's tables: shown, not refused
        print(f"database: {foreign.path} (not a tracertm database: {foreign.detail}; 'tracertm db upgrade' or a "
              "sync migrates tracertm's tables into it)")
        print("revision: - (no tracertm schema)")
        return EXIT_OK
    revision = db.current_revision(engine)
    state = db.revision_state(revision)
    if state == "older":
        state = "needs upgrade: tracertm db upgrade"
    elif revision is not None and state in ("newer", "unknown"):  # shown (exit 0) as every verb refuses it
        state = db.foreign_revision(revision)
    print(f"database: {db.redact(engine.url)}")
    print(f"revision: {revision or '-'} ({state})")
    return EXIT_OK


# ----------------------------------------------------------------------------------------------- sync/check


def _source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", metavar="PATH", type=nonblank_path(),
                   help="repository or folder (default: the current repository)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--ref", metavar="REF", help="read the files of this commit instead of the work tree")
    source.add_argument("--staged", action="store_true", help="read the index: what the next commit will contain")


def _register_sync(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser("sync", help="sync the spec files of a repository into the database", parents=[_common()])
    _source_options(p)
    p.add_argument("--project", metavar="NAME", type=nonblank("project name"),
                   help="project name (default: configuration, origin remote, folder)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    p.add_argument("--full", action="store_true", help="re-parse every file instead of trusting unchanged blob ids")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when the database differs from the source")
    p.add_argument(
        "--jobs", type=bounded_int(1, MAX_JOBS), metavar="N", help="parser processes (default: one per core)"
    )
    # The run's label (sync_runs.trigger: status, the dashboard, the API's sync runs), for a script of the user's
    # own: a hook manager's hook, a CI that sets no $CI, a file watcher (hook sync and watch pass theirs to the engine
    # themselves). Not "backfill": the history's merge takes a run of that trigger for a backfill's.
    p.add_argument("--trigger", choices=("cli", "hook", "ci", "watch"),
                   help="what the run is recorded as started by (default: ci where $CI is set, else cli)")
    p.set_defaults(func=_sync)


def _sync(args: argparse.Namespace) -> int:
    from tracertm import output

    require_folder(args.path)

    result: Any = None
    scanned = None
    if not args.full:
        # A no-op is proven and recorded without SQLAlchemy, the models or the parsers (tracertm.fastpath);
        # anything else falls through to the engine, which does what it always did.
        from tracertm import fastpath

        noop = fastpath.attempt(
            args.path, ref=args.ref, staged=args.staged, project=args.project, database_url=args.database_url,
            dry_run=args.dry_run, trigger=args.trigger, warnings_ok=args.format != "json",
        )
        if isinstance(noop, fastpath.NoopSync):
            result = noop
        elif noop.error is not None:
            raise noop.error
        else:
            scanned = noop.scanned  # (the engine does not read the repository again)
    if result is None:
        from tracertm.engine.sync import sync

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
            on_commit=_sync_committed,  # the moment it commits, not once its result is back (connections close)
            scanned=scanned,
        )
    _sync_committed()  # a SIGTERM from here on waits for the summary (see ``_stop_on_sigterm``)
    if not any(n for kind in ("adr", "contract", "feature") for action, n in result.counts[kind].items()
               if action != "deleted"):  # no such file gave a record or an error (the warning looks again)
        from tracertm.cli.no_specs import warning

        found = warning("sync", args.path, ref=args.ref, staged=args.staged, project=args.project)
        result.warnings[:0] = [found] if found is not None else []
    if args.format == "json":
        print(output.to_json(result.as_dict()))
    else:
        print(output.sync_summary(result))
        # Every warning, as check and --format json report them (a duplicate key is lost data): the fast path's
        # no-op carries the warnings stored with the files, the engine's result those it just found.
        for diag in [*result.errors, *result.links, *result.warnings]:
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
    p.add_argument(
        "--all", dest="all_files", action="store_true",
        help="with --staged: check every staged spec file, not only those the commit changes",
    )
    p.add_argument("--no-cache", action="store_true", help="neither read nor write .git/tracertm-check-cache")
    p.add_argument(
        "--jobs", type=bounded_int(1, MAX_JOBS), metavar="N", help="parser processes (default: one per core)"
    )
    p.add_argument(
        "--results", action="append", metavar="FILE", type=nonblank("report file"),
        help="test report(s): fail when a scenario with status approved has no passing result in them",
    )
    p.set_defaults(func=_check, files=[])  # (files: ``hook check``'s, the files the pre-commit framework names)


def _check(args: argparse.Namespace) -> int:
    import dataclasses

    from tracertm import output
    from tracertm.checker import check

    require_folder(args.path)
    moved = _hooked_gone(args.path) if args.staged else None  # (the commit holds nothing of it to check)
    if moved is not None:
        print(f"tracertm: warning: {moved}", file=sys.stderr)
        return EXIT_OK
    if args.all_files and not args.staged:
        # Without --staged every spec file is checked anyway; a silently ignored option hides a forgotten --staged.
        raise UsageError("--all: only with --staged (check every staged spec file); without --staged check reads "
                         "every spec file already")

    result = check(
        args.path, ref=args.ref, staged=args.staged, strict=args.strict, jobs=args.jobs,
        all_files=args.all_files, cache=not args.no_cache, files=args.files,
    )
    if result.spec_files == 0 and not args.staged:  # (not the pre-commit hook's: see tracertm.cli.no_specs)
        from tracertm.cli.no_specs import warning

        found = warning("check", args.path, ref=args.ref)
        if found is not None and args.strict:  # an error, as --strict makes every warning (result.ok says so)
            result.errors.insert(0, dataclasses.replace(found, severity="error"))
        elif found is not None:
            result.warnings.insert(0, found)
    reports: set[int] = set()  # the findings about a report file itself (one that does not parse)
    if args.results:
        from tracertm.errors import ParseError
        from tracertm.results.gate import approved_without_pass

        try:
            result.errors.extend(approved_without_pass(args.path, args.results, ref=args.ref, staged=args.staged))
        except ParseError as exc:  # a report that does not parse is a finding, in the format asked for
            result.errors.extend(exc.diagnostics)
            reports = {id(d) for d in exc.diagnostics}
    if args.format == "json":
        print(output.to_json(result.as_dict()))
    else:
        # GitHub resolves annotation paths from the top of the checkout, not from a sub-folder spec root; a text
        # finding names its file from the current folder when the project is in it, as a compiler's do.
        prefix = result.prefix if args.format == "github" else _from_here(args.path)
        for diag in [*result.errors, *result.warnings]:
            if args.format == "github" and id(diag) in reports:
                # A report is named as given on the command line (from the current folder), not from the root.
                print(output.diagnostic(dataclasses.replace(diag, path=_from_top(diag.path, args.path)), "github"))
            elif id(diag) in reports:
                print(output.diagnostic(diag, args.format))
            else:
                print(output.diagnostic(diag, args.format, prefix=prefix))
        if args.format == "text":
            print(
                f"{output.counted(result.files_checked, 'file')} checked, {result.files_parsed} parsed: "
                f"{output.counted(len(result.errors), 'error')}, {output.counted(len(result.warnings), 'warning')}",
                file=sys.stderr,
            )
    return EXIT_OK if result.ok else EXIT_SPEC_ERRORS


def _from_here(project: str | None) -> str:
    """What names the files of the project at ``project`` (an explicit PATH) from the current folder: its folder
    seen from here (``svc/`` for ``check svc`` at the top, which is how a hook checks each sub-folder project in
    turn — two ``features/pay.feature`` told nothing apart), or "" when it is here or not below here (the files
    then named from the project's root, as without a PATH)."""
    from pathlib import Path

    if project is None:
        return ""
    root, here = Path(os.path.realpath(project)), Path(os.path.realpath("."))
    return root.relative_to(here).as_posix() + "/" if root != here and root.is_relative_to(here) else ""


def _from_top(path: str, project: str | None) -> str:
    """A file named on the command line (relative to the current folder) as a path from the top of the
    repository of ``project``, where GitHub resolves annotations; a file outside the repository: its absolute
    path."""
    from pathlib import Path

    from tracertm.engine.scan import Location

    # (the folder's links resolved, as the top's are; a report that is a link is named as given)
    where = Path(os.path.realpath(os.path.dirname(os.path.abspath(path))), os.path.basename(path))
    top = Location.find(project).top
    if top is not None and where.is_relative_to(Path(os.path.realpath(top))):
        return where.relative_to(os.path.realpath(top)).as_posix()
    return str(where)


def _register_hook(verbs: argparse._SubParsersAction[_Parser]) -> None:
    import_module("tracertm.cli.hook").register(verbs)


_REGISTRY: list[Callable[[argparse._SubParsersAction[_Parser]], None]] = [
    _register_sync,
    _register_check,
    _register_hook,
    _register_db,
]
# Verbs a git hook runs, registered alone when the command line names them (see ``build_parser``).
_HOT = {"sync": _register_sync, "check": _register_check, "hook": _register_hook}


# ---------------------------------------------------------------------------------------------------- watch


def _register_watch(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser("watch", help="keep the database in sync as files change (daemon)", parents=[_common()])
    p.add_argument(
        "workspaces", nargs="*", metavar="WORKSPACE", type=nonblank("workspace", "or leave WORKSPACE out for ."),
        help="repositories or folders holding repositories (default: .)",
    )
    p.add_argument(
        "--debounce", type=bounded_float(0, 3_600_000), default=200, metavar="MS",
        help="quiet period before a sync (default: 200)",
    )
    p.add_argument(
        "--reconcile-every", type=bounded_float(0, 31_536_000, above=True), default=600, metavar="SECONDS",
        help="full reconcile period (default: 600)",
    )
    p.add_argument("--log-format", choices=("text", "json"), default="text", help="log lines (default: text)")
    p.add_argument("-v", "--verbose", action="store_true", help="also log retries and sync starts")
    p.set_defaults(func=_watch)


def _watch(args: argparse.Namespace) -> int:
    from tracertm.watcher import logs, watch

    from tracertm.db.failures import refuse_not_a_database
    from tracertm.db.urls import ENV_URL, _refuse_in_memory

    for workspace in args.workspaces:
        require_folder(workspace, "a repository or a folder holding repositories")
    # Checked once at the start, as every command that writes checks it: a URL of the command line or environment
    # that cannot be used (a scheme no driver has, an in-memory database) is no repository's to mend, and a daemon
    # that parked every repository on it would run on syncing nothing.
    given = args.database_url or os.environ.get(ENV_URL)
    if given:
        source = "--database-url" if args.database_url else f"${ENV_URL}"
        refuse_not_a_database(_refuse_in_memory(given, source), source)
    logs.configure(args.log_format, verbose=args.verbose)
    watch(
        args.workspaces,
        database_url=args.database_url,
        debounce_ms=args.debounce,
        reconcile_every=args.reconcile_every,
    )
    return EXIT_OK


_REGISTRY.append(_register_watch)


# ------------------------------------------------------------------------------------------------- backfill


def _register_backfill(verbs: argparse._SubParsersAction[_Parser]) -> None:
    from tracertm.history.results import MAX_BATCH_SIZE

    p = verbs.add_parser(
        "backfill", help="replay the first-parent history of a ref: one revision per change", parents=[_common()]
    )
    p.add_argument("path", nargs="?", metavar="PATH", type=nonblank_path(),
                   help="repository (default: the current repository)")
    p.add_argument("--ref", metavar="REF", type=nonblank("ref"),
                   help="walk the first-parent history of this ref (default: HEAD)")
    p.add_argument("--project", metavar="NAME", type=nonblank("project name"),
                   help="project name (default: configuration, origin remote, folder)")
    p.add_argument(
        "--resume", action="store_true", help="require an interrupted backfill to continue (it resumes by itself)"
    )
    p.add_argument(
        "--batch-size", type=bounded_int(1, MAX_BATCH_SIZE), metavar="N",
        help="commits per transaction and checkpoint, at most (default: $TRACERTM_BACKFILL_BATCH_SIZE or 1000)",
    )
    p.add_argument(
        "--jobs", type=bounded_int(1, MAX_JOBS), metavar="N", help="parser processes (default: one per core)"
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=_backfill)


def _backfill(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.cli.progress import BackfillProgress
    from tracertm.history.backfill import backfill

    require_folder(args.path)
    progress = None if args.quiet or args.format == "json" else BackfillProgress(sys.stderr)
    try:
        result = backfill(
            args.path,
            ref=args.ref,
            project=args.project,
            database_url=args.database_url,
            resume=args.resume,
            batch_size=args.batch_size,
            jobs=args.jobs,
            on_progress=progress,
        )
    except KeyboardInterrupt:
        if progress is not None:
            progress.close()
        how = "terminated" if _terminated else "interrupted"
        print(f"tracertm: backfill {how}; run it again to continue from its last checkpoint", file=sys.stderr)
        return EXIT_TERMINATED if _terminated else EXIT_INTERRUPTED
    if progress is not None:
        progress.close()
    if args.format == "json":
        print(output.to_json(result.as_dict()))
    else:
        for diag in result.warnings:  # (not summary: which project was written, said with --quiet too)
            print(output.diagnostic(diag), file=sys.stderr)
    if args.format != "json" and not args.quiet:
        print(
            f"backfill {result.project} at {result.ref} ({result.head[:12]}): "
            f"{output.counted(result.commits, 'commit')}, {output.counted(result.revisions, 'revision')}, "
            f"{output.counted(len(result.errors), 'error')} in {result.elapsed:.1f}s ({result.mode})"
        )
        if result.orphaned:
            n = result.orphaned
            print(f"note: the history of {result.ref} no longer holds {n} commit{'s' if n != 1 else ''} an earlier "
                  "backfill recorded (rewritten, or another branch); their revisions are kept and the new ones are "
                  "numbered after them", file=sys.stderr)
        for error in result.errors[:20]:
            print(f"{error.commit[:12]} {output.diagnostic(error.diagnostic)}", file=sys.stderr)
        if len(result.errors) > 20:
            print(f"... and {len(result.errors) - 20} more errors in older commits", file=sys.stderr)
    for diag in result.head_errors:
        print(f"at {result.ref}: {output.diagnostic(diag)}", file=sys.stderr)
    return EXIT_SPEC_ERRORS if result.head_errors else EXIT_OK


_REGISTRY.append(_register_backfill)


# ------------------------------------------------------------------------------------------------- dispatch


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see README, "Exit codes")."""
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv
    restore: Callable[[], object] | None = None
    stand_in()  # (started with stdout closed: it cannot be written, as on a full disk)
    stdout = sys.stdout
    if stdout is not None:
        sys.stdout = cast("TextIO", Guarded(stdout))
    args: argparse.Namespace | None = None
    try:
        args = _hook_args(argv) or build_parser(_verb(argv)).parse_args(argv)
        # (LC_ALL=C: see typed_arguments)
        vars(args).update(typed_arguments(vars(args), _FILE_NAMES, lambda dest: _option_name(argv, dest)))
        if _hook_check(args):
            _short_lived.append(True)  # see ``run``
        else:
            gc.enable()  # see ``run``
        if args.verb != "hook":  # (hook sync reports it its own way: it never fails git)
            _check_database_url(args)
        if not _short_lived and args.verb not in ("serve", "watch"):
            restore = _stop_on_sigterm()
        handler: Handler = args.func
        code = handler(args)
        # What is still buffered meets a full disk here, where it can be reported, not in the interpreter's flush
        # at exit ("Exception ignored", exit 120) or after ``os._exit`` (never: a silent 0).
        sys.stdout.flush()
        if _terminated:
            # Only a SIGTERM that came after the commit (``_committed``) let the handler run on: the database holds
            # the run. Before it, the signal raised KeyboardInterrupt, which a verb that stops on its own terms
            # caught and reported itself (``backfill``: "run it again to continue from its last checkpoint"); the
            # run is not in the database, and a second line saying it is would be false.
            if _committed:
                print("tracertm: terminated after the sync committed; the database holds this run",
                      file=sys.stderr)
            return EXIT_TERMINATED
        return code
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        print(f"tracertm: {'terminated' if _terminated else 'interrupted'}", file=sys.stderr)
        return EXIT_TERMINATED if _terminated else EXIT_INTERRUPTED
    except TracertmError as exc:
        if show_traceback:
            import traceback

            traceback.print_exc()
        print(_one_line_error(exc), file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return _stdout_gone()
    except OutputError as exc:
        return unwritable(exc, EXIT_USAGE)
    except UnicodeEncodeError as exc:
        unnamable = unnamable_file(exc)  # (a file git lists, named in UTF-8, under a Latin-1 locale)
        if unnamable is not None:
            print(f"tracertm: error: {unnamable}", file=sys.stderr)
            return EXIT_USAGE
        # An argument that is not UTF-8 (the shell passed bytes; Python keeps them as lone surrogates) reaches a
        # database or a git command as text it cannot hold: the user's to fix, not an internal error.
        odd = [arg for arg in argv if not is_text(arg)]
        if not odd or "surrogate" not in str(exc):
            return _internal(exc, show_traceback)
        shown = odd[0].encode("utf-8", "surrogateescape")
        print(f"tracertm: error: the argument {shown!r} is not valid UTF-8 text; pass ids and names as UTF-8",
              file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the one place unexpected errors become exit 3
        from tracertm.cli.database_errors import database_error

        found = database_error(exc, args)
        if found is not None:
            print(found.line, file=sys.stderr)
            return found.exit_code
        return _internal(exc, show_traceback)
    finally:
        if stdout is not None:
            sys.stdout = stdout
        if restore is not None:
            restore()
        _terminated.clear()
        _committed.clear()


_terminated: list[int] = []  # the signal that stopped the command (SIGTERM), set by ``_stop_on_sigterm``'s handler
# Set once a command's write has committed and only its report is left (``_sync``): a SIGTERM then no longer
# interrupts (there is nothing to roll back; a KeyboardInterrupt raised while it prints or while connections close
# only made "nothing written" untrue and printed tracebacks from finalizers): it is noted, the report finishes,
# and the command exits 143 saying the run is in the database.
_committed: list[bool] = []


def _sync_committed() -> None:
    """Note that the command's write has committed (``_committed``; once)."""
    if not _committed:
        _committed.append(True)


def _stop_on_sigterm() -> Callable[[], object] | None:
    """Make SIGTERM stop the command as Ctrl-C does (``KeyboardInterrupt``): the transaction in flight rolls back,
    the parse workers finish their chunk and exit, exit 143 — instead of the process vanishing mid-way with its
    pool. A second SIGTERM kills at once (the default action), for a caller that will not wait. Not for ``serve``
    (the server handles SIGTERM itself, then raises it again) nor ``watch`` (a first signal lets the sync in
    flight commit). Returns what puts the previous handler back; None off the main thread, where Python cannot
    set one (``main`` called from a thread)."""
    import signal

    def on_sigterm(signum: int, _frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _terminated.append(signum)
        if not _committed:
            raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread
        return None
    back = signal.SIG_DFL if previous is None else previous  # (None: a handler set outside Python)
    hook = sys.unraisablehook

    def unraisable(args: Any) -> None:
        """The handler's ``KeyboardInterrupt`` raised where Python ignores exceptions — a finalizer, a callback
        ``os.fork`` runs (the parse pool holds the signal while it forks: ``tracertm.signals.held``) — was
        printed as "Exception ignored" with its traceback, and lost: the command ran on and committed. The handler
        is armed again and run anew from a thread (``_thread.interrupt_main``: as if the signal came again), which
        lands in the main thread after this callback, at its next switch of threads (should it land in such a place
        again, it comes here again)."""
        if isinstance(args.exc_value, KeyboardInterrupt) and _terminated and not _committed:
            import _thread

            signal.signal(signal.SIGTERM, on_sigterm)
            # Not threading.Thread: its start() waits for the thread, which would interrupt this very hook.
            _thread.start_new_thread(_thread.interrupt_main, (signal.SIGTERM,))
            return
        hook(args)

    sys.unraisablehook = unraisable

    def restore() -> None:
        signal.signal(signal.SIGTERM, back)
        sys.unraisablehook = hook

    return restore


def _option_name(argv: Sequence[str], dest: str) -> str:
    """How the command line ``argv``'s parser names the value stored as ``dest``: its long option (``--any-tag``),
    or a positional's metavar (``QUERY``), as the other errors about a value name it."""
    import argparse

    parsers = [build_parser(_verb(argv))]
    while parsers:
        for action in parsers.pop()._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers += action.choices.values()
            elif action.dest == dest:
                longs = [o for o in action.option_strings if o.startswith("--")]
                return longs[0] if longs else str(action.metavar or dest.upper())
    return dest


def _check_database_url(args: argparse.Namespace) -> None:
    """``--database-url`` or ``$TRACERTM_DATABASE_URL``, for verbs that use a database, checked before any verb
    runs (``tracertm.config.check_url``); a URL written in a configuration file is checked where it is read."""
    if not hasattr(args, "database_url"):
        return  # check, steps, hook install...: no database (and the pre-commit hook imports nothing more)
    from tracertm.config import check_url

    if args.database_url is not None:
        check_url(args.database_url, "--database-url")
    elif os.environ.get("TRACERTM_DATABASE_URL"):
        check_url(os.environ["TRACERTM_DATABASE_URL"], "$TRACERTM_DATABASE_URL")


def _one_line_error(exc: TracertmError) -> str:
    """How the handler prints a ``TracertmError``: one line (a path in the message may hold a newline)."""
    from tracertm.output import one_line

    return one_line(f"tracertm: error: {exc}")


def _internal(exc: Exception, show_traceback: bool) -> int:
    """An unexpected error: one line (or the traceback with ``--traceback``), exit 3."""
    if show_traceback:
        import traceback

        traceback.print_exc()
    else:
        first = (str(exc).strip().splitlines() or [""])[0]
        print(f"tracertm: internal error: {type(exc).__name__}: {first} (rerun with --traceback for details)",
              file=sys.stderr)
    return EXIT_INTERNAL


def _hook_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The pre-commit hooks' own command lines (``hooks.script``: ``check --staged``; the pre-commit framework's
    ``hook check`` and the files it names) parsed without argparse: building the parser costs the hook about 2 ms,
    and its messages look up translations (``gettext``, ``locale``) for every help text. The values are what
    ``build_parser().parse_args`` gives (a test compares them); any other command line, even one meaning the same,
    goes through argparse."""
    argv = list(argv)
    if argv == ["check", "--staged"]:
        verb, files = {"verb": "check"}, []
    elif argv[:2] == ["hook", "check"] and all(name.strip() and not name.startswith("-") for name in argv[2:]):
        verb, files = {"verb": "hook", "hook_verb": "check"}, argv[2:]
    else:
        return None
    from types import SimpleNamespace  # (handlers read attributes; a test compares vars() with argparse's)

    return cast("argparse.Namespace", SimpleNamespace(
        **verb, path=None, ref=None, staged=True, format="text", strict=False, all_files=False,
        no_cache=False, jobs=None, results=None, files=files, func=_check,
    ))


def _hook_check(args: argparse.Namespace) -> bool:
    """``check --staged`` as a pre-commit hook runs it (``--all`` checks everything), and ``hook check``."""
    return (args.verb == "check" and args.staged and not args.all_files) or (
        args.verb == "hook" and args.hook_verb == "check")


_short_lived: list[bool] = []  # set by ``main`` for ``check --staged``


def run() -> NoReturn:
    """Console-script entry point.

    ``check --staged`` is a pre-commit hook: it lives for a tenth of a second, on every commit. Its garbage
    collector stays off (it makes no reference cycles worth collecting, while collection passes over the thousands
    of objects of its imports and of the check cache cost it 5 ms), and it ends without tearing the interpreter
    down (freeing every module and object one by one costs it 10 ms more): its output is flushed, its files and
    git processes are closed already, and it registers no exit handler. Every other command runs with the
    collector on and exits normally."""
    gc.disable()  # until the command line is parsed
    code = main()
    try:
        # Output still buffered (a pipe is block-buffered) meets a closed pipe here, not in ``main``.
        sys.stdout.flush()
    except BrokenPipeError:
        code = _stdout_gone()
    except OSError as exc:  # (output written after ``main`` let go of stdout: the same one line)
        refused = unwritable(OutputError("stdout", exc), EXIT_USAGE)
        code = code or refused
    except ValueError:  # a closed stdout: nothing to flush
        pass
    if _short_lived:
        try:
            sys.stderr.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more to say
            pass
        os._exit(code)
    _forget_unhandled_keyboard_interrupt()
    sys.exit(code)


def _forget_unhandled_keyboard_interrupt() -> None:
    """Let the exit code stand after a stop by SIGTERM or Ctrl-C that ``main`` handled. CPython (3.11) notes a
    KeyboardInterrupt leaving any string ``eval``/``exec`` as unhandled, even when caught further up, and then ends
    the process by SIGINT instead of its ``sys.exit`` (143 became a death by SIGINT: a signal landing while
    SQLAlchemy evaluates a model's annotations, or ``namedtuple`` builds a class, on import). Each string ``exec``
    starts by clearing that note, so a trivial one clears it; every KeyboardInterrupt of a command is caught by
    ``main``, which has reported it."""
    exec("pass", {})  # noqa: S102 - a constant: only its side effect on the interpreter's note counts
