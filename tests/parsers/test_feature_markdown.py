"""Markdown with Gherkin (``*.feature.md``, read by cucumber-js): a file that a ``feature_paths`` glob names is read
with gherkin-official's ``GherkinInMarkdownTokenMatcher`` — headings for Feature/Rule/Scenario/Examples, bullets for
steps, indented tables, tags in backticks — at the lines of the file. Before, every such file was a list of Gherkin
syntax errors (``expected: #EOF, #Language, #TagLine, #FeatureLine...``)."""

from __future__ import annotations

from pathlib import Path

from conftest import GitRepo, run_cli
from tracertm.config import load_settings
from tracertm.parsers import parse
from tracertm.parsers.paths import feature_number

PATH = "features/cukes.feature.md"
MARKDOWN = """\
# Feature: Staying alive

This is about actually staying alive,
not the Bee Gees song.

`@SC-1` `@approved`
## Scenario: Eating cukes
* Given I have 3 cukes
* When I eat 2 cukes
  | kind  | count |
  | ----- | ----- |
  | green | 2     |
* Then I have 1 cuke

## Rule: Outlines

### Scenario Outline: Many cukes
- Given I have <n> cukes
- Then I am happy

#### Examples:

  | n |
  | --- |
  | 1 |
  | 2 |
"""


def test_a_feature_md_file_parses_with_the_markdown_matcher() -> None:
    result = parse("feature", PATH, MARKDOWN.encode())
    assert result.warnings == ()
    (record,) = result.records
    assert record.number == "cukes" and record.line == 1
    assert record.fields["name"] == "Staying alive"
    assert record.fields["feature_metadata"]["rules"] == ["Outlines"]
    first, second = record.children
    assert (first.number, first.line, first.fields["status"]) == ("SC-1", 7, "approved")
    given = [(s["keyword"], s["text"], s["line"]) for s in first.fields["given_steps"]]
    assert given == [("Given", "I have 3 cukes", 8)]
    (when,) = first.fields["when_steps"]
    table = [["kind", "count"], ["green", "2"]]
    assert (when["text"], when["line"], when["data_table"]) == ("I eat 2 cukes", 9, table)
    assert [s["line"] for s in first.fields["then_steps"]] == [13]
    assert (second.number, second.line, second.fields["is_outline"]) == ("Many cukes", 17, True)
    assert second.fields["examples"][0]["rows"] == [["1"], ["2"]]
    assert second.fields["scenario_metadata"]["rule"] == "Outlines"


def test_a_heading_only_markdown_file_is_a_feature() -> None:
    """``#`` starts a heading in Markdown, not a comment: ``# Feature: x`` alone is a feature without scenarios."""
    (record,) = parse("feature", PATH, b"# Feature: Nothing yet\n").records
    assert (record.fields["name"], record.children) == ("Nothing yet", ())
    assert parse("feature", PATH, b"\n  \n").records == ()


def test_the_derived_id_drops_the_whole_suffix() -> None:
    assert feature_number("features/billing/refund.feature.md") == "billing/refund"
    assert feature_number("features/billing/refund.feature") == "billing/refund"


def test_they_are_features_by_default_as_cucumber_js_reads_them(tmp_path: Path) -> None:
    """cucumber-js's default paths are ``features/**/*.{feature,feature.md}`` (12.8.3, ``paths.js``): its own
    repository's ``features/cli.feature.md`` uses two step definitions, which tracertm called unused. A glob names
    them elsewhere; ``feature_paths`` without one leaves them out."""
    plain = load_settings(tmp_path)
    assert plain.kind_of(PATH) == "feature" and plain.kind_of("features/a.feature") == "feature"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".tracertm.toml").write_text('feature_paths = ["specs/**/*.feature.md"]\n')
    assert load_settings(elsewhere).kind_of("specs/x.feature.md") == "feature"
    only = tmp_path / "only"
    only.mkdir()
    (only / ".tracertm.toml").write_text('feature_paths = ["features/**/*.feature"]\n')
    assert load_settings(only).kind_of(PATH) is None


def test_sync_and_check_read_the_steps_of_a_markdown_feature(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/**/*.feature.md"]\n')
    git_repo.write(PATH, MARKDOWN)
    git_repo.write(
        "features/step_definitions/steps.js",
        "const { Given, When, Then } = require('@cucumber/cucumber');\n"
        "Given('I have {int} cukes', function (n) {});\n"
        "Then('I have {int} cuke', function (n) {});\n"
        "Then('I am happy', function () {});\n",
    )
    git_repo.commit("seed")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    synced = run_cli("sync", str(git_repo.path), "--database-url", url)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    listed = run_cli("list", "scenarios", "--path", str(git_repo.path), "--database-url", url)
    assert "SC-1" in listed.stdout and "Many cukes" in listed.stdout, listed.stdout
    checked = run_cli("check", str(git_repo.path))
    out = checked.stdout + checked.stderr
    about_file = [line for line in out.splitlines() if line.startswith(PATH)]
    # The one step no definition matches, at its line of the Markdown file; nothing else about the file.
    assert len(about_file) == 1 and about_file[0].startswith(f"{PATH}:9:"), out
    assert "I eat 2 cukes" in about_file[0], out


def test_with_no_configuration_their_steps_use_the_definitions(git_repo: GitRepo) -> None:
    """cucumber-js's own repository: ``features/cli.feature.md`` is the one use of two definitions, which ``steps``
    and ``check`` called unused (remove it or use it) — its default paths read ``*.feature.md``, so do ours."""
    git_repo.write(PATH, MARKDOWN)
    git_repo.write("features/step_definitions/steps.js", "const { Given, Then } = require('@cucumber/cucumber');\n"
                   "Given('I have {int} cukes', function (n) {});\nThen('I am happy', function () {});\n")
    git_repo.commit("markdown feature, no configuration")
    listed = run_cli("steps", str(git_repo.path), "--unused")
    assert listed.returncode == 0 and "UNUSED STEP DEFINITIONS[0]" in listed.stdout, listed.stdout + listed.stderr


def test_the_line_of_a_field_is_found_in_the_markdown_file() -> None:
    """The editor links of the web UI and the API (``locate``) read the file as the parser does."""
    from tracertm.repositories.locate import Facts, field_spot

    assert field_spot(MARKDOWN, PATH, "scenario", "title", Facts(number="SC-1")).line == 7
    assert field_spot(MARKDOWN, PATH, "scenario", "when_steps", Facts(number="SC-1")).line == 9
    assert field_spot(MARKDOWN, PATH, "feature", "name", Facts(number="cukes")).line == 1


def test_a_moved_markdown_feature_is_named_after_its_file() -> None:
    from tracertm.engine.moves import named_after

    assert named_after("billing/refund", "features/billing/refund.feature.md")
    assert named_after("billing/refund", "features/billing/refund.feature")
