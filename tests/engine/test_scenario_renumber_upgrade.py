"""The first sync after the upgrade to today's scenario ids (PARSER_OUTPUT 10: an untagged scenario's id is its
name with whitespace runs made one space) renumbers the rows an earlier tracertm numbered by the name as written,
in place. Which row is which scenario is what the earlier rule said, not what today's id finds first:

- A title re-spaced under the earlier rule (``add an item`` → ``add  an item``) had deleted its scenario and
  created another: the database holds a deleted row ``add an item`` and the live, approved ``add  an item``. The
  upgrade restored the deleted row and deleted the live one, with its approval and results.
- Two scenarios of one file named alike but spaced differently (``dup  name``, ``dup name``) were two ids; today
  they are ``dup name`` and ``dup name#2``: the first scenario took the second's row (a new version) and the second
  was created anew, the first's row deleted with its approval.

The upgrade versions, deletes and creates nothing there. And ``show --at`` reads the revisions an earlier tracertm
wrote (numbered and hashed by the name as written) against a file today's parser reads, and a backfill's merge
finds the states they recorded among the history's. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import GitRepo, run_cli
from raw_sql import as_json, set_marker, sql
from tracertm import db
from tracertm.engine.parsed_by import IDS_COLLAPSED_SINCE, PARSER_OUTPUT_KEY
from tracertm.history.checkpoint import CHECKPOINT_KEY
from tracertm.models import Scenario
from tracertm.parsers.feature import parse
from tracertm.parsers.records import SpecRecord

SPACED = "add  an\titem"
ONE = """Feature: Cart
  Scenario: {title}
    Given an empty cart
    When I add an apple
    Then the cart holds 1 item
"""
CART = """Feature: Cart
  Scenario: {title}
    Given an empty cart

  Scenario: remove an item
    Given a cart with 1 item
"""
TWO = """Feature: Cart
  Scenario: dup  name
    When I add an apple
    Then the cart holds 1 item

  Scenario: dup name
    When I add a pear
    Then the cart holds 1 item
"""


def _sync(repo: GitRepo, url: str) -> dict[str, Any]:
    done = run_cli("sync", str(repo.path), "--database-url", url, "--format", "json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def _approve(url: str, number: str) -> None:
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            session.info["actor"] = "alice"
            session.query(Scenario).filter_by(scenario_number=number).one().approved_by = "alice"
            session.commit()
    finally:
        engine.dispose()


def _hash_as(repo: GitRepo, position: int, number: str) -> str:
    """The content hash an earlier tracertm stored for the file's scenario at ``position``, numbered ``number``."""
    (feature,) = parse("features/cart.feature", (repo.path / "features/cart.feature").read_bytes()).records
    fields = feature.children[position].fields
    return SpecRecord("scenario", number, {**fields, "scenario_number": number}).content_hash


def _renumber(url: str, row_id: Any, number: str, content_hash: str | None = None) -> None:
    """The row numbered as an earlier tracertm numbered it, its revisions too (and its hash under that id)."""
    sql(url, "UPDATE scenarios SET scenario_number = :n WHERE id = :i", n=number, i=row_id)
    if content_hash is not None:
        sql(url, "UPDATE scenarios SET content_hash = :h WHERE id = :i", h=content_hash, i=row_id)
    sql(url, "UPDATE spec_revisions SET number = :n WHERE entity_id = :i", n=number, i=row_id)


def _rows(url: str) -> list[tuple[str, int, bool, str | None]]:
    rows = sql(url, "SELECT scenario_number, version, deleted_at IS NOT NULL, approved_by FROM scenarios "
                    "WHERE title <> 'gone for now'")  # (the scenario of the earlier rename: not part of the story)
    return sorted((str(n), int(v), bool(d), a) for n, v, d, a in rows)


def _upgraded(repo: GitRepo, url: str) -> dict[str, int]:
    """The first sync after the upgrade (it parses every file again), checked to leave no drift behind, also to a
    sync that parses every file again (the rows are today's: the earlier rule's ids pair nothing any more)."""
    set_marker(url, PARSER_OUTPUT_KEY, BEFORE)
    counts = dict(_sync(repo, url)["counts"]["scenario"])
    for full in ([], ["--full"]):
        drift = run_cli("sync", str(repo.path), "--database-url", url, "--dry-run", "--exit-code", *full)
        assert drift.returncode == 0, drift.stdout + drift.stderr
    return counts


