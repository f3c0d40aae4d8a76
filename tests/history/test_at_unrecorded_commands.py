"""The commands ``/at/{commit}``, ``show --at`` and ``diff --method history`` suggest when a record's state at a
commit was not recorded name the project, and the folder it was synced from, as every other suggestion of the API
does (``repositories.projects.command``): a bare ``tracertm backfill`` or ``tracertm sync``, pasted at the
repository's top for a project synced from a sub-folder under a name of its own, would read the top's files instead
(and be refused). A project at the top of its repository is named alone. A command that holds a quoted name is
set off in double quotes (in single ones, ``'tracertm backfill svc --project 'team svc''``, its own quotes ended
them: it could not be pasted as read). Real git, the real app, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from apikit import api_client
from conftest import GitRepo
from specs import adr
from tracertm.api.app import ApiSettings
from tracertm.cli import main
from tracertm.engine.sync import sync

ADR = "docs/adr/0001-pay.md"


def _answers(engine: Any, url: str, repo: GitRepo, project: str, commit: str,
             capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """The API's 404 detail and ``show --at``'s one line (exit 2) for ADR-0001 at ``commit``, each without the name
    it gives the commit (``commit``, ``--at``)."""
    with api_client(engine, ApiSettings(repository=str(repo.path))) as client:
        response = client.get(f"/api/v1/adrs/ADR-0001/at/{commit}", params={"project": project})
    assert response.status_code == 404, response.text[:300]
    code = main(["show", "ADR-0001", "--at", commit, "--project", project, "--path", str(repo.path),
                 "--database-url", url, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 2 and not out, out
    assert err.startswith("tracertm: error: --at ") and len(err.splitlines()) == 1, err
    detail = str(response.json()["detail"])
    assert detail.startswith("commit ") and str(repo.path) not in detail, detail  # no path of the server's disk
    return detail.removeprefix("commit "), err.removeprefix("tracertm: error: --at ").strip()


def _history(repo: GitRepo, engine: Any, folder: str, project: str) -> tuple[str, str]:
    """ADR-0001 committed and synced from a clean work tree (the last commit tracertm records), then edited in a
    commit no sync read: the ADR's state there was not recorded. Returns both commits."""
    repo.write(f"{folder}{ADR}", adr(1, "Pay"))
    first = repo.commit("adr")
    assert not sync(repo.path / folder, engine=engine, project=project).errors
    repo.write(f"{folder}{ADR}", adr(1, "Pay", decision="Twice."))
    return first, repo.commit("twice")


@pytest.mark.parametrize(("folder", "named"), [
    ("svc/", "tracertm {verb} svc{more} --project 'team svc'"),
    ("", "tracertm {verb}{more} --project 'team svc'"),
])
def test_the_suggested_commands_name_the_project_and_its_folder(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str], folder: str, named: str
) -> None:
    project = "team svc"
    first, later = _history(git_repo, engine, folder, project)
    backfill, sync_at = named.format(verb="backfill", more=""), named.format(verb="sync", more="")
    for detail in _answers(engine, database_url, git_repo, project, later, capsys):
        assert detail == (
            f"{later}: the record changed after {first[:12]}, the last commit tracertm recorded, so its state then "
            f"is not recorded; run \"{sync_at}\" at that commit (or \"{backfill}\") first"), detail

    # An edit synced from the work tree before its commit: no revision holds the file of ``later`` either.
    git_repo.write(f"{folder}{ADR}", adr(1, "Pay", decision="Thrice."))
    assert not sync(git_repo.path / folder, engine=engine, project=project).errors
    sync_ref = named.format(verb="sync", more=" --ref COMMIT")
    for detail in _answers(engine, database_url, git_repo, project, later, capsys):
        assert detail == (
            f"{later}: the record was changed in uncommitted files (synced from a work tree or index that differed "
            "from HEAD) and the file at that commit holds none of its recorded versions, so its state then is not "
            f"recorded; run \"{backfill}\" to record the history (or sync commits with \"{sync_ref}\")"), detail


@pytest.mark.parametrize(("folder", "backfill"), [
    ("svc/", "tracertm backfill svc --project 'team svc'"), ("", "tracertm backfill --project 'team svc'"),
])
def test_show_at_a_commit_before_the_record_suggests_the_projects_backfill(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str], folder: str,
    backfill: str,
) -> None:
    git_repo.write("README.md", "start\n")
    start = git_repo.commit("start")
    _history(git_repo, engine, folder, "team svc")
    code = main(["show", "ADR-0001", "--at", start, "--project", "team svc", "--path", str(git_repo.path),
                 "--database-url", database_url])
    out, err = capsys.readouterr()
    assert code == 2 and not out, out
    assert err == (f"tracertm: error: ADR-0001 has no revision at or before {start}: it came later, or the history "
                   f"was not recorded (run \"{backfill}\")\n"), err


@pytest.mark.parametrize(("folder", "backfill"), [
    ("svc/", "tracertm backfill svc --project 'team svc'"), ("", "tracertm backfill --project 'team svc'"),
])
def test_diff_by_history_without_a_backfill_suggests_the_projects_backfill(
    git_repo: GitRepo, engine: Any, database_url: str, folder: str, backfill: str
) -> None:
    from tracertm.errors import UsageError
    from tracertm.trace.diff import diff

    first, later = _history(git_repo, engine, folder, "team svc")
    with pytest.raises(UsageError) as refused:
        diff(git_repo.path / folder, first, later, method="history", project="team svc", database_url=database_url)
    assert str(refused.value) == (f"diff --method history: no complete backfill of this project; run \"{backfill}\" "
                                  "or use --method parse")


def test_a_command_without_quotes_of_its_own_is_set_off_in_single_quotes(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, later = _history(git_repo, engine, "svc/", "svc")
    for detail in _answers(engine, database_url, git_repo, "svc", later, capsys):
        assert detail.endswith("run 'tracertm sync svc --project svc' at that commit (or 'tracertm backfill svc "
                               "--project svc') first"), detail
