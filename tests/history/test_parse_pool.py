"""The one parse pool (``engine.parse.ParsePool``) shared by sync, check and backfill: workers start once and
serve every batch of a backfill; the results equal a serial parse."""

from __future__ import annotations

import os
from typing import Any

from conftest import GitRepo
from specs import adr, contract, feature
from test_backfill_promise import _state
from tracertm import db
from tracertm.engine.parse import ParsePool, hash_records, parse_files
from tracertm.history.backfill import backfill
from tracertm.parsers.records import ParseResult, ParserOptions


def stamp_pid(result: ParseResult) -> None:
    """A ``prepare`` hook: which process parsed the file."""
    for record in result.records:
        record.fields["parsed_by"] = os.getpid()


def test_workers_start_once_and_serve_every_call() -> None:
    work = [(f"features/f{i}.feature", "feature", feature(i, f"F {i}").encode()) for i in range(1, 41)]
    pids: set[int] = set()
    with ParsePool(jobs=2, threshold=10) as pool:
        for _ in range(3):
            outcomes = pool.parse(work, ParserOptions(), prepare=stamp_pid)  # type: ignore[arg-type]
            assert list(outcomes) == [path for path, _, _ in work], "results come back in input order"
            pids |= {o.records[0].fields["parsed_by"] for o in outcomes.values() if isinstance(o, ParseResult)}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2, "parsed in the same (at most two) workers every time"
    serial = parse_files(work, ParserOptions(), jobs=1)  # type: ignore[arg-type]
    assert {p: o.records[0].number for p, o in serial.items() if isinstance(o, ParseResult)} == {
        p: f"FEAT-{i}" for i, (p, _, _) in enumerate(work, 1)}


def _wide_history(repo: GitRepo) -> None:
    for i in range(1, 31):
        repo.write(f"docs/adr/{i:04d}-d.md", adr(i, f"Decision {i}"))
        repo.write(f"contracts/c{i}.yaml", contract(i, f"Contract {i}"))
        repo.write(f"features/f{i}.feature", feature(i, f"Feature {i}"))
    repo.write("contracts/broken.yaml", "id: [unclosed\n")
    repo.commit("seed: 91 files, above the pool's threshold")
    for i in range(1, 31, 3):
        repo.write(f"docs/adr/{i:04d}-d.md", adr(i, f"Decision {i}", decision="Changed."))
    repo.commit("edits")


def test_backfill_in_worker_processes_equals_a_serial_one(git_repo: GitRepo, database_url: str,
                                                         tmp_path: Any) -> None:
    _wide_history(git_repo)
    serial_url = f"sqlite:///{tmp_path / 'serial.db'}"
    pooled, serial = db.make_engine(database_url), db.make_engine(serial_url)
    try:
        a = backfill(git_repo.path, engine=pooled, project="p", jobs=2)
        b = backfill(git_repo.path, engine=serial, project="p", jobs=1)
        assert a.files_parsed == b.files_parsed == 91 + 10
        assert [str(e) for e in a.errors] == [str(e) for e in b.errors] and len(a.errors) == 1
        assert _state(pooled) == _state(serial)
    finally:
        pooled.dispose()
        serial.dispose()


def test_a_pool_started_with_forkserver_parses_the_same() -> None:
    """The watch daemon has threads, so its pools use ``forkserver`` (see ``parse_files``)."""
    work = [(f"features/f{i}.feature", "feature", feature(i, f"F {i}").encode()) for i in range(1, 21)]
    with ParsePool(jobs=2, threshold=5, start_method="forkserver") as pool:
        pooled = pool.parse(work, ParserOptions(), prepare=hash_records)  # type: ignore[arg-type]
    serial = parse_files(work, ParserOptions(), jobs=1, prepare=hash_records)  # type: ignore[arg-type]
    assert {p: o.records[0].content_hash for p, o in pooled.items() if isinstance(o, ParseResult)} == {
        p: o.records[0].content_hash for p, o in serial.items() if isinstance(o, ParseResult)}
    assert len(pooled) == 20


