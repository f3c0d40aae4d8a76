"""The repository itself: where its work tree is, which commits and objects it has, what it is called."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from tracertm.errors import GitError
from tracertm.git.process import call, run


def iso_date(text: str) -> dt.datetime | None:
    """A date of git's strict ISO 8601 format (``%cI``, ``%aI``); None for one that is not a date Python can hold.
    A commit object's date is whatever its writer put there: one git cannot parse prints the placeholder itself
    (``%cI``), one past 9999 (``@253402300799 +1400`` is ``10000-01-01T13:59:59+14:00``) or past it once in UTC.
    Such a commit is taken as undated, as a sync without a commit is, not as an error."""
    try:
        when = dt.datetime.fromisoformat(text.strip())
        when.astimezone(dt.UTC)  # stored in UTC: 9999-12-31T23:00:00-02:00 is past the last datetime there
    except (ValueError, OverflowError):
        return None
    return when


def find_root(path: Path) -> Path | None:
    """The top of the work tree containing ``path``, or None when ``path`` is not inside a git repository; a
    ``GitError`` inside a repository without a work tree (a bare one, a ``.git`` folder), which must not be read as
    a plain folder of files."""
    try:
        proc = call(["git", "-C", str(path), "rev-parse", "--show-toplevel"])
    except FileNotFoundError:
        return None
    if proc.returncode != 0:
        refused = _refused(proc.stderr.decode("utf-8", "replace"))
        if refused is not None:  # a repository git will not work in: never read as a plain folder of files
            raise GitError(refused)
        inside = call(["git", "-C", str(path), "rev-parse", "--git-dir"])
        if inside.returncode == 0:  # a repository, yet no top of a work tree
            raise GitError(f"{path}: a git repository without a work tree (a bare repository or a .git folder); "
                           "pass the path of a clone's work tree")
        named = [name for name in ("GIT_DIR", "GIT_WORK_TREE") if os.environ.get(name)]
        if named:  # (left out of git's environment: see git_env) never read as a plain folder, ignored files and all
            raise GitError(f"{path}: no .git here, and {' and '.join(named)} {'is' if len(named) == 1 else 'are'} "
                           f"set, which tracertm does not follow; unset {'it' if len(named) == 1 else 'them'}, "
                           "and give the work tree a .git file pointing at the repository (a line 'gitdir: <path>')")
        return None
    # A path: any bytes the file system holds, a trailing space too (only the line end is git's: ``strip()`` made
    # ``/repos/specs `` the top ``/repos/specs``, a folder that does not exist, and every verb failed).
    return Path(os.fsdecode(proc.stdout.removesuffix(b"\n")))


def _refused(stderr: str) -> str | None:
    """git's refusal to work in a repository it found (``safe.directory``: owned by another user) in one line with
    the fix git gives, or None for any other failure (not a repository)."""
    match = re.search(r"dubious ownership in repository at '(.*)'", stderr)
    if match is None:
        return None
    where = match.group(1)
    import shlex  # (only on this rare failure)

    return (f"{where}: git refuses this repository (dubious ownership: it belongs to another user); if you trust "
            f"it, run: git config --global --add safe.directory {shlex.quote(where)}")


def resolve_commit(root: Path, ref: str, option: str = "--ref") -> str:
    """The full sha of the commit ``ref`` names; a ``GitError`` naming ``option`` when there is none (a repository
    without any commit yet is told so: "fetch it first" would send its user looking for one)."""
    proc = call(["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if proc.returncode != 0:
        branch = _unborn_branch(root) if head_commit(root) is None else None
        if branch is not None and ref in ("HEAD", branch) and _has_commits(root):
            # ``git checkout --orphan``: the branch is new, the repository is not.
            raise GitError(f"{option} {ref}: the branch {branch} has no commit yet (a new or orphan branch of "
                           f"{root}); commit on it first")
        if head_commit(root) is None and ref in ("HEAD", branch):
            raise GitError(f"{option} {ref}: {root} has no commit yet; commit first")
        raise GitError(f"{option} {ref}: no such commit in {root}; check the name or fetch it first")
    return proc.stdout.decode().strip()


def _has_commits(root: Path) -> bool:
    """Whether any ref of the repository names a commit (read only when HEAD names none)."""
    return bool(run(root, "rev-list", "-n", "1", "--all", check=False).strip())


def _unborn_branch(root: Path) -> str | None:
    """The branch HEAD names (``main``), read only when a ref did not resolve."""
    out = run(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).decode().strip()
    return out or None


def head_commit(root: Path) -> str | None:
    """The sha of ``HEAD``, or None before the first commit."""
    proc = call(["git", "-C", str(root), "rev-parse", "--verify", "--quiet", "HEAD"], root)
    return proc.stdout.decode().strip() or None


def origin_url(root: Path) -> str | None:
    """The URL of the ``origin`` remote, or None."""
    out = run(root, "config", "--get", "remote.origin.url", check=False).decode().strip()
    return out or None


def is_shallow(root: Path) -> bool:
    """Whether the repository is a shallow clone (its history is cut short)."""
    return run(root, "rev-parse", "--is-shallow-repository").decode().strip() == "true"


def existing_objects(root: Path, shas: Iterable[str]) -> set[str]:
    """Which of ``shas`` git's object store holds (one ``git cat-file --batch-check``)."""
    wanted = sorted(set(shas))
    if not wanted:
        return set()
    out = run(root, "cat-file", "--batch-check=%(objectname)", input="".join(s + "\n" for s in wanted).encode())
    # An object that exists prints its name alone; a missing one "<name> missing".
    return {line for line in out.decode().splitlines() if " " not in line.strip()} & set(wanted)


