"""A link of a record that a backfill or a sync reads back from the database (its file unchanged) keeps the line its
reference is written on: an everyday incremental backfill (one new commit that changed only a contract) moved the
links of every untouched scenario from its ``@ADR-n`` tag (its own, or its feature's on line 1) to its keyword's
line, while a backfill from scratch puts them at the tag. The links table after each way of syncing the new commit
(a resumed backfill, a sync of the work tree, ``sync --ref``, ``sync --full``) equals the one a backfill from scratch
writes into a fresh database: scenario tags, an ADR mentioned in a feature's description, a contract's and an
ADR's references to ADRs. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import adr, contract, feature
from tracertm import db
from tracertm.engine.links import LINKS
from tracertm.engine.sync import sync
from tracertm.history.backfill import backfill
from tracertm.models import Base

# Written by the database's clock or its sequence, not by what the files say.
_VOLATILE = {"id", "project_id", "created_at", "updated_at", "reviewed_at"}
_NUMBERED = {"adrs": "adr_number", "features": "feature_number", "contracts": "contract_number"}

# contracts/pay.yaml: what the contract follows, below its first lines.
_CONTRACT_ADRS = "metadata:\n  follows: ADR-0001\n"


def _history(repo: GitRepo) -> None:
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.write("docs/adr/0002-use-queues.md", adr(2, "Use queues", decision="It follows ADR-0001 closely."))
    # The feature's tag on line 1 (its scenarios inherit it), an ADR named in its description on line 3.
    repo.write("features/pay.feature", feature(1, "Pay").replace("@FEAT-1", "@FEAT-1 @ADR-0001")
               .replace("  As a user\n", "  As a user of ADR-0002\n"))
    # A scenario's own tag on line 7, its keyword on line 8.
    repo.write("features/old.feature", feature(2, "Old").replace("@SC-1", "@SC-1 @ADR-0002", 1))
    repo.write("contracts/pay.yaml", contract(1, "Payments") + _CONTRACT_ADRS)
    repo.commit("first", date="2024-01-01T10:00:00+00:00")
    repo.write("features/pay.feature", repo.read("features/pay.feature").replace("When I act\n", "When I pay\n"))
    repo.commit("second", date="2024-01-02T10:00:00+00:00")


def _contract_only(repo: GitRepo) -> None:
    repo.write("contracts/pay.yaml", contract(1, "Payments", ("a", "b", "c")) + _CONTRACT_ADRS)
    repo.commit("contract", date="2024-01-03T10:00:00+00:00")


def _links(engine: Any) -> list[dict[str, Any]]:
    """Every link, without its surrogate key and timestamps, record ids named by the records' numbers."""
    tables = Base.metadata.tables
    labels: dict[uuid.UUID, str] = {}
    with engine.connect() as conn:
        for name, column in _NUMBERED.items():
            for row_id, number in conn.execute(select(tables[name].c.id, tables[name].c[column])):
                labels[row_id] = f"{name}:{number}"
        s, f = tables["scenarios"].c, tables["features"].c
        for row_id, scenario, feature_number in conn.execute(
                select(s.id, s.scenario_number, f.feature_number).where(s.feature_id == f.id)):
            labels[row_id] = f"scenarios:{feature_number}/{scenario}"
        rows = conn.execute(select(LINKS)).mappings().all()
    out = [{k: labels.get(v, v) if k in ("source_id", "target_id") else v for k, v in r.items() if k not in _VOLATILE}
           for r in rows]
    return sorted(out, key=repr)


def _lines(links: list[dict[str, Any]]) -> set[tuple[str, str, int]]:
    return {(r["source_ref"], r["target_ref"], r["source_line"]) for r in links if r["target_kind"] == "adr"}


# Where a parse of HEAD puts the links to ADRs: at each reference.
EXPECTED = {
    ("ADR-0002", "ADR-0001", 15),  # its Decision
    ("FEAT-1", "ADR-0001", 1), ("FEAT-1", "ADR-0002", 3),  # the feature's tag, its description
    ("FEAT-1/SC-1", "ADR-0001", 1), ("FEAT-1/SC-2", "ADR-0001", 1),  # the feature's tag, inherited
    ("FEAT-2/SC-1", "ADR-0002", 7),  # the scenario's own tag
    ("CTR-0001", "ADR-0001", 9),  # the contract's metadata
}
# After the contract's new state (one transition more above its metadata): its link follows, the others stay.
AFTER = EXPECTED - {("CTR-0001", "ADR-0001", 9)} | {("CTR-0001", "ADR-0001", 10)}


def _run(repo: GitRepo, engine: Any, how: str) -> None:
    if how == "backfill":
        backfill(repo.path, engine=engine, project="p")
    elif how == "worktree":
        assert not sync(repo.path, engine=engine, project="p").errors
    elif how == "ref":
        assert not sync(repo.path, ref=repo.head(), engine=engine, project="p").errors
    else:
        assert not sync(repo.path, engine=engine, project="p", full=True).errors


@pytest.mark.parametrize("how", ["backfill", "worktree", "ref", "full"])
def test_links_of_unchanged_records_keep_their_lines(
        git_repo: GitRepo, database_url: str, other_database_url: str, how: str) -> None:  # noqa: F811 - fixture
    _history(git_repo)
    kept, scratch = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        _run(git_repo, kept, how)
        assert _lines(_links(kept)) == EXPECTED
        _contract_only(git_repo)
        if how == "backfill":
            assert backfill(git_repo.path, engine=kept, project="p").mode == "resumed"
        else:
            _run(git_repo, kept, how)
        assert backfill(git_repo.path, engine=scratch, project="p").mode == "full"
        assert _lines(_links(scratch)) == AFTER
        assert _links(kept) == _links(scratch)
    finally:
        kept.dispose()
        scratch.dispose()


