"""cucumber-js (12) finds the groups of a step's match with regexp-match-indices, which parses the definition's RegExp
again with regexp-tree: it knows the flags ``gimsuxy`` only, so a regex with the ``d`` (hasIndices) or ``v``
(unicodeSets) flag stops the run with "SyntaxError: Invalid flags: d" as soon as a step matches it, a dry run too.
tracertm matched the ``d`` one silently and called the ``v`` one a mere warning ("cannot be matched by tracertm"):
both are errors at the definition now, as the ``g`` and ``y`` flags are. Held against cucumber-js's own dry run
(skipped without node and the pinned install). Each test failed before the fix."""

from __future__ import annotations

import os
import subprocess

import pytest

from conftest import GitRepo, run_cli
from test_cucumber_js_dry_run import CUCUMBER, NODE, _require_cucumber
from tracertm.steps.regex import Refused, translate

STEPS = ("const {{ Given }} = require('@cucumber/cucumber');\n"
         "Given(/^I have (\\d+) cukes$/{flags}, function (n) {{}});\n")
FEATURE = "Feature: F\n  Scenario: S\n    Given I have 3 cukes\n"


@pytest.mark.parametrize("flags", ["d", "v", "dv", "di", "vi"])
@pytest.mark.parametrize("language", ["javascript", "typescript"])
def test_translate_refuses_the_flags(flags: str, language: str) -> None:
    with pytest.raises(Refused, match=r"cucumber-js stops as soon as a step matches \(SyntaxError: Invalid flags: "):
        translate(r"^I have (\d+) cukes$", flags, language)


def test_the_message_names_the_flags_as_javascript_gives_them() -> None:
    with pytest.raises(Refused) as caught:
        translate("^x$", "vid", "javascript")
    assert "with the d and v flag" in str(caught.value)
    assert "Invalid flags: div," in str(caught.value)
    assert str(caught.value).endswith("— remove the flag (u gives the Unicode mode)")


@pytest.mark.parametrize("flags", ["d", "v"])
def test_check_reports_an_error_at_the_definition(git_repo: GitRepo, flags: str) -> None:
    git_repo.write("features/step_definitions/s.js", STEPS.format(flags=flags))
    git_repo.write("features/a.feature", FEATURE)
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    assert result.returncode == 1, result.stdout
    assert (f"features/step_definitions/s.js:2:1: step definition '/^I have (\\\\d+) cukes$/{flags}' regex does not "
            f"compile in JavaScript: with the {flags} flag cucumber-js stops as soon as a step matches (SyntaxError: "
            f"Invalid flags: {flags}, from regexp-match-indices") in result.stdout, result.stdout
    assert "cannot be matched by tracertm" not in result.stdout


@pytest.mark.parametrize("flags", ["d", "v"])
def test_cucumber_js_stops_on_them(git_repo: GitRepo, flags: str) -> None:
    _require_cucumber()
    git_repo.write("features/step_definitions/s.js", STEPS.format(flags=flags))
    git_repo.write("features/a.feature", FEATURE)
    git_repo.commit()
    (git_repo.path / "node_modules").symlink_to(NODE / "node_modules", target_is_directory=True)
    run = subprocess.run([str(CUCUMBER), "--dry-run"], cwd=git_repo.path, capture_output=True, text=True,
                         timeout=180, env={**os.environ, "FORCE_COLOR": "0"})
    assert run.returncode == 1
    assert f"SyntaxError: Invalid flags: {flags}" in run.stdout + run.stderr
