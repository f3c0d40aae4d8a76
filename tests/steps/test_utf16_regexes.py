"""Regexes that read UTF-16 code units (``tracertm.steps.utf16``): JavaScript's without the ``u`` flag, and .NET's. A
character past U+FFFF (😀) is two there: ``/^.$/`` does not match it, ``/^.{2}$/`` does, ``[😀]`` is a class of its
halves, ``\\uD83D\\uDE00`` is the emoji. tracertm read them as code points, and said "defined" where cucumber-js
runs no definition, and "undefined" where it runs one. The verdicts and the captured values are node's own
(``TRACERTM_REQUIRE_NODE=1`` makes a missing node fail), and cucumber-js's when it is installed."""

from __future__ import annotations

import json
import subprocess

from sqlalchemy import select

from conftest import GitRepo
from test_cucumber_js_dry_run import NODE, _cucumber, _require_cucumber, _verdicts
from test_dots_and_spaces_by_language import _feature, _undefined
from test_regex_dialects import _require
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Project
from tracertm.steps.model import StepDefinition
from tracertm.steps.packed import match_rows
from tracertm.steps.regex_matchers import compile_regex

# (pattern, flags, text): node's RegExp.exec decides whether it matches and what it captures.
CASES = [
    (r"^emoji .$", "", "emoji \U0001F600"),
    (r"^emoji .{2}$", "", "emoji \U0001F600"),
    (r"^emoji .$", "u", "emoji \U0001F600"),
    (r"^emoji \uD83D\uDE00$", "", "emoji \U0001F600"),
    (r"^emoji \uD83D\uDE00$", "u", "emoji \U0001F600"),
    ("^emoji [\U0001F600]$", "", "emoji \U0001F600"),
    ("^emoji [\U0001F600]+$", "", "emoji \U0001F600"),
    ("^emoji [^\U0001F600]$", "", "emoji \U0001F601"),
    ("^emoji \\\U0001F600$", "", "emoji \U0001F600"),
    (r"^emoji \S$", "", "emoji \U0001F600"),
    (r"^emoji (\W)(\W)$", "", "emoji \U0001F600"),
    (r"^emoji (.)(.+)$", "", "emoji \U0001F600x"),
    (r"^emoji (.+) and (\w+)$", "", "emoji \U0001F600\U0001F601 and ok"),
    ("^I feel \U0001F600 (\\w+)$", "", "I feel \U0001F600 fine"),
    (r"(.)$", "", "a \U0001F600"),
]


def _definition(pattern: str, flags: str = "") -> StepDefinition:
    return StepDefinition("given", pattern, "regex", "cucumber-js", "javascript", "steps.js", 1, 1, "f", flags=flags)


def _tracertm(pattern: str, flags: str, text: str) -> list[str] | None:
    """What tracertm's matcher takes: the whole match's text is not known, so the groups' values alone."""
    arguments = compile_regex(_definition(pattern, flags)).match(text)
    return None if arguments is None else [a.value or "" for a in arguments]


