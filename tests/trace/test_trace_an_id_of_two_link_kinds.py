"""An id no record has can be the target of links of two kinds: with a ``requirement_pattern`` that takes
Jira-style keys (``[A-Z]+-\\d+``), a contract that mentions a missing ``ADR-0009`` links it as an ADR (dangling) and
covers it as a requirement. ``trace ADR-0009`` read the kind of its root from one of those links, whichever the
database returned first (``limit(1)`` without an order): the ADR on SQLite, the requirement on PostgreSQL. The
requirement on both now, the id's one existing meaning (a requirement is never a record), as a record's own kind
wins when one has the id."""

from __future__ import annotations

import json

import pytest

from conftest import GitRepo, run_cli
from specs import contract

CONFIG = "requirement_pattern = '\\b[A-Z]+-\\d+\\b'\n"


def test_an_id_linked_as_a_missing_adr_and_as_a_requirement_is_traced_as_the_requirement(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    monkeypatch.chdir(git_repo.path)
    git_repo.write(".tracertm.toml", CONFIG)
    git_repo.write("contracts/pay.yaml", contract(1, "Payments") + "description: decided in ADR-0009\n")
    git_repo.commit("specs")
    assert run_cli("sync", "--project", "shop").returncode in (0, 1)
    done = run_cli("trace", "CTR-0001", "--project", "shop", "--depth", "1", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert {(e["source"], e["type"], e["target"]) for e in json.loads(done.stdout)["edges"]} == {
        ("contract:CTR-0001", "implements", "adr:ADR-0009"), ("contract:CTR-0001", "covers", "requirement:ADR-0009")}
    traced = json.loads(run_cli("trace", "ADR-0009", "--project", "shop", "--depth", "1", "--format", "json").stdout)
    assert traced["root"] == "requirement:ADR-0009"
    assert {(e["source"], e["type"], e["target"]) for e in traced["edges"]} == {
        ("contract:CTR-0001", "covers", "requirement:ADR-0009")}
