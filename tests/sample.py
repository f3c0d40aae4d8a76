"""The sample project in a real git repository, synced into a test database (for query, search and API tests)."""

from __future__ import annotations

import shutil

from conftest import SAMPLE_REPO, GitRepo


def sync_sample(repo: GitRepo, database_url: str, project: str = "sample") -> str:
    """Copy sample-repo/ into ``repo``, commit, sync it into ``database_url`` as ``project``; returns the commit."""
    import tracertm

    shutil.copytree(SAMPLE_REPO, repo.path, dirs_exist_ok=True)
    commit = repo.commit("sample")
    result = tracertm.sync(repo.path, database_url=database_url, project=project, ref="HEAD")
    assert not result.errors, result.errors
    return commit
