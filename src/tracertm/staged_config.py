"""The configuration a commit will hold, read from git's index (``check --staged``, ``steps --staged``, the
pre-commit hook): the staged ``.tracertm.toml``, ``pyproject.toml`` and ``.adr-dir``, a staged symbolic link
followed to the index's file it points at. Light: the hook imports it on every commit."""

from __future__ import annotations

from pathlib import Path

from tracertm import git
from tracertm.config import LINK_MODE, Settings, config_link, link_not_file, load_settings
from tracertm.engine.scan import Location

__all__ = ["staged_settings"]


# The files the configuration is read from, in the index (``history.settings.CONFIG_FILES``, without its import).
_CONFIG_FILES = (".tracertm.toml", "pyproject.toml", ".adr-dir")


def staged_settings(location: Location) -> Settings:
    """The configuration the commit will hold (``check --staged``, ``steps --staged``): the index's
    ``.tracertm.toml``, else its ``pyproject.toml``'s ``[tool.tracertm]``, and its ``.adr-dir``, read by one ``git
    cat-file --batch`` (``:PATH`` is the index's blob at PATH). Errors name the work tree's file and the staged
    file's line. (``check --ref`` reads the work tree's configuration, as ``sync --ref`` does.) Needs a git
    repository (``location.top``).

    A file staged as a symbolic link holds the link's text, not settings: it stands for the index's file it points
    at (``config.config_link``: one inside the repository; a link out of it is an error), as in the work tree."""
    assert location.top is not None
    asked = [location.prefix + name for name in _CONFIG_FILES]
    # The entries' modes, listed while cat-file reads them (a link's blob is a blob too).
    modes = git.start(location.top, "ls-files", "-s", "-z", "--", *git.pathspecs(tuple(asked)))
    try:
        files = _index_files(location.top, asked, _CONFIG_FILES)
        listed = _index_modes(modes.result())
    finally:
        modes.close()
    for name in [n for n in files if listed.get(location.prefix + n, ("", ""))[0] == LINK_MODE]:
        link = files[name].decode("utf-8", "surrogateescape")
        shown = location.root / name
        target = location.prefix + config_link(shown, name, link)
        mode, sha = _index_modes(git.run(location.top, "ls-files", "-s", "-z", "--",
                                         *git.pathspecs((target,)))).get(target, ("", ""))
        if mode not in ("100644", "100755"):
            raise link_not_file(shown, link)
        files[name] = git.run(location.top, "cat-file", "blob", sha)
    return load_settings(location.root, files=files)


def _index_files(top: Path, asked: list[str], names: tuple[str, ...]) -> dict[str, bytes]:
    """``names`` → the bytes of the index's blob at the matching path of ``asked``, for those the index holds."""
    out = git.run(top, "cat-file", "--batch", input="".join(f":{p}\n" for p in asked).encode())
    files: dict[str, bytes] = {}
    at = 0
    for name in names:  # per path "SHA TYPE SIZE\nBYTES\n", or ":PATH missing\n" (not in the index)
        end = out.index(b"\n", at)
        head = out[at:end].split(b" ")
        at = end + 1
        if head[-1].isdigit():
            if head[-2] == b"blob":  # (a submodule's entry names a commit: no file)
                files[name] = out[at:at + int(head[-1])]
            at += int(head[-1]) + 1
    return files


def _index_modes(raw: bytes) -> dict[str, tuple[str, str]]:
    """``git ls-files -s -z`` → top-relative path → (mode, blob id), of the entries at stage 0."""
    found: dict[str, tuple[str, str]] = {}
    for item in raw.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = item.partition("\t")
        fields = meta.split(" ")
        if len(fields) == 3 and fields[2] == "0":
            found[path] = (fields[0], fields[1])
    return found
