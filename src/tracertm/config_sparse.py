"""Configuration files a sparse checkout keeps off disk, read from git's index.

A skip-worktree index entry absent from disk is part of the project — sparse checkout only keeps it off disk — so
its configuration is the index's version, as a spec file of that kind is read from the index (``engine.scan``).
Read without it, sync and check would silently apply the default globs and database. Light: the hook path loads
the configuration on every commit, and a repository whose index holds no skip-worktree entry (nearly all) costs no
git call here — a read of the index's first bytes tells.
"""

from __future__ import annotations

import os
from pathlib import Path

from tracertm.config import LINK_MODE, config_link, link_not_file

__all__ = ["hidden_config", "may_hide"]

# git's index starts with this signature and a 4-byte version. Version 2 holds no entry with extended flags
# (skip-worktree, intent-to-add): git writes 3 as soon as one has them (4 only when configured: index.version or
# feature.manyFiles, which says nothing either way).
_SIGNATURE = b"DIRC"
_NO_EXTENDED_FLAGS = 2


def hidden_config(root: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    """The configuration files among ``names`` (relative to the spec root ``root``) that are skip-worktree entries
    of the index absent from disk: name → the bytes the index holds, a symbolic link followed to the index's file it
    points at (``config.config_link``, as ``staged_config`` follows one). Empty, with no git call, while each of
    them is on disk or the index can hold no skip-worktree entry."""
    base = os.fspath(root)  # (plain strings: a Path per name costs more than the stat it asks for)
    absent = [name for name in names if not os.path.lexists(f"{base}/{name}")]
    if not absent or not _may_skip_worktree(base):
        return {}
    from tracertm import git

    hidden: dict[str, bytes] = {}
    for name, (mode, sha) in _skip_worktree(root, absent).items():
        data = git.run(root, "cat-file", "blob", sha)
        if mode == LINK_MODE:  # (its blob is the link's text)
            link = data.decode("utf-8", "surrogateescape")
            target = config_link(root / name, name, link)
            found = _index_entries(root, [target]).get(target)
            if found is None or found[1] not in ("100644", "100755"):
                raise link_not_file(root / name, link)
            data = git.run(root, "cat-file", "blob", found[2])
        hidden[name] = data
    return hidden


def may_hide(root: Path, names: tuple[str, ...]) -> bool:
    """Whether ``hidden_config`` may find one of ``names`` in the index: one is absent from disk and the index can
    hold skip-worktree entries. No git call: stats and a read of the index's first bytes."""
    base = os.fspath(root)
    return any(not os.path.lexists(f"{base}/{name}") for name in names) and _may_skip_worktree(base)


def _may_skip_worktree(base: str) -> bool:
    """Whether the index of the repository around the folder ``base`` may hold a skip-worktree entry, by its header
    alone: not at version 2. The index is the one git calls about ``base`` read (``git.git_env``): a hook's
    (``GIT_INDEX_FILE``, set for post-commit too) when it is this repository's."""
    index = _hook_index(base) or _own_index(base)
    if index is None:
        return False  # a plain folder: no index
    try:
        fd = os.open(index, os.O_RDONLY)
    except OSError:
        return False  # no index yet (nothing added): no entry at all
    try:
        head = os.read(fd, 8)
    finally:
        os.close(fd)
    return not (head[:4] == _SIGNATURE and int.from_bytes(head[4:8], "big") == _NO_EXTENDED_FLAGS)


def _hook_index(base: str) -> str | None:
    """The index a git hook names (``GIT_INDEX_FILE``) when it is the repository's around ``base``, else None."""
    if not os.environ.get("GIT_INDEX_FILE"):
        return None
    from tracertm.git.process import git_env

    return git_env(Path(base)).get("GIT_INDEX_FILE")


def _own_index(base: str) -> str | None:
    """The index of the repository around the folder ``base`` (None: no repository), found as git finds it: by
    the nearest ``.git``, a folder, or a file pointing at one (a linked worktree's, a submodule's)."""
    import stat

    folder = base
    while True:
        try:
            mode = os.lstat(f"{folder}/.git").st_mode
            break
        except OSError:
            above = os.path.dirname(folder)
            if above == folder:
                return None
            folder = above
    if stat.S_ISDIR(mode):
        return f"{folder}/.git/index"
    from tracertm.git.process import real_git_dir

    return os.fspath(real_git_dir(Path(folder, ".git")) / "index")


def _skip_worktree(root: Path, names: list[str]) -> dict[str, tuple[str, str]]:
    """``names`` (root-relative) that are skip-worktree entries of the index (at stage 0) → their mode and blob
    id."""
    return {path: (mode, sha) for path, (tag, mode, sha) in _index_entries(root, names).items()
            if tag in ("S", "s") and mode in ("100644", "100755", LINK_MODE)}  # (a submodule's entry is no file)


def _index_entries(root: Path, paths: list[str]) -> dict[str, tuple[str, str, str]]:
    """The index's entries at stage 0 among ``paths`` (root-relative, literal) → ``git ls-files -v`` tag (``S``:
    skip-worktree, ``s`` assume-unchanged too), mode and blob id."""
    from tracertm import git

    raw = git.run(root, "ls-files", "-s", "-v", "-z", "--", *(f":(literal){p}" for p in paths))
    found: dict[str, tuple[str, str, str]] = {}
    for item in raw.decode("utf-8", "surrogateescape").split("\0"):  # "TAG MODE SHA STAGE<TAB>PATH"
        meta, _, path = item.partition("\t")
        fields = meta.split(" ")
        if len(fields) == 4 and fields[3] == "0":
            found[path] = (fields[0], fields[1], fields[2])
    return found
