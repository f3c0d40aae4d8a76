"""What full-text search indexes, per kind, and the DDL that keeps the index in the same transaction as the rows.

SQLite: one FTS5 table per kind (``adrs_fts`` ...; columns ``title`` and ``body``, rowid = the row's rowid), filled
by triggers, so every writer (sync's Core batches, the ORM, a person with ``sqlite3``) keeps it current.
PostgreSQL: a generated ``search_vector tsvector`` column per table (title weighted A, body B) with a GIN index, over
the text folded by :func:`pg_fold` (punctuation a space, accents removed, number characters such as '²' letters,
'ς' a 'σ') so that it holds the words SQLite's does.

Neither is mapped by the ORM models (the column exists only on PostgreSQL, the FTS tables only on SQLite), so the
model/migration comparison skips them through :func:`is_search_object`. The migration that creates them imports the
frozen definitions below; a change to what is indexed needs a new migration.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

TOKENIZER = "porter unicode61 remove_diacritics 2"  # SQLite index version 1 (migration 0004, frozen)
# The Basic Multilingual Plane's private-use characters (U+E000..U+F8FF: icon fonts' glyphs in Markdown). PostgreSQL's
# parser and the query's words (``syntax.WORD``) read each as a separator; SQLite's unicode61 read each as part of the
# word it touches, whatever its ``categories`` ('\uf09bGitHub' one token, which 'github' found on PostgreSQL only).
# Index version 2 (migration 0029) lists them as separators, in descending order: FTS5 inserts each one into a sorted
# array whenever a connection opens the table, an ascending list costing some 25 ms a table there, this one 0.6 ms.
# (The private-use planes 15 and 16, 131,068 more, would be 512 KB of schema per table: they stay part of a word.)
PRIVATE_USE = "".join(chr(c) for c in range(0xF8FF, 0xDFFF, -1))
# Combining marks (categories Mn, Mc, Me): unicode61 reads each as a separator (its categories default to
# 'L* N* Co'), except the Latin diacritics it folds away (``SQLITE_DIACRITICS``): 'लिखा' was the words 'लिख' and
# nothing ('ा' a separator), 'लाख' found 'लिखा', and 'kar\u0338ma' was 'kar' and 'ma'. PostgreSQL's parser reads a
# mark as part of its word. Index version 3 (migration 0042) reads marks as part of the word too (M*), but for
# these few spacing marks, which PostgreSQL's parser reads as separators (its locale's ctype does not class them as
# letters): they stay separators on SQLite, so that both split a word there. Frozen, as the index holds them.
MARK_SEPARATORS = (
    "\u1715\u1734\u1bf2\u1bf3\u1ce1\u1cf7\u302e\u302f\ua9c0\uabec\U000111c0\U00011235\U0001134d\U000116b6"
    "\U0001193d\U0001d165\U0001d166\U0001d16d\U0001d16e\U0001d16f\U0001d170\U0001d171\U0001d172"
)
TOKENIZERS = {
    1: TOKENIZER,
    2: f"{TOKENIZER} separators '{PRIVATE_USE}'",
    3: f"{TOKENIZER} categories 'L* N* Co M*' separators '{PRIVATE_USE}{MARK_SEPARATORS}'",
}
PG_CONFIG = "english"
# A tsvector holds at most 1,048,575 bytes of words and their positions, and PostgreSQL refuses a row whose text makes
# more ("string is too long for tsvector"): an ADR with a 1.2 MB image embedded as base64, which SQLite indexes
# whole, made every sync of its repository fail there, nothing written. Vector version 4 indexes the first this many
# characters of the folded title and body: each character costs at most 4 bytes of the vector (a one-character word
# of 4 bytes and its separator: 4 bytes of word, 2 of count, 2 of position), so both together stay under the limit.
# The rest of so long a text is searched on SQLite only. Frozen: the index holds these; a change is a migration.
PG_TITLE_CHARS = 10_000
PG_BODY_CHARS = 240_000
# SQLite's index holds the title and the body in two columns, and a phrase is found within one; PostgreSQL's vector
# is the title's words then the body's, numbered on, so that a phrase made of the title's last word and the body's
# first ('"habitat forest"' of the ADR "Numbat habitat" whose context starts "Forest") was found there only. From
# version 4 a word no query holds (two spaces: the parser splits words at spaces, and syntax's "nothing" is one
# space) stands PG_TITLE_GAP positions after the title, and the body's words after it: further apart than a phrase
# of a query (at most 500 characters: syntax.MAX_QUERY_LENGTH) can reach, common words' distances included.
PG_GAP_WORD = "  "
PG_TITLE_GAP = 500
VECTOR_COLUMN = "search_vector"
FTS_SUFFIX = "_fts"

# PostgreSQL's text is folded before its parser sees it (vector version 2, migration 0020), so that it splits and
# folds words as SQLite's unicode61 tokenizer does. Both patterns are valid alike in PostgreSQL's regular expressions
# and Python's ``re`` (the query side folds its words in Python with the same patterns: see ``fold``).
#
# Separators: ASCII punctuation and symbols, and the common non-ASCII punctuation (Latin-1, General Punctuation,
# CJK and fullwidth), none a letter or digit. PostgreSQL's parser otherwise keeps '49.90', '/refunds', '-120',
# 'node.js', 'foo@bar.com', URLs, paths and hyphenated words as tokens of their own that no word query finds, where
# SQLite splits every one of them into words. Code points, not a class such as [:punct:], which depends on the
# database's locale (in the C locale no non-ASCII character is alphanumeric).
PG_SEPARATORS = (
    r"[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\u0080-\u00a9\u00ab-\u00b1\u00b4\u00b6-\u00b8\u00bb\u00bf\u00d7\u00f7"
    r"\u2000-\u206f\u3000-\u3004\u3008-\u3020\u3030\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+"
)
# Diacritics: an ASCII letter followed by combining marks once decomposed (NFD) loses the marks ('é' -> 'e'), as
# SQLite's remove_diacritics folds Latin letters; Greek and Cyrillic letters keep theirs ('й' stays 'й'), as on
# SQLite. Needs a UTF8 database (normalize()); unaccent would need a superuser's CREATE EXTENSION and is not
# immutable, which a generated column's expression must be.
PG_MARKS = r"([A-Za-z])[\u0300-\u036f]+"
# The combining marks SQLite's remove_diacritics folds away (grave, acute, circumflex, tilde, macron, breve, dot,
# diaeresis, hook, ring, double acute, caron, double grave, inverted breve, horn, dot below, diaeresis below, ring
# below, comma below, cedilla, ogonek, circumflex below, breve below, tilde below, macron below): every mark of a
# precomposed Latin letter (NFD) is one of them. Another mark of U+0300-U+036F (the overlay '\u0338', '\u0313')
# is part of its word on SQLite from index version 3: vector version 5 folds these only (PG_MARKS folded all of
# U+0300-U+036F: 'kar\u0338ma6' was 'karma6' on PostgreSQL only), also where they follow another mark of the block.
SQLITE_DIACRITICS = r"\u0300-\u0304\u0306-\u030c\u030f\u0311\u031b\u0323-\u0328\u032d\u032e\u0330\u0331"
PG_DIACRITICS = rf"(?<=[A-Za-z\u0300-\u036f])[{SQLITE_DIACRITICS}]+"
# Format characters (Unicode's Word_Break=Format) that text holds: the soft hyphen, the bidi marks (U+061C,
# U+200E, U+200F), embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the word joiner and the
# invisible operators (U+2060-U+2064), the Mongolian vowel separator and U+FEFF. A word boundary ignores them (UAX
# #29), so both indexes (SQLite version 3, PostgreSQL version 5) and the query's words drop them: 'soft\xadhyphen' is
# the word 'softhyphen', where both databases read the soft hyphen as a separator. The zero-width space U+200B
# separates words, as punctuation does, and so do the rarer format characters (Arabic number signs, interlinear
# annotation, Egyptian hieroglyph and musical controls): SQLite's triggers drop these 20 with a replace() call each
# in every indexed text's SQL (``sqlite_unformatted``), which must stay small enough for its parser's stack. Frozen:
# the indexes hold the text without them; a change is a migration.
FORMAT_RANGES = (
    (0xAD, 0xAD), (0x61C, 0x61C), (0x180E, 0x180E), (0x200E, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064),
    (0x2066, 0x2069), (0xFEFF, 0xFEFF),
)


# Number characters that are no digits (Unicode category No, as of Unicode 14): superscripts and subscripts ('m²',
# '2⁵', 'x₂'), fractions ('½'), circled and parenthesized numbers ('①'), other scripts' numerals. SQLite's unicode61
# tokenizer reads each as part of a word ('m²' is one token, neither 'm' nor 'm2'); PostgreSQL's parser, in a UTF-8
# locale, reads none as a letter and drops it ('m²' was the word 'm', found by 'm' and by 'm³'). Vector version 3
# (migration 0028) indexes each as a stand-in letter of its own, a Yi syllable from U+A000 on (a letter to the parser
# in any locale, without case, unchanged by normalization, and not in specs' text), so that the word stays whole;
# the query side folds its words alike (``fold``). Frozen: the index holds these stand-ins; a change is a migration.
NUMBER_RANGES = (
    (0xB2, 0xB3), (0xB9, 0xB9), (0xBC, 0xBE), (0x9F4, 0x9F9), (0xB72, 0xB77), (0xBF0, 0xBF2), (0xC78, 0xC7E),
    (0xD58, 0xD5E), (0xD70, 0xD78), (0xF2A, 0xF33), (0x1369, 0x137C), (0x17F0, 0x17F9), (0x19DA, 0x19DA),
    (0x2070, 0x2070), (0x2074, 0x2079), (0x2080, 0x2089), (0x2150, 0x215F), (0x2189, 0x2189), (0x2460, 0x249B),
    (0x24EA, 0x24FF), (0x2776, 0x2793), (0x2CFD, 0x2CFD), (0x3192, 0x3195), (0x3220, 0x3229), (0x3248, 0x324F),
    (0x3251, 0x325F), (0x3280, 0x3289), (0x32B1, 0x32BF), (0xA830, 0xA835), (0x10107, 0x10133), (0x10175, 0x10178),
    (0x1018A, 0x1018B), (0x102E1, 0x102FB), (0x10320, 0x10323), (0x10858, 0x1085F), (0x10879, 0x1087F),
    (0x108A7, 0x108AF), (0x108FB, 0x108FF), (0x10916, 0x1091B), (0x109BC, 0x109BD), (0x109C0, 0x109CF),
    (0x109D2, 0x109FF), (0x10A40, 0x10A48), (0x10A7D, 0x10A7E), (0x10A9D, 0x10A9F), (0x10AEB, 0x10AEF),
    (0x10B58, 0x10B5F), (0x10B78, 0x10B7F), (0x10BA9, 0x10BAF), (0x10CFA, 0x10CFF), (0x10E60, 0x10E7E),
    (0x10F1D, 0x10F26), (0x10F51, 0x10F54), (0x10FC5, 0x10FCB), (0x11052, 0x11065), (0x111E1, 0x111F4),
    (0x1173A, 0x1173B), (0x118EA, 0x118F2), (0x11C5A, 0x11C6C), (0x11FC0, 0x11FD4), (0x16B5B, 0x16B61),
    (0x16E80, 0x16E96), (0x1D2E0, 0x1D2F3), (0x1D360, 0x1D378), (0x1E8C7, 0x1E8CF), (0x1EC71, 0x1ECAB),
    (0x1ECAD, 0x1ECAF), (0x1ECB1, 0x1ECB4), (0x1ED01, 0x1ED2D), (0x1ED2F, 0x1ED3D), (0x1F100, 0x1F10C),
)
# The common ones (Latin-1's, superscripts and subscripts, fractions): translate() compares each character of the
# text with every character it replaces, 60 ms for 10 KB against all 895; a text holding only these is translated
# by their 40 (3 ms), and a text holding none is not translated (one regular-expression scan).
_SMALL_NUMBER_RANGES = NUMBER_RANGES[:3] + NUMBER_RANGES[13:18]
STAND_IN = 0xA000


def _chars(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(chr(c) for first, last in ranges for c in range(first, last + 1))


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    """A bracket expression of ``ranges``, valid alike in PostgreSQL's regular expressions and Python's ``re``."""

    def escape(c: int) -> str:
        return f"\\u{c:04x}" if c <= 0xFFFF else f"\\U{c:08x}"

    return "[" + "".join(escape(a) + (f"-{escape(b)}" if b > a else "") for a, b in ranges) + "]"


NUMBERS = _chars(NUMBER_RANGES)
FORMAT = _chars(FORMAT_RANGES)
FORMAT_CLASS = _char_class(FORMAT_RANGES)  # for PostgreSQL's and Python's regular expressions
_FORMAT_TABLE = dict.fromkeys(map(ord, FORMAT))
# A GLOB pattern that matches a text holding a FORMAT character: '*[…]*', the class's ranges as 'a-b'.
_FORMAT_GLOB = "'*[' || char({}) || ']*'".format(
    ", ".join(f"{a}, 45, {b}" if b > a else str(a) for a, b in FORMAT_RANGES)
)
STAND_INS = "".join(chr(STAND_IN + i) for i in range(len(NUMBERS)))
_SMALL_NUMBERS = _chars(_SMALL_NUMBER_RANGES)
_OTHER_NUMBERS_CLASS = _char_class(tuple(r for r in NUMBER_RANGES if r not in _SMALL_NUMBER_RANGES))
# Letters SQLite's unicode61 tokenizer folds into another letter where PostgreSQL's lower() keeps them (vector version
# 4, migration 0034): the Greek final sigma 'ς' (an upper-case heading 'ΛΟΓΟΣ' is 'λογοσ' to both databases, and
# the same word written 'λογος' in a sentence was another word on PostgreSQL only), the symbol forms of Greek
# letters ('ϐ ϑ ϕ ϖ ϰ ϱ ϵ') and the long s ('ſ', 'ẛ'). Each is translated into the letter SQLite folds it into.
# Frozen, as NUMBERS is.
LETTER_VARIANTS = "\u03c2\u03d0\u03d1\u03d5\u03d6\u03f0\u03f1\u03f5\u017f\u1e9b"
LETTER_BASES = "\u03c3\u03b2\u03b8\u03c6\u03c0\u03ba\u03c1\u03b5ss"
_FOLD_TABLE = {**str.maketrans(NUMBERS, STAND_INS), **str.maketrans(LETTER_VARIANTS, LETTER_BASES)}

# An escape in a JSON text (jsonb's output escapes the quote, the backslash and the control characters: \n, \t,
# \r, \u001f): each stands for a character that separates words, so each becomes a space (vector version 3). Read
# from its backslash on, an escaped backslash is one escape: a text holding a backslash then 'nb' (JSON "\\nb")
# keeps its word 'nb', as SQLite's index has it.
JSON_ESCAPE = r"\\(u[0-9a-fA-F]{4}|[^u])"


def pg_numbers(expression: str) -> str:
    """SQL: ``expression``'s text with each character of ``NUMBERS`` its stand-in letter (vector version 3).
    ``expression`` is cheap to repeat (a column, or a concatenation of them): a text without number characters, the
    common case, costs one more evaluation of it and one regular-expression scan."""
    small = "".join(STAND_INS[NUMBERS.index(c)] for c in _SMALL_NUMBERS)
    return (
        f"CASE WHEN {expression} !~ '{_char_class(NUMBER_RANGES)}' THEN {expression} "
        f"WHEN {expression} ~ '{_OTHER_NUMBERS_CLASS}' THEN translate({expression}, '{NUMBERS}', '{STAND_INS}') "
        f"ELSE translate({expression}, '{_SMALL_NUMBERS}', '{small}') END"
    )


def pg_fold(expression: str, version: int, *, utf8: bool = True) -> str:
    """SQL: ``expression``'s text as the search vector of ``version`` (2 to 5) reads it: accents folded, punctuation
    a space, from version 3 number characters their stand-in letters (``NUMBERS``), from version 4 the letters of
    ``LETTER_VARIANTS`` the ones SQLite folds them into, from version 5 without ``FORMAT`` characters and only the
    marks of ``SQLITE_DIACRITICS`` folded. Every function is IMMUTABLE. Without ``utf8`` (a database in another
    encoding, which cannot hold those letters) neither accents, numbers nor letters are folded."""
    if version >= 5:  # (a LATIN1 database holds the soft hyphen)
        expression = f"regexp_replace({expression}, '{FORMAT_CLASS}', '', 'g')"
    if utf8:
        if version >= 3:
            expression = pg_numbers(expression)
        if version >= 4:
            expression = f"translate({expression}, '{LETTER_VARIANTS}', '{LETTER_BASES}')"
        marks, base = (PG_DIACRITICS, "") if version >= 5 else (PG_MARKS, "\\1")
        expression = f"normalize(regexp_replace(normalize({expression}, NFD), '{marks}', '{base}', 'g'), NFC)"
    return f"regexp_replace({expression}, '{PG_SEPARATORS}', ' ', 'g')"


def unformatted(text: str) -> str:
    """``text`` without its ``FORMAT`` characters, as both indexes read it (SQLite index version 3, vector 5)."""
    return text if text.isascii() else text.translate(_FORMAT_TABLE)


def fold(word: str) -> str:
    """A query word folded as :func:`pg_fold` folds the indexed text (PostgreSQL, version 5; SQLite's FTS5 folds
    its own)."""
    if word.isascii():
        return word
    word = unformatted(word).translate(_FOLD_TABLE)
    return unicodedata.normalize("NFC", re.sub(PG_DIACRITICS, "", unicodedata.normalize("NFD", word)))


def sqlite_unformatted(expression: str) -> str:
    """SQL: ``expression``'s text without its ``FORMAT`` characters (SQLite index version 3). An ASCII text costs a
    count of its characters (a GLOB scan of every text cost the index twice its time), another one a GLOB scan;
    only one holding some is passed through a replace() per character."""
    # Ten replace() calls nested, the other ten in a sub-select of their result: twenty nested inside a JSON list's
    # sub-select overflow SQLite's parser stack. char(): the schema's text holds no invisible character (nor a bidi
    # control) of its own.
    halves = []
    for chars, text in ((FORMAT[:10], expression), (FORMAT[10:], "v")):
        for char in chars:
            text = f"replace({text}, char({ord(char)}), '')"
        halves.append(text)
    removed = f"(SELECT {halves[1]} FROM (SELECT {halves[0]} AS v))"
    ascii = f"length(CAST({expression} AS BLOB)) = length({expression})"
    return (f"CASE WHEN {ascii} THEN {expression} WHEN {expression} GLOB {_FORMAT_GLOB} THEN {removed} "
            f"ELSE {expression} END")


@dataclass(frozen=True)
class Document:
    """The searchable text of one table: a title and a body made of text columns and texts inside JSON lists."""

    table: str
    title: str
    texts: tuple[str, ...] = ()  # text columns
    json_texts: tuple[tuple[str, str], ...] = ()  # (JSON list column, key of the text in each item)
    json_keys: tuple[tuple[str, str], ...] = ()  # (JSON object column, key)
    # SQLite's index reads each text without its FORMAT characters (index version 3, migration 0042).
    unformatted: bool = False

    @property
    def fts_table(self) -> str:
        return self.table + FTS_SUFFIX

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the document reads (an update of any of them re-indexes the row)."""
        return (self.title, *self.texts, *(c for c, _ in self.json_texts), *(c for c, _ in self.json_keys))

    # ------------------------------------------------------------------------------------------------ SQLite

    def _sqlite_text(self, expression: str, unformatted: bool = True) -> str:
        """SQL: a text as this document's index reads it (without FORMAT characters when ``unformatted``). Each
        text apart, not the body they make: the body's JSON sub-selects would be run twice."""
        return sqlite_unformatted(expression) if self.unformatted and unformatted else expression

    def _sqlite_json(self, column: str, text: Any) -> str:
        """SQL: ``text(unformatted)`` (the texts read from the JSON ``column``), whose FORMAT characters are looked
        for only when the column's JSON text is not all ASCII without escapes: tracertm writes JSON with every
        non-ASCII character escaped, and a look in every step text apart cost a fifth more index time."""
        if not self.unformatted:
            return str(text(False))
        plain = f"length(CAST({column} AS BLOB)) = length({column}) AND instr({column}, '\\u') = 0"
        return f"CASE WHEN {plain} THEN {text(False)} ELSE {text(True)} END"

    def sqlite_title(self, row: str) -> str:
        return self._sqlite_text(f"{row}.{self.title}")

    def sqlite_body(self, row: str) -> str:
        parts = [f"coalesce({self._sqlite_text(f'{row}.{c}')}, '')" for c in self.texts]
        parts += [
            "coalesce(" + self._sqlite_json(f"{row}.{c}", lambda u, c=c, key=key: (
                f"(SELECT group_concat({self._sqlite_text(f'json_extract(j.value, {key!r})', u)}, ' ') "
                f"FROM json_each({row}.{c}) AS j)")) + ", '')"
            for c, key in ((c, f"$.{key}") for c, key in self.json_texts)
        ]
        parts += [
            "coalesce(" + self._sqlite_json(f"{row}.{c}", lambda u, c=c, key=key: (
                self._sqlite_text(f"json_extract({row}.{c}, {key!r})", u))) + ", '')"
            for c, key in ((c, f"$.{key}") for c, key in self.json_keys)
        ]
        return " || ' ' || ".join(parts) if parts else "''"

    def sqlite_insert(self, row: str) -> str:
        return (
            f"INSERT INTO {self.fts_table}(rowid, title, body) "
            f"VALUES ({row}.rowid, {self.sqlite_title(row)}, {self.sqlite_body(row)});"
        )

    def sqlite_ddl(self, version: int = 1) -> list[str]:
        """The FTS5 table, with the tokenizer of index ``version`` (``TOKENIZERS``), and the triggers that fill it."""
        t, f = self.table, self.fts_table
        tokenizer = TOKENIZERS[version].replace("'", "''")
        return [
            f"CREATE VIRTUAL TABLE {f} USING fts5(title, body, tokenize = '{tokenizer}')",
            f"CREATE TRIGGER {f}_ai AFTER INSERT ON {t} BEGIN {self.sqlite_insert('new')} END",
            f"CREATE TRIGGER {f}_ad AFTER DELETE ON {t} BEGIN DELETE FROM {f} WHERE rowid = old.rowid; END",
            f"CREATE TRIGGER {f}_au AFTER UPDATE OF {', '.join(self.columns)} ON {t} BEGIN "
            f"DELETE FROM {f} WHERE rowid = old.rowid; {self.sqlite_insert('new')} END",
        ]

    def sqlite_triggers(self) -> list[str]:
        """The triggers alone (a batch table rebuild on SQLite drops them with the old table)."""
        return self.sqlite_ddl()[1:]

    def sqlite_restore(self) -> list[str]:
        """What runs after a migration rebuilt this table on SQLite (see :func:`repair_sqlite`): triggers again, and a
        re-index (the rebuild renumbered the rowids the index is keyed on)."""
        f = self.fts_table
        return [f"DROP TRIGGER IF EXISTS {f}_{s}" for s in ("ai", "ad", "au")] + self.sqlite_triggers() + (
            self.sqlite_rebuild()
        )

    def sqlite_rebuild(self) -> list[str]:
        """Re-index every row (after a migration that rebuilt the table and so renumbered its rowids)."""
        body = self.sqlite_body(self.table)
        return [
            f"DELETE FROM {self.fts_table}",
            f"INSERT INTO {self.fts_table}(rowid, title, body) "
            f"SELECT rowid, {self.sqlite_title(self.table)}, {body} FROM {self.table}",
        ]

    def sqlite_drop(self) -> list[str]:
        f = self.fts_table
        return [f"DROP TRIGGER IF EXISTS {f}_{s}" for s in ("ai", "ad", "au")] + [f"DROP TABLE IF EXISTS {f}"]

    # -------------------------------------------------------------------------------------------- PostgreSQL

    def pg_vector(self, version: int = 1, *, utf8: bool = True) -> str:
        """The generated column's expression. Version 1 (migration 0004, frozen) parses the raw text; version 2
        (migration 0020) parses it folded by :func:`pg_fold`, split and accent-free as SQLite indexes it; version 3
        (migration 0028) reads the texts inside JSON lists without their JSON escapes (version 2 read '\\n' before
        a word as a separator and the letter 'n' joined to the word: 'nsettlement') and folds number characters;
        version 4 (migration 0034) folds the letters of ``LETTER_VARIANTS`` ('ς' is 'σ'), indexes the first
        ``PG_TITLE_CHARS`` and ``PG_BODY_CHARS`` characters of the folded title and body, and keeps the body's words
        ``PG_TITLE_GAP`` positions after the title's; version 5 (migration 0042) drops ``FORMAT`` characters and
        folds only the marks of ``SQLITE_DIACRITICS`` (:func:`pg_fold`)."""
        parts = [f"coalesce({c}, '')" for c in self.texts]
        for c, key in self.json_texts:
            texts = f"jsonb_path_query_array({c}, '$[*].{key}')::text"
            if version >= 3:
                texts = f"regexp_replace({texts}, '{JSON_ESCAPE}', ' ', 'g')"
            parts.append(f"coalesce({texts}, '')")
        parts += [f"coalesce({c} ->> '{key}', '')" for c, key in self.json_keys]
        body = " || ' ' || ".join(parts) if parts else "''"
        title = f"coalesce({self.title}, '')"
        if version >= 2:
            title, body = pg_fold(title, version, utf8=utf8), pg_fold(body, version, utf8=utf8)
        if version >= 4:
            title, body = f"left({title}, {PG_TITLE_CHARS})", f"left({body}, {PG_BODY_CHARS})"
        # The word and its position as a tsvector's text ('  ':500), the colon apart from the number: SQLAlchemy's
        # text() (Alembic's op.execute) reads ':500' as a bind parameter.
        gap = f"($$'{PG_GAP_WORD}':$$ || '{PG_TITLE_GAP}')::tsvector || " if version >= 4 else ""
        return (
            f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, {title}), 'A') || {gap}"
            f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, {body}), 'B')"
        )

    def pg_text(self, row: str) -> str:
        """The row's searchable text as SQLite's index holds it (title, then the body of :meth:`sqlite_body`): text
        columns, and the texts inside JSON lists joined by spaces, not the lists' JSON. What a PostgreSQL snippet is
        cut from, so that it shows the same words as SQLite's (the generated vector, frozen by its migration, reads
        the lists' JSON text with its escapes made spaces, which to_tsvector tokenises alike)."""
        parts = [f"{row}.{self.title}", *(f"{row}.{c}" for c in self.texts)]
        parts += [
            f"(SELECT string_agg(j.value #>> '{{}}', ' ' ORDER BY j.n) "
            f"FROM jsonb_path_query({row}.{c}, '$[*].{key}') WITH ORDINALITY AS j(value, n))"
            for c, key in self.json_texts
        ]
        parts += [f"{row}.{c} ->> '{key}'" for c, key in self.json_keys]
        # concat_ws skips NULLs; empty texts are made NULL so that they leave no double space
        return "concat_ws(' ', " + ", ".join(f"nullif({p}, '')" for p in parts) + ")"

    def pg_ddl(self, version: int = 1, *, utf8: bool = True) -> list[str]:
        """Add the generated column (PostgreSQL computes it for every existing row) and its GIN index."""
        return [
            f"ALTER TABLE {self.table} ADD COLUMN {VECTOR_COLUMN} tsvector "
            f"GENERATED ALWAYS AS ({self.pg_vector(version, utf8=utf8)}) STORED",
            f"CREATE INDEX ix_{self.table}_{VECTOR_COLUMN} ON {self.table} USING gin ({VECTOR_COLUMN})",
        ]

    def pg_drop(self) -> list[str]:
        return [
            f"DROP INDEX IF EXISTS ix_{self.table}_{VECTOR_COLUMN}",
            f"ALTER TABLE {self.table} DROP COLUMN IF EXISTS {VECTOR_COLUMN}",
        ]


