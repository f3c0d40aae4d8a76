"""The YAML limits' errors (nesting, alias count, nesting through an alias) say what to do, and name no setting the
configuration refuses. They ended with ``(yaml_max_depth)`` / ``(yaml_max_aliases)``: the names of internal parser
options, which read as keys to raise — ``yaml_max_aliases = 500`` in ``.tracertm.toml`` is an unknown key (the
README: "These are fixed limits, not settings")."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from tracertm.cli import main
from tracertm.errors import ParseError
from tracertm.parsers import adr, contract

DEEP = "[" * 70 + "]" * 70
ALIASES = "[" + ", ".join(["*a"] * 101) + "]"
THROUGH = "[" * 30 + "*d" + "]" * 30
CASES = [
    pytest.param(f"v: {DEEP}", "nested deeper than 64 levels", "flatten", id="depth"),
    pytest.param(f"a: &a x\nv: {ALIASES}", "more than 100 aliases", "write the values out", id="aliases"),
    pytest.param(f"d: &d {'[' * 40}x{']' * 40}\nv: {THROUGH}", "deeper than 64 levels", "write the values out",
                 id="through-an-alias"),
]


@pytest.mark.parametrize(("yaml_text", "what", "todo"), CASES)
def test_a_yaml_limit_says_what_to_do_in_contracts_and_adr_front_matter(yaml_text: str, what: str,
                                                                           todo: str) -> None:
    readers = (
        (contract.parse, "contracts/x.yaml", f"id: CTR-0001\ntitle: X\n{yaml_text}\n"),
        (adr.parse, "docs/adr/0001-x.md", f"---\nstatus: accepted\n{yaml_text}\n---\n# X\n"),
    )
    for parse, path, text in readers:
        with pytest.raises(ParseError) as caught:
            parse(path, text.encode())
        message = caught.value.message
        assert what in message and "a fixed limit" in message and todo in message, message
        assert "yaml_max" not in message, message


def test_check_prints_it_on_one_line(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("contracts/x.yaml", f"id: CTR-0001\ntitle: X\na: &a x\nv: {ALIASES}\n")
    git_repo.commit("seed")
    assert main(["check", str(git_repo.path)]) == 1
    out = capsys.readouterr()
    lines = [line for line in (out.out + out.err).splitlines() if line.startswith("contracts/x.yaml:")]
    assert lines == ["contracts/x.yaml:4:405: YAML document uses more than 100 aliases, a fixed limit; write the "
                     "values out"], lines
