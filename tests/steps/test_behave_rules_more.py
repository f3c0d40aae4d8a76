"""More behave rules found by exploratory testing, each checked against behave's own dry run where it can be; each
test fails without its fix.

- ``re0`` (``re.match``: anchored at the start only): a pattern's last word may continue in the step text ("Bob
  logs inside" for ``(?P<who>\\w+) logs in``), so the index must not file the definition under it as a whole word.
- Parse types whose pattern is not a ``@with_pattern`` decorator: parse's attribute form (``fn.pattern = r"..."``),
  parse_type's ``TypeBuilder.make_choice([...])``; what cannot be read statically is a warning.
- behave's load-time ``AmbiguousStep``: a definition whose pattern text an earlier one of its step type matches
  makes behave refuse to load the step code: an error at the later definition.
- Parameter types registered in ``features/environment.py``, which behave runs before the step modules.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo
from test_framework_rules import _behave_usage, _ours
from tracertm.checker import check
from tracertm.config import DEFAULT_STEP_PATHS, Settings
from tracertm.steps.expressions import Registries, compile_definition
from tracertm.steps.matching import StepIndex
from tracertm.steps.model import StepDefinition
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.project import analyze, report_from

SETTINGS = Settings(root=Path("."))


def _behave_output(path: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "--no-summary", "--no-snippets", "-f",
                           "steps.usage", "features"], cwd=path, capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


# ------------------------------------------------------------------------ re0: a last word that may continue

RE0_FEATURE = """\
Feature: A
  Scenario: one
    Given Bob logs inside
    Given Bob logs in
    Given I log inside
    Given Ann logs out nowhere
    Given Ann logs out now
    Given Eve checks in
    Given Eve checks inside
"""
RE0_STEPS = r"""from behave import given, use_step_matcher
use_step_matcher("re0")

@given(r'(?P<who>\w+) logs in')
def logs_in(context, who): pass

@given(r'(?P<who>\w+) logs out now')
def logs_out(context, who): pass

@given(r'^I log in')
def log_in(context): pass

@given(r'(?P<who>\w+) checks in$')
def checks_in(context, who): pass
"""


def test_re0_last_word_may_continue_as_behave_matches_it(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    git_repo.write("features/a.feature", RE0_FEATURE)
    git_repo.write("features/steps/s.py", RE0_STEPS)
    git_repo.commit("re0")
    theirs, output = _behave_usage(git_repo.path)
    assert _ours(git_repo.path) == theirs, output
    assert theirs == {
        "features/steps/s.py:4": ["features/a.feature:3", "features/a.feature:4"],
        "features/steps/s.py:7": ["features/a.feature:6", "features/a.feature:7"],
        "features/steps/s.py:10": ["features/a.feature:5"],
        "features/steps/s.py:13": ["features/a.feature:8"],
        "UNDEFINED STEPS": ["features/a.feature:9"],  # its own $: "in" is a whole last word there
    }


def _keys(pattern: str, framework: str, language: str) -> frozenset[str]:
    definition = StepDefinition("given", pattern, "regex", framework, language, "s", 1, 1, "f")
    return compile_definition(definition, Registries(())).keys


def test_index_keys_keep_whole_last_words_only_where_the_match_ends_with_them() -> None:
    group = r"(?P<who>\w+) logs in"
    assert _keys(group, "behave", "python") == {"logs"}  # re.match: "in" may go on ("inside")
    assert _keys(group + "$", "behave", "python") == {"logs", "in"}
    assert _keys("^" + group + "$", "behave", "python") == {"logs", "in"}  # behave's re matcher records ^…$
    # Unchanged for the others: whole-text matchers keep the last word, searching ones never did.
    assert _keys(r"(\w+) logs in", "cucumber-jvm", "java") == {"logs", "in"}
    assert _keys(r"(?P<who>\w+) logs in", "pytest-bdd", "python") == {"logs", "in"}
    assert _keys(r"(\w+) logs in", "cucumber-js", "javascript") == {"logs"}
    # The index offers the definition to a step whose last word continues the pattern's.
    compiled = [compile_definition(StepDefinition("given", group, "regex", "behave", "python", "s", 1, 1, "f"),
                                   Registries(()))]
    assert StepIndex(compiled).lookup("Bob logs inside", "given")


# --------------------------------------------------------------------------------- parse types without a decorator

TYPES_FEATURE = """\
Feature: A
  Scenario: one
    Then the result is 42
    Then the result is yes
    Then the answer is yes
    Then the answer is maybe
    Then the answer is Yes
    Then the switch is on
    Then the switch is On
    Then the code is a.b
    Then the code is axb
    Then the key is kxy
    Then the key is k