def object_type(root: Path, sha: str) -> str | None:
    """The type of the object ``sha`` (a full id) in the repository's object store — ``commit``, ``tag``, ``tree``
    or ``blob`` — or None when the store does not hold it."""
    out = run(root, "cat-file", "-t", sha, check=False).decode().strip()
    return out or None


def object_ids(root: Path, names: Iterable[str]) -> dict[str, str]:
    """The object id of each of ``names`` (``<commit>:<path>``, any name ``git rev-parse`` reads) that names an
    object, in one ``git cat-file --batch-check``; a name that names none is left out, as is one holding a line
    break (the batch reads a name a line)."""
    wanted = sorted({n for n in names if "\n" not in n})
    if not wanted:
        return {}
    out = run(root, "cat-file", "--batch-check=%(objectname)", input="".join(n + "\n" for n in wanted).encode(
        "utf-8", "surrogateescape")).decode("utf-8", "surrogateescape").split("\n")
    # One line per name, in order: the id alone, or "<name> missing" (a name may hold spaces: no id does).
    return {name: line for name, line in zip(wanted, out) if line and " " not in line}


_REMOTE = re.compile(r"(?:[:/])([^/:]+)/([^/]+?)(?:\.git)?/?$")


def remote_name(url: str | None) -> str | None:
    """``owner/name`` of a remote URL (``git@host:owner/name.git``, ``https://host/owner/name``), else None; in NFC
    (``text.name_form``), as project names are kept: a URL (a local path made on macOS) may spell it decomposed, and
    ``engine.identity`` compares this with the name of the project it gave."""
    from tracertm.text import name_form

    match = _REMOTE.search(url) if url else None
    return name_form(f"{match.group(1)}/{match.group(2)}") if match else None


def root_commit(root: Path) -> str | None:
    """The root of HEAD's first-parent history: what makes a repository itself whatever its remote is called.
    None when HEAD has no commit yet, or when the root is unknown (``root_unknown``: a shallow clone's walk ends at
    its boundary, which is no root, and differs from clone to clone). Walks the history: call it only when a project
    is created or adopted."""
    sha = _walk_to_root(root)
    return None if sha is not None and sha in _shallow_boundary(root) else sha


def root_unknown(root: Path) -> bool:
    """Whether this repository cannot know its root commit: a shallow clone whose first-parent history ends at its
    boundary. Such a clone cannot disprove a stored root that it lacks. A full clone costs one ``rev-parse`` and no
    walk (call it only after ``has_commit`` said no)."""
    boundary = _shallow_boundary(root)
    return bool(boundary) and _walk_to_root(root) in boundary


def _walk_to_root(root: Path) -> str | None:
    """The last commit of HEAD's first-parent history: the root, or a shallow clone's boundary (git shows a
    boundary commit without parents)."""
    proc = call(["git", "-C", str(root), "rev-list", "--first-parent", "--max-parents=0", "HEAD"], root)
    lines = proc.stdout.decode().split() if proc.returncode == 0 else []
    return lines[-1] if lines else None


def shallow_boundary(root: Path) -> frozenset[str]:
    """The commits a shallow clone's history stops at (``_shallow_boundary``); empty for a full clone."""
    return _shallow_boundary(root)


def cut_short(root: Path, chain: Sequence[str]) -> str | None:
    """The commit where a first-parent ``chain`` (oldest first) stops because the clone is shallow: its oldest
    commit when that is a boundary commit that has parents the clone did not fetch (git shows it without any), else
    None — a full clone's chain, or a shallow one that reaches the root. Its revisions before that commit name
    commits the clone lacks: where they stand in the history cannot be told here. One ``rev-parse`` in a full
    clone."""
    if not chain or chain[0] not in _shallow_boundary(root):
        return None
    return chain[0] if written_parents(root, chain[0]) else None


def written_parents(root: Path, sha: str) -> tuple[str, ...]:
    """The parents the commit object ``sha`` names, fetched or not: git shows a shallow clone's boundary commit
    without parents (``%P``, ``rev-list``), but its object keeps them."""
    raw = run(root, "cat-file", "commit", sha).decode("utf-8", "replace")
    header = raw.split("\n\n", 1)[0]
    return tuple(line.split()[1] for line in header.splitlines() if line.startswith("parent "))


def _shallow_boundary(root: Path) -> frozenset[str]:
    """The commits whose parents a shallow clone did not fetch (git's ``shallow`` file: what makes a repository
    shallow for ``rev-parse --is-shallow-repository`` too); empty for a full clone. A clone whose depth reaches the
    root lists the root there as well: its root then counts as unknown (not stored; a stored root it holds still
    matches)."""
    # ``--git-path``: the file is in the common git directory (linked worktrees share it); relative to ``root``.
    path = Path(os.fsdecode(run(root, "rev-parse", "--git-path", "shallow").strip()))
    try:
        return frozenset((root / path).read_text(encoding="ascii").split())
    except FileNotFoundError:
        return frozenset()


def has_commit(root: Path, sha: str) -> bool:
    """Whether ``sha`` is a commit of this repository's object database (one lookup, no history walk)."""
    proc = call(["git", "-C", str(root), "cat-file", "-e", f"{sha}^{{commit}}"], root)
    return proc.returncode == 0
