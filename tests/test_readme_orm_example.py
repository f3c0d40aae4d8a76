"""README's "Database-side edits go through the ORM" example, run as the README writes it, on both databases.

It did what it says (version + 1, one ``annotated`` revision naming the actor and the fields) but wrote
``db.session(db.open_engine(url))``: an engine nobody disposes, whose pool kept its connection — a SQLite file
descriptor, a PostgreSQL backend — until the garbage collector found the engine. A program editing in a loop (or
the same lines in a request handler) held one more connection per edit; 50 edits held 50 PostgreSQL backends with
the collector paused. The example now opens the engine once and disposes it."""

from __future__ import annotations

import gc
import re
from pathlib import Path
from typing import Any

import tracertm
from conftest import GitRepo
from connections import open_connections
from specs import adr
from tracertm import db
from tracertm.models import ADR
from tracertm.repositories import Records

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _example() -> str:
    """The Python block that follows "Database-side edits go through the ORM"."""
    start = README.index("Database-side edits go through the ORM")
    found = re.compile(r"```python\n(.*?)```", re.S).search(README, start)
    assert found is not None
    return found.group(1)


def test_the_example_edits_as_it_says_and_leaves_no_connection_open(git_repo: GitRepo, database_url: str) -> None:
    git_repo.write("docs/adr/0003-ledger.md", adr(3, "Ledger"))
    git_repo.commit("ADR")
    tracertm.sync(git_repo.path, database_url=database_url, project="p")
    code = _example()
    before = open_connections(database_url)
    gc.disable()  # what the collector would close some time later is what the example left open
    try:
        for _ in range(50):
            exec(code, {"url": database_url})  # noqa: S102 - the README's own text
        left = open_connections(database_url) - before
    finally:
        gc.enable()
        gc.collect()
    assert left == 0, f"the README's example left {left} connection(s) open after 50 runs"

    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            row: Any = session.query(ADR).filter_by(adr_number="ADR-0003").one()
            history = Records(session, "adrs").history(row)
            # The first run made version 2; the other 49 set the same values: no change, no version.
            assert (row.version, row.compliance_score, row.approved_by) == (2, 0.9, "alice")
            assert [(r.version, r.change, r.actor, sorted(r.changed_fields or [])) for r in history] == [
                (1, "created", None, []), (2, "annotated", "api:alice", ["approved_by", "compliance_score"]),
            ]
    finally:
        engine.dispose()


def test_each_flush_that_changes_a_record_is_one_version_and_one_revision(git_repo: GitRepo,
                                                                          database_url: str) -> None:
    git_repo.write("docs/adr/0003-ledger.md", adr(3, "Ledger"))
    git_repo.commit("ADR")
    tracertm.sync(git_repo.path, database_url=database_url, project="p")
    engine = db.open_engine(database_url)
    try:
        with db.session(engine) as session:
            session.info["actor"] = "api:alice"
            row: Any = session.query(ADR).filter_by(adr_number="ADR-0003").one()
            row.compliance_score = 0.1
            session.flush()
            row.compliance_score = 0.2
            session.flush()
            session.commit()
            session.commit()  # nothing changed: no version
            history = Records(session, "adrs").history(row)
            assert row.version == 3
            assert [(r.version, r.change, r.changed_fields) for r in history] == [
                (1, "created", None), (2, "annotated", ["compliance_score"]), (3, "annotated", ["compliance_score"]),
            ]
    finally:
        engine.dispose()
