"""A Cucumber JSON field of the wrong JSON type (``"name": 123``, ``"line": "x"``, ``"status": 5``,
``"duration": "fast"``) is refused at its own line in the report, naming the field and what to do, and nothing is
imported; a field the import does not read (``keyword``) is not checked, and ``null`` is an absent field."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import TestCase, TestRun
from tracertm.results import import_results
from tracertm.results.formats import parse_report

FIX = "; fix or regenerate the report; nothing was imported from this file"
MARK = "@@the wrong value@@"


def _document() -> list[dict[str, Any]]:
    step = {"keyword": "Given ", "name": "a step", "line": 5, "result": {"status": "passed", "duration": 1000}}
    return [{"uri": "features/a.feature", "id": "a", "keyword": "Feature", "name": "A", "line": 1, "elements": [
        {"id": "a;back", "keyword": "Background", "name": "Back", "line": 3, "type": "background",
         "steps": [copy.deepcopy(step)]},
        {"id": "a;one", "keyword": "Scenario", "name": "One", "line": 6, "type": "scenario",
         "tags": [{"name": "@SC-1", "line": 5}],
         "before": [{"result": {"status": "passed", "duration": 10}}],
         "steps": [copy.deepcopy(step), {**copy.deepcopy(step), "result": {"status": "failed", "duration": 5,
                                                                          "error_message": "boom\nat line 1"}}],
         "after": [{"result": {"status": "passed"}}]},
    ]}]


def _put(document: Any, where: tuple[int | str, ...], value: Any) -> None:
    node = document
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value


# (where in the document, a wrong value, what the message names)
WRONG: list[tuple[tuple[int | str, ...], Any, str]] = [
    ((0, "uri"), 123, "feature #1: 'uri' must be text, not the number 123"),
    ((0, "name"), ["A"], "feature #1: 'name' must be text, not a list"),
    ((0, "elements", 1, "name"), 123, "element #2 of feature #1: 'name' must be text, not the number 123"),
    ((0, "elements", 1, "id"), {"a": 1}, "element 'One': 'id' must be text, not an object"),
    ((0, "elements", 1, "line"), "x", "element 'One': 'line' must be a whole number (the line in the feature "
                                      "file), not the text \"x\""),
    ((0, "elements", 1, "line"), 6.5, "element 'One': 'line' must be a whole number"),
    ((0, "elements", 1, "line"), True, "element 'One': 'line' must be a whole number (the line in the feature "
                                       "file), not true"),
    ((0, "elements", 1, "type"), 5, "element 'One': 'type' must be text, not the number 5"),
    ((0, "elements", 0, "type"), ["background"], "element 'Back': 'type' must be text, not a list"),
    ((0, "elements", 1, "tags", 0, "name"), 7, "element 'One', tag 1: 'name' must be text, not the number 7"),
    ((0, "elements", 1, "tags", 0), "@SC-1", "element 'One': 'tags' must be a list of objects"),
    ((0, "elements", 1, "steps", 1, "result"), "failed",
     "element 'One', step 2: 'result' must be an object, not the text \"failed\""),
    ((0, "elements", 1, "steps", 0, "result", "status"), 5,
     "element 'One', step 1: 'result.status' must be text, not the number 5"),
    ((0, "elements", 1, "steps", 0, "result", "duration"), "fast",
     "element 'One', step 1: 'result.duration' must be a number of nanoseconds, not the text \"fast\""),
    ((0, "elements", 1, "steps", 0, "result", "duration"), False, "'result.duration' must be a number"),
    ((0, "elements", 1, "steps", 1, "result", "error_message"), ["boom"],
     "element 'One', step 2: 'result.error_message' must be text, not a list"),
    ((0, "elements", 1, "before", 0, "result", "status"), 1, "element 'One', before hook 1: 'result.status'"),
    ((0, "elements", 1, "after", 0, "result", "duration"), "1s", "element 'One', after hook 1: 'result.duration'"),
    ((0, "elements", 0, "steps", 0, "result", "status"), {}, "element 'Back', step 1: 'result.status' must be text"),
]


@pytest.mark.parametrize(("where", "value", "named"), WRONG, ids=[f"{w[-1]}={v!r}" for w, v, _ in WRONG])
def test_a_field_of_the_wrong_type_is_refused_at_its_line_in_the_report(
    where: tuple[int | str, ...], value: Any, named: str,
) -> None:
    document = _document()
    _put(document, where, MARK)
    line = next(n for n, text in enumerate(json.dumps(document, indent=2).splitlines(), 1) if MARK in text)
    _put(document, where, value)
    with pytest.raises(ParseError) as caught:
        parse_report("report.json", json.dumps(document, indent=2).encode())
    error = caught.value
    assert (error.path, error.line) == ("report.json", line)
    assert named in error.message and error.message.endswith(FIX)
    assert "\n" not in str(error)


def test_the_well_typed_report_parses() -> None:
    (case,) = parse_report("report.json", json.dumps(_document(), indent=2).encode()).cases
    assert (case.status, case.line, case.tags, case.message) == ("failed", 6, ("SC-1",), "boom")
    assert case.duration == pytest.approx(2015 / 1e9)


@pytest.mark.parametrize(("where", "value"), [
    ((0, "keyword"), []),  # read by no one: not checked
    ((0, "elements", 1, "keyword"), 5),
    ((0, "elements", 1, "steps", 0, "name"), 5),
    ((0, "elements", 1, "steps", 0, "line"), "x"),
    ((0, "elements", 1, "description"), {}),
    ((0, "name"), None),  # null: absent
    ((0, "elements", 1, "line"), None),
    ((0, "elements", 1, "steps", 0, "result", "duration"), None),
    ((0, "elements", 1, "steps", 0, "result"), None),
])
def test_fields_the_import_does_not_read_and_null_fields_are_accepted(
    where: tuple[int | str, ...], value: Any,
) -> None:
    document = _document()
    _put(document, where, value)
    assert len(parse_report("report.json", json.dumps(document).encode()).cases) == 1


def test_a_report_with_a_wrong_field_imports_nothing(git_repo: GitRepo, database_url: str) -> None:
    """Two files in one import, the second malformed: no run, no test case."""
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: One\n    Given a step\n")
    git_repo.commit("a")
    assert not sync(git_repo.path, ref="HEAD", database_url=database_url, project="p").errors
    bad = _document()
    _put(bad, (0, "elements", 1, "name"), 123)
    with pytest.raises(ParseError) as caught:
        import_results(database_url, "p", [("good.json", json.dumps(_document()).encode()),
                                           ("bad.json", json.dumps(bad, indent=1).encode())])
    assert str(caught.value).startswith("bad.json:")
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            counts = (session.execute(select(func.count()).select_from(TestRun)).scalar_one(),
                      session.execute(select(func.count()).select_from(TestCase)).scalar_one())
    finally:
        engine.dispose()
    assert counts == (0, 0)
