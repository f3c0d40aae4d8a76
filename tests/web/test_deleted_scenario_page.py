"""A deleted scenario's page says it is deleted, and since when, as an ADR's, a contract's and a feature's pages do.

It used to show a deleted scenario as a live one (its status, "never executed"), the deletion only at the bottom of
its history: search with *Include deleted records* and the old links of a matrix lead there.

Through a real ``tracertm serve`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from webfixtures import main_of

from conftest import GitRepo
from served import serve

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
    assert re.search(r' · <strong>deleted</strong> <time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>',
                     meta.group(1)), meta.group(1)
    for page in (live, feature):  # a live scenario, on its page and on its feature's, is not marked
        assert "<strong>deleted</strong>" not in main_of(page.text)