"""
TYPES_STEPS = r'''from behave import then, register_type
import parse
from parse_type import TypeBuilder

NUMBER = r"\d+"

def parse_number(text):
    return int(text)
parse_number.pattern = NUMBER

def parse_code(text):
    return text
parse_code = parse.with_pattern(r"a\.b")(parse_code)

register_type(Number=parse_number, YesNo=TypeBuilder.make_choice(["yes", "no"]))
OnOff = TypeBuilder.make_choice(["ON", "OFF"], transform=str.lower)
register_type(OnOff=OnOff, Code=parse_code, Key=parse.with_pattern(r"k.y")(lambda text: text))

@then('the result is {x:Number}')
def result(context, x): pass

@then('the answer is {x:YesNo}')
def answer(context, x): pass

@then('the switch is {x:OnOff}')
def switch(context, x): pass

@then('the code is {x:Code}')
def code(context, x): pass

@then('the key is {x:Key}')
def key(context, x): pass
'''


def test_parse_type_patterns_from_attributes_and_make_choice_as_behave_reads_them(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    pytest.importorskip("parse_type")
    git_repo.write("features/a.feature", TYPES_FEATURE)
    git_repo.write("features/steps/s.py", TYPES_STEPS)
    git_repo.commit("types")
    theirs, output = _behave_usage(git_repo.path)
    assert _ours(git_repo.path) == theirs, output
    assert theirs == {
        "features/steps/s.py:19": ["features/a.feature:3"],
        "features/steps/s.py:22": ["features/a.feature:5"],  # case-sensitive: not "Yes"
        "features/steps/s.py:25": ["features/a.feature:8"],  # the choices lowered
        "features/steps/s.py:28": ["features/a.feature:10"],  # f = with_pattern(...)(f)
        "features/steps/s.py:31": ["features/a.feature:12"],  # with_pattern(...)(lambda ...)
        "UNDEFINED STEPS": ["features/a.feature:4", "features/a.feature:6", "features/a.feature:7",
                            "features/a.feature:9", "features/a.feature:11", "features/a.feature:13"],
    }
    parsed = parse_step_file("features/steps/s.py", TYPES_STEPS.encode())
    assert {t.name: t.regexps for t in parsed.parameter_types} == {
        "Number": (r"\d+",), "YesNo": ("yes|no",), "OnOff": ("on|off",), "Code": (r"a\.b",), "Key": ("k.y",)}
    assert not parsed.warnings


def test_make_choice_is_not_escaped_as_parse_type_builds_it(git_repo: GitRepo) -> None:
    """parse_type joins the choices with ``|`` as they are: "axb" matches the choice "a.b" (behave then fails the
    step when it runs: the strict converter refuses it, but the step is matched, not undefined)."""
    pytest.importorskip("behave")
    pytest.importorskip("parse_type")
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: one\n    Then it is axb\n    Then it is A.B\n")
    git_repo.write("features/steps/s.py", 'from behave import then, register_type\nfrom parse_type import '
                   'TypeBuilder\nregister_type(Ch=TypeBuilder.make_choice(["a.b", "no"]))\n\n'
                   "@then('it is {x:Ch}')\ndef it(context, x): pass\n")
    git_repo.commit("choice")
    theirs, output = _behave_usage(git_repo.path)
    assert _ours(git_repo.path) == theirs, output
    assert theirs == {"features/steps/s.py:5": ["features/a.feature:3"], "UNDEFINED STEPS": ["features/a.feature:4"]}


def test_pytest_bdd_make_choice_is_exact_as_its_strict_converter_makes_it() -> None:
    """pytest-bdd's parse ignores case, and a converter's ValueError is no match (``is_matching``): with parse_type's
    strict choice only the choices themselves match — checked against pytest-bdd's own parser."""
    parsers = pytest.importorskip("pytest_bdd.parsers")
    builder = pytest.importorskip("parse_type").TypeBuilder
    module = '''from pytest_bdd import given, parsers
from parse_type import TypeBuilder

@given(parsers.parse("strict {x:YesNo}", extra_types={"YesNo": TypeBuilder.make_choice(["yes", "a.b"])}))
def strict(x): pass

@given(parsers.parse("loose {x:Loose}", extra_types=dict(Loose=TypeBuilder.make_choice(["yes", "a.b"],
                                                                                        strict=False))))
def loose(x): pass

@given(parsers.parse("lowered {x:Lowered}", extra_types={"Lowered": TypeBuilder.make_choice(["yes"], str.lower)}))
def lowered(x): pass
'''
    real = {
        "strict": parsers.parse("strict {x:YesNo}", extra_types={"YesNo": builder.make_choice(["yes", "a.b"])}),
        "loose": parsers.parse("loose {x:YesNo}", extra_types={"YesNo": builder.make_choice(["yes", "a.b"],
                                                                                          strict=False)}),
        "lowered": parsers.parse("lowered {x:YesNo}", extra_types={"YesNo": builder.make_choice(["yes"], str.lower)}),
    }
    texts = [f"{kind} {value}" for kind in real for value in ("yes", "Yes", "YES", "a.b", "axb", "A.B", "no")]
    feature = "Feature: A\n  Scenario: s\n" + "".join(f"    Given {t}\n" for t in texts)
    report = report_from([("tests/test_s.py", module.encode())], [("features/a.feature", feature.encode())],
                         SETTINGS)
    assert not report.errors and not report.warnings, (report.errors, report.warnings)
    ours = {r.use.text: r.status == "defined" for r in report.results}
    theirs = {t: real[t.split(" ")[0]].is_matching(t) for t in texts}
    assert ours == theirs
    assert theirs["strict yes"] and not theirs["strict Yes"] and theirs["loose Yes"] and theirs["lowered YES"]


