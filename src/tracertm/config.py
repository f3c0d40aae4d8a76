"""Repository configuration: ``.tracertm.toml`` (top-level keys) or ``[tool.tracertm]`` in ``pyproject.toml``.

Everything has a default (docs/formats.md), so most repositories need no configuration at all.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tracertm.errors import ConfigError, Diagnostic
from tracertm.parsers.adr.dates import DATE_FORMATS
from tracertm.parsers.records import FILE_KINDS, FileKind, ParserOptions

# Step definition files (README, "Step definitions"): behave, pytest-bdd, cucumber-js / playwright-bdd, cucumber-jvm,
# godog, cucumber-ruby, Reqnroll/SpecFlow. Python files outside features/steps count only when they import pytest_bdd.
DEFAULT_STEP_PATHS: tuple[str, ...] = (
    "features/steps/**/*.py",
    "tests/**/*.py",
    "**/conftest.py",
    "features/step_definitions/**/*.js",
    "features/step_definitions/**/*.mjs",
    "features/step_definitions/**/*.cjs",
    "features/step_definitions/**/*.ts",
    "**/*.steps.js",
    "**/*.steps.ts",
    "src/test/**/*.java",
    "src/test/**/*.kt",
    "**/*_test.go",
    "features/step_definitions/**/*.rb",
    "**/*Steps.cs",
    "**/StepDefinitions/**/*.cs",
)
# Never step files: installed packages and virtual environments.
STEP_EXCLUDE: tuple[str, ...] = ("**/node_modules/**", "**/.venv/**", "**/venv/**", "**/site-packages/**")
DEFAULT_PATHS: dict[FileKind, tuple[str, ...]] = {
    "adr": ("docs/adr/**/*.md", "doc/adr/**/*.md", "docs/decisions/**/*.md"),
    "contract": ("contracts/**/*.yaml", "contracts/**/*.yml"),
    "feature": ("features/**/*.feature",),
    "step_definition": DEFAULT_STEP_PATHS,
}
# Files that live beside ADRs but are not ADRs (adr-tools, Log4brains and MADR ship these).
DEFAULT_LOCK_TIMEOUT_S = 60.0
DEFAULT_EXCLUDE = (
    "**/README.md", "**/readme.md", "**/index.md", "**/template.md", "**/adr-template.md", "**/_*.md",
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
}
# Files the configuration is read from (the first one present wins), as named in findings about it.
CONFIG_FILES = (".tracertm.toml", "pyproject.toml")


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile a repository glob (``*`` within a folder, ``**/`` any folders, ``?``) to a full-match regex."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def literal_prefix(pattern: str) -> str:
    """The folder part of a glob before its first wildcard: where a scan has to look (``docs/adr/``)."""
    head = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
    return head[: head.rfind("/") + 1]


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
    # Globs written in the configuration (not defaults): never filtered by DEFAULT_EXCLUDE, and warned about when
    # they match nothing (a folder-per-ADR layout names its README.md/index.md files on purpose).
    configured: frozenset[str] = frozenset()
    # Seconds a writer waits for another writer of the same project (of the same SQLite file) before giving up.
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S
    # check's step rules → severity: {"undefined"|"ambiguous"|"unused": "error"|"warning"|"off"} (default warning)
    step_checks: Mapping[str, str] = field(default_factory=dict)
    results_window: int | None = None  # runs that a scenario's pass_rate covers (tracertm.results; default 20)

    @cached_property
    def _matchers(self) -> list[tuple[FileKind, re.Pattern[str], bool]]:
        return [
            (kind, glob_to_regex(p), p in self.configured) for kind, patterns in self.paths.items() for p in patterns
        ]

    @cached_property
    def _excluded(self) -> list[tuple[re.Pattern[str], bool]]:
        """(pattern, is a default exclude) for every exclude."""
        return [(glob_to_regex(p), p in DEFAULT_EXCLUDE) for p in self.exclude]

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

    def kind_of(self, path: str) -> FileKind | None:
        """The spec kind of a repository-relative POSIX path, or None when it is not a spec file."""
        excluded = [default for rx, default in self._excluded if rx.fullmatch(path)]
        if excluded and not all(excluded):
            return None  # the user's own exclude wins over everything
        for kind, rx, configured in self._matchers:
            if rx.fullmatch(path) and (configured or not excluded):
                return kind
        return None

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
        where, line = (self.source.name if self.source is not None else CONFIG_FILES[0]), 0
        if self.source is not None:
            try:
                text = self.source.read_text("utf-8", errors="replace").split("\n")
                line = next((n for n, t in enumerate(text, 1) if f'"{pattern}"' in t or f"'{pattern}'" in t), 0)
            except OSError:
                pass
        message = f"{key} matched nothing: no file matches {pattern!r}; fix the glob or remove it"
        return Diagnostic(where, line, 0, message, "warning")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc}); fix the file or remove it") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def _find_table(root: Path) -> tuple[dict[str, Any], Path | None]:
    dot = root / ".tracertm.toml"
    if dot.is_file():
        return _read_toml(dot), dot
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        table = _read_toml(pyproject).get("tool", {}).get("tracertm")
        if table is not None:
            if not isinstance(table, dict):
                raise ConfigError(f"{pyproject}: [tool.tracertm] must be a table")
            return table, pyproject
    return {}, None


def _adr_dir(root: Path) -> tuple[str, ...]:
    """adr-tools keeps its folder name in ``.adr-dir``."""
    marker = root / ".adr-dir"
    if not marker.is_file():
        return ()
    folder = marker.read_text(encoding="utf-8", errors="replace").strip().strip("/")
    return (f"{folder}/**/*.md",) if folder and ".." not in folder.split("/") else ()


def load_settings(root: Path, **overrides: Any) -> Settings:
    """Read the configuration of the repository at ``root``; ``overrides`` (non-None) win over the file."""
    table, source = _find_table(root)
    where = str(source) if source else "configuration"
    for key, value in table.items():
        expected = _KEYS.get(key)
        if expected is None:
            raise ConfigError(f"{where}: unknown key {key!r} in tracertm settings; known keys: {', '.join(_KEYS)}")
        if not isinstance(value, expected) or isinstance(value, bool):
            wanted = "number" if isinstance(expected, tuple) else expected.__name__
            raise ConfigError(f"{where}: {key} must be a {wanted}")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of strings")
    paths = dict(DEFAULT_PATHS)
    paths["adr"] = paths["adr"] + _adr_dir(root)
    for kind in FILE_KINDS:
        if f"{kind}_paths" in table:
            paths[kind] = tuple(table[f"{kind}_paths"])
    if "step_paths" in table:
        paths["step_definition"] = tuple(table["step_paths"])
    step_checks = table.get("step_checks", {})
    for rule, severity in step_checks.items():
        if rule not in ("undefined", "ambiguous", "unused") or severity not in ("error", "warning", "off"):
            raise ConfigError(
                f"{where}: step_checks.{rule} = {severity!r}: rules are undefined, ambiguous, unused and "
                "severities error, warning, off"
            )
    # A feature's derived id is its path below the fixed prefix of the glob that found it (doc/features/ → x).
    roots = tuple(dict.fromkeys(literal_prefix(p) for p in paths["feature"]))
    parser_kwargs: dict[str, Any] = {"feature_roots": roots}
    if "date_format" in table:
        if table["date_format"].upper() not in DATE_FORMATS:
            raise ConfigError(f"{where}: date_format must be one of {', '.join(map(repr, DATE_FORMATS))}")
        parser_kwargs["date_format"] = table["date_format"].upper()
    for key in ("max_file_size", "requirement_pattern", "feature_id_pattern", "scenario_id_pattern"):
        if key in table:
            if key.endswith("_pattern"):
                try:
                    re.compile(table[key])
                except re.error as exc:
                    raise ConfigError(f"{where}: {key} is not a valid regular expression ({exc})") from None
            parser_kwargs[key] = table[key]
    lock_timeout = float(table.get("lock_timeout", DEFAULT_LOCK_TIMEOUT_S))
    if not 0 <= lock_timeout <= 86400:
        raise ConfigError(f"{where}: lock_timeout must be between 0 and 86400 seconds, not {lock_timeout:g}")
    settings = Settings(
        root=root,
        lock_timeout=lock_timeout,
        project=table.get("project"),
        database_url=table.get("database_url"),
        paths=paths,
        exclude=DEFAULT_EXCLUDE + tuple(table.get("exclude", ())),
        parser=ParserOptions(**parser_kwargs),
        source=source,
        configured=frozenset(p for kind in ("adr", "contract", "feature") for p in table.get(f"{kind}_paths", ())),
        step_checks=dict(step_checks),
        results_window=table.get("results_window"),
    )
    clean = {k: v for k, v in overrides.items() if v is not None}
    if clean:
        from dataclasses import replace

        settings = replace(settings, **clean)
    return settings
