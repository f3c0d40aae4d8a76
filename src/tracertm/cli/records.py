"""``tracertm status|list|show|history``: the repositories, printed as text tables or as the API's read models."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tracertm.cli import EXIT_OK, _common, _Parser
from tracertm.cli.parsing import bounded_int, nonblank
from tracertm.errors import Diagnostic, GitError, UsageError
from tracertm.timetext import json_time

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from tracertm.config import Settings
    from tracertm.engine.identity import RepoIdentity
    from tracertm.engine.scan import Location
    from tracertm.models import Project

# Every kind by its plural (README's) or its singular, as ``repositories.kind`` reads them (a test compares them):
# the singulars stopped at scenario, and 'list step-definition' / 'list test-case' were invalid choices.
KIND_WORDS = ("adrs", "contracts", "features", "scenarios", "step-definitions", "test-cases",
              "adr", "contract", "feature", "scenario", "step-definition", "test-case")

# The query layer (``Records.list``, ``ListFilter``, ``Cursor``, ``search``) is shared with the API and names the
# API's parameters in its usage errors (``sort 'x': ...``); on the command line the same error names the option the
# user typed. One table for ``list`` and ``search``, so a new parameter gets its option name in both.
OPTION_OF_PARAMETER = {
    "status": "--status", "tag": "--tag", "any_tag": "--any-tag", "type": "--type", "text": "--text",
    "changed_since": "--changed-since", "path": "--source-prefix", "related_adr": "--related-adr",
    "feature": "--feature", "sort": "--sort", "limit": "--limit", "cursor": "--cursor",
    "include_deleted": "--include-deleted", "kind": "--kind",
}


def option_error(exc: UsageError, options: dict[str, str] | None = None) -> UsageError:
    """``exc`` with the API parameter its message starts with (``sort 'x': ...``, ``cursor: ...``) replaced by the
    command line's option (``options``, default ``OPTION_OF_PARAMETER``); any other error as it is. A time whose
    offset's ``+`` became a space gets the command line's advice, not the query string's ``%2B``."""
    import re

    from tracertm.repositories.changed_since import SpacedOffset

    table = OPTION_OF_PARAMETER if options is None else options
    if isinstance(exc, SpacedOffset):
        exc = UsageError(exc.command_line)
    message = str(exc)
    head = re.match(r"([a-z_]+)(?=[ :])", message)
    if head is None or head.group(1) not in table:
        return exc
    return UsageError(table[head.group(1)] + message[head.end():])


def nonblank_items(what: str) -> Callable[[str], str]:
    """An argparse ``type`` for a comma-separated option (``--status a,b``): ``nonblank``, and no empty item either
    (``--sort=,`` or ``a,,b``); the query layer drops empty items, so it would otherwise run as if the option, or
    that value, were not given."""
    check = nonblank(what)

    def items(value: str) -> str:
        check(value)
        if any(not part.strip() for part in value.split(",")):
            raise argparse.ArgumentTypeError(f"empty item in {value!r}; separate each {what} from the next by one "
                                             "comma")
        return value

    return items


