"""Identity conflicts are remembered until resolved (issue 11, item 1), and every finding of every file is
reported by every sync, not only the first error of each broken file (item 2). SQLite and PostgreSQL."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from sqlalchemy import select

from conftest import GitRepo
from specs import adr, feature
from tracertm import db
from tracertm.repositories import Projects
from tracertm.checker import check
from tracertm.cli import main
from tracertm.engine.sync import sync
from tracertm.models import ADR, SourceFile, SpecRevision


def _conflicted_repo(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0001-use-svn.md", adr(1, "Use svn", decision="We will use svn."))
    repo.write("docs/adr/0002-other.md", adr(2, "Other"))
    repo.commit("two files claim ADR-0001")


def _messages(diagnostics) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted((d.path, d.message) for d in diagnostics)


def test_a_lost_identity_is_reported_by_every_sync_status_and_check(git_repo: GitRepo, engine) -> None:
    _conflicted_repo(git_repo)
    first = sync(git_repo.path, engine=engine)
    assert [(d.path, d.line) for d in first.errors] == [("docs/adr/0001-use-svn.md", 1)]
    assert "already defined in docs/adr/0001-use-git.md" in first.errors[0].message

    second = sync(git_repo.path, engine=engine)
    assert _messages(second.errors) == _messages(first.errors), "the loser must stay in error"
    assert second.counts["adr"]["errors"] == 1 and not second.changed
    with db.session(engine) as s:
        projects = Projects(s)
        in_error = projects.status(projects.resolve(None))["files_in_error"]
        stored = s.execute(select(SourceFile.parse_error).where(SourceFile.path == "docs/adr/0001-use-svn.md")).scalar_one()
    assert [f["path"] for f in in_error] == ["docs/adr/0001-use-svn.md"]
    assert stored and stored[0]["conflict"] is True
    checked = check(git_repo.path)
    assert any(d.path == "docs/adr/0001-use-svn.md" and "ADR-0001" in d.message for d in checked.errors)


def test_when_the_winner_goes_the_other_claimant_takes_the_identity(git_repo: GitRepo, engine, database_url) -> None:
    _conflicted_repo(git_repo)
    sync(git_repo.path, engine=engine)
    with db.session(engine) as s:
        original = s.execute(select(ADR).where(ADR.adr_number == "ADR-0001")).scalar_one()
        original_id, original_hash = original.id, original.content_hash

    git_repo.remove("docs/adr/0001-use-git.md")
    git_repo.commit("drop the git ADR")
    # A drift check sees it before any sync does.
    dry = sync(git_repo.path, engine=engine, dry_run=True)
    assert [(op.action, op.number, op.path) for op in dry.operations if op.action != "refresh"] == [
        ("moved", "ADR-0001", "docs/adr/0001-use-svn.md")
    ]
    with redirect_stdout(io.StringIO()):
        code = main(["sync", str(git_repo.path), "--dry-run", "--exit-code", "--database-url", database_url])
    assert code == 1

    result = sync(git_repo.path, engine=engine)
    assert result.errors == []
    assert result.counts["adr"]["deleted"] == 0 and result.counts["adr"]["moved"] == 1
    with db.session(engine) as s:
        row = s.execute(select(ADR).where(ADR.adr_number == "ADR-0001")).scalar_one()
        revs = s.execute(
            select(SpecRevision.version, SpecRevision.change).where(SpecRevision.entity_id == original_id)
            .order_by(SpecRevision.version)
        ).all()
        stored = s.execute(select(SourceFile.parse_error).where(SourceFile.path == "docs/adr/0001-use-svn.md")).scalar_one()
    assert row.id == original_id and row.deleted_at is None
    assert row.source_path == "docs/adr/0001-use-svn.md" and row.title == "Use svn"
    assert row.content_hash != original_hash and row.version == 2
    assert [tuple(r) for r in revs] == [(1, "created"), (2, "moved")]
    assert stored is None
    assert not sync(git_repo.path, engine=engine).changed


def test_a_noop_sync_reports_every_finding_of_the_first(git_repo: GitRepo, engine) -> None:
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    # Two errors in one feature file (two scenarios with the same id tag twice).
    git_repo.write(
        "features/dup.feature",
        "@FEAT-9\nFeature: Dup\n\n  @SC-1\n  Scenario: a\n    Given x\n\n  @SC-1\n  Scenario: b\n    Given y\n\n"
        "  @SC-1\n  Scenario: c\n    Given z\n",
    )
    # A contract with several invalid fields.
    git_repo.write("contracts/bad.yaml", "id: CTR-0001\ntitle: Bad\ntype: nonsense\nstatus: whatever\nstates: 5\n")
    git_repo.write("features/login.feature", feature(1, "Login"))
    git_repo.write("docs/adr/0003-odd.md", adr(3, "Odd", status="Wibble"))  # parses, with a warning
    git_repo.commit("seed")
    first = sync(git_repo.path, engine=engine)
    assert [d.path for d in first.warnings] == ["docs/adr/0003-odd.md"]
    assert len([d for d in first.errors if d.path == "features/dup.feature"]) >= 2
    assert len([d for d in first.errors if d.path == "contracts/bad.yaml"]) >= 2
    second = sync(git_repo.path, engine=engine)
    assert second.files_parsed == 0
    assert [str(d) for d in second.errors] == [str(d) for d in first.errors]
    assert [str(d) for d in second.warnings] == [str(d) for d in first.warnings]
    with engine.connect() as conn:
        stored = conn.execute(select(SourceFile.parse_error).where(SourceFile.path == "features/dup.feature")).scalar_one()
    assert len(stored) >= 2
    with db.session(engine) as s:
        in_error = Projects(s).status(Projects(s).resolve(None))["files_in_error"]
    # A file with warnings only is not in error.
    assert [f["path"] for f in in_error] == ["contracts/bad.yaml", "features/dup.feature"]
