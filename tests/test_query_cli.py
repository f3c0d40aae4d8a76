"""The query verbs on the command line: list filters and pages, show walking features and scenarios, search,
tokens and schemas."""

from __future__ import annotations

import json

import pytest
from sample import sync_sample

from conftest import GitRepo
from tracertm import db, tokens
from tracertm.cli import main


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_filters_and_pages(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    sync_sample(git_repo, database_url)
    url = ["--database-url", database_url, "--project", "sample"]  # not the test run's own repository's project
    code, out, err = _cli(capsys, "list", "contracts", "--status", "approved", "--sort=-number", "--format", "json", *url)
    numbers = [c["number"] for c in json.loads(out)]
    assert code == 0 and numbers == sorted(numbers, reverse=True) and len(numbers) == 3
    code, out, err = _cli(capsys, "list", "adrs", "--limit", "5", *url)
    assert len(out.splitlines()) == 6 and "--cursor" in err
    cursor = err.split("--cursor ")[1].split()[0]
    code, out, _ = _cli(capsys, "list", "adrs", "--cursor", cursor, *url)
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["ADR-0006", "ADR-0007", "ADR-0008"]
    code, out, err = _cli(capsys, "list", "adrs", "--status", "nope", *url)
    assert code == 2 and "status 'nope'" in err and len(err.strip().splitlines()) == 1


def test_show_walks_features_and_scenarios(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    sync_sample(git_repo, database_url)
    url = ["--database-url", database_url, "--project", "sample"]  # not the test run's own repository's project
    code, out, _ = _cli(capsys, "show", "FEAT-1", *url)
    assert code == 0 and "scenarios (3):" in out
    lines = out.split("scenarios (3):")[1].strip().splitlines()
    assert lines[0].split() == ["number", "title", "status"] and lines[1].split()[0] == "SC-1"
    code, out, _ = _cli(capsys, "show", "FEAT-1", "--format", "json", *url)
    assert [s["number"] for s in json.loads(out)["scenarios"]] == ["SC-1", "SC-2", "SC-3"]
    code, out, _ = _cli(capsys, "show", "SC-2", *url)
    assert "feature: FEAT-1" in out


def test_search_tokens_and_schema(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    sync_sample(git_repo, database_url)
    url = ["--database-url", database_url]
    code, out, _ = _cli(capsys, "search", "idempotency key", "--kind", "adrs", *url)
    assert code == 0 and out.startswith("adr       ADR-0005") and "[" in out
    code, out, _ = _cli(capsys, "search", "idempotency", "--format", "json", *url)
    assert {h["kind"] for h in json.loads(out)} >= {"adr", "scenario"}

    code, out, _ = _cli(capsys, "token", "create", "--scope", "write", "--label", "ci", *url)
    token = out.strip().splitlines()[-1]
    assert code == 0 and token.startswith("trtm_")
    engine = db.make_engine(database_url)
    with db.session(engine) as session:
        row = tokens.verify(session, token)
        assert row is not None and row.scope == "write" and token not in {row.token_hash, row.prefix}
    code, out, _ = _cli(capsys, "token", "list", *url)
    assert "ci" in out and token not in out
    assert _cli(capsys, "token", "revoke", row.prefix, *url)[0] == 0
    with db.session(engine) as session:
        assert tokens.verify(session, token) is None
    engine.dispose()

    code, out, _ = _cli(capsys, "schema", "scenario", "--model", "update")
    properties = json.loads(out)["properties"]
    assert "pass_rate" in properties and "title" not in properties
    code, out, _ = _cli(capsys, "schema", "adrs")
    assert json.loads(out)["title"] == "ADRRead"
    assert _cli(capsys, "schema", "gizmo")[0] == 2


def test_usage_errors_of_the_query_layer_name_the_command_line_option(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The query layer names the API's parameters (``changed_since``, ``q``); the command line names its own."""
    sync_sample(git_repo, database_url)
    url = ["--database-url", database_url, "--project", "sample"]  # not the test run's own repository's project
    for argv, expected in (
        (("list", "adrs", "--changed-since", "x"), "tracertm: error: --changed-since 'x': not a timestamp"),
        (("list", "adrs", "--text", "AND"), "tracertm: error: --text 'AND': needs at least one word"),
        (("search", *url, "--", "a AND"), "tracertm: error: QUERY 'a AND': needs at least one word"),
    ):
        code, out, err = _cli(capsys, *argv, *([] if "search" in argv else url))
        assert code == 2 and err.startswith(expected) and len(err.strip().splitlines()) == 1, err
