"""The git adapter: the only module that talks to git.

Hot paths (scan, ``check --staged`` in a hook) call the git command line directly: one short-lived process per
listing and one long-lived ``git cat-file --batch`` for blob reads. Importing GitPython alone costs more than
the whole ``check --staged`` budget of a pre-commit hook, so it is not used on these paths.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from tracertm.errors import GitError

# For the history stream's signatures.
from collections.abc import Iterable, Iterator
from typing import IO

# Variables git exports to hooks. Left in the environment they would point our git calls at the hook's repository
# or index whatever folder we work in; ``git_env`` keeps the index only when it belongs to the repository at hand.
_LEAKED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX", "GIT_COMMON_DIR")


def blob_id(data: bytes) -> str:
    """git's blob id of ``data`` (what ``git hash-object`` prints)."""
    header = b"blob %d\0" % len(data)
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()


def git_env(root: Path | None = None) -> dict[str, str]:
    """The environment for git calls about ``root``: without hook-leaked variables, except that a hook's
    ``GIT_INDEX_FILE`` is kept (made absolute) when it is this repository's, so ``--staged`` sees what
    ``git commit -a`` or ``git commit PATH`` is about to commit."""
    env = {k: v for k, v in os.environ.items() if k not in _LEAKED}
    index = os.environ.get("GIT_INDEX_FILE")
    if index and root is not None:
        index_path = Path(index) if os.path.isabs(index) else Path.cwd() / index
        git_dir = Path(os.environ.get("GIT_DIR", ".git"))
        git_dir = git_dir if git_dir.is_absolute() else Path.cwd() / git_dir
        try:
            if git_dir.resolve() == (root / ".git").resolve():
                env["GIT_INDEX_FILE"] = str(index_path.resolve())
        except OSError:
            pass
    return env


def run(root: Path, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
    """Run ``git -C root args...`` and return stdout; failures become ``GitError`` with git's own message."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            input=input,
            capture_output=True,
            env=git_env(root),
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH; install git") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed in {root}: {message[-1] if message else proc.returncode}")
    return proc.stdout


def find_root(path: Path) -> Path | None:
    """The top of the work tree containing ``path``, or None when ``path`` is not inside a git repository."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--show-toplevel"], capture_output=True, env=git_env()
        )
    except FileNotFoundError:
        return None
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.decode().strip())


def resolve_commit(root: Path, ref: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True,
        env=git_env(root),
    )
    if proc.returncode != 0:
        raise GitError(f"--ref {ref}: no such commit in {root}; check the name or fetch it first")
    return proc.stdout.decode().strip()


def head_commit(root: Path) -> str | None:
    proc = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", "HEAD"], capture_output=True, env=git_env(root)
    )
    return proc.stdout.decode().strip() or None


def origin_url(root: Path) -> str | None:
    out = run(root, "config", "--get", "remote.origin.url", check=False).decode().strip()
    return out or None


def is_shallow(root: Path) -> bool:
    return run(root, "rev-parse", "--is-shallow-repository").decode().strip() == "true"


# ------------------------------------------------------------------------------------------------ history stream
#
# Backfill reads a whole history through one streaming ``git log`` process: only commits that touch the spec
# folders come out, each with the blob ids of the files it changed, so an unchanged file costs nothing.

_HISTORY_FORMAT = "--format=%x01%H%x00%an%x00%ae%x00%cI%x00%aI"


@dataclass(frozen=True)
class Change:
    """A file a commit changed: its path (relative to the stripped prefix), new mode (``000000``: gone) and blob."""

    path: str
    mode: str
    sha: str


@dataclass(frozen=True)
class HistoryCommit:
    """A first-parent commit and the files it changed against its first parent (a rename is a deletion plus an
    addition: which files are the same file is decided by the caller, as sync decides it)."""

    info: CommitInfo
    changes: tuple[Change, ...]

    @property
    def sha(self) -> str:
        return self.info.sha

    @property
    def date(self) -> dt.date:
        """The commit date, in the committer's time zone."""
        return self.info.committed_at.date()


