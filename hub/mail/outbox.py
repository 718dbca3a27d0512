"""The outbox: a mail is a row written in the same transaction as the change that causes it.

This module owns the ``outbox_messages`` table. ``queue_message`` never commits and never
sends; the edge that owns the transaction commits, then delivery (right after the request, or
``flask hub deliver-mail``) sends what is due.

Delivery takes rows through :func:`claim` and writes outcomes through :func:`finish`. A claim
is a lease that names the run (``locked_by``, ``locked_until``), committed before the run
talks to the mail server; an outcome is written only while the run still holds that row's
lease. So a crash never loses a mail (the lease runs out, the row is due again), and a run
that outlived its lease cannot overwrite what the run that took over writes. On PostgreSQL
the claim reads with ``FOR UPDATE SKIP LOCKED`` so that any number of workers share the
outbox; on SQLite a guarded UPDATE does the same.

Delivery is at least once, not exactly once: a process that dies after the server has
accepted a mail and before its ``sent_at`` is committed leaves the row to be sent again
(with the same Message-ID) once its lease runs out. Each outcome is committed right after
its own send, so that window is one send, never a batch.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hub.extensions import DbSession, db
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
    expires_at: datetime | None = None,
) -> bool:
    """Write one mail to the outbox in the caller's transaction; never commits.

    A ``dedupe_key`` that is already in the outbox makes this a no-op (returns False), so a
    mail keyed by what causes it is queued once however often it is asked for.
    ``to`` must be a bare, validated address: names never go into address headers.
    ``expires_at``: after this moment the mail is marked expired instead of sent (None: never).
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
            "expires_at": expires_at,
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


# --- claiming rows for delivery ----------------------------------------------------------------

# A claimed row is due again after this, should a worker die. A run starts a send only in
# the first half of its lease, so the lease must be more than twice the longest single send.
LEASE = timedelta(minutes=10)
BATCH = 20  # rows claimed at a time: a batch is sent well within its lease


def open_rows() -> list[Any]:
    """Rows that are neither sent, nor failed for good, nor expired."""
    return [
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        OutboxMessage.expired_at.is_(None),
    ]


def _due(now: datetime, ignore_backoff: bool) -> list[Any]:
    conditions = [
        *open_rows(),
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now),
    ]
    if not ignore_backoff:
        conditions.append(OutboxMessage.next_attempt_at <= now)
    return conditions


def claim(
    now: datetime,
    me: str,
    lease: timedelta,
    limit: int,
    keys: Sequence[str] | None,
    ignore_backoff: bool,
    after_id: int,
) -> list[int]:
    """Lease up to ``limit`` due rows to the run ``me`` and commit the lease; their ids in order.

    ``ignore_backoff`` ignores ``next_attempt_at``, so such a run walks the outbox by id
    (``after_id``) lest it pick up again the rows it has just failed.
    """
    session = db.session
    stmt = select(OutboxMessage.id).where(*_due(now, ignore_backoff))
    if keys is not None:
        stmt = stmt.where(OutboxMessage.dedupe_key.in_(list(keys)))
    if ignore_backoff:
        stmt = stmt.where(OutboxMessage.id > after_id).order_by(OutboxMessage.id)
    else:
        stmt = stmt.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    stmt = stmt.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    claimed: list[int] = []
    for row_id in session.scalars(stmt).all():
        result = cast(
            CursorResult[Any],
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, *_due(now, ignore_backoff))
                .values(locked_until=now + lease, locked_by=me)
                .execution_options(synchronize_session=False)
            ),
        )
        if result.rowcount == 1:
            claimed.append(row_id)
    session.commit()
    return claimed


def finish(row_ids: Sequence[int], me: str, **values: Any) -> int:
    """Write ``values`` and end the lease, only on rows ``me`` still holds; commits.

    Returns how many rows were written: fewer than asked when another run has taken a row
    over after this run's lease ran out.
    """
    if not row_ids:
        return 0
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(row_ids)), OutboxMessage.locked_by == me)
            .values(locked_until=None, locked_by=None, **values)
            .execution_options(synchronize_session=False)
        ),
    )
    db.session.commit()
    return result.rowcount


def claimed_row(row_id: int, me: str) -> OutboxMessage | None:
    """The row as it is now, if the run ``me`` still holds its lease."""
    row = db.session.get(OutboxMessage, row_id, populate_existing=True)
    return row if row is not None and row.locked_by == me else None
