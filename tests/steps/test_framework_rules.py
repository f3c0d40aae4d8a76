"""Framework rules found by exploratory testing: each test fails without its fix.

- behave's ``step_impl`` (every snippet's name): a definition's identity does not depend on its place in the file.
- behave's regex matchers: ``re0`` matches from the start (``re.match``), ``re`` matches ``^pattern$`` (textually:
  ``a|b`` is ``^a|b$``) and refuses a pattern with its own ``^``/``$`` — checked against behave's dry run.
- Several matching definitions: behave runs the first (its step type's, then ``@step``'s), pytest-bdd the last
  fixture pytest's overriding leaves, godog (not strict) the first registered; cucumber-js & co. stay ambiguous.
- ``\\w``, ``\\d``, ``\\s``, ``\\b`` mean in each language what they mean there (ASCII in JavaScript, Java, Go,
  Ruby), in regexes and in Cucumber Expressions' built-in types — checked against node and java.
- parse patterns with escaped braces (``{{x}}``) are indexed under the words of the text they match (``{x}``).
- cucumber-ruby refuses a regex with a named group (cucumber-expressions' Ruby ``TreeRegexp`` raises "Named capture
  groups are not supported" as the definitions load): an error at its line, its steps undefined; cucumber-js and
  cucumber-jvm take the group as an argument.
- cucumber's regex arguments are its ``TreeRegexp``'s top-level groups, each the value of its first inner group
  when it has one (the anonymous parameter type's transformer takes the first of the group's values) — checked
  against cucumber-expressions in node; godog, Reqnroll and behave hand every group.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo, run_cli
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import StepDefinition as StepRow
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.project import analyze

NODE = Path(__file__).resolve().parent / "node"

# ------------------------------------------------------------------------------ identities of repeated names

STEP_IMPL = '''from behave import given, when

@given(u"alpha")
def step_impl(context):
    pass

@when(u"beta")
def step_impl(context):
    pass

@when(u"unique")
def unique(context):
    pass
'''
SWAPPED = '''from behave import given, when

@when(u"unique")
def unique(context):
    pass

@when(u"beta")
def step_impl(context):
    pass

@given(u"alpha")
def step_impl(context):
    pass
'''
FEATURE = "Feature: A\n  Scenario: s1\n    Given alpha\n    When beta\n"


def _identities(path: str, text: str) -> dict[str, str]:
    return {d.pattern: d.identity for d in parse_step_file(path, text.encode()).definitions}


def test_a_repeated_function_name_is_identified_by_keyword_and_pattern_not_position() -> None:
    path = "features/steps/s.py"
    assert _identities(path, STEP_IMPL) == _identities(path, SWAPPED) == {
        "alpha": f"{path}::step_impl:given(alpha)",
        "beta": f"{path}::step_impl:when(beta)",
        "unique": f"{path}::unique",  # a name used once keeps file::function
    }
    # Stacked decorators share one function: the same rule; identical definitions are numbered.
    stacked = 'from behave import given\n@given("a")\n@given("b")\n@given("b")\ndef f(context):\n    pass\n'
    assert list(_identities(path, stacked).values()) == [f"{path}::f:given(a)", f"{path}::f:given(b)#2"]
    assert [d.identity for d in parse_step_file(path, stacked.encode()).definitions] == [
        f"{path}::f:given(a)", f"{path}::f:given(b)", f"{path}::f:given(b)#2"]


def _rows(engine: Any) -> dict[str, tuple[Any, ...]]:
    with db.session(engine) as session:
        rows = session.scalars(select(StepRow).execution_options(include_deleted=True)).all()
        return {r.step_number: (r.id, r.version, r.pattern, r.usage_count, r.deleted_at is not None) for r in rows}


def test_swapping_two_step_impl_definitions_changes_nothing(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("features/steps/s.py", STEP_IMPL)
    git_repo.commit("steps")
    assert sync(git_repo.path, database_url=database_url).counts["step_definition"]["created"] == 3
    engine = db.make_engine(database_url)
    try:
        before = _rows(engine)
        git_repo.write("features/steps/s.py", SWAPPED)
        git_repo.commit("swap")
        result = sync(git_repo.path, database_url=database_url)
        assert not result.errors and result.counts["step_definition"]["updated"] == 0
        assert _rows(engine) == before  # same rows, versions, patterns and usage
        # A pattern edit of one step_impl is a new identity (its old row deleted, a new one created: sync pairs
        # identities only across moved files); the others keep their rows, versions and history.
        git_repo.write("features/steps/s.py", SWAPPED.replace('u"beta"', 'u"gamma"'))
        git_repo.commit("edit")
        result = sync(git_repo.path, database_url=database_url)
        assert not result.errors
        counts = result.counts["step_definition"]
        assert (counts["created"], counts["deleted"], counts["updated"]) == (1, 1, 0)
        after = _rows(engine)
        for name in ("step_impl:given(alpha)", "unique"):
            assert after[f"features/steps/s.py::{name}"] == before[f"features/steps/s.py::{name}"]
        assert after["features/steps/s.py::step_impl:when(beta)"][4]  # deleted
        assert after["features/steps/s.py::step_impl:when(gamma)"][1:] == (1, "gamma", 0, False)
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------------------- behave's dry run


def _behave_usage(path: Path) -> tuple[dict[str, list[str]], str]:
    """behave's ``steps.usage`` dry run: each used definition's location → its steps' locations, plus
    ``UNDEFINED STEPS`` → their locations; and the whole output."""
    proc = subprocess.run([sys.executable, "-m", "behave", "--dry-run", "--no-summary", "--no-snippets", "-f",
                           "steps.usage", "features"], cwd=path, capture_output=True, text=True, timeout=120)
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in proc.stdout.splitlines():
        if not line.strip():
            current = None
        elif line.startswith("UNDEFINED STEPS") or line.startswith("UNUSED STEP DEFINITIONS"):
            current = out.setdefault(line.split("[")[0], [])
        elif not line.startswith(" ") and "#" in line:
            current = out.setdefault(line.rsplit("#", 1)[1].strip(), [])
        elif current is not None and "#" in line:
            current.append(line.rsplit("#", 1)[1].strip())
    return out, proc.stdout + proc.stderr


def _ours(path: Path) -> dict[str, list[str]]:
    """tracertm's verdicts in the same shape as ``_behave_usage``."""
    report = analyze(path)
    out: dict[str, list[str]] = {}
    for r in report.results:
        if r.status == "defined":
            assert r.definition is not None
            out.setdefault(r.definition.location, []).append(r.use.location)
        elif r.status == "undefined":
            out.setdefault("UNDEFINED STEPS", []).append(r.use.location)
    unused = [d.location for d in report.unused()]
    if unused:
        out["UNUSED STEP DEFINITIONS"] = unused
    return out


