"""Database URLs: which one to use (``--database-url``, ``$TRACERTM_DATABASE_URL``, the configuration, else the
embedded default file), validating it, and writing it in messages without its password."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tracertm.errors import ConfigError, refuse_blank

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

ENV_URL = "TRACERTM_DATABASE_URL"
DEFAULT_SOURCE = "the default database"  # resolve_database_url's source for the embedded file


def default_database_path() -> Path:
    """The embedded database: ``$XDG_DATA_HOME/tracertm/tracertm.db`` (``~/.local/share/...`` on Linux)."""
    from platformdirs import user_data_path

    return user_data_path("tracertm", appauthor=False) / "tracertm.db"


def resolve_database_url(option: str | None = None, configured: str | None = None) -> tuple[str, str]:
    """The URL to use and where it came from: ``--database-url``, then ``$TRACERTM_DATABASE_URL``, then the
    repository configuration, then the embedded default file. A blank ``option`` is no "not given" (``None``): a
    ``UsageError`` (the command line refuses one first, naming ``--database-url``)."""
    refuse_blank(database_url=option)
    if option:
        return expand_home(option), "--database-url"
    env = os.environ.get(ENV_URL)
    if env:
        return expand_home(env), ENV_URL
    if configured:
        return configured, "database_url in the tracertm configuration"
    return f"sqlite:///{default_database_path()}", DEFAULT_SOURCE


def expand_home(url: str) -> str:
    """``url`` with the home folder for a leading ``~`` (``~user``) of its SQLite file's path, as a shell would
    expand it: SQLite itself looks for a folder named ``~`` ("unable to open database file"). The one rule of the
    command line, the environment and the configuration (``config``: relative to its folder once expanded)."""
    scheme, sep, rest = url.partition(":///")
    if not sep or scheme.strip().lower() not in ("sqlite", "sqlite+pysqlite") or not rest.startswith("~"):
        return url
    return f"{scheme}:///{os.path.expanduser(rest)}"


def parse_url(url: str, source: str = "--database-url") -> URL:
    """Validate a database URL; errors name the option and the scheme, never the password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is no number (``HOST:/DB``, ``HOST:x/DB``)
        scheme = url.split(":", 1)[0] if ":" in url else "<none>"
        if isinstance(exc, ValueError) and scheme.partition("+")[0] in ("postgres", "postgresql"):
            # The scheme is right: naming it as the fault sent the user looking in the wrong place.
            raise ConfigError(
                f"{source}: the URL's port is not a number; write HOST:PORT with digits, or HOST alone for the "
                "default port (postgresql+psycopg://USER:PASSWORD@HOST:5432/DB)"
            ) from None
        raise ConfigError(
            f"{source}: not a database URL (scheme {scheme!r}); use sqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB"
        ) from None
    # Split the name ourselves: URL.get_driver_name() loads the dialect, which fails for "postgres://" and
    # for unknown drivers with an error that is not a ConfigError.
    # A NUL (``%00``, or ``\u0000`` in a TOML string) fits no file name and no libpq parameter: SQLite's open raised
    # ValueError (an internal error), and libpq cut the connection string at it, losing what followed (a password).
    if any("\x00" in (part or "") for part in (parsed.username, parsed.password, parsed.host, parsed.database)):
        raise nul_refusal(source)
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql"):
        if driver not in ("psycopg", "psycopg2", ""):
            raise ConfigError(f"{source}: driver {driver!r} is not supported; use postgresql+psycopg://...")
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise ConfigError(f"{source}: driver {driver!r} is not supported; use sqlite:///PATH")
        if parsed.query:  # (the command line's URLs were checked already: the Python API's)
            from tracertm.config import check_url

            check_url(url, source)
        return parsed
    raise ConfigError(
        f"{source}: unsupported database scheme {parsed.drivername!r}; use sqlite:///PATH or postgresql+psycopg://..."
    )


def redact(url: URL | str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True) if isinstance(url, str) else url.render_as_string(True)


def _in_memory(parsed: URL) -> bool:
    """Whether a SQLite URL names an in-memory database (``sqlite://``, ``sqlite:///:memory:``, a ``file:`` URI
    with ``mode=memory``): it is gone when the process ends."""
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return database in ("", ":memory:") or database.startswith("file::memory:") or "mode=memory" in database or (
        parsed.query.get("mode") == "memory"
    )


def _refuse_in_memory(url: str, source: str) -> URL:
    """``url`` parsed; an in-memory SQLite database is refused: everything written to it is gone when the command
    ends."""
    parsed = parse_url(url, source)
    if _in_memory(parsed):
        raise ConfigError(
            f"{source}: {url} is an in-memory SQLite database, gone when this command ends; use sqlite:///PATH "
            "(or leave it out for the default database)"
        )
    return parsed


def nul_refusal(source: str) -> ConfigError:
    """The error for a database URL holding a NUL (``%00``), from ``source`` (the option, variable or file line)."""
    return ConfigError(f"{source}: the URL holds a NUL character (%00), which no database name, path, user or host "
                       "can; remove it")


def sqlite_file(parsed: URL) -> Path | None:
    """The file a SQLite URL names (``~`` expanded, as ``make_engine`` does for its folder); None for another
    database or an in-memory one. A ``file:`` name is a file like any other: SQLAlchemy passes it to SQLite without
    ``uri=true`` (a URL takes no query string), so SQLite opens it as a plain path, ``./file:x.db``."""
    if parsed.get_backend_name() != "sqlite" or _in_memory(parsed):
        return None
    return home_expanded(parsed.database or "")


def home_expanded(path: str) -> Path:
    """``path`` with a leading ``~`` (``~user``) made the home folder, as ``expand_home`` and a shell do: a ``~user``
    of no user stays as it is, a relative path (``Path.expanduser`` raised RuntimeError, an internal error)."""
    return Path(os.path.expanduser(path))
