"""Hostile step files that used to crash tracertm or lose a whole file: a parameter type whose regex does not
compile (parse's ``register_type`` / ``extra_types``, cucumber's ``@ParameterType`` / ``defineParameterType``) was
a traceback of ``steps``, ``check`` and ``sync`` instead of an error at the definition; a long concatenation of
literals (which Python and javac compile) made the whole file unreadable; behave's decorators on the methods of a
class (run at import, so registered) were not read."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm import db
from tracertm.checker import check
from tracertm.engine.sync import sync
from tracertm.steps.packed import match_rows
from tracertm.steps.project import analyze

FEATURE = """\
Feature: Apples
  Scenario: count
    Given I have 3 apples
    When the customer pays
"""

BAD_TYPES = {
    # behave's default parse matcher, a type whose with_pattern regex does not compile.
    "behave": ("features/steps/apples.py", 7,
               "import parse\n"
               "from behave import given, when, register_type\n"
               "@parse.with_pattern(r'(')\n"
               "def count(text):\n    return int(text)\n"
               "register_type(Count=count)\n"
               "@given('I have {n:Count} apples')\n"
               "def apples(context, n):\n    pass\n"
               "@when('the customer pays')\n"
               "def pays(context):\n    pass\n"),
    "pytest-bdd": ("tests/test_apples.py", 6,
                   "import parse\n"
                   "from pytest_bdd import given, when, parsers\n"
                   "@parse.with_pattern(r'(')\n"
                   "def count(text):\n    return int(text)\n"
                   "@given(parsers.parse('I have {n:Count} apples', extra_types={'Count': count}))\n"
                   "def apples(n):\n    pass\n"
                   "@when('the customer pays')\n"
                   "def pays():\n    pass\n"),
    "cucumber-jvm": ("src/test/java/Apples.java", 5,
                     "import io.cucumber.java.en.*;\n"
                     "import io.cucumber.java.ParameterType;\n"
                     "class Apples {\n"
                     "  @ParameterType(\"(\") public Integer count(String s) { return 1; }\n"
                     "  @Given(\"I have {count} apples\") public void apples(Integer n) {}\n"
                     "  @When(\"the customer pays\") public void pays() {}\n"
                     "}\n"),
    "cucumber-js": ("features/step_definitions/apples.js", 3,
                    "const { Given, When, defineParameterType } = require('@cucumber/cucumber');\n"
                    "defineParameterType({ name: 'count', regexp: '(' });\n"
                    "Given('I have {count} apples', function apples(n) {});\n"
                    "When('the customer pays', function pays() {});\n"),
}


def _bad_type_project(repo: GitRepo, case: str) -> tuple[str, int]:
    path, line, text = BAD_TYPES[case]
    if case == "pytest-bdd":
        text += "from pytest_bdd import scenarios\nscenarios('../features/apples.feature')\n"
    repo.write("features/apples.feature", FEATURE)
    repo.write(path, text)
    repo.commit("a parameter type whose regex does not compile")
    return path, line


@pytest.mark.parametrize("case", sorted(BAD_TYPES))
def test_a_parameter_type_regex_that_does_not_compile_is_an_error_at_the_definition(
    git_repo: GitRepo, case: str
) -> None:
    path, line = _bad_type_project(git_repo, case)
    report = analyze(git_repo.path)  # was: re.error / NotImplementedError out of the matcher
    assert [(e.path, e.line) for e in report.errors] == [(path, line)]
    message = report.errors[0].message
    assert "parameter types does not compile" in message and "\n" not in message
    assert [r.use.text for r in report.undefined()] == ["I have 3 apples"]
    assert sum(report.usage_counts().values()) == 1  # the rest of the project still counts
    result = check(git_repo.path)
    assert [(e.path, e.line) for e in result.errors] == [(path, line)] and not result.ok


def test_sync_links_the_rest_when_a_parameter_type_regex_does_not_compile(
    git_repo: GitRepo, database_url: str
) -> None:
    _bad_type_project(git_repo, "cucumber-jvm")
    result = sync(git_repo.path, database_url=database_url)  # was: the sync's internal error
    assert not result.errors and result.counts["step_definition"]["created"] == 2
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            rows = sorted((m.step_text, m.status) for m in match_rows(session))
        assert rows == [("I have 3 apples", "undefined"), ("the customer pays", "defined")]
    finally:
        engine.dispose()


def test_behave_registers_the_decorated_methods_of_a_class(git_repo: GitRepo) -> None:
    """A class body runs when the module is imported, so its decorators register steps (the method gets the
    context as ``self``); a nested function's decorators run only when it is called, and register nothing."""
    git_repo.write("features/apples.feature", FEATURE)
    git_repo.write("features/steps/apples.py",
                   "from behave import given, when\n"
                   "class Apples:\n"
                   "    @given('I have {n:d} apples')\n"
                   "    def apples(self, n):\n        pass\n"
                   "def later():\n"
                   "    @when('the customer pays')\n"
                   "    def pays(context):\n        pass\n")
    git_repo.commit("steps on a class")
    report = analyze(git_repo.path)
    assert not report.errors
    assert [(d.identity, d.line, [p.name for p in d.parameters]) for d in report.definitions] == [
        ("features/steps/apples.py::apples", 3, ["n"])]
    assert [r.use.text for r in report.undefined()] == ["the customer pays"]


