"""Hook mode of ``tracertm check`` (``check --staged``, what the pre-commit hook runs): check what a commit changes.

Only the spec files whose index entry differs from ``HEAD`` are parsed and reported on. Cross-file validation still
sees the whole repository, through a *sketch* of every other file: the identities it claims and the ADR ids it refers
to (``tracertm.sketches``). Sketches come from a small cache keyed by index entry (path and blob id;
``.git/tracertm-check-cache``, ``tracertm.check_cache``), written by every check, exact because taken from a real
parse, together with the index "identity → files" over all of them: the index listing and the cache are compared as
two sets of strings, so unchanged files cost nothing one by one; a file the cache does not know is sketched by a few
regular expressions over its bytes (no YAML, no Gherkin). Before an error is reported *because of* an approximate
sketch (a duplicate identity, a reference to an ADR this change removed) that file is parsed for real, so
approximations never produce a false error on their own. Errors that were already committed are not re-reported.

Apart from ``tracertm.checker`` (the whole-project check, and the dispatch) because it is a different algorithm over
different inputs — git's index listing and diff, the cache, blobs read by id — with its own helpers, none of which
the whole-project check uses; the two share only the parse-and-report step and the result. ``checker`` imports this
module only in hook mode. Like ``checker`` it imports nothing heavy at module level: it runs on every commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import TypeVar

from tracertm import git
from tracertm.config import Settings
from tracertm.config_glob import literal_suffix
from tracertm.errors import Diagnostic, GitError
from tracertm.parsers.records import FileKind, ParseResult
from tracertm.engine.linked_folders import link_candidates, linked_folders, listed_below
from tracertm.engine.scan import Location, name_error, scan, unmerged_error
from tracertm.check_cache import CheckCache, file_key
from tracertm.staged_config import settings_changed
from tracertm.crossfile import cross_check_sketches
from tracertm.sketches import Sketch, broken_sketch, sketch_result, sketch_text
from tracertm.checker import CheckResult, merge_findings, parse, parse_report

_T = TypeVar("_T")


def check_changes(
    location: Location, settings: Settings, result: CheckResult, store: CheckCache, jobs: int | None,
    changes: git.Pending | None = None, config: tuple[str, ...] = (),
) -> bool:
    """Check what the commit changes into ``result``: its spec files, the steps they affect, and the settings'
    warnings (``changes``: ``git.start_index_changes`` already under way; ``config``: the files the staged settings
    are read from). False, with nothing checked, when every file has to be checked instead (no ``HEAD`` yet, or
    the commit changes the settings). ``store`` is updated, not saved."""
    index = _check_spec_changes(location, settings, result, store, jobs, changes, config)
    if index is None:
        return False
    _check_step_changes(location, settings, result, index)
    if settings.adr_dir_warning is not None:
        result.warnings.append(settings.adr_dir_warning)
    result.warnings.extend(_unmatched_in_index(location, settings))
    return True


def _unmatched_in_index(location: Location, settings: Settings) -> list[Diagnostic]:
    """Hook mode's "adr_paths matched nothing": the configured globs against the spec files of the index (what the
    commit will hold). Warned about on every commit, spec files changed or not: a glob that matches nothing turns
    the files it was meant for into non-spec files, so the commit that touches them looks like it touches none.
    Lists only the configured globs' folders (nothing at all without configured globs)."""
    if not settings.configured or location.top is None:
        return []
    from tracertm.config_glob import glob_to_regex

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


def _check_step_changes(location: Location, settings: Settings, result: CheckResult, index: _Index) -> None:
    """Hook mode: the steps a commit's changed features and step files affect (tracertm.steps.checks), from the
    index listing the spec check already made."""
    if not index.diff or not index.steps:
        return  # the commit changes no spec file, or the index holds no step file and the commit removes none
    from tracertm.steps.checks import check_changes as step_changes

    assert location.top is not None
    reader = _Reader(location.top)
    try:
        found = step_changes(location, settings, reader.read, diff=index.diff, listing=index.listing)
    finally:
        reader.close()
    merge_findings(result, found)


def _strip(entries: Mapping[str, _T], prefix: str) -> dict[str, _T]:
    if not prefix:
        return dict(entries)
    return {p[len(prefix) :]: v for p, v in entries.items() if p.startswith(prefix)}


