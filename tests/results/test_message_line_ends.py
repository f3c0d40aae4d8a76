"""A stored message's line ends print alike whichever a runner wrote: a lone CR or a CRLF inside a failure message
is the message's line break, as LF is — ``\\n`` in ``show SC-n``'s last results and in ``results list``'s message
column (not ``\\r`` or ``\\r\\n``), and in a field ``show`` prints (a test case's title) its lines, indented, as a
value with LF line ends is (a lone CR kept it on one line as ``\\r``). Other control characters stay escaped.

A real git repository and SQLite file; the messages are written into the stored result directly (an import keeps a
message's first line: a stored message holds a line end when an earlier tracertm or another writer stored it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update

from conftest import GitRepo, run_cli
from tracertm import db
from tracertm.models import TestCase, TestResult

FEATURE = "Feature: Cart\n  @SC-1\n  Scenario: add\n    Given a thing\n"
REPORT = [{"uri": "features/cart.feature", "name": "Cart", "elements": [{
    "name": "add", "line": 3, "type": "scenario", "tags": [{"name": "@SC-1"}],
    "steps": [{"keyword": "Given ", "name": "a thing", "line": 4,
               "result": {"status": "failed", "error_message": "boom"}}]}]}]
# One message, one title, in each line end (and an ESC, which stays escaped).
ENDS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}


def _stored(git_repo: GitRepo, tmp_path: Path, end: str) -> list[str]:
    """The project synced and the report imported into a SQLite file, then its result's message and its test case's
    title written with the line end ``end``; the options that name the file and the project."""
    url = f"sqlite:///{tmp_path / 'tracertm.db'}"
    where = ["--project", "cart", "--database-url", url]
    git_repo.write("features/cart.feature", FEATURE)
    git_repo.commit("cart")
    report = tmp_path / "report.json"
    report.write_text(json.dumps(REPORT))
    for argv in (["sync", str(git_repo.path)], ["results", "import", str(report), "--path", str(git_repo.path)]):
        done = run_cli(*argv, *where)
        assert done.returncode == 0, done.stdout + done.stderr
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            session.execute(update(TestResult).values(message=f"expected 1{end}got 2{end}\x1b[31mred"))
            session.execute(update(TestCase).values(title=f"add{end}a second line"))
            session.commit()
    finally:
        engine.dispose()
    return where


@pytest.mark.parametrize("end", list(ENDS))
def test_a_cr_or_crlf_in_a_stored_message_shows_as_lf_does(
    git_repo: GitRepo, tmp_path: Path, end: str
) -> None:
    where = _stored(git_repo, tmp_path, ENDS[end])
    listed = run_cli("results", "list", *where)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1].endswith("  expected 1\\ngot 2\\n\\x1b[31mred"), listed.stdout
    shown = run_cli("show", "SC-1", *where)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[-1].endswith("::add:3: expected 1\\ngot 2\\n\\x1b[31mred"), shown.stdout
    case = run_cli("show", "test-case:features/cart.feature::add:3", *where)
    assert case.returncode == 0, case.stderr
    assert "\ntitle:\n  add\n  a second line\n" in case.stdout, case.stdout