REGEX_FEATURE = """\
Feature: A
  Scenario: s1
    When re0 start 7 and more
    Then alt x trailing
    Then the end alt y
    Then exactly 5
    Then exactly 5 more
    When re0 anchored 3
    When re0 anchored 3 and more
"""
REGEX_STEPS = r"""from behave import when, then, use_step_matcher
use_step_matcher("re0")

@when(r"re0 start (\d+)")
def re0_start(context, n):
    pass

@when(r"^re0 anchored (\d+)$")
def re0_anchored(context, n):
    pass

use_step_matcher("re")

@then(r"alt x|the end alt y")
def alt(context):
    pass

@then(r"exactly (?P<n>\d+)")
def exactly(context, n):
    pass
"""


def test_behave_regex_matchers_anchor_as_behave_does(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    git_repo.write("features/a.feature", REGEX_FEATURE)
    git_repo.write("features/steps/s.py", REGEX_STEPS)
    git_repo.commit("regex matchers")
    theirs, output = _behave_usage(git_repo.path)
    assert _ours(git_repo.path) == theirs, output
    assert theirs == {
        "features/steps/s.py:4": ["features/a.feature:3"],  # re0: from the start, the rest may follow
        "features/steps/s.py:8": ["features/a.feature:8"],
        "features/steps/s.py:14": ["features/a.feature:4", "features/a.feature:5"],  # ^alt x|the end alt y$
        "features/steps/s.py:18": ["features/a.feature:6"],
        "UNDEFINED STEPS": ["features/a.feature:7", "features/a.feature:9"],
    }


def test_behave_re_matcher_rejects_begin_and_end_markers(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    steps = 'from behave import then, use_step_matcher\nuse_step_matcher("re")\n\n@then(r"^the end$")\n' \
            'def end(context):\n    pass\n\n@then(r"fine")\ndef fine(context):\n    pass\n'
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: s\n    Then the end\n    Then fine\n")
    git_repo.write("features/steps/s.py", steps)
    git_repo.commit("markers")
    _, output = _behave_usage(git_repo.path)
    assert "Regular expression should not use begin/end-markers" in output  # behave refuses to load the module
    parsed = parse_step_file("features/steps/s.py", steps.encode())
    assert [d.pattern for d in parsed.definitions] == ["^fine$"]
    assert [(e.line, e.column) for e in parsed.errors] == [(4, 7)]  # at the pattern
    assert "begin/end markers" in parsed.errors[0].message and "'re'" in parsed.errors[0].message


# -------------------------------------------------------------------------------- several matching definitions


def test_behave_runs_the_first_match_of_its_step_type_then_the_generic_ones(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: s\n    Given I have 5 apples\n"
                                         "    When I have 6 apples\n")
    git_repo.write("features/steps/a_generic.py", 'from behave import step\n\n@step("I have {what}")\n'
                                                  'def anything(context, what):\n    pass\n')
    git_repo.write("features/steps/b_typed.py", 'from behave import given\n\n@given("I have {n:d} apples")\n'
                                                'def apples(context, n):\n    pass\n')
    git_repo.commit("overlap")
    theirs, output = _behave_usage(git_repo.path)
    assert _ours(git_repo.path) == theirs, output
    assert theirs == {"features/steps/b_typed.py:3": ["features/a.feature:3"],
                      "features/steps/a_generic.py:3": ["features/a.feature:4"]}


PYTEST_BDD_MODULE = """\
from pytest_bdd import given, step, parsers, scenarios

scenarios("../features")

@given(parsers.parse("I have {what}"))
def what(what):
    print("RAN what")

@given(parsers.parse("I have {n:d} apples"))
def apples(n):
    print("RAN apples")

@given("a thing")
def typed():
    print("RAN typed")

@step("a thing")
def generic():
    print("RAN generic")

@given("a plain step")
def plain_1():
    print("RAN plain_1")

@given("a plain step")
def plain_2():
    print("RAN plain_2")

@given(parsers.parse("from {where}"))
def from_module(where):
    print("RAN from_module")
"""
PYTEST_BDD_CONFTEST = """\
from pytest_bdd import given, parsers

@given("from the conftest")
def from_conftest():
    print("RAN from_conftest")
"""


def test_pytest_bdd_runs_the_fixture_pytest_overriding_leaves(git_repo: GitRepo) -> None:
    pytest.importorskip("pytest_bdd")
    git_repo.write("pytest.ini", "[pytest]\n")
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: s\n    Given I have 5 apples\n    Given a thing\n"
                                         "    Given a plain step\n    Given from the conftest\n")
    git_repo.write("tests/test_a.py", PYTEST_BDD_MODULE)
    git_repo.write("tests/conftest.py", PYTEST_BDD_CONFTEST)
    git_repo.commit("pytest-bdd overlaps")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-c", "pytest.ini",
                           "tests"], cwd=git_repo.path, capture_output=True, text=True, timeout=120)
    theirs = re.findall(r"RAN (\w+)", proc.stdout)
    report = analyze(git_repo.path)
    ours = [r.definition.function for r in report.results if r.definition is not None]
    assert [r.status for r in report.results] == ["defined"] * 4
    # "what" sorts after "n:d", "given" after "*", plain_2 is "…_1", the module's scope is inside the conftest's.
    assert ours == theirs == ["what", "typed", "plain_2", "from_module"], proc.stdout[-2000:]