def register(verbs: argparse._SubParsersAction[_Parser]) -> None:
    def project_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--project", metavar="NAME", type=nonblank("project name"),
                       help="project (default: this repository's, or the only one)")
        p.add_argument("--path", metavar="PATH", type=nonblank("path"),
                       help="repository whose project to use (default: current folder)")
        p.add_argument("--format", choices=("text", "json"), default="text")

    p = verbs.add_parser("status", help="project, last sync, counts, files in error", parents=[_common()])
    p.add_argument("repo", nargs="?", metavar="PATH", type=nonblank("path", "or leave PATH out"),
                   help="repository whose project to show (same as --path)")
    project_options(p)
    p.set_defaults(func=_status)

    p = verbs.add_parser("list", help="list records of one kind, with filters", parents=[_common()])
    p.add_argument("kind", metavar="KIND", choices=KIND_WORDS, help="adrs, contracts, features, scenarios, ...")
    project_options(p)
    p.add_argument("--status", action="append", type=nonblank_items("status"),
                   help="only these statuses (repeat or comma-separate)")
    p.add_argument("--tag", action="append", type=nonblank_items("tag"), help="only records with all of these tags")
    p.add_argument("--any-tag", action="append", type=nonblank_items("tag"),
                   help="only records with at least one of these tags")
    p.add_argument("--type", action="append", type=nonblank_items("type"), help="contract or step type")
    p.add_argument("--text", type=nonblank("query"), help="full-text query (see 'tracertm search')")
    p.add_argument("--changed-since", metavar="WHEN", type=nonblank("time or commit"),
                   help="ISO timestamp, commit, branch or tag: records changed after it")
    p.add_argument("--source-prefix", metavar="PREFIX", type=nonblank("path prefix"),
                   help="only records whose file path starts with PREFIX")
    p.add_argument("--related-adr", metavar="ADR", type=nonblank("ADR id"), help="only records relating to this ADR")
    p.add_argument("--feature", metavar="FEATURE", type=nonblank("feature"), help="scenarios of this feature")
    p.add_argument("--sort", type=nonblank_items("sort field"),
                   help="sort fields, '-' for descending (e.g. -status,number)")
    p.add_argument("--limit", type=bounded_int(1, 500),
                   help="records per page (default and maximum: 500; with --cursor: the cursor's own)")
    p.add_argument("--cursor", type=nonblank("cursor"), help="the next page of a previous list (printed on stderr)")
    p.add_argument("--include-deleted", action="store_true", help="include soft-deleted records")
    p.set_defaults(func=_list)

    p = verbs.add_parser("show", help="one record: fields, source path, version", parents=[_common()])
    p.add_argument("id", metavar="ID", type=nonblank("record id", ""),
                   help="ADR-0003, CTR-0001, a feature or scenario number (FEAT-2/SC-4); "
                   "KIND:ID names the kind (contract:ADR-0003) when two kinds share an id")
    project_options(p)
    p.add_argument("--at", metavar="COMMIT", type=nonblank("commit"),
                   help="the record as of this commit (from its revisions; see 'backfill')")
    p.set_defaults(func=_show)

    p = verbs.add_parser("history", help="every revision of one record", parents=[_common()])
    p.add_argument("id", metavar="ID", type=nonblank("record id", ""))
    project_options(p)
    p.set_defaults(func=_history)


class NoDatabase(UsageError):
    """A SQLite file a command would only read is not there (``open_existing_engine``); ``path`` is that file."""

    def __init__(self, path: Path, fix: str) -> None:
        super().__init__(f"no database at {path}; run 'tracertm sync' first or check {fix}")
        self.path = path


class NotTracertmDatabase(UsageError):
    """A SQLite file a command would only read holds no tracertm schema (``open_existing_engine``): an empty file, or
    one with tables of its own. ``path`` is that file, ``detail`` what it holds."""

    def __init__(self, path: Path, detail: str, source: str, fix: str) -> None:
        super().__init__(f"{source}: {path} is not a tracertm database ({detail}); this command creates "
                         f"none: point {fix} at a tracertm database, or run 'tracertm sync' to create one")
        self.path = path
        self.detail = detail


class NoTracertmSchema(UsageError):
    """A server database (PostgreSQL) a command would only read holds no tracertm schema (``open_existing_engine``):
    reading it must not migrate tracertm's tables into it. ``detail`` says what it holds."""

    def __init__(self, url: str, detail: str, source: str) -> None:
        super().__init__(f"{source}: database {url} holds no tracertm data yet ({detail}); this command "
                         f"creates no schema: run 'tracertm sync' to create it, or point {source} at a tracertm "
                         "database")
        self.detail = detail


