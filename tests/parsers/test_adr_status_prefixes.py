"""What stands before an ADR's status word — an emoji, a date, struck-out text — is no part of the status.

The status word was read past an emoji or a date (``✅ Superseded by [ADR-0005](0005-y.md)`` is superseded), but
the successor was not: ``superseded_by`` stayed empty without a word, while the README promises that ``Superseded
by [..]`` sets it. And a status struck out with GFM's ``~~`` (``~~Accepted~~ Superseded by [..]``, how some teams
keep a status's history) was read as the struck word: ``accepted``, no successor, no warning. Real git repository,
SQLite and PostgreSQL for the stored row.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from tracertm.engine.sync import sync
from tracertm.parsers.adr import parse


def read(status: str, where: str = "section") -> tuple[str, str | None, str | None, tuple[str, ...]]:
    if where == "section":
        text = f"# 3. Use X\n\nDate: 2020-01-02\n\n## Status\n\n{status}\n\n## Context\n\nctx\n"
    else:
        text = f"# 3. Use X\n\n* Status: {status}\n* Date: 2020-01-02\n\n## Context\n\nctx\n"
    result = parse("docs/adr/0003-use-x.md", text.encode())
    (record,) = result.records
    fields = record.fields
    return (fields["status"], fields["superseded_by"], fields["adr_metadata"]["raw_status"],
            tuple(str(w) for w in result.warnings))


@pytest.mark.parametrize("where", ["section", "key list"])
@pytest.mark.parametrize(
    "status",
    [
        "✅ Superseded by [ADR-0005](0005-use-y.md)",
        ":no_entry: Superseded by ADR-0005",
        "2020-03-04 superseded by [ADR-0005](0005-use-y.md)",
        "~~Accepted~~ Superseded by [ADR-0005](0005-use-y.md)",
        "[Superseded by ADR-0005](0005-use-y.md)",
    ],
)
def test_the_successor_is_read_past_what_precedes_the_status_word(status: str, where: str) -> None:
    assert read(status, where) == ("superseded", "ADR-0005", status, ())


@pytest.mark.parametrize("where", ["section", "key list"])
def test_a_struck_out_status_is_not_the_status(where: str) -> None:
    assert read("~~Proposed~~ Accepted", where) == ("accepted", None, "~~Proposed~~ Accepted", ())


def test_a_struck_out_successor_is_no_successor() -> None:
    status = "~~Superseded by [ADR-0005](0005-use-y.md)~~ Accepted"
    assert read(status) == ("accepted", None, status, ())


def test_only_the_status_relation_is_read_past_a_prefix() -> None:
    """``✅ Accepted, amends [..]`` is an accepted ADR: no successor, as before."""
    assert read("✅ Accepted, amends [ADR-0002](0002-z.md)")[:2] == ("accepted", None)


def test_everything_struck_out_is_a_warning_not_a_guess() -> None:
    status, successor, _, warnings = read("~~Accepted~~")
    assert (status, successor) == ("proposed", None)
    assert len(warnings) == 1 and "unknown status '~~Accepted~~'" in warnings[0]


def test_the_stored_row_names_the_successor(git_repo: GitRepo, engine: Any) -> None:
    from sqlalchemy import select

    from tracertm import db
    from tracertm.models import ADR

    git_repo.write("docs/adr/0005-use-y.md", "# 5. Use Y\n\n## Status\n\nAccepted\n\n## Context\n\nc\n")
    git_repo.write("docs/adr/0003-use-x.md", "# 3. Use X\n\n## Status\n\nAccepted\n\n## Context\n\nc\n")
    git_repo.commit("two ADRs")
    assert not sync(git_repo.path, engine=engine, ref="HEAD").errors
    git_repo.write("docs/adr/0003-use-x.md",
                   "# 3. Use X\n\n## Status\n\n~~Accepted~~ ⛔ Superseded by [ADR-0005](0005-use-y.md)\n\n"
                   "## Context\n\nc\n")
    git_repo.commit("X superseded by Y")
    result = sync(git_repo.path, engine=engine, ref="HEAD")
    assert not result.errors and not result.warnings, (result.errors, result.warnings)
    with db.session(engine) as session:
        row = session.execute(
            select(ADR.status, ADR.superseded_by, ADR.version).where(ADR.adr_number == "ADR-0003")
        ).one()
    assert (str(getattr(row.status, "value", row.status)), row.superseded_by, row.version) == (
        "superseded", "ADR-0005", 2)
