"""``tracertm token revoke`` while another writer commits: the revoke waits its turn and succeeds; it never fails
with "database is locked" because a write (the API recording a token's use) committed between its read of the
token and its write. On SQLite a transaction that read and then writes cannot take the write lock once another
connection committed after its read (``SQLITE_BUSY_SNAPSHOT``, no busy wait helps): the revoke must take the
lock before it reads. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from conftest import run_cli
from tracertm import db, tokens
from tracertm.models import ApiToken


def test_revoke_while_the_api_records_a_tokens_use(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = ["--database-url", database_url]
    created = [run_cli("token", "create", "--scope", "write", "--label", label, *url) for label in ("old", "busy")]
    assert [c.returncode for c in created] == [0, 0], [c.stderr for c in created]
    engine = db.make_engine(database_url)
    try:
        with db.session(engine) as session:
            ids = {t.label: t.id for t in session.execute(select(ApiToken)).scalars()}
        touched: list[bool] = []
        revoke = tokens.revoke

        def revoke_then_another_writer(session: Any, ident: str) -> tuple[ApiToken, bool]:
            # The interleaving forced: the revoke has read the token; now a request of the API records another
            # token's use, in a transaction of its own that never waits (``touch_nowait``), before the revoke writes.
            row = revoke(session, ident)
            touched.append(tokens.touch_nowait(engine, ids["busy"]))
            return row

        monkeypatch.setattr(tokens, "revoke", revoke_then_another_writer)
        done = run_cli("token", "revoke", str(ids["old"]), *url)
        assert done.returncode == 0, done.stderr
        assert touched, "the revoke never read the token"
        with db.session(engine) as session:
            revoked = {t.label: t.revoked_at for t in session.execute(select(ApiToken)).scalars()}
        assert revoked["old"] is not None and revoked["busy"] is None, revoked
    finally:
        engine.dispose()
