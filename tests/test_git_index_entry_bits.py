"""Index entries git's own work-tree listings say nothing about: intent-to-add entries (``git add -N``), the
skip-worktree bit (sparse checkout) and assume-unchanged entries. A work-tree sync and ``check`` see such files as
the work tree (or, for a file sparse checkout keeps off disk, the index) holds them: never deleted, never read from
a missing file, never stored under a blob id that is not theirs."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from conftest import GitRepo, run_cli
from specs import adr, contract, feature
from tracertm.checker import check
from tracertm.config import load_settings
from tracertm.engine.sync import sync


def _contracts(engine: Any) -> dict[str, tuple[str, int, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT contract_number, title, version, deleted_at FROM contracts")).all()
    return {number: (title, version, deleted is not None) for number, title, version, deleted in rows}


def _blob(engine: Any, path: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT blob_sha FROM source_files WHERE path = :p"), {"p": path}).scalar_one())


def test_an_intent_to_add_file_is_a_work_tree_file_never_a_deleted_one(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("contracts/ledger.yaml", contract(2, "Ledger"))
    git_repo.commit()
    git_repo.write("contracts/new.yaml", contract(99, "New"))
    assert sync(git_repo.path, engine=engine).counts["contract"]["created"] == 2
    git_repo.git("add", "-N", "contracts/new.yaml")
    result = sync(git_repo.path, engine=engine)
    assert result.counts["contract"]["deleted"] == 0
    assert _contracts(engine)["CTR-0099"] == ("New", 1, False)
    git_repo.write("contracts/new.yaml", contract(99, "Renamed"))  # an edit of the intent-to-add file is seen
    assert sync(git_repo.path, engine=engine).counts["contract"]["updated"] == 1
    assert _blob(engine, "contracts/new.yaml") == git_repo.git("hash-object", "contracts/new.yaml")
    git_repo.write("contracts/broken.yaml", "id: [\n")
    git_repo.git("add", "-N", "contracts/broken.yaml")
    assert [e.path for e in check(git_repo.path).errors] == ["contracts/broken.yaml"]
    assert check(git_repo.path, staged=True).errors == []  # the commit will not hold it


def test_a_file_sparse_checkout_keeps_off_disk_is_read_from_the_index(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("docs/adr/0001-first.md", adr(1, "First"))
    git_repo.write("contracts/ledger.yaml", contract(2, "Ledger"))
    git_repo.commit()
    git_repo.git("sparse-checkout", "set", "--no-cone", "/*", "!/docs/adr/")
    assert not (git_repo.path / "docs" / "adr").exists()
    first = sync(git_repo.path, engine=engine)  # a first sync stores the hidden ADR from the index
    assert first.counts["adr"]["created"] == 1 and not first.errors
    again = sync(git_repo.path, engine=engine, full=True)
    assert again.counts["adr"]["unchanged"] == 1 and again.counts["adr"]["updated"] == 0
    assert check(git_repo.path).errors == [] and check(git_repo.path).files_checked == 2
    assert sync(git_repo.path, engine=engine, ref="HEAD").counts["adr"]["unchanged"] == 1


def test_a_configuration_sparse_checkout_keeps_off_disk_is_read_from_the_index(
    git_repo: GitRepo, database_url: str, engine: Any
) -> None:
    # Its globs and its database, not the defaults: every sync, check and read verb as the committed file says.
    git_repo.write("features/a/one.feature", feature(1, "One"))
    git_repo.write("features/b/two.feature", feature(2, "Two"))
    git_repo.write(".tracertm.toml", f'feature_paths = ["features/a/*.feature"]\ndatabase_url = "{database_url}"\n')
    git_repo.commit()
    git_repo.git("sparse-checkout", "set", "--no-cone", "/features/")
    assert not (git_repo.path / ".tracertm.toml").exists()
    path = str(git_repo.path)
    assert check(git_repo.path).files_checked == 1
    assert run_cli("sync", path).returncode == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT feature_number FROM features")).scalars().all() == ["FEAT-1"]
    again = run_cli("sync", path, "--format", "json")  # the no-op fast path reads it too
    assert again.returncode == 0 and json.loads(again.stdout)["counts"]["feature"]["unchanged"] == 1
    assert "FEAT-1" in run_cli("list", "features", "--path", path).stdout


def test_pyproject_and_adr_dir_sparse_checkout_keeps_off_disk_are_read_from_the_index(git_repo: GitRepo) -> None:
    git_repo.write("pyproject.toml", '[tool.tracertm]\nfeature_paths = ["specs/*.feature"]\n')
    git_repo.write(".adr-dir", "decisions\n")
    git_repo.write("specs/one.feature", feature(1, "One"))
    git_repo.commit()
    git_repo.git("sparse-checkout", "set", "--no-cone", "/specs/")
    settings = load_settings(git_repo.path)
    assert settings.paths["feature"] == ("specs/*.feature",) and "decisions/**/*.md" in settings.paths["adr"]


def test_a_skip_worktree_or_assume_unchanged_file_on_disk_is_hashed(git_repo: GitRepo, engine: Any) -> None:
    git_repo.write("contracts/ledger.yaml", contract(2, "Ledger"))
    git_repo.write("contracts/orders.yaml", contract(3, "Orders"))
    git_repo.commit()
    sync(git_repo.path, engine=engine)
    git_repo.git("update-index", "--skip-worktree", "contracts/ledger.yaml")
    git_repo.git("update-index", "--assume-unchanged", "contracts/orders.yaml")
    git_repo.write("contracts/ledger.yaml", contract(2, "Local ledger"))
    git_repo.write("contracts/orders.yaml", contract(3, "Local orders"))
    assert sync(git_repo.path, engine=engine).counts["contract"]["updated"] == 2
    for path in ("contracts/ledger.yaml", "contracts/orders.yaml"):  # their own ids, not HEAD's
        assert _blob(engine, path) == git_repo.git("hash-object", path)
    assert sync(git_repo.path, engine=engine, ref="HEAD").counts["contract"]["updated"] == 2
    assert sync(git_repo.path, engine=engine).counts["contract"]["updated"] == 2  # the work tree differs again
    assert {n: t for n, (t, _, _) in _contracts(engine).items()} == {"CTR-0002": "Local ledger",
                                                                      "CTR-0003": "Local orders"}
    git_repo.remove("contracts/orders.yaml")  # git still assumes it unchanged: the work tree has it deleted
    assert sync(git_repo.path, engine=engine).counts["contract"]["deleted"] == 1
