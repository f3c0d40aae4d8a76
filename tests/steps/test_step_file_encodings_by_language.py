"""Step files of the other languages in the encoding their own tool reads them in (``steps.source_text``).

Ruby loads a file in the encoding its magic comment names (``# encoding: iso-8859-1``, the Emacs and vim forms) on
line 1, or line 2 below ``#!``: cucumber-ruby's Latin-1 step file defines its steps. Before, tracertm read it as
UTF-8 and refused it ("invalid UTF-8 at byte offset …"), every step it defines shown undefined. A name Ruby refuses
(``latin-1``, ``utf-16``) is a one-line error there, as Ruby's load is; a pattern written with characters that are
not ASCII in such a file is an error of its own (cucumber-ruby cannot match it: ``Encoding::CompatibilityError``).

csc reads a C# file saved as UTF-16 (a byte-order mark, as Visual Studio may save it) and kotlinc a Kotlin one in
UTF-16 or UTF-32: tracertm refused both ("the file is UTF-16 (little-endian) text; save it as UTF-8").

Where Ruby is installed, the comments found are compared with the encoding Ruby loads each file in (``.ci/run``
installs it and sets ``TRACERTM_REQUIRE_RUBY=1``, so that there a missing Ruby fails instead of skipping).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo, run_cli
from raw_sql import sql
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.repositories.locate import read_text
from tracertm.steps.parsing import parse_step_file
from tracertm.steps.project import analyze
from tracertm.steps.ruby_encodings import CODECS, NOT_ASCII, ruby_encoding
from tracertm.steps.ruby_source import ruby_text

def needs_ruby(test: Any) -> Any:
    """Skip ``test`` where Ruby is not installed, unless ``TRACERTM_REQUIRE_RUBY=1`` (CI) makes that a failure."""
    if shutil.which("ruby") is not None or os.environ.get("TRACERTM_REQUIRE_RUBY") == "1":
        return test
    return pytest.mark.skip(reason="Ruby is not installed")(test)


RUBY_STEP = "features/step_definitions/drinks.rb"
# cucumber-ruby's i18n example, in Latin-1: ASCII patterns, text that is not ASCII in the blocks.
RUBY_LATIN_1 = (b'# encoding: iso-8859-1\n# Sk\xe5l!\nGiven(/^I drink an? "([^"]*)"$/) do |drink|\n'
                b'  drink == "\xf8l"\nend\n\n  Then "they say {string}" do |greeting|\n'
                b'  greeting == "sk\xe5l"\nend\n')
FEATURE = ('Feature: F\n  Scenario: s\n    Given I drink a "øl"\n    Then they say "skål"\n    Given I sip a "øl"\n'
           '    Then they cheer "skål"\n    Given I gulp a "øl"\n    Then they shout "skål"\n')

# Files Ruby loads (their head, then ``puts __ENCODING__``) and the encoding it loads each in, "ERR" when it refuses
# them (from Ruby 3.1's ``ruby -e 'load ARGV[0]'``; compared with the Ruby installed, when there is one).
HEADS = [
    (b"# encoding: iso-8859-1\n", "ISO-8859-1"),
    (b"# -*- coding: windows-1252 -*-\n", "Windows-1252"),
    (b"# -*- mode: ruby; Coding: cp1252 -*-\n", "Windows-1252"),
    (b"# -*- coding: cp1252; encoding: koi8-r -*-\n", "KOI8-R"),
    (b"# -*-coding:koi8-r-*-\n", "KOI8-R"),
    (b"# vim: set fileencoding=iso-8859-1 :\n", "ISO-8859-1"),
    (b"#!/usr/bin/env ruby\n# encoding: iso-8859-1\n", "ISO-8859-1"),
    (b"   # ENCODING: iso-8859-1\n", "ISO-8859-1"),
    (b"\t\v# coding: cp1252\n", "Windows-1252"),
    (b"\xef\xbb\xbf# encoding: iso-8859-1\n", "ISO-8859-1"),  # the byte-order mark is skipped, the comment counts
    (b"# encoding: iso-8859-1 more\n", "ISO-8859-1"),  # no magic comment: "coding: NAME" in it counts
    (b"# frozen_string_literal: true; coding: cp1252\n", "Windows-1252"),
    (b"# coding : iso-8859-1\n", "ISO-8859-1"),
    (b"# encoding: cp1252-dos\n", "Windows-1252"),  # Emacs's line-end suffix
    (b'# -*- encoding: "iso-8859-1" -*-\n', "ISO-8859-1"),
    (b"# encoding:iso-8859-1\r\n", "ISO-8859-1"),
    (b"# encoding: sjis\n", "Windows-31J"),
    (b"#coding:ascii\n", "US-ASCII"),
    (b"# encoding: binary\n", "ASCII-8BIT"),
    (b"# encoding: CP65001\n", "UTF-8"),
    (b"\n# encoding: iso-8859-1\n", "UTF-8"),  # line 2 below no #!
    (b"# hello\n# encoding: iso-8859-1\n", "UTF-8"),
    (b"#!/bin/ruby\n\n# coding: cp1252\n", "UTF-8"),
    (b"\xef\xbb\xbf#!/usr/bin/ruby\n# encoding: iso-8859-1\n", "UTF-8"),  # after a byte-order mark, no shebang
    (b"x = 1 # coding: cp1252\n", "UTF-8"),
    (b"# xcoding: iso-8859-1\n", "UTF-8"),
    (b"# CODING=eucjp\n", "UTF-8"),
    (b"# coding; cp1252\n", "UTF-8"),
    (b"# encoding: latin-1\n", "ERR"),  # Python's name, not Ruby's
    (b"# encoding: iso_8859_1\n", "ERR"),
    (b"# encoding: utf-16\n", "ERR"),
    (b"# encoding: ucs-2be\n", "ERR"),
    (b"# -*- coding: cp1252; encoding: nope -*-\n", "ERR"),
    (b"# encoding: 'cp1252'\n", "ERR"),
]
# Files Ruby cannot load, or tracertm cannot decode, with the place and message of their error.
REFUSED = [
    (b"# encoding: latin-1\nx = 1\n", (1, 13), "the magic comment names latin-1, which is no encoding Ruby knows; "
                                               "Ruby cannot load the file — name the file's encoding as Ruby spells "
                                               "it (iso-8859-1, windows-1252), or save it as UTF-8 and remove the "
                                               "comment"),
    (b"#!/usr/bin/ruby\n# -*- coding: utf-16le -*-\n", (2, 15), "the magic comment names utf-16le, which Ruby "
                                                                "refuses for source code (not ASCII-compatible)"),
    (b"# encoding: emacs-mule\n", (1, 13), "the magic comment names emacs-mule (Emacs-Mule), which tracertm cannot "
                                           "decode; its step definitions are not read — save the file as UTF-8"),
    (b"# encoding: us-ascii\n\nGiven('caf\xe9') do\nend\n", (3, 11),
     "invalid us-ascii at byte offset 32, the encoding its magic comment names; save the file in us-ascii or name "
     "its encoding"),
    (b"# hello\n# encoding: iso-8859-1\nGiven('caf\xe9') do\nend\n", (3, 11), "invalid UTF-8 at byte offset 41"),
]


def _loaded_by_ruby(tmp_path: Path, source: bytes) -> str:
    """The encoding the Ruby installed loads ``source`` in, "ERR" when it refuses it."""
    path = tmp_path / "f.rb"
    path.write_bytes(source)
    script = 'begin; load ARGV[0]; rescue Exception; puts "ERR"; end'
    return subprocess.run(["ruby", "-e", script, str(path)], capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip()


@pytest.mark.parametrize(("head", "expected"), HEADS)
def test_the_encoding_is_the_one_ruby_loads_the_file_in(head: bytes, expected: str) -> None:
    try:
        found = ruby_text("a.rb", head + b"puts __ENCODING__\n").encoding or "UTF-8"
    except ParseError:
        found = "ERR"
    assert found == expected


@needs_ruby
def test_ruby_loads_the_files_in_those_encodings(tmp_path: Path) -> None:
    assert [_loaded_by_ruby(tmp_path, head + b"puts __ENCODING__\n") for head, _ in HEADS] == [e for _, e in HEADS]


@needs_ruby
def test_the_table_of_encodings_is_ruby_s() -> None:
    # The names of no file's encoding (``internal`` may name none at all) are left out, as the parser leaves them.
    script = ('(Encoding.name_list - %w[external internal locale filesystem]).each { |n| e = Encoding.find(n); '
              'puts [n, e.name, e.ascii_compatible?].join("\\t") }')
    listing = subprocess.run(["ruby", "-e", script], capture_output=True, text=True, check=True, timeout=60).stdout
    rows = [line.split("\t") for line in listing.splitlines()]
    assert [(name, ruby_encoding(name), ruby_encoding(name) not in NOT_ASCII) for name, _, _ in rows] == [
        (name, canonical, compatible == "true") for name, canonical, compatible in rows]
    assert {ruby_encoding(name) for name, _, compatible in rows if compatible == "true"} == set(CODECS)


def test_a_latin_1_ruby_step_file_is_read_in_latin_1() -> None:
    step_file = parse_step_file(RUBY_STEP, RUBY_LATIN_1)
    assert not step_file.errors
    assert [(d.pattern, d.line, d.column) for d in step_file.definitions] == [
        ('^I drink an? "([^"]*)"$', 3, 1), ("they say {string}", 7, 3)]
    # Below a shebang, in the Emacs form, after a byte-order mark: the same definitions, a line further down or not.
    for head, shift in ((b"#!/usr/bin/env ruby\n", 1), (b"\xef\xbb\xbf", 0)):
        moved = parse_step_file(RUBY_STEP, head + RUBY_LATIN_1.replace(b"# encoding: iso-8859-1",
                                                                       b"# -*- coding: iso-8859-1 -*-"))
        assert [(d.pattern, d.line, d.column) for d in moved.definitions] == [
            (d.pattern, d.line + shift, d.column) for d in step_file.definitions]


def test_a_pattern_ruby_cannot_match_is_an_error_of_its_own() -> None:
    """A pattern with characters that are not ASCII, in a file Ruby reads in Latin-1, raises
    Encoding::CompatibilityError at cucumber-ruby's first step that has one: an error, the other definitions kept."""
    source = (b"# encoding: iso-8859-1\nGiven('caf\xe9 {int}') do |n|\nend\nGiven(/^plain$/) do\nend\n"
              b"ParameterType(name: 'drink', regexp: /\xf8l|beer/, transformer: ->(s) { s })\n")
    step_file = parse_step_file(RUBY_STEP, source)
    assert [d.pattern for d in step_file.definitions] == ["^plain$"] and not step_file.parameter_types
    assert [(e.line, e.column) for e in step_file.errors] == [(2, 7), (6, 38)]
    assert step_file.errors[0].message.startswith(
        "this pattern holds characters that are not ASCII in ISO-8859-1, the encoding the file's magic comment "
        "names: cucumber-ruby cannot match it against the feature's steps, which are UTF-8 "
        "(Encoding::CompatibilityError)")
    # In UTF-8 the same text is a definition; in Latin-1 a \u escape is UTF-8 to Ruby too.
    utf8 = source.decode("latin-1").replace("# encoding: iso-8859-1", "").encode()
    assert [d.pattern for d in parse_step_file(RUBY_STEP, utf8).definitions] == ["café {int}", "^plain$"]
    escaped = source.replace(b"'caf\xe9 {int}'", b'"caf\\u00e9 {int}"')
    assert [d.pattern for d in parse_step_file(RUBY_STEP, escaped).definitions] == ["café {int}", "^plain$"]


