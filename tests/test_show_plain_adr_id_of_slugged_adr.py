"""A record id given on the command line (``show``, ``trace``, ``history``), in the API (``GET /api/v1/adrs/{id}``)
and in the web view (``/projects/{p}/adrs/{id}``) names an ADR by the one rule file references follow
(``crossfile.resolve_adr``): the exact id, else a slugged id's number, else the one slugged ADR of a plain id's
number.

The audit found ``tracertm show ADR-0008`` answering "no ADR ... with this id" while the project's only ADR of that
number was ``ADR-0008-use-x``, which ``@ADR-0008`` in a feature names. Now ``ADR-0008`` (and ``ADR-8``) shows that
ADR; with two slugged ADRs of one number the answer is one line saying the id is ambiguous and naming both.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from apikit import api_client
from conftest import GitRepo
from tracertm.cli import main
from tracertm.engine.sync import sync

FEATURE = """\
@FEAT-1 @ADR-0008
Feature: Pay

  @SC-1
  Scenario: one
    Given x
"""


def _adr(identifier: str | None, title: str) -> str:
    front = f"---\nid: {identifier}\nstatus: accepted\n---\n\n" if identifier else "---\nstatus: accepted\n---\n\n"
    return f"{front}# {title}\n\n## Context\n\nC.\n"


@pytest.fixture
def project(git_repo: GitRepo, engine: Any) -> GitRepo:
    git_repo.write("docs/adr/0008-use-x.md", _adr("ADR-0008-use-x", "Use X"))
    git_repo.write("docs/adr/0009-use-a.md", _adr("ADR-0009-use-a", "Use A"))
    git_repo.write("docs/adr/0009-use-b.md", _adr("ADR-0009-use-b", "Use B"))
    git_repo.write("docs/adr/0005-use-z.md", _adr(None, "Use Z"))  # id ADR-0005, from the file name
    git_repo.write("features/pay.feature", FEATURE)
    git_repo.commit("ADRs with slugged ids")
    result = sync(git_repo.path, engine=engine, project="pay", ref="HEAD")
    assert not result.errors, result.errors
    return git_repo


def _cli(capsys: pytest.CaptureFixture[str], database_url: str, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--database-url", database_url, "--project", "pay"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("ident", ["ADR-0008", "ADR-8", "adr-0008"])
def test_show_a_plain_id_names_the_one_slugged_adr_of_its_number(
    project: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], ident: str
) -> None:
    code, out, err = _cli(capsys, database_url, "show", ident, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["number"] == "ADR-0008-use-x"


def test_show_a_slugged_reference_names_the_adr_of_its_number(
    project: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(capsys, database_url, "show", "ADR-0005-use-z", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["number"] == "ADR-0005"


def test_trace_and_history_follow_the_same_rule(
    project: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(capsys, database_url, "trace", "ADR-0008", "--format", "json")
    assert code == 0, err
    assert "ADR-0008-use-x" in out and "FEAT-1" in out
    code, out, err = _cli(capsys, database_url, "history", "ADR-0008", "--format", "json")
    assert code == 0, err
    assert [r["number"] for r in json.loads(out)] == ["ADR-0008-use-x"]


@pytest.mark.parametrize("verb", ["show", "trace", "history"])
def test_a_plain_id_of_two_slugged_adrs_is_ambiguous_naming_them(
    project: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str], verb: str
) -> None:
    code, out, err = _cli(capsys, database_url, verb, "ADR-0009")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "ADR-0009 is ambiguous" in err and "ADR-0009-use-a" in err and "ADR-0009-use-b" in err, err


def test_an_unknown_number_is_still_not_found(
    project: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(capsys, database_url, "show", "ADR-0007")
    assert code != 0 and "ADR-0007: no ADR" in err and len(err.strip().splitlines()) == 1


def test_the_api_and_the_web_page_follow_the_same_rule(project: GitRepo, engine: Any) -> None:
    with api_client(engine) as client:
        for query in ("?project=pay", ""):
            found = client.get(f"/api/v1/adrs/ADR-0008{query}")
            assert found.status_code == 200 and found.json()["number"] == "ADR-0008-use-x", found.text
            several = client.get(f"/api/v1/adrs/ADR-0009{query}")
            assert several.status_code == 400, several.text
            assert "ADR-0009-use-a" in several.text and "ADR-0009-use-b" in several.text
        assert client.get("/api/v1/adrs/ADR-0008/history?project=pay").status_code == 200
        page = client.get("/projects/pay/adrs/ADR-0008")
        assert page.status_code == 200 and "Use X" in page.text
        assert client.get("/projects/pay/adrs/ADR-0009").status_code == 400


def test_a_deleted_slugged_adr_is_still_shown_by_its_number(
    project: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """As ``show ADR-0008-use-x`` shows it, marked deleted, once its file is gone (no live ADR has the number)."""
    project.remove("docs/adr/0008-use-x.md")
    project.commit("ADR-0008-use-x goes")
    assert not sync(project.path, engine=engine, project="pay", ref="HEAD").errors
    code, out, err = _cli(capsys, database_url, "show", "ADR-0008", "--format", "json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["number"] == "ADR-0008-use-x" and shown["deleted"] is True, shown