def test_a_backfill_stopped_before_its_links_resumes_with_their_lines(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:
    """A run stopped between two batches has written no link yet (its last batch derives them): the run that resumes
    it parsed only the commits after the checkpoint, so the links of the records it did not read again were placed at
    the records' own lines (an ADR's title, a scenario's keyword) instead of at their references."""
    _history(git_repo)
    _contract_only(git_repo)
    stopped, straight = db.make_engine(database_url), db.make_engine(other_database_url)

    def stop(progress: Any) -> None:
        if progress.done >= 2:  # the first commit written, the second planned: stopped before its batch
            raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            backfill(git_repo.path, engine=stopped, project="p", batch_size=1, on_progress=stop)
        assert _links(stopped) == []
        assert backfill(git_repo.path, engine=stopped, project="p", resume=True).mode == "resumed"
        backfill(git_repo.path, engine=straight, project="p")
        assert _lines(_links(straight)) == AFTER
        assert _links(stopped) == _links(straight)
    finally:
        stopped.dispose()
        straight.dispose()


def test_a_file_broken_at_the_checkpoint_keeps_the_lines_of_its_last_good_parse(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:
    """The records of a file that does not parse at the checkpoint are those of its last good parse, and so are their
    links' lines in a run that never stopped: the resumed run reads them from that version of the file."""
    _history(git_repo)
    git_repo.write("features/old.feature", git_repo.read("features/old.feature") + "  not gherkin at all\n")
    git_repo.commit("break the feature", date="2024-01-03T10:00:00+00:00")
    _contract_only(git_repo)
    stopped, straight = db.make_engine(database_url), db.make_engine(other_database_url)

    def stop(progress: Any) -> None:
        if progress.done >= 4:  # three commits written, the break included; stopped before the fourth's batch
            raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            backfill(git_repo.path, engine=stopped, project="p", batch_size=1, on_progress=stop)
        assert backfill(git_repo.path, engine=stopped, project="p", resume=True).mode == "resumed"
        backfill(git_repo.path, engine=straight, project="p")
        assert ("FEAT-2/SC-1", "ADR-0002", 7) in _lines(_links(straight))  # the scenario's tag, not its keyword
        assert _links(stopped) == _links(straight)
    finally:
        stopped.dispose()
        straight.dispose()


def test_links_an_older_release_left_underived_get_their_lines(
        git_repo: GitRepo, database_url: str, other_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A history an older tracertm left complete without its links (its last batch derived none) gets them on the
    next run, at the lines of their references, as a backfill that derived them writes them."""
    from tracertm.history.backfill import _Backfill

    _history(git_repo)
    _contract_only(git_repo)
    older, whole = db.make_engine(database_url), db.make_engine(other_database_url)
    try:
        with monkeypatch.context() as patched:
            patched.setattr(_Backfill, "derive_links", lambda self, *args: None)
            backfill(git_repo.path, engine=older, project="p")
        assert _links(older) == []
        assert backfill(git_repo.path, engine=older, project="p").mode == "up-to-date"
        backfill(git_repo.path, engine=whole, project="p")
        assert _lines(_links(whole)) == AFTER
        assert _links(older) == _links(whole)
    finally:
        older.dispose()
        whole.dispose()


def _numbered(url: str) -> list[tuple[int, str, str, str]]:
    """Every link by its number: (number, source, type, target)."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            t = LINKS.c
            return [(r.id, r.source_ref, r.link_type, r.target_ref) for r in conn.execute(
                select(t.id, t.source_ref, t.link_type, t.target_ref).order_by(t.id))]
    finally:
        engine.dispose()


def test_a_backfill_numbers_links_the_same_every_run(
        git_repo: GitRepo, database_url: str, other_database_url: str) -> None:
    """Link numbers (``status``'s ``#N``, ``review N``) come in a sync's order, whatever order the database reads
    the records back in: a backfill's batches wrote the rows in an order that followed the process's hash seed, and
    PostgreSQL reads them back in that order, so two runs of one backfill numbered the links differently."""
    _history(git_repo)
    for n in range(3, 9):
        git_repo.write(f"features/f{n}.feature", feature(n, f"F{n}").replace("@SC-", "@ADR-0001 @SC-"))
    git_repo.commit("more features", date="2024-01-03T10:00:00+00:00")
    git_repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will really do it."))
    git_repo.commit("an ADR changed", date="2024-01-04T10:00:00+00:00")
    for url, seed in ((database_url, "1"), (other_database_url, "2")):
        done = subprocess.run([sys.executable, "-m", "tracertm", "backfill", "-q", "--project", "p", "--database-url",
                               url], cwd=git_repo.path, capture_output=True, text=True, timeout=120, check=False,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr
    numbered = _numbered(database_url)
    assert numbered == _numbered(other_database_url)
    # Sync's order: the ADRs', the contract's, then each feature's and its scenarios', by path.
    assert [r[1] for r in numbered] == [
        "ADR-0002", "CTR-0001", "FEAT-3/SC-1", "FEAT-3/SC-2", "FEAT-4/SC-1", "FEAT-4/SC-2", "FEAT-5/SC-1",
        "FEAT-5/SC-2", "FEAT-6/SC-1", "FEAT-6/SC-2", "FEAT-7/SC-1", "FEAT-7/SC-2", "FEAT-8/SC-1", "FEAT-8/SC-2",
        "FEAT-2/SC-1", "FEAT-1", "FEAT-1", "FEAT-1/SC-1", "FEAT-1/SC-2"]
