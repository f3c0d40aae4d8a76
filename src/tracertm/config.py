"""Repository configuration: ``.tracertm.toml`` (top-level keys) or ``[tool.tracertm]`` in ``pyproject.toml``.

Everything has a default (README.md, "Configuration"), so most repositories need no configuration at all.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tracertm.config_glob import glob_to_regex, literal_prefix, literal_suffix
from tracertm.config_glob import _glob_backtracking, _glob_source  # (tests import them from here)
from tracertm.config_regex import IN_A_ROW, repeats_in_a_row
from tracertm.config_regex import backtracks as _backtracks  # (tests import it from here)
from tracertm.config_toml import TOML_HEADER, key_line, key_where, read_toml, toml_string
from tracertm.errors import ConfigError, Diagnostic
from tracertm.parsers.records import (
    BEHAVE_STRIP_COLON, FILE_KINDS, GHERKIN_LANGUAGE_FALLBACK, FileKind, ParserOptions,
)

# Step definition files (README, "Step definitions"): behave, pytest-bdd, cucumber-js / playwright-bdd, cucumber-jvm,
# godog, cucumber-ruby, Reqnroll/SpecFlow. Python files outside features/steps count only when they import pytest_bdd.
DEFAULT_STEP_PATHS: tuple[str, ...] = (
    "features/steps/**/*.py",
    "features/environment.py",  # behave loads it first: its parameter types count for every step module
    "tests/**/*.py",
    "**/conftest.py",
    # pytest's configuration files: pytest-bdd's bdd_features_base_dir and the rootdir (tracertm.steps.pytest_bdd).
    "**/pytest.toml",
    "**/.pytest.toml",
    "**/pytest.ini",
    "**/.pytest.ini",
    "**/pyproject.toml",
    "**/tox.ini",
    "**/setup.cfg",
    # cucumber-js, given no require/import, loads every features/**/*.{js,cjs,mjs} (its support/ folder too: parameter
    # types); TypeScript only as configured: the usual step_definitions/ and support/ folders.
    "features/**/*.js",
    "features/**/*.mjs",
    "features/**/*.cjs",
    "features/step_definitions/**/*.ts",
    "features/support/**/*.ts",
    "**/*.steps.js",
    "**/*.steps.ts",
    "src/test/**/*.java",
    "src/test/**/*.kt",
    "**/*_test.go",
    "features/**/*.rb",  # cucumber-ruby, given no --require, loads every .rb under features/ (support/ first)
    "**/*Steps.cs",
    "**/StepDefinitions/**/*.cs",
)
# Never step files: installed packages and virtual environments.
STEP_EXCLUDE: tuple[str, ...] = ("**/node_modules/**", "**/.venv/**", "**/venv/**", "**/site-packages/**")
DEFAULT_PATHS: dict[FileKind, tuple[str, ...]] = {
    "adr": ("docs/adr/**/*.md", "doc/adr/**/*.md", "docs/decisions/**/*.md"),
    "contract": ("contracts/**/*.yaml", "contracts/**/*.yml"),
    "feature": ("features/**/*.feature", "features/**/*.feature.md"),  # (cucumber-js's default paths, both)
    "step_definition": DEFAULT_STEP_PATHS,
}
DEFAULT_LOCK_TIMEOUT_S = 60.0
MAX_LOCK_TIMEOUT_S = 86400  # a day: the ``lock_timeout`` setting's and argument's bound
# Files that live beside ADRs but are not ADRs (adr-tools, Log4brains and MADR ship these): indexes and templates.
# Templates by their exact names only — MADR 2's template.md, MADR 3/4's adr-template.md and 4's -minimal/-bare
# variants, the Rust-RFC style 0000-template.md many ADR folders copy — never ``*-template.md``: an ADR about a
# template (``0007-pull-request-template.md``) is an ADR, and so is MADR's own ADR 0000.
ADR_TEMPLATE_EXCLUDE: tuple[str, ...] = (
    "**/template.md", "**/TEMPLATE.md", "**/adr-template.md", "**/adr-template-*.md",
    "**/0000-template.md", "**/0000-TEMPLATE.md", "**/000-template.md", "**/000-TEMPLATE.md",
)
DEFAULT_EXCLUDE = (
    "**/README.md", "**/readme.md", "**/index.md", *ADR_TEMPLATE_EXCLUDE, "**/_*.md",
    *STEP_EXCLUDE,
)

_KEYS: dict[str, type | tuple[type, ...]] = {
    "project": str,
    "database_url": str,
    "adr_paths": list,
    "contract_paths": list,
    "feature_paths": list,
    "step_paths": list,
    "step_checks": dict,
    "exclude": list,
    "max_file_size": int,
    "lock_timeout": (int, float),
    "requirement_pattern": str,
    "feature_id_pattern": str,
    "scenario_id_pattern": str,
    "date_format": str,
    "results_window": int,
    "behave_strip_trailing_colon": bool,
    "gherkin_language_fallback": bool,
}
# Files the configuration is read from (the first one present wins), as named in findings about it.
CONFIG_FILES = (".tracertm.toml", "pyproject.toml")
# The key of the project's metadata that holds ``Settings.parser_digest`` as of the last sync (``engine.sync``; the
# no-op fast path reads it).
PARSER_OPTIONS_KEY = "parser_options"


# Editor swap, lock, backup and temporary files: never spec files even when their name happens to match a glob
# (Emacs lock links ``.#0001-x.md``, which dangle; vim's ``4913`` probe; JetBrains' ``x.md___jb_tmp___``...).
# Part of ``Settings.kind_of``, so that every source (work tree, index, commit, backfill, the hook) and the watcher
# agree on what a spec file is.
_TEMP_PREFIXES = (".#", "~$", ".~lock.", ".goutputstream-")
_TEMP_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".temp", ".bak", ".orig", ".part", ".kate-swp", ".crdownload")
_TEMP_MARKERS = ("___jb_tmp___", "___jb_old___", ".sb-")


def is_temp_name(name: str) -> bool:
    """Whether a file name (no folder) is an editor's swap/backup/temporary file."""
    return (
        name.startswith(_TEMP_PREFIXES)
        or name.endswith(_TEMP_SUFFIXES)
        or any(m in name for m in _TEMP_MARKERS)
        or name == "4913"
    )


