"""A SHA-256 repository's work-tree sync (``git init --object-format=sha256``): the parse workers give the blob id
of the bytes they read in the repository's object format (read once per sync, passed to the workers), so it
matches the scan's id from git and no ``git hash-object`` runs to reconcile a SHA-1 id with it; the ids stored are
the ones git gives (``git ls-files -s``, ``git hash-object``), and a second sync of the unchanged tree parses
nothing and hashes nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from conftest import GitRepo
from specs import adr, contract
from tracertm.engine.parse import PARALLEL_THRESHOLD, ParsePool
from tracertm.engine.sync import sync
from tracertm.parsers.records import ParserOptions


def _sha256_repo(tmp_path: Path) -> GitRepo:
    help_text = subprocess.run(["git", "init", "--help"], capture_output=True, text=True).stdout
    if "object-format" not in help_text:
        pytest.skip("git without --object-format")
    (tmp_path / "r").mkdir()
    repo = GitRepo(tmp_path / "r")
    repo.git("init", "-q", "-b", "main", "--object-format=sha256")
    repo.git("config", "commit.gpgsign", "false")
    return repo


def _traced_sync(repo: GitRepo, trace: Path, monkeypatch: pytest.MonkeyPatch, engine: Any, **kwargs: Any) -> Any:
    """``sync`` of the work tree with every git command it runs written to ``trace`` (GIT_TRACE, emptied first)."""
    trace.write_text("")
    with monkeypatch.context() as m:
        m.setenv("GIT_TRACE", str(trace))
        return sync(repo.path, engine=engine, **kwargs)


def _hash_objects(trace: Path) -> int:
    """How many ``git hash-object`` commands the traced sync ran."""
    return sum(1 for line in trace.read_text().splitlines() if "trace: built-in: git hash-object" in line)


def _stored(engine: Any) -> dict[str, str]:
    with engine.connect() as conn:
        return {path: sha for path, sha in conn.execute(text("SELECT path, blob_sha FROM source_files"))}


def _git_ids(repo: GitRepo) -> dict[str, str]:
    """``git ls-files -s``: the index's blob id of every tracked file."""
    return {line.split("\t", 1)[1]: line.split()[1] for line in repo.git("ls-files", "-s").splitlines()}


def test_a_clean_sha256_tree_is_parsed_in_the_workers_without_hash_object(
    tmp_path: Path, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _sha256_repo(tmp_path)
    count = PARALLEL_THRESHOLD + 10  # enough for the parse pool: the ids come from worker processes
    for n in range(1, count + 1):
        repo.write(f"contracts/c{n:04d}.yaml", contract(n, f"Contract {n}"))
    repo.write("docs/adr/0001-one.md", adr(1, "One"))
    repo.commit()
    trace = tmp_path / "trace"

    first = _traced_sync(repo, trace, monkeypatch, engine, jobs=2)
    assert not first.errors
    assert first.files_parsed == count + 1
    assert _hash_objects(trace) == 0, "the workers' ids match the index's: nothing to ask git again"
    stored = _stored(engine)
    assert stored == _git_ids(repo)
    assert all(len(sha) == 64 for sha in stored.values())

    second = _traced_sync(repo, trace, monkeypatch, engine, jobs=2)
    assert second.files_parsed == 0
    assert _hash_objects(trace) == 0
    assert _stored(engine) == stored


def test_modified_and_untracked_files_get_the_ids_git_hash_object_gives(
    tmp_path: Path, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _sha256_repo(tmp_path)
    repo.write("docs/adr/0001-one.md", adr(1, "One"))
    repo.write("docs/adr/0002-two.md", adr(2, "Two"))
    repo.write("contracts/a.yaml", contract(1, "A"))
    repo.commit()
    repo.write("docs/adr/0002-two.md", adr(2, "Two", decision="We will not."))  # modified
    repo.write("contracts/b.yaml", contract(2, "B"))  # untracked
    trace = tmp_path / "trace"

    first = _traced_sync(repo, trace, monkeypatch, engine, jobs=1)
    assert not first.errors
    assert first.files_parsed == 4
    # One: the scan's, for the modified and the untracked file together; none after the parse.
    assert _hash_objects(trace) == 1
    expected = _git_ids(repo)
    for path in ("docs/adr/0002-two.md", "contracts/b.yaml"):
        expected[path] = repo.git("hash-object", path)
    assert _stored(engine) == expected
    assert all(len(sha) == 64 for sha in expected.values())

    assert _traced_sync(repo, trace, monkeypatch, engine, jobs=1).files_parsed == 0
    assert _stored(engine) == expected


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_the_pool_reports_blob_ids_in_the_format_it_is_given(tmp_path: Path, object_format: str) -> None:
    """The workers' ids of the files they read, for each format (SHA-1 when none is given, as before)."""
    if object_format == "sha256":
        repo = _sha256_repo(tmp_path)
    else:
        (tmp_path / "r").mkdir()
        repo = GitRepo(tmp_path / "r")
        repo.git("init", "-q")
    jobs = []
    for n in range(1, 5):
        path = f"contracts/c{n}.yaml"
        repo.write(path, contract(n, f"C {n}"))
        jobs.append((path, "contract", str(repo.path / path)))
    reads: dict[str, tuple[str, int]] = {}
    with ParsePool(jobs=2, threshold=2) as pool:
        kwargs = {"object_format": object_format} if object_format == "sha256" else {}
        pool.parse(jobs, ParserOptions(), reads=reads, **kwargs)  # type: ignore[arg-type]
    assert {p: sha for p, (sha, _) in reads.items()} == {p: repo.git("hash-object", p) for p, _, _ in jobs}