# The parsers of a database made before today's scenario ids (not ``PARSER_OUTPUT - 1``: later bumps follow).
BEFORE = IDS_COLLAPSED_SINCE - 1
UNCHANGED = {"created": 0, "updated": 0, "deleted": 0, "restored": 0, "moved": 0, "errors": 0}


@pytest.mark.parametrize("first", ["sync", "backfill"])
def test_a_title_re_spaced_before_the_upgrade_keeps_its_live_scenario(
    git_repo: GitRepo, database_url: str, first: str
) -> None:
    # What an earlier tracertm left: 'add an item' synced, its title re-spaced (then a delete and a create), the
    # new scenario approved.
    git_repo.write("features/cart.feature", ONE.format(title="add an item"))
    git_repo.commit("cart")
    _sync(git_repo, database_url)
    git_repo.write("features/cart.feature", ONE.format(title="gone for now"))
    git_repo.commit("renamed")
    _sync(git_repo, database_url)
    (deleted_id,), = sql(database_url, "SELECT id FROM scenarios WHERE scenario_number = 'add an item'")
    _renumber(database_url, deleted_id, "put aside")
    git_repo.write("features/cart.feature", ONE.format(title=SPACED))
    git_repo.commit("re-spaced")
    _sync(git_repo, database_url)  # today's tracertm creates 'add an item': the earlier one created SPACED
    _approve(database_url, "add an item")
    (live_id,), = sql(database_url, "SELECT id FROM scenarios WHERE scenario_number = 'add an item'")
    _renumber(database_url, live_id, SPACED, _hash_as(git_repo, 0, SPACED))
    _renumber(database_url, deleted_id, "add an item")
    assert _rows(database_url) == [(SPACED, 2, False, "alice"), ("add an item", 2, True, None)]
    revisions = sql(database_url, "SELECT count(*) FROM spec_revisions")

    if first == "backfill":  # the history merged into the rows: nothing to add, the rows renumbered
        set_marker(database_url, PARSER_OUTPUT_KEY, BEFORE)
        done = run_cli("backfill", str(git_repo.path), "--database-url", database_url, "--quiet")
        assert done.returncode == 0, done.stderr
    assert {k: v for k, v in _upgraded(git_repo, database_url).items() if k != "unchanged"} == UNCHANGED
    # The live scenario is the one renumbered, its approval kept; the deleted one stays deleted, under the id as
    # written the live one left, which no file gives any more.
    assert _rows(database_url) == [(SPACED, 2, True, None), ("add an item", 2, False, "alice")]
    assert sql(database_url, "SELECT id FROM scenarios WHERE scenario_number = 'add an item'") == [(live_id,)]
    assert sql(database_url, "SELECT count(*) FROM spec_revisions") == revisions  # no version, no revision


def test_a_backfill_after_the_upgrade_leaves_a_re_spaced_title_where_its_rows_were(
    git_repo: GitRepo, database_url: str
) -> None:
    # An earlier tracertm backfilled 'add  an item' (numbered as written); the title re-spaced and synced by it: that
    # row deleted, 'add an item' created there. After the upgrade, a backfill merged onto that history gave the live
    # row the history's creation (today's id sees one scenario since the first commit): both rows were live at the
    # first commit, and diff from history said the scenario was deleted, where parse said nothing changed.
    spaced = "add  an item"
    git_repo.write("features/cart.feature", CART.format(title=spaced))
    first = git_repo.commit("cart")
    done = run_cli("backfill", str(git_repo.path), "--database-url", database_url, "--quiet")
    assert done.returncode == 0, done.stderr
    (old_id,), = sql(database_url, "SELECT id FROM scenarios WHERE scenario_number = 'add an item'")
    spaced_hash = _hash_as(git_repo, 0, spaced)
    _renumber(database_url, old_id, "put aside")  # (today's sync would renumber the row: the earlier one did not)
    git_repo.write("features/cart.feature", CART.format(title="add an item"))
    second = git_repo.commit("re-spaced")
    synced = run_cli("sync", str(git_repo.path), "--ref", "HEAD", "--database-url", database_url)
    assert synced.returncode == 0, synced.stderr
    _renumber(database_url, old_id, spaced, spaced_hash)
    sql(database_url, "UPDATE spec_revisions SET content_hash = :h WHERE entity_id = :i", h=spaced_hash, i=old_id)
    set_marker(database_url, PARSER_OUTPUT_KEY, BEFORE)
    set_marker(database_url, CHECKPOINT_KEY, None)  # (an earlier sync did not carry the backfill on: it merges)
    synced = run_cli("sync", str(git_repo.path), "--ref", "HEAD", "--database-url", database_url)  # the upgrade
    assert synced.returncode == 0, synced.stderr
    done = run_cli("backfill", str(git_repo.path), "--database-url", database_url, "--quiet")
    assert done.returncode == 0, done.stderr

    assert sorted(sql(database_url, "SELECT number, version, change, commit_sha FROM spec_revisions "
                                    "WHERE entity_type = 'scenario' AND number <> 'remove an item'")) == [
        (spaced, 1, "created", first), (spaced, 2, "deleted", second), ("add an item", 1, "created", second)]
    shown = run_cli("show", "cart/add an item", "--at", first, "--database-url", database_url, "--path",
                    str(git_repo.path))
    assert shown.returncode != 0 and "has no revision at or before" in shown.stderr, shown.stdout + shown.stderr
    for method in ("history", "parse"):
        changes = run_cli("diff", first, second, "--method", method, "--path", str(git_repo.path),
                          "--database-url", database_url, "--format", "json")
        assert changes.returncode == 0, changes.stderr
        assert json.loads(changes.stdout)["changes"] == [], (method, changes.stdout)


