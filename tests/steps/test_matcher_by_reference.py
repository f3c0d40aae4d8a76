"""A feature parse's ``StepMatcher`` travels to forked workers as its key alone (tracertm.steps.prematch): the
workers inherit it, so the parse can use the small chunks of a streamed parse (tracertm.engine.parse) without
pickling 2,000 definitions with every chunk. A matcher not made for forked workers travels whole; a key a worker
does not know (forked before the matcher was made) gives ``hash_records``, whose features the parent matches."""

from __future__ import annotations

import pickle
from pathlib import Path

from test_prematch import BEHAVE
from tracertm.engine import parse as parse_module
from tracertm.engine.parse import STREAM_CHUNK, ParsePool, hash_records
from tracertm.parsers.records import ParserOptions
from tracertm.steps import prematch
from tracertm.steps.records import parse as parse_steps


def _outcomes() -> dict[str, object]:
    return {"features/steps/basket.py": parse_steps("features/steps/basket.py", BEHAVE.encode())}


def test_a_matcher_for_forked_workers_travels_as_its_key() -> None:
    forked = prematch.matcher(_outcomes(), "fork")
    assert forked is not None and forked.by_reference
    data = pickle.dumps(forked)
    assert len(data) < 200 < len(pickle.dumps((forked.definitions, forked.types)))
    assert pickle.loads(data) is forked  # what a forked worker, which inherited it, gets back
    spawned = prematch.matcher(_outcomes(), "spawn")  # not inherited by its workers: sent whole
    assert spawned is not None and spawned == forked and not spawned.by_reference
    assert pickle.loads(pickle.dumps(spawned)) == spawned
    other = prematch.matcher({"features/steps/more.py": parse_steps("features/steps/more.py", BEHAVE.encode())}, "fork")
    assert other is not None and other.by_reference and not forked.by_reference  # one sync's matcher at a time
    assert pickle.loads(data) is hash_records  # a key this process no longer holds: the parent matches


def test_a_feature_parse_with_an_inherited_matcher_streams_in_small_chunks(
    tmp_path: Path, monkeypatch: object
) -> None:
    forked = prematch.matcher(_outcomes(), "fork")
    assert forked is not None
    sizes: list[int | None] = []
    real = parse_module.chunks

    def spy(work: list[object], jobs: int, size: int | None = None) -> list[list[object]]:
        sizes.append(size)
        return real(work, jobs, size)

    monkeypatch.setattr(parse_module, "chunks", spy)  # type: ignore[attr-defined]
    jobs = []
    for i in range(parse_module.PARALLEL_THRESHOLD + 10):
        path = tmp_path / f"f{i}.feature"
        path.write_text(f"Feature: F{i}\n  Scenario: s{i}\n    Given a basket of {i}\n    When I weigh it\n",
                        encoding="utf-8")
        jobs.append((f"features/f{i}.feature", "feature", path))
    seen: list[str] = []
    with ParsePool(2, start_method="fork") as pool:
        out = pool.parse(jobs, ParserOptions(), prepare=forked, consume=lambda p, o: seen.append(p))
    assert sizes == [STREAM_CHUNK]
    assert sorted(seen) == sorted(out)
    # Matched in the workers: every feature came back with its scenarios' rows.
    assert all(getattr(o, prematch.ATTRIBUTE).digest == forked.key for o in out.values())
