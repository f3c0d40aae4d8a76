"""``tracertm.check()``: validate the spec files of a source without a database.

Imports nothing heavy (no SQLAlchemy, no process pool, no parser it does not need): it runs in pre-commit hooks on
every commit.

Two modes, picked by :func:`check`:

- **everything** (``tracertm check``, ``--ref``, ``--staged --all``), this module: every file is parsed, every error
  reported, and the references between all files are validated.
- **changes** (``--staged``, the hook mode), ``tracertm.check_changes``: only the files whose index entry differs
  from ``HEAD`` are parsed and reported on; every other file takes part in cross-file validation through its sketch
  (``tracertm.sketches``, cached in ``.git/tracertm-check-cache``). When it cannot tell what the commit changes (no
  ``HEAD`` yet, or the commit changes the settings) everything is checked instead.

Both modes end here alike: the cache saved, ``--strict``'s findings added and its warnings made errors, the output
sorted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tracertm import git
from tracertm.config import Settings, load_settings
from tracertm.errors import Diagnostic, GitError, ParseError, UsageError, refuse_jobs
from tracertm.kinds import SHARED_KINDS as _SHARED_KINDS
from tracertm.parsers.records import FileKind, ParseResult, ParserOptions
from tracertm.engine.regular_file import Beneath, TooLarge, read_regular
from tracertm.engine.scan import Location, Snapshot, is_unmerged, scan
from tracertm.check_cache import CACHE_NAME, CheckCache, Claims, file_key, locate_cache
from tracertm.staged_config import staged_settings, staged_settings_and_files
from tracertm.crossfile import cross_check, cross_check_sketches
from tracertm.sketches import RecordSketch, Sketch, broken_sketch, sketch_result, sketch_text

if TYPE_CHECKING:
    from tracertm.steps.checks import StepFindings



@dataclass
class CheckResult:
    """Errors and warnings of every file checked; ``ok`` honours ``strict`` (warnings count as errors).

    ``files_checked`` counts the spec files validated (all of them take part in cross-file checks);
    ``files_parsed`` the files fully parsed (in ``--staged`` hook mode, only the changed ones). ``prefix`` is the
    spec root's path inside the repository (``""`` at the top), for tools that want repository-relative paths.
    """

    errors: list[Diagnostic] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0
    files_parsed: int = 0
    strict: bool = False
    prefix: str = ""
    # The ADR, contract and feature files among those checked; None in hook mode (``check_changes``), which reads
    # the commit's changes only. 0: the warning that the check found none (``cli.no_specs``).
    spec_files: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not (self.strict and self.warnings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files_checked": self.files_checked,
            "files_parsed": self.files_parsed,
            "errors": [d.as_dict() for d in self.errors],
            "warnings": [d.as_dict() for d in self.warnings],
        }


def check(
    path: str | os.PathLike[str] | None = None,
    *,
    ref: str | None = None,
    staged: bool = False,
    strict: bool = False,
    jobs: int | None = None,
    all_files: bool = False,
    cache: bool = True,
    files: Sequence[str] = (),
) -> CheckResult:
    """Validate the spec files of the work tree (or ``ref``, or the index with ``staged``) and the references
    between them. Never touches a database.

    With ``staged`` only the files that differ between the index and ``HEAD`` are parsed and reported on (what a
    pre-commit hook wants); ``all_files`` checks every staged file instead. ``cache=False`` neither reads nor
    writes ``.git/tracertm-check-cache``.

    ``files`` (with ``staged``): the files the pre-commit framework names (from the current folder), reported on
    too, as the index holds them. A commit names what it stages, nothing beyond what the commit changes: the
    check stays hook mode's. ``pre-commit run --all-files`` names every file, ``--files`` a few, though the index
    equals ``HEAD``: every file is checked then, and the findings on the named files and on the staged changes
    are reported. Files that are no spec file of the project are left out, as ``files:`` filters leave them.
    """
    if ref and staged:
        raise UsageError("--ref and --staged exclude each other; pick one source")
    if all_files and not staged:  # as the command line's ``--all`` without ``--staged``: not silently ignored
        raise UsageError("all_files=True: only with staged=True (check every staged spec file); without staged "
                         "check reads every spec file already")
    refuse_jobs(jobs)
    location = Location.find(path)
    config: tuple[str, ...] = ()  # the files the staged configuration is read from (top-relative)
    if staged and location.top is not None:
        settings, config = staged_settings_and_files(location)
    else:
        settings = load_settings(location.root)
    result = CheckResult(strict=strict, prefix=location.prefix)
    changes: git.Pending | None = None
    if staged and not all_files and location.top is not None:
        # What the commit changes, asked of git first: git answers while the cache loads. (The configuration
        # files too: a commit that changes the settings changes how every file reads.)
        specs = tuple(location.prefix + s for s in settings.prefixes)
        changes = git.start_index_changes(location.top, "HEAD", specs + config)
    report: set[str] | None = None  # the files whose findings are reported; None: all of them
    try:
        if changes is not None and files:
            report = _named_beyond_the_commit(location, settings, files, changes)
            all_files = report is not None
        store = (
            locate_cache(location, settings) if cache and location.top is not None
            else CheckCache.memory(location.prefix)
        )
        return _check(location, settings, result, store, ref=ref, staged=staged, jobs=jobs, all_files=all_files,
                      strict=strict, changes=changes, config=config, report=report)
    finally:
        if changes is not None:
            changes.close()


def _named_beyond_the_commit(
    location: Location, settings: Settings, files: Sequence[str], changes: git.Pending
) -> set[str] | None:
    """The spec files among ``files`` (root-relative) with every file the commit changes, when some named spec
    file is not one of those changes (``pre-commit run --all-files``); None when the names are all the commit's
    (a commit: hook mode, as without names), or when there is no ``HEAD`` yet (every file is reported anyway).

    Inside a commit or a merge (git gives its hooks ``GIT_INDEX_FILE``) the commit is what is checked, whatever
    the names: committing a merge that stopped on conflicts, pre-commit names the files that differ from either
    side, and errors that ``HEAD`` already holds are not the commit's to report."""
    if "GIT_INDEX_FILE" in git.git_env(location.top):  # (this repository's: another's hook may run us too)
        return None
    root = os.path.realpath(location.root)
    named: set[str] = set()
    for name in files:
        # (the folders' links resolved, as the root's are; a file that is a link is named as given)
        where = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(name))), os.path.basename(name))
        relative = os.path.relpath(where, root)
        if relative.split(os.sep)[0] == ".." or os.path.isabs(relative):
            continue  # another project's file (a sub-folder project's hook hears of the whole repository)
        posix = relative.replace(os.sep, "/")
        if settings.kind_of(posix) is not None:
            named.add(posix)
    try:
        changed = git.parse_index_changes(changes.result())
    except GitError:
        return None  # (no HEAD: hook mode checks every file, as the first commit needs; its own errors still raise)
    prefix = location.prefix
    staged = {p[len(prefix):] for p in changed if p.startswith(prefix)}
    return None if named <= staged else named | staged