def existing_objects(root: Path, shas: Iterable[str]) -> set[str]:
    """Which of ``shas`` git's object store holds (one ``git cat-file --batch-check``)."""
    wanted = sorted(set(shas))
    if not wanted:
        return set()
    out = run(root, "cat-file", "--batch-check=%(objectname)", input="".join(s + "\n" for s in wanted).encode())
    # An object that exists prints its name alone; a missing one "<name> missing".
    return {line for line in out.decode().splitlines() if " " not in line.strip()} & set(wanted)


def first_parent_chain(root: Path, head: str) -> list[str]:
    """Every first-parent commit of ``head``, oldest first."""
    return run(root, "rev-list", "--first-parent", "--reverse", head).decode().split()


def history(root: Path, revs: list[str], prefixes: tuple[str, ...], strip: str = "") -> Iterator[HistoryCommit]:
    """The first-parent commits in ``revs`` (``git log`` revision arguments) that change a file under
    ``prefixes``, oldest first, streamed from one git process; ``strip`` is removed from the front of every path
    (changes outside it are left out)."""
    args = [
        "git", "-C", str(root), "-c", "log.showRoot=true", "-c", "log.showSignature=false",
        "-c", "core.quotePath=false", "log", "--first-parent", "--diff-merges=first-parent", "--reverse", "--raw",
        "-z", "--no-renames", "--no-abbrev", "--no-color", "--no-ext-diff", "--encoding=UTF-8", _HISTORY_FORMAT,
        *revs, "--", *_pathspecs(prefixes),
    ]  # fmt: skip
    import tempfile

    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, env=git_env(root))
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH; install git") from None
        assert proc.stdout is not None
        try:
            yield from _parse_log(_tokens(proc.stdout), strip)
            if proc.wait() != 0:
                errors.seek(0)
                lines = errors.read().decode("utf-8", "replace").strip().splitlines()
                raise GitError(f"git log failed in {root}: {lines[-1] if lines else proc.returncode}")
        finally:
            if proc.poll() is None:  # the consumer stopped early (an error, Ctrl-C): do not leave git behind
                proc.kill()
                proc.wait()
            proc.stdout.close()


def _tokens(stream: IO[bytes]) -> Iterator[bytes]:
    """NUL-separated tokens of a stream, as they arrive."""
    buf = b""
    while True:
        chunk = stream.read1(1 << 16)  # type: ignore[attr-defined]
        if not chunk:
            break
        buf += chunk
        parts = buf.split(b"\0")
        buf = parts.pop()
        yield from parts
    if buf:
        yield buf


def _parse_log(tokens: Iterator[bytes], strip: str) -> Iterator[HistoryCommit]:
    """``git log --raw -z`` in ``_HISTORY_FORMAT`` → commits with their changed files."""
    info: CommitInfo | None = None
    changes: list[Change] = []
    for token in tokens:
        token = token.lstrip(b"\n")
        if token.startswith(b"\x01"):
            if info is not None:
                yield HistoryCommit(info, tuple(changes))
            name, email, committed, authored = (next(tokens).decode("utf-8", "replace").strip() for _ in range(4))
            info = CommitInfo(token[1:].decode(), name, email, dt.datetime.fromisoformat(committed),
                              dt.datetime.fromisoformat(authored))
            changes = []
        elif token.startswith(b":"):
            meta = token[1:].split()  # old mode, new mode, old blob, new blob, status
            path = next(tokens).decode("utf-8", "surrogateescape")
            if path.startswith(strip):
                changes.append(Change(path[len(strip):], meta[1].decode(), meta[3].decode()))
    if info is not None:
        yield HistoryCommit(info, tuple(changes))


