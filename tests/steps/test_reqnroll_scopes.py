"""Reqnroll / SpecFlow ``[Scope]`` (``tracertm.steps.reqnroll``, ``tracertm.steps.lens``), on small C# projects (no
dotnet needed), against Reqnroll's documented rules — docs.reqnroll.net, "Scoped Bindings" (Scoping Rules):

- "Scope can be defined at the method or class level."
- "If multiple criteria (e.g. both tag and feature) are specified in the same [Scope] attribute, they are combined
  with AND"; "If multiple [Scope] attributes are defined for the same method or class, the attributes are combined
  with OR"; scopes of the class and of the method are combined with OR too.
- "If a step can be matched to both a step definition without a [Scope] attribute as well as a step definition with
  a [Scope] attribute, the step definition with the [Scope] attribute is used (no ambiguity)."
- "If a step matches several scoped step definitions, the one with the most restrictions is used"; "multiple scoped
  step definition with the same number of restrictions that match the step" are ambiguous.
- A tag may be written with or without its '@' (``ReqnrollTagExpressionParser`` prefixes a single tag); ``Tag`` is a
  tag expression; titles compare ignoring case (``BindingScope.Match``).
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.steps.csharp import parse
from tracertm.steps.project import analyze
from tracertm.steps.reqnroll import TagExpressionError, parse_tags, scope_matches

SEARCH = """\
Feature: Search
  @web
  Scenario: via the browser
    When I search for 'apples'
    Then I see results

  @controller
  Scenario: via the controller
    When I search for 'pears'
    Then I see results

  Scenario: untagged
    When I search for 'plums'
    Then the cart is empty

  @web @fast
  Scenario: Both Tags
    When I search for 'figs'

  @web @controller
  Scenario: mixed
    When I search for 'kiwis'
"""
CART = """\
@cart
Feature: Cart
  Scenario: emptied
    Then the cart is empty
    And I see results
"""
OTHER = """\
Feature: Other
  Scenario: nothing in scope
    Then the cart is empty
"""
STEPS = """\
using Reqnroll;

[Binding]
public class SearchSteps
{
    [When(@"I search for '(.*)'"), Scope(Tag = "controller")]
    public void ControllerSearch(string what) {}

    [When(@"I search for '(.*)'")]
    [Scope(Tag = "@web")]
    public void WebSearch(string what) {}

    [When(@"I search for '(.*)'")]
    public void AnySearch(string what) {}

    [When(@"I search for '(.*)'")]
    [Scope(Tag = "web", Scenario = "both tags")]
    public void FastWebSearch(string what) {}

    [Then("the cart is empty")]
    [Scope(Tag = "cart")]
    [Scope(Feature = "search")]
    public void CartEmpty() {}
}

[Binding, Scope(Feature = "Search")]
public class SearchResults
{
    [Then("I see results")]
    public void Results() {}
}

