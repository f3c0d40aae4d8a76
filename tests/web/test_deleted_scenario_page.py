"""A deleted record's page says it is deleted, and since when, the same way on each kind's page (ADR, contract,
feature, scenario: ``macros.deleted``). Step definitions and test cases have no page.

It used to show a deleted scenario as a live one (its status, "never executed"), the deletion only at the bottom of
its history: search with *Include deleted records* and the old links of a matrix lead there.

Through a real ``tracertm serve`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from pathlib import Path

import shutil

import httpx
from webfixtures import main_of

from conftest import SAMPLE_REPO, GitRepo
from served import serve

DELETED = r' · <strong>deleted</strong> <time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>'
FEATURE = """@FEAT-5
Feature: Refunds

  @SC-1
  Scenario: partial refund
    Given a paid order

  @SC-2
  Scenario: full refund
    Given a paid order
"""


def test_a_deleted_scenarios_page_says_it_is_deleted(git_repo: GitRepo, database_url: str, tmp_path: Path) -> None:
    import tracertm

    git_repo.write("features/refunds.feature", FEATURE)
    git_repo.commit("seed")
    assert not tracertm.sync(git_repo.path, database_url=database_url, project="shop", ref="HEAD").errors
    git_repo.write("features/refunds.feature", FEATURE.split("  @SC-2")[0])
    git_repo.commit("drop the full refund")
    assert not tracertm.sync(git_repo.path, database_url=database_url, project="shop", ref="HEAD").errors
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base:
        gone = httpx.get(f"{base}/projects/shop/features/FEAT-5/scenarios/SC-2", timeout=30)
        live = httpx.get(f"{base}/projects/shop/features/FEAT-5/scenarios/SC-1", timeout=30)
        feature = httpx.get(f"{base}/projects/shop/features/FEAT-5", timeout=30)
    assert gone.status_code == live.status_code == feature.status_code == 200, gone.text[:300]
    meta = re.search(r'<p class="meta">(.*?)</p>', main_of(gone.text), re.DOTALL)
    assert meta, gone.text
    assert re.search(DELETED, meta.group(1)), meta.group(1)
    for page in (live, feature):  # a live scenario, on its page and on its feature's, is not marked
        assert "<strong>deleted</strong>" not in main_of(page.text)


def test_every_deleted_records_page_says_since_when(git_repo: GitRepo, database_url: str, tmp_path: Path) -> None:
    # The feature's and the contract's pages said "deleted" with no time; the ADR's said the time as bare text.
    import tracertm

    shutil.copytree(SAMPLE_REPO, git_repo.path, dirs_exist_ok=True)
    git_repo.commit("sample")
    assert not tracertm.sync(git_repo.path, database_url=database_url, project="shop", ref="HEAD").errors
    for path in ("features/notifications/receipts.feature", "contracts/ledger.yaml",
                 "docs/adr/0008-poll-settlement-files-over-sftp.md"):
        git_repo.remove(path)
    git_repo.commit("drop receipts, the ledger contract and ADR-0008")
    assert not tracertm.sync(git_repo.path, database_url=database_url, project="shop", ref="HEAD").errors
    urls = [f"/projects/shop/{page}" for page in ("features/FEAT-5", "features/FEAT-5/scenarios/SC-12",
                                                  "contracts/CTR-0002", "adrs/ADR-0008")]
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base:
        answers = {url: httpx.get(base + url, timeout=30) for url in urls}
        live = httpx.get(f"{base}/projects/shop/adrs/ADR-0006", timeout=30)
    for url, page in answers.items():
        assert page.status_code == 200, (url, page.text[:300])
        meta = re.search(r'<p class="meta">(.*?)</p>', main_of(page.text), re.DOTALL)
        assert meta and re.search(DELETED, meta.group(0)), (url, meta and meta.group(0))
    assert live.status_code == 200 and "<strong>deleted</strong>" not in main_of(live.text)
