"""Shared fixtures: real databases (SQLite always, PostgreSQL when TRACERTM_TEST_DATABASE_URL is set), real git
repositories with a pinned identity, and a temporary home folder (the one boundary we fake)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import hypothesis  # noqa: F401 - see below
import pytest

# Imported up front on purpose: CPython 3.11.7 can fail to compile modules late in a session ("AST constructor
# recursion depth mismatch"); the hypothesis plugin would otherwise import hypothesis at session end.

PG_ENV = "TRACERTM_TEST_DATABASE_URL"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The few long tests (``slow``: 5-50 s each) first, in their order: last, one of them kept a worker busy alone
    at the end of the run while the others had nothing left to do."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """The environment every test runs in: ``home`` as the home folder (so the default database never touches the
    real one), no database URL or CI variables from the developer's shell, and a pinned git identity."""
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("TRACERTM_DATABASE_URL", raising=False)
    # A developer's environment, also on a CI runner: CI=true changes the default sync trigger, and the CI commit
    # variables are what `results import` defaults to. Tests that want them set them.
    for key in ("CI", "GITHUB_ACTIONS", "GITHUB_SHA", "GITLAB_CI", "CI_COMMIT_SHA"):
        monkeypatch.delenv(key, raising=False)
    for key in list(os.environ):
        if key.startswith("GIT_") and key not in ("GIT_EXEC_PATH",):
            monkeypatch.delenv(key)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Ada Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "ada@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Ada Author")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "ada@example.com")


@contextmanager
def isolated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pytest.MonkeyPatch]:
    """``isolate``'s environment with a home folder of its own, for a fixture wider than a test (the autouse
    ``_isolated_home`` is per test): what it builds has the commits a test's own calls would make."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, tmp_path_factory.mktemp("home"))
        yield monkeypatch


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own home and git identity (``isolate``)."""
    home = tmp_path_factory.mktemp("home")
    isolate(monkeypatch, home)
    return home


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    """Every test starts with Python's cyclic collector on, as a process does, and whatever a test leaves it at
    (some turn it off on purpose) does not reach the next test in the same worker."""
    import gc

    gc.enable()
    yield
    gc.enable()


# ---------------------------------------------------------------------------------------------------- databases


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV)


def _pg_connect(url: str) -> Any:
    """A plain psycopg connection in autocommit mode (CREATE/DROP DATABASE run outside a transaction)."""
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)


