"""History: commits and who made them. ``history`` streams the first-parent commits that touch the spec folders
from one ``git log`` process (backfill reads a whole history through it: only commits that touch the spec folders
come out, each with the blob ids of the files it changed, so an unchanged file costs nothing); ``commit_info`` is
one commit's provenance; ``merge_authors`` finds whose work a merge commit brought in (``Merges``: those of a
whole run, with a fixed number of git processes for merges of one-commit branches); ``placed`` tells which of
many commits came after one in the history (``changed_since``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from tracertm.errors import GitError
from tracertm.git.process import (
    MAX_PATHSPEC_BYTES, NO_SIGNATURES, BlobReader, Dialogue, Streamed, pathspecs, run,
)
from tracertm.git.repo import existing_objects, has_commit, iso_date, shallow_boundary, written_parents

# A commit's provenance: sha, author, commit date, author date, committer, parents (``_commit_fields``).
_COMMIT_FORMAT = "%H%x00%an%x00%ae%x00%cI%x00%aI%x00%cn%x00%ce%x00%P"
_HISTORY_FORMAT = f"--format=%x01{_COMMIT_FORMAT}"


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
    def date(self) -> dt.date | None:
        """The commit date, in the committer's time zone; None when git's is unreadable (``iso_date``)."""
        return self.info.committed_at.date() if self.info.committed_at is not None else None


@dataclass(frozen=True)
class Author:
    """Who wrote a change and when (a commit's author and author date)."""

    name: str
    email: str
    at: dt.datetime | None


@dataclass(frozen=True)
class CommitInfo:
    """Provenance of a commit: sha, author, commit date, author date, committer and parents.

    ``merged``: for a merge commit, the author of the most recent commit on the merged side that changed each file
    (keyed by the path the caller asked about, relative to its spec root); a revision of such a file names that
    author, so pull-request work is not attributed to whoever merged it (``author_of``). None for a file whose
    author a shallow clone cannot tell (``merge_authors``): its revision names no author rather than the merge's.
    """

    sha: str
    author_name: str
    author_email: str
    committed_at: dt.datetime | None  # None: a date git could not read or Python cannot hold (``iso_date``)
    authored_at: dt.datetime | None = None
    committer_name: str | None = None
    committer_email: str | None = None
    parents: tuple[str, ...] = ()
    merged: Mapping[str, Author | None] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    def author_of(self, path: str | None) -> Author | None:
        """The author a revision of ``path`` names: the merged side's for a file a merge brought in, else the
        commit's own; None when a shallow clone cannot tell which (``merged``)."""
        if path is not None and path in self.merged:
            return self.merged[path]
        return Author(self.author_name, self.author_email, self.authored_at)

    @property
    def unknown_authors(self) -> list[str]:
        """The files whose author a shallow clone could not read (``merged``)."""
        return [path for path, author in self.merged.items() if author is None]


def _commit_fields(fields: list[str]) -> CommitInfo:
    """The fields of ``_COMMIT_FORMAT`` (as text) → CommitInfo."""
    sha, name, email, committed, authored, committer, committer_email, parents = fields
    return CommitInfo(sha, name, email, iso_date(committed), iso_date(authored), committer, committer_email,
                      tuple(parents.split()))


def commit_info(root: Path, sha: str, paths: Iterable[str] = (), strip: str = "") -> CommitInfo:
    """The provenance of one commit. For a merge commit, ``paths`` (relative to ``strip``, the spec root inside
    the repository) get the author of the most recent commit on the merged side that changed them
    (``merge_authors``)."""
    # In UTF-8 whatever the commit's ``encoding`` header (``i18n.commitEncoding latin1``) and
    # ``i18n.logOutputEncoding`` say, as ``history`` reads it: a backfill and a sync of a commit name one author.
    raw = run(root, *NO_SIGNATURES, "show", "-s", "--encoding=UTF-8", f"--format={_COMMIT_FORMAT}", sha)
    out = raw.decode("utf-8", "replace").strip("\n")
    info = _commit_fields(out.split("\0"))
    wanted = list(paths)
    if not info.parents and wanted:
        # A root, or a shallow clone's boundary, which git shows without the parents it did not fetch: a merge
        # there (a depth-1 checkout of a pull request's merge) brought in work no commit of the clone tells the
        # author of. One more git command, for a root or boundary commit only.
        parents = written_parents(root, info.sha)
        if len(parents) > 1:
            return replace(info, parents=parents, merged=dict.fromkeys(wanted))
    if info.is_merge and wanted:
        info = replace(info, merged=merge_authors(root, info.sha, wanted, strip))
    return info


def merge_authors(root: Path, merge: str, paths: Iterable[str], strip: str = "") -> dict[str, Author | None]:
    """For each of ``paths`` (relative to ``strip``) the author of the most recent commit that a merge brought
    in (reachable from a parent other than the first, not from the first) and that changed it. One ``git log`` for
    all the paths; paths no merged commit changed (an edit made in the merge commit itself, with no change to the
    file on the merged side) are left out: their revisions name the merge's own author, and so are paths whose
    content at the merge is no parent's (a conflict resolved, an edit made in the merge: ``_made_by``). One ``git
    diff-tree`` tells those. In a shallow clone whose
    history stops on the merged side, who last changed a path is unknown (None) when the commit found is the
    boundary (git shows it without parents, as adding every file it holds) or none before it changed the path.
    The merges of a whole history are read through one ``Merges`` instead (``history``)."""
    return _merge_authors(root, merge, paths, strip, lambda: shallow_boundary(root),
                          lambda specs: _made_by(root, merge, specs))


class Merges:
    """Whose work the merges of one run brought in (``authors``, what ``merge_authors`` tells of one merge), for a
    run that reads many merges (``history``: a backfill, a ``sync --ref``): the shallow boundary is read once for
    the run, at its first merge — not once per merge, nor once per process (a repository may be deepened or
    unshallowed between two runs of one process) — and the merge commits' own files (``_made_by``) come from one
    ``git diff-tree --stdin -c`` process limited to ``prefixes`` (the run's spec folders, which hold every path
    asked about). A context manager that ends that process."""

    def __init__(self, root: Path, prefixes: tuple[str, ...]) -> None:
        self._root = root
        self._boundary: frozenset[str] | None = None
        self._specs = pathspecs(prefixes)
        self._sides: dict[str, list[_Side]] = {}  # a merge's merged side, read ahead (``prefetch``)
        self._combined = Dialogue(root, (
            "-c", "core.quotePath=false", "diff-tree", "--stdin", "-c", "-r", "-z", "--no-commit-id", "--no-color",
            "--no-ext-diff", "--", *self._specs,
        ))  # fmt: skip

    def authors(self, merge: str, paths: Iterable[str], strip: str = "") -> dict[str, Author | None]:
        """``merge_authors`` of one merge of the run (its merged side as ``prefetch`` read it, if it did)."""
        return _merge_authors(self._root, merge, paths, strip, self._shallow_boundary, lambda _: self._made_by(merge),
                              self._sides.pop(merge, None))

    def prefetch(self, merges: Iterable[CommitInfo]) -> None:
        """Read the merged sides of ``merges`` that are one commit whose parent is the merge's first parent (a
        branch of one commit merged ``--no-ff``), all with one ``git log --no-walk`` of their second parents: the
        merged side is then that commit alone, and its own changes are what the merge brought in. Any other merge
        (a longer branch, a shallow clone's boundary, a second parent that changed no spec file: git shows it
        without its parents, or not at all) keeps its own ``git log`` of the merged side (``authors``)."""
        second = {m.parents[1]: m for m in merges if len(m.parents) == 2}
        if len(second) < 2:  # one merge: its own git log costs the same
            return
        raw = run(
            self._root, *NO_SIGNATURES, "-c", "core.quotePath=false", "log", "--stdin", "--no-walk=unsorted",
            "--name-only", "-z", "--no-renames", "--no-color", "--encoding=UTF-8", f"--format={_SIDE_FORMAT}",
            "--", *self._specs, input="".join(sha + "\n" for sha in second).encode(),
        )  # fmt: skip
        for commit in _side_commits(raw):
            merge = second.get(commit.sha)
            if merge is not None and commit.parents == merge.parents[:1]:
                self._sides[merge.sha] = [commit]

    def _shallow_boundary(self) -> frozenset[str]:
        if self._boundary is None:
            self._boundary = shallow_boundary(self._root)
        return self._boundary

    def _made_by(self, merge: str) -> frozenset[str]:
        """``_made_by`` of ``merge`` under the run's prefixes, asked of the run's diff-tree process."""
        return self._combined.ask(f"{merge}\n".encode() + _ANSWERED, _combined_paths)

    def close(self) -> None:
        self._combined.close()

    def __enter__(self) -> Merges:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# A line no object id starts: ``git diff-tree --stdin`` copies it to its output as it is and flushes, after the
# answer to the request before it — the end of that answer.
_ANSWERED = b"#answered\n"


def _combined_paths(out: IO[bytes]) -> frozenset[str]:
    """One answer of ``git diff-tree --stdin -c -r -z`` (raw format): the paths of its entries, up to
    ``_ANSWERED``. Each entry is a field of modes, ids and status, which starts with ``:``, then the path: any
    bytes but NUL, ``_ANSWERED``'s too, so a path is read whole whatever it holds and only what comes where an
    entry would start can end the answer."""
    paths: set[str] = set()
    while True:
        first = out.read(1)
        if first == b":":
            _through_nul(out)
            paths.add(_through_nul(out).decode("utf-8", "surrogateescape"))
            continue
        if not first:
            raise EOFError("git diff-tree stopped answering")
        if first + out.readline() != _ANSWERED:
            raise GitError("git diff-tree answered with what it was not asked for; run again")
        return frozenset(paths)


def _through_nul(out: IO[bytes]) -> bytes:
    """The bytes of ``out`` up to the next NUL (read, not returned)."""
    parts: list[bytes] = []
    while True:
        chunk = out.peek(1)  # type: ignore[attr-defined]  # (a BufferedReader: what it holds, at least one byte)
        if not chunk:
            raise EOFError("git diff-tree stopped answering")
        end = chunk.find(b"\0")
        if end >= 0:
            parts.append(out.read(end + 1)[:-1])
            return b"".join(parts)
        parts.append(out.read(len(chunk)))


def _merge_authors(root: Path, merge: str, paths: Iterable[str], strip: str,
                   boundary_of: Callable[[], frozenset[str]],
                   made_by: Callable[[list[str]], frozenset[str]],
                   side: list[_Side] | None = None) -> dict[str, Author | None]:
    """``merge_authors``, the shallow boundary and the merge's own files (``_made_by`` of the pathspecs given) told
    by the caller: for one merge, or for each merge of a run (``Merges``); ``side``: the merged side's commits that
    changed files, newest first, when the caller knows them (else read here, with one ``git log``)."""
    wanted = {strip + p: p for p in dict.fromkeys(paths)}
    if not wanted:
        return {}
    specs = pathspecs(tuple(wanted))
    if sum(len(p) + 1 for p in specs) > MAX_PATHSPEC_BYTES:  # a merge of thousands of files: ARG_MAX
        specs = pathspecs((strip,))  # the whole spec root; the paths are picked out of the output below
    if side is None:
        side = _side_commits(run(
            root, *NO_SIGNATURES, "-c", "core.quotePath=false", "log", "--topo-order", "--name-only", "-z",
            "--no-renames", "--no-color", "--encoding=UTF-8", f"--format={_SIDE_FORMAT}",
            f"{merge}^@", f"^{merge}^1",
            "--", *specs,
        ))  # fmt: skip
    boundary = boundary_of()
    own = made_by(specs)
    found: dict[str, Author | None] = {}
    for commit in side:
        cut = commit.sha in boundary  # a shallow clone's boundary commit: what it changed cannot be told
        for name in commit.names:
            path = wanted.get(name) if name not in own else None
            if path is not None and path not in found:  # newest first: the first commit seen is the most recent
                found[path] = None if cut else commit.author
    missing = [p for name, p in wanted.items() if p not in found and name not in own]
    if missing and boundary and _reaches(root, merge, boundary):
        found.update(dict.fromkeys(missing))
    return found


# A merged side's commit as ``_side_commits`` reads it: id, parents, author, author date; then the files it changed.
_SIDE_FORMAT = "%x01%H%x00%P%x00%an%x00%ae%x00%aI"


@dataclass(frozen=True)
class _Side:
    """A commit of a merge's merged side: its id, parents (as git shows them), author and the paths (from the top
    of the repository) it changed."""

    sha: str
    parents: tuple[str, ...]
    author: Author
    names: tuple[str, ...]


def _side_commits(raw: bytes) -> list[_Side]:
    """``git log --name-only -z`` in ``_SIDE_FORMAT`` → its commits, in the order git gave them."""
    out: list[_Side] = []
    tokens = iter(raw.split(b"\0"))
    head: tuple[str, tuple[str, ...], Author] | None = None
    names: list[str] = []
    for token in tokens:
        token = token.lstrip(b"\n")
        if token.startswith(b"\x01"):
            if head is not None:
                out.append(_Side(*head, tuple(names)))
            parents, name, email, when = (next(tokens).decode("utf-8", "replace") for _ in range(4))
            head, names = (token[1:].decode(), tuple(parents.split()), Author(name, email, iso_date(when))), []
        elif token and head is not None:
            names.append(token.decode("utf-8", "surrogateescape"))
    if head is not None:
        out.append(_Side(*head, tuple(names)))
    return out


def _made_by(root: Path, merge: str, specs: Iterable[str]) -> frozenset[str]:
    """The paths (from the repository's top) whose content at ``merge`` is none of its parents': the merge commit
    itself wrote them (a conflict's resolution, an edit made in the merge), so no merged commit's author did. Git's
    combined diff (``-c``) lists exactly the files that differ from every parent."""
    raw = run(root, "-c", "core.quotePath=false", "diff-tree", "-c", "-r", "-z", "--name-only", "--no-commit-id",
              "--no-color", "--no-ext-diff", merge, "--", *specs)
    return frozenset(t.decode("utf-8", "surrogateescape") for t in raw.split(b"\0") if t)


def _reaches(root: Path, merge: str, boundary: frozenset[str]) -> bool:
    """Whether the commits ``merge`` brought in reach a shallow clone's ``boundary``: their history goes on beyond
    what the clone holds."""
    side = run(root, "rev-list", f"{merge}^@", f"^{merge}^1").decode().split()
    return not boundary.isdisjoint(side)


@dataclass(frozen=True)
class Placed:
    """Commits placed against one commit ``since`` in a repository's history (``placed``). Of the commits asked
    about, ``after`` are neither ``since`` nor an ancestor of it (what ``git log since..BRANCH`` lists, for some
    branch, tag or HEAD); ``unplaced`` are not in the repository or held by no branch, tag nor HEAD any more
    (amended, rebased or squashed away) — their place in the history is unknown; the rest are ``since`` and its
    ancestors."""

    after: frozenset[str]
    unplaced: frozenset[str]


def placed(root: Path, since: str, commits: Iterable[str]) -> Placed | None:
    """Which of ``commits`` (full ids) came after commit ``since`` in the history, by reachability, not by dates
    (a merged branch's commits are older than the merge; a committer's clock may be wrong). None when the
    repository does not hold ``since``. A fixed number of git processes whatever the number of commits: one
    ``cat-file`` and two ``rev-list`` walks, each bounded by the commits asked about (never the whole history)."""
    if not has_commit(root, since):
        return None
    wanted = set(commits) - {since}
    present = existing_objects(root, wanted)
    later = _reached(root, present, "--not", since) & present
    # A commit no ref holds is no ancestor of any later commit either: it would count as after every commit (the
    # hook's revision of a commit since amended). Asked of the commits not before ``since`` only (few, mostly).
    gone = _reached(root, later, "--not", "--all") & later
    return Placed(frozenset(later - gone), frozenset((wanted - present) | gone))


def _reached(root: Path, tips: set[str], *args: str) -> set[str]:
    """The commits ``git rev-list TIPS ARGS`` lists, the tips given on its standard input (any number of them)."""
    if not tips:
        return set()
    out = run(root, "rev-list", "--stdin", *args, input="".join(t + "\n" for t in sorted(tips)).encode())
    return set(out.decode().split())


def first_parent_chain(root: Path, head: str) -> list[str]:
    """Every first-parent commit of ``head``, oldest first."""
    return run(root, "rev-list", "--first-parent", "--reverse", head).decode().split()


def history(root: Path, revs: list[str], prefixes: tuple[str, ...], strip: str = "", *, authors: bool = True
            ) -> Iterator[HistoryCommit]:
    """The first-parent commits in ``revs`` (``git log`` revision arguments) that change a file under
    ``prefixes``, oldest first, streamed from one git process; ``strip`` is removed from the front of every path
    (changes outside it are left out). A merge commit's changes are against its first parent, and its ``info``
    names the merged side's author of each changed file (``Merges``: one more ``git log`` per merge, and for the
    whole run one ``git diff-tree`` process and one read of the shallow boundary). ``authors=False``: merges'
    ``info`` names no merged side's author (``merged`` empty), for a caller that reads only the changes."""
    args = [
        "git", "-C", str(root), "-c", "log.showRoot=true", *NO_SIGNATURES,
        "-c", "core.quotePath=false", "log", "--first-parent", "--diff-merges=first-parent", "--reverse", "--raw",
        "-z", "--no-renames", "--no-abbrev", "--no-color", "--no-ext-diff", "--encoding=UTF-8", _HISTORY_FORMAT,
        *revs, "--", *pathspecs(prefixes),
    ]  # fmt: skip
    with Streamed(root, args) as git_log, Merges(root, prefixes) as merges:
        window: list[HistoryCommit] = []  # commits held back from the first merge on, up to _MERGE_WINDOW
        for commit in _parse_log(_tokens(git_log.stdout), strip, git_log.finish):
            if not window and not (authors and commit.info.is_merge and commit.changes):
                yield commit  # (a linear history streams as it comes)
                continue
            window.append(commit)
            if len(window) >= _MERGE_WINDOW:
                yield from _attributed(merges, window, strip)
                window = []
        yield from _attributed(merges, window, strip)


# Commits ``history`` holds back, from a merge on, to read the merged sides of their merges together
# (``Merges.prefetch``): one git process per that many merges of one-commit branches, not one per merge.
_MERGE_WINDOW = 128


def _attributed(merges: Merges, window: list[HistoryCommit], strip: str) -> Iterator[HistoryCommit]:
    """The commits of ``window`` (``history``'s), each merge's ``info`` naming whose work it brought in."""
    wanted = [c for c in window if c.info.is_merge and c.changes]
    merges.prefetch(c.info for c in wanted)
    for commit in window:
        if commit.info.is_merge and commit.changes:
            merged = merges.authors(commit.sha, [c.path for c in commit.changes], strip)
            commit = HistoryCommit(replace(commit.info, merged=merged), commit.changes)
        yield commit


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


def _parse_log(tokens: Iterator[bytes], strip: str, finished: Callable[[], None]) -> Iterator[HistoryCommit]:
    """``git log --raw -z`` in ``_HISTORY_FORMAT`` → commits with their changed files. A commit is complete once
    the next one begins; the last one only once the output has ended and ``finished`` (which raises when git did not
    end well: killed, cancelled, failed) has returned: output cut short must not pass for a commit that changed fewer
    files, nor for a file with half its name."""
    info: CommitInfo | None = None
    changes: list[Change] = []

    def following() -> bytes:
        token = next(tokens, None)
        if token is None:  # the output ended inside a commit's record
            finished()
            raise GitError("git log's output ended inside a commit; run the command again")
        return token

    for token in tokens:
        token = token.lstrip(b"\n")
        if token.startswith(b"\x01"):
            if info is not None:
                yield HistoryCommit(info, tuple(changes))
            # The fields as git prints them (``commit_info`` reads them so): a name or an email with spaces around
            # it, in a commit object another tool wrote, is kept as it is. Only the parents may end in a newline.
            fields = [token[1:].decode(), *(following().decode("utf-8", "replace") for _ in range(7))]
            info = _commit_fields([*fields[:-1], fields[-1].strip()])
            changes = []
        elif token.startswith(b":"):
            meta = token[1:].split()  # old mode, new mode, old blob, new blob, status
            path = following().decode("utf-8", "surrogateescape")
            if path.startswith(strip):
                changes.append(Change(path[len(strip):], meta[1].decode(), meta[3].decode()))
    finished()
    if info is not None:
        yield HistoryCommit(info, tuple(changes))


def commit_dates(reader: BlobReader, shas: Iterable[str]) -> dict[str, dt.date]:
    """Committer dates (in the committer's time zone) of commits, read from the commit objects; a commit whose date
    is unreadable (``_committer_date``) is left out."""
    out: dict[str, dt.date] = {}
    for sha, raw in reader.read_many(sorted(set(shas))).items():
        for line in raw.split(b"\n"):
            if not line:
                break
            if line.startswith(b"committer "):
                date = _committer_date(line)
                if date is not None:
                    out[sha] = date
    return out


def _committer_date(line: bytes) -> dt.date | None:
    """The date of a commit object's ``committer NAME <EMAIL> SECONDS +HHMM`` line, in its time zone; None when it
    is not one (no zone, a zone past a day, seconds beyond 9999), as ``iso_date`` reads git's own output."""
    fields = line.rsplit(b" ", 2)
    if len(fields) < 3:
        return None
    stamp, offset = fields[1:]
    if not (stamp.isdigit() and len(offset) == 5 and offset[:1] in b"+-" and offset[1:].isdigit()):
        return None
    sign = -1 if offset.startswith(b"-") else 1
    try:
        zone = dt.timezone(dt.timedelta(minutes=sign * (int(offset[1:3]) * 60 + int(offset[3:5]))))
        return dt.datetime.fromtimestamp(int(stamp), zone).date()
    except (ValueError, OverflowError, OSError):
        return None
