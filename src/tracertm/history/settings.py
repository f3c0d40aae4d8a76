"""The configuration as it was at each commit, so a backfill follows spec folders that moved over the years.

Which files are specs depends on ``.tracertm.toml``, ``[tool.tracertm]`` in ``pyproject.toml`` and adr-tools'
``.adr-dir``. A repository that moved ``doc/architecture/decisions`` to ``docs/architecture/decisions`` (and updated
``.adr-dir``) must be read with the old folder before the change and the new one after. The history of those files
is read once (one ``git log`` over them) and cut into eras of equal settings; the last era — the one REF is in —
uses the settings of the work tree, as ``sync`` does, so a history whose configuration never changed is read exactly
as before. A configuration that does not load at some commit keeps the previous era's settings and is reported as
that commit's error.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from tracertm import git
from tracertm.config import LINK_MODE, Settings, config_link, link_not_file, load_settings
from tracertm.errors import ConfigError, Diagnostic
from tracertm.history.results import CommitError
from tracertm.parsers.records import FileKind

CONFIG_FILES = (".tracertm.toml", "pyproject.toml", ".adr-dir")


def _key(settings: Settings) -> tuple[object, ...]:
    """What decides which files are specs and how they parse (not the project name or database URL)."""
    return (sorted(settings.paths.items()), settings.exclude, settings.parser)


def reads_alike(a: Settings, b: Settings) -> bool:
    """Whether ``a`` and ``b`` take the same files as specs and parse them alike (``_key``): the eras' rule, which
    ``diff``'s parse method follows too."""
    return _key(a) == _key(b)


def read_digest(settings: Settings, source: str, paths: Sequence[str] | None) -> str:
    """What a run read and how: a digest of ``settings``' ``_key`` and the globs it wrote (``configured``: they
    escape the default excludes), of the snapshot's source (``commit``, ``index``, ``worktree``) and of the paths a
    partial sync was limited to. ``engine.sync`` records it in ``sync_runs.counts[READ_KEY]``; a backfill reads
    only runs whose digest is that of a whole commit read with its own settings as records they stand for
    (``history.synced``)."""
    key = (_key(settings), sorted(settings.configured), source, sorted(paths) if paths is not None else None)
    return hashlib.sha256(repr(key).encode("utf-8", "backslashreplace")).hexdigest()[:32]


READ_KEY = "read"  # the key of ``sync_runs.counts`` that holds ``read_digest``


# How ``tracertm.config`` words its errors: "FILE[:LINE[:COL]]: message".
_CONFIG_ERROR = re.compile(r"(?P<name>[^:]+?)(?::(?P<line>\d+))?(?::(?P<column>\d+))?: (?P<message>.*)", re.S)


