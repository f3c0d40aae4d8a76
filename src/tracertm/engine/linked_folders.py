"""Spec folders that are symbolic links (or links to folders deeper in them that a glob descends into): git lists
such a link as one entry and the files behind it under the target's path, which the globs do not match, so a scan
would read nothing there without a word. A link is not followed (a spec's path is where git has it); a full scan
warns about each one instead (``Snapshot.linked``), and hook mode does the same from its own listing
(``check_changes``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from tracertm import git
from tracertm.config import Settings
from tracertm.config_glob import glob_to_regex
from tracertm.errors import Diagnostic
from tracertm.parsers.records import FileKind

if TYPE_CHECKING:
    from tracertm.engine.scan import Location

__all__ = ["descends", "in_tree", "linked_folders", "link_candidates", "listed_below", "on_disk"]

Lister = Callable[[str], Iterable[str]]


def linked_folders(
    settings: Settings, links: Mapping[str, str], listed: Callable[[str], Iterable[str] | None], *,
    subfolder: bool = False, outside: Lister | None = None,
) -> list[Diagnostic]:
    """Warnings about spec folders that are symbolic links (``links``: root-relative path → the link's text; the
    paths of ``Settings.spec_folders`` only). git lists such a link as one entry and the files behind it under the
    target's path, which the globs do not match: nothing would be read there, without a word. A link is not
    followed (a spec's path is where git has it; following would give one file two paths, and the hook, history and
    ``--ref`` would each have to map them back): the warning names the target and the setting to point at it.

    ``listed(under)`` gives the listed root-relative paths below the folder ``under`` (``shared/features/``), or
    None when the listing does not cover it. A link whose target holds no file the globs would take through the
    link, and none they do not already take at its own path, is no warning (``docs -> website/content`` with no
    ``adr/`` in it; ``feature_paths`` naming the target too). A link out of the root (``subfolder``:
    the root is a sub-folder of the repository) or an absolute one is a warning whenever a spec folder lies
    under it.

    A link deeper in a spec folder (``features/co``, that a glob such as ``features/**/*.feature`` descends into;
    ``link_candidates``) is a warning only when its target, in the repository, holds files the globs would take
    through it: ``outside`` lists a target the listing does not cover (a link to a file, to a folder of no such
    file, or out of the repository, says nothing)."""
    from tracertm.engine.scan import link_target  # (here: scan imports this module)

    out: list[Diagnostic] = []
    for path, text in sorted(links.items()):
        below = [(kind, g) for kind, patterns in settings.paths.items() for g in patterns if descends(g, path)]
        if not below:
            continue
        target = link_target(path, text)
        if target is not None and (target == "." or (path + "/").startswith(target + "/")):
            continue  # a link to a folder above it: a loop, nothing to point a glob at
        deep = path not in settings.spec_folders
        if target is None and deep:
            continue  # (out of the repository: whether it is a folder at all, a commit cannot tell)
        keys: dict[str, list[str]] = {}
        files = listed(target + "/") if target is not None else None
        if files is None and target is not None and outside is not None and deep:
            files = outside(target + "/")  # (a deeper link: the target's files, looked up only now)
        if files is not None:
            rxs = [(kind, g, glob_to_regex(g)) for kind, g in below]
            for rel in files:
                through = path + rel[len(target or ""):]
                kind = settings.kind_of(through)
                if kind is None or settings.kind_of(rel) is not None:
                    continue  # (a file a glob already takes at the target's path is read: nothing is missed)
                glob = next((g for k, g, rx in rxs if k == kind and rx.fullmatch(through)), None)
                if glob is not None:
                    keys.setdefault(_setting(kind), []).append(_through(glob, path, target or ""))
            if not keys:
                continue
        else:
            for kind, glob in below:
                keys.setdefault(_setting(kind), []).append(_through(glob, path, target) if target else "")
        named = " and ".join(keys)
        if target is None:
            where = ("an absolute path, of one machine only" if text.startswith("/")
                     else f"outside the {'project folder' if subfolder else 'repository'}")
            message = (f"a symbolic link to {text!r}, {where}, not followed: the files under it are not read as "
                       f"specs; put the folder itself in the repository and point {named} at it")
        else:
            examples = " and ".join(
                f"{key} = [{', '.join(chr(34) + g + chr(34) for g in dict.fromkeys(globs))}]"
                for key, globs in keys.items()
            )
            message = (f"a symbolic link to the folder {target!r}, which tracertm does not follow: the files under "
                       f"it are not read as specs; point the setting at the target, e.g. {examples}")
        out.append(Diagnostic(path, 0, 0, message, "warning"))
    return out


def descends(glob: str, path: str) -> bool:
    """Whether ``glob`` may match a path below the folder ``path`` (root-relative): its folder names match
    ``path``'s one by one until a ``**`` (anything below) or ``path``'s end with more of the glob left."""
    parts = glob.split("/")
    for i, name in enumerate(path.split("/")):
        if i < len(parts) and "**" in parts[i]:
            return True
        if i >= len(parts) - 1:
            return False  # (the glob's last part names files, not a folder to go into)
        if not glob_to_regex(parts[i]).fullmatch(name):
            return False
    return True


def _through(glob: str, path: str, target: str) -> str:
    """``glob`` rewritten for the files at ``target`` that it would take below the link ``path``: the part of the
    glob after the link's folders (from its ``**`` on when that comes first), under the target."""
    if glob.startswith(path + "/"):
        return target + glob[len(path):]
    parts = glob.split("/")
    depth = path.count("/") + 1
    star = next((i for i, part in enumerate(parts[:depth]) if "**" in part), depth)
    return target + "/" + "/".join(parts[star:])


