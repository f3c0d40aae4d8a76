"""Records made by an older version of the parsers (``parsers.common.PARSER_OUTPUT``): a database synced before a
parser changed what it makes of the same bytes — a pytest-bdd ``parsers.parse(..., case_sensitive=True)`` had no
flag ``c`` before — is parsed again once by the next plain sync (no ``--full``): a record whose content hash changes
is a version with one ``updated`` revision, as after a change of parser options; one whose other fields differ is
refreshed in place (no version, no revision); and the fast path answers the syncs after it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import GitRepo
from raw_sql import as_json as _json, project_metadata as _metadata, set_marker, sql as _sql
from tracertm import fastpath
from tracertm.cli import main
from tracertm.engine.parsed_by import PARSER_OUTPUT, PARSER_OUTPUT_KEY
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.steps.records import StepRecord

FEATURE = "Feature: case\n  Scenario: user\n    Given the USER logs in\n"
MODULE = (
    "from pytest_bdd import given, scenarios, parsers\n\nscenarios('../features/case.feature')\n\n\n"
    "@given(parsers.parse('the user logs in', case_sensitive=True))\ndef logs_in():\n    pass\n")
STEP = "tests/test_case.py::logs_in"


def _definition(url: str) -> tuple[dict[str, Any], str, int, int]:
    """The stored definition's metadata, content hash, version and line."""
    (meta, content_hash, version, line), = _sql(
        url, "SELECT step_metadata, content_hash, version, line FROM step_definitions")
    return _json(meta), content_hash, version, line


def _revisions(url: str) -> list[tuple[str, str, int, str]]:
    rows = _sql(url, "SELECT entity_type, number, version, change FROM spec_revisions")
    return sorted((str(t), str(n), int(v), str(c)) for t, n, v, c in rows)


def _as_older_parsers_left_them(url: str, marker: int | None) -> None:
    """The rows and metadata of a database an older tracertm synced: the definition without its flag ``c`` (and the
    content hash of that), a feature's ``file_path`` and a scenario's ``gherkin_text`` (not hashed) as another
    parser might have kept them, and its parsers' version (None: a tracertm from before the version was kept)."""
    meta, _, _, _ = _definition(url)
    meta.pop("flags")
    fields = {"step_type": "given", "pattern": "the user logs in", "pattern_kind": "parse", "parameters": [],
              "step_metadata": meta}
    old_hash = StepRecord("step_definition", STEP, fields, 6).content_hash
    _sql(url, "UPDATE step_definitions SET step_metadata = :m, content_hash = :h, line = 99",
         m=json.dumps(meta), h=old_hash)
    _sql(url, "UPDATE features SET file_path = 'stale.feature'")
    _sql(url, "UPDATE scenarios SET gherkin_text = 'stale'")
    set_marker(url, PARSER_OUTPUT_KEY, marker)


def _case(repo: GitRepo) -> None:
    repo.write("features/case.feature", FEATURE)
    repo.write("tests/test_case.py", MODULE)
    repo.commit("case")


def test_the_fast_path_mirrors_the_parsers_version() -> None:
    assert (fastpath.PARSER_OUTPUT_KEY, fastpath.PARSER_OUTPUT) == (PARSER_OUTPUT_KEY, PARSER_OUTPUT)


