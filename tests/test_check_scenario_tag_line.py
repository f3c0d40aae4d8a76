"""``tracertm check`` reports a scenario's ``@ADR-n`` tag naming no ADR at the tag's line (it was reported at the
Feature's line), in every output format, in ``--staged`` mode and from the check cache alike."""

from __future__ import annotations

import json

import pytest

from conftest import GitRepo
from tracertm.cli import main

FEATURE = """\
@FEAT-1
Feature: F
  Some description
  more description

  Scenario: first
    Given x

  Scenario: second
    Given y

  # a comment between the tags
  @SC-1 @smoke
  @ADR-0042 @slow
  Scenario: third
    Given z

  @SC-2
  @ADR-43
  Scenario Outline: fourth <n>
    Given <n>

    Examples:
      | n |
      | 1 |
"""
MESSAGE = "scenario {} tag refers to {}, which is not an ADR of this repository; fix the id or add the ADR"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_a_scenario_tag_is_reported_at_its_line(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("features/f.feature", FEATURE)
    git_repo.commit("feature")
    repo = str(git_repo.path)
    expected = [
        "features/f.feature:14:3: " + MESSAGE.format("SC-1", "ADR-0042"),
        "features/f.feature:19:3: " + MESSAGE.format("SC-2", "ADR-0043"),
    ]
    for _ in range(2):  # the second run reads the sketches from the check cache
        code, out = _cli(capsys, "check", repo)
        assert (code, out.splitlines()) == (1, expected)
    code, out = _cli(capsys, "check", repo, "--format", "github")
    assert code == 1
    assert out.splitlines() == [
        "::error file=features/f.feature,line=14,col=3::" + MESSAGE.format("SC-1", "ADR-0042"),
        "::error file=features/f.feature,line=19,col=3::" + MESSAGE.format("SC-2", "ADR-0043"),
    ]
    code, out = _cli(capsys, "check", repo, "--format", "json")
    assert code == 1
    found = json.loads(out)
    lines = sorted(
        (d["line"], d["message"]) for d in found["errors"]
    ) if isinstance(found, dict) and "errors" in found else None
    assert lines == [(14, MESSAGE.format("SC-1", "ADR-0042")), (19, MESSAGE.format("SC-2", "ADR-0043"))], out


def test_staged_reports_a_scenario_tag_at_its_line(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("features/g.feature", "@FEAT-9\nFeature: G\n  Scenario: s\n    Given a\n")
    git_repo.commit("seed")
    repo = str(git_repo.path)
    assert _cli(capsys, "check", repo, "--staged")[0] == 0
    git_repo.write("features/f.feature", FEATURE)
    git_repo.git("add", "features/f.feature")
    code, out = _cli(capsys, "check", repo, "--staged")
    assert code == 1
    assert out.splitlines() == [
        "features/f.feature:14:3: " + MESSAGE.format("SC-1", "ADR-0042"),
        "features/f.feature:19:3: " + MESSAGE.format("SC-2", "ADR-0043"),
    ]
