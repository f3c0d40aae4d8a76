"""A change of a parsing setting (``date_format``, the id and requirement patterns...) re-parses the unchanged files
it can affect: the blob gate alone would trust them, and the no-op fast path would say nothing changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from conftest import GitRepo
from specs import adr, feature
from tracertm import db, fastpath
from tracertm.cli import main
from tracertm.config import load_settings
from tracertm.engine.sync import sync

AMBIGUOUS = "# 1. Use X\n\nDate: 09/04/2018\n\n## Status\n\nAccepted\n\n## Context\n\nc\n\n## Decision\n\nd\n"


def _one(url: str, statement: str) -> Any:
    engine = create_engine(db.parse_url(url))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement))
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def _seed(repo: GitRepo, url: str) -> None:
    repo.write("docs/adr/0001-use-x.md", AMBIGUOUS)
    repo.write("docs/adr/0002-use-y.md", adr(2, "Use Y"))
    repo.write("features/login.feature", feature(1, "Login"))
    repo.commit("seed")
    sync(repo.path, database_url=url)


def _configure(repo: GitRepo, body: str) -> None:
    repo.write(".tracertm.toml", body)
    repo.commit("configure")


def test_date_format_re_parses_and_dry_run_sees_the_drift(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(git_repo, database_url)
    assert _one(database_url, "SELECT date FROM adrs WHERE adr_number = 'ADR-0001'") is None
    _configure(git_repo, 'date_format = "DD/MM/YYYY"\n')

    outcome = fastpath.attempt(git_repo.path, database_url=database_url)
    assert isinstance(outcome, fastpath.Miss) and "parser options" in outcome.reason
    code = main(["sync", str(git_repo.path), "--database-url", database_url, "--dry-run", "--exit-code"])
    out, _ = capsys.readouterr()
    assert code == 1, "the drift is reported"
    assert "updated   adr       ADR-0001" in out

    result = sync(git_repo.path, database_url=database_url)
    assert result.files_parsed == 3, "every file, as --full"
    assert [op.number for op in result.operations if op.action != "refresh"] == ["ADR-0001"]
    assert str(_one(database_url, "SELECT date FROM adrs WHERE adr_number = 'ADR-0001'")).startswith("2018-04-09")

    # Recorded: the next sync is a no-op again, for the fast path too.
    assert isinstance(fastpath.attempt(git_repo.path, database_url=database_url), fastpath.NoopSync)
    assert sync(git_repo.path, database_url=database_url).files_parsed == 0
    code = main(["sync", str(git_repo.path), "--database-url", database_url, "--dry-run", "--exit-code"])
    capsys.readouterr()
    assert code == 0


def test_feature_id_pattern_re_parses(git_repo: GitRepo, database_url: str) -> None:
    _seed(git_repo, database_url)
    _configure(git_repo, "feature_id_pattern = 'F-\\d+'\n")
    dry = sync(git_repo.path, database_url=database_url, dry_run=True)
    assert dry.changed
    result = sync(git_repo.path, database_url=database_url)
    assert {(op.action, op.number) for op in result.operations if op.kind == "feature"} >= {
        ("created", "login"), ("deleted", "FEAT-1")
    }


def test_a_project_without_a_recorded_digest_is_not_re_parsed(git_repo: GitRepo, database_url: str) -> None:
    """A database synced before the digest existed (or a backfill): recorded by the next sync, nothing re-parsed;
    the fast path leaves that one sync to the engine."""
    from tracertm.config import PARSER_OPTIONS_KEY

    _seed(git_repo, database_url)
    # (the folder: engine.identity; the parsers: engine.parsed_by, this test is about the options alone)
    _one(database_url, "UPDATE projects SET project_metadata = "
         f"'{{\"links_format\": {fastpath.LINKS_FORMAT}, \"spec_root\": \".\", "
         f"\"{fastpath.PARSER_OUTPUT_KEY}\": {fastpath.PARSER_OUTPUT}}}'")
    outcome = fastpath.attempt(git_repo.path, database_url=database_url)
    assert isinstance(outcome, fastpath.Miss) and "never recorded" in outcome.reason
    assert sync(git_repo.path, database_url=database_url).files_parsed == 0
    assert PARSER_OPTIONS_KEY in str(_one(database_url, "SELECT project_metadata FROM projects"))
    assert isinstance(fastpath.attempt(git_repo.path, database_url=database_url), fastpath.NoopSync)


@pytest.mark.parametrize(
    "setting",
    [
        'date_format = "MM/DD/YYYY"',
        "requirement_pattern = 'RQ-\\d+'",
        "feature_id_pattern = 'F-\\d+'",
        "scenario_id_pattern = 'S-\\d+'",
        "max_file_size = 1000",
        "feature_paths = ['specs/**/*.feature']",  # the feature folders name untagged features
    ],
)
def test_every_parsing_setting_changes_the_digest(tmp_path: Path, setting: str) -> None:
    plain = load_settings(tmp_path).parser_digest
    (tmp_path / ".tracertm.toml").write_text(setting + "\n", encoding="utf-8")
    assert load_settings(tmp_path).parser_digest != plain


def test_settings_that_do_not_parse_keep_the_digest(tmp_path: Path) -> None:
    plain = load_settings(tmp_path).parser_digest
    (tmp_path / ".tracertm.toml").write_text('lock_timeout = 5\n[step_checks]\nunused = "off"\n', encoding="utf-8")
    assert load_settings(tmp_path).parser_digest == plain


def test_a_sync_of_some_paths_leaves_the_rest_to_the_next_full_sync(git_repo: GitRepo, database_url: str) -> None:
    """The watcher syncs the paths that changed: with new options it re-parses those, and the digest stays old so
    that the next full sync re-parses every other file."""
    _seed(git_repo, database_url)
    _configure(git_repo, 'date_format = "DD/MM/YYYY"\n')
    scoped = sync(git_repo.path, database_url=database_url, paths=["docs/adr/0002-use-y.md"])
    assert scoped.files_parsed == 1
    assert _one(database_url, "SELECT date FROM adrs WHERE adr_number = 'ADR-0001'") is None
    assert isinstance(fastpath.attempt(git_repo.path, database_url=database_url), fastpath.Miss)
    full = sync(git_repo.path, database_url=database_url)
    assert full.files_parsed == 3
    assert str(_one(database_url, "SELECT date FROM adrs WHERE adr_number = 'ADR-0001'")).startswith("2018-04-09")
