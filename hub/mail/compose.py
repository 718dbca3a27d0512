"""Composing mails: HTML and plain text from templates/email/, in the attendee's language.

Every link is absolute, built from ``BASE_URL``. A subject holds only fixed text and the
event's title (one line); attendee input only ever appears in bodies, escaped in HTML.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote_plus

from flask import Flask, current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from hub.extensions import DbSession
from hub.i18n import day_name, time_of
from hub.mail.outbox import clean_header_text, queue_message
from hub.models import Attendance, Event, Registration, Venue
from hub.programme import feeds
from hub.tickets import TICKET_CID, ticket_attachment
from hub.timeutil import local, utcnow
from hub.tokens import Purpose, make_token


class MailKind(enum.StrEnum):
    CONFIRM = "confirm"  # confirm your address (double opt-in)
    CONFIRMED = "confirmed"  # you have a place
    WAITLISTED = "waitlisted"  # you are on the waiting list
    PROMOTED = "promoted"  # a place opened up: you have it
    CANCELLED = "cancelled"  # your sign-up is cancelled
    REMINDER = "reminder"  # the event starts soon
    LIVE = "live"  # the broadcast has started (online attendees)
    RECORDING = "recording"  # the recording is ready (online, and in person when asked for)


# Mails for attendees with a place carry the event as an .ics attachment.
WITH_CALENDAR = frozenset({MailKind.CONFIRMED, MailKind.PROMOTED, MailKind.REMINDER})
# ... and, for those who come in person, their QR ticket for the door.
WITH_TICKET = WITH_CALENDAR


@dataclass(frozen=True)
class Links:
    """Absolute links for mails: BASE_URL + the app's routes, with signed tokens."""

    base_url: str
    secret_key: str
    confirm_max_age: int = 7 * 24 * 3600  # seconds a confirm link works (CONFIRM_TOKEN_MAX_AGE)

    @classmethod
    def from_app(cls, app: Flask | None = None) -> Links:
        config = (app or current_app).config
        return cls(
            base_url=str(config["BASE_URL"]).rstrip("/"),
            secret_key=str(config["SECRET_KEY"]),
            confirm_max_age=int(config["CONFIRM_TOKEN_MAX_AGE"]),
        )

    def url(self, endpoint: str, **values: Any) -> str:
        adapter = current_app.url_map.bind("localhost")
        return self.base_url + str(adapter.build(endpoint, values))

    def token(self, purpose: Purpose, registration: Registration) -> str:
        return make_token(self.secret_key, purpose, registration)

    def confirm(self, registration: Registration) -> str:
        return self.url("registration.confirm", token=self.token(Purpose.CONFIRM, registration))

    def cancel(self, registration: Registration) -> str:
        return self.url("registration.cancel", token=self.token(Purpose.CANCEL, registration))

    def me(self, registration: Registration) -> str:
        """ "My sign-ups" of the registration's address (every mail to an attendee links it)."""
        return self.url("registration.me_page", token=self.token(Purpose.ME, registration))

    def watch(self, registration: Registration) -> str:
        """The personal watch link: live broadcast, recording, or the event page (/watch/<token>)."""
        return self.url("livestream.watch", token=self.token(Purpose.WATCH, registration))

    def checkin(self, registration: Registration) -> str:
        """The QR ticket's target: the attendee in the organiser area (login and scope apply)."""
        return self.url("organiser.checkin", token=self.token(Purpose.CHECKIN, registration))

    def event(self, event: Event) -> str:
        return self.url("programme.event", slug=event.slug)

    def me_request(self) -> str:
        return self.url("registration.me")


@dataclass(frozen=True)
class Moment:
    """An agenda item with a time, and the recording at that moment."""

    starts_at: datetime
    title: str
    url: str


def recording_moments(event: Event) -> list[Moment]:
    """The agenda's timestamps as links into the recording (items without a time are left out)."""
    stream = event.livestream
    moments = []
    for item in event.agenda:
        url = stream.recording_url_at(item.starts_at) if stream is not None else None
        if url is not None and item.starts_at is not None:
            moments.append(Moment(item.starts_at, item.title, url))
    return moments


