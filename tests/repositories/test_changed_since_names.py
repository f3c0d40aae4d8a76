"""``changed_since`` a branch or tag name (``main``, ``v1``, ``HEAD~1``, ``origin/main``) where the project's
repository is at hand: the commit the name names when the listing starts, and its next pages carry that commit's
id, so a branch that moves between two pages does not move them. They were refused ("not a timestamp nor a
commit id") — the first thing a user types, "what changed on this branch since main". Without the repository a
name is refused in one line saying so; an ambiguous token is read as before (eight digits a date, seven or more hex
digits a commit id). Real git, SQLite and PostgreSQL; the repository query, ``list --changed-since`` and a real
``tracertm serve``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from apikit import api_client
from conftest import GitRepo
from served import serve
from specs import adr
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import UsageError
from tracertm.models import Project
from tracertm.repositories.cursor import Cursor
from tracertm.repositories.errors import NotFound
from tracertm.repositories.records import Records
from tracertm.schemas.filters import ListFilter


def _history(repo: GitRepo, engine: Any) -> dict[str, str]:
    """init (ADR-1, ADR-2, tagged v1, branch base), m1 edits ADR-1, m2 edits ADR-2; origin/main at m1; each synced
    as the hook syncs it."""
    c: dict[str, str] = {}
    for n, day in (("init", 1), ("m1", 10), ("m2", 11)):
        if n != "init":
            number = 1 if n == "m1" else 2
            repo.write(f"docs/adr/{number:04d}-adr-{number}.md", adr(number, f"ADR {number}", decision=f"{n}."))
        else:
            for number in (1, 2):
                repo.write(f"docs/adr/{number:04d}-adr-{number}.md", adr(number, f"ADR {number}"))
        c[n] = repo.commit(n, date=f"2024-01-{day:02d}T10:00:00+00:00")
        assert not sync(repo.path, engine=engine, project="shop", ref=c[n]).errors
    repo.git("tag", "v1", c["init"])
    repo.git("branch", "base", c["init"])
    repo.git("update-ref", "refs/remotes/origin/main", c["m1"])
    return c


def _page(engine: Any, flt: ListFilter | None, repository: Path | None, cursor: str | None = None
          ) -> tuple[list[str], str | None]:
    with db.session(engine) as session:
        project = session.execute(select(Project).where(Project.name == "shop")).scalar_one()
        page = Records(session, "adr", repository).list(project, flt, cursor)
        return [row.adr_number for row, _feature in page.rows], page.next_cursor


def _changed(engine: Any, since: str, repository: Path | None) -> list[str]:
    return _page(engine, ListFilter(changed_since=since), repository)[0]


def test_a_branch_or_tag_name_is_the_commit_it_names(git_repo: GitRepo, engine: Any) -> None:
    c = _history(git_repo, engine)
    top = git_repo.path
    for name, expected in (("v1", ["ADR-0001", "ADR-0002"]), ("base", ["ADR-0001", "ADR-0002"]),
                           ("HEAD~1", ["ADR-0002"]), ("origin/main", ["ADR-0002"]), ("main", [])):
        assert _changed(engine, name, top) == expected, name  # was UsageError: not a timestamp nor a commit id
    # Ambiguous tokens, read as before: eight digits are a date (2024-01-05: m1 and m2 after it), not the branch
    # of that name (at m2: nothing after it); a branch of hex digits is a commit id, which git finds by that name
    # when the database records no commit starting so.
    git_repo.git("branch", "20240105", c["m2"])
    assert _changed(engine, "20240105", top) == ["ADR-0001", "ADR-0002"]
    git_repo.git("branch", "decade1", c["m1"])
    assert _changed(engine, "decade1", top) == ["ADR-0002"]

    with pytest.raises(NotFound) as found:
        _changed(engine, "nope", top)
    assert str(found.value) == (
        "changed_since 'nope': not a timestamp (2024-05-01T12:00:00Z) nor a commit id, and the project's repository "
        "has no branch, tag or commit of that name; check the name, or fetch it there first")
    with pytest.raises(UsageError) as refused:
        _changed(engine, "v1", None)
    assert str(refused.value) == (
        "changed_since 'v1': not a timestamp (2024-05-01T12:00:00Z) nor a commit id; a branch or tag name needs the "
        "project's repository, and there is none here")
    assert not isinstance(refused.value, NotFound)


def test_a_value_meant_as_a_time_is_malformed_not_a_missing_name(git_repo: GitRepo, engine: Any) -> None:
    """A mistyped date or a relative time that names no commit is a usage error (HTTP 400), with or without the
    repository: it was a 404 'the repository has no branch, tag or commit of that name; … fetch it', which no fetch
    helps. A name that is no time (``nope``, ``1.2.3``), or a value of hex digits, stays what it was; a branch
    named like a time is still the commit it names."""
    c = _history(git_repo, engine)
    top = git_repo.path
    for value in ("2026-13-45", "2024/05/01", "2024-05-01 25:00", "12:61", "yesterday", "2 weeks ago",
                  "3.days.ago", "last monday"):
        with pytest.raises(UsageError) as refused:
            _changed(engine, value, top)
        assert not isinstance(refused.value, NotFound), value
        assert str(refused.value) == (
            f"changed_since {value!r}: not a timestamp nor a commit, branch or tag of the project's repository; "
            "write a time in ISO 8601 (2024-05-01T12:00:00Z, or a date: 2024-05-01)")
        with pytest.raises(UsageError) as refused:
            _changed(engine, value, None)
        assert str(refused.value) == (
            f"changed_since {value!r}: not a timestamp nor a commit id; write a time in ISO 8601 "
            "(2024-05-01T12:00:00Z, or a date: 2024-05-01)")
    for missing in ("nope", "1.2.3", "release/2024-05", "HEAD~9"):
        with pytest.raises(NotFound, match="has no branch, tag or commit of that name"):
            _changed(engine, missing, top)
    with pytest.raises(NotFound, match="no revision or sync run of this project records that commit"):
        _changed(engine, "20261345", top)  # hex digits: a commit id, as before
    git_repo.git("branch", "yesterday", c["m1"])
    assert _changed(engine, "yesterday", top) == ["ADR-0002"]


def test_the_next_page_carries_the_commit_not_the_name(git_repo: GitRepo, engine: Any) -> None:
    """The branch moves to HEAD between the pages: read by name again, the second page would be empty."""
    c = _history(git_repo, engine)
    top = git_repo.path
    first, cursor = _page(engine, ListFilter(changed_since="base", limit=1), top)
    assert first == ["ADR-0001"] and cursor is not None
    assert Cursor.decode(cursor).filter.changed_since == c["init"]
    git_repo.git("branch", "-f", "base", c["m2"])
    assert _page(engine, None, top, cursor) == (["ADR-0002"], None)
    # An abbreviated id too: the cursor names the commit whole.
    _first, cursor = _page(engine, ListFilter(changed_since=c["init"][:9], limit=1), top)
    assert cursor is not None and Cursor.decode(cursor).filter.changed_since == c["init"]


def test_list_changed_since_a_name(git_repo: GitRepo, engine: Any, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    c = _history(git_repo, engine)
    url = engine.url.render_as_string(hide_password=False)
    common = ["--project", "shop", "--database-url", url, "--format", "json"]
    monkeypatch.chdir(git_repo.path)
    assert main(["list", "adrs", "--changed-since", "v1", *common]) == 0
    assert [row["number"] for row in json.loads(capsys.readouterr().out)] == ["ADR-0001", "ADR-0002"]
    assert main(["list", "adrs", "--changed-since", "base", "--limit", "1", *common]) == 0
    out, err = capsys.readouterr()
    assert [row["number"] for row in json.loads(out)] == ["ADR-0001"]
    cursor = err.split("--cursor ", 1)[1].split()[0]
    git_repo.git("branch", "-f", "base", c["m2"])
    assert main(["list", "adrs", "--cursor", cursor, *common]) == 0
    assert [row["number"] for row in json.loads(capsys.readouterr().out)] == ["ADR-0002"]
    assert main(["list", "adrs", "--changed-since", "nope", *common]) == 2
    assert capsys.readouterr().err.startswith("tracertm: error: --changed-since 'nope': not a timestamp")
    assert main(["list", "adrs", "--changed-since", "2026-13-45", *common]) == 2
    assert capsys.readouterr().err == (
        "tracertm: error: --changed-since '2026-13-45': not a timestamp nor a commit, branch or tag of the project's "
        "repository; write a time in ISO 8601 (2024-05-01T12:00:00Z, or a date: 2024-05-01)\n")

    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # no repository: the name cannot be resolved
    assert main(["list", "adrs", "--changed-since", "v1", *common]) == 2
    err = capsys.readouterr().err
    assert err == ("tracertm: error: --changed-since 'v1': not a timestamp (2024-05-01T12:00:00Z) nor a commit id; "
                   "a branch or tag name needs the project's repository, and there is none here\n")


def test_the_api_resolves_a_name_in_the_servers_repository(git_repo: GitRepo, engine: Any, database_url: str,
                                                           tmp_path: Path) -> None:
    c = _history(git_repo, engine)
    adrs = "/api/v1/projects/shop/adrs"
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base, \
            httpx.Client(base_url=base, timeout=30) as http:
        response = http.get(adrs, params={"changed_since": "v1", "fields": "number", "count": "true"})
        assert response.status_code == 200, response.text[:300]
        assert [i["number"] for i in response.json()["items"]] == ["ADR-0001", "ADR-0002"]
        assert response.json()["total"] == 2
        response = http.get("/api/v1/facets", params={"kind": "adrs", "project": "shop", "changed_since": "HEAD~1"})
        assert response.status_code == 200 and response.json()["total"] == 1, response.text[:300]

        response = http.get(adrs, params={"changed_since": "base", "fields": "number", "limit": "1"})
        assert [i["number"] for i in response.json()["items"]] == ["ADR-0001"], response.text[:300]
        git_repo.git("branch", "-f", "base", c["m2"])
        response = http.get(response.links["next"]["url"])
        assert [i["number"] for i in response.json()["items"]] == ["ADR-0002"], response.text[:300]

        response = http.get(adrs, params={"changed_since": "nope"})
        assert response.status_code == 404 and "no branch, tag or commit of that name" in response.json()["detail"]
        assert str(git_repo.path) not in response.text  # the server's disk is nobody's business
        for value in ("2026-13-45", "yesterday"):  # a malformed value, not a missing name: 400, naming the parameter
            response = http.get(adrs, params={"changed_since": value})
            assert response.status_code == 400, response.text[:300]
            assert response.json()["detail"] == (
                f"changed_since {value!r}: not a timestamp nor a commit, branch or tag of the project's repository; "
                "write a time in ISO 8601 (2024-05-01T12:00:00Z, or a date: 2024-05-01)")
    (tmp_path / "far").mkdir()
    with serve(database_url, tmp_path / "far", tmp_path / "far.log") as base, \
            httpx.Client(base_url=base, timeout=30) as http:
        response = http.get(adrs, params={"changed_since": "v1"})
        assert response.status_code == 400, response.text[:300]
        assert response.json()["detail"] == (
            "changed_since 'v1': not a timestamp (2024-05-01T12:00:00Z) nor a commit id; a branch or tag name needs "
            "the project's repository, and there is none here")
        response = http.get(adrs, params={"changed_since": c["m1"], "fields": "number"})  # an id still works
        assert [i["number"] for i in response.json()["items"]] == ["ADR-0002"], response.text[:300]


def test_an_offset_whose_plus_a_query_string_made_a_space_says_how_to_send_it(
    git_repo: GitRepo, engine: Any, database_url: str,
) -> None:
    """``?changed_since=2024-01-05T10:00:00+02:00`` sent as typed: the query string decodes the ``+`` as a space,
    and the 400 said only "write a time in ISO 8601" — which the caller had. It now says to write the ``+`` as
    ``%2B``; the same time so written is read (m1 and m2 are after it), and a mistyped time keeps its one advice."""
    _history(git_repo, engine)
    hint = ("write a time in ISO 8601 (2024-05-01T12:00:00Z, or a date: 2024-05-01); a '+' in a URL's query string "
            "is a space: write it as %2B (2024-01-05T10:00:00%2B02:00)")
    for top, says in ((git_repo.path, "nor a commit, branch or tag of the project's repository"),
                      (None, "nor a commit id")):
        with pytest.raises(UsageError) as refused:
            _changed(engine, "2024-01-05T10:00:00 02:00", top)
        assert str(refused.value) == f"changed_since '2024-01-05T10:00:00 02:00': not a timestamp {says}; {hint}"
        with pytest.raises(UsageError) as refused:
            _changed(engine, "2024-01-05 25:00 02:00", top)
        assert str(refused.value).endswith("; write a time in ISO 8601 (2024-05-01T12:00:00Z, or a date: 2024-05-01)")
    with api_client(database_url) as client:
        response = client.get("/api/v1/projects/shop/adrs?changed_since=2024-01-05T10:00:00+02:00")
        assert response.status_code == 400, response.text[:300]
        assert response.json()["detail"].endswith(hint)
        response = client.get("/api/v1/projects/shop/adrs?fields=number&changed_since=2024-01-05T10:00:00%2B02:00")
        assert [i["number"] for i in response.json()["items"]] == ["ADR-0001", "ADR-0002"], response.text[:300]


def test_an_offset_whose_plus_became_a_space_on_the_command_line_says_to_write_the_plus(
    git_repo: GitRepo, engine: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``list --changed-since '2024-01-05T10:00:00 02:00'`` (a ``+`` lost on the way) said to write the ``+`` as
    ``%2B`` — the query string's advice, which the command line refuses in turn ("not a timestamp ... nor a commit
    id"). It now says to write the ``+``, and the time so written is read; the API's advice stays ``%2B``."""
    _history(git_repo, engine)
    url = engine.url.render_as_string(hide_password=False)
    common = ["--project", "shop", "--database-url", url, "--format", "json"]
    hint = ("write a time in ISO 8601 (2024-05-01T12:00:00Z, or a date: 2024-05-01); write the offset's '+': "
            "2024-01-05T10:00:00+02:00\n")
    (tmp_path / "elsewhere").mkdir()
    for folder, says in ((git_repo.path, "nor a commit, branch or tag of the project's repository"),
                         (tmp_path / "elsewhere", "nor a commit id")):
        monkeypatch.chdir(folder)
        assert main(["list", "adrs", "--changed-since", "2024-01-05T10:00:00 02:00", *common]) == 2
        assert capsys.readouterr().err == (
            f"tracertm: error: --changed-since '2024-01-05T10:00:00 02:00': not a timestamp {says}; {hint}")
        assert main(["list", "adrs", "--changed-since", "2024-01-05T10:00:00+02:00", *common]) == 0
        assert [row["number"] for row in json.loads(capsys.readouterr().out)] == ["ADR-0001", "ADR-0002"]
