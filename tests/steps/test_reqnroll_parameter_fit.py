"""Reqnroll drops a binding whose method does not take the step's arguments
(``tracertm.steps.reqnroll.candidates``), as its ``StepDefinitionMatchService`` does (reqnroll/Reqnroll,
``Reqnroll/Infrastructure/StepDefinitionMatchService.cs`` ``Match``: "check if the regex + extra arguments match
to the binding method parameters" — ``argumentValues.Length != bindingParameters.Length`` → ``NonMatching``,
then ``CanConvertArg`` per argument;
``MatchArgumentCalculator.CalculateArguments``: the regex groups that took part (``g.Success``), then the step's
multiline text, then its table). When no binding fits, ``OnNoMatch`` falls back on the regex matches whatever their
parameters: one is the step's binding, several are ambiguous. On small C# projects (no dotnet needed).
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.steps.model import Parameter, StepDefinition
from tracertm.steps.project import analyze
from tracertm.steps.reqnroll import fits

FEATURE = """\
Feature: Fit
  Scenario: s
    Given the following users:
      | name |
      | ann  |
    Given the following users:
    Given a note
      \"\"\"
      hello
      \"\"\"
    Given a note
    When I pay 5 with card
    Then I have many pears
    Then I have 5 pears
    When I log in
    When I log in as admin
    When I count 3 apples
    When I weigh 3 plums
"""
STEPS = """\
using Reqnroll;

[Binding]
public class S
{
    [Given("the following users:")]
    public void Users(DataTable table) {}

    [Given(@"the following (.*):")]
    public void Following(string what) {}

    [Given("a note")]
    public void Note(string text) {}

    [Given("a note")]
    public void Plain() {}

    [When(@"I pay (.*)")]
    public void Pay(string amount) {}

    [When(@"I pay (.*) with (.*)")]
    public void PayWith(string amount) {}

    [Then(@"I have (.*) pears")]
    public void Pears(int n) {}

    [Then(@"I have (.*) pears")]
    public void MorePears(string n) {}

    [When(@"^I log in( as admin)?$")]
    public void Login() {}

    [When(@"^I log in( as admin)?$")]
    public void LoginAsAdmin(string role) {}

    [When(@"I count (.*) apples")]
    public void Count(int a, int b) {}

    [When(@"I weigh (.*) plums")]
    public void Weigh(int a, int b) {}

    [When(@"I weigh (.*) plums")]
    public void WeighMore() {}
}
"""

EXPECTED = {
    3: ("defined", ["Users"]),  # the table is one more argument: only Users(DataTable) takes it
    6: ("defined", ["Following"]),  # no table: Users lacks its argument
    7: ("defined", ["Note"]),  # the DocString is a string argument
    11: ("defined", ["Plain"]),
    12: ("defined", ["Pay"]),  # PayWith has one parameter for two groups
    13: ("defined", ["MorePears"]),  # "many" is no int
    14: ("ambiguous", ["Pears", "MorePears"]),  # both take "5"
    15: ("defined", ["Login"]),  # the optional group took no part: no argument
    16: ("defined", ["LoginAsAdmin"]),
    17: ("defined", ["Count"]),  # no binding fits: the only regex match is the step's (it fails when run)
    18: ("ambiguous", ["Weigh", "WeighMore"]),  # none fits, two match: ParameterErrors
}


def _verdicts(report: Any) -> dict[int, tuple[str, list[str]]]:
    return {r.use.line: (r.status, [d.function for d, _ in r.matches]) for r in report.results}


def test_bindings_whose_methods_do_not_take_the_arguments_are_no_candidates(git_repo: GitRepo) -> None:
    git_repo.write("features/fit.feature", FEATURE)
    git_repo.write("StepDefinitions/S.cs", STEPS)
    git_repo.commit("fit")
    report = analyze(git_repo.path)
    assert not report.errors
    assert _verdicts(report) == EXPECTED


SCOPED = """\
using Reqnroll;

[Binding]
public class Scoped
{
    [When(@"I search for '(.*)'"), Scope(Tag = "web")]
    public void WebSearch() {}

    [When(@"I search for '(.*)'")]
    public void AnySearch(string what) {}

    [When(@"I buy (.*)"), Scope(Tag = "web")]
    public void WebBuy(string what) {}

    [When(@"I buy (.*)"), Scope(Tag = "web")]
    public void WebBuyAgain(string what, int n) {}

    [When(@"I buy (.*)")]
    public void AnyBuy(string what) {}

    [When(@"I sell (.*)"), Scope(Tag = "web")]
    public void WebSell(string what) {}

    [When(@"I sell (.*)")]
    public void AnySell() {}
}
"""
SCOPED_FEATURE = """\
Feature: Shop
  @web
  Scenario: on the web
    When I search for 'apples'
    When I buy pears
    When I sell plums

  Scenario: elsewhere
    When I sell plums