def commit_dates(reader: BlobReader, shas: Iterable[str]) -> dict[str, dt.date]:
    """Committer dates (in the committer's time zone) of commits, read from the commit objects."""
    out: dict[str, dt.date] = {}
    for sha, raw in reader.read_many(sorted(set(shas))).items():
        for line in raw.split(b"\n"):
            if not line:
                break
            if line.startswith(b"committer "):
                stamp, offset = line.rsplit(b" ", 2)[1:]
                sign = -1 if offset.startswith(b"-") else 1
                minutes = sign * (int(offset[1:3]) * 60 + int(offset[3:5]))
                zone = dt.timezone(dt.timedelta(minutes=minutes))
                out[sha] = dt.datetime.fromtimestamp(int(stamp), zone).date()
    return out


class Entry(NamedTuple):
    """A file as git records it: mode (``100644``, ``120000`` for a symlink...) and blob id. A named tuple: a scan
    builds one per file of the repository."""

    mode: str
    sha: str


def _parse_stage_listing(raw: bytes) -> dict[str, Entry]:
    """``git ls-files -s -z`` / ``git ls-tree -r -z`` → path → Entry (conflicted paths: last stage wins)."""
    entries: dict[str, Entry] = {}
    # One decode for the whole listing (the separators are ASCII, so this equals decoding each path).
    for item in raw.decode("utf-8", "surrogateescape").split("\0"):
        if not item:
            continue
        meta, _, path = item.partition("\t")
        fields = meta.split(" ")
        if fields[1] in ("blob", "tree", "commit"):  # ls-tree: "mode type sha"
            if fields[1] != "blob":
                continue  # submodules
            entries[path] = Entry(fields[0], fields[2])
        else:  # ls-files -s: "mode sha stage"
            entries[path] = Entry(fields[0], fields[1])
    return entries


def index_entries(root: Path, prefixes: tuple[str, ...]) -> dict[str, Entry]:
    """What the index (the next commit) holds under ``prefixes``."""
    return _parse_stage_listing(run(root, "ls-files", "-s", "-z", "--", *_pathspecs(prefixes)))