def test_pytest_bdd_matches_of_two_test_modules_stay_ambiguous() -> None:
    from tracertm.steps.matching import settle
    from tracertm.steps.model import StepDefinition

    def d(path: str, pattern: str = "a thing") -> StepDefinition:
        return StepDefinition("given", pattern, "string", "pytest-bdd", "python", path, 1, 1, "f")

    two = [(d("tests/test_a.py"), ()), (d("tests/test_b.py"), ())]
    assert settle(two) == two  # which module runs the feature is not known: both are reported
    unrelated = [(d("tests/a/conftest.py"), ()), (d("tests/b/test_b.py"), ())]
    assert settle(unrelated) == unrelated


def test_godog_runs_the_first_registered_in_one_file_and_cucumber_stays_ambiguous() -> None:
    from tracertm.steps.matching import settle
    from tracertm.steps.model import StepDefinition

    def d(framework: str, path: str, line: int) -> StepDefinition:
        return StepDefinition("step", "^a (.*)$", "regex", framework, "go", path, line, 1, "")  # type: ignore[arg-type]

    one_file = [(d("godog", "x_test.go", 9), ()), (d("godog", "x_test.go", 4), ())]
    assert settle(one_file) == [one_file[1]]
    two_files = [(d("godog", "a_test.go", 9), ()), (d("godog", "b_test.go", 4), ())]
    assert settle(two_files) == two_files  # registration order across files: unknown
    for framework in ("cucumber-js", "cucumber-jvm", "cucumber-ruby", "reqnroll"):
        both = [(d(framework, "s", 1), ()), (d(framework, "s", 2), ())]
        assert settle(both) == both


