"""Trees, the index and the work tree: which blob each spec path holds in a commit, in the index (what the next
commit will hold) and in the work tree (blob ids computed by git, filters applied)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from tracertm.errors import GitError
from tracertm.git.process import Pending, pathspecs, run, start


def blob_id(data: bytes) -> str:
    """git's blob id of ``data`` (what ``git hash-object`` prints)."""
    import hashlib  # not at the top: a pre-commit hook never hashes

    header = b"blob %d\0" % len(data)
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()


class Entry(NamedTuple):
    """A file as git records it: mode (``100644``, ``120000`` for a symlink...) and blob id. A named tuple: a scan
    builds one per file of the repository."""

    mode: str
    sha: str


# The mode of a submodule's entry (a gitlink): it names a commit of another repository, never a file's bytes.
GITLINK = "160000"

# The mode of an index entry git cannot give one blob for: a path with an unresolved merge conflict (stages 1-3 in
# the index, no stage 0). Its blob id is "": what the next commit would hold is not decided yet.
UNMERGED = "unmerged"


def _parse_stage_listing(raw: bytes) -> dict[str, Entry]:
    """``git ls-files -s -z`` / ``git ls-tree -r -z`` → path → Entry. A conflicted path (an index entry at stage
    1, 2 or 3) is one ``Entry(UNMERGED, "")``: none of its stages is what the next commit holds."""
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
        elif fields[0] == GITLINK:
            continue  # ls-files -s: a submodule's commit, no blob (as ls-tree's "commit" entries above)
        elif fields[2] != "0":  # ls-files -s: "mode sha stage"; a stage above 0 is a merge conflict
            entries[path] = Entry(UNMERGED, "")
        else:
            entries[path] = Entry(fields[0], fields[1])
    return entries


# The blob id of empty content (SHA-1, SHA-256): what the index lists for an intent-to-add entry (``git add -N``).
EMPTY_BLOBS = frozenset((
    "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
    "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813",
))
_ITA_FLAG = 1 << 29  # CE_INTENT_TO_ADD among the flags ``git ls-files --debug`` prints (hexadecimal)


def intent_to_add(root: Path, paths: list[str]) -> set[str]:
    """The entries among ``paths`` (top-relative) that are intent-to-add (``git add -N``): listed with the empty
    blob, but no part of a commit. One ``git ls-files --debug``; ask only about entries holding the empty blob."""
    if not paths:
        return set()
    raw = run(root, "ls-files", "-z", "--debug", "--", *pathspecs(tuple(paths))).decode("utf-8", "surrogateescape")
    # "path NUL" then the entry's debug lines, the last one "  size: N<TAB>flags: HEX" and a newline, then the next.
    found: set[str] = set()
    parts = raw.split("\0")
    path = parts[0]
    for block in parts[1:]:
        match = re.match(r"(?s).*?\tflags: ([0-9a-f]+)\n", block)
        if match is None:
            break
        if int(match.group(1), 16) & _ITA_FLAG:
            found.add(path)
        path = block[match.end():]
    return found


def _without_intent_to_add(root: Path, entries: dict[str, Entry]) -> dict[str, Entry]:
    empty = [p for p, e in entries.items() if e.sha in EMPTY_BLOBS]
    ita = intent_to_add(root, empty) if empty else set()
    return {p: e for p, e in entries.items() if p not in ita} if ita else entries


def index_entries(root: Path, prefixes: tuple[str, ...]) -> dict[str, Entry]:
    """What the index (the next commit) holds under ``prefixes``; a conflicted path is ``Entry(UNMERGED, "")``.
    Intent-to-add entries are left out (a commit leaves them out; one more git call when an entry is empty)."""
    return _without_intent_to_add(root, _parse_stage_listing(run(root, "ls-files", "-s", "-z", "--",
                                                                 *pathspecs(prefixes))))


