"""Shared by every parser: turning bytes into text safely, and the canonical content hash."""

from __future__ import annotations

import codecs
import datetime as _dt
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tracertm import jsontext
from tracertm.errors import Cancelled, Diagnostic, ParseError
from tracertm.parsers.records import ParseResult, ParserOptions

# The content-hash scheme. Bump when a parser or canonical-form change alters what a record's hash is. Records whose
# stored hash is an earlier scheme's hash of the same parsed content are refreshed silently (new hash, same version;
# see ``previous_scheme_hashes``), so upgrading tracertm never creates versions of unchanged specs.
# Schemes 1 and 2 collapsed every string and dropped positional keys at any depth; 3 is the whitespace rule.
PARSER_VERSION = "3"
# The parsers' output, not the hash scheme. Bump when any parser (a spec kind's or a step file's) makes other records
# of the same bytes and options: another field, value or finding, hashed or not. A project records the version its
# records were parsed by (``engine.parsed_by``), and the next sync of one parsed by another parses every file again
# once, as ``--full`` does; a record whose content hash changes is a version (``updated``), one whose other fields
# change is refreshed in place (its ``source_commit`` kept). 1: a pytest-bdd ``parsers.parse/cfparse(...,
# case_sensitive=True)`` has the flag ``c`` (rows parsed before had none, and a content hash without it); the warning
# at a scenario's leading And/But names the type it is matched as (a file's stored findings are its parse's, renewed
# by that parse too). 2: a ``.feature`` file that is not UTF-8 is read in the encoding its ``# encoding:`` comment
# names (it was an error). 3: a JavaScript regex that is a syntax error there (``regex._js_syntax``, the u flag's
# escapes) and an expression using twice a type whose regex names a group are errors of their step file (they were
# read as definitions); an ADR's status "Decided" is accepted (it was proposed, with a warning). 4: a Python step file
# is read in the encoding its coding comment names, as CPython reads it (``steps.python_source``: a Latin-1 module was
# an error, a UTF-8 one naming Latin-1 was read as UTF-8), and one CPython cannot import for its encoding (a name it
# does not know, a byte-order mark beside another encoding's comment) is an error (it was read). 5: a Ruby step file
# is read in the encoding its magic comment names, as Ruby loads it (``steps.ruby_source``: it was an error), one Ruby
# cannot load for its encoding is an error (it was read when UTF-8), and a C# or Kotlin step file with a UTF-16
# (Kotlin: or UTF-32) byte-order mark is read, as csc and kotlinc read it (``steps.source_text``: it was an error). 6:
# an ADR status's successor is read past what precedes the status word (``✅ Superseded by [..]``: it had no
# ``superseded_by``), and struck-out text (``~~Accepted~~ Superseded by [..]``) is no part of a status (it was the
# status read). 7: an ADR's front matter integer not written in plain decimal is kept as written (``id: 0010`` was
# YAML 1.1's octal: ADR-0008). 8: a Java or Kotlin step regex with \h or \N{name} compiles, as java.util.regex reads
# them (it was a warning, the definition left out of matching). 9: an Examples block's ``@ADR-n`` and requirement tags
# are its outline's references (they made no link and no ``requirement_ids``). 10: an untagged scenario's id is its
# name with its whitespace runs made one space, as its content hash reads the title (``add  an item`` was an id of its
# own: a whitespace-only edit of a title deleted the scenario and created another); ``engine.plan`` renumbers the rows
# the earlier rule numbered in place. 11: an ADR's reference-style links (``Superseded by [Use Y][y]`` with ``[y]:
# 0005-use-y.md``) are references, relations and successors (they were none). 12: a shallower heading over sections of
# an ADR's split level heads a group (``## Details`` over ``### Assumptions``: it was text of the section before it).
# 13: an ADR line holding a URL (``See https://x``) is no ``Label: value`` pair at the URL's colon (it was the
# attribute "See https"). 14: an ADR's two-column table under the H1 or in the Status section is read as its key list
# (``| Status | Accepted |``: it was no status, or the status "| Field |"). 15: a YAML syntax error at a tab (a
# contract's, an ADR front matter's) says to indent with spaces. 16: every heading shallower than an ADR's split level
# is a section (``## Drivers`` beside a ``### Consequences``, ``# Notes``: it was text of the section before it). 17:
# an OpenAPI or AsyncAPI document's plain scalars are read as YAML 1.2 reads them in its executable spec (``enum: [DE,
# NO]`` kept "NO": it was YAML 1.1's false). 18: ADR front matter ``yes``/``no``/``on``/``off`` are words (``tags:
# [NO]`` was the tag "False"). 19: an ADR role of ``none``, ``n/a``, ``-``… names no stakeholder (it was one called
# "none"). 20: ADR front matter may close with ``...`` (it was an error). 21: a feature file's Background steps count
# toward its expansion limits filled with each Examples row of an outline, as behave and pytest-bdd run them (they
# counted as written: a Background of ``<c1><c1>`` placeholders grew unbounded when filled). 22: an ADR's ``## Date``
# section (its first line) and ``## Date: 2024-03-10`` heading are its date (it had none; the heading was lost). 23:
# an ADR written in French, German, Spanish or Portuguese is read as one in English is: its headings (``## Contexte``,
# ``## Entscheidung``), status words (``accepté``, ``abgelehnt``), labels (``Statut :``, ``Datum:``) and successor
# (``Remplacé par [..]``) (they were sections of their own, no context or decision, and status 'proposed'). 24: a
# feature file gherkin refuses for its language (no ``# language:`` header, one below a tag line, an unknown code, a
# keyword saved decomposed) is one error naming the cause (``parsers.feature_language``: it was gherkin's cascade).
# 25: step definitions written as teams write them are read (they were none): a Ruby step file's localized keywords
# (``Dado(/…/) do``, cucumber-ruby aliases every dialect's), cucumber-java8's glue of another language (``Dado("…",
# …)`` implementing ``io.cucumber.java8.Pt``), cucumber-tsflow's ``@given/@when/@then`` bindings; a cucumber-js
# ``Step(this, '…')`` runs a step (it was an error of its file); a cucumber-js pattern of string literals joined with
# ``+`` and a C# attribute's of literals and the file's ``const string`` fields are read (they were errors); a Ruby
# ``And``/``But`` keeps its label and a Ruby definition is at its block's line; playwright-bdd's ``createBdd(test, {
# tags })`` is a warning (it was none). 26: a step file of more than 200,000 tokens is one error
# (``steps.size_limit``: it was read, at up to gigabytes). 27: a feature's Background steps carry their column
# (a finding at one, an undefined step, was at column 1); a JavaScript/TypeScript file that names no step function,
# ``defineParameterType`` nor ``createBdd`` is not parsed (its syntax errors, its size were errors); a behave
# definition is at its function's first decorator's line, as behave locates it (stacked decorators each had their
# own: the lines of an older sync's records are rewritten); an ADR's front matter ``supersedes`` /
# ``superseded_by`` reference is at its value's line (each list item's), as every other reference (a bare
# ``supersedes: 97`` was at the title's), and a key read whatever its case, ``_`` or ``-`` (``Status`` after
# ``status``) is a repeat: the last one wins (the first did, in silence). 28: a feature's user-story keyword is read
# whatever whitespace separates its words (``I  want``, ``As\ta``: the line was description only, its field lost);
# an ADR line that starts with a link and goes on in prose (``As mentioned in [x](x.md), we want …``) keeps its text
# (read as a relation line, it was dropped). 29: a feature's Background text and the warnings about a step write a
# keyword that runs into its text as the file does (``Étant donné qu'il``, ``前提1``: they put a space after it).
# 30: a scenario keeps its Rule's description (``scenario_metadata.rule_description``) and each Examples block its
# own (``examples[].description``), their ADR mentions linked (both were dropped). 31: an OpenAPI document's
# ``x-`` extension keys of ``paths`` are not paths (``contract_metadata.paths`` listed them); a contract file named
# with a version (``1.0-orders.yaml``) is identified by its name (it was ``CTR-0001``, as ``1.1-orders.yaml``).
# An OpenAPI/AsyncAPI document's ``executable_spec`` is its text as written (a re-dump of its values lost comments,
# tags, anchors and values as written: ``1.10`` became ``1.1``); an edit of its comments is a version.
# 32: an ADR naming several ADRs it supersedes (or several successors) lists them all in ``adr_metadata.supersedes`` /
# ``superseded_by`` (the second was a mere related ADR), and the text around the list items of its Decision Drivers
# and Considered Options in ``adr_metadata.sections`` (it was dropped); an ADR with no H1 takes its title from the one
# heading of its level over the known sections (``## Adopt X`` over ``### Status``: the words were in no field), and a
# Spanish, French, German or Portuguese ``### Consecuencias positivas`` is consequences (it was the decision's text).
# 33: a playwright-bdd decorator step's scope has its class's ``@Fixture({ tags })`` (its ``defaultTags``: it had only
# the step's own and its path's tags), and fixture tags that are not a string literal are a warning.
# 34: a JavaScript/TypeScript step pattern naming a top-level ``const`` of its file (a string, template, RegExp or
# aliases array) and a Ruby one naming a constant of its file's top level or module/class bodies are read (they were
# errors of the file); one not certain (``let``, bound again, below its use) stays an error, with its reason.
# 35: cucumber-tsflow's bindings (not the LynxWall fork's) have no scope (4.0 on ignores the tag: a warning) but a
# registration order, and a binding after a repeated pattern in its class is none (tsflow never registers it).
# 36: a YAML tag PyYAML's safe loader refuses (``!custom``, ``!!python/...``, ``!!str [a]``) is an error of a contract
# on any node (on a list or mapping it was read as plain data) and on an ADR's front matter block itself, and a
# contract's text field written ``!!binary`` is an error (its base64 text was the title, tag or status).
# 37: a Git LFS pointer committed in place of a spec file (of any kind) is an error naming it (an ADR was read from
# it, titled after its file name, or its kind's parser failed on it without a word of LFS).
# 38: step files: Python definitions inside loops and match cases, under a keyword's alias or in the call form, and
# each definition's branches of an if/else, try/except or match (``alternatives``); a feature's ``` doc strings and
# Examples under a plain Scenario (what behave's parser refuses; the check cache keeps parse results).
PARSER_OUTPUT = 38

