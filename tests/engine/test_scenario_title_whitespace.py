"""An untagged scenario is identified by its name, and a name is prose: its whitespace runs are one space, as the
content hash reads a title (README "The whitespace rule"). A whitespace-only edit of a title — a doubled space
made single, a tab — was a new id: the sync deleted the scenario (its history, approval and results left on the
deleted row) and created another with the same content. It is now the same scenario, refreshed in place; and a
database an earlier tracertm numbered by the name as written is renumbered in place by the first sync after the
upgrade, with no version and no revision. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import GitRepo, run_cli
from raw_sql import set_marker, sql
from specs import adr
from tracertm import db
from tracertm.engine.parsed_by import IDS_COLLAPSED_SINCE, PARSER_OUTPUT_KEY
from tracertm.history.backfill import backfill
from tracertm.models import Scenario
from tracertm.parsers.records import SpecRecord

SPACED = "add  an\titem"  # as typed: two spaces and a tab
FEATURE = """Feature: Cart
  @ADR-0001
  Scenario: {title}
    Given an empty cart
    When I add an apple
    Then the cart holds 1 item
"""


def _sync(repo: GitRepo, url: str) -> dict[str, Any]:
    done = run_cli("sync", str(repo.path), "--database-url", url, "--format", "json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def _scenarios(url: str) -> list[tuple[str, str, int, bool, str | None]]:
    rows = sql(url, "SELECT scenario_number, title, version, deleted_at IS NOT NULL, approved_by FROM scenarios")
    return sorted((str(n), str(t), int(v), bool(d), a) for n, t, v, d, a in rows)


def _approve(url: str, number: str) -> None:
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            session.info["actor"] = "alice"
            row = session.query(Scenario).filter_by(scenario_number=number).one()
            row.approved_by = "alice"
            session.commit()
    finally:
        engine.dispose()


def _scenario_link(url: str) -> tuple[int, int]:
    """The scenario's link to ADR-0001: the ADR's version it was reviewed at, and the one it points at now."""
    (reviewed, now), = sql(url, "SELECT l.reviewed_version, a.version FROM links l "
                                "JOIN scenarios s ON s.id = l.source_id JOIN adrs a ON a.adr_number = l.target_ref")
    return int(reviewed), int(now)


def _revisions(url: str) -> list[tuple[str, int, str]]:
    rows = sql(url, "SELECT number, version, change FROM spec_revisions WHERE entity_type = 'scenario' ORDER BY seq")
    return [(str(n), int(v), str(c)) for n, v, c in rows]


def test_a_whitespace_only_edit_of_a_title_keeps_the_scenario(
    git_repo: GitRepo, database_url: str, tmp_path: Path
) -> None:
    git_repo.write("features/cart.feature", FEATURE.format(title=SPACED))
    git_repo.write("docs/adr/0001-carts.md", adr(1, "Carts"))
    git_repo.commit("cart")
    first = _sync(git_repo, database_url)
    assert [(op["action"], op["number"]) for op in first["operations"] if op["kind"] == "scenario"] == [
        ("created", "add an item")]
    _approve(database_url, "add an item")
    git_repo.write("docs/adr/0001-carts.md", adr(1, "Carts", decision="We will do it otherwise."))
    git_repo.commit("ADR changed: the scenario's link to it is suspect")
    _sync(git_repo, database_url)
    assert _scenario_link(database_url) == (1, 2)

    git_repo.write("features/cart.feature", FEATURE.format(title="add an item"))
    git_repo.commit("one space")
    second = _sync(git_repo, database_url)
    assert second["counts"]["scenario"]["created"] == second["counts"]["scenario"]["deleted"] == 0
    # The same row, its approval kept; the title as the file now writes it, refreshed without a version; its link
    # still suspect (a new scenario's link would be born reviewed).
    assert _scenarios(database_url) == [("add an item", "add an item", 2, False, "alice")]
    assert _scenario_link(database_url) == (1, 2)
    assert _revisions(database_url) == [("add an item", 1, "created"), ("add an item", 2, "annotated")]
    shown = run_cli("history", "add an item", "--database-url", database_url, "--path", str(git_repo.path))
    assert shown.returncode == 0 and "deleted" not in shown.stdout, shown.stdout + shown.stderr

    # A backfill of the history, as a sync of each commit: one scenario, created once, never deleted.
    other = f"sqlite:///{tmp_path / 'backfilled.db'}"
    backfill(git_repo.path, database_url=other)
    assert _revisions(other) == [("add an item", 1, "created")]


def _as_an_earlier_tracertm_left_it(repo: GitRepo, url: str) -> tuple[Any, str]:
    """The cart synced and its scenario approved, its id then the name as written and its hash of the fields under
    that id, its parsers' version the one before: (the row's id, its hash under today's id)."""
    _sync(repo, url)
    _approve(url, "add an item")
    (row_id, stored_hash), = sql(url, "SELECT id, content_hash FROM scenarios")
    old_hash = SpecRecord("scenario", SPACED, {**_parsed_fields(repo), "scenario_number": SPACED}).content_hash
    assert old_hash != stored_hash
    sql(url, "UPDATE scenarios SET scenario_number = :n, content_hash = :h", n=SPACED, h=old_hash)
    sql(url, "UPDATE spec_revisions SET number = :n WHERE entity_type = 'scenario'", n=SPACED)
    set_marker(url, PARSER_OUTPUT_KEY, IDS_COLLAPSED_SINCE - 1)  # parsed before today's scenario ids
    return row_id, stored_hash


