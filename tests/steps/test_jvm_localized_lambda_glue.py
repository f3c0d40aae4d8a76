"""cucumber-java8 generates a lambda-glue interface per Gherkin language (``io.cucumber.java8.Pt``, ``Fr``, ``De``…,
its ``GenerateI18n``, https://github.com/cucumber/cucumber-jvm, MIT), whose step methods are that language's keywords:
a class ``implements Pt`` and writes ``Dado("…", (Integer n) -> …)``, ``Quando``, ``Então`` — in Kotlin with the
trailing lambda. tracertm read the glue of ``En`` alone: such a file had no definitions (its annotations, imported
from ``io.cucumber.java.pt``, were read; its lambdas were not)."""

from __future__ import annotations

from conftest import GitRepo
from tracertm.steps.project import analyze

JAVA = """\
package calculadora;

import io.cucumber.java8.Pt;

public class CalculadoraSteps implements Pt {
    private int total;

    public CalculadoraSteps() {
        Dado("que eu digitei {int} na calculadora", (Integer n) -> {
            total += n;
        });
        Quando("^eu aperto o botão de soma$", () -> {});
        Então("o resultado deve ser {int}", (Integer esperado) -> {});
    }
}
"""

JAVA_STAR = """\
package calculadora;

import io.cucumber.java8.*;

public class MaisSteps implements Pt {
    public MaisSteps() {
        E("que eu limpei a calculadora", () -> {});
    }
}
"""

KOTLIN = """\
package calculadora

import io.cucumber.java8.Pt

class SubtracaoSteps : Pt {
    init {
        Quando("eu aperto o botão de subtração") { }
    }
}
"""

KOTLIN_STAR = """\
package calculadora

import io.cucumber.java8.*

class LimparSteps : Pt {
    init {
        Então("a calculadora está limpa") { }
    }
}
"""

FEATURE = """\
# language: pt
Funcionalidade: Calculadora

  Cenário: somar
    Dado que eu digitei 50 na calculadora
    E que eu limpei a calculadora
    Quando eu aperto o botão de soma
    E eu aperto o botão de subtração
    Então o resultado deve ser 50
"""


def test_a_languages_lambda_glue_defines_steps(git_repo: GitRepo) -> None:
    git_repo.write("src/test/java/calculadora/CalculadoraSteps.java", JAVA)
    git_repo.write("src/test/java/calculadora/MaisSteps.java", JAVA_STAR)
    git_repo.write("src/test/kotlin/calculadora/SubtracaoSteps.kt", KOTLIN)
    git_repo.write("src/test/kotlin/calculadora/LimparSteps.kt", KOTLIN_STAR)
    git_repo.write("features/calculadora.feature", FEATURE)
    git_repo.commit("pt glue")
    report = analyze(git_repo.path)
    assert not report.errors, report.errors
    assert sorted((d.path.rsplit("/", 1)[-1], d.line, d.kind, d.pattern, d.label) for d in report.definitions) == [
        ("CalculadoraSteps.java", 9, "cucumber-expression", "que eu digitei {int} na calculadora", "Dado"),
        ("CalculadoraSteps.java", 12, "regex", "^eu aperto o botão de soma$", "Quando"),
        ("CalculadoraSteps.java", 13, "cucumber-expression", "o resultado deve ser {int}", "Então"),
        ("LimparSteps.kt", 7, "cucumber-expression", "a calculadora está limpa", "Então"),
        ("MaisSteps.java", 7, "cucumber-expression", "que eu limpei a calculadora", "E"),
        ("SubtracaoSteps.kt", 7, "cucumber-expression", "eu aperto o botão de subtração", "Quando"),
    ]
    assert [(r.use.line, r.status) for r in report.results] == [
        (5, "defined"), (6, "defined"), (7, "defined"), (8, "defined"), (9, "defined")]
    params = {d.pattern: [(p.name, p.type) for p in d.parameters] for d in report.definitions}
    assert params["que eu digitei {int} na calculadora"] == [("n", "Integer")]