# Record ids ("numbers") are keys of unique indexes; PostgreSQL refuses index entries over ~2,700 bytes. Longer ids
# (a scenario without an id tag is identified by its name) are a parse error of their file, not a failed sync.
MAX_ID_BYTES = 2000

# Where a message tells the user to set a key: the configuration file (its keys at the top level), or the table in
# pyproject.toml (``config.load_settings`` reads either).
SETTINGS_FILE = ".tracertm.toml (or [tool.tracertm] in pyproject.toml)"


def check_identities(result: ParseResult) -> None:
    """Raise ``ParseError`` (with every offending record, and the file's warnings) when a record id is too long to
    be a database key."""
    problems: list[Diagnostic] = []
    for record in result.records:
        for rec in (record, *record.children):
            size = len(rec.number.encode("utf-8"))
            if size > MAX_ID_BYTES:
                hint = " (or give the scenario an id tag)" if rec.kind == "scenario" else ""
                problems.append(Diagnostic(
                    result.path, rec.line, 1,
                    f"{rec.kind} id is {size} bytes long, over the {MAX_ID_BYTES}-byte limit for ids; "
                    f"shorten it{hint}",
                ))
    if problems:
        raise with_warnings(problems, result.warnings)


def with_warnings(errors: list[Diagnostic], warnings: Iterable[Diagnostic]) -> ParseError:
    """One ``ParseError`` for a file with ``errors`` whose ``diagnostics`` carry its ``warnings`` too, all in file
    order, so that a user fixing the errors sees the warnings in the same round, not one sync later. The error's
    headline stays the first error."""
    ordered = sorted(errors, key=lambda d: (d.line, d.column))
    first = ordered[0]
    return ParseError(first.path, first.line, first.column, first.message,
                      sorted([*ordered, *warnings], key=lambda d: (d.line, d.column)))


