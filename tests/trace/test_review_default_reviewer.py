"""``tracertm review --path REPO`` without ``--by`` records the reviewer git names in that repository (its own
``user.name``, as a commit there would), not the one of whatever folder the command was started in."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.cli import main
from tracertm.models import Link

FEATURE = "@FEAT-1 @ADR-0001\nFeature: F\n\n  @SC-1\n  Scenario: s\n    Given x\n"


def test_review_from_another_folder_records_the_repositorys_user_name(
    git_repo: GitRepo, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    git_repo.git("config", "user.name", "Repo Reviewer")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/f.feature", FEATURE)
    git_repo.commit("specs")
    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 0
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will do it twice."))
    git_repo.commit("decision")
    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 0

    elsewhere = tmp_path / "elsewhere"  # a folder of another repository, with an identity of its own
    elsewhere.mkdir()
    other = GitRepo(elsewhere)
    other.git("init", "-q")
    other.git("config", "user.name", "Someone Else")
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    code = main(["review", "--all", "--path", str(git_repo.path), "--database-url", database_url])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("reviewed ") and len(out.splitlines()) == 2, out

    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            who = set(conn.execute(select(Link.reviewed_by).where(Link.reviewed_by.is_not(None))).scalars())
    finally:
        engine.dispose()
    assert who == {"Repo Reviewer"}
