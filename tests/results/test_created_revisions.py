"""Each test case an import creates has exactly one ``created`` revision holding its fields, whichever path wrote it:
on SQLite the database makes those revisions from the rows it has just inserted (``import_rows._CREATED_SQL``), on
PostgreSQL they are inserted with the rows. Texts that JSON must escape come back as they went in; test cases that
existed get no revision; the revision ids are version 7 UUIDs (on SQLite: their test case's time and counter).
In-process and streamed, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import GitRepo, force_streaming
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import SpecRevision, TestCase
from tracertm.results import import_results

# Names JSON must escape (quote, backslash, control characters), non-ASCII and astral text, markup-like text.
ODD = ['say "hi"', "back\\slash", "tab\there", "line\nbreak", "café ünïcode", "emoji 🎉", "</x> & <y>", "/slash"]


def _attribute(text: str) -> str:
    """``text`` as an XML attribute value that parses back to it (a raw tab or newline would become a space)."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), ('"', "&quot;"), ("\n", "&#10;"), ("\t", "&#9;")):
        text = text.replace(char, entity)
    return text


def _report(names: list[str], suite: str = "odd") -> bytes:
    cases = "".join(
        f'<testcase classname="{suite}.m{n % 2}" name="{_attribute(name)}"'
        + (f' file="tests/{suite}_{n}.py"' if n % 2 else "") + "/>"
        for n, name in enumerate(names)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><testsuite name="{suite}">{cases}</testsuite>'.encode()


@pytest.fixture
def shop(git_repo: GitRepo, database_url: str) -> str:
    (git_repo.path / "features").mkdir()
    (git_repo.path / "features" / "a.feature").write_text("Feature: A\n\n  Scenario: one\n    Given a\n")
    git_repo.commit("features")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="shop").errors
    return database_url


def _check(database_url: str, actor: str) -> dict[str, uuid.UUID]:
    """Every test case has one created revision that holds its fields; returns the test case ids by number."""
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            cases = session.execute(select(TestCase)).scalars().all()
            revisions = session.execute(
                # (a known test case's later last execution is an annotated revision: ``case_results``)
                select(SpecRevision).where(SpecRevision.entity_type == "test_case",
                                           SpecRevision.change == "created")).scalars().all()
            by_case = {r.entity_id: r for r in revisions}
            assert len(by_case) == len(revisions) == len(cases)
            for case in cases:
                revision = by_case[case.id]
                expected = {"test_case_number": case.test_case_number, "title": case.title, "status": case.status,
                            "test_case_metadata": case.metadata_}
                if case.automation_script_path is not None:
                    expected["automation_script_path"] = case.automation_script_path
                if case.version == 1 and case.last_execution_result is not None:  # created with its last execution
                    assert case.last_executed_at is not None
                    expected["last_execution_result"] = case.last_execution_result
                    expected["last_executed_at"] = case.last_executed_at.isoformat()
                elif case.version > 1:  # a later import changed it: the created revision holds the first one's
                    assert {"last_execution_result", "last_executed_at"} <= set(revision.snapshot)
                    expected.update({key: revision.snapshot[key]
                                     for key in ("last_execution_result", "last_executed_at")})
                assert revision.snapshot == expected
                assert (revision.version, revision.change, revision.number, revision.actor) == (
                    1, "created", case.test_case_number, actor)
                assert revision.project_id == case.project_id and revision.id != case.id
                assert revision.id.version == 7 and revision.id.variant == uuid.RFC_4122
            if database_url.startswith("sqlite"):  # its test case's id, the last 32 (random) bits drawn anew
                assert all(by_case[c.id].id.bytes[:12] == c.id.bytes[:12] for c in cases)
            return {case.test_case_number: case.id for case in cases}
    finally:
        engine.dispose()


@pytest.mark.parametrize("mode", ["in-process", "streamed"])
def test_created_revisions_hold_the_fields(
    shop: str, mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    outcomes = force_streaming(monkeypatch, 2, 3) if mode == "streamed" else []
    summary = import_results(shop, "shop", [("odd.xml", _report(ODD))], actor="ci-bot")
    assert summary.test_cases_created == len(ODD)
    assert outcomes == (["streamed"] if mode == "streamed" else [])
    first = _check(shop, "ci-bot")
    names = {number.split("::", 1)[1] for number in first}
    assert {"line\nbreak", "tab\there", 'say "hi"', "emoji 🎉", "</x> & <y>"} <= names
    # The same tests again with two new ones: only the new ones are created, each with its revision.
    summary = import_results(shop, "shop", [("again.xml", _report([*ODD, "new one", "new \\ two"]))],
                             actor="ci-bot")
    assert summary.test_cases_created == 2
    second = _check(shop, "ci-bot")
    assert {k: v for k, v in second.items() if k in first} == first


def test_sqlite_snapshot_text_is_valid_json(tmp_path: Path, git_repo: GitRepo) -> None:
    """The snapshot SQLite puts together is JSON SQLite itself accepts, and decodes to what Python's encoder
    makes of the same fields."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    (git_repo.path / "features").mkdir()
    (git_repo.path / "features" / "a.feature").write_text("Feature: A\n\n  Scenario: one\n    Given a\n")
    git_repo.commit("features")
    assert not sync(git_repo.path, ref="HEAD", database_url=url, project="shop").errors
    import_results(url, "shop", [("odd.xml", _report(ODD))])
    connection = sqlite3.connect(tmp_path / "db.sqlite")
    try:
        rows = connection.execute(
            "SELECT r.snapshot, json_valid(r.snapshot), c.test_case_number, c.title FROM spec_revisions r "
            "JOIN test_cases c ON c.id = r.entity_id WHERE r.change = 'created'").fetchall()
    finally:
        connection.close()
    assert len(rows) == len(ODD)
    for text, valid, number, title in rows:
        assert valid == 1
        decoded = json.loads(text)
        assert (decoded["test_case_number"], decoded["title"]) == (number, title)