class _Index:
    """What hook mode read from git, for the step checks that follow: the spec files the commit changes (path →
    (blob in HEAD, blob in the index)), the index listing (path → (mode, blob id)); both root-relative; and
    whether the step checks can have anything to say (``steps``: the index holds a step file or the commit
    removes one). A plain class: a dataclass costs a hook's import a fraction of a millisecond."""

    __slots__ = ("diff", "listing", "steps")

    def __init__(
        self,
        diff: Mapping[str, tuple[str | None, str | None]],
        listing: Mapping[str, tuple[str, str]],
        steps: bool = True,
    ) -> None:
        self.diff = diff
        self.listing = listing
        self.steps = steps


class _Listing:
    """The index under the spec folders as git lists it (``mode blob stage<TAB>path``, top-relative), with the
    cache's keys of its entries (the same minus the mode) and lookups by root-relative path built on first use."""

    def __init__(self, text: str, prefix: str) -> None:
        self.items = text.split("\0")
        if self.items and not self.items[-1]:
            self.items.pop()
        if text.startswith("160000 ") or "\x00160000 " in text:
            # Submodules (gitlinks) hold commits, not files: left out, as every other source leaves them out.
            self.items = [i for i in self.items if not i.startswith("160000 ")]
        self.keys = [item[7:] for item in self.items]  # the mode is always six octal digits and a space
        self._has_links = text.startswith("120000 ") or "\x00120000 " in text
        self._prefix = prefix
        self._by_path: dict[str, str] | None = None
        self._links: dict[str, str] | None = None
        self._odd: dict[str, str] | None = None

    @property
    def by_path(self) -> dict[str, str]:
        """Root-relative path → its key (a conflicted path: its last stage; ``_check_spec_changes`` reports such a
        path as unmerged and reads none of its stages)."""
        if self._by_path is None:
            # Every blob id of a repository has the same length: every key has its tab at the same place. And git
            # listed only paths under the spec folders, all inside the spec root.
            cut = self.keys[0].index("\t") + 1 + len(self._prefix) if self.keys else 0
            self._by_path = dict(zip([k[cut:] for k in self.keys], self.keys))
        return self._by_path

    @property
    def links(self) -> dict[str, str]:
        """Root-relative path → key, of the symbolic links."""
        if self._links is None:
            links = {k for k, mode in self.modes().items() if mode == "120000"} if self._has_links else set()
            self._links = {p: k for p, k in self.by_path.items() if k in links} if links else {}
        return self._links

    def modes(self) -> dict[str, str]:
        """Key → mode, of the entries that are not plain files (``100644``)."""
        if self._odd is None:
            self._odd = {i[7:]: i[:6] for i in self.items if not i.startswith("100644 ")}
        return self._odd

    def blobs(self) -> dict[str, tuple[str, str]]:
        """Root-relative path → (mode, blob id): the listing the step checks take."""
        modes = self.modes()
        return {p: (modes.get(k, "100644"), k.split(" ", 1)[0]) for p, k in self.by_path.items()}


