"""Editing an event from the organiser area: the change, its history and the notice to attendees.

Plain functions with explicit ``session``, ``now`` and ``links`` that flush but never commit.

A change attendees must know about (time, venue, attendance) raises the event's calendar
``SEQUENCE`` and, when the organiser keeps "notify attendees" on, queues one notice per
confirmed or waitlisted sign-up: what changed, old and new, with the calendar file again
(same UID, higher SEQUENCE, so calendars update the entry instead of adding one). The dedupe
key names the sequence, so a notice goes out once per change whatever happens to the request.
Cancelling mails everyone still signed up a ``METHOD:CANCEL`` calendar file.
A capacity raise hands the new seats to the waiting list, as ``flask hub import`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import icalendar
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from hub.extensions import DbSession
from hub.i18n import current_language, day_name, time_of
from hub.mail.compose import Links, render_pair
from hub.mail.outbox import clean_header_text, queue_message
from hub.models import (
    Account,
    Attendance,
    Event,
    EventChange,
    Festival,
    Organiser,
    Registration,
    RegistrationStatus,
    Venue,
)
from hub.programme import feeds
from hub.registration.service import promote_waitlisted
from hub.text import fold, slugify

# Fields whose change attendees are told about (they change where and when to be).
NOTIFY_FIELDS = ("time", "venue", "attendance")
# Who hears about a change: everyone who holds a place or waits for one.
NOTIFIED = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
# Who hears about a cancellation: also those who have not confirmed yet.
TOLD_OF_CANCEL = (*NOTIFIED, RegistrationStatus.PENDING)


@dataclass(frozen=True)
class EventValues:
    """What the edit form holds (times timezone-aware)."""

    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str | None
    venue_address: str | None
    capacity: int | None
    attendance: tuple[str, ...]

    @classmethod
    def of(cls, event: Event) -> EventValues:
        return cls(
            title=event.title,
            description=event.description,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            venue_name=event.venue.name if event.venue else None,
            venue_address=event.venue.address if event.venue else None,
            capacity=event.capacity,
            attendance=tuple(event.attendance or ()),
        )


@dataclass(frozen=True)
class Change:
    field: str  # title, description, time, venue, capacity, attendance
    old: Any
    new: Any

    @property
    def notify(self) -> bool:
        return self.field in NOTIFY_FIELDS


def _venue_text(name: str | None, address: str | None) -> str | None:
    return ", ".join(p for p in (name, address) if p) or None


def changes(before: EventValues, after: EventValues) -> list[Change]:
    """What differs between two sets of values, one entry per field people recognise."""
    found = []
    if before.title != after.title:
        found.append(Change("title", before.title, after.title))
    if before.description.strip() != after.description.strip():
        found.append(Change("description", before.description, after.description))
    if (before.starts_at, before.ends_at) != (after.starts_at, after.ends_at):
        found.append(Change("time", (before.starts_at, before.ends_at), (after.starts_at, after.ends_at)))
    old_venue = _venue_text(before.venue_name, before.venue_address)
    new_venue = _venue_text(after.venue_name, after.venue_address)
    if old_venue != new_venue:
        found.append(Change("venue", old_venue, new_venue))
    if before.capacity != after.capacity:
        found.append(Change("capacity", before.capacity, after.capacity))
    if set(before.attendance) != set(after.attendance):
        found.append(Change("attendance", before.attendance, after.attendance))
    return found


def field_label(field: str) -> str:
    labels = {
        "title": _("Title"),
        "description": _("Description"),
        "time": _("Time"),
        "venue": _("Venue"),
        "capacity": _("Capacity"),
        "attendance": _("Attendance"),
        "status": _("Status"),
    }
    return str(labels.get(field, field))


def shown(field: str, value: Any) -> str:
    """A value as people read it, in the current locale."""
    if value is None or value == "" or value == ():
        return str(_("none") if field != "capacity" else _("no limit"))
    if field == "time":
        start, end = value
        return f"{day_name(start)}, {time_of(start)}–{time_of(end)}"
    if field == "attendance":
        names = {Attendance.IN_PERSON.value: _("in person"), Attendance.ONLINE.value: _("online")}
        return ", ".join(names.get(v, v) for v in value)
    if field == "description":
        text = " ".join(str(value).split())
        return text if len(text) <= 120 else text[:119] + "…"
    return str(value)


def _find_venue(session: DbSession, name: str, address: str | None) -> Venue:
    venue = session.scalar(select(Venue).where(Venue.name == name))
    if venue is None:
        taken = set(session.scalars(select(Venue.slug)))
        slug, n = slugify(name) or "venue", 2
        base = slug
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        venue = Venue(name=name, slug=slug, address=address)
        session.add(venue)
    elif address is not None and venue.address != address:
        venue.address = address
    return venue


def _search_text(event: Event) -> str:
    parts = [event.title, event.description, *(o.name for o in event.organisers)]
    for item in event.agenda:
        parts.append(item.title)
        parts.extend(s.get("name", "") for s in item.speakers)
    return fold(" ".join(parts))


def _apply(session: DbSession, event: Event, values: EventValues) -> None:
    with session.no_autoflush:  # one edit is one UPDATE, so one calendar revision
        _assign(session, event, values)


def _assign(session: DbSession, event: Event, values: EventValues) -> None:
    event.title = values.title
    event.description = values.description
    event.starts_at = values.starts_at
    event.ends_at = values.ends_at
    event.venue = _find_venue(session, values.venue_name, values.venue_address) if values.venue_name else None
    event.capacity = values.capacity
    event.attendance = list(values.attendance)
    event.search_text = _search_text(event)


def recipients(
    session: DbSession, event: Event, statuses: Sequence[RegistrationStatus]
) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status.in_(statuses))
            .order_by(Registration.id)
        )
    )


def calendar_file(event: Event, links: Links, *, method: str = "PUBLISH") -> dict[str, str]:
    """The event's calendar file as a mail attachment; ``CANCEL`` marks the event cancelled."""
    cal = icalendar.Calendar.from_ical(feeds.calendar([event], links.base_url, event.title))
    if method != "PUBLISH":
        cal["method"] = method
        for vevent in cal.walk("VEVENT"):
            vevent["status"] = "CANCELLED"
    return {
        "filename": f"{event.slug}.ics",
        "content_type": f"text/calendar; method={method}",
        "data": cal.to_ical().decode("utf-8"),
    }