@dataclass(frozen=True)
class Settings:
    """Frozen settings for one repository."""

    root: Path
    project: str | None = None
    database_url: str | None = None
    paths: dict[FileKind, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_PATHS))
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    parser: ParserOptions = ParserOptions()
    source: Path | None = None
    # The text ``source`` was read from (the index's version of it for ``check --staged``), for the lines of warnings.
    source_text: str | None = field(default=None, repr=False, compare=False)
    # Globs written in the configuration (not defaults): never filtered by DEFAULT_EXCLUDE, and warned about when
    # they match nothing (a folder-per-ADR layout names its README.md/index.md files on purpose).
    configured: frozenset[str] = frozenset()
    # Seconds a writer waits for another writer of the same project (of the same SQLite file) before giving up.
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S
    # check's step rules → severity: {"undefined"|"ambiguous"|"unused": "error"|"warning"|"off"} (default warning)
    step_checks: Mapping[str, str] = field(default_factory=dict)
    results_window: int | None = None  # runs that a scenario's pass_rate covers (tracertm.results; default 20)
    # The warning about an ``.adr-dir`` that names a folder outside the repository (no ADR is read from it).
    adr_dir_warning: Diagnostic | None = field(default=None, compare=False)
    # The warning about a ``[tool.tracertm]`` table that is not read, ``.tracertm.toml`` being there too.
    unread_table_warning: Diagnostic | None = field(default=None, compare=False)

    def warnings(self, paths: Iterable[str]) -> list[Diagnostic]:
        """The configuration's warnings against ``paths`` (the spec files of a full scan): an unusable
        ``.adr-dir``, a ``[tool.tracertm]`` table that is not read and every configured glob that matches nothing
        (``unmatched``)."""
        found = [w for w in (self.adr_dir_warning, self.unread_table_warning) if w is not None]
        return found + self.unmatched(paths)

    @cached_property
    def spec_folders(self) -> tuple[str, ...]:
        """The root-relative folders where a symbolic link hides spec files from git's listings: the folder of
        every path glob (the part before its first wildcard, ``docs/adr``) and each folder above it (``docs``).
        A scan looks these up among the entries it has (``engine.linked_folders``)."""
        found: set[str] = set()
        for patterns in self.paths.values():
            for pattern in patterns:
                folder = literal_prefix(pattern).rstrip("/")
                while folder:
                    found.add(folder)
                    folder = folder.rpartition("/")[0]
        return tuple(sorted(found))

    @cached_property
    def _classifier(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, re.Pattern[str], re.Pattern[str]]:
        """``kind_of`` in four compiled alternations (a scan classifies every path of the repository, thousands
        per sync, so one regex call each instead of one per glob): the user's excludes, the default excludes,
        every path glob, the configured path globs. In a full match the first alternative that matches wins, so
        ``lastgroup`` names the kind of the first glob, in configuration order, that matches."""

        def alternation(patterns: Iterable[str]) -> re.Pattern[str] | None:
            found = [f"(?:{_glob_source(p)})" for p in dict.fromkeys(patterns)]
            return re.compile("|".join(found)) if found else None

        def by_kind(only_configured: bool) -> re.Pattern[str]:
            groups = [
                f"(?P<{kind}__{i}>{_glob_source(p)})"
                for kind, patterns in self.paths.items()
                for i, p in enumerate(patterns)
                if p in self.configured or not only_configured
            ]
            return re.compile("|".join(groups) or "(?!)")

        defaults = alternation(p for p in self.exclude if p in DEFAULT_EXCLUDE)
        every = by_kind(False)
        if defaults is not None and not self.configured:
            # Nothing configured can override a default exclude: fold the excludes into the one pattern as a
            # look-ahead, so that a spec path costs one regular expression call.
            every = re.compile(f"(?!(?:{defaults.pattern})\\Z)(?:{every.pattern})")
            defaults = None
        return alternation(p for p in self.exclude if p not in DEFAULT_EXCLUDE), defaults, every, by_kind(True)

    @cached_property
    def parser_digest(self) -> str:
        """A digest of every setting that changes what a parser makes of the same bytes (``ParserOptions``: the date
        format, the id and requirement patterns, the size limit, the feature folders...). A sync whose digest
        differs from the last sync's parses every file again; so the fast path can tell, it is cheap to compute."""
        import hashlib  # not at the top: a pre-commit hook never needs it

        # The repr of a frozen dataclass of strings, numbers, tuples and a dict: the same options, the same text.
        return hashlib.sha256(repr(self.parser).encode("utf-8", "backslashreplace")).hexdigest()[:32]

    @cached_property
    def prefixes(self) -> tuple[str, ...]:
        """Folders a scan must list (deduplicated, shortest first)."""
        found = sorted({literal_prefix(p) for patterns in self.paths.values() for p in patterns}, key=len)
        kept: list[str] = []
        for prefix in found:
            if not any(prefix.startswith(k) for k in kept):
                kept.append(prefix)
        return tuple(kept)

    @cached_property
    def configured_prefixes(self) -> tuple[str, ...]:
        """The folders of the globs written in the configuration (deduplicated, shortest first): where a listing
        must look to tell whether each of them matches anything (``unmatched``)."""
        found = sorted({literal_prefix(p) for patterns in self.paths.values() for p in patterns
                        if p in self.configured}, key=len)
        return tuple(p for i, p in enumerate(found) if not any(p.startswith(k) for k in found[:i]))

    @property
    def step_paths(self) -> tuple[str, ...]:
        return self.paths.get("step_definition", ())

    def for_steps(self) -> Settings:
        """These settings with the step paths as the only spec paths: what a scan for step files alone needs."""
        from dataclasses import replace

        return replace(self, paths={"step_definition": self.step_paths})

    @cached_property
    def _suffixes(self) -> tuple[str, ...] | None:
        """What every spec path ends with: the literal tail of each path glob (``.md``, ``conftest.py``), or None
        when a glob ends in a wildcard. Most files of a repository are not specs; ``str.endswith`` turns them
        away before any regular expression runs."""
        # A tail after ``**/`` loses its ``/``: ``**/pytest.ini`` matches a top-level ``pytest.ini`` too.
        tails = [literal_suffix(p).lstrip("/") for patterns in self.paths.values() for p in patterns]
        return None if any(not t for t in tails) else tuple(dict.fromkeys(tails))

    def kind_of(self, path: str) -> FileKind | None:
        """The spec kind of a repository-relative POSIX path, or None when it is not a spec file (nor when it is
        an editor's temporary file: ``is_temp_name``).

        The user's own excludes win over everything; a default exclude (``README.md``, ``node_modules``, ...)
        gives way only to a glob written in the configuration."""
        suffixes = self._suffixes
        if suffixes is not None and not path.endswith(suffixes):
            return None
        if is_temp_name(path.rpartition("/")[2]):
            return None
        user_excluded, default_excluded, every_glob, configured_globs = self._classifier
        if user_excluded is not None and user_excluded.fullmatch(path):
            return None
        excluded = default_excluded is not None and default_excluded.fullmatch(path) is not None
        match = (configured_globs if excluded else every_glob).fullmatch(path)
        if match is None or match.lastgroup is None:
            return None
        kind = match.lastgroup.partition("__")[0]
        return kind  # type: ignore[return-value]

    def unmatched(self, paths: Iterable[str]) -> list[Diagnostic]:
        """A warning for every configured glob that matches none of ``paths`` (the spec files of a full scan)."""
        found = list(paths)
        out: list[Diagnostic] = []
        for kind, patterns in self.paths.items():
            for pattern in patterns:
                if pattern not in self.configured:
                    continue
                rx = glob_to_regex(pattern)
                if not any(rx.fullmatch(p) for p in found):
                    out.append(self._config_warning(f"{kind}_paths", pattern))
        return out

    def _config_warning(self, key: str, pattern: str) -> Diagnostic:
        where, line, column = (self.source.name if self.source is not None else CONFIG_FILES[0]), 0, 0
        if self.source is not None:
            try:
                whole = self.source_text
                text = self.source.read_text("utf-8", errors="replace") if whole is None else whole
                # From the line that sets the key, to the next table header: the same glob quoted elsewhere in the
                # file (in ``exclude``, or in another tool's table of pyproject.toml) is not the one that matched
                # nothing. A glob not found there (an escape written differently) is reported at the key's line.
                line = key_line(text, self.source.name == "pyproject.toml", key)
                lines = text.split("\n")
                for number in range(line, len(lines) + 1 if line else 0):
                    if number > line and TOML_HEADER.match(lines[number - 1]):
                        break
                    at = max(lines[number - 1].find(f'"{pattern}"'), lines[number - 1].find(f"'{pattern}'"))
                    if at >= 0:
                        line, column = number, at + 1
                        break
                column = column or (1 if line else 0)  # (columns count from 1; 0: no line either)
            except OSError:
                pass
        message = f"{key} matched nothing: no file matches {toml_string(pattern)}; fix the glob or remove it"
        return Diagnostic(where, line, column, message, "warning")