def _check(
    location: Location, settings: Settings, result: CheckResult, store: CheckCache, *, ref: str | None,
    staged: bool, jobs: int | None, all_files: bool, strict: bool, changes: git.Pending | None,
    config: tuple[str, ...] = (), report: set[str] | None = None,
) -> CheckResult:
    checked = False
    if staged and not all_files and location.top is not None:
        # Hook mode. Imported here: the whole-project check never loads it, and it imports this module (which
        # is loaded by then).
        from tracertm.check_changes import check_changes

        checked = check_changes(location, settings, result, store, jobs, changes, config)
    if not checked:
        snapshot = scan(location, settings, ref=ref, staged=staged)
        # "adr_paths matched nothing", an unusable .adr-dir, a spec folder that is a symbolic link
        result.warnings.extend(settings.warnings(snapshot.files) + snapshot.linked)
        result.spec_files = sum(f.kind != "step_definition" for f in snapshot.files.values())
        try:
            parsed: dict[str, ParseResult] = {}
            _check_everything(snapshot, settings, result, store, jobs, parsed)
            _check_steps(location, settings, result, parsed, ref=ref, staged=staged,
                         features=[p for p, f in snapshot.files.items() if f.kind == "feature"])
            if any(f.filtered for f in snapshot.files.values()):
                _say_cleaned_lines(snapshot, result, settings.parser.max_file_size)
            if report is not None:
                # Findings on spec files not named are left out; those about no spec file (a glob that matches
                # nothing, an unusable .adr-dir) stay.
                result.errors = [d for d in result.errors if d.path in report or d.path not in snapshot.files]
                result.warnings = [d for d in result.warnings if d.path in report or d.path not in snapshot.files]
        except OSError as exc:
            # A work-tree file gone or replaced since the scan (a checkout, a stash, a delete): as a sync says it.
            from tracertm.engine.reading import work_tree_error  # (only then: the hook path loads no engine.reading)

            found = work_tree_error(snapshot.root, exc, "check")
            if found is exc:
                raise
            raise found from None
        finally:
            snapshot.close()
    store.save()
    if strict:
        # Suspect links live in the database (reviews are not in git): reported when one is configured or exists.
        from tracertm.trace.review import check_findings

        result.warnings.extend(check_findings(location, settings))
        # Warnings are errors here: said so in every output format (the text summary, JSON, GitHub annotations).
        result.errors += [replace(d, severity="error") for d in result.warnings]
        result.warnings = []
    result.errors.sort(key=lambda d: (d.path, d.line, d.column))
    result.warnings.sort(key=lambda d: (d.path, d.line, d.column))
    return result


