"""Hostile values in spec files, each an error (or, for an ADR's front matter, a warning) of one line naming the file
and the line, never a crash, a stored Python repr or a value no database holds:

- a YAML escape writing a NUL character (``"\\0"``, ``"\\x00"``...) or a lone surrogate, in a contract or an ADR's
  front matter (PostgreSQL refused the NUL and failed the whole sync; SQLite stored it);
- ADR front matter values of the wrong shape (``status: [a, b]``, ``tags: [[a, b]]``, ``deciders: {a: 1}``), which
  became Python reprs (``"['a', 'b']"``);
- integers too long to be numbers (a 5,000-character message ending with Python's ``set_int_max_str_digits`` advice,
  or an internal parser error for an id, a mention or a hex number);
- positions of invalid UTF-8 / NUL bytes in a file with a UTF-8 BOM (3 bytes short) or lone-CR line ends (line 1);
- a UTF-16 file, which is text in another encoding, not "binary content".
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from conftest import GitRepo
from specs import SPEC_TABLES, adr, contract, dump, feature
from tracertm import parsers
from tracertm.checker import check
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.errors import ParseError
from tracertm.models import ADR, Contract
from tracertm.parsers import _yaml

CONTRACT = "contracts/hostile.yaml"
ADR_PATH = "docs/adr/0001-hostile.md"
FEATURE = "features/hostile.feature"
NUL = "holds a NUL character"


def _error(kind: str, path: str, data: bytes) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parsers.parse(kind, path, data)
    error = caught.value
    assert "\n" not in str(error) and all("\n" not in str(d) for d in error.diagnostics)
    return error


def _errors(error: ParseError) -> list[tuple[int, int, str]]:
    return [(d.line, d.column, d.message) for d in error.diagnostics if d.severity == "error"]


def _no_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, dict):
        return all(_no_nul(k) and _no_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_no_nul(v) for v in value)
    return True


# ---------------------------------------------------------------------------------------------------------- 1. NUL


@pytest.mark.parametrize("escape", ["\\0", "\\x00", "\\u0000", "\\U00000000"])
def test_a_nul_escape_in_a_contract_title_is_an_error_at_the_escape(escape: str) -> None:
    error = _error("contract", CONTRACT, f'id: CTR-0001\ntitle: "a{escape}b"\n'.encode())
    assert [(line, column) for line, column, _ in _errors(error)] == [(2, 10)]
    assert NUL in error.message and "which no database stores; remove it" in error.message
    assert str(error).startswith(f"{CONTRACT}:2:10: ")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        pytest.param('id: CTR-1\nmetadata: {note: "x\\x00y"}\n', [(2, 20)], id="metadata-value"),
        pytest.param('id: CTR-1\nmetadata:\n  "k\\0": 1\n', [(3, 5)], id="key"),
        pytest.param('id: CTR-1\ntags: [a, "b\\0"]\n', [(2, 13)], id="list-item"),
        pytest.param('id: CTR-1\nmetadata:\n  long: "first\n    then \\0 here"\n', [(4, 10)], id="second-line"),
        pytest.param('id: CTR-1\nmetadata:\n  a: &x "\\0"\n  b: *x\n  c: *x\n', [(3, 10)], id="alias-once"),
        pytest.param('id: CTR-1\nspec: {language: x, source: "\\0"}\n', [(2, 30)], id="spec-source"),
        pytest.param('openapi: 3.0.3\ninfo: {title: "T\\0", version: "1"}\npaths: {}\n', [(2, 17)], id="openapi"),
        pytest.param('id: CTR-1\ntitle: "\\0"\n---\nid: CTR-2\ntitle: "\\x00"\n', [(2, 9), (5, 9)], id="documents"),
    ],
)
def test_every_nul_escape_of_a_contract_is_an_error_at_its_line(text: str, where: list[tuple[int, int]]) -> None:
    error = _error("contract", CONTRACT, text.encode())
    assert [(line, column) for line, column, message in _errors(error) if NUL in message] == where


@pytest.mark.parametrize(
    "text",
    ['title: "a\\\\0b"', "title: 'a\\0b'", "title: a\\0b", "title: |\n  a\\0b"],
)
def test_a_backslash_zero_that_is_no_nul_escape_is_text(text: str) -> None:
    result = parsers.parse("contract", CONTRACT, f"id: CTR-1\n{text}\n".encode())
    assert result.records[0].fields["title"] == "a\\0b"


def test_a_lone_surrogate_escape_is_an_error_with_the_pure_python_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """libyaml refuses ``"\\ud800"`` itself (a YAML syntax error); PyYAML's Python loader builds the lone surrogate,
    which no UTF-8 (hence no database) holds."""
    monkeypatch.setattr(_yaml, "LOADER", yaml.SafeLoader)
    error = _error("contract", CONTRACT, b'id: CTR-1\ntitle: "a\\ud800"\n')
    assert _errors(error)[0][:2] == (2, 10) and "lone surrogate" in error.message


@pytest.mark.parametrize(
    ("front_matter", "where"),
    [
        pytest.param('title: "x\\0y"\nstatus: accepted', [(2, 10)], id="title"),
        pytest.param('status: accepted\ncustom: {a: ["\\x00"]}', [(3, 15)], id="nested"),
        pytest.param('status: accepted\n"k\\0": v', [(3, 3)], id="key"),
    ],
)
def test_a_nul_escape_in_adr_front_matter_is_an_error_at_its_line(
    front_matter: str, where: list[tuple[int, int]]
) -> None:
    error = _error("adr", ADR_PATH, f"---\n{front_matter}\n---\n# 1. Hostile\n".encode())
    assert [(line, column) for line, column, message in _errors(error) if NUL in message] == where
    assert str(error).startswith(f"{ADR_PATH}:{where[0][0]}:")


def test_a_feature_never_holds_a_nul() -> None:
    """Gherkin has no escape that writes a NUL (a table cell knows ``\\n``, ``\\|`` and ``\\\\`` only), and a NUL
    byte is binary content: a feature's fields never hold one."""
    text = (
        'Feature: f \\0\n  Scenario: s \\x00\n    Given a "\\0"\n      | c \\0 | \\u0000 |\n'
        '    When b\n      """\n      \\0\n      """\n'
    )
    result = parsers.parse("feature", FEATURE, text.encode())
    assert all(_no_nul(record.fields) for record in result.records)
    assert all(_no_nul(child.fields) for record in result.records for child in record.children)
    assert "binary content" in _error("feature", FEATURE, b"Feature: f\x00\n").message


