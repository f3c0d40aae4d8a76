"""Spec folders that are symbolic links: git lists such a link as one entry and the files behind it under the
target's path, which the globs do not match, so a scan would read nothing there without a word. A link is not
followed (a spec's path is where git has it); a full scan warns about each one instead (``Snapshot.linked``), and
hook mode does the same from its own listing (``check_changes``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from tracertm import git
from tracertm.config import Settings
from tracertm.config_glob import glob_to_regex, literal_prefix
from tracertm.errors import Diagnostic
from tracertm.parsers.records import FileKind

if TYPE_CHECKING:
    from tracertm.engine.scan import Location

__all__ = ["in_tree", "linked_folders", "listed_below", "on_disk"]


def linked_folders(
    settings: Settings, links: Mapping[str, str], listed: Callable[[str], Iterable[str] | None], *,
    subfolder: bool = False,
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
    under it."""
    from tracertm.engine.scan import link_target  # (here: scan imports this module)

    out: list[Diagnostic] = []
    for path, text in sorted(links.items()):
        below = [(kind, g) for kind, patterns in settings.paths.items() for g in patterns
                 if literal_prefix(g).startswith(path + "/")]
        if not below:
            continue
        target = link_target(path, text)
        if target is not None and (target == "." or (path + "/").startswith(target + "/")):
            continue  # a link to a folder above it: a loop, nothing to point a glob at
        keys: dict[str, list[str]] = {}
        files = listed(target + "/") if target is not None else None
        if files is not None:
            rxs = [(kind, g, glob_to_regex(g)) for kind, g in below]
            for rel in files:
                through = path + rel[len(target or ""):]
                kind = settings.kind_of(through)
                if kind is None or settings.kind_of(rel) is not None:
                    continue  # (a file a glob already takes at the target's path is read: nothing is missed)
                glob = next((g for k, g, rx in rxs if k == kind and rx.fullmatch(through)), None)
                if glob is not None:
                    keys.setdefault(_setting(kind), []).append(f"{target}{glob[len(path):]}")
            if not keys:
                continue
        else:
            for kind, glob in below:
                keys.setdefault(_setting(kind), []).append(f"{target}{glob[len(path):]}" if target else "")
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


def in_tree(location: Location, settings: Settings, entries: Mapping[str, git.Entry]) -> list[Diagnostic]:
    """``linked_folders`` for the index or a commit: the links among the entries the scan listed, their texts read
    through one ``git cat-file`` only when there is one."""
    links = {c: e.sha for c in settings.spec_folders if (e := entries.get(c)) is not None and e.mode == "120000"}
    if not links:
        return []
    assert location.top is not None
    reader = git.BlobReader(location.top)
    try:
        texts = reader.read_many(sorted(set(links.values())))
    finally:
        reader.close()
    written = {p: texts[sha].decode("utf-8", "surrogateescape") for p, sha in links.items()}
    return linked_folders(settings, written, listed_below(settings, sorted(entries)), subfolder=bool(location.prefix))


def on_disk(
    location: Location, settings: Settings, candidates: set[str], listed: Callable[[str], Iterable[str] | None]
) -> list[Diagnostic]:
    """``linked_folders`` for the work tree or a plain folder: the links as they are on disk (``candidates``: the
    spec folders the scan saw as links; a plain folder's are looked up, a few ``lstat`` calls)."""
    written: dict[str, str] = {}
    for path in candidates or settings.spec_folders:
        try:
            written[path] = os.readlink(location.root / path)
        except OSError:
            continue  # not a link (any more), or gone
    if not written:
        return []
    return linked_folders(settings, written, listed, subfolder=bool(location.prefix))
