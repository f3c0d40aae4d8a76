"""The commands ``/at/{commit}``, ``show --at`` and ``diff --method history`` suggest when a record's state at a
commit was not recorded name the project, and the folder it was synced from, as every other suggestion of the API
does (``repositories.projects.command``): a bare ``tracertm backfill`` or ``tracertm sync``, pasted at the
repository's top for a project synced from a sub-folder under a name of its own, would read the top's files instead
(and be refused). A project at the top of its repository is named alone. A command that holds a quoted name is
set off in double quotes (in single ones, ``'tracertm backfill svc --project 'team svc''``, its own quotes ended
them: it could not be pasted as read). Real git, the real app, SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from apikit import api_client
from conftest import GitRepo
from served import serve
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
    backfill: str, tmp_path: Path
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
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base, httpx.Client(base_url=base) as http:
        answer = http.get(f"/api/v1/adrs/ADR-0001/at/{start}", params={"project": "team svc"})
    assert (answer.status_code, answer.json()["detail"]) == (404, err.removeprefix("tracertm: error: ").strip())


def test_show_at_a_commit_before_the_record_after_a_complete_backfill_says_only_it_came_later(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The history is recorded from the root through that commit: no backfill would add a revision there, so it
    suggested one for nothing. A commit after the backfill's last one may still be unrecorded: suggested there."""
    from tracertm.history.backfill import backfill

    git_repo.write("README.md", "start\n")
    start = git_repo.commit("start")
    _history(git_repo, engine, "", "shop")
    backfill(git_repo.path, engine=engine, project="shop")
    git_repo.write("docs/adr/0002-later.md", adr(2, "Later"))
    after = git_repo.commit("an ADR no sync read")
    git_repo.write("docs/adr/0002-later.md", adr(2, "Later", decision="Edited."))
    git_repo.commit("edited, and synced")
    assert not sync(git_repo.path, engine=engine, project="shop", ref="HEAD").errors
    where = ["--project", "shop", "--path", str(git_repo.path), "--database-url", database_url]
    assert main(["show", "ADR-0001", "--at", start, *where]) == 2
    came_later = f"tracertm: error: ADR-0001 has no revision at or before {start}: it came later\n"
    assert capsys.readouterr().err == came_later
    assert main(["show", "ADR-0002", "--at", after, *where]) == 2
    hint = (f"ADR-0002 has no revision at or before {after}: it came later, or the history was not recorded (run "
            "'tracertm backfill --project shop')")
    assert capsys.readouterr().err == f"tracertm: error: {hint}\n"
    # The served API's 404 says the same sentence in each case (it said neither "came later" nor the backfill).
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base, httpx.Client(base_url=base) as http:
        answers = [http.get(f"/api/v1/adrs/{ident}/at/{commit}", params={"project": "shop"})
                   for ident, commit in (("ADR-0001", start), ("ADR-0002", after))]
    assert [(a.status_code, a.json()["detail"]) for a in answers] == [
        (404, came_later.removeprefix("tracertm: error: ").strip()), (404, hint)], [a.text for a in answers]


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


def test_show_at_in_a_shallow_clone(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database backfilled from a full clone, asked from a CI-like shallow clone about a commit at its boundary:
    the record's revisions name commits the clone does not hold. Its state is the one revision whose content the
    file there holds (what the full clone answers, by the CLI and by the API the clone serves); a record the file
    does not hold is refused in one line saying the clone is shallow — never a backfill, which a shallow clone
    refuses."""
    from tracertm.history.backfill import backfill

    git_repo.write(ADR, adr(1, "Pay"))
    git_repo.write("docs/adr/0002-gone.md", adr(2, "Gone"))
    git_repo.commit("one")
    git_repo.write(ADR, adr(1, "Pay", decision="Twice."))
    git_repo.remove("docs/adr/0002-gone.md")
    git_repo.commit("two")
    git_repo.write("README.md", "the clone's boundary\n")
    git_repo.commit("three")
    git_repo.write(ADR, adr(1, "Pay", decision="Thrice."))
    git_repo.commit("four")
    assert not sync(git_repo.path, engine=engine, ref="HEAD").errors
    backfill(git_repo.path, engine=engine)
    clone = GitRepo(git_repo.path.parent / "shallow")
    GitRepo(git_repo.path.parent).git("clone", "-q", "--depth", "2", f"file://{git_repo.path}", str(clone.path))
    project = git_repo.path.name

    for repo in (git_repo, clone):
        code = main(["show", "ADR-0001", "--at", "HEAD~1", "--path", str(repo.path), "--project", project,
                     "--database-url", database_url])
        out, err = capsys.readouterr()
        assert code == 0 and out.startswith("adr ADR-0001 as of HEAD~1: version 2 (updated in "), (out, err)
    boundary = clone.git("rev-parse", "HEAD~1")
    with api_client(engine, ApiSettings(repository=str(clone.path))) as client:
        response = client.get(f"/api/v1/adrs/ADR-0001/at/{boundary}", params={"project": project})
        assert response.status_code == 200 and response.json()["version"] == 2, response.text[:300]
        gone = client.get(f"/api/v1/adrs/ADR-0002/at/{boundary}", params={"project": project})
    code = main(["show", "ADR-0002", "--at", "HEAD~1", "--path", str(clone.path), "--project", project,
                 "--database-url", database_url])
    out, err = capsys.readouterr()
    refusal = (f"this clone is shallow (its history stops at {boundary[:12]}) and the record's revisions name "
               "commits before that, which it does not hold, so its state then cannot be told; run 'git fetch "
               "--unshallow' and ask again")
    assert (code, out, err) == (2, "", f"tracertm: error: --at HEAD~1: {refusal}\n")
    assert (gone.status_code, gone.json()["detail"]) == (404, f"commit {boundary}: {refusal}"), gone.text[:300]


def test_a_command_without_quotes_of_its_own_is_set_off_in_single_quotes(
    git_repo: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, later = _history(git_repo, engine, "svc/", "svc")
    for detail in _answers(engine, database_url, git_repo, "svc", later, capsys):
        assert detail.endswith("run 'tracertm sync svc --project svc' at that commit (or 'tracertm backfill svc "
                               "--project svc') first"), detail