@dataclass(frozen=True)
class ComposedMail:
    subject: str
    text: str
    html: str
    attachments: tuple[dict[str, str], ...]
    action_url: str | None


def render_pair(name: str, **context: Any) -> tuple[str, str]:
    """templates/email/<name>.txt and .html, rendered with the same context."""
    return render_template(f"email/{name}.txt", **context), render_template(f"email/{name}.html", **context)


def starts_when(starts: datetime, now: datetime) -> str:
    """When an event starts, seen from ``now``: "in an hour", "tomorrow at 10:00", …

    The 24-hour reminder reads "tomorrow at HH:MM" and the 1-hour one "in an hour"; a
    reminder queued late says what is true when it is written.
    """
    left = starts - now
    if left <= timedelta(minutes=75):
        minutes = max(round(left.total_seconds() / 60), 1)
        if minutes >= 45:
            return str(_("in an hour"))
        return str(ngettext("in %(num)d minute", "in %(num)d minutes", minutes))
    days = (local(starts).date() - local(now).date()).days
    if days == 0:
        return str(_("today at %(time)s", time=time_of(starts)))
    if days == 1:
        return str(_("tomorrow at %(time)s", time=time_of(starts)))
    return str(_("on %(day)s at %(time)s", day=day_name(starts), time=time_of(starts)))


def map_url(venue: Venue | None) -> str | None:
    """An OpenStreetMap search for the venue and its address."""
    if venue is None:
        return None
    place = ", ".join(part for part in (venue.name, venue.address) if part)
    return "https://www.openstreetmap.org/search?query=" + quote_plus(place)


def mail_expiry(kind: MailKind, registration: Registration, links: Links, now: datetime) -> datetime | None:
    """When a registration mail stops being worth sending (None: never).

    A reminder expires when its event starts; a confirm mail when its link does.
    """
    if kind == MailKind.REMINDER:
        return registration.event.starts_at
    if kind == MailKind.CONFIRM:
        return now + timedelta(seconds=links.confirm_max_age)
    return None


def _subject(kind: MailKind, event: Event, now: datetime) -> str:
    title = clean_header_text(event.title, 200)
    subjects: dict[MailKind, str] = {
        MailKind.CONFIRM: _("Please confirm your sign-up: %(title)s", title=title),
        MailKind.CONFIRMED: _("You are signed up: %(title)s", title=title),
        MailKind.WAITLISTED: _("You are on the waiting list: %(title)s", title=title),
        MailKind.PROMOTED: _("A place opened up, and it is yours: %(title)s", title=title),
        MailKind.CANCELLED: _("Sign-up cancelled: %(title)s", title=title),
        MailKind.LIVE: _("We are live: %(title)s", title=title),
        MailKind.RECORDING: _("The recording is ready: %(title)s", title=title),
        MailKind.REMINDER: _(
            "Reminder: %(title)s starts %(when)s", title=title, when=starts_when(event.starts_at, now)
        ),
    }
    return subjects[kind]


def _calendar_attachment(registration: Registration, links: Links) -> dict[str, str]:
    """The event as this attendee takes part: the watch link online, the venue in person."""
    event = registration.event
    online = registration.attendance == Attendance.ONLINE
    watch = links.watch(registration) if online else None
    body = feeds.calendar([event], links.base_url, event.title, watch_link=watch)
    return {
        "filename": f"{event.slug}.ics",
        "content_type": "text/calendar",
        "data": body.decode("utf-8"),
    }


