"""Features and contracts naming an ADR by its id with a slug, beside another ADR of the same number.

With ADR-0008-use-x and ADR-0008-use-y, a tag ``@ADR-0008-use-x`` or a mention ``ADR-0008-use-x.`` names the first
exactly (README "References"). The tag was not read at all and the mention was cut to ``ADR-0008``, so the link was
stored dangling ("ambiguous: ... write the full id of the one meant" — which the author had written). Now the
reference keeps its id, the link holds it and is resolved, on a sync, a first sync of a commit and ``sync --full``
alike, and ``check`` (every file, and the hook's ``--staged`` with a cold or a warm cache) resolves the tag the same
way: no error while the ADR is there, one at the tag's line once it is gone.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import GitRepo
from link_rows import adr_links
from tracertm.check_cache import CACHE_NAME
from tracertm.cli import main
from tracertm.engine.sync import sync

X, Y = "docs/adr/0008-use-x.md", "docs/adr/0008-use-y.md"
FEATURE, CONTRACT = "features/pay.feature", "contracts/pay.yaml"
FEATURE_TEXT = """\
@FEAT-1 @ADR-0008-use-x
Feature: Pay
  Built per ADR-0008-use-y.

  @SC-1 @ADR-0008-use-y
  Scenario: one
    See [ADR-0008-use-x](../docs/adr/0008-use-x.md).
    Given x
"""
CONTRACT_TEXT = """\
id: CTR-0001
title: Pay
metadata:
  decision: see ADR-0008-use-x.
  also: "`ADR-0008-use-y`"
"""
DANGLING = "which is not an ADR of this repository; fix the id or add the ADR"


def _adr(identifier: str) -> str:
    return f"---\nid: {identifier}\nstatus: accepted\n---\n\n# {identifier[9:]}\n\n## Context\n\nC.\n"


def _repo(repo: GitRepo) -> None:
    repo.write(X, _adr("ADR-0008-use-x"))
    repo.write(Y, _adr("ADR-0008-use-y"))
    repo.write(FEATURE, FEATURE_TEXT)
    repo.write(CONTRACT, CONTRACT_TEXT)
    repo.commit("two ADRs numbered 8, named by their full ids")


def _links(engine: Any, project: str) -> set[tuple[str, str, bool, int]]:
    """(source, target, resolved, line) of every link of ``project`` to an ADR."""
    return adr_links(engine, project, "source_ref", "target_ref", "resolved", "source_line")


# The links of the feature's own tag and description, of the contract's text and of the scenario's description.
OWN = {
    ("FEAT-1", "ADR-0008-use-x", True, 1), ("FEAT-1", "ADR-0008-use-y", True, 3),
    ("CTR-0001", "ADR-0008-use-x", True, 4), ("CTR-0001", "ADR-0008-use-y", True, 5),
    ("FEAT-1/SC-1", "ADR-0008-use-x", True, 7),
}
# The scenario's own tag (line 5), from ``engine.derive``'s tag pattern. (The tag it inherits from the feature names
# the ADR its description names: one link, at the scenario's own reference, line 7.)
SCENARIO_TAGS = {("FEAT-1/SC-1", "ADR-0008-use-y", True, 5)}


def _syncs(repo: GitRepo, engine: Any) -> list[set[tuple[str, str, bool, int]]]:
    """The links of a first sync of the work tree, a first sync of the commit, a later sync and ``sync --full``;
    each sync with no warning."""
    found = []
    for project, ref, full in (("first", None, False), ("commit", "HEAD", False), ("first", None, False),
                               ("first", None, True)):
        result = sync(repo.path, engine=engine, project=project, ref=ref, full=full)
        assert [(d.path, d.line, d.message) for d in result.links] == []
        assert [(d.path, d.line, d.message) for d in result.warnings] == []
        found.append(_links(engine, project))
    return found


def test_sync_links_each_reference_to_the_adr_its_full_id_names(git_repo: GitRepo, engine: Any) -> None:
    _repo(git_repo)
    for links in _syncs(git_repo, engine):
        assert links & OWN == OWN
        assert not {link for link in links if not link[2]}, "no link is dangling"


def test_sync_links_scenario_tags_to_the_adr_their_full_id_names(git_repo: GitRepo, engine: Any) -> None:
    _repo(git_repo)
    for links in _syncs(git_repo, engine):
        assert links == OWN | SCENARIO_TAGS


def _check(capsys: pytest.CaptureFixture[str], repo: GitRepo, *argv: str) -> tuple[int, list[str]]:
    code = main(["check", str(repo.path), *argv])
    return code, capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_check_resolves_tags_with_their_full_id(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], cache: str
) -> None:
    _repo(git_repo)
    assert _check(capsys, git_repo) == (0, [])  # (writes the cache)

    # The unchanged feature's tags name ADRs the change takes away: an error at each tag.
    git_repo.git("rm", "-q", X, Y)
    if cache == "cold":
        (git_repo.path / ".git" / CACHE_NAME).unlink()
    expected = [f"{FEATURE}:1:9: tag refers to ADR-0008-use-x, {DANGLING}",
                f"{FEATURE}:5:9: scenario SC-1 tag refers to ADR-0008-use-y, {DANGLING}"]
    assert _check(capsys, git_repo, "--staged") == (1, expected)
    git_repo.commit("the ADRs go")
    assert _check(capsys, git_repo) == (1, expected)


def test_check_reports_a_tag_whose_slug_names_no_adr(git_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    _repo(git_repo)
    git_repo.write(FEATURE, FEATURE_TEXT.replace("@ADR-0008-use-y", "@ADR-0008-use-z"))
    git_repo.commit("a slug no ADR has")
    # (A slug names its id, else the ADR of its bare number: there is no ADR-0008.)
    assert _check(capsys, git_repo) == (1, [
        f"{FEATURE}:5:9: scenario SC-1 tag refers to ADR-0008-use-z, {DANGLING}"])
