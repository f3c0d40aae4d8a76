"""The database layer: URL resolution, engine settings, first-use migration, and the per-project write lock."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine

from tracertm import db
from tracertm.errors import ConfigError
from tracertm.models import Project

# -------------------------------------------------------------------------------------------------- URL resolution


def test_url_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    home = Path(os.environ["HOME"])  # faked by conftest
    default = f"sqlite:///{home / '.local' / 'share' / 'tracertm' / 'tracertm.db'}"
    assert db.resolve_database_url() == (default, "the default database")
    assert db.resolve_database_url(None, "sqlite:///conf.db") == (
        "sqlite:///conf.db",
        "database_url in the tracertm configuration",
    )
    monkeypatch.setenv("TRACERTM_DATABASE_URL", "sqlite:///env.db")
    assert db.resolve_database_url(None, "sqlite:///conf.db") == ("sqlite:///env.db", "TRACERTM_DATABASE_URL")
    assert db.resolve_database_url("sqlite:///opt.db", "sqlite:///conf.db") == ("sqlite:///opt.db", "--database-url")
    monkeypatch.setenv("TRACERTM_DATABASE_URL", "")  # empty means unset
    assert db.resolve_database_url(None, None) == (default, "the default database")


def test_default_database_follows_xdg_data_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert db.default_database_path() == tmp_path / "xdg" / "tracertm" / "tracertm.db"
    assert db.resolve_database_url()[0] == f"sqlite:///{tmp_path / 'xdg' / 'tracertm' / 'tracertm.db'}"


def test_default_database_is_created_with_its_folder() -> None:
    path = db.default_database_path()
    assert not path.parent.exists()
    engine = db.open_engine()
    try:
        assert path.is_file()
        assert db.current_revision(engine) == db.SCHEMA_HEAD
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:pw@db.example/tracertm",
        "postgres://u:pw@db.example/tracertm",
        "postgresql+psycopg2://u:pw@db.example/tracertm",
        "postgresql+psycopg://u:pw@db.example/tracertm",
    ],
)
def test_postgresql_urls_use_psycopg_3(url: str) -> None:
    parsed = db.parse_url(url)
    assert parsed.drivername == "postgresql+psycopg"
    assert (parsed.host, parsed.database, parsed.password) == ("db.example", "tracertm", "pw")
    engine = db.make_engine(url)  # no connection is made
    try:
        assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user:s3cret@host/db",
        "not a url",
        "postgresql+asyncpg://user:s3cret@host/db",
        "oracle://user:s3cret@host:badport/db",
        "sqlite+nosuchdriver:///x.db",
    ],
)
def test_bad_urls_are_configuration_errors_without_the_password(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        db.make_engine(url, "--database-url")
    message = str(caught.value)
    assert message.startswith("--database-url: ")
    assert "s3cret" not in message and "\n" not in message


# ------------------------------------------------------------------------------------------------------- engines


def test_a_written_sqlite_url_needs_its_folder_the_default_makes_its_own(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder named in a URL someone wrote must exist (a typo makes no database somewhere); the default file's
    folder is created on first use."""
    with pytest.raises(db.DatabaseError, match=r"its folder .*/typo does not exist; create it or check --database-url"):
        db.make_engine(f"sqlite:///{tmp_path / 'typo' / 'p.db'}")
    assert not (tmp_path / "typo").exists()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv(db.ENV_URL, raising=False)
    url, source = db.resolve_database_url()
    assert source == db.DEFAULT_SOURCE
    db.make_engine(url, source).dispose()
    assert (tmp_path / "data" / "tracertm").is_dir()


def test_sqlite_engine_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        for _ in range(2):  # every pooled connection, not just the first
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
        assert (tmp_path / "p.db").is_file()
    finally:
        engine.dispose()


