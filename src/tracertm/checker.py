"""``tracertm.check()``: validate the spec files of a source without a database.

Imports nothing heavy (no SQLAlchemy, no process pool, no parser it does not need): it runs in pre-commit hooks on
every commit.

Two modes:

- **everything** (``tracertm check``, ``--ref``, ``--staged --all``): every file is parsed, every error reported,
  and the references between all files are validated.
- **changes** (``--staged``, the hook mode): only the files whose index entry differs from ``HEAD`` are parsed and
  reported on. Cross-file validation still sees the whole repository, through a *sketch* of every other file: the
  identities it claims and the ADR ids it refers to (``tracertm.sketches``). Sketches come from a small cache keyed
  by path and blob id (``.git/tracertm-check-cache.json``, written by every check, exact because taken from a real
  parse, together with the index "identity → files" over all of them, so an unchanged file costs one lookup); a file the cache
  does not know is sketched by a few regular expressions over its bytes (no YAML, no Gherkin). Before an error is
  reported *because of* an approximate sketch (a duplicate identity, a reference to an ADR this change removed)
  that file is parsed for real, so approximations never produce a false error on their own. Errors that were
  already committed are not re-reported.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tracertm import git
from tracertm.config import Settings, load_settings
from tracertm.errors import Diagnostic, GitError, ParseError, UsageError
from tracertm.parsers.records import FileKind, ParseResult, ParserOptions
from tracertm.engine.scan import Location, Snapshot, scan
from tracertm.sketches import RecordSketch, Sketch, sketch_result, sketch_text

_T = TypeVar("_T")

CACHE_NAME = "tracertm-check-cache.json"
_CACHE_FORMAT = 4
# Below this many files a process pool costs more than it saves (and importing it costs a hook ~50 ms).


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
) -> CheckResult:
    """Validate the spec files of the work tree (or ``ref``, or the index with ``staged``) and the references
    between them. Never touches a database.

    With ``staged`` only the files that differ between the index and ``HEAD`` are parsed and reported on (what a
    pre-commit hook wants); ``all_files`` checks every staged file instead. ``cache=False`` neither reads nor
    writes ``.git/tracertm-check-cache.json``.
    """
    if ref and staged:
        raise UsageError("--ref and --staged exclude each other; pick one source")
    location = Location.find(path)
    settings = load_settings(location.root)
    result = CheckResult(strict=strict, prefix=location.prefix)
    store = _Cache.locate(location, settings) if cache and location.top is not None else _Cache.memory()
    hook_mode = staged and not all_files and location.top is not None
    if hook_mode and _check_changes(location, settings, result, store, jobs):
        _check_step_changes(location, settings, result)
        result.warnings.extend(_unmatched_in_index(location, settings))
    else:
        snapshot = scan(location, settings, ref=ref, staged=staged)
        result.warnings.extend(settings.unmatched(snapshot.files))  # "adr_paths matched nothing"
        try:
            parsed: dict[str, ParseResult] = {}
            _check_everything(snapshot, settings, result, store, jobs, parsed)
            _check_steps(location, settings, result, parsed, ref=ref, staged=staged)
        finally:
            snapshot.close()
    store.save()
    if strict:
        # Suspect links live in the database (reviews are not in git): reported when one is configured or exists.
        from tracertm.trace.review import check_findings

        result.warnings.extend(check_findings(location, settings))
    result.errors.sort(key=lambda d: (d.path, d.line, d.column))
    result.warnings.sort(key=lambda d: (d.path, d.line, d.column))
    return result


# ------------------------------------------------------------------------------------------------------ modes


def _unmatched_in_index(location: Location, settings: Settings) -> list[Diagnostic]:
    """Hook mode's "adr_paths matched nothing": the configured globs against the spec files of the index (what the
    commit will hold). Warned about on every commit, spec files changed or not: a glob that matches nothing turns
    the files it was meant for into non-spec files, so the commit that touches them looks like it touches none.
    Lists only the configured globs' folders (nothing at all without configured globs)."""
    if not settings.configured or location.top is None:
        return []
    from tracertm.config import glob_to_regex

    folders = tuple(location.prefix + p for p in settings.configured_prefixes)
    paths = list(_strip(git.index_blobs(location.top, folders), location.prefix))
    # One spec file per configured glob is enough to know it matches: stop at the first (a glob like
    # "**/*.feature" lists the whole index, and classifying every path of a big one would cost the hook).
    hits: list[str] = []
    for pattern in sorted(settings.configured):
        rx = glob_to_regex(pattern)
        hit = next((p for p in paths if rx.fullmatch(p) and settings.kind_of(p) is not None), None)
        if hit is not None:
            hits.append(hit)
    return settings.unmatched(hits)


