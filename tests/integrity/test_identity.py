"""Project identity: a project remembers its repository (issue 11, item 8)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlalchemy import func, select

from conftest import GitRepo, run_cli
from specs import adr
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import ADR, Project


def _new_repo(parent: Path, title: str) -> GitRepo:
    path = parent / "repo"  # the same folder name: the same default project name
    path.mkdir(parents=True)
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main")
    repo.write("docs/adr/0001-a.md", adr(1, title))
    repo.commit(f"{title} repository")
    return repo


def _cli(repo: Path, url: str, *extra: str, verb: str = "sync") -> subprocess.CompletedProcess[str]:
    return run_cli(verb, str(repo), "--database-url", url, *extra)


def _titles(url: str) -> dict[str, list[str]]:
    engine = db.make_engine(url)
    try:
        with db.session(engine) as s:
            rows = s.execute(select(Project.name, ADR.title).join(ADR, ADR.project_id == Project.id)).all()
    finally:
        engine.dispose()
    out: dict[str, list[str]] = {}
    for name, title in rows:
        out.setdefault(name, []).append(title)
    return out


def test_an_unrelated_repository_with_the_same_name_is_refused(tmp_path: Path, database_url: str) -> None:
    first = _new_repo(tmp_path / "a", "First")
    second = _new_repo(tmp_path / "b", "Second")
    assert _cli(first.path, database_url).returncode == 0
    refused = _cli(second.path, database_url)
    assert refused.returncode == 2, refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "--project" in lines[0] and "another repository" in lines[0], refused.stderr
    assert _titles(database_url) == {"repo": ["First"]}  # nothing of the second repository was written
    dry = _cli(second.path, database_url, "--dry-run")
    assert dry.returncode == 2  # a dry run would compare against the wrong records too
    assert _cli(second.path, database_url, "--project", "second").returncode == 0
    assert _titles(database_url) == {"repo": ["First"], "second": ["Second"]}


def test_a_clone_of_the_same_repository_is_the_same_project(tmp_path: Path, database_url: str) -> None:
    first = _new_repo(tmp_path / "a", "First")
    clone = tmp_path / "elsewhere" / "repo"
    subprocess.run(["git", "clone", "-q", str(first.path), str(clone)], check=True)
    GitRepo(clone).git("remote", "remove", "origin")  # same folder name, no remote: named "repo" too
    assert _cli(first.path, database_url).returncode == 0
    GitRepo(clone).write("docs/adr/0001-a.md", adr(1, "First, edited in the clone"))
    assert _cli(clone, database_url).returncode == 0
    assert _titles(database_url) == {"repo": ["First, edited in the clone"]}


def test_a_new_remote_url_does_not_make_a_second_project(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0001-a.md", adr(1, "One"))
    git_repo.commit()
    git_repo.git("remote", "add", "origin", "git@example.com:acme/specs.git")
    engine = db.make_engine(database_url)
    try:
        assert sync(git_repo.path, engine=engine).project == "acme/specs"
        git_repo.git("remote", "set-url", "origin", "https://example.com/acme-corp/specs-renamed.git")
        git_repo.write("docs/adr/0002-b.md", adr(2, "Two"))
        result = sync(git_repo.path, engine=engine)
        assert result.project == "acme-corp/specs-renamed"
        assert result.counts["adr"]["created"] == 1 and result.counts["adr"]["unchanged"] == 1
        with db.session(engine) as s:
            projects = s.execute(select(Project)).scalars().all()
            assert [(p.name, p.repo_url) for p in projects] == [
                ("acme-corp/specs-renamed", "https://example.com/acme-corp/specs-renamed.git")
            ]
            assert projects[0].root_commit == git_repo.git("rev-list", "--max-parents=0", "HEAD")
            assert s.execute(select(func.count()).select_from(ADR)).scalar_one() == 2
    finally:
        engine.dispose()


def test_backfill_follows_the_same_identity_rule(tmp_path: Path, database_url: str) -> None:
    first = _new_repo(tmp_path / "a", "First")
    second = _new_repo(tmp_path / "b", "Second")
    assert _cli(first.path, database_url).returncode == 0
    refused = _cli(second.path, database_url, "-q", verb="backfill")
    assert refused.returncode == 2, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "--project" in refused.stderr
    assert _titles(database_url) == {"repo": ["First"]}


def test_reads_in_a_clone_with_the_old_remote_find_the_renamed_project(tmp_path: Path, database_url: str) -> None:
    """A clone that still has the old remote URL syncs into the renamed project (README, Locks and identity); its
    reads found it only while the project was its history's one: with a second project of the same history (one
    synced with --project), ``status`` and ``list`` there said "no project for acme/rn-old", and the sync the error
    advised changed nothing. An audit found it."""
    first = _new_repo(tmp_path / "a", "First")
    first.git("remote", "add", "origin", "https://example.com/acme/rn-old.git")
    clone = tmp_path / "b" / "repo"
    subprocess.run(["git", "clone", "-q", str(first.path), str(clone)], check=True)
    GitRepo(clone).git("remote", "set-url", "origin", "https://example.com/acme/rn-new.git")
    assert _cli(first.path, database_url).returncode == 0
    assert _cli(clone, database_url).returncode == 0  # the project is renamed after the new remote
    assert _cli(first.path, database_url, "--project", "other").returncode == 0
    synced = _cli(first.path, database_url)
    assert synced.returncode == 0 and "synced acme/rn-new" in synced.stdout, synced.stdout
    status = _cli(first.path, database_url, verb="status")
    assert status.returncode == 0 and "acme/rn-new" in status.stdout, (status.stdout, status.stderr)
    listed = run_cli("list", "adrs", "--path", str(first.path), "--database-url", database_url)
    assert listed.returncode == 0 and "First" in listed.stdout, (listed.stdout, listed.stderr)


def test_a_dry_run_in_a_clone_with_the_old_remote_names_the_project_the_sync_writes_to(
    tmp_path: Path, database_url: str
) -> None:
    """The project was renamed after a new remote (a clone synced with it); a sync where origin still has the old URL
    writes to the renamed project and names it. Its dry run named the old one ('would sync acme/rn-old'), which the
    database no longer holds under that name."""
    first = _new_repo(tmp_path / "a", "First")
    first.git("remote", "add", "origin", "https://example.com/acme/rn-old.git")
    clone = tmp_path / "b" / "repo"
    subprocess.run(["git", "clone", "-q", str(first.path), str(clone)], check=True)
    GitRepo(clone).git("remote", "set-url", "origin", "https://example.com/acme/rn-new.git")
    assert _cli(first.path, database_url).returncode == 0
    assert _cli(clone, database_url).returncode == 0  # the project is renamed after the new remote
    dry = _cli(first.path, database_url, "--dry-run")
    assert dry.returncode == 0 and dry.stdout.startswith("would sync acme/rn-new from worktree"), dry.stdout
    as_json = _cli(first.path, database_url, "--dry-run", "--format", "json")
    assert json.loads(as_json.stdout)["project"] == "acme/rn-new", as_json.stdout
    synced = _cli(first.path, database_url)
    assert synced.returncode == 0 and synced.stdout.startswith("synced acme/rn-new from worktree"), synced.stdout