def test_a_new_sqlite_database_gets_larger_pages_and_an_existing_one_keeps_its_own(tmp_path: Path) -> None:
    assert db.SQLITE_PAGE_SIZE == 32768
    import sqlite3

    old = tmp_path / "old.db"
    made = sqlite3.connect(old)  # a database made before: SQLite's default page size, some content
    made.execute("CREATE TABLE t (x)")
    made.execute("INSERT INTO t VALUES (1)")
    made.commit()
    default_size = made.execute("PRAGMA page_size").fetchone()[0]
    made.close()
    assert default_size != db.SQLITE_PAGE_SIZE
    for path, size in ((tmp_path / "new.db", db.SQLITE_PAGE_SIZE), (old, default_size)):
        engine = db.make_engine(f"sqlite:///{path}")
        try:
            db.ensure_schema(engine)
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA page_size")).scalar() == size
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        finally:
            engine.dispose()
    check = sqlite3.connect(old)
    assert check.execute("SELECT x FROM t").fetchall() == [(1,)]
    check.close()


def test_ensure_schema_migrates_an_empty_database_once(
    empty_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = db.make_engine(empty_database_url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        assert db.current_revision(engine) is None
        with caplog.at_level(logging.INFO, logger="alembic"):
            db.ensure_schema(engine)
        assert db.current_revision(engine) == db.SCHEMA_HEAD
        assert any(s.lstrip().upper().startswith("CREATE TABLE") for s in statements)
        # Control: Alembic ran and logged; an empty SQLite file gets its result instead (tests/test_head_schema.py).
        assert any(r.name.startswith("alembic") for r in caplog.records) == (engine.dialect.name == "postgresql")

        statements.clear()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="alembic"):
            db.ensure_schema(engine)  # already current: reads the revision, changes nothing, no Alembic run
        assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []
        writes = [
            s
            for s in statements
            if s.lstrip().split(None, 1)[0].upper() in ("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE")
        ]
        assert statements and writes == []
        assert db.current_revision(engine) == db.SCHEMA_HEAD
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------------ write sessions


def test_write_session_serialises_read_modify_write(engine: Engine) -> None:
    with db.session(engine) as sess, sess.begin():
        sess.add(Project(name="p", description="0"))
    rounds, errors = 20, []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait(timeout=10)
            for _ in range(rounds):
                with db.write_session(engine, "p") as sess:
                    project = sess.scalars(select(Project).where(Project.name == "p")).one()
                    value = int(project.description or "0")
                    time.sleep(0.0005)  # widen the window a lost update would need
                    project.description = str(value + 1)
        except Exception as exc:  # noqa: BLE001  (reported by the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    with db.session(engine) as sess:
        assert sess.scalars(select(Project.description)).one() == str(2 * rounds)


def test_write_session_rolls_back_on_exception(engine: Engine) -> None:
    with db.write_session(engine, "p") as sess:
        sess.add(Project(name="p", description="committed"))

    with pytest.raises(RuntimeError, match="boom"), db.write_session(engine, "p") as sess:
        project = sess.scalars(select(Project)).one()
        project.description = "changed"
        sess.add(Project(name="q"))
        sess.flush()  # the changes reached the database inside the transaction...
        raise RuntimeError("boom")

    with db.session(engine) as sess:  # ...and were rolled back
        assert [(p.name, p.description) for p in sess.scalars(select(Project))] == [("p", "committed")]
    with db.write_session(engine, "p") as sess:  # the lock was released
        assert sess.scalars(select(Project.name)).all() == ["p"]


def test_an_interruption_that_closed_the_connection_mid_migration_stays_the_error(tmp_path: Path) -> None:
    """Ctrl-C while a first sync migrates can close SQLite's connection: setting the foreign keys back on then
    fails, and must not replace the interruption (the CLI answers 130 for it, not an internal error)."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as conn:
            with pytest.raises(KeyboardInterrupt):
                with db.foreign_keys_off(conn):
                    conn.connection.dbapi_connection.close()  # type: ignore[union-attr]
                    raise KeyboardInterrupt
        with engine.connect() as conn:  # the pool's next connection works, with the usual pragmas
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
