"""Go, Ruby and C# step files as their frameworks read them: a Ginkgo ``When`` is no godog step, RE2's ``\\Q…\\E``
quotes, a cucumber-ruby parameter type takes an array of regexps and refuses the options cucumber refuses, and a
Reqnroll attribute with no expression (method-name matching, which tracertm does not read) is said once. A Ruby
pattern may name a constant of the top level or of an enclosing module/class body, as Ruby looks it up."""

from __future__ import annotations

from conftest import GitRepo, run_cli

FEATURE = """Feature: m
  Scenario: s
    Given I have entered 50 into the calculator
    And the shade is dark
    And the colour is RED
    When the cache is empty
    Then quote a.b+c here
"""


def test_go_ruby_and_csharp_step_files_read_as_their_frameworks_read_them(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write("StepDefinitions/CalcSteps.cs", (
        "using Reqnroll;\n[Binding]\npublic class CalcSteps {\n"
        "    [Given] public void Given_I_have_entered_P0_into_the_calculator(int number) { }\n}\n"))
    git_repo.write("features/step_definitions/a.rb", (
        "ParameterType(name: 'shade', regexp: [/dark/, /light/], transformer: ->(s){s})\n"
        "ParameterType(name: 'colour', regexp: /RED|BLUE/i, transformer: ->(s){s})\n"
        "Given('the shade is {shade}') do |s| end\n"
        "Given('the colour is {colour}') do |s| end\n"))
    git_repo.write("godogs/steps_test.go", (
        'package godogs\nimport "github.com/cucumber/godog"\n'
        "func InitializeScenario(ctx *godog.ScenarioContext) {\n"
        "\tctx.When(`^the cache is empty$`, cacheEmpty)\n"
        "\tctx.Step(`^quote \\Qa.b+c\\E here$`, quote)\n}\n"))
    git_repo.write("pkg/cache/cache_test.go", (  # Ginkgo: its When is a spec container, not a step
        'package cache_test\nimport ("github.com/onsi/ginkgo/v2"; "github.com/onsi/gomega")\n'
        'var _ = ginkgo.Describe("Cache", func() {\n'
        '\tginkgo.When("cache", func() { ginkgo.It("x", func() { gomega.Expect(1).To(gomega.Equal(1)) }) })\n})\n'))
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    out = result.stdout
    rb = "features/step_definitions/a.rb"
    assert result.returncode == 1, out
    assert f"{rb}:2:1: parameter type 'colour' cannot be used: ParameterType Regexps can't use option " \
        "Regexp::IGNORECASE" in out
    assert f"{rb}:4:1: step definition 'the colour is {{colour}}' uses the parameter type {{colour}}, which cannot " \
        f"be used: see {rb}:2" in out
    assert out.count("has no expression: Reqnroll matches the method's name") == 1, out
    assert "StepDefinitions/CalcSteps.cs:4:6: warning: [Given] on Given_I_have_entered_P0_into_the_calculator()" in out
    # The array type, the godog regexes (one quoted with \Q…\E) match; nothing of the Ginkgo file is a definition.
    for text in ("the shade is dark", "the cache is empty", "quote a.b+c here"):
        assert text not in out, out
    assert "pkg/cache" not in out
    steps = run_cli("steps", str(git_repo.path), "--format", "json")
    assert "cache_test.go" not in steps.stdout


def test_a_go_file_that_imports_godog_under_another_name_is_read() -> None:
    from tracertm.steps.golang import parse

    aliased = (b"// Copyright header\npackage godogs\n\nimport g \"github.com/cucumber/godog\"\n\n"
               b"func InitializeScenario(ctx *g.ScenarioContext) {\n\tctx.When(`^the cache is empty$`, empty)\n}\n")
    assert [d.pattern for d in parse("a_test.go", aliased).definitions] == ["^the cache is empty$"]
    ginkgo = b'package c\nimport "github.com/onsi/ginkgo/v2"\nvar _ = ginkgo.When("godog", func() {})\n'
    assert parse("c_test.go", ginkgo).definitions == ()


RUBY_CONSTANTS = """\
P = 'a thing'
R = /^a regex (\\d+)$/i
F = 'frozen thing'.freeze
TWICE = 'x'
TWICE = 'y'
NUM = 5
module Steps
  Q = 'module thing'
  class Inner
    Given(Q) do end
    Given(P) do end
  end
end
Given(R) do |n| end
Given(F) do end
Given(Steps::Q) do end
Given(TWICE) do end
Given(NUM) do end
Given(BELOW) do end
Given(Q) do end
BELOW = 'below'
"""


def test_a_ruby_constant_is_read_as_ruby_looks_it_up() -> None:
    from tracertm.steps.ruby import parse

    read = parse("features/step_definitions/s.rb", RUBY_CONSTANTS.encode())
    assert [(d.line, d.kind, d.pattern, d.flags) for d in read.definitions] == [
        (10, "cucumber-expression", "module thing", ""), (11, "cucumber-expression", "a thing", ""),
        (14, "regex", "^a regex (\\d+)$", "i"), (15, "cucumber-expression", "frozen thing", ""),
        (16, "cucumber-expression", "module thing", ""),
    ]
    # What Ruby itself says (NameError, a warning and the last value) is an error at the definition.
    assert [(e.line, e.message.split(" cannot be read: the pattern is ")[1].split(";")[0].split(" —")[0])
            for e in read.errors] == [
        (17, "the constant TWICE, which the file assigns more than once"),
        (18, "a constant whose value (5, line 6) is not a literal"),
        (19, "the constant BELOW, assigned only below it (line 21): Ruby raises NameError here"),
        (20, "the constant Q, which this file does not assign where Ruby looks it up from there (its enclosing "
             "module and class bodies, the top level)"),
    ]
