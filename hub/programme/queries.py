"""The read side of the programme: filtered, day-at-a-time, with no N+1 queries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from hub.extensions import DbSession
from hub.models import Event, Festival, Organiser, Venue
from hub.text import fold
from hub.timeutil import local, local_day_bounds, parse_day

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Above this many matching events, the programme shows one day at a time.
ALL_DAYS_LIMIT = 120


@dataclass(frozen=True)
class ProgrammeFilter:
    day: date | None = None
    venue: str | None = None  # venue slug
    organiser: str | None = None  # organiser slug
    q: str = ""

    @property
    def active(self) -> bool:
        return bool(self.day or self.venue or self.organiser or self.q)

    @classmethod
    def from_args(cls, raw: dict[str, str]) -> tuple[ProgrammeFilter, list[str]]:
        """Parse query arguments; bad values are dropped and reported, never a 500."""
        # Control characters (NUL above all) are never part of a name or a search.
        args = {k: _CONTROL.sub("", v) for k, v in raw.items()}
        problems: list[str] = []
        day = None
        if args.get("day"):
            try:
                day = parse_day(args["day"])
            except ValueError:
                problems.append("day")
        return (
            cls(
                day=day,
                venue=args.get("venue") or None,
                organiser=args.get("organiser") or None,
                q=args.get("q", "").strip()[:200],
            ),
            problems,
        )


@dataclass
class DayGroup:
    day: date
    events: list[Event]


@dataclass
class Programme:
    days: list[DayGroup]
    all_days: list[date]
    total: int
    shown_day: date | None = None  # set when the programme is cut to one day
    venues: Sequence[Venue] = field(default_factory=list)
    organisers: Sequence[Organiser] = field(default_factory=list)


def _with_lists(stmt: Select[tuple[Event]]) -> Select[tuple[Event]]:
    return stmt.options(selectinload(Event.organisers), selectinload(Event.livestream))


def _filtered(filters: ProgrammeFilter) -> Select[tuple[Event]]:
    stmt = select(Event)
    if filters.venue:
        stmt = stmt.join(Event.venue).where(Venue.slug == filters.venue)
    if filters.organiser:
        stmt = stmt.where(Event.organisers.any(Organiser.slug == filters.organiser))
    for term in fold(filters.q).split()[:8]:
        stmt = stmt.where(Event.search_text.contains(term, autoescape=True))
    return stmt


def festival_days(session: DbSession) -> list[date]:
    first, last = session.execute(select(func.min(Event.starts_at), func.max(Event.starts_at))).one()
    if first is None:
        return []
    start, end = local(first).date(), local(last).date()
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def programme(session: DbSession, filters: ProgrammeFilter, today: date | None = None) -> Programme:
    """The events that match, grouped by local day; one day at a time when there are many."""
    days = festival_days(session)
    stmt = _filtered(filters)
    day = filters.day
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if day is None and total > ALL_DAYS_LIMIT and days:
        day = today if today in days else days[0]
    if day is not None:
        start, end = local_day_bounds(day)
        stmt = stmt.where(Event.starts_at >= start, Event.starts_at < end)
    events = session.scalars(_with_lists(stmt).order_by(Event.starts_at, Event.title)).unique().all()
    groups = [
        DayGroup(day=d, events=list(evs))
        for d, evs in groupby(events, key=lambda e: local(e.starts_at).date())
    ]
    return Programme(
        days=groups,
        all_days=days,
        total=total,
        shown_day=day,
        venues=session.scalars(select(Venue).order_by(Venue.name)).all(),
        organisers=session.scalars(select(Organiser).order_by(Organiser.name)).all(),
    )


def event_by_slug(session: DbSession, slug: str) -> Event | None:
    return session.scalar(
        select(Event)
        .where(Event.slug == slug)
        .options(selectinload(Event.organisers), selectinload(Event.agenda), selectinload(Event.livestream))
    )


def all_events(session: DbSession) -> Sequence[Event]:
    """Every event with what the feeds need, in start order."""
    return (
        session.scalars(
            _with_lists(select(Event))
            .options(selectinload(Event.agenda))
            .order_by(Event.starts_at, Event.title)
        )
        .unique()
        .all()
    )


def current_festival(session: DbSession) -> Festival | None:
    """The festival the hub publishes (the most recently imported one)."""
    return session.scalar(select(Festival).order_by(Festival.id.desc()).limit(1))