@pytest.mark.parametrize("marker", [None, PARSER_OUTPUT - 1])
def test_a_plain_sync_parses_again_what_older_parsers_stored(
    git_repo: GitRepo, database_url: str, marker: int | None, capsys: pytest.CaptureFixture[str],
) -> None:
    _case(git_repo)
    sync(git_repo.path, database_url=database_url)
    meta, new_hash, _, _ = _definition(database_url)
    assert meta["flags"] == "c"
    before = _revisions(database_url)
    _as_older_parsers_left_them(database_url, marker)

    outcome = fastpath.attempt(git_repo.path, database_url=database_url)
    assert isinstance(outcome, fastpath.Miss) and "older version of the parsers" in outcome.reason
    capsys.readouterr()
    assert main(["sync", str(git_repo.path), "--database-url", database_url, "--dry-run", "--exit-code"]) == 1
    assert f"updated   step_definition {STEP}" in capsys.readouterr().out
    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 0

    # The content changed: a new version, with one revision, as a change of parser options writes it.
    meta, content_hash, version, line = _definition(database_url)
    assert (meta.get("flags"), content_hash, version, line) == ("c", new_hash, 2, 6)
    assert _revisions(database_url) == sorted([*before, ("step_definition", STEP, 2, "updated")])
    # The same content, other fields: refreshed in place, as for a file whose bytes changed (no version).
    assert _sql(database_url, "SELECT file_path, version FROM features") == [("features/case.feature", 1)]
    assert _sql(database_url, "SELECT gherkin_text, version FROM scenarios")[0][0].strip().startswith("Scenario")
    assert _metadata(database_url)[PARSER_OUTPUT_KEY] == PARSER_OUTPUT

    # Once: the syncs after it are no-ops, the fast path's and the engine's.
    assert isinstance(fastpath.attempt(git_repo.path, database_url=database_url), fastpath.NoopSync)
    assert sync(git_repo.path, database_url=database_url).files_parsed == 0


def test_a_sync_of_some_paths_leaves_the_rest_to_the_next_full_sync(git_repo: GitRepo, database_url: str) -> None:
    """The watcher syncs the paths that changed: those are parsed again, and the version stays old so that the next
    full sync parses every other file."""
    _case(git_repo)
    sync(git_repo.path, database_url=database_url)
    _as_older_parsers_left_them(database_url, None)
    assert sync(git_repo.path, database_url=database_url, paths=["features/case.feature"]).files_parsed == 1
    assert "flags" not in _definition(database_url)[0] and PARSER_OUTPUT_KEY not in _metadata(database_url)
    assert sync(git_repo.path, database_url=database_url).files_parsed == 2
    assert _definition(database_url)[0]["flags"] == "c"


def test_a_backfill_records_the_parsers_it_parsed_with(git_repo: GitRepo, database_url: str) -> None:
    _case(git_repo)
    backfill(git_repo.path, database_url=database_url)
    assert _metadata(database_url)[PARSER_OUTPUT_KEY] == PARSER_OUTPUT
    assert sync(git_repo.path, database_url=database_url).files_parsed == 0


def test_the_findings_stored_of_unchanged_files_are_the_new_parsers(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str],
) -> None:
    """What a sync reports of a file it does not read is the file's stored findings (``source_files.parse_error``),
    the fast path's no-op too: the parse after an upgrade stores the new parsers' (the warning at a scenario's
    leading And said 'continues no step; counted as Given' before it named the type the step is matched as)."""
    git_repo.write("features/shop.feature", "Feature: Shop\n  Background:\n    Given a shop\n    When I open it\n\n"
                   "  Scenario: Browse\n    And I look around\n    Then I see goods\n")
    git_repo.commit("shop")
    sync(git_repo.path, database_url=database_url)
    old = "step 'And I look around' continues no step; counted as Given"
    _sql(database_url, "UPDATE source_files SET parse_error = :e",
         e=json.dumps([{"line": 7, "column": 0, "message": old, "severity": "warning"}]))
    metadata = _metadata(database_url)
    metadata.pop(PARSER_OUTPUT_KEY)
    _sql(database_url, "UPDATE projects SET project_metadata = :m", m=json.dumps(metadata))

    assert sync(git_repo.path, database_url=database_url).files_parsed == 1
    assert isinstance(fastpath.attempt(git_repo.path, database_url=database_url), fastpath.NoopSync)
    capsys.readouterr()
    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 0  # a no-op: the stored findings
    said = "".join(capsys.readouterr())
    assert "matched as a When step, continuing the Background's last step" in said and old not in said
    (stored,), = _sql(database_url, "SELECT parse_error FROM source_files")
    assert [d["message"] for d in _json(stored)] == [
        "step 'And I look around' starts its scenario: matched as a When step, continuing the Background's last "
        "step; stored with the Given steps"]
