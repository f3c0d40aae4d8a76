"""Step files in encodings other than UTF-8. A Python step file is read as CPython reads the module (PEP 263: the
encoding its coding comment on line 1 or 2 names; a UTF-8 byte-order mark allows no other), so a Latin-1 module's
``@given("café {n:d}")`` matches the feature's ``Given café 3``. Before, tracertm read every step file as UTF-8: the
Latin-1 module was an error ("invalid UTF-8 … save the file as UTF-8") and its steps undefined, a UTF-8 file whose
comment names Latin-1 kept a pattern Python does not register, and a module Python refuses to import (an encoding
it does not know, a byte-order mark beside a Latin-1 comment) was read. What Python cannot read is a one-line
``path:line:col`` error of that file; the rest of the project counts and the database keeps what it had for it.
JavaScript, TypeScript and Java step files are read as UTF-8 as before, a byte-order mark accepted; invalid UTF-8
there is the same one-line error.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import GitRepo, run_cli
from raw_sql import set_marker, sql
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.parsers.common import decode_text
from tracertm.repositories.locate import read_text
from tracertm.steps import parsing, source_text
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.python_source import python_text

FEATURE = "Feature: F\n  Scenario: s\n    Given café 3\n"
LATIN_1 = (b'# -*- coding: latin-1 -*-\nfrom behave import given\n\n@given("caf\xe9 {n:d}")\n'
           b'def caf\xe9(c, n):\n    pass\n')
STEP = "features/steps/latin.py"

# Byte sources and what CPython makes of them (``ast.parse`` of the bytes: what ``import`` reads), each read by
# ``python_text`` then ``ast.parse`` of the text.
SOURCES = [
    b'# -*- coding: latin-1 -*-\nx = "caf\xe9"\n',
    b'#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-15 :\nx = "\xa4"\n',
    b'# coding=cp1252\r\nx = "\x80"\r\n',
    b'  # coding: euc-jp\nx = "\xa4\xa2"\n',
    b'\x0c# coding: shift_jis\nx = "\x83\\"\n',
    b"\n# coding: latin-1\nx = 'caf\xe9'\n",
    b"# caf\xe9 in a comment Python reads as bytes\n# coding: latin-1\nx = 'caf\xe9'\n",  # tokenize refuses it
    b"# coding: latin-1 caf\xe9\nx = 'caf\xe9'\n",
    b"# coding: latin-1\nx = 'caf\xc3\xa9'\n",  # UTF-8 bytes: Python reads them in Latin-1
    b"# coding: UTF_8\nx = 'caf\xc3\xa9'\n",
    b"# coding: utf8\nx = 'caf\xc3\xa9'\n",
    b"\xef\xbb\xbfx = 'caf\xc3\xa9'\n",
    b"\xef\xbb\xbf# coding: utf-8\nx = 'caf\xc3\xa9'\n",
    b"# coding:\n# coding: latin-1\nx = 'caf\xe9'\n",  # no name on line 1: line 2's counts
    b"#!/usr/bin/python\r# coding: latin-1\rx = 'caf\xe9'",  # CR line ends; no line end at the end
    b"# coding: latin-1\r\n# coding: ascii\r\nx = 'caf\xe9'\r\n",  # the first comment counts
    b"x = 'caf\xe9' # coding: latin-1\n",  # a comment after code names nothing
    b"# coding: utf-16\nx = 1\n",  # read in UTF-16, as Python does: not Python then
]
# Sources CPython refuses to compile for their encoding (SyntaxError), with the place tracertm gives.
REFUSED = [
    (b"# coding: latin-42\nx = 1\n", (1, 11), "the coding comment names latin-42, which is no text encoding Python "
                                              "knows; Python cannot import the module"),
    (b"# coding: rot13\nx = 1\n", (1, 11), "names rot13, which is no text encoding"),
    (b"#!/usr/bin/python\n# coding: base64\nx = 1\n", (2, 11), "names base64, which is no text encoding"),
    (b"\xef\xbb\xbf# coding: latin-1\r\nx = 1\r\n", (1, 11), "byte-order mark and its coding comment names latin-1"),
    (b"\xef\xbb\xbf# coding: utf8\nx = 1\n", (1, 11), "byte-order mark and its coding comment names utf8"),
    (b"# coding: ascii\n\nx = 'caf\xe9'\n", (3, 9), "invalid ascii at byte offset 25, the encoding its coding "
                                                    "comment names; Python cannot import the module"),
    (b"# coding: cp1252\nx = '\x81'\n", (2, 6), "invalid cp1252 at byte offset 22"),
    (b"x = 1\n# coding: latin-1\nx = 'caf\xe9'\n", (3, 9), "invalid UTF-8 at byte offset 32"),  # too late
    (b"# coding: latin-42", (1, 11), "names latin-42"),  # no line end: compile adds one
    (b"\n\n# coding: latin-1\nx = 'caf\xe9'\n", (4, 9), "invalid UTF-8 at byte offset 28"),
]


@pytest.mark.parametrize("data", SOURCES)
def test_python_text_is_what_cpython_reads(data: bytes) -> None:
    try:
        expected = ast.dump(ast.parse(data))
    except SyntaxError:
        with pytest.raises((ParseError, SyntaxError)):
            ast.parse(python_text("steps.py", data))
        return
    assert ast.dump(ast.parse(python_text("steps.py", data))) == expected


@pytest.mark.parametrize(("data", "place", "message"), REFUSED)
def test_what_cpython_cannot_read_is_an_error_at_its_place(data: bytes, place: tuple[int, int], message: str
                                                          ) -> None:
    with pytest.raises(SyntaxError):
        ast.parse(data)
    with pytest.raises(ParseError) as raised:
        parse_step_file("features/steps/a.py", data)
    assert (raised.value.line, raised.value.column) == place and message in raised.value.message, raised.value


def test_a_latin_1_step_module_is_read_in_latin_1() -> None:
    definition, = parse_step_file(STEP, LATIN_1).definitions
    assert (definition.pattern, definition.function, definition.line) == ("café {n:d}", "café", 4)
    # A UTF-8 file whose comment names Latin-1 registers the pattern Python reads, not the UTF-8 one.
    mojibake = LATIN_1.replace(b"\"caf\xe9", "\"café".encode())
    assert parse_step_file(STEP, mojibake).definitions[0].pattern == "cafÃ© {n:d}"


def test_check_and_steps_match_the_latin_1_pattern(git_repo: GitRepo) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write(STEP, LATIN_1)
    git_repo.commit("a Latin-1 step module")
    check = run_cli("check", str(git_repo.path))
    assert check.returncode == 0 and "invalid UTF-8" not in check.stdout + check.stderr, check.stdout
    steps = run_cli("steps", str(git_repo.path)).stdout
    assert "@given('café {n:d}')  # features/steps/latin.py:4  (1 uses)\n  Given café 3  # features/a.feature:3" \
        in steps
    # check --staged reads the index's blobs the same way.
    git_repo.write(STEP, LATIN_1.replace(b"{n:d}", b"{count:d}"))
    git_repo.git("add", "-A")
    staged = run_cli("check", "--staged", str(git_repo.path))
    assert staged.returncode == 0 and "1 parsed: 0 errors" in staged.stdout + staged.stderr, staged.stdout
    git_repo.write(STEP, LATIN_1.replace(b"latin-1", b"latin-42"))
    git_repo.git("add", "-A")
    staged = run_cli("check", "--staged", str(git_repo.path))
    assert staged.returncode == 1
    assert "features/steps/latin.py:1:15: the coding comment names latin-42" in staged.stdout + staged.stderr


def test_sync_keeps_a_file_python_cannot_read_as_it_was(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write(STEP, LATIN_1)
    git_repo.write("features/steps/other.py",
                   "from behave import given\n\n@given('other')\ndef other(c):\n    pass\n")
    git_repo.commit("a Latin-1 step module")
    assert not sync(git_repo.path, database_url=database_url).errors
    rows = "SELECT pattern, usage_count, deleted_at IS NULL FROM step_definitions ORDER BY pattern"
    assert sql(database_url, rows) == [("café {n:d}", 1, True), ("other", 0, True)]
    git_repo.write(STEP, LATIN_1.replace(b"latin-1", b"latin-42").replace(b"{n:d}", b"{m:d}"))
    git_repo.write("features/steps/other.py", git_repo.read("features/steps/other.py").replace("other'", "another'"))
    git_repo.commit("an encoding Python does not know")
    result = sync(git_repo.path, database_url=database_url)
    assert [(e.path, e.line, e.column) for e in result.errors] == [(STEP, 1, 15)]
    assert sql(database_url, rows) == [("another", 0, True), ("café {n:d}", 1, True)]


def test_a_database_the_former_parsers_synced_reads_it_at_the_next_sync(
    git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's unchanged blob was recorded in error: the version of the parsers (``parser_output``) makes the
    next plain sync, the fast path's too, parse it again."""
    from tracertm.engine.parsed_by import PARSER_OUTPUT, PARSER_OUTPUT_KEY

    git_repo.write("features/a.feature", FEATURE)
    git_repo.write(STEP, LATIN_1)
    git_repo.commit("a Latin-1 step module")
    with monkeypatch.context() as former:  # the former parsers read every step file as UTF-8
        former.setattr(source_text, "python_text", decode_text)
        assert [e.message for e in sync(git_repo.path, database_url=database_url).errors] == [
            "invalid UTF-8 at byte offset 63; save the file as UTF-8"]
    set_marker(database_url, PARSER_OUTPUT_KEY, PARSER_OUTPUT - 1)
    assert not sync(git_repo.path, database_url=database_url).errors
    assert sql(database_url, "SELECT pattern, usage_count FROM step_definitions") == [("café {n:d}", 1)]