# ------------------------------------------------------------------------------------ ASCII shorthand classes

CLASS_CASES = [  # (pattern, text)
    (r"^the user (\w+) logs in$", "the user José logs in"),
    (r"^the user (\w+) logs in$", "the user Jose logs in"),
    (r"^I have (\d+) cukes$", "I have ٣ cukes"),
    (r"^caf\b.*$", "café"),
    (r"^caf\b.*$", "caf é"),
    (r"^a\sb$", "a\u00a0b"),
    (r"^[\w-]+$", "naïve-x"),
    (r"^[^\d]+$", "٣"),
    (r"^\W$", "é"),
]


def _compiled(framework: str, language: str, pattern: str, kind: str = "regex") -> Any:
    from tracertm.steps.expressions import Registries, compile_definition
    from tracertm.steps.model import StepDefinition

    definition = StepDefinition("given", pattern, kind, framework, language, "s", 1, 1, "f")  # type: ignore[arg-type]
    return compile_definition(definition, Registries(()))


def test_javascript_classes_are_node_s() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = "const cases = JSON.parse(process.argv[1]); console.log(JSON.stringify(cases.map(" \
             "([p, t]) => new RegExp(p).test(t))))"
    theirs = json.loads(subprocess.run([node, "-e", script, json.dumps(CLASS_CASES)], capture_output=True, text=True,
                                       check=True, timeout=60).stdout)
    ours = [_compiled("cucumber-js", "javascript", p).match(t) is not None for p, t in CLASS_CASES]
    assert ours == theirs
    assert theirs[:4] == [False, True, False, True]  # \w, \d ASCII; \b ASCII too ("caf|é" is a boundary)
    # {int} is cucumber-js's -?\d+ : no Arabic-Indic digits (nor in cucumber-jvm, -ruby); Reqnroll (.NET) takes them.
    assert _compiled("cucumber-js", "javascript", "I have {int} cukes", "cucumber-expression").match("I have ٣ cukes") \
        is None
    assert _compiled("cucumber-js", "javascript", "I have {int} cukes", "cucumber-expression").match("I have 3 cukes")
    assert _compiled("reqnroll", "csharp", "I have {int} cukes", "cucumber-expression").match("I have ٣ cukes")
    assert _compiled("reqnroll", "csharp", r"^the user (\w+) logs in$").match("the user José logs in")


def test_java_classes_are_java_s(tmp_path: Path) -> None:
    java = shutil.which("java")
    if java is None:
        pytest.skip("java is not installed")
    source = tmp_path / "Classes.java"
    source.write_text("""
import java.util.regex.Pattern;
public class Classes { public static void main(String[] args) {
  StringBuilder out = new StringBuilder();
  for (int i = 0; i < args.length; i += 2) out.append(Pattern.compile(args[i]).matcher(args[i + 1]).matches() ? "1" : "0");
  System.out.println(out);
}}
""")
    args = [part for case in CLASS_CASES for part in case]
    proc = subprocess.run([java, str(source), *args], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        pytest.skip(f"java cannot run a source file: {proc.stderr[:200]}")
    version = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    found = re.search(r'version "(\d+)', version)
    theirs = [c == "1" for c in proc.stdout.strip()]
    ours = [_compiled("cucumber-jvm", "java", p).match(t) is not None for p, t in CLASS_CASES]
    if found and int(found.group(1)) >= 19:  # JDK 19 made \b ASCII like \w; tracertm keeps the older, Unicode one
        theirs[3:5] = ours[3:5]
    assert ours == theirs


# ----------------------------------------------------------------------------------------- escaped braces


def test_parse_pattern_with_escaped_braces_is_offered_its_steps(git_repo: GitRepo) -> None:
    pytest.importorskip("behave")
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: s1\n    Given Bob sees {x}\n"
                                         "    Given nobody sees anything\n")
    git_repo.write("features/steps/s.py", 'from behave import given\n@given("{who} sees {{x}}")\n'
                                          'def a(context, who):\n    pass\n@given("nobody sees anything")\n'
                                          'def b(context):\n    pass\n')
    git_repo.commit("braces")
    theirs, output = _behave_usage(git_repo.path)
    assert _ours(git_repo.path) == theirs == {"features/steps/s.py:2": ["features/a.feature:3"],
                                              "features/steps/s.py:5": ["features/a.feature:4"]}, output


# ------------------------------------------------------------------------------------------ named groups