def _find_table(root: Path, files: Mapping[str, bytes] | None) -> tuple[dict[str, Any], Path | None, str]:
    """The tracertm table, the file it is in (None: no configuration) and that file's text. ``files``: the
    configuration files by name, instead of those of ``root`` (a file not in it does not exist)."""
    dot = root / ".tracertm.toml"
    if _present(root, dot.name) if files is None else dot.name in files:
        table, text = read_toml(dot, None if files is None else files[dot.name])
        return table, dot, text
    pyproject = root / "pyproject.toml"
    if _present(root, pyproject.name) if files is None else pyproject.name in files:
        whole, text = read_toml(pyproject, None if files is None else files[pyproject.name])
        tool = whole.get("tool", {})
        if not isinstance(tool, dict):  # ``tool = "poetry"``, ``[[tool]]``: no [tool.tracertm] table can be there
            line = key_line(text, False, "tool")
            raise ConfigError(f"{pyproject}{f':{line}' if line else ''}: tool must be a table")
        ours = tool.get("tracertm")
        if ours is not None:
            if not isinstance(ours, dict):
                raise ConfigError(f"{key_where(pyproject, text)}: [tool.tracertm] must be a table")
            return ours, pyproject, text
    return {}, None, ""


# git's mode of a symbolic link (its blob holds the link's text).
LINK_MODE = "120000"


