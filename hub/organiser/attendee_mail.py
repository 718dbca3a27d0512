"""Mail from an organiser to some of an event's attendees, through the outbox.

One outbox row per recipient, keyed by the mail and the sign-up, so a retried request or a
double click never sends one person the same mail twice; the same subject and text again
for the same event within the hour is refused as a duplicate. At most ``per_hour`` mails per
event and hour, so a hijacked or careless account cannot flood the attendees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select

from hub.extensions import DbSession
from hub.i18n import current_language
from hub.mail.compose import Links, render_pair
from hub.mail.outbox import clean_header_text, queue_message
from hub.models import Account, Attendance, AttendeeMail, Event, Registration, RegistrationStatus

STATUSES = (RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITLISTED.value)
ATTENDANCE = (Attendance.IN_PERSON.value, Attendance.ONLINE.value)
CHECKED_IN = "checked_in"
WINDOW = timedelta(hours=1)


class MailRefused(ValueError):
    """``reason``: "limit" (too many this hour), "duplicate" (sent already) or "nobody"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Audience:
    statuses: tuple[str, ...]
    attendance: tuple[str, ...]
    checked_in_only: bool = False

    @property
    def groups(self) -> list[str]:
        return [*self.statuses, *self.attendance, *([CHECKED_IN] if self.checked_in_only else [])]


def recipients(session: DbSession, event: Event, audience: Audience) -> list[Registration]:
    """The sign-ups in the chosen groups: any chosen status, any chosen attendance, and checked
    in when asked (which only confirmed in-person attendees can be)."""
    stmt = select(Registration).where(
        Registration.event_id == event.id,
        Registration.status.in_([RegistrationStatus(s) for s in audience.statuses]),
        Registration.attendance.in_([Attendance(a) for a in audience.attendance]),
    )
    if audience.checked_in_only:
        stmt = stmt.where(Registration.checked_in_at.is_not(None))
    return list(session.scalars(stmt.order_by(Registration.id)))


def sent_this_hour(session: DbSession, event: Event, now: datetime) -> int:
    return (
        session.scalar(
            select(func.count(AttendeeMail.id)).where(
                AttendeeMail.event_id == event.id, AttendeeMail.sent_at > now - WINDOW
            )
        )
        or 0
    )


def _fingerprint(subject: str, body: str) -> str:
    return hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()


def compose(
    event: Event, subject: str, body: str, links: Links, registration: Registration | None
) -> tuple[str, str, str]:
    """Subject, text and HTML of the mail for one recipient (a placeholder name in a preview)."""
    locale = registration.locale if registration else current_language()
    with force_locale(locale):
        text, html = render_pair(
            "attendee_mail",
            event=event,
            body=body,
            registration=registration or SimpleNamespace(name=""),
            event_url=links.event(event),
            cancel_url=links.cancel(registration) if registration else links.event(event),
            me_url=links.me(registration) if registration else links.me_request(),
            language=locale,
        )
    return clean_header_text(subject, 150), text, html


def send(
    session: DbSession,
    event: Event,
    *,
    subject: str,
    body: str,
    audience: Audience,
    account: Account,
    links: Links,
    now: datetime,
    per_hour: int,
) -> AttendeeMail:
    """Queue the mail for every recipient and record it in the event's mail history."""
    if sent_this_hour(session, event, now) >= per_hour:
        raise MailRefused("limit")
    recent = session.scalars(
        select(AttendeeMail).where(AttendeeMail.event_id == event.id, AttendeeMail.sent_at > now - WINDOW)
    )
    if any(_fingerprint(m.subject, m.body) == _fingerprint(subject, body) for m in recent):
        raise MailRefused("duplicate")
    people = recipients(session, event, audience)
    if not people:
        raise MailRefused("nobody")
    record = AttendeeMail(
        event_id=event.id,
        account_id=account.id,
        account_email=account.email,
        sent_at=now,
        subject=clean_header_text(subject, 150),
        body=body,
        groups=audience.groups,
        recipients=0,
    )
    session.add(record)
    session.flush()
    queued = 0
    for registration in people:
        mail_subject, text, html = compose(event, subject, body, links, registration)
        queued += queue_message(
            session,
            "attendee_mail",
            registration.email,
            mail_subject,
            text,
            html,
            (),
            f"attendee_mail:{record.id}:{registration.id}",
            action_url=links.cancel(registration),
            registration_id=registration.id,
            now=now,
        )
    record.recipients = queued
    session.flush()
    return record


def history(session: DbSession, event: Event) -> Sequence[AttendeeMail]:
    return session.scalars(
        select(AttendeeMail).where(AttendeeMail.event_id == event.id).order_by(AttendeeMail.sent_at.desc())
    ).all()


def per_hour_limit() -> int:
    return int(current_app.config["ATTENDEE_MAIL_PER_HOUR"])
