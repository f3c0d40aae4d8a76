"""The revisions a backfill's progress reports are the revisions its summary counts, and never go down.

The audit found a backfill into a database a sync had already filled (merged mode) printing "35 revisions" after 1
of 4 commits, then "3" at 4 of 4, and a summary of 3: the progress counted the revisions the replay planned in
memory before the graft, most of which the graft found written already (by the sync) and did not write. Now a
merge's progress counts what is written: nothing while it replays the history up to the synced commit, then what
the graft wrote, then the revisions of each later commit as a full backfill counts them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import GitRepo, run_cli
from specs import adr, contract, feature
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.history.results import Progress


def _history(repo: GitRepo, commits: int) -> list[str]:
    """``commits`` commits, each adding or changing a few records (many revisions in the first)."""
    shas = []
    for n in range(1, 9):
        repo.write(f"docs/adr/{n:04d}-d{n}.md", adr(n, f"Decision {n}"))
    repo.write("contracts/a.yaml", contract(1, "One"))
    repo.write("features/pay.feature", feature(1, "Pay", {"one": ["Given a"], "two": ["Given b"]}))
    shas.append(repo.commit("c1"))
    for i in range(2, commits + 1):
        repo.write("docs/adr/0001-d1.md", adr(1, "Decision 1", decision=f"We will do it {i}."))
        repo.write(f"docs/adr/{20 + i:04d}-e{i}.md", adr(20 + i, f"Extra {i}"))
        shas.append(repo.commit(f"c{i}"))
    return shas


def _watched(repo: GitRepo, engine: Any, **options: Any) -> tuple[list[Progress], Any]:
    seen: list[Progress] = []
    result = backfill(repo.path, engine=engine, project="p", on_progress=seen.append, **options)
    return seen, result


def _assert_agrees(seen: list[Progress], result: Any) -> None:
    figures = [p.revisions for p in seen]
    assert figures, "no progress reported"
    assert figures == sorted(figures), f"the revisions reported went down: {figures}"
    assert figures[-1] == result.revisions, (figures, result.revisions)
    assert seen[-1].done == seen[-1].total


@pytest.mark.parametrize("batch_size", [1, 100])
def test_a_merge_into_a_synced_project_reports_what_it_writes(
    git_repo: GitRepo, engine: Any, batch_size: int
) -> None:
    _history(git_repo, 4)
    sync(git_repo.path, engine=engine, project="p")  # the head's records, one revision each
    seen, result = _watched(git_repo, engine, batch_size=batch_size)
    assert result.mode == "merged"
    _assert_agrees(seen, result)


def test_a_merge_with_commits_after_the_synced_one_reports_what_it_writes(git_repo: GitRepo, engine: Any) -> None:
    """Synced at the second commit: the graft, then the two later commits written batch by batch."""
    shas = _history(git_repo, 4)
    sync(git_repo.path, engine=engine, project="p", ref=shas[1])
    seen, result = _watched(git_repo, engine, batch_size=1)
    assert result.mode == "merged" and result.revisions > 0
    _assert_agrees(seen, result)


def test_a_full_backfill_reports_what_it_writes(git_repo: GitRepo, engine: Any) -> None:
    _history(git_repo, 4)
    seen, result = _watched(git_repo, engine, batch_size=1)
    assert result.mode == "full" and result.revisions > 0
    _assert_agrees(seen, result)


def test_the_command_lines_progress_ends_on_the_summarys_figure(
    git_repo: GitRepo, engine: Any, database_url: str
) -> None:
    """``tracertm backfill`` (not a terminal: a line per report, the first and the last at least)."""
    _history(git_repo, 4)
    sync(git_repo.path, engine=engine, project="p")
    done = run_cli("backfill", str(git_repo.path), "--project", "p", "--database-url", database_url)
    assert done.returncode == 0, done.stderr
    figures = [int(n) for n in re.findall(r"^backfill: .* (\d+) revisions", done.stderr, re.MULTILINE)]
    summary = re.search(r"commits?, (\d+) revisions?,", done.stdout)
    assert summary is not None and "(merged)" in done.stdout, done.stdout
    assert figures and figures == sorted(figures) and figures[-1] == int(summary.group(1)), (done.stderr,
                                                                                            done.stdout)