# The slug an ADR id may carry after its number (``ADR-0008-use-x``): ``parsers.adr.identity.ID_SLUG``, the same
# text, kept here so that a feature or a contract is read without loading the ADR parser (a test keeps them equal).
# Words of letters and digits joined by ``-`` or ``_``, the first starting with a letter (``ADR-0001-0003`` is a
# range) and none starting another ADR id (``ADR-0001-ADR-0002``): a trailing ``-`` or ``.`` is no part of it.
ADR_ID_SLUG = r"(?:[-_](?!ADR[-_]?\d)[A-Za-z][A-Za-z0-9]*(?:[-_](?!ADR[-_]?\d)[A-Za-z0-9]+)*)"
# An ADR id mentioned in text, as ``engine.links`` finds mentions (``ADR-7``, ``adr-0007``, ``ADR7``), with its
# slug if it has one (group 2: ``ADR-0008-use-x.`` is ``ADR-0008-use-x``).
_ADR_MENTION = re.compile(rf"\bADR-?([0-9]+)(?:({ADR_ID_SLUG})|\b)", re.IGNORECASE)
# A feature's or scenario's ADR tag (``@ADR-7``, ``@adr-0007``, ``@ADR7``, ``@ADR-0008-use-x``), without its ``@``.
_ADR_TAG = re.compile(rf"ADR-?([0-9]+)({ADR_ID_SLUG})?", re.IGNORECASE)


