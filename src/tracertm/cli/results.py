"""``tracertm results import|list|runs|unmatched|prune``: test reports into the database, and back out."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

from tracertm.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

FORMAT_CHOICES = ("auto", "junit", "cucumber-json", "cucumber-messages")
STATUS_CHOICES = ("passed", "failed", "skipped", "undefined", "pending", "error")


def register(verbs: Any) -> None:
    from tracertm.cli import _common
    from tracertm.cli.parsing import MAX_BYTES, bounded_int, nonblank
    from tracertm.config import MAX_RESULTS_WINDOW

    p = verbs.add_parser("results", help="test results: import reports, list runs and results, prune")
    actions = p.add_subparsers(dest="results_verb", metavar="ACTION", parser_class=type(p))
    actions.required = True

    imp = actions.add_parser("import", parents=[_common()],
                             help="import JUnit XML / Cucumber JSON / Cucumber Messages reports as one run")
    imp.add_argument("files", nargs="+", metavar="FILE", type=nonblank("report file", ""),
                     help="report files (one format per import)")
    imp.add_argument("--format", dest="report_format", choices=FORMAT_CHOICES, default="auto")
    imp.add_argument("--commit", metavar="SHA", type=nonblank("commit"),
                     help="commit the tests ran against (default: $GITHUB_SHA, $CI_COMMIT_SHA, then HEAD)")
    imp.add_argument("--run-name", metavar="NAME", type=nonblank("run name"),
                     help="a name for the run (default: the report's suite name)")
    imp.add_argument("--window", type=bounded_int(1, MAX_RESULTS_WINDOW), metavar="N",
                     help="runs that pass_rate covers (default: results_window in the configuration, else 20)")
    imp.add_argument("--max-size", type=bounded_int(1, MAX_BYTES), metavar="BYTES",
                     help="refuse reports larger than this (default: 64 MiB), before reading them")
    _project_option(imp)
    imp.add_argument("--output", choices=("text", "json"), default="text")
    imp.set_defaults(func=_import)

    lst = actions.add_parser("list", parents=[_common()], help="results of the newest run (or since a date)")
    lst.add_argument("--status", choices=STATUS_CHOICES, help="only results with this status")
    lst.add_argument("--since", metavar="DATE", type=nonblank("date"),
                     help="runs imported on or after DATE (YYYY-MM-DD or ISO time)")
    lst.add_argument("--limit", type=bounded_int(1, 500), metavar="N",
                     help="results per page (default and maximum: 500; with --cursor: the cursor's own)")
    lst.add_argument("--cursor", type=nonblank("cursor"), help="the next page of a previous list (printed on stderr)")
    _project_option(lst)
    lst.add_argument("--output", choices=("text", "json"), default="text")
    lst.set_defaults(func=_list)

    runs = actions.add_parser("runs", parents=[_common()], help="imported runs, newest first")
    runs.add_argument("--since", metavar="DATE", type=nonblank("date"), help="runs imported on or after DATE")
    _project_option(runs)
    runs.add_argument("--output", choices=("text", "json"), default="text")
    runs.set_defaults(func=_runs)

    un = actions.add_parser("unmatched", parents=[_common()], help="test cases linked to no scenario")
    _project_option(un)
    un.add_argument("--output", choices=("text", "json"), default="text")
    un.set_defaults(func=_unmatched)

    pr = actions.add_parser("prune", parents=[_common()], help="keep only the newest N runs of the project")
    # An OFFSET in SQL: SQLite refuses numbers past 2**63-1; no project keeps a billion runs.
    pr.add_argument("--keep", type=bounded_int(0, 1_000_000_000), required=True, metavar="N")
    _project_option(pr)
    pr.set_defaults(func=_prune)


def _project_option(p: argparse.ArgumentParser) -> None:
    from tracertm.cli.parsing import nonblank

    p.add_argument("--project", metavar="NAME", type=nonblank("project name"),
                   help="project (default: this repository's, or the only one)")
    p.add_argument("--path", metavar="PATH", type=nonblank("path"),
                   help="repository (or sub-folder) whose project and configuration to use (default: current folder)")


class _Context(NamedTuple):
    """What a results verb finds at ``--path`` or around the current folder: the database's engine, the project's
    name (``--project``, else the folder's; None outside any repository with no PATH), the configuration (None
    outside any repository), the folder the project is derived from (named in "run 'tracertm sync FOLDER' first",
    as ``status`` names it), the repository's identity, by which its project is told as ``status`` tells it
    (``repository_identity``), and the top of its work tree (None outside git)."""

    engine: Any
    derived: str | None
    settings: Any
    path: str | None
    identity: Any
    top: Path | None


def _context(args: argparse.Namespace) -> _Context:
    """The engine, project and configuration of ``--path`` (a sub-folder project's own configuration, its
    ``database_url`` too, as ``sync PATH`` reads it), else of the repository around the current folder
    (``_Context``)."""
    from tracertm.engine.naming import project_name

    from tracertm.cli import require_folder
    from tracertm.cli.records import open_existing_engine, repository_identity, repository_settings

    require_folder(args.path)
    settings = None
    derived = args.project
    path: str | None = args.path
    identity = None
    top = None
    found = repository_settings(args.path)
    if found:
        location, settings = found
        top = location.top
        name = None
        if top is not None:
            name, identity = repository_identity(location, settings)
        # As ``open_project``: only outside any repository with no PATH is there no name to derive.
        if args.path or top is not None:
            path = args.path or str(location.root)
            if not derived:
                derived = name or project_name(location, settings)
    configured, config_file = (settings.database_url, settings.source) if settings else (None, None)
    engine = open_existing_engine(args.database_url, configured, config_file)
    return _Context(engine, derived, settings, path, identity, top)


def _project(context: _Context, explicit: str | None) -> tuple[Any, Any]:
    """A session and the project a verb is about (``explicit``: ``--project``); an unknown one names the folder to
    sync (``Projects.resolve``)."""
    from tracertm import db
    from tracertm.repositories import Projects

    session = db.session(context.engine)
    try:
        return session, Projects(session).resolve(explicit, context.derived, path=context.path,
                                                   identity=context.identity)
    except BaseException:
        session.close()
        raise


def default_commit(option: str | None, top: Path | None) -> tuple[str | None, str]:
    """``--commit``, then ``$GITHUB_SHA`` / ``$CI_COMMIT_SHA``, then HEAD of the repository ``top`` (``--path``'s,
    or the one around the current folder), else None (results are still imported; lines are then matched against the
    scenarios as they are); with where it came from (``--commit``, ``$GITHUB_SHA``..., ``HEAD``), for an error about
    it."""
    if option:
        return option, "--commit"
    for variable in ("GITHUB_SHA", "CI_COMMIT_SHA"):
        if os.environ.get(variable):
            return os.environ[variable], f"${variable}"
    from tracertm import git

    return (git.head_commit(top) if top is not None else None), "HEAD"


def _import(args: argparse.Namespace) -> int:
    from tracertm import git, output
    from tracertm.errors import GitError
    from tracertm.results.store import import_results
    from tracertm.results.report import DEFAULT_MAX_REPORT_SIZE
    from tracertm.results.stats import DEFAULT_WINDOW

    context = _context(args)
    engine = context.engine
    top = context.top
    session, project = _project(context, args.project)
    with session:
        root, settings = _project_folder(context, session, project)
    commit, origin = default_commit(args.commit, top)
    resolved = False
    if commit and top is not None:
        try:
            commit = git.resolve_commit(top, commit)  # a short sha or a ref → the full commit id
            resolved = True
        except GitError:
            pass  # a commit this clone does not have is still a valid label for the run
    if origin.startswith("$") and commit:
        from tracertm.results.runs import held_commit, is_full_commit
        from tracertm.results.store import check_options

        try:
            check_options(commit, None, 1, 1)  # the commit alone; its message would name --commit, not given
        except UsageError:
            raise UsageError(f"{origin}={commit!r}: not a commit id (4 to 64 hex digits); fix or unset {origin}, or "
                             "pass --commit SHA") from None
        # An abbreviation the repository did not resolve, or the id of another object than a commit: import_results
        # would refuse it naming --commit, which the user never typed; name the variable it came from instead.
        variable = origin[1:]
        if is_full_commit(commit) and top is not None and not resolved:
            held_commit(commit.lower(), top, f"{variable}={commit}",
                        f"fix or unset {variable}, or pass --commit SHA")
        if not is_full_commit(commit):
            if top is None:
                raise UsageError(f"{variable}={commit} is an abbreviated commit id and no repository is around the "
                                 f"current folder to resolve it; set {variable} to the full id, unset it, or pass "
                                 "--commit SHA")
            raise UsageError(f"{variable}={commit} is not a commit of this repository; fetch it, fix or "
                             f"unset {variable}, or pass --commit SHA")
    # Given is given: 0 is refused (import_results names the option), not taken for "unset".
    window = args.window if args.window is not None else _configured_window(settings) or DEFAULT_WINDOW
    max_size = args.max_size if args.max_size is not None else DEFAULT_MAX_REPORT_SIZE
    pattern = settings.parser.scenario_id_pattern if settings else r"SC-\d+"
    if root is None and top is not None and commit:
        commit = _resolved(commit, top, args.run_name, window, max_size)
    summary = import_results(
        engine, project.name, args.files, fmt=args.report_format, commit=commit, run_name=args.run_name,
        repo=root, window=window, id_pattern=pattern, max_size=max_size,
        lock_timeout=settings.lock_timeout if settings else None,
    )
    _warn(summary)  # on stderr in both outputs: JSON's stdout is for its reader, the warnings for the user
    if args.output == "json":
        print(output.to_json(summary.as_dict()))
        return 0
    run = str(summary.run_id)[:8] if summary.run_id else "-"
    if summary.duplicate:  # each file's own run: the files of one import may have gone into several
        held = "; ".join(f"{', '.join(earlier.files)}: already imported as run {str(earlier.run_id)[:8]}"
                         for earlier in summary.earlier_runs)
        print(f"{held}; nothing added")
        return 0
    if summary.skipped:
        print(f"{', '.join(summary.skipped)}: already imported; skipped")
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary.statuses.items())) or "no results"
    m = summary.matched
    print(
        f"imported {summary.total} results into run {run} of {summary.project}"
        f" at {(summary.commit or 'no commit')[:12]}: {statuses}"
    )
    print(
        f"matched {sum(m.values())} (tag {m['tag']}, line {m['line']}, name {m['name']}); unmatched "
        f"{summary.unmatched} ({summary.ambiguous} ambiguous); {summary.test_cases_created} new test cases; "
        f"{summary.scenarios_updated} scenarios updated"
    )
    if summary.merged:  # a report of several tests of one name would otherwise shrink without a word
        print(f"{summary.reported} test reports: {_folded(summary.merged - summary.namesakes, summary.namesakes)}")
    return 0


def _warn(summary: Any) -> None:
    """The import's warnings on stderr, one a line: a run that failed outside its tests, a run time without a
    time zone."""
    from tracertm import output

    for failure in summary.run_failures:  # no result says it: a run whose BeforeAll failed ran no test at all
        # A stream cut off in a scenario says itself that the scenario is recorded as an error.
        note = "" if failure in summary.run_failures_shown else (" (the run failed outside its tests; no scenario's "
                                                                  "result shows it)")
        print(output.one_line(f"warning: {failure}{note}"), file=sys.stderr)
    for file, stamp in summary.zoneless_times.items():  # read as UTC: hours off for a runner that wrote local time
        print(f"warning: {file}: the run's time {stamp} names no time zone and was read as UTC; if the tests ran "
              "in another zone their time is off by its offset: run them with TZ=UTC, or use a runner that writes "
              "the offset (pytest 8.3 and later)", file=sys.stderr)


def _folded(reruns: int, namesakes: int) -> str:
    """What the import did with the test reports it did not store as results of their own: reruns (the last that ran
    decides) and behave's scenarios named like another of their feature (the worse decides: no rerun, no flaky)."""
    # (a skipped report after one that ran decides nothing: a failure then a skipped retry stays failed)
    said = [f"{reruns} counted as reruns of a test reported again (its last report that ran decides; earlier "
            "failures make it flaky)"] if reruns else []
    if namesakes:
        said.append(f"{namesakes} of a scenario sharing its name with another of its feature (behave writes them "
                    "under one name): one result for them, the worse, not a rerun")
    return "; ".join(said)


