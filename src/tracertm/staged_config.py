"""The configuration a commit will hold, read from git's index (``check --staged``, ``steps --staged``, the
pre-commit hook): the staged ``.tracertm.toml``, ``pyproject.toml`` and ``.adr-dir``, a staged symbolic link
followed to the index's file it points at. Light: the hook imports it on every commit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tracertm import git
from tracertm.config import LINK_MODE, Settings, config_link, link_not_file, load_settings
from tracertm.engine.scan import Location
from tracertm.errors import ConfigError

__all__ = ["committed_settings", "settings_changed", "staged_settings", "staged_settings_and_files",
           "staged_sync_settings"]


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
    return staged_settings_and_files(location)[0]


def staged_settings_and_files(location: Location) -> tuple[Settings, tuple[str, ...]]:
    """``staged_settings``, and the top-relative paths its settings come from or would come from: the
    configuration files, and the index's files that staged configuration links point at (a commit that changes
    none of them keeps the configuration of ``HEAD``)."""
    files, read = _configuration(location, None)
    return load_settings(location.root, files=files), read


def staged_sync_settings(location: Location) -> Settings:
    """The configuration of ``sync --staged``, which stores what the commit will hold: which files are specs and
    how they parse (``*_paths``, ``exclude``, the parser's options, ``.adr-dir``) from the index, as ``check
    --staged`` reads them; where and how to write them (``database_url``, ``project``, ``lock_timeout``,
    ``results_window``) from the work tree's configuration as ever, which a per-machine ``.tracertm.toml`` that git
    ignores may hold (``backfill`` splits each commit's configuration alike)."""
    here = load_settings(location.root)
    return replace(staged_settings(location), project=here.project, database_url=here.database_url,
                   lock_timeout=here.lock_timeout, results_window=here.results_window)


def committed_settings(location: Location, commit: str) -> Settings:
    """The configuration ``commit`` holds, read as ``staged_settings`` reads the index's (a ``ConfigError`` when
    it does not load)."""
    return load_settings(location.root, files=_configuration(location, commit)[0])


def _configuration(location: Location, commit: str | None) -> tuple[dict[str, bytes], tuple[str, ...]]:
    """The configuration files (name → bytes, links followed) of the index (``commit`` None) or of ``commit``,
    and the top-relative paths read."""
    assert location.top is not None
    asked = [location.prefix + name for name in _CONFIG_FILES]
    # The entries' modes, listed while cat-file reads them (a link's blob is a blob too).
    modes = git.start(location.top, *_listing(commit), *git.pathspecs(tuple(asked)))
    try:
        files = _files(location.top, commit, asked, _CONFIG_FILES)
        raw = modes.result()
    finally:
        modes.close()
    listed = _modes(raw, commit)
    if commit is None:
        # An intent-to-add entry (``git add -N``) lists the empty blob but is no part of the commit: an empty
        # ``.tracertm.toml`` read from it would hide the staged ``pyproject.toml``'s settings.
        empty = [n for n in files if not files[n]]
        if empty:
            from tracertm.git.tree import intent_to_add

            for path in intent_to_add(location.top, [location.prefix + n for n in empty]):
                del files[path[len(location.prefix):]]
        unmerged = _unmerged(raw)
        for name in _CONFIG_FILES:
            # (pyproject.toml only counts without a .tracertm.toml: a conflict in its dependencies is none of ours)
            if location.prefix + name in unmerged and not (name == "pyproject.toml" and ".tracertm.toml" in files):
                # Only conflict stages, no stage 0: the commit's configuration is not decided yet, and reading
                # none would judge the commit by the defaults (git refuses that commit; a manual check must not
                # pass it).
                raise ConfigError(f"{location.root / name}: unmerged (merge conflict): the index holds no version "
                                  "of it yet; resolve it and git add it")
    read = list(asked)
    for name in [n for n in files if listed.get(location.prefix + n, ("", ""))[0] == LINK_MODE]:
        link = files[name].decode("utf-8", "surrogateescape")
        shown = location.root / name
        target = location.prefix + config_link(shown, name, link)
        read.append(target)
        mode, sha = _modes(git.run(location.top, *_listing(commit), *git.pathspecs((target,))), commit).get(
            target, ("", ""))
        if mode not in ("100644", "100755"):
            raise link_not_file(shown, link)
        files[name] = git.run(location.top, "cat-file", "blob", sha)
    return files, tuple(read)


def _listing(commit: str | None) -> tuple[str, ...]:
    """The git command line (up to its pathspecs) that lists the entries of the index or of ``commit``."""
    return ("ls-files", "-s", "-z", "--") if commit is None else ("ls-tree", "-z", commit, "--")


def _modes(raw: bytes, commit: str | None) -> dict[str, tuple[str, str]]:
    """``_listing``'s output → top-relative path → (mode, blob id)."""
    if commit is None:
        return _index_modes(raw)
    found: dict[str, tuple[str, str]] = {}
    for item in raw.decode("utf-8", "surrogateescape").split("\0"):  # "MODE TYPE SHA<TAB>PATH"
        meta, _, path = item.partition("\t")
        fields = meta.split(" ")
        if len(fields) == 3 and fields[1] == "blob":
            found[path] = (fields[0], fields[2])
    return found


def _files(top: Path, commit: str | None, asked: list[str], names: tuple[str, ...]) -> dict[str, bytes]:
    """``names`` → the bytes of the blob at the matching path of ``asked`` in the index (``commit`` None) or in
    ``commit``, for those it holds."""
    where = commit or ""
    out = git.run(top, "cat-file", "--batch", input="".join(f"{where}:{p}\n" for p in asked).encode())
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


def _unmerged(raw: bytes) -> set[str]:
    """``git ls-files -s -z`` → the top-relative paths listed only at conflict stages (1-3), with no stage 0."""
    staged: set[str] = set()
    conflicted: set[str] = set()
    for item in raw.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = item.partition("\t")
        fields = meta.split(" ")
        if len(fields) == 3:
            (staged if fields[2] == "0" else conflicted).add(path)
    return conflicted - staged


def settings_changed(location: Location, settings: Settings) -> bool:
    """Whether ``settings`` (the index's) differ from ``HEAD``'s in anything that decides which files are specs and
    what a check makes of them (not the project name, the database, the lock timeout)."""
    try:
        before = committed_settings(location, "HEAD")
    except ConfigError:
        return True  # HEAD's did not load: nothing to compare with, so nothing is known to be unchanged

    def key(s: Settings) -> tuple[object, ...]:
        return (sorted(s.paths.items()), s.exclude, s.parser, s.configured, sorted(s.step_checks.items()))

    return key(before) != key(settings)
