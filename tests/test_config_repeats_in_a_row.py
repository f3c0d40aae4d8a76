"""Id and requirement patterns with many repeats in a row over the same characters (``REQ-\\d*\\d*\\d*\\d*\\d*\\d*\\d*
\\d*x``) passed the load-time check, which looked only at choices inside a repeat, and ``check`` ran for minutes: a
line ``REQ-`` + 60 digits, or a tag ``@FEAT-`` + 60 digits, that then fails to match makes ``re`` try every way to
cut the digits among them — polynomial, their number the power (two, ``REQ-\\d*\\d*x``: 22 s on 80,000 digits). Now
more than ``config_regex.IN_A_ROW`` (one) of them are one error at the key's line, and the patterns real projects use
still load. An audit found it; real git repositories and processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo
from specs import adr

EIGHT = "\\d*" * 8


def _tracertm(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Accepted, the pattern ran past 60 s on these texts: the timeout fails the test instead of hanging the suite.
    return subprocess.run([sys.executable, "-m", "tracertm", *args], cwd=repo, capture_output=True, text=True,
                          timeout=30, check=False)


@pytest.mark.parametrize(("key", "prefix"), [("requirement_pattern", "REQ"), ("feature_id_pattern", "FEAT"),
                                             ("scenario_id_pattern", "SC")])
@pytest.mark.parametrize("repeats", [8, 2])
def test_many_repeats_in_a_row_are_one_error_at_the_keys_line(
    git_repo: GitRepo, key: str, prefix: str, repeats: int,
) -> None:
    # Two were accepted: REQ-\d*\d*x took check 22 s on a line REQ- and 80,000 digits (its cube without the REQ-).
    pattern = f"{prefix}-" + "\\d*" * repeats + "x"
    git_repo.write(".tracertm.toml", f'project = "p"\n{key} = \'{pattern}\'\n')
    long_id = f"{prefix}-" + "1" * 60
    git_repo.write("docs/adr/0001-a.md", adr(1, "A", decision=f"See {long_id}."))
    git_repo.write("features/f.feature", f"@{long_id}\nFeature: F\n  @{long_id}\n  Scenario: S\n    Given x\n")
    git_repo.commit("a pattern of eight repeats in a row")
    proc = _tracertm(git_repo.path, "check")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, (proc.returncode, proc.stderr)
    assert lines[0].startswith(
        f"tracertm: error: {git_repo.path / '.tracertm.toml'}:2: {key} = '{pattern}' has {repeats} repeats in a row "
        f"that can take the same characters, such as \\d*\\d*: a long run of them takes it time to the power {repeats} "
        f"(a hook that never ends); let at most 1 share a run, e.g. {key} = "), lines[0][:300]
    assert lines[0].split(", e.g. ")[1].startswith(f"{key} = '")


def test_repeats_in_a_row_are_told_from_the_ones_id_patterns_use() -> None:
    from tracertm.config_regex import IN_A_ROW, repeats_in_a_row

    refused = [f"REQ-{EIGHT}x", r"\d*\d*\d*", r"\d+0\d+0\d+", r"\d*-?\d*-?\d*", r"\w{2,4}\d{3,6}\w+",
               r"(?:\d+|x)\d+\d+", r"[A-Z]+(?:\d+){3}", r"(?=\d+\d+\d+)x", r"(?i)[a-z]+[A-Z]+\w+x", r".*\d+.*",
               r"REQ-\d*\d*x", r"\w+\d+", r"(\d+){2}", r".*REQ-\d+.*", r"[A-Z]+\w+-\d+"]
    kept = [r"\bREQ-\d+\b", r"FEAT-\d+", r"SC-\d+", r"[A-Z]+-\d+", r"\b[A-Z][A-Z0-9]*-\d+\b", r"REQ-\d+(?:\.\d+)*",
            r"(?:REQ|SPEC)-\d+", r"[A-Z]{2,5}-\d{1,6}", r"(?:[A-Z]+-)?\d+", r"REQ-\d\d?\d?\d?", r"\d\d+",
            r"\w+-\d+", r"(?P<id>[A-Z]+)-(?P<n>\d+)", r"REQ-\d+(?:\.\d+){0,3}", r"(\S+\s)+",
            r"(?:REQ|SPEC)-[0-9A-F]+(?:-[0-9A-F]+)*", r"\bREQ[-_]\d+(?:[a-z])?\b"]
    assert [p for p in refused if repeats_in_a_row(p) <= IN_A_ROW] == []
    assert [p for p in kept if repeats_in_a_row(p) > IN_A_ROW] == []
