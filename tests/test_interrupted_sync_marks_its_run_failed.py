"""A sync cut short by Ctrl-C in the middle of a statement leaves its run ``failed``, not ``running`` (README: only a
SIGKILL or a power cut leaves a run ``running``). The interrupted statement's frames kept SQLite's connection open
after the rollback closed it, holding the write lock: marking the run failed waited 2 s for that lock, gave up,
and the run stayed ``running`` until the next writer. Run in a process of its own, as the CLI runs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from conftest import GitRepo
from specs import adr

# The CLI, with Ctrl-C landing inside SQLAlchemy's execution of the write phase's first insert of an ADR (as the
# signal's handler raises it, between two of its bytecodes, the cursor one of its frame's locals).
_SCRIPT = """
import sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
from tracertm.cli import main

@event.listens_for(Engine, "after_cursor_execute")
def interrupted(conn, cursor, statement, parameters, context, executemany):
    if statement.startswith("INSERT INTO adrs"):
        raise KeyboardInterrupt

sys.exit(main(sys.argv[1:]))
"""


def test_a_sync_interrupted_mid_statement_marks_its_run_failed(git_repo: GitRepo) -> None:
    for n in range(1, 4):
        git_repo.write(f"docs/adr/{n:04d}-decision-{n}.md", adr(n, f"Decision {n}"))
    git_repo.commit("init")
    database = git_repo.path.parent / "interrupted.db"
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, "sync", str(git_repo.path), "--database-url",
                           f"sqlite:///{database}"], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr == "tracertm: interrupted\n"
    with sqlite3.connect(database) as conn:
        assert [r[0] for r in conn.execute("SELECT status FROM sync_runs")] == ["failed"]
        assert conn.execute("SELECT count(*) FROM adrs").fetchone() == (0,)
