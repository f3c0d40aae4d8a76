"""What the daemon watches: repositories found from the command line, which folders of each to watch, and what a
file-system event means for a repository. Pure path logic plus a few ``git rev-parse`` calls; no database.

Per repository the watch set is small and avoids ``.git/objects`` and unrelated trees (``node_modules``):

- the spec root itself, non-recursively (configuration files, top-level folders appearing or vanishing,
  root-level spec files);
- each top-level folder a spec glob can match (``docs/`` for ``docs/adr/**/*.md``), recursively;
  every top-level folder when a glob starts with a wildcard;
- the git directory non-recursively (``HEAD``, ``packed-refs``, ``index.lock``), its ``refs/`` (and
  ``reftable/``) recursively and its ``info/`` non-recursively (``info/exclude``); for a linked work tree both its
  own git directory and the common one;
- for a spec root below the top of its work tree (a monorepo project), each folder from the top down to the root's
  parent, non-recursively: a ``.gitignore`` there decides which of the root's files git ignores too;
- for a configuration file that is a symbolic link to a file inside the root (``.tracertm.toml`` →
  ``config/tracertm.toml``: it stands for that file), the folder of its target, non-recursively, unless a watch
  above already covers it (the deepest folder of the target's path that exists, while the target is missing).
  An event on the target (or on a folder on its way) is a configuration change, as one on the link is; which
  targets those are is worked out again whenever the configuration is read (a link re-pointed is an event of
  the root).

Which files git ignores is part of what a sync reads (``git ls-files --exclude-standard``): a change to any
``.gitignore`` that applies to the spec root, or to ``info/exclude``, is a full reconcile of the repository, as a
configuration change is (git's global ``core.excludesFile`` is not watched: the periodic reconcile covers it).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISLNK
from typing import Literal

from tracertm import git
from tracertm.config import Settings, load_settings
from tracertm.config import is_temp_name
from tracertm.errors import ConfigError, GitError, UsageError

# "parent": a folder above the spec root inside its work tree, watched for its ``.gitignore`` only. "config": a
# folder holding the target of a configuration link (see ``Repository.config_targets``), watched for that only.
Role = Literal["root", "tree", "git", "parent", "config"]

# git's lock on the index, held by every command that rewrites the work tree (in the work tree's own git folder).
INDEX_LOCK = "index.lock"
# A lock this old was left by a git that crashed; a checkout still running after this long is synced as it goes.
STALE_LOCK_S = 60.0

# Files at the spec root whose change means new settings (and so maybe new globs and a new watch set).
CONFIG_FILES = frozenset({".tracertm.toml", "pyproject.toml", ".adr-dir"})
# How many links a chain of configuration links is followed through, at most (the kernel's own limit is 40).
_MAX_LINK_HOPS = 40
# git's per-folder ignore file, and its per-repository one (in the common git directory): which files a sync reads.
IGNORE_FILE = ".gitignore"
EXCLUDE_FILE = "info/exclude"

# How far a file's change time must be behind the moment its signature is taken for the signature alone to tell a
# later write apart (file-system timestamps are coarse: a write right after may get the same one); a file changed
# more recently is compared by content too, like git's "racily clean" index entries.
RACY_S = 0.05


@dataclass(frozen=True)
class FileSignature:
    """A file as a sync is about to read it: its stat (None: absent) and, when that alone cannot tell a later write
    apart (see ``RACY_S``), a digest of its content. Equal signatures: the content a sync read is still there, so an
    event about it that arrives after the sync began (late, on a loaded machine) has nothing new to sync."""

    stat: tuple[int, ...] | None
    digest: bytes | None = None

    @classmethod
    def of(cls, path: Path, *, digest: bool = False) -> FileSignature:
        """The signature of ``path`` now (``digest``: with the content's digest even when the stat would do). A
        symbolic link's is the link's stat and its target's: a sync reads the target, which may change alone."""
        taken = time.time_ns()
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            return cls(None)
        stat: tuple[int, ...] = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if S_ISLNK(st.st_mode):
            try:
                st = os.stat(path)
                stat += (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            except OSError:  # dangling
                stat += (-1,)
        if not digest and taken - max(st.st_mtime_ns, st.st_ctime_ns) >= RACY_S * 1e9:
            return cls(stat)
        try:
            data = path.read_bytes()
        except OSError:
            return cls(stat, b"")  # unreadable now: never equal to a later signature's digest
        return cls(stat, hashlib.blake2b(data, digest_size=20).digest())

    def unchanged(self, path: Path) -> bool:
        """Whether the file at ``path`` is still as it was when this signature was taken."""
        now = FileSignature.of(path, digest=self.digest is not None)
        return now.stat == self.stat and (self.digest is None or now.digest == self.digest)


@dataclass(frozen=True)
class WatchSpec:
    """One folder to hand to the observer. ``anchor``: the folder event paths are made relative to."""

    path: Path
    recursive: bool
    role: Role
    anchor: Path


@dataclass(frozen=True)
class Change:
    """What one event means for its repository (see ``Repository.classify``)."""

    paths: tuple[str, ...] = ()
    dirs: tuple[str, ...] = ()
    reconcile: bool = False
    rewatch: bool = False
    reconfigure: bool = False
    # The reconcile is asked for by a git ref moving (HEAD, a local branch or tag), nothing else.
    refs: bool = False
    # git took or released the index lock: a command that rewrites the work tree (checkout, merge, reset...) is
    # running or just ended. Nothing to sync by itself; it pushes back the quiet period of a pending batch.
    git_activity: bool = False

    @property
    def empty(self) -> bool:
        return not (self.paths or self.dirs or self.reconcile or self.rewatch or self.reconfigure)


@dataclass
class Repository:
    """A spec root to keep in sync. ``top``: its git work tree (None for a plain folder)."""

    root: Path
    top: Path | None
    git_dirs: tuple[Path, ...]
    settings: Settings | None
    settings_error: str | None = None
    # Spec files that are symbolic links to a file inside the root: target → the links (root-relative), as the
    # syncs last saw them (``note_links``). A change of the target alone is a change of its links.
    links: dict[str, frozenset[str]] = field(default_factory=dict)
    # Configuration files that are symbolic links: each root-relative path their chain of links passes through
    # or ends at, inside the root (``config/tracertm.toml``) → the configuration files that read it, as the
    # configuration was last read (``reload``). An event on one is a change of the configuration.
    config_targets: dict[str, frozenset[str]] = field(default_factory=dict)
    # The folders on the way to those paths (``config`` for ``config/tracertm.toml``): one appearing, vanishing or
    # renamed is a configuration change too (a link to nothing yet finds its target).
    config_dirs: frozenset[str] = frozenset()
    # The configuration files as ``reload`` was about to read them (see ``config_unchanged``).
    config_read: dict[str, FileSignature] = field(default_factory=dict)
    # The root folder's (device, inode) when it was opened (see ``replaced``).
    identity: tuple[int, int] | None = None

    @property
    def key(self) -> str:
        return str(self.root)

    @classmethod
    def open(cls, path: Path) -> Repository:
        """Locate the repository at ``path`` and read its settings (an invalid configuration is remembered, not
        raised, so the daemon keeps watching the configuration file until it is fixed)."""
        root = path.resolve()
        if not root.is_dir():
            raise UsageError(f"{path}: no such folder; pass a repository or a folder holding repositories")
        repo = cls(root, *_located(root), None)
        repo.identity = _folder_identity(root)
        repo.reload()
        return repo

    def replaced(self) -> bool:
        """Whether another folder is at the root's path than the one opened (a fresh clone moved in where the old
        one was moved away): the watches follow the old folder, wherever it went. One ``stat``; False while the
        path names no folder (that is a repository gone, not replaced)."""
        now = _folder_identity(self.root)
        return now is not None and now != self.identity

    def relocate(self) -> bool:
        """Whether the folder became a git work tree since it was opened (``git init``, a ``.git`` moved in) or
        stopped being one (its ``.git`` deleted); if so, ``top`` and ``git_dirs`` are what they are now. One
        ``stat`` when nothing changed."""
        plain, marked = self.top is None, ((self.top or self.root) / ".git").exists()
        if plain != marked:  # a plain folder with no .git, or a work tree with its .git: as opened
            return False
        located = _located(self.root)
        changed = located != (self.top, self.git_dirs)
        self.top, self.git_dirs = located
        return changed

    def reload(self) -> None:
        """Read the settings again, and where the configuration links point (``config_targets``)."""
        self.config_read = {name: FileSignature.of(self.root / name) for name in sorted(CONFIG_FILES)}
        self.note_config_links()
        try:
            self.settings, self.settings_error = load_settings(self.root), None
        except ConfigError as exc:
            self.settings, self.settings_error = None, str(exc)

    def settings_stale(self) -> bool:
        """Whether a configuration file a sparse checkout keeps off disk (read from git's index) makes other
        settings now than ``reload`` read: a checkout rewrites the index with no event of the file. No git call, no
        read, while every configuration file is on disk (their events tell) or the index holds no skip-worktree
        entry (``config_sparse.may_hide``)."""
        from tracertm.config_sparse import may_hide

        if not may_hide(self.root, tuple(sorted(CONFIG_FILES))):
            return False
        try:
            settings, error = load_settings(self.root), None
        except ConfigError as exc:
            settings, error = None, str(exc)
        return (settings, error) != (self.settings, self.settings_error)

    def config_unchanged(self) -> bool:
        """Whether the configuration files (links: and their targets) are as the last ``reload`` read them. A
        target edited after that read but before its folder's watch was in place made no event: the daemon
        reads the configuration again when this is false."""
        return all(sig.unchanged(self.root / name) for name, sig in self.config_read.items())

    def note_config_links(self) -> None:
        """Work out ``config_targets`` and ``config_dirs`` from the configuration links as they are now: every
        path each one's chain of links names inside the root (each hop resolved against its folder's real path,
        as event paths are), whether it exists or not. A link out of the root is never followed (the settings
        say so), and neither is anything after it."""
        root = self.root.resolve()
        targets: dict[str, set[str]] = {}
        for name in sorted(CONFIG_FILES):
            path = self.root / name
            for _ in range(_MAX_LINK_HOPS):
                try:
                    text = os.readlink(path)
                except OSError:  # not a link (or gone): the end of the chain
                    break
                folder = os.path.realpath(os.path.dirname(path))
                path = Path(os.path.normpath(os.path.join(folder, text)))
                try:
                    rel = path.relative_to(root).as_posix()
                except ValueError:
                    break
                if rel == "." or rel in CONFIG_FILES:  # (one at the root is watched as configuration already)
                    continue
                targets.setdefault(rel, set()).add(name)
        dirs = {"/".join(rel.split("/")[:n]) for rel in targets for n in range(1, rel.count("/") + 1)}
        self.config_targets = {rel: frozenset(names) for rel, names in targets.items()}
        self.config_dirs = frozenset(dirs)

    def config_watch_folders(self) -> list[Path]:
        """Per configuration target, the deepest folder of its path that exists (its own folder, unless that is
        missing): watched non-recursively for the target, or the folder on its way, to change."""
        folders: dict[Path, None] = {}
        for rel in sorted(self.config_targets):
            folder = (self.root / rel).parent
            while folder != self.root and not folder.is_dir():
                folder = folder.parent
            folders[folder] = None
        return list(folders)

    # ------------------------------------------------------------------------------------------ watch set

    def top_folders(self) -> frozenset[str] | None:
        """Top-level folders that can hold spec files (None: any folder)."""
        if self.settings is None:
            return frozenset()
        names: set[str] = set()
        for prefix in self.settings.prefixes:
            if not prefix:
                return None
            names.add(prefix.split("/", 1)[0])
        return frozenset(names)

    def watch_plan(self) -> list[WatchSpec]:
        specs = [WatchSpec(self.root, False, "root", self.root)]
        wanted = self.top_folders()
        try:
            children = sorted(os.scandir(self.root), key=lambda e: e.name)
        except OSError:
            children = []
        for entry in children:
            if entry.name == ".git" or (wanted is not None and entry.name not in wanted):
                continue
            if entry.is_dir(follow_symlinks=False):
                specs.append(WatchSpec(Path(entry.path), True, "tree", self.root))
        for gd in self.git_dirs:
            specs.append(WatchSpec(gd, False, "git", gd))
            for sub in ("refs", "reftable"):
                if (gd / sub).is_dir():
                    specs.append(WatchSpec(gd / sub, True, "git", gd))
            if (gd / "info").is_dir():  # (one that appears later is an event of the git directory: rewatched)
                specs.append(WatchSpec(gd / "info", False, "git", gd))
        specs.extend(WatchSpec(folder, False, "parent", folder) for folder in self.parents())
        covered = {s.path for s in specs if s.role == "tree"}  # recursive watches below the root
        for folder in self.config_watch_folders():
            if folder == self.root or any(folder == c or c in folder.parents for c in covered):
                continue  # the root's own watch, or a spec folder's, sees the target's events
            specs.append(WatchSpec(folder, False, "config", self.root))
        return specs

    def parents(self) -> list[Path]:
        """The folders from the top of the work tree down to the spec root's parent (none for a root at the top or
        outside git): the ``.gitignore`` files there apply to the root's files as well."""
        if self.top is None:
            return []
        try:
            rel = self.root.relative_to(self.top)
        except ValueError:
            return []
        folders = [self.top]
        for part in rel.parts[:-1]:
            folders.append(folders[-1] / part)
        return folders if rel.parts else []

    # ------------------------------------------------------------------------------------------ events

    def is_spec(self, rel: str) -> bool:
        return self.settings is not None and self.settings.kind_of(rel) is not None

    def classify(self, role: Role, anchor: Path, event_type: str, is_directory: bool, paths: Iterable[str]) -> Change:
        """What an event (type as watchdog names it, and its source/destination paths) means for this repository."""
        if role == "git":
            activity = excludes = rewatch = False
            for p in paths:
                rel = _relative(p, anchor)
                if rel is not None and _is_ref(rel):
                    return Change(reconcile=True, refs=True)
                activity = activity or rel == INDEX_LOCK
                excludes = excludes or rel == EXCLUDE_FILE
                # ``info/`` appearing (or replaced): its new folder needs a watch for ``info/exclude``.
                rewatch = rewatch or (rel == "info" and is_directory and event_type != "modified")
            if excludes or rewatch:
                # What git ignores changed: a full reconcile, like a configuration change (not a ref move).
                return Change(reconcile=True, rewatch=rewatch, git_activity=activity)
            return Change(git_activity=activity)
        if role == "parent":
            # A folder above the spec root: only its ``.gitignore`` matters (it may ignore the root's files).
            ignores = any(_relative(p, anchor) == IGNORE_FILE for p in paths)
            return Change(reconcile=ignores and not is_directory)
        spec_paths: list[str] = []
        dirs: list[str] = []
        reconcile = rewatch = reconfigure = False
        wanted = self.top_folders() if role == "root" else None
        for p in paths:
            rel = _relative(p, self.root)
            if rel == ".git" and role == "root" and event_type != "modified":
                # The folder became a git work tree or stopped being one: reconciled, as the repository it is now
                # (``relocate``: what git ignores applies, git's folders are watched).
                reconcile = True
                continue
            if not rel or ".git" in rel.split("/"):
                continue
            if self.is_config_target(rel, event_type, is_directory):
                # What a configuration link reads changed (its target edited, replaced, deleted, or a folder on
                # its way): the same as a change of the link itself.
                reconfigure = rewatch = reconcile = True
                continue
            if role == "config":  # a folder watched for a configuration target only
                continue
            if not is_directory and self.top is not None and rel.rsplit("/", 1)[-1] == IGNORE_FILE:
                # Which files git ignores changed (any depth): a sync reads only files git does not ignore, so the
                # repository is reconciled, as for a configuration change. (A plain folder has no git to ignore.)
                reconcile = True
                continue
            if role == "root" and "/" not in rel:
                if is_directory:
                    if event_type != "modified" and (wanted is None or rel in wanted):
                        rewatch = reconcile = True
                    continue
                if rel in CONFIG_FILES:
                    reconfigure = rewatch = reconcile = True
                    continue
            if is_directory:
                if event_type == "created":
                    dirs.append(rel)
                elif event_type in ("deleted", "moved"):
                    reconcile = True
            else:
                if self.is_spec(rel):
                    spec_paths.append(rel)
                # The target of spec links (``contracts/payment.yaml`` → ``shared/payment.yaml.in``): what the
                # links read changed. (A dict read, replaced as a whole by ``note_links``: safe on this thread.)
                spec_paths.extend(self.links.get(rel, ()))
        return Change(tuple(spec_paths), tuple(dirs), reconcile, rewatch, reconfigure)

    def is_config_target(self, rel: str, event_type: str, is_directory: bool) -> bool:
        """Whether an event on the root-relative ``rel`` changes what a configuration link reads. (Dict and set
        reads, both replaced as a whole by ``note_config_links``: safe on the observer threads.)"""
        if is_directory:
            return event_type != "modified" and (rel in self.config_dirs or rel in self.config_targets)
        return rel in self.config_targets

    def note_links(self, paths: Iterable[str], *, every: bool = False) -> None:
        """Record which of these root-relative spec files (``every``: they are all of them) are symbolic links, and
        through which paths inside the root their chain of links goes to its file — each hop resolved as the scan
        resolves it (``engine.symlinks``) — so that an event on the target, or on a link on the way, is one on the
        links (``classify``). Links not in ``paths`` keep their entries unless ``every``."""
        by_link: dict[str, set[str]] = {}
        if not every:
            for target, found in self.links.items():
                for link in found:
                    by_link.setdefault(link, set()).add(target)
        root = self.root.resolve()
        for rel in paths:
            by_link.pop(rel, None)
            hops = _link_hops(self.root / rel, root)
            hops.discard(rel)
            if hops:
                by_link[rel] = hops
        links: dict[str, set[str]] = {}
        for link, targets in by_link.items():
            for target in targets:
                links.setdefault(target, set()).add(link)
        self.links = {target: frozenset(found) for target, found in links.items()}

    def git_busy(self, now: float | None = None) -> bool:
        """Whether a git command holds this work tree's index (``index.lock`` exists): a checkout, merge, rebase or
        reset is rewriting the work tree, which is half-way between two states until it lets go. A lock older
        than ``STALE_LOCK_S`` is one a crashed git left behind (git itself refuses to run until it is removed):
        it does not hold anything up."""
        if not self.git_dirs:
            return False
        try:
            mtime = os.stat(self.git_dirs[0] / INDEX_LOCK).st_mtime
        except OSError:
            return False
        return (time.time() if now is None else now) - mtime < STALE_LOCK_S

    def index_identity(self) -> tuple[int, ...] | None:
        """git's index of this work tree as it is now (inode, size, modification time; None: no git, or no index):
        a command that rewrites the work tree (checkout, merge, reset, stash) writes a new one, renamed from its
        lock over the old one."""
        if not self.git_dirs:
            return None
        try:
            st = os.stat(self.git_dirs[0] / "index")
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def ref_state(self) -> str | None:
        """Where HEAD and the local branches and tags point, as one comparable string (None: not a git work tree,
        or git could not tell). Remote-tracking refs are left out: they do not change the work tree."""
        if self.top is None:
            return None
        try:
            head = git.run(self.top, "symbolic-ref", "-q", "HEAD", check=False)
            refs = git.run(self.top, "show-ref", "--head", check=False)
        except GitError:
            return None
        lines = [line for line in refs.decode("utf-8", "replace").splitlines() if " refs/remotes/" not in line]
        return "\n".join([head.decode("utf-8", "replace").strip(), *lines])

    def staged_differs(self, paths: Iterable[str], dirs: Iterable[str] = ()) -> bool:
        """Whether git's index holds, for one of these root-relative files or something below these folders (with
        neither: anything under the root), other content than HEAD's commit. Right after a checkout (merge,
        reset) let go of the index this means git has not moved HEAD yet: it always writes the index first."""
        if self.top is None:
            return False
        try:
            out = git.run(self.root, "diff-index", "--cached", "--name-only", "--relative", "-z", "HEAD", check=False)
        except GitError:
            return False
        staged = [name for name in out.decode("utf-8", "surrogateescape").split("\0") if name]
        files, folders = set(paths), tuple(f"{d.rstrip('/')}/" for d in dirs)
        if not files and not folders:
            return bool(staged)
        return any(name in files or name.startswith(folders) for name in staged)

    def spec_files(self) -> list[str]:
        """Every spec file of the repository (what a full reconcile reads)."""
        if self.settings is None:
            return []
        wanted = self.top_folders()
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return []
        out = [e.name for e in entries if e.is_file(follow_symlinks=False) and self.is_spec(e.name)]
        for e in entries:
            if e.name != ".git" and (wanted is None or e.name in wanted) and e.is_dir(follow_symlinks=False):
                out.extend(self.spec_files_under(e.name))
        return out

    def signatures(self, paths: Iterable[str]) -> dict[str, FileSignature]:
        """``FileSignature`` of root-relative files, taken before a sync reads them."""
        return {rel: FileSignature.of(self.root / rel) for rel in paths}

    def spec_files_under(self, rel_dir: str) -> list[str]:
        """Spec files below a folder that appeared (its own events may have come before its watch)."""
        if self.settings is None:
            return []
        out: list[str] = []
        base = self.root / rel_dir
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            out.extend(p for p in (f"{rel}/{n}" for n in filenames) if self.is_spec(p))
        return out


def _located(root: Path) -> tuple[Path | None, tuple[Path, ...]]:
    """The top of the git work tree ``root`` is in (None: a plain folder) and its git directories (its own and
    the common one, which differ in a linked work tree)."""
    top = git.find_root(root)
    if top is None:
        return None, ()
    top = top.resolve()
    out = os.fsdecode(git.run(top, "rev-parse", "--absolute-git-dir", "--git-common-dir")).splitlines()
    own = Path(out[0])
    common = Path(out[1]) if len(out) > 1 else own
    if not common.is_absolute():
        common = top / common
    return top, tuple(dict.fromkeys([own.resolve(), common.resolve()]))


def _folder_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _relative(path: str, anchor: Path) -> str | None:
    base = str(anchor)
    if path == base:
        return ""
    if not path.startswith(base + os.sep):
        return None
    rel = path[len(base) + 1 :]
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


def _is_ref(rel: str) -> bool:
    """``HEAD``, ``packed-refs`` and local refs (and their ``.lock`` files): what commit, checkout, merge, pull,
    rebase and reset move. Remote-tracking refs (a plain ``fetch``) do not change the work tree."""
    rel = rel.removesuffix(".lock")
    if rel in ("HEAD", "packed-refs") or rel.startswith("reftable/") or rel == "reftable":
        return True
    return rel.startswith("refs/") and not rel.startswith("refs/remotes/")


# ------------------------------------------------------------------------------------------------- discovery


def looks_like_repository(path: Path) -> bool:
    """Whether a command-line folder is a repository (else a folder holding repositories): it has a ``.git``; or it
    holds no git repositories and is inside a work tree (a spec root in a monorepo), has tracertm configuration,
    has spec folders, or holds spec files (a plain folder, synced as ``tracertm sync FOLDER`` syncs it)."""
    if (path / ".git").exists():
        return True
    if repositories_in(path):
        return False
    if git.find_root(path) is not None:
        return True
    if any((path / name).is_file() for name in (".tracertm.toml", ".adr-dir")):
        return True
    settings = Settings(root=path)
    if any(prefix and (path / prefix).is_dir() for prefix in settings.prefixes):
        return True
    return _holds_spec_files(path, settings)


# How many folder entries ``_holds_spec_files`` looks at, at most: a folder that big with no spec file among them
# is taken for a folder holding repositories (yet to come).
_SPEC_SEARCH_LIMIT = 20_000


def _holds_spec_files(path: Path, settings: Settings) -> bool:
    """Whether a folder that is not a git work tree holds a spec file where its sync would look (default globs
    start with a wildcard: any folder). Stops at the first one found."""
    seen = 0
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        seen += len(dirnames) + len(filenames)
        rel = Path(dirpath).relative_to(path).as_posix()
        if any(settings.kind_of(name if rel == "." else f"{rel}/{name}") is not None for name in filenames):
            return True
        if seen > _SPEC_SEARCH_LIMIT:
            return False
    return False


def repositories_in(workspace: Path) -> list[Path]:
    """Git work trees directly inside a workspace folder (hidden folders skipped)."""
    try:
        entries = list(os.scandir(workspace))
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue
        if os.path.exists(os.path.join(entry.path, ".git")):
            found.append(Path(entry.path).resolve())
    return sorted(found)


def split_targets(targets: Sequence[str | os.PathLike[str]]) -> tuple[list[Path], list[Path]]:
    """Command-line arguments → (repositories, workspace folders)."""
    repos: list[Path] = []
    workspaces: list[Path] = []
    for target in targets:
        path = Path(target).expanduser()
        if not path.is_dir():
            raise UsageError(f"{target}: no such folder; pass a repository or a folder holding repositories")
        path = path.resolve()
        (repos if looks_like_repository(path) else workspaces).append(path)
    return repos, workspaces


def _link_hops(path: Path, root: Path) -> set[str]:
    """The root-relative paths a chain of symbolic links starting at ``path`` goes through (each hop resolved
    against its folder's real path, as event paths are), ``_MAX_LINK_HOPS`` at most: empty for a file. A hop out of
    the root ends it (no sync follows it), and so does a path already seen (a loop)."""
    hops: set[str] = set()
    for _ in range(_MAX_LINK_HOPS):
        try:
            text = os.readlink(path)
        except OSError:  # not a link (or gone): the end of the chain
            break
        path = Path(os.path.normpath(os.path.join(os.path.realpath(os.path.dirname(path)), text)))
        try:
            hop = path.relative_to(root).as_posix()
        except ValueError:
            break
        if hop in hops:
            break
        hops.add(hop)
    return hops



__all__ = [
    "CONFIG_FILES",
    "EXCLUDE_FILE",
    "IGNORE_FILE",
    "Change",
    "FileSignature",
    "Repository",
    "WatchSpec",
    "is_temp_name",
    "looks_like_repository",
    "repositories_in",
    "split_targets",
]
