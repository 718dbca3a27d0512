"""Reminders before an event: which are due, each queued exactly once.

For an offset such as 24h, the reminder window of an event opens 24 hours before it starts
and closes when it starts. ``queue_due_reminders`` may run every minute (or late, after a
worker was down): every run queues what is due, and the dedupe key
``reminder:<registration id>:<offset>`` makes a second queueing a no-op. Queued once is not
sent once: delivery is at least once (see :mod:`hub.mail.outbox`). A reminder expires at the
start: one still in the outbox then is marked expired, never sent late.

Two rules keep the inbox sensible:

* a registration gets at most the reminder of the *shortest* offset whose window is open: a
  worker that was down all day sends one "starts in an hour" mail, not two at once;
* an offset whose window opened before the attendee got a place is skipped: someone who
  signs up 30 minutes before the start has just had the confirmation and gets no "starts in
  an hour" mail right after it; someone who signs up 3 hours before gets the 1h reminder only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub.extensions import DbSession
from hub.mail.compose import Links, MailKind, queue_registration_mail
from hub.models import Event, OutboxMessage, Registration, RegistrationStatus
from hub.timeutil import parse_duration


@dataclass(frozen=True)
class Offset:
    label: str  # as configured, normalised: "24h"
    delta: timedelta


def parse_offsets(text: str) -> list[Offset]:
    """``"24h,1h"`` → offsets, longest first; raises ValueError on a bad or empty list."""
    offsets: dict[timedelta, Offset] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        delta = parse_duration(part)
        if delta <= timedelta(0):
            raise ValueError(f"a reminder offset must be positive: {part.strip()!r}")
        offsets.setdefault(delta, Offset(part.strip().lower(), delta))
    if not offsets:
        raise ValueError("no reminder offsets given (use e.g. 24h,1h)")
    return sorted(offsets.values(), key=lambda o: o.delta, reverse=True)


def due_offset(registration: Registration, now: datetime, offsets: Sequence[Offset]) -> Offset | None:
    """The reminder a confirmed registration is due now, if any (see the module's rules)."""
    starts = registration.event.starts_at
    place_since = registration.has_place_since
    if place_since is None or not now < starts:
        return None
    open_windows = [o for o in offsets if starts - o.delta <= now]
    if not open_windows:
        return None
    shortest = min(open_windows, key=lambda o: o.delta)
    if place_since >= starts - shortest.delta:
        return None
    return shortest


def queue_due_reminders(session: DbSession, now: datetime, offsets: Sequence[Offset], links: Links) -> int:
    """Queue every reminder that is due and not queued yet; returns how many were queued."""
    if not offsets:
        return 0
    horizon = now + max(o.delta for o in offsets)
    registrations = session.scalars(
        select(Registration)
        .join(Registration.event)
        .where(
            Registration.status == RegistrationStatus.CONFIRMED,
            Event.starts_at > now,
            Event.starts_at <= horizon,
            Event.status != "cancelled",  # a cancelled event was announced as such, once
        )
        .options(selectinload(Registration.event))
        .order_by(Event.starts_at, Registration.id)
    ).all()
    due = [(r, o) for r in registrations if (o := due_offset(r, now, offsets)) is not None]
    keys = {f"reminder:{r.id}:{o.label}" for r, o in due}
    # Skip composing what is queued already (the unique key would make it a no-op anyway).
    done = set(session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))))
    queued = 0
    for registration, offset in due:
        key = f"reminder:{registration.id}:{offset.label}"
        if key in done:
            continue
        if queue_registration_mail(
            session, MailKind.REMINDER, registration, links, now, dedupe_key=key, offset=offset.delta
        ):
            queued += 1
    return queued
