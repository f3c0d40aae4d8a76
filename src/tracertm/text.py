"""Whether a string is text every database and UTF-8 reader holds; a file's lines and character columns as its
reader sees them."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable

__all__ = [
    "ByteColumns", "char_column", "file_lines", "is_text", "name_form", "other_forms", "place", "quoted_command",
    "refuse_unnamable", "typed_arguments", "unnamable_file", "visible_form",
]

_LINE_END = re.compile(r"\r\n?|\n")


def name_form(name: str) -> str:
    """``name`` in Unicode normalization form C, the one form a project name is stored, looked up and locked under.
    A folder on macOS (and what some editors and archives write) is named in decomposed form (NFD: ``e`` and a
    combining accent), which prints exactly as the precomposed ``é`` a user types: two spellings of one name must be
    one project, reached by either."""
    if name.isascii():
        return name
    import unicodedata  # (a C module, imported once: the hook path stays light)

    return unicodedata.normalize("NFC", name)


def quoted_command(command: str) -> str:
    """A command a message suggests (``shlex``-quoted words), set off from the sentence: in single quotes, or in
    double quotes when it holds a quoted word of its own (``tracertm backfill svc --project 'team svc'``: its quotes
    would end single ones, and the line pasted as read would not run), bare when it holds both kinds."""
    if "'" not in command:
        return f"'{command}'"
    return f'"{command}"' if '"' not in command else command


def visible_form(text: str) -> str:
    """``text`` as an error prints a name or id: as is, unless it is not in NFC (a decomposed file name, a project
    name a database kept so), which prints exactly as its NFC twin: then quoted with its non-ASCII characters
    escaped (``'cafe\\u0301'``), so that a list of names shows which is which."""
    return text if name_form(text) == text else ascii(text)


def other_forms(text: str) -> list[str]:
    """``text`` in the Unicode forms C and D other than its own (none for ASCII text): what a lookup of a name that
    a file system or an editor may have decomposed tries when the spelling given finds nothing."""
    if text.isascii():
        return []
    import unicodedata

    return [form for form in dict.fromkeys(unicodedata.normalize(f, text) for f in ("NFC", "NFD")) if form != text]


def is_text(value: str) -> bool:
    """Whether ``value`` encodes as UTF-8: no lone surrogate, which is what Python makes of bytes that are not UTF-8
    (a file name read with ``surrogateescape``, a command-line argument) and what JSON's ``"\\ud800"`` decodes to.
    Neither database stores one, and nothing could print it back."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unnamable_file(exc: UnicodeEncodeError) -> str | None:
    """The one line for a file name the locale's encoding cannot hold, or None when ``exc`` is no such error. git
    lists names as UTF-8, and Python hands a name to the operating system in the locale's encoding: under a Latin-1
    locale ``features/\u0444.feature`` cannot be named at all (its bytes on disk are UTF-8 still)."""
    import codecs

    names = _names_encoding()
    if names is None or codecs.lookup(exc.encoding).name != names or not isinstance(exc.object, str):
        return None
    return _cannot_name(names, exc.object)


def refuse_unnamable(root: str | os.PathLike[str], paths: Iterable[str]) -> None:
    """Raise ``UnnamableFileError`` for the first of ``paths`` (below ``root``, as git lists them: UTF-8, other bytes
    surrogate-escaped) that the locale's encoding cannot name. Under a UTF-8 locale, every one can (nothing is
    looked at). Otherwise a name it cannot encode (``\u0444`` under Latin-1) fails where it is opened, and one it
    encodes to other bytes than the name's own (``\u00e9`` is one byte in Latin-1, two on disk) opens no file: a
    sync took that for a file changed while it read the work tree (exit 75, however often it ran)."""
    names = _names_encoding()
    if names is None:
        return
    for path in paths:
        if not path.isascii() and not _nameable(path):
            from tracertm.errors import UnnamableFileError

            raise UnnamableFileError(_cannot_name(names, os.path.join(os.fspath(root), path)))


def _nameable(path: str) -> bool:
    """Whether the locale's encoding gives ``path`` (a name as git lists it) the bytes it has on disk."""
    try:
        return os.fsencode(path) == path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False


def _names_encoding() -> str | None:
    """The encoding Python names files in (the locale's) when it is not UTF-8: a C, POSIX or Latin-1 locale without
    Python's UTF-8 mode; None under UTF-8."""
    import codecs
    import sys

    names = codecs.lookup(sys.getfilesystemencoding()).name
    return None if names == "utf-8" else names


def _cannot_name(names: str, path: str) -> str:
    return (f"the locale's encoding ({names}) cannot name the file {path!r}; run tracertm under a UTF-8 locale, "
            "e.g. LC_ALL=C.UTF-8")