# ------------------------------------------------------------------------------------------------- everything


def _check_everything(
    snapshot: Snapshot, settings: Settings, result: CheckResult, store: CheckCache, jobs: int | None,
    parsed: dict[str, ParseResult] | None = None,
) -> None:
    readable = sorted(p for p, f in snapshot.files.items() if f.error is None)
    for f in snapshot.files.values():
        if f.error is not None:
            result.errors.append(f.error)
    contents = snapshot.read(readable)
    work = [(p, snapshot.files[p].kind, contents[p]) for p in readable]
    sketches = parse_report(work, settings.parser, jobs, result, keep=parsed)
    for p, f in snapshot.files.items():
        if f.error is not None and f.kind == "adr" and is_unmerged(f.error):
            # A conflicted ADR is there, as a file that fails to parse is: it still declares the id of its name.
            # (Not a link whose target is gone: its ADR went with the target.)
            sketches[p] = broken_sketch(p, f.kind, b"", settings.parser)
    claims = Claims()
    for p in sorted(sketches):
        claims.add(p, sketches[p])
    newcomers = _newcomers(claims, snapshot, settings)
    result.errors.extend(cross_check_sketches(sketches, claims, changed=None, newcomers=newcomers,
                                              warnings=result.warnings))
    result.files_checked = len(snapshot.files)
    result.files_parsed = len(readable)
    if snapshot.source != "folder":
        prefix = snapshot.location.prefix
        keys = {
            p: (file_key(f.blob_sha, prefix + p, link=f.target is not None) if f.blob_sha else "", s)
            for p, s in sketches.items()
            for f in (snapshot.files[p],)
        }
        store.replace(keys, claims)


def _newcomers(claims: Claims, snapshot: Snapshot, settings: Settings) -> set[str]:
    """When some id is claimed twice (in one kind, or in two kinds): the files the work tree or the index changed
    since HEAD. Of two claimants the changed one is the newcomer, the one blamed — as the hook blames the file its
    commit changes, and a sync the file its database does not hold the id from."""
    top = snapshot.location.top
    if top is None or snapshot.source not in ("worktree", "index") or not _claimed_twice(claims):
        return set()
    head = git.head_commit(top)
    if head is None:
        return set()
    prefix = snapshot.location.prefix
    changed = set(snapshot.dirty or ())
    changed.update(p[len(prefix):] for p in git.index_changes(top, head, tuple(prefix + p for p in settings.prefixes))
                   if p.startswith(prefix))
    return changed


def _claimed_twice(claims: Claims) -> bool:
    """Whether some id is claimed by two files of one kind, or by files of two of :data:`_SHARED_KINDS`."""
    seen: set[str] = set()
    for key, paths in claims.owners.items():
        kind, number = key.split("\t", 1)
        if kind.startswith("broken-"):
            continue  # (the ids broken files declare are nobody's claims)
        if len(paths) > 1:
            return True
        if kind in _SHARED_KINDS:
            if number in seen:
                return True
            seen.add(number)
    return False


def _check_steps(
    location: Location, settings: Settings, result: CheckResult, parsed: Mapping[str, ParseResult], *,
    ref: str | None, staged: bool, features: list[str],
) -> None:
    """Step definitions against every parsed feature (tracertm.steps.checks); ``features``: every feature file."""
    from tracertm.steps.checks import check_snapshot

    found = check_snapshot(location, settings, parsed, ref=ref, staged=staged, feature_paths=features)
    merge_findings(result, found)


