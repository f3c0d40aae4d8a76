"""``tracertm diff``'s history method sees an ADR's date as its file has it, not the date a backfill fills in for an
ADR whose file has none (README, Backfill: "ADR dates"), so it reports the same change as the parse method.

Found by the histaudit differential audit on adr-tools' history (npryce/adr-tools, GPL-3.0): commit 39b9e42 "fix
dates" turned ``Date: 14/02/2016`` in ``doc/adr/0004-markdown-format.md`` into the ambiguous ``12/02/2016`` (no
date); the backfill filled in the creating commit's date, 2016-02-14, and the history method saw no change where
parsing reports ``date``. Real git repositories, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from tracertm.trace.diff import diff

WHEN = "2016-02-14T14:12:35+00:00"


def _adr(date_line: str) -> str:
    return (f"# 4. Markdown format\n\n{date_line}## Status\n\nAccepted\n\n## Context\n\nWe need a format.\n\n"
            "## Decision\n\nMarkdown.\n\n## Consequences\n\nEasy to read.\n")


def _changes(result: Any) -> list[tuple[Any, ...]]:
    return [(c.action, c.kind, c.id, c.path, c.from_path, c.fields) for c in result.changes]


@pytest.mark.parametrize(("before", "after"), [
    ("Date: 14/02/2016\n\n", "Date: 12/02/2016\n\n"),  # adr-tools 39b9e42: a date, then an ambiguous one (none)
    ("", "Date: 2016-02-14\n\n"),  # no date, then the very date the backfill had filled in
])
def test_a_date_the_file_gains_or_loses_is_a_change_in_both_methods(
        git_repo: GitRepo, engine: Any, database_url: str, before: str, after: str) -> None:
    from tracertm.history.backfill import backfill

    path = "doc/adr/0004-markdown-format.md"
    git_repo.write(path, _adr(before))
    first = git_repo.commit("added some ADRs", date=WHEN)
    git_repo.write(path, _adr(after))
    last = git_repo.commit("fix dates", date="2016-02-14T14:15:16+00:00")
    backfill(git_repo.path, engine=engine)

    parsed = diff(git_repo.path, first, last, method="parse")
    recorded = diff(git_repo.path, first, last, method="history", database_url=database_url)
    assert recorded.method == "history"
    assert _changes(parsed) == [("updated", "adr", "ADR-0004", path, None, ("date",))]
    assert _changes(recorded) == _changes(parsed)
