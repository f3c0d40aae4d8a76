"""A new file that does not parse while a removed file of its kind keeps its records (``engine.plan``: ``held``, a
rename broken in the same change?) has no row — it is read again at every sync until it parses — yet it is in
error: ``status`` (text and JSON), the API's ``/projects/{project}/status`` and the web view (the project page, the dashboard's count) list it with its error,
as the sync reported it, and the held records, the re-read and the rename once it parses work as before."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx

from conftest import GitRepo, run_cli
from served import serve

BROKEN = "@FEAT-1\nFeature: A\n  Scenario: s\n    Given x\n  Oops\n"
FIXED = "@FEAT-1\nFeature: A\n  Scenario: s\n    Given x\n"


def _held(git_repo: GitRepo, url: str) -> None:
    """``features/a.feature`` synced, then removed in the commit that adds a broken ``features/d.feature``."""
    git_repo.write("features/a.feature", FIXED)
    git_repo.commit("a")
    assert run_cli("sync", str(git_repo.path), "--database-url", url).returncode == 0
    git_repo.remove("features/a.feature")
    git_repo.write("features/d.feature", BROKEN)
    git_repo.commit("a renamed d, broken")


def _status(git_repo: GitRepo, url: str) -> dict:  # type: ignore[type-arg]
    answer = run_cli("status", str(git_repo.path), "--database-url", url, "--format", "json")
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout)  # type: ignore[no-any-return]


def test_status_lists_the_new_broken_file_while_it_holds_records(git_repo: GitRepo, database_url: str) -> None:
    _held(git_repo, database_url)
    for _ in range(2):  # the first sync that holds the records, and the next one, which reads the file again
        synced = run_cli("sync", str(git_repo.path), "--database-url", database_url)
        assert synced.returncode == 1, synced.stderr
        assert "features/d.feature:5:3: expected:" in synced.stderr, synced.stderr
        assert "features/a.feature:0:0: warning: file is gone, but its records are kept" in synced.stderr
        status = _status(git_repo, database_url)
        assert [(f["path"], f["line"], f["column"]) for f in status["files_in_error"]] == [
            ("features/d.feature", 5, 3)], status["files_in_error"]
        assert status["files_in_error"][0]["message"].startswith("expected:")
        assert status["files_in_error"][0]["diagnostics"][0]["severity"] == "error"
        assert status["counts"]["feature"] == {"live": 1, "deleted": 0}  # held, not deleted
        text = run_cli("status", str(git_repo.path), "--database-url", database_url)
        assert "files in error:\n  features/d.feature:5:3: expected:" in text.stdout, text.stdout

    # Once it parses, the rename is recognised as before and nothing is in error any more.
    git_repo.write("features/d.feature", FIXED)
    git_repo.commit("fixed")
    synced = run_cli("sync", str(git_repo.path), "--database-url", database_url)
    assert synced.returncode == 0, synced.stderr
    row = next(line.split() for line in synced.stdout.splitlines() if line.startswith("features "))
    assert row == ["features", "0", "0", "0", "0", "1", "0", "0"], synced.stdout  # moved, not deleted and created
    status = _status(git_repo, database_url)
    assert status["files_in_error"] == [] and status["counts"]["feature"] == {"live": 1, "deleted": 0}


def test_the_web_view_and_the_api_list_it_too(git_repo: GitRepo, database_url: str, tmp_path: Path) -> None:
    _held(git_repo, database_url)
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 1
    status = _status(git_repo, database_url)
    name = status["project"]
    with serve(database_url, git_repo.path, tmp_path / "serve.log") as base, \
            httpx.Client(base_url=base, timeout=30) as http:
        page = http.get(f"/projects/{name}")
        assert page.status_code == 200, page.text
        assert "<code>features/d.feature:5:3</code> expected:" in page.text, page.text
        dashboard = http.get("/")
        assert dashboard.status_code == 200, dashboard.text
        assert "<dt>files in error</dt><dd>1</dd>" in dashboard.text, dashboard.text
        # The API's status is the CLI's JSON but the configuration's warnings and the links (``/coverage``).
        answer = http.get(f"/api/v1/projects/{name}/status")
        assert answer.status_code == 200, answer.text
        cli = {k: v for k, v in status.items() if k not in ("warnings", "links")}
        assert answer.json() == cli  # times too: both end in Z (timetext.json_time)
        assert [f["path"] for f in answer.json()["files_in_error"]] == ["features/d.feature"]


def test_status_lists_a_file_whose_name_is_not_utf8(git_repo: GitRepo, database_url: str) -> None:
    """No row can hold its path either: reported by every sync until renamed, and now listed by ``status``."""
    git_repo.write("contracts/ok.yaml", "id: CTR-1\ntitle: Ok\n")
    git_repo.commit("ok")
    with open(os.fsencode(git_repo.path) + b"/contracts/b\xff.yaml", "w", encoding="utf-8") as out:
        out.write("id: CTR-2\ntitle: Named in Latin-1\n")
    assert run_cli("sync", str(git_repo.path), "--database-url", database_url).returncode == 1
    status = _status(git_repo, database_url)
    assert [f["path"] for f in status["files_in_error"]] == ["contracts/b\\xff.yaml"], status["files_in_error"]
    assert "not valid UTF-8; rename it" in status["files_in_error"][0]["message"]
