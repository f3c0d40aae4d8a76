"""A feature file's steps, expanded as a check runs them and a sync stores them, are bounded: at most
``MAX_FEATURE_STEPS`` steps (the Background's in every scenario, an outline's once per Examples row) and
``MAX_FEATURE_STEP_CHARACTERS`` characters, past which the file is one error at the scenario or Examples row where it
passes the limit, and the database keeps what it had.

Before, a 575-byte outline whose Examples values named the next column (``<c1><c1>``: gherkin fills column by column,
so each column doubled the step) took a check 8.7 s and 1 GB and printed a 134 MB warning line; 1,000 steps times
1,000 Examples rows (a 32 KB file) took a check 54 s and 932 MB; a 1,000-step Background and 1,000 scenarios (32 KB)
made a 134 MB database. Filling stays gherkin's, column by column (``tests/steps/test_outline_fill.py``)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from conftest import GitRepo
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.parsers.feature import MAX_FEATURE_STEP_CHARACTERS, MAX_FEATURE_STEPS, parse
from tracertm.parsers.feature_limits import Header, Row, Template, fill_cost, filled
from tracertm.steps.scenarios import feature_uses

PATH = "features/x.feature"
DEFINITION = "features/step_definitions/s.js"
STEPS_MESSAGE = (
    "feature file has {total} steps once its scenarios are expanded (the Background's in every scenario, an "
    f"outline's once per Examples row), over the limit of {MAX_FEATURE_STEPS} for feature files, a fixed limit; "
    "split it into several feature files"
)
CHARACTERS_MESSAGE = (
    f"feature file's steps come to more than {MAX_FEATURE_STEP_CHARACTERS} characters once its scenarios are "
    "expanded (the Background's in every scenario, an outline's once per Examples row, with the row's values put "
    "in), over the limit for feature files, a fixed limit; split it into several feature files or shorten its "
    "Examples values"
)


def _chained(columns: int) -> bytes:
    """One step, one row whose every value names the next column twice: the step doubles with each column."""
    names = [f"c{i}" for i in range(columns)]
    values = [f"<c{i + 1}><c{i + 1}>" for i in range(columns - 1)] + ["x"]
    return (
        "Feature: f\n  Scenario Outline: s\n    Given v <c0>\n    Examples:\n"
        f"      | {' | '.join(names)} |\n      | {' | '.join(values)} |\n"
    ).encode()


def _outline(steps: int, rows: int) -> bytes:
    lines = ["Feature: f", "  Scenario Outline: s", *(f"    Given s{i} <a>" for i in range(steps)),
             "    Examples:", "      | a |", *(f"      | {i} |" for i in range(rows))]
    return ("\n".join(lines) + "\n").encode()


def _background(steps: int, scenarios: int) -> bytes:
    lines = ["Feature: f", "  Background:", *(f"    Given b{i}" for i in range(steps)),
             *(f"  Scenario: s{i}" for i in range(scenarios))]
    return ("\n".join(lines) + "\n").encode()


def _error(data: bytes) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse(PATH, data)
    return caught.value


def test_values_naming_later_columns_are_an_error_at_the_row_in_bounded_time() -> None:
    started = time.perf_counter()
    error = _error(_chained(60))  # 2**59 characters, had it been filled
    assert time.perf_counter() - started < 5
    assert (error.path, error.line, error.column, error.message) == (PATH, 6, 0, CHARACTERS_MESSAGE)


def test_a_background_filled_by_such_a_row_counts_too() -> None:
    """behave and pytest-bdd fill an outline row into the Background's steps as well (``StepUse.filled``): a
    Background step of ``<c0>`` doubles with each column as the outline's own would (it counted as written: the file
    parsed, and a behave project's match built a 2**59-character text until the 10,000,000 cap of each fill)."""
    data = _chained(60).replace(b"  Scenario Outline: s\n    Given v <c0>\n",
                                b"  Background:\n    Given b <c0>\n  Scenario Outline: s\n    Given v\n")
    started = time.perf_counter()
    error = _error(data)
    assert time.perf_counter() - started < 5
    assert (error.path, error.line, error.message) == (PATH, 8, CHARACTERS_MESSAGE)
    below = _chained(10).replace(b"  Scenario Outline: s\n    Given v <c0>\n",
                                 b"  Background:\n    Given b <c0>\n  Scenario Outline: s\n    Given v\n")
    background, own = feature_uses(parse(PATH, below))
    assert (background.text, background.filled, own.text) == ("b <c0>", "b " + "x" * 2**9, "v")


def test_values_naming_later_columns_below_the_limit_are_filled_as_gherkin_fills_them() -> None:
    (use,) = feature_uses(parse(PATH, _chained(10)))
    assert use.text == "v " + "x" * 2**9