def test_cucumber_ruby_refuses_a_named_group_where_cucumber_js_and_jvm_take_it(git_repo: GitRepo) -> None:
    from tracertm.steps.compiled import DefinitionError

    named = r"^I have (?<n>\d+) (cukes|apples)$"
    with pytest.raises(DefinitionError, match="refused by cucumber-ruby: \"Named capture groups are not supported\"") \
            as refused:
        _compiled("cucumber-ruby", "ruby", named)
    assert refused.value.severity == "error"  # the project's to fix: cucumber does not start
    # Lookarounds are no named groups; JavaScript's and Java's TreeRegexp capture a named group as any other.
    assert _compiled("cucumber-ruby", "ruby", r"^I have (?<!-)(\d+) (?<=\d )cukes$").match("I have 3 cukes")
    for framework, language in (("cucumber-js", "javascript"), ("cucumber-jvm", "java")):
        found = _compiled(framework, language, named).match("I have 3 cukes")
        assert [a.value for a in found] == ["3", "cukes"]

    git_repo.write("features/a.feature", "Feature: A\n  Scenario: s\n    Given I have 3 cukes\n")
    git_repo.write("features/step_definitions/steps.rb", "Given(/^I have (?<n>\\d+) (cukes|apples)$/) do |n|\nend\n")
    git_repo.commit("named")
    done = run_cli("steps", "--format", "json", str(git_repo.path))
    report = json.loads(done.stdout)
    assert done.returncode == 1
    assert [(e["path"], e["line"]) for e in report["errors"]] == [("features/step_definitions/steps.rb", 1)]
    assert "Named capture groups are not supported" in report["errors"][0]["message"]
    assert [s["text"] for s in report["undefined"]] == ["I have 3 cukes"]


# ------------------------------------------------------------------------------------------ nested groups

# (pattern, text, the values cucumber hands the step function)
NESTED = [
    (r"^nested ((a)(b)) (c)$", "nested ab c", ["a", "c"]),
    (r"^nested ((a)?b) (c)$", "nested b c", [None, "c"]),  # the inner group took no part
    (r"^in (?:(x)|y)(?=(z))z ((?:(\d))+)$", "in xz 12", ["x", "z", "2"]),  # through non-capturing and lookarounds
    (r"^plain (\w+) (x+)$", "plain a xx", ["a", "xx"]),  # (a \d+ group is {int}'s: a number in cucumber-js)
]


def test_cucumber_hands_one_value_per_top_level_group_others_every_group() -> None:
    for framework, language in (("cucumber-js", "javascript"), ("playwright-bdd", "typescript"),
                                ("cucumber-ruby", "ruby"), ("cucumber-jvm", "java")):
        for pattern, text, expected in NESTED:
            compiled = _compiled(framework, language, pattern)
            assert [a.value for a in compiled.match(text)] == expected, (framework, pattern)
            assert list(compiled.arguments(text)) == expected, (framework, pattern)
    for framework, language in (("godog", "go"), ("reqnroll", "csharp"), ("behave", "python")):
        assert _compiled(framework, language, NESTED[0][0]).arguments("nested ab c") == ("ab", "a", "b", "c")


def test_cucumber_js_nested_group_values_are_cucumber_expressions_own(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", "Feature: A\n  Scenario: s\n    Given nested ab c\n")
    git_repo.write("features/step_definitions/s.js", "const { Given } = require('@cucumber/cucumber');\n"
                                                     "Given(/^nested ((a)(b)) (c)$/, function (x, y) {});\n")
    git_repo.commit("nested")
    report = json.loads(run_cli("steps", "--format", "json", str(git_repo.path)).stdout)
    assert report["definitions"][0]["matches"][0]["arguments"] == ["a", "c"]
    node = shutil.which("node")
    if node is None or not (NODE / "node_modules" / "@cucumber" / "cucumber-expressions").exists():
        pytest.skip("node or cucumber-expressions is not installed")
    script = (
        "const { RegularExpression, ParameterTypeRegistry } = require('@cucumber/cucumber-expressions');"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const registry = new ParameterTypeRegistry();"
        "console.log(JSON.stringify(cases.map(([p, t]) =>"
        "  new RegularExpression(new RegExp(p), registry).match(t).map(a => a.getValue(null)))));"
    )
    out = subprocess.run([node, "-e", script], input=json.dumps([(p, t) for p, t, _ in NESTED]),
                         capture_output=True, text=True, check=True, timeout=60, cwd=NODE)
    assert json.loads(out.stdout) == [expected for _, _, expected in NESTED]