def _check_everything(
    snapshot: Snapshot, settings: Settings, result: CheckResult, store: _Cache, jobs: int | None,
    parsed: dict[str, ParseResult] | None = None,
) -> None:
    readable = sorted(p for p, f in snapshot.files.items() if f.error is None)
    for f in snapshot.files.values():
        if f.error is not None:
            result.errors.append(f.error)
    contents = snapshot.read(readable)
    work = [(p, snapshot.files[p].kind, contents[p]) for p in readable]
    sketches = _parse_report(work, settings.parser, jobs, result, keep=parsed)
    claims = _Claims()
    for p in readable:
        claims.add(p, sketches[p])
    result.errors.extend(_cross_check(sketches, claims, changed=None))
    result.files_checked = len(snapshot.files)
    result.files_parsed = len(readable)
    if snapshot.source != "folder":
        store.replace({p: (snapshot.files[p].blob_sha, s) for p, s in sketches.items()}, claims)


def _check_steps(
    location: Location, settings: Settings, result: CheckResult, parsed: Mapping[str, ParseResult], *,
    ref: str | None, staged: bool,
) -> None:
    """Step definitions against every parsed feature (tracertm.steps.checks)."""
    from tracertm.steps.checks import check_snapshot

    found = check_snapshot(location, settings, parsed, ref=ref, staged=staged)
    # A step file that does not parse was reported by the parse already (as a spec file of the source).
    seen = set(result.errors)
    result.errors.extend(d for d in found.errors if d not in seen)
    result.warnings.extend(found.warnings)


def _check_step_changes(location: Location, settings: Settings, result: CheckResult) -> None:
    """Hook mode: the steps a commit's changed features and step files affect (tracertm.steps.checks)."""
    from tracertm.steps.checks import check_changes

    assert location.top is not None
    reader = _Reader(location.top)
    try:
        found = check_changes(location, settings, reader.read)
    finally:
        reader.close()
    seen = set(result.errors)
    result.errors.extend(d for d in found.errors if d not in seen)
    result.warnings.extend(found.warnings)


def _parse_report(
    work: list[tuple[str, FileKind, bytes]], options: ParserOptions, jobs: int | None, result: CheckResult,
    keep: dict[str, ParseResult] | None = None,
) -> dict[str, Sketch]:
    """Parse ``work``, report its errors and warnings; the exact sketches (empty for files that fail). ``keep``
    receives the successful parse results."""
    sketches: dict[str, Sketch] = {}
    kinds = {p: kind for p, kind, _ in work}
    for p, outcome in _parse(work, options, jobs).items():
        if isinstance(outcome, ParseError):
            result.errors.extend(outcome.diagnostics)
            sketches[p] = Sketch(kinds[p], (), True)
        else:
            result.warnings.extend(outcome.warnings)
            sketches[p] = sketch_result(outcome)
            if keep is not None:
                keep[p] = outcome
    return sketches


def _strip(entries: Mapping[str, _T], prefix: str) -> dict[str, _T]:
    if not prefix:
        return dict(entries)
    return {p[len(prefix) :]: v for p, v in entries.items() if p.startswith(prefix)}


