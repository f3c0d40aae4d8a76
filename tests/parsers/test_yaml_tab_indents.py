"""A tab that indents YAML (a contract, an ADR's front matter) is an error that says so and what to do.

Editors set to tabs write them; YAML indents with spaces only, and PyYAML's words at the tab ("found character that
cannot start any token") name neither the tab nor the fix. The error stays at the tab's line and column, one line.
"""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.cli import main
from tracertm.errors import ParseError
from tracertm.parsers import parse
from tracertm.parsers.records import ParserOptions

HINT = "(a tab: YAML indents with spaces only; replace the tab with spaces)"


def _error(kind: str, path: str, text: str) -> str:
    with pytest.raises(ParseError) as caught:
        parse(kind, path, text.encode(), ParserOptions())  # type: ignore[arg-type]
    (diagnostic,) = caught.value.diagnostics
    return str(diagnostic)


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("id: CTR-1\ntitle: T\nmetadata:\n\towner: payments\n", "4:1", "cannot start any token"),
        ("id: CTR-1\ntitle: T\ndescription: |\n\tfirst line\n", "4:1", "a tab character where an indentation"),
    ],
)
def test_a_contract_indented_with_a_tab(text: str, where: str, problem: str) -> None:
    error = _error("contract", "contracts/pay.yaml", text)
    assert error.startswith(f"contracts/pay.yaml:{where}: error: YAML syntax error: ") and problem in error
    assert error.endswith(HINT)


def test_front_matter_indented_with_a_tab() -> None:
    error = _error("adr", "docs/adr/0001-x.md", "---\nstatus: accepted\ndeciders:\n\t- Ann\n---\n# 1. X\n")
    assert error.startswith("docs/adr/0001-x.md:4:1: error: malformed YAML front matter: ")
    assert error.endswith(f"cannot start any token {HINT}; fix the block between '---' lines")


def test_an_error_elsewhere_on_a_line_with_a_tab_has_no_hint() -> None:
    error = _error("contract", "contracts/pay.yaml", 'id: CTR-1\ntitle: "a\tb" x\n')
    assert error.startswith("contracts/pay.yaml:2:14: error: YAML syntax error:") and "tab" not in error


def test_check_says_it_in_one_line(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("contracts/pay.yaml", "id: CTR-1\ntitle: Pay\nmetadata:\n\towner: payments\n")
    git_repo.commit("a tab")
    assert main(["check", str(git_repo.path)]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("contracts/pay.yaml:4:1: ") and line.endswith(HINT)
