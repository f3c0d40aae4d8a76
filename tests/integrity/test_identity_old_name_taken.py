"""A project renamed after its remote remembers its old name, and a clone that still derives that name (no remote,
in a folder of that name; or the old remote URL) syncs into it. When another repository has since taken the old name
(`~/x/app` synced as ``app``, renamed ``acme/app`` by a remote; then `~/y/app`, another repository, synced as
``app``), such a clone was refused as "another repository" by ``sync`` (and ``hook sync``, ``watch``, ``backfill``)
while ``status`` and the other read verbs, run in it, showed the renamed project. It now syncs into its own
repository's renamed project, and the other repository's project is left as it was."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from conftest import GitRepo, run_cli
from specs import adr
from tracertm import db
from tracertm.models import ADR, Project


def _repo(where: Path, title: str) -> GitRepo:
    where.mkdir(parents=True)
    repo = GitRepo(where)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "commit.gpgsign", "false")
    repo.write("docs/adr/0001-d.md", adr(1, title))
    repo.commit(f"{title} repository")
    return repo


def _clone(source: GitRepo, where: Path, url: str | None) -> GitRepo:
    """A clone of ``source`` at ``where``, its ``origin`` set to ``url`` (None: no remote)."""
    subprocess.run(["git", "clone", "-q", str(source.path), str(where)], check=True)
    clone = GitRepo(where)
    if url is None:
        clone.git("remote", "remove", "origin")
    else:
        clone.git("remote", "set-url", "origin", url)
    return clone


def _synced(repo: GitRepo, url: str, *extra: str) -> dict[str, Any]:
    done = run_cli("sync", str(repo.path), "--database-url", url, "--format", "json", *extra)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _titles(url: str) -> dict[str, list[str]]:
    """Each project's name → the titles of its live ADRs."""
    from sqlalchemy import select

    engine = db.make_engine(url)
    try:
        with db.session(engine) as s:
            names = {p.id: p.name for p in s.execute(select(Project)).scalars()}
            found: dict[str, list[str]] = {name: [] for name in names.values()}
            for row in s.execute(select(ADR).where(ADR.deleted_at.is_(None))).scalars():
                found[names[row.project_id]].append(row.title)
    finally:
        engine.dispose()
    return {name: sorted(titles) for name, titles in found.items()}


def _check(clone: GitRepo, url: str, renamed: str, other: str) -> None:
    """``clone`` reads and syncs as the renamed project; the project ``other`` (another repository's) is untouched."""
    status = run_cli("status", "--path", str(clone.path), "--database-url", url, "--format", "json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["project"] == renamed
    assert _synced(clone, url, "--dry-run")["project"] == renamed
    clone.write("docs/adr/0002-d.md", adr(2, "From the clone"))
    clone.commit("a second decision")
    assert _synced(clone, url)["project"] == renamed
    clone.write("docs/adr/0003-d.md", adr(3, "From the hook"))
    clone.commit("a third decision")
    hook = run_cli("hook", "sync", str(clone.path), "--database-url", url)  # (never fails git: it says so)
    assert hook.returncode == 0 and hook.stderr == "", hook.stderr
    assert _titles(url) == {renamed: ["First", "From the clone", "From the hook"], other: ["Other"]}
    # The name given is the project meant: the other repository's, refused, nothing written.
    given = run_cli("sync", str(clone.path), "--database-url", url, "--project", other)
    assert given.returncode == 2 and "belongs to another repository" in given.stderr, given.stderr
    assert _titles(url) == {renamed: ["First", "From the clone", "From the hook"], other: ["Other"]}


def test_a_clone_in_a_folder_of_the_old_name_syncs_when_another_repository_took_it(
    tmp_path: Path, database_url: str
) -> None:
    first = _repo(tmp_path / "x" / "app", "First")
    assert _synced(first, database_url)["project"] == "app"
    first.git("remote", "add", "origin", "git@github.com:acme/app.git")
    assert _synced(first, database_url)["project"] == "acme/app"
    other = _repo(tmp_path / "y" / "app", "Other")
    assert _synced(other, database_url)["project"] == "app"  # the name is free again: another repository's now

    _check(_clone(first, tmp_path / "z" / "app", None), database_url, "acme/app", "app")


def test_a_clone_with_the_old_url_syncs_when_another_repository_took_it(tmp_path: Path, database_url: str) -> None:
    first = _repo(tmp_path / "first", "First")
    first.git("remote", "add", "origin", "git@github.com:acme/one.git")
    assert _synced(first, database_url)["project"] == "acme/one"
    first.git("remote", "set-url", "origin", "git@github.com:acme/uno.git")
    assert _synced(first, database_url)["project"] == "acme/uno"
    other = _repo(tmp_path / "other", "Other")
    other.git("remote", "add", "origin", "git@github.com:acme/one.git")  # the old name, reused
    assert _synced(other, database_url)["project"] == "acme/one"

    _check(_clone(first, tmp_path / "runner", "git@github.com:acme/one.git"), database_url, "acme/uno", "acme/one")