"""


def test_a_scoped_binding_that_does_not_fit_does_not_win(git_repo: GitRepo) -> None:
    """The parameter check comes before the scope preference (``KeepMaxScopeMatches`` runs over the candidates
    that fit): an unscoped binding that fits wins over a scoped one that does not; a scoped one that fits still
    wins over an unscoped one; a binding that fits only out of scope leaves the step without a match in scope."""
    git_repo.write("features/shop.feature", SCOPED_FEATURE)
    git_repo.write("StepDefinitions/Scoped.cs", SCOPED)
    git_repo.commit("scoped")
    report = analyze(git_repo.path)
    assert not report.errors
    assert _verdicts(report) == {
        4: ("defined", ["AnySearch"]),
        5: ("defined", ["WebBuy"]),
        6: ("defined", ["WebSell"]),
        9: ("undefined", []),  # WebSell fits but is out of scope (AmbiguousScopes); AnySell does not fit
    }


def test_a_sync_stores_the_same_verdicts(git_repo: GitRepo, database_url: str) -> None:
    """The parse workers' matching (cold sync) and the parent's (a feature changed; the step file broken, its
    definitions rebuilt from their rows) give the same verdicts as the report."""
    from sqlalchemy import select

    from tracertm.models import StepDefinition as Row
    from tracertm.steps.packed import match_rows

    git_repo.write("features/fit.feature", FEATURE)
    git_repo.write("StepDefinitions/S.cs", STEPS)
    git_repo.commit("fit")
    assert not sync(git_repo.path, database_url=database_url).errors
    engine = db.make_engine(database_url)

    def stored() -> dict[int, tuple[str, list[str]]]:
        with db.session(engine) as session:
            names = {row.id: row.function_name for row in session.execute(
                select(Row).execution_options(include_deleted=True)).scalars()}
            out: dict[int, tuple[str, list[str]]] = {}
            for r in match_rows(session):
                status, found = out.setdefault(r.line, (r.status, []))
                if r.step_definition_id is not None:
                    found.append(names[r.step_definition_id])
            return {line: (s, sorted(v)) for line, (s, v) in out.items()}

    expected = {line: (s, sorted(v)) for line, (s, v) in EXPECTED.items()}
    try:
        assert stored() == expected
        git_repo.write("StepDefinitions/S.cs", STEPS + "\npublic class Broken {\n")
        git_repo.write("features/fit.feature", FEATURE + "\n  Scenario: t\n    Given a note\n")
        git_repo.commit("broken step file")
        sync(git_repo.path, database_url=database_url)
        assert stored() == {**expected, 21: ("defined", ["Plain"])}
    finally:
        engine.dispose()


def _definition(*types: str, pattern: str = "x (.*)") -> StepDefinition:
    return StepDefinition("given", pattern, "regex", "reqnroll", "csharp", "S.cs", 1, 1, "M",
                          tuple(Parameter(f"p{i}", t) for i, t in enumerate(types)))


@pytest.mark.parametrize(("value", "written", "expected"), [
    ("42", "int", True), (" -7 ", "Int32", True), ("2147483648", "int", False), ("4294967295", "uint", True),
    ("-1", "byte", False), ("0x1F", "System.Int32", True), ("1.5", "long", False), ("", "int", False),
    ("", "int?", True), ("abc", "Nullable<int>", False), ("True", "bool", True), ("yes", "bool", False),
    ("anything", "Color", True),  # an enum or a class: not known here, so it may fit
    ("anything", "object", True), ("text", "DataTable", False), ("text", "global::Reqnroll.Table", False),
    (None, "Table", True), (None, "string", False), (None, "int", False), (None, "Order", True),
])
def test_argument_types(value: str | None, written: str, expected: bool) -> None:
    """``CanConvertArg`` where tracertm can tell: a string to an integer (``Int32.Parse``, ``NumberStyles.Integer``,
    or ``BaseNumberConverter``'s hexadecimal forms) or a bool (``Boolean.Parse``), a DataTable (None here) only to a
    Table, a string never to one."""
    argument = "table" if value is None else ""
    values = () if value is None else (value,)
    assert fits(_definition(written), values, argument) is expected


def test_a_transformation_may_convert_anything_to_its_type() -> None:
    assert not fits(_definition("int"), ("three",), "")
    assert fits(_definition("int"), ("three",), "", converters={"int"})


def test_named_groups_are_counted_not_typed() -> None:
    """.NET numbers named groups after the others: which value goes to which parameter is not checked."""
    named = _definition("int", "string", pattern="(?<who>\\w+) has (.*)")
    assert fits(named, ("ann", "many"), "")
    assert not fits(named, ("ann",), "")


def test_a_doc_string_is_a_string_whatever_it_says() -> None:
    """The DocString's text is not known to the matcher: only a Table parameter surely refuses it."""
    assert fits(_definition("int", pattern="a note"), (), "doc")
    assert fits(_definition("string", pattern="a note"), (), "doc")
    assert not fits(_definition("DataTable", pattern="a note"), (), "doc")
    assert not fits(_definition("string", "string", pattern="a note"), (), "doc")
