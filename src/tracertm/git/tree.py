"""Trees, the index and the work tree: which blob each spec path holds in a commit, in the index (what the next
commit will hold) and in the work tree (blob ids computed by git, filters applied)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from tracertm.errors import GitError
from tracertm.git.process import MAX_PATHSPEC_BYTES, Pending, call, failure, pathspecs, real_git_dir, run, start


def blob_id(data: bytes, object_format: str = "sha1") -> str:
    """git's blob id of ``data`` (what ``git hash-object`` prints) in a repository of ``object_format`` (``sha1``,
    ``sha256``: ``object_format``); a plain folder's files get SHA-1 ids."""
    import hashlib  # not at the top: a pre-commit hook never hashes

    header = b"blob %d\0" % len(data)
    if object_format == "sha256":
        return hashlib.sha256(header + data).hexdigest()
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()


def object_format(root: Path) -> str:
    """The repository's object format, ``sha1`` or ``sha256`` (one ``git rev-parse``: ask only when a blob id is
    computed here rather than by git)."""
    return run(root, "rev-parse", "--show-object-format").decode().strip() or "sha1"


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


class WorktreeIndex(NamedTuple):
    """The index as a work-tree scan needs it (``worktree_index``): every entry, intent-to-add ones included, and the
    entries whose bits make git's own work-tree listings (``worktree_status``) silent about them."""

    entries: dict[str, Entry]
    intent_to_add: set[str]  # ``git add -N``: a work-tree file, no part of the next commit
    skip_worktree: set[str]  # sparse checkout (``S``): git neither reads nor reports the work-tree file
    assume_unchanged: set[str]  # ``update-index --assume-unchanged``: git does not look for changes either
    links: list[str]  # the symbolic links (mode 120000), found in the same pass (``engine.linked_folders``)


def worktree_index(root: Path, prefixes: tuple[str, ...]) -> WorktreeIndex:
    """The index under ``prefixes`` for a work-tree scan: one ``git ls-files -s -v`` (``-v`` tags each entry with
    its skip-worktree and assume-unchanged bits at no extra cost), plus ``intent_to_add``'s call when an entry holds
    the empty blob. A conflicted path is ``Entry(UNMERGED, "")``."""
    raw = run(root, "ls-files", "-s", "-v", "-z", "--", *pathspecs(prefixes)).decode("utf-8", "surrogateescape")
    entries: dict[str, Entry] = {}
    skip: set[str] = set()
    assume: set[str] = set()
    links: list[str] = []
    for item in raw.split("\0"):
        if not item:
            continue
        meta, _, path = item.partition("\t")
        tag, mode, sha, stage = meta.split(" ")
        if mode == GITLINK:
            continue  # a submodule's commit, no file
        if stage != "0":
            entries[path] = Entry(UNMERGED, "")
            continue
        entries[path] = Entry(mode, sha)
        if mode == "120000":
            links.append(path)
        if tag in ("S", "s"):
            skip.add(path)
        elif tag.islower():  # (a lower-case tag is an assume-unchanged entry, ``git ls-files -v``)
            assume.add(path)
    empty = [p for p, e in entries.items() if e.sha in EMPTY_BLOBS]
    return WorktreeIndex(entries, intent_to_add(root, empty) if empty else set(), skip, assume, links)