@dataclass(frozen=True)
class Notice:
    subject: str
    text: str
    html: str


def compose_notice(
    kind: str,
    event: Event,
    found: Sequence[Change],
    links: Links,
    registration: Registration | None,
    values: EventValues | None = None,
) -> Notice:
    """The change (``kind`` "event_changed") or cancel ("event_cancelled") notice, in the
    attendee's language; for a preview (``registration`` None) in the organiser's, showing
    ``values`` (the edit not yet saved) as the event's time and place."""
    locale = registration.locale if registration else current_language()
    now_values = values or EventValues.of(event)
    start, end = now_values.starts_at, now_values.ends_at
    venue = (
        SimpleNamespace(name=now_values.venue_name, address=now_values.venue_address)
        if now_values.venue_name
        else None
    )
    with force_locale(locale):
        rows = [
            {"label": field_label(c.field), "old": shown(c.field, c.old), "new": shown(c.field, c.new)}
            for c in found
            if c.notify
        ]
        title = clean_header_text(event.title, 200)
        subject = (
            _("Changed: %(title)s", title=title)
            if kind == "event_changed"
            else _("Cancelled: %(title)s", title=title)
        )
        cancel_url = links.cancel(registration) if registration and kind == "event_changed" else None
        text, html = render_pair(
            kind,
            event=event,
            rows=rows,
            # A preview shows a placeholder where each attendee's own name goes.
            registration=registration or SimpleNamespace(name=_("(the attendee's name)")),
            venue=venue,
            online=registration is not None and registration.attendance == Attendance.ONLINE,
            when=f"{day_name(start)}, {time_of(start)}–{time_of(end)}",
            event_url=links.event(event),
            cancel_url=cancel_url,
            watch_url=feeds.watch_url(event) or links.event(event),
            language=locale,
        )
    return Notice(subject=subject, text=text, html=html)


