"""Deleted parents (issue 11, item 7): a scenario whose feature file was deleted is shown, marked deleted, by
``show`` and ``history``; relationship loads of an object loaded with ``include_deleted`` are not filtered, while
ordinary loads still hide soft-deleted rows. SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import feature
from tracertm import db
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.models import Feature, Scenario


def _synced_then_deleted(repo: GitRepo, engine) -> None:  # type: ignore[no-untyped-def]
    repo.write("features/login.feature", feature(1, "Login"))
    repo.write("features/other.feature", feature(2, "Other", {"kept": ["Given a", "Then b"]}).replace("@SC-1", "@SC-9"))
    repo.commit("seed")
    sync(repo.path, engine=engine)
    repo.remove("features/login.feature")
    repo.commit("drop login")
    result = sync(repo.path, engine=engine)
    assert result.counts["feature"]["deleted"] == 1 and result.counts["scenario"]["deleted"] == 2


def test_show_and_history_of_a_scenario_whose_feature_was_deleted(
    git_repo: GitRepo, engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _synced_then_deleted(git_repo, engine)
    common = ["--database-url", database_url, "--path", str(git_repo.path), "--format", "json"]
    assert main(["show", "SC-1", *common]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["scenario_number"] == "SC-1" and shown["deleted"] is True
    assert shown["feature"] == "FEAT-1" and shown["feature_deleted"] is True
    assert main(["history", "SC-1", *common]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [(h["version"], h["change"]) for h in history] == [(1, "created"), (2, "deleted")]
    assert main(["show", "SC-1", "--database-url", database_url, "--path", str(git_repo.path)]) == 0
    assert "deleted: True" in capsys.readouterr().out


def test_include_deleted_reaches_relationship_loads_only_of_what_it_loaded(git_repo: GitRepo, engine) -> None:
    _synced_then_deleted(git_repo, engine)
    with db.session(engine) as s:
        scenario = s.execute(
            select(Scenario).where(Scenario.scenario_number == "SC-1").execution_options(include_deleted=True)
        ).scalar_one()
        assert scenario.feature is not None and scenario.feature.feature_number == "FEAT-1"
        assert scenario.feature.deleted_at is not None
    with db.session(engine) as s:
        assert s.execute(select(Scenario).where(Scenario.scenario_number == "SC-1")).scalar_one_or_none() is None
        live = s.execute(select(Feature).where(Feature.feature_number == "FEAT-2")).scalar_one()
        assert [sc.scenario_number for sc in live.scenarios] == ["SC-9"]
    # write sessions filter too
    with db.write_session(engine, "x") as s:
        assert s.execute(select(Feature).where(Feature.feature_number == "FEAT-1")).scalar_one_or_none() is None
