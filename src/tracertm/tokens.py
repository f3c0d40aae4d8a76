"""API tokens: created with a scope (``read`` or ``write``), shown once, stored only as a sha256 hash.

Tokens are 256 random bits, so a fast hash is enough: there is nothing to brute-force that a slow hash would
protect (unlike passwords).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracertm.errors import UsageError
from tracertm.models import ApiToken
from tracertm.models.api_token import TOKEN_SCOPE_VALUES
from tracertm.models.types import code_points

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

TOKEN_PREFIX = "trtm_"
_SHOWN = 12  # characters of the token kept in clear, to tell tokens apart


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


ACTOR_PREFIX = "api:"  # the actor a token's writes and reviews name: "api:" + its label (else its prefix)
# api_tokens.label holds 255 characters, but the actor is also stored as a link's reviewer (links.reviewed_by, 255).
MAX_LABEL = 255 - len(ACTOR_PREFIX)


def create(session: Session, scope: str, label: str | None = None) -> tuple[str, ApiToken]:
    """A new token and its row (added to ``session``; the caller commits). The token is never stored."""
    if scope not in TOKEN_SCOPE_VALUES:
        raise UsageError(f"--scope {scope}: use one of {', '.join(TOKEN_SCOPE_VALUES)}")
    if label is not None and (len(label) > MAX_LABEL or not label.isprintable() or not label.strip()):
        # The label becomes the actor of the revisions the token writes: one printable line the column holds.
        raise UsageError(f"--label: give 1 to {MAX_LABEL} printable characters on one line")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(id=uuid.uuid4(), token_hash=digest(token), prefix=token[:_SHOWN], scope=scope, label=label)
    session.add(row)
    session.flush()
    return token, row


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.execute(
        select(ApiToken).order_by(ApiToken.created_at, code_points(ApiToken.prefix))).scalars())


def revoke(session: Session, ident: str) -> tuple[ApiToken, bool]:
    """Revoke the token whose id or shown prefix is ``ident`` (the caller commits), or the token itself (pasted
    where its prefix was asked for: it was "no such token"). The prefix may be pasted as ``token list`` prints it,
    with its ``…``. The row, and whether this call revoked it: False when it was revoked already (its ``revoked_at``
    is kept, the time it stopped working)."""
    ident = ident.strip().removesuffix("…")
    if not ident:
        raise UsageError("ID: blank; give the id or the prefix 'tracertm token list' shows")
    conditions = [ApiToken.prefix == ident]
    if _token_shaped(ident):
        conditions.append(ApiToken.token_hash == digest(ident))
    try:
        conditions.append(ApiToken.id == uuid.UUID(ident))
    except ValueError:
        pass
    rows = list(session.execute(select(ApiToken).where(or_(*conditions))).scalars())
    if not rows:
        raise UsageError(f"{ident}: no such token; see 'tracertm token list'")
    if len(rows) > 1:
        raise UsageError(f"{ident}: several tokens share this prefix; revoke by id (see 'tracertm token list')")
    row = rows[0]
    if row.revoked_at is not None:
        return row, False
    row.revoked_at = dt.datetime.now(dt.timezone.utc)
    return row, True


def _token_shaped(text: str) -> bool:
    """Whether ``text`` may be a token (its prefix, not past 200 characters): worth hashing and looking up."""
    return text.startswith(TOKEN_PREFIX) and len(text) <= 200


def verify(session: Session, token: str) -> ApiToken | None:
    """The live token row for ``token``, or None (unknown or revoked)."""
    if not _token_shaped(token):
        return None
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == digest(token))).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return row


def still_live(session: Session, token_id: uuid.UUID) -> bool:
    """Whether the token ``token_id`` is still there and not revoked, read in ``session``'s write transaction (an API
    write checks it again once it holds the project's lock: it may have waited a minute for a sync, and a revoke
    committed meanwhile must stop it). On PostgreSQL the row is share-locked until that transaction ends, so a
    revoke issued now waits for the write to commit: once ``token revoke`` has answered, no write of the token
    lands. (SQLite: the write transaction holds the file's write lock, which the revoke needs too.)"""
    query = select(ApiToken.revoked_at).where(ApiToken.id == token_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    found = session.execute(query).first()
    return found is not None and found.revoked_at is None


TOUCH_EVERY = dt.timedelta(minutes=1)


def needs_touch(row: ApiToken, now: dt.datetime | None = None) -> bool:
    """Whether ``last_used_at`` is worth refreshing (it is kept to the minute)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY


# PostgreSQL: how long the refresh may wait for a table lock (a migration's); a row lock it never waits for.
TOUCH_LOCK_TIMEOUT_MS = 50


def touch_nowait(engine: Engine, token_id: uuid.UUID) -> bool:
    """Record that a token was used now, in a transaction of its own that never waits for another writer: on
    SQLite the write lock is tried once (no busy wait), on PostgreSQL a row another transaction holds is skipped
    (``FOR UPDATE SKIP LOCKED``). Returns whether it was recorded; a skipped refresh is made by a later request
    (``needs_touch`` still holds), so ``last_used_at`` stays right to about the minute while no writer is busy.
    Best effort: a refresh the database refuses (busy, locked: ``OperationalError``; read-only or without the
    privilege, as ``db.failures.refusal`` tells, which psycopg raises as ``InternalError``) is skipped, the
    request it serves is a read; so is one of a database a newer tracertm migrated while the server ran (its
    ``api_tokens`` may no longer be the table this one knows)."""
    from sqlalchemy import text, update
    from sqlalchemy.exc import DBAPIError, OperationalError

    from tracertm import db
    from tracertm.db.failures import refusal

    ident = ApiToken.id
    now = dt.datetime.now(dt.timezone.utc)
    try:
        with db._bounded(engine, 0).begin() as conn:  # SQLite: BEGIN IMMEDIATE with a busy timeout of 0
            if conn.dialect.name == "postgresql":  # (first: the schema's read below waits for no table lock either)
                conn.execute(text(f"SET LOCAL lock_timeout = {TOUCH_LOCK_TIMEOUT_MS}"))
            if conn.execute(text("SELECT version_num FROM alembic_version")).scalar() != db.SCHEMA_HEAD:
                return False
            if conn.dialect.name == "postgresql":
                free = select(ident).where(ident == token_id).with_for_update(skip_locked=True)
                free_row = ident.in_(free.scalar_subquery())
                done = conn.execute(update(ApiToken).where(free_row).values(last_used_at=now))
            else:
                done = conn.execute(update(ApiToken).where(ident == token_id).values(last_used_at=now))
            return bool(done.rowcount)
    except DBAPIError as exc:  # another writer holds the lock, or the database refuses writes: a later request tries
        if isinstance(exc, OperationalError) or refusal(exc):
            return False
        raise
