"""An unresolved merge conflict in the work tree: a conflicted file whose conflict markers are still in it is an
error at the first marker for a work-tree ``sync`` and ``check`` (and so for ``watch``, which syncs the same way),
and the database keeps what it had. Markdown and Gherkin free text take the markers without a parse error: before,
an ADR's decision and a feature's description were stored with ``<<<<<<< HEAD`` in them, as a new version. Once
resolved in the work tree (not yet added), the file is read as the work tree has it."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import create_engine, text

from conftest import GitRepo
from specs import adr, feature
from tracertm import db
from tracertm.checker import check
from tracertm.cli import main
from tracertm.engine.sync import sync

MESSAGE = "unmerged (merge conflict): the file still holds conflict markers; resolve them and git add it"
ADR = "docs/adr/0001-storage.md"
FEATURE = "features/login.feature"


def _login(description: str) -> str:
    return feature(1, "Login").replace("  As a user\n", f"  {description}\n  As a user\n")


def _conflict(repo: GitRepo, url: str, marker: str = "<<<<<<< HEAD") -> None:
    """The ADR's decision and the feature's description edited on both sides, main synced, then ``git merge side``
    stopped on both conflicts (``marker``: the opening marker git writes; longer ones are set in .gitattributes)."""
    if len(marker) > len("<<<<<<< HEAD"):
        repo.write(".gitattributes", f"* conflict-marker-size={marker.index(' ')}\n")
    repo.write(ADR, adr(1, "Storage", decision="Use PostgreSQL."))
    repo.write(FEATURE, _login("Users log in."))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write(ADR, adr(1, "Storage", decision="Use PostgreSQL 15."))
    repo.write(FEATURE, _login("Users log in with SSO."))
    repo.commit("theirs")
    repo.git("checkout", "-q", "main")
    repo.write(ADR, adr(1, "Storage", decision="Use PostgreSQL 16."))
    repo.write(FEATURE, _login("Users log in with a password."))
    repo.commit("ours")
    assert not sync(repo.path, database_url=url).errors
    merge = subprocess.run(["git", "merge", "-q", "side"], cwd=repo.path, capture_output=True, check=False)
    assert merge.returncode != 0, "the merge must stop on the conflicts"
    assert f"{marker}\n" in repo.read(ADR) and f"{marker}\n" in repo.read(FEATURE)


def _held(url: str) -> dict[str, tuple[str, int]]:
    engine = create_engine(db.parse_url(url))
    try:
        with engine.connect() as conn:
            adrs = conn.execute(text("SELECT adr_number, decision, version FROM adrs WHERE deleted_at IS NULL"))
            features = conn.execute(
                text("SELECT feature_number, description, version FROM features WHERE deleted_at IS NULL")
            )
            return {r[0]: (r[1], r[2]) for r in [*adrs, *features]}
    finally:
        engine.dispose()


def _marker_line(repo: GitRepo, path: str) -> int:
    return next(i for i, line in enumerate(repo.read(path).splitlines(), 1) if line.startswith("<<<<<<<"))


@pytest.mark.parametrize("marker", ["<<<<<<< HEAD", "<<<<<<<<<<<< HEAD"], ids=["default", "conflict-marker-size"])
def test_sync_and_check_refuse_the_conflicted_files_and_keep_the_database(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], marker: str
) -> None:
    _conflict(git_repo, database_url, marker)
    before = _held(database_url)
    assert before["ADR-0001"] == ("Use PostgreSQL 16.", 1)
    expected = [f"{path}:{_marker_line(git_repo, path)}:1: {MESSAGE}" for path in (ADR, FEATURE)]

    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 1
    _out, err = capsys.readouterr()
    assert [line for line in err.splitlines() if "merge conflict" in line] == expected
    assert _held(database_url) == before, "no version with the markers in it"

    assert main(["check", str(git_repo.path)]) == 1
    out, _err = capsys.readouterr()
    assert [line for line in out.splitlines() if "merge conflict" in line] == expected
    result = check(git_repo.path)
    assert sorted((d.path, d.line, d.message) for d in result.errors) == [
        (ADR, _marker_line(git_repo, ADR), MESSAGE), (FEATURE, _marker_line(git_repo, FEATURE), MESSAGE)
    ]


def test_resolved_in_the_work_tree_it_syncs_as_resolved(git_repo: GitRepo, database_url: str) -> None:
    _conflict(git_repo, database_url)
    # Resolved in the editor, not yet added: git still lists both paths as unmerged.
    git_repo.write(ADR, adr(1, "Storage", decision="Use PostgreSQL 16, then 17."))
    result = sync(git_repo.path, database_url=database_url)
    assert [(d.path, d.message) for d in result.errors] == [(FEATURE, MESSAGE)]
    held = _held(database_url)
    assert held["ADR-0001"] == ("Use PostgreSQL 16, then 17.", 2)
    assert "<<<<<<<" not in str(held)
    assert "UU " + ADR in git_repo.git("status", "--short")


def test_a_setext_heading_is_no_conflict_marker(git_repo: GitRepo, database_url: str) -> None:
    """Markdown's ``=======`` underline alone (no ``<<<<<<<`` line before it) is text, in a conflicted file too."""
    _conflict(git_repo, database_url)
    git_repo.write(ADR, adr(1, "Storage", decision="Use PostgreSQL 16.\n\nNotes\n=======\n\nNone."))
    git_repo.write(FEATURE, _login("Users log in with a password."))
    result = sync(git_repo.path, database_url=database_url)
    assert not result.errors, [d.message for d in result.errors]
    assert _held(database_url)["ADR-0001"][1] == 2