def test_a_parse_type_that_cannot_be_read_is_a_warning_and_matches_any_text() -> None:
    steps = '''from behave import then, register_type
from .types import parse_imported

def parse_plain(text):
    return text

register_type(Imported=parse_imported, Plain=parse_plain, Lambda=lambda text: text,
              Computed=make_converter(), Choice=TypeBuilder.make_choice(CHOICES))

@then('imported {x:Imported}')
def imported(context, x): pass
'''
    parsed = parse_step_file("features/steps/s.py", steps.encode())
    warnings = [(w.line, w.message.split(":")[0]) for w in parsed.warnings]
    assert warnings == [
        (7, "parameter type 'Imported' cannot be read"),  # at the value
        (8, "parameter type 'Computed' cannot be read"),
        (8, "parameter type 'Choice' cannot be read"),
    ], parsed.warnings
    assert all(w.severity == "warning" and "'.+?'" in w.message for w in parsed.warnings)
    # A plain function or a lambda has no pattern: parse's own default (any text), nothing to warn about.
    assert {t.name: t.regexps for t in parsed.parameter_types} == {
        "Imported": (), "Plain": (), "Lambda": (), "Computed": (), "Choice": ()}
    feature = "Feature: A\n  Scenario: s\n    Then imported anything at all\n"
    report = report_from([("features/steps/s.py", steps.encode())], [("features/a.feature", feature.encode())],
                         SETTINGS)
    assert [r.status for r in report.results] == ["defined"]
    assert [w.line for w in report.warnings] == [7, 8, 8]


# ------------------------------------------------------------------------------ behave's load-time AmbiguousStep

AMBIGUOUS_STEPS = """from behave import given

@given('I have {n} apples')
def have(context, n): pass

@given('I have 3 apples')
def have3(context): pass
"""


def test_a_definition_an_earlier_one_matches_is_an_error_as_behave_refuses_to_load_it(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    git_repo.write(".tracertm.toml", '[step_checks]\nambiguous = "error"\n')
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: one\n    Given I have 3 apples\n")
    git_repo.write("features/steps/s.py", AMBIGUOUS_STEPS)
    git_repo.commit("ambiguous at load")
    output = _behave_output(git_repo.path)
    assert "AmbiguousStep: @given('I have 3 apples') has already been defined in" in output
    assert "existing step @given('I have {n} apples') at features/steps/s.py:3" in output
    report = analyze(git_repo.path)
    assert [(e.path, e.line, e.column) for e in report.errors] == [("features/steps/s.py", 6, 2)]
    message = report.errors[0].message
    assert message.startswith("step definition @given('I have 3 apples') would be ambiguous with "
                              "@given('I have {n} apples') at features/steps/s.py:3: behave refuses to load it")
    assert report.unused() == []  # the error is the finding, not "unused"
    result = check(git_repo.path)
    assert not result.ok
    assert [(e.path, e.line, e.message) for e in result.errors] == [("features/steps/s.py", 6, message)]


BEHAVE_LOADS = """from behave import given, step, when, use_step_matcher

@step('I have {n} apples')
def anything(context, n): pass

@given('I have 3 apples')
def given3(context): pass

@when('I have {n} apples')
def when_any(context, n): pass

use_step_matcher("re")

@when(r'I eat (?P<n>\\d+) apples')
def eat(context, n): pass
"""


def test_no_error_where_behave_loads_the_step_code(git_repo: GitRepo) -> None:
    """Only the definitions of the same step type are compared (``@step`` with ``@step`` only), and the same
    function registered twice is one registration — behave runs this project."""
    pytest.importorskip("behave")
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: one\n    Given I have 3 apples\n"
                                         "    When I have 2 apples\n    When I eat 2 apples\n")
    git_repo.write("features/steps/s.py", BEHAVE_LOADS)
    git_repo.commit("loads")
    theirs, output = _behave_usage(git_repo.path)
    assert "AmbiguousStep" not in output
    assert _ours(git_repo.path) == theirs, output
    assert not analyze(git_repo.path).errors


