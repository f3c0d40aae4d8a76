"""YAML front matter of an ADR (MADR 3/4, Docusaurus): split off the Markdown, loaded safely, every key's line kept.

The block must open on line 1 with ``---`` and close with another ``---`` line (three or more dashes, trailing
spaces allowed) or YAML's document end ``...``. It is loaded with a *safe* loader after ``parsers._yaml.check_limits``
vetted its events (the same alias, depth and expansion limits as contracts), so any YAML problem is a
``ParseError`` with a file line.

python-frontmatter is not used: its ``parse`` strips the text (shifting every line number), treats an unclosed
block as "no front matter" (silently), and its handlers get no path or line to report errors against.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from tracertm.errors import Diagnostic, ParseError
from tracertm.parsers import _yaml
from tracertm.parsers._yaml import Places, check_limits, error_position, tab_hint, tag_problem, unstorable
from tracertm.parsers.adr.dialects import MAPPED_FM_KEYS
from tracertm.parsers.records import ParserOptions

# A delimiter line: three or more dashes, trailing white space allowed (what Jekyll, Hugo and MADR write).
_BOUNDARY = re.compile(r"-{3,}\s*")
# The block may also close with YAML's document end marker, as Jekyll (MADR's own site) and Pandoc accept.
_END = re.compile(r"(?:-{3,}|\.{3})\s*")


class _FrontMatterLoader(_yaml.LOADER):  # type: ignore[misc]
    """A safe loader whose timestamps never raise: ``date: 2020-02-30`` stays a string (reported as a warning)."""


def _lenient_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


# An integer as YAML 1.2 and every reader of an ADR writes it: optional sign, decimal digits, no leading zero.
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")


def _written_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    """YAML 1.1 reads ``0010`` as octal 8, ``0x1A`` as 26 and ``1:20`` as 80: ``id: 0010`` was ADR-0008 and
    ``supersedes: 0012`` ADR-0010, silently. An integer not written in plain decimal is kept as written (as a
    contract's texts are, and as the hook's rough sketch reads an ``id:``): ``0010`` is ADR-0010."""
    if _DECIMAL.fullmatch(node.value):
        return yaml.SafeLoader.construct_yaml_int(loader, node)
    return loader.construct_scalar(node)


# The booleans of YAML 1.2 (and of every reader of an ADR): YAML 1.1's others (yes, no, on, off) are words.
_BOOLEAN = frozenset({"true", "True", "TRUE", "false", "False", "FALSE"})


def _written_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    """YAML 1.1 reads ``yes``/``no``/``on``/``off`` as booleans: ``tags: [NO, on-call]`` was the tag "False" and
    ``consulted: no`` the stakeholder "False". They are kept as written (as YAML 1.2, Docusaurus and Log4brains
    read them); ``true`` and ``false`` are booleans."""
    if node.value in _BOOLEAN:
        return yaml.SafeLoader.construct_yaml_bool(loader, node)
    return loader.construct_scalar(node)


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _lenient_timestamp)
_FrontMatterLoader.add_constructor("tag:yaml.org,2002:int", _written_int)
_FrontMatterLoader.add_constructor("tag:yaml.org,2002:bool", _written_bool)


@dataclass(frozen=True)
class FrontMatter:
    """The loaded front matter: values by (string) key, the 1-based file line of each key, and the (line, column)
    of each value: of each item of a list (``supersedes: [1, 2]`` or a block list), else of the value itself."""

    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    places: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    raw: str = ""
    present: bool = False

    def key(self, *names: str) -> str | None:
        """The first present key with a non-null value among ``names`` (matched after ``fm_key`` normalisation)."""
        for key, value in self.values.items():
            if fm_key(key) in names and value is not None:
                return key
        return None

    def get(self, *names: str) -> tuple[Any, int] | None:
        """The value and line of ``key(*names)``."""
        key = self.key(*names)
        return None if key is None else (self.values[key], self.lines.get(key, 1))


def fm_key(key: str) -> str:
    """A key or label for matching: lower-case words joined by ``-`` (``Decision_Makers`` → ``decision-makers``)."""
    return "-".join(key.strip().casefold().replace("_", " ").replace("-", " ").split())


def split_front_matter(path: str, lines: Sequence[str]) -> tuple[str | None, int]:
    """Return (YAML text or None, index of the first body line). The opening ``---`` must be line 1; a ``---`` or
    ``...`` line closes the block."""
    if not lines or not _BOUNDARY.fullmatch(lines[0]):
        return None, 0
    for index in range(1, len(lines)):
        if _END.fullmatch(lines[index]):
            return "\n".join(lines[1:index]), index + 1
    raise ParseError(path, 1, 1, "front matter opened by '---' on line 1 is never closed; add a closing '---' line")


def _yaml_error(path: str, exc: yaml.YAMLError, fm_text: str) -> ParseError:
    """A PyYAML error as a ParseError pointing into the file (front matter starts on line 2)."""
    line, column = error_position(fm_text, exc, line_offset=1)
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    hint = tab_hint(fm_text, line, column, line_offset=1)
    return ParseError(
        path, line, column, f"malformed YAML front matter: {problem}{hint}; fix the block between '---' lines"
    )


def load_front_matter(path: str, fm_text: str, options: ParserOptions, warnings: list[Diagnostic]) -> FrontMatter:
    """Safely load the front matter block into a mapping, or raise ``ParseError`` with a file line."""
    try:
        check_limits(path, fm_text, options, line_offset=1, what="YAML front matter")
        loader = _FrontMatterLoader(fm_text)
        try:
            root = loader.get_single_node()
            if root is None:
                return FrontMatter(raw=fm_text, present=True)
            places = Places(fm_text, 1)  # the front matter starts on the file's line 2
            if not isinstance(root, yaml.MappingNode):
                kind = "list" if isinstance(root, yaml.SequenceNode) else "single value"
                line, column = places.of(root.start_mark)
                message = f"front matter must be a mapping of keys to values, not a {kind}"
                raise ParseError(path, line, column, message)
            # A tag the safe loader refuses on the block itself (``!!python/object:x`` above its keys) is an error
            # too: only the keys and values are constructed below, and they refuse their own.
            problem = tag_problem(root)
            if problem is not None:
                line, column = places.of(root.start_mark)
                raise ParseError(path, line, column, f"malformed YAML front matter: {problem}")
            # Text no database stores (a NUL or a lone surrogate from an escape), and integers too long to be
            # numbers: errors at their lines, before anything is built (only a file with such an escape, or long
            # enough to hold such a number, is walked).
            problems = unstorable(fm_text, [root], line_offset=1, ints=True)
            if problems:
                diagnostics = [Diagnostic(path, line, column, message) for line, column, message in problems]
                raise ParseError.from_diagnostics(diagnostics)
            loader.flatten_mapping(root)  # resolves `<<: *base` merge keys
            fm = FrontMatter(raw=fm_text, present=True)
            spelled: dict[str, str] = {}  # a key this parser reads, normalised → as written last
            for key_node, value_node in root.value:
                line, column = places.of(key_node.start_mark)
                try:
                    key = json_value(loader.construct_object(key_node, deep=True))
                    value = loader.construct_object(value_node, deep=True)
                except (ValueError, TypeError, OverflowError) as exc:
                    raise ParseError(path, line, column, f"bad front matter value: {exc}") from None
                name = key if isinstance(key, str) else str(key)
                repeated = _make_room(fm, spelled, name)
                if repeated is not None:
                    warnings.append(Diagnostic(path, line, column, repeated, "warning"))
                fm.values[name] = value
                fm.lines[name] = line
                items = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                fm.places[name] = tuple(places.of(item.start_mark) for item in items)
            return fm
        finally:
            loader.dispose()
    except ParseError:
        raise
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc, fm_text) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        message = f"malformed YAML front matter: {exc}; fix the block between '---' lines"
        raise ParseError(path, 2, 0, message) from None


def _make_room(fm: FrontMatter, spelled: dict[str, str], name: str) -> str | None:
    """Make room in ``fm`` for the key ``name`` about to be added; the warning when it repeats a key, else None.

    A key this parser reads is read case and ``_``/``-`` aside (``fm_key``): ``Status`` after ``status`` is that
    key written twice, and the last one wins, as it does for an exact repeat (``FrontMatter.get`` kept the first,
    in silence). ``spelled``: each such key, normalised, as last written. Other keys are kept as written, all."""
    normal = fm_key(name)
    earlier = spelled.get(normal) if normal in MAPPED_FM_KEYS else None
    if normal in MAPPED_FM_KEYS:
        spelled[normal] = name
    if earlier is not None and earlier != name:
        del fm.values[earlier], fm.lines[earlier], fm.places[earlier]
        return (f"front matter key {name!r} is {earlier!r} repeated (keys are read whatever their case, '_' or '-');"
                " the last one wins")
    if name in fm.values:
        return f"front matter key {name!r} is repeated; the last one wins"
    return None


def json_value(value: Any) -> Any:
    """A front matter value made JSON-safe (dates as ISO text, sets as sorted lists, bytes as base64)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            json_key = json_value(key)
            out[json_key if isinstance(json_key, str) else str(json_key)] = json_value(item)
        return out
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((json_value(item) for item in value), key=repr)
    return str(value)

