"""An upload's errors name the API's parameters, a ``results import``'s the command's options (results.options).

``POST …/test-runs`` with a report of another format than the one detected answered "…; pass --format to pick
another format": the parsers' words for the command line, whose option the API does not have (its parameter is
``?format=``, or the multipart field). So did an abbreviated ``?commit=`` the server could not resolve
("--commit 'abcd': …"). Through the app (SQLite and PostgreSQL), a report parsed in a thread of its own (a large
JUnit upload) included, then the CLI in the same process, which still says ``--format``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apikit import api_client, make_token
from conftest import GitRepo, force_streaming, run_cli, sqlite_only
from specs import adr
from tracertm.engine.sync import sync

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

RUNS = "/api/v1/projects/repo/test-runs"
NOT_JUNIT = '<results><case name="a"/></results>\n'


@pytest.fixture
def client(git_repo: GitRepo, engine: Any) -> Iterator[TestClient]:
    git_repo.write("docs/adr/0001-use-queues.md", adr(1, "Use queues"))
    git_repo.commit("seed")
    sync(git_repo.path, engine=engine, project="repo")
    with api_client(engine) as test_client:
        test_client.headers["Authorization"] = f"Bearer {make_token(engine)}"
        yield test_client


def _detail(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    detail: str = response.json()["detail"]
    assert "--" not in detail, detail  # no option of the command line
    return detail


def test_a_report_of_another_format_names_the_format_parameter(client: TestClient) -> None:
    raw = [("application/xml", NOT_JUNIT, {}),  # JUnit XML whose root is no JUnit one
           ("application/json", '{"a": 1}', {}),  # a JSON object: detected as Cucumber Messages
           ("application/json", '{"a": 1}', {"format": "cucumber-json"}),  # not Cucumber JSON's list
           ("application/x-ndjson", '{\n"a": 1\n}\n', {})]  # one JSON document over several lines
    for media, body, params in raw:
        detail = _detail(client.post(RUNS, content=body, params=params, headers={"Content-Type": media}), 422)
        assert "pass ?format= to pick another format" in detail, (media, body)
    # A file of no format: "name it: junit, cucumber-json or cucumber-messages (?format=)".
    unknown = client.post(RUNS, files={"file": ("r.txt", b"hello\n", "text/plain")})
    assert _detail(unknown, 422).endswith("name it: junit, cucumber-json or cucumber-messages (?format=)")


def test_an_abbreviated_commit_names_the_commit_parameter(client: TestClient) -> None:
    report = '<testsuite name="s"><testcase classname="c" name="t"/></testsuite>'
    refused = client.post(RUNS, content=report, params={"commit": "abcd"},
                          headers={"Content-Type": "application/xml"})
    assert _detail(refused, 400).startswith("?commit= 'abcd': an abbreviated commit id, and no repository")


@sqlite_only
def test_a_report_parsed_in_a_thread_names_it_too(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = force_streaming(monkeypatch, 10, 10)
    detail = _detail(client.post(RUNS, content=NOT_JUNIT, headers={"Content-Type": "application/xml"}), 422)
    assert outcomes == ["ParseError"] and "pass ?format= to pick another format" in detail, (outcomes, detail)


@sqlite_only
def test_the_command_line_still_names_its_options(client: TestClient, database_url: str, tmp_path: Path) -> None:
    assert client.post(RUNS, content=NOT_JUNIT, headers={"Content-Type": "application/xml"}).status_code == 422
    report = tmp_path / "report.xml"
    report.write_text(NOT_JUNIT)
    done = run_cli("results", "import", str(report), "--project", "repo", "--database-url", database_url)
    assert done.returncode != 0 and "pass --format to pick another format" in done.stderr, done.stderr
    assert "?format=" not in done.stderr
