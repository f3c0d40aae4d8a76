"""The spec folders' tree as the history advances: which blob each spec path holds after each commit.

A commit from ``git.history`` names only the files it changed; this keeps the rest, so symbolic links can be
resolved against the tree of that commit (followed only to another file of the same tree, through links of it on
the way, as ``sync --ref`` does).
"""

from __future__ import annotations

from pathlib import Path

from tracertm import git
from tracertm.config import Settings
from tracertm.engine.scan import ScannedFile
from tracertm.engine.symlinks import Followed, follow
from tracertm.parsers.records import FileKind

_ABSENT_MODES = ("000000", "160000")  # deleted, or a submodule (not a file)
LINK_MODE = "120000"


class SpecTree:
    """The spec files of the current commit (paths relative to the spec root ``prefix`` inside ``top``)."""

    def __init__(self, top: Path, prefix: str, settings: Settings, reader: git.BlobReader,
                 folders: tuple[str, ...] | None = None) -> None:
        self.top = top
        self.prefix = prefix
        self.settings = settings
        self.reader = reader
        self.folders = folders if folders is not None else settings.prefixes  # every era's spec folders
        self.entries: dict[str, git.Entry] = {}
        self.links: dict[str, tuple[str, ...]] = {}  # spec symlink → the paths its chain of links goes through
        self._kinds: dict[str, FileKind | None] = {}

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The folders followed, relative to the top of the repository."""
        return tuple(self.prefix + p for p in self.folders) or (self.prefix,)

    def use(self, settings: Settings) -> frozenset[str]:
        """Switch to the settings of a new era; returns the paths the commit that switches must plan too: those
        whose kind changes (specs that stop being specs, files that become specs), or every spec file when the
        parser options change."""
        old = self.settings
        self.settings = settings
        self._kinds.clear()
        if old.parser != settings.parser:
            # Other parser options (id patterns, date format, size limit): what every spec file says may read
            # differently, so the commit that switches parses them all again, as a sync whose options changed does
            # (``Sync.rebuild``): ``sync --ref`` of each commit is what a backfill stores.
            return frozenset(p for p in self.entries if old.kind_of(p) is not None or settings.kind_of(p) is not None)
        return frozenset(p for p in self.entries if old.kind_of(p) != settings.kind_of(p))

    def kind_of(self, path: str) -> FileKind | None:
        """The spec kind of a path (cached: a history names the same paths again and again)."""
        if path not in self._kinds:
            self._kinds[path] = self.settings.kind_of(path)
        return self._kinds[path]

    def load(self, commit: str) -> None:
        """The spec folders' tree at ``commit`` (where a resumed or merged run starts)."""
        entries = git.tree_entries(self.top, commit, self.prefixes)
        n = len(self.prefix)
        self.entries = {p[n:]: e for p, e in entries.items() if p.startswith(self.prefix)}
        links = [p for p, e in self.entries.items() if e.mode == LINK_MODE and self.kind_of(p)]
        if links:
            self.links.update((p, end.hops) for p, end in self._follow(links).items() if end.hops)

    def advance(self, commit: git.HistoryCommit, rescoped: frozenset[str] = frozenset()
                ) -> tuple[dict[str, ScannedFile], frozenset[str]]:
        """Apply ``commit``'s changes; return its changed spec files and every spec path it touched (with
        ``rescoped``, the paths whose kind the commit's settings changed)."""
        touched: set[str] = set(rescoped)
        for change in commit.changes:
            if change.mode in _ABSENT_MODES:
                self.entries.pop(change.path, None)
            else:
                self.entries[change.path] = git.Entry(change.mode, change.sha)
            touched.add(change.path)
        if self.links:  # a link whose target (or a link on the way to it) changed reads different bytes
            touched.update(link for link, hops in self.links.items() if not touched.isdisjoint(hops))
        scope = frozenset(p for p in touched if p in rescoped or self.kind_of(p) is not None)
        files: dict[str, ScannedFile] = {}
        for path in scope:
            kind = self.kind_of(path)
            entry = self.entries.get(path)
            if kind is None:  # no longer a spec file: absent, so its records go
                continue
            if entry is None:
                self.links.pop(path, None)
            elif entry.mode == LINK_MODE:
                files[path] = self._resolve_link(path, kind, entry)
            else:
                self.links.pop(path, None)
                files[path] = ScannedFile(path, kind, entry.sha)
        return files, scope

    def scanned(self, path: str, kind: FileKind, entry: git.Entry) -> ScannedFile:
        """The spec file at ``path`` in the current tree (``entry``), as ``advance`` reads it (a link: its target's
        blob)."""
        if entry.mode == LINK_MODE:
            return self._resolve_link(path, kind, entry)
        return ScannedFile(path, kind, entry.sha)

    def _resolve_link(self, path: str, kind: FileKind, entry: git.Entry) -> ScannedFile:
        end = self._follow([path])[path]
        if end.hops:
            self.links[path] = end.hops
        else:
            self.links.pop(path, None)
        if end.target is None:
            return ScannedFile(path, kind, entry.sha, error=end.error)
        return ScannedFile(path, kind, self.entries[end.target].sha, target=end.target)

    def _follow(self, links: list[str]) -> dict[str, Followed]:
        """The spec links at ``links`` followed along their chains in this tree (``symlinks.follow``): to the blob
        of a file, through other links."""
        raw = self.reader.read_many(sorted({self.entries[p].sha for p in links}))
        return follow({p: raw[self.entries[p].sha].decode("utf-8", "replace") for p in links}, self._lookup)

    def _lookup(self, paths: list[str]) -> dict[str, str | None]:
        found = {p: e for p in paths if (e := self.entries.get(p)) is not None}
        chained = sorted({e.sha for e in found.values() if e.mode == LINK_MODE})
        texts = self.reader.read_many(chained) if chained else {}
        return {p: texts[e.sha].decode("utf-8", "replace") if e.mode == LINK_MODE else None
                for p, e in found.items()}
