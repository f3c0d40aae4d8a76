"""Step definitions through sync, on SQLite and PostgreSQL: created with revisions, a body edit is no new version,
a pattern edit is, removal soft-deletes, a broken file keeps its rows; links and usage counts follow; show and
history work for definitions and show the links both ways."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.models import SpecRevision, StepDefinition
from tracertm.steps.packed import match_rows

FEATURE = """\
Feature: Basket
  @SC-1
  Scenario: add
    Given an empty basket
    When I add 2 "apples"
    Then the basket holds 2 items

  @SC-2
  Scenario Outline: rows
    When I add <n> "pears"
    Then the basket holds <n> items

    Examples:
      | n   |
      | 1   |
      | two |
"""
STEPS = r"""const { Given, When, Then } = require('@cucumber/cucumber');

Given('an empty basket', function empty() {});
When('I add {int} {string}', function add(n, what) {});
Then(/^the basket holds (\d+) items?$/, function holds(n) {});
Then('the basket is emptied', function emptied() {});
"""
PATH = "features/step_definitions/basket.js"


def _defs(engine) -> dict:  # type: ignore[no-untyped-def, type-arg]
    with db.session(engine) as session:
        rows = session.scalars(select(StepDefinition).execution_options(include_deleted=True)).all()
        return {r.function_name: (r.version, r.usage_count, r.deleted_at is not None, r.pattern) for r in rows}


def _links(engine) -> list[tuple[str, str, int | None]]:  # type: ignore[no-untyped-def]
    with db.session(engine) as session:
        rows = match_rows(session)
        return sorted((r.step_text, r.status, r.row_line) for r in rows)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_step_definitions_sync(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("features/basket.feature", FEATURE)
    git_repo.write(PATH, STEPS)
    git_repo.commit("basket")
    result = sync(git_repo.path, database_url=database_url)
    assert not result.errors
    assert result.counts["step_definition"]["created"] == 4
    engine = db.make_engine(database_url)
    try:
        assert _defs(engine) == {
            "empty": (1, 1, False, "an empty basket"),
            "add": (1, 2, False, "I add {int} {string}"),  # not "I add two ..."
            "holds": (1, 2, False, r"^the basket holds (\d+) items?$"),
            "emptied": (1, 0, False, "the basket is emptied"),
        }
        assert ("the basket holds two items", "undefined", 16) in _links(engine)

        # A no-op sync writes nothing; editing a body is no new version.
        assert not sync(git_repo.path, database_url=database_url).changed
        git_repo.write(PATH, git_repo.read(PATH).replace("function emptied() {}", "function emptied() { return 1; }"))
        git_repo.commit("body")
        again = sync(git_repo.path, database_url=database_url)
        assert again.counts["step_definition"]["updated"] == 0 and _defs(engine)["emptied"][0] == 1

        # A pattern edit is a new version (one revision), and re-links: "two" now matches.
        git_repo.write(PATH, git_repo.read(PATH).replace(r"(\d+)", r"(\w+)"))
        git_repo.commit("words")
        edited = sync(git_repo.path, database_url=database_url)
        assert edited.counts["step_definition"]["updated"] == 1
        assert _defs(engine)["holds"][:2] == (2, 3)
        assert ("the basket holds two items", "defined", 16) in _links(engine)
        with db.session(engine) as session:
            changes = session.execute(
                select(SpecRevision.change, SpecRevision.version).where(SpecRevision.entity_type == "step_definition",
                                                                        SpecRevision.number == f"{PATH}::holds")
                .order_by(SpecRevision.version)).all()
            assert [tuple(c) for c in changes] == [("created", 1), ("updated", 2)]

        # show / history, both ways.
        code, out, _ = _cli(capsys, "show", f"{PATH}::holds", "--path", str(git_repo.path), "--database-url",
                            database_url, "--format", "json")
        shown = json.loads(out)
        # ``id`` is the UUID, as the API's record; the short id is ``short_id``.
        assert code == 0 and shown["short_id"].startswith("STEP-") and len(shown["used_by"]) == 3
        short = shown["short_id"]
        code, out, _ = _cli(capsys, "show", short, "--path", str(git_repo.path), "--database-url", database_url)
        assert code == 0 and "used by (3):" in out and "Then the basket holds two items" in out
        code, out, _ = _cli(capsys, "history", short, "--path", str(git_repo.path), "--database-url",
                            database_url)
        assert code == 0 and "created" in out and "updated" in out
        code, out, _ = _cli(capsys, "show", "SC-2", "--path", str(git_repo.path), "--database-url", database_url)
        assert code == 0 and "steps:" in out and f"-> {short} {PATH}:5" in out

        # A file whose definition cannot be read keeps its rows; removing a definition soft-deletes it.
        git_repo.write(PATH, git_repo.read(PATH) + "Then(somePattern, () => {});\n")
        git_repo.commit("broken")
        broken = sync(git_repo.path, database_url=database_url)
        assert [(e.path, e.line) for e in broken.errors] == [(PATH, 7)]
        assert _defs(engine)["emptied"][2] is False
        git_repo.write(PATH, STEPS.replace("Then('the basket is emptied', function emptied() {});\n", ""))
        git_repo.commit("fixed, one fewer")
        fixed = sync(git_repo.path, database_url=database_url)
        assert fixed.counts["step_definition"]["deleted"] == 1 and _defs(engine)["emptied"][2] is True
        assert _defs(engine)["holds"][:2] == (3, 2)  # back to digits: a new version, "two" undefined again
        assert ("the basket holds two items", "undefined", 16) in _links(engine)
    finally:
        engine.dispose()


def test_a_sync_of_some_paths_matches_against_every_step_file(git_repo: GitRepo, database_url: str) -> None:
    """The watcher syncs the paths that changed: links still see every definition (and parameter type)."""
    git_repo.write("features/basket.feature", FEATURE)
    git_repo.write(PATH, STEPS)
    git_repo.write("features/step_definitions/types.js",
                   "defineParameterType({name: 'fruit', regexp: /apples?|pears?/});\n"
                   "When('I eat {int} {fruit}', function eat(n, f) {});\n")
    git_repo.commit("basket")
    sync(git_repo.path, database_url=database_url)
    git_repo.write("features/basket.feature", FEATURE + "\n  Scenario: eat\n    When I eat 2 apples\n"
                                                        "    Then the basket is emptied\n")
    result = sync(git_repo.path, database_url=database_url, paths=["features/basket.feature"])
    assert result.counts["scenario"]["created"] == 1
    engine = db.make_engine(database_url)
    try:
        assert _defs(engine)["emptied"][1] == 1 and _defs(engine)["eat"][1] == 1
        assert ("I eat 2 apples", "defined", None) in _links(engine)
    finally:
        engine.dispose()


def test_a_string_argument_is_stored_and_shown_without_its_quotes(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A {string} argument is the text between its quotes, as cucumber hands it to the step function (its \\"
    unescaped; an empty string empty): in the stored rows and in ``show SC-n``."""
    git_repo.write("features/basket.feature", FEATURE + '\n  @SC-3\n  Scenario: odd names\n'
                   '    When I add 3 "big \\"red\\" apples"\n    When I add 0 ""\n')
    git_repo.write(PATH, STEPS)
    git_repo.commit("basket")
    assert not sync(git_repo.path, database_url=database_url).errors
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            stored = {r.step_text: r.arguments for r in match_rows(session)
                      if r.status == "defined" and r.step_text.startswith("I add")}
    finally:
        engine.dispose()
    assert stored == {'I add 2 "apples"': ["2", "apples"], 'I add 1 "pears"': ["1", "pears"],
                      'I add 3 "big \\"red\\" apples"': ["3", 'big "red" apples'], 'I add 0 ""': ["0", ""]}
    code, out, _ = _cli(capsys, "show", "SC-3", "--path", str(git_repo.path), "--database-url", database_url,
                        "--format", "json")
    assert code == 0
    shown = [d["arguments"] for s in json.loads(out)["steps"] for d in s["definitions"]]
    assert shown == [["3", 'big "red" apples'], ["0", ""]]


