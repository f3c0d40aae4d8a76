"""Positions in contracts and ADR front matter are the file's lines and columns although the text holds NEL
(U+0085), LS (U+2028) or PS (U+2029): YAML 1.1 (libyaml, PyYAML) ends a line at each of them, the file (git, editors,
GitHub annotations, every other parser here) only at LF, CRLF and CR — a mark's own line ran one ahead per such
character before it, its column counted from it. Columns are characters: a reader error's too, which libyaml counts
in UTF-8 bytes."""

from __future__ import annotations

import pytest

from conftest import GitRepo, run_cli
from tracertm.errors import ParseError
from tracertm.parsers import adr, contract
from tracertm.repositories.locate import Facts, field_spot

NEL, LS, PS = "\x85", "\u2028", "\u2029"
CONTRACTS = (f'id: CTR-1\ntitle: "a{LS}b{NEL}c"\nstatus: approved\ntype: service\n'
             f"---\nid: CTR-2\ntitle: B{PS}\nstatus: draft\n")
ADR = f'---\ntitle: "T{LS}x"\nstatus: accepted\ndate: 2024-01-01T25:00:00\n---\n# 1. T\n'


def _errors(path: str, text: str) -> list[tuple[int, int, str]]:
    parser = adr.parse if path.endswith(".md") else contract.parse
    with pytest.raises(ParseError) as caught:
        parser(path, text.encode("utf-8"))
    return [(d.line, d.column, d.message) for d in caught.value.diagnostics if d.severity == "error"]


def test_records_are_at_their_file_lines_and_values_keep_yaml_folding() -> None:
    records = contract.parse("contracts/two.yaml", CONTRACTS.encode("utf-8")).records
    assert [(r.number, r.line) for r in records] == [("CTR-1", 1), ("CTR-2", 6)]
    # YAML 1.1 folds a NEL in a double-quoted scalar to a space and keeps LS and PS (libyaml and PyYAML alike):
    # the value is the library's, only the positions are the file's.
    assert records[0].fields["title"] == f"a{LS}b c"


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(f'id: CTR-1\ntitle: "a{LS}b{NEL}c"\nstatus: approved\ntype: bogus\n',
                 (4, 7, "unknown contract type"), id="node"),
    pytest.param(f"id: CTR-3\ntitle: |\n  line1{NEL}still1\n  line2\nstatus: draft\n",
                 (5, 1, "YAML syntax error"), id="syntax-error"),
    pytest.param(f'id: CTR-1\ntitle: "a{NEL}b"\nx: *nope\n', (3, 4, "refers to no anchor"), id="limits"),
    pytest.param(f'id: CTR-1\ntitle: "x{LS}y"\nmetadata:\n  note: "a\\0"\n', (4, 11, "NUL character"),
                 id="unstorable-escape"),
    pytest.param(f'id: CTR-1\ntitle: "é{PS}é"\nbad: ééé\x07\n', (3, 9, "YAML reader error"),
                 id="reader-error-in-characters"),
    pytest.param(f'id: CTR-1\ntitle: "a{PS}b"\n<<: 5\n', (3, 5, "invalid merge key"), id="merge-key"),
])
def test_contract_errors_are_at_the_file_position(text: str, expected: tuple[int, int, str]) -> None:
    line, column, fragment = expected
    found = _errors("contracts/one.yaml", text)
    assert [(found_line, found_column) for found_line, found_column, message in found if fragment in message] == [
        (line, column)], found


def test_front_matter_errors_and_warnings_are_at_the_file_position() -> None:
    assert [(line, column) for line, column, _ in _errors("docs/adr/0001-t.md", ADR)] == [(4, 1)]
    repeated = f'---\ntitle: "T{LS}x"\nstatus: accepted\nstatus: proposed\n---\n# 1. T\n'
    warnings = adr.parse("docs/adr/0001-t.md", repeated.encode("utf-8")).warnings
    assert [(w.line, w.column) for w in warnings if "repeated" in w.message] == [(4, 1)]
    listed = f"---\n# a list{NEL}# of two\n- T\n- 1\n---\n# 1. T\n"
    assert [(line, column) for line, column, _ in _errors("docs/adr/0001-t.md", listed)] == [(3, 1)]
    escape = f'---\ntitle: "T{NEL}x"\nstatus: "\\0"\n---\n# 1. T\n'
    assert [(line, column) for line, column, _ in _errors("docs/adr/0001-t.md", escape)] == [(3, 10)]


def test_a_git_owned_contract_field_is_found_at_its_file_line() -> None:
    """The line an API answer names for a refused edit, in the contract's own document (found by its file line)."""
    spot = field_spot(CONTRACTS, "contracts/two.yaml", "contract", "status", Facts(number="CTR-2"))
    assert spot.line == 8 and CONTRACTS.split("\n")[spot.line - 1] == "status: draft"
    spot = field_spot(CONTRACTS, "contracts/two.yaml", "contract", "contract_type", Facts(number="CTR-1"))
    assert spot.line == 4


def test_check_annotates_the_file_lines(git_repo: GitRepo) -> None:
    git_repo.write("contracts/one.yaml", f'id: CTR-1\ntitle: "a{LS}b{NEL}c"\nstatus: approved\ntype: bogus\n')
    git_repo.write("docs/adr/0001-t.md", ADR)
    git_repo.commit("seed")
    done = run_cli("check", "--no-cache", "--format", "github", str(git_repo.path))
    assert done.returncode == 1, done.stderr
    assert "::error file=contracts/one.yaml,line=4,col=7::unknown contract type 'bogus'" in done.stdout
    assert "::error file=docs/adr/0001-t.md,line=4,col=1::date '2024-01-01T25:00:00'" in done.stdout
