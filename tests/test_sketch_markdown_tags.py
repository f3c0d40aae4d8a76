"""``check`` (and the hook's ``check --staged``) points a finding about a scenario's ``@ADR-n`` tag at the tag, also
in Markdown with Gherkin (``*.feature.md``), where a tag is written in backticks above a ``## Scenario:`` heading
(``sketches._tag_place``). Before, the Gherkin reading found no tag there (a heading is no keyword line for it,
a backtick no tag) and every such finding pointed at the scenario's heading, column 1."""

from __future__ import annotations

from conftest import GitRepo, run_cli

FEATURE = """\
# Feature: Refunds

`@approved`
`@ADR-0099`
## Scenario: Full refund
* Given a paid order

Prose, then tags: `@ADR-0098` `@wip`
### Scenario: Partial refund
- Given a paid order
"""


def test_a_markdown_scenario_tag_finding_points_at_the_tag(git_repo: GitRepo) -> None:
    git_repo.write(".tracertm.toml", 'feature_paths = ["features/**/*.feature.md"]\n')
    git_repo.commit("seed")
    git_repo.write("features/refunds.feature.md", FEATURE)
    git_repo.git("add", "-A")  # staged, for the hook's check --staged
    for staged in ((), ("--staged",)):
        checked = run_cli("check", *staged, str(git_repo.path))
        found = sorted(line.split(": ", 1)[0] for line in checked.stdout.splitlines() if "refers to ADR-" in line)
        expected = ["features/refunds.feature.md:4:2", "features/refunds.feature.md:8:20"]
        assert found == expected, (staged, checked.stdout + checked.stderr)