def test_backfill_replays_step_definitions_and_the_next_sync_links(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracertm import backfill

    git_repo.write("features/basket.feature", FEATURE)
    git_repo.write(PATH, STEPS)
    first = git_repo.commit("one")
    git_repo.write(PATH, STEPS.replace("the basket is emptied", "the basket is cleared"))
    second = git_repo.commit("two")
    backfill(git_repo.path, database_url=database_url)
    code, out, _ = _cli(capsys, "history", f"{PATH}::emptied", "--path", str(git_repo.path), "--database-url",
                        database_url, "--format", "json")
    assert code == 0 and [(r["change"], r["commit_sha"]) for r in json.loads(out)] == [("created", first),
                                                                                  ("updated", second)]
    sync(git_repo.path, database_url=database_url)  # links were never computed: the first sync does it
    engine = db.make_engine(database_url)
    try:
        assert _defs(engine)["add"][1] == 2 and ("the basket holds two items", "undefined", 16) in _links(engine)
    finally:
        engine.dispose()
    # A definition as it was at a commit, by either of its ids (the step definitions' own lookup, then --at).
    where = ["--path", str(git_repo.path), "--database-url", database_url, "--format", "json"]
    code, out, _ = _cli(capsys, "show", f"{PATH}::emptied", *where)
    short = json.loads(out)["short_id"]  # ``id`` is the UUID, as in the API
    for ident in (f"{PATH}::emptied", short):
        code, out, err = _cli(capsys, "show", ident, "--at", first, *where)
        assert code == 0, err
        shown = json.loads(out)
        assert (shown["number"], shown["version"], shown["snapshot"]["pattern"]) == (
            f"{PATH}::emptied", 1, "the basket is emptied"), shown


@pytest.mark.parametrize("path, broken, line", [
    (PATH, STEPS + "When('I pay {int euros', function pay(n) {});\n", 7),  # cucumber-js builds it when it loads
    ("features/steps/basket.py",
     'from behave import given, use_step_matcher\nuse_step_matcher("re")\n\n@given(r"an (empty basket")\n'
     "def empty(context):\n    pass\n", 4),  # behave compiles the regex when the step module loads
])
def test_a_pattern_its_framework_refuses_is_an_error_of_its_file(
        git_repo: GitRepo, database_url: str, path: str, broken: str, line: int) -> None:
    """A definition whose pattern its framework refuses when it loads the step code (a Cucumber Expression that does
    not parse, a Python regex that does not compile) makes its file an error, as an unreadable definition does:
    the sync exits with the error at its line and the file's definitions stay as the database has them."""
    git_repo.write("features/basket.feature", FEATURE)
    git_repo.write(path, STEPS if path == PATH else broken.replace("(empty", "empty"))
    git_repo.commit("basket")
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine)
        before = _defs(engine)
        git_repo.write(path, broken)
        git_repo.commit("a pattern the framework refuses")
        result = sync(git_repo.path, engine=engine)
        assert [(e.path, e.line) for e in result.errors] == [(path, line)]
        assert "step definition" in result.errors[0].message
        assert _defs(engine) == before
    finally:
        engine.dispose()