def index_blobs(root: Path, prefixes: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """``index_entries`` as plain ``(mode, blob id)`` tuples, about twice as fast: ``check --staged`` lists every
    spec file of the index on every commit. A conflicted path is given as ``HEAD`` holds it (its stage 2, "ours";
    absent when the merge adds it): the merged-in side is not what the index holds yet (``unmerged_paths`` names
    such paths). Intent-to-add entries (``git add -N``) are left out, as ``index_entries`` leaves them out: the
    commit will not hold them (one more git call, only when an entry holds the empty blob)."""
    raw = run(root, "ls-files", "-s", "-z", "--", *pathspecs(prefixes)).decode("utf-8", "surrogateescape")
    blobs: dict[str, tuple[str, str]] = {}
    for item in raw.split("\0"):
        if item:
            meta, _, path = item.partition("\t")
            mode, sha, stage = meta.split(" ")
            if (stage == "0" or stage == "2") and mode != GITLINK:  # (a submodule's commit is no file)
                blobs[path] = (mode, sha)
    # ``git ls-files`` has no ``--ita-invisible-in-index``: ask about the empty entries, as ``index_entries`` does.
    empty = [p for p, (_, sha) in blobs.items() if sha in EMPTY_BLOBS]
    for path in intent_to_add(root, empty) if empty else ():
        del blobs[path]
    return blobs


def unmerged_paths(listing: str) -> set[str]:
    """The conflicted paths of an ``index_listing`` (entries at stage 1, 2 or 3): an unresolved merge. Costs one
    substring search when there is none (a pre-commit hook's listing of thousands of entries)."""
    if " 1\t" not in listing and " 2\t" not in listing and " 3\t" not in listing:
        return set()
    found: set[str] = set()
    for item in listing.split("\0"):
        meta, _, path = item.partition("\t")
        if path and not meta.endswith(" 0"):
            found.add(path)
    return found


def index_listing(root: Path, prefixes: tuple[str, ...]) -> str:
    """The index under ``prefixes`` as git lists it: ``mode blob stage<TAB>path`` per entry, each ended by a NUL
    (``git ls-files -s -z``, decoded once). For a caller that compares listings as wholes (``check --staged``
    against its cache) instead of looking at every entry."""
    return run(root, "ls-files", "-s", "-z", "--", *pathspecs(prefixes)).decode("utf-8", "surrogateescape")


def tree_entries(root: Path, commit: str, prefixes: tuple[str, ...]) -> dict[str, Entry]:
    """What ``commit`` holds under ``prefixes``."""
    return _parse_stage_listing(run(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *pathspecs(prefixes)))


def index_changes(root: Path, commit: str, prefixes: tuple[str, ...]) -> dict[str, tuple[str | None, str | None]]:
    """Paths under ``prefixes`` whose index entry differs from ``commit`` (what ``git commit`` is about to change):
    path → (blob id in ``commit``, blob id in the index), None where the path is absent. A mode-only change is
    not a change; an intent-to-add entry (``git add -N``) is absent, as from a commit. One ``git diff-index
    --cached`` (answered from the index's cache tree; no file is read)."""
    return parse_index_changes(run(root, *_index_changes_args(commit, prefixes, "--ita-invisible-in-index")))


def start_index_changes(root: Path, commit: str, prefixes: tuple[str, ...]) -> Pending:
    """``index_changes`` started in the background: ``parse_index_changes(pending.result())`` is its answer, except
    that an intent-to-add entry is there as an entry with the empty blob (``EMPTY_BLOBS``): the caller asks
    ``intent_to_add`` about those (the hook: no second listing to find them, and none when there is none)."""
    return start(root, *_index_changes_args(commit, prefixes))


def start_index_listing(root: Path, prefixes: tuple[str, ...]) -> Pending:
    """``index_listing`` started in the background: ``pending.result().decode("utf-8", "surrogateescape")``."""
    return start(root, "ls-files", "-s", "-z", "--", *pathspecs(prefixes))


def _index_changes_args(commit: str, prefixes: tuple[str, ...], ita: str = "") -> tuple[str, ...]:
    return ("diff-index", "--cached", *((ita,) if ita else ()), "--no-renames", "--no-abbrev", "-z", commit, "--",
            *pathspecs(prefixes))


def parse_index_changes(raw: bytes) -> dict[str, tuple[str | None, str | None]]:
    """The output of ``git diff-index -z`` as ``index_changes`` returns it."""
    parts = raw.split(b"\0")
    changes: dict[str, tuple[str | None, str | None]] = {}
    i = 0
    while i + 1 < len(parts):
        meta = parts[i]
        if not meta.startswith(b":"):
            i += 1
            continue
        fields = meta[1:].decode().split()
        # A submodule (gitlink) holds a commit, not a file: absent, as every other listing leaves it out.
        old = fields[2] if fields[0] != GITLINK else "0"
        new = fields[3] if fields[1] != GITLINK else "0"
        if old != new:
            path = parts[i + 1].decode("utf-8", "surrogateescape")
            changes[path] = (old if old.strip("0") else None, new if new.strip("0") else None)
        i += 2
    return changes


def worktree_status(root: Path, prefixes: tuple[str, ...]) -> tuple[set[str], set[str], set[str]]:
    """Paths under ``prefixes`` whose work-tree content differs from the index: (modified, deleted, untracked).

    git answers from its stat cache, so unchanged files are not read.
    """
    raw = run(root, "ls-files", "-z", "-t", "-m", "-d", "-o", "--exclude-standard", "--", *pathspecs(prefixes))
    modified: set[str] = set()
    deleted: set[str] = set()
    untracked: set[str] = set()
    for item in raw.split(b"\0"):
        if not item:
            continue
        tag, path = item[:1], item[2:].decode("utf-8", "surrogateescape")
        {b"C": modified, b"R": deleted, b"?": untracked}.get(tag, modified).add(path)
    return modified - deleted, deleted, untracked


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