def _check_spec_changes(
    location: Location, settings: Settings, result: CheckResult, store: CheckCache, jobs: int | None,
    changes: git.Pending | None = None, config: tuple[str, ...] = (),
) -> _Index | None:
    """Hook mode: parse what the commit changes, sketch the rest, report only what the change causes. None when
    there is no ``HEAD`` yet (the first commit: everything staged is new, so everything is checked instead), and
    when the commit changes the settings (``config``: the files they are read from): which files are specs, and
    what they hold, may then change for every file, so every file is checked under the staged settings.

    The index is listed once and compared with the cache as a whole: an unchanged file whose entry the cache
    holds costs nothing of its own (its identities are in the cache's claims index, its sketch is decoded only
    if a rule needs it). Other files are sketched from their blobs. Only symbolic links go through ``scan``.
    """
    top = location.top
    assert top is not None
    prefix = location.prefix
    specs = tuple(prefix + s for s in settings.prefixes)
    try:
        if changes is None:
            changes = git.start_index_changes(top, "HEAD", specs + config)
        staged, ita = _committed(top, git.parse_index_changes(changes.result()))
    except GitError:
        if git.head_commit(top) is None:
            return None
        raise
    if any(p in staged for p in config):
        if settings_changed(location, settings):
            return None
        # (a configuration file outside the spec folders is no change of theirs)
        staged = {p: v for p, v in staged.items() if p not in config or p.startswith(specs)}

    # The kind of each changed path: the cache's for its blob in HEAD, when it holds that (the cache is dropped
    # when the spec paths change), else classified (the classifier's regular expressions cost a hook a few
    # milliseconds to build).
    def kind_of(path: str, old: str | None) -> FileKind | None:
        if old is not None:
            key = file_key(old, prefix + path)
            if key in store.ignored:
                return None
            cached = store.kind(key)
            if cached is not None:
                return cached  # type: ignore[return-value]
        return settings.kind_of(path)

    staged = _strip(staged, prefix)  # every change under the spec folders, spec files or not
    kinds = {p: kind_of(p, old) for p, (old, _) in staged.items()}
    # Spec folders can be the whole repository (the default step_paths hold **/conftest.py): keep spec files.
    diff = {p: v for p, v in staged.items() if kinds[p] is not None}
    if not diff and not staged and "" in settings.prefixes:
        # Nothing under the spec folders changes, and they hold every file a spec link may point at: nothing to
        # check or read. (Otherwise a spec link's target may change: the index is listed to find the links.)
        return _Index({}, {}, steps=False)
    # The index, listed by git while this process imports the parsers of the changed kinds.
    pending = git.start_index_listing(top, specs)
    try:
        from tracertm.parsers import preload

        preload(kind for p, kind in kinds.items() if kind is not None and diff.get(p, (None, None))[1])
        listed = pending.result().decode("utf-8", "surrogateescape")
        if ita:  # intent-to-add entries (``git add -N``): no part of the commit, nor of what it is checked against
            listed = "".join(i + "\0" for i in listed.split("\0") if i and i.partition("\t")[2] not in ita)
        listing = _Listing(listed, prefix)
    finally:
        pending.close()
    reader = _Reader(top)
    try:
        # The spec links whose target the commit changes (edits or deletes) change with it.
        relinked = _relinked(top, prefix, specs, listing, staged, reader.read)
        # A spec folder that is a symbolic link: said on every commit, as by check (the links were listed anyway).
        result.warnings.extend(_linked_in_listing(
            settings, listing, reader.read, bool(prefix),
            lambda under: _strip(git.index_entries(top, (prefix + under,)), prefix)))
    except BaseException:
        reader.close()
        raise
    if not diff and not relinked:
        reader.close()
        return _Index({}, {}, steps=False)  # no spec file changes, nor any link's target: nothing to check
    by_path = listing.by_path
    # Changed files that cannot be read, as ``scan`` refuses them: a conflicted path (an unresolved merge: none of
    # its stages is what the commit will hold) and a name that is not UTF-8. Errors of their own, nothing else.
    unmerged = git.unmerged_paths(listed)
    unusable: set[str] = set()
    for changed_path in sorted(diff):
        error = name_error(changed_path) or (
            unmerged_error(changed_path, location.root, settings.parser.max_file_size)
            if prefix + changed_path in unmerged else None
        )
        if error is not None:
            result.errors.append(error)
            unusable.add(changed_path)
    try:
        # Where the bytes of a spec file are (kind, blob id, key in the cache), for the changed files and links.
        where: dict[str, tuple[FileKind, str, str]] = {}
        changed: list[str] = []
        links = sorted(listing.links)
        if links:
            snapshot = scan(location, settings, staged=True, paths=links if len(links) < 1000 else None)
            snapshot.close()
            for p, f in snapshot.files.items():
                if p not in listing.links or p in unusable:
                    continue
                if f.error is not None:
                    if p in diff or p in relinked:
                        result.errors.append(f.error)
                    continue
                where[p] = (f.kind, f.blob_sha, file_key(f.blob_sha, prefix + p, link=True))
                if p in diff or p in relinked or (f.target is not None and f.target in diff):
                    changed.append(p)
        for p in diff:
            key = by_path.get(p)
            if key is None or p in listing.links or p in unusable:
                continue  # deleted, a link (above), or unusable (reported above)
            kind = kinds[p]
            assert kind is not None
            where[p] = (kind, key.split(" ", 1)[0], key)
            changed.append(p)
        changed.sort()
        blobs = reader.read([where[p][1] for p in changed])
        fresh = parse_report([(p, where[p][0], blobs[where[p][1]]) for p in changed], settings.parser, jobs, result)
        result.files_parsed = len(changed)
        for p in sorted(unusable):
            if kinds[p] == "adr" and prefix + p in unmerged and name_error(p) is None:
                # A conflicted ADR is there, as a file that fails to parse is: it still declares the id of its
                # name (not cached).
                where[p] = ("adr", "", "")
                fresh[p] = broken_sketch(p, "adr", b"", settings.parser)

        # Every other spec file: valid in the cache (its key is there), else sketched from its blob. Set
        # operations over the keys: per file work only for the files that changed since the cache was written.
        cached = store.key_set
        own = {by_path.get(p) for p in diff} | {listing.by_path.get(p) for p in listing.links}
        valid = cached.intersection(by_path.values()) - own
        for p in listing.links:  # a link is valid when its target's blob is the one cached
            if p in where and p not in fresh and where[p][2] in cached:
                valid.add(where[p][2])
        misses: list[str] = []
        others = set(by_path.values()) - cached - own  # neither valid, nor changed, nor links
        ignored = others & store.ignored  # still in the index, still not spec files
        for key in others - ignored:
            p = store.path_of(key)
            if p in diff:
                continue  # a changed file (parsed above)
            kind = kinds[p] if p in kinds else settings.kind_of(p)  # (a changed file: classified above)
            if kind is None:
                ignored.add(key)
            else:
                where[p] = (kind, key.split(" ", 1)[0], key)
                misses.append(p)
        for p in listing.links:
            if p in where and p not in fresh and where[p][2] not in valid:
                misses.append(p)
        if misses:
            blobs = reader.read([where[p][1] for p in misses])
            for p in misses:
                kind, sha, _ = where[p]
                fresh[p] = sketch_text(p, kind, blobs[sha], settings.parser)

        # ADR ids this change takes away (an ADR deleted or renumbered): unchanged files may refer to them.
        before: set[str] = set()
        unknown: list[tuple[str, str]] = []
        for p, (old, _new) in diff.items():
            if old is None or kinds[p] != "adr" or p in unusable:
                continue  # (an unusable file is not known to take its ADR away)
            text = store.text(file_key(old, prefix + p))
            if text is not None:
                before.update(r.number for r in store.decode(text).records)
            else:
                unknown.append((p, old))
        for p, (old, _new) in relinked.items():  # a link whose target the commit changes: the target's ADR ids
            if old is None or p in diff or p in unusable or settings.kind_of(p) != "adr":
                continue
            text = store.text(file_key(old, prefix + p, link=True))
            if text is not None:
                before.update(r.number for r in store.decode(text).records)
            else:
                unknown.append((p, old))
        if unknown:
            blobs = reader.read([sha for _, sha in unknown])
            for p, sha in unknown:
                before.update(r.number for r in sketch_text(p, "adr", blobs[sha], settings.parser).records)

        # The claims index of the cache, brought up to date: out with what stale entries claimed, in with the new.
        claims = store.claims
        for key in cached - valid:
            text = store.text(key)
            assert text is not None
            claims.remove(store.path_of(key), store.decode(text))
        for p in sorted(fresh):
            claims.add(p, fresh[p])
        # (an ADR that no longer parses takes away none of the ids it still declares: it is there, broken)
        vanished = {number for number in before if not claims.is_adr(number) and not claims.declares(number)}
        # ADR ids this change adds (claimed by none of the files it leaves alone): a plain reference of an unchanged
        # file may turn ambiguous (``crossfile.resolve_adr``).
        ours = set(changed)
        appeared = {
            r.number for p in changed if p in fresh and fresh[p].kind == "adr" for r in fresh[p].records
            if r.number not in before and all(o in ours for o in claims.get(f"adr\t{r.number}") or ())
        }
        sketches = _Sketches(store, valid, fresh, lambda p: where[p][2] if p in where else by_path.get(p))
        # (a changed file with an error of its own, no sketch — conflicted, a name not UTF-8 — was checked too)
        result.files_checked = len(valid) + len(fresh.keys() | unusable)

        def exact(paths: Iterable[str]) -> dict[str, Sketch]:
            wanted = sorted(set(paths))
            located: dict[str, tuple[FileKind, str]] = {}
            for p in wanted:
                if p in where:
                    located[p] = where[p][:2]
                else:
                    key = by_path[p]
                    located[p] = (sketches[p].kind, key.split(" ", 1)[0])
                    where[p] = (*located[p], key)
            blobs = reader.read([sha for _, sha in located.values()])
            out: dict[str, Sketch] = {}
            work = [(p, kind, blobs[sha]) for p, (kind, sha) in located.items()]
            for p, outcome in parse(work, settings.parser, jobs).items():
                # An unchanged file that does not parse was committed like that: not reported again, and claims
                # nothing (an ADR still declares its ids).
                out[p] = (
                    sketch_result(outcome) if isinstance(outcome, ParseResult)
                    else broken_sketch(p, located[p][0], blobs[located[p][1]], settings.parser)
                )
            return out

        result.errors.extend(cross_check_sketches(sketches, claims, changed=set(changed), vanished=vanished,
                                                  appeared=appeared, exact=exact, warnings=result.warnings))
    finally:
        reader.close()
    store.update(sketches.valid, {p: (where[p][2], s) for p, s in sketches.fresh.items()}, claims, ignored)
    # The step checks have nothing to say when the index holds no step file and the commit removes none
    # (tracertm.steps.checks: "a repository whose step_paths hold no step definition is not checked").
    steps = bool(store.steps.intersection(store.key_set)) or any(
        kinds[p] == "step_definition" for p in diff
    ) or any(s.kind == "step_definition" for s in sketches.fresh.values()) or not _step_kinds_apart(settings)
    return _Index({p: v for p, v in diff.items() if p not in unusable}, _LazyListing(listing), steps=steps)


