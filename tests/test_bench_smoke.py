"""The benchmark runner in smoke mode: every row is produced, with a number or an explicit n/a reason.

Timings are not asserted (they depend on the machine); bench/README.md says what the rows mean.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # ``bench`` is a top-level folder of the repository, not an installed package
    sys.path.insert(0, str(REPO))
PG_ENVS = ("TRACERTM_BENCH_DATABASE_URL", "TRACERTM_TEST_DATABASE_URL")


@pytest.fixture(scope="module")
def report() -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--json", "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_every_row_has_a_number_or_a_reason(report: dict) -> None:
    from bench.run import CORE_ROWS, EXTRA_MODULES

    rows = report["rows"]
    names = [r["name"] for r in rows]
    for name in CORE_ROWS:
        assert name in names, f"missing row {name!r}"
    for module in EXTRA_MODULES:
        short = module.rsplit(".", 1)[-1]
        assert any(n == short or n.startswith(f"{short}: ") for n in names), f"no row from {module}"
    for r in rows:
        assert set(r) >= {"name", "value", "unit", "target"}, r
        if r["value"] is None:
            assert isinstance(r.get("na"), str) and r["na"].strip(), f"n/a row without a reason: {r}"
        else:
            assert isinstance(r["value"], (int, float)) and not isinstance(r["value"], bool), r


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_postgres_row_is_skipped_cleanly_without_a_url(report: dict) -> None:
    from bench.run import PG_VS_SQLITE

    pg = next(r for r in report["rows"] if r["name"] == PG_VS_SQLITE)
    if any(os.environ.get(env) for env in PG_ENVS):
        assert pg["value"] is not None, pg  # a configured server must work
        assert report["machine"]["postgresql"]
    else:
        assert pg["value"] is None and "PostgreSQL" in pg["na"], pg


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_report_names_the_machine_and_the_corpus(report: dict) -> None:
    machine, corpus = report["machine"], report["corpus"]
    assert machine["cores"] >= 1 and machine["python"] and machine["sqlite"]
    assert corpus["size"] == "small" and corpus["counts"]["scenario"] == 10 * corpus["counts"]["feature"]
    assert not report["notes"], report["notes"]  # the syncs did what the corpus says (no stray parses or errors)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_interleaved_rows_give_each_pair_and_their_median(report: dict) -> None:
    """Rows 1 and 32 divide the best run of each side; their detail also gives each back-to-back pair's ratio."""
    import re

    from bench.run import COLD_VS_FLOOR

    for name in (COLD_VS_FLOOR, "steps_bench: cold sync with step files / without"):
        row = next(r for r in report["rows"] if r["name"] == name)
        found = re.search(r"wall pairs ([0-9., ]+) \(median ([0-9.]+)\)", row["detail"])
        assert found, row["detail"]
        ratios = [float(r) for r in found.group(1).split(", ")]
        assert len(ratios) >= 1 and min(ratios) <= float(found.group(2)) <= max(ratios)


def test_pairs_are_ratios_of_runs_side_by_side() -> None:
    from bench.rows import paired

    assert paired([3.0, 2.0, 5.0], [2.0, 2.0, 4.0]) == "pairs 1.50, 1.00, 1.25 (median 1.25)"
    assert paired([], []) == "no pairs"


def test_a_sub_benchmark_runs_in_a_process_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each sub-benchmark's ``run(smoke)`` runs in a new Python process (none inherits an earlier one's heap,
    threads or imports), its rows come back as they were returned, and a failure is one reason for an n/a row."""
    from bench.run import _extra_process, _ExtraFailed

    (tmp_path / "fake_bench.py").write_text(
        "import os, sys\n"
        "def run(smoke):\n"
        "    return [{'name': 'pid', 'value': os.getpid(), 'unit': '', 'target': ''},\n"
        "            {'name': 'smoke', 'value': int(smoke), 'unit': '', 'target': '',\n"
        "             'detail': 'tracertm imported' if 'tracertm' in sys.modules else 'fresh'}]\n"
    )
    (tmp_path / "broken_bench.py").write_text("def run(smoke):\n    raise RuntimeError('no corpus')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    import tracertm  # noqa: F401 - imported here: the sub-benchmark's process must not have it

    pid, smoke = _extra_process("fake_bench", True, quiet=True)
    assert pid["value"] != os.getpid() and smoke["value"] == 1 and smoke["detail"] == "fresh"
    with pytest.raises(_ExtraFailed, match="run\\(\\) failed: RuntimeError: no corpus"):
        _extra_process("broken_bench", False, quiet=True)
    with pytest.raises(_ExtraFailed, match="^module not present$"):
        _extra_process("no_such_bench", False, quiet=True)


def test_corpus_is_deterministic(tmp_path: Path) -> None:
    from bench.corpus import build, git, history

    heads = []
    for name in ("a", "b"):
        corpus = build(tmp_path / name, "small", seed=3, adrs=8, contracts=4, features=4, scenarios=3)
        history(corpus, commits=5, seed=2)
        heads.append(git(corpus.root, "rev-parse", "HEAD").strip())
        assert git(corpus.root, "status", "--porcelain") == ""
        assert len(git(corpus.root, "rev-list", "HEAD").split()) == 6
    assert heads[0] == heads[1]


def test_corpus_history_leaves_step_files_as_generated(tmp_path: Path) -> None:
    """``history`` edits, renames and deletes spec files only: an edit rendered a feature's text into a step file
    (a .js or .java file full of Gherkin: files in error in every benchmark of a history with steps)."""
    from bench.corpus import build, git, history

    corpus = build(tmp_path / "c", "small", seed=3, adrs=3, contracts=2, features=3, scenarios=2, step_definitions=40)
    first = git(corpus.root, "rev-parse", "HEAD").strip()
    steps = sorted(p for p, kind in corpus.files.items() if kind == "step")
    assert steps
    history(corpus, commits=30, seed=2)
    assert git(corpus.root, "diff", "--name-only", first, "HEAD", "--", *steps) == ""
    assert sorted(p for p, kind in corpus.files.items() if kind == "step") == steps
