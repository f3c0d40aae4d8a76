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


def test_a_consumed_parse_sees_every_file_once(tmp_path: Path) -> None:
    jobs = []
    for i in range(300):
        path = tmp_path / f"c{i}.yaml"
        path.write_text(f"id: CTR-{i + 1:04d}\ntitle: Contract {i}\ntype: api\nstatus: draft\n", encoding="utf-8")
        jobs.append((f"c{i}.yaml", "contract", path))
    seen: list[str] = []
    with parse.ParsePool(2) as pool:
        out = pool.parse(jobs, ParserOptions(), prepare=parse.hash_records,
                         consume=lambda p, o: seen.append(p))
    assert sorted(seen) == sorted(out) == sorted(p for p, _, _ in jobs)
    assert list(out) == [p for p, _, _ in jobs]  # input order, whatever the pool's
