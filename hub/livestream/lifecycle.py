"""The mails a broadcast causes: "we are live" and "recording ready", each once per sign-up.

After every sync (:func:`queue_lifecycle_mails`), whatever worker ran it:

* "we are live" goes to each confirmed online attendee of an event whose broadcast the sync
  saw live. It expires when the broadcast ends (until a sync sees the end: an hour after the
  event's), so a late delivery never announces a broadcast that is over. A broadcast that
  started and ended between two syncs was never seen live, and sends none: the recording
  mail follows instead.
* "recording ready" goes, once YouTube has processed the finished broadcast, to the online
  attendees and to the in-person attendees who asked for it on the form (confirmed, or on
  the waiting list). Only for recordings finished within RECORDING_MAIL_WINDOW: a first sync
  long after a festival does not mail last year's attendees.

Exactly once: the outbox's unique dedupe key (``live:<registration id>``,
``recording:<registration id>``) makes a second queueing a no-op, also when two workers sync
at the same moment (INSERT … ON CONFLICT DO NOTHING; on PostgreSQL the second waits for the
first to commit, then inserts nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from hub.extensions import DbSession
from hub.mail.compose import Links, MailKind, queue_registration_mail
from hub.models import (
    Attendance,
    Event,
    Livestream,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    StreamStatus,
)

RECORDING_MAIL_WINDOW = timedelta(days=7)
# Until the sync sees the end, a "we are live" mail expires this long after the event's end.
LIVE_MAIL_GRACE = timedelta(hours=1)


def live_key(registration: Registration) -> str:
    return f"live:{registration.id}"


def recording_key(registration: Registration) -> str:
    return f"recording:{registration.id}"


@dataclass(frozen=True)
class LifecycleMails:
    live: int = 0
    recording: int = 0


def _live_audience(session: DbSession) -> Sequence[Registration]:
    return session.scalars(
        select(Registration)
        .join(Livestream, Livestream.event_id == Registration.event_id)
        .where(
            Livestream.status == StreamStatus.LIVE,
            Livestream.video_id.is_not(None),
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.attendance == Attendance.ONLINE,
        )
        .options(selectinload(Registration.event))
        .order_by(Registration.id)
    ).all()


def _recording_audience(session: DbSession, now: datetime) -> Sequence[Registration]:
    since = now - RECORDING_MAIL_WINDOW
    return session.scalars(
        select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .join(Livestream, Livestream.event_id == Event.id)
        .where(
            Livestream.status == StreamStatus.ENDED,
            Livestream.video_id.is_not(None),
            Livestream.processed.is_(True),
            or_(
                Livestream.actual_end >= since,
                and_(Livestream.actual_end.is_(None), Event.ends_at >= since),
            ),
            or_(
                and_(
                    Registration.attendance == Attendance.ONLINE,
                    Registration.status == RegistrationStatus.CONFIRMED,
                ),
                and_(
                    Registration.wants_recording.is_(True),
                    Registration.status.in_([RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]),
                ),
            ),
        )
        .options(selectinload(Registration.event))
        .order_by(Registration.id)
    ).all()


def _live_expiry(registration: Registration) -> datetime | None:
    return registration.event.ends_at + LIVE_MAIL_GRACE


def _no_expiry(registration: Registration) -> datetime | None:
    return None


def _queue(
    session: DbSession,
    kind: MailKind,
    audience: Sequence[Registration],
    key_of: Callable[[Registration], str],
    links: Links,
    now: datetime,
    expiry: Callable[[Registration], datetime | None] = _no_expiry,
) -> int:
    keyed = [(r, key_of(r)) for r in audience]
    # Skip composing what is queued already (the unique key would make it a no-op anyway).
    done = set(
        session.scalars(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_([k for _, k in keyed]))
        )
    )
    queued = 0
    for registration, key in keyed:
        if key not in done and queue_registration_mail(
            session, kind, registration, links, now, dedupe_key=key, expires_at=expiry(registration)
        ):
            queued += 1
    return queued


def expire_live_mails(session: DbSession) -> int:
    """A "we are live" mail not sent yet when the broadcast ends is not sent at all: its
    expiry becomes the broadcast's end (delivery then marks it expired)."""
    pending = session.execute(
        select(OutboxMessage, Livestream.actual_end)
        .join(Registration, Registration.id == OutboxMessage.registration_id)
        .join(Livestream, Livestream.event_id == Registration.event_id)
        .where(
            OutboxMessage.kind == MailKind.LIVE.value,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.expired_at.is_(None),
            Livestream.status == StreamStatus.ENDED,
            Livestream.actual_end.is_not(None),
        )
    ).all()
    changed = 0
    for row, ended in pending:
        if ended is not None and (row.expires_at is None or row.expires_at > ended):
            row.expires_at = ended
            changed += 1
    return changed


def queue_lifecycle_mails(session: DbSession, now: datetime, links: Links) -> LifecycleMails:
    """Queue the "we are live" and "recording ready" mails that are due and not queued yet."""
    expire_live_mails(session)
    return LifecycleMails(
        live=_queue(session, MailKind.LIVE, _live_audience(session), live_key, links, now, _live_expiry),
        recording=_queue(
            session, MailKind.RECORDING, _recording_audience(session, now), recording_key, links, now
        ),
    )
