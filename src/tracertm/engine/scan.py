"""Scan: list the spec files of a source with their git blob ids. Needs no database and reads no unchanged file.

Sources: the work tree (default), the index (``--staged``), a commit (``--ref``). Folders that are not git
repositories are scanned from the file system, with a stat cache supplied by the caller.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Literal, NamedTuple

from tracertm import git
from tracertm.engine import linked_folders as linked
from tracertm.engine.regular_file import Beneath, TooLarge, read_regular, special_kind
from tracertm.engine.symlinks import Lookup, behind_a_link, behind_links, disk_lookup, follow, outside_dot_git
from tracertm.engine.symlinks import link_error as link_error  # (re-exported: where the other sources look)
from tracertm.engine.symlinks import link_target as link_target
from tracertm.config import Settings
from tracertm.errors import Diagnostic, UsageError, refuse_blank_path
from tracertm.parsers.records import FileKind
from tracertm.text import is_text, refuse_unnamable

SourceKind = Literal["worktree", "index", "commit", "folder"]

# Paths named on one git command line at most (bytes, with room for the ":(top,literal)" magic): far below the
# kernel's argument limit (ARG_MAX, 2 MiB on Linux, shared with the environment).
MAX_PATHSPEC_BYTES = 256 * 1024


@dataclass(frozen=True)
class ScannedFile:
    """One spec file of the source. ``error`` is set when the file cannot be used (e.g. a symlink out of the tree,
    a conflicted index entry, a name that is not UTF-8): such a file is treated like a file that fails to parse —
    its previous records are kept (a name that is not UTF-8 is not even stored: ``name_error``)."""

    path: str
    kind: FileKind
    blob_sha: str
    size: int | None = None
    mtime_ns: int | None = None
    error: Diagnostic | None = None
    # Where the bytes live when they are not at ``path`` itself (a symlink's target inside the repository).
    target: str | None = None
    # A work tree's file whose bytes are git's blob ``blob_sha``, not the file on disk: a skip-worktree entry (sparse
    # checkout) absent from disk, or a file git stores otherwise than it is on disk (a clean filter, ``ident``, a
    # ``working-tree-encoding``), so that what is parsed is what the stored blob id names.
    from_git: bool = False
    # ``from_git`` through a clean filter (``filter=`` in ``.gitattributes``): the lines parsed may be others than
    # the file's on disk (``checker`` says which text a finding's line is of).
    filtered: bool = False


@dataclass(frozen=True)
class Location:
    """Where specs live: ``root`` (paths are relative to it) inside git work tree ``top`` (None: a plain folder).

    ``root`` may be a sub-folder of ``top`` (a monorepo project, or this repository's own ``sample-repo/``).
    """

    root: Path
    top: Path | None

    @cached_property  # asked once per file by hook-mode checks: computed once
    def prefix(self) -> str:
        """``root`` relative to ``top`` with a trailing slash ("" at the top or outside git)."""
        if self.top is None or self.top == self.root:
            return ""
        return self.root.relative_to(self.top).as_posix() + "/"

    @classmethod
    def find(cls, path: str | os.PathLike[str] | None = None) -> Location:
        """An explicit ``path`` is the spec root; without one, the top of the repository around the current folder.
        A blank one is refused (every Python API function that takes a path finds it here)."""
        refuse_blank_path(path)
        start = Path(path if path is not None else ".").expanduser()
        if not start.is_dir():
            raise UsageError(f"{start}: no such folder; pass the path of a repository")
        top = git.find_root(start)
        root = start.resolve() if path is not None else (top or start.resolve())
        return cls(root, top.resolve() if top else None)


@dataclass(frozen=True)
class StatEntry:
    """What the database remembers of a file in a plain folder: enough to skip re-reading it."""

    blob_sha: str
    size: int | None
    mtime_ns: int | None


@dataclass
class Snapshot:
    """The spec files of one source. ``scope`` limits what absence means: None = the whole repository."""

    location: Location
    source: SourceKind
    files: dict[str, ScannedFile]
    commit: str | None = None
    scope: frozenset[str] | None = None
    _reader: git.BlobReader | None = field(default=None, repr=False)
    # A work tree's: the spec files whose content differs from git's index (modified, deleted, untracked); None
    # for the other sources.
    dirty: frozenset[str] | None = None
    # Warnings about spec folders that are symbolic links (``linked_folders``); a full scan's only.
    linked: list[Diagnostic] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.location.root

    @cached_property
    def real_root(self) -> str:
        """``root`` as its real path (no link on the way): where a work-tree file read below it must be
        (``regular_file.Beneath``); resolved once per snapshot."""
        return os.path.realpath(self.root)

    @cached_property
    def object_format(self) -> str:
        """The object format of this source's blob ids, ``sha1`` or ``sha256``: the repository's, told by the
        length of the ids the scan got from git (no git call; ``git rev-parse --show-object-format`` only when no
        file has one), SHA-1 for a plain folder. Asked once per sync and given to the parse workers, which hash the
        files they read in it (``parse_files(object_format=...)``): their ids are then the scan's, git's."""
        if self.location.top is None:
            return "sha1"
        sha = next((f.blob_sha for f in self.files.values() if f.blob_sha), "")
        if sha:
            return "sha256" if len(sha) == 64 else "sha1"
        return git.object_format(self.location.top)

    def in_scope(self, path: str) -> bool:
        return self.scope is None or path in self.scope

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        """The bytes of the given files (all must be in ``files`` without ``error``)."""
        wanted = [self.files[p] for p in paths]
        if self.source in ("worktree", "folder"):
            # (one descriptor each: a FIFO swapped in since the scan is an OSError, not a read that never returns)
            out = {f.path: read_regular(Beneath(self.real_root, f.target or f.path))
                   for f in wanted if not f.from_git}
            wanted = [f for f in wanted if f.from_git]
            if not wanted:
                return out
        else:
            out = {}
        blobs = self._blobs(wanted).read_many([f.blob_sha for f in wanted])
        out.update((f.path, blobs[f.blob_sha]) for f in wanted)
        return out

    def read_limited(self, paths: Iterable[str], max_size: int) -> dict[str, bytes | int]:
        """``read`` of git objects, except that a blob over ``max_size`` bytes is not read: its size is given."""
        wanted = [self.files[p] for p in paths]
        blobs = self._blobs(wanted).read_limited([f.blob_sha for f in wanted], max_size)
        return {f.path: blobs[f.blob_sha] for f in wanted}

    def _blobs(self, wanted: list[ScannedFile]) -> git.BlobReader:
        """The reader of git's objects (a new one for one a cut-short read broke), ``wanted``'s blobs a partial
        clone lacks fetched first in one go (git would fetch each as it is read)."""
        if self._reader is None or self._reader.broken:
            assert self.location.top is not None
            self._reader = git.BlobReader(self.location.top)
        if self.source == "commit" and self.location.top is not None and wanted:
            paths = [self.location.prefix + p for f in wanted for p in (f.path, f.target) if p]
            git.fetch_missing(self.location.top, [f"{self.commit}^{{tree}}"], paths, {f.blob_sha for f in wanted})
        return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def scan(
    location: Location,
    settings: Settings,
    *,
    ref: str | None = None,
    staged: bool = False,
    paths: Iterable[str] | None = None,
    known: Mapping[str, StatEntry] | None = None,
) -> Snapshot:
    """List the spec files at ``location``. ``paths`` restricts the scan (and what counts as deleted) to those
    root-relative paths; ``known`` lets a plain-folder scan skip files whose size and mtime are unchanged."""
    check_ref(ref)
    scope = frozenset(paths) if paths is not None else None
    top = location.top
    if top is None:
        if ref or staged:
            raise UsageError(f"{'--ref' if ref else '--staged'}: {location.root} is not a git repository")
        files = _scan_folder(location.root, settings, scope, known or {})
        snapshot = Snapshot(location, "folder", files, None, scope)
        if scope is None:
            snapshot.linked = linked.on_disk(location, settings, set(), lambda under: _walk(location.root, (under,)))
        return snapshot
    prefix = location.prefix
    wanted = tuple(sorted(scope)) if scope is not None else settings.prefixes
    if scope is not None and sum(len(p) + 16 for p in wanted) > MAX_PATHSPEC_BYTES:
        # Too many paths for one command line (ARG_MAX): list the spec folders instead; ``scope`` still filters.
        wanted = settings.prefixes
    if scope is not None and not wanted:
        return Snapshot(location, "worktree", {}, None, scope)
    specs = tuple(prefix + p for p in wanted)
    if ref:
        commit = git.resolve_commit(top, ref)
        entries = _strip(git.tree_entries(top, commit, specs), prefix)
        files = _from_entries(top, entries, settings, scope,
                              lambda paths: _strip(git.tree_entries(top, commit, tuple(prefix + p for p in paths)),
                                                   prefix))
        snapshot = Snapshot(location, "commit", files, commit, scope)
        if scope is None:
            snapshot.linked = linked.in_tree(
                location, settings, entries, lambda under: _strip(git.tree_entries(top, commit, (prefix + under,)),
                                                                  prefix))
        return snapshot
    if staged:
        entries = _strip(git.index_entries(top, specs), prefix)
        files = _from_entries(top, entries, settings, scope,
                              lambda paths: _strip(git.index_entries(top, tuple(prefix + p for p in paths)), prefix),
                              location.root)
        snapshot = Snapshot(location, "index", files, git.head_commit(top), scope)
        if scope is None:
            snapshot.linked = linked.in_tree(
                location, settings, entries, lambda under: _strip(git.index_entries(top, (prefix + under,)), prefix))
        return snapshot
    index = git.worktree_index(top, specs)
    everything = _strip(index.entries, prefix)
    ita, skip, assume = ({p[len(prefix):] for p in group if p.startswith(prefix)}
                         for group in (index.intent_to_add, index.skip_worktree, index.assume_unchanged))
    # An intent-to-add entry is no part of the index (the next commit) but is a work-tree file like an untracked
    # one; ``git ls-files -o`` does not list it, being in the index.
    entries = {p: e for p, e in everything.items() if p not in ita} if ita else everything
    modified, deleted, untracked = (
        {p[len(prefix):] for p in group} for group in git.worktree_status(top, specs)
    )
    untracked |= ita
    # Named by their UTF-8 bytes, as git lists them, before anything opens one by its name.
    refuse_unnamable(location.root, (p for p in (*entries, *untracked) if _accept(p, settings, scope)))
    bits = _Bits(skip, assume, everything, wanted)
    files = _scan_worktree(location, settings, entries, modified, deleted, untracked, scope, bits)
    indexed = {p: e.sha for p, e in entries.items()}
    links = {p: (f.kind, e) for p, f in files.items() if (e := entries.get(p)) is not None and e.mode == "120000"}
    if links:  # a link's index entry holds its text: what it stands for is its target's blob in the index

        def more(paths: list[str]) -> dict[str, git.Entry]:
            return _strip(git.index_entries(top, tuple(prefix + p for p in paths)), prefix)

        indexed.update((p, f.blob_sha) for p, f in _symlinks_in_tree(top, links, entries, more).items())
    dirty = {p for p, f in files.items() if indexed.get(p) != f.blob_sha}
    dirty.update(p for p in deleted | bits.gone if _accept(p, settings, scope))
    snapshot = Snapshot(location, "worktree", files, None, scope, dirty=frozenset(dirty))
    if scope is None:
        # The links among the entries and untracked files the scan has, read from the disk (no git call): the spec
        # folders, and deeper the index's links a glob descends into (found while the index was listed).
        folders = {c for c in settings.spec_folders if c in untracked}
        if index.links:
            found = [p[len(prefix):] for p in index.links if p.startswith(prefix)]
            folders |= linked.link_candidates(settings, found)
        if folders:
            listed = sorted({*everything, *untracked})
            snapshot.linked = linked.on_disk(location, settings, folders, linked.listed_below(settings, listed),
                                             lambda under: _walk(location.root, (under,)))
    return snapshot


def accepted(path: str, settings: Settings, scope: frozenset[str] | None = None) -> bool:
    """Whether a sync reads ``path`` (root-relative) as a spec file, within ``scope`` when given."""
    return _accept(path, settings, scope) is not None


def check_ref(ref: str | None, otherwise: str = "(--ref HEAD), or leave --ref out for the work tree") -> None:
    """Refuse an empty ``--ref`` (``--ref ""``, an unset variable in a script): it must not quietly mean what
    leaving it out means, said by ``otherwise`` (backfill's: HEAD)."""
    if ref is not None and not ref.strip():
        raise UsageError(f"--ref: empty; name a commit, branch or tag {otherwise}")


def _strip(entries: dict[str, git.Entry], prefix: str) -> dict[str, git.Entry]:
    if not prefix:
        return entries
    return {p[len(prefix):]: e for p, e in entries.items() if p.startswith(prefix)}


def _accept(path: str, settings: Settings, scope: frozenset[str] | None) -> FileKind | None:
    if scope is not None and path not in scope:
        return None
    return settings.kind_of(path)


def _from_entries(
    top: Path, entries: dict[str, git.Entry], settings: Settings, scope: frozenset[str] | None,
    more: Callable[[list[str]], dict[str, git.Entry]], root: Path | None = None,
) -> dict[str, ScannedFile]:
    """Files of a tree or the index; symlinks are followed only to another blob of the same tree, through links of
    it on the way (``symlinks.follow``).
    ``more`` lists the tree's entries at given paths: a link's target outside the listed spec folders (or outside
    ``scope``: the hook scans only the links it checks) is looked up there, one git call for all of them. ``root``:
    the index's work tree, where a conflicted path's error points at its first conflict marker."""
    files: dict[str, ScannedFile] = {}
    links: dict[str, tuple[FileKind, git.Entry]] = {}
    for path, entry in entries.items():
        kind = _accept(path, settings, scope)
        if kind is None:
            continue
        unusable = name_error(path)
        if unusable is None and entry.mode == git.UNMERGED:
            unusable = unmerged_error(path, root, settings.parser.max_file_size)
        if unusable is not None:
            files[path] = ScannedFile(path, kind, "", error=unusable)
        elif entry.mode != "120000":
            files[path] = ScannedFile(path, kind, entry.sha)
        else:
            links[path] = (kind, entry)
    if links:
        files.update(_symlinks_in_tree(top, links, entries, more))
    return files


def _symlinks_in_tree(
    top: Path, links: dict[str, tuple[FileKind, git.Entry]], entries: dict[str, git.Entry],
    more: Callable[[list[str]], dict[str, git.Entry]],
) -> dict[str, ScannedFile]:
    """The symbolic links of a tree or the index, each followed along its chain to the blob it ends at (``follow``):
    link texts read through one ``git cat-file`` process; paths not in ``entries`` listed by ``more``, once per
    hop for every link that reached one."""
    reader = git.BlobReader(top)
    try:
        texts = reader.read_many(sorted({entry.sha for _, entry in links.values()}))
        written = {path: texts[entry.sha].decode("utf-8", "replace") for path, (_, entry) in links.items()}
        known = dict(entries)
        followed = follow(written, _tree_lookup(known, reader, more))
    finally:
        reader.close()
    files: dict[str, ScannedFile] = {}
    for path, (kind, entry) in links.items():
        end = followed[path]
        if end.target is None:
            files[path] = ScannedFile(path, kind, entry.sha, error=end.error)
        else:
            files[path] = ScannedFile(path, kind, known[end.target].sha, target=end.target)
    return files


def _tree_lookup(
    known: dict[str, git.Entry], reader: git.BlobReader, more: Callable[[list[str]], dict[str, git.Entry]]
) -> Lookup:
    """What the paths of a tree or the index are, for ``follow``: a blob is a file, a link's blob its text; a
    conflicted entry (no one blob) or a submodule is no file. Paths ``known`` lacks are asked of ``more`` (once
    each) and added to it."""
    asked: set[str] = set()

    def lookup(paths: list[str]) -> dict[str, str | None]:
        missing = [p for p in paths if p not in known and p not in asked]
        if missing and "" not in asked:
            asked.update(missing)
            # (Past one command line's worth of paths, the whole tree: "" is its top.)
            whole = sum(len(p) + 16 for p in missing) > MAX_PATHSPEC_BYTES
            known.update(more([""] if whole else missing))
            if whole:
                asked.add("")
        found = {p: e for p in paths if (e := known.get(p)) is not None and e.mode != git.UNMERGED}
        chained = sorted({e.sha for e in found.values() if e.mode == _LINK_MODE})
        texts = reader.read_many(chained) if chained else {}  # (a link to a file, the usual: nothing to read)
        return {p: texts[e.sha].decode("utf-8", "replace") if e.mode == _LINK_MODE else None
                for p, e in found.items()}

    return lookup


_LINK_MODE = "120000"


def shown_path(path: str) -> str:
    """``path`` as it can be printed and stored: a name that is not valid UTF-8 (read from git or the file system
    with ``surrogateescape``) gets its undecodable bytes escaped, ``bad\\xffname.yaml``."""
    if path.isascii():
        return path
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def name_error(path: str) -> Diagnostic | None:
    """The error of a spec file whose name is not valid UTF-8, None for any other. Such a file is never read nor
    stored (the database holds paths as UTF-8 text): its error names it with the bad bytes escaped."""
    if is_text(path):
        return None
    message = "the file name is not valid UTF-8; rename it (git mv) to a UTF-8 name"
    return Diagnostic(shown_path(path), 0, 0, message)


def unmerged_error(path: str, root: Path | None = None, max_size: int = 0) -> Diagnostic:
    """The error of an index path with an unresolved merge conflict: the index holds no one version of it. At the
    first conflict marker of its file in the work tree ``root``, when that holds one (where to resolve it)."""
    line = _conflict_marker(root / path, max_size) if root is not None else None
    return Diagnostic(path, line or 0, 1 if line else 0, "unmerged (merge conflict): resolve it and git add it")


def is_unmerged(error: Diagnostic) -> bool:
    """Whether ``error`` is a conflicted path's (``unmerged_error``, ``unresolved_error``): a file that is there,
    whatever its bytes hold."""
    return error.message.startswith("unmerged (merge conflict):")


# git's conflict markers, each at the start of a line: ``<<<<<<< ours``, ``|||||||`` (diff3's base), ``=======``
# alone, ``>>>>>>> theirs``; 7 characters long, or longer where ``.gitattributes`` sets ``conflict-marker-size``.
_CONFLICT = re.compile(rb"^<{7,}(?:[ \t][^\n]*)?\r?\n(?:.*?\n)??={7,}\r?\n(?:.*?\n)??>{7,}(?:[ \t\r\n]|\Z)",
                       re.MULTILINE | re.DOTALL)


def _conflict_marker(full: Path, max_size: int) -> int | None:
    """The line of the first unresolved conflict in the work-tree file of a conflicted index path (a ``<<<<<<<``
    line, then ``=======`` and ``>>>>>>>`` lines); None when it has none, or is no regular file (a symbolic link is
    followed by the scan's own rules), missing or too large (the scan's own errors say so)."""
    try:
        st = os.lstat(full)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_size:
            return None
        data = read_regular(full, max_size)
    except (OSError, TooLarge):
        return None
    found = _CONFLICT.search(data)
    return None if found is None else data.count(b"\n", 0, found.start()) + 1


def unresolved_error(path: str, line: int) -> Diagnostic:
    """The error of a conflicted work-tree file that still holds git's conflict markers (from ``line``)."""
    return Diagnostic(path, line, 1, "unmerged (merge conflict): the file still holds conflict markers; resolve them "
                      "and git add it")


@dataclass
class _Bits:
    """Index entries git's work-tree listings are silent about (root-relative paths): skip-worktree (sparse
    checkout) and assume-unchanged ones; ``everything``: every entry (intent-to-add ones too: where a link may
    point); ``listed``: what the listings covered (spec folders ending in ``/``, or the paths of a scoped scan).
    ``gone`` collects the assume-unchanged files found missing from disk (deleted, for ``dirty``)."""

    skip: set[str]
    assume: set[str]
    everything: dict[str, git.Entry]
    listed: tuple[str, ...] = ("",)
    gone: set[str] = field(default_factory=set)


def _scan_worktree(
    location: Location,
    settings: Settings,
    index: dict[str, git.Entry],
    modified: set[str],
    deleted: set[str],
    untracked: set[str],
    scope: frozenset[str] | None,
    bits: _Bits | None = None,
) -> dict[str, ScannedFile]:
    """Index blob ids for files git reports unchanged; for modified and untracked files the id git would give
    their content (one ``git hash-object`` for all of them, end-of-line conversion included); linked files are
    hashed here.

    Entries git does not watch are looked at here: a skip-worktree entry (sparse checkout) absent from disk is
    read from the index (sparse checkout hides it, it is still part of the project); one present on disk, and an
    assume-unchanged one, is hashed like a modified file (git would not notice its change)."""
    root = location.root
    top = location.top
    assert top is not None
    bits = bits if bits is not None else _Bits(set(), set(), index)
    fmt = _object_format(top, index)
    files: dict[str, ScannedFile] = {}
    fresh: list[tuple[str, FileKind]] = []
    hidden_links: dict[str, tuple[FileKind, git.Entry]] = {}
    linked = behind_links(root)
    for path, entry in index.items():
        kind = _accept(path, settings, scope)
        if kind is None:
            continue
        if path in deleted and path not in bits.skip:
            # git lists as deleted whatever it could not lstat: a file in a folder this user may not read is no
            # deleted file (its records would go), but one this sync cannot read.
            try:
                os.lstat(root / path)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                files[path] = ScannedFile(path, kind, "", error=unreadable(path, exc))
                continue
            fresh.append((path, kind))  # back meanwhile: read as a modified file
            continue
        unusable = name_error(path)
        if unusable is not None:
            files[path] = ScannedFile(path, kind, "", error=unusable)
        elif path in bits.skip and not os.path.lexists(root / path):
            if entry.mode == "120000":
                hidden_links[path] = (kind, entry)
            else:
                files[path] = ScannedFile(path, kind, entry.sha, from_git=True)
        elif entry.mode == git.UNMERGED:
            # As the work tree has it once resolved there (not yet added); while its conflict markers are still in
            # it, the file is broken: they would otherwise be stored as the spec's text (an ADR's decision, a
            # feature's description: Markdown and Gherkin free text take them without a parse error).
            marker = _conflict_marker(root / path, settings.parser.max_file_size)
            if marker is not None:
                files[path] = ScannedFile(path, kind, "", error=unresolved_error(path, marker))
            else:
                fresh.append((path, kind))
        elif path in modified or path in bits.skip or entry.mode == "120000":
            fresh.append((path, kind))
        elif path in bits.assume:
            if os.path.lexists(root / path):
                fresh.append((path, kind))
            else:
                bits.gone.add(path)
        elif linked(path):
            # Below a folder replaced by a link (see ``fresh`` below): ``git ls-files`` stats through the link, so a
            # file of the same bytes there is no modified file to it, but gone to ``git status``. Taken as
            # unchanged, its records stayed, and a sync that had to read it (a first one) failed at each run on
            # the read's refusal of the link ("changed while this sync read the work tree").
            continue
        else:
            files[path] = ScannedFile(path, kind, entry.sha)
    if hidden_links:  # resolved in the index, as ``--staged`` resolves them; their bytes come from git

        def more(paths: list[str]) -> dict[str, git.Entry]:
            prefix = location.prefix
            return _strip(git.index_entries(top, tuple(prefix + p for p in paths)), prefix)

        for path, scanned in _symlinks_in_tree(top, hidden_links, bits.everything, more).items():
            files[path] = scanned if scanned.error else replace(scanned, target=None, from_git=True)
    for path in untracked:
        kind = _accept(path, settings, scope)
        if kind is None:
            continue
        unusable = name_error(path)
        if unusable is not None:
            files[path] = ScannedFile(path, kind, "", error=unusable)
        else:
            fresh.append((path, kind))
    to_hash: dict[str, ScannedFile] = {}
    links: list[_Link] = []
    for path, kind in fresh:
        if behind_a_link(root, path):
            # A folder on the way replaced by a link (to a folder outside, say): ``lstat`` and ``open`` would follow
            # it to a file of that name, and ``git ls-files -m`` lists such a tracked file as modified (``git
            # status``: deleted). A link is never followed: the file is gone, as git status says.
            continue
        stated = _stat_file(root, path, kind, settings.parser.max_file_size)
        if isinstance(stated, _Link):
            links.append(stated)
        elif stated is None:
            if path in bits.assume:
                bits.gone.add(path)
        elif stated.error is None and stated.target is None and not stated.blob_sha:
            to_hash[path] = stated
        else:
            files[path] = stated
    if links:
        held = _held_in_worktree(top, location.prefix, bits, untracked)
        hashed = _hash_links(root, links, held, settings.parser.max_file_size, fmt)
        files.update(hashed)
        bits.gone.update(link.path for link in links if link.path not in hashed and link.path in bits.assume)
    prefix = location.prefix
    transformed: set[str] = set()
    filtered: dict[str, str] = {}  # path → the name of its filter (``lfs``)
    specs = tuple(prefix + p for p in settings.prefixes)
    if git.may_have_attributes(top, specs, (prefix + p for p in (*bits.everything, *untracked))):
        plain = [p for p, f in files.items() if f.error is None and f.target is None and not f.from_git]
        filters: dict[str, str] = {}
        transformed = {p[len(prefix):]
                       for p in git.transforming_paths(top, [prefix + p for p in [*plain, *to_hash]], filters)}
        filtered = {p[len(prefix):]: name for p, name in filters.items()}
        for path in transformed & files.keys():  # unchanged in the index: its blob is what git stores
            files[path] = replace(files[path], from_git=True, filtered=path in filtered)
    for write in (False, True) if transformed else (False,):
        batch = {p: f for p, f in to_hash.items() if (p in transformed) == write}
        if not batch:
            continue
        # A transformed file's cleaned bytes are written to git's object database, to be read back by their id.
        failed: dict[str, str] = {}
        ids = (git.stored_blobs if write else git.hash_paths)(top, [prefix + p for p in batch], failed=failed)
        for path, scanned in batch.items():
            sha = ids.get(prefix + path)
            if sha is not None:
                files[path] = replace(scanned, blob_sha=sha, from_git=write, filtered=write and path in filtered)
            elif not write:  # vanished meanwhile, or a name git cannot take on stdin
                again = _hash_file(root, path, scanned.kind, object_format=fmt)
                if isinstance(again, ScannedFile):  # (a link in its place meanwhile: the next scan follows it)
                    files[path] = again
            elif prefix + path in failed and os.path.lexists(root / path):
                # Still there, but git would not store it (a required clean filter failed: Git LFS uninstalled):
                # an error, its records kept, as git's own commands fail on it — not a file gone.
                message = git.store_failure(failed[prefix + path], filtered.get(path))
                files[path] = ScannedFile(path, scanned.kind, "", error=Diagnostic(path, 0, 0, message))
    return files


def _object_format(top: Path, index: dict[str, git.Entry]) -> Callable[[], str]:
    """The repository's object format, asked of git at most once and only when called (a symlink hashed here): an
    index entry's blob id already tells it by its length."""
    known: list[str] = []

    def get() -> str:
        if not known:
            sha = next((e.sha for e in index.values() if e.sha), "")
            known.append("sha256" if len(sha) == 64 else "sha1" if sha else git.object_format(top))
        return known[0]

    return get


def _stat_file(root: Path, path: str, kind: FileKind, max_size: int) -> ScannedFile | _Link | None:
    """A work-tree file by its stat alone: None if it vanished or is a folder; an error if it is a FIFO, socket or
    device (``_not_a_file``) or too large (rejected from its size, before anything reads it); a symlink is a
    ``_Link``, followed with the scan's other links (``_hash_links``); otherwise a file with no blob id yet."""
    full = root / path
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return ScannedFile(path, kind, "", error=unreadable(path, exc))
    if stat.S_ISLNK(st.st_mode):
        return _Link(path, kind)
    if not stat.S_ISREG(st.st_mode):
        return _not_a_file(path, kind, st.st_mode)
    if st.st_size > max_size:
        return ScannedFile(path, kind, "", st.st_size, st.st_mtime_ns, error=too_large(path, st.st_size, max_size))
    return ScannedFile(path, kind, "", st.st_size, st.st_mtime_ns)


def _not_a_file(path: str, kind: FileKind, mode: int) -> ScannedFile | None:
    """What stands at a spec path that is neither a file nor a symlink: a folder is None (git too sees the file
    gone); a FIFO, socket or device is an error for that path, its records kept (git sees the file modified, not
    deleted: taking it for gone would delete its records without a word). Never opened: a FIFO would block."""
    if stat.S_ISDIR(mode):
        return None
    message = f"not a regular file but {special_kind(mode)}; put the spec file back in its place (or git rm it)"
    return ScannedFile(path, kind, "", error=Diagnostic(path, 0, 0, message))


def unreadable(path: str, exc: OSError) -> Diagnostic:
    """The error of a spec path the operating system would not let this sync read, and what to do."""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ELOOP:
        return Diagnostic(path, 0, 0, f"symbolic link loop ({reason}); fix or remove the link")
    if exc.errno in (errno.EACCES, errno.EPERM):
        hint = "give this user read access to it and to its folders"
    else:
        hint = "check the file and its folders"
    return Diagnostic(path, 0, 0, f"cannot read file: {reason}; {hint}")


def too_large(path: str, size: int, max_size: int) -> Diagnostic:
    """The error of a file over ``max_file_size`` (the same words as the parsers')."""
    from tracertm.parsers.common import SETTINGS_FILE

    return Diagnostic(
        path,
        0,
        0,
        f"file is {size} bytes, over the {max_size}-byte limit; raise max_file_size in {SETTINGS_FILE} "
        "if it is really a spec",
    )


class _Link(NamedTuple):
    """A spec path of the work tree or a plain folder that is a symbolic link: followed with the scan's other links
    (``_hash_links``), once the scan has them all."""

    path: str
    kind: FileKind


def _hash_links(
    root: Path, links: list[_Link], held: Callable[[list[str]], set[str]], max_size: int,
    object_format: Callable[[], str] | None = None, known: Mapping[str, StatEntry] | None = None,
) -> dict[str, ScannedFile]:
    """The spec links of the work tree or a plain folder, each followed along its chain (``symlinks.follow``) to
    a file ``held`` says the repository holds, then hashed as that file (``_hash_file``: ``target``). A link that
    vanished meanwhile is left out."""
    files: dict[str, ScannedFile] = {}
    kinds = {link.path: link.kind for link in links}
    written: dict[str, str] = {}
    for path, kind in kinds.items():
        try:
            written[path] = os.readlink(root / path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            files[path] = ScannedFile(path, kind, "", error=unreadable(path, exc))
    for path, end in follow(written, disk_lookup(root, held)).items():
        if end.target is None:
            files[path] = ScannedFile(path, kinds[path], "", error=end.error)
            continue
        scanned = _hash_file(root, path, kinds[path], (known or {}).get(path), max_size, object_format, end.target)
        if isinstance(scanned, ScannedFile):
            files[path] = scanned
    return files


def _held_in_worktree(top: Path, prefix: str, bits: _Bits, untracked: set[str]) -> Callable[[list[str]], set[str]]:
    """Which root-relative paths the work tree holds as files of the repository: tracked ones (in the index) and
    untracked ones git does not ignore — what its listings name, never a path in ``.git``, an ignored file or a
    file in a submodule's checkout. A path the scan's listings did not cover (outside ``bits.listed``) is asked of
    git, one call for all such paths of a hop."""

    def covered(path: str) -> bool:
        return any(path == p or (not p or p.endswith("/")) and path.startswith(p) for p in bits.listed)

    def held(paths: list[str]) -> set[str]:
        found = {p for p in paths if p in bits.everything or p in untracked}
        unknown = [p for p in paths if p not in found and not covered(p)]
        if unknown:
            found.update(p[len(prefix):] for p in git.held_paths(top, [prefix + p for p in unknown]))
        return found

    return held


def _hash_file(
    root: Path, path: str, kind: FileKind, known: StatEntry | None = None, max_size: int | None = None,
    object_format: Callable[[], str] | None = None, target: str | None = None,
) -> ScannedFile | _Link | None:
    """Stat (and, unless the stat cache says unchanged, read and hash) one work-tree file; None if it vanished, a
    ``_Link`` if it is a symbolic link (``_hash_links`` follows it), or with ``target`` the file such a link at
    ``path`` was followed to. A file over ``max_size`` bytes is rejected from its size, unread. ``object_format``
    gives a git repository's (a SHA-256 repository's blob ids are SHA-256: a SHA-1 id would never match the
    index's, and the file would be re-parsed on every sync); a plain folder's ids are SHA-1."""
    full = root / (target if target is not None else path)
    try:
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode) and target is None:
            return _Link(path, kind)
        if not stat.S_ISREG(st.st_mode):
            if target is None:
                return _not_a_file(path, kind, st.st_mode)
            # (the target was a file when the link was followed, a moment ago)
            raise OSError(errno.EINVAL, "its target is no longer a regular file", str(full))
        if max_size is not None and st.st_size > max_size:
            error = too_large(path, st.st_size, max_size)
            return ScannedFile(path, kind, "", st.st_size, st.st_mtime_ns, error=error, target=target)
        if known is not None and known.size == st.st_size and known.mtime_ns == st.st_mtime_ns and known.blob_sha:
            return ScannedFile(path, kind, known.blob_sha, st.st_size, st.st_mtime_ns, target=target)
        data = read_regular(full, max_size)  # (only hashed: the parse reads the file again, checked)
    except FileNotFoundError as exc:
        if target is not None and os.path.lexists(root / path):  # the link is there, its target gone meanwhile
            return ScannedFile(path, kind, "", error=unreadable(path, exc))
        return None
    except TooLarge as exc:  # grew past the limit since its stat
        return ScannedFile(path, kind, "", exc.size, st.st_mtime_ns, error=too_large(path, exc.size, max_size or 0),
                           target=target)
    except OSError as exc:
        return ScannedFile(path, kind, "", error=unreadable(path, exc))
    sha = git.blob_id(data, object_format() if object_format is not None else "sha1")
    return ScannedFile(path, kind, sha, st.st_size, st.st_mtime_ns, target=target)


def _scan_folder(
    root: Path, settings: Settings, scope: frozenset[str] | None, known: Mapping[str, StatEntry]
) -> dict[str, ScannedFile]:
    """A plain folder: walk the spec folders (never following directory links)."""
    files: dict[str, ScannedFile] = {}
    candidates: Iterable[str]
    if scope is not None:
        candidates = sorted(scope)
    else:
        candidates = _walk(root, settings.prefixes)
    links: list[_Link] = []
    for path in candidates:
        kind = settings.kind_of(path)
        if kind is None:
            continue
        unusable = name_error(path)
        if unusable is not None:
            files[path] = ScannedFile(path, kind, "", error=unusable)
            continue
        scanned = _hash_file(root, path, kind, known.get(path), settings.parser.max_file_size)
        if isinstance(scanned, _Link):
            links.append(scanned)
        elif scanned is not None:
            files[path] = scanned
    if links:
        files.update(_hash_links(root, links, outside_dot_git, settings.parser.max_file_size, known=known))
    return files


def _walk(root: Path, prefixes: tuple[str, ...]) -> Iterable[str]:
    for prefix in prefixes:
        top = root / prefix if prefix else root
        if not top.is_dir() or top.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            rel = Path(dirpath).relative_to(root).as_posix()
            for name in filenames:
                yield name if rel == "." else f"{rel}/{name}"
