"""A configuration file's TOML: read (UTF-8, parsed, every error one line at its ``path:line:col`` saying what to do)
and the line a key is set on (``tomllib`` gives values, not positions), for errors about a value."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tracertm.errors import ConfigError

__all__ = ["TOML_HEADER", "key_line", "key_where", "read_toml"]


def read_toml(path: Path, data: bytes | None = None) -> tuple[dict[str, Any], str]:
    """The table of the TOML file ``path`` and its text; ``data``: its bytes when they do not come from ``path``
    (the index's version of the file, or a commit's). Errors name ``path``."""
    import tomllib  # only when there is a file to read (a hook's start-up)

    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")  # TOML is UTF-8 (what tomllib.load decodes the whole file with, too)
    except UnicodeDecodeError as exc:
        from tracertm.parsers.common import byte_position  # (only on this error: the hook path loads no parser)

        line, column = byte_position(data, 0, exc.start)
        raise ConfigError(f"{path}:{line}:{column}: invalid UTF-8 at byte offset {exc.start}; save the file as UTF-8"
                          ) from None
    if text.startswith("\ufeff"):
        # An editor's byte order mark (Notepad): TOML allows none, and tomllib's "Invalid statement" at 1:1 points
        # at a line that looks right.
        raise ConfigError(f"{path}:1:1: invalid TOML (a byte order mark, U+FEFF, starts the file); save the file as "
                          "UTF-8 without a BOM")
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        conflict = re.search(r"^<{7}(?: |$)", text, re.MULTILINE)
        if conflict is not None and re.search(r"^>{7}(?: |$)", text[conflict.end():], re.MULTILINE):
            # A merge left its conflict in the file: say that, not which character TOML stumbled on.
            raise ConfigError(f"{path}:{text.count(chr(10), 0, conflict.start()) + 1}: unresolved merge conflict "
                              "(conflict markers); resolve it, then git add the file") from None
        # tomllib ends its message with "(at line L, column C)": lead with it, as every path:line finding does.
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", str(exc))
        where, reason = (str(path), str(exc)) if found is None else (
            f"{path}:{found[1]}:{found[2]}", str(exc)[: found.start()]
        )
        if str(exc).endswith(" (at end of document)"):
            reason = str(exc).removesuffix(" (at end of document)") + " at the end of the file"
            where = f"{path}:{len(data.split(bytes([10])))}"  # the last line
        raise ConfigError(f"{where}: invalid TOML ({reason}); fix the file or remove it") from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables by recursion: thousands of ``[`` exhaust the interpreter's
        # stack, and that is no TOMLDecodeError. Still the file's fault: reported at the line the nesting is deepest.
        raise ConfigError(f"{path}:{_deepest_line(text)}: invalid TOML (arrays or inline tables nested too deeply); "
                          "fix the file or remove it") from None


def _deepest_line(text: str) -> int:
    """The line where ``[``/``{`` nest deepest (strings and comments not told apart: for an error's line only)."""
    depth = deepest = 0
    line = found = 1
    for char in text:
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest, found = depth, line
        elif char in "]}":
            depth -= 1
        elif char == "\n":
            line += 1
    return found


# A TOML key, bare or quoted, and a dotted one (``a.b``, ``"a".'b'``): what a ``[table]`` header or a ``key =`` holds.
_TOML_KEY = r"""[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'"""
_TOML_DOTTED = rf"(?:{_TOML_KEY})(?:[ \t]*\.[ \t]*(?:{_TOML_KEY}))*"
TOML_HEADER = re.compile(rf"[ \t]*\[[ \t]*({_TOML_DOTTED})[ \t]*\]")
_TOML_ARRAY_HEADER = re.compile(rf"[ \t]*\[\[[ \t]*({_TOML_DOTTED})[ \t]*\]\]")
_TOML_ASSIGNMENT = re.compile(rf"[ \t]*({_TOML_DOTTED})[ \t]*=")


def _toml_path(dotted: str) -> tuple[str, ...]:
    return tuple(k[1:-1] if k[:1] in ("'", '"') else k for k in re.findall(_TOML_KEY, dotted))


def key_line(text: str, pyproject: bool, *key: str) -> int:
    """The line of the configuration ``text`` that sets ``key`` (tomllib gives values, not positions), or 0.

    ``key`` is a top-level key (``"adr_paths"``) or one of a table (``"step_checks", "unused"``); its line is the
    one that assigns it (``unused = ...``, or ``step_checks.unused = ...`` with a dotted key) or the header of its
    table (``[step_checks]``, ``[stepchecks]`` for an unknown key); a key inside an inline table
    (``step_checks = { unused = ... }``) is on the line of that table; an array of tables where a table belongs
    (``[[step_checks]]``), at the header of its first one. In pyproject.toml only what is under ``[tool.tracertm]``
    counts."""
    target = (("tool", "tracertm") if pyproject else ()) + key
    table: tuple[str, ...] | None = ()  # the table the lines are in (None: an array of tables, never a setting)
    inline = 0
    for number, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("["):
            header = TOML_HEADER.match(line)
            array = _TOML_ARRAY_HEADER.match(line) if header is None else None
            if array is not None and _toml_path(array[1])[: len(target)] == target:
                return number
            table = _toml_path(header[1]) if header is not None else None
            if table is not None and table[: len(target)] == target:
                return number
        elif table is not None and (assignment := _TOML_ASSIGNMENT.match(line)) is not None:
            full = table + _toml_path(assignment[1])
            if full[: len(target)] == target:
                return number
            if not inline and target[: len(full)] == full:
                inline = number  # an inline table holding the key (a dotted header or key may still follow)
    return inline


def key_where(source: Path | None, text: str, *key: str) -> str:
    """``FILE:LINE`` of a key, for an error about its value (``FILE`` alone when the line is not found)."""
    if source is None:
        return "configuration"
    line = key_line(text, source.name == "pyproject.toml", *key)
    return f"{source}:{line}" if line else str(source)


def toml_string(value: str) -> str:
    """A string as a TOML file writes it, so a message quotes a setting as the user wrote it: a literal string
    ('REQ-\\d+', no escapes; Python's repr would double each backslash, another pattern in TOML) unless it holds a
    quote or a control character, then a basic string with TOML's escapes."""
    if "'" not in value and not any(ord(c) < 0x20 and c != "\t" or ord(c) == 0x7F for c in value):
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c == "\t" or not (ord(c) < 0x20 or ord(c) == 0x7F) else f"\\u{ord(c):04X}"
                         for c in escaped) + '"'
