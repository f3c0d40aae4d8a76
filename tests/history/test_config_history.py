"""The ADR folder changes over history (issue 13 item 6): backfill reads each commit with the configuration of that
commit (``.adr-dir``, ``.tracertm.toml``), and a folder rename is ``moved``, not a delete plus a create."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

import pytest

from conftest import GitRepo
from test_backfill_promise import _state, other_database_url  # noqa: F401 - a fixture
from specs import adr
from tracertm import db
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
        assert "invalid TOML" in result.errors[0].diagnostic.message and "/tmp" not in result.errors[0].diagnostic.message
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
