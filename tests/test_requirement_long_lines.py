"""A requirement pattern of the configuration's is searched line by line, and a line longer than
``id_search.MAX_LINE`` characters not at all: ``re`` tries the pattern at every position, each attempt running to the
end of the run its repeat can take, so that ``[A-Z]+-\\d+`` (one repeat, accepted) over an ADR's line of a million
capitals (minified data, an embedded image) took ``check`` some 1,000 s, a hook that never ends. Ids in the other
lines are found as before; the default pattern, linear, is searched whole. An audit found it; real git repositories
and processes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import GitRepo
from specs import adr
from tracertm import db
from tracertm.models import ADR
from tracertm.parsers.id_search import MAX_LINE, find_ids


def _tracertm(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Before the cap the check ran for many minutes: the timeout fails the test instead of hanging the suite.
    return subprocess.run([sys.executable, "-m", "tracertm", *args], cwd=repo, capture_output=True, text=True,
                          timeout=60, check=False)


def test_a_very_long_line_is_not_searched_and_the_others_are(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write(".tracertm.toml", 'project = "p"\nrequirement_pattern = \'[A-Z]+-\\d+\'\n')
    at_the_cap = "DEF-2 " + "b" * (MAX_LINE - 6)
    decision = "\n\n".join(["Covers ABC-1.", "A" * 1_000_000, "XYZ-9 " + "B" * MAX_LINE, at_the_cap])
    git_repo.write("docs/adr/0001-a.md", adr(1, "A", decision=decision))
    git_repo.commit("an ADR with a line of a million capitals")
    checked = _tracertm(git_repo.path, "check")
    assert checked.returncode == 0, checked.stderr
    url = f"sqlite:///{tmp_path / 'specs.db'}"
    synced = _tracertm(git_repo.path, "sync", "--database-url", url)
    assert synced.returncode == 0, synced.stderr
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            assert session.query(ADR.related_requirements).scalar() == ["ABC-1", "DEF-2"]
    finally:
        engine.dispose()


def test_each_line_is_searched_as_a_text_of_its_own() -> None:
    anchored = re.compile(r"^REQ-\d+$")
    assert find_ids(anchored, "REQ-1\nx REQ-2\nREQ-3 x\nREQ-4") == ["REQ-1", "REQ-4"]
    # The line break stays with its line: what may follow an id there still does.
    assert find_ids(re.compile(r"REQ-\d+(?=\s)"), "see REQ-5\nREQ-6 and REQ-7") == ["REQ-5", "REQ-6"]
    # No id spans two lines.
    assert find_ids(re.compile(r"REQ\s*-\s*\d+"), "REQ\n-8 and REQ - 9") == ["REQ - 9"]


def test_lines_past_the_cap_are_left_out_but_not_with_the_default_pattern() -> None:
    text = "REQ-1\n" + "REQ-2 " + "x" * MAX_LINE + "\nREQ-3 " + "y" * (MAX_LINE - 6)
    assert find_ids(re.compile(r"REQ-\d"), text) == ["REQ-1", "REQ-3"]
    assert find_ids(re.compile(r"\bREQ-\d+\b"), text) == ["REQ-1", "REQ-2", "REQ-3"]
    assert find_ids(re.compile(r"REQ-\d"), "REQ-4 " + "z" * MAX_LINE) == []