# Kind → document up to migration 0040. Frozen: migrations 0004 (vector version 1, SQLite index version 1), 0020
# (version 2), 0028 (version 3), 0029 (SQLite index version 2) and 0034 (vector version 4) build the index from
# exactly this; the live definition is ``DOCUMENTS``.
DOCUMENTS_0004: dict[str, Document] = {
    "adr": Document("adrs", "title", texts=("context", "decision", "consequences")),
    "contract": Document(
        "contracts",
        "title",
        json_texts=(("preconditions", "description"), ("postconditions", "description")),
        json_keys=(("contract_metadata", "description"),),
    ),
    "feature": Document("features", "name", texts=("description", "as_a", "i_want", "so_that")),
    "scenario": Document(
        "scenarios",
        "title",
        texts=("description",),
        json_texts=(("given_steps", "text"), ("when_steps", "text"), ("then_steps", "text")),
    ),
}
# Kind → document from migration 0041, which added the scenario's Rule description and its Examples blocks'
# descriptions (its own frozen copies of both scenario documents build and undo that). Frozen: migration 0042 undoes
# to it.
DOCUMENTS_0041: dict[str, Document] = {
    **DOCUMENTS_0004,
    "scenario": Document(
        "scenarios",
        "title",
        texts=("description",),
        json_texts=(
            ("given_steps", "text"), ("when_steps", "text"), ("then_steps", "text"), ("examples", "description"),
        ),
        json_keys=(("scenario_metadata", "rule_description"),),
    ),
}
# Kind → document at the schema head: what search reads, and what the triggers, the deferred index and the rebuilds
# of the newest schema write. Migration 0042 (SQLite index version 3) reads every text without its FORMAT
# characters (frozen: it builds its index from DOCUMENTS_0042). A change is a migration.
DOCUMENTS_0042: dict[str, Document] = {k: replace(d, unformatted=True) for k, d in DOCUMENTS_0041.items()}
DOCUMENTS = DOCUMENTS_0042

