"""Architecture Decision Records (Markdown) → one ``SpecRecord`` per file.

Dialects read (see the README's formats section and ``dialects.py``): Nygard / adr-tools, MADR 2.x, 3.x and 4.x,
Log4brains, in-house ``**Status:**`` bold lines and Docusaurus-style front matter without an H1.

How a file is read, one module per step:

1. ``parser.parse`` drives: ``common.decode_text`` (size limit, BOM, binary, UTF-8, CRLF).
2. ``frontmatter``: the YAML block (first line ``---``) is split off and loaded safely after ``parsers._yaml``
   vetted it (alias, depth and expansion limits shared with contracts); YAML problems are ``ParseError`` s.
3. ``markdown``: the body as lines (HTML comments blanked, fenced code marked), headings and a section tree; the H1
   is the title, the lines before the first other heading are the *key list*.
4. ``facts`` and ``sections``: statuses, dates, relations, roles and section texts are gathered from front matter,
   key list, sections and bold lines (in that order of precedence), with ``values``, ``identity`` and
   ``references`` reading single values; ``dialects`` holds the word and heading tables.
5. ``resolve``: the facts become the fields of the ``adrs`` table. Anything ambiguous is a warning.

The parser is pure and total: for any bytes it returns a ``ParseResult`` or raises ``ParseError``.
"""

from __future__ import annotations

from tracertm.parsers.adr.dialects import ADR_STATUSES, DIALECTS
from tracertm.parsers.records import DEFAULT_OPTIONS, ParseResult, ParserOptions

__all__ = ["ADR_STATUSES", "DIALECTS", "parse"]


def parse(path: str, data: bytes, options: ParserOptions = DEFAULT_OPTIONS) -> ParseResult:
    """Parse one ADR Markdown file into a ``ParseResult`` holding one ``adr`` record, or raise ``ParseError``."""
    # Imported here so that the light modules of this package (identity, dates, dialects) can be used without
    # loading PyYAML and the rest: the checker's sketches and the configuration use them on the hook path.
    from tracertm.parsers.adr.parser import parse as parse_adr

    return parse_adr(path, data, options)
