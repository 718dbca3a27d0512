"""Organiser login accounts (people), distinct from organisers (organisations).

An account's browser sessions are rows of their own (:class:`AccountSession`): the cookie
holds only a random session key, so logging out, a new password or a disabled account ends
a session on the server, and a cookie copied earlier opens nothing. Failed logins are
counted per address in :class:`LoginThrottle`, shared by every worker and instance.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import Base
from hub.models.types import UTCDateTime
from hub.timeutil import utcnow

if TYPE_CHECKING:
    from hub.models.programme import Organiser

account_organisers = Table(
    "account_organisers",
    Base.metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("organiser_id", ForeignKey("organisers.id", ondelete="CASCADE"), primary_key=True),
)


class Account(Base):
    """A person who logs in to the organiser area (Flask-Login's user)."""

    __tablename__ = "accounts"
    __allow_unmapped__ = True  # session_key below is a plain attribute, not a column

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # argon2id (PHC string); older werkzeug hashes are replaced at the next login.
    password_hash: Mapped[str] = mapped_column(String(300))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # False: disabled by an admin; every session of the account is refused.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisers: Mapped[list[Organiser]] = relationship(secondary=account_organisers)

    # The key of the session this object was loaded for (set by the session loader, not stored).
    session_key: str | None = None

    # --- what Flask-Login asks of a user -------------------------------------------------------
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        """The random session key: Flask-Login keeps this, never the account id, in the cookie."""
        return self.session_key


class AccountSession(Base):
    """One logged-in browser. Only a hash of the key in the cookie is stored."""

    __tablename__ = "account_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set at logout, password change or when the account is disabled; the row is then dead.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()


class LoginThrottle(Base):
    """Failed logins for one address (a hash of it: unknown addresses count the same way)."""

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
