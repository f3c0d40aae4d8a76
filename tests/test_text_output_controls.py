"""Record text printed by the listing commands (``list``, ``show``, ``results list``) has its control characters
escaped, as ``check`` and ``sync`` print findings: a title's ``\\x1b[31m`` or a test message's ``\\x1b[2J`` reached
the terminal as escape sequences, and a file name's newline split ``list``'s one line per record."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import GitRepo, run_cli

ADR = "# 104. Ctrl \x1b[31mred\x1b[0m \x07bell\n\nDate: 2024-01-01\n\n## Status\n\nAccepted\n\n## Context\n\n" \
      "line one \x1b]52;c;aGk=\x07\nline two\n\n## Decision\n\nd\n\n## Consequences\n\nc\n"


def _no_controls(text: str) -> None:
    bad = [c for c in text if (ord(c) < 32 and c != "\n") or 127 <= ord(c) < 160]
    assert not bad, repr(text)


def test_listing_commands_escape_control_characters(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("docs/adr/0104-ctrl.md", ADR)
    git_repo.write("contracts/new\nline.yaml", "id: CTR-7\ntitle: Two\n")
    git_repo.write("features/a.feature", "Feature: A\n\n  Scenario: S\n    Given x\n")
    git_repo.commit()
    url = f"sqlite:///{tmp_path / 'c.db'}"
    where = ["--path", str(git_repo.path), "--database-url", url]
    assert run_cli("sync", str(git_repo.path), "--database-url", url).returncode == 0
    adrs = run_cli("list", "adrs", *where)
    _no_controls(adrs.stdout)
    assert "Ctrl \\x1b[31mred\\x1b[0m \\x07bell" in adrs.stdout, adrs.stdout
    shown = run_cli("show", "ADR-0104", *where)
    _no_controls(shown.stdout)
    assert "  line one \\x1b]52;c;aGk=\\x07" in shown.stdout and "  line two" in shown.stdout, shown.stdout
    contracts = run_cli("list", "contracts", *where)
    _no_controls(contracts.stdout)
    assert len(contracts.stdout.strip().splitlines()) == 2 and "contracts/new\\nline.yaml" in contracts.stdout
    report = tmp_path / "cucumber.json"
    report.write_text(json.dumps([{
        "uri": "features/a.feature", "name": "A", "id": "a", "keyword": "Feature", "line": 1,
        "elements": [{"name": "S", "line": 3, "type": "scenario", "keyword": "Scenario", "id": "a;s", "steps": [{
            "keyword": "Given ", "name": "x", "line": 4,
            "result": {"status": "failed", "error_message": "boom\u001b[2J\u009b"}}]}],
    }]), encoding="utf-8")
    by_name = ["--project", "repo", "--database-url", url]
    assert run_cli("results", "import", str(report), *by_name).returncode == 0
    failed = run_cli("results", "list", "--status", "failed", *by_name)
    _no_controls(failed.stdout)
    assert "boom\\x1b[2J\\x9b" in failed.stdout, failed.stdout
    scenario = json.loads(run_cli("results", "list", "--output", "json", *by_name).stdout)[0]["scenario"]
    shown = run_cli("show", scenario, *where)
    _no_controls(shown.stdout)
    assert ": boom\\x1b[2J\\x9b" in shown.stdout, shown.stdout
    # A run's own failure (a Cucumber Messages run whose runner failed): as the import warns of it, and as
    # ``results runs`` lists it.
    cck = Path(__file__).parent / "results" / "fixtures" / "cck-run-failures" / "test-run-exception.ndjson"
    messages = tmp_path / "run.ndjson"
    messages.write_text(cck.read_text(encoding="utf-8").replace("Whoops!", "Whoops\\u001b[2J\\u0007"),
                        encoding="utf-8")
    warned = run_cli("results", "import", str(messages), *by_name)
    assert warned.returncode == 0, warned.stderr
    _no_controls(warned.stderr)
    assert "Whoops\\x1b[2J\\x07" in warned.stderr, warned.stderr
    runs = run_cli("results", "runs", *by_name)
    _no_controls(runs.stdout)
    assert "failed outside its tests: run.ndjson: Whoops\\x1b[2J\\x07" in runs.stdout, runs.stdout