def _project_folder(context: _Context, session: Any, project: Any) -> tuple[Path | None, Any]:
    """The folder of the repository ``context.top`` (``--path``'s, or around the current folder) holding
    ``project``'s specs, where its feature files are read (``project_root.spec_root``: a sub-folder for a project
    synced from one, ``tracertm sync pay``), and its configuration there (its id pattern, results window, lock
    timeout: a sub-folder's own, not the top's). None outside a repository, or when the project is not found in it
    (another repository's, or two folders that hold its files alike): no folder is guessed, and the configuration is
    the one ``_context`` found."""
    if context.top is None:
        return None, context.settings
    from tracertm.config import load_settings
    from tracertm.project_root import spec_root

    root = spec_root(context.top, session, project)
    return root, (load_settings(root) if root is not None else context.settings)


def _resolved(commit: str, top: Path, run_name: str | None, window: int, max_size: int) -> str:
    """``commit`` resolved as ``import_results`` resolves it through a repository (``runs.commit_id``), for an import
    that passes it none (its project's folder is not known): an abbreviation this clone does not resolve is refused
    naming the repository, not as one with no repository to resolve it."""
    from tracertm.results.runs import commit_id
    from tracertm.results.store import check_options

    check_options(commit, run_name, window, max_size)  # first, as the import checks them
    return commit_id(commit, top) or commit


