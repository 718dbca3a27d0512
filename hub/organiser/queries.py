"""The read side of the organiser area: dashboard counts and an event's sign-up list.

The dashboard counts come from one aggregate query (GROUP BY event, status, attendance) for the
events on the page, plus one for the anonymous counts of erased sign-ups, so a day with
hundreds of events costs a handful of queries, not hundreds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby

from sqlalchemy import func, select

from hub.extensions import DbSession
from hub.models import (
    Account,
    Attendance,
    Event,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    SignupTally,
)
from hub.organiser.access import visible, visible_events
from hub.registration import service as registration_service
from hub.text import fold
from hub.timeutil import local, local_day_bounds

# Above this many visible events the dashboard shows one day at a time.
ALL_DAYS_LIMIT = 60

# Filters of the sign-up list: the statuses, plus two views of the confirmed for the door.
CHECKED_IN = "checked_in"
NOT_CHECKED_IN = "not_checked_in"
LIST_FILTERS = (
    RegistrationStatus.CONFIRMED.value,
    NOT_CHECKED_IN,
    CHECKED_IN,
    RegistrationStatus.WAITLISTED.value,
    RegistrationStatus.PENDING.value,
    RegistrationStatus.CANCELLED.value,
)


@dataclass
class Counts:
    """Sign-ups of one event by state."""

    confirmed_in_person: int = 0
    confirmed_online: int = 0
    waitlisted: int = 0
    pending: int = 0
    cancelled: int = 0
    checked_in: int = 0  # confirmed and checked in

    @property
    def confirmed(self) -> int:
        return self.confirmed_in_person + self.confirmed_online

    @property
    def total(self) -> int:
        return self.confirmed + self.waitlisted + self.pending + self.cancelled

    def add(self, other: Counts) -> None:
        self.confirmed_in_person += other.confirmed_in_person
        self.confirmed_online += other.confirmed_online
        self.waitlisted += other.waitlisted
        self.pending += other.pending
        self.cancelled += other.cancelled
        self.checked_in += other.checked_in


def counts_by_event(session: DbSession, event_ids: Iterable[int]) -> dict[int, Counts]:
    """Counts per event id, from one aggregate query; events without sign-ups get zeros."""
    ids = list(event_ids)
    result = {event_id: Counts() for event_id in ids}
    if not ids:
        return result
    rows = session.execute(
        select(
            Registration.event_id,
            Registration.status,
            Registration.attendance,
            func.count(Registration.id),
            func.count(Registration.checked_in_at),
        )
        .where(Registration.event_id.in_(ids))
        .group_by(Registration.event_id, Registration.status, Registration.attendance)
    )
    for event_id, status, attendance, number, checked_in in rows:
        counts = result[event_id]
        if status == RegistrationStatus.CONFIRMED:
            if attendance == Attendance.ONLINE:
                counts.confirmed_online += number
            else:
                counts.confirmed_in_person += number
            counts.checked_in += checked_in
        elif status == RegistrationStatus.WAITLISTED:
            counts.waitlisted += number
        elif status == RegistrationStatus.PENDING:
            counts.pending += number
        elif status == RegistrationStatus.CANCELLED:
            counts.cancelled += number
    # Sign-ups erased by the purge or on request stay as anonymous counts.
    for tally in session.scalars(select(SignupTally).where(SignupTally.event_id.in_(ids))):
        result[tally.event_id].add(
            Counts(
                confirmed_in_person=tally.confirmed_in_person,
                confirmed_online=tally.confirmed_online,
                waitlisted=tally.waitlisted,
                pending=tally.pending,
                cancelled=tally.cancelled,
                checked_in=tally.checked_in,
            )
        )
    return result


@dataclass
class DashboardRow:
    event: Event
    counts: Counts


@dataclass
class DashboardDay:
    day: date
    rows: list[DashboardRow]


@dataclass
class Dashboard:
    days: list[DashboardDay]
    all_days: list[date]
    total: int  # visible events, all days
    shown_day: date | None = None  # set when one day is shown
    totals: Counts = field(default_factory=Counts)  # over the events shown

    @property
    def can_show_all(self) -> bool:
        return self.total <= ALL_DAYS_LIMIT


def dashboard(session: DbSession, account: Account, day: date | None, today: date) -> Dashboard:
    """The account's events grouped by local day, each with its counts.

    With more than ALL_DAYS_LIMIT events, one day is shown: ``day``, else today when the
    festival is on, else the first day.
    """
    starts = session.scalars(select(Event.starts_at).where(visible(account))).all()
    all_days = sorted({local(start).date() for start in starts})
    total = len(starts)
    if day is None and total > ALL_DAYS_LIMIT and all_days:
        day = today if today in all_days else all_days[0]
    stmt = visible_events(account)
    if day is not None:
        start, end = local_day_bounds(day)
        stmt = stmt.where(Event.starts_at >= start, Event.starts_at < end)
    events = session.scalars(stmt.order_by(Event.starts_at, Event.title)).unique().all()
    counts = counts_by_event(session, (event.id for event in events))
    totals = Counts()
    for item in counts.values():
        totals.add(item)
    days = [
        DashboardDay(day=d, rows=[DashboardRow(event, counts[event.id]) for event in group])
        for d, group in groupby(events, key=lambda e: local(e.starts_at).date())
    ]
    return Dashboard(days=days, all_days=all_days, total=total, shown_day=day, totals=totals)


def waitlist(session: DbSession, event: Event) -> list[Registration]:
    """The waitlisted sign-ups in line order: the registration service's one order."""
    return registration_service.waitlist(session, event)