def typed_arguments(values: dict[str, object], keep: Iterable[str], name: Callable[[str], str] = str
                    ) -> dict[str, object]:
    """The command line's parsed ``values`` as the user typed them. Python decodes the arguments in the locale's
    encoding, keeping each byte it cannot decode as a lone surrogate: under ``LC_ALL=C`` (with ``PYTHONUTF8=0``)
    the UTF-8 bytes of ``caf\u00e9`` became four characters, two of them surrogates, and ``search`` found
    nothing. An argument with surrogates is read as UTF-8 here; one whose bytes are not UTF-8 is refused
    (``UsageError``). ``keep``: the values that name files (a ``PATH``, a report, an output file, a database URL),
    whose bytes are the name whatever the locale; ``name``: how the command line names a value (``--tag``).
    Returns the values changed."""
    changed: dict[str, object] = {}
    for dest, value in values.items():
        if dest in keep:
            continue
        if isinstance(value, str) and not is_text(value):
            changed[dest] = _typed(value, name(dest))
        elif isinstance(value, list) and not all(is_text(v) for v in value if isinstance(v, str)):
            changed[dest] = [_typed(v, name(dest)) if isinstance(v, str) else v for v in value]
    return changed


def _typed(value: str, name: str) -> str:
    raw = os.fsencode(value)  # (the bytes the shell passed: the surrogates give back the bytes they stand for)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        from tracertm.errors import UsageError

        # (under a UTF-8 locale the shell passed bytes of another encoding: the locale is not what to change)
        locale = "" if _names_encoding() is None else "run tracertm under a UTF-8 locale (e.g. LC_ALL=C.UTF-8) and "
        raise UsageError(f"{name}: the argument {raw!r} is not valid UTF-8 text; {locale}pass it as UTF-8") from None


def file_lines(text: str) -> list[str]:
    """The lines of a file's ``text`` as git, editors and tracertm's parsers number them: LF, CRLF and CR end a line,
    nothing else (``str.splitlines`` ends one at a form feed, \\x0b, \\x1c-\\x1e, NEL, U+2028 and U+2029 too, and its
    numbers then run ahead of the file's). As with ``splitlines``, a last line end starts no empty line."""
    lines = _LINE_END.split(text) if "\r" in text else text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def place(text: str, index: int) -> tuple[int, int]:
    """The 1-based (line, column) of ``text[index]`` as ``file_lines`` numbers the lines: LF, CRLF and CR end a line,
    a column counts characters. Python's ``json`` (``lineno``, ``colno``) and a count of LF alone number a text of CR
    line ends as one line, with columns past its end. The LF of a CRLF is placed where its CR is, ending its line."""
    if 0 < index < len(text) and text[index] == "\n" and text[index - 1] == "\r":
        index -= 1
    if "\r" not in text:  # (nearly every text: one scan fewer)
        return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)
    line = text.count("\n", 0, index) + text.count("\r", 0, index) - text.count("\r\n", 0, index) + 1
    return line, index - max(text.rfind("\n", 0, index), text.rfind("\r", 0, index))


def char_column(prefix: bytes) -> int:
    """The 1-based column, in characters, of what follows ``prefix``: the UTF-8 bytes of its line before it.
    tree-sitter and Python's ``ast`` count columns in bytes; editors and GitHub annotations count characters."""
    return (len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", "replace"))) + 1


class ByteColumns:
    """Character columns of a source whose parser counts a line's UTF-8 bytes (Python's ``ast``: ``col_offset``).
    A source all ASCII (nearly every one) costs one check; the others are split into lines on first use."""

    def __init__(self, source: str | bytes) -> None:
        self._source = source
        self._ascii = source.isascii()
        self._lines: list[str] | None = None

    def column(self, line: int, offset: int) -> int:
        """The 1-based character column of the 0-based byte ``offset`` on the 1-based ``line``."""
        if self._ascii or offset <= 0:
            return offset + 1
        if self._lines is None:
            source = self._source
            # (A UTF-8 BOM is no character of line 1 to Python's parser.)
            self._lines = file_lines(source if isinstance(source, str) else source.decode("utf-8-sig", "replace"))
        if not 0 < line <= len(self._lines):
            return offset + 1
        return char_column(self._lines[line - 1].encode("utf-8", "replace")[:offset])

    def of(self, node: object) -> int:
        """The column where a Python ``ast`` node starts (its ``lineno`` and ``col_offset``); 0 for one with no
        place."""
        offset = getattr(node, "col_offset", None)
        return 0 if offset is None else self.column(getattr(node, "lineno", 0), offset)
