"""``changed_since=<commit>`` follows the history where the repository is at hand: a record changed in a commit
that is not that commit nor one of its ancestors (``git log COMMIT..HEAD``), whatever the commits' dates say.

Dates lied both ways: a feature branch's commit, made before ``since`` and merged after it, was left out (as was a
child commit whose committer's clock ran behind its parent's), and an ancestor of ``since`` dated after it was
listed. A commit the repository cannot place — amended away, not in the clone — is still dated, as without the
repository (the API of a server with no repository of the project). Real git, SQLite and PostgreSQL; the repository
query, ``list --changed-since`` and the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from apikit import api_client
from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.api.app import ApiSettings
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.models import Project
from tracertm.repositories.records import Records
from tracertm.schemas.filters import ListFilter


def _write_adr(repo: GitRepo, number: int, decision: str) -> None:
    repo.write(f"docs/adr/{number:04d}-adr-{number}.md", adr(number, f"ADR {number}", decision=decision))


def _date(day: int) -> str:
    return f"2024-01-{day:02d}T10:00:00+00:00"


def _synced(repo: GitRepo, engine: Any, sha: str) -> str:
    """``sync --ref sha``, as the post-commit hook runs it."""
    assert not sync(repo.path, engine=engine, project="shop", ref=sha).errors
    return sha


def _changed(engine: Any, since: str, repository: Path | None) -> list[str]:
    with db.session(engine) as session:
        project = session.execute(select(Project).where(Project.name == "shop")).scalar_one()
        page = Records(session, "adr", repository).list(project, ListFilter(changed_since=since))
        return [row.adr_number for row, _feature in page.rows]


def _out_of_order(repo: GitRepo, engine: Any) -> dict[str, str]:
    """main: init (day 1), m1 edits ADR-1 (day 10), m2 edits ADR-2 but is dated day 8 (its committer's clock),
    then a --no-ff merge (day 15) of a branch that edited ADR-3 (day 5) after a commit of no spec file (day 4);
    main's commits synced as made."""
    c: dict[str, str] = {}
    for n in (1, 2, 3):
        _write_adr(repo, n, "We will do it.")
    c["init"] = _synced(repo, engine, repo.commit("init", date=_date(1)))
    repo.git("checkout", "-q", "-b", "feat")
    repo.write("notes.txt", "a branch\n")
    c["notes"] = repo.commit("notes only, never synced", date=_date(4))
    _write_adr(repo, 3, "We will do it on the branch.")
    c["branch"] = repo.commit("branch edits ADR-3", date=_date(5))
    repo.git("checkout", "-q", "main")
    _write_adr(repo, 1, "We will do it twice.")
    c["m1"] = _synced(repo, engine, repo.commit("m1 edits ADR-1", date=_date(10)))
    _write_adr(repo, 2, "We will do it again.")
    c["m2"] = _synced(repo, engine, repo.commit("m2 edits ADR-2", date=_date(8)))
    repo.git("merge", "-q", "--no-ff", "feat", "-m", "merge feat",
             env={"GIT_AUTHOR_DATE": _date(15), "GIT_COMMITTER_DATE": _date(15)})
    c["merge"] = _synced(repo, engine, repo.head())
    return c


def test_changed_since_a_commit_follows_the_history_not_the_dates(
    git_repo: GitRepo, engine: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = _out_of_order(git_repo, engine)
    top = git_repo.path
    # m2, dated before m1, came after it (and the merge).
    assert _changed(engine, c["m1"], top) == ["ADR-0002", "ADR-0003"]  # was ["ADR-0003"]
    # m1, an ancestor of m2 dated after it, did not.
    assert _changed(engine, c["m2"], top) == ["ADR-0003"]  # was ["ADR-0001", "ADR-0003"]
    assert _changed(engine, c["merge"], top) == []
    assert _changed(engine, c["init"][:12], top) == ["ADR-0001", "ADR-0002", "ADR-0003"]
    # A commit the database records nowhere (a branch's, never synced) is placed by the repository: main's
    # changes since the branch left it are not its ancestors.
    assert _changed(engine, c["notes"], top) == ["ADR-0001", "ADR-0002", "ADR-0003"]

    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.chdir(top)  # the command line places the commit by the repository it runs in
    assert main(["list", "adrs", "--changed-since", c["m1"], "--project", "shop", "--database-url", url,
                 "--format", "json"]) == 0
    assert [row["number"] for row in json.loads(capsys.readouterr().out)] == ["ADR-0002", "ADR-0003"]

    adrs = "/api/v1/projects/shop/adrs"
    with api_client(engine, ApiSettings(repository=str(top))) as client:
        response = client.get(adrs, params={"changed_since": c["m2"], "fields": "number", "count": "true"})
        assert response.status_code == 200, response.text[:300]
        assert [i["number"] for i in response.json()["items"]] == ["ADR-0003"] and response.json()["total"] == 1
        response = client.get("/api/v1/facets", params={"kind": "adrs", "project": "shop", "changed_since": c["m1"]})
        assert response.status_code == 200 and response.json()["total"] == 2, response.text[:300]
    # A server without the repository dates the commits, as README says.
    with api_client(engine) as client:
        response = client.get(adrs, params={"changed_since": c["m2"], "fields": "number"})
        assert [i["number"] for i in response.json()["items"]] == ["ADR-0001", "ADR-0003"], response.text[:300]
        assert client.get(adrs, params={"changed_since": c["notes"]}).status_code == 404
    assert _changed(engine, c["m1"], None) == ["ADR-0003"]


def test_a_commit_amended_away_is_dated_not_after_every_commit(git_repo: GitRepo, engine: Any) -> None:
    """The hook synced a commit that was then amended (the sync of the amended commit found ADR-1 as recorded and
    wrote no revision): the revision names a commit no branch holds, which is no ancestor of anything later. Dated,
    it is before the commits after the amend — so too once git has dropped it."""
    for n in (1, 2):
        _write_adr(git_repo, n, "We will do it.")
    _synced(git_repo, engine, git_repo.commit("init", date=_date(1)))
    _write_adr(git_repo, 1, "We will do it twice.")
    _synced(git_repo, engine, git_repo.commit("edit ADR-1, a typo", date=_date(2)))
    git_repo.git("commit", "-q", "--amend", "-m", "edit ADR-1",
                 env={"GIT_AUTHOR_DATE": _date(2), "GIT_COMMITTER_DATE": _date(3)})
    amended = _synced(git_repo, engine, git_repo.head())
    _write_adr(git_repo, 2, "We will do it again.")
    later = _synced(git_repo, engine, git_repo.commit("edit ADR-2", date=_date(4)))
    top = git_repo.path
    assert _changed(engine, amended, top) == ["ADR-0002"]
    assert _changed(engine, later, top) == []
    git_repo.git("reflog", "expire", "--expire=now", "--all")
    git_repo.git("gc", "-q", "--prune=now")  # the amended-away commit is gone from the clone
    assert _changed(engine, amended, top) == ["ADR-0002"]
    assert _changed(engine, later, top) == []