def _queue_notices(
    session: DbSession,
    kind: str,
    event: Event,
    found: Sequence[Change],
    links: Links,
    now: datetime,
    statuses: Sequence[RegistrationStatus],
) -> int:
    attachment = calendar_file(event, links, method="CANCEL" if kind == "event_cancelled" else "PUBLISH")
    queued = 0
    for registration in recipients(session, event, statuses):
        notice = compose_notice(kind, event, found, links, registration)
        queued += queue_message(
            session,
            kind,
            registration.email,
            notice.subject,
            notice.text,
            notice.html,
            (attachment,),
            f"{kind}:{registration.id}:{event.sequence}",
            registration_id=registration.id,
            now=now,
            expires_at=event.ends_at,  # news of a change is no use once the event is over
        )
    return queued


def _record(
    session: DbSession, event: Event, account: Account, now: datetime, found: Sequence[Change], notified: int
) -> EventChange:
    row = EventChange(
        event_id=event.id,
        account_id=account.id,
        account_email=account.email,
        changed_at=now,
        changes=[
            {"field": c.field, "old": shown(c.field, c.old), "new": shown(c.field, c.new)} for c in found
        ],
        notified=notified,
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class EditResult:
    changes: list[Change]
    notified: int
    promoted: int


def edit_event(
    session: DbSession,
    event: Event,
    values: EventValues,
    *,
    account: Account,
    now: datetime,
    links: Links,
    notify: bool,
) -> EditResult:
    """Apply ``values``; record the edit; tell attendees (``notify``) and fill raised capacity."""
    found = changes(EventValues.of(event), values)
    if not found:
        return EditResult([], 0, 0)
    _apply(session, event, values)
    if any(c.notify for c in found) and not any(c.field in ("time", "venue") for c in found):
        # The model raises SEQUENCE when what a calendar shows changes (see hub.models.programme);
        # attendance is not among that, but the attendees get a new calendar file all the same.
        event.sequence = (event.sequence or 0) + 1
    session.flush()
    notified = 0
    if notify and any(c.notify for c in found):
        notified = _queue_notices(session, "event_changed", event, found, links, now, NOTIFIED)
    promoted = 0
    if any(c.field == "capacity" for c in found):
        promoted = len(promote_waitlisted(session, event, now=now, links=links))
    _record(session, event, account, now, found, notified)
    session.flush()
    return EditResult(found, notified, promoted)


def cancel_event(session: DbSession, event: Event, *, account: Account, now: datetime, links: Links) -> int:
    """Mark the event cancelled and mail everyone signed up; returns how many were mailed."""
    if event.is_cancelled:
        return 0
    event.status = "cancelled"  # a calendar field: the model raises SEQUENCE
    session.flush()
    change = Change("status", _("scheduled"), _("cancelled"))
    notified = _queue_notices(session, "event_cancelled", event, [], links, now, TOLD_OF_CANCEL)
    _record(session, event, account, now, [change], notified)
    session.flush()
    return notified


def create_event(
    session: DbSession,
    values: EventValues,
    *,
    language: str,
    organisers: Sequence[Organiser],
    account: Account,
    now: datetime,
) -> Event:
    """A new event in the current festival (the one with the latest event), with a slug made
    from its title; its history starts with who added it."""
    festival = session.scalar(select(Festival).join(Event).order_by(Event.starts_at.desc()).limit(1))
    if festival is None:
        festival = session.scalar(select(Festival).order_by(Festival.id.desc()).limit(1))
    if festival is None:
        raise ValueError("no festival: import a programme first")
    taken = set(session.scalars(select(Event.slug)))
    base = slugify(values.title)[:180] or "event"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    event = Event(
        festival=festival,
        slug=slug,
        language=language,
        title=values.title,
        starts_at=values.starts_at,
        ends_at=values.ends_at,
        description="",
        attendance=[],
    )
    event.organisers = list(organisers)
    session.add(event)
    _apply(session, event, values)
    session.flush()
    _record(session, event, account, now, [Change("status", None, _("added"))], 0)
    session.flush()
    return event


def history(session: DbSession, event: Event) -> list[EventChange]:
    return list(
        session.scalars(
            select(EventChange)
            .where(EventChange.event_id == event.id)
            .order_by(EventChange.changed_at.desc(), EventChange.id.desc())
        )
    )
