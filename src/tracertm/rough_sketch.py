"""Approximate sketches of spec files (``tracertm.sketches``): a few regular expressions over the bytes, no YAML
and no Gherkin. Imported only when a file the check cache does not know has to be sketched: compiling these
expressions is a pre-commit hook's millisecond or two."""

from __future__ import annotations

import re

from tracertm.parsers.common import tag_adr_id
from tracertm.parsers.paths import feature_number
from tracertm.parsers.records import FileKind, ParserOptions
from tracertm.sketches import RecordSketch, Sketch


def sketch_text(path: str, kind: FileKind, data: bytes, options: ParserOptions) -> Sketch:
    """An approximate sketch by regular expressions: the same identity rules as the parsers for ordinary files,
    and a superset of the ADR references (every ``ADR-n`` mention, link to an ADR file, ``supersedes`` value)."""
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if kind == "adr":
        return _sketch_adr(path, text)
    if kind == "contract":
        return _sketch_contract(path, text)
    if kind == "step_definition":
        # Identities are file::function: a step file can claim nothing another file claims, and refers to no ADR.
        return Sketch(kind, (), True)
    return _sketch_feature(path, text, options)


# Mirrors of the parsers' identity rules (tracertm.parsers.adr / contract / feature), kept import-free.
_ADR_ID_RE = re.compile(r"(?<![A-Za-z0-9])ADR[-_]?(\d{1,12})(?!\d)", re.IGNORECASE)
_ADR_ID_FULL_RE = re.compile(r"ADR[-_ ]?(\d{1,12})", re.IGNORECASE)
# A link's destination: inline (``](0005-x.md)``) or a reference definition's (``[kafka]: <0005-x.md>``, the
# destination on the same line or the next).
_ADR_LINK_RE = re.compile(
    r"\]\(([^()\s]{1,1000})|^ {0,3}\[[^\[\]\n]{1,999}\]:[ \t]*\n?[ \t]*<?([^\s<>]{1,1000})", re.MULTILINE
)
_FM_BOUNDARY = re.compile(r"-{3,}\s*")
_FM_ID_RE = re.compile(r"^(id|number)[ \t]*:[ \t]*(.*?)[ \t]*$", re.MULTILINE | re.IGNORECASE)
_FM_SUPERSEDE_RE = re.compile(
    r"^(?:supersedes|supercedes|super[sc]eded[-_ ]by)[ \t]*:(.*)$", re.MULTILINE | re.IGNORECASE
)
_NUMBER_RE = re.compile(r"(?<![\d.])(\d{1,12})(?![\d.])")
_H1_RE = re.compile(r"^#[ \t]+(.*)$", re.MULTILINE)
_CONTRACT_ID_RE = re.compile(r"^(?:id|contract_number)[ \t]*:[ \t]*(.+?)[ \t]*(?:#.*)?$", re.MULTILINE)
_OPENAPI_RE = re.compile(r"^(?:openapi|swagger|asyncapi)[ \t]*:", re.MULTILINE)
_X_CONTRACT_RE = re.compile(r"^[ \t]*x-contract-id[ \t]*:[ \t]*(.+?)[ \t]*(?:#.*)?$", re.MULTILINE)
_YAML_SUFFIX = re.compile(r"\.ya?ml$", re.IGNORECASE)
_CONTRACT_PREFIX = re.compile(r"([0-9]+)(?=$|[-_ ]|\.(?![0-9]))")  # ``parsers.contract._NUMBER_PREFIX``


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1].strip()
    return value.split(" #", 1)[0].strip()