def link_candidates(settings: Settings, links: Iterable[str]) -> set[str]:
    """Which of ``links`` (root-relative symbolic links) ``linked_folders`` looks at: the spec folders and, deeper,
    those a glob descends into that no glob takes as a spec file itself (a linked spec file is read, followed)."""
    folders = set(settings.spec_folders)
    globs = [g for patterns in settings.paths.values() for g in patterns]
    return {p for p in links
            if p in folders or (settings.kind_of(p) is None and any(descends(g, p) for g in globs))}


def _setting(kind: FileKind) -> str:
    return "step_paths" if kind == "step_definition" else f"{kind}_paths"


def listed_below(settings: Settings, listed: list[str]) -> Callable[[str], Iterable[str] | None]:
    """``linked_folders``' ``listed`` over ``listed``, the sorted root-relative paths a listing of
    ``settings.prefixes`` holds."""
    import bisect

    def below(under: str) -> Iterable[str] | None:
        if not under.startswith(settings.prefixes):
            return None  # outside the folders the scan listed: unknown
        start = bisect.bisect_left(listed, under)
        end = bisect.bisect_left(listed, under[:-1] + chr(ord("/") + 1))
        return listed[start:end]

    return below


def in_tree(
    location: Location, settings: Settings, entries: Mapping[str, git.Entry], outside: Lister | None = None
) -> list[Diagnostic]:
    """``linked_folders`` for the index or a commit: the links among the entries the scan listed, their texts read
    through one ``git cat-file`` only when there is one (``outside``: the source's listing of another folder)."""
    found = [p for p, e in entries.items() if e.mode == "120000"]
    links = {p: entries[p].sha for p in link_candidates(settings, found)} if found else {}
    if not links:
        return []
    assert location.top is not None
    reader = git.BlobReader(location.top)
    try:
        texts = reader.read_many(sorted(set(links.values())))
    finally:
        reader.close()
    written = {p: texts[sha].decode("utf-8", "surrogateescape") for p, sha in links.items()}
    return linked_folders(settings, written, listed_below(settings, sorted(entries)), subfolder=bool(location.prefix),
                          outside=outside)


def on_disk(
    location: Location, settings: Settings, candidates: set[str], listed: Callable[[str], Iterable[str] | None],
    outside: Lister | None = None,
) -> list[Diagnostic]:
    """``linked_folders`` for the work tree or a plain folder: the links as they are on disk (``candidates``: the
    paths the scan saw as links, or may be links (untracked); a plain folder's spec folders are looked up, a few
    ``lstat`` calls)."""
    written: dict[str, str] = {}
    for path in candidates or settings.spec_folders:
        try:
            written[path] = os.readlink(location.root / path)
        except OSError:
            continue  # not a link (any more), or gone
    if not written:
        return []
    return linked_folders(settings, written, listed, subfolder=bool(location.prefix), outside=outside)
