"""Retention: what the hub erases, and when. No HTTP here; flushes, never commits.

:func:`purge` (``flask hub purge``, and the worker once a day) erases

* every sign-up of an event that ended more than ``RETENTION_DAYS`` ago;
* cancelled sign-ups ``STALE_AFTER`` after the cancel, and sign-ups never confirmed
  ``STALE_AFTER`` after they were made (their confirm link has expired by then);
* every outbox row (the mail body, with its links) sent or given up on more than
  ``RETENTION_DAYS`` ago, and the mail of every sign-up it erases.

Erasing a sign-up deletes its row (its consent records go with it) and its mail, and adds it
to the event's :class:`SignupTally`, so the organiser's counts stay. The counts come from what
the ``DELETE … RETURNING`` itself removed: two purges at once (two workers) cannot count a
sign-up twice, since a row only one of them deleted is returned only to that one. On
PostgreSQL a purge also takes a transaction-level advisory lock, so purges simply queue; on
SQLite one writer at a time does the same. Running it again erases nothing more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Table, delete, func, or_, select, text, update

from hub.extensions import DbSession
from hub.mail.outbox import insert_unless_duplicate
from hub.models import Attendance, Event, OutboxMessage, Registration, RegistrationStatus, SignupTally

# Cancelled and never-confirmed sign-ups are kept this long (the confirm link lasts 7 days).
STALE_AFTER = timedelta(days=7)

# Any number the purges of all hubs agree on (pg_advisory_xact_lock takes a bigint).
_PURGE_LOCK = 0x6875625F7075

TALLY_COLUMNS = (
    "confirmed_in_person",
    "confirmed_online",
    "waitlisted",
    "pending",
    "cancelled",
    "checked_in",
)


@dataclass
class PurgeReport:
    retention_days: int
    dry_run: bool = False
    past_events: int = 0  # sign-ups of events past their retention
    stale: int = 0  # cancelled or never confirmed, older than STALE_AFTER
    mails: int = 0  # outbox rows
    events: list[str] = field(default_factory=list)  # slugs of the events whose sign-ups went

    @property
    def nothing(self) -> bool:
        return not (self.past_events or self.stale or self.mails)

    def summary(self) -> str:
        done = "would erase" if self.dry_run else "erased"
        return f"{done} {self.past_events + self.stale} sign-ups and {self.mails} mails"

    def lines(self) -> list[str]:
        each = f" ({', '.join(self.events)})" if self.events else ""
        if self.dry_run:
            head = f"dry run, nothing erased; would erase (retention {self.retention_days} days):"
        else:
            head = f"erased (retention {self.retention_days} days):"
        return [
            head,
            f"sign-ups of events that ended over the retention period ago: {self.past_events}{each}",
            f"cancelled or never-confirmed sign-ups older than {STALE_AFTER.days} days: {self.stale}",
            f"mails (bodies and links): {self.mails}",
        ]


def tally_key(status: RegistrationStatus, attendance: Attendance) -> str:
    if status == RegistrationStatus.CONFIRMED:
        return "confirmed_online" if attendance == Attendance.ONLINE else "confirmed_in_person"
    return str(status.value)


def add_to_tallies(session: DbSession, counts: dict[int, Counter[str]]) -> None:
    """Add anonymous counts to each event's tally (created on first use)."""
    table = cast(Table, SignupTally.__table__)
    for event_id, counter in counts.items():
        if not counter:
            continue
        insert_unless_duplicate(
            session, table, {"event_id": event_id, **dict.fromkeys(TALLY_COLUMNS, 0)}, ["event_id"]
        )
        session.execute(
            update(SignupTally)
            .where(SignupTally.event_id == event_id)
            .values(
                {name: getattr(SignupTally, name) + counter[name] for name in TALLY_COLUMNS if counter[name]}
            )
            .execution_options(synchronize_session=False)
        )


def erase_registrations(session: DbSession, condition: ColumnElement[bool]) -> dict[int, Counter[str]]:
    """Delete the sign-ups that match and their mail; keep them as anonymous counts.

    Returns the counts per event id of what this call deleted (and added to the tallies).
    """
    chosen = select(Registration.id).where(condition).scalar_subquery()
    session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.registration_id.in_(chosen))
        .execution_options(synchronize_session=False)
    )
    deleted = session.execute(
        delete(Registration)
        .where(condition)
        .returning(
            Registration.event_id, Registration.status, Registration.attendance, Registration.checked_in_at
        )
        .execution_options(synchronize_session=False)
    ).all()
    counts: dict[int, Counter[str]] = {}
    for event_id, status, attendance, checked_in_at in deleted:
        counter = counts.setdefault(event_id, Counter())
        counter[tally_key(RegistrationStatus(status), Attendance(attendance))] += 1
        if checked_in_at is not None:
            counter["checked_in"] += 1
    add_to_tallies(session, counts)
    session.expire_all()  # objects of deleted rows must not be written back
    return counts


def _serialise(session: DbSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PURGE_LOCK})


def _total(counts: dict[int, Counter[str]]) -> int:
    return sum(sum(c[name] for name in TALLY_COLUMNS if name != "checked_in") for c in counts.values())


def purge(session: DbSession, now: datetime, *, retention_days: int, dry_run: bool = False) -> PurgeReport:
    """Erase what is past retention (see the module); flushes, the caller commits or rolls back.

    A dry run (``dry_run``: only the report says so) is this followed by the caller's rollback,
    so the report says exactly what would go.
    """
    if retention_days < 0:
        raise ValueError("RETENTION_DAYS must be 0 or more")
    _serialise(session)
    report = PurgeReport(retention_days=retention_days, dry_run=dry_run)
    cutoff = now - timedelta(days=retention_days)
    past = select(Event.id).where(Event.ends_at < cutoff)
    slugs: Sequence[str] = session.scalars(
        select(Event.slug)
        .where(Event.id.in_(select(Registration.event_id).where(Registration.event_id.in_(past))))
        .order_by(Event.starts_at)
    ).all()
    report.events = list(slugs)
    report.past_events = _total(erase_registrations(session, Registration.event_id.in_(past)))
    stale = now - STALE_AFTER
    report.stale = _total(
        erase_registrations(
            session,
            or_(
                (Registration.status == RegistrationStatus.CANCELLED)
                & (func.coalesce(Registration.cancelled_at, Registration.created_at) < stale),
                (Registration.status == RegistrationStatus.PENDING) & (Registration.created_at < stale),
            ),
        )
    )
    result: Any = session.execute(
        delete(OutboxMessage)
        .where(or_(OutboxMessage.sent_at < cutoff, OutboxMessage.failed_at < cutoff))
        .execution_options(synchronize_session=False)
    )
    report.mails = cast(CursorResult[Any], result).rowcount
    session.flush()
    return report