_FTS_SHADOWS = ("", "_data", "_idx", "_content", "_docsize", "_config")
SEARCH_TABLES = frozenset(d.fts_table + s for d in DOCUMENTS.values() for s in _FTS_SHADOWS)


def is_search_object(name: str | None, type_: str) -> bool:
    """True for the search index's own schema objects, which the ORM models do not declare (see module doc)."""
    if name is None:
        return False
    if type_ == "table":
        return name in SEARCH_TABLES
    if type_ == "column":
        return name == VECTOR_COLUMN
    if type_ == "index":
        return name.endswith("_" + VECTOR_COLUMN)
    return False


def documents_at(revision: str | None) -> dict[str, Document]:
    """The documents the search index of schema ``revision`` is made of (``DOCUMENTS`` at the head and from 0042,
    ``DOCUMENTS_0041`` from 0041, ``DOCUMENTS_0004`` before), so that a repair at an older revision puts back that
    revision's triggers."""
    if revision is None or revision >= "0042":
        return DOCUMENTS
    return DOCUMENTS_0004 if revision < "0041" else DOCUMENTS_0041


def repair_sqlite(conn: Any) -> None:
    """Put back the search triggers of every indexed SQLite table that lost them, and re-index that table.

    Alembic's batch mode rebuilds a SQLite table (copy, drop, rename) for most ALTERs — adding a column with a SQL
    default is enough — which drops the table's triggers and renumbers its rowids. Run after every migration (the
    Alembic environment does), so no migration has to remember it; a no-op when the triggers are all there or the
    search index does not exist at that revision. The triggers are those of the revision the database is stamped
    with (:func:`documents_at`).
    """
    from sqlalchemy import text

    if conn.dialect.name != "sqlite":
        return
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    for document in documents_at(revision).values():
        fts, table = document.fts_table, document.table
        if conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": fts}
        ).first() is None:
            continue
        triggers = {
            row[0]
            for row in conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"), {"t": table}
            )
        }
        if {f"{fts}_{suffix}" for suffix in ("ai", "ad", "au")} <= triggers:
            continue
        for statement in document.sqlite_restore():
            conn.execute(text(statement))

