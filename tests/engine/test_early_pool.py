"""A cold sync with step files parses the files that need no step matcher (ADRs, contracts) in a pool of their own
while sync's process parses the step files and compiles their definitions (``engine.reading.parse_changed``): the
database it leaves is the one a sync parsing everything after the step files leaves — work tree and commit, SQLite and
PostgreSQL, a file over ``max_file_size`` among the early ones included."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tracertm.engine import parse as parse_mod
from tracertm.engine import reading
from tracertm.engine.parse import PARALLEL_THRESHOLD
from tracertm.engine.sync import sync

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # ``bench`` is a top-level folder of the repository
    sys.path.insert(0, str(REPO))

from bench import corpus as corpus_mod  # noqa: E402
from test_eager_first_sync import _labels, dump, fts_dump, plain_engine  # noqa: E402,F401 - (a fixture)


CONTRACTS = 8


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The paths of every parse handed to a pool with ``submit`` (the early pool's)."""
    seen: list[list[str]] = []
    real = parse_mod.ParsePool.submit

    def submit(pool: Any, jobs_in: Any, *args: Any, **kwargs: Any) -> Any:
        work = list(jobs_in)
        seen.append([job[0] for job in work])
        return real(pool, work, *args, **kwargs)

    monkeypatch.setattr(parse_mod.ParsePool, "submit", submit)
    return seen


def _dump(engine: Any) -> dict[str, list[str]]:
    """``dump`` without the surrogate key of ``scenario_steps`` (its rows are inserted in the order files arrive),
    the definitions' row ids in its JSON named as ``dump`` names ids."""
    out = dump(engine)
    with engine.connect() as conn:
        names = {row_id.hex: name for row_id, name in _labels(conn).items()}
    out["scenario_steps"] = sorted(
        re.sub(r"'([0-9a-f]{32})'", lambda m: repr(names.get(m.group(1), "?unknown id")),
               re.sub(r"^\[\('id', \d+\), ", "[", row))
        for row in out["scenario_steps"]
    )
    return out


@pytest.mark.parametrize("source", ["worktree", "commit"])
def test_adrs_and_contracts_parse_while_the_step_files_compile(
    tmp_path: Path, engine: Any, plain_engine: Any, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    if source == "commit" and engine.dialect.name != "sqlite":
        pytest.skip("how a commit's files are read does not depend on the database (the work tree's run covers it)")
    # Enough ADRs for a pool of their own and features for the pool that matches steps; two scenarios a feature
    # (not the corpus's ten) and a few contracts: what is parsed where does not depend on more.
    corpus = corpus_mod.build(tmp_path / "corpus", "small", 5, adrs=PARALLEL_THRESHOLD, contracts=CONTRACTS,
                              features=PARALLEL_THRESHOLD + 10, scenarios=2, step_definitions=60)
    big = corpus.root / "docs" / "adr" / "9999-big.md"
    big.write_text("# ADR-9999: Big\n\n" + "x" * 600_000 + "\n", encoding="utf-8")  # over max_file_size:
    config = corpus.root / ".tracertm.toml"
    config.write_text((config.read_text() if config.exists() else "") + "\nmax_file_size = 500000\n")
    corpus_mod.git(corpus.root, "add", "-A")
    corpus_mod.git(corpus.root, "commit", "-q", "-m", "big")
    ref = "HEAD" if source == "commit" else None
    seen = _spy(monkeypatch)
    early = sync(corpus.root, engine=engine, jobs=2, ref=ref)
    kinds = {p.split("/")[0] for p in seen[0]} if seen else set()
    assert len(seen) == 1 and kinds == {"docs", "contracts"}, kinds  # the ADRs and contracts, nothing else
    # (from a commit the big file is refused on its git header's size: not sent to the pool)
    assert len(seen[0]) == PARALLEL_THRESHOLD + CONTRACTS + (0 if source == "commit" else 1)
    assert early.counts["step_definition"]["created"] == 60 and early.counts["adr"]["errors"] == 1
    assert any("9999-big.md" in e.path and "max_file_size" in e.message for e in early.errors)

    # The same files parsed the way a sync without the early pool parses them: everything after the step files.
    monkeypatch.setattr(reading.ParsePool, "submit", lambda *args, **kwargs: None)
    plain = sync(corpus.root, engine=plain_engine, jobs=2, ref=ref)
    assert early.counts == plain.counts and early.errors == plain.errors and early.warnings == plain.warnings
    assert [op.as_dict() for op in early.operations] == [op.as_dict() for op in plain.operations]
    assert _dump(engine) == _dump(plain_engine)
    if engine.dialect.name == "sqlite":
        assert fts_dump(engine) == fts_dump(plain_engine)
    assert not sync(corpus.root, engine=engine, jobs=2, ref=ref).changed
