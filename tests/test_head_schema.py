"""An empty SQLite database gets the schema from ``head_sqlite.sql`` (``tracertm.db.head_schema``): the script must
be exactly what Alembic's migrations make, and a database made from it must be the migrated one, object by object
and row by row."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command

from tracertm import db
from tracertm.db import head_schema
from tracertm.db.engines import _connect

REGENERATE = "run 'python -m tracertm.db.head_schema' to write it again"


def _migrated(path: Path) -> None:
    """Alembic's own migrations, from base to head, as ``db.upgrade`` ran them before the script existed."""
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with _connect(engine) as conn, db.foreign_keys_off(conn), conn.begin():
            command.upgrade(db.alembic_config(conn), "head")
    finally:
        engine.dispose()


def _everything(path: Path) -> tuple[object, ...]:
    """The schema's objects (``head_schema.objects``), how many indexes SQLite made itself for each table (their
    names follow the order of the constraints), the tables the search tables made, every table's rows, and the
    pragmas a schema could set."""
    raw = sqlite3.connect(path)
    try:
        made = head_schema.objects(raw)
        automatic = sorted(raw.execute("SELECT tbl_name, count(*) FROM sqlite_master WHERE name LIKE 'sqlite_autoindex%'"
                                       " GROUP BY tbl_name"))
        shadow = sorted(raw.execute("SELECT m.name, m.sql FROM sqlite_master AS m JOIN pragma_table_list AS t "
                                    "ON t.name = m.name WHERE t.type = 'shadow'"))
        rows = {name: sorted(raw.execute(f'SELECT * FROM "{name}"'), key=repr)
                for (name,) in raw.execute("SELECT name FROM pragma_table_list WHERE type IN ('table', 'shadow')")
                if not name.startswith("sqlite_")}
        pragmas = tuple(raw.execute(f"PRAGMA {p}").fetchone()
                        for p in ("user_version", "application_id", "page_size", "journal_mode", "auto_vacuum"))
        return made, automatic, shadow, rows, pragmas
    finally:
        raw.close()


def test_the_script_is_what_the_migrations_make(tmp_path: Path) -> None:
    _migrated(tmp_path / "migrated.db")
    raw = sqlite3.connect(tmp_path / "migrated.db")
    try:
        made = head_schema.dump(raw)
    finally:
        raw.close()
    assert head_schema.head_file().read_text(encoding="utf-8") == made, f"head_sqlite.sql is out of date: {REGENERATE}"
    revision, _ = head_schema.statements(made)
    assert revision == db.SCHEMA_HEAD


def test_a_database_made_from_the_script_is_the_migrated_one(tmp_path: Path) -> None:
    _migrated(tmp_path / "migrated.db")
    engine = db.make_engine(f"sqlite:///{tmp_path / 'replayed.db'}")
    try:
        db.ensure_schema(engine)
    finally:
        engine.dispose()
    assert _everything(tmp_path / "replayed.db") == _everything(tmp_path / "migrated.db")


def test_a_first_use_of_an_empty_file_imports_no_alembic(tmp_path: Path) -> None:
    """The point of the script: the schema of a new file without Alembic's migrations (nor Alembic)."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    code = (
        "import sys\n"
        "from tracertm import db\n"
        f"engine = db.make_engine({url!r})\n"
        "db.ensure_schema(engine)\n"
        "print(db.current_revision(engine), 'alembic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == [db.SCHEMA_HEAD, "False"]


def test_a_file_that_holds_anything_else_is_migrated(tmp_path: Path) -> None:
    """A table of someone else's: not an empty database, so Alembic's migrations make the schema beside it."""
    path = tmp_path / "shared.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE notes (body TEXT)")
    raw.execute("INSERT INTO notes VALUES ('kept')")
    raw.commit()
    raw.close()
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        db.ensure_schema(engine)
        assert db.current_revision(engine) == db.SCHEMA_HEAD
    finally:
        engine.dispose()
    _migrated(tmp_path / "migrated.db")
    made, automatic, shadow, rows, _ = _everything(path)  # its pages are sqlite3's 4 KiB
    assert ("table", "notes", "CREATE TABLE notes (\n\tbody TEXT\n)") in made and rows.pop("notes") == [("kept",)]
    made.remove(("table", "notes", "CREATE TABLE notes (\n\tbody TEXT\n)"))
    assert (made, automatic, shadow, rows) == _everything(tmp_path / "migrated.db")[:4]


def test_a_script_at_another_revision_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A migration added without writing the script again: the migrations run (and the first test fails)."""
    stale = tmp_path / "head_sqlite.sql"
    stale.write_text(head_schema.head_file().read_text(encoding="utf-8").replace(
        f"-- revision: {db.SCHEMA_HEAD}", "-- revision: 0001"), encoding="utf-8")
    monkeypatch.setattr(head_schema, "head_file", lambda: stale)
    engine = db.make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        with _connect(engine) as conn, conn.begin():
            assert head_schema.create(conn) is False
            assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar() == 0
        db.ensure_schema(engine)
        assert db.current_revision(engine) == db.SCHEMA_HEAD
    finally:
        engine.dispose()
