"""``tracertm status`` lists every finding of each file in error, as README says (the JSON's ``diagnostics``): the
text used to show only a file's first error."""

from __future__ import annotations

from conftest import GitRepo, run_cli

# Two rows with the wrong number of cells (lines 6 and 12): two errors of one file.
BROKEN = """Feature: Cells
  Scenario Outline: a
    Given <x>
    Examples:
      | x |
      | 1 | 2 |

  Scenario Outline: b
    Given <y>
    Examples:
      | y |
      | 3 | 4 |
"""


def test_every_error_of_a_file_is_listed(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/cells.feature", BROKEN)
    git_repo.commit("broken")
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 1
    out = run_cli("status", str(git_repo.path), "--database-url", database_url).stdout
    listed = [line.strip() for line in out.splitlines() if line.startswith("  features/cells.feature:")]
    assert [line.split(":")[1] for line in listed] == ["6", "12"], out
