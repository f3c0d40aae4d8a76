"""Cucumber Expressions whose regex reads UTF-16 code units (``utf16.expression_counts_units``): cucumber-js's
(``@cucumber/cucumber-expressions`` builds ``new RegExp(source)`` without flags, from the expression and its parameter
types' regexes, and keeps only a type RegExp's ``source``: its ``u`` flag is dropped) and Reqnroll's (.NET's
``Regex``). A character past U+FFFF (😀) is two there: a parameter type ``/./`` does not match it, ``/.{2}/`` does,
``[😀]`` is a class of its halves. tracertm read them as code points, as it did regex definitions before
(``test_utf16_regexes``): "defined" where cucumber-js runs no definition, "undefined" where it runs one. The
verdicts and the captured values are cucumber-expressions' own, run by node, when cucumber-js is installed."""

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
from tracertm.steps.expressions import compile_definition
from tracertm.steps.model import Framework, ParameterTypeDecl, StepDefinition
from tracertm.steps.packed import match_rows
from tracertm.steps.parameter_types import Registries

# The parameter types: name → (regexp source, flags), declared with defineParameterType.
TYPES = {
    "one": (".", ""),
    "oneU": (".", "u"),  # the u flag is dropped: still half of 😀
    "two": (".{2}", "u"),
    "few": ("[^ ]{1,3}", ""),
    "smile": ("[\U0001F600]", ""),
    "smiles": ("[\U0001F600]+", ""),
    "pair": (r"\uD83D\uDE00", ""),
    "escaped": ("\\\U0001F600", ""),  # an identity escape of the first half, then the second
}

# (expression, text): what ``CucumberExpression.match`` gives, in node.
CASES = [
    ("I see {one}", "I see \U0001F600"),
    ("I see {oneU}", "I see \U0001F600"),
    ("I see {two}", "I see \U0001F600"),
    ("I see {two}", "I see ab"),
    ("I see {few}", "I see \U0001F600\U0001F600"),
    ("I see {few}", "I see \U0001F600"),
    ("I see {few}", "I see abc"),
    ("I see {smile}", "I see \U0001F600"),
    ("I see {smiles}", "I see \U0001F600"),
    ("I see {pair}", "I see \U0001F600"),
    ("I see {escaped}", "I see \U0001F600"),
    ("I see {word}", "I see \U0001F600"),
    ("I see {one}{}", "I see \U0001F601x"),
    ("I see \U0001F600 {one}{}", "I see \U0001F600 \U0001F601x"),
    ("I have {int} \U0001F600", "I have 3 \U0001F600"),
    # Optional text and alternatives: the package's regex, not tracertm's own of a simple expression.
    ("I see(s) {one}", "I sees \U0001F600"),
    ("I see(s) {two}", "I see \U0001F600"),
    ("I see/saw {one}{one}", "I saw \U0001F600"),
]


def _registries(types: dict[str, tuple[str, str]] = TYPES) -> Registries:
    return Registries(ParameterTypeDecl(name, (source,), "cucumber-js", "javascript", "steps.js", line, flags=flags)
                      for line, (name, (source, flags)) in enumerate(types.items(), 1))


def _definition(expression: str) -> StepDefinition:
    return StepDefinition("given", expression, "cucumber-expression", "cucumber-js", "javascript", "steps.js", 1, 1,
                          "f")


def _tracertm(expression: str, text: str, lazy: bool = False) -> list[str | None] | None:
    arguments = compile_definition(_definition(expression), _registries(), lazy).match(text)
    return None if arguments is None else [a.value for a in arguments]


def test_cucumber_expressions_read_code_units_as_cucumber_js_does() -> None:
    node = _require("node")
    _require_cucumber()  # (cucumber-expressions comes with it)
    # A lone half of a pair, captured, is U+FFFD for tracertm, as when it is written to UTF-8.
    script = (
        "const { CucumberExpression, ParameterType, ParameterTypeRegistry } ="
        "  require('@cucumber/cucumber-expressions');"
        "const { types, cases } = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const registry = new ParameterTypeRegistry();"
        "for (const [name, [source, flags]] of Object.entries(types))"
        "  registry.defineParameterType(new ParameterType(name, new RegExp(source, flags), null, s => s, true));"
        "const whole = s => s === undefined ? null : s.replace("
        "  /[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]/g, '\\uFFFD');"
        "console.log(JSON.stringify(cases.map(([e, t]) => {"
        "  const found = new CucumberExpression(e, registry).match(t);"
        "  return found && found.map(a => whole(a.group.value)); })));"
    )
    out = subprocess.run([node, "-e", script], input=json.dumps({"types": TYPES, "cases": CASES}),
                         capture_output=True, text=True, check=True, timeout=60, cwd=NODE)
    expected = json.loads(out.stdout)
    for lazy in (False, True):
        got = [_tracertm(e, t, lazy) for e, t in CASES]
        assert got == expected, [(case, e, g) for case, e, g in zip(CASES, expected, got) if e != g]


def test_cucumber_expressions_read_code_units_without_node_at_hand() -> None:
    assert _tracertm("I see {one}", "I see \U0001F600") is None
    assert _tracertm("I see {oneU}", "I see \U0001F600") is None
    assert _tracertm("I see {two}", "I see \U0001F600") == ["\U0001F600"]
    assert _tracertm("I see {few}", "I see \U0001F600\U0001F600") is None
    assert _tracertm("I see {smile}", "I see \U0001F600") is None
    assert _tracertm("I see {smiles}", "I see \U0001F600") == ["\U0001F600"]
    assert _tracertm("I see(s) {one}", "I sees \U0001F600") is None
    assert _tracertm("I see {one}{}", "I see \U0001F601x") == ["\ufffd", "\ufffdx"]


