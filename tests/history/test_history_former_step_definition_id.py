"""``history`` and ``show --at`` by a step definition's former id (README: "An id the record had before ... finds it
too"): a moved step file keeps its definitions, whose ``file::function`` ids follow the file; the old id answers the
record's whole history with one line naming the current id. Found by the histaudit differential audit on behave's
history (``features/steps/context_steps.py`` renamed to ``behave_context_steps.py``: ``show
features/steps/context_steps.py::given_… --at`` a commit before the move said there was no such step definition).
A real git repository, SQLite and PostgreSQL, through the CLI."""

from __future__ import annotations

import json

import pytest

from conftest import GitRepo
from tracertm.cli import main

STEPS = 'from behave import given\n\n@given("a user")\ndef given_a_user(ctx):\n    pass\n'


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_history_and_show_at_find_a_moved_step_definition_by_its_former_id(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--database-url", database_url, "--path", str(git_repo.path)]
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: s\n    Given a user\n")
    git_repo.write("features/steps/context_steps.py", STEPS)
    first = git_repo.commit("steps")
    git_repo.git("mv", "features/steps/context_steps.py", "features/steps/behave_context_steps.py")
    git_repo.commit("rename")
    assert run(capsys, "backfill", str(git_repo.path), "--database-url", database_url, "--quiet")[0] == 0

    old = "features/steps/context_steps.py::given_a_user"
    new = "features/steps/behave_context_steps.py::given_a_user"
    code, out, err = run(capsys, "history", old, "--format", "json", *common)
    assert code == 0, err
    assert [(r["change"], r["source_path"]) for r in json.loads(out)] == [
        ("created", "features/steps/context_steps.py"), ("moved", "features/steps/behave_context_steps.py")]
    assert err.startswith(f"note: {old} is a former id of step definition ")
    assert new in err

    code, out, err = run(capsys, "show", old, "--at", first, "--format", "json", *common)
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["number"], shown["source_path"], shown["change"]) == (
        old, "features/steps/context_steps.py", "created")