def _check_changes(
    location: Location, settings: Settings, result: CheckResult, store: _Cache, jobs: int | None
) -> bool:
    """Hook mode: parse what the commit changes, sketch the rest, report only what the change causes. False when
    there is no ``HEAD`` yet (the first commit: everything staged is new, so everything is checked instead).

    The index is listed once (path, mode, blob id). An unchanged file whose blob id the cache knows costs one
    lookup: its identities are already in the cache's claims index and its sketch is decoded only if a rule
    needs it. Other files are sketched from their blobs. Only symbolic links go through ``scan``.
    """
    top = location.top
    assert top is not None
    specs = tuple(location.prefix + s for s in settings.prefixes)
    try:
        diff = _strip(git.index_changes(top, "HEAD", specs), location.prefix)
        # Spec folders can be the whole repository (the default step_paths hold **/conftest.py): keep spec files.
        diff = {p: v for p, v in diff.items() if settings.kind_of(p) is not None}
    except GitError:
        if git.head_commit(top) is None:
            return False
        raise
    if not diff:
        return True  # nothing under the spec folders changes: nothing to check, nothing to read
    listing = _strip(git.index_blobs(top, specs), location.prefix)  # path → (mode, blob id)
    reader = _Reader(top)
    try:
        # Where the bytes of a spec file are (kind, blob id), for the changed files and links first.
        where: dict[str, tuple[FileKind, str]] = {}
        changed: list[str] = []
        links = sorted(p for p, (mode, _) in listing.items() if mode == "120000")
        if links:
            snapshot = scan(location, settings, staged=True, paths=links if len(links) < 1000 else None)
            snapshot.close()
            for p, f in snapshot.files.items():
                if p not in listing or listing[p][0] != "120000":
                    continue
                if f.error is not None:
                    if p in diff:
                        result.errors.append(f.error)
                    continue
                where[p] = (f.kind, f.blob_sha)
                if p in diff or (f.target is not None and f.target in diff):
                    changed.append(p)
        for p in diff:
            mode, sha = listing.get(p, ("", ""))
            if not mode or mode == "120000":
                continue  # deleted, or a link (above)
            kind = settings.kind_of(p)
            if kind is not None:
                where[p] = (kind, sha)
                changed.append(p)
        changed.sort()
        blobs = reader.read([where[p][1] for p in changed])
        fresh = _parse_report([(p, where[p][0], blobs[where[p][1]]) for p in changed], settings.parser, jobs, result)
        result.files_parsed = len(changed)

        # Every other spec file: valid in the cache (by blob id), else sketched from its blob.
        valid: set[str] = set()
        misses: list[str] = []
        for p, (mode, sha) in listing.items():
            if p in fresh or p in diff or (mode == "120000" and p not in where):
                continue  # parsed above, a changed non-spec file, or a link in error
            if p in where:
                sha = where[p][1]  # a link: its target's blob
            if store.valid(p, sha):
                valid.add(p)
                continue
            kind = where[p][0] if p in where else settings.kind_of(p)
            if kind is not None:
                where[p] = (kind, sha)
                misses.append(p)
        if misses:
            blobs = reader.read([where[p][1] for p in misses])
            for p in misses:
                kind, sha = where[p]
                fresh[p] = sketch_text(p, kind, blobs[sha], settings.parser)

        # ADR ids this change takes away (an ADR deleted or renumbered): unchanged files may refer to them.
        before: set[str] = set()
        unknown: list[tuple[str, str]] = []
        for p, (old, _new) in diff.items():
            if old is None or settings.kind_of(p) != "adr":
                continue
            if store.valid(p, old):
                before.update(r.number for r in store.decode(p).records)
            else:
                unknown.append((p, old))
        if unknown:
            blobs = reader.read([sha for _, sha in unknown])
            for p, sha in unknown:
                before.update(r.number for r in sketch_text(p, "adr", blobs[sha], settings.parser).records)

        # The claims index of the cache, brought up to date: out with what stale entries claimed, in with the new.
        claims = _Claims(store.claims)
        stale = [p for p in store.entries if p not in valid]
        for p in stale:
            claims.remove(p, store.decode(p))
        for p in sorted(fresh):
            claims.add(p, fresh[p])
        vanished = before - claims.adr_ids()
        sketches = _Sketches(store, valid, fresh)
        result.files_checked = len(valid) + len(fresh)

        def exact(paths: Iterable[str]) -> dict[str, Sketch]:
            wanted = sorted(set(paths))
            located = {p: where.get(p) or (sketches[p].kind, listing[p][1]) for p in wanted}
            blobs = reader.read([sha for _, sha in located.values()])
            out: dict[str, Sketch] = {}
            work = [(p, kind, blobs[sha]) for p, (kind, sha) in located.items()]
            for p, outcome in _parse(work, settings.parser, jobs).items():
                # An unchanged file that does not parse was committed like that: absent, and not reported again.
                out[p] = (
                    sketch_result(outcome) if isinstance(outcome, ParseResult) else Sketch(located[p][0], (), True)
                )
                where[p] = located[p]
            return out

        result.errors.extend(_cross_check(sketches, claims, changed=set(changed), vanished=vanished, exact=exact))
    finally:
        reader.close()
    store.update(valid, {p: (where[p][1], s) for p, s in sketches.fresh.items()}, claims)
    return True


