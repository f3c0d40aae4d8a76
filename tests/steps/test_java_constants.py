"""cucumber-jvm patterns written with the file's own ``String`` constants — ``static final`` fields, interface fields,
by name or ``Class.NAME`` (fully qualified too), joined with ``+`` to literals or to one another — are read as javac
folds them; they used to be an error ("not a string literal"). A constant that is not final, one of another file,
or a name two classes of the file both declare stays an error at the annotation, which names what is read. Matched
in a real sync (SQLite)."""

from __future__ import annotations

from conftest import GitRepo
from tracertm.engine.sync import sync
from tracertm.steps.java import parse
from tracertm.steps.project import analyze

SOURCE = """import io.cucumber.java.en.*;
public class CukeSteps {
  static final String PREFIX = "I have ";
  public static final String COUNT = PREFIX + "{int} cukes";
  interface Patterns { String EATEN = "I ate " + CukeSteps.PREFIX; }
  static String MUTABLE = "it rains";
  @Given(COUNT) public void have(int n) {}
  @When(Patterns.EATEN + "{int}") public void ate(int n) {}
  @Then(com.acme.CukeSteps.PREFIX + ("{int} " + "left")) public void left(int n) {}
  @Then(MUTABLE) public void rains() {}
  @Then(Elsewhere.THING) public void elsewhere() {}
  static class A { static final String TWICE = "a"; }
  static class B { static final String TWICE = "b"; }
  @Then(TWICE) public void twice() {}
}
"""


def test_constants_of_the_file_are_read() -> None:
    file = parse("src/test/java/CukeSteps.java", SOURCE.encode())
    assert [(d.function, d.keyword, d.pattern) for d in file.definitions] == [
        ("have", "given", "I have {int} cukes"), ("ate", "when", "I ate I have {int}"),
        ("left", "then", "I have {int} left")]
    assert [(e.line, e.message.split(" cannot")[0]) for e in file.errors] == [
        (10, "@Then on rains()"), (11, "@Then on elsewhere()"), (14, "@Then on twice()")]
    assert all("nor a String constant of this file" in e.message for e in file.errors)


def test_steps_match_patterns_made_of_constants(git_repo: GitRepo) -> None:
    git_repo.write("features/cukes.feature",
                   "Feature: Cukes\n  Scenario: eat\n    Given I have 5 cukes\n    When I ate I have 2\n"
                   "    Then I have 3 left\n")
    git_repo.write("src/test/java/CukeSteps.java", SOURCE)
    git_repo.commit("cukes")
    report = analyze(git_repo.path)
    assert report.feature_files == 1 and not report.undefined()
    assert sorted(d.function for d in report.definitions) == ["ate", "have", "left"]
    assert sorted(r.status for r in report.results) == ["defined"] * 3
    result = sync(git_repo.path, database_url=f"sqlite:///{git_repo.path.parent / 'cukes.db'}")
    assert {e.path for e in result.errors} == {"src/test/java/CukeSteps.java"}
