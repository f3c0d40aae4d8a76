"""An id a file gave up while it parsed (its record deleted, the file still there with another id) is free for
another file, also once the first file breaks. Only a file that came back broken after its records were deleted
with it blocks their ids (it may define them again once it parses: ``test_backfill_promise``); a broken file that
still holds live records was last seen defining those, not the ids it dropped. Found by ``test_watch_converges``:
the daemon's database held the new file in a conflict that a fresh sync of the same tree does not have."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import contract
from tracertm import db
from tracertm.engine.sync import sync
from tracertm.models import Contract, SourceFile


def _state(engine: object) -> tuple[dict[str, tuple[str | None, bool]], dict[str, bool]]:
    """contract number → (source path, deleted); live file path → whether it has an error."""
    with db.session(engine) as s:  # type: ignore[arg-type]
        rows = s.execute(select(Contract).execution_options(include_deleted=True)).scalars()
        contracts = {r.contract_number: (r.source_path, r.deleted_at is not None) for r in rows}
        files = s.execute(select(SourceFile).where(SourceFile.deleted_at.is_(None))).scalars()
        return contracts, {
            f.path: any(d.get("severity", "error") == "error" for d in f.parse_error or ()) for f in files
        }


@pytest.mark.parametrize("how", ["broken", "dangling link"])
@pytest.mark.parametrize("scope", ["every file", "changed paths"])
def test_a_new_file_takes_an_id_the_broken_file_had_given_up(
    git_repo: GitRepo, database_url: str, how: str, scope: str
) -> None:
    target = "contracts/shared/g.yaml.in" if how == "dangling link" else "contracts/g.yaml"
    git_repo.write(target, contract(9, "Nine"))
    if how == "dangling link":
        os.symlink("shared/g.yaml.in", git_repo.path / "contracts" / "g.yaml")
    engine = db.make_engine(database_url)
    try:
        sync(git_repo.path, engine=engine)
        git_repo.write(target, contract(3, "Three"))  # the file gives CTR-0009 up: deleted
        sync(git_repo.path, engine=engine)
        if how == "dangling link":
            git_repo.remove(target)
        else:
            git_repo.write(target, "id: CTR-0003\ntitle: [unclosed\n")
        sync(git_repo.path, engine=engine)
        assert _state(engine)[0] == {"CTR-0009": ("contracts/g.yaml", True), "CTR-0003": ("contracts/g.yaml", False)}

        git_repo.write("contracts/d.yaml", contract(9, "Nine again"))
        paths = ["contracts/d.yaml"] if scope == "changed paths" else None
        result = sync(git_repo.path, engine=engine, paths=paths)
        assert not [d for d in result.errors if d.path == "contracts/d.yaml"], result.errors
        assert [(op.action, op.number, op.path) for op in result.operations if op.action != "refresh"] == [
            ("restored", "CTR-0009", "contracts/d.yaml")
        ]
        contracts, files = _state(engine)
        assert contracts == {"CTR-0009": ("contracts/d.yaml", False), "CTR-0003": ("contracts/g.yaml", False)}
        assert files == {"contracts/g.yaml": True, "contracts/d.yaml": False}
        assert not sync(git_repo.path, engine=engine, dry_run=True).changed
    finally:
        engine.dispose()


def test_a_backfill_gives_the_id_to_the_new_file_too(git_repo: GitRepo, database_url: str) -> None:
    """The same history, one commit per step, replayed by a backfill: as a sync of each commit."""
    from tracertm.history.backfill import backfill

    git_repo.write("contracts/g.yaml", contract(9, "Nine"))
    git_repo.commit("g.yaml defines CTR-0009")
    git_repo.write("contracts/g.yaml", contract(3, "Three"))
    git_repo.commit("g.yaml gives CTR-0009 up")
    git_repo.write("contracts/g.yaml", "id: CTR-0003\ntitle: [unclosed\n")
    git_repo.commit("g.yaml broken")
    git_repo.write("contracts/d.yaml", contract(9, "Nine again"))
    git_repo.commit("d.yaml takes CTR-0009")
    engine = db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=engine, project="p")
        contracts, files = _state(engine)
        assert contracts == {"CTR-0009": ("contracts/d.yaml", False), "CTR-0003": ("contracts/g.yaml", False)}
        assert files == {"contracts/g.yaml": True, "contracts/d.yaml": False}
    finally:
        engine.dispose()
