"""A Cucumber Messages field of the wrong JSON type (an id, a name, a uri, a status or a message that is no text, a
line that is no whole number, ``willBeRetried`` that is no boolean) is malformed at its NDJSON line, and nothing is
imported from the file: read as ``str(5)`` or as "", it would join a result to another test, or give it another
status."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tracertm.errors import ParseError
from tracertm.results.formats import parse_report

CART = (Path(__file__).parent / "fixtures" / "cart.ndjson").read_bytes()


def _edited(line: int, edit: Callable[[dict[str, Any]], None]) -> bytes:
    lines = CART.splitlines()
    envelope = json.loads(lines[line - 1])
    edit(envelope)
    lines[line - 1] = json.dumps(envelope).encode()
    return b"\n".join(lines) + b"\n"


def _set(*where: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(envelope: dict[str, Any]) -> None:
        node: Any = envelope
        for key in where[:-1]:
            node = node[key]
        node[where[-1]] = value
    return edit


WRONG = [
    (3, _set("gherkinDocument", "uri", value=5), "gherkinDocument.uri must be text"),
    (3, _set("gherkinDocument", "feature", "name", value=["Cart"]), "feature.name must be text"),
    (3, _set("gherkinDocument", "feature", "children", 0, "scenario", "name", value=1), "scenario.name must be text"),
    (3, _set("gherkinDocument", "feature", "children", 0, "scenario", "id", value=1), "scenario.id must be text"),
    (3, _set("gherkinDocument", "feature", "children", 0, "scenario", "location", "line", value="6"),
     "location.line must be a whole number"),
    (4, _set("pickle", "id", value=1), "pickle.id must be text"),
    (4, _set("pickle", "uri", value=True), "pickle.uri must be text"),
    (4, _set("pickle", "name", value=None), None),  # null: absent
    (4, _set("pickle", "name", value=7), "pickle.name must be text"),
    (4, _set("pickle", "astNodeIds", value=[6]), "pickle.astNodeIds must be text"),
    (11, _set("testCase", "pickleId", value=1), "testCase.pickleId must be text"),
    (16, _set("testCaseStarted", "testCaseId", value=["tc1"]), "testCaseStarted.testCaseId must be text"),
    (18, _set("testStepFinished", "testCaseStartedId", value={}), "testStepFinished.testCaseStartedId must be text"),
    (18, _set("testStepFinished", "testStepResult", "status", value=5), "testStepResult.status must be text"),
    (30, _set("testStepFinished", "testStepResult", "message", value=["boom"]),
     "testStepResult.message must be text"),
    (31, _set("testCaseFinished", "willBeRetried", value="false"), "testCaseFinished.willBeRetried must be true or"),
]


@pytest.mark.parametrize(("line", "edit", "named"), WRONG)
def test_a_messages_field_of_the_wrong_type_is_malformed_at_its_line(
    line: int, edit: Callable[[dict[str, Any]], None], named: str | None,
) -> None:
    data = _edited(line, edit)
    if named is None:
        assert parse_report("cart.ndjson", data).cases
        return
    with pytest.raises(ParseError) as caught:
        parse_report("cart.ndjson", data)
    assert (caught.value.path, caught.value.line) == ("cart.ndjson", line)
    assert named in caught.value.message and caught.value.message.endswith("nothing was imported from this file")


def test_the_fixture_itself_parses() -> None:
    assert len(parse_report("cart.ndjson", CART).cases) == 5
