"""A PostgreSQL connection that goes away in the middle of a run (a terminated backend, a restart, a failover) is
said to be lost, with "run it again": an audit found the line advising to check ``TRACERTM_DATABASE_URL`` or the
role's privileges, neither of which was at fault. The connection is really terminated here."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from conftest import _pg_connect
from tracertm import db
from tracertm.cli.database_errors import database_error
from tracertm.db.failures import database_unavailable

postgresql_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@postgresql_only
def test_a_terminated_connection_is_said_to_be_lost(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as connection:
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with _pg_connect(database_url) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
            with pytest.raises(OperationalError) as info:
                connection.execute(text("SELECT 1"))
        found = database_error(info.value, None)
        assert found is not None and found.exit_code == 2
        assert found.line.startswith("tracertm: error: lost the connection to the database during the run ("), \
            found.line
        assert found.line.endswith("what this command had not committed was undone — run it again")
        assert "privileges" not in found.line
        line = str(database_unavailable(engine, info.value))
        assert line.startswith("lost the connection to database postgresql+psycopg://") and "***" in line, line
        assert "check" not in line
    finally:
        engine.dispose()
