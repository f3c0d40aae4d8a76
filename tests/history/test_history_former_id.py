"""``history`` and ``show --at`` by a former id (README: "history and show --at follow a record across its
numbers"): a renamed untagged feature keeps its record, its revisions keep the old id, and the old id answers the
record's whole history with one line naming the current id; once another live record has the id, that one wins and
the line says so. A real git repository, SQLite and PostgreSQL, through the CLI."""

from __future__ import annotations

import json

import pytest

from conftest import GitRepo
from tracertm.cli import main

LOGIN = """Feature: Login
  As a user
  I want to log in

  Scenario: good password
    Given a registered user
    When she logs in with the right password
    Then she sees her account
"""

SIGNUP = """Feature: Sign up
  Scenario: new account
    Given nobody
    When she signs up
    Then she has an account
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_history_and_show_at_follow_a_renamed_feature_by_its_former_id(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--database-url", database_url, "--path", str(git_repo.path)]
    git_repo.write("features/login.feature", LOGIN)
    git_repo.commit("login")
    first = git_repo.git("rev-parse", "HEAD").strip()
    assert run(capsys, "sync", str(git_repo.path), "--database-url", database_url)[0] == 0
    git_repo.git("mv", "features/login.feature", "features/sign-in.feature")
    git_repo.commit("rename")
    assert run(capsys, "sync", str(git_repo.path), "--database-url", database_url)[0] == 0
    assert run(capsys, "show", "sign-in", *common)[0] == 0  # the same record, its number follows the file

    code, out, err = run(capsys, "history", "login", *common)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "note: login is a former id of feature sign-in (features/sign-in.feature); its whole history:"
    assert "features/login.feature" in out and "features/sign-in.feature" in out and " moved" in out
    code, out, err = run(capsys, "history", "login", "--format", "json", *common)
    assert code == 0 and [r["change"] for r in json.loads(out)] == ["created", "moved"]  # stdout: one document
    assert err.startswith("note: login is a former id of feature sign-in")

    # ``show --at`` shows one version, and its note says so (it said "its whole history:", history's words).
    note = f"note: login is a former id of feature sign-in (features/sign-in.feature); the record as of {first}:"
    code, out, err = run(capsys, "show", "login", "--at", first, *common)
    assert code == 0, err
    assert out.splitlines()[0] == note
    assert out.splitlines()[1].startswith(f"feature login as of {first}: version 1")
    assert "source_path: features/login.feature" in out
    code, out, err = run(capsys, "show", "login", "--at", first, "--format", "json", *common)
    assert code == 0 and json.loads(out)["version"] == 1 and err == note + "\n", err

    # The old id is taken again by a new live feature: it wins, and the note names the record that had it.
    git_repo.write("features/login.feature", SIGNUP)
    git_repo.commit("a new login")
    assert run(capsys, "sync", str(git_repo.path), "--database-url", database_url)[0] == 0
    code, out, err = run(capsys, "history", "login", *common)
    assert code == 0, err
    assert out.splitlines()[0] == ("note: login is the live feature login, shown here; it was also the id of feature "
                                   "sign-in (features/sign-in.feature)")
    assert " created" in out and " moved" not in out  # the new feature's history only
    code, out, _ = run(capsys, "history", "nothing-like-it", *common)
    assert code == 2
