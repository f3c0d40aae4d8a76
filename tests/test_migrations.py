"""Migrations: an empty database upgraded to head matches the models exactly, on SQLite and PostgreSQL; the
scripts run from the repository root (`alembic upgrade head`) and from an installed wheel (`tracertm db upgrade`)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from tracertm import db
from tracertm.models import Base
from tracertm.models.code_point_indexes import is_code_point_index
from tracertm.search.documents import is_search_object

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def _tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {t for t in inspect(conn).get_table_names() if not is_search_object(t, "table")}


def _diff(engine) -> list[object]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        opts = {
            "compare_type": True,
            "compare_server_default": True,
            # The search index is not declared by the models (see tracertm/search/documents.py), nor are
            # PostgreSQL's code point order indexes (tracertm/models/code_point_indexes.py; test_code_point_indexes).
            "include_name": lambda name, type_, _parents: not (is_search_object(name, type_)
                                                               or is_code_point_index(name, type_)),
        }
        context = MigrationContext.configure(conn, opts=opts)
        return list(compare_metadata(context, Base.metadata))


def test_schema_head_is_the_alembic_head() -> None:
    script = ScriptDirectory(str(db.migrations_dir()))
    heads = script.get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"
    assert db.SCHEMA_HEAD == heads[0]


def test_migrated_schema_matches_the_models(empty_database_url: str) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        assert db.current_revision(engine) is None
        assert _tables(engine) == set()
        db.upgrade(engine)
        assert db.current_revision(engine) == db.SCHEMA_HEAD
        assert _tables(engine) == set(Base.metadata.tables) | {"alembic_version"}
        diff = _diff(engine)
        assert diff == [], "models and migrations differ (write a migration):\n" + "\n".join(map(repr, diff))
    finally:
        engine.dispose()


def test_downgrade_to_base_then_upgrade_again(empty_database_url: str) -> None:
    engine = db.make_engine(empty_database_url)
    try:
        db.upgrade(engine)
        db.downgrade(engine, "base")
        assert _tables(engine) <= {"alembic_version"}
        assert db.current_revision(engine) is None
        db.upgrade(engine)
        assert db.current_revision(engine) == db.SCHEMA_HEAD
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_alembic_upgrade_head_from_the_repository_root(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", db.ENV_URL)}
    result = subprocess.run(
        [str(VENV_BIN / "alembic"), "-x", f"url={url}", "upgrade", "head"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    engine = db.make_engine(url)
    try:
        assert db.current_revision(engine) == db.SCHEMA_HEAD
        assert _diff(engine) == []
    finally:
        engine.dispose()
    # Nothing was written to the default database in the (fake) home.
    assert not db.default_database_path().exists()


@pytest.mark.slow
def test_installed_wheel_migrates_from_anywhere(tmp_path: Path) -> None:
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", db.ENV_URL, "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    wheels = tmp_path / "wheels"

    def run(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
        return result

    # hatchling is installed in the development environment: no network, no build isolation.
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        str(wheels),
        str(REPO_ROOT),
    )
    (wheel,) = wheels.glob("tracertm-*.whl")

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel))
    site_packages = Path(
        run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    )
    # The dependencies come from the development environment, *after* the wheel's own copy of tracertm (a .pth
    # line is appended to sys.path; the editable install's own .pth there is not processed).
    (site_packages / "zz_dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    package = site_packages / "tracertm"
    assert (package / "migrations" / "env.py").is_file()
    assert (package / "migrations" / "versions" / "0001_initial_schema.py").is_file()
    assert (package / "migrations" / "head_sqlite.sql").is_file()  # an empty SQLite file's schema (db.head_schema)
    where = run(str(python), "-c", "import tracertm; print(tracertm.__file__)").stdout.strip()
    assert Path(where).resolve().is_relative_to(venv.resolve()), where

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    url = f"sqlite:///{tmp_path / 'w.db'}"
    run(str(python), "-m", "tracertm", "db", "upgrade", "--database-url", url, cwd=elsewhere)
    current = run(str(python), "-m", "tracertm", "db", "current", "--database-url", url, cwd=elsewhere).stdout
    assert f"revision: {db.SCHEMA_HEAD} (head)" in current
    assert time.monotonic() - started < 90