def open_existing_engine(option: str | None, configured: str | None = None,
                         config_file: Path | None = None, *, migrate: bool = True) -> Engine:
    """``db.open_engine`` for a command that needs data already there (it reads, or changes what a sync wrote): a
    SQLite file that does not exist is an error, not a new database. Opening one would create it, its folders
    and its schema (3 MB) wherever a mistyped path points, and then report an empty database. So is a file that
    exists but holds no tracertm schema (an empty file, another program's database): opening it would migrate
    tracertm's tables into it. A tracertm database at an older revision is still migrated forward, as every
    command does on first use. A ``file:`` name is checked like any path (SQLite opens it as one). A server database
    (PostgreSQL) with no tracertm schema is refused the same way (``NoTracertmSchema``), not migrated."""
    from tracertm import db
    from tracertm.config import check_url

    url, source = db.resolve_database_url(option, configured)
    if source == "database_url in the tracertm configuration" and config_file is not None:
        source = f"database_url in {config_file}"
    elif source == db.ENV_URL:
        source = f"${db.ENV_URL}"
    check_url(url, source)
    parsed = db.parse_url(url, source)
    path = db.sqlite_file(parsed)  # (None: PostgreSQL, or in-memory, which open_engine refuses)
    if path is not None:
        fix = "--database-url" if source == db.DEFAULT_SOURCE else source
        if not path.exists():
            raise NoDatabase(path, fix)
        revision, tables = db.peek_sqlite(path, parsed, source, reading=True)
        if revision is None:
            detail = "tables of its own, no tracertm schema" if tables else "an empty file"
            raise NotTracertmDatabase(path, detail, source, fix)
        return db.open_engine(option, configured, migrate=migrate)
    engine = db.open_engine(option, configured, migrate=False)
    if migrate:
        try:
            revision = db.current_revision(engine)  # the one query ``ensure_schema`` makes when it is current
            if revision is None:
                raise NoTracertmSchema(db.redact(parsed), _holds(engine), source)
            if revision != db.SCHEMA_HEAD:
                db.ensure_schema(engine)  # an older tracertm schema: migrated forward, as on first use
        except BaseException:
            engine.dispose()
            raise
    return engine


def _holds(engine: Engine) -> str:
    """What a database with no tracertm schema holds, in words (``NoTracertmSchema``'s detail)."""
    from sqlalchemy import inspect

    return "tables of its own, no tracertm schema" if inspect(engine).get_table_names() else "no tables"


def repository_settings(path: str | None) -> tuple[Location, Settings] | None:
    """The repository at ``path`` (default: around the current folder) and its configuration; None when the current
    folder is in no repository (a ``path`` that is not one is an error). Where every verb that opens a database finds
    the ``database_url`` of the configuration (``open_database``, ``open_project``, ``results``, ``serve``). A
    repository git refuses (``safe.directory``), or one without a work tree, is an error here too (``GitError``)."""
    from tracertm.config import load_settings
    from tracertm.engine.scan import Location

    try:
        location = Location.find(path)
    except GitError:
        # A repository, though unreadable: taken for "no repository", the read verbs showed the database's only
        # project (another repository's) as this one's.
        raise
    except UsageError:
        if path:
            raise
        return None
    return location, load_settings(location.root)  # a configuration error is the user's to see, here too


def open_database(args: argparse.Namespace, *, create: bool = False, migrate: bool = True) -> Engine:
    """The database of a verb with no project of its own (``search``, ``token``, ``db``): ``--database-url``, else
    ``$TRACERTM_DATABASE_URL``, else ``database_url`` in the configuration of the repository around the current
    folder (or ``--path``), else the default file. ``create``: a SQLite file that is not there is made (``db
    upgrade``, ``token create``); otherwise it is an error (``open_existing_engine``)."""
    from tracertm import db

    found = repository_settings(getattr(args, "path", None))
    configured, config_file = (found[1].database_url, found[1].source) if found else (None, None)
    if create:
        return db.open_engine(args.database_url, configured, migrate=migrate)
    return open_existing_engine(args.database_url, configured, config_file, migrate=migrate)


def repository_identity(location: Location, settings: Settings) -> tuple[str, RepoIdentity]:
    """The name a sync of the folder ``location.root`` gives its project, and how the read verbs tell that project
    (``Projects.resolve``), as ``sync`` builds both, so that they answer the project it writes to: its root commit
    (a walk of its history, asked only when no project of its name is recorded there), whether a project is its
    own (the check ``sync`` makes: one object lookup, ``RepoIdentity.matches``), the folder's path from the top,
    matched against the folder each project records (``spec_root``), and where the name came from (the ``origin``
    remote, read only where it names the project, or the folder), which decides the project renamed from it."""
    from tracertm import git
    from tracertm.engine.identity import RepoIdentity, spec_root_of
    from tracertm.engine.naming import name_and_origin

    assert location.top is not None
    derived = location.top == location.root and not settings.project
    origin = git.origin_url(location.top) if derived else None
    name, from_remote = name_and_origin(location, settings, None, origin)
    return name, RepoIdentity(location.top, origin, from_remote, folder=location.root.name if derived else None,
                              spec_root=spec_root_of(location.root, location.top))