def _configured_window(settings: Any) -> int | None:
    """``results_window`` from the repository configuration (checked when it was loaded)."""
    return settings.results_window if settings is not None else None


def parse_since(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
        return when.astimezone(dt.timezone.utc) if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise UsageError(f"--since {value}: not a date; use YYYY-MM-DD or an ISO time") from None
    except OverflowError:  # its UTC value is outside years 1 to 9999
        raise UsageError(f"--since {value}: outside years 1 to 9999 in UTC") from None


def _list(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.cli.records import next_page_command, option_error
    from tracertm.results.pages import listed_dict, results_page

    session, project = _project(_context(args), args.project)
    with session:
        try:
            page = results_page(session, project, status=args.status, since=parse_since(args.since),
                                limit=args.limit, cursor=args.cursor)
        except UsageError as exc:  # (the query layer names the API's cursor parameter; here it is --cursor)
            raise option_error(exc) from None
        items = [listed_dict(row) for row in page.rows]
    if page.next_cursor:
        more = next_page_command(args, ["results", "list"], project.name, page.next_cursor, ("--output", args.output))
        print(f"more: {more}", file=sys.stderr)
    if args.output == "json":
        print(output.to_json(items))
        return 0
    rows = [[(i["imported_at"] or "")[:19], (i["commit"] or "-")[:12], i["status"], _clip(i["test"]),
             (i["scenario"] or "-") + (f" #{i['row']}" if i["row"] else ""),
             _clip(output.message_text(i["message"] or ""), 50)]
            for i in items]
    print(output.table(rows, ["imported", "commit", "status", "test", "scenario", "message"]) if rows
          else "no results")
    return 0


def _runs(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.results.queries import list_runs
    from tracertm.results.store import RUN_FAILURES

    session, project = _project(_context(args), args.project)
    with session:
        items = list_runs(session, project, since=parse_since(args.since))
    if args.output == "json":
        print(output.to_json(items))
        return 0
    rows = [[r["id"][:8], (r["imported_at"] or "")[:19], (r["commit"] or "-")[:12], r["format"], r["name"] or "-",
             r["counts"].get("total", 0), r["counts"].get("passed", 0),
             sum(r["counts"].get(s, 0) for s in ("failed", "error", "undefined", "pending"))]
            for r in items]
    print(output.table(rows, ["run", "imported", "commit", "format", "name", "tests", "passed", "failing"],
                       right=(5, 6, 7)) if rows else "no runs")
    for r in items:  # what no count shows: the run failed outside its tests
        for failure in r["counts"].get(RUN_FAILURES, ()):
            print(output.one_line(f"run {r['id'][:8]} failed outside its tests: {failure}"))
    return 0


def _unmatched(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.results.queries import unmatched

    session, project = _project(_context(args), args.project)
    with session:
        items = unmatched(session, project)
    if args.output == "json":
        print(output.to_json(items))
        return 0
    rows = [[_clip(i["test"], 70), i["last_status"] or "-", (i["last_executed_at"] or "")[:19]] for i in items]
    print(output.table(rows, ["test", "last status", "last run"]) if rows else "every test case maps to a scenario")
    return 0


def _prune(args: argparse.Namespace) -> int:
    from tracertm import db
    from tracertm.results.queries import prune

    context = _context(args)
    engine = context.engine
    probe, project = _project(context, args.project)
    with probe:
        _root, settings = _project_folder(context, probe, project)
    window = _configured_window(settings) or 20
    from tracertm.repositories import Projects

    from tracertm.config import DEFAULT_LOCK_TIMEOUT_S

    timeout = settings.lock_timeout if settings else DEFAULT_LOCK_TIMEOUT_S
    from sqlalchemy import func, select

    from tracertm.models import TestRun

    with db.write_session(engine, project.name, timeout) as session:
        locked = Projects(session).resolve(project.name)
        deleted = prune(session, locked, args.keep, window)
        # The runs left, not --keep: of 2 runs, --keep 100 keeps 2 (the line said "kept the newest 100").
        kept = session.execute(select(func.count()).where(TestRun.project_id == locked.id)).scalar_one()
    print(f"pruned {deleted} run{'' if deleted == 1 else 's'} of {project.name}; kept the newest {kept}")
    return 0


def _clip(text: str, width: int = 60) -> str:
    from tracertm import output

    return output.clip(text, width)