@pytest.mark.parametrize(("data", "place", "message"), REFUSED)
def test_what_ruby_cannot_load_is_an_error_at_its_place(data: bytes, place: tuple[int, int], message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_step_file(RUBY_STEP, data)
    assert (raised.value.line, raised.value.column) == place and message in raised.value.message, raised.value
    assert "\n" not in raised.value.message


CSHARP = ('using Reqnroll;\n\n[Binding]\npublic class Drinks\n{\n    [Given(@"I sip an? ""(.*)""")]\r\n'
          '    public void Drink(string drink) { }\n\n'
          '    [Then("they cheer {string}")] public void Cheer(string s) { }\n}\n')
KOTLIN = ('package steps\n\nimport io.cucumber.java.en.Given\nimport io.cucumber.java.en.Then\n\nclass Drinks {\n'
          '    @Given("I gulp a {string}")\n    fun gulp(d: String) {}\n\n    @Then("they shout {string}")\n'
          '    fun say(s: String) { println("skål") }\n}\n')
WIDE = [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-32-le", b"\xff\xfe\x00\x00"),
        ("utf-32-be", b"\x00\x00\xfe\xff")]


@pytest.mark.parametrize(("path", "source", "read"), [
    ("StepDefinitions/Drinks.cs", CSHARP, {"utf-16-le", "utf-16-be"}),  # csc: no UTF-32
    ("src/test/kotlin/Drinks.kt", KOTLIN, {"utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"}),
    ("src/test/java/Drinks.java", 'public class Drinks {\n  @Given("a {string}")\n  public void a(String s) {}\n}\n',
     set()),
    ("features/step_definitions/drinks.js", "Given('a {string}', function (s) {});\n", set()),
    ("features/step_definitions/drinks.rb", "Given('a {string}') do |s|\nend\n", set()),
])
def test_a_wide_file_is_read_where_its_compiler_reads_it(path: str, source: str, read: set[str]) -> None:
    expected = [(d.pattern, d.line, d.column) for d in parse_step_file(path, source.encode()).definitions]
    assert expected
    for codec, mark in WIDE:
        data = mark + source.encode(codec)
        if codec in read:
            step_file = parse_step_file(path, data)
            assert [(d.pattern, d.line, d.column) for d in step_file.definitions] == expected and not step_file.errors
        else:
            with pytest.raises(ParseError, match="text; save it as UTF-8"):
                parse_step_file(path, data)


def test_a_wide_file_with_a_nul_character_is_binary() -> None:
    with pytest.raises(ParseError) as raised:
        parse_step_file("StepDefinitions/Drinks.cs", b"\xff\xfe" + "using Reqnroll;\r\n\x00".encode("utf-16-le"))
    assert (raised.value.line, raised.value.message) == (2, "binary content (NUL character at byte offset 36); not "
                                                             "a text spec file")


def test_steps_match_the_definitions_of_files_in_other_encodings(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/a.feature", FEATURE)
    git_repo.write(RUBY_STEP, RUBY_LATIN_1)
    git_repo.write("StepDefinitions/Drinks.cs", b"\xff\xfe" + CSHARP.encode("utf-16-le"))
    git_repo.write("src/test/kotlin/Drinks.kt", b"\xfe\xff" + KOTLIN.encode("utf-16-be"))
    git_repo.commit("step files in Latin-1 and UTF-16")
    report = analyze(git_repo.path)
    assert not report.errors and not report.undefined()
    steps = run_cli("steps", str(git_repo.path)).stdout
    assert "Then('they say {string}')  # features/step_definitions/drinks.rb:7  (1 uses)" in steps, steps
    assert 'Given(/^I drink an? "([^"]*)"$/)  # features/step_definitions/drinks.rb:3  (1 uses)' in steps, steps
    assert "# StepDefinitions/Drinks.cs:6" in steps and "# src/test/kotlin/Drinks.kt:7" in steps, steps
    assert read_text(git_repo.path, RUBY_STEP) == RUBY_LATIN_1.decode("latin-1")
    assert read_text(git_repo.path, "StepDefinitions/Drinks.cs") == CSHARP.replace("\r\n", "\n")
    assert not sync(git_repo.path, database_url=database_url).errors
    rows = "SELECT implementation_path, line, usage_count FROM step_definitions ORDER BY implementation_path, line"
    assert sql(database_url, rows) == [
        ("StepDefinitions/Drinks.cs", 6, 1), ("StepDefinitions/Drinks.cs", 9, 1),
        (RUBY_STEP, 3, 1), (RUBY_STEP, 7, 1),
        ("src/test/kotlin/Drinks.kt", 7, 1), ("src/test/kotlin/Drinks.kt", 10, 1)]
    # A name Ruby does not know: one error of that file, its rows kept.
    git_repo.write(RUBY_STEP, RUBY_LATIN_1.replace(b"iso-8859-1", b"latin-1"))
    git_repo.commit("Python's name")
    result = sync(git_repo.path, database_url=database_url)
    assert [(e.path, e.line, e.column) for e in result.errors] == [(RUBY_STEP, 1, 13)]
    assert sql(database_url, rows)[2:4] == [(RUBY_STEP, 3, 1), (RUBY_STEP, 7, 1)]