def named_outright(args: argparse.Namespace) -> bool:
    """Whether ``--project`` and the database (``--database-url``, ``$TRACERTM_DATABASE_URL``) are both given: the
    configuration around the current folder would add nothing (its ``database_url`` and project name yield)."""
    import os

    from tracertm import db

    return bool(args.project and (args.database_url or os.environ.get(db.ENV_URL)))


@contextmanager
def open_project(args: argparse.Namespace) -> Iterator[tuple[Session, Project]]:
    """A read session and the project the command is about (``--project``, the repository's, the only one);
    the session and its engine are closed on exit."""
    from tracertm import db
    from tracertm.engine.naming import project_name
    from tracertm.repositories import Projects

    from tracertm.cli import require_folder

    require_folder(args.path)
    derived: str | None = None
    configured: str | None = None
    config_file = None
    where: str | None = args.path
    identity: RepoIdentity | None = None  # the repository's, when there is one
    # A project and a database both named need nothing of the folder's configuration: a broken one there (another
    # project's) is no error then. (``status`` still reads the configuration of the project's own folder.)
    found = None if named_outright(args) else repository_settings(args.path)
    if found:
        location, settings = found
        if location.top is not None:
            derived, identity = repository_identity(location, settings)
        configured, config_file = settings.database_url, settings.source
        # A folder named by PATH, or the repository around the current one, is the project; only outside any
        # repository with no PATH is there nothing to derive a name from (then: the database's only project).
        if args.path or location.top is not None:
            derived, where = derived or project_name(location, settings), args.path or str(location.root)
    engine = open_existing_engine(args.database_url, configured, config_file)
    try:
        with db.session(engine) as session:
            yield session, Projects(session).resolve(args.project, derived, path=where, identity=identity)
    finally:
        engine.dispose()


