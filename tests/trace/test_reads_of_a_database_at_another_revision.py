"""The reads that only use a database when one is there (``check --strict``'s suspect links, ``diff --method
history``) and a database at another schema revision than this tracertm's: older (tracertm upgraded, the shared
database not migrated yet) or newer (another CI runner's newer tracertm migrated it). Its records are there but not
readable: ``check --strict`` said nothing and passed, as if no link were suspect, and ``diff`` told to run
``tracertm db upgrade``, which refuses a newer database. Now each says which side to upgrade, in one line. Real git
repository, SQLite file and PostgreSQL database."""

from __future__ import annotations

import pytest

from conftest import GitRepo
from raw_sql import sql
from test_trace_cli import change_adr3, run
from test_trace_links import seed
from tracertm import db


def _stamp(url: str, revision: str) -> None:
    sql(url, "UPDATE alembic_version SET version_num = :r", r=revision)


@pytest.fixture
def suspect(git_repo: GitRepo, database_url: str, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> tuple[GitRepo, str]:
    """A synced repository with a suspect link (ADR-0003 changed after FEAT-1/SC-1 was linked to it), its database
    configured through the environment as CI configures it."""
    seed(git_repo)
    assert run(capsys, "sync", str(git_repo.path), "--database-url", database_url)[0] == 0
    change_adr3(git_repo, database_url, capsys)
    git_repo.commit("ADR-0003 changed")
    monkeypatch.setenv("TRACERTM_DATABASE_URL", database_url)
    code, out, _ = run(capsys, "check", str(git_repo.path), "--strict")
    assert code == 1 and "suspect link: FEAT-1/SC-1 implements ADR-0003" in out, out
    return git_repo, database_url


NEWER = "upgrade tracertm (pip install -U tracertm) to use it"


@pytest.mark.parametrize(("revision", "says"), [
    ("9999", f"is at schema revision 9999, newer than this tracertm knows (up to {db.SCHEMA_HEAD}); {NEWER}"),
    ("0000", "is at schema revision 0000, unknown (this tracertm ships 0001 … "
             f"{db.SCHEMA_HEAD}, with gaps; a newer tracertm's revisions come after {db.SCHEMA_HEAD}): not a "
             "tracertm schema revision; restore the database from a backup, or stamp the revision its tables are at "
             "('alembic -x url=URL stamp REVISION' from a tracertm source checkout)"),
    ("0032", f"is at schema revision 0032, older than this tracertm's ({db.SCHEMA_HEAD}); run 'tracertm db "
             "upgrade' to migrate it (a read never does)"),
])
def test_check_strict_says_the_suspect_links_were_not_checked(
        suspect: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str], revision: str, says: str) -> None:
    repo, url = suspect
    _stamp(url, revision)
    code, out, err = run(capsys, "check", str(repo.path), "--strict")
    assert code == 1, out  # a warning under --strict: not "no suspect link"
    (line,) = [x for x in out.splitlines() if "suspect" in x]
    assert line.startswith("<database>: suspect links not checked: database ") and line.endswith(says), line
    assert "Traceback" not in err
    assert run(capsys, "check", str(repo.path))[0] == 0  # plain check opens no database


def test_diff_history_tells_which_side_to_upgrade(suspect: tuple[GitRepo, str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    repo, url = suspect
    _stamp(url, "9999")
    code, out, err = run(capsys, "diff", "HEAD~1", "--method", "history", "--path", str(repo.path))
    assert code == 2 and not out
    assert err.count("\n") == 1 and err.rstrip().endswith(NEWER), err
    assert "db upgrade" not in err  # which refuses a newer database
    code, out, err = run(capsys, "diff", "HEAD~1", "--path", str(repo.path))  # auto: the parse method needs none
    assert code == 0 and "from parse" in out and "ADR-0003" in out, (out, err)