def index_blobs(root: Path, prefixes: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """``index_entries`` as plain ``(mode, blob id)`` tuples, about twice as fast: ``check --staged`` lists every
    spec file of the index on every commit (conflicted paths: last stage wins)."""
    raw = run(root, "ls-files", "-s", "-z", "--", *_pathspecs(prefixes)).decode("utf-8", "surrogateescape")
    blobs: dict[str, tuple[str, str]] = {}
    for item in raw.split("\0"):
        if item:
            meta, _, path = item.partition("\t")
            mode, sha, _stage = meta.split(" ")
            blobs[path] = (mode, sha)
    return blobs


def tree_entries(root: Path, commit: str, prefixes: tuple[str, ...]) -> dict[str, Entry]:
    """What ``commit`` holds under ``prefixes``."""
    return _parse_stage_listing(run(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *_pathspecs(prefixes)))


def index_changes(root: Path, commit: str, prefixes: tuple[str, ...]) -> dict[str, tuple[str | None, str | None]]:
    """Paths under ``prefixes`` whose index entry differs from ``commit`` (what ``git commit`` is about to change):
    path → (blob id in ``commit``, blob id in the index), None where the path is absent. A mode-only change is
    not a change. One ``git diff-index --cached`` (answered from the index's cache tree; no file is read)."""
    args = ("diff-index", "--cached", "--no-renames", "--no-abbrev", "-z", commit, "--", *_pathspecs(prefixes))
    raw = run(root, *args)
    parts = raw.split(b"\0")
    changes: dict[str, tuple[str | None, str | None]] = {}
    i = 0
    while i + 1 < len(parts):
        meta = parts[i]
        if not meta.startswith(b":"):
            i += 1
            continue
        fields = meta[1:].decode().split()
        old, new = fields[2], fields[3]
        if old != new:
            path = parts[i + 1].decode("utf-8", "surrogateescape")
            changes[path] = (old if old.strip("0") else None, new if new.strip("0") else None)
        i += 2
    return changes


def worktree_status(root: Path, prefixes: tuple[str, ...]) -> tuple[set[str], set[str], set[str]]:
    """Paths under ``prefixes`` whose work-tree content differs from the index: (modified, deleted, untracked).

    git answers from its stat cache, so unchanged files are not read.
    """
    raw = run(root, "ls-files", "-z", "-t", "-m", "-d", "-o", "--exclude-standard", "--", *_pathspecs(prefixes))
    modified: set[str] = set()
    deleted: set[str] = set()
    untracked: set[str] = set()
    for item in raw.split(b"\0"):
        if not item:
            continue
        tag, path = item[:1], item[2:].decode("utf-8", "surrogateescape")
        {b"C": modified, b"R": deleted, b"?": untracked}.get(tag, modified).add(path)
    return modified - deleted, deleted, untracked


def _pathspecs(prefixes: tuple[str, ...]) -> list[str]:
    # ":(top)" keeps pathspecs relative to the repository root; "literal" stops file names with * or ? from globbing.
    return [f":(top,literal){p}" if p else ":(top)" for p in prefixes] or [":(top)"]


# How long a git process may take to exit once told to (stdin closed, or killed) before we stop waiting.
EXIT_TIMEOUT_S = 5.0


class BlobReader:
    """Reads many blobs through one ``git cat-file --batch`` process.

    Any error part-way through a read (a missing object, a short read, a dead process) leaves the answer stream at
    an unknown position: the reader is then marked broken and its process killed and reaped, and later reads raise
    instead of returning another object's bytes. Requests are written by a helper thread while answers are read,
    so neither side can fill a pipe and wait for the other.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._proc: subprocess.Popen[bytes] | None = None
        self._broken: str | None = None

    @property
    def broken(self) -> bool:
        return self._broken is not None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._broken is not None:
            raise GitError(f"git cat-file in {self._root} failed earlier ({self._broken}); start a new reader")
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(
                    ["git", "-C", str(self._root), "cat-file", "--batch"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=git_env(self._root),
                )
            except FileNotFoundError:
                raise GitError("git is not installed or not on PATH; install git") from None
        return self._proc

    def read(self, sha: str) -> bytes:
        """The bytes of one blob."""
        return self.read_many([sha])[sha]

    def read_many(self, shas: list[str]) -> dict[str, bytes]:
        """The bytes of each blob, in one round trip."""
        return self.read_limited(shas, None)  # type: ignore[return-value]  # without a limit every value is bytes

    def read_limited(self, shas: list[str], max_size: int | None) -> dict[str, bytes | int]:
        """``read_many``, except that a blob over ``max_size`` bytes is not kept: its size (an int) is returned
        instead, decided from git's header before its content is read (it is skipped in chunks)."""
        import threading

        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        unique = list(dict.fromkeys(shas))
        request = b"".join(s.encode() + b"\n" for s in unique)
        failure: list[BaseException] = []

        def write() -> None:
            try:
                assert proc.stdin is not None
                proc.stdin.write(request)
                proc.stdin.flush()
            except (OSError, ValueError) as exc:  # the process died or was killed: the reader reports it
                failure.append(exc)

        writer = threading.Thread(target=write, name="git-cat-file-writer", daemon=True)
        writer.start()
        out: dict[str, bytes | int] = {}
        try:
            for sha in unique:
                out[sha] = self._answer(proc.stdout, sha, max_size)
        except BaseException as exc:
            self._fail(exc)
            raise
        finally:
            writer.join(EXIT_TIMEOUT_S)
        return out

    def _answer(self, stdout: Any, sha: str, max_size: int | None) -> bytes | int:
        header = stdout.readline()
        fields = header.split()
        if len(fields) != 3:
            if not header:
                raise GitError(f"git cat-file in {self._root} stopped answering (at object {sha}); run 'git fsck'")
            raise GitError(f"git object {sha} is missing from {self._root}; run 'git fsck'")
        size = int(fields[2])
        if max_size is not None and size > max_size:
            left = size + 1  # and the newline after every object
            while left:
                chunk = stdout.read(min(left, 1 << 16))
                if not chunk:
                    raise GitError(f"git cat-file in {self._root} stopped part-way through object {sha}")
                left -= len(chunk)
            return size
        data = stdout.read(size)
        if len(data) != size or stdout.read(1) != b"\n":
            raise GitError(f"git cat-file in {self._root} stopped part-way through object {sha}")
        return bytes(data)

    def _fail(self, exc: BaseException) -> None:
        self._broken = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self._kill()

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        _reap(proc)

    def close(self) -> None:
        """End the process: close its input and wait (bounded); kill it if it does not exit in time."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
        _reap(proc)

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Wait for a finished or killed process (bounded) and close its pipes."""
    try:
        proc.wait(EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:  # a killed process that does not die: nothing more we can do
        pass
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass


@dataclass(frozen=True)
class CommitInfo:
    """Provenance of a commit: sha, author, commit date and (when read) author date."""

    sha: str
    author_name: str
    author_email: str
    committed_at: dt.datetime
    authored_at: dt.datetime | None = None


def commit_info(root: Path, sha: str) -> CommitInfo:
    out = run(root, "show", "-s", "--format=%H%x00%an%x00%ae%x00%cI", sha).decode("utf-8", "replace").strip()
    full, name, email, when = out.split("\0")
    return CommitInfo(full, name, email, dt.datetime.fromisoformat(when))


# ------------------------------------------------------------------------------------------- repository identity


_REMOTE = re.compile(r"(?:[:/])([^/:]+)/([^/]+?)(?:\.git)?/?$")


def remote_name(url: str | None) -> str | None:
    """``owner/name`` of a remote URL (``git@host:owner/name.git``, ``https://host/owner/name``), else None."""
    match = _REMOTE.search(url) if url else None
    return f"{match.group(1)}/{match.group(2)}" if match else None


def root_commit(root: Path) -> str | None:
    """The root of HEAD's first-parent history: what makes a repository itself whatever its remote is called.
    None when HEAD has no commit yet. Walks the history: call it only when a project is created or adopted."""
    proc = subprocess.run(
        ["git", "-C", str(root), "rev-list", "--first-parent", "--max-parents=0", "HEAD"],
        capture_output=True,
        env=git_env(root),
    )
    lines = proc.stdout.decode().split() if proc.returncode == 0 else []
    return lines[-1] if lines else None


def has_commit(root: Path, sha: str) -> bool:
    """Whether ``sha`` is a commit of this repository's object database (one lookup, no history walk)."""
    proc = subprocess.run(
        ["git", "-C", str(root), "cat-file", "-e", f"{sha}^{{commit}}"], capture_output=True, env=git_env(root)
    )
    return proc.returncode == 0


# ----------------------------------------------------------------------------------------------- work-tree blobs


def hash_paths(root: Path, paths: list[str]) -> dict[str, str]:
    """git's blob ids of work-tree files (``git hash-object --stdin-paths``: clean filters and end-of-line
    conversion applied, so a CRLF checkout gets the id its blob has in a commit). ``paths`` are relative to
    ``root``. Paths git cannot hash (vanished, or with a newline in their name) are left out."""
    simple = [p for p in paths if "\n" not in p and not p.startswith((" ", "\t"))]
    if not simple:
        return {}
    try:
        out = run(root, "hash-object", "--stdin-paths", input="".join(p + "\n" for p in simple).encode("utf-8", "surrogateescape"))
    except GitError:  # one file vanished: hash them one by one
        if len(simple) == 1:
            return {}
        ids: dict[str, str] = {}
        for path in simple:
            ids.update(hash_paths(root, [path]))
        return ids
    return dict(zip(simple, out.decode().split(), strict=True))