def registration_mail(
    kind: MailKind,
    registration: Registration,
    links: Links,
    *,
    offset: timedelta | None = None,
    now: datetime | None = None,
) -> ComposedMail:
    """One of the registration mails, in the language the attendee used to sign up.

    ``now`` is when it is written (a reminder says "tomorrow" or "in an hour" from there).
    """
    event = registration.event
    now = now or utcnow()
    online = registration.attendance == Attendance.ONLINE
    confirm_url = links.confirm(registration) if kind == MailKind.CONFIRM else None
    cancel_url = links.cancel(registration) if kind != MailKind.CANCELLED else None
    event_url = links.event(event)
    # A cancelled sign-up's watch link no longer works: that mail points to the event page.
    watch_url = (
        links.watch(registration) if kind != MailKind.CANCELLED else feeds.watch_url(event) or event_url
    )
    ticket_url = links.checkin(registration) if kind in WITH_TICKET and not online else None
    with force_locale(registration.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        context: dict[str, Any] = {
            "kind": kind.value,
            "registration": registration,
            "event": event,
            "online": online,
            "venue": event.venue,
            "watch_url": watch_url,
            "moments": recording_moments(event) if kind == MailKind.RECORDING else [],
            "event_url": event_url,
            "confirm_url": confirm_url,
            "cancel_url": cancel_url,
            "me_url": links.me(registration),
            "offset": offset,
            "starts_when": starts_when(event.starts_at, now),
            "map_url": map_url(event.venue),
            "when": f"{day_name(event.starts_at)}, {time_of(event.starts_at)}–{time_of(event.ends_at)}",
            "language": registration.locale,
            "ticket_cid": TICKET_CID if ticket_url else None,
        }
        text, html = render_pair(kind.value, **context)
        subject = _subject(kind, event, now)
    attachments: tuple[dict[str, str], ...] = (
        (_calendar_attachment(registration, links),) if kind in WITH_CALENDAR else ()
    )
    if ticket_url:
        attachments += (ticket_attachment(ticket_url),)
    return ComposedMail(
        subject=subject,
        text=text,
        html=html,
        attachments=attachments,
        action_url=confirm_url or cancel_url,
    )


# The moment of the change each mail announces. A mail queued at that very moment announces
# the change; queued at any other moment it only repeats where the sign-up stands (the same
# address signed up again): a resend.
def registration_mail_key(kind: MailKind, registration: Registration, now: datetime, *, resend: bool) -> str:
    """The dedupe key of a registration mail queued at ``now``.

    A change is announced once: the key holds the moment. A resend (the same address signing
    up again) gets one key per generation of the sign-up and hour, so anyone typing someone
    else's address into a form makes the hub send that address at most one resend of a kind
    per registration per hour, however often. The confirm mail of a new sign-up is keyed like
    a resend: identical sign-ups at the same moment (one inserts, the others repeat) make one.
    """
    if resend or kind == MailKind.CONFIRM:
        hour = f"{now.astimezone(UTC):%Y%m%d%H}"
        return f"{kind.value}:{registration.id}:{registration.generation or 0}:resend:{hour}"
    return f"{kind.value}:{registration.id}:{now.isoformat()}"


def queue_registration_mail(
    session: DbSession,
    kind: MailKind,
    registration: Registration,
    links: Links,
    now: datetime,
    *,
    dedupe_key: str | None = None,
    offset: timedelta | None = None,
    resend: bool = False,
    expires_at: datetime | None = None,
) -> bool:
    """Compose one registration mail and queue it in the caller's transaction.

    Without ``dedupe_key`` the key is :func:`registration_mail_key`: one mail per state change,
    and (``resend=True``) at most one resend of a kind per registration per hour.
    Without ``expires_at`` the mail expires as :func:`mail_expiry` says.
    Returns whether a mail was queued.
    """
    composed = registration_mail(kind, registration, links, offset=offset, now=now)
    return queue_message(
        session,
        kind.value,
        registration.email,
        composed.subject,
        composed.text,
        composed.html,
        composed.attachments,
        dedupe_key or registration_mail_key(kind, registration, now, resend=resend),
        action_url=composed.action_url,
        registration_id=registration.id,
        now=now,
        expires_at=expires_at or mail_expiry(kind, registration, links, now),
    )
