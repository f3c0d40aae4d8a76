"""An empty report file (nothing, only whitespace, only a byte-order mark: a test job that died before writing)
is refused as empty: the error used to be "unknown report format …; name it: junit, … (--format)", advice that
cannot help, since no format makes an empty file a report. Nothing is imported."""

from __future__ import annotations

import pytest

from conftest import GitRepo, run_cli
from specs import adr
from tracertm.errors import ParseError
from tracertm.results.formats import parse_report


@pytest.mark.parametrize("data", [b"", b"  \n\t\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n"],
                         ids=["empty", "whitespace", "bom", "bom-newline"])
def test_an_empty_file_is_an_empty_report(data: bytes) -> None:
    with pytest.raises(ParseError, match=r"^junit.xml:1:0: empty file: no test report in it; nothing was imported"):
        parse_report("junit.xml", data)


def test_a_file_that_is_no_format_still_names_the_formats() -> None:
    with pytest.raises(ParseError, match=r"unknown report format.*--format"):
        parse_report("results.txt", b"  PASS test_a\n")


def test_import_of_an_empty_file_imports_nothing(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "A"))
    git_repo.commit("seed")
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 0
    report = git_repo.write("junit.xml", b"")

    result = run_cli("results", "import", str(report), "--project", "repo", "--commit", git_repo.head(),
                     "--database-url", database_url)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "empty file: no test report in it" in lines[0], result.stderr
    runs = run_cli("results", "runs", "--project", "repo", "--database-url", database_url)
    assert runs.stdout.strip() == "no runs"
