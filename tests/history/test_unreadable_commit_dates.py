"""A commit whose date git prints unreadably or Python cannot hold is an undated commit, never an internal error:
a commit object written without a time zone (an importer's; git prints ``%cI`` as it is), and one dated
``@253402300799 +1400`` (``10000-01-01T13:59:59+14:00``). Sync (of the work tree, which records HEAD, and of a
ref), backfill and the hook's sync each stopped on ``fromisoformat``'s ValueError (exit 3); the merged side's
author date of a merge (``merge_authors``) the same. Now the revisions and the run have no commit date."""

from __future__ import annotations

import json
import subprocess

from conftest import GitRepo, run_cli
from specs import adr


def _raw_commit(repo: GitRepo, message: str, *parents: str) -> str:
    """A commit of the index written as an importer may: author and committer dates with no time zone."""
    lines = [f"tree {repo.git('write-tree')}", *(f"parent {p}" for p in parents),
             "author Old Importer <old@example.com> 1234567890",
             "committer Old Importer <old@example.com> 1234567890", "", message, ""]
    return subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin"], cwd=repo.path,
                          input="\n".join(lines), capture_output=True, text=True, check=True).stdout.strip()


def _history(url: str, repo: GitRepo, ident: str) -> list[dict[str, object]]:
    done = run_cli("history", ident, "--format", "json", "--database-url", url, "--path", str(repo.path))
    assert done.returncode == 0, done.stderr
    revisions: list[dict[str, object]] = json.loads(done.stdout)
    return revisions


def test_sync_backfill_and_hook_take_an_unreadable_date_as_none(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0001-first.md", adr(1, "First"))
    git_repo.commit("first")
    git_repo.write("docs/adr/0002-imported.md", "# 2. Imported\n\n## Status\n\nAccepted\n")  # dated by its commit
    git_repo.git("add", "-A")
    git_repo.git("update-ref", "HEAD", _raw_commit(git_repo, "imported", git_repo.head()))

    # A merge whose merged side is undated: whose work it brought in is read from that side's commits.
    git_repo.git("checkout", "-q", "-b", "side")
    git_repo.write("docs/adr/0003-side.md", adr(3, "Side"))
    git_repo.git("add", "-A")
    git_repo.git("update-ref", "HEAD", _raw_commit(git_repo, "side", git_repo.head()))
    git_repo.git("checkout", "-q", "main")
    git_repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")

    for_ever = "@253402300799 +1400"  # 9999-12-31T23:59:59Z, in a zone where the year is 10000
    git_repo.write("docs/adr/0004-far.md", adr(4, "Far"))
    git_repo.remove("docs/adr/0001-first.md")
    git_repo.commit("far", date=for_ever)
    assert git_repo.git("log", "-1", "--format=%aI") == "10000-01-01T13:59:59+14:00"

    url = database_url
    for argv in (("backfill", "--quiet"), ("sync",), ("sync", "--ref", "HEAD"), ("sync", "--ref", "HEAD~1"),
                 ("hook", "sync"), ("backfill", "--quiet")):  # the last one reads the synced ADRs' commit dates
        done = run_cli(*argv, str(git_repo.path), "--database-url", url)
        assert done.returncode == 0 and "internal error" not in done.stderr, (argv, done.stderr)

    (imported,) = _history(url, git_repo, "ADR-0002")
    assert imported["committed_at"] is None and imported["author_name"] == "Old Importer"
    shown = run_cli("show", "ADR-0002", "--format", "json", "--database-url", url, "--path", str(git_repo.path))
    assert json.loads(shown.stdout)["date"] is None  # an ADR without a date takes its commit's: none
    assert _history(url, git_repo, "ADR-0004")[0]["committed_at"] is None
    assert _history(url, git_repo, "ADR-0003")[0]["author_name"] == "Old Importer"
    assert _history(url, git_repo, "ADR-0001")[-1]["change"] == "deleted"  # dated now: a deletion has a time
    at = run_cli("show", "ADR-0002", "--at", "HEAD", "--database-url", url, "--path", str(git_repo.path))
    assert at.returncode == 0, at.stderr
    assert "by Old Importer)" in at.stdout.splitlines()[0] and "None" not in at.stdout  # an unknown date left out


def test_a_work_tree_sync_records_an_undated_head(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0001-first.md", adr(1, "First"))
    git_repo.git("add", "-A")
    git_repo.git("update-ref", "HEAD", _raw_commit(git_repo, "imported"))
    for argv in (("sync",), ("sync",), ("hook", "sync")):  # the second is a no-op sync (``fastpath``)
        done = run_cli(*argv, str(git_repo.path), "--database-url", database_url)
        assert done.returncode == 0 and "internal error" not in done.stderr, (argv, done.stderr)



def test_an_adr_created_by_an_undated_commit_stays_undated(git_repo: GitRepo, database_url: str) -> None:
    """An ADR without a date of its own, created by a commit whose date git cannot give: ``sync --ref`` of each
    commit leaves it undated, and so does a backfill now. It took the date of the next commit that changed it (the
    replay's ``adr_created`` kept no creation for it), in its row and that revision's snapshot; a backfill continued
    past the undated commit (``load_state``) took the first run's time."""
    git_repo.write("docs/adr/0001-one.md", "# 1. One\n\n## Status\n\nAccepted\n\n## Context\n\nx\n")
    git_repo.commit("undated", date="@253402300799 +1400")
    git_repo.write("docs/adr/0001-one.md", "# 1. One\n\n## Status\n\nAccepted\n\n## Context\n\nx and y\n")
    git_repo.commit("dated", date="2022-05-05T00:00:00Z")
    url, path = database_url, str(git_repo.path)
    for project, refs in (("whole", ["HEAD"]), ("continued", ["HEAD~1", "HEAD"]), ("synced", [])):
        for ref in refs:
            done = run_cli("backfill", "--quiet", path, "--ref", ref, "--project", project, "--database-url", url)
            assert done.returncode == 0, done.stderr
        for ref in [] if refs else ["HEAD~1", "HEAD"]:
            done = run_cli("sync", path, "--ref", ref, "--project", project, "--database-url", url)
            assert done.returncode == 0, done.stderr
        for at in ([], ["--at", "HEAD"]):
            shown = run_cli("show", "ADR-0001", *at, "--format", "json", "--project", project,
                            "--database-url", url, "--path", path)
            assert shown.returncode == 0, shown.stderr
            fields = json.loads(shown.stdout)
            assert (fields["snapshot"] if at else fields)["date"] is None, (project, at)
