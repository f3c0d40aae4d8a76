"""A record's history as a timeline: one entry per revision with who, when, which commit, and what each changed
field was before and after (a word diff for prose). Pure: revisions in, entries out.

Git revisions (created, updated, restored, moved) carry a snapshot of every parsed field; ``annotated`` revisions
(database-side edits) carry only the fields they set; ``deleted`` carries none. So the state before a revision is
the running merge of the snapshots before it.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tracertm.history.names import field_names, snapshot_fields

# Values are compared and diffed whole; what a change shows is cut to this many characters of each removed or
# added run (and ``FieldChange.before``/``after`` too): a timeline is for reading, the JSON history has everything.
MAX_TEXT = 4000
# Word-level matching of a changed middle costs up to len(old) × len(new) steps in difflib; past this (about 35
# words replaced by 35 others, counting the spaces) a page with many revisions slows down, and the change reads as
# a rewrite anyway.
MAX_DIFF_WORK = 5000
KEEP = 80  # characters of unchanged text shown on each side of a change
_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    """A piece of a field diff: ``same``, ``removed`` or ``added`` text."""

    op: str
    text: str


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: str | None  # None: the field did not exist (both cut to MAX_TEXT characters, as_text)
    after: str | None
    segments: tuple[Segment, ...]
    clipped: int = 0  # MAX_TEXT when a removed or added run of ``segments`` was cut to it for display, else 0


@dataclass
class Entry:
    version: int
    change: str
    who: str | None
    email: str | None
    when: Any  # the author date (what `tracertm history` shows), else the commit date, else when it was recorded
    commit: str | None
    path: str | None
    changes: list[FieldChange] = field(default_factory=list)
    when_label: str | None = None  # "authored" or "committed": which date ``when`` is, for git revisions
    committed: Any = None  # the commit date, when it differs from the author date ``when``


def full_text(value: Any) -> str | None:
    """A field value as comparable text, whole: strings as they are, everything else as sorted JSON."""
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def as_text(value: Any) -> str | None:
    """A field value as text to show: ``full_text`` cut to ``MAX_TEXT`` characters (the last one ``…``)."""
    return _cut(full_text(value))


def _cut(text: str | None) -> str | None:
    return text if text is None or len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def clipped(segments: tuple[Segment, ...]) -> tuple[tuple[Segment, ...], bool]:
    """The diff with each removed or added run cut to ``MAX_TEXT`` characters for display, and whether one was."""
    out = tuple(Segment(s.op, _cut(s.text) or "") if s.op != "same" else s for s in segments)
    return out, out != segments


def word_diff(before: str | None, after: str | None) -> tuple[Segment, ...]:
    """``before`` → ``after`` as same/removed/added runs of words (whitespace kept with its words)."""
    old, new = _WORDS.findall(before or ""), _WORDS.findall(after or "")
    # Edits are usually local: match the common head and tail directly and leave only the middle to difflib,
    # whose cost grows with the product of the lengths (see bench/web_bench.py).
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    out: list[Segment] = [Segment("same", "".join(old[:head]))] if head else []
    middle_old, middle_new = old[head:len(old) - tail], new[head:len(new) - tail]
    if len(middle_old) * len(middle_new) > MAX_DIFF_WORK:  # a rewrite, not an edit: show it as one
        out += [Segment("removed", "".join(middle_old)), Segment("added", "".join(middle_new))]
        if tail:
            out.append(Segment("same", "".join(old[len(old) - tail:])))
        return tuple(_merged(out))
    matcher = difflib.SequenceMatcher(None, middle_old, middle_new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(Segment("same", "".join(middle_old[i1:i2])))
            continue
        if i2 > i1:
            out.append(Segment("removed", "".join(middle_old[i1:i2])))
        if j2 > j1:
            out.append(Segment("added", "".join(middle_new[j1:j2])))
    if tail:
        out.append(Segment("same", "".join(old[len(old) - tail:])))
    return tuple(_merged(out))


def elided(segments: tuple[Segment, ...], keep: int = KEEP) -> tuple[Segment, ...]:
    """The diff for reading: unchanged text far from any change shortened to ``…`` (``keep`` characters stay on
    each side of a change)."""
    out = []
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        text = seg.text
        if seg.op == "same" and len(text) > 2 * keep + 20:
            head = text[:keep] if i > 0 else ""
            tail = text[-keep:] if i < last else ""
            text = f"{head}…{tail}"
        out.append(Segment(seg.op, text))
    return tuple(out)


def _merged(segments: list[Segment]) -> list[Segment]:
    """Adjacent segments of the same kind as one."""
    out: list[Segment] = []
    for seg in segments:
        if out and out[-1].op == seg.op:
            out[-1] = Segment(seg.op, out[-1].text + seg.text)
        elif seg.text:
            out.append(seg)
    return out


def _field_changes(state: Mapping[str, Any], snapshot: Mapping[str, Any], names: Iterable[str]) -> list[FieldChange]:
    out = []
    for name in names:
        if state.get(name) == snapshot.get(name):  # most fields of most revisions: no text to build
            continue
        # Whole values: a change past the first MAX_TEXT characters is a change (only its display is cut).
        before, after = full_text(state.get(name)), full_text(snapshot.get(name))
        if before != after:
            segments, cut = clipped(elided(word_diff(before, after)))
            out.append(FieldChange(name, _cut(before), _cut(after), segments, MAX_TEXT if cut else 0))
    return out


@dataclass
class Before:
    """The record's state just before a page of its history: what ``timeline`` would have built from every
    earlier revision (see ``state_before``)."""

    files: dict[str, Any] = field(default_factory=dict)
    edits: dict[str, Any] = field(default_factory=dict)
    path: str | None = None


def edited_names(revisions: Iterable[Any]) -> set[str]:
    """The fields the database-side edits among ``revisions`` set (read-model names): the only earlier edits a
    page of a timeline needs."""
    return {name for rev in revisions if rev.change == "annotated"
            for name in _edit_names(_kind(rev), rev, snapshot_fields(_kind(rev), rev.snapshot or {}))}


def _kind(rev: Any) -> str:
    return str(getattr(rev, "entity_type", ""))


def _edit_names(kind: str, rev: Any, snapshot: Mapping[str, Any]) -> list[str]:
    return field_names(kind, getattr(rev, "changed_fields", None) or snapshot)


def state_before(kind: str, git: Iterable[Any], path: str | None, edits: Iterable[Any],
                 needed: set[str]) -> Before:
    """The state ``timeline`` holds before a page, from the revisions before it, each newest first and read only
    as far as needed: ``git`` the other revisions than database-side edits (the first with a snapshot gives the
    file's fields), ``path`` the newest known source path, ``edits`` the database-side edits (the newest that set
    each of the ``needed`` fields gives its value)."""
    state = Before(path=path)
    for rev in git:
        snapshot = snapshot_fields(kind, rev.snapshot or {})
        if snapshot:
            state.files = dict(snapshot)
            break
    missing = set(needed)
    for rev in edits if missing else ():
        snapshot = snapshot_fields(kind, rev.snapshot or {})
        for name in _edit_names(kind, rev, snapshot):
            if name in missing:
                state.edits[name] = snapshot.get(name)
                missing.discard(name)
        if not missing:
            break
    return state


def timeline(revisions: Iterable[Any], before: Before | None = None) -> list[Entry]:
    """Entries for ``revisions`` (oldest first, as ``Records.history`` returns them), newest first. ``before``:
    the state before the first of them, when they are a page of a longer history."""
    before = before or Before()
    files: dict[str, Any] = dict(before.files)  # git-owned fields as the last git revision parsed them
    edits: dict[str, Any] = dict(before.edits)  # fields set by database-side edits
    path: str | None = before.path
    entries: list[Entry] = []
    for rev in revisions:
        # Fields named as the record's page and the API name them (``metadata``), whatever release stored them.
        kind = getattr(rev, "entity_type", "")
        snapshot: Mapping[str, Any] = snapshot_fields(kind, rev.snapshot or {})
        # Dated by the author date, as `tracertm history` and the API's history are; the commit date (a rebase, a
        # cherry-pick, a merged branch) beside it when it differs. Revisions recorded before author dates were
        # (schema before 0010) have only the commit date; syncs of the work tree neither.
        authored, committed = getattr(rev, "authored_at", None), rev.committed_at
        entry = Entry(
            version=rev.version, change=rev.change, who=rev.author_name or getattr(rev, "actor", None),
            email=rev.author_email, when=authored or committed or rev.created_at, commit=rev.commit_sha,
            path=rev.source_path, when_label="authored" if authored else "committed" if committed else None,
            committed=committed if authored and committed and committed != authored else None,
        )
        if rev.change == "annotated":
            names = _edit_names(kind, rev, snapshot)
            entry.changes = _field_changes({**files, **edits}, snapshot, names)
            edits.update({n: snapshot.get(n) for n in names})
        elif snapshot:
            if rev.change != "created":
                entry.changes = _field_changes(files, snapshot, sorted(set(files) | set(snapshot)))
            files = dict(snapshot)
        if path is not None and rev.source_path and rev.source_path != path:
            entry.changes.insert(0, FieldChange("source_path", path, rev.source_path,
                                                word_diff(path, rev.source_path)))
        path = rev.source_path or path
        entries.append(entry)
    entries.reverse()
    return entries
