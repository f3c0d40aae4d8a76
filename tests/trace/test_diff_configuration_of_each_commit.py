"""``tracertm diff``'s parse method reads each commit with its own configuration where it reads files otherwise
than HEAD's, as the backfill (and so the history method) reads it (README, Backfill: "The configuration of each
commit"). It read both commits with the work tree's configuration: ADRs whose folder moved with adr-tools'
``.adr-dir`` were ``created`` (at the older commit the old folder was no spec folder), where the history method says
``moved``; a new ``feature_id_pattern`` that renumbers a feature was "no spec changes" (the feature file itself did
not change), where the history method says ``deleted`` and ``created``. A configuration the commits do not hold (an
uncommitted ``.tracertm.toml``) is still the work tree's, as ``sync`` reads it.

Real git repositories; the history method against SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from conftest import GitRepo
from specs import adr
from tracertm.history.backfill import backfill
from tracertm.trace.diff import diff

FEATURE = "@FEAT-1 @STORY-9\nFeature: Pay\n\n  @SC-1\n  Scenario: card\n    Given a card\n"


def _changes(result: Any) -> list[tuple[Any, ...]]:
    return [(c.action, c.kind, c.id, c.from_path, c.path, c.fields) for c in result.changes]


def _both_methods(repo: GitRepo, engine: Any, database_url: str, first: str, second: str) -> list[tuple[Any, ...]]:
    """The parse method's changes, once the history method (after a backfill) has said the same, both ways."""
    backfill(repo.path, engine=engine)
    found = []
    for a, b in ((first, second), (second, first)):
        parsed = diff(repo.path, a, b, method="parse")
        recorded = diff(repo.path, a, b, method="history", database_url=database_url)
        assert parsed.errors == [] and recorded.method == "history"
        assert _changes(parsed) == _changes(recorded), (a, b)
        found.append(_changes(parsed))
    return found[0]


def test_adrs_of_a_folder_moved_with_its_adr_dir_are_moved(git_repo: GitRepo, engine: Any, database_url: str) -> None:
    git_repo.write(".adr-dir", "architecture/decisions\n")
    git_repo.write("architecture/decisions/0001-use-cards.md", adr(1, "Use cards"))
    first = git_repo.commit("decisions under architecture/")
    git_repo.git("mv", "architecture/decisions", "records")
    git_repo.write(".adr-dir", "records\n")
    second = git_repo.commit("decisions under records/")

    assert _both_methods(git_repo, engine, database_url, first, second) == [
        ("moved", "adr", "ADR-0001", "architecture/decisions/0001-use-cards.md", "records/0001-use-cards.md", ())]


def test_a_feature_renumbered_by_a_new_id_pattern_is_deleted_and_created(
        git_repo: GitRepo, engine: Any, database_url: str) -> None:
    git_repo.write("features/pay.feature", FEATURE)
    first = git_repo.commit("FEAT-1")
    git_repo.write("pyproject.toml", "[tool.tracertm]\nfeature_id_pattern = 'STORY-\\d+'\n")
    second = git_repo.commit("stories")  # the feature file is the same blob at both commits

    assert _both_methods(git_repo, engine, database_url, first, second) == [
        ("deleted", "feature", "FEAT-1", None, "features/pay.feature", ()),
        ("created", "feature", "STORY-9", None, "features/pay.feature", ()),
        ("deleted", "scenario", "FEAT-1/SC-1", None, "features/pay.feature", ()),
        ("created", "scenario", "STORY-9/SC-1", None, "features/pay.feature", ())]


def test_a_configuration_no_commit_holds_is_the_work_tree_s(git_repo: GitRepo) -> None:
    git_repo.write(".git/info/exclude", ".tracertm.toml\n")
    git_repo.write(".tracertm.toml", 'adr_paths = ["records/*.md"]\n')  # never committed
    git_repo.write("records/0001-use-cards.md", adr(1, "Use cards"))
    first = git_repo.commit("one")
    git_repo.write("records/0001-use-cards.md", adr(1, "Use cards", decision="Cards and wallets."))
    second = git_repo.commit("two")

    assert _changes(diff(git_repo.path, first, second, method="parse")) == [
        ("updated", "adr", "ADR-0001", None, "records/0001-use-cards.md", ("decision",))]


def test_a_configuration_that_does_not_load_at_a_commit_is_reported(git_repo: GitRepo) -> None:
    git_repo.write("docs/adr/0001-use-cards.md", adr(1, "Use cards"))
    git_repo.write(".tracertm.toml", "adr_paths = [\n")  # broken at the first commit only
    first = git_repo.commit("one")
    git_repo.remove(".tracertm.toml")
    git_repo.write("docs/adr/0001-use-cards.md", adr(1, "Use cards", decision="Cards and wallets."))
    second = git_repo.commit("two")

    found = diff(git_repo.path, first, second, method="parse")
    assert _changes(found) == [("updated", "adr", "ADR-0001", None, "docs/adr/0001-use-cards.md", ("decision",))]
    assert [(d.path, d.line) for d in found.errors] == [(".tracertm.toml", 2)]
    assert found.errors[0].message.startswith(f"at {first[:12]}: invalid TOML")
    assert str(git_repo.path) not in found.errors[0].message


def test_on_an_orphan_branch_the_commits_are_read_with_the_work_tree_s(git_repo: GitRepo) -> None:
    git_repo.write("docs/adr/0001-use-cards.md", adr(1, "Use cards"))
    first = git_repo.commit("one")
    git_repo.write("docs/adr/0002-use-wallets.md", adr(2, "Use wallets"))
    second = git_repo.commit("two")
    git_repo.git("checkout", "-q", "--orphan", "fresh")  # HEAD names no commit: no configuration of HEAD's

    found = diff(git_repo.path, first, second, method="parse")
    assert found.errors == [] and _changes(found) == [
        ("created", "adr", "ADR-0002", None, "docs/adr/0002-use-wallets.md", ())]
