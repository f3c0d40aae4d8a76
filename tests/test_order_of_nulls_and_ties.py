"""SQLite and PostgreSQL list the same things in the same order where a sort key is empty (NULL) or two rows tie.

SQLite sorts NULL first in ascending order, PostgreSQL last: a link of no file (``links.source_path`` NULL) led
``status``' suspect and dangling links and a sync's dangling-link warnings on one and ended them on the other, and
a Background step's uses in a plain scenario (no Examples row line) came before its uses in an outline's rows on
one and after them on the other. Links of no file and steps of no row line are last on both now. And orders that
could tie came in whatever order a plan read the rows: the links ``review`` marks by source and target (two
relations of one ADR to another), a record's incoming links by source and type (one reference written two ways).
Each test holds both databases to one expected order, built so that the order the rows were written in is not it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import update

from conftest import GitRepo, run_cli
from tracertm import db
from tracertm.models import Link


def _adr(n: int, relations: str = "", body: str = "d") -> str:
    return (f"# {n}. Decision {n}\n\nDate: 2024-01-01\n\n## Status\n\nAccepted\n\n{relations}\n\n## Context\n\nc\n\n"
            f"## Decision\n\n{body}\n\n## Consequences\n\nc\n")


def _json(*argv: str) -> Any:
    done = run_cli(*argv, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _fileless(url: str, sources: tuple[str, ...]) -> None:
    """The links of ``sources`` as links not from a file (``source_path`` NULL: a record of no file's)."""
    with db.session(db.make_engine(url)) as session:
        session.execute(update(Link).where(Link.source_ref.in_(sources)).values(source_path=None))
        session.commit()


def test_links_of_no_file_come_last_in_status(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    git_repo.write("docs/adr/0001-one.md", _adr(1))
    git_repo.write("docs/adr/0002-two.md", _adr(2))
    for name in ("a", "b", "c"):
        git_repo.write(f"features/{name}.feature", f"@ADR-0001 @ADR-0002\nFeature: {name}\n\n  Scenario: s\n"
                                                   "    Given x\n")
    git_repo.commit("specs")
    assert run_cli("sync").returncode == 0
    git_repo.write("docs/adr/0001-one.md", _adr(1, body="Otherwise."))
    git_repo.remove("docs/adr/0002-two.md")
    git_repo.commit("ADR-0001 changed, ADR-0002 gone")
    assert run_cli("sync").returncode == 0
    _fileless(database_url, ("a", "a/s"))  # the first by file, and by number
    status = _json("status")
    for state in ("suspect_links", "dangling_links"):
        assert [(x["source"]["id"], x["source"]["path"]) for x in status["links"][state]] == [
            ("b", "features/b.feature"), ("b/s", "features/b.feature"), ("c", "features/c.feature"),
            ("c/s", "features/c.feature"), ("a", None), ("a/s", None)], state


def test_review_marks_two_relations_of_one_adr_to_another_in_one_order(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """ADR-0002 both supersedes ADR-0001 and is superseded by it (two links of one source to one target, tying by
    source and target): ``review`` lists them by type, on both databases."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    git_repo.write("docs/adr/0001-one.md", _adr(1))
    git_repo.write("docs/adr/0002-two.md", _adr(2, "Supersedes ADR-0001\n\nSuperseded by ADR-0001"))
    git_repo.commit("specs")
    assert run_cli("sync").returncode == 0
    git_repo.write("docs/adr/0001-one.md", _adr(1, body="Otherwise."))
    git_repo.commit("ADR-0001 changed")
    assert run_cli("sync").returncode == 0
    reviewed = _json("review", "ADR-0002", "--by", "me")
    assert [(x["source"]["id"], x["type"], x["target"]["id"]) for x in reviewed] == [
        ("ADR-0002", "superseded_by", "ADR-0001"), ("ADR-0002", "supersedes", "ADR-0001")]


def test_a_background_steps_uses_in_rows_come_before_those_of_no_row(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Background step runs in a plain scenario (no Examples row line) and in each row of an outline: the uses
    with a row line first, then the one without, on both databases (as SQLite and PostgreSQL sort NULL they came
    first on one and last on the other)."""
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    git_repo.write("features/step_definitions/steps.js",
                   "const { Given } = require('@cucumber/cucumber');\n"
                   "Given('ready', function ready() {});\nGiven('n {int}', function n() {});\n")
    git_repo.write("features/f.feature",
                   "Feature: f\n\n  Background:\n    Given ready\n\n  Scenario: plain\n    Given n 1\n\n"
                   "  Scenario Outline: rows\n    Given n <n>\n\n    Examples:\n      | n |\n      | 2 |\n"
                   "      | 3 |\n")
    git_repo.commit("specs")
    assert run_cli("sync").returncode == 0
    shown = _json("show", "features/step_definitions/steps.js::ready")
    assert [(u["scenario"], u["line"], u["row_line"]) for u in shown["used_by"]] == [
        ("rows", 4, 14), ("rows", 4, 15), ("plain", 4, None)]
