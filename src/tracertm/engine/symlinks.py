"""Symbolic links among spec files: where a link, or a chain of links, leads — by one rule for every source.

A link is followed through a relative text to a path inside the root (``link_target``), and only to a file the
repository holds: in a tree or the index, an entry of it; in the work tree, a tracked file or an untracked one git
does not ignore (never ``.git``, an ignored file, or a submodule's checkout); in a plain folder, a file outside any
``.git``. A path there that is a link again is followed the same way, hop by hop, ``MAX_HOPS`` at most (Linux's
limit). Each source says what a path is (``Lookup``); ``follow`` walks every link of a scan at once, asking its
lookup once per hop for all of them (the work tree's asks git only about paths its listings do not cover).
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from tracertm.errors import Diagnostic

# Links followed one after another at most before a chain is refused: Linux's MAXSYMLINKS, what ``open`` allows.
MAX_HOPS = 40

# What a source says of root-relative paths: a link's text, or None for a file; a path missing from the answer is
# no file of the repository (absent, ignored, a folder, a submodule, a conflicted entry).
Lookup = Callable[[list[str]], Mapping[str, str | None]]


class Followed(NamedTuple):
    """Where a link's chain ends: ``target``, a file of the repository (None: not followed, ``error`` says why);
    ``hops``: every path inside the root the chain reached after the link itself, ``target`` last when followed
    (else the path where it found no file, if any): a change at any of them changes what the link reads."""

    target: str | None
    hops: tuple[str, ...]
    error: Diagnostic | None


def link_target(path: str, link: str) -> str | None:
    """Where a symbolic link at ``path`` (root-relative) with the text ``link`` points, root-relative; None when it
    is not followed: an absolute target (a path on the machine that made the link, which no other clone has) or
    one out of the root. The same rule for every source, so that the work tree, the index and commits agree."""
    if link.startswith("/"):
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), link))
    if target.startswith("../") or target == "..":
        return None
    return target


def follow(links: Mapping[str, str], lookup: Lookup) -> dict[str, Followed]:
    """Each link of ``links`` (root-relative path → its text) followed to its end, ``lookup`` asked once per hop
    for the paths every chain has reached."""
    done: dict[str, Followed] = {}
    # Per link still on its way: the path it has reached and that path's text, the paths it went through.
    walking: dict[str, tuple[str, str, tuple[str, ...]]] = {path: (path, text, ()) for path, text in links.items()}
    while walking:
        nexts: dict[str, str] = {}
        for path, (at, text, walked) in walking.items():
            target = link_target(at, text)
            if target is None:
                done[path] = Followed(None, walked, _not_followed(path, links[path], at, text, inside=False))
            else:
                nexts[path] = target
        found = lookup(sorted(set(nexts.values()))) if nexts else {}
        still: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        for path, target in nexts.items():
            at, text, walked = walking[path]
            if target not in found:
                error = _not_followed(path, links[path], at, text, inside=True)
                done[path] = Followed(None, (*walked, target), error)
                continue
            more = found[target]
            if more is None:
                done[path] = Followed(target, (*walked, target), None)
            elif target == path or target in walked:
                done[path] = Followed(None, walked, loop_error(path, links[path], target))
            elif len(walked) + 1 >= MAX_HOPS:
                done[path] = Followed(None, walked, too_long_error(path, links[path]))
            else:
                still[path] = (target, more, (*walked, target))
        walking = still
    return done


def disk_lookup(root: Path, held: Callable[[list[str]], set[str]]) -> Lookup:
    """What the paths below ``root`` are on disk, for ``follow``, among those ``held`` says the repository holds: a
    regular file, or a link (its text). A path below a folder that is a link is none: no tree follows a folder
    link, and ``open`` would leave the repository through it."""

    def lookup(paths: list[str]) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for path in sorted(held(paths)):
            if behind_a_link(root, path):
                continue
            try:
                mode = os.lstat(root / path).st_mode
                if stat.S_ISLNK(mode):
                    found[path] = os.readlink(root / path)
                elif stat.S_ISREG(mode):
                    found[path] = None
            except OSError:  # gone, or not ours to look at: no file
                continue
        return found

    return lookup


def behind_a_link(root: Path, path: str) -> bool:
    """Whether a folder of ``path`` below ``root`` is a symbolic link."""
    folders = path.split("/")[:-1]
    return any(os.path.islink(root.joinpath(*folders[:depth])) for depth in range(1, len(folders) + 1))


def behind_links(root: Path) -> Callable[[str], bool]:
    """``behind_a_link`` for many paths below ``root``: each folder is asked once (a scan asks it of every spec
    file git's index holds, most of them in a few folders)."""
    linked: dict[str, bool] = {}

    def folder_linked(folder: str) -> bool:
        found = linked.get(folder)
        if found is None:
            parent, _, _ = folder.rpartition("/")
            found = linked[folder] = (bool(parent) and folder_linked(parent)) or os.path.islink(root / folder)
        return found

    def behind(path: str) -> bool:
        folder = path.rpartition("/")[0]
        return bool(folder) and folder_linked(folder)

    return behind


def held_in_work_tree(root: Path, path: str) -> bool:
    """Whether the work tree (or plain folder) at ``root`` holds the root-relative ``path`` as a file of the
    repository, by the rule of spec links: not below a folder that is a link; in a git work tree, tracked or
    untracked and not ignored (``git.held_paths``: never ``.git/config``, an ignored ``local.toml``, a file of a
    submodule's checkout); in a plain folder, any file outside a ``.git`` folder. Two git calls: for a single link
    (a configuration file's), not a scan's many."""
    from tracertm import git

    if behind_a_link(root, path) or not outside_dot_git([path]):
        return False
    top = git.find_root(root)
    if top is None:
        return True
    # ``root`` may be a folder below the top (a monorepo's project): git.held_paths takes top-relative paths.
    prefix = Path(os.path.relpath(os.path.realpath(root), os.path.realpath(top))).as_posix()
    full = path if prefix == "." else f"{prefix}/{path}"
    return full in git.held_paths(top, [full])


def outside_dot_git(paths: list[str]) -> set[str]:
    """A plain folder's files, for a link to point at: any path below it, except in a ``.git`` folder (a
    repository's inside, never a spec)."""
    return {p for p in paths if ".git" not in p.split("/")}


def _not_followed(path: str, first: str, at: str, text: str, *, inside: bool) -> Diagnostic:
    """``link_error`` of the link ``path`` (its text ``first``) whose chain stops at the link ``at`` (text ``text``):
    the link itself when it is the one, else naming the hop where the chain stops."""
    return link_error(path, first, inside) if at == path else link_error(path, text, inside, via=(first, at))


def link_error(path: str, link: str, inside: bool, via: tuple[str, str] | None = None) -> Diagnostic:
    """The error of a symbolic link that is not followed (``inside``: it stays in the tree but resolves to no file).
    An absolute target is refused whatever ``inside`` says: it names a path on the machine that made the link.
    ``via``: the chain stopped at a later link — (the text of ``path`` itself, the root-relative path of the link
    whose text ``link`` is)."""
    if via is not None:
        first, at = via
        hop = f"through {at!r}, a link to {link!r}"
        if link.startswith("/"):
            message = (f"symbolic link points outside the repository ({first!r}, {hop}: an absolute target, a path "
                       "on one machine only); not followed — make it a relative link to a file in the repository")
        elif inside:
            message = (f"symbolic link to {first!r} does not resolve to a file in the repository ({hop}); fix or "
                       "remove the link")
        else:
            message = (f"symbolic link points outside the repository ({first!r}, {hop}); not followed — copy the "
                       "file in instead")
        return Diagnostic(path, 0, 0, message)
    if link.startswith("/"):
        return Diagnostic(
            path,
            0,
            0,
            f"symbolic link points outside the repository (absolute target {link!r}, a path on one machine only); "
            "not followed — make it a relative link to a file in the repository",
        )
    if inside:
        message = f"symbolic link to {link!r} does not resolve to a file in the repository; fix or remove the link"
        return Diagnostic(path, 0, 0, message)
    return Diagnostic(
        path,
        0,
        0,
        f"symbolic link points outside the repository ({link!r}); not followed — copy the file in instead",
    )


def loop_error(path: str, link: str, again: str) -> Diagnostic:
    """The error of a link (text ``link``) whose chain comes back to ``again``, a link it went through."""
    return Diagnostic(path, 0, 0, f"symbolic link loop: {link!r} leads back to {again!r}; fix or remove the link")


def too_long_error(path: str, link: str) -> Diagnostic:
    """The error of a link (text ``link``) whose chain goes through more links than ``MAX_HOPS``."""
    return Diagnostic(path, 0, 0, f"symbolic link to {link!r} goes through more than {MAX_HOPS} links; link to the "
                      "file itself")


__all__ = [
    "MAX_HOPS", "Followed", "Lookup", "behind_a_link", "disk_lookup", "follow", "held_in_work_tree", "link_error",
    "link_target", "loop_error", "outside_dot_git", "too_long_error",
]