def number_digits(digits: str) -> str:
    """ASCII digits as an id's number: at least four, leading zeros dropped beyond that (``7`` → ``0007``) — what
    ``f"{int(digits):04d}"`` writes, without Python's 4,300-digit limit on ``int`` (which would crash the parser on a
    hostile id: the id-length check reports it instead)."""
    return digits.lstrip("0").zfill(4)


def _adr_id(match: re.Match[str]) -> str:
    """The ADR an ``_ADR_MENTION`` / ``_ADR_TAG`` match names: a plain id in its normal form (``ADR-7`` →
    ``ADR-0007``); an id with a slug as written (``ADR-0008-use-x``), as the ADR parser keeps it
    (``parsers.adr.references.id_target``): the exact id of one ADR, not its number, which several may share
    (``crossfile.resolve_adr`` names the ADR of its number when no ADR has that id)."""
    return match.group(0) if match.group(2) else "ADR-" + number_digits(match.group(1))


def mention_ids(text: str) -> list[str]:
    """The ADR ids mentioned in ``text``, in order: ``ADR-0007`` for ``ADR-7``, an id with a slug as written."""
    return [_adr_id(m) for m in _ADR_MENTION.finditer(text)]


def tag_adr_id(tag: str) -> str | None:
    """The ADR id a tag names (``tag`` without its ``@``: ``ADR-8``, ``ADR8``, ``adr-0008`` → ``ADR-0008``;
    ``ADR-0008-use-x`` as written), or None for any other tag. The one rule of feature and scenario tags."""
    m = _ADR_TAG.fullmatch(tag)
    return _adr_id(m) if m else None


def mention_lines(lines: list[str], start: int, end: int) -> dict[str, int]:
    """ADR id → the first of the file lines ``start``..``end`` (1-based, inclusive) that mentions it; comment lines
    (``#``) are not text. Where a finding about a mention points (``SpecRecord.ref_lines``)."""
    out: dict[str, int] = {}
    for number in range(max(start, 1), min(end, len(lines)) + 1):
        text = lines[number - 1]
        if "adr" in text.lower() and not text.lstrip().startswith("#"):
            for adr in mention_ids(text):
                out.setdefault(adr, number)
    return out


