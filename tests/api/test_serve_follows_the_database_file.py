"""``tracertm serve`` when its SQLite file is moved aside and a backup restored at its path (README, Reliability):
the pooled connections held the old file, so writes answered 200 into a file no one could see and reads answered
from either file, by connection. The server now follows the path: a connection holding another file is let go, a
path naming no file is 503 (never a new, empty database), and the old file's WAL is not replayed into the restored
one. Real servers over TCP, real files moved and copied; the unit test at the end replaces the file between a
write and its COMMIT."""

from __future__ import annotations

import html
import shutil
import sqlite3
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sample import sync_sample

from apikit import make_token
from conftest import GitRepo
from served import serve

ADR = "/api/v1/adrs/ADR-1"
PARALLEL = 16  # requests at once: the pool holds several connections to the old file
LIMITS = httpx.Limits(max_connections=PARALLEL)


def approved_by(path: Path) -> object:
    """ADR-1's ``approved_by`` in the SQLite file ``path``, read without the server (and without creating it)."""
    with closing(sqlite3.connect(f"file:{path}?mode=rw", uri=True)) as conn:
        row = conn.execute("SELECT approved_by FROM adrs WHERE adr_number = 'ADR-0001'").fetchone()
    return row[0]


def back_up(path: Path, backup: Path) -> None:
    """A copy of the SQLite file ``path`` at ``backup``, with what its WAL holds (SQLite's backup API)."""
    with closing(sqlite3.connect(f"file:{path}?mode=rw", uri=True)) as source, \
            closing(sqlite3.connect(backup)) as target:
        source.backup(target)


def patch(client: httpx.Client, token: str, value: str) -> httpx.Response:
    return client.patch(ADR, json={"approved_by": value},
                        headers={"Authorization": f"Bearer {token}", "If-Match": "*"})


def answers(client: httpx.Client) -> Counter[object]:
    """ADR-1's ``approved_by`` as ``PARALLEL`` concurrent GETs, 4 rounds each, answer it (503 counted as such)."""
    def get(_: int) -> object:
        r = client.get(ADR)
        return r.json()["approved_by"] if r.status_code == 200 else r.status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        return Counter(pool.map(get, range(PARALLEL * 4)))


@pytest.fixture
def served_file(tmp_path: Path, git_repo: GitRepo) -> tuple[Path, Path, str]:
    """The sample synced into ``t.db``, a write token, and a backup of the file taken before any API write."""
    path = tmp_path / "t.db"
    url = f"sqlite:///{path}"
    sync_sample(git_repo, url)
    token = make_token(url)
    backup = tmp_path / "backup.db"
    back_up(path, backup)
    return path, backup, token


def test_a_restored_backup_is_what_the_server_reads_and_writes(
    tmp_path: Path, git_repo: GitRepo, served_file: tuple[Path, Path, str]
) -> None:
    path, backup, token = served_file
    with serve(f"sqlite:///{path}", git_repo.path, tmp_path / "serve.log") as base, \
            httpx.Client(base_url=base, timeout=30, limits=LIMITS) as client:
        assert patch(client, token, "before").status_code == 200
        assert answers(client) == {"before": PARALLEL * 4}  # several pooled connections, all to the first file
        aside = tmp_path / "aside"
        aside.mkdir()
        for old in tmp_path.glob("t.db*"):  # the database and its WAL and shared memory, as README says
            old.rename(aside / old.name)
        shutil.copy(backup, path)
        assert answers(client) == {None: PARALLEL * 4}, "every answer from the restored file"
        assert patch(client, token, "after").status_code == 200
        assert approved_by(path) == "after", "the write is in the file at the path"
        assert answers(client) == {"after": PARALLEL * 4}
    assert approved_by(aside / "t.db") == "before", "nothing more written into the file moved aside"


def test_a_path_naming_no_file_is_503_and_the_old_wal_is_not_replayed_into_the_restored_file(
    tmp_path: Path, git_repo: GitRepo, served_file: tuple[Path, Path, str]
) -> None:
    path, backup, token = served_file
    with serve(f"sqlite:///{path}", git_repo.path, tmp_path / "serve.log", process=True) as base, \
            httpx.Client(base_url=base, timeout=30, limits=LIMITS) as client:
        assert patch(client, token, "in the wal").status_code == 200
        assert answers(client) == {"in the wal": PARALLEL * 4}
        wal = path.with_name("t.db-wal")
        assert wal.stat().st_size > 0, "the write is in the WAL beside the path"
        path.rename(tmp_path / "moved.db")  # the database file alone: its -wal and -shm stay at the path
        assert answers(client) == {503: PARALLEL * 4}
        gone = patch(client, token, "lost")
        assert gone.status_code == 503 and gone.json()["type"].endswith("/unavailable"), gone.text
        assert not path.exists(), "no empty database created where the file was"
        shutil.copy(backup, path)
        assert answers(client) == {None: PARALLEL * 4}, "the restored file as it is: the old WAL was not replayed"
        assert patch(client, token, "restored").status_code == 200
    assert approved_by(path) == "restored"
    log = (tmp_path / "serve.log").read_text()
    assert f"database file {path} is gone" in log, log


