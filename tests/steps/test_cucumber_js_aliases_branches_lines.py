"""cucumber-js's own dry run against tracertm on the reader fixes of one step file: an alias of the destructured
``Given`` (``const G = Given``), one step defined in both branches of an ``if``/``else`` (cucumber-js registers
the branch that runs: no ambiguity; tracertm keeps both and links the first), and a member call broken over lines,
located at its ``.When`` line as cucumber-js (V8's call site) locates it. Before: the alias was undefined, the
branches' step ambiguous, the chained call one line early."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from test_cucumber_js_dry_run import NODE, _cucumber, _require_cucumber, _tracertm, _verdicts

STEPS = """const cucumber = require('@cucumber/cucumber');
const { Given } = cucumber;
const G = Given;
if (process.env.REMOTE) {
  Given('the browser is open', function () {});
} else {
  Given('the browser is open', function () {});
}
G('an aliased step', function () {});
cucumber
  .When('a chained step', function () {});
"""
FEATURE = "Feature: F\n  Scenario: S\n    Given the browser is open\n    And an aliased step\n    When a chained step\n"


def test_cucumber_js_agrees_on_aliases_branches_and_chained_lines(git_repo: GitRepo,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _require_cucumber()
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/step_definitions/s.js", STEPS)
    git_repo.commit("steps")
    (git_repo.path / "node_modules").symlink_to(NODE / "node_modules", target_is_directory=True)
    (git_repo.path / ".git" / "info" / "exclude").write_text("node_modules\nreport/\n")
    monkeypatch.setenv("REMOTE", "1")  # cucumber-js runs the first branch: the one tracertm links
    theirs = _verdicts(_cucumber(git_repo.path)[1])
    ours = _tracertm(git_repo.path)

    path = "features/step_definitions/s.js"
    assert theirs["definitions"] == {f"{path}:5": "the browser is open", f"{path}:9": "an aliased step",
                                     f"{path}:11": "a chained step"}
    assert theirs["undefined"] == {} and theirs["ambiguous"] == {} and theirs["unused"] == []
    # tracertm keeps the other branch's definition too (line 7): no use of its own, yet not reported unused.
    mine = {f"{d['path']}:{d['line']}": (d["pattern"], d["usage_count"]) for d in ours["definitions"]}
    assert mine == {f"{path}:5": ("the browser is open", 1), f"{path}:7": ("the browser is open", 0),
                    f"{path}:9": ("an aliased step", 1), f"{path}:11": ("a chained step", 1)}
    assert ours["undefined"] == [] and ours["ambiguous"] == []
    assert _tracertm(git_repo.path, "--unused")["definitions"] == []