def decode_text(path: str, data: bytes, options: ParserOptions, *, pragma: bool = False) -> str:
    """Return the text of a spec file, or raise ``ParseError`` for oversized, binary, UTF-16/32 or non-UTF-8 input.

    A UTF-8 byte-order mark is accepted and dropped; CRLF and CR line ends become LF (line numbers are unchanged).
    Positions in errors are those of the file: byte offsets count the BOM, lines end at LF, CRLF or CR. With
    ``pragma`` (feature files), a file that is not UTF-8 is read in the encoding its ``# encoding:`` comment names
    (:func:`declared_text`), as cucumber-jvm reads it.
    """
    return decode_checked(path, data, check_readable(path, data, options), pragma=pragma)


def decode_checked(path: str, data: bytes, bom: int, *, pragma: bool = False) -> str:
    """``decode_text`` of a file that ``check_readable`` has passed (``bom``: what it returned): for the callers
    that look at the bytes themselves first (a step file's coding comment), so the file is not checked twice."""
    try:
        text = data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        _refuse_wide(path, data)  # a UTF-16 BOM is never UTF-8, even where the text has no NUL byte
        declared = declared_text(data[bom:]) if pragma else None
        if declared is not None:
            return unix_line_ends(declared)
        start = exc.start + bom  # "utf-8-sig" counts from after the BOM; the file's offset counts it
        line, column = byte_position(data, bom, start)
        raise ParseError(
            path, line, column, f"invalid UTF-8 at byte offset {start}; save the file as UTF-8"
        ) from None
    return unix_line_ends(text)


# The first line of a Git LFS pointer file (git-lfs's docs/spec.md; LF-ended, or CRLF as any text may be checked
# out): what a clone without git-lfs (or with ``GIT_LFS_SKIP_SMUDGE=1``) has in place of the file, whose content is
# in LFS storage. Parsed, it was a bogus ADR ("Lfs", proposed) or a syntax error that did not say why.
_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1\n"


def check_readable(path: str, data: bytes, options: ParserOptions) -> int:
    """Raise ``ParseError`` for a file too big to read, a Git LFS pointer in place of the file, or not text at all
    (a NUL byte: binary, UTF-16/32), before any decoding; return the length of its UTF-8 byte-order mark (0 or 3)."""
    check_size(path, data, options)
    if data.startswith(_LFS_POINTER) or data.startswith(_LFS_POINTER[:-1] + b"\r\n"):
        raise ParseError(path, 1, 1, "a Git LFS pointer, not the file it stands for; "
                                     "install git-lfs and run `git lfs pull`")
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    nul = data.find(b"\x00", bom)
    if nul != -1:
        _refuse_wide(path, data)
        line = byte_position(data, bom, nul)[0]
        raise ParseError(path, line, 0, f"binary content (NUL byte at offset {nul}); not a text spec file")
    return bom


def check_size(path: str, data: bytes, options: ParserOptions) -> None:
    """Raise ``ParseError`` for a file too big to read (over ``max_file_size``)."""
    if len(data) > options.max_file_size:
        raise ParseError(
            path,
            0,
            0,
            f"file is {len(data)} bytes, over the {options.max_file_size}-byte limit; "
            f"raise max_file_size in {SETTINGS_FILE} if it is really a spec",
        )


# cucumber-jvm's gherkin (io.cucumber.gherkin.EncodingParser) reads a feature file in the encoding that a
# ``# encoding: NAME`` comment names, when only comment and blank lines come before it.
_ENCODING_PRAGMA = re.compile(rb"\s*#\s*encoding\s*:\s*([0-9a-zA-Z-]+)", re.IGNORECASE)
_COMMENT_OR_BLANK = re.compile(rb"\s*#|\s*$")
_LINES = re.compile(rb"[^\r\n]*")


def declared_text(data: bytes) -> str | None:
    """The text of ``data`` (no BOM) decoded in the encoding its ``# encoding: NAME`` comment names, or None: no
    such comment above its first other line, an encoding Python does not know or that does not write that comment
    as ASCII does (UTF-16), or bytes that are not text in it. Meant for a file that is not UTF-8."""
    for line in _LINES.finditer(data):
        if not _COMMENT_OR_BLANK.match(line.group()):
            return None
        pragma = _ENCODING_PRAGMA.match(line.group())
        if pragma is not None:
            return _decoded(data, pragma.group(1).decode("ascii"))
    return None