class SettingsHistory:
    """Settings per first-parent commit: ``at(commit)``; ``prefixes`` covers the spec folders of every era."""

    def __init__(self, eras: list[tuple[int, Settings]], index: Mapping[str, int], errors: list[CommitError]) -> None:
        self.starts = [start for start, _ in eras]
        self.settings = [settings for _, settings in eras]
        self.index = index
        self.errors = errors  # configurations that did not load, by commit

    def at(self, commit: str) -> Settings:
        """The settings in force at ``commit`` (a commit of the chain)."""
        return self.settings[bisect.bisect_right(self.starts, self.index[commit]) - 1]

    def digest(self) -> str:
        """The eras as a digest: where each starts and what it reads (a backfill's checkpoint records it, so a later
        run knows whether the history it wrote was read as this run would read it)."""
        eras = [(start, read_digest(settings, "commit", None)) for start, settings in zip(self.starts, self.settings)]
        return hashlib.sha256(repr(eras).encode()).hexdigest()[:32]

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Folders any era scans (deduplicated, shortest first)."""
        merged: dict[FileKind, tuple[str, ...]] = {}
        for settings in self.settings:
            for kind, patterns in settings.paths.items():
                merged[kind] = merged.get(kind, ()) + patterns
        return Settings(self.settings[-1].root, paths=merged).prefixes

    @classmethod
    def read(cls, top: Path, prefix: str, head: str, index: Mapping[str, int], reader: git.BlobReader,
             current: Settings) -> SettingsHistory:
        """Eras of ``head``'s first-parent history (``prefix``: the spec root inside ``top``); the last one is
        ``current``."""
        # A configuration file that is a symbolic link stands for the file it points at: the history of those
        # targets is read with the configuration's. They are known once a link is met: then read again with them.
        targets: frozenset[str] = frozenset()
        while True:
            try:
                return cls._read(top, prefix, head, index, reader, current, targets)
            except _Untracked as more:
                targets |= {more.target}

    @classmethod
    def _read(cls, top: Path, prefix: str, head: str, index: Mapping[str, int], reader: git.BlobReader,
              current: Settings, targets: frozenset[str]) -> SettingsHistory:
        files: dict[str, tuple[str, bytes]] = {}  # path → its mode and bytes at the commit reached
        eras: list[tuple[int, Settings]] = [(0, _load(current.root, {}))]
        errors: list[CommitError] = []
        paths = tuple(prefix + name for name in (*CONFIG_FILES, *sorted(targets)))
        loaded: dict[str, bytes] | None = {}
        git.fetch_missing(top, [head], paths, walk=True)  # a partial clone's: in one go, not one fetch per read
        for commit in git.history(top, [head], paths, prefix, authors=False):  # (changes only)
            for change in commit.changes:
                if change.mode not in ("100644", "100755", LINK_MODE):  # gone, or a submodule: not a file
                    files.pop(change.path, None)
                else:
                    files[change.path] = (change.mode, reader.read(change.sha))
            try:
                resolved = _resolve(files, targets)
            except ConfigError as exc:
                errors.append(CommitError(commit.sha, _diagnostic(exc)))
                loaded = None  # (whatever the next commit holds is loaded again)
                continue
            relevant = {name: data for name, data in resolved.items()
                        if name != "pyproject.toml" or b"tracertm" in data}
            if relevant == loaded:  # a pyproject.toml change about something else: no need to load anything
                continue
            loaded = relevant
            try:
                settings = _load(current.root, relevant)
            except ConfigError as exc:
                errors.append(CommitError(commit.sha, _diagnostic(exc)))
                continue
            position = index[commit.sha]
            if _key(settings) != _key(eras[-1][1]):
                if eras[-1][0] == position:
                    eras[-1] = (position, settings)
                else:
                    eras.append((position, settings))
        eras[-1] = (eras[-1][0], current)
        return cls(eras, index, errors)


class _Untracked(Exception):
    """A configuration link points at ``target``, whose history is not read yet."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def _resolve(files: Mapping[str, tuple[str, bytes]], targets: frozenset[str]) -> dict[str, bytes]:
    """The configuration files at a commit (name → bytes), links replaced by the file they point at, as the work
    tree and the index read them (``config.config_link``); ``_Untracked`` for a target not in ``targets``."""
    out: dict[str, bytes] = {}
    for name in CONFIG_FILES:
        if name not in files:
            continue
        mode, data = files[name]
        if mode == LINK_MODE:
            link = data.decode("utf-8", "surrogateescape")
            target = config_link(name, name, link)
            if target not in targets:
                raise _Untracked(target)
            if files.get(target, (LINK_MODE, b""))[0] == LINK_MODE:
                raise link_not_file(name, link)
            data = files[target][1]
        out[name] = data
    return out


def config_diagnostic(exc: ConfigError) -> Diagnostic:
    """A configuration that does not load at a commit as that commit's finding (``_diagnostic``)."""
    return _diagnostic(exc)


def _diagnostic(exc: ConfigError) -> Diagnostic:
    """A configuration error as a commit's finding: "FILE[:LINE[:COL]]: message" names the file and line itself."""
    found = _CONFIG_ERROR.match(str(exc))
    name, line, column, message = CONFIG_FILES[0], 0, 0, str(exc)
    if found is not None and found["name"] in CONFIG_FILES:
        name, message = found["name"], found["message"]
        line, column = int(found["line"] or 0), int(found["column"] or 0)
    return Diagnostic(name, line, column, message)


def _load(root: Path, files: Mapping[str, bytes]) -> Settings:
    """``load_settings`` over the given configuration files (name → bytes), for the repository at ``root``. (The
    same reading as ``check --staged``'s of the index.) Errors name the files as the repository does, relative to
    the spec root: ``.tracertm.toml:2: ...``."""
    settings = load_settings(Path(), files=files)
    return replace(settings, root=root, source=None, source_text=None)