def _sketch_adr(path: str, text: str) -> Sketch:
    # The ADR identity rules load the ADR parser's package: only when an ADR is sketched (a cache miss).
    from tracertm.parsers.adr.identity import ID_SLUG, adr_number, file_identity, title_number

    front = ""
    body_start = 0  # the H1 is looked for after the front matter (whose YAML comments start with "# " too)
    lines = text.split("\n", 1)
    if _FM_BOUNDARY.fullmatch(lines[0]) and len(lines) > 1:
        end = re.search(r"^(?:-{3,}|\.{3})\s*$", lines[1], re.MULTILINE)
        front = lines[1][: end.start()] if end else ""
        body_start = len(lines[0]) + 1 + end.end() if end else 0
    number: str | None = None
    for key in ("id", "number"):
        for match in _FM_ID_RE.finditer(front):
            if match.group(1).lower() != key:
                continue
            value = _unquote(match.group(2))
            if not value or value in ("~", "null"):
                continue
            full = _ADR_ID_FULL_RE.fullmatch(value)
            number = adr_number(value) if value.isdigit() else (adr_number(full.group(1)) if full else value)
            break
        if number is not None:
            break
    h1 = _H1_RE.search(text, body_start)
    if number is None:
        identity = file_identity(path)
        from_title = title_number(h1.group(1).strip()).number if h1 and not identity.numbered else None
        number = from_title if from_title and identity.date is None else identity.identifier
    found = [(m.start(), adr_number(m.group(1))) for m in _ADR_ID_RE.finditer(text)]
    # An id with a slug (``ADR-0001-use-x``) names that id as written (``parsers.adr.references.id_target``).
    slugged = rf"(?<![A-Za-z0-9])ADR[-_]?\d{{1,12}}(?!\d){ID_SLUG}"
    found += [(m.start(), m.group(0)) for m in re.finditer(slugged, text, re.IGNORECASE)]
    for match in _ADR_LINK_RE.finditer(text):
        href = match.group(1) or match.group(2)
        target = href.replace("\\", "/").split("#", 1)[0].split("?", 1)[0].rstrip("/")  # (a link's \ is /)
        if target.casefold().endswith((".md", ".markdown")):
            found.append((match.start(), file_identity(target).identifier))
    for match in _FM_SUPERSEDE_RE.finditer(front):  # front matter starts on line 2
        offset = match.start() + text.index("\n") + 1
        found.extend((offset, adr_number(n)) for n in _NUMBER_RE.findall(match.group(1)))
    line = text.count("\n", 0, h1.start()) + 1 if h1 else 1
    first: dict[str, int] = {}
    for offset, target in sorted(found):
        if target != number:
            first.setdefault(target, text.count("\n", 0, offset) + 1)
    refs = tuple(("related_adrs", t) for t in first)
    return Sketch("adr", (RecordSketch(number, line, refs, tuple(first.values())),))


def _sketch_contract(path: str, text: str) -> Sketch:
    stem = _YAML_SUFFIX.sub("", path.rsplit("/", 1)[-1]) or "contract"
    match = _CONTRACT_PREFIX.match(stem)
    derived = f"CTR-{int(match.group(1)):04d}" if match else stem
    records: list[RecordSketch] = []
    for document in re.split(r"^(?:---|\.\.\.)(?:[ \t].*)?$", text, flags=re.MULTILINE):
        body = [ln for ln in document.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
        if not body or body[0].lstrip().startswith("%"):
            continue
        position = len(records) + 1
        found = (_X_CONTRACT_RE if _OPENAPI_RE.search(document) else _CONTRACT_ID_RE).search(document)
        value = _unquote(found.group(1)) if found else ""
        if value:
            number = f"CTR-{int(value):04d}" if value.isdigit() else value
        else:
            number = derived if position == 1 else f"{derived}#{position}"
        records.append(RecordSketch(number))
    return Sketch("contract", tuple(records))


def _sketch_feature(path: str, text: str, options: ParserOptions) -> Sketch:
    tags: list[tuple[str, int]] = []  # (tag, line)
    line = 1
    for index, raw in enumerate(text.split("\n")):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not stripped.startswith("@"):
            line = index + 1
            break
        for token in stripped.split():
            if token.startswith("#"):
                break
            if token.startswith("@"):
                tags.append((token[1:], index + 1))
    try:
        id_pattern = re.compile(options.feature_id_pattern)
    except re.error:
        id_pattern = re.compile(r"FEAT-\d+")
    number = next((t for t, _ in tags if id_pattern.fullmatch(t)), None)
    if number is None:
        number = feature_number(path, options.feature_roots)
    adrs: dict[str, int] = {}
    for tag, tag_line in tags:
        if (adr := tag_adr_id(tag)) is not None:
            adrs.setdefault(adr, tag_line)
    # Scenario tags too (any later tag line): an approximation is confirmed by a parse before it causes an error.
    for index, raw in enumerate(text.split("\n")[line:], start=line + 1):
        if raw.lstrip().startswith("@"):
            for token in raw.split("#", 1)[0].split():
                if token.startswith("@") and (adr := tag_adr_id(token[1:])) is not None:
                    adrs.setdefault(adr, index)
    refs = tuple(("tag", a) for a in adrs)
    return Sketch("feature", (RecordSketch(number, line, refs, tuple(adrs.values())),))
