"""An id no record has is one line naming every kind ``show``, ``history`` and ``review`` accept: step definitions
(``STEP-n``, ``file::function``) and test cases (their test ids) too — it said 'no ADR, contract, feature or
scenario with this id', as if those were all."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.cli import main

FEATURE = """@FEAT-1
Feature: Cart

  @SC-1
  Scenario: Add an item
    Given an empty cart
    When I add an item
    Then the cart holds it
"""


@pytest.mark.parametrize("verb", ["show", "history", "review"])
def test_an_unknown_id_names_every_kind_the_verb_accepts(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    verb: str,
) -> None:
    git_repo.write("features/cart.feature", FEATURE)
    git_repo.commit("seed")
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    assert main(["sync"]) == 0
    capsys.readouterr()

    assert main([verb, "SC-2"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "tracertm: error: SC-2: no ADR, contract, feature, scenario, step definition or test case with this id in "
        "project repo; see 'tracertm list KIND --project repo'"]