def test_the_next_batch_parses_in_the_workers_while_one_is_written(git_repo: GitRepo, database_url: str,
                                                                  tmp_path: Any, monkeypatch: Any) -> None:
    """Backfill hands a batch over only after starting the parse of the next one (``ParsePool.submit``); what lands
    is what a serial backfill writes, the blobs parsed once each."""
    git_repo.write("docs/adr/0001-d.md", adr(1, "Decision 1"))
    git_repo.commit("one file")
    for i in range(1, 41):  # 80 new blobs in one commit: above the pool's threshold, and the next batch
        git_repo.write(f"contracts/c{i}.yaml", contract(i, f"Contract {i}"))
        git_repo.write(f"features/f{i}.feature", feature(i, f"Feature {i}"))
    git_repo.commit("wide")
    for i in range(1, 41, 4):
        git_repo.write(f"features/f{i}.feature", feature(i, f"Feature {i} renamed"))
    git_repo.remove("contracts/c2.yaml")
    git_repo.commit("edits and a deletion")
    submitted: list[int] = []
    real_submit = ParsePool.submit

    def counting_submit(self: ParsePool, jobs_in: Any, *args: Any, **kwargs: Any) -> Any:
        work = list(jobs_in)
        pending = real_submit(self, work, *args, **kwargs)
        if pending is not None:
            submitted.append(len(work))
        return pending

    monkeypatch.setattr(ParsePool, "submit", counting_submit)
    serial_url = f"sqlite:///{tmp_path / 'serial.db'}"
    pooled, serial = db.make_engine(database_url), db.make_engine(serial_url)
    try:
        a = backfill(git_repo.path, engine=pooled, project="p", jobs=2, batch_size=1)
        assert submitted == [80], "the wide commit was parsed ahead, while the first batch was written"
        b = backfill(git_repo.path, engine=serial, project="p", jobs=1, batch_size=1)
        assert a.files_parsed == b.files_parsed == 1 + 80 + 10
        assert a.revisions == b.revisions
        assert _state(pooled) == _state(serial)
    finally:
        pooled.dispose()
        serial.dispose()


def test_a_cold_backfill_parses_the_first_commits_tree_while_git_log_walks(git_repo: GitRepo, database_url: str,
                                                                           tmp_path: Any, monkeypatch: Any) -> None:
    """``git log --reverse`` answers once it has walked the whole history: the first commit's spec files (listed
    with ``git ls-tree``) are already parsing in the workers by then, each blob parsed once, and what lands is what
    a serial backfill writes."""
    from tracertm import git
    from tracertm.history import replay

    _wide_history(git_repo)
    submitted: list[int] = []
    real_submit, real_history = ParsePool.submit, git.history
    seen_at_first_commit: list[list[int]] = []

    def counting_submit(self: ParsePool, jobs_in: Any, *args: Any, **kwargs: Any) -> Any:
        work = list(jobs_in)
        pending = real_submit(self, work, *args, **kwargs)
        if pending is not None:
            submitted.append(len(work))
        return pending

    def watched_history(*args: Any, **kwargs: Any) -> Any:
        for i, commit in enumerate(real_history(*args, **kwargs)):
            if i == 0:
                seen_at_first_commit.append(list(submitted))
            yield commit

    monkeypatch.setattr(ParsePool, "submit", counting_submit)
    monkeypatch.setattr(replay.git, "history", watched_history)
    serial_url = f"sqlite:///{tmp_path / 'serial.db'}"
    pooled, serial = db.make_engine(database_url), db.make_engine(serial_url)
    try:
        a = backfill(git_repo.path, engine=pooled, project="p", jobs=2)
        assert seen_at_first_commit == [[91]], "the first commit's 91 files were parsing before the log answered"
        again = backfill(git_repo.path, engine=pooled, project="p", jobs=2)
        assert again.mode == "up-to-date" and submitted == [91], "nothing is guessed for a run that is not cold"
        b = backfill(git_repo.path, engine=serial, project="p", jobs=1)
        assert a.files_parsed == b.files_parsed == 91 + 10
        assert _state(pooled) == _state(serial)
    finally:
        pooled.dispose()
        serial.dispose()
