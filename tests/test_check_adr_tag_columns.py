"""``tracertm check`` reports a finding about an ``@ADR-n`` tag — of a scenario or of its feature — at the tag's
line and column, in every mode (every file with a cold and a warm check cache, the hook's ``--staged``, ``--ref``)
and output format.

The audit found findings about a scenario's tags (its own tag naming an ADR its feature's tag names too, an ADR tag
naming no ADR or an ambiguous number) at column 1 of the tag's line; a feature's tags were at column 1 too. The
parser's own findings about tags (two id tags, an unknown status) always named the tag's column.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import GitRepo
from tracertm.checker import check
from tracertm.cli import main

FEATURE = "features/f.feature"
TEXT = """\
@FEAT-1 @smoke   @ADR-0042
Feature: F
  Some description

  @SC-1   @slow @ADR-0042
  Scenario: repeats its feature's tag
    Given x

  # a comment between the tags
  @SC-2
    @wip  @ADR-0043   @ADR-0009
  Scenario Outline: two bad tags <n>
    Given <n>

    Examples:
      | n |
      | 1 |
"""
DANGLING = "refers to {}, which is not an ADR of this repository; fix the id or add the ADR"
AMBIGUOUS = ("refers to ADR-0009, which is ambiguous: ADR-0009-use-a and ADR-0009-use-b have that number; write "
             "the full id of the one meant")


def _at(line: int, token: str) -> tuple[int, int]:
    """(line, column) of ``token`` on the 1-based ``line`` of TEXT."""
    text = TEXT.split("\n")[line - 1]
    assert token in text
    return line, text.index(token) + 1


EXPECTED = [
    (*_at(1, "@ADR-0042"), "tag " + DANGLING.format("ADR-0042")),
    (*_at(5, "@ADR-0042"), "scenario SC-1 tag " + DANGLING.format("ADR-0042")),
    (*_at(11, "@ADR-0043"), "scenario SC-2 tag " + DANGLING.format("ADR-0043")),
    (*_at(11, "@ADR-0009"), "scenario SC-2 tag " + AMBIGUOUS),
]


def _adr(identifier: str) -> str:
    return f"---\nid: {identifier}\nstatus: accepted\n---\n\n# {identifier}\n\n## Context\n\nC.\n"


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("docs/adr/0009-use-a.md", _adr("ADR-0009-use-a"))
    git_repo.write("docs/adr/0009-use-b.md", _adr("ADR-0009-use-b"))
    git_repo.write("features/other.feature", "@FEAT-9\nFeature: Other\n  Scenario: s\n    Given x\n")
    git_repo.commit("seed")
    return git_repo


def _found(result: Any) -> list[tuple[int, int, str]]:
    assert all(d.path == FEATURE for d in result.errors), result.errors
    return sorted((d.line, d.column, d.message) for d in result.errors)


def test_every_mode_names_the_tags_column(repo: GitRepo) -> None:
    repo.write(FEATURE, TEXT)
    repo.git("add", "-A")
    assert _found(check(repo.path, staged=True, cache=False)) == EXPECTED
    assert _found(check(repo.path, staged=True)) == EXPECTED  # writes the check cache
    assert _found(check(repo.path, staged=True)) == EXPECTED  # from it
    assert _found(check(repo.path)) == EXPECTED
    assert _found(check(repo.path)) == EXPECTED
    repo.commit("tags")
    assert _found(check(repo.path, ref="HEAD")) == EXPECTED


def test_every_output_format_names_the_tags_column(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write(FEATURE, TEXT)
    repo.commit("tags")
    assert main(["check", str(repo.path)]) == 1
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith(FEATURE)]
    assert printed == [f"{FEATURE}:{ln}:{col}: {msg}" for ln, col, msg in EXPECTED]
    assert main(["check", str(repo.path), "--format", "github"]) == 1
    out = capsys.readouterr().out
    for line, column, _ in EXPECTED:
        assert f"file={FEATURE},line={line},col={column}::" in out, out
    assert main(["check", str(repo.path), "--format", "json"]) == 1
    found = json.loads(capsys.readouterr().out)["errors"]
    assert sorted((d["line"], d["column"], d["message"]) for d in found) == EXPECTED