[Binding]
[Scope(Feature = "Other")]
public class OtherResults
{
    [Then("I see results")]
    public void Results() {}
}
"""
PATH = "StepDefinitions/SearchSteps.cs"


EXPECTED = {
    ("search.feature", 4): ("defined", ["WebSearch"]),  # scoped over unscoped
    ("search.feature", 5): ("defined", ["SearchResults.Results"]),  # class scope; OtherResults is out of scope
    ("search.feature", 9): ("defined", ["ControllerSearch"]),  # "controller" without its '@'
    ("search.feature", 10): ("defined", ["SearchResults.Results"]),
    ("search.feature", 13): ("defined", ["AnySearch"]),  # no scope in scope: the unscoped one
    ("search.feature", 14): ("defined", ["CartEmpty"]),  # its second [Scope] (OR): the feature, ignoring case
    ("search.feature", 18): ("defined", ["FastWebSearch"]),  # two restrictions over one
    ("search.feature", 22): ("ambiguous", ["ControllerSearch", "WebSearch"]),  # one restriction each
    ("cart.feature", 4): ("defined", ["CartEmpty"]),  # its first [Scope] (OR): the feature's tag
    ("cart.feature", 5): ("undefined", []),  # both "I see results" are scoped to other features
    ("other.feature", 3): ("undefined", []),  # neither scope of CartEmpty
}


def _write(git_repo: GitRepo) -> None:
    git_repo.write("features/search.feature", SEARCH)
    git_repo.write("features/cart.feature", CART)
    git_repo.write("features/other.feature", OTHER)
    git_repo.write(PATH, STEPS)


def test_scopes_are_read_from_methods_and_classes() -> None:
    found = {d.function: d for d in parse(PATH, STEPS.encode()).definitions}
    assert found["ControllerSearch"].scopes == (("controller", None, None),)
    assert found["WebSearch"].scopes == (("@web", None, None),)
    assert found["AnySearch"].scopes == ()
    assert found["FastWebSearch"].scopes == (("web", None, "both tags"),)
    assert found["CartEmpty"].scopes == (("cart", None, None), (None, "search", None))
    results = [d for d in parse(PATH, STEPS.encode()).definitions if d.function == "Results"]
    assert [d.scopes for d in results] == [((None, "Search", None),), ((None, "Other", None),)]
    # A scope is part of what the definition means: a new version when it changes.
    assert found["WebSearch"].content_hash != found["AnySearch"].content_hash


def test_unreadable_scopes_are_errors() -> None:
    text = ('[Binding]\npublic class S {\n  [Given("a")]\n  [Scope(Tag = Tags.Web)]\n  public void A() {}\n\n'
            '  [Given("b")]\n  [Scope(Tag = "@a and")]\n  public void B() {}\n}\n')
    step_file = parse("S.cs", text.encode())
    assert [(e.line, "not a string literal" in e.message or "tag expression" in e.message)
            for e in step_file.errors] == [(4, True), (8, True)]


def test_an_unreadable_class_scope_is_one_error() -> None:
    text = ('[Binding]\n[Scope(Tag = "not web")]\npublic class G {\n  [When("a")] public void A() {}\n'
            '  [When("b")] public void B() {}\n  [When("c")] public void C() {}\n}\n')
    assert [e.line for e in parse("G.cs", text.encode()).errors] == [2]


def test_tag_expressions() -> None:
    assert scope_matches(("web", None, None), "F", "S", {"@web"}) == 1
    assert scope_matches(("@web and not @slow", "f", None), "F", "S", {"@web"}) == 2
    assert scope_matches(("@web and not @slow", None, None), "F", "S", {"@web", "@slow"}) is None
    assert scope_matches(("(@a or @b) and @c", None, "s"), "F", "S", {"@b", "@c"}) == 2
    with pytest.raises(TagExpressionError):
        parse_tags("web and fast")  # several terms: every tag needs its '@'


def test_scoped_definitions_match_their_scenarios_only(git_repo: GitRepo) -> None:
    _write(git_repo)
    git_repo.commit("scoped")
    report = analyze(git_repo.path)
    assert not report.errors
    by_class = {d.identity: ("SearchResults." if d.line < 35 else "OtherResults.") + d.function
                if d.function == "Results" else d.function for d in report.definitions}
    verdicts = {(r.use.path.rsplit("/", 1)[-1], r.use.line): (r.status, [by_class[d.identity] for d, _ in r.matches])
                for r in report.results}
    assert verdicts == EXPECTED
    assert sorted(by_class[d.identity] for d in report.unused()) == ["OtherResults.Results"]


def test_a_sync_stores_the_scoped_verdicts(git_repo: GitRepo, database_url: str) -> None:
    """The same verdicts through a sync — in the parse workers (cold) and in sync's own process, also with the
    definitions rebuilt from their rows (their file does not parse now)."""
    from sqlalchemy import select

    from tracertm.models import StepDefinition
    from tracertm.steps.packed import match_rows

    _write(git_repo)
    git_repo.commit("scoped")
    assert not sync(git_repo.path, database_url=database_url).errors
    engine = db.make_engine(database_url)

    def stored() -> dict[tuple[str, int], tuple[str, list[str]]]:
        with db.session(engine) as session:
            names = {}
            for row in session.execute(select(StepDefinition).execution_options(include_deleted=True)).scalars():
                name = row.function_name
                if name == "Results":
                    name = ("SearchResults." if row.line < 35 else "OtherResults.") + name
                names[row.id] = name
            out: dict[tuple[str, int], tuple[str, list[str]]] = {}
            from tracertm.models import Feature, Scenario

            paths = dict(session.execute(select(Scenario.id, Feature.source_path)
                                         .join(Feature, Scenario.feature_id == Feature.id)).all())
            for r in match_rows(session):
                key = (paths[r.scenario_id].rsplit("/", 1)[-1], r.line)
                status, found = out.setdefault(key, (r.status, []))
                if r.step_definition_id is not None:
                    found.append(names[r.step_definition_id])
            return {k: (s, sorted(v)) for k, (s, v) in out.items()}

    try:
        assert stored() == EXPECTED
        # The step file breaks (its rows stay, rebuilt with their scopes) and a feature changes (re-matched here).
        git_repo.write(PATH, STEPS + "\npublic class Broken {\n")
        git_repo.write("features/search.feature", SEARCH.replace("'plums'", "'limes'"))
        git_repo.commit("broken step file")
        sync(git_repo.path, database_url=database_url)
        assert stored() == EXPECTED
    finally:
        engine.dispose()


APPLES = """using Reqnroll;

[Binding]
public class AppleSteps
{
    [Then(@"I have (\\d+) apples")]
    [Then(@"I have (.*) apples")]
    public void Have(int n) { }

    [Then(@"I have (\\d+) pears")]
    public void Pears(int n) { }

    [Then(@"I have (.*) pears")]
    public void MorePears(string n) { }
}
"""


def test_two_attributes_of_one_method_are_one_candidate(git_repo: GitRepo) -> None:
    """Reqnroll groups matching bindings by method (``StepDefinitionMatchService.GetCandidatingBindings``): two
    attributes of one method matching a step are no ambiguity (two methods still are)."""
    git_repo.write("features/fruit.feature",
                   "Feature: Fruit\n  Scenario: Count\n    Then I have 5 apples\n    Then I have 5 pears\n")
    git_repo.write("StepDefinitions/AppleSteps.cs", APPLES)
    git_repo.commit("apples")
    report = analyze(git_repo.path)
    verdicts = {r.use.line: (r.status, [d.function for d, _ in r.matches]) for r in report.results}
    assert verdicts == {3: ("defined", ["Have"]), 4: ("ambiguous", ["Pears", "MorePears"])}
