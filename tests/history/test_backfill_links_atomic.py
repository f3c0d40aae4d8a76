"""A backfill's last batch and the project's links commit together: its run turns ``ok`` and its checkpoint says
``complete`` in the transaction that derives the links. A backfill killed (SIGKILL, or SIGTERM: stopped as by
Ctrl-C) while it derives them leaves the database at its previous checkpoint, not a complete history whose run is
``ok`` with no links until the next run; running it again ends where an uninterrupted backfill ends.

Real processes, killed by the backfill itself at a chosen point of the link derivation (``links.rebuild``, before
or after it ran, before the commit): the signal lands there on any machine, however fast or loaded, with no sleep
to tune (as tests/test_backfill_sigterm_line.py stops one from its progress callback)."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import select

from conftest import GitRepo
from specs import adr, dump
from tracertm import db
from tracertm.history.backfill import backfill
from tracertm.models import Base

# The CLI, with the link derivation sending the process the signal argv[1] names, before (argv[2] "before") or
# after ("after") it rebuilt the links, inside the backfill's transaction.
_SCRIPT = """
import os, signal, sys
import tracertm.engine.links as links
from tracertm.cli import main
sig, when = getattr(signal, sys.argv[1]), sys.argv[2]
real = links.rebuild
def rebuild(*args, **kwargs):
    if when == "before":
        os.kill(os.getpid(), sig)
        sum(range(1000))  # bytecode after the kill: a SIGTERM's handler runs here
    out = real(*args, **kwargs)
    if when == "after":
        os.kill(os.getpid(), sig)
        sum(range(1000))
    return out
links.rebuild = rebuild
sys.exit(main(sys.argv[3:]))
"""


def _history(repo: GitRepo) -> list[str]:
    """Five commits, each touching the specs, with links (a supersession, a feature implementing ADRs): batches of
    two commits are [1, 2], [3, 4] and [5], the last one written with the links."""
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git"))
    repo.commit("one")
    repo.write("docs/adr/0002-use-hg.md", adr(2, "Use hg", extra="\nSupersedes [ADR-0001](0001-use-git.md)\n"))
    repo.commit("two")
    repo.write("features/f.feature", "@FEAT-1 @ADR-0001 @ADR-0002\nFeature: F\n\n  @SC-1\n  Scenario: s\n"
                                     "    Given x\n")
    repo.commit("three")
    repo.write("docs/adr/0001-use-git.md", adr(1, "Use git", decision="We will use git everywhere."))
    repo.commit("four")
    repo.write("docs/adr/0003-use-svn.md", adr(3, "Use svn", extra="\nSupersedes [ADR-0002](0002-use-hg.md)\n"))
    repo.commit("five")
    return repo.git("rev-list", "--first-parent", "--reverse", "main").split()


def _state(engine: Any) -> dict[str, list[dict[str, Any]]]:
    """Rows, revisions and the file index, without ids and timestamps."""
    out = dump(engine)
    for row in out["spec_revisions"]:
        del row["entity_id"]
    out["spec_revisions"].sort(key=repr)
    return out


def _links(engine: Any) -> list[tuple[Any, ...]]:
    t = Base.metadata.tables["links"].c
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(
            t.source_ref, t.link_type, t.target_kind, t.target_ref, t.target_id.is_(None), t.target_version,
            t.reviewed_version)))


def _runs(engine: Any) -> list[tuple[str, str]]:
    """(commit, status) of the project's runs, in commit order of the history."""
    t = Base.metadata.tables["sync_runs"].c
    with engine.connect() as conn:
        return sorted((str(r[0]), str(r[1])) for r in conn.execute(select(t.commit_sha, t.status)))


def _checkpoint(engine: Any) -> dict[str, Any] | None:
    t = Base.metadata.tables["projects"].c
    with engine.connect() as conn:
        meta = conn.execute(select(t.project_metadata).where(t.name == "p")).scalar_one_or_none()
    if meta is None:
        return None
    return {k: v for k, v in meta["backfill"].items() if k not in ("updated_at", "runs")}


# SIGTERM's handler runs where the signal lands: before and after the rebuild. A SIGKILL runs nothing more, and what
# was committed by "before" is committed by "after" (later): the SIGKILL before the rebuild proved a subset of this.
@pytest.mark.parametrize(("sig", "when"), [("SIGKILL", "after"), ("SIGTERM", "before"), ("SIGTERM", "after")])
def test_a_backfill_killed_while_it_derives_the_links_leaves_its_last_checkpoint(
        git_repo: GitRepo, database_url: str, other_database_url: str, sig: str, when: str) -> None:
    chain = _history(git_repo)
    whole, killed = db.make_engine(other_database_url), db.make_engine(database_url)
    try:
        backfill(git_repo.path, engine=whole, project="p", batch_size=2, jobs=1)
        assert len(_links(whole)) >= 4, "the history has links to derive"
        assert _checkpoint(whole) is not None and _checkpoint(whole)["links"] is True  # type: ignore[index]

        proc = subprocess.run(
            [sys.executable, "-c", _SCRIPT, sig, when, "backfill", str(git_repo.path), "--project", "p",
             "--batch-size", "2", "--jobs", "1", "-q", "--database-url", database_url],
            capture_output=True, text=True, timeout=300, check=False,
        )
        if sig == "SIGKILL":
            assert proc.returncode == -signal.SIGKILL, proc.stderr
        else:
            assert proc.returncode == 143, proc.stderr
            assert proc.stderr == "tracertm: backfill terminated; run it again to continue from its last checkpoint\n"

        # The state before the last batch's transaction: its run is not there, the checkpoint is the batch before.
        assert _runs(killed) == sorted([(chain[1], "ok"), (chain[3], "ok")]), "the last batch's run outlived the kill"
        checkpoint = _checkpoint(killed)
        assert checkpoint is not None
        assert (checkpoint["last_commit"], checkpoint["complete"], checkpoint["links"]) == (chain[3], False, False)
        assert _links(killed) == []

        again = backfill(git_repo.path, engine=killed, project="p", batch_size=2, jobs=1)
        assert again.mode == "resumed"
        assert _links(killed) == _links(whole)
        assert _state(killed) == _state(whole)
        assert _checkpoint(killed) == _checkpoint(whole)
        assert [status for _, status in _runs(killed)] == ["ok"] * 3
    finally:
        whole.dispose()
        killed.dispose()


def test_a_backfill_ending_on_a_full_batch_derives_the_links_once(
        git_repo: GitRepo, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch that ends at the head is followed by an empty final batch (the checkpoint written again): the links
    derived with the first are kept by the second, not derived twice, and the checkpoint still says so."""
    from tracertm.engine import links

    _history(git_repo)
    calls: list[int] = []
    real = links.rebuild

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(links, "rebuild", counted)
    engine = db.make_engine(database_url)
    try:
        result = backfill(git_repo.path, engine=engine, project="p", batch_size=1, jobs=1)
        assert result.batches == 6 and len(calls) == 1
        checkpoint = _checkpoint(engine)
        assert checkpoint is not None and (checkpoint["complete"], checkpoint["links"]) == (True, True)
        assert len(_links(engine)) >= 4
    finally:
        engine.dispose()
