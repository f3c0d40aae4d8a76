"""The Python API refuses a blank ``project`` or ``database_url`` (``""``, spaces) as the command line refuses
``--project ""``: only ``None`` means "not given". A blank was taken for unset — the default database, the derived
project, the database's only project — so a caller's empty variable wrote somewhere it never named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tracertm
from conftest import GitRepo
from specs import adr, feature
from tracertm import db
from tracertm.errors import UsageError

REPORT = ('<testsuite name="s"><testcase classname="Login" name="first"/></testsuite>').encode()


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.write("features/login.feature", feature(1, "Login"))
    git_repo.commit("specs")
    return git_repo


@pytest.mark.parametrize("verb", ["sync", "backfill"])
@pytest.mark.parametrize("given", [{"database_url": ""}, {"database_url": "  "}, {"project": ""},
                                   {"project": " \t"}])
def test_a_blank_project_or_database_url_is_a_usage_error_and_nothing_is_written(
        repo: GitRepo, tmp_path: Path, verb: str, given: dict[str, str]) -> None:
    named = tmp_path / "named.db"
    arguments: dict[str, Any] = {"database_url": f"sqlite:///{named}", **given}
    name, value = next(iter(given.items()))
    with pytest.raises(UsageError) as caught:
        getattr(tracertm, verb)(repo.path, **arguments)
    assert str(caught.value) == f"{name}={value!r} is blank; give a value, or None for the default"
    assert not named.exists() and not db.default_database_path().exists()


@pytest.mark.parametrize("ref", ["", "  "])
def test_backfill_refuses_a_blank_ref_as_sync_does(repo: GitRepo, tmp_path: Path, ref: str) -> None:
    """``backfill(ref="")`` replayed HEAD's history (an unset variable meant the default, silently) and
    ``ref="  "`` raised ``GitError``: refused as ``sync``, ``check`` and ``backfill --ref ""`` refuse it."""
    named = tmp_path / "named.db"
    with pytest.raises(UsageError) as caught:
        tracertm.backfill(repo.path, ref=ref, database_url=f"sqlite:///{named}")
    assert str(caught.value) == "--ref: empty; name a commit, branch or tag (--ref main), or leave --ref out for HEAD"
    with pytest.raises(UsageError, match=r"^--ref: empty; .* for the work tree$"):
        tracertm.sync(repo.path, ref=ref, database_url=f"sqlite:///{named}")
    assert not named.exists()


def test_import_results_refuses_a_blank_project_or_database_url(repo: GitRepo, database_url: str) -> None:
    assert not tracertm.sync(repo.path, database_url=database_url, project="p").errors
    with pytest.raises(UsageError, match=r"^project='' is blank; "):  # (it imported into the only project)
        tracertm.import_results(database_url, "", [("r.xml", REPORT)])
    with pytest.raises(UsageError, match=r"^target='' is blank; "):  # (the default database)
        tracertm.import_results("", "p", [("r.xml", REPORT)])
    assert not db.default_database_path().exists()
    summary = tracertm.import_results(database_url, "p", [("r.xml", REPORT)])
    assert summary.total == 1 and summary.run_id is not None, "the first import of this report: nothing went in before"


def test_none_still_means_the_default(repo: GitRepo) -> None:
    result = tracertm.sync(repo.path, project=None, database_url=None)
    assert not result.errors and db.default_database_path().is_file()
