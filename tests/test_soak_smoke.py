"""``python -m bench.soak --smoke``: every reliability section runs and finds nothing (the full soak is run by hand;
its figures are in the README's reliability section)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_soak_smoke_run_has_every_section_and_no_failure() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--smoke", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert proc.stdout.strip(), proc.stderr[-3000:]
    rows = json.loads(proc.stdout)["rows"]
    names = [r["name"] for r in rows]
    fuzzed = ("adr", "contract", "feature", *(f"steps:{language}" for language in
                                                ("python", "javascript", "typescript", "java", "kotlin", "go", "ruby",
                                                 "csharp")),
              "report:junit", "report:cucumber-json", "report:cucumber-messages")
    for section in ("(a) concurrent syncers", "(b) SIGKILL of sync", "(b) SIGKILL of backfill",
                    *(f"(c) parser fuzz [{target}]" for target in fuzzed)):
        assert any(n.startswith(section) for n in names), f"missing {section}: {names}"
    assert all(r["trials"] > 0 for r in rows), rows
    assert [r for r in rows if r["failures"]] == [], json.dumps(rows, indent=2)
    assert proc.returncode == 0