def test_arguments_are_placed_in_the_text_and_the_index_finds_the_definition() -> None:
    compiled = compile_definition(_definition("I feel \U0001F600 {two} and {one}{}"), _registries())
    text = "I feel \U0001F600 \U0001F601 and \U0001F602x"
    found = compiled.match(text)
    assert found is not None
    assert [(a.value, text[a.start : a.end]) for a in found] == [
        ("\U0001F601", "\U0001F601"), ("\ufffd", "\U0001F602"), ("\ufffdx", "\U0001F602x")]  # (a half: its character)
    assert compiled.arguments(text) == ("\U0001F601", "\ufffd", "\ufffdx")
    assert compiled.prefix == "I feel \U0001F600 " and "\U0001F600" in compiled.keys  # the text's words
    assert compiled.match("I feel \U0001F601 \U0001F601 and \U0001F602x") is None  # (the head is compared)


def test_other_languages_read_code_points() -> None:
    """cucumber-jvm's, cucumber-ruby's, godog's and behave's regexes read characters: ``.`` is all of 😀."""
    frameworks: list[tuple[Framework, str]] = [("cucumber-jvm", "java"), ("cucumber-ruby", "ruby"), ("godog", "go"),
                                               ("behave", "python")]
    for framework, language in frameworks:
        decl = ParameterTypeDecl("one", (".",), framework, language, "steps", 1,
                                 registry="cucumber" if framework == "behave" else "")
        definition = StepDefinition("given", "I see {one}", "cucumber-expression", framework, language, "steps", 1, 1,
                                    "f")
        found = compile_definition(definition, Registries([decl])).match("I see \U0001F600")
        assert found is not None and [a.value for a in found] == ["\U0001F600"], framework


def test_cucumber_js_agrees(git_repo: GitRepo) -> None:
    steps = ["one \U0001F600", "two \U0001F600", "unicode \U0001F600", "class \U0001F600", "word \U0001F600"]
    git_repo.write("features/a.feature", _feature(steps))
    git_repo.write("features/step_definitions/steps.js", (
        "const { Given, defineParameterType } = require('@cucumber/cucumber');\n"
        "defineParameterType({ name: 'one', regexp: /./ });\n"
        "defineParameterType({ name: 'two', regexp: /.{2}/ });\n"
        "defineParameterType({ name: 'oneU', regexp: /./u });\n"
        "defineParameterType({ name: 'smile', regexp: /[\U0001F600]/ });\n"
        "Given('one {one}', function (s) {});\n"
        "Given('two {two}', function (s) {});\n"
        "Given('unicode {oneU}', function (s) {});\n"
        "Given('class {smile}', function (s) {});\n"
        "Given('word {word}', function (s) {});\n"))
    git_repo.commit("steps")
    assert _undefined(git_repo) == {"one \U0001F600", "unicode \U0001F600", "class \U0001F600"}
    _require_cucumber()
    (git_repo.path / "node_modules").symlink_to(NODE / "node_modules", target_is_directory=True)
    (git_repo.path / ".git" / "info" / "exclude").write_text("node_modules\nreport/\n")
    _, messages = _cucumber(git_repo.path)
    assert {text for _, _, text in _verdicts(messages)["undefined"]} == _undefined(git_repo)


def test_reqnroll_expressions_read_code_units(git_repo: GitRepo) -> None:
    """.NET's ``Regex`` reads a string's UTF-16 chars: a transformation's ``.`` is half of 😀 (documented; no .NET
    here to ask)."""
    steps = {"one \U0001F600": False, "two \U0001F600": True, "word \U0001F600": True}
    git_repo.write("features/a.feature", _feature(list(steps)))
    git_repo.write("StepDefinitions/Steps.cs", (
        "using Reqnroll;\n[Binding]\npublic class Steps {\n"
        '  [StepArgumentTransformation(@".")] public One ToOne(string s) => new One();\n'
        '  [StepArgumentTransformation(@".{2}")] public Two ToTwo(string s) => new Two();\n'
        '  [Given("one {One}")] public void GivenOne(One s) {}\n'
        '  [Given("two {Two}")] public void GivenTwo(Two s) {}\n'
        '  [Given("word {word}")] public void GivenWord(string s) {}\n}\n'))
    git_repo.commit("steps")
    assert _undefined(git_repo) == {text for text, defined in steps.items() if not defined}


def test_sync_stores_what_a_half_captured(git_repo: GitRepo, database_url: str) -> None:
    """A captured half is stored as U+FFFD: a lone surrogate cannot be written to the database (nor packed)."""
    git_repo.write("features/a.feature", _feature(["pick \U0001F600x", "pick \U0001F600"]))
    git_repo.write("features/step_definitions/steps.js", (
        "const { Given, defineParameterType } = require('@cucumber/cucumber');\n"
        "defineParameterType({ name: 'one', regexp: /./ });\n"
        "Given('pick {one}{}', function (a, b) {});\n"))
    git_repo.commit("steps")
    sync(git_repo.path, database_url=database_url, project="p")
    engine = db.make_engine(database_url)
    try:
        with engine.begin() as conn:
            project_id = conn.execute(select(Project.id).where(Project.name == "p")).scalar_one()
            assert sorted((r.step_text, r.status, list(r.arguments)) for r in match_rows(conn, project_id)) == [
                ("pick \U0001F600", "defined", ["\ufffd", "\ufffd"]),
                ("pick \U0001F600x", "defined", ["\ufffd", "\ufffdx"])]
    finally:
        engine.dispose()