def _committed(
    top: Path, changes: dict[str, tuple[str | None, str | None]]
) -> tuple[dict[str, tuple[str | None, str | None]], set[str]]:
    """The changes of ``git.start_index_changes`` as the commit makes them, and the intent-to-add entries
    (``git add -N``, top-relative) among them: such an entry holds the empty blob in the index but is no part of a
    commit (absent, or deleted when the commit's parent holds the path). git is asked only about changed entries
    that hold the empty blob."""
    from tracertm.git.tree import EMPTY_BLOBS, intent_to_add

    empty = [p for p, (_, new) in changes.items() if new in EMPTY_BLOBS]
    ita = intent_to_add(top, empty) if empty else set()
    if not ita:
        return changes, ita
    out = {p: (old, None if p in ita else new) for p, (old, new) in changes.items()}
    return {p: v for p, v in out.items() if v != (None, None)}, ita


def _relinked(
    top: Path, prefix: str, specs: tuple[str, ...], listing: _Listing,
    staged: Mapping[str, tuple[str | None, str | None]], read: Callable[[list[str]], dict[str, bytes]],
) -> dict[str, tuple[str | None, str | None]]:
    """The spec links whose target the commit changes: root-relative path → (the target's blob in ``HEAD``, in the
    index), None where absent (a deleted target leaves a dangling link); for a chain of links whose file is the
    same, a link on the way that the commit changes gives its own. ``staged``: every change under the spec folders;
    the paths outside them are asked of git, in one call, only when some link's chain goes there."""
    links = listing.links
    if not links:
        return {}
    from tracertm.engine.symlinks import follow

    shas = {p: key.split(" ", 1)[0] for p, key in links.items()}
    texts = read(sorted(set(shas.values())))
    written = {p: texts[sha].decode("utf-8", "replace") for p, sha in shas.items()}
    hops = {p: end.hops for p, end in follow(written, _index_lookup(top, prefix, specs, listing, read)).items()}
    moved = dict(staged)
    outside = sorted({prefix + t for chain in hops.values() for t in chain if not (prefix + t).startswith(specs)})
    if outside:
        asked = tuple(outside) if sum(len(t) + 16 for t in outside) <= git.MAX_PATHSPEC_BYTES else ("",)
        moved.update(_strip(git.index_changes(top, "HEAD", asked), prefix))
    relinked: dict[str, tuple[str | None, str | None]] = {}
    for p, chain in hops.items():
        # (the file at the chain's end first: its blobs are what the link read before and reads now)
        changed = next((moved[t] for t in reversed(chain) if t in moved), None)
        if changed is not None:
            relinked[p] = changed
    return relinked


