"""A database written by an older tracertm keeps that tracertm's content hashes in its revisions (revisions are never
rewritten; the hash scheme of the records is refreshed silently). After the upgrade, ``coverage`` compares a work-tree
revision's hash with the run commit's content: a scenario tested at exactly that content is not stale because the
two hashes come from different schemes.

The old state is built without the old code: the schema at revision 0006 (test results, hash scheme 2) and the rows
tracertm of that revision wrote for a synced feature and an imported passing run; then ``db upgrade`` and ``sync``
with this tracertm, which must change nothing, then ``coverage``."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import GitRepo, run_cli
from tracertm import db
from tracertm.config import load_settings
from tracertm.engine.scan import Location
from tracertm.parsers.common import previous_scheme_hash
from tracertm.results.source import feature_records

FEATURE = """@FEAT-1
Feature: Cart
  As a shopper I want a cart.

  @SC-1
  Scenario: Add an item
    Given an empty cart
    When I add an apple
    Then the cart holds 1 item
"""
OLD_REVISION = "0006"
OLD_SCHEME = "2"  # the hash scheme tracertm wrote at schema revision 0006


def _old_database(url: str, repo: GitRepo, head: str) -> dict[str, str]:
    """The rows an older tracertm left: a work-tree sync of the feature (revisions without a commit, as a sync of a
    work tree writes them) and a cucumber run at ``head`` that passed the scenario."""
    location = Location.find(repo.path)
    ((path, feature),) = feature_records(location, load_settings(location.root))
    (scenario,) = feature.children
    ids = {name: uuid.uuid4().hex for name in ("project", "sync", "file", "feature", "scenario", "run", "case")}
    blob = repo.git("rev-parse", f"HEAD:{path}")
    root = repo.git("rev-list", "--max-parents=0", "HEAD")
    feature_hash = previous_scheme_hash("feature", feature.fields, OLD_SCHEME)
    scenario_hash = previous_scheme_hash("scenario", scenario.fields, OLD_SCHEME)
    when = "2025-01-02 10:00:00"
    p: dict[str, Any] = {**ids, "path": path, "blob": blob, "root": root, "head": head, "when": when,
                         "fh": feature_hash, "sh": scenario_hash,
                         "digest": "d" * 64, "frev": uuid.uuid4().hex, "srev": uuid.uuid4().hex}
    statements = [
        "INSERT INTO projects (id, name, root_commit, last_synced_commit, last_synced_at, project_metadata) "
        "VALUES (:project, 'repo', :root, :head, :when, '{}')",
        "INSERT INTO sync_runs (id, project_id, \"trigger\", status, finished_at, counts, errors) "
        "VALUES (:sync, :project, 'cli', 'ok', :when, '{}', '[]')",
        "INSERT INTO source_files (id, project_id, path, kind, blob_sha, size) "
        "VALUES (:file, :project, :path, 'feature', :blob, 0)",
        "INSERT INTO features (id, feature_number, project_id, name, description, status, file_path, source_path, "
        "content_hash, version, tags, related_requirements, related_adrs, feature_metadata) VALUES (:feature, "
        "'FEAT-1', :project, 'Cart', 'As a shopper I want a cart.', 'draft', :path, :path, :fh, 1, '[\"FEAT-1\"]', "
        "'[]', '[]', '{}')",
        "INSERT INTO scenarios (id, scenario_number, feature_id, position, title, status, source_path, content_hash, "
        "version, tags, background, given_steps, when_steps, then_steps, is_outline, examples, requirement_ids, "
        "test_case_ids, scenario_metadata, pass_rate, last_executed_at, last_status, execution_count, flaky) "
        "VALUES (:scenario, 'SC-1', :feature, 0, 'Add an item', 'draft', :path, :sh, 1, '[\"SC-1\"]', '[]', '[]', "
        "'[]', '[]', false, '[]', '[]', '[]', '{}', 1.0, :when, 'passed', 1, false)",
        "INSERT INTO spec_revisions (id, project_id, entity_type, entity_id, number, version, change, content_hash, "
        "source_path, snapshot, sync_run_id, created_at) VALUES "
        "(:frev, :project, 'feature', :feature, 'FEAT-1', 1, 'created', :fh, :path, '{}', :sync, :when)",
        "INSERT INTO spec_revisions (id, project_id, entity_type, entity_id, number, version, change, content_hash, "
        "source_path, snapshot, sync_run_id, created_at) VALUES "
        "(:srev, :project, 'scenario', :scenario, 'SC-1', 1, 'created', :sh, :path, '{}', :sync, :when)",
        # The run: tests of ``head`` run after the sync and imported (a report without its own time).
        "INSERT INTO test_runs (id, project_id, commit_sha, source_format, imported_at, counts, digest, files) "
        "VALUES (:run, :project, :head, 'cucumber-json', '2025-01-02 11:00:00', '{\"passed\": 1}', :digest, '[]')",
        "INSERT INTO test_cases (id, project_id, test_case_number, title, last_execution_result, last_executed_at, "
        "test_case_metadata) VALUES (:case, :project, 'cart;add-an-item', 'Add an item', 'passed', :when, '{}')",
        "INSERT INTO test_results (run_id, test_case_id, scenario_id, match_rule, status, failed_attempts) "
        "VALUES (:run, :case, :scenario, 'tag', 'passed', 0)",
        "INSERT INTO scenario_test_case_association (scenario_id, test_case_id) VALUES (:scenario, :case)",
    ]
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement), p)
    finally:
        engine.dispose()
    return ids


def _versions(url: str) -> list[tuple[str, int, int]]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT s.scenario_number, s.version, (SELECT count(*) FROM spec_revisions r "
                "WHERE r.entity_id = s.id) FROM scenarios s UNION ALL SELECT f.feature_number, f.version, "
                "(SELECT count(*) FROM spec_revisions r WHERE r.entity_id = f.id) FROM features f ORDER BY 1"))]
    finally:
        engine.dispose()


def test_scenario_tested_at_its_content_is_not_stale_after_the_upgrade(
    empty_database_url: str, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = empty_database_url
    git_repo.write("features/cart.feature", FEATURE)
    head = git_repo.commit("cart", author="Ada <ada@example.com>", date="2025-01-01T10:00:00Z")
    engine = db.make_engine(url)
    try:
        db.upgrade(engine, OLD_REVISION)
    finally:
        engine.dispose()
    _old_database(url, git_repo, head)
    before = _versions(url)
    assert before == [("FEAT-1", 1, 1), ("SC-1", 1, 1)]

    assert run_cli("db", "upgrade", "--database-url", url).returncode == 0
    monkeypatch.chdir(git_repo.path)
    synced = run_cli("sync", "--database-url", url, "--format", "json")
    assert synced.returncode == 0, synced.stderr
    counts = json.loads(synced.stdout)["counts"]
    for kind in ("feature", "scenario"):
        changed = {k: v for k, v in counts.get(kind, {}).items() if k != "unchanged" and v}
        assert changed == {}, (kind, counts)  # the upgrade invents no version
    assert _versions(url) == before

    result = run_cli("coverage", "--database-url", url, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["never_executed"] == [] and report["failing"] == []
    assert report["stale"] == [], report["stale"]  # the run tested exactly what the (old) sync recorded