class _Reader:
    """Blob reads by id through one lazily started ``git cat-file --batch``."""

    def __init__(self, top: Path) -> None:
        self._top = top
        self._reader: git.BlobReader | None = None

    def read(self, shas: list[str]) -> dict[str, bytes]:
        if not shas:
            return {}
        if self._reader is None:
            self._reader = git.BlobReader(self._top)
        return self._reader.read_many(shas)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


# ---------------------------------------------------------------------------------------------------- parsing


def _parse(
    work: list[tuple[str, FileKind, bytes]], options: ParserOptions, jobs: int | None
) -> dict[str, ParseResult | ParseError]:
    from tracertm.engine.parse import default_jobs, parse_files

    return parse_files(work, options, jobs if jobs is not None else default_jobs())


# ------------------------------------------------------------------------------------------ cross-file rules


def _key(kind: str, number: str) -> str:
    return f"{kind}\t{number}"


class _Claims:
    """Who claims which identity: ``"kind<TAB>number"`` → paths. Kept up to date instead of rebuilt."""

    def __init__(self, owners: dict[str, list[str]] | None = None) -> None:
        self.owners: dict[str, list[str]] = owners if owners is not None else {}

    def add(self, path: str, sketch: Sketch) -> None:
        for r in sketch.records:
            paths = self.owners.setdefault(_key(sketch.kind, r.number), [])
            if path not in paths:
                paths.append(path)

    def remove(self, path: str, sketch: Sketch) -> None:
        for r in sketch.records:
            key = _key(sketch.kind, r.number)
            paths = self.owners.get(key)
            if paths is not None and path in paths:
                paths.remove(path)
                if not paths:
                    del self.owners[key]

    def adr_ids(self) -> set[str]:
        return {key[4:] for key in self.owners if key.startswith("adr\t")}


class _Sketches(MutableMapping[str, Sketch]):
    """Path → sketch, where the sketches of files valid in the cache are decoded only when looked at;
    ``fresh`` holds the sketches computed by this run (what the cache has to store)."""

    def __init__(self, store: _Cache, valid: set[str], fresh: dict[str, Sketch]) -> None:
        self._store = store
        self._valid = valid
        self.fresh = fresh
        self._decoded: dict[str, Sketch] = {}

    def __getitem__(self, path: str) -> Sketch:
        if path in self.fresh:
            return self.fresh[path]
        if path not in self._valid:
            raise KeyError(path)
        if path not in self._decoded:
            self._decoded[path] = self._store.decode(path)
        return self._decoded[path]

    def __setitem__(self, path: str, sketch: Sketch) -> None:
        self.fresh[path] = sketch
        self._valid.discard(path)

    def __delitem__(self, path: str) -> None:
        self.fresh.pop(path, None)
        self._valid.discard(path)

    def __iter__(self) -> Iterator[str]:
        yield from self.fresh
        yield from (p for p in self._valid if p not in self.fresh)

    def __len__(self) -> int:
        return len(self.fresh) + len(self._valid - self.fresh.keys())


def cross_check(results: Iterable[ParseResult]) -> list[Diagnostic]:
    """References between files: duplicate identities, ADR links to ADRs that do not exist, features tagged with
    unknown ADR ids. Files that failed to parse are simply absent (their own errors are reported already)."""
    sketches = {r.path: sketch_result(r) for r in results}
    claims = _Claims()
    for p in sorted(sketches):
        claims.add(p, sketches[p])
    return _cross_check(sketches, claims, changed=None)


def _duplicate(kind: str, number: str, other: str) -> str:
    return f"{kind} {number} is already defined in {other}; give one of them another id"