def _index_lookup(
    top: Path, prefix: str, specs: tuple[str, ...], listing: _Listing, read: Callable[[list[str]], dict[str, bytes]]
) -> Callable[[list[str]], dict[str, str | None]]:
    """``symlinks.follow``'s lookup in the index: the listing answers for the spec folders, one ``git ls-files``
    per hop for paths outside them (only a link that points there asks)."""
    by_path, modes = listing.by_path, listing.modes()

    def lookup(paths: list[str]) -> dict[str, str | None]:
        entries: dict[str, tuple[str, str]] = {}
        for p in paths:
            key = by_path.get(p)
            if key is not None and key.split(" ", 1)[1].startswith("0\t"):  # (a conflicted path: no file)
                entries[p] = (modes.get(key, "100644"), key.split(" ", 1)[0])
        outside = tuple(prefix + p for p in paths if not (prefix + p).startswith(specs))
        if outside:
            entries.update((p, e) for p, e in _strip(git.index_entries(top, outside), prefix).items()
                           if e.mode != git.UNMERGED)
        linked = sorted({sha for mode, sha in entries.values() if mode == "120000"})
        texts = read(linked) if linked else {}
        return {p: texts[sha].decode("utf-8", "replace") if mode == "120000" else None
                for p, (mode, sha) in entries.items()}

    return lookup