def test_sync_refuses_only_the_files_with_a_nul_and_check_agrees(
    git_repo: GitRepo, engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The repro: on PostgreSQL the NUL failed the whole sync (no file synced), SQLite stored it. Now both files are
    errors at the escape's line, in ``check`` and ``sync`` alike, and every other file syncs."""
    git_repo.write("contracts/ok.yaml", "id: CTR-0001\ntitle: Fine\n")
    git_repo.write("contracts/nul.yaml", 'id: CTR-0920\ntitle: "a\\0b"\nmetadata: {note: "x\\x00y"}\n')
    git_repo.write("docs/adr/0001-ok.md", "---\nstatus: accepted\n---\n# 1. Fine\n")
    git_repo.write("docs/adr/0916-nul.md", '---\ntitle: "x\\0y"\nstatus: accepted\n---\n')
    git_repo.commit("nul escapes")

    code = main(["check", str(git_repo.path), "--no-cache", "--format", "json"])
    found = json.loads(capsys.readouterr().out)
    assert code == 1
    checked = sorted((d["path"], d["line"]) for d in found["errors"])
    assert checked == [("contracts/nul.yaml", 2), ("contracts/nul.yaml", 3), ("docs/adr/0916-nul.md", 2)]

    result = sync(git_repo.path, engine=engine)
    assert sorted((e.path, e.line) for e in result.errors) == checked
    assert all(NUL in e.message for e in result.errors)
    with engine.connect() as conn:
        assert conn.execute(select(Contract.contract_number)).scalars().all() == ["CTR-0001"]
        assert conn.execute(select(ADR.adr_number)).scalars().all() == ["ADR-0001"]
        titles = [*conn.execute(select(ADR.title)).scalars(), *conn.execute(select(Contract.title)).scalars()]
    assert titles and not any("\x00" in title for title in titles)


# ------------------------------------------------------------------------------------- 2. ADR front matter shapes


def _adr(front_matter: str, body: str = "# 1. Weird types\n") -> bytes:
    return f"---\n{front_matter}\n---\n{body}".encode()


def _warnings(result: Any) -> list[tuple[int, str]]:
    return [(w.line, w.message) for w in result.warnings]


def test_wrong_shapes_in_adr_front_matter_are_warnings_and_store_no_repr() -> None:
    result = parsers.parse(
        "adr", ADR_PATH, _adr("status: [accepted, rejected]\ntags: [[a, b], {c: d}, ok]\ndeciders: {a: 1}")
    )
    fields = result.records[0].fields
    assert fields["status"] == "proposed" and fields["adr_metadata"]["raw_status"] is None
    assert fields["tags"] == ["ok"] and fields["stakeholders"] == []
    assert fields["adr_metadata"]["stakeholder_roles"] == {}
    warnings = _warnings(result)
    assert (2, "front matter status must be a single value, got a list; ignored") in warnings
    assert (3, "front matter tags: item 1 is a list, not a text; ignored") in warnings
    assert (3, "front matter tags: item 2 is a mapping, not a text; ignored") in warnings
    assert (4, "front matter deciders must be a list or a text, got a mapping; ignored") in warnings
    assert not any(text.startswith(("[", "{")) for text in [*fields["tags"], fields["title"]])


@pytest.mark.parametrize(
    ("front_matter", "line", "message"),
    [
        ("status: accepted\ntitle: [a, b]", 3, "front matter title must be a single value, got a list; ignored"),
        ("status: {a: 1}", 2, "front matter status must be a single value, got a mapping; ignored"),
        ("status: accepted\ndate: [2020-01-01]", 3, "front matter date must be a single value, got a list; ignored"),
        ("status: accepted\ntags: {a: b}", 3, "front matter tags must be a list or a text, got a mapping; ignored"),
        ("status: accepted\nConsulted: [[x]]", 3, "front matter Consulted: item 1 is a list, not a text; ignored"),
    ],
)
def test_each_wrong_shape_is_said_at_its_key(front_matter: str, line: int, message: str) -> None:
    result = parsers.parse("adr", ADR_PATH, _adr(front_matter))
    assert (line, message) in _warnings(result)
    fields = result.records[0].fields
    assert fields["title"] == "Weird types" and fields["date"] is None
    assert "['" not in json.dumps(fields) and "{'" not in json.dumps(fields)


def test_lists_and_texts_of_the_right_shape_read_as_before() -> None:
    result = parsers.parse(
        "adr", ADR_PATH,
        _adr("status: accepted\ntitle: 2024\ntags: [a, 7, b]\ndeciders: Ann, Bob\nconsulted: !!set {Cy, Di}\n"
             "informed: [Ed, null]"),
    )
    fields = result.records[0].fields
    assert result.warnings == ()
    assert fields["status"] == "accepted" and fields["title"] == "2024"
    assert fields["tags"] == ["a", "7", "b"]
    assert fields["adr_metadata"]["stakeholder_roles"] == {
        "deciders": ["Ann", "Bob"], "consulted": ["Cy", "Di"], "informed": ["Ed"],
    }


# ------------------------------------------------------------------------------------------- 3. integers too long


def _one_short_line(error: ParseError, line: int) -> None:
    assert (error.line, len(error.diagnostics)) == (line, 1), str(error)
    assert len(str(error)) < 200, str(error)
    assert "set_int_max_str_digits" not in str(error) and "internal parser error" not in str(error)
    assert "quote it to keep it as text" in error.message


@pytest.mark.parametrize(
    "number", ["1" + "0" * 5000, "-" + "9" * 4301, "0x" + "f" * 4000, "0b" + "1" * 15000, "+1_" + "0" * 4400],
    ids=["decimal", "negative", "hex", "binary", "underscores"],
)
def test_an_integer_too_long_to_be_a_number_is_a_short_error(number: str) -> None:
    error = _error("contract", CONTRACT, f"id: CTR-0910\ntitle: big\nmetadata:\n  n: {number}\n".encode())
    _one_short_line(error, 4)
    assert error.column == 6 and f"is {len(number):,} characters long" in error.message

    error = _error("adr", ADR_PATH, _adr(f"status: accepted\nn: {number}"))
    _one_short_line(error, 3)


def test_quoted_or_shorter_long_integers_are_kept() -> None:
    quoted = "1" + "0" * 5000
    text = f'id: CTR-1\nmetadata: {{n: "{quoted}", m: {"9" * 4300}}}\n'
    result = parsers.parse("contract", CONTRACT, text.encode())
    metadata = result.records[0].fields["contract_metadata"]
    assert metadata["n"] == quoted and metadata["m"] == int("9" * 4300)


def test_hostile_long_numbers_in_ids_and_mentions_are_no_internal_error() -> None:
    """``int()`` of a 5,000-digit id or ADR mention raised ValueError: an internal parser error. An id is now too
    long for an id (the id limit says so, at its line); a mention is a reference like any other."""
    digits = "9" * 5000
    error = _error("contract", CONTRACT, f"id: {digits}\n".encode())
    assert error.line == 1 and "over the 2000-byte limit for ids" in error.message

    result = parsers.parse("contract", CONTRACT, f"id: CTR-1\ntitle: see ADR-{digits}\n".encode())
    assert result.records[0].ref_lines == {f"ADR-{digits}": 2}

    result = parsers.parse("feature", FEATURE, f"@ADR-{digits}\nFeature: f\n  Scenario: s\n    Given x\n".encode())
    assert f"ADR-{digits}" in json.dumps(result.records[0].fields)


# ------------------------------------------------------------------------------------ 4. positions of bad bytes


@pytest.mark.parametrize(
    ("data", "where"),
    [
        pytest.param(b"\xef\xbb\xbfid: CTR-0961\ntitle: \xff\n", (2, 8, 23), id="bom"),
        pytest.param(b"\xef\xbb\xbfid: \xff\n", (1, 5, 7), id="bom-first-line"),
        pytest.param(b"id: CTR-0960\rtitle: ok\rtype: \xff\r", (3, 7, 29), id="lone-cr"),
        pytest.param(b"id: CTR-0960\r\ntitle: ok\r\ntype: \xff\r\n", (3, 7, 31), id="crlf"),
        pytest.param(b"id: CTR-0960\rtitle: ok\n\rtype: \xff\n", (4, 7, 30), id="mixed"),
    ],
)
def test_invalid_utf8_is_reported_where_the_file_has_it(data: bytes, where: tuple[int, int, int]) -> None:
    line, column, offset = where
    assert data[offset] == 0xFF
    error = _error("contract", CONTRACT, data)
    assert (error.line, error.column) == (line, column)
    assert error.message == f"invalid UTF-8 at byte offset {offset}; save the file as UTF-8"


@pytest.mark.parametrize(
    ("data", "line", "offset"),
    [(b"\xef\xbb\xbfFeature: x\n\x00", 2, 14), (b"Feature: x\r  Scenario: y\r\x00", 3, 25)],
    ids=["bom", "lone-cr"],
)
def test_a_nul_byte_is_reported_where_the_file_has_it(data: bytes, line: int, offset: int) -> None:
    error = _error("feature", FEATURE, data)
    assert error.line == line and f"binary content (NUL byte at offset {offset})" in error.message


# ------------------------------------------------------------------------------------------------------ 5. UTF-16


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-16", "UTF-16 (little-endian)"),
        ("utf-16-be", "UTF-16 (big-endian, no byte-order mark)"),
        ("utf-16-le", "UTF-16 (little-endian, no byte-order mark)"),
        ("utf-32", "UTF-32 (little-endian)"),
    ],
)
@pytest.mark.parametrize(
    ("kind", "path", "text"),
    [
        ("feature", FEATURE, "Feature: u16\n  Scenario: a\n    Given b\n"),
        ("contract", CONTRACT, "id: CTR-1\ntitle: u16\n"),
        ("adr", ADR_PATH, "# 1. U16\n\n## Status\n\nAccepted\n"),
    ],
)
def test_a_utf16_file_is_text_to_save_as_utf8(kind: str, path: str, text: str, encoding: str, name: str) -> None:
    error = _error(kind, path, text.encode(encoding))
    advice = "save it as UTF-8, the only encoding spec files are read in"
    assert str(error) == f"{path}:1:0: the file is {name} text; {advice}"


