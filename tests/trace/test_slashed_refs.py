"""Scenario references with a "/" in either part: an untagged feature in a sub-folder (``checkout/pay``) and a
scenario named ``EUR/USD``. ``trace`` finds their titles and containment, and ``show``/``trace``/``review`` open
them by that reference — SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

import pytest

from conftest import GitRepo
from specs import adr
from tracertm.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_references_with_slashes_resolve(git_repo: GitRepo, database_url: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/checkout/pay.feature",
                   "Feature: Pay\n\n  @SC-1 @ADR-0001\n  Scenario: pay by card\n    Given a card\n")
    git_repo.write("features/fx.feature",
                   "@FEAT-7\nFeature: FX\n\n  @ADR-0001\n  Scenario: Pay in EUR/USD\n    Given a rate\n")
    git_repo.commit("seed")
    db = ("--database-url", database_url, "--project", "repo")  # not the test run's own repository's project
    assert run(capsys, "sync", str(git_repo.path), *db)[0] == 0
    code, out, err = run(capsys, "trace", "ADR-0001", "--depth", "2", "--format", "json", *db)
    assert code == 0, err
    graph = json.loads(out)
    titles = {n["id"]: (n.get("title"), n.get("missing", False)) for n in graph["nodes"]}
    assert titles["scenario:checkout/pay/SC-1"] == ("pay by card", False)
    assert titles["scenario:FEAT-7/Pay in EUR/USD"] == ("Pay in EUR/USD", False)
    edges = {(e["source"], e["target"], e["type"]) for e in graph["edges"]}
    assert ("feature:checkout/pay", "scenario:checkout/pay/SC-1", "contains") in edges
    assert ("feature:FEAT-7", "scenario:FEAT-7/Pay in EUR/USD", "contains") in edges
    for ident in ("checkout/pay/SC-1", "FEAT-7/Pay in EUR/USD"):
        code, out, err = run(capsys, "show", ident, *db)
        assert code == 0 and not err, err
        code, out, err = run(capsys, "trace", ident, *db)
        assert code == 0 and "implements" in out, err
        code, out, err = run(capsys, "review", ident, *db)
        assert code == 0 and "no suspect link to review" in out, err


def test_bare_digits_name_a_record_of_that_id_before_a_link_number(
        git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An untagged ``features/2.feature`` is feature ``2``: ``review 2`` reviews its links, not link #2 of another
    record; ``review '#2'`` is link 2, and bare digits no record has stay a link number."""
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("features/other.feature", "@FEAT-9 @ADR-0001\nFeature: Other\n\n  Scenario: o\n    Given o\n")
    git_repo.write("features/2.feature", "@ADR-0001\nFeature: Two\n\n  Scenario: n\n    Given n\n")
    git_repo.commit("seed")
    db = ("--database-url", database_url, "--project", "repo")  # not the test run's own repository's project
    assert run(capsys, "sync", str(git_repo.path), *db)[0] == 0
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="Everywhere."))
    assert run(capsys, "sync", str(git_repo.path), *db)[0] == 0
    listed = run(capsys, "status", *db)[1]  # "... #N FEAT-9 implements ADR-0001 (suspect ...)"
    other = re.search(r"#(\d+) FEAT-9 implements ADR-0001", listed)
    assert other is not None, listed
    code, out, err = run(capsys, "review", "2", *db)
    assert code == 0 and out.splitlines() == ["reviewed 2 implements ADR-0001 (suspect: reviewed at v1, changed at v2)"], err
    code, out, err = run(capsys, "review", f"#{other[1]}", *db)
    assert code == 0 and out.startswith("reviewed FEAT-9 implements ADR-0001"), err