def test_ambiguous_at_load_across_step_modules_and_matchers(git_repo: GitRepo) -> None:
    """behave loads the step modules by name into one registry: a later module's definition is checked against the
    earlier modules' (here a parse one against a ``re`` one's text, the pattern without the ``^…$`` it matches
    with: tracertm cannot tell it from a ``re0`` pattern written ``^…$``, so the earlier definition must match
    both texts)."""
    pytest.importorskip("behave")
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: one\n    Then the total is 5\n")
    git_repo.write("features/steps/a_steps.py", "from behave import then\n\n"
                                                "@then('{subject} is {n}')\ndef anything(context, subject, n): pass\n")
    git_repo.write("features/steps/b_steps.py", "from behave import then, use_step_matcher\n"
                                                "use_step_matcher('re')\n\n"
                                                "@then(r'the total is 5')\ndef five(context): pass\n")
    git_repo.commit("two modules")
    output = _behave_output(git_repo.path)
    assert "AmbiguousStep: @then('^the total is 5$') has already been defined in" in output, output
    assert "existing step @then('{subject} is {n}') at features/steps/a_steps.py:3" in output
    errors = analyze(git_repo.path).errors
    assert [(e.path, e.line) for e in errors] == [("features/steps/b_steps.py", 4)]
    assert errors[0].message.startswith("step definition @then('^the total is 5$') would be ambiguous with "
                                        "@then('{subject} is {n}') at features/steps/a_steps.py:3: behave refuses")


# ------------------------------------------------------------------------------ types in features/environment.py

ENVIRONMENT = '''import parse
from behave import register_type

@parse.with_pattern(r"\\d+")
def parse_number(text):
    return int(text)

register_type(Number=parse_number)

def before_all(context):
    pass
'''
ENV_FEATURE = "Feature: A\n  Scenario: one\n    Given I have 3 apples\n    Given I have many apples\n"
ENV_STEPS = "from behave import given\n@given('I have {n:Number} apples')\ndef have(context, n): pass\n"


def _environment_project(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", ENV_FEATURE)
    git_repo.write("features/environment.py", ENVIRONMENT)
    git_repo.write("features/steps/s.py", ENV_STEPS)
    git_repo.commit("environment")


def test_environment_py_is_read_for_its_types_not_as_a_step_module() -> None:
    parsed = parse_step_file("features/environment.py", ENVIRONMENT.encode())
    assert [(t.name, t.regexps) for t in parsed.parameter_types] == [("Number", (r"\d+",))]
    assert not parsed.definitions and not parsed.errors
    # behave hands environment.py no step decorators: a local ``given`` is not behave's.
    local = "from behave import register_type\ndef given(text):\n    return lambda f: f\n\n" \
            "@given('not a step')\ndef f(context): pass\n"
    assert not parse_step_file("features/environment.py", local.encode()).definitions
    assert parse_step_file("features/steps/environment.py", local.encode()).definitions  # a step module there
    imported = "from behave import given\n\n@given('a step')\ndef f(context): pass\n"
    assert [d.pattern for d in parse_step_file("features/environment.py", imported.encode()).definitions] == [
        "a step"]


def test_environment_py_types_count_with_its_path_in_step_paths(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``features/environment.py`` among the step paths (the proposed default), its types count for the step
    modules' definitions, as behave's dry run uses them."""
    pytest.importorskip("behave")
    from tracertm import config

    monkeypatch.setitem(config.DEFAULT_PATHS, "step_definition", (*DEFAULT_STEP_PATHS, "features/environment.py"))
    _environment_project(git_repo)
    theirs, output = _behave_usage(git_repo.path)
    assert _ours(git_repo.path) == theirs, output
    assert theirs == {"features/steps/s.py:2": ["features/a.feature:3"], "UNDEFINED STEPS": ["features/a.feature:4"]}
    assert not analyze(git_repo.path).errors


def test_environment_py_types_count_with_the_default_step_paths(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    _environment_project(git_repo)
    theirs, output = _behave_usage(git_repo.path)
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert _ours(git_repo.path) == theirs, output