def _dangling(what: str, target: str) -> str:
    return f"{what} refers to {target}, which is not an ADR of this repository; fix the id or add the ADR"


def _cross_check(
    sketches: MutableMapping[str, Sketch],
    claims: _Claims,
    *,
    changed: set[str] | None,
    vanished: AbstractSet[str] = frozenset(),
    exact: Callable[[Iterable[str]], Mapping[str, Sketch]] | None = None,
) -> list[Diagnostic]:
    """Cross-file rules over sketches and their claims index (both kept in step). ``changed=None``: every file is
    reported on. Otherwise only the changed files, plus unchanged files that refer to an ADR id in ``vanished``
    (taken away by the change); approximate sketches involved in such an error are first replaced by
    ``exact(paths)``."""

    def is_changed(p: str) -> bool:
        return changed is None or p in changed

    def confirm(paths: Iterable[str]) -> bool:
        rough = sorted({p for p in paths if not sketches[p].exact})
        if not rough or exact is None:
            return False
        for p, sketch in exact(rough).items():
            claims.remove(p, sketches[p])
            sketches[p] = sketch
            claims.add(p, sketch)
        return True

    def contested() -> dict[str, list[str]]:
        if changed is None:
            keys: Iterable[str] = claims.owners
        else:
            keys = {_key(sketches[p].kind, r.number) for p in changed for r in sketches[p].records}
        return {k: sorted(claims.owners[k]) for k in keys if len(claims.owners.get(k, ())) > 1}

    # Duplicates that involve a changed file; approximate claimants are parsed until every claim is exact.
    duplicates = contested()
    while confirm(p for paths in duplicates.values() for p in paths):
        duplicates = contested()
    errors: list[Diagnostic] = []
    for key, paths in sorted(duplicates.items()):
        kind, number = key.split("\t", 1)
        first = paths[0]
        for p in paths:
            if not is_changed(p):
                continue
            if p == first and any(is_changed(o) for o in paths[1:]):
                continue  # the changed later claimant carries the error, as when everything is checked
            other = first if p != first else paths[1]
            line = next(r.line for r in sketches[p].records if r.number == number)
            errors.append(Diagnostic(p, line, 1, _duplicate(kind, number, other)))

    suspects = {
        p
        for p, s in (sketches.items() if vanished else ())
        if not is_changed(p) and any(t in vanished for r in s.records for _, t in r.refs)
    }
    confirm(suspects)
    adrs = claims.adr_ids()
    for p in sorted(sketches if changed is None else changed | suspects):
        for rec in sketches[p].records:
            reported: set[str] = set()  # one error per missing ADR, under the first field naming it
            for index, (what, target) in enumerate(rec.refs):
                if target not in adrs and target not in reported and (is_changed(p) or target in vanished):
                    reported.add(target)
                    errors.append(Diagnostic(p, rec.ref_line(index), 1, _dangling(what, target)))
    return errors


# ------------------------------------------------------------------------------------------------------ cache