def may_have_attributes(top: Path, prefixes: tuple[str, ...], listed: Iterable[str]) -> bool:
    """Whether an attribute that transforms content may apply under ``prefixes`` (top-relative folders), by a few
    stats and reads and no git call (``transforming_paths`` is a process, and most repositories have no such
    attribute): an attributes file that names ``filter``, ``ident`` or ``encoding`` (a macro defining them names
    them too) — a ``.gitattributes`` at the top, in a folder above a prefix or among ``listed`` (top-relative paths
    a listing of the prefixes gave), the repository's ``info/attributes``, git's default global one — or a global
    or system configuration naming ``core.attributesFile`` (not followed: assumed to)."""
    folders = {top}
    for prefix in prefixes:
        parts = [part for part in prefix.split("/") if part]
        folders.update(top.joinpath(*parts[:i]) for i in range(1, len(parts)))
    candidates = [folder / ".gitattributes" for folder in folders]
    candidates += [top / p for p in listed if p == ".gitattributes" or p.endswith("/.gitattributes")]
    git_dir = real_git_dir(top / ".git")
    candidates.append(git_dir / "info" / "attributes")
    common = git_dir / "commondir"  # a linked worktree's: info/ is shared, in the main git directory
    if common.is_file():
        shared = Path(common.read_text(encoding="utf-8", errors="replace").strip())
        candidates.append((shared if shared.is_absolute() else git_dir / shared) / "info" / "attributes")
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    candidates.append(config_home / "git" / "attributes")
    for candidate in candidates:
        try:
            text = candidate.read_bytes()
        except OSError:  # (absent, mostly)
            continue
        if (b"filter" in text or b"ident" in text or b"encoding" in text) and any(
            _may_transform(line) for line in text.splitlines()
        ):
            return True
    configs = [Path.home() / ".gitconfig", config_home / "git" / "config"]
    if not os.environ.get("GIT_CONFIG_NOSYSTEM"):
        configs.append(Path(os.environ.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"))
    for config in configs:
        try:
            if b"attributesfile" in config.read_bytes().lower():
                return True
        except OSError:
            continue
    return False


# Extensions no spec, step or configuration file has: a ``filter`` (Git LFS's, mostly) on ``*.png`` transforms no
# file tracertm reads, and a repository using LFS for its images should not pay a ``git check-attr`` every sync.
_NOT_SPEC_EXTENSIONS = frozenset(
    b"png jpg jpeg gif bmp ico webp svg psd tif tiff pdf zip gz tgz bz2 xz 7z tar jar war ear rar iso dmg exe dll so "
    b"dylib bin dat db sqlite mp3 mp4 mov avi mkv wav ogg flac woff woff2 ttf otf eot parquet avro pkl h5 "
    b"onnx".split()
)


def _may_transform(line: bytes) -> bool:
    """Whether an attributes line may set ``filter``, ``ident`` or ``working-tree-encoding`` on a file tracertm
    reads: any line naming them, but a ``filter`` on ``*.EXT`` of a binary kind (``*.png filter=lfs``)."""
    words = line.split()
    if not words or words[0].startswith(b"#"):
        return False
    names = [w.lstrip(b"-!").split(b"=", 1)[0] for w in words[1:]]
    if b"ident" in names or b"working-tree-encoding" in names:
        return True
    if b"filter" not in names:
        return False
    pattern = words[0]
    if pattern.startswith(b"[attr]"):
        return True  # a macro: where it applies is said elsewhere
    stem, dot, extension = pattern.rpartition(b".")
    return not (dot and stem.endswith(b"*") and b"/" not in extension and extension.lower() in _NOT_SPEC_EXTENSIONS)


def transforming_paths(root: Path, paths: list[str], filtered: dict[str, str] | None = None) -> set[str]:
    """Which of ``paths`` (top-relative) git stores otherwise than the work tree holds them, by their attributes:
    a ``filter`` (clean/smudge), ``ident`` (``$Id$`` expanded on checkout) or a ``working-tree-encoding``. One
    ``git check-attr``; end-of-line conversion is not asked about (the parsers read CRLF as LF). Those with a
    ``filter`` (whose lines may be others than the file's) are also put in ``filtered``, when given, with the
    filter's name (``lfs``)."""
    if not paths:
        return set()
    raw = run(root, "check-attr", "-z", "--stdin", "filter", "ident", "working-tree-encoding",
              input="".join(p + "\0" for p in paths).encode("utf-8", "surrogateescape"))
    fields = raw.decode("utf-8", "surrogateescape").split("\0")
    found: set[str] = set()
    for i in range(0, len(fields) - 2, 3):  # "path NUL attribute NUL value NUL" per path and attribute
        if fields[i + 2] not in ("unspecified", "unset"):
            found.add(fields[i])
            if filtered is not None and fields[i + 1] == "filter":
                filtered[fields[i]] = fields[i + 2]
    return found


def stored_blobs(root: Path, paths: list[str], failed: dict[str, str] | None = None) -> dict[str, str]:
    """``hash_paths`` that also writes each blob to the object database (``git hash-object -w``): the content
    git would commit (cleaned, ``$Id$`` collapsed, re-encoded to UTF-8) can then be read back by its id, the only
    way git hands out a work-tree file's cleaned bytes. The objects are loose and unreferenced until committed
    (``git gc`` prunes them), as ``git add``'s would be. Paths git cannot hash are left out (``failed``: as
    ``hash_paths`` says)."""
    return hash_paths(root, paths, write=True, failed=failed)


# The line git ends with when a required filter (``filter.NAME.required``) did not clean a file (``fatal: PATH:
# clean filter 'NAME' failed``): its command is missing (Git LFS uninstalled, its configuration left) or failed.
_CLEAN_FAILED = re.compile(r"clean filter '([^'\n]*)' failed\s*$", re.MULTILINE)

# What git says when a long-running filter (``filter.NAME.process``: Git LFS's ``git-lfs filter-process``) did not
# start or answer. When its command is missing, git may find the pipe closed before it says which filter failed: its
# last line is then "fatal: the remote end hung up unexpectedly", whichever of the two races won.
_PROCESS_FAILED = ("subprocess", "packet", "the remote end hung up unexpectedly")


# git's line naming the file a required clean filter did not clean, when it gets to say it.
_UNCLEAN_PATH = re.compile(r"^fatal: (.+): clean filter '[^'\n]*' failed\s*$", re.MULTILINE)


def unclean_file(root: Path, prefixes: tuple[str, ...], stderr: str) -> str | None:
    """What to say of a git command over the work tree under ``prefixes`` that failed (``stderr``) because a
    required clean filter did not clean a file (Git LFS uninstalled): ``PATH: `` and ``store_failure``'s line, as a
    scan says of a modified file. None when git failed otherwise (or the filter cleans now)."""
    if _CLEAN_FAILED.search(stderr) is None and not any(marker in stderr for marker in _PROCESS_FAILED):
        return None
    named = _UNCLEAN_PATH.search(stderr)
    if named is not None:
        return f"{named.group(1)}: {store_failure(stderr)}"
    # git's output ended before it named the file (the pipe to a missing long-running filter closed first): the
    # first file of the index with a filter that will not clean it now, asked one by one (on this error only).
    filters: dict[str, str] = {}
    transforming_paths(root, list(index_blobs(root, prefixes)), filters)
    for path, name in filters.items():
        failed: dict[str, str] = {}
        if not hash_paths(root, [path], failed=failed) and path in failed:
            return f"{path}: {store_failure(failed[path], name)}"
    return None


def store_failure(stderr: str, filter_name: str | None = None) -> str:
    """What to say of a work-tree file ``git hash-object -w`` would not store, from git's error output
    (``hash_paths``'s ``failed``): a clean filter that failed, named with the first line of its reason and where
    to fix it; otherwise git's last line. ``filter_name`` is the file's ``filter`` attribute (``transforming_paths``):
    the filter said when git's output does not name it (a long-running filter whose command is missing)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else "no message"
    named = _CLEAN_FAILED.search(stderr)
    name = named.group(1) if named is not None else filter_name
    if name is None:
        return f"git hash-object could not store it: {last}; check the file and its .gitattributes line"
    # The filter's own first line is its reason (git-lfs: not found), whichever of git's lines follow it.
    reason = lines[0].removeprefix("error: ")[:200] if len(lines) > 1 else ""
    key = "process" if any(marker in stderr for marker in _PROCESS_FAILED) else "clean"
    return (f"git's clean filter '{name}' failed{': ' + reason if reason else ''}; fix the filter "
            f"(git config filter.{name}.{key}) or its .gitattributes line")


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

    git answers from its stat cache, so unchanged files are not read; a file whose stat data it must look at again
    (touched) is cleaned, and a required clean filter that fails then fails the listing: said naming the file and
    the filter (``unclean_file``), not git's last line alone.
    """
    args = ["git", "-C", str(root), "ls-files", "-z", "-t", "-m", "-d", "-o", "--exclude-standard", "--",
            *pathspecs(prefixes)]
    try:
        proc = call(args, root)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH; install git") from None
    if proc.returncode != 0:
        said = unclean_file(root, prefixes, proc.stderr.decode("utf-8", "replace"))
        raise GitError(failure(args, root, proc.stderr, proc.returncode) if said is None
                       else f"git ls-files failed in {root}: {said}")
    raw = proc.stdout
    modified: set[str] = set()
    deleted: set[str] = set()
    untracked: set[str] = set()
    for item in raw.split(b"\0"):
        if not item:
            continue
        tag, path = item[:1], item[2:].decode("utf-8", "surrogateescape")
        {b"C": modified, b"R": deleted, b"?": untracked}.get(tag, modified).add(path)
    return modified - deleted, deleted, untracked


def holds_files(root: Path, folder: str, ref: str | None = None, *, staged: bool = False) -> bool:
    """Whether ``folder`` (a path from the top of the work tree ``root``) holds a file in commit ``ref``, in the
    index (``staged``) or, by default, in the work tree: a file git tracks or would track (a folder left with
    ignored files only, a build's output, holds none). One git process."""
    if ref is not None:  # (git keeps no empty tree: a folder of the commit holds a file)
        return run(root, "cat-file", "-t", f"{ref}:{folder}", check=False).strip() == b"tree"
    if not staged and not (root / folder).is_dir():
        return False
    listing = ("-c",) if staged else ("-c", "-o", "--exclude-standard")
    return bool(run(root, "ls-files", "-z", *listing, "--", *pathspecs((folder + "/",))).strip(b"\0"))


def held_paths(root: Path, paths: list[str]) -> set[str]:
    """Which of ``paths`` (top-relative) the work tree holds as files of the repository: tracked, or untracked and
    not ignored (``git ls-files -c -o --exclude-standard``; nothing in ``.git``, nor in a submodule's checkout).
    One git call per command line's worth of paths."""
    found: set[str] = set()
    batch: list[str] = []
    size = 0
    for path in [*paths, None]:
        if batch and (path is None or size + len(path) + 16 > MAX_PATHSPEC_BYTES):
            raw = run(root, "ls-files", "-z", "-c", "-o", "--exclude-standard", "--", *pathspecs(tuple(batch)))
            found.update(raw.decode("utf-8", "surrogateescape").split("\0"))
            batch, size = [], 0
        if path is not None:
            batch.append(path)
            size += len(path) + 16
    found.discard("")
    return found


def hash_paths(root: Path, paths: list[str], *, write: bool = False,
                failed: dict[str, str] | None = None) -> dict[str, str]:
    """git's blob ids of work-tree files (``git hash-object --stdin-paths``: clean filters and end-of-line
    conversion applied, so a CRLF checkout gets the id its blob has in a commit). ``paths`` are relative to
    ``root``. Paths git cannot hash (vanished, a required clean filter that failed, or with a newline in their
    name) are left out; git's error output for each one it refused is put in ``failed``, when given."""
    simple = [p for p in paths if "\n" not in p and not p.startswith((" ", "\t"))]
    if not simple:
        return {}
    listed = "".join(p + "\n" for p in simple).encode("utf-8", "surrogateescape")
    try:
        proc = call(["git", "-C", str(root), "hash-object", *(("-w",) if write else ()), "--stdin-paths"], root,
                    listed)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH; install git") from None
    if proc.returncode != 0:  # one file vanished, or its filter failed: hash them one by one
        if len(simple) == 1:
            if failed is not None:
                failed[simple[0]] = proc.stderr.decode("utf-8", "replace")
            return {}
        ids: dict[str, str] = {}
        for path in simple:
            ids.update(hash_paths(root, [path], write=write, failed=failed))
        return ids
    return dict(zip(simple, proc.stdout.decode().split(), strict=True))