def _decoded(data: bytes, encoding: str) -> str | None:
    try:
        codec = codecs.lookup(encoding)
        # The comment was read as ASCII: an encoding that writes it otherwise cannot be the file's (a codec of
        # bytes to bytes, base64 or zlib, refuses the text: TypeError).
        if codec.encode("# encoding")[0] != b"# encoding":
            return None
        return data.decode(codec.name)
    except (LookupError, UnicodeError, TypeError):
        return None


# Byte-order marks of the encodings an editor may save a text file in that are not UTF-8 (longest first: UTF-32 LE's
# starts with UTF-16 LE's).
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
)


def _refuse_wide(path: str, data: bytes) -> None:
    """Raise the error of a UTF-16/32 file (one line at line 1: the whole file is in that encoding), if it is one."""
    wide = _wide_encoding(data)
    if wide is not None:
        message = f"the file is {wide} text; save it as UTF-8, the only encoding spec files are read in"
        raise ParseError(path, 1, 0, message)


def _wide_encoding(data: bytes) -> str | None:
    """The name of the UTF-16/32 encoding ``data`` (holding a NUL byte) is written in, from its byte-order mark, or
    from the NUL high bytes of mostly-ASCII text without one (what ``iconv -t UTF-16LE`` writes); None if neither."""
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return name
    head = data[:64] if len(data) % 2 == 0 else b""
    if len(head) >= 4:
        if head[1::2].count(0) == len(head) // 2 and head[0::2].count(0) == 0:
            return "UTF-16 (little-endian, no byte-order mark)"
        if head[0::2].count(0) == len(head) // 2 and head[1::2].count(0) == 0:
            return "UTF-16 (big-endian, no byte-order mark)"
    return None


def byte_position(data: bytes, start: int, offset: int) -> tuple[int, int]:
    """The 1-based (line, byte column) of ``data[offset]`` in text that begins at ``data[start]`` (after a BOM):
    LF, CRLF and CR each end a line, as in the decoded text."""
    crlf = data.count(b"\r\n", start, offset)
    line = data.count(b"\n", start, offset) + data.count(b"\r", start, offset) - crlf + 1
    line_start = max(data.rfind(b"\n", start, offset), data.rfind(b"\r", start, offset), start - 1) + 1
    return line, offset - line_start + 1


def parse_text_safely(
    parse_text: Callable[[str, str, ParserOptions], ParseResult],
    path: str,
    data: bytes,
    options: ParserOptions,
    *,
    pragma: bool = False,
) -> ParseResult:
    """Decode ``data`` (``pragma``: see :func:`decode_text`) and run a parser on the text, so that every parser is
    total: a bug surfaces as a ``ParseError`` naming the file ("internal parser error (please report)"), never as a
    crash of the run. A cancelled sync's stop at a safe point of the parse (``Cancelled``) passes through."""
    text = decode_text(path, data, options, pragma=pragma)
    try:
        return parse_text(path, text, options)
    except (ParseError, Cancelled):
        raise
    except Exception as exc:
        raise ParseError(path, 0, 0, f"internal parser error (please report): {type(exc).__name__}: {exc}") from exc


# Types that are already canonical / JSON-safe as they are (checked by exact type: subclasses take the slow path).
_PLAIN = frozenset({int, float, bool, type(None)})