def test_a_commit_into_a_file_replaced_during_the_write_is_refused(tmp_path: Path, git_repo: GitRepo) -> None:
    from sqlalchemy import text

    from tracertm import db
    from tracertm.api.database_file import follow_path

    path = tmp_path / "t.db"
    sync_sample(git_repo, f"sqlite:///{path}")
    backup = tmp_path / "backup.db"
    back_up(path, backup)
    engine = db.open_engine(f"sqlite:///{path}")
    follow_path(engine)
    try:
        with engine.connect() as conn:
            conn.execute(text("UPDATE adrs SET approved_by = 'unseen' WHERE adr_number = 'ADR-0001'"))
            shutil.copy(backup, tmp_path / "new.db")
            (tmp_path / "new.db").replace(path)  # another file renamed over the path, the write still open
            with pytest.raises(db.DatabaseError, match="was replaced during a write; nothing was written"):
                conn.commit()
            conn.rollback()
        with engine.connect() as conn:  # the next connection is to the file at the path
            assert conn.execute(text("SELECT approved_by FROM adrs WHERE adr_number = 'ADR-0001'")).scalar() is None
    finally:
        engine.dispose()


def test_a_damaged_file_or_no_database_at_the_path_is_503_with_what_mends_it_until_a_backup_is_restored(
    tmp_path: Path, git_repo: GitRepo, served_file: tuple[Path, Path, str]
) -> None:
    # SQLite's "database disk image is malformed" and "file is not a database" are the driver's DatabaseError, no
    # OperationalError: every read answered 500 internal-error (the web page too), the log a traceback each.
    from damaged_db import damaged_at_open, damaged_copy, undecodable_schema

    path, backup, _token = served_file
    log_path = tmp_path / "serve.log"
    with serve(f"sqlite:///{path}", git_repo.path, log_path) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/api/v1/projects").status_code == 200
        aside = tmp_path / "aside"
        aside.mkdir()
        for old in tmp_path.glob("t.db*"):
            old.rename(aside / old.name)
        for damage, what in ((damaged_at_open, "the server's SQLite file is damaged"),  # met on connecting
                             (damaged_copy, "the server's SQLite file is damaged"),  # met by the query
                             # SQLite's message quotes a damaged name, bytes that are not UTF-8: was a 500
                             (undecodable_schema, "the server's SQLite file is damaged"),
                             (None, "the file at the server's SQLite path is not a SQLite database")):
            made = tmp_path / "made.db"
            if damage is None:
                made.write_text('{"a": 1}\n')
            else:
                damage(backup, made)
            made.replace(path)
            # ``/healthz`` reads the schema revision alone, not the damaged pages of ``projects`` and ``adrs``: it
            # answered 200 "ok" while every read answered 503. It answers what a request met in the file.
            for url in ("/api/v1/projects", "/api/v1/projects/sample/status", "/api/v1/healthz"):
                answer = client.get(url)
                assert answer.status_code == 503, (url, answer.text)
                assert answer.json()["type"].endswith("/unavailable"), answer.text
                assert answer.json()["detail"] == (
                    f"the database is unavailable: {what}; restore it from a backup, or move it aside and run "
                    "'tracertm sync PATH' to build a new one (the server's log names the file)"), answer.text
            page = client.get("/")
            assert page.status_code == 503 and what in html.unescape(page.text), page.text
        made.unlink(missing_ok=True)
        damaged_copy(backup, made)
        made.replace(path)
        assert client.get("/api/v1/healthz").status_code == 200, "no request has met the damage in this file yet"
        assert client.get("/api/v1/projects").status_code == 503
        assert client.get("/api/v1/healthz").status_code == 503, "a request met the damage in this file"
        shutil.copy(backup, made)
        made.replace(path)
        assert client.get("/api/v1/healthz").status_code == 200, "the restored file is no longer said damaged"
        assert client.get("/api/v1/projects").status_code == 200, "the restored file is read"
        assert client.get("/").status_code == 200
    log = log_path.read_text()
    assert "Exception in ASGI application" not in log and "Traceback" not in log, log
    assert f"database unavailable: {path} is damaged (database disk image is malformed); restore it" in log, log
    assert "is not a SQLite (tracertm) database (file is not a database)" in log, log
