"""``tracertm hook install|uninstall|sync|check``: native git hooks (``tracertm.hooks``), what the sync hooks run,
and what the pre-commit framework's check hook runs. A hook-path verb (``cli._HOT``): this module imports only
argparse-level things at the top."""

from __future__ import annotations

import argparse
import sys

from tracertm.cli import EXIT_OK, _check, _check_database_url, _common, _hooked_gone, _Parser
from tracertm.cli.parsing import nonblank, nonblank_path
from tracertm.errors import TracertmError, UsageError


def register(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser("hook", help="install or remove native git hooks (check on commit, sync after)")
    actions = p.add_subparsers(dest="hook_verb", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    up = actions.add_parser("install",
                            help="check hooks (pre-commit, pre-merge-commit), plus sync hooks with --sync-on",
                            parents=[_common(True)])
    up.add_argument("path", nargs="?", metavar="PATH", type=nonblank_path("the current one"),
                    help="repository (default: the current one)")
    up.add_argument(
        "--sync-on", metavar="STAGES", type=nonblank("stage list"),
        help="comma-separated: post-commit,post-merge,post-checkout (or 'all'): sync HEAD into the database then",
    )
    up.add_argument("--no-check", action="store_true", help="no check hooks (pre-commit, pre-merge-commit)")
    up.set_defaults(func=_hook_install)
    down = actions.add_parser("uninstall", help="remove tracertm's hooks, restore the hooks they chained",
                              parents=[_common(True)])
    down.add_argument("path", nargs="?", metavar="PATH", type=nonblank_path("the current one"),
                      help="repository (default: the current one)")
    down.set_defaults(func=_hook_uninstall)
    sync = actions.add_parser(
        "sync", parents=[_common()],
        help="what the sync hooks run: 'sync --ref HEAD', quiet, and never failing the git command",
    )
    sync.add_argument("path", nargs="?", metavar="PATH", type=nonblank_path("the current one"),
                      help="repository (default: the current one)")
    sync.set_defaults(func=_hook_sync)
    # The pre-commit framework's tracertm-check hook (.pre-commit-hooks.yaml, pass_filenames: true): the framework
    # appends the files it runs the hook on, after the options of a user's `args:`. `check --staged` has a PATH
    # there, and sees only what the commit changes: under `pre-commit run --all-files` (pre-commit.ci, CI
    # actions) the index equals HEAD, and it passed a repository full of broken specs.
    check = actions.add_parser(
        "check", parents=[_common(True)],
        help="what the pre-commit framework's check hook runs: 'check --staged', and the files the framework names",
    )
    check.add_argument("files", nargs="*", metavar="FILE", type=nonblank("file name"),
                       help="files to report on too, as staged (pre-commit run --all-files names every file)")
    check.add_argument("--path", metavar="PATH", type=nonblank_path(),
                       help="the project's folder (default: the current repository)")
    check.add_argument("--format", choices=("text", "json", "github"), default="text")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write .git/tracertm-check-cache")
    check.set_defaults(func=_check, ref=None, staged=True, all_files=False, jobs=None, results=None)


def _hook_install(args: argparse.Namespace) -> int:
    from tracertm import hooks

    if args.no_check and args.sync_on is None:
        # Asked for no hook at all: it removed this project's hooks (an uninstall by another name), and where none
        # was there it printed nothing and exited 0, an install that installed nothing without a word.
        raise UsageError("--no-check: with no --sync-on there is no hook left to install; add --sync-on STAGES "
                         "(e.g. all), or run 'tracertm hook uninstall' to remove tracertm's hooks")
    for change in hooks.install(args.path, sync_on=args.sync_on, check=not args.no_check):
        print(change)
    return EXIT_OK


def _hook_sync(args: argparse.Namespace) -> int:
    """Post-commit/merge/checkout: a failure must not turn 'git checkout' into an error (git exits with the
    post-checkout hook's status), so spec errors and unusable databases are reported on stderr and exit 0. A
    rebase in progress is synced once, at its end (``hooks.passed_over``)."""
    from tracertm import fastpath, hooks

    if hooks.passed_over(args.path):
        return EXIT_OK

    try:
        _check_database_url(args)
    except TracertmError as exc:
        print(f"tracertm: hook sync skipped: {exc}", file=sys.stderr)
        return EXIT_OK
    noop = fastpath.attempt(args.path, ref="HEAD", database_url=args.database_url, trigger="hook")
    if isinstance(noop, fastpath.NoopSync):
        return EXIT_OK  # nothing changed; the run is recorded
    if noop.error is not None:  # a server that never answered: not waited for twice
        print(f"tracertm: hook sync skipped: {noop.error}", file=sys.stderr)
        return EXIT_OK
    from tracertm import output
    from tracertm.engine.identity import CONFIG_HINT, ProjectMismatchError
    from tracertm.engine.sync import sync

    try:
        result = sync(args.path, ref="HEAD", database_url=args.database_url, trigger="hook", scanned=noop.scanned)
    except ProjectMismatchError as exc:  # (``hook sync`` has no --project: the configuration names the project)
        print(f"tracertm: hook sync skipped: {exc.hinted(CONFIG_HINT)}", file=sys.stderr)
        return EXIT_OK
    except TracertmError as exc:  # (a hooked project moved away is said so, with the fix, not as a missing folder)
        print(f"tracertm: hook sync skipped: {_hooked_gone(args.path, staged=False) or exc}", file=sys.stderr)
        return EXIT_OK
    for diag in result.errors:
        print(output.diagnostic(diag), file=sys.stderr)
    return EXIT_OK


def _hook_uninstall(args: argparse.Namespace) -> int:
    from tracertm import hooks

    changes = hooks.uninstall(args.path)
    for change in changes:
        print(change)
    if not changes:
        print(f"no tracertm hooks in {hooks.hooks_dir(args.path)}")
    return EXIT_OK
