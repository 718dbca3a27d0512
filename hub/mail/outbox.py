"""The outbox: a mail is a row written in the same transaction as the change that causes it.

``queue_message`` never commits and never sends; the edge that owns the transaction commits,
then delivery (right after the request, or ``flask hub deliver-mail``) sends what is due.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hub.extensions import DbSession
from hub.models import OutboxMessage
from hub.timeutil import utcnow

# session.info key: dedupe keys queued in the session's current transaction, so that the
# request that queued them can deliver exactly those right after it commits.
QUEUED_KEYS = "hub.outbox.queued"

# A bare address: no display name, no spaces, no separators, no header syntax.
_BARE_ADDRESS = re.compile(r"^[^\s<>()\[\],;:\"@\\]+@[A-Za-z0-9.-]+$")
_SUBJECT_MAX = 300


class OutboxError(ValueError):
    """A mail that must not be queued (e.g. a recipient that is not a bare address)."""


def clean_header_text(text: str, max_length: int = _SUBJECT_MAX) -> str:
    """One line of plain text for a header: control and line-break characters become spaces."""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in str(text))
    return " ".join(cleaned.split())[:max_length]


def check_recipient(address: str) -> str:
    """The address itself, if it is a bare ASCII address; raises OutboxError otherwise."""
    bare = _BARE_ADDRESS.match(address) and "=?" not in address  # no encoded-word look-alikes
    if len(address) > 254 or not address.isascii() or not bare:
        raise OutboxError(f"not a bare email address: {address!r}")
    return address


def insert_unless_duplicate(
    session: DbSession, table: Table, values: dict[str, Any], unique: list[str]
) -> bool:
    """INSERT … ON CONFLICT (unique columns) DO NOTHING; True when a row was written.

    Works the same on SQLite and PostgreSQL and needs no savepoint: a concurrent duplicate
    is simply not inserted (PostgreSQL waits for the other transaction to decide first).
    """
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
        # RETURNING tells whether a row was written (rowcount is -1 with psycopg here).
        stmt = (
            dialect_insert(table)
            .values(values)
            .on_conflict_do_nothing(index_elements=unique)
            .returning(*table.primary_key.columns)
        )
        return session.execute(stmt).first() is not None
    # pragma: no cover - other databases: the unique constraint is the backstop
    result = cast(CursorResult[Any], session.execute(insert(table).values(values)))
    return result.rowcount == 1


def queue_message(
    session: DbSession,
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    attachments: Sequence[dict[str, str]],
    dedupe_key: str,
    *,
    action_url: str | None = None,
    registration_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Write one mail to the outbox in the caller's transaction; never commits.

    A ``dedupe_key`` that is already in the outbox makes this a no-op (returns False), so a
    mail keyed by what causes it goes out exactly once however often it is queued.
    ``to`` must be a bare, validated address: names never go into address headers.
    """
    check_recipient(to)
    if not dedupe_key or len(dedupe_key) > 200:
        raise OutboxError("a dedupe key of 1 to 200 characters is required")
    now = now or utcnow()
    session.flush()  # rows this mail refers to (the registration) must exist first
    inserted = insert_unless_duplicate(
        session,
        cast(Table, OutboxMessage.__table__),
        {
            "dedupe_key": dedupe_key,
            "kind": kind[:40],
            "recipient": to,
            "subject": clean_header_text(subject),
            "body_text": text,
            "body_html": html,
            "attachments": [dict(a) for a in attachments],
            "action_url": action_url,
            "registration_id": registration_id,
            "created_at": now,
            "attempts": 0,
            "next_attempt_at": now,
        },
        ["dedupe_key"],
    )
    if inserted:
        session.info.setdefault(QUEUED_KEYS, []).append(dedupe_key)
    return inserted


def take_queued_keys(session: DbSession) -> list[str]:
    """The dedupe keys queued since the last call (call right after commit or rollback)."""
    keys: list[str] = session.info.pop(QUEUED_KEYS, [])
    return keys
