"""pytest-bdd's ``parsers.parse/cfparse(pattern, extra_types)`` hand the types to that one ``parse`` parser: two
definitions may give one name two patterns, and a definition does not see another's types. tracertm kept one
registry of pytest-bdd types per project, as behave's ``register_type`` is one per process: the second definition's
type was "already declared … rename one", that definition matched with the first one's pattern (its steps
undefined, itself unused), and a definition naming a type only another one declares matched where pytest-bdd
refuses to collect its module ("format spec 'Colour' not recognised"). Checked against pytest-bdd's own run."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.step_sync import types_signature
from tracertm.engine.sync import sync
from tracertm.models import StepDefinition as StepRow
from tracertm.steps.packed import match_rows
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.prematch import digest
from tracertm.steps.project import analyze

TEXTS = ["a red thing", "a green box", "a green thing", "a red box"]
FEATURE = "Feature: things\n" + "".join(f"  Scenario: {t}\n    Given {t}\n" for t in TEXTS)
MODULE = """\
import parse
from pytest_bdd import given, scenarios, parsers

scenarios("../features/things.feature")


@parse.with_pattern(r"red|blue")
def colour(text):
    return text


@parse.with_pattern(r"\\w+")
def any_colour(text):
    return text


@given(parsers.parse("a {c:Colour} thing", {"Colour": colour}))
def thing(c):
    assert c in ("red", "blue")


@given(parsers.cfparse("a {c:Colour} box", extra_types=dict(Colour=any_colour)))
def box(c):
    assert c in ("green", "red")
"""
# Undefined where each definition has its own Colour: "a green thing" (the thing's is red|blue).
UNDEFINED = ["a green thing"]


def _pytest(root: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "pytest.ini",
                           "tests"], cwd=str(root), capture_output=True, text=True, timeout=120)


def test_each_definition_has_its_own_extra_types_as_pytest_bdd_has(git_repo: GitRepo) -> None:
    pytest.importorskip("pytest_bdd")
    git_repo.write("features/things.feature", FEATURE)
    git_repo.write("pytest.ini", "[pytest]\n")
    git_repo.write("tests/test_things.py", MODULE)
    git_repo.commit("things")
    proc = _pytest(git_repo.path)
    theirs = sorted(re.findall(r'Step definition is not found: \w+ "([^"]*)"', proc.stdout))
    assert theirs == UNDEFINED, proc.stdout[-3000:]
    assert "1 failed, 3 passed" in proc.stdout, proc.stdout[-3000:]  # each defined step ran its definition

    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert not report.warnings, report.warnings
    assert [(r.use.text, r.status, [d.function for d in r.definitions]) for r in report.results] == [
        ("a red thing", "defined", ["thing"]), ("a green box", "defined", ["box"]),
        ("a green thing", "undefined", []), ("a red box", "defined", ["box"])]


def test_a_type_only_another_definition_declares_is_refused_as_pytest_bdd_refuses_it(git_repo: GitRepo) -> None:
    pytest.importorskip("pytest_bdd")
    git_repo.write("features/things.feature", "Feature: things\n  Scenario: s\n    Given a red thing\n")
    git_repo.write("features/bags.feature", "Feature: bags\n  Scenario: s\n    Given a red bag\n")
    git_repo.write("pytest.ini", "[pytest]\n")
    git_repo.write("tests/test_things.py", MODULE.replace("/things.feature", "").replace(
        "def box(c):", "def box(c):\n    pass\n\n\n@given(parsers.parse('a {c:Colour} bag'))\ndef bag(c):"))
    git_repo.commit("bags")
    proc = _pytest(git_repo.path)
    assert "ValueError: format spec 'Colour' not recognised" in proc.stdout, proc.stdout[-3000:]

    report = analyze(git_repo.path)
    assert [(e.path, e.line, e.message) for e in report.errors] == [(
        "tests/test_things.py", 27, "step definition 'a {c:Colour} bag' is not a valid parse pattern (format spec "
        "'Colour' not recognised); register custom types with register_type / extra_types")]
    assert [(r.use.text, r.status) for r in report.results] == [("a red bag", "undefined"),
                                                                 ("a red thing", "defined")]


def _types_moved(owner: str) -> tuple[str, str]:
    """A module whose Colour type is given to the definition ``owner`` (``thing`` or ``box``) alone, the other
    definition naming no type; the types' signature and the matching digest of what it parses to."""
    types = {name: ', {"Colour": colour}' if name == owner else "" for name in ("thing", "box")}
    text = ("import parse\nfrom pytest_bdd import given, parsers\n\n\n@parse.with_pattern(r'red')\n"
            "def colour(text):\n    return text\n\n\n"
            f"@given(parsers.parse('a {{c:Colour}} thing'{types['thing']}))\ndef thing(c):\n    pass\n\n\n"
            f"@given(parsers.parse('a {{c:Colour}} box'{types['box']}))\ndef box(c):\n    pass\n")
    parsed = parse_step_file("tests/test_a.py", text.encode())
    return (types_signature({parsed.path: parsed}),
            digest(parsed.definitions, parsed.parameter_types))


def test_a_type_moved_to_another_definition_changes_the_signature_and_the_digest() -> None:
    """The same type (name, pattern, file) given to another definition matches other steps: a sync must re-match
    every step (the types' signature), and a parse worker's matching must not be taken for the parent's (the
    digest)."""
    thing_signature, thing_digest = _types_moved("thing")
    box_signature, box_digest = _types_moved("box")
    assert thing_signature != box_signature
    assert thing_digest != box_digest


def _stored(database_url: str) -> list[tuple[str, str, list[str], str | None]]:
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            definitions = {d.id: d for d in session.scalars(select(StepRow))}
            project_id = next(iter(definitions.values())).project_id
            return sorted((r.step_text, r.status, list(r.arguments or ()),
                           definitions[r.step_definition_id].function_name if r.step_definition_id else None)
                          for r in match_rows(session, project_id))
    finally:
        engine.dispose()


def test_a_sync_matches_each_definition_with_its_own_types(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/things.feature", FEATURE)
    git_repo.write("tests/test_things.py", MODULE)
    git_repo.commit("things")
    sync(git_repo.path, database_url=database_url)
    assert _stored(database_url) == [
        ("a green box", "defined", ["green"], "box"), ("a green thing", "undefined", [], None),
        ("a red box", "defined", ["red"], "box"), ("a red thing", "defined", ["red"], "thing")]

    # The box's own type changes: only its steps' verdicts follow (the thing's Colour is another type).
    git_repo.write("tests/test_things.py", MODULE.replace('r"\\w+"', 'r"gr\\w+"'))
    git_repo.commit("grey boxes")
    sync(git_repo.path, database_url=database_url)
    assert _stored(database_url) == [
        ("a green box", "defined", ["green"], "box"), ("a green thing", "undefined", [], None),
        ("a red box", "undefined", [], None), ("a red thing", "defined", ["red"], "thing")]