def test_javascript_regexes_read_code_units_as_node_does() -> None:
    node = _require("node")
    # A lone half of a pair, captured, is U+FFFD for tracertm, as when it is written to UTF-8.
    script = (
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const whole = s => s.replace("
        "  /[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]/g, '\\uFFFD');"
        "console.log(JSON.stringify(cases.map(([p, f, t]) => {"
        "  const found = new RegExp(p, f).exec(t); return found && found.slice(1).map(whole); })));"
    )
    out = subprocess.run([node, "-e", script], input=json.dumps(CASES), capture_output=True, text=True, check=True,
                         timeout=60)
    expected = json.loads(out.stdout)
    got = [_tracertm(p, f, t) for p, f, t in CASES]
    assert got == expected, [(case, e, g) for case, e, g in zip(CASES, expected, got) if e != g]


def test_javascript_regexes_read_code_units_without_node_at_hand() -> None:
    assert _tracertm(r"^emoji .$", "", "emoji \U0001F600") is None
    assert _tracertm(r"^emoji .{2}$", "", "emoji \U0001F600") == []
    assert _tracertm(r"^emoji .$", "u", "emoji \U0001F600") == []
    assert _tracertm(r"^emoji \uD83D\uDE00$", "", "emoji \U0001F600") == []
    assert _tracertm("^emoji [\U0001F600]$", "", "emoji \U0001F600") is None
    assert _tracertm(r"^emoji (.)(.+)$", "", "emoji \U0001F600x") == ["\ufffd", "\ufffdx"]


def test_arguments_are_placed_in_the_text_and_the_index_finds_the_definition() -> None:
    compiled = compile_regex(_definition("^I feel \U0001F600 (.+) and (.).$"))
    text = "I feel \U0001F600 \U0001F601 and \U0001F602"
    found = compiled.match(text)
    assert found is not None
    assert [(a.value, text[a.start : a.end]) for a in found] == [("\U0001F601", "\U0001F601"),
                                                                 ("\ufffd", "\U0001F602")]
    assert compiled.prefix == "I feel \U0001F600 " and "\U0001F600" in compiled.keys  # the text's words
    assert compile_regex(_definition(r"^I feel \uD83D(.)")).prefix == "I feel "  # a half is no prefix


def test_cucumber_js_agrees(git_repo: GitRepo) -> None:
    steps = ["one \U0001F600", "two \U0001F600", "class \U0001F600", "pair \U0001F600", "unicode \U0001F600"]
    git_repo.write("features/a.feature", _feature(steps))
    git_repo.write("features/step_definitions/steps.js", (
        "const { Given } = require('@cucumber/cucumber');\n"
        "Given(/^one .$/, function () {});\n"
        "Given(/^two .{2}$/, function () {});\n"
        "Given(/^class [\U0001F600]$/, function () {});\n"
        "Given(/^pair \\uD83D\\uDE00$/, function () {});\n"
        "Given(/^unicode .$/u, function () {});\n"))
    git_repo.commit("steps")
    assert _undefined(git_repo) == {"one \U0001F600", "class \U0001F600"}
    _require_cucumber()
    (git_repo.path / "node_modules").symlink_to(NODE / "node_modules", target_is_directory=True)
    (git_repo.path / ".git" / "info" / "exclude").write_text("node_modules\nreport/\n")
    _, messages = _cucumber(git_repo.path)
    assert {text for _, _, text in _verdicts(messages)["undefined"]} == _undefined(git_repo)


def test_reqnroll_regexes_read_code_units(git_repo: GitRepo) -> None:
    """.NET's ``Regex`` reads a string's UTF-16 chars: ``.`` is half of 😀 (documented; no .NET here to ask)."""
    steps = {"one \U0001F600": False, "two \U0001F600": True, "pair \U0001F600": True}
    git_repo.write("features/a.feature", _feature(list(steps)))
    git_repo.write("StepDefinitions/Steps.cs", (
        "using Reqnroll;\n[Binding]\npublic class Steps {\n"
        '  [Given(@"^one .$")] public void One() {}\n'
        '  [Given(@"^two .{2}$")] public void Two() {}\n'
        '  [Given(@"^pair \\uD83D\\uDE00$")] public void Pair() {}\n}\n'))
    git_repo.commit("steps")
    assert _undefined(git_repo) == {text for text, defined in steps.items() if not defined}


def test_sync_stores_what_a_half_captured(git_repo: GitRepo, database_url: str) -> None:
    """A captured half is stored as U+FFFD: a lone surrogate cannot be written to the database (nor packed)."""
    git_repo.write("features/a.feature", _feature(["pick \U0001F600x"]))
    git_repo.write("features/step_definitions/steps.js", (
        "const { Given } = require('@cucumber/cucumber');\nGiven(/^pick (.)(.+)$/, function (a, b) {});\n"))
    git_repo.commit("steps")
    sync(git_repo.path, database_url=database_url, project="p")
    engine = db.make_engine(database_url)
    try:
        with engine.begin() as conn:
            project_id = conn.execute(select(Project.id).where(Project.name == "p")).scalar_one()
            assert [(r.status, list(r.arguments)) for r in match_rows(conn, project_id)] == [
                ("defined", ["\ufffd", "\ufffdx"])]
    finally:
        engine.dispose()
