"""A step pattern is its string literal's value as the language's compiler reads it: Java comments between an
annotation's or a glue call's arguments (``line_comment`` / ``block_comment`` in tree-sitter-java) are skipped (they
made the definition unreadable, and ``sync`` kept the whole file out); escapes per language — Go's and C#'s
``\\U0001F600``, Java's and Go's octal ``\\101``, C#'s ``\\x`` of one to four digits, Java's ``\\s`` — were read as
the letter after the backslash; Java text blocks and C# raw strings were "not a string literal"; an inline ``(?i)``
after the start of a Java or Go regex did not compile in Python; a Go regex Python's ``re`` refuses (RE2 too) was
only a warning."""

from __future__ import annotations

import json

from conftest import GitRepo, run_cli

JAVA_COMMENTS = """package s;
import io.cucumber.java.en.*;
import io.cucumber.java8.En;
public class S implements En {
  @Given(/* the text */ "step one")
  public void a() {}
  @Given(// a line comment
      "step two")
  public void b() {}
  public S() {
    Given(/* pattern */ "step {int}", (Integer n) -> {});
    Given("step four" /* trailing */, () -> {});
  }
}
"""


def _report(git_repo: GitRepo) -> tuple[int, dict[str, object], str]:
    git_repo.commit()
    result = run_cli("steps", str(git_repo.path), "--format", "json")
    return result.returncode, json.loads(result.stdout), result.stderr


def _undefined(report: dict[str, object]) -> list[str]:
    return [step["text"] for step in report["undefined"]]  # type: ignore[index, attr-defined]


def _unused(report: dict[str, object]) -> list[str]:
    return [d["pattern"] for d in report["definitions"] if not d["usage_count"]]  # type: ignore[index, attr-defined]


def test_comments_between_java_arguments_are_skipped(git_repo: GitRepo) -> None:
    git_repo.write("features/r.feature", "Feature: r\n  Scenario: a\n    Given step one\n    Given step two\n"
                                         "    Given step 3\n    Given step four\n")
    git_repo.write("src/test/java/s/S.java", JAVA_COMMENTS)
    code, report, err = _report(git_repo)
    assert code == 0, (report, err)
    assert _undefined(report) == []
    assert _unused(report) == []


def test_escapes_are_read_as_each_language_reads_them(git_repo: GitRepo) -> None:
    git_repo.write("features/g.feature", (
        "Feature: g\n  Scenario: s\n    Given go smile \U0001F600\n    Given cs smile \U0001F600\n"
        "    Given java octal A\n    Given go octal A\n    Given cs hex \u041b\n    Given java space a b\n"
        "    Given go check \u2713\n"))
    git_repo.write("a_test.go", (
        'package main\n\nimport "github.com/cucumber/godog"\n\nfunc InitializeScenario(ctx *godog.ScenarioContext) {\n'
        '\tctx.Step("^go smile \\U0001F600$", func() error { return nil })\n'
        '\tctx.Step("^go octal \\101$", func() error { return nil })\n'
        '\tctx.Step("^go check \\xe2\\x9c\\x93$", func() error { return nil })\n}\n'))
    git_repo.write("StepDefinitions/ESteps.cs", (
        'using Reqnroll;\n[Binding]\npublic class ESteps {\n  [Given("cs smile \\U0001F600")]\n  public void A() {}\n'
        '  [Given("cs hex \\x41B")]\n  public void B() {}\n}\n'))
    git_repo.write("src/test/java/s/S.java", (
        'package s;\nimport io.cucumber.java.en.*;\npublic class S {\n  @Given("java octal \\101")\n'
        '  public void a() {}\n  @Given("java space a\\sb")\n  public void b() {}\n}\n'))
    code, report, err = _report(git_repo)
    assert code == 0, (report, err)
    assert _undefined(report) == []
    assert _unused(report) == []


def test_text_blocks_raw_strings_and_inline_flags(git_repo: GitRepo) -> None:
    git_repo.write("features/r.feature", (
        'Feature: r\n  Scenario: a\n    Given the USER logs in\n    Given go USER logs in\n    Given text block\n'
        '    Given I say "hi"\n    Given two\n'))
    git_repo.write("src/test/java/s/S.java", (
        'package s;\nimport io.cucumber.java.en.*;\npublic class S {\n  @Given("^the (?i)user logs in$")\n'
        '  public void a() {}\n  @Given("""\n      text block""")\n  public void tb() {}\n}\n'))
    git_repo.write("s_test.go", (
        'package s\nimport "github.com/cucumber/godog"\nfunc InitializeScenario(ctx *godog.ScenarioContext) {\n'
        '  ctx.Step(`^go (?i)user logs in$`, func() {})\n}\n'))
    git_repo.write("StepDefinitions/RSteps.cs", (
        'using Reqnroll;\n[Binding]\npublic class RSteps {\n  [Given("""I say "hi" """)]\n  public void A() {}\n'
        '  [Given("""\n      two\n      """)]\n  public void B() {}\n}\n'))
    code, report, err = _report(git_repo)
    # The C# raw string keeps its trailing space: Reqnroll's expression is "I say \"hi\" ", which no step matches.
    assert _undefined(report) == ['I say "hi"'], (report, err)
    assert _unused(report) == ['I say "hi" ']
    assert code == 0, err


def test_a_go_regex_that_does_not_compile_is_an_error(git_repo: GitRepo) -> None:
    git_repo.write("features/g.feature", "Feature: g\n  Scenario: s\n    Given I have 5 apples\n")
    git_repo.write("a_test.go", (
        'package main\n\nimport "github.com/cucumber/godog"\n\nfunc InitializeScenario(ctx *godog.ScenarioContext) {\n'
        '\tctx.Step(`^I have (\\d+ apples$`, func(n int) error { return nil })\n}\n'))
    git_repo.commit()
    result = run_cli("check", str(git_repo.path))
    assert result.returncode == 1, result.stdout
    assert "a_test.go:6:" in result.stdout and "regex does not compile in Go: missing )" in result.stdout
    assert "warning: step definition '^I have" not in result.stdout


def test_an_inline_flag_holds_for_the_later_alternatives_of_its_group() -> None:
    """``a(?i)b|c``: the flag holds to the end of its group, every later alternative included (Java, Go, Ruby,
    .NET); it was scoped over ``b|c``, which made ``a(b|c)`` of it."""
    import re

    from tracertm.steps.regex import translate

    source, flags = translate("^I log (?i)in$|^sign on$", "", "java")
    pattern = re.compile(source, flags)
    assert all(pattern.search(text) for text in ("I log IN", "sign on", "SIGN ON"))
    assert not pattern.search("I LOG in")
    source, flags = translate("(x(?i)y|z)w", "", "go")
    assert [bool(re.fullmatch(source, t, flags)) for t in ("xYw", "Zw", "Xyw", "xw")] == [True, True, False, False]
