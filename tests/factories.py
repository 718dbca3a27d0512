"""Small factories for registration and mail tests: an event with a given capacity and modes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

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