def test_outline_steps_times_rows_past_the_limit_is_an_error_at_the_first_row_past_it() -> None:
    rows = MAX_FEATURE_STEPS // 1000
    error = _error(_outline(1000, rows + 1))
    assert error.line == 1004 + rows + 1  # 1,000 steps from line 3, Examples, its header, then the rows
    assert error.message == STEPS_MESSAGE.format(total=1000 * (rows + 1))


def test_outline_steps_times_rows_at_the_limit_parses() -> None:
    result = parse(PATH, _outline(1000, MAX_FEATURE_STEPS // 1000))
    assert len(feature_uses(result)) == MAX_FEATURE_STEPS


def test_background_times_scenarios_past_the_limit_is_an_error_at_the_scenario_past_it() -> None:
    error = _error(_background(1000, 1000))  # scenarios without steps: their records still store the Background
    passing = MAX_FEATURE_STEPS // 1000  # the scenario whose Background passes the limit (0-based)
    assert error.line == 3 + 1000 + passing
    assert error.message == STEPS_MESSAGE.format(total=1000 * 1000)
    (record,) = parse(PATH, _background(1000, passing)).records
    assert len(record.children) == passing


def test_a_long_value_in_many_placeholders_is_an_error_at_its_row() -> None:
    data = f"Feature: f\n  Scenario Outline: s\n    Given {'<a>' * 10_000}\n    Examples:\n      | a |\n" \
        f"      | {'v' * 40_000} |\n".encode()
    assert _error(data).line == 6
    small = data.replace(b"<a>" * 10_000, b"<a>" * 100)  # 4 MB once filled
    (use,) = feature_uses(parse(PATH, small))
    assert use.text == "v" * 4_000_000


def test_background_doc_strings_count_in_every_scenario() -> None:
    doc = "      x\n" * 2_000  # 2,000 lines of 'x' in a doc string
    head = f'Feature: f\n  Background:\n    Given b\n      """\n{doc}      """\n'
    per_scenario = len("b") + len("x\n" * 2_000) - 1
    fits = MAX_FEATURE_STEP_CHARACTERS // per_scenario
    scenarios = "".join(f"  Scenario: s{i}\n" for i in range(fits + 1))
    error = _error((head + scenarios).encode())
    assert (error.line, error.message) == (5 + 2_000 + 1 + fits, CHARACTERS_MESSAGE)


@pytest.mark.parametrize("names", [5, 40])  # a few placeholders (str.replace each) and many (one regex pass)
def test_filled_equals_replacing_column_by_column(names: int) -> None:
    columns = [f"n{i}" for i in range(names)] + ["n0", "other"]  # a repeated name: the first column wins
    template = Template(" ".join(f"<n{i}>" for i in range(names, -1, -1)) + " <missing> <other> <n0>")
    header = Header(columns)
    for last in ("<n1>", "plain"):  # a value naming an earlier column (replaced in turn: left as it is), or not
        values = [f"v{i}" * i for i in range(names)] + ["repeated", last]
        expected = template.text
        for name, value in zip(columns, values):
            expected = expected.replace(f"<{name}>", value)
        row = Row(header, values)
        assert filled(template, row) == expected
        cost = fill_cost(template, row, 10**9)
        assert cost is not None and cost >= len(template.text) + len(expected)
        assert fill_cost(template, row, len(template.text)) is None


def test_sync_reports_the_file_on_one_line_and_keeps_its_records(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write(DEFINITION, "const { Given } = require('@cucumber/cucumber');\nGiven('v {int}', () => {});\n")
    git_repo.write(PATH, _background(2, 2))
    git_repo.commit("seed")
    assert not sync(git_repo.path, database_url=database_url).errors
    git_repo.write(PATH, _chained(28))
    git_repo.commit("hostile")
    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 1
    out = capsys.readouterr()
    assert [line for line in (out.out + out.err).splitlines() if line.startswith(PATH)] == [
        f"{PATH}:6:0: {CHARACTERS_MESSAGE}"
    ]
    engine = create_engine(db.parse_url(database_url))
    try:
        with engine.connect() as conn:
            scenarios = conn.execute(text("SELECT scenario_number FROM scenarios WHERE deleted_at IS NULL")).all()
            versions = conn.execute(text("SELECT version FROM features WHERE deleted_at IS NULL")).all()
    finally:
        engine.dispose()
    assert sorted(row[0] for row in scenarios) == ["s0", "s1"]
    assert [row[0] for row in versions] == [1]


def test_check_prints_it_on_one_line(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(DEFINITION, "const { Given } = require('@cucumber/cucumber');\nGiven('v {int}', () => {});\n")
    git_repo.write(PATH, _outline(1000, 1000))
    git_repo.commit("seed")
    assert main(["check", str(git_repo.path)]) == 1
    out = capsys.readouterr()
    rows = MAX_FEATURE_STEPS // 1000
    assert [line for line in (out.out + out.err).splitlines() if line.startswith(PATH)] == [
        f"{PATH}:{1004 + rows + 1}:0: {STEPS_MESSAGE.format(total=1_000_000)}"
    ]