LONG = 1500  # operands: deeper than Python's recursion limit, well within what Python and javac compile

CONCATENATED = {
    "python": ("features/steps/apples.py", 5, None,
               "from behave import when, given\n"
               "@when('the customer pays')\n"
               "def pays(context):\n    pass\n"
               "@given('I have {n:d} apples'" + " + ''" * LONG + ")\n"
               "def apples(context, n):\n    pass\n"),
    "java": ("src/test/java/Apples.java", None, "I have {int} apples",
             "import io.cucumber.java.en.*;\n"
             "class Apples {\n"
             "  @When(\"the customer pays\") public void pays() {}\n"
             "  @Given(\"I have {int}\"" + ' + ""' * LONG + " + \" apples\") public void apples(int n) {}\n"
             "}\n"),
    "kotlin": ("src/test/kotlin/Apples.kt", None, "I have {int} apples",
               "import io.cucumber.java.en.*\n"
               "class Apples {\n"
               "  @When(\"the customer pays\") fun pays() {}\n"
               "  @Given(\"I have {int}\"" + ' + ""' * LONG + " + \" apples\") fun apples(n: Int) {}\n"
               "}\n"),
}


@pytest.mark.parametrize("case", sorted(CONCATENATED))
def test_a_long_concatenation_costs_at_most_its_definition(git_repo: GitRepo, case: str) -> None:
    """Python's pattern must be a literal (an error at the definition, its message not unparsing the whole
    expression); Java's and Kotlin's literals joined with ``+`` are read. Either way the file's other definition
    counts — it was one 'nested too deeply' error for the whole file."""
    path, error_line, pattern, text = CONCATENATED[case]
    git_repo.write("features/apples.feature", FEATURE)
    git_repo.write(path, text)
    git_repo.commit("a long concatenation")
    report = analyze(git_repo.path)
    assert [(e.path, e.line) for e in report.errors] == ([(path, error_line)] if error_line else [])
    assert all("nested too deeply" not in e.message or e.line for e in report.errors)
    assert sorted(d.pattern for d in report.definitions) == sorted(
        ["the customer pays", *([pattern] if pattern else [])])
    assert report.usage_counts()[f"{path}::pays"] == 1
    assert [r.use.text for r in report.undefined()] == ([] if pattern else ["I have 3 apples"])



