"""Small factories for registration and mail tests: an event with a given capacity and modes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from hub.extensions import db
from hub.models import Event, Festival, Venue
from hub.timeutil import utcnow


def make_event(
    slug: str = "test-event",
    *,
    title: str = "Test event",
    capacity: int | None = None,
    attendance: Sequence[str] = ("in_person", "online"),
    starts_at: datetime | None = None,
    duration: timedelta = timedelta(hours=1),
    language: str = "en",
    livestream_url: str | None = "https://www.youtube.com/watch?v=abcdefghijk",
) -> Event:
    """An event in the test festival, committed; starts in ten days unless told otherwise."""
    festival = db.session.scalar(select(Festival).where(Festival.slug == "test-festival"))
    if festival is None:
        festival = Festival(slug="test-festival", name="Test festival")
        db.session.add(festival)
    venue = db.session.scalar(select(Venue).where(Venue.slug == "test-hall"))
    if venue is None:
        venue = Venue(slug="test-hall", name="Test hall", address="Teaterplassen 2, 4836 Arendal")
        db.session.add(venue)
    starts = starts_at or (utcnow() + timedelta(days=10)).replace(microsecond=0)
    event = Event(
        festival=festival,
        slug=slug,
        title=title,
        language=language,
        starts_at=starts,
        ends_at=starts + duration,
        venue=venue,
        description="A test event.",
        capacity=capacity,
        attendance=list(attendance),
        livestream_url=livestream_url,
    )
    db.session.add(event)
    db.session.commit()
    return event


def open_shipped_programme(days_ahead: int = 30) -> None:
    """Move the loaded Arendalsuka 2023 programme to ``days_ahead`` days from now, so that its
    sign-up is open (in 2023 it is over, and takes no sign-ups)."""
    shift = (utcnow() + timedelta(days=days_ahead)).replace(microsecond=0) - datetime(2023, 8, 15, tzinfo=UTC)
    for event in db.session.scalars(select(Event)):
        event.starts_at, event.ends_at = event.starts_at + shift, event.ends_at + shift
    db.session.commit()