# An expanded ``$Id: … $`` (``ident``) is git's ``$Id$`` on that same line.
_EXPANDED_ID = re.compile(rb"\$Id: [^$\n]* \$")


def _say_cleaned_lines(snapshot: Snapshot, result: CheckResult, max_size: int) -> None:
    """A work-tree file read through a clean filter is parsed as git stores it (what sync stores), so its findings'
    lines are the cleaned text's. Where such a line is not the disk file's line of that number (a filter that
    drops or adds lines), the finding says which text it is of, and how to see it: one line still."""
    files = snapshot.files
    at = sorted({d.path for d in (*result.errors, *result.warnings)
                 if d.line > 0 and (f := files.get(d.path)) is not None and f.filtered and f.error is None})
    if not at:
        return
    cleaned = snapshot.read(at)
    disk: dict[str, list[bytes]] = {}
    for path in at:
        try:
            disk[path] = read_regular(Beneath(snapshot.real_root, path), max_size).split(b"\n")
        except (OSError, TooLarge):
            disk[path] = []  # (gone or grown since: no line of it is the parsed one)

    def said(d: Diagnostic) -> Diagnostic:
        if d.path not in cleaned or d.line <= 0:
            return d
        stored = _line(cleaned[d.path].split(b"\n"), d.line)
        if stored is not None and stored == _line(disk[d.path], d.line, expand=True):
            return d  # the same line on disk: where the finding sends the user is right
        where = f"line {d.line} of the text git's clean filter stores: git cat-file -p {files[d.path].blob_sha[:12]}"
        return replace(d, message=f"{d.message} ({where})")

    result.errors = [said(d) for d in result.errors]
    result.warnings = [said(d) for d in result.warnings]


def _line(lines: list[bytes], number: int, *, expand: bool = False) -> bytes | None:
    """Line ``number`` (1-based) of ``lines`` without its CR, an expanded ``$Id: … $`` collapsed (``expand``);
    None past the end."""
    if number > len(lines):
        return None
    line = lines[number - 1].removesuffix(b"\r")
    return _EXPANDED_ID.sub(b"$Id$", line) if expand else line


# ------------------------------------------------------------- shared with hook mode (tracertm.check_changes)


def merge_findings(result: CheckResult, found: StepFindings) -> None:
    """The step findings into ``result``, each once: a step file's own errors and warnings (one that does not
    parse, a definition that cannot be read) were reported by the parse already, as a spec file of the source."""
    seen = {*result.errors, *result.warnings}
    result.errors.extend(d for d in found.errors if d not in seen)
    result.warnings.extend(d for d in found.warnings if d not in seen)


def parse_report(
    work: list[tuple[str, FileKind, bytes]], options: ParserOptions, jobs: int | None, result: CheckResult,
    keep: dict[str, ParseResult] | None = None,
) -> dict[str, Sketch]:
    """Parse ``work``, report its errors and warnings; the exact sketches (``sketches.broken_sketch`` for files
    that fail). ``keep`` receives the successful parse results."""
    sketches: dict[str, Sketch] = {}
    kinds = {p: kind for p, kind, _ in work}
    data = {p: content for p, _, content in work}
    for p, outcome in parse(work, options, jobs).items():
        if isinstance(outcome, ParseError):
            # A file that fails may carry warnings too (a contract's, found in the same read): reported as such.
            for diag in outcome.diagnostics:
                (result.warnings if diag.severity == "warning" else result.errors).append(diag)
            sketches[p] = broken_sketch(p, kinds[p], data[p], options)
        else:
            result.warnings.extend(outcome.warnings)
            sketches[p] = sketch_result(outcome)
            if keep is not None:
                keep[p] = outcome
    return sketches


def parse(
    work: list[tuple[str, FileKind, bytes]], options: ParserOptions, jobs: int | None
) -> dict[str, ParseResult | ParseError]:
    """Parse ``work`` (path, kind, bytes) in ``jobs`` processes (default: ``engine.parse.default_jobs``)."""
    from tracertm.engine.parse import default_jobs, parse_files

    return parse_files(work, options, jobs if jobs is not None else default_jobs())


__all__ = [
    "CheckResult", "RecordSketch", "Sketch", "check", "cross_check", "sketch_result", "sketch_text",
    "staged_settings",
]