def test_python_nested_beyond_what_python_parses_is_one_error_saying_what_to_do(git_repo: GitRepo) -> None:
    """3,000 operands: Python's own parser gives up (RecursionError), as when behave imports the module — a file
    error at line 1 saying what to do, not 'cannot parse Python (RecursionError)' at line 0."""
    git_repo.write("features/apples.feature", FEATURE)
    git_repo.write("features/steps/apples.py",
                   "from behave import given\n@given('a'" + " + 'b'" * 3000 + ")\ndef apples(context):\n    pass\n")
    git_repo.commit("too deep for Python")
    report = analyze(git_repo.path)
    assert [(e.path, e.line) for e in report.errors] == [("features/steps/apples.py", 1)]
    assert "nested too deeply" in report.errors[0].message and "split" in report.errors[0].message


def test_a_parse_type_with_regex_groups_gives_the_fields_their_own_text(git_repo: GitRepo) -> None:
    """``with_pattern(r"(red|blue)", regex_group_count=1)``: parse numbers the later fields past the type's group.
    tracertm's stand-in converter lacked the count, so parse converted the wrong group (``int('')``: a ValueError
    out of ``steps``, ``check`` and ``sync``)."""
    git_repo.write("features/colors.feature", "Feature: Colors\n  Scenario: s\n    Given red has 3\n")
    git_repo.write("features/steps/colors.py",
                   "import parse\n"
                   "from behave import given, register_type\n"
                   "@parse.with_pattern(r'(red|blue)', regex_group_count=1)\n"
                   "def color(text):\n    return text\n"
                   "register_type(Color=color)\n"
                   "@given('{:Color} has {:d}')\n"
                   "def has(context, color, n):\n    pass\n")
    git_repo.commit("a type with a group")
    report = analyze(git_repo.path)
    assert not report.errors
    assert [[a.value for a in r.matches[0][1]] for r in report.results] == [["red", "3"]]


@pytest.mark.parametrize("framework", ["behave", "pytest-bdd"])
def test_a_parse_converter_refusing_the_text_is_no_crash(git_repo: GitRepo, framework: str) -> None:
    """parse's ``tg`` type matches "31/02/2020 12:00:00" and its converter refuses it (no 31 February): pytest-bdd's
    ``is_matching`` takes the ValueError as no match; behave runs the definition, which fails when it runs."""
    feature = "Feature: Rain\n  Scenario: s\n    Given on 31/02/2020 12:00:00 it rains\n"
    git_repo.write("features/rain.feature", feature)
    if framework == "behave":
        git_repo.write("features/steps/rain.py", "from behave import given\n@given('on {when:tg} it rains')\n"
                                                 "def rains(context, when):\n    pass\n")
    else:
        git_repo.write("tests/test_rain.py", "from pytest_bdd import given, parsers, scenarios\n"
                                             "scenarios('../features/rain.feature')\n"
                                             "@given(parsers.parse('on {when:tg} it rains'))\ndef rains(when):\n"
                                             "    pass\n")
    git_repo.commit("an impossible date")
    report = analyze(git_repo.path)  # was: ValueError (day is out of range for month)
    assert not report.errors
    if framework == "behave":
        assert [[a.value for a in r.matches[0][1]] for r in report.results] == [["31/02/2020 12:00:00"]]
    else:
        assert [r.status for r in report.results] == ["undefined"]


def test_a_pattern_named_by_a_constant_is_read_only_when_its_value_is_certain(git_repo: GitRepo) -> None:
    """Python evaluates a decorator when it runs the ``def``: ``P`` rebound below it, ``Q += ...`` and a name
    assigned only further down (NameError) were read as their last assignment — a pattern the framework never
    registered. Each is an error at the definition now; a name bound once, above, still counts."""
    feature = "Feature: ABC\n  Scenario: s\n    Given a\n    When bbb\n    Then c\n    And d\n"
    git_repo.write("features/abc.feature", feature)
    git_repo.write("features/steps/abc.py",
                   "from behave import given, when, then\n"
                   "P = 'a'\n"
                   "@given(P)\ndef a(context):\n    pass\n"          # 3: P is 'zzz' at the end of the module
                   "P = 'zzz'\n"
                   "Q = 'b'\nQ += 'bb'\n"
                   "@when(Q)\ndef b(context):\n    pass\n"          # 9
                   "@then(R)\ndef c(context):\n    pass\n"          # 12: NameError when behave loads it
                   "R = 'c'\n"
                   "D = 'd'\n"
                   "def helper():\n    D = 'local'\n    return [D for D in 'xy']\n"
                   "@then(D)\ndef d(context):\n    pass\n")        # 20: bound once at module level
    git_repo.commit("constants")
    report = analyze(git_repo.path)
    assert [(e.line, e.message.split(": ", 1)[1].split(",")[0]) for e in report.errors] == [
        (3, "the pattern is the name P"), (9, "the pattern is the name Q"), (12, "the pattern is the name R")]
    assert [(d.function, d.pattern) for d in report.definitions] == [("d", "d")]


