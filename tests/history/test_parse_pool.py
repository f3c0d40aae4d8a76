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
