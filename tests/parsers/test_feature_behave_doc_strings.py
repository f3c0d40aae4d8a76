"""A doc string between ``'''`` lines: behave's second delimiter, which gherkin (cucumber, pytest-bdd) does not know.

behave's parser (behave/parser.py, ``Parser.action_steps``; since behave 1.2.x in 2011) opens a doc string at a
line starting with ``\"\"\"`` or ``'''`` after a step, and closes it only at a line starting with the same three
characters. gherkin-official reads ``'''`` as an unexpected line, so a behave project's file using it was refused
whole (its records not synced, ``check`` failing) although behave runs it. tracertm reads such a doc string as
gherkin reads a ``\"\"\"`` one — the same content, lines and columns, the media type after the delimiter — without
gherkin's ``\\\"\\\"\\\"`` unescaping (behave has none), and warns at the opening delimiter: cucumber and pytest-bdd
would refuse the file.
"""

from __future__ import annotations

import textwrap

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from conftest import GitRepo
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models.specification import Scenario
from tracertm.parsers.feature import parse
from tracertm.repositories.locate import Facts
from tracertm.repositories.locate_gherkin import gherkin_spot

PATH = "features/docs.feature"
WARNING = (
    "a doc string between ''' lines: behave reads it, cucumber and pytest-bdd (gherkin) refuse the file; "
    'write """ if they run it'
)


