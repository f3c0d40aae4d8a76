"""A step file's bytes → its text, in the encoding its language's own tool reads it in.

- Python: as CPython imports it (``python_source``: a PEP 263 coding comment; a UTF-8 byte-order mark allows no
  other encoding).
- Ruby: as Ruby loads it (``ruby_source``: a magic comment on line 1, or 2 below ``#!``; a UTF-8 byte-order mark is
  skipped).
- C#: UTF-8, or UTF-16 (little- or big-endian) after its byte-order mark, as csc reads a source file (Roslyn's
  ``SourceText.TryReadByteOrderMark``: Visual Studio may save a file so). A UTF-32 mark is none to it.
- Kotlin: UTF-8, or UTF-16 or UTF-32 after its byte-order mark, as kotlinc reads a source file (IntelliJ's
  ``LoadTextUtil`` looks for each mark).
- JavaScript, TypeScript, Java, Go: UTF-8, a byte-order mark skipped (``decode_text``). Node, tsx and ts-node, Go
  and esbuild skip it; javac refuses it (``illegal character: '\\ufeff'``), where tracertm stays lenient.

Line ends become LF; what the tool cannot read is a ``ParseError``.
"""

from __future__ import annotations

from tracertm.errors import ParseError
from tracertm.parsers.common import check_size, decode_text, unix_line_ends
from tracertm.parsers.records import DEFAULT_OPTIONS, ParserOptions
from tracertm.steps.python_source import python_text
from tracertm.steps.ruby_source import ruby_text

# Byte-order marks, beside UTF-8's, that a language's compiler reads its source after, with the codec (longest
# first: UTF-32 LE's starts with UTF-16 LE's).
_UTF16 = ((b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))
_UTF32 = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"))
_WIDE: dict[str, tuple[tuple[bytes, str], ...]] = {"csharp": _UTF16, "kotlin": (*_UTF32, *_UTF16)}


def step_text(path: str, language: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS
              ) -> tuple[str, str | None]:
    """The text of the step file ``data`` of ``language`` (``parsing.language_of``) as its tool reads it, and Ruby's
    name of the encoding a Ruby file is read in when it is not UTF-8 (None for every other file)."""
    if language == "python":
        return python_text(path, data, options), None
    if language == "ruby":
        return ruby_text(path, data, options)
    wide = _wide_text(path, data, options, _WIDE.get(language, ()))
    return (wide if wide is not None else decode_text(path, data, options)), None


def _wide_text(path: str, data: bytes, options: ParserOptions, marks: tuple[tuple[bytes, str], ...]) -> str | None:
    """The text of ``data`` when it starts with one of ``marks`` (byte-order mark, codec), None otherwise. A sequence
    that is no character becomes U+FFFD, as the .NET and IntelliJ decoders make it; a NUL character is binary
    content, as in any spec file."""
    # The longest mark the file starts with: a UTF-32 LE file is none of a language that reads UTF-16 alone.
    found = next(((mark, name) for mark, name in (*_UTF32, *_UTF16) if data.startswith(mark)), None)
    if found is None or found not in marks:
        return None
    check_size(path, data, options)
    start, codec = len(found[0]), found[1]
    text = data[start:].decode(codec, "replace")
    nul = text.find("\x00")
    if nul != -1:
        head = text[:nul]
        line = head.count("\n") + head.count("\r") - head.count("\r\n") + 1
        offset = start + len(head.encode(codec, "surrogatepass"))
        raise ParseError(path, line, 0, f"binary content (NUL character at byte offset {offset}); not a text spec "
                                        "file")
    return unix_line_ends(text)


__all__ = ["step_text"]
