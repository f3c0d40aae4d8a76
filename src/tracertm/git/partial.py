"""Partial clones (``git clone --filter=blob:none``): the objects a run needs and the clone lacks, fetched in one go.

git fetches an object such a clone left out when something reads it — one ``git fetch`` per object, and a
``git cat-file --batch`` that reads a hundred old blobs makes a hundred round trips to the remote. ``fetch_missing``
lists what is missing under the paths a run reads (``git rev-list --missing=print``, which never fetches) and
fetches it with one ``git fetch`` of their ids, as git's own lazy fetch does for one. A full clone costs nothing:
whether a repository is a partial clone is told from its configuration file, read without git."""

from __future__ import annotations

import sys
from collections.abc import Collection, Sequence
from pathlib import Path

from tracertm.errors import GitError
from tracertm.git.process import call, pathspecs, real_git_dir, run, unfetched

# Rounds of listing and fetching at most: a missing tree is listed without what is under it, which the next round
# lists once the tree is fetched (a round per folder level).
_ROUNDS = 8
# (config file, its mtime and size) → the promisor remotes it names: read once while the file is unchanged.
_PROMISORS: dict[tuple[Path, int, int], tuple[str, ...]] = {}


def _config_file(top: Path) -> Path:
    """The repository's own configuration file: in its git directory (a bare repository's is ``top``), the main one
    for a linked worktree (``commondir``), where ``git clone --filter`` writes the promisor remote."""
    dot_git = top / ".git"
    git_dir = real_git_dir(dot_git) if dot_git.exists() else top
    common = git_dir / "commondir"
    if common.is_file():
        shared = Path(common.read_text(encoding="utf-8", errors="replace").strip())
        git_dir = shared if shared.is_absolute() else git_dir / shared
    return git_dir / "config"


def promisor_remotes(top: Path) -> tuple[str, ...]:
    """The promisor remotes of a partial clone (``remote.<name>.promisor``, then ``extensions.partialClone``, the
    order git tries them in); none for a full clone, told without a git call when its configuration file does not
    mention them (nor includes another file)."""
    config = _config_file(top)
    try:
        stat = config.stat()
        text = config.read_bytes().lower()
    except OSError:
        return ()
    if b"promisor" not in text and b"partialclone" not in text and b"include" not in text:
        return ()
    key = (config, stat.st_mtime_ns, stat.st_size)
    if key not in _PROMISORS:
        _PROMISORS[key] = _read_promisors(top)
    return _PROMISORS[key]


def _read_promisors(top: Path) -> tuple[str, ...]:
    out = run(top, "config", "-z", "--get-regexp", r"^(remote\..*\.promisor|extensions\.partialclone)$",
              check=False).decode("utf-8", "surrogateescape")
    remotes: list[str] = []
    last: list[str] = []
    for item in filter(None, out.split("\0")):
        key, _, value = item.partition("\n")  # (a key set without "= value" is a true boolean)
        if key.lower() == "extensions.partialclone":
            last.append(value)
        elif value.strip().lower() in ("", "true", "yes", "on", "1"):
            remotes.append(key[len("remote."):-len(".promisor")])
    return tuple(dict.fromkeys(r for r in (*remotes, *last) if r))


def fetch_missing(top: Path, tips: Sequence[str], paths: Sequence[str], only: Collection[str] | None = None,
                  *, walk: bool = False) -> int:
    """In a partial clone, fetch in one go the objects under ``paths`` (folders or files, relative to ``top``) that
    ``tips`` hold and the clone lacks: trees (``<commit>^{tree}``), or with ``walk`` commits and the first-parent
    history behind them (``^<commit>`` leaves out what a commit before holds). ``only``: the object ids wanted, the
    others left out. Returns how many objects were asked for (0, without any git call, in a full clone). A remote
    that cannot be reached is the one-line ``GitError`` git's lazy fetch would have ended in."""
    remotes = promisor_remotes(top)
    specs = [spec for spec in pathspecs(tuple(paths)) if "\n" not in spec] if paths else []
    if not remotes or not specs or not tips:
        return 0
    asked = 0
    before: set[str] = set()
    for _ in range(_ROUNDS):
        missing = _missing(top, tips, specs, walk)
        if only is not None:
            missing &= set(only)
        if not missing or missing <= before:  # (what the remote did not give is left to the reads to report)
            break
        missing -= before
        _fetch(top, remotes[0], sorted(missing))
        # Said once fetched: a remote that cannot be reached leaves the one line of its error alone on stderr.
        print(f"tracertm: fetched {len(missing)} missing git object{'s' if len(missing) != 1 else ''} from "
              f"{remotes[0]} in one go (partial clone)", file=sys.stderr, flush=True)
        asked += len(missing)
        before |= missing
    return asked


def _missing(top: Path, tips: Sequence[str], specs: list[str], walk: bool) -> set[str]:
    """The ids of the objects under ``specs`` that ``tips`` hold and this clone lacks; ``--missing=print`` lists
    them (``?<id>``) without fetching any. None listed when git cannot tell (it fails)."""
    args = ["rev-list", "--objects", "--missing=print", "--stdin"]
    if walk:
        args.append("--first-parent")
    request = "".join(f"{line}\n" for line in (*tips, "--", *specs)).encode("utf-8", "surrogateescape")
    try:
        proc = call(["git", "-C", str(top), *args], top, request)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH; install git") from None
    if proc.returncode != 0:
        # A clone without trees whose history the pathspecs make git compare ("unable to read tree"): nothing is
        # fetched ahead, git's lazy fetch reads what the run reads, as before.
        return set()
    return {line[1:].strip() for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines()
            if line.startswith("?")}


def _fetch(top: Path, remote: str, ids: list[str]) -> None:
    """Fetch ``ids`` from ``remote`` as git's lazy fetch does (no negotiation, no tags, no refs written)."""
    try:
        run(top, "-c", "fetch.negotiationAlgorithm=noop", "fetch", remote, "--no-tags", "--no-write-fetch-head",
            "--recurse-submodules=no", "--filter=blob:none", "--stdin", input="".join(f"{i}\n" for i in ids).encode())
    except GitError:
        raise GitError(unfetched(top, ids[0])) from None
