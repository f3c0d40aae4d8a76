"""A feature file's line count and its number of table cells and tags are bounded before gherkin reads it.

gherkin-official spends 10-15 us on every line, cell and tag: ``Feature: x`` and a million blank lines (or lone
CRs), well under ``max_file_size``, took 16-23 s to parse, and 4 MiB of ``|a|a|...`` rows about 18 s, past the
README's "no parse over 10 s". Such a file is now one error at the first line past the limit; files up to the limits
parse as before."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.cli import main
from tracertm.errors import ParseError
from tracertm.parsers.feature import MAX_FEATURE_CELLS_AND_TAGS, MAX_FEATURE_LINES, parse

PATH = "features/x.feature"
HEAD = b"Feature: x\n  Scenario: s\n    * a step\n"


@pytest.mark.parametrize("line_end", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_more_lines_than_the_limit_is_an_error_at_the_first_line_past_it(line_end: bytes) -> None:
    data = HEAD.replace(b"\n", line_end) + line_end * (MAX_FEATURE_LINES + 10)
    with pytest.raises(ParseError) as caught:
        parse(PATH, data)
    error = caught.value
    assert (error.path, error.line) == (PATH, MAX_FEATURE_LINES + 1)
    assert error.message == (
        f"feature file has {MAX_FEATURE_LINES + 13} lines, over the {MAX_FEATURE_LINES}-line limit for feature "
        "files, a fixed limit; split it into several feature files"
    )


def test_a_file_of_exactly_the_limit_parses() -> None:
    # With and without a line end after the last line: the line after the final LF is not a line.
    body = HEAD + b"\n" * (MAX_FEATURE_LINES - 4) + b"    # the end"
    assert body.count(b"\n") + 1 == MAX_FEATURE_LINES
    for data in (body, body + b"\n"):
        (record,) = parse(PATH, data).records
        assert [child.fields["title"] for child in record.children] == ["s"]


def test_more_table_cells_than_the_limit_is_an_error_at_the_row_past_it() -> None:
    row = b"      |" + b" a |" * 20 + b"\n"  # 21 '|'
    rows = MAX_FEATURE_CELLS_AND_TAGS // 21 + 1
    with pytest.raises(ParseError) as caught:
        parse(PATH, HEAD + row * rows)
    error = caught.value
    assert error.line == 3 + (MAX_FEATURE_CELLS_AND_TAGS + 1 + 20) // 21  # the row holding the 200,001st '|'
    assert error.message == (
        f"feature file has {21 * rows} '|' and '@' (table cells and tags), over the limit of "
        f"{MAX_FEATURE_CELLS_AND_TAGS} for feature files, a fixed limit; split it into several feature files"
    )


def test_more_tags_than_the_limit_is_an_error_at_their_line() -> None:
    data = b"Feature: x\n" + b"  @t @t @t @t\n" * 10 + b"  Scenario: s\n    * a\n"
    data = b"@t " * MAX_FEATURE_CELLS_AND_TAGS + b"\n" + data  # line 1 holds the limit's worth of tags
    with pytest.raises(ParseError) as caught:
        parse(PATH, data)
    assert caught.value.line == 3  # the first tag past the limit
    assert f"has {MAX_FEATURE_CELLS_AND_TAGS + 40} '|' and '@'" in caught.value.message


def test_a_table_of_the_limit_parses() -> None:
    row = b"      | a | b | c | d |\n"  # 5 '|'
    data = HEAD + row * (MAX_FEATURE_CELLS_AND_TAGS // 5)
    (record,) = parse(PATH, data).records
    assert record.children[0].fields["given_steps"][0]["text"] == "a step"


def test_check_prints_it_on_one_line(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(PATH, HEAD + b"\r" * 1_000_000)
    git_repo.commit("seed")
    assert main(["check", str(git_repo.path)]) == 1
    out = capsys.readouterr()
    lines = [line for line in (out.out + out.err).splitlines() if line.startswith(PATH)]
    assert lines == [
        f"{PATH}:{MAX_FEATURE_LINES + 1}:0: feature file has 1000003 lines, over the {MAX_FEATURE_LINES}-line limit "
        "for feature files, a fixed limit; split it into several feature files"
    ], lines
