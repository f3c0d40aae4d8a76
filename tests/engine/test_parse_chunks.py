"""How the parse pool splits its work (engine.parse.chunks): every file once, each chunk a stride of the sorted
work; small chunks when the parent consumes them as they come (a cold sync's rows), so little is left to it after
the workers are done."""

from __future__ import annotations

from pathlib import Path

from tracertm.engine import parse
from tracertm.parsers.records import ParserOptions


def test_default_chunks_are_jobs_times_four_strides() -> None:
    work = list(range(6000))
    parts = parse.chunks(work, 2)
    assert len(parts) == 8
    assert sorted(x for p in parts for x in p) == work
    assert parts[1][:3] == [1, 9, 17]  # a stride: every chunk gets the same mix of the sorted work


def test_streamed_chunks_hold_about_size_files() -> None:
    work = list(range(6000))
    parts = parse.chunks(work, 2, parse.STREAM_CHUNK)
    assert len(parts) == 6000 // parse.STREAM_CHUNK
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert sorted(x for p in parts for x in p) == work
    # Never fewer chunks than without a size, and none below 16 files on a small parse.
    assert len(parse.chunks(list(range(300)), 2, parse.STREAM_CHUNK)) == 8
    assert parse.chunks(list(range(40)), 2, parse.STREAM_CHUNK) == [list(range(0, 40, 2)), list(range(1, 40, 2))]


def _contracts(folder: Path, n: int = 300) -> list[tuple[str, str, Path]]:
    jobs = []
    for i in range(n):
        path = folder / f"c{i}.yaml"
        path.write_text(f"id: CTR-{i + 1:04d}\ntitle: Contract {i}\ntype: api\nstatus: draft\n", encoding="utf-8")
        jobs.append((f"c{i}.yaml", "contract", path))
    return jobs


def test_a_consumed_parse_sees_every_file_once(tmp_path: Path) -> None:
    jobs = _contracts(tmp_path)
    seen: list[str] = []
    with parse.ParsePool(2) as pool:
        out = pool.parse(jobs, ParserOptions(), prepare=parse.hash_records,
                         consume=lambda p, o: seen.append(p))
    assert sorted(seen) == sorted(out) == sorted(p for p, _, _ in jobs)
    assert list(out) == [p for p, _, _ in jobs]  # input order, whatever the pool's


def test_lull_comes_in_the_last_round_after_its_chunk_was_consumed(tmp_path: Path) -> None:
    # 300 files in 8 chunks on 2 workers: the lull comes after each of the chunks that leave at most 2 out (the
    # last round, while the last chunks parse), never after the last one (nothing is left to overlap with).
    jobs = _contracts(tmp_path)
    events: list[int] = []  # files consumed so far, at each lull
    seen: list[str] = []
    with parse.ParsePool(2) as pool:
        pool.parse(jobs, ParserOptions(), prepare=parse.hash_records, consume=lambda p, o: seen.append(p),
                   lull=lambda: events.append(len(seen)))
    chunk_ends = sorted(len(p) for p in parse.chunks(jobs, 2, parse.STREAM_CHUNK))
    assert len(events) == 2  # 8 chunks: after the 6th and the 7th
    assert all(0 < n < len(jobs) for n in events)
    assert events == sorted(events) and len(jobs) - events[0] >= 2 * min(chunk_ends)


def test_a_worker_with_the_collector_paused_frees_the_last_chunks_cycles() -> None:
    """Workers forked while the parent paused its collector run paused; each chunk first frees the cyclic garbage
    the last one left (a backfill's workers live for the whole history)."""
    import gc
    import weakref

    from tracertm.collector import collector_paused
    from tracertm.engine.parse import _worker_chunk
    from tracertm.parsers.records import ParserOptions

    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the collector frees it

    with collector_paused():
        left = weakref.ref(Node())
        assert left() is not None  # garbage, unfreed while the collector is paused
        assert _worker_chunk([("docs/adr/0001-x.md", "adr", b"# 1. X\n")], ParserOptions())[0][0] == "docs/adr/0001-x.md"
        assert left() is None


def test_a_worker_freezes_what_it_inherited() -> None:
    """A worker's set-up moves what it inherited into the collector's permanent generation (its collections then
    walk only what its chunks leave)."""
    import gc

    from tracertm.engine.parse import _worker_start

    assert gc.get_freeze_count() == 0
    try:
        _worker_start()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        import signal

        signal.signal(signal.SIGINT, signal.default_int_handler)
