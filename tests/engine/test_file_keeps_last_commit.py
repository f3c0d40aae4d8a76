"""``source_files.last_commit`` is the commit that last changed the file (its bytes, or whether it is there). A file's
row is also rewritten when its bytes did not change — its findings change: it lost an id to a file since deleted,
or a parser option reads it without a warning now — and that rewrite wrote the sync's commit (or NULL, from the
work tree) over the one that changed the file, as a refresh of a record did before ``Operation.same_blob``; a
backfill's writer and a merge onto synced rows (``history.merge``) alike. Now each keeps it; a file whose bytes
change, that goes or comes back gets the commit. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import GitRepo
from raw_sql import sql
from specs import adr
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill

# An ADR whose date reads either way: a warning until date_format says which (the same bytes, other findings).
AMBIGUOUS = "# 3. Use Z\n\nDate: 09/04/2018\n\n## Status\n\nAccepted\n\n## Context\n\nc\n\n## Decision\n\nd\n"


def _files(url: str) -> dict[str, tuple[str | None, bool, bool]]:
    """Each file's ``last_commit``, whether it is deleted, whether it has findings."""
    rows = sql(url, "SELECT path, last_commit, deleted_at, parse_error FROM source_files")
    return {path: (commit, deleted is not None, bool(errors)) for path, commit, deleted, errors in rows}


def _history(repo: GitRepo, after: Callable[[str], object] = lambda commit: None) -> dict[str, str]:
    """Four commits, each handed to ``after`` once made: ``first`` adds ADR-0001 (x) and the ambiguous ADR-0003;
    ``second`` adds y, which claims ADR-0001 too and loses it to x (an error on y); ``third`` removes x, so y takes
    ADR-0001 over (y's error goes, its bytes stay); ``fourth`` sets date_format (ADR-0003's warning goes, its bytes
    stay)."""
    commits: dict[str, str] = {}

    def commit(name: str) -> None:
        commits[name] = repo.commit(name)
        after(commits[name])

    repo.write("docs/adr/0001-x.md", adr(1, "Use X"))
    repo.write("docs/adr/0003-z.md", AMBIGUOUS)
    commit("first")
    repo.write("docs/adr/0001-y.md", adr(1, "Use Y"))
    commit("second")
    repo.remove("docs/adr/0001-x.md")
    commit("third")
    repo.write(".tracertm.toml", 'date_format = "DD/MM/YYYY"\n')
    commit("fourth")
    return commits


def _expected(commits: dict[str, str]) -> dict[str, tuple[str | None, bool, bool]]:
    return {
        "docs/adr/0001-x.md": (commits["third"], True, False),  # removed: its removal is its last change
        "docs/adr/0001-y.md": (commits["second"], False, False),  # (it was the third commit's, then the fourth's)
        "docs/adr/0003-z.md": (commits["first"], False, False),  # (it was the fourth commit's)
    }


def test_a_sync_keeps_the_commit_of_a_file_whose_bytes_did_not_change(git_repo: GitRepo, database_url: str) -> None:
    seen = []

    def synced(commit: str) -> None:  # (a sync reads the work tree's configuration: each commit's here)
        sync(git_repo.path, database_url=database_url, ref=commit)
        seen.append(_files(database_url))

    commits = _history(git_repo, synced)
    assert seen[1]["docs/adr/0001-y.md"] == (commits["second"], False, True)  # lost ADR-0001 to x: an error
    assert seen[2]["docs/adr/0003-z.md"] == (commits["first"], False, True)  # the ambiguous date's warning
    assert seen[3] == _expected(commits)

    # Changed bytes name their commit, as before.
    git_repo.write("docs/adr/0001-y.md", adr(1, "Use Y", decision="We will do it now."))
    fifth = git_repo.commit("fifth")
    sync(git_repo.path, database_url=database_url, ref="HEAD")
    assert _files(database_url)["docs/adr/0001-y.md"] == (fifth, False, False)


@pytest.mark.parametrize("batch_size", [1, 100])
def test_a_backfill_keeps_the_commit_of_a_file_whose_bytes_did_not_change(
    git_repo: GitRepo, database_url: str, batch_size: int,
) -> None:
    """Batch 100 writes the second and third commits in one batch (the fourth starts another: its options differ):
    y's row is new in that batch and rewritten by the third commit before it is written."""
    commits = _history(git_repo)
    backfill(git_repo.path, database_url=database_url, batch_size=batch_size)
    assert _files(database_url) == _expected(commits)


def test_a_backfill_merged_onto_synced_rows_gives_them_the_commit_that_changed_the_file(
    git_repo: GitRepo, database_url: str,
) -> None:
    commits = _history(git_repo)
    sync(git_repo.path, database_url=database_url, ref="HEAD")  # every file's row names the fourth commit
    assert backfill(git_repo.path, database_url=database_url).mode == "merged"
    assert _files(database_url) == _expected(commits)
