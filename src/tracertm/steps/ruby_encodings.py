"""The encodings Ruby reads a source file in, as a magic comment names them (``# encoding: iso-8859-1``), and the
Python codec that decodes each.

Ruby 3.1's ``Encoding.name_list`` (``Encoding.find`` gives each name's encoding), less the names Ruby's parser takes
for no encoding of a file (``external``, ``internal``, ``locale``, ``filesystem``: ``parser_set_encode`` refuses
them). Ruby finds a name whatever its case. A test compares the table with the Ruby installed, when there is one.
"""

from __future__ import annotations

# Ruby's name of each encoding it reads source in (ASCII-compatible) → the Python codec that decodes it, None where
# none does. ASCII-8BIT (binary) is bytes to Ruby: Latin-1 gives each byte a character, as Ruby refuses none.
CODECS: dict[str, str | None] = {
    "ASCII-8BIT": "latin-1", "UTF-8": "utf-8", "US-ASCII": "ascii", "UTF8-MAC": "utf-8", "EUC-JP": "euc_jp",
    "Windows-31J": "cp932", "Big5": "big5", "Big5-HKSCS": "big5hkscs", "Big5-UAO": None, "CESU-8": None,
    "CP949": "cp949", "Emacs-Mule": None, "EUC-KR": "euc_kr", "EUC-TW": None, "GB18030": "gb18030", "GBK": "gbk",
    "ISO-8859-1": "iso8859-1", "ISO-8859-2": "iso8859-2", "ISO-8859-3": "iso8859-3", "ISO-8859-4": "iso8859-4",
    "ISO-8859-5": "iso8859-5", "ISO-8859-6": "iso8859-6", "ISO-8859-7": "iso8859-7", "ISO-8859-8": "iso8859-8",
    "ISO-8859-9": "iso8859-9", "ISO-8859-10": "iso8859-10", "ISO-8859-11": "iso8859-11",
    "ISO-8859-13": "iso8859-13", "ISO-8859-14": "iso8859-14", "ISO-8859-15": "iso8859-15",
    "ISO-8859-16": "iso8859-16", "KOI8-R": "koi8-r", "KOI8-U": "koi8-u", "Shift_JIS": "shift_jis",
    "Windows-1250": "cp1250", "Windows-1251": "cp1251", "Windows-1252": "cp1252", "Windows-1253": "cp1253",
    "Windows-1254": "cp1254", "Windows-1257": "cp1257", "IBM437": "cp437", "IBM720": "cp720", "IBM737": "cp737",
    "IBM775": "cp775", "CP850": "cp850", "IBM852": "cp852", "CP852": "cp852", "IBM855": "cp855", "CP855": "cp855",
    "IBM857": "cp857", "IBM860": "cp860", "IBM861": "cp861", "IBM862": "cp862", "IBM863": "cp863",
    "IBM864": "cp864", "IBM865": "cp865", "IBM866": "cp866", "IBM869": "cp869", "Windows-1258": "cp1258",
    "GB1988": None, "macCentEuro": "mac-latin2", "macCroatian": "mac-croatian", "macCyrillic": "mac-cyrillic",
    "macGreek": "mac-greek", "macIceland": "mac-iceland", "macRoman": "mac-roman", "macRomania": "mac-romanian",
    "macThai": None, "macTurkish": "mac-turkish", "macUkraine": None, "CP950": "cp950", "CP951": None,
    "stateless-ISO-2022-JP": None, "eucJP-ms": None, "CP51932": None, "EUC-JIS-2004": "euc_jis_2004",
    "GB2312": "gb2312", "GB12345": None, "Windows-1256": "cp1256", "Windows-1255": "cp1255", "TIS-620": "tis-620",
    "Windows-874": "cp874", "MacJapanese": None, "UTF8-DoCoMo": None, "SJIS-DoCoMo": None, "UTF8-KDDI": None,
    "SJIS-KDDI": None, "stateless-ISO-2022-JP-KDDI": None, "UTF8-SoftBank": None, "SJIS-SoftBank": None,
}
# Any other name Ruby knows for one of them, in lower case → that name.
ALIASES: dict[str, str] = {
    "binary": "ASCII-8BIT", "cp65001": "UTF-8", "ascii": "US-ASCII", "ansi_x3.4-1968": "US-ASCII",
    "646": "US-ASCII", "ucs-2be": "UTF-16BE", "ucs-4be": "UTF-32BE", "ucs-4le": "UTF-32LE", "utf-8-mac": "UTF8-MAC",
    "utf-8-hfs": "UTF8-MAC", "eucjp": "EUC-JP", "cp932": "Windows-31J", "cswindows31j": "Windows-31J",
    "sjis": "Windows-31J", "pck": "Windows-31J", "big5-hkscs:2008": "Big5-HKSCS", "euckr": "EUC-KR",
    "euctw": "EUC-TW", "cp936": "GBK", "iso8859-1": "ISO-8859-1", "iso8859-2": "ISO-8859-2",
    "iso8859-3": "ISO-8859-3", "iso8859-4": "ISO-8859-4", "iso8859-5": "ISO-8859-5", "iso8859-6": "ISO-8859-6",
    "iso8859-7": "ISO-8859-7", "iso8859-8": "ISO-8859-8", "iso8859-9": "ISO-8859-9", "iso8859-10": "ISO-8859-10",
    "iso8859-11": "ISO-8859-11", "iso8859-13": "ISO-8859-13", "iso8859-14": "ISO-8859-14",
    "iso8859-15": "ISO-8859-15", "iso8859-16": "ISO-8859-16", "cp878": "KOI8-R", "cp1250": "Windows-1250",
    "cp1251": "Windows-1251", "cp1252": "Windows-1252", "cp1253": "Windows-1253", "cp1254": "Windows-1254",
    "cp1257": "Windows-1257", "cp437": "IBM437", "cp720": "IBM720", "cp737": "IBM737", "cp775": "IBM775",
    "ibm850": "CP850", "cp857": "IBM857", "cp860": "IBM860", "cp861": "IBM861", "cp862": "IBM862",
    "cp863": "IBM863", "cp864": "IBM864", "cp865": "IBM865", "cp866": "IBM866", "cp869": "IBM869",
    "cp1258": "Windows-1258", "ebcdic-cp-us": "IBM037", "euc-jp-ms": "eucJP-ms", "euc-jisx0213": "EUC-JIS-2004",
    "euc-cn": "GB2312", "euccn": "GB2312", "iso2022-jp": "ISO-2022-JP", "iso2022-jp2": "ISO-2022-JP-2",
    "cp1256": "Windows-1256", "cp1255": "Windows-1255", "cp874": "Windows-874", "macjapan": "MacJapanese",
    "cp65000": "UTF-7",
}
# Encodings Ruby knows and refuses for source ("UTF-16 is not ASCII compatible"): their names are in ALIASES too.
NOT_ASCII: frozenset[str] = frozenset({
    "UTF-16BE", "UTF-16LE", "UTF-32BE", "UTF-32LE", "UTF-16", "UTF-32", "IBM037", "ISO-2022-JP", "ISO-2022-JP-2",
    "CP50220", "CP50221", "UTF-7", "ISO-2022-JP-KDDI",
})

_BY_NAME = {name.lower(): name for name in (*CODECS, *NOT_ASCII)}


def ruby_encoding(name: str) -> str | None:
    """Ruby's own name of the encoding ``name`` names (any case), or None when Ruby knows no such encoding."""
    key = name.lower()
    return _BY_NAME.get(key) or ALIASES.get(key)