def _status(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.repositories import Projects

    if args.repo:
        if args.path and args.path != args.repo:
            raise UsageError(f"status: PATH {args.repo!r} and --path {args.path!r} disagree; give one of them")
        args.path = args.repo
    from tracertm.trace import review

    # Of the folder asked from, unless --project names a project, perhaps another folder's or repository's.
    warnings = [] if args.project else _configuration_warnings(args.path)
    with open_project(args) as (session, project):
        if args.project:
            warnings = _project_warnings(args.path, session, project)
        info = Projects(session).status(project, good_run=args.format != "json")  # (JSON: the API's shape)
        info["links"] = review.summary(session, project)
        if args.format == "json":
            print(output.to_json({**info, "warnings": [d.as_dict() for d in warnings]}))
            return EXIT_OK
        for diag in warnings:
            print(output.diagnostic(diag), file=sys.stderr)
        print(f"project:     {info['project']}")
        for line in _sync_lines(info):
            print(line)
        rows = [[output.KIND_LABELS[k], c["live"], c["deleted"]] for k, c in info["counts"].items()]
        print(output.table(rows, ["", "live", "deleted"], right=(1, 2)))
        if info["files_in_error"]:
            print("files in error:")
            for f in info["files_in_error"]:  # every finding of the file, as README says (the first is its error)
                for d in f["diagnostics"]:
                    print("  " + output.diagnostic(Diagnostic(**d)))
        _print_link_summary(info["links"], _review_hint(args) if info["links"]["suspect_links"] else "")
        return EXIT_OK


def _sync_lines(info: dict[str, Any]) -> list[str]:
    """``status``'s lines of the last successful sync (its time, trigger and status, then its commit) and, when the
    newest run is a later one that failed or is still running, that run (its start, trigger and status): the
    time and commit of one run beside the status of another said a good sync had failed."""
    good, later = info["last_good_run"], info["later_run"]
    lines = [f"last sync:   {info['last_synced_at'] or 'never'}"
             + (f" ({good['trigger']}, {good['status']})" if good else ""),
             f"last commit: {info['last_synced_commit'] or '-'}"]
    if later is not None:
        lines.append(f"newest run:  {later['started_at']} ({later['trigger']}, {later['status']})")
    return lines


def _review_hint(args: argparse.Namespace) -> str:
    """``tracertm review`` as ``status`` suggests it, to paste where status ran: with the ``--project`` status was
    given, else with the ``--path`` of a project ``review`` would not find there by default (a sub-folder project:
    ``status .`` inside it, ``status sample-repo`` from the top; ``review.review_command``, as ``check --strict``
    suggests it) — a bare ``tracertm review ID`` reviewed the top's project there, or was 'no project for …'."""
    from tracertm.repositories.projects import command
    from tracertm.trace import review

    if args.project:
        return command("review", project=args.project)
    found = repository_settings(args.path)
    return review.review_command(found[0]) if found else "tracertm review"


def _print_link_summary(links: dict[str, Any], hint: str) -> None:
    """``status``: link counts, then the suspect and dangling links (a scenario whose ADR changed shows here);
    ``hint``: the review command the suspect links' heading suggests."""
    from tracertm import output
    from tracertm.text import quoted_command
    from tracertm.trace import review

    print(f"links:       {links['total']} ({links['suspect']} suspect, {links['dangling']} dangling)")
    for title, key, total in (
        ("suspect", "suspect_links", links["suspect"]), ("dangling", "dangling_links", links["dangling"])
    ):
        if links[key]:
            heading = f"review with {quoted_command(hint + ' ID')}"
            print(f"{title} links ({heading}):" if title == "suspect" else f"{title} links:")
            for link in links[key]:
                where = f"{link['source']['path']}:{link['source']['line']}: " if link["source"]["path"] else ""
                print(output.one_line(f"  {where}#{link['id']} {review.describe(link)}"))
            if total > len(links[key]):
                print(f"  ... and {total - len(links[key])} more")


def _configuration_warnings(path: str | None) -> list[Any]:
    """Findings about the configuration of the repository at ``path`` (a configured glob that matches nothing, an
    unusable ``.adr-dir``, a spec folder that is a symbolic link); none when there is no repository to look at."""
    from tracertm.config import load_settings
    from tracertm.engine.scan import Location, scan

    try:
        location = Location.find(path)
    except UsageError:
        return []
    settings = load_settings(location.root)
    snapshot = scan(location, settings)
    snapshot.close()
    return settings.warnings(snapshot.files) + snapshot.linked


def _project_warnings(path: str | None, session: Session, project: Project) -> list[Any]:
    """``status --project``: the configuration findings of ``project``'s own folder when it is in the repository
    asked from (``--path``'s, or the one around the current folder; ``project_root.spec_root``, as ``show --at``
    finds it), none when it is not: another folder's configuration says nothing of it."""
    from tracertm.engine.scan import Location
    from tracertm.project_root import spec_root

    try:
        top = Location.find(path).top
    except UsageError:
        return []
    root = None if top is None else spec_root(top, session, project)
    return [] if root is None else _configuration_warnings(str(root))


def _list(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pydantic import ValidationError

    from tracertm import git, output
    from tracertm.repositories import Records, kind
    from tracertm.schemas.filters import ListFilter
    from tracertm.schemas.records import to_read
    from tracertm.search.syntax import MAX_QUERY_LENGTH

    k = kind(args.kind)
    if args.text is not None and len(args.text) > MAX_QUERY_LENGTH:  # as 'search' says it, not pydantic's words
        raise UsageError(f"--text: {len(args.text)} characters; at most {MAX_QUERY_LENGTH} (shorten the query)")
    # ``tag`` errors are about --any-tag too ("contracts have no tags"): name the one that was given.
    options = {**OPTION_OF_PARAMETER, "tag": "--tag" if args.tag or not args.any_tag else "--any-tag"}
    try:
        flt = ListFilter(
            status=args.status or [], tag=args.tag or [], any_tag=args.any_tag or [], type=args.type or [],
            text=args.text, changed_since=args.changed_since, path=args.source_prefix,
            include_deleted=args.include_deleted, related_adr=args.related_adr, feature=args.feature,
            sort=args.sort or [], limit=500 if args.limit is None else args.limit,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:  # the filters as a whole (too long)
            raise UsageError(message) from None
        parameter = str(first["loc"][0])
        option = options.get(parameter, "--" + parameter.replace("_", "-"))
        raise UsageError(f"{option}: {message}") from None
    with open_project(args) as (session, project):
        # A cursor carries its query and page size; a --limit given next to it wins. The repository's history
        # places a --changed-since commit (in a cursor too); its commits are the same in any clone holding them.
        top = git.find_root(Path(args.path or ".")) if args.changed_since or args.cursor else None
        try:
            page = Records(session, k, top).list(project, None if args.cursor and args.limit is None else flt,
                                                 args.cursor)
        except UsageError as exc:  # the query layer names the API's parameters; here they are options
            raise option_error(exc, options) from None
        if page.next_cursor:
            more = next_page_command(args, ["list", k.plural], project.name, page.next_cursor,
                                     ("--format", args.format))
            print(f"more: {more}", file=sys.stderr)
        records = [to_read(k, row, project.name, feature) for row, feature in page.rows]
        if args.format == "json":
            print(output.to_json([r.model_dump(mode="json") for r in records]))
            return EXIT_OK
        print(output.record_table(k.name, [r.model_dump() for r in records]))
        return EXIT_OK


def next_page_command(args: argparse.Namespace, verb: list[str], project: str, cursor: str,
                      output: tuple[str, str]) -> str:
    """The command that shows the next page (``verb``: ``["list", "adrs"]``, ``["trace", "ADR-1"]``...), to paste as
    it is: the cursor carries the query and the page size, not which database and project it is about (pasted in
    another folder, those would be found differently). ``output``: the verb's output option and its value (left out
    when it is ``text``)."""
    import shlex

    from tracertm import db

    # A value starting with "-" (a project named "-x", ``--path=-x``, a trace of an id "-x") would be read as an
    # option where it stands, and the pasted command refused: an option's is written ``--project=-x``, and such an
    # id goes after ``--``, at the end.
    dashed = [word for word in verb[1:] if word.startswith("-")]
    words = ["tracertm", *(w for w in verb if w not in dashed), "--cursor", cursor, *_option("--project", project)]
    if args.database_url:
        # A password stays out of the output (it may be a CI log); the user puts it back in.
        words += _option("--database-url", db.redact(args.database_url))
    if args.path:
        words += _option("--path", args.path)
    if output[1] != "text":
        words += list(output)
    if dashed:
        words += ["--", *dashed]
    return shlex.join(words)


def _option(name: str, value: str) -> list[str]:
    """``name value`` as command-line words, ``name=value`` when the value starts with "-" (argparse would take it
    for an option and refuse ``name`` as missing its value)."""
    return [f"{name}={value}"] if value.startswith("-") else [name, value]


def _step_definition(session: Session, project: Project, ident: str) -> Any:
    """The step definition ``ident`` names (``STEP-n``, ``file::function``), or None: test case ids such as
    ``tests/test_a.py::test_b`` have the same shape, so a miss falls through to the other kinds."""
    from tracertm.steps.queries import find_definition, looks_like_step

    return find_definition(session, project, ident) if looks_like_step(ident) else None


def _find(session: Session, project: Project, ident: str) -> tuple[Any, Any]:
    """Any other record ``ident`` names; a ``STEP-n`` that names nothing gets the step definitions' hint."""
    from tracertm.repositories import find_any
    from tracertm.repositories.errors import NotFound
    from tracertm.steps.queries import looks_like_step

    try:
        return find_any(session, project, ident)
    except NotFound:
        if not looks_like_step(ident):
            raise
        raise NotFound(f"{ident}: no step definition or test case with this id in project {project.name}; see "
                       "'tracertm steps' or 'tracertm list test-cases' (ids are STEP-n, file::function or the "
                       "test's id)") from None


def _find_over_time(session: Session, project: Project, ident: str, shown: str) -> tuple[Any, Any, str | None]:
    """``history`` and ``show --at``: the record ``ident`` names now, else the one it named before (a renamed file's
    untagged feature, a moved ADR: identity is kept through moves, and revisions keep the former ids), with one
    line saying so, ending in what the verb shows of it (``shown``: "its whole history", "the record as of C") —
    also when the id now belongs to another record, which wins (it is what ``show`` finds)."""
    from tracertm.repositories import Records
    from tracertm.repositories.errors import Ambiguous, NotFound
    from tracertm.repositories.lookup import former_holders

    try:
        k, row = _find(session, project, ident)
    except NotFound:
        formers = former_holders(session, project, ident)
        if not formers:
            raise
        if len(formers) > 1:
            raise Ambiguous(f"{ident} is a former id of several records: {_now_named(session, formers)}; use one "
                            "of those ids") from None
        k, row = formers[0]
        return k, row, (f"note: {ident} is a former id of {k.name.replace('_', ' ')} "
                        f"{Records(session, k).qualified(row)} ({row.source_path or 'no file'}); {shown}:")
    others = [(ok, other) for ok, other in former_holders(session, project, ident) if other.id != row.id]
    if not others:
        return k, row, None
    holder = "live" if getattr(row, "deleted_at", None) is None else "deleted"
    return k, row, (f"note: {ident} is the {holder} {k.name.replace('_', ' ')} {Records(session, k).qualified(row)}, "
                    f"shown here; it was also the id of {_now_named(session, others)}")


def _now_named(session: Session, records: list[tuple[Any, Any]]) -> str:
    """``feature refund-v2 (features/refund-v2.feature)``, ...: the current ids of records that once had another."""
    from tracertm.repositories import Records

    return ", ".join(f"{k.name.replace('_', ' ')} {Records(session, k).qualified(row)}"
                     + (f" ({row.source_path})" if row.source_path else "")
                     + (" (deleted)" if getattr(row, "deleted_at", None) else "")
                     for k, row in records)


def _show(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.repositories import Records
    from tracertm.schemas.records import to_read

    from tracertm.steps.queries import scenario_steps

    with open_project(args) as (session, project):
        definition = _step_definition(session, project, args.id)
        if definition is not None:
            if args.at:
                return _show_at(args, session, project, "step_definition", definition)
            from tracertm.cli.steps import show_definition

            return show_definition(args, session, project)
        if args.at:
            k, row, note = _find_over_time(session, project, args.id, f"the record as of {args.at}")
            if note:
                print(note, file=sys.stderr if args.format == "json" else sys.stdout)
            return _show_at(args, session, project, k.name, row)
        k, row = _find(session, project, args.id)
        repo = Records(session, k)
        record = to_read(k, row, project.name, repo.feature_of(row)).model_dump(mode="json")
        steps = scenario_steps(session, row) if k.name == "scenario" else []
        if steps:
            record["steps"] = steps
        from tracertm.trace import review

        links = review.record_links(session, project, k.name, row)
        record["links"] = links
        results = None
        if k.name == "scenario":
            from tracertm.results.queries import scenario_results

            results = scenario_results(session, row)
            if results:
                record["results"] = results
        children: list[dict[str, Any]] = []
        if k.name == "feature":
            # Walk the tree from the CLI: a feature lists its scenarios (live ones, in file order).
            scenarios = Records(session, "scenario")
            from tracertm.schemas.filters import ListFilter

            page = scenarios.list(project, ListFilter(feature=row.feature_number, limit=500))
            children = [
                {"number": s.scenario_number, "title": s.title, "status": str(s.status.value), "version": s.version}
                for s, _ in page.rows
            ]
        if args.format == "json":
            if k.name == "feature":
                record["scenarios"] = children
            print(output.to_json(record))
            return EXIT_OK
        print(output.fields_text({key: v for key, v in record.items() if key not in ("steps", "results", "links")}))
        for direction, items in links.items():
            if items:
                print(f"links ({direction}):")
                for link in items:
                    print(output.one_line(f"  {'! ' if link['state'] != 'ok' else ''}{review.describe(link)}"))
        if steps:
            from tracertm.cli.steps import print_scenario_steps

            print_scenario_steps(steps)
        if results and results["last_results"]:
            from tracertm.results.queries import format_results

            print(format_results(results))
        if k.name == "feature":
            print(f"scenarios ({len(children)}):")
            rows = [[c["number"], c["title"], c["status"]] for c in children]
            print("\n".join("  " + line for line in output.table(rows, ["number", "title", "status"]).splitlines()))
        return EXIT_OK


def _show_at(args: argparse.Namespace, session: Any, project: Any, kind: str, row: Any) -> int:
    """``show ID --at COMMIT``: the newest revision of the record at or before COMMIT (first-parent). Its JSON is
    the API's ``.../at/{commit}`` answer (``revision_read_at``: one read model, so the two never disagree)."""
    from tracertm import output
    from tracertm.engine.scan import Location
    from tracertm.repositories import Records
    from tracertm.repositories.revision_read import revision_read_at

    location = Location.find(args.path)
    if location.top is None:
        raise UsageError(f"--at: {location.root} is not a git repository; pass --path REPOSITORY")
    if location.prefix == "" and project.root_commit is not None:
        # Run from the repository's top for a project synced from a sub-folder of it (``tracertm sync sample-repo``):
        # its files are read there, as the server reads them (``project_root``).
        from tracertm.project_root import spec_root

        location = Location(spec_root(location.top, session, project) or location.root, location.top)
    found = revision_read_at(session, Records(session, kind).kind, row, args.at, location.root, option="--at")
    if found is None:
        from tracertm.history.at import no_revision_message

        raise UsageError(no_revision_message(session, project, args.id, args.at, location.top))
    revision, rev = found
    if args.format == "json":
        print(output.to_json(rev))
        return EXIT_OK
    if rev["commit_sha"]:
        when = rev["authored_at"] or rev["committed_at"]  # (a date git cannot give is unknown: left out)
        # (No author: a merge whose merged side a shallow clone cut off, README "Dates and people of revisions".)
        source = f"in {rev['commit_sha'][:12]} by {rev['author_name'] or 'an unknown author'}" + (
            f", {when}" if when else "")
    else:  # a sync of a work tree that held exactly that commit's files
        source = f"synced from the work tree at {_work_tree_commit(session, revision, location, args.at)[:12]}"
    print(f"{kind} {rev['number']} as of {args.at}: version {rev['version']} ({rev['change']} {source})")
    if rev["change"] == "deleted":
        print(f"deleted at that point (was {rev['source_path']})")
        return EXIT_OK
    print(f"source_path: {rev['source_path']}")
    print(output.fields_text(rev["snapshot"]))
    return EXIT_OK


def _work_tree_commit(session: Any, revision: Any, location: Any, commit: str) -> str:
    """The commit a revision that names none holds the state of: its clean work tree sync's HEAD
    (``history.dated``), else ``commit`` (one whose file holds the content of a revision synced from uncommitted
    files)."""
    from tracertm import git
    from tracertm.models import SyncRun

    run = session.get(SyncRun, revision.sync_run_id) if revision.sync_run_id else None
    dated: str | None = run.commit_sha if run is not None and run.ref is None else None
    return dated or git.resolve_commit(location.top, commit)


def _history(args: argparse.Namespace) -> int:
    from tracertm import output
    from tracertm.repositories import Records
    from tracertm.repositories.revision_read import revision_read

    with open_project(args) as (session, project):
        definition = _step_definition(session, project, args.id)
        note = None
        if definition is not None:
            k, row = Records(session, "step_definition").kind, definition
        else:
            k, row, note = _find_over_time(session, project, args.id, "its whole history")
        if note:  # a JSON document on stdout stays one document: the note goes to stderr then
            print(note, file=sys.stderr if args.format == "json" else sys.stdout)
        revisions = [revision_read(r, snapshot=False) for r in Records(session, k).history(row)]
        if args.format == "json":
            print(output.to_json([r.model_dump(mode="json") for r in revisions]))
            return EXIT_OK
        rows = [
            [
                r.version,
                r.change + (f" ({', '.join(r.changed_fields)})" if r.changed_fields else ""),
                (r.commit_sha or "")[:12] or "-",
                r.author_name or r.actor or "-",
                # The author date: when the change was written (older revisions without one: the commit date).
                json_time(r.authored_at or r.committed_at or r.created_at),
                r.source_path,
            ]
            for r in revisions
        ]
        print(output.table(rows, ["v", "change", "commit", "by", "date", "path"], right=(0,)))
        print(output.VERSION_NOTE)
        return EXIT_OK