def src(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode("utf-8")


Q3 = '"' * 3
BEHAVE = "\n".join([
    "Feature: Docs",
    "  Scenario: one",
    "    Given a file with:",
    "      '''json",
    '      {"a": 1}',
    "        indented",
    f"      {Q3}",
    "      " + "\\" + '"' + "\\" + '"' + "\\" + '"',
    "      '''",
    "    When I read it",
    "    Then it has:",
    f"      {Q3}",
    "      '''",
    f"      {Q3}",
    "",
]).encode()
CONTENT = '{"a": 1}\n  indented\n' + Q3 + '\n\\"\\"\\"'


def test_a_single_quoted_doc_string_is_read_as_behave_reads_it_with_a_warning_at_its_delimiter() -> None:
    result = parse(PATH, BEHAVE)
    (record,) = result.records
    (child,) = record.children
    given, when, then = child.fields["given_steps"], child.fields["when_steps"], child.fields["then_steps"]
    # Content as behave's: the delimiter's indentation removed, a """ line and an escaped one kept as written.
    assert given == [
        {"keyword": "Given", "text": "a file with:", "line": 3,
         "doc_string": {"content": CONTENT, "media_type": "json"}},
    ]
    assert [s["line"] for s in when] == [10]
    # A ''' line inside a """ doc string is content, as in behave and gherkin.
    assert then == [{"keyword": "Then", "text": "it has:", "line": 11,
                     "doc_string": {"content": "'''", "media_type": None}}]
    # The stored text is the file's, as written (from the scenario's line).
    assert child.fields["gherkin_text"] == BEHAVE.decode().split("\n", 1)[1].rstrip("\n")
    assert [(w.line, w.column, w.message) for w in result.warnings] == [(4, 7, WARNING)]


def test_rewriting_the_delimiters_changes_no_content_hash() -> None:
    behave = src(
        """
        Feature: Docs
          Scenario: one
            Given a file with:
              '''
              text
                more
              '''
        """
    )
    cucumber = behave.replace(b"'''", b'"""')
    (single,), (double,) = parse(PATH, behave).records, parse(PATH, cucumber).records
    assert single.children[0].fields["given_steps"] == double.children[0].fields["given_steps"]
    assert single.children[0].content_hash == double.children[0].content_hash
    assert single.content_hash == double.content_hash
    assert parse(PATH, cucumber).warnings == ()


def test_the_closing_delimiter_must_be_the_opening_one() -> None:
    # Opened by ''' : a """ line is content; the file ends inside the doc string, which gherkin reports.
    data = src(
        """
        Feature: Docs
          Scenario: one
            Given x
              '''
              a
              \"\"\"
            Then y
        """
    )
    with pytest.raises(ParseError) as caught:
        parse(PATH, data)
    messages = [(d.line, d.severity, d.message) for d in caught.value.diagnostics]
    assert (4, "warning", WARNING) in messages
    assert any(severity == "error" and "unexpected end of file" in message for _, severity, message in messages)


def test_a_background_doc_string_and_a_rule_too() -> None:
    data = src(
        """
        Feature: Docs
          Background:
            Given a config:
              '''
              on
              '''
          Rule: r
            Scenario: s
              Then a log:
                '''
                done
                '''
        """
    )
    result = parse(PATH, data)
    (record,) = result.records
    assert record.fields["background"] == 'Given a config:\n  """\n  on\n  """'
    (child,) = record.children
    assert child.fields["then_steps"][0]["doc_string"] == {"content": "done", "media_type": None}
    assert [w.line for w in result.warnings] == [4, 10]


def test_a_single_quoted_line_elsewhere_stays_what_gherkin_says() -> None:
    # Where no doc string may start (a description), ''' is description text, as before; a Markdown feature
    # (cucumber-js) knows no ''' either: there such lines are Markdown prose.
    data = src(
        """
        Feature: Docs
          '''
          Scenario: s
            Given x
        """
    )
    assert parse(PATH, data).warnings == ()
    markdown = parse("features/docs.feature.md", b"# Feature: Docs\n## Scenario: s\n* Given x\n  '''\n  a\n  '''\n")
    (record,) = markdown.records
    assert "doc_string" not in record.children[0].fields["given_steps"][0]
    assert markdown.warnings == ()


def test_the_web_pages_line_lookup_reads_the_file_too() -> None:
    # repositories.locate_gherkin parses the file again to find a field's line: it must accept it as the parser did.
    assert gherkin_spot(BEHAVE.decode(), "scenario", "then_steps", Facts(number="one"), PATH).line == 11


def test_check_accepts_the_file_and_prints_the_warning(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write(PATH, BEHAVE)
    git_repo.commit("seed")
    assert main(["check", str(git_repo.path)]) == 0
    out = capsys.readouterr()
    lines = [line for line in (out.out + out.err).splitlines() if line.startswith(PATH)]
    assert lines == [f"{PATH}:4:7: warning: {WARNING}"], lines


def test_sync_stores_the_scenario_and_a_rewrite_to_double_quotes_is_no_new_version(
    git_repo: GitRepo, engine: Engine
) -> None:
    git_repo.write(PATH, BEHAVE)
    git_repo.commit("seed")
    result = sync(git_repo.path, engine=engine, project="p")
    assert not result.errors, result.errors
    assert [(w.path, w.line) for w in result.warnings] == [(PATH, 4)]
    with engine.connect() as conn:
        row = conn.execute(select(Scenario.gherkin_text, Scenario.given_steps, Scenario.then_steps)).one()
    assert row.gherkin_text == BEHAVE.decode().split("\n", 1)[1].rstrip("\n")
    assert row.given_steps[0]["doc_string"]["content"] == CONTENT
    assert row.then_steps[0]["doc_string"]["content"] == "'''"

    plain = "Feature: Docs\n  Scenario: one\n    Given a file with:\n      '''\n      text\n      '''\n"
    git_repo.write(PATH, plain)
    git_repo.commit("plain")
    sync(git_repo.path, engine=engine, project="p")
    git_repo.write(PATH, plain.replace("'''", '"""'))
    git_repo.commit("cucumber's delimiters")
    result = sync(git_repo.path, engine=engine, project="p")
    assert not result.errors and not result.warnings
    with engine.connect() as conn:
        row = conn.execute(select(Scenario.gherkin_text, Scenario.version)).one()
    # The stored text follows the file.
    assert row.gherkin_text == plain.replace("'''", '"""').split("\n", 1)[1].rstrip("\n")
    assert row.version == 2  # the plain file made version 2; the new delimiters changed no content