def test_a_utf16_file_without_a_nul_byte_is_named_by_its_bom() -> None:
    for data, name in (("\u4e2d\u6587".encode("utf-16"), "UTF-16 (little-endian)"),
                       (b"\xfe\xff" + "\u4e2d\u6587".encode("utf-16-be"), "UTF-16 (big-endian)")):
        assert b"\x00" not in data
        assert f"the file is {name} text" in _error("feature", FEATURE, data).message


# ------------------------------------------------------------------------------------------- Git LFS pointer files

LFS_POINTER = (b"version https://git-lfs.github.com/spec/v1\n"
               b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
LFS_SAID = "a Git LFS pointer, not the file it stands for; install git-lfs and run `git lfs pull`"


@pytest.mark.parametrize("path", [
    "docs/adr/0009-lfs.md", FEATURE, CONTRACT, "features/steps/pay_steps.py", "features/steps/pay.steps.js",
    "features/step_definitions/pay_steps.rb",
])
def test_a_git_lfs_pointer_is_an_error_of_its_file_whatever_its_kind(git_repo: GitRepo, path: str) -> None:
    # A clone without git-lfs holds the pointer in place of the file: it was an ADR titled "Lfs" (status proposed,
    # one warning), a Gherkin or YAML syntax error, or a step file of no step, none of them saying why.
    git_repo.write(".tracertm.toml", 'step_paths = ["features/steps/*", "features/step_definitions/*"]\n')
    (git_repo.path / path).parent.mkdir(parents=True, exist_ok=True)
    (git_repo.path / path).write_bytes(LFS_POINTER)
    git_repo.commit()
    checked = check(git_repo.path)
    assert [(e.path, e.line, e.column, e.message) for e in checked.errors] == [(path, 1, 1, LFS_SAID)]
    assert checked.warnings == [] and checked.files_checked == 1


@pytest.mark.parametrize("ends", [b"\n", b"\r\n"])
def test_only_a_pointers_exact_first_line_makes_it_one(ends: bytes) -> None:
    # The spec's first line (LF-ended; CRLF as every spec file may be checked out); a text that merely holds it,
    # or a longer first line, is parsed as what it is.
    assert _error("adr", ADR_PATH, LFS_POINTER.replace(b"\n", ends)).message == LFS_SAID
    for data in (b"Feature: f\n  version https://git-lfs.github.com/spec/v1\n", LFS_POINTER.replace(b"v1", b"v10")):
        result = parsers.parse("feature" if data.startswith(b"F") else "adr", ADR_PATH, data)
        assert all(LFS_SAID not in d.message for d in result.warnings) and result.records


def test_a_git_lfs_pointer_in_place_of_synced_specs_keeps_their_records(git_repo: GitRepo, engine: Any) -> None:
    files = {"docs/adr/0001-pay.md": adr(1, "Pay"), FEATURE: feature(1, "Pay"), CONTRACT: contract(1, "Pay")}
    for path, text in files.items():
        git_repo.write(path, text)
    git_repo.commit()
    assert not sync(git_repo.path, engine=engine).errors
    before = dump(engine, tables=SPEC_TABLES)
    for path in files:
        (git_repo.path / path).write_bytes(LFS_POINTER)  # a checkout with GIT_LFS_SKIP_SMUDGE=1, say
    git_repo.commit("lfs")
    result = sync(git_repo.path, engine=engine)
    assert sorted((e.path, e.line, e.column, e.message) for e in result.errors) == sorted(
        (path, 1, 1, LFS_SAID) for path in files)
    assert dump(engine, tables=SPEC_TABLES) == before
