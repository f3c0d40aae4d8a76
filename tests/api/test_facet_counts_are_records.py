"""``GET /facets`` counts records, as the lists do for the same filters (SQLite and PostgreSQL): each tag's count is
the ``total`` of the list filtered by that tag, in each of two projects of one database holding the same ids.

A tag a file writes twice (``@slow @slow`` on a feature or scenario, ``tags: [pci, pci]`` in a contract) is kept as
written, and facets counted it once per mention: ``slow: 2`` beside a ``?tag=slow`` list of one record."""

from __future__ import annotations

from typing import Any

from apikit import api_client
from conftest import GitRepo, init_repo
from tracertm.engine.sync import sync

API = "/api/v1"
FEATURE = ("@FEAT-1 @slow @slow @api\nFeature: Pay\n  @SC-1 @smoke @smoke\n  Scenario: once\n    Given x\n"
           "  @SC-2 @smoke\n  Scenario: twice\n    Given y\n")
OTHER = "@FEAT-2 @slow\nFeature: Ship\n  @SC-3\n  Scenario: later\n    Given z\n"
CONTRACT = ("id: CTR-0001\ntitle: Refunds\ntype: service\nstatus: approved\ntags: [pci, pci, money]\n"
            "states: [a, b]\ntransitions:\n  - {from: a, to: b, trigger: go}\n")


def _project(repo: GitRepo, engine: Any, name: str, more: bool) -> None:
    repo.write("features/pay.feature", FEATURE)
    if more:
        repo.write("features/ship.feature", OTHER)
    repo.write("contracts/refunds.yaml", CONTRACT)
    repo.commit("specs")
    assert not sync(repo.path, engine=engine, project=name).errors


def test_each_tag_counts_the_records_its_list_holds(git_repo: GitRepo, engine: Any, tmp_path: Any) -> None:
    _project(git_repo, engine, "shop", more=True)
    _project(init_repo(tmp_path / "other"), engine, "back-office", more=False)  # the same ids, one feature fewer
    expected = {("shop", "features"): {"slow": 2, "api": 1}, ("back-office", "features"): {"slow": 1, "api": 1},
                ("shop", "scenarios"): {"smoke": 2}, ("shop", "contracts"): {"pci": 1, "money": 1}}
    with api_client(engine) as client:
        for (project, kind), wanted in expected.items():
            facets = client.get(f"{API}/facets", params={"kind": kind, "project": project}).json()
            counted = {f["value"]: f["count"] for f in facets["facets"]["tag"]}
            assert {tag: counted.get(tag) for tag in wanted} == wanted, (project, kind, counted)
            for tag, count in counted.items():
                listed = client.get(f"{API}/projects/{project}/{kind}", params={"tag": tag, "count": "true"}).json()
                assert listed["total"] == len(listed["items"]) == count, (project, kind, tag)
            assert sum(f["count"] for f in facets["facets"]["status"]) == facets["total"], (project, kind)
