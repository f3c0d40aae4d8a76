"""``show --format json`` adds ``links`` for every kind (README: "`links` (every kind; …/trace/{id})"): a step
definition's record had ``used_by`` but no ``links``, though ``trace`` lists the ``-step->`` links into it. The
``links`` of a step definition and of a test case are those ``trace`` and ``show`` of their scenario list."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_step_and_test_links import PATH, TC, basket, report  # noqa: F401 - ``basket`` is a fixture

from conftest import GitRepo
from tracertm.cli import main
from tracertm.results import import_results


def _show(capsys: pytest.CaptureFixture[str], ident: str, database_url: str) -> dict[str, Any]:
    code = main(["show", ident, "--format", "json", "--database-url", database_url, "--project", "shop"])
    out = capsys.readouterr().out
    assert code == 0, out
    shown: dict[str, Any] = json.loads(out)
    return shown


def _incoming(shown: dict[str, Any]) -> set[tuple[str, str]]:
    return {(link["source"]["id"], link["type"]) for link in shown["links"]["incoming"]}


def test_a_step_definition_and_a_test_case_have_their_links(
    basket: GitRepo, engine: Any, database_url: str, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    import_results(engine, "shop", [("cucumber.json", report(("SC-1", 5, "add", "passed")))])
    for ident in (f"{PATH}::holds", "STEP-3"):
        shown = _show(capsys, ident, database_url)
        assert shown["short_id"] == "STEP-3" and len(shown["used_by"]) == 2
        assert shown["links"]["outgoing"] == []
        assert _incoming(shown) == {("FEAT-1/SC-1", "step"), ("FEAT-1/SC-2", "step")}
    case = _show(capsys, f"{TC}::basket;add", database_url)
    assert _incoming(case) == {("FEAT-1/SC-1", "test")} and case["links"]["outgoing"] == []
    # The same link objects a scenario's ``show`` lists.
    scenario = _show(capsys, "FEAT-1/SC-2", database_url)
    into = [link for link in scenario["links"]["outgoing"] if link["target"]["id"] == f"{PATH}::holds"]
    assert into and into[0] in _show(capsys, "STEP-3", database_url)["links"]["incoming"]
