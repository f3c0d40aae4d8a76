"""``tracertm steps`` shows a cucumber-jvm definition as it is written — ``@Étantdonné('…')``, ``@And('…')``, a
Kotlin ``@Given('…')``, the lambda glue's ``Given('…')`` — not as its keyword (``@Step('…')``: cucumber-jvm ignores
keywords, so a localized or And/But annotation is a ``step`` definition). The keyword column stays
given/when/then/step; the annotation as written is ``StepDefinition.label``, kept in the row's ``step_metadata``
(no schema change) and not part of the content hash.
"""

from __future__ import annotations

from conftest import GitRepo, run_cli
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.steps.java import parse as parse_java
from tracertm.steps.kotlin import parse as parse_kotlin

JAVA = """\
import io.cucumber.java.fr.Étantdonné;
import io.cucumber.java.en.And;
import io.cucumber.java.en.Given;

public class Steps {
    @Étantdonné("un client")
    public void client() {}

    @io.cucumber.java.fr.Soit("un panier")
    public void panier() {}

    @And("rien")
    public void rien() {}

    @Given("plain")
    public void plain() {}
}
"""
GLUE = """\
import io.cucumber.java8.En;

public class Glue implements En {
    public Glue() {
        Given("a glue step", () -> {});
    }
}
"""
KOTLIN = """\
import io.cucumber.java.fr.Quand
import io.cucumber.java.en.Given

class K {
    @Quand("je paie")
    fun paie() {}

    @Given("plain kotlin")
    fun plain() {}
}
"""
FEATURE = """\
# language: fr
Fonctionnalité: F
  Scénario: s
    Étant donné un client
    Et un panier
"""


def test_the_annotation_as_written_is_kept() -> None:
    java = {d.pattern: (d.keyword, d.label) for d in parse_java("Steps.java", JAVA.encode()).definitions}
    assert java == {"un client": ("step", "@Étantdonné"), "un panier": ("step", "@Soit"),
                    "rien": ("step", "@And"), "plain": ("given", "")}
    kotlin = {d.pattern: (d.keyword, d.label) for d in parse_kotlin("K.kt", KOTLIN.encode()).definitions}
    assert kotlin == {"je paie": ("step", "@Quand"), "plain kotlin": ("given", "@Given")}
    # A label is no new version of the definition.
    one, = parse_java("A.java", b'public class A {\n  @And("x")\n  public void x() {}\n}\n').definitions
    other, = parse_java("A.java", b'public class A {\n  @But("x")\n  public void x() {}\n}\n').definitions
    assert one.label != other.label and one.content_hash == other.content_hash


def test_the_report_shows_it(git_repo: GitRepo) -> None:
    git_repo.write("features/f.feature", FEATURE)
    git_repo.write("src/test/java/Steps.java", JAVA)
    git_repo.write("src/test/java/Glue.java", GLUE)
    git_repo.write("src/test/kotlin/K.kt", KOTLIN)
    git_repo.commit("localized annotations")
    out = run_cli("steps", str(git_repo.path)).stdout
    assert "@Étantdonné('un client')  # src/test/java/Steps.java:6  (1 uses)" in out
    assert "@Soit('un panier')  # src/test/java/Steps.java:9  (1 uses)" in out
    for unused in ("@And('rien')  # src/test/java/Steps.java:12", "@Given('plain')  # src/test/java/Steps.java:15",
                   "Given('a glue step')  # src/test/java/Glue.java:5",
                   "@Quand('je paie')  # src/test/kotlin/K.kt:5", "@Given('plain kotlin')  # src/test/kotlin/K.kt:8"):
        assert f"  {unused}\n" in out
    assert "@Step(" not in out and "step(" not in out and "given(" not in out


def test_the_row_keeps_it(git_repo: GitRepo, database_url: str) -> None:
    from sqlalchemy import select

    from tracertm.kinds import table
    from tracertm.steps.links import definition_from_row

    git_repo.write("features/f.feature", FEATURE)
    git_repo.write("src/test/java/Steps.java", JAVA)
    git_repo.commit("localized annotations")
    assert not sync(git_repo.path, database_url=database_url).errors
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            rows = list(session.connection().execute(select(table("step_definition"))))
            assert {r.pattern: (r.step_type, definition_from_row(r).label) for r in rows} == {
                "un client": ("step", "@Étantdonné"), "un panier": ("step", "@Soit"), "rien": ("step", "@And"),
                "plain": ("given", "")}
    finally:
        engine.dispose()
