"""The ADR folder changes over history (issue 13 item 6): backfill reads each commit with the configuration of that
commit (``.adr-dir``, ``.tracertm.toml``), and a folder rename is ``moved``, not a delete plus a create."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

import pytest

from conftest import GitRepo
from test_backfill_promise import _state
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Base


def _adr_history(engine: Any) -> dict[str, list[tuple[str, int, str | None, str]]]:
    t = Base.metadata.tables["spec_revisions"].c
    with engine.connect() as conn:
        rows = conn.execute(select(t.number, t.change, t.version, t.commit_sha, t.source_path, t.committed_at)
                            .where(t.entity_type == "adr")).all()
    out: dict[str, list[tuple[str, int, str | None, str]]] = {}
    for r in sorted(rows, key=lambda r: (r.number, r.committed_at, r.version)):
        out.setdefault(r.number, []).append((r.change, r.version, r.commit_sha, r.source_path))
    return out


def _moved_adr_dir(git_repo: GitRepo, old: str, new: str) -> tuple[str, str, str, str]:
    git_repo.write(".adr-dir", old + "\n")
    git_repo.write(f"{old}/0001-record-decisions.md", adr(1, "Record decisions"))
    git_repo.write(f"{old}/0002-use-kafka.md", adr(2, "Use Kafka"))
    c1 = git_repo.commit("adr init", date="2019-01-01T10:00:00+00:00")
    git_repo.write(f"{old}/0002-use-kafka.md", adr(2, "Use Kafka", decision="Kafka, with schemas."))
    c2 = git_repo.commit("edit", date="2020-01-01T10:00:00+00:00")
    git_repo.git("mv", "doc", "docs")
    git_repo.write(".adr-dir", new + "\n")
    c3 = git_repo.commit("move the ADRs", date="2023-01-01T10:00:00+00:00")
    git_repo.write(f"{new}/0001-record-decisions.md", adr(1, "Record decisions", decision="In Markdown."))
    c4 = git_repo.commit("edit again", date="2024-01-01T10:00:00+00:00")
    return c1, c2, c3, c4


def test_adr_dir_renamed_with_its_folder_keeps_the_history(git_repo: GitRepo, database_url: str) -> None:
    old, new = "doc/architecture/decisions", "docs/architecture/decisions"
    c1, c2, c3, c4 = _moved_adr_dir(git_repo, old, new)
    engine = db.make_engine(database_url)
    try:
        result = backfill(git_repo.path, engine=engine, project="p")
        assert result.errors == [] and result.head_errors == []
        p1, p2 = f"{new}/0001-record-decisions.md", f"{new}/0002-use-kafka.md"
        assert _adr_history(engine) == {
            "ADR-0001": [("created", 1, c1, f"{old}/0001-record-decisions.md"), ("moved", 1, c3, p1),
                         ("updated", 2, c4, p1)],
            "ADR-0002": [("created", 1, c1, f"{old}/0002-use-kafka.md"), ("updated", 2, c2, f"{old}/0002-use-kafka.md"),
                         ("moved", 2, c3, p2)],
        }
        files = Base.metadata.tables["source_files"].c
        with engine.connect() as conn:
            index = {r.path: r.deleted_at is not None for r in conn.execute(select(files.path, files.deleted_at))}
        assert index == {f"{old}/0001-record-decisions.md": True, f"{old}/0002-use-kafka.md": True, p1: False, p2: False}
    finally:
        engine.dispose()


def test_configured_adr_paths_follow_the_configuration_of_each_commit(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write(".tracertm.toml", 'adr_paths = ["decisions/*.md"]\n')
    git_repo.write("decisions/0001-use-git.md", adr(1, "Use git"))
    git_repo.write("architecture/0002-not-yet-an-adr.md", adr(2, "Not yet"))
    c1 = git_repo.commit("seed", date="2021-01-01T10:00:00+00:00")
    git_repo.write(".tracertm.toml", "adr_paths = [\n")  # broken for one commit: the previous settings hold
    git_repo.write("decisions/0001-use-git.md", adr(1, "Use git", decision="Everywhere."))
    c2 = git_repo.commit("broken config", date="2021-06-01T10:00:00+00:00")
    git_repo.write(".tracertm.toml", 'adr_paths = ["architecture/*.md"]\n')
    git_repo.git("mv", "decisions/0001-use-git.md", "architecture/0001-use-git.md")
    c3 = git_repo.commit("one folder", date="2022-01-01T10:00:00+00:00")
    engine = db.make_engine(database_url)
    try:
        result = backfill(git_repo.path, engine=engine, project="p")
        assert [(e.commit, e.diagnostic.path) for e in result.errors] == [(c2, ".tracertm.toml")]
        message = result.errors[0].diagnostic.message
        assert message.startswith("invalid TOML") and "/tmp" not in message, message
        assert _adr_history(engine) == {
            "ADR-0001": [("created", 1, c1, "decisions/0001-use-git.md"), ("updated", 2, c2, "decisions/0001-use-git.md"),
                         ("moved", 2, c3, "architecture/0001-use-git.md")],
            "ADR-0002": [("created", 1, c3, "architecture/0002-not-yet-an-adr.md")],  # an ADR once configured
        }
    finally:
        engine.dispose()


def test_pyproject_changes_about_other_tools_are_not_configuration(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("pyproject.toml", '[project]\nname = "x"\n')
    git_repo.write("adr/0001-a.md", adr(1, "A"))
    git_repo.commit("no tracertm table: adr/ is not an ADR folder")
    git_repo.write("pyproject.toml", '[project\nname = "x"\n')  # broken, but says nothing about tracertm
    git_repo.commit("someone broke pyproject")
    git_repo.write("pyproject.toml", '[project]\nname = "x"\n\n[tool.tracertm]\nadr_paths = ["adr/*.md"]\n')
    c3 = git_repo.commit("configure tracertm")
    engine = db.make_engine(database_url)
    try:
        result = backfill(git_repo.path, engine=engine, project="p")
        assert result.errors == []
        assert _adr_history(engine) == {"ADR-0001": [("created", 1, c3, "adr/0001-a.md")]}
    finally:
        engine.dispose()


@pytest.mark.parametrize("stop_at", [2, 4])  # stopped before the folder moved, or after
def test_a_stopped_run_resumes_with_the_configuration_of_its_commit(git_repo: GitRepo, database_url: str,
                                                                    other_database_url: str,  # noqa: F811
                                                                    stop_at: int) -> None:
    _moved_adr_dir(git_repo, "doc/architecture/decisions", "docs/architecture/decisions")
    stopped, straight = db.make_engine(database_url), db.make_engine(other_database_url)

    def stop(progress: Any) -> None:
        if progress.done >= stop_at:
            raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            backfill(git_repo.path, engine=stopped, project="p", batch_size=1, on_progress=stop)
        resumed = backfill(git_repo.path, engine=stopped, project="p", resume=True)
        # Planning commit ``stop_at`` stopped the run before its batch was written.
        assert resumed.mode == "resumed" and resumed.commits == 4 - (stop_at - 1)
        backfill(git_repo.path, engine=straight, project="p")
        assert _state(stopped) == _state(straight)
    finally:
        stopped.dispose()
        straight.dispose()


def test_parser_options_of_each_commit_whatever_the_batch_size(git_repo: GitRepo, database_url: str,
                                                                 other_database_url: str) -> None:  # noqa: F811
    git_repo.write(".tracertm.toml", "requirement_pattern = 'REQ-\\d+'\n")
    git_repo.write("features/a.feature", "@FEAT-1 @REQ-1 @STORY-2\nFeature: A\n\n  Scenario: a\n    Given a\n")
    git_repo.commit("requirements are REQ-n")
    git_repo.write(".tracertm.toml", "requirement_pattern = 'STORY-\\d+'\n")
    git_repo.write("features/b.feature", "@FEAT-2 @REQ-4 @STORY-3\nFeature: B\n\n  Scenario: b\n    Given b\n")
    git_repo.commit("requirements are STORY-n from now on")
    one_by_one, together = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        backfill(git_repo.path, engine=one_by_one, project="p", batch_size=1)
        backfill(git_repo.path, engine=together, project="p", batch_size=100)
        state = _state(together)
        assert state == _state(one_by_one)
        features = {r["feature_number"]: r["related_requirements"] for r in state["features"]}
        # The commit that changes the pattern reads a.feature again with it, as ``sync --ref`` of that commit does.
        assert features == {"FEAT-1": ["STORY-2"], "FEAT-2": ["STORY-3"]}
    finally:
        one_by_one.dispose()
        together.dispose()


@pytest.mark.parametrize("merge", [False, True], ids=["empty database", "synced at HEAD first"])
def test_a_parser_option_change_in_history_reads_every_file_again(
        git_repo: GitRepo, database_url: str, other_database_url: str, merge: bool) -> None:  # noqa: F811
    """A committed ``feature_id_pattern`` / ``date_format`` change re-reads the files it did not touch (the ids and
    dates they give change): the backfill stores what syncing the work tree checked out at each commit (with that
    commit's configuration) stores, whether it fills an empty database or one synced at HEAD first, and a later
    sync finds nothing to change."""
    git_repo.write("features/a.feature", "@FEAT-1 @F-7\nFeature: F one\n\n  Scenario: s one\n    Given a\n")
    git_repo.write("docs/adr/0001-t.md", adr(1, "T").replace("Date: 2024-01-01", "Date: 09/04/2018"))
    git_repo.commit("specs", date="2021-01-01T10:00:00+00:00")
    git_repo.write(".tracertm.toml", "feature_id_pattern = 'F-\\d+'\ndate_format = \"DD/MM/YYYY\"\n")
    git_repo.commit("feature ids are F-n, dates day first", date="2021-06-01T10:00:00+00:00")
    chain = git_repo.git("rev-list", "--first-parent", "--reverse", "HEAD").split()
    filled, synced = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        if merge:
            sync(git_repo.path, engine=filled, project="p")
        backfill(git_repo.path, engine=filled, project="p")
        for sha in chain:
            git_repo.git("checkout", "-q", sha)
            sync(git_repo.path, engine=synced, project="p")
        git_repo.git("checkout", "-q", "main")
        state = _state(filled)
        if not merge:  # (merged: the HEAD sync's own revisions come first)
            assert _uncommitted(state) == _uncommitted(_state(synced))
        features = {r["feature_number"]: r["deleted"] for r in state["features"]}
        assert features == {"FEAT-1": True, "F-7": False}
        assert [str(r["date"]) for r in state["adrs"]] == ["2018-04-09"]
        assert sync(git_repo.path, engine=filled, project="p").changed is False
    finally:
        filled.dispose()
        synced.dispose()


_COMMIT_FIELDS = {"source_commit", "last_commit", "commit_sha", "author_name", "author_email", "authored_at",
                  "committer_name", "committer_email", "committed_at"}


def _uncommitted(state: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """``_state`` without what only a commit gives (a work tree's sync records none; an undated ADR's date is then
    unknown rather than its commit's)."""
    out = {}
    for table, rows in state.items():
        out[table] = [{k: v for k, v in row.items() if k not in _COMMIT_FIELDS} for row in rows]
        for row in out[table]:
            if isinstance(row.get("snapshot"), dict) and "date" in row["snapshot"] and table == "spec_revisions":
                row["snapshot"] = {k: v for k, v in row["snapshot"].items() if k != "date"}
        out[table].sort(key=repr)
    return out