def _pg_execute_autocommit(url: str, sql: str) -> None:
    with _pg_connect(url) as conn:
        conn.execute(sql)


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tracertm import db

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str | None]:
    admin = _pg_admin_url()
    if not admin:
        yield None
        return
    from tracertm import db

    name = f"trtm_tpl_{uuid.uuid4().hex[:8]}"
    _pg_execute_autocommit(admin, f'CREATE DATABASE "{name}"')
    try:
        engine = db.make_engine(_with_database(admin, name))
        db.upgrade(engine)
        engine.dispose()
        with _pg_connect(_with_database(admin, name)) as conn:
            _TEMPLATES[name] = (_schema_print(conn), _deletion_order(conn))
        yield name
    finally:
        for spare in _SPARES.pop(name, []):
            _pg_execute_autocommit(admin, f'DROP DATABASE IF EXISTS "{spare}" WITH (FORCE)')
        _pg_execute_autocommit(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# A database copied from the template is emptied after its test and given to the next test of this worker: a copy
# costs 0.2-0.5 s (for about 650 tests), emptying one about 40 ms. It is reused only when nothing but its rows
# changed — its schema, Alembic revision, settings and extensions print as the template's (``_SCHEMA_PRINT``) —
# and no session of its test is left; otherwise it is dropped, as every one used to be.
_TEMPLATES: dict[str, tuple[str, list[str]]] = {}  # template → (its schema's print, its tables, referrers first)
_SPARES: dict[str, list[str]] = {}  # template → its emptied copies

# Read from the catalogs themselves: information_schema's views cost a new session ~20 ms more.
_SCHEMA_PRINT = """
SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM (
  SELECT 'c ' || c.oid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' '
         || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ' ' || a.attnotnull::text AS x
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
      AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace,
                                 'pg_toast'::regnamespace)
  UNION ALL SELECT 'i ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace,
                                 'pg_toast'::regnamespace)
  UNION ALL SELECT 'k ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
  UNION ALL SELECT 't ' || tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT 'p ' || oid::regprocedure::text FROM pg_proc
    WHERE pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
  UNION ALL SELECT 'r ' || oid::regclass::text || ' ' || relkind::text FROM pg_class
    WHERE relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace,
                               'pg_toast'::regnamespace) AND relkind <> 't'
  UNION ALL SELECT 'n ' || nspname FROM pg_namespace
    WHERE nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%'
  UNION ALL SELECT 'e ' || extname FROM pg_extension
  UNION ALL SELECT 'd ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION ALL SELECT 'v ' || version_num FROM alembic_version
) AS q
"""


def _schema_print(conn: Any) -> str:
    return str(conn.execute(_SCHEMA_PRINT).fetchone()[0])


def _deletion_order(conn: Any) -> list[str]:
    """The public tables but Alembic's, each after every table whose foreign keys refer to it."""
    from graphlib import TopologicalSorter

    tables = [r[0] for r in conn.execute("SELECT quote_ident(tablename) FROM pg_tables "
                                         "WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
    referrers: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in conn.execute(
            "SELECT quote_ident(c.relname), quote_ident(p.relname) FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid "
            "WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace"):
        if child != parent and parent in referrers:
            referrers[parent].add(child)
    return list(TopologicalSorter(referrers).static_order())  # a table after those referring to it


def _emptied(url: str, template: str) -> bool:
    """Empty the copy of ``template`` at ``url`` for the next test; False when it cannot be reused."""
    import psycopg

    schema, order = _TEMPLATES[template]
    others = ("FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
              "AND backend_type = 'client backend'")
    try:
        with _pg_connect(url) as conn:
            conn.execute(f"SELECT pg_terminate_backend(pid) {others} AND usename = current_user")
            for _ in range(100):  # a terminated session is gone within milliseconds
                if not conn.execute(f"SELECT count(*) {others}").fetchone()[0]:
                    break
                time.sleep(0.05)
            else:
                return False
            if _schema_print(conn) != schema:
                return False
            with conn.transaction():  # one round trip: the statements as one string
                conn.execute("".join(f"DELETE FROM {table};" for table in order)
                             + "SELECT setval(oid::regclass, 1, false) FROM pg_class "
                             "WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace")
        return True
    except psycopg.Error:
        return False


def _fresh_pg(template: str | None) -> Iterator[str]:
    admin = _pg_admin_url()
    if not admin:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    spares = _SPARES.setdefault(template, []) if template else []
    if spares:
        name = spares.pop()
    else:
        name = f"trtm_{uuid.uuid4().hex[:12]}"
        suffix = f' TEMPLATE "{template}"' if template else ""
        _pg_execute_autocommit(admin, f'CREATE DATABASE "{name}"{suffix}')
    url = _with_database(admin, name).replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield url
    finally:
        if template and _emptied(url, template):
            spares.append(name)
        else:
            _pg_execute_autocommit(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ``database_url`` on SQLite alone, for a test above the database; where it is used, a comment names the test that
# runs the same store path on PostgreSQL.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    yield from module_database(request, tmp_path)


def module_database(request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """A migrated, empty database of the kind ``request.param`` names, in ``folder`` on SQLite: what
    ``database_url`` gives a test, for a fixture wider than one (close the generator to drop or empty it)."""
    if request.param == "sqlite":
        path = folder / "tracertm.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        yield from _fresh_pg(request.getfixturevalue("_pg_template"))


@pytest.fixture
def icu_database_url() -> Iterator[str]:
    """A PostgreSQL database whose collation is ICU's en-US (not code point order: ``eclair`` before ``Éclair`` and
    ``ECLAIR``, ``_x`` before ``alpha``), empty: the first sync migrates it."""
    import psycopg

    admin = _pg_admin_url()
    if not admin:
        pytest.skip("PostgreSQL tests need TRACERTM_TEST_DATABASE_URL")
    name = f"trtm_icu_{uuid.uuid4().hex[:12]}"
    try:
        _pg_execute_autocommit(admin, f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu "
                                      "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
    except psycopg.Error as error:  # a server before PostgreSQL 15, or built without ICU
        pytest.skip(f"no ICU database on this server: {error}")
    try:
        yield _with_database(admin, name).replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        _pg_execute_autocommit(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def other_database_url(database_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second migrated, empty database of the same kind as ``database_url`` (a cold sync to compare with)."""
    if database_url.startswith("sqlite"):
        path = tmp_path / "other.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        yield from _fresh_pg(request.getfixturevalue("_pg_template"))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each kind with no schema at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        yield from _fresh_pg(None)


@pytest.fixture
def engine(database_url: str):  # type: ignore[no-untyped-def]
    from tracertm import db

    eng = db.make_engine(database_url)
    yield eng
    eng.dispose()


def schema_revision(url: str) -> str | None:
    """The tracertm schema revision stamped at ``url`` (None: no schema), read without migrating anything."""
    from tracertm import db

    engine = db.make_engine(url)
    try:
        return db.current_revision(engine)
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------------------- git


class GitRepo:
    """A real git repository in a temporary folder, driven through the git command line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        full_env = {**os.environ, **(env or {})}
        result = subprocess.run(
            ["git", *args], cwd=self.path, check=True, capture_output=True, text=True, env=full_env
        )
        return result.stdout.strip()

    def write(self, rel: str, content: str | bytes) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return target

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text(encoding="utf-8")

    def remove(self, rel: str) -> None:
        (self.path / rel).unlink()

    def commit(self, message: str = "change", *, author: str | None = None, date: str | None = None) -> str:
        self.git("add", "-A")
        env: dict[str, str] = {}
        if author:
            name, email = author.rsplit(" <", 1)
            env.update(
                GIT_AUTHOR_NAME=name,
                GIT_AUTHOR_EMAIL=email.rstrip(">"),
                GIT_COMMITTER_NAME=name,
                GIT_COMMITTER_EMAIL=email.rstrip(">"),
            )
        if date:
            env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        self.git("commit", "-q", "--allow-empty", "-m", message, env=env)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def conflict(self, path: str, ours: str, theirs: str, also: dict[str, str] | None = None) -> None:
        """A merge stopped on ``path``'s conflict: ``theirs`` committed on a branch ``side``, ``ours`` (and the files
        ``also`` maps, path → content) on the current branch, then ``side`` merged — git leaves the conflict
        markers in the work tree and no stage-0 entry for ``path`` in the index."""
        here = self.git("rev-parse", "--abbrev-ref", "HEAD")
        self.git("checkout", "-q", "-b", "side")
        self.write(path, theirs)
        self.commit("side")
        self.git("checkout", "-q", here)
        self.write(path, ours)
        for name, content in (also or {}).items():
            self.write(name, content)
        self.commit(here)
        merge = subprocess.run(["git", "merge", "-q", "side"], cwd=self.path, capture_output=True, check=False)
        assert merge.returncode != 0, f"the merge stops on {path}'s conflict"


def without_read_override() -> list[str]:
    """The command prefix that makes a process obey file permissions (as any user's would): none for a user, and
    for root ``setpriv`` without the capabilities that let root read anything (skips the test without it)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root, and no setpriv to drop the capability to read any file")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def init_repo(path: Path) -> GitRepo:
    """A new, empty git repository at ``path`` (created), on branch ``main``, commits unsigned."""
    path.mkdir(parents=True)
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main")
    with (path / ".git" / "config").open("a", encoding="utf-8") as config:  # `git config`'s edit, one process less
        config.write("[commit]\n\tgpgsign = false\n")
    return repo


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    return init_repo(tmp_path / "repo")


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """``tracertm ARGV...`` through the command line's ``main`` in this process, its output captured, as a finished
    process: what a subprocess would give, without a new interpreter's imports (most of each call's time). Tests
    of what only a process of its own shows (signals, exit codes of ``run``, concurrent writers, imports) start
    one."""
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO

    from tracertm.cli import main

    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return subprocess.CompletedProcess(["tracertm", *argv], code, out.getvalue(), err.getvalue())


SAMPLE_REPO = Path(__file__).resolve().parent.parent / "sample-repo"


def force_streaming(monkeypatch: pytest.MonkeyPatch, first_chunk: int, chunk: int) -> list[str]:
    """Every single-report JUnit import streamed (``tracertm.results.streamed``) whatever its size, as if on two
    cores, in messages of ``first_chunk`` tests growing to ``chunk``. Returns the list the outcome of each streamed
    import is appended to: ``streamed``, ``restart`` (handed to the in-process import), or the name of what it
    raised."""
    from tracertm.results import streamed

    monkeypatch.setattr(streamed, "FORK_MIN_BYTES", 0)
    monkeypatch.setattr(streamed, "_cores", lambda: 2)  # on one core an import is never streamed
    monkeypatch.delenv(streamed.ENV_SWITCH, raising=False)
    monkeypatch.setattr(streamed, "FIRST_CHUNK", first_chunk)
    monkeypatch.setattr(streamed, "CHUNK", chunk)
    outcomes: list[str] = []
    real = streamed.import_streamed

    def spy(*args: Any, **kwargs: Any) -> Any:
        try:
            summary = real(*args, **kwargs)
        except streamed.Restart:
            outcomes.append("restart")
            raise
        except BaseException as exc:
            outcomes.append(type(exc).__name__)
            raise
        outcomes.append("streamed")
        return summary

    monkeypatch.setattr(streamed, "import_streamed", spy)
    return outcomes


def join_other_threads(timeout: float = 60) -> None:
    """Wait for every thread but this one to end (a sync's WAL checkpoint thread): a process with other threads does
    not fork (``tracertm.results.streamed``)."""
    import threading

    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(timeout=timeout)
