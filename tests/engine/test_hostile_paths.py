"""Spec files whose names are not valid UTF-8 (git and Linux allow any bytes but ``/`` and NUL): one error line for
that file, in every source and in ``check``; the file is never stored and every other file still syncs."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import create_engine, text

from conftest import GitRepo
from specs import contract
from tracertm import db
from tracertm.checker import check
from tracertm.cli import main
from tracertm.engine.sync import sync

BAD = os.fsdecode(b"contracts/bad\xffname.yaml")  # as git and os.listdir hand it over (surrogateescape)
SHOWN = "contracts/bad\\xffname.yaml"  # as every error names it
MESSAGE = "the file name is not valid UTF-8; rename it"


def _seed(repo: GitRepo) -> None:
    repo.write("contracts/good.yaml", contract(1, "Good"))
    (repo.path / BAD).write_text(contract(2, "Bad"), encoding="utf-8")
    repo.commit("seed")


def _column(url: str, sql: str) -> list[str]:
    engine = create_engine(db.parse_url(url))
    try:
        with engine.connect() as conn:
            return sorted(r[0] for r in conn.execute(text(sql)))
    finally:
        engine.dispose()


def _paths(url: str) -> list[str]:
    return _column(url, "SELECT path FROM source_files")


def _contracts(url: str) -> list[str]:
    return _column(url, "SELECT contract_number FROM contracts")


def _only_the_name_error(errors: list) -> None:  # type: ignore[type-arg]
    assert [(e.path, e.line) for e in errors] == [(SHOWN, 0)], errors
    assert MESSAGE in errors[0].message


@pytest.mark.parametrize("source", [{}, {"staged": True}, {"ref": "HEAD"}])
def test_a_file_name_that_is_not_utf8_is_one_error_and_the_rest_syncs(
    git_repo: GitRepo, database_url: str, source: dict[str, object]
) -> None:
    _seed(git_repo)
    result = sync(git_repo.path, database_url=database_url, **source)  # type: ignore[arg-type]
    _only_the_name_error(result.errors)
    assert result.counts["contract"]["created"] == 1
    assert result.counts["contract"]["errors"] == 1
    assert _paths(database_url) == ["contracts/good.yaml"], "the file with the bad name is never stored"
    assert _contracts(database_url) == ["CTR-0001"]
    # Every later sync says it again, and changes nothing.
    again = sync(git_repo.path, database_url=database_url, **source)  # type: ignore[arg-type]
    _only_the_name_error(again.errors)
    assert not again.changed
    json.dumps(again.as_dict())  # printable as JSON (no lone surrogate)


def test_an_untracked_file_with_such_a_name_and_a_dry_run(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("contracts/good.yaml", contract(1, "Good"))
    git_repo.commit("seed")
    (git_repo.path / BAD).write_text(contract(2, "Bad"), encoding="utf-8")  # not added
    _only_the_name_error(sync(git_repo.path, database_url=database_url, dry_run=True).errors)
    _only_the_name_error(sync(git_repo.path, database_url=database_url).errors)
    assert _paths(database_url) == ["contracts/good.yaml"]


def test_a_plain_folder_with_such_a_name(tmp_path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "specs"
    (folder / "contracts").mkdir(parents=True)
    (folder / "contracts/good.yaml").write_text(contract(1, "Good"), encoding="utf-8")
    (folder / BAD).write_text(contract(2, "Bad"), encoding="utf-8")
    result = sync(folder, database_url=database_url)
    _only_the_name_error(result.errors)
    assert _contracts(database_url) == ["CTR-0001"]


def test_the_cli_prints_one_line_and_exits_1(
    git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(git_repo)
    code = main(["sync", str(git_repo.path), "--database-url", database_url])
    _out, err = capsys.readouterr()
    assert code == 1
    assert err.strip().splitlines() == [f"{SHOWN}:0:0: {MESSAGE} (git mv) to a UTF-8 name"]
    code = main(["sync", str(git_repo.path), "--database-url", database_url, "--format", "json"])
    out, _err = capsys.readouterr()
    assert code == 1
    assert json.loads(out)["errors"][0]["path"] == SHOWN


@pytest.mark.parametrize("mode", [{}, {"ref": "HEAD"}, {"staged": True, "all_files": True}])
def test_check_reports_it(git_repo: GitRepo, mode: dict[str, object]) -> None:
    _seed(git_repo)
    result = check(git_repo.path, **mode)  # type: ignore[arg-type]
    _only_the_name_error(result.errors)
    assert not result.ok


def test_check_staged_in_hook_mode_reports_the_changed_file(git_repo: GitRepo) -> None:
    git_repo.write("contracts/good.yaml", contract(1, "Good"))
    git_repo.commit("seed")
    (git_repo.path / BAD).write_text(contract(2, "Bad"), encoding="utf-8")
    git_repo.git("add", "-A")
    result = check(git_repo.path, staged=True)
    _only_the_name_error(result.errors)
    # And through the command line: one line, exit 1 (not an internal error).
    assert main(["check", str(git_repo.path), "--staged"]) == 1


def test_backfill_replays_a_history_with_such_a_file(git_repo: GitRepo, database_url: str) -> None:
    from tracertm.history.backfill import backfill

    _seed(git_repo)
    git_repo.write("contracts/good.yaml", contract(1, "Good, edited"))
    git_repo.commit("edit")
    backfill(git_repo.path, database_url=database_url)
    assert _paths(database_url) == ["contracts/good.yaml"]
    assert _contracts(database_url) == ["CTR-0001"]
    _only_the_name_error(sync(git_repo.path, database_url=database_url).errors)
