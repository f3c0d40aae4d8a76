"""A command the web view or an API problem suggests names the project (``--project NAME``, quoted for a shell): the
server cannot know the reader's folder, and a sub-folder project (or another repository's) is not the one that
folder finds — ``tracertm review FEAT-2/SC-1`` from the repository's top was 'no project for …' (exit 2)."""

from __future__ import annotations

import html
import re
import shlex
from urllib.parse import quote

import pytest

from apikit import api_client
from conftest import GitRepo
from specs import adr
from test_cli_review_quoting import FEATURE  # a feature whose scenario goes suspect
from tracertm.cli import main

NAME = "team svc"  # a name with a space: the page's command must quote it


def _suspect_sub_folder_project(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``svc/`` synced as project ``team svc``, its ADR changed since: the links to it are suspect. The current
    folder is the repository's top, whose own project the database does not hold."""
    git_repo.write("svc/docs/adr/0001-refunds.md", adr(1, "Refunds"))
    git_repo.write("svc/features/refunds.feature", FEATURE)
    git_repo.commit("seed")
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    assert main(["sync", "svc", "--project", NAME]) == 0
    git_repo.write("svc/docs/adr/0001-refunds.md", adr(1, "Refunds", decision="We will refund within 90 days."))
    assert main(["sync", "svc", "--project", NAME]) == 0


def _commands(page: str) -> list[str]:
    """The review commands a page shows, as text."""
    return [html.unescape(c) for c in re.findall(r"<code>(tracertm review [^<]*)</code>", page)]


def test_the_pages_review_commands_name_the_project_and_run_as_pasted(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _suspect_sub_folder_project(git_repo, database_url, monkeypatch)
    base = f"/projects/{quote(NAME)}"
    with api_client(database_url) as client:
        pages = {path: client.get(base + path) for path in ("", "/links?state=suspect", "/features/FEAT-2")}
    assert all(page.status_code == 200 for page in pages.values()), pages
    option = "--project 'team svc'"
    assert _commands(pages[""].text) == [f"tracertm review {option} ID"]
    assert _commands(pages["/links?state=suspect"].text) == [f"tracertm review {option} ID"]
    rows = _commands(pages["/features/FEAT-2"].text)
    assert f"tracertm review {option} FEAT-2" in rows, rows

    capsys.readouterr()
    assert main(["review", "FEAT-2"]) == 2  # what the pages said: the top's project, which the database lacks
    assert "no project for" in capsys.readouterr().err
    assert main(shlex.split(f"tracertm review {option} FEAT-2")[1:]) == 0  # pasted at the repository's top
    assert capsys.readouterr().out.startswith("reviewed FEAT-2 implements ADR-0001")


def test_the_api_problems_commands_name_the_project(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _suspect_sub_folder_project(git_repo, database_url, monkeypatch)
    with api_client(database_url) as client:
        record = client.get("/api/v1/adrs/ADR-0009", params={"project": NAME})
        traced = client.get(f"/api/v1/projects/{quote(NAME)}/trace/NOPE-1")
    assert record.status_code == 404 and traced.status_code == 404
    assert record.json()["detail"].endswith("see \"tracertm list adrs --project 'team svc'\""), record.json()
    assert traced.json()["detail"].endswith(
        "see \"tracertm list KIND --project 'team svc'\" or \"tracertm matrix --project 'team svc'\""), traced.json()

    capsys.readouterr()
    assert main(shlex.split("tracertm list adrs --project 'team svc'")[1:]) == 0  # pasted at the repository's top
    assert "ADR-0001" in capsys.readouterr().out


def test_a_project_named_like_an_option_is_given_with_an_equals_sign() -> None:
    from tracertm.repositories.projects import command

    assert command("review", project="-x") == "tracertm review --project=-x"
    assert command("list", "adrs", project="a b") == "tracertm list adrs --project 'a b'"