def config_link(shown: str | Path, name: str, link: str) -> str:
    """Where the configuration file ``name`` (root-relative), a symbolic link holding ``link``, points: its
    root-relative target. The rule of spec links (``engine.scan.link_target``), the same for the work tree, the
    index and every commit: a link to a file inside the repository is followed; an absolute one (a path of the
    machine that made it) or one out of the repository is refused — never read — with an error naming
    ``shown``."""
    import posixpath

    target = posixpath.normpath(posixpath.join(posixpath.dirname(name), link))
    if link.startswith("/") or target == ".." or target.startswith("../"):
        raise config_link_outside(shown, link)
    return target


def link_not_file(shown: str | Path, link: str) -> ConfigError:
    """The error about a configuration link whose target is no file of the repository (missing, ignored, a link)."""
    return ConfigError(f"{shown}: a symbolic link to {link!r}, which is no file of the repository (missing, ignored "
                       "by git, or another link); link to the file itself, or put the file in its place")


def _unread_table(root: Path, files: Mapping[str, bytes] | None) -> Diagnostic | None:
    """A warning when pyproject.toml has a ``[tool.tracertm]`` table beside a ``.tracertm.toml`` (which is the
    configuration: the table is not read, and its settings silently not applied would surprise its writer). A
    pyproject.toml that cannot be read, or is no TOML, is none of tracertm's business here: no warning."""
    import tomllib

    name = "pyproject.toml"
    try:
        if files is not None:
            data = files.get(name)
        elif _present(root, name):
            data = (root / name).read_bytes()
        else:
            data = None
        if data is None or b"tracertm" not in data:  # nearly every pyproject.toml: not parsed
            return None
        text = data.decode("utf-8")
        tool = tomllib.loads(text).get("tool")
    except (ConfigError, OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if not isinstance(tool, dict) or "tracertm" not in tool:
        return None
    message = ("[tool.tracertm] is not read: .tracertm.toml is the configuration; move these settings into "
               ".tracertm.toml, or remove one of the two")
    return Diagnostic(name, key_line(text, True) or 1, 0, message, "warning")


def _off_disk(root: Path) -> dict[str, bytes] | None:
    """The work tree's configuration files (name → bytes) when a sparse checkout keeps one of them off disk (a
    skip-worktree index entry absent from disk: read from the index, as spec files of that kind are), else None:
    those on disk are read from there as ever (and no git call is made while the index holds no skip-worktree
    entry, ``config_sparse``)."""
    from tracertm.config_sparse import hidden_config

    hidden = hidden_config(root, _WORK_TREE_FILES)
    if not hidden:
        return None
    files = dict(hidden)
    for name in _WORK_TREE_FILES:
        if name not in hidden and _present(root, name):
            try:
                files[name] = (root / name).read_bytes()
            except OSError as exc:
                raise ConfigError(f"{root / name}: cannot read ({exc.strerror}); make it readable, or remove it"
                                  ) from None
    return files


# The configuration files of a work tree (``CONFIG_FILES`` and adr-tools' ``.adr-dir``).
_WORK_TREE_FILES = (*CONFIG_FILES, ".adr-dir")


def _present(root: Path, name: str) -> bool:
    """Whether the work tree holds the configuration file ``name``: a file, or a link ``config_link`` follows to
    one (a ``ConfigError`` for a link it does not follow: reading what it points at would apply settings from
    outside the repository). A FIFO, socket or device in its place is a ``ConfigError`` too: git sees the file
    modified, not gone, and taking it for gone would apply the default globs, deleting the records that only the
    configured ones find."""
    import stat

    path = root / name
    if not path.is_symlink():
        try:
            mode = path.stat().st_mode
        except (OSError, ValueError):  # not there (or not reachable): no configuration, as before
            return False
        if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
            return stat.S_ISREG(mode)  # a folder in its place: git sees the file deleted
        from tracertm.engine.regular_file import special_kind

        raise ConfigError(f"{path}: not a regular file but {special_kind(mode)}; put the configuration file back in "
                          "its place (or git rm it)")
    try:
        link = os.readlink(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the link ({exc.strerror})") from None
    inside = config_link(path, name, link)
    target = root / inside
    # Where the link ends up, folders linked on the way included, must be inside the repository too.
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    if not real.is_relative_to(top):
        raise config_link_outside(path, link)
    from tracertm.engine.symlinks import held_in_work_tree

    # Only to a file the repository holds, as the index and every commit (never .git/config, an ignored local.toml).
    if target.is_symlink() or not real.is_file() or not held_in_work_tree(root, inside):
        raise link_not_file(path, link)
    return True


def config_link_outside(shown: str | Path, link: str) -> ConfigError:
    return ConfigError(f"{shown}: a symbolic link to {link!r}, outside the repository, which tracertm never "
                       "follows; put the file itself in the repository, or link to a file inside it")


def _adr_dir(root: Path, files: Mapping[str, bytes] | None) -> tuple[tuple[str, ...], Diagnostic | None]:
    """adr-tools keeps its folder name in ``.adr-dir`` (relative to the folder of that file): its ADR glob, or a
    warning when it names a folder outside the repository — an absolute path (``/etc`` is no folder of the
    repository, never its ``etc/``) or one above it (``../..``): no ADR is read from there, and saying nothing would
    leave the ADRs the user keeps there silently unsynced."""
    import posixpath

    marker = root / ".adr-dir"
    if files is not None:
        data = files.get(marker.name)
        if data is None:
            return (), None
    elif not _present(root, marker.name):
        return (), None
    else:
        try:
            data = marker.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{marker}: cannot read ({exc.strerror}); make it readable, or remove it") from None
    text = _adr_dir_text(marker, data)
    written = text.strip()
    folder = posixpath.normpath(written) if written else ""
    if written.startswith("/") or folder == ".." or folder.startswith("../"):
        message = (f"names {written!r}, a folder outside the project, so no ADR is read from it; name a folder "
                   "below the one .adr-dir is in (e.g. docs/adr), or set adr_paths")
        return (), Diagnostic(marker.name, 1, 0, message, "warning")
    folder = folder.strip("/")
    return ((f"{folder}/**/*.md",) if folder and folder != "." else ()), None


def _adr_dir_text(marker: Path, data: bytes) -> str:
    """The text of ``.adr-dir`` (its bytes ``data``): UTF-8, a BOM no part of the name (an editor's). Bytes that are
    not UTF-8 (a UTF-16 file, as Windows PowerShell's ``echo docs\\adr > .adr-dir`` writes) or a control character
    (a NUL, a second line) are a ``ConfigError`` at their line: read as they were, they named a folder that holds
    nothing, and a sync soft-deleted every ADR of the real one (a NUL then failed git's command line too)."""
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        from tracertm.parsers.common import byte_position  # (only on this error: the hook path loads no parser)

        line, column = byte_position(data, bom, bom + exc.start)
        raise ConfigError(f"{marker}:{line}:{column}: invalid UTF-8 at byte offset {bom + exc.start}; save the file "
                          "as UTF-8, holding the ADR folder's name alone (e.g. docs/adr)") from None
    stripped = text.strip()
    found = control_characters(stripped)
    if found:
        at = text.index(stripped) + next(i for i, c in enumerate(stripped) if control_characters(c))
        raise ConfigError(f"{marker}:{text.count(chr(10), 0, at) + 1}: {stripped!r} holds a control character "
                          f"({found}); write the ADR folder's name alone on one line (e.g. docs/adr)")
    return text


# What a right value looks like, for the error about a wrong one.
_EXAMPLES = {
    "project": 'project = "acme/payments"',
    "database_url": 'database_url = "sqlite:///specs.db"',
    "adr_paths": 'adr_paths = ["docs/adr/*.md"]',
    "contract_paths": 'contract_paths = ["contracts/**/*.yaml"]',
    "feature_paths": 'feature_paths = ["features/**/*.feature"]',
    "step_paths": 'step_paths = ["features/steps/**/*.py"]',
    "exclude": 'exclude = ["docs/adr/drafts/**"]',
    "step_checks": 'step_checks = { unused = "off" }',
    "max_file_size": "max_file_size = 4194304",
    "lock_timeout": "lock_timeout = 60",
    "requirement_pattern": "requirement_pattern = '\\bREQ-\\d+\\b'",
    "feature_id_pattern": "feature_id_pattern = 'FEAT-\\d+'",
    "scenario_id_pattern": "scenario_id_pattern = 'SC-\\d+'",
    "date_format": 'date_format = "DD/MM/YYYY"',
    "results_window": "results_window = 20",
    "behave_strip_trailing_colon": "behave_strip_trailing_colon = true",
    "gherkin_language_fallback": "gherkin_language_fallback = true",
}
MAX_FILE_SIZE_LIMIT = 2**40  # 1 TiB: the size check reads a file whole once it passes
# Runs a pass_rate may cover, at most: results_window and ``results import --window`` alike (a larger number is no
# window anyway, and past 2**63 - 1 the database could not even hold it as a query's LIMIT).
MAX_RESULTS_WINDOW = 1_000_000
# The longest project name: the API's ``?project=`` takes no longer one (``api.deps.ProjectParam``), so a project of
# a longer name could be synced, listed and browsed, yet neither searched, nor its records and history read by id.
MAX_PROJECT_NAME = 255


def control_characters(text: str) -> str:
    """The control characters of ``text``, escaped (``\\n, \\x1b``); empty when it has none. Bidirectional
    overrides count: they make a name read as another one."""
    found = dict.fromkeys(c for c in text if unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS)
    return ", ".join(repr(c)[1:-1] if c.isascii() else f"U+{ord(c):04X}" for c in found)


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _check_value(key: str, value: Any) -> str | None:
    """What is wrong with a value of the wrong type or range (None: nothing), with a right value; the caller says
    where."""
    example = _EXAMPLES.get(key, "")
    expected = _KEYS[key]
    if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        # (int keeps the "must be a int" wording that scripts and tests already match on.)
        names: dict[Any, str] = {list: "list", str: "string", dict: "table", int: "int (a whole number)",
                                 bool: "boolean (true or false)"}
        wanted = "list of globs" if key.endswith("_paths") or key == "exclude" else names.get(expected, "number")
        return f"{key} must be a {wanted}, e.g. {example}"
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        return f"{key} must be a list of strings, e.g. {example}"
    if isinstance(value, list) and (key.endswith("_paths") or key == "exclude"):
        # No path holds a NUL, and git's command line cannot carry one: the glob's folder, passed to git, failed
        # it as an internal error after the sync had soft-deleted every record the glob was meant to find.
        nul = next((glob for glob in value if "\x00" in glob), None)
        if nul is not None:
            return (f"{key}: the glob {toml_string(nul)} holds a NUL character, which no path can; remove it, "
                    f"e.g. {example}")
        slow = next((glob for glob in value if _glob_backtracking(glob) > 1), None)
        if slow is not None:
            return (f"{key}: the glob {toml_string(slow)} has more than one '**' followed by a '*' in the same "
                    "folder name (or by another '**/' with no '/' before it): matching it may have to try each way "
                    "of sharing a long path between them (a hook that never ends); write one such '**', "
                    f"e.g. {example}")
    if isinstance(value, str) and key in ("project", "database_url") and not value.strip():
        return f"{key} is empty; set it, e.g. {example}, or remove the line"
    if key == "project" and isinstance(value, str) and control_characters(value):
        return f"project = {value!r} holds a control character ({control_characters(value)}); e.g. {example}"
    if key == "project" and isinstance(value, str) and len(value) > MAX_PROJECT_NAME:
        return (f"project = {value[:40]!r}… is {len(value)} characters long; a project name has at most "
                f"{MAX_PROJECT_NAME}, e.g. {example}")
    if key == "max_file_size" and isinstance(value, int) and not 1 <= value <= MAX_FILE_SIZE_LIMIT:
        return (f"max_file_size = {value}: must be 1 to {MAX_FILE_SIZE_LIMIT} bytes, e.g. {example} (4 MiB, the "
                "default)")
    if key == "results_window" and isinstance(value, int) and not 1 <= value <= MAX_RESULTS_WINDOW:
        return (f"results_window must be 1 to {MAX_RESULTS_WINDOW} (the runs a scenario's pass_rate covers), not "
                f"{value}, e.g. {example}")
    if key.endswith("_pattern") and isinstance(value, str):
        try:
            compiled = re.compile(value)
        except re.error as exc:
            return f"{key} is not a valid regular expression ({exc}); e.g. {example}"
        except (OverflowError, RecursionError, ValueError, MemoryError) as exc:
            # Valid syntax ``re`` still cannot build: a repeat count past its limit (a{4294967296}), groups nested
            # past the interpreter's recursion limit.
            reason = "groups nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            return f"{key} cannot be compiled ({reason}); e.g. {example}"
        # A pattern that matches "" ('', 'x*') finds an "id" at every position of every text: every tag would be
        # an id, every text a requirement reference. Never meant; say so instead of re-identifying every record.
        written = f"{key} = {toml_string(value)}"
        if compiled.fullmatch(""):
            return f"{written} matches the empty string; give a pattern an id must match, e.g. {example}"
        if _backtracks(value):
            return (f"{written} repeats a group that can match the same text in more than one way, such as "
                    "(\\d+)+ or (a|aa)+: some texts take it exponential time (a hook that never ends); write it so "
                    f"each character can match one way only, e.g. {example}")
        row = repeats_in_a_row(value)
        if row > IN_A_ROW:
            return (f"{written} has {row} repeats in a row that can take the same characters, such as "
                    f"\\d*\\d*: a long run of them takes it time to the power {row} (a hook that never ends); "
                    f"let at most {IN_A_ROW} share a run, e.g. {example}")
    return None


def pattern_problem(key: str, value: Any) -> str | None:
    """What is wrong with ``value`` as the id pattern ``key`` (``scenario_id_pattern``...), None when nothing: the
    configuration's own checks, for a pattern given another way (the Python API's ``import_results(id_pattern=)``)."""
    return _check_value(key, value)


def check_url(url: str, source: str) -> None:
    """Refuse what a database URL may hold but tracertm cannot honour: pysqlite ignores a query string
    (``sqlite:///x.db?mode=ro``) with a 3-line SAWarning and opens, or creates, the file read-write."""
    if not url.strip():
        raise ConfigError(f"{source}: empty database URL; give sqlite:///PATH or postgresql+psycopg://..., or "
                          "leave it out for the default database")
    if "\x00" in url or "%00" in url:  # (``db.parse_url`` refuses it too, once decoded: the Python API's URLs)
        from tracertm.db.urls import nul_refusal

        raise nul_refusal(source)
    if url.split(":", 1)[0].strip().lower() in ("sqlite", "sqlite+pysqlite") and "?" in url:
        raise ConfigError(f"{source}: {url!r}: SQLite URLs take no query string ({url[url.index('?'):]}); use "
                          "sqlite:///PATH")


def _database_url(url: str, source: Path, where: str) -> str:
    """``database_url`` as written in ``source`` (at ``where``): a relative SQLite path, a ``file:`` name too (SQLite
    opens it as a plain path, ``db.sqlite_file``), is relative to the folder of that file, not the current folder (a
    second database in a sub-folder), and ``~`` is the home folder as on the command line (``db.expand_home``).
    Scheme and driver are checked here, as ``db.parse_url`` checks them, to report a wrong one at this file and line;
    as plain text: the hook path reads the configuration and must not import SQLAlchemy."""
    named = f"{where}: database_url"
    check_url(url, named)
    fix = 'use sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB, e.g. database_url = "sqlite:///specs.db"'
    written, has_slashes, _ = url.partition("://")
    if not has_slashes or not re.fullmatch(r"[\w+]+", written):  # what SQLAlchemy's make_url cannot parse
        raise ConfigError(f"{named}: not a database URL (scheme "
                          f"{url.split(':', 1)[0] if ':' in url else '<none>'!r}); {fix}")
    backend, _, driver = written.partition("+")
    drivers = {"sqlite": ("", "pysqlite"), "postgresql": ("", "psycopg", "psycopg2"),
               "postgres": ("", "psycopg", "psycopg2")}.get(backend)
    if drivers is None:
        raise ConfigError(f"{named}: unsupported database scheme {written!r}; {fix}")
    if driver not in drivers:
        raise ConfigError(f"{named}: driver {driver!r} is not supported; {fix}")
    if backend == "sqlite" and _sqlite_in_memory(url):
        # Here, not where the URL is opened: that names no file or line, ``check`` never opens it, and the watch
        # daemon took it for a failed sync instead of an invalid configuration.
        raise ConfigError(f"{named}: {url} is an in-memory SQLite database, gone when the command ends; use "
                          "sqlite:///PATH (or leave it out for the default database)")
    from tracertm.db.urls import expand_home

    scheme, sep, rest = expand_home(url).partition(":///")
    if not sep or scheme.lower() not in ("sqlite", "sqlite+pysqlite"):
        return url
    return f"{scheme}:///{source.parent / rest}"  # (an absolute path stays as it is)


def _sqlite_in_memory(url: str) -> bool:
    """Whether a SQLite URL names an in-memory database, as ``db.urls._in_memory`` tells from the parsed URL
    (``sqlite://``, ``sqlite:///``, ``sqlite:///:memory:``, a ``file::memory:`` name, ``mode=memory``), from the text:
    the hook path reads the configuration without SQLAlchemy."""
    path, _, query = url.partition("://")[2].partition("?")
    database = path.partition("/")[2]  # (after the host part, empty in sqlite:///PATH)
    return (database in ("", ":memory:") or database.startswith("file::memory:") or "mode=memory" in database
            or "mode=memory" in query)


def load_settings(root: Path, *, files: Mapping[str, bytes] | None = None, **overrides: Any) -> Settings:
    """Read the configuration of the repository at ``root``; ``overrides`` (non-None) win over the file.

    ``files``: the configuration files (``.tracertm.toml``, ``pyproject.toml``, ``.adr-dir``: name → bytes) as
    they are somewhere else than in ``root`` — in the index (``check --staged``) or at a commit (``backfill``); a
    file it does not name does not exist. Errors still name ``root``'s file and the line in the given bytes.
    Without ``files``, a configuration file a sparse checkout keeps off disk is read from the index
    (``_off_disk``)."""
    if files is None:
        files = _off_disk(root)
    table, source, text = _find_table(root, files)

    def at(*key: str) -> str:
        """The file, with the line that sets ``key`` when it is known."""
        return key_where(source, text, *key)

    for key, value in table.items():
        if key not in _KEYS:
            raise ConfigError(f"{at(key)}: unknown key {key!r} in tracertm settings; known keys: {', '.join(_KEYS)}")
        problem = _check_value(key, value)
        if problem is not None:
            raise ConfigError(f"{at(key)}: {problem}")

    paths = dict(DEFAULT_PATHS)
    adr_dir, adr_dir_warning = _adr_dir(root, files)
    paths["adr"] = paths["adr"] + adr_dir
    if "adr_paths" in table:
        adr_dir_warning = None  # the configured globs replace the .adr-dir folder: it is not read at all
    for kind in FILE_KINDS:
        if f"{kind}_paths" in table:
            paths[kind] = tuple(table[f"{kind}_paths"])
    if "step_paths" in table:
        paths["step_definition"] = tuple(table["step_paths"])
    step_checks = table.get("step_checks", {})
    for rule, severity in step_checks.items():
        if rule not in ("undefined", "ambiguous", "unused") or severity not in ("error", "warning", "off"):
            raise ConfigError(
                f"{at('step_checks', rule)}: step_checks.{rule} = {severity!r}: rules are undefined, ambiguous, "
                "unused and severities error, warning, off"
            )
    # A feature's derived id is its path below the fixed prefix of the glob that found it (doc/features/ → x).
    roots = tuple(dict.fromkeys(literal_prefix(p) for p in paths["feature"]))
    parser_kwargs: dict[str, Any] = {"feature_roots": roots}
    if "date_format" in table:
        from tracertm.parsers.adr.dates import DATE_FORMATS  # only when set: the hook path loads no parser

        if table["date_format"].upper() not in DATE_FORMATS:
            raise ConfigError(f"{at('date_format')}: date_format must be one of {', '.join(map(repr, DATE_FORMATS))}")
        parser_kwargs["date_format"] = table["date_format"].upper()
    for key in ("max_file_size", "requirement_pattern", "feature_id_pattern", "scenario_id_pattern"):
        if key in table:
            parser_kwargs[key] = table[key]  # checked by _check_value
    # (each only when set: every other project's options, and so their digest, stay as they were)
    extra = {key: True for key in (BEHAVE_STRIP_COLON, GHERKIN_LANGUAGE_FALLBACK) if table.get(key)}
    if extra:
        parser_kwargs["extra"] = extra
    lock_timeout = float(table.get("lock_timeout", DEFAULT_LOCK_TIMEOUT_S))
    if not 0 <= lock_timeout <= MAX_LOCK_TIMEOUT_S:
        raise ConfigError(f"{at('lock_timeout')}: lock_timeout must be between 0 and {MAX_LOCK_TIMEOUT_S} "
                          f"seconds, not {lock_timeout:g}")
    settings = Settings(
        root=root,
        lock_timeout=lock_timeout,
        project=table.get("project"),
        database_url=(_database_url(table["database_url"], source, at("database_url"))
                      if source and "database_url" in table else None),
        paths=paths,
        exclude=DEFAULT_EXCLUDE + tuple(table.get("exclude", ())),
        parser=ParserOptions(**parser_kwargs),
        source=source,
        source_text=text if source is not None else None,
        configured=frozenset(p for kind in ("adr", "contract", "feature") for p in table.get(f"{kind}_paths", ())),
        step_checks=dict(step_checks),
        results_window=table.get("results_window"),
        adr_dir_warning=adr_dir_warning,
        unread_table_warning=_unread_table(root, files) if source is not None and source.name == ".tracertm.toml"
        else None,
    )
    clean = {k: v for k, v in overrides.items() if v is not None}
    if clean:
        from dataclasses import replace

        settings = replace(settings, **clean)
    return settings