@pytest.mark.parametrize(("path", "source"), [
    ("features/step_definitions/a.steps.js", "const { Given } = require('@cucumber/cucumber');\nGiven('café {int}', "
                                             "() => {});\n"),
    ("features/step_definitions/a.steps.ts", "import { Given } from '@cucumber/cucumber';\nGiven('café {int}', "
                                             "() => {});\n"),
    ("src/test/java/Steps.java", "import io.cucumber.java.en.Given;\npublic class Steps {\n  @Given(\"café {int}\")"
                                 "\n  public void cafe(int n) {}\n}\n"),
])
def test_utf8_languages_take_a_byte_order_mark_and_refuse_invalid_utf8(path: str, source: str) -> None:
    plain = parse_step_file(path, source.encode()).definitions
    with_bom, = parse_step_file(path, b"\xef\xbb\xbf" + source.encode()).definitions
    assert (with_bom.pattern, with_bom.line, with_bom.column) == ("café {int}", plain[0].line, plain[0].column)
    latin = source.encode("latin-1")
    with pytest.raises(ParseError) as raised:
        parse_step_file(path, latin)
    offset = latin.index(b"\xe9")
    assert raised.value.message == f"invalid UTF-8 at byte offset {offset}; save the file as UTF-8"
    assert raised.value.line == plain[0].line


def test_the_line_finder_reads_a_python_file_as_the_parser_does(tmp_path: Path) -> None:
    (tmp_path / "features" / "steps").mkdir(parents=True)
    (tmp_path / STEP).write_bytes(LATIN_1)
    assert read_text(tmp_path, STEP) == LATIN_1.decode("latin-1")


def test_a_latin_1_environment_sets_the_step_matcher() -> None:
    """behave's environment.py is read as Python imports it too: the matcher it leaves is every step module's."""
    environment = b"# coding: latin-1\n# caf\xe9\nfrom behave import use_step_matcher\nuse_step_matcher('re')\n"
    assert parsing.environment_matchers([("features/environment.py", environment)]) == {"features": "re"}