def test_a_row_numbered_by_the_name_as_written_is_renumbered_in_place(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("features/cart.feature", FEATURE.format(title=SPACED))
    git_repo.commit("cart")
    row_id, stored_hash = _as_an_earlier_tracertm_left_it(git_repo, database_url)

    upgraded = _sync(git_repo, database_url)  # the first plain sync after the upgrade parses every file again
    assert upgraded["counts"]["scenario"] == {
        "created": 0, "updated": 0, "deleted": 0, "restored": 0, "moved": 0, "unchanged": 1, "errors": 0}
    assert _scenarios(database_url) == [("add an item", SPACED, 2, False, "alice")]
    assert sql(database_url, "SELECT id, content_hash FROM scenarios") == [(row_id, stored_hash)]
    assert _revisions(database_url) == [(SPACED, 1, "created"), (SPACED, 2, "annotated")]  # no version, no revision
    drift = run_cli("sync", str(git_repo.path), "--database-url", database_url, "--dry-run", "--exit-code")
    assert drift.returncode == 0, drift.stdout + drift.stderr


def test_a_backfill_merged_after_the_upgrade_keeps_the_row_numbered_the_earlier_way(
    git_repo: GitRepo, database_url: str
) -> None:
    git_repo.write("features/cart.feature", FEATURE.format(title=SPACED))
    git_repo.commit("cart")
    git_repo.write("features/cart.feature", FEATURE.format(title=SPACED) + "    And nothing else\n")
    git_repo.commit("one more step")
    row_id, _ = _as_an_earlier_tracertm_left_it(git_repo, database_url)

    backfill(git_repo.path, database_url=database_url)  # replays the history, then merges it into the rows synced
    # The synced row takes the history before it and is renumbered in place: no second row, nothing deleted.
    assert _scenarios(database_url) == [("add an item", SPACED, 3, False, "alice")]
    assert sql(database_url, "SELECT id FROM scenarios") == [(row_id,)]
    assert [(v, c) for _, v, c in _revisions(database_url)] == [(1, "created"), (2, "updated"), (3, "annotated")]


def _parsed_fields(repo: GitRepo) -> dict[str, Any]:
    from tracertm.parsers.feature import parse

    (feature,) = parse("features/cart.feature", (repo.path / "features/cart.feature").read_bytes()).records
    (scenario,) = feature.children
    return dict(scenario.fields)
