"""Kotlin patterns read as kotlinc folds them: string templates (``"$NAME"``, ``"${Obj.NAME}"``, ``${'$'}``) and
the file's own string constants (``const val``; the ``val`` s of the top level, objects and companion objects),
by name, ``Obj.NAME``, ``Steps.Companion.NAME`` or qualified by the package. Before, a regular string's
``"$NAME …"`` was read as the text ``$NAME …`` (tree-sitter-kotlin gives no template node for it there): a
definition that silently never matched. A name that is not a constant of this file, a template of an expression,
and a class's own ``val`` are errors at the annotation. Patterns that fold constants past four times the file's
size are errors too (Java as well): a few kilobytes must not make gigabytes of patterns."""

from __future__ import annotations

from conftest import GitRepo
from tracertm.engine.sync import sync
from tracertm.steps import java, kotlin
from tracertm.steps.project import analyze

SOURCE = '''package com.acme
import io.cucumber.java.en.Given
import io.cucumber.java.en.Then
import io.cucumber.java.ParameterType
import io.cucumber.java8.En
const val PREFIX = "the user"
private const val SUFFIX: String = " logs in"
object Patterns {
    const val LOGIN = PREFIX + SUFFIX
    val PLAIN = "it rains"
    const val COLOR = "red|blue"
}
class Steps : En {
    companion object {
        const val COUNT = "^I have (\\\\d+) items\\$"
        const val SELF = "$SELF x"
    }
    val INSTANCE = "per instance"
    @Given(Patterns.LOGIN)
    fun login() {}
    @Given("$PREFIX sees ${Patterns.COLOR.length}")
    fun expression() {}
    @Given(Steps.Companion.COUNT)
    fun count(n: Int) {}
    @Given("$PREFIX picks {color} and {shade}")
    fun picks(c: String, s: String) {}
    @Given(com.acme.PREFIX + " waits")
    fun waits() {}
    @Given("""^it costs (\\d+)${'$'}""")
    fun costs(n: Int) {}
    @Given("a $UNKNOWN b")
    fun unknown() {}
    @Given(SELF)
    fun self() {}
    @Given(INSTANCE)
    fun instance() {}
    @ParameterType(Patterns.COLOR)
    fun color(v: String) = v
    init {
        Then(Patterns.PLAIN) { -> }
        ParameterType("shade", "dark|${'$'}light") { v: String -> v }
    }
}
'''


def test_templates_and_constants_of_the_file_are_read() -> None:
    file = kotlin.parse("src/test/kotlin/Steps.kt", SOURCE.encode())
    assert [(d.function, d.kind, d.pattern) for d in file.definitions] == [
        ("login", "cucumber-expression", "the user logs in"),
        ("count", "regex", r"^I have (\d+) items$"),
        ("picks", "cucumber-expression", "the user picks {color} and {shade}"),
        ("waits", "cucumber-expression", "the user waits"),
        ("costs", "regex", r"^it costs (\d+)$"),
        ("", "cucumber-expression", "it rains"),
    ]
    assert [(t.name, t.regexps) for t in file.parameter_types] == [("color", ("red|blue",)),
                                                                     ("shade", ("dark|$light",))]
    assert [(e.line, e.message.split(" cannot")[0]) for e in file.errors] == [
        (21, "@Given on expression()"), (31, "@Given on unknown()"), (33, "@Given on self()"),
        (35, "@Given on instance()")]
    assert all("nor a string constant of this file" in e.message for e in file.errors)


def test_a_dollar_that_starts_no_template_is_itself() -> None:
    source = ('import io.cucumber.java.en.Given\nclass S {\n    @Given("costs \\$5, $ 6 and 7$")\n    fun a() {}\n'
              '    @Given("""^raw (\\d+)$""")\n    fun b() {}\n}\n')
    file = kotlin.parse("S.kt", source.encode())
    assert [d.pattern for d in file.definitions] == ["costs $5, $ 6 and 7$", r"^raw (\d+)$"]
    assert not file.errors


def test_steps_match_patterns_made_of_templates(git_repo: GitRepo) -> None:
    git_repo.write("features/login.feature",
                   "Feature: Login\n  Scenario: in\n    Given the user logs in\n    And I have 3 items\n"
                   "    And the user picks red and dark\n    Then it rains\n")
    git_repo.write("src/test/kotlin/Steps.kt", SOURCE)
    git_repo.commit("kotlin steps")
    report = analyze(git_repo.path)
    assert sorted(r.status for r in report.results) == ["defined"] * 4
    result = sync(git_repo.path, database_url=f"sqlite:///{git_repo.path.parent / 'kotlin.db'}")
    assert {e.path for e in result.errors} == {"src/test/kotlin/Steps.kt"}


def test_constants_folded_past_the_budget_are_an_error() -> None:
    big = "x" * 20_000
    many = " + ".join(["BIG"] * 200)  # 4 MB of pattern per annotation, from a file of ~25 kB
    annotations = "".join(f"    @Given(MANY)\n    fun f{i}() {{}}\n" for i in range(50))
    kt = (f'import io.cucumber.java.en.Given\nconst val BIG = "{big}"\nconst val MANY = {many}\nclass S {{\n'
          f'{annotations}    @Given("short")\n    fun g() {{}}\n}}\n')
    file = kotlin.parse("S.kt", kt.encode())
    assert len(file.definitions) <= 1 and len(file.errors) >= 50
    assert "over four times the file's size" in file.errors[-1].message
    java_source = (f'import io.cucumber.java.en.*;\nclass S {{\n  static final String BIG = "{big}";\n'
                   f'  static final String MANY = {many};\n'
                   + "".join(f"  @Given(MANY) public void f{i}() {{}}\n" for i in range(50)) + "}\n")
    jfile = java.parse("S.java", java_source.encode())
    assert len(jfile.definitions) <= 1 and len(jfile.errors) >= 49
    assert "over four times the file's size" in jfile.errors[-1].message
