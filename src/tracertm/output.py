"""Rendering for the CLI: text tables, JSON, and GitHub workflow annotations. Only the CLI prints what this
returns."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from tracertm.errors import Diagnostic
from tracertm.text import file_lines
from tracertm.timetext import json_time

KIND_LABELS = {"adr": "adrs", "contract": "contracts", "feature": "features", "scenario": "scenarios",
               "step_definition": "steps"}
SYNC_COLUMNS = ("created", "updated", "deleted", "restored", "moved", "unchanged", "errors")


def to_json(value: Any) -> str:
    """``value`` as the indented JSON a command prints: its text as it is, or as ``\\u`` escapes when standard output
    cannot hold every character (``unicode_stdout``), so that the output stays JSON whatever reads it."""
    return json.dumps(value, indent=2, sort_keys=False, default=_json_default, ensure_ascii=not unicode_stdout())


def _json_default(value: Any) -> Any:
    """What ``json.dumps`` cannot write itself: a time as the read models and the API write one (``str`` would
    write ``2024-05-01 12:00:00+00:00``, a third spelling of the instant), anything else as its text."""
    return json_time(value) if isinstance(value, dt.datetime) else str(value)


def unicode_stdout() -> bool:
    """Whether standard output's encoding can write every character (a UTF one). Under a Latin-1 locale or
    ``PYTHONIOENCODING=ascii`` it cannot: text there gets escapes of Python's kind (``cli.stdout.Guarded``), which
    are no JSON (``\\xe9``) and would turn the JSON output into text no JSON reader takes."""
    import codecs

    encoding = getattr(sys.stdout, "encoding", None)
    try:
        return not encoding or codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], right: Iterable[int] = ()) -> str:
    """A plain aligned table; columns listed in ``right`` are right-aligned (numbers). Columns are aligned as a
    terminal shows the text (``display_width``), not by its count of characters."""
    # Cells are record text (titles, paths, test messages): a control character in one would split its row or
    # reach the terminal as an escape sequence (a report's ``\x1b[2J`` cleared the screen).
    cells = [[str(h) for h in headers]] + [["" if c is None else one_line(str(c)) for c in row] for row in rows]
    widths = [max(display_width(r[i]) for r in cells) for i in range(len(headers))]
    align = set(right)
    lines = []
    for row in cells:
        parts = [pad(c, w, right=i in align) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def display_width(text: str) -> int:
    """The columns ``text`` takes on a terminal: a wide or fullwidth character (CJK ideographs, kana, Hangul,
    fullwidth forms, most emoji) takes two, a combining mark or an invisible format character (a decomposed
    ``é``'s accent, a zero-width joiner) none, any other one. ``len()`` counts neither, and a table padded by it
    is out of line at every row holding Japanese, Chinese or Korean text, or a title saved decomposed (NFD)."""
    if text.isascii():
        return len(text)
    import unicodedata  # (here: the hook path prints findings through this module, ASCII or not, never a table)

    width = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal columns (``display_width``), on the left when ``right``."""
    fill = " " * max(width - display_width(text), 0)
    return fill + text if right else text + fill


def clip(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` terminal columns (``display_width``), an ellipsis where it was cut: a wide
    character is two columns, and a combining mark stays with the character it marks."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        used += display_width(char)
        if used > width - 1:
            break
        kept.append(char)
    return "".join(kept) + "…"


def _gh_escape(text: str, prop: bool = False) -> str:
    """GitHub workflow-command escaping: data escapes %, CR, LF; property values also ``:`` and ``,``. Any other
    control character is escaped as the text format escapes it (``one_line``: ``\\x1b``): an ESC in a file name or
    step text printed as it is would colour or rewrite the CI log."""
    text = one_line(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def diagnostic(diag: Diagnostic, fmt: str = "text", prefix: str = "") -> str:
    """One finding: ``path:line:col: message`` (text) or a GitHub workflow annotation (github). ``prefix`` is put
    before the path (a spec root's folder inside the repository, for annotations)."""
    label = "" if diag.severity == "error" else "warning: "
    if not names_a_file(diag.path):
        # ``<database>`` is no file: an annotation with ``file=`` would point at one that does not exist (and
        # ``svc/<database>`` under a sub-folder spec root), a text ``:0:0`` at a position an editor would look for.
        if fmt == "github":
            title = f" title={_gh_escape(diag.path, True)}" if diag.path else ""
            return f"::{_gh_level(diag)}{title}::{_gh_escape(diag.message)}"
        return one_line(f"{diag.path}: {label}{diag.message}" if diag.path else f"{label}{diag.message}")
    message = _named_from(diag.message, diag.names, prefix) if prefix and diag.names else diag.message
    if fmt == "github":
        where = f"file={_gh_escape(prefix + diag.path, True)},line={max(diag.line, 1)},col={max(diag.column, 1)}"
        return f"::{_gh_level(diag)} {where}::{_gh_escape(message)}"
    return one_line(f"{prefix}{diag.path}:{diag.line}:{diag.column}: {label}{message}")


def _named_from(message: str, names: Sequence[str], prefix: str) -> str:
    """``message`` with each of the files ``names`` it names written with ``prefix`` before it, as the finding's
    own path is: one folder for every path of the line, not two."""
    files = "|".join(re.escape(name) for name in sorted(set(names), key=len, reverse=True))
    return re.sub(rf"(?<![\w./-])(?:{files})(?![\w/-]|\.[\w/])", lambda m: prefix + m.group(0), message)


def _gh_level(diag: Diagnostic) -> str:
    return "error" if diag.severity == "error" else "warning"


def names_a_file(path: str) -> bool:
    """Whether a finding's ``path`` is a file: not a pseudo-path in angle brackets (``<database>``), not empty."""
    return bool(path) and not (path.startswith("<") and path.endswith(">"))


# Control characters (C0, DEL, C1), Unicode's line and paragraph separators and its bidirectional embeddings,
# overrides and isolates, written as escapes: a file name may hold a newline, and printed as it is it would split a
# finding in two (or forge one: ``a\nb.yaml:1:1: ...``); a right-to-left override would show the rest of the line
# reversed ("Trojan Source"). Right-to-left letters and the direction marks (U+200E, U+200F) are left as written.
_CONTROLS = {c: {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(chr(c), f"\\x{c:02x}" if c < 256 else f"\\u{c:04x}")
             for c in (*range(32), *range(127, 160), 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def counted(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def one_line(text: str) -> str:
    """``text`` with its control characters escaped (``\\n``, ``\\x1b``): one line of a terminal or CI log."""
    return text if text.isprintable() else text.translate(_CONTROLS)


def message_text(text: str) -> str:
    """A stored message (a test's failure message) with its CRLF and lone CR line ends as LF
    (``parsers.common.unix_line_ends``): on one line (``one_line``, a table) each line end is then ``\\n``, as in a
    message saved with LF line ends, not ``\\r\\n`` or ``\\r``."""
    from tracertm.parsers.common import unix_line_ends

    return unix_line_ends(text)


def sync_summary(result: Any) -> str:
    """The text report of a ``SyncResult``."""
    head = f"{'would sync' if result.dry_run else 'synced'} {result.project} from {result.source}"
    if result.commit:
        head += f" {result.commit[:12]}"
    head += f" ({result.files_scanned} files, {result.files_parsed} parsed)"
    rows = [[KIND_LABELS[k], *(result.counts[k][c] for c in SYNC_COLUMNS)] for k in KIND_LABELS]
    out = [head, table(rows, ["", *SYNC_COLUMNS], right=range(1, len(SYNC_COLUMNS) + 1))]
    changes = [op for op in result.operations if op.action != "refresh"] if result.dry_run else []
    # Files whose stored findings (what ``status`` lists) change: a dry run names each; a sync names those it
    # cleared (what it set or changed is on stderr already, as the findings themselves).
    findings = [(a, p) for a, p in result.findings if result.dry_run or a == "cleared"]
    if changes or findings:
        out.append("")
        out.extend(
            f"  {op.action:<9} {op.kind:<9} {(op.parent + '/') if op.parent else ''}{op.number}  ({op.path})"
            for op in changes
        )
        out.extend(f"  {action:<9} {'findings':<9} {path}" for action, path in findings)
    return "\n".join(out)


def fields_text(fields: dict[str, Any]) -> str:
    """``key: value`` lines for ``show``: empty values skipped, lists inline, multi-line text indented (its lines
    ending at LF, CRLF or a lone CR, ``text.file_lines``)."""
    lines: list[str] = []
    for key, value in fields.items():
        if value in (None, [], {}, ""):
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ", ".join(value)
        elif isinstance(value, (list, dict)):
            value = json.dumps(value, ensure_ascii=False)
        text = str(value)
        if key == "version":
            text += " (every write: git changes and database-side edits; see 'tracertm history')"
        if "\n" in text or "\r" in text:  # its lines as a file's: LF, CRLF and a lone CR end one, nothing else
            lines.append(f"{key}:")
            lines.extend("  " + one_line(line) for line in file_lines(text))
        else:
            lines.append(f"{key}: {one_line(text)}")
    return "\n".join(lines)


def record_table(kind: str, records: list[dict[str, Any]]) -> str:
    """One line per record (``list``): id, title, status, version, path (scenarios: their feature first)."""
    if not records:
        return f"no {KIND_LABELS.get(kind, kind.replace('_', ' ') + 's')}"
    headers = ["id", "title", "status", "v", "path"]
    rows = []
    for r in records:
        status = str(r.get("status") or r.get("step_type") or "") + (" (deleted)" if r["deleted"] else "")
        rows.append([r["number"] or str(r["id"])[:8], clip(str(r["title"]), 60), status, r["version"],
                     r.get("source_path") or ""])
    if kind == "scenario":
        return table([[r["feature"], *row] for r, row in zip(records, rows)], ["feature", *headers])
    return table(rows, headers)


def search_hits(hits: list[dict[str, Any]]) -> str:
    """Search results: one line per hit (kind, id, title) and its snippet, ``<mark>`` shown as ``[...]``."""
    if not hits:
        return "no matches"
    import html  # (here: the pre-commit hook prints through this module and never a snippet)

    out = []
    for h in hits:
        ident = f"{h['feature']}/{h['number']}" if h.get("feature") else h["number"]
        status = h["status"] + (" (deleted)" if h.get("deleted_at") else "")  # as record_table marks it
        out.append(one_line(f"{h['kind']:<9} {pad(ident, 14)} {h['title']}  ({status}, {h['project']})"))
        snippet = html.unescape(" ".join(h["snippet"].split()).replace("<mark>", "[").replace("</mark>", "]"))
        out.append(f"          {one_line(snippet)}")
    return "\n".join(out)


# What ``version`` counts, said wherever it is shown.
VERSION_NOTE = (
    "version counts every write of the record: git changes and database-side edits (annotated), one revision each"
)
