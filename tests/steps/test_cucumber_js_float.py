"""cucumber-js's ``{float}``, ``{double}`` and ``{bigdecimal}``: @cucumber/cucumber-expressions' own number regex
(``(?=.*\\d.*)[-+]?\\d*(?:\\.(?=\\d.*))?\\d*(?:\\d+[E][+-]?\\d+)?``), not the Python port's, which tracertm used. Its
lookahead wants a digit anywhere later in the text, not in what the type takes: before a later number it takes "-",
"+" or nothing, and "5." of "5.0" before an ``{int}``. tracertm said "undefined" where cucumber-js runs the
definition, and split the numbers elsewhere. Found by a differential run against node; the expected values are
node's (``CucumberExpression.match``), asked again here when cucumber-js is installed."""

from __future__ import annotations

import json
import subprocess

from conftest import GitRepo
from test_cucumber_js_dry_run import NODE, _cucumber, _require_cucumber, _verdicts
from test_dots_and_spaces_by_language import _feature, _undefined
from test_regex_dialects import _require
from tracertm.steps.expressions import compile_definition
from tracertm.steps.model import StepDefinition
from tracertm.steps.parameter_types import Registries

# (expression, text, what cucumber-expressions 19 in node gives: the arguments' texts, or None for no match)
CASES: list[tuple[str, str, list[str] | None]] = [
    ("I pay {float} then {int}", "I pay - then 7", ["-", "7"]),
    ("I pay {float} then {int}", "I pay  then 7", ["", "7"]),
    ("I pay {double}{int}", "I pay 5.0", ["5.", "0"]),
    ("I pay {bigdecimal}{int}", "I pay .5", [".", "5"]),
    ("I pay {bigdecimal}{int}", "I pay -7", ["-", "7"]),
    ("I pay {double} and {word}", "I pay 1E10 and x", ["1E10", "x"]),
    ("I pay {float}{word}", "I pay 1E+512", ["1", "E+512"]),
    ("I pay {double} {double}{word}", "I pay 3.14 1.2x", ["3.14", "1.2", "x"]),
    ("I pay {float}", "I pay -", None),
    ("I pay {float}", "I pay 5.", None),
    ("I pay {float}", "I pay -.5", ["-.5"]),
    ("I pay {float}", "I pay 1.5E-3", ["1.5E-3"]),
    ("I pay {float}", "I pay \u0663", None),  # (JavaScript's \d is ASCII)
    # Not a simple expression: the package builds the regex, with the same number type.
    ("I pay {float} then {int} coin(s)", "I pay - then 7 coins", ["-", "7"]),
]


def _definition(expression: str) -> StepDefinition:
    return StepDefinition("given", expression, "cucumber-expression", "cucumber-js", "javascript", "steps.js", 1, 1,
                          "f")


def _tracertm(expression: str, text: str, lazy: bool = False) -> list[str | None] | None:
    arguments = compile_definition(_definition(expression), Registries([]), lazy).match(text)
    return None if arguments is None else [a.value for a in arguments]


def test_cucumber_js_numbers_match_as_its_own_regex_does() -> None:
    for lazy in (False, True):
        got = [_tracertm(expression, text, lazy) for expression, text, _ in CASES]
        assert got == [expected for _, _, expected in CASES], [
            (case, g) for case, g in zip(CASES, got) if g != case[2]]


def test_node_agrees() -> None:
    node = _require("node")
    _require_cucumber()  # (cucumber-expressions comes with it)
    script = (
        "const { CucumberExpression, ParameterTypeRegistry } = require('@cucumber/cucumber-expressions');"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const registry = new ParameterTypeRegistry();"
        "console.log(JSON.stringify(cases.map(([e, t]) => {"
        "  const found = new CucumberExpression(e, registry).match(t);"
        "  return found && found.map(a => a.group.value); })));"
    )
    out = subprocess.run([node, "-e", script], input=json.dumps([(e, t) for e, t, _ in CASES]),
                         capture_output=True, text=True, check=True, timeout=60, cwd=NODE)
    assert json.loads(out.stdout) == [expected for _, _, expected in CASES]


def test_other_frameworks_keep_their_own_numbers() -> None:
    """behave's cucumber_expressions matcher is the Python port: its {float} takes a number, nothing else."""
    definition = StepDefinition("given", "I pay {float} then {int}", "cucumber-expression", "behave", "python",
                                "steps.py", 1, 1, "f")
    assert compile_definition(definition, Registries([])).match("I pay - then 7") is None


def test_cucumber_js_agrees(git_repo: GitRepo) -> None:
    steps = ["I pay - then 7", "I pay 5.0 in all", "I pay 5. alone"]
    git_repo.write("features/a.feature", _feature(steps))
    git_repo.write("features/step_definitions/steps.js", (
        "const { Given } = require('@cucumber/cucumber');\n"
        "Given('I pay {float} then {int}', function (a, b) {});\n"
        "Given('I pay {double}{int} in all', function (a, b) {});\n"
        "Given('I pay {float} alone', function (a) {});\n"))
    git_repo.commit("steps")
    assert _undefined(git_repo) == {"I pay 5. alone"}
    _require_cucumber()
    (git_repo.path / "node_modules").symlink_to(NODE / "node_modules", target_is_directory=True)
    (git_repo.path / ".git" / "info" / "exclude").write_text("node_modules\nreport/\n")
    _, messages = _cucumber(git_repo.path)
    assert {text for _, _, text in _verdicts(messages)["undefined"]} == _undefined(git_repo)
