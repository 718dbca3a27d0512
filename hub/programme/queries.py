"""The read side of the programme: filtered, day-at-a-time, with no N+1 queries."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from hub.extensions import DbSession
from hub.models import Event, Festival, Organiser, Venue
from hub.programme.schema import SLUG
from hub.text import fold
from hub.timeutil import as_utc, local, local_day_bounds, parse_day

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Above this many matching events, the programme shows one day at a time.
ALL_DAYS_LIMIT = 120


LANGUAGE_CHOICES = ("nb", "en")
VIEWS = ("list", "compact", "grid")


@dataclass(frozen=True)
class ProgrammeFilter:
    day: date | None = None
    venue: str | None = None  # venue slug or name
    organiser: str | None = None  # organiser slug or name
    q: str = ""
    language: str | None = None  # "nb" or "en"
    streamed: bool = False  # only events that can be followed online
    free: bool = False  # only events with seats free (or no limit)
    events: tuple[str, ...] = ()  # "my programme": these slugs only

    @property
    def active(self) -> bool:
        return bool(self.day or self.narrows)

    @property
    def narrows(self) -> bool:
        """Whether anything but the day narrows the programme (then all days are searched)."""
        return bool(self.venue or self.organiser or self.q or self.language or self.streamed or self.free)

    def args(self, **changes: Any) -> dict[str, str]:
        """The query arguments of these filters (for links), with some changed or dropped."""
        values: dict[str, Any] = {
            "day": self.day.isoformat() if self.day else None,
            "venue": self.venue,
            "organiser": self.organiser,
            "q": self.q or None,
            "language": self.language,
            "streamed": "1" if self.streamed else None,
            "free": "1" if self.free else None,
            "events": ",".join(self.events) or None,
        }
        values.update(changes)
        return {key: str(value) for key, value in values.items() if value}

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
                # The datalist picker sends the name it shows; the select sends the slug.
                venue=(args.get("venue") or args.get("venue_select") or "").strip()[:200] or None,
                organiser=(args.get("organiser") or args.get("organiser_select") or "").strip()[:200] or None,
                q=args.get("q", "").strip()[:200],
                language=args.get("language") if args.get("language") in LANGUAGE_CHOICES else None,
                streamed=args.get("streamed") in ("1", "on", "yes"),
                free=args.get("free") in ("1", "on", "yes"),
                events=parse_slugs(args.get("events", "")),
            ),
            problems,
        )


def parse_slugs(text: str, limit: int = 200) -> tuple[str, ...]:
    """``a,b,c`` from a "my programme" link: event slugs, de-duplicated, at most ``limit``."""
    slugs = [s.strip() for s in text.split(",")]
    return tuple(dict.fromkeys(s for s in slugs if SLUG.match(s) and len(s) <= 200))[:limit]


@dataclass
class DayGroup:
    day: date
    events: list[Event]

    @property
    def hours(self) -> list[int]:
        """The local hours in which events of this day start (for "jump to a time")."""
        return sorted({local(e.starts_at).hour for e in self.events})


@dataclass
class DayCount:
    day: date
    count: int  # events matching the filters that day


@dataclass
class Programme:
    days: list[DayGroup]
    all_days: list[DayCount]
    total: int
    shown_day: date | None = None  # set when the programme is cut to one day
    venues: Sequence[Venue] = field(default_factory=list)
    organisers: Sequence[Organiser] = field(default_factory=list)


def _with_lists(stmt: Select[tuple[Event]]) -> Select[tuple[Event]]:
    return stmt.options(selectinload(Event.organisers), selectinload(Event.livestream))


def _named(model: Any, value: str) -> Any:
    return (model.slug == value) | (func.lower(model.name) == value.lower())


def _filtered(festival: Festival, filters: ProgrammeFilter) -> Select[tuple[Event]]:
    stmt = select(Event).where(Event.festival_id == festival.id)
    if filters.venue:
        stmt = stmt.where(Event.venue_id.in_(select(Venue.id).where(_named(Venue, filters.venue))))
    if filters.organiser:
        stmt = stmt.where(Event.organisers.any(_named(Organiser, filters.organiser)))
    if filters.language:
        stmt = stmt.where(Event.language == filters.language)
    if filters.streamed:
        stmt = stmt.where(cast(Event.attendance, String).contains("online"))
    if filters.free:
        stmt = stmt.where(or_(Event.capacity.is_(None), Event.seats_taken < Event.capacity))
    if filters.events:
        stmt = stmt.where(Event.slug.in_(filters.events))
    for term in fold(filters.q).split()[:8]:
        stmt = stmt.where(Event.search_text.contains(term, autoescape=True))
    return stmt


def _count_by_day(session: DbSession, stmt: Select[tuple[Event]]) -> dict[date, int]:
    starts = session.scalars(stmt.with_only_columns(Event.starts_at).order_by(None))
    return Counter(local(s).date() for s in starts)


def festival_days(session: DbSession, festival: Festival) -> list[date]:
    """The days on which the festival has events (never the empty days between two far-off ones)."""
    return sorted(_count_by_day(session, select(Event).where(Event.festival_id == festival.id)))


def programme(
    session: DbSession, festival: Festival, filters: ProgrammeFilter, today: date | None = None
) -> Programme:
    """The festival's events that match, grouped by local day.

    Without a search or filter, a large programme shows one day at a time (today while the
    festival runs). A search or filter covers every day, grouped by day, with a count per day.
    """
    stmt = _filtered(festival, filters)
    counts = _count_by_day(session, stmt)
    days = festival_days(session, festival) if filters.narrows or filters.events else sorted(counts)
    total = sum(counts.values())
    day = filters.day
    if day is None and not filters.narrows and not filters.events and total > ALL_DAYS_LIMIT and days:
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
        all_days=[DayCount(day=d, count=counts.get(d, 0)) for d in days],
        total=total,
        shown_day=day,
        venues=session.scalars(
            select(Venue)
            .where(Venue.id.in_(select(Event.venue_id).where(Event.festival_id == festival.id)))
            .order_by(Venue.name)
        ).all(),
        organisers=session.scalars(
            select(Organiser)
            .where(Organiser.events.any(Event.festival_id == festival.id))
            .order_by(Organiser.name)
        ).all(),
    )


def event_by_slug(session: DbSession, slug: str) -> Event | None:
    return session.scalar(
        select(Event)
        .where(Event.slug == slug)
        .options(
            selectinload(Event.organisers),
            selectinload(Event.agenda),
            selectinload(Event.livestream),
            joinedload(Event.festival),
        )
    )


def all_events(
    session: DbSession, festival: Festival | None, slugs: Sequence[str] | None = None
) -> Sequence[Event]:
    """Every event of the festival (or the chosen ones) with what the feeds need, in start order."""
    stmt = _with_lists(select(Event)).options(selectinload(Event.agenda), joinedload(Event.festival))
    if slugs is not None:
        stmt = stmt.where(Event.slug.in_(slugs))
    elif festival is not None:
        stmt = stmt.where(Event.festival_id == festival.id)
    else:
        return []
    return session.scalars(stmt.order_by(Event.starts_at, Event.title)).unique().all()


@dataclass(frozen=True)
class FestivalSpan:
    """A festival with its first and last day (its dates when given, else its events')."""

    festival: Festival
    first: date | None
    last: date | None
    events: int


def festivals(session: DbSession) -> list[FestivalSpan]:
    """Every festival, the one that ends last first."""
    rows = session.execute(
        select(Festival, func.min(Event.starts_at), func.max(Event.starts_at), func.count(Event.id))
        .outerjoin(Event, Event.festival_id == Festival.id)
        .group_by(Festival.id)
    ).all()
    spans = [
        FestivalSpan(
            festival=f,
            first=f.starts_on or (local(first).date() if first else None),
            last=f.ends_on or (local(last).date() if last else None),
            events=count,
        )
        for f, first, last, count in rows
    ]
    return sorted(spans, key=lambda s: (s.last or date.min, s.first or date.min, s.festival.id), reverse=True)


def current_festival(
    session: DbSession, today: date, spans: list[FestivalSpan] | None = None
) -> Festival | None:
    """The festival running today, else the next one, else the latest."""
    spans = [s for s in (spans if spans is not None else festivals(session)) if s.first and s.last]
    running = [s for s in spans if s.first <= today <= s.last]  # type: ignore[operator]
    upcoming = sorted((s for s in spans if s.first > today), key=lambda s: s.first)  # type: ignore[operator,arg-type,return-value]
    chosen = running or upcoming or spans
    if chosen:
        return chosen[0].festival
    return session.scalar(select(Festival).order_by(Festival.id.desc()).limit(1))


def festival_by_slug(session: DbSession, slug: str) -> Festival | None:
    return session.scalar(select(Festival).where(Festival.slug == slug))


SLOT_MINUTES = 15
GRID_MAX_COLUMNS = 200  # static/css/grid.css has placement classes up to here
GRID_MAX_ROWS = 24 * 60 // SLOT_MINUTES


@dataclass(frozen=True)
class GridCell:
    event: Event
    column: int  # CSS grid column (1 is the time column)
    row: int  # CSS grid row (1 is the venue row)
    span: int  # rows (quarter-hours)


@dataclass(frozen=True)
class Grid:
    """One day laid out by venue (columns) and time (rows of a quarter-hour), as in pretalx."""

    venues: list[str]
    times: list[tuple[int, str]]  # (row, "HH:MM") on the full hours
    cells: list[GridCell]
    rows: int


def day_grid(group: DayGroup) -> Grid:
    venues = sorted({e.venue.name if e.venue else "—" for e in group.events})[: GRID_MAX_COLUMNS - 1]
    column = {name: i + 2 for i, name in enumerate(venues)}
    starts = [local(e.starts_at) for e in group.events]
    first_hour = min(s.hour for s in starts) if starts else 8

    def slot(moment: datetime) -> int:
        minutes = (moment.date() - group.day).days * 24 * 60 + moment.hour * 60 + moment.minute
        return max(0, (minutes - first_hour * 60) // SLOT_MINUTES)

    cells: list[GridCell] = []
    for event, start in zip(group.events, starts, strict=True):
        name = event.venue.name if event.venue else "—"
        if name not in column:
            continue
        row = min(slot(start), GRID_MAX_ROWS - 1)
        end = min(max(row + 1, slot(local(event.ends_at))), GRID_MAX_ROWS)
        cells.append(GridCell(event=event, column=column[name], row=row + 2, span=max(1, end - row)))
    rows = max((c.row + c.span for c in cells), default=2)
    times = [(2 + h * 60 // SLOT_MINUTES, f"{first_hour + h:02d}:00") for h in range(0, (rows - 2) // 4 + 1)]
    return Grid(venues=venues, times=[t for t in times if t[0] < rows], cells=cells, rows=rows)


@dataclass(frozen=True)
class NowNext:
    now: list[Event]
    next_at: datetime | None
    next: list[Event]


def now_and_next(events: Sequence[Event], moment: datetime) -> NowNext:
    """What is on at ``moment`` and what starts next (for a day that is today)."""
    running = [e for e in events if as_utc(e.starts_at) <= moment < as_utc(e.ends_at)]
    later = [as_utc(e.starts_at) for e in events if as_utc(e.starts_at) > moment]
    next_at = min(later) if later else None
    upcoming = [e for e in events if next_at is not None and as_utc(e.starts_at) == next_at]
    return NowNext(now=running, next_at=next_at, next=upcoming)