def test_two_scenarios_spaced_apart_keep_their_rows(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/cart.feature", TWO)
    git_repo.commit("cart")
    _sync(git_repo, database_url)
    _approve(database_url, "dup name")
    (first,), = sql(database_url, "SELECT id FROM scenarios WHERE scenario_number = 'dup name'")
    (second,), = sql(database_url, "SELECT id FROM scenarios WHERE scenario_number = 'dup name#2'")
    # The earlier rule's ids: each name as written.
    _renumber(database_url, first, "dup  name", _hash_as(git_repo, 0, "dup  name"))
    _renumber(database_url, second, "dup name", _hash_as(git_repo, 1, "dup name"))
    assert _rows(database_url) == [("dup  name", 2, False, "alice"), ("dup name", 1, False, None)]
    revisions = sql(database_url, "SELECT count(*) FROM spec_revisions")

    assert {k: v for k, v in _upgraded(git_repo, database_url).items() if k != "unchanged"} == UNCHANGED
    assert _rows(database_url) == [("dup name", 2, False, "alice"), ("dup name#2", 1, False, None)]
    assert sql(database_url, "SELECT id FROM scenarios WHERE scenario_number = 'dup name'") == [(first,)]
    assert sql(database_url, "SELECT count(*) FROM spec_revisions") == revisions


def test_show_at_a_commit_reads_a_revision_numbered_the_earlier_way(git_repo: GitRepo, database_url: str) -> None:
    # 'show --at' reads the record's file at the commit to tell whether the newest revision still holds there: the
    # parser names the scenario 'add an item' now, and the revisions an earlier tracertm wrote 'add  an\titem'.
    git_repo.write("features/cart.feature", ONE.format(title=SPACED))
    first = git_repo.commit("cart")
    _sync(git_repo, database_url)
    (row_id,), = sql(database_url, "SELECT id FROM scenarios")
    _renumber(database_url, row_id, SPACED, _hash_as(git_repo, 0, SPACED))
    sql(database_url, "UPDATE spec_revisions SET content_hash = :h WHERE entity_id = :i",
        h=_hash_as(git_repo, 0, SPACED), i=row_id)
    set_marker(database_url, PARSER_OUTPUT_KEY, BEFORE)
    git_repo.write("docs/notes.md", "not a spec\n")
    later = git_repo.commit("a commit no sync recorded")

    def version_at(number: str, at: str) -> int:
        shown = run_cli("show", number, "--at", at, "--database-url", database_url, "--path", str(git_repo.path),
                        "--format", "json")
        assert shown.returncode == 0, shown.stderr
        return int(json.loads(shown.stdout)["version"])

    assert version_at(f"cart/{SPACED}", first) == version_at(f"cart/{SPACED}", later) == 1
    _sync(git_repo, database_url)  # the first sync after the upgrade: the row renumbered, its revisions as written
    git_repo.write("docs/notes.md", "still not a spec\n")
    third = git_repo.commit("another commit no sync recorded")
    assert version_at("cart/add an item", later) == version_at("cart/add an item", third) == 1


def test_a_backfill_after_the_upgrade_adds_no_state_a_sync_recorded(git_repo: GitRepo, database_url: str) -> None:
    # The history backfilled, the scenario approved, then an edit synced from the work tree before it was
    # committed: a second backfill's merge finds that state among the revisions by its content hash (the first of
    # the database's own revisions, the approval, has no commit) — which an earlier tracertm computed under the id
    # as written.
    git_repo.write("features/cart.feature", ONE.format(title=SPACED))
    git_repo.commit("cart")
    done = run_cli("backfill", str(git_repo.path), "--database-url", database_url, "--quiet")
    assert done.returncode == 0, done.stderr
    _approve(database_url, "add an item")
    git_repo.write("features/cart.feature", ONE.format(title=SPACED) + "    And nothing else\n")
    _sync(git_repo, database_url)  # uncommitted
    git_repo.commit("one more step")
    hooked = run_cli("sync", str(git_repo.path), "--ref", "HEAD", "--database-url", database_url)  # as a hook
    assert hooked.returncode == 0, hooked.stderr
    (row_id,), = sql(database_url, "SELECT id FROM scenarios")
    _renumber(database_url, row_id, SPACED, _hash_as(git_repo, 0, SPACED))
    stored = None  # each revision's hash as an earlier tracertm computed it (an annotated one: the row's then)
    for revision_id, change, snapshot in sql(
        database_url, "SELECT id, change, snapshot FROM spec_revisions WHERE entity_id = :i ORDER BY seq", i=row_id
    ):
        if change != "annotated":
            fields = {k: v for k, v in as_json(snapshot).items() if k != "feature_number"}
            stored = SpecRecord("scenario", SPACED, {**fields, "scenario_number": SPACED}).content_hash
        sql(database_url, "UPDATE spec_revisions SET content_hash = :h WHERE id = :i", i=revision_id, h=stored)
    set_marker(database_url, PARSER_OUTPUT_KEY, BEFORE)
    revisions = sql(database_url, "SELECT version, change FROM spec_revisions WHERE entity_id = :i ORDER BY seq",
                    i=row_id)
    assert revisions == [(1, "created"), (2, "annotated"), (3, "updated")]

    done = run_cli("backfill", str(git_repo.path), "--database-url", database_url, "--quiet")
    assert done.returncode == 0, done.stderr
    # Neither commit adds a revision: each state is recorded already (the second one was recorded twice).
    assert sql(database_url, "SELECT version, change FROM spec_revisions WHERE entity_id = :i ORDER BY seq",
               i=row_id) == revisions
    assert _rows(database_url) == [("add an item", 3, False, "alice")]


def test_a_backfill_continued_after_the_upgrade_renumbers_once(git_repo: GitRepo, database_url: str) -> None:
    # The history backfilled by an earlier tracertm up to the cart; the backfill after the upgrade continues with the
    # commits since, replayed against the rows loaded from the database.
    git_repo.write("features/cart.feature", ONE.format(title=SPACED))
    git_repo.commit("cart")
    done = run_cli("backfill", str(git_repo.path), "--database-url", database_url, "--quiet")
    assert done.returncode == 0, done.stderr
    (row_id,), = sql(database_url, "SELECT id FROM scenarios")
    _renumber(database_url, row_id, SPACED, _hash_as(git_repo, 0, SPACED))
    git_repo.write("features/cart.feature", ONE.format(title=SPACED) + "    And nothing else\n")
    git_repo.commit("one more step")  # the row renumbered here (and updated)
    git_repo.write("features/cart.feature", ONE.format(title=SPACED) + "    And nothing else\n\n"
                   "  Scenario: another\n    Given an empty cart\n")
    git_repo.commit("another scenario")  # the row left as it is

    done = run_cli("backfill", str(git_repo.path), "--database-url", database_url, "--quiet")
    assert done.returncode == 0, done.stderr
    assert _rows(database_url) == [("add an item", 2, False, None), ("another", 1, False, None)]
    assert sql(database_url, "SELECT version, change FROM spec_revisions WHERE entity_id = :i ORDER BY seq",
               i=row_id) == [(1, "created"), (2, "updated")]
