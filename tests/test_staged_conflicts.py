"""An unresolved merge conflict in the index: ``check --staged`` and ``sync --staged`` report the conflicted file as
unmerged and read none of its stages (not the merged-in side's); the database keeps what it had for that file."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, text

from conftest import GitRepo
from specs import adr, contract, feature
from tracertm import db, git
from tracertm.checker import check
from tracertm.cli import main
from tracertm.engine.sync import sync

MESSAGE = "unmerged (merge conflict): resolve it and git add it"


def _conflict(repo: GitRepo, url: str | None = None) -> None:
    """contracts/c.yaml: title Base, then Ours on main and Theirs on side; main synced (when ``url``); then an
    unresolved ``git merge side``. contracts/other.yaml merges cleanly."""
    repo.write("contracts/c.yaml", contract(1, "Base"))
    repo.write("contracts/other.yaml", contract(2, "Other"))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("contracts/c.yaml", contract(1, "Theirs"))
    repo.write("contracts/other.yaml", contract(2, "Other, edited on side"))
    repo.commit("theirs")
    repo.git("checkout", "-q", "main")
    repo.write("contracts/c.yaml", contract(1, "Ours"))
    repo.commit("ours")
    if url is not None:
        assert not sync(repo.path, database_url=url).errors
    merge = subprocess.run(["git", "merge", "-q", "side"], cwd=repo.path, capture_output=True, check=False)
    assert merge.returncode != 0, "the merge must stop on the conflict"


def _contracts(url: str) -> dict[str, tuple[str, int]]:
    engine = create_engine(db.parse_url(url))
    try:
        with engine.connect() as conn:
            live = "SELECT contract_number, title, version FROM contracts WHERE deleted_at IS NULL"
            rows = conn.execute(text(live))
            return {r[0]: (r[1], r[2]) for r in rows}
    finally:
        engine.dispose()


def test_the_index_listing_marks_a_conflicted_path(git_repo: GitRepo) -> None:
    _conflict(git_repo)
    entries = git.index_entries(git_repo.path, ("contracts/",))
    assert entries["contracts/c.yaml"] == git.Entry(git.UNMERGED, "")
    assert entries["contracts/other.yaml"].mode == "100644"
    # index_blobs gives a conflicted path as HEAD has it (stage 2), never the merged-in side.
    head_blob = git_repo.git("rev-parse", "HEAD:contracts/c.yaml")
    assert git.index_blobs(git_repo.path, ("contracts/",))["contracts/c.yaml"][1] == head_blob
    assert git.unmerged_paths(git.index_listing(git_repo.path, ("contracts/",))) == {"contracts/c.yaml"}


@pytest.mark.parametrize("all_files", [False, True])
def test_check_staged_fails_on_the_conflicted_file(git_repo: GitRepo, all_files: bool) -> None:
    _conflict(git_repo)
    result = check(git_repo.path, staged=True, all_files=all_files)
    assert [(d.path, d.message) for d in result.errors] == [("contracts/c.yaml", MESSAGE)]
    assert not result.ok


def test_check_staged_on_the_command_line(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _conflict(git_repo)
    assert main(["check", str(git_repo.path), "--staged"]) == 1
    out, _err = capsys.readouterr()
    assert out.strip().splitlines() == [f"contracts/c.yaml:2:1: {MESSAGE}"]  # (its first conflict marker)


def test_sync_staged_keeps_what_the_database_had(git_repo: GitRepo, database_url: str) -> None:
    _conflict(git_repo, database_url)
    before = _contracts(database_url)
    assert before["CTR-0001"] == ("Ours", 1)
    result = sync(git_repo.path, database_url=database_url, staged=True)
    assert [(d.path, d.message) for d in result.errors] == [("contracts/c.yaml", MESSAGE)]
    after = _contracts(database_url)
    assert after["CTR-0001"] == ("Ours", 1), "neither the merged-in version nor a deletion"
    # The file that merged cleanly is synced as staged.
    assert after["CTR-0002"] == ("Other, edited on side", 2)
    # Resolved and added: synced as resolved.
    git_repo.write("contracts/c.yaml", contract(1, "Resolved"))
    git_repo.git("add", "contracts/c.yaml")
    resolved = sync(git_repo.path, database_url=database_url, staged=True)
    assert not resolved.errors
    assert _contracts(database_url)["CTR-0001"] == ("Resolved", 2)


def test_sync_staged_on_the_command_line(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _conflict(git_repo, database_url)
    code = main(["sync", str(git_repo.path), "--staged", "--database-url", database_url])
    _out, err = capsys.readouterr()
    assert code == 1
    assert f"contracts/c.yaml:2:1: {MESSAGE}" in err.splitlines()
    assert _contracts(database_url)["CTR-0001"] == ("Ours", 1)


def test_every_conflicted_file_is_counted_and_points_at_its_first_marker(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # A merge whose every spec file is conflicted: hook mode counted only the ADR (which it sketches), and its
    # findings pointed at no line; the work tree's conflict markers say where to resolve each.
    names: dict[str, Callable[[str], str]] = {
        "docs/adr/0001-pay.md": lambda t: adr(1, "Pay", decision=t),
        "contracts/pay.yaml": lambda t: contract(1, t),
        "features/pay.feature": lambda t: feature(1, t),
    }
    for side in ("Base", "Ours"):
        if side == "Ours":
            git_repo.git("checkout", "-q", "-b", "side")
            for path, make in names.items():
                git_repo.write(path, make("Theirs"))
            git_repo.commit("theirs")
            git_repo.git("checkout", "-q", "main")
        for path, make in names.items():
            git_repo.write(path, make(side))
        git_repo.commit(side)
    assert subprocess.run(["git", "merge", "-q", "side"], cwd=git_repo.path, capture_output=True).returncode != 0
    markers = {p: next(i for i, line in enumerate(git_repo.read(p).splitlines(), 1) if line.startswith("<<<<<<<"))
               for p in names}
    git_repo.write("features/pay.feature", feature(1, "Resolved here, not added"))  # no marker left: no line
    expected = sorted([(p, markers[p], 1) for p in names if p != "features/pay.feature"]
                      + [("features/pay.feature", 0, 0)])
    for all_files in (False, True):
        result = check(git_repo.path, staged=True, all_files=all_files)
        assert sorted((d.path, d.line, d.column) for d in result.errors) == expected, all_files
        assert {d.message for d in result.errors} == {MESSAGE}
        assert result.files_checked == 3, all_files
    assert main(["check", "--staged", "--format", "json", str(git_repo.path)]) == 1
    assert '"files_checked": 3' in capsys.readouterr().out
