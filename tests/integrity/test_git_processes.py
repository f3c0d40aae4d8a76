"""git processes never hang and never hand back the wrong bytes; oversized files are rejected from their size
(issue 11, item 12)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from conftest import GitRepo, run_cli
from specs import adr, dump, feature
from tracertm import db, git
from tracertm.engine.sync import sync
from tracertm.errors import GitError

MISSING = "0123456789abcdef0123456789abcdef01234567"


def _blob(repo: GitRepo, rel: str, content: bytes) -> str:
    repo.write(rel, content)
    return repo.git("hash-object", "-w", rel)


def _reaped(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def test_an_error_part_way_through_a_batch_breaks_and_reaps_the_reader(git_repo: GitRepo) -> None:
    one = _blob(git_repo, "one.txt", b"one\n")
    two = _blob(git_repo, "two.txt", b"two\n")
    reader = git.BlobReader(git_repo.path)
    try:
        assert reader.read(one) == b"one\n"
        pid = reader._proc.pid  # type: ignore[union-attr]
        with pytest.raises(GitError, match="missing"):
            reader.read_many([one, MISSING, two])
        assert reader.broken and _reaped(pid)
        # Never the answer left over from the failed batch (that would be two's bytes for one's id).
        with pytest.raises(GitError, match="failed earlier"):
            reader.read(one)
    finally:
        reader.close()


def test_closing_after_an_error_with_a_full_pipe_does_not_hang(git_repo: GitRepo) -> None:
    big = [_blob(git_repo, f"big{i}.txt", os.urandom(256 * 1024)) for i in range(8)]  # far more than a pipe holds
    reader = git.BlobReader(git_repo.path)
    proc_box: list[int] = []

    def fail_then_close() -> None:
        try:
            reader.read_many([MISSING, *big])
        except GitError:
            pass
        reader.close()

    reader._start()
    proc_box.append(reader._proc.pid)  # type: ignore[union-attr]
    worker = threading.Thread(target=fail_then_close, daemon=True)
    worker.start()
    worker.join(60)
    hung = worker.is_alive()
    if hung:  # leave nothing behind even when the behaviour is wrong
        os.kill(proc_box[0], 9)
    assert not hung, "closing the reader hung on a full pipe"
    assert _reaped(proc_box[0])


def test_many_large_blobs_in_one_round_trip(git_repo: GitRepo) -> None:
    contents = {i: os.urandom(64 * 1024 + i) for i in range(64)}
    shas = {i: _blob(git_repo, f"b{i}.bin", data) for i, data in contents.items()}
    with git.BlobReader(git_repo.path) as reader:
        out = reader.read_many(list(shas.values()))
    assert all(out[shas[i]] == data for i, data in contents.items())


def test_a_blob_over_the_limit_is_sized_not_read(git_repo: GitRepo) -> None:
    small = _blob(git_repo, "small.txt", b"small\n")
    large = _blob(git_repo, "large.bin", b"x" * (3 * 1024 * 1024))
    with git.BlobReader(git_repo.path) as reader:
        out = reader.read_limited([large, small], 1024)
        assert out == {large: 3 * 1024 * 1024, small: b"small\n"}
        assert reader.read(small) == b"small\n"  # the stream is still in step


@pytest.mark.parametrize("source", ["worktree", "ref", "staged"])
def test_files_over_max_file_size_are_errors_and_the_rest_syncs(
    git_repo: GitRepo, database_url: str, source: str
) -> None:
    git_repo.write(".tracertm.toml", "max_file_size = 4000\n")
    git_repo.write("docs/adr/0001-a.md", adr(1, "Small"))
    git_repo.write("docs/adr/0002-b.md", adr(2, "Large", decision="x" * 5000))
    git_repo.commit()
    if source == "worktree":  # a sparse giant nobody should read
        with open(git_repo.path / "docs/adr/0003-huge.md", "wb") as fh:
            fh.truncate(256 * 1024 * 1024)
    result = sync(
        git_repo.path, database_url=database_url, ref="HEAD" if source == "ref" else None, staged=source == "staged"
    )
    messages = {d.path: d.message for d in result.errors}
    assert "over the 4000-byte limit" in messages["docs/adr/0002-b.md"]
    if source == "worktree":
        assert "268435456 bytes" in messages["docs/adr/0003-huge.md"]
    assert result.counts["adr"]["created"] == 1


def test_a_batch_of_paths_beyond_the_argument_limit(git_repo: GitRepo, database_url: str) -> None:
    """The watcher hands sync the paths of one batch; 40,000 long names (~4 MB) exceed ARG_MAX."""
    git_repo.write("docs/adr/0001-a.md", adr(1, "One"))
    git_repo.write("docs/adr/0002-b.md", adr(2, "Two"))
    git_repo.commit()
    git_repo.write("docs/adr/0002-b.md", adr(2, "Two, edited"))
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine)
        git_repo.write("docs/adr/0001-a.md", adr(1, "One, edited"))
        names = [f"docs/adr/{i:06d}-{'x' * 90}.md" for i in range(40_000)]
        result = sync(git_repo.path, paths=[*names, "docs/adr/0001-a.md"], engine=engine)
        assert result.counts["adr"]["updated"] == 1 and result.counts["adr"]["deleted"] == 0
        assert result.files_scanned == 1  # the scope still limits what is looked at
    finally:
        engine.dispose()


def test_a_failed_git_command_is_named_past_its_global_options(git_repo: GitRepo) -> None:
    git_repo.write("a.txt", "a\n")
    git_repo.commit()
    with pytest.raises(GitError) as failed:
        git.run(git_repo.path, *git.NO_SIGNATURES, "-c", "core.quotePath=false", "show", "-s", MISSING)
    assert str(failed.value).startswith(f"git show failed in {git_repo.path}: fatal: "), failed.value


def _partial_clone(origin: GitRepo, clone: Path, spec: str) -> None:
    """A clone of ``origin`` with ``--filter=spec``, whose remote is then gone (moved away: unreachable)."""
    origin.git("config", "uploadpack.allowFilter", "true")
    subprocess.run(["git", "clone", "-q", f"--filter={spec}", f"file://{origin.path}", str(clone)], check=True)


def test_a_partial_clone_whose_remote_is_gone_says_so(git_repo: GitRepo, tmp_path: Path) -> None:
    for n in range(1, 5):
        git_repo.write("docs/adr/0001-first.md", adr(1, f"First {n}"))
        git_repo.commit(f"c{n}")
    blobless, treeless = tmp_path / "pbx", tmp_path / "ptx"
    _partial_clone(git_repo, blobless, "blob:none")
    _partial_clone(git_repo, treeless, "tree:0")
    shutil.move(git_repo.path, tmp_path / "gone")
    url = f"sqlite:///{tmp_path / 't.db'}"
    for argv in (("backfill", "--database-url", url, str(blobless)), ("check", "--ref", "HEAD~3", str(blobless)),
                 ("sync", "--database-url", url, str(treeless))):
        result = run_cli(*argv)
        assert result.returncode == 2, result
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith(f"tracertm: error: {argv[-1]}: git object "), line
        assert line.endswith(" is not in this partial clone (--filter) and its remote could not be reached; "
                             "reconnect to it (check with 'git fetch') and run again, "
                             "or clone without --filter"), line


def _fetches(trace: Path) -> int:
    """The ``git fetch`` processes a GIT_TRACE2_EVENT file records (git's lazy fetches of a partial clone too)."""
    events = [json.loads(line) for line in trace.read_text().splitlines()] if trace.exists() else []
    return sum(1 for e in events if e.get("event") == "start" and "fetch" in e.get("argv", []))


def _rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """``dump`` without the ids a run draws (the records' ids its revisions name)."""
    out = dump(engine)
    for row in out["spec_revisions"]:
        del row["entity_id"]
    out["spec_revisions"].sort(key=repr)
    return out


def test_a_partial_clone_fetches_the_blobs_a_run_reads_in_one_go(git_repo: GitRepo, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A blobless clone lacks every blob but the checked-out ones: ``backfill``, ``sync --ref`` and ``check --ref``
    fetch those they read with one ``git fetch``, whatever the number of commits (not one per blob, as git's lazy
    fetch does), and a backfill writes what it writes in a full clone."""
    for n in range(40):
        git_repo.write(f"features/f{n % 8}.feature", feature(n % 8 + 1, f"Thing {n}"))
        git_repo.commit(f"c{n}")
    full = tmp_path / "full"
    subprocess.run(["git", "clone", "-q", f"file://{git_repo.path}", str(full)], check=True)
    for step, argv in enumerate((("backfill",), ("sync", "--ref", "HEAD~5"), ("check", "--ref", "HEAD~9"))):
        partial = tmp_path / f"partial{step}"  # (a clone of its own: a run keeps the blobs it fetched)
        _partial_clone(git_repo, partial, "blob:none")
        trace = tmp_path / f"trace{step}.json"
        monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
        url = f"sqlite:///{tmp_path / partial.name}.db"
        result = run_cli(*argv, *(() if argv[0] == "check" else ("--database-url", url)), str(partial))
        assert result.returncode == 0, result
        assert _fetches(trace) == 1, (argv, _fetches(trace))
        assert " in one go (partial clone)" in result.stderr, result.stderr
        if step == 0:
            assert "tracertm: fetched 32 missing git objects from origin in one go (partial clone)" in result.stderr
            monkeypatch.setenv("GIT_TRACE2_EVENT", str(tmp_path / "full.json"))
            full_url = f"sqlite:///{tmp_path / 'full.db'}"
            assert run_cli("backfill", "--database-url", full_url, str(full)).returncode == 0
            # A full clone is told from its configuration file: no git call looks for what it lacks.
            started = [json.loads(line) for line in (tmp_path / "full.json").read_text().splitlines()]
            assert not [e for e in started if "--missing=print" in e.get("argv", [])]
            partial_db, full_db = db.make_engine(url), db.make_engine(full_url)
            try:
                assert _rows(partial_db) == _rows(full_db)
            finally:
                partial_db.dispose()
                full_db.dispose()
