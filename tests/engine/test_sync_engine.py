"""The sync engine against real git repositories and real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select, update

from conftest import GitRepo
from specs import adr, contract, dump, feature, revisions, versions
from tracertm import db
from tracertm.models import Contract, Feature, Scenario, SourceFile
from tracertm.engine.sync import sync


def _seed(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-postgres.md", adr(2, "Use PostgreSQL"))
    repo.write("contracts/payments.yaml", contract(1, "Payments"))
    repo.write("features/login.feature", feature(1, "Login"))
    repo.commit("seed")


def test_first_sync_creates_everything_and_second_is_a_noop(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    first = sync(git_repo.path, engine=engine)
    assert {k: c["created"] for k, c in first.counts.items()} == {"adr": 2, "contract": 1, "feature": 1, "scenario": 2, "step_definition": 0}
    assert first.errors == [] and first.files_parsed == 4
    before = dump(engine, volatile=True)

    second = sync(git_repo.path, engine=engine)
    assert second.files_parsed == 0, "an unchanged file must not be read or parsed"
    assert not second.changed
    assert {k: c["unchanged"] for k, c in second.counts.items()} == {"adr": 2, "contract": 1, "feature": 1, "scenario": 2, "step_definition": 0}
    after = dump(engine, volatile=True)
    assert after == before


def test_editing_one_scenario_bumps_only_that_scenario(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    sync(git_repo.path, engine=engine)
    git_repo.write("features/login.feature", git_repo.read("features/login.feature").replace("When I act again", "When I act twice"))
    result = sync(git_repo.path, engine=engine)
    assert result.counts["scenario"]["updated"] == 1 and result.counts["feature"]["updated"] == 0
    assert versions(engine, "scenarios", "scenario_number") == {"SC-1": 1, "SC-2": 2}
    assert versions(engine, "features", "feature_number") == {"FEAT-1": 1}
    assert ("scenario", "SC-2", "updated", 2) in revisions(engine)


def test_reformatting_bumps_nothing_but_refreshes_positions(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    sync(git_repo.path, engine=engine)
    text = git_repo.read("features/login.feature")
    git_repo.write("features/login.feature", "# a comment\n\n" + text.replace("    ", "      "))
    git_repo.write("contracts/payments.yaml", "# owner: payments\n" + git_repo.read("contracts/payments.yaml").replace("[pending, paid]", "\n  - pending\n  - paid"))
    adr_text = git_repo.read("docs/adr/0001-use-git.md").replace("We need to decide", "We   need\nto decide")
    git_repo.write("docs/adr/0001-use-git.md", adr_text)
    revs_before = revisions(engine)
    result = sync(git_repo.path, engine=engine)
    assert result.files_parsed == 3
    assert not result.changed, [op.as_dict() for op in result.operations if op.action != "refresh"]
    assert revisions(engine) == revs_before
    assert set(versions(engine, "scenarios", "scenario_number").values()) == {1}
    with engine.connect() as conn:
        text_now = conn.execute(select(Scenario.gherkin_text).where(Scenario.scenario_number == "SC-1")).scalar_one()
    assert "      Given a thing" in text_now, "presentation (source text) follows the file without a new version"


def test_an_openapi_contract_stores_its_document_as_written_and_a_comment_edit_is_a_version(
    git_repo: GitRepo, engine
) -> None:
    # The stored spec is the file's text, not a dump of its values (which read 1.10 as 1.1 and dropped comments): an
    # edit of a comment changes it, so it is a version, or the database would hold a spec the file no longer says.
    text = "openapi: 3.0.0\n# owner: team-x\ninfo:\n  title: Ext\n  version: 1.10\npaths:\n  /a: {}\n"
    git_repo.write("contracts/ext.yaml", text)
    git_repo.commit("ext")
    sync(git_repo.path, engine=engine)
    git_repo.write("contracts/ext.yaml", text.replace("team-x", "team-y"))
    result = sync(git_repo.path, engine=engine)
    assert result.counts["contract"]["updated"] == 1
    assert versions(engine, "contracts", "contract_number") == {"ext": 2}
    assert ("contract", "ext", "updated", 2) in revisions(engine)
    with engine.connect() as conn:
        spec = conn.execute(select(Contract.executable_spec)).scalar_one()
    assert spec == text.replace("team-x", "team-y")


def test_respacing_a_user_story_keyword_bumps_nothing_and_keeps_its_field(git_repo: GitRepo, engine) -> None:
    # The keyword's words re-spaced as the rest of the line may be (README "The whitespace rule"): it was a line of
    # description only, the field lost and the feature a new version.
    _seed(git_repo)
    sync(git_repo.path, engine=engine)
    text = git_repo.read("features/login.feature")
    git_repo.write("features/login.feature", text.replace("As a", "As  a").replace("I want", "I\t want"))
    result = sync(git_repo.path, engine=engine)
    assert result.files_parsed == 1 and not result.changed
    assert versions(engine, "features", "feature_number") == {"FEAT-1": 1}
    with engine.connect() as conn:
        story = conn.execute(select(Feature.as_a, Feature.i_want, Feature.so_that)).one()
    assert tuple(story) == ("user", "login", "life is good")


def test_delete_restore_and_move(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    sync(git_repo.path, engine=engine)
    git_repo.git("rm", "-q", "features/login.feature")
    git_repo.commit("drop login")
    result = sync(git_repo.path, engine=engine)
    assert result.counts["feature"]["deleted"] == 1 and result.counts["scenario"]["deleted"] == 2
    with engine.connect() as conn:
        rows = conn.execute(select(Scenario.scenario_number, Scenario.deleted_at, Scenario.version)).all()
    assert all(r.deleted_at is not None and r.version == 2 for r in rows)

    git_repo.git("checkout", "-q", "HEAD~1", "--", "features/login.feature")
    result = sync(git_repo.path, engine=engine)
    assert result.counts["feature"]["restored"] == 1 and result.counts["scenario"]["restored"] == 2
    assert versions(engine, "features", "feature_number") == {"FEAT-1": 3}
    assert versions(engine, "scenarios", "scenario_number") == {"SC-1": 3, "SC-2": 3}

    git_repo.commit("restore")
    git_repo.git("mv", "docs/adr/0002-use-postgres.md", "docs/adr/0002-use-postgresql-for-everything.md")
    (git_repo.path / "features/auth").mkdir()
    git_repo.git("mv", "features/login.feature", "features/auth/login.feature")
    result = sync(git_repo.path, engine=engine)
    assert result.counts["adr"]["moved"] == 1 and result.counts["adr"]["created"] == 0
    assert result.counts["feature"]["moved"] == 1 and result.counts["adr"]["deleted"] == 0
    assert versions(engine, "adrs", "adr_number") == {"ADR-0001": 1, "ADR-0002": 1}, "a pure move is not a new version"
    with engine.connect() as conn:
        paths = set(conn.execute(select(Scenario.source_path)).scalars())
    assert paths == {"features/auth/login.feature"}
    assert ("adr", "ADR-0002", "moved", 1) in revisions(engine)


def test_a_broken_file_keeps_its_records_and_is_reported_with_its_line(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    sync(git_repo.path, engine=engine)
    before = {t: rows for t, rows in dump(engine, volatile=True).items() if t != "source_files"}
    good = git_repo.read("features/login.feature")
    lines = good.splitlines()
    lines[6] = "  @SC-1 Scenario: broken"  # a tag line with text after the tag: a syntax error on line 7
    git_repo.write("features/login.feature", "\n".join(lines) + "\n")
    result = sync(git_repo.path, engine=engine)
    assert result.errors and result.errors[0].path == "features/login.feature" and result.errors[0].line == 7
    assert result.counts["feature"]["errors"] == 1
    after = {t: rows for t, rows in dump(engine, volatile=True).items() if t != "source_files"}
    assert after == before, "a file that fails to parse must not change or delete anything"
    with engine.connect() as conn:
        error = conn.execute(select(SourceFile.parse_error).where(SourceFile.path == "features/login.feature")).scalar_one()
    assert [e["line"] for e in error] == [7]  # every diagnostic of the file, a list

    again = sync(git_repo.path, engine=engine)
    assert again.files_parsed == 0 and [e.line for e in again.errors] == [7], "still broken: still reported"

    git_repo.write("features/login.feature", good.replace("Then it works", "Then it really works"))
    fixed = sync(git_repo.path, engine=engine)
    assert fixed.errors == [] and fixed.counts["scenario"]["updated"] == 1
    with engine.connect() as conn:
        assert conn.execute(select(SourceFile.parse_error).where(SourceFile.path == "features/login.feature")).scalar_one() is None


def test_ref_and_staged_sources(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    first_commit = git_repo.head()
    git_repo.write("docs/adr/0003-use-yaml.md", adr(3, "Use YAML"))
    second_commit = git_repo.commit("add ADR 3")
    git_repo.write("docs/adr/0004-unstaged.md", adr(4, "Unstaged"))
    git_repo.write("docs/adr/0005-staged.md", adr(5, "Staged"))
    git_repo.git("add", "docs/adr/0005-staged.md")
    worktree_before = sorted(p.name for p in (git_repo.path / "docs/adr").iterdir())

    result = sync(git_repo.path, engine=engine, ref=first_commit)
    assert result.source == "commit" and result.commit == first_commit
    assert set(versions(engine, "adrs", "adr_number")) == {"ADR-0001", "ADR-0002"}
    assert sorted(p.name for p in (git_repo.path / "docs/adr").iterdir()) == worktree_before
    with engine.connect() as conn:
        commits = {r[0] for r in conn.execute(select(db_models().SpecRevision.commit_sha))}
        authors = {r[0] for r in conn.execute(select(db_models().SpecRevision.author_email))}
    assert commits == {first_commit} and authors == {"ada@example.com"}

    result = sync(git_repo.path, engine=engine, staged=True)
    assert set(versions(engine, "adrs", "adr_number")) == {"ADR-0001", "ADR-0002", "ADR-0003", "ADR-0005"}
    assert second_commit == git_repo.head()


def db_models():  # type: ignore[no-untyped-def]
    import tracertm.models as models

    return models


def test_conflicting_identities_are_reported_with_both_paths(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    sync(git_repo.path, engine=engine)
    git_repo.write("docs/adr/0001-another-take.md", adr(1, "Another take"))
    result = sync(git_repo.path, engine=engine)
    assert len(result.errors) == 1
    message = result.errors[0]
    assert message.path == "docs/adr/0001-another-take.md" and "docs/adr/0001-use-git.md" in message.message
    with engine.connect() as conn:
        title = conn.execute(select(db_models().ADR.title).where(db_models().ADR.adr_number == "ADR-0001")).scalar_one()
    assert title == "Use git", "the earlier record is kept"


def test_database_owned_fields_survive_a_content_update(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    sync(git_repo.path, engine=engine)
    with engine.begin() as conn:
        conn.execute(update(Scenario).where(Scenario.scenario_number == "SC-1").values(pass_rate=0.75))
    git_repo.write("features/login.feature", git_repo.read("features/login.feature").replace("Then it works", "Then it works well"))
    sync(git_repo.path, engine=engine)
    with engine.connect() as conn:
        row = conn.execute(select(Scenario.pass_rate, Scenario.version).where(Scenario.scenario_number == "SC-1")).one()
    assert row.pass_rate == 0.75 and row.version == 2


def test_symlinks_out_of_the_repository_are_not_followed(git_repo: GitRepo, engine, tmp_path: Path) -> None:
    _seed(git_repo)
    secret = tmp_path / "secret.md"
    secret.write_text(adr(9, "Outside"), encoding="utf-8")
    os.symlink(secret, git_repo.path / "docs/adr/0009-outside.md")
    os.symlink("0001-use-git.md", git_repo.path / "docs/adr/0010-inside.md")
    result = sync(git_repo.path, engine=engine)
    outside = [e for e in result.errors if e.path == "docs/adr/0009-outside.md"]
    assert outside and "outside the repository" in outside[0].message
    assert "ADR-0009" not in versions(engine, "adrs", "adr_number")
    # A link inside the repository is read through: its identity comes from its own file name.
    assert "ADR-0010" in versions(engine, "adrs", "adr_number")


def test_plain_folder_without_git_uses_a_stat_cache(tmp_path: Path, engine) -> None:
    root = tmp_path / "specs"
    (root / "docs/adr").mkdir(parents=True)
    (root / "docs/adr/0001-a.md").write_text(adr(1, "A"), encoding="utf-8")
    (root / "contracts").mkdir()
    (root / "contracts/c.yaml").write_text(contract(1, "C"), encoding="utf-8")
    first = sync(root, engine=engine)
    assert first.source == "folder" and first.project == "specs" and first.counts["adr"]["created"] == 1
    second = sync(root, engine=engine)
    assert second.files_parsed == 0 and not second.changed
    (root / "docs/adr/0001-a.md").write_text(adr(1, "A", status="Deprecated"), encoding="utf-8")
    third = sync(root, engine=engine)
    assert third.counts["adr"]["updated"] == 1
    (root / "contracts/c.yaml").unlink()
    assert sync(root, engine=engine).counts["contract"]["deleted"] == 1


def test_project_name_from_origin_and_configuration(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    git_repo.git("remote", "add", "origin", "git@github.com:acme/payments.git")
    assert sync(git_repo.path, engine=engine).project == "acme/payments"
    git_repo.write(".tracertm.toml", 'project = "lumen"\nadr_paths = ["decisions/*.md"]\n')
    git_repo.write("decisions/0007-x.md", adr(7, "X"))
    result = sync(git_repo.path, engine=engine)
    assert result.project == "lumen"
    assert result.counts["adr"]["created"] == 1 and result.counts["feature"]["created"] == 1


def test_subfolder_is_its_own_root(git_repo: GitRepo, engine) -> None:
    git_repo.write("product/docs/adr/0001-a.md", adr(1, "A"))
    git_repo.write("docs/adr/0002-b.md", adr(2, "B"))
    git_repo.commit("two roots")
    result = sync(git_repo.path / "product", engine=engine)
    assert result.project == "product" and result.counts["adr"]["created"] == 1
    assert set(versions(engine, "adrs", "adr_number")) == {"ADR-0001"}
    committed = sync(git_repo.path / "product", engine=engine, ref="HEAD", project="product")
    assert committed.errors == [] and not committed.changed


def test_gitignored_files_are_not_read_and_full_reparses_without_changes(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    git_repo.write(".gitignore", "docs/adr/*-draft.md\n")
    git_repo.write("docs/adr/0042-draft.md", adr(42, "Secret draft"))
    git_repo.write("docs/adr/0043-untracked.md", adr(43, "Untracked but not ignored"))
    result = sync(git_repo.path, engine=engine)
    assert set(versions(engine, "adrs", "adr_number")) == {"ADR-0001", "ADR-0002", "ADR-0043"}
    with engine.connect() as conn:
        project = conn.execute(select(db_models().Project.last_synced_commit)).scalar_one()
    assert project == git_repo.head()

    before = dump(engine, volatile=True)
    dry = sync(git_repo.path, engine=engine, full=True, dry_run=True)
    assert dry.files_parsed == 5 and not dry.changed
    full = sync(git_repo.path, engine=engine, full=True)
    assert full.files_parsed == 5 and not full.changed and full.errors == []
    after = dump(engine, volatile=True)
    assert {t: after[t] for t in ("adrs", "features", "scenarios", "spec_revisions")} == {
        t: before[t] for t in ("adrs", "features", "scenarios", "spec_revisions")
    }


def test_dry_run_writes_nothing(git_repo: GitRepo, engine) -> None:
    _seed(git_repo)
    result = sync(git_repo.path, engine=engine, dry_run=True)
    assert result.dry_run and result.changed and result.run_id is None
    assert {op.action for op in result.operations} == {"created"}
    assert all(rows == [] for rows in dump(engine).values())


def test_parallel_parsing_reports_broken_files(git_repo: GitRepo, engine) -> None:
    for i in range(1, 221):
        git_repo.write(f"contracts/c{i:03d}.yaml", contract(i, f"Contract {i}"))
    git_repo.write("contracts/broken.yaml", "id: CTR-0999\ntitle: [unclosed\n")
    result = sync(git_repo.path, engine=engine, jobs=2)
    assert result.counts["contract"]["created"] == 220
    assert [e.path for e in result.errors] == ["contracts/broken.yaml"] and result.errors[0].line >= 2