def test_status_counts_live_and_deleted_step_definitions(
        git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("features/basket.feature", FEATURE)
    git_repo.write(PATH, STEPS)
    git_repo.commit("basket")
    sync(git_repo.path, database_url=database_url)
    git_repo.write(PATH, STEPS.replace("Then('the basket is emptied', function emptied() {});\n", ""))
    git_repo.commit("one fewer")
    sync(git_repo.path, database_url=database_url)
    common = ["--path", str(git_repo.path), "--database-url", database_url]
    code, out, _ = _cli(capsys, "status", *common, "--format", "json")
    assert code == 0 and json.loads(out)["counts"]["step_definition"] == {"live": 3, "deleted": 1}
    code, out, _ = _cli(capsys, "status", *common)
    assert code == 0 and [line.split() for line in out.splitlines() if line.startswith("steps")] == [["steps", "3", "1"]]


def test_the_definitions_one_sync_creates_are_numbered_by_identity_however_slow_its_writes(
        git_repo: GitRepo, database_url: str) -> None:
    """``STEP-n`` numbers the definitions one sync creates by their identity, in the database's order. On SQLite
    each row read the clock for its ``created_at`` (the numbering's first key), and a sync whose rows were written
    across a millisecond numbered them in file order: the same commit numbered otherwise from one fresh database to
    the next. Every statement is made to take milliseconds here, so that old behaviour shows every time."""
    from sqlalchemy import event

    from tracertm.models import Project
    from tracertm.steps.queries import short_ids

    git_repo.write("features/basket.feature", FEATURE)
    git_repo.write(PATH, STEPS)  # file order: empty, add, holds, emptied (their identities: file::function)
    git_repo.commit("basket")
    engine = db.open_engine(database_url)
    if engine.dialect.name == "sqlite":
        engine.dispose()
        event.listen(engine, "connect", lambda conn, _: conn.set_trace_callback(lambda _: time.sleep(0.003)))
    try:
        sync(git_repo.path, engine=engine)
        with db.session(engine) as session:
            project = session.scalars(select(Project)).one()
            numbers = {n: row_id for row_id, n in short_ids(session, project.id).items()}
            identities = {i: n for i, n in session.execute(select(StepDefinition.id, StepDefinition.step_number))}
            in_database_order = session.scalars(
                select(StepDefinition.step_number).order_by(StepDefinition.step_number)).all()
    finally:
        engine.dispose()
    assert [identities[numbers[f"STEP-{n}"]] for n in range(1, 5)] == in_database_order
    assert [identity.rpartition("::")[2] for identity in in_database_order] == ["add", "emptied", "empty", "holds"]
