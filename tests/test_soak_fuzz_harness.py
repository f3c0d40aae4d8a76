"""The soak's parser fuzz (``bench/soak.py``, section c) sees every way a parser can break its rule: an exception
other than ``ParseError``, a parse that does not end (in Python code, or stuck where no signal reaches it), a
process that dies, memory beyond its limit; and the fuzz itself ends, whatever the parser does."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest

from bench import soak

REPO = Path(__file__).resolve().parent.parent

# A worker whose parser misbehaves on the second input of its first job (after its warm-up: a seed per target).
WORKER = """
import os, pickle, signal, sys, time
sys.path.insert(0, {repo!r})
from bench import soak
soak.INPUT_SECONDS = 1
soak.MEMORY_HEADROOM = 256 << 20
read = soak._attempt
calls = [0]
warm_up = len(pickle.loads(open(sys.argv[1], "rb").read()))  # one call per target with seeds
def attempt(target, path, data, fmt):
    calls[0] += 1
    if calls[0] == warm_up + 2:
        {misbehaviour}
    return read(target, path, data, fmt)
soak._attempt = attempt
sys.exit(soak.fuzz_worker(sys.argv[1]))
"""

SEEDS = {"report:junit": [("reports/fuzz.xml", b'<testsuite name="s"><testcase classname="c" name="n"/></testsuite>')]}


@pytest.mark.parametrize(("misbehaviour", "expected"), [
    ("raise KeyError('boom')", "KeyError: 'boom'"),
    ("time.sleep(60)", "no answer in 1 s"),
    ("signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM]); time.sleep(60)", "no answer in 2 s, killed"),
    ("os.abort()", "the process died (exit -6)"),
    ("x = bytearray(1 << 30); x[-1] = 1", "MemoryError"),
])
def test_the_fuzz_reports_each_broken_rule_with_its_input_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, misbehaviour: str, expected: str
) -> None:
    seeds_file = tmp_path / "seeds.pickle"
    seeds_file.write_bytes(pickle.dumps(SEEDS))
    monkeypatch.setattr(soak, "STALL_SECONDS", 2)
    monkeypatch.setattr(soak, "FAILURES_DIR", tmp_path / "failures")
    worker = soak._Worker(seeds_file)
    worker._cmd = [sys.executable, "-c", WORKER.format(repo=str(REPO), misbehaviour=misbehaviour), str(seeds_file)]
    try:
        row = soak._fuzz_target(worker, SEEDS, "report:junit", 3, seed=1)
    finally:
        worker.stop()
    assert row.trials == 3 and row.failures == 1, row
    assert row.examples[0].startswith("report:junit input 1: reports/fuzz.xml: ") and expected in row.examples[0], row
    kept = tmp_path / "failures" / "report-junit-1-1.xml"
    assert kept.read_bytes() == soak.fuzz_input(SEEDS, "report:junit", 1, 1)[1], "the failing input, to reproduce it"
