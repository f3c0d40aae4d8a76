"""An ADR's front matter number is read as its author wrote it, not as YAML 1.1 guesses: ``id: 0010`` is ADR-0010.

PyYAML reads YAML 1.1, where a leading zero makes an integer octal (``0010`` is 8, ``0012`` is 10) and ``0x`` hex.
So ``id: 0010`` was ADR-0008 and ``supersedes: 0012`` named ADR-0010, without a word — while the hook's rough
sketch (``rough_sketch``), contracts (``id: 0010`` is CTR-0010) and a quoted ``"0010"`` all said ADR-0010. Real
git repository, SQLite and PostgreSQL for the stored rows.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from tracertm.engine.sync import sync
from tracertm.parsers.adr import parse
from tracertm.parsers.records import DEFAULT_OPTIONS


def fields(front: str, path: str = "docs/adr/use-x.md") -> dict[str, Any]:
    result = parse(path, f"---\n{front}\nstatus: accepted\n---\n# Use X\n\n## Context\n\nc\n".encode())
    (record,) = result.records
    return dict(record.fields)


@pytest.mark.parametrize(
    ("front", "number"),
    [
        ("id: 0010", "ADR-0010"),
        ("number: 0012", "ADR-0012"),
        ('id: "0010"', "ADR-0010"),
        ("number: 12", "ADR-0012"),
        ("id: 0x1A", "0x1A"),
    ],
)
def test_the_id_is_the_number_as_written(front: str, number: str) -> None:
    assert fields(front)["adr_number"] == number


def test_the_rough_sketch_and_the_parser_agree() -> None:
    """The hook's cache answers from the rough sketch when it can: the two must name the same ADR."""
    from tracertm.rough_sketch import sketch_text

    data = b"---\nid: 0010\nstatus: accepted\n---\n# Use X\n"
    (record,) = sketch_text("docs/adr/use-x.md", "adr", data, DEFAULT_OPTIONS).records
    assert record.number == parse("docs/adr/use-x.md", data).records[0].number == "ADR-0010"


@pytest.mark.parametrize(
    ("front", "key", "target"),
    [("supersedes: 0012", "supersedes", "ADR-0012"), ("superseded-by: [0011, 0012]", "superseded_by", "ADR-0011")],
)
def test_a_reference_is_the_number_as_written(front: str, key: str, target: str) -> None:
    assert fields(front, "docs/adr/0013-use-x.md")[key] == target


def test_other_keys_keep_what_was_written() -> None:
    """``review-time: 10:30`` is not 630 minutes, nor ``priority: 010`` 8; plain decimal stays a number."""
    metadata = fields("priority: 010\nreview-time: 10:30\nweight: 12")["adr_metadata"]
    assert (metadata["priority"], metadata["review-time"], metadata["weight"]) == ("010", "10:30", 12)


def test_the_stored_rows(git_repo: GitRepo, engine: Any) -> None:
    from sqlalchemy import select

    from tracertm import db
    from tracertm.models import ADR

    git_repo.write("docs/adr/storage.md", "---\nid: 0010\nstatus: accepted\n---\n# Storage\n\n## Context\n\nc\n")
    git_repo.write("docs/adr/queue.md", "---\nnumber: 0012\nstatus: accepted\nsupersedes: 0010\n---\n"
                   "# Queue\n\n## Context\n\nc\n")
    git_repo.commit("two ADRs numbered in front matter")
    result = sync(git_repo.path, engine=engine, ref="HEAD")
    assert not result.errors, result.errors
    with db.session(engine) as session:
        rows = session.execute(select(ADR.adr_number, ADR.source_path, ADR.supersedes).order_by(ADR.adr_number))
        stored = [tuple(row) for row in rows]
    assert stored == [("ADR-0010", "docs/adr/storage.md", None), ("ADR-0012", "docs/adr/queue.md", "ADR-0010")]
