"""Bearer tokens of the HTTP API. Only a hash of each token is stored; the token itself is shown once, at creation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tracertm.models.base import Base, UUIDPrimaryKeyMixin
from tracertm.models.types import UTCDateTime, string_check, utcnow

TOKEN_SCOPE_VALUES = ("read", "write")


class ApiToken(UUIDPrimaryKeyMixin, Base):
    """One API token: ``token_hash`` is the sha256 hex of the token; ``revoked_at`` set = no longer accepted."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # The first characters of the token, so that a person can tell tokens apart in `tracertm token list`.
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    scope: Mapped[str] = mapped_column(string_check("api_token_scope", *TOKEN_SCOPE_VALUES), nullable=False)
    label: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, server_default=utcnow())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"ApiToken({self.prefix!r}, scope={self.scope!r})"
