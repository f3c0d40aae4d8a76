"""Unicode's bidirectional embedding, override and isolate controls (the "Trojan Source" characters) from a file
name or a title are escaped in every one-line output, as control characters are: printed raw, a right-to-left
override in a file name reverses the rest of the finding's line on a terminal or in a CI log."""

from __future__ import annotations

from conftest import GitRepo, run_cli
from tracertm.output import one_line

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_one_line_escapes_each_bidirectional_control() -> None:
    assert one_line(f"a{BIDI}b") == "a\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069b"
    # Right-to-left text itself, and the invisible marks that only set a neutral's direction, are left as written.
    assert one_line("שלום \u200f عربي \u200e") == "שלום \u200f عربي \u200e"


def test_a_finding_naming_a_file_with_an_override_stays_in_order(git_repo: GitRepo, database_url: str) -> None:
    name = "features/x\u202etxt.feature"
    git_repo.write(name, "Feature: broken\n  Scenario: s\n    Given x\n  Scenario Outline: no examples\n"
                         "    Given <y>\n  Examples\n")
    git_repo.commit("a broken feature")
    done = run_cli("check", str(git_repo.path))
    assert done.returncode == 1, done.stderr
    finding = next(line for line in (done.stdout + done.stderr).splitlines() if "x\\u202etxt.feature" in line)
    assert "\u202e" not in done.stdout + done.stderr, finding