class _Cache:
    """``<git dir>/tracertm-check-cache.json``: per path, the blob id it was sketched from and the sketch, plus the
    claims index over all of them. Local, cheap and safe: an entry is used only when its blob id matches, the whole
    file is dropped when tracertm, the parser version, the parser options, the spec paths or the spec root change
    (so a cached kind is still the path's kind), it is replaced atomically, and anything unreadable is ignored."""

    def __init__(self, path: Path | None, key: str) -> None:
        self.path = path
        self.key = key
        self.entries: dict[str, str] = {}
        self.claims: dict[str, list[str]] = {}
        self.dirty = False

    @classmethod
    def memory(cls) -> _Cache:
        """A cache that starts empty and is never written."""
        return cls(None, "")

    @classmethod
    def locate(cls, location: Location, settings: Settings) -> _Cache:
        from tracertm._version import __version__
        from tracertm.parsers.common import PARSER_VERSION

        assert location.top is not None
        dot_git = location.top / ".git"
        if dot_git.is_dir():
            path = dot_git / CACHE_NAME
        else:  # a linked work tree or a submodule: .git is a file pointing elsewhere
            path = Path(git.run(location.top, "rev-parse", "--git-path", CACHE_NAME).decode().strip())
            path = path if path.is_absolute() else location.top / path
        paths = sorted(settings.paths.items())
        key = repr(
            (
                _CACHE_FORMAT,
                __version__,
                PARSER_VERSION,
                location.prefix,
                settings.parser,
                paths,
                settings.exclude,
                sorted(settings.configured),
            )
        )
        cache = cls(path, key)
        try:
            with path.open("rb") as fh:
                data = json.load(fh)
            if isinstance(data, dict) and data.get("key") == key:
                entries, claims = data.get("files"), data.get("claims")
                if isinstance(entries, dict) and isinstance(claims, dict):
                    cache.entries, cache.claims = entries, claims
        except (OSError, ValueError):
            pass
        return cache

    def valid(self, path: str, blob: str) -> bool:
        """Whether the entry of ``path`` was sketched from blob ``blob`` (then ``decode`` is its sketch)."""
        entry = self.entries.get(path)
        return entry is not None and entry.startswith(blob) and entry[len(blob) : len(blob) + 1] == "\t"

    def decode(self, path: str) -> Sketch:
        """The sketch stored for ``path`` (an empty one if the entry is damaged)."""
        head, *records = self.entries[path].split("\n")
        fields = head.split("\t")
        new = tuple.__new__  # not the NamedTuple constructors: cheaper, and this may run for many files
        try:
            sketch = []
            for text in records:
                number, line, *refs = text.split("\t")
                pairs = tuple(zip(refs[0::3], refs[1::3])) if refs else ()
                lines = tuple(int(n) for n in refs[2::3])
                sketch.append(new(RecordSketch, (number, int(line), pairs, lines)))
            return new(Sketch, (fields[1], tuple(sketch), fields[2] == "1"))
        except (ValueError, IndexError):
            return Sketch(fields[1] if len(fields) > 1 else "adr", (), False)  # type: ignore[arg-type]

    @staticmethod
    def encode(blob: str, sketch: Sketch) -> str | None:
        """One entry as one string (a JSON string encodes and decodes far faster than nested lists):
        ``blob TAB kind TAB exact`` then per record ``LF number TAB line (TAB field TAB target TAB line)*``."""
        parts = [f"{blob}\t{sketch.kind}\t{int(sketch.exact)}"]
        for r in sketch.records:
            values = (r.number, *(x for ref in r.refs for x in ref))
            if any("\t" in v or "\n" in v for v in values):
                return None  # an id with a tab or newline in it: not cached (sketched again next time)
            refs = (x for i, (what, target) in enumerate(r.refs) for x in (what, target, str(r.ref_line(i))))
            parts.append("\t".join((r.number, str(r.line), *refs)))
        return "\n".join(parts)

    def replace(self, sketches: Mapping[str, tuple[str, Sketch]], claims: _Claims) -> None:
        """The cache becomes exactly these files (an everything-check)."""
        self.update((), sketches, claims)

    def update(self, keep: Iterable[str], sketches: Mapping[str, tuple[str, Sketch]], claims: _Claims) -> None:
        """Keep the entries of ``keep``, store ``sketches`` (path → (blob id, sketch)), drop every other entry;
        ``claims`` must be the index over exactly these."""
        entries = {p: self.entries[p] for p in keep}
        for p, (blob, sketch) in sketches.items():
            text = self.encode(blob, sketch) if blob else None
            if text is None:
                claims.remove(p, sketch)  # the index must not hold what the entries do not
            else:
                entries[p] = text
        if entries != self.entries:  # the claims index is a function of the entries
            self.entries, self.claims = entries, claims.owners
            self.dirty = True

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            # json.dumps, not json.dump: only the one-shot encoder is the C one (10x faster on 6,000 entries).
            payload = {"key": self.key, "files": self.entries, "claims": self.claims}
            tmp.write_text(json.dumps(payload, separators=(",", ":")), "utf-8")
            os.replace(tmp, self.path)
        except OSError:
            try:
                tmp.unlink()
            except OSError:
                pass
        self.dirty = False


__all__ = ["CheckResult", "RecordSketch", "Sketch", "check", "cross_check", "sketch_result", "sketch_text"]
