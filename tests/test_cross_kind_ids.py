"""Ids are unique per kind only: a contract may say ``id: ADR-0003`` while an ADR is ADR-0003. ``check`` (also
``--staged``) and ``sync`` warn about it at the line of the id, naming the other file, and the command line tells
the two records apart with ``KIND:ID`` (``adr:ADR-0003``, ``contract:ADR-0003``), the ids its ambiguity message
offers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apikit import api_client
from conftest import GitRepo
from specs import adr, contract, feature
from tracertm.cli import main

ADR_PATH = "docs/adr/0003-use-postgres.md"
COLLIDE = "id: ADR-0003\ntitle: contract that reuses an ADR id\n"
WARNED = (
    f"contracts/collide.yaml:1:1: warning: contract ADR-0003 has the id of adr ADR-0003 in {ADR_PATH}; give one "
    "of them another id (until then, name them adr:ADR-0003 and contract:ADR-0003 on the command line)"
)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _colliding(git_repo: GitRepo) -> None:
    git_repo.write(ADR_PATH, adr(3, "Use Postgres"))
    git_repo.write("contracts/payments.yaml", contract(1, "Payments"))
    git_repo.commit("adr")
    git_repo.write("contracts/collide.yaml", COLLIDE)


def _lines(text: str, word: str = "has the id of") -> list[str]:
    return [line for line in text.splitlines() if word in line]


@pytest.mark.parametrize("staged", [False, True])
def test_check_warns_at_the_id_and_names_the_other_file(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str], staged: bool
) -> None:
    _colliding(git_repo)
    argv = ["check", str(git_repo.path)]
    if staged:
        git_repo.git("add", "-A")
        argv.insert(1, "--staged")
    code, out, err = _cli(capsys, *argv)
    assert code == 0 and _lines(out + err) == [WARNED], out + err  # a warning: both records stay valid
    code, out, err = _cli(capsys, *argv, "--strict")
    assert code == 1 and _lines(out + err) == [WARNED.replace(": warning: ", ": ")], out + err


def test_check_of_committed_files_and_without_collision(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    _colliding(git_repo)
    git_repo.commit("collide")
    # Committed: the first by kind keeps the id (ADRs, contracts, features; then by path), the other file carries the
    # warning; the hook, which reports on the files a commit changes, says nothing more.
    code, out, err = _cli(capsys, "check", str(git_repo.path))
    assert code == 0 and _lines(out + err) == [WARNED], out + err
    assert _lines("".join(_cli(capsys, "check", "--staged", str(git_repo.path))[1:])) == []
    # Path-derived ids collide too (contracts/checkout.yaml and features/checkout.feature are both "checkout").
    git_repo.write("contracts/checkout.yaml", "title: Checkout\n")
    git_repo.write("features/checkout.feature", "Feature: Checkout\n  Scenario: pay\n    Given a cart\n")
    git_repo.write("contracts/collide.yaml", COLLIDE.replace("ADR-0003", "CTR-0009"))
    code, out, err = _cli(capsys, "check", str(git_repo.path))
    assert _lines(out + err) == [
        "features/checkout.feature:1:1: warning: feature checkout has the id of contract checkout in "
        "contracts/checkout.yaml; give one of them another id (until then, name them contract:checkout and "
        "feature:checkout on the command line)"
    ], out + err
    git_repo.write("features/checkout.feature", "@FEAT-7\nFeature: Checkout\n  Scenario: pay\n    Given a cart\n")
    code, out, err = _cli(capsys, "check", str(git_repo.path))
    assert code == 0 and _lines(out + err) == [] and "0 warnings" in out + err, out + err


def test_sync_warns_until_the_collision_is_gone(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _colliding(git_repo)
    url = ["--database-url", database_url]
    assert main(["sync", str(git_repo.path), *url]) == 0
    capsys.readouterr()
    git_repo.commit("collide")
    for _ in range(2):  # reported again by a sync that has nothing to do
        code, out, err = _cli(capsys, "sync", str(git_repo.path), *url)
        assert code == 0 and _lines(out + err) == [WARNED], out + err
    code, out, _ = _cli(capsys, "list", "contracts", "--format", "json", *url, "--project", "repo")
    assert sorted(c["number"] for c in json.loads(out)) == ["ADR-0003", "CTR-0001"]  # both records are kept
    # The ADR goes away: the contract's file is unchanged, and its warning goes too.
    git_repo.remove(ADR_PATH)
    git_repo.commit("no adr")
    for _ in range(2):
        code, out, err = _cli(capsys, "sync", str(git_repo.path), *url)
        assert code == 0 and _lines(out + err) == [], out + err


def test_a_feature_first_synced_with_the_id_of_a_contract(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("contracts/login.yaml", "id: FEAT-1\ntitle: Login\n")
    git_repo.commit("contract")
    url = ["--database-url", database_url]
    assert main(["sync", str(git_repo.path), *url]) == 0
    git_repo.write("features/login.feature", feature(1, "Login"))
    code, out, err = _cli(capsys, "sync", str(git_repo.path), *url)
    assert code == 0 and _lines(out + err) == [
        "features/login.feature:2:1: warning: feature FEAT-1 has the id of contract FEAT-1 in contracts/login.yaml; "
        "give one of them another id (until then, name them contract:FEAT-1 and feature:FEAT-1 on the command line)"
    ], out + err


def test_show_history_trace_reach_both_records(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _colliding(git_repo)
    git_repo.commit("collide")
    url = ["--database-url", database_url, "--project", "repo"]  # not the test run's own repository's project
    assert main(["sync", str(git_repo.path), *url]) == 0
    capsys.readouterr()
    for verb in ("show", "history", "trace"):
        code, out, err = _cli(capsys, verb, "ADR-0003", *url)
        assert code != 0 and err.strip().splitlines() == [
            f"tracertm: error: ADR-0003 is ambiguous: adr:ADR-0003 ({ADR_PATH}), contract:ADR-0003 "
            "(contracts/collide.yaml); use one of those ids"
        ], err
    for ident, kind, title in (("adr:ADR-0003", "adr", "Use Postgres"),
                               ("contract:ADR-0003", "contract", "contract that reuses an ADR id")):
        code, out, err = _cli(capsys, "show", ident, "--format", "json", *url)
        assert code == 0 and json.loads(out)["title"] == title, err
        code, out, err = _cli(capsys, "history", ident, "--format", "json", *url)
        assert code == 0 and [r["kind"] for r in json.loads(out)] == [kind], err
        code, out, err = _cli(capsys, "trace", ident, "--format", "json", *url)
        root = json.loads(out)["nodes"][0]
        assert code == 0 and (root["kind"], root["ref"]) == (kind, "ADR-0003"), out + err
    # Ids that name one record are read as before; a qualified id that names nothing says where to look.
    code, out, err = _cli(capsys, "show", "CTR-0001", "--format", "json", *url)
    assert code == 0 and json.loads(out)["title"] == "Payments"
    code, out, err = _cli(capsys, "show", "adr:CTR-0001", *url)
    assert code != 0 and err.strip().splitlines() == [
        "tracertm: error: adr:CTR-0001: no adr CTR-0001 in project repo; see 'tracertm list adrs --project repo'"], err


def test_api_reads_each_kind_and_traces_a_qualified_id(git_repo: GitRepo, engine: Any, database_url: str) -> None:
    _colliding(git_repo)
    git_repo.commit("collide")
    assert main(["sync", str(git_repo.path), "--database-url", database_url]) == 0
    with api_client(engine) as client:
        for plural, title in (("adrs", "Use Postgres"), ("contracts", "contract that reuses an ADR id")):
            response = client.get(f"/api/v1/{plural}/ADR-0003")  # one kind per path: never ambiguous
            assert response.status_code == 200 and response.json()["title"] == title, response.text
        response = client.get("/api/v1/projects/repo/trace/ADR-0003")
        assert response.status_code == 400 and "adr:ADR-0003" in response.text, response.text
        for kind in ("adr", "contract"):
            response = client.get(f"/api/v1/projects/repo/trace/{kind}:ADR-0003")
            assert response.status_code == 200 and response.json()["nodes"][0]["kind"] == kind, response.text


def test_an_id_is_looked_up_as_typed_before_an_adr_number(
    git_repo: GitRepo, database_url: str, engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """A contract's ``id: ADR-3`` is that id: ``ADR-3`` names it, not also the contract ``ADR-0003`` (both were
    named, and no id reached the first). ``ADR-3`` for ``ADR-0003`` is an ADR's short form, an ADR's only."""
    git_repo.write("contracts/c.yaml", "id: ADR-0003\ntitle: one\n")
    git_repo.write("contracts/d.yaml", "id: ADR-3\ntitle: two\n")
    git_repo.commit("contracts")
    url = ["--database-url", database_url, "--project", "repo"]
    assert main(["sync", str(git_repo.path), *url]) == 0
    capsys.readouterr()
    for ident, title in (("contract:ADR-3", "two"), ("ADR-3", "two"), ("contract:ADR-0003", "one"),
                         ("ADR-0003", "one")):
        code, out, err = _cli(capsys, "show", ident, "--format", "json", *url)
        assert code == 0 and json.loads(out)["title"] == title, (ident, err)
    code, out, err = _cli(capsys, "history", "contract:ADR-3", "--format", "json", *url)
    assert code == 0 and [r["source_path"] for r in json.loads(out)] == ["contracts/d.yaml"] and not err, out + err
    code, out, err = _cli(capsys, "trace", "contract:ADR-3", "--format", "json", *url)
    assert code == 0 and [n["title"] for n in json.loads(out)["nodes"]] == ["two"], out + err
    code, out, err = _cli(capsys, "show", "contract:adr-3", *url)  # (a contract's id is not read as an ADR's)
    assert code != 0 and "no contract adr-3 in project repo" in err, err
    # An ADR's short form still names it, before a contract of that spelling.
    git_repo.write(ADR_PATH, adr(3, "Use Postgres"))
    git_repo.commit("adr")
    assert main(["sync", str(git_repo.path), *url]) == 0
    capsys.readouterr()
    for ident, title in (("adr-3", "Use Postgres"), ("adr:ADR-3", "Use Postgres"), ("ADR-3", "two")):
        code, out, err = _cli(capsys, "show", ident, "--format", "json", *url)
        assert code == 0 and json.loads(out)["title"] == title, (ident, err)
    with api_client(engine) as client:
        for path, title in (("contracts/ADR-3", "two"), ("contracts/ADR-0003", "one"),
                            ("adrs/ADR-3", "Use Postgres")):
            response = client.get(f"/api/v1/{path}")
            assert response.status_code == 200 and response.json()["title"] == title, response.text
        response = client.get("/api/v1/projects/repo/trace/contract:ADR-3")
        assert response.status_code == 200 and response.json()["nodes"][0]["ref"] == "ADR-3", response.text