def _linked_in_listing(
    settings: Settings, listing: _Listing, read: Callable[[list[str]], dict[str, bytes]], subfolder: bool,
    outside: Callable[[str], Iterable[str]] | None = None,
) -> list[Diagnostic]:
    """Hook mode's ``engine.linked_folders``: the spec folders, and the links deeper that a glob descends into,
    among the listing's symbolic links (none to look at, and no blob read, in a repository without such a link;
    ``outside`` lists the index under a target the listing does not cover)."""
    links = listing.links
    if not links:
        return []
    found = {c: links[c].split(" ", 1)[0] for c in link_candidates(settings, links)}
    if not found:
        return []
    texts = read(sorted(set(found.values())))
    written = {p: texts[sha].decode("utf-8", "surrogateescape") for p, sha in found.items()}
    return linked_folders(settings, written, listed_below(settings, sorted(listing.by_path)), subfolder=subfolder,
                          outside=outside)


def _step_kinds_apart(settings: Settings) -> bool:
    """Whether no path can be both a step file (by the step globs alone) and a file of another kind: then the
    kinds the check knows (the first matching glob's) tell exactly which files the step checks look at."""
    def tails(patterns: Iterable[str]) -> list[str]:
        return [literal_suffix(p) for p in patterns]

    steps = tails(settings.paths.get("step_definition", ()))
    others = tails(p for kind, patterns in settings.paths.items() if kind != "step_definition" for p in patterns)
    if any(not t for t in steps + others):
        return False  # a glob ending in a wildcard: anything may match it
    return not any(a.endswith(b) or b.endswith(a) for a in steps for b in others)


class _LazyListing(Mapping[str, tuple[str, str]]):
    """The index listing (path → (mode, blob id)) of the step checks, built only if they run."""

    def __init__(self, listing: _Listing) -> None:
        self._listing = listing
        self._blobs: dict[str, tuple[str, str]] | None = None

    def _get(self) -> dict[str, tuple[str, str]]:
        if self._blobs is None:
            self._blobs = self._listing.blobs()
        return self._blobs

    def __getitem__(self, path: str) -> tuple[str, str]:
        return self._get()[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


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


# --------------------------------------------------------------------------------------------------- sketches


class _Sketches(MutableMapping[str, Sketch]):
    """Path → sketch, where the sketches of files valid in the cache (``valid``: their keys) are decoded only when
    looked at; ``fresh`` holds the sketches computed by this run (what the cache has to store)."""

    def __init__(
        self, store: CheckCache, valid: set[str], fresh: dict[str, Sketch], key_of: Callable[[str], str | None]
    ) -> None:
        self._store = store
        self.valid = valid
        self.fresh = fresh
        self._key_of = key_of  # root-relative path → its key in the index listing (a link: in the cache)
        self._decoded: dict[str, Sketch] = {}

    def _key(self, path: str) -> str | None:
        key = self._key_of(path)
        return key if key is not None and key in self.valid else None

    def __getitem__(self, path: str) -> Sketch:
        if path in self.fresh:
            return self.fresh[path]
        if path not in self._decoded:
            key = self._key(path)
            if key is None:
                raise KeyError(path)
            text = self._store.text(key)
            assert text is not None
            self._decoded[path] = self._store.decode(text)
        return self._decoded[path]

    def __setitem__(self, path: str, sketch: Sketch) -> None:
        key = self._key(path)
        if key is not None:
            self.valid.discard(key)
        self._decoded.pop(path, None)
        self.fresh[path] = sketch

    def __delitem__(self, path: str) -> None:
        key = self._key(path)
        if key is not None:
            self.valid.discard(key)
        self._decoded.pop(path, None)
        self.fresh.pop(path, None)

    def _valid_paths(self) -> list[str]:
        return [p for p in (self._store.path_of(k) for k in self.valid) if self._key(p) is not None]

    def __iter__(self) -> Iterator[str]:
        yield from self.fresh
        yield from (p for p in self._valid_paths() if p not in self.fresh)

    def __len__(self) -> int:
        return len(self.fresh) + sum(1 for p in self._valid_paths() if p not in self.fresh)


__all__ = ["check_changes"]