def test_a_godog_regex_go_cannot_compile_is_an_error(git_repo: GitRepo) -> None:
    """Go's regexp (RE2) has no lookarounds or back-references: godog's ``regexp.MustCompile`` panics when it
    registers such a step. Python's ``re`` has them, so tracertm matched steps godog never would."""
    git_repo.write("features/ab.feature", "Feature: AB\n  Scenario: s\n    Given a b\n    When x x\n")
    git_repo.write("steps_test.go",
                   "package steps\n"
                   "func InitializeScenario(ctx *godog.ScenarioContext) {\n"
                   "  ctx.Step(`^a(?= b)`, lookahead)\n"
                   "  ctx.Step(`^(x) \\1$`, backReference)\n"
                   "}\n")
    git_repo.commit("RE2")
    report = analyze(git_repo.path)
    assert [(e.line, "RE2 has no" in e.message) for e in report.errors] == [(3, True), (4, True)]
    assert [r.use.text for r in report.undefined()] == ["a b", "x x"]


def test_a_step_matcher_named_by_a_constant_bound_once_still_counts(git_repo: GitRepo) -> None:
    """environment.py's ``use_step_matcher(MATCHER)`` with ``MATCHER = "re"`` bound once: the step modules use it."""
    git_repo.write("features/n.feature", "Feature: N\n  Scenario: s\n    Given 42 items\n")
    git_repo.write("features/environment.py", "from behave import use_step_matcher\nMATCHER = 're'\n"
                                              "use_step_matcher(MATCHER)\n")
    git_repo.write("features/steps/n.py", "from behave import given\nPATTERN = r'(\\d+) items'\n"
                                          "@given(PATTERN)\ndef items(context, n):\n    pass\n")
    git_repo.commit("constants bound once")
    report = analyze(git_repo.path)
    assert not report.errors
    assert [(d.kind, d.pattern) for d in report.definitions] == [("regex", "^(\\d+) items$")]
    assert [[a.value for a in r.matches[0][1]] for r in report.results] == [["42"]]


def test_extra_types_rebound_by_a_loop_is_not_read(git_repo: GitRepo) -> None:
    """``extra_types=NAME`` and a pattern named by a constant share one rule for "bound once": a loop that binds
    ``EXTRA`` again at module level leaves its value unknown without running the module — a warning, and the
    pattern's types match any text (as for any ``extra_types`` tracertm cannot read)."""
    git_repo.write("features/a.feature", "Feature: T\n  Scenario: s\n    Given num 12 here\n")
    git_repo.write("tests/test_a.py",
                   "import parse\nfrom pytest_bdd import scenarios, given, parsers\n"
                   "scenarios('../features/a.feature')\n"
                   "@parse.with_pattern(r'\\d+')\ndef parse_num(t):\n    return int(t)\n"
                   "EXTRA = {'Num': parse_num}\n"
                   "for EXTRA in ({'Num': str},):\n    pass\n"
                   "@given(parsers.parse('num {n:Num} here', extra_types=EXTRA))\ndef a(n):\n    pass\n")
    git_repo.commit("extra types rebound")
    report = analyze(git_repo.path)
    assert report.errors == [], report.errors
    assert any("extra_types" in w.message and "without running code" in w.message for w in report.warnings)