def json_safe(value: Any) -> Any:
    """Dates to ISO strings, tuples to lists, recursively: what a JSON column or ``json.dumps`` accepts."""
    # Fast paths by exact type (the parsers' output is plain dicts, lists and scalars); the isinstance checks below
    # keep the general behaviour for anything else.
    t = type(value)
    if t is str or t in _PLAIN:
        return value
    if t is dict:
        return {k if type(k) is str else str(k): json_safe(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [json_safe(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


# ------------------------------------------------------------------------------------------------ canonical form
#
# What the content hash sees: every git-owned field, minus positions at the paths where the parser puts them, with
# whitespace collapsed in prose and kept exactly everywhere else (see tracertm.kinds for both lists per kind).

_Trie = dict[str, Any]
_LEAF = ""  # key marking "this path itself"; no field name is empty


def _trie(paths: tuple[str, ...]) -> _Trie:
    root: _Trie = {}
    for path in paths:
        node = root
        for part in path.split("/"):
            node = node.setdefault(part, {})
        node[_LEAF] = True
    return root


_Walker = Callable[[Any], Any]
_WALKERS: dict[str, _Walker] = {}


def _walker(kind: str) -> _Walker:
    """``kind``'s canonical walker, compiled once from its prose and positional tries."""
    walk = _WALKERS.get(kind)
    if walk is None:
        from tracertm.kinds import KINDS

        info = KINDS[kind]
        walk = _WALKERS[kind] = _compile(_trie(info.prose) or None, _trie(info.positional) or None)
    return walk


_DROP = object()  # a key's walker slot: "a position at this path, left out"


def _compile(prose: _Trie | None, positional: _Trie | None) -> _Walker:
    """The walker of one pair of trie nodes (``None``: no rule at or under this path): the canonical form of a value
    at that path, with every trie lookup done here, once, instead of per key of every record. Byte-identical to the
    per-key trie walk it replaced (kept, frozen, in tests/parsers/test_canonical.py, which proves it).

    For a key ``k`` that walk looks up ``node.get(k) or node.get("*")`` in each trie; keys named in neither trie
    therefore get the ``"*"`` children of both, which is also what a list's items get."""
    if prose is None and positional is None:
        return _plain
    collapse = prose is not None and _LEAF in prose

    def slot(sub_prose: _Trie | None, sub_pos: _Trie | None) -> Any:
        if sub_pos is not None and _LEAF in sub_pos:
            return _DROP
        return _compile(sub_prose, sub_pos)

    star_prose = prose.get("*") if prose is not None else None
    star_pos = positional.get("*") if positional is not None else None
    other = slot(star_prose, star_pos)  # a key named in neither trie
    items = _compile(star_prose, star_pos)  # a list's items (never dropped)
    named = {k for node in (prose, positional) if node is not None for k in node if k not in (_LEAF, "*")}
    slots: dict[str, Any] = {}
    for key in named:
        sub_prose = (prose.get(key) or prose.get("*")) if prose is not None else None
        sub_pos = (positional.get(key) or positional.get("*")) if positional is not None else None
        slots[key] = slot(sub_prose, sub_pos)
    get = slots.get

    def mapping(value: Mapping[Any, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = k if type(k) is str else str(k)
            w = get(key, other)
            if w is _plain:
                # Scalars inline (most values under a rule-free path): a call per leaf is most of the walk's cost.
                tv = type(v)
                if tv is str:
                    if "\r" in v:
                        v = unix_line_ends(v)
                elif tv not in _PLAIN:
                    v = _plain(v)
            elif w is _DROP:
                continue
            else:
                v = w(v)
            out[key] = v
        return out

    def sequence(value: list[Any] | tuple[Any, ...]) -> list[Any]:
        return _plain_list(value) if items is _plain else [items(v) for v in value]

    # The reference's order of checks: exact str, dict and list first (the parsers' output), then the general cases.
    def walk(value: Any) -> Any:
        t = type(value)
        if t is str:
            return collapse_prose(value) if collapse else unix_line_ends(value)
        if t is dict:
            return mapping(value)
        if t is list:
            return sequence(value)
        if t in _PLAIN:
            return value
        if isinstance(value, Mapping):
            return mapping(value)
        if isinstance(value, (list, tuple)):
            return sequence(value)
        return _scalar(value, collapse)

    return walk


def _plain(value: Any) -> Any:
    """The canonical form of a value at a path with no rule at or under it: strings exact, nothing dropped."""
    t = type(value)
    if t is str:
        return unix_line_ends(value)
    if t is dict:
        out: dict[str, Any] = {}
        for k, v in value.items():
            tv = type(v)
            if tv is str:  # scalars inline, as in the compiled walkers
                if "\r" in v:
                    v = unix_line_ends(v)
            elif tv not in _PLAIN:
                v = _plain(v)
            out[k if type(k) is str else str(k)] = v
        return out
    if t is list:
        return _plain_list(value)
    if t in _PLAIN:
        return value
    if isinstance(value, Mapping):
        return {(k if type(k) is str else str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return _plain_list(value)
    return _scalar(value, False)


def _plain_list(value: list[Any] | tuple[Any, ...]) -> list[Any]:
    # Strings without a carriage return (step texts, tags, ...) are their own canonical form: no call for them.
    return [v if type(v) is str and "\r" not in v else _plain(v) for v in value]


def _scalar(value: Any, collapse: bool) -> Any:
    """The remaining cases of the per-key walk, in its order: plain scalars, str subclasses, dates, anything else as
    is."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, str):
        return collapse_prose(value) if collapse else unix_line_ends(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)


def collapse_prose(text: str) -> str:
    """Prose with every whitespace run made one space; fenced code blocks (``` or ~~~) inside it kept exactly."""
    if "```" not in text and "~~~" not in text:
        return " ".join(text.split())
    out: list[str] = []
    pos = 0
    while True:
        opening = _FENCE.search(text, pos)
        if opening is None:
            break
        fence = opening.group(1)
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        end = closing.search(text, opening.end())
        stop = end.end() if end is not None else len(text)
        out.append(" ".join(text[pos : opening.start()].split()))
        out.append("\n" + text[opening.start() : stop] + "\n")  # exact, line endings already normalised
        pos = stop
    out.append(" ".join(text[pos:].split()))
    return "".join(out)


def unix_line_ends(text: str) -> str:
    """``text`` with its CRLF and CR line ends as LF (line numbers unchanged)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def canonical_json(fields: Mapping[str, Any], kind: str | None = None) -> str:
    """The git-owned fields as canonical JSON: sorted keys, no whitespace, positions dropped, prose collapsed
    (per ``kind``; without a kind every string is kept exactly and nothing is dropped)."""
    walk = _walker(kind) if kind is not None else _plain
    return _canonical_dumps(walk(fields))


# Every record of a sync is hashed in the parse workers: the encoder is made once (``jsontext``), not per record.
_canonical_dumps = jsontext.encoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(kind: str, fields: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical content, salted with the record kind and ``PARSER_VERSION``."""
    payload = f"tracertm:{PARSER_VERSION}:{kind}\n{canonical_json(fields, kind)}"
    return _sha256(payload)


def previous_scheme_hash(kind: str, fields: Mapping[str, Any], scheme: str = "1") -> str:
    """The hash ``fields`` had under an earlier scheme (1 or 2: every string collapsed, positions dropped at any
    depth). A stored hash equal to it means the content did not change, only the scheme did: the engine refreshes the
    hash silently (no version, no revision)."""
    return _legacy_hash(kind, fields, scheme)


def previous_scheme_hashes(kind: str, fields: Mapping[str, Any]) -> tuple[str, ...]:
    """``fields``' hashes under every earlier scheme."""
    return tuple(_legacy_hash(kind, fields, scheme) for scheme in ("1", "2"))


# Schemes 1 and 2 (before the whitespace rule): every string collapsed, positional keys dropped at any depth.
_V1_POSITIONAL = frozenset({"line", "column", "gherkin_text", "file_path", "slug"})


def _v1(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _v1(v) for k, v in value.items() if k not in _V1_POSITIONAL}
    if isinstance(value, (list, tuple)):
        return [_v1(v) for v in value]
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


def _legacy_hash(kind: str, fields: Mapping[str, Any], scheme: str) -> str:
    canonical = json.dumps(_v1(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _sha256(f"tracertm:{scheme}:{kind}\n{canonical}")


def _sha256(text: str) -> str:
    import hashlib  # here, not at the top: a check parses without hashing, and OpenSSL's import costs a hook 2 ms

    return hashlib.sha256(text.encode("utf-8")).hexdigest()