def waitlist_positions(session: DbSession, event: Event) -> dict[int, int]:
    """Registration id -> place on the waiting list (1 is next in line)."""
    return {r.id: position for position, r in enumerate(waitlist(session, event), start=1)}


def event_registrations(session: DbSession, event: Event) -> Sequence[Registration]:
    """Every sign-up of an event, in sign-up order."""
    return session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .order_by(Registration.created_at, Registration.id)
    ).all()


@dataclass(frozen=True)
class MailFailure:
    """A sign-up's last mail, which the mail server refused for good (or that ran out of tries)."""

    kind: str
    failed_at: datetime
    reason: str


def failed_mail(session: DbSession, event: Event) -> dict[int, MailFailure]:
    """Registration id -> its last mail's failure, for sign-ups whose last mail failed.

    Two queries whatever the list's length: the organiser can phone those people instead.
    """
    last = (
        select(func.max(OutboxMessage.id))
        .join(Registration, Registration.id == OutboxMessage.registration_id)
        .where(Registration.event_id == event.id)
        .group_by(OutboxMessage.registration_id)
    )
    rows = session.execute(
        select(
            OutboxMessage.registration_id,
            OutboxMessage.kind,
            OutboxMessage.failed_at,
            OutboxMessage.last_error,
        ).where(OutboxMessage.id.in_(last.scalar_subquery()), OutboxMessage.failed_at.is_not(None))
    )
    return {
        registration_id: MailFailure(kind, failed_at, last_error or "")
        for registration_id, kind, failed_at, last_error in rows
        if registration_id is not None and failed_at is not None
    }


def matches(registration: Registration, status: str | None, q: str) -> bool:
    """Whether a sign-up passes the list's filter (``status``) and search (``q``)."""
    if status == CHECKED_IN:
        if registration.status != RegistrationStatus.CONFIRMED or registration.checked_in_at is None:
            return False
    elif status == NOT_CHECKED_IN:
        if registration.status != RegistrationStatus.CONFIRMED or registration.checked_in_at is not None:
            return False
    elif status and registration.status != status:
        return False
    haystack = fold(f"{registration.name} {registration.email}")
    return all(term in haystack for term in fold(q).split())


def filter_registrations(
    registrations: Iterable[Registration], status: str | None, q: str
) -> list[Registration]:
    """The sign-ups that match, by name (case-insensitive, æøå included)."""
    found = [r for r in registrations if matches(r, status, q)]
    return sorted(found, key=lambda r: (fold(r.name), r.email))
