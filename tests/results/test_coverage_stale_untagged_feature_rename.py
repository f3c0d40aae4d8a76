"""``coverage``'s stale rule over a pure rename of an untagged feature's file. Such a feature's id is its path
(``features/cart.feature`` is ``cart``, ``features/basket.feature`` is ``basket``) and its id is part of its content
hash, so the rename is a ``moved`` revision that raises the feature's version — yet the tests run exactly what they
ran before: its scenarios are not stale, whichever way the commits were synced (a plain sync of each clean work
tree, ``sync --ref``, a backfill), also when the first sync came after the rename (the run's commit holds the
feature under the old path's id). A rename that also changes the feature's text still makes them stale. SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import GitRepo
from stale_cli import cli, stale

CART = ("Feature: Cart\n\n  @SC-1\n  Scenario: Add\n    Given x\n\n"
        "  @SC-2\n  Scenario: Remove\n    Given y\n")


def _report(folder: Path) -> Path:
    """A Cucumber JSON report of both scenarios of ``features/cart.feature``, passed."""
    elements = [{"id": f"cart;{name.lower()}", "name": name, "line": line, "keyword": "Scenario",
                 "type": "scenario", "tags": [{"name": tag}],
                 "steps": [{"keyword": "Given ", "name": step, "line": line + 1,
                            "result": {"status": "passed", "duration": 1}}]}
                for name, line, tag, step in (("Add", 4, "@SC-1", "x"), ("Remove", 8, "@SC-2", "y"))]
    report = folder / "run.json"
    report.write_text(json.dumps([{"uri": "features/cart.feature", "id": "cart", "keyword": "Feature",
                                   "name": "Cart", "line": 1, "elements": elements}]))
    return report


@pytest.fixture
def here(git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """The command line in the repository, against ``database_url``; ``features/cart.feature`` committed."""
    monkeypatch.chdir(git_repo.path)
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    git_repo.write("features/cart.feature", CART)
    git_repo.commit("cart")
    return git_repo


@pytest.mark.parametrize("sync", [("sync",), ("sync", "--ref", "HEAD")], ids=["work-tree", "ref"])
def test_a_pure_rename_of_an_untagged_feature_leaves_its_scenarios_not_stale(
    here: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str], sync: tuple[str, ...],
) -> None:
    cli(capsys, *sync)
    cli(capsys, "results", "import", str(_report(tmp_path)))
    assert stale(capsys) == []
    here.git("mv", "features/cart.feature", "features/basket.feature")
    here.commit("rename the file only")
    cli(capsys, *sync)
    # The feature is ``basket`` now, at version 2 (its id is in its content hash): the move raised its version.
    assert "basket" in cli(capsys, "list", "scenarios")
    assert stale(capsys) == []  # was ['basket/SC-1', 'basket/SC-2']
    here.write("features/basket.feature", CART.replace("Given y", "Given z"))
    here.commit("a change the run did not test")
    cli(capsys, *sync)
    assert stale(capsys) == ["basket/SC-2"]


def test_a_run_of_the_commit_before_a_backfilled_rename_tested_its_scenarios(
    here: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    before = here.git("rev-parse", "HEAD")
    here.git("mv", "features/cart.feature", "features/basket.feature")
    here.commit("rename the file only")
    cli(capsys, "backfill")
    cli(capsys, "results", "import", str(_report(tmp_path)), "--commit", before)
    assert stale(capsys) == []  # was ['basket/SC-1', 'basket/SC-2']


def test_a_rename_that_changes_the_feature_makes_its_scenarios_stale(
    here: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    cli(capsys, "sync")
    cli(capsys, "results", "import", str(_report(tmp_path)))
    here.git("mv", "features/cart.feature", "features/basket.feature")
    here.write("features/basket.feature", CART.replace("Feature: Cart", "Feature: Basket"))
    here.commit("rename the file and the feature")
    cli(capsys, "sync")
    assert stale(capsys) == ["basket/SC-1", "basket/SC-2"]


def test_a_run_of_the_commit_before_a_rename_first_synced_after_it_tested_its_scenarios(
    here: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """The first sync came after the rename (a plain sync of the clean work tree): the run's commit holds the
    feature as ``cart``, an id the project never had — its records are found there under the old path's id."""
    before = here.git("rev-parse", "HEAD")
    here.git("mv", "features/cart.feature", "features/basket.feature")
    here.commit("rename the file only")
    cli(capsys, "sync")
    cli(capsys, "results", "import", str(_report(tmp_path)), "--commit", before)
    assert stale(capsys) == []  # was ['basket/SC-1', 'basket/SC-2']
    here.write("features/basket.feature", CART.replace("Given y", "Given z"))
    cli(capsys, "sync")  # uncommitted: the run's commit holds the other content
    assert stale(capsys) == ["basket/SC-2"]
    here.write("features/basket.feature", "@smoke\n" + CART)
    cli(capsys, "sync")  # the feature's tags: every scenario inherits them
    assert stale(capsys) == ["basket/SC-1", "basket/SC-2"]
