"""The history timeline's field diffs (pure): git snapshots against the previous git snapshot, database edits
against the previous value of the fields they set, moves as a path change, deletions without a diff."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from tracertm.web.timeline import MAX_TEXT, timeline, word_diff


def rev(version: int, change: str, snapshot: dict[str, Any] | None, path: str = "docs/adr/1.md",
        fields: list[str] | None = None, author: str | None = "Ada") -> Any:
    return SimpleNamespace(
        version=version, change=change, snapshot=snapshot, source_path=path, changed_fields=fields,
        author_name=author, author_email=None, actor=None if author else "api:carol", commit_sha=f"{version:040x}",
        committed_at=dt.datetime(2026, 11, version, tzinfo=dt.timezone.utc), created_at=None,
    )


def test_each_revision_diffs_against_the_state_before_it() -> None:
    revisions = [
        rev(1, "created", {"title": "Use a queue", "status": "proposed", "tags": ["a"]}),
        rev(2, "annotated", {"approved_by": "carol"}, fields=["approved_by"], author=None),
        rev(3, "updated", {"title": "Use a durable queue", "status": "accepted", "tags": ["a"]}),
        rev(4, "annotated", {"approved_by": "dan"}, fields=["approved_by"], author=None),
        rev(5, "moved", {"title": "Use a durable queue", "status": "accepted", "tags": ["a"]}, path="docs/adr/2.md"),
        rev(6, "deleted", {}, path="docs/adr/2.md"),
    ]
    entries = timeline(revisions)
    assert [e.version for e in entries] == [6, 5, 4, 3, 2, 1]  # newest first
    by = {e.version: e for e in entries}
    assert by[1].changes == []  # the created revision shows no diff: the page shows the fields
    assert [(c.name, c.before, c.after) for c in by[2].changes] == [("approved_by", None, "carol")]
    assert by[2].who == "api:carol"
    assert [(c.name, c.before, c.after) for c in by[3].changes] == [
        ("status", "proposed", "accepted"), ("title", "Use a queue", "Use a durable queue")]
    title = by[3].changes[1]
    assert [(s.op, s.text) for s in title.segments] == [("same", "Use a "), ("added", "durable "), ("same", "queue")]
    # a database edit after a git change still diffs against the previous edit, not against nothing
    assert [(c.name, c.before, c.after) for c in by[4].changes] == [("approved_by", "carol", "dan")]
    assert [(c.name, c.before, c.after) for c in by[5].changes] == [("source_path", "docs/adr/1.md", "docs/adr/2.md")]
    assert by[6].changes == []


def test_structured_values_compare_as_sorted_json_and_long_text_is_clipped() -> None:
    entries = timeline([
        rev(1, "created", {"tags": ["b", "a"], "meta": {"y": 1, "x": 2}}),
        rev(2, "updated", {"tags": ["b", "a"], "meta": {"x": 2, "y": 1}, "context": "x" * (MAX_TEXT + 50)}),
    ])
    (change,) = entries[0].changes  # the mapping's key order is no change
    assert change.name == "context" and change.after is not None and len(change.after) == MAX_TEXT
    assert change.after.endswith("…")


def test_word_diff_marks_removed_and_added_words() -> None:
    segments = word_diff("keep the old words", "keep the new words")
    assert [(s.op, s.text) for s in segments] == [
        ("same", "keep the "), ("removed", "old"), ("added", "new"), ("same", " words")]
    assert [(s.op, s.text) for s in word_diff(None, "all new")] == [("added", "all new")]


def test_a_rewrite_shows_as_one_removal_and_one_addition_around_the_common_ends() -> None:
    old = "Intro stays. " + " ".join(f"a{i}" for i in range(60)) + " Outro stays."
    new = "Intro stays. " + " ".join(f"b{i}" for i in range(60)) + " Outro stays."
    segments = word_diff(old, new)
    assert [s.op for s in segments] == ["same", "removed", "added", "same"]
    assert segments[0].text == "Intro stays. " and segments[-1].text == " Outro stays."
    assert "".join(s.text for s in segments if s.op != "added") == old
    assert "".join(s.text for s in segments if s.op != "removed") == new


def test_unchanged_text_far_from_a_change_is_elided_for_reading() -> None:
    from tracertm.web.timeline import KEEP, elided

    long = "x " * 200
    segments = elided(word_diff(long + "old end", long + "new end"))
    assert [s.op for s in segments] == ["same", "removed", "added", "same"]
    assert segments[0].text.startswith("…") and len(segments[0].text) == KEEP + 1
    assert segments[-1].text == " end"
    (entry,) = [e for e in timeline([rev(1, "created", {"context": long + "a"}), rev(2, "updated", {"context": long + "b"})])
                if e.changes]
    assert entry.changes[0].after == (long + "b")  # the full values stay available
    assert entry.changes[0].segments[0].text.startswith("…")

