"""Load or update a programme from the programme file shape (DESIGN.md).

Validation comes first and names the offending place (``events[2].starts_at: ...``); nothing
is written unless the whole file is valid. Events are matched by slug, so importing the same
file twice changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import selectinload

from hub.extensions import DbSession
from hub.models import (
    AgendaItem,
    Event,
    Festival,
    Livestream,
    Organiser,
    StreamStatus,
    Venue,
    event_organisers,
)
from hub.programme.schema import (
    AgendaEntry,
    EventEntry,
    LivestreamEntry,
    ProgrammeFile,
    ProgrammeFileError,
)
from hub.text import fold, slugify

__all__ = [
    "ImportReport",
    "ProgrammeFileError",
    "import_programme",
    "read_programme_file",
    "validate_programme",
]


@dataclass
class ImportReport:
    festival: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Existing events whose capacity the file changed: the caller fills their freed seats from
    # the waiting list (registration.service.promote_waitlisted) before it commits.
    capacity_changed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.festival}: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged"
        )


def read_programme_file(path: str | Path) -> dict[str, Any]:
    """Read and validate a programme file; raise ProgrammeFileError with a clear message."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProgrammeFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProgrammeFileError(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ProgrammeFileError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    validate_programme(data)
    return data  # type: ignore[no-any-return]


def validate_programme(data: Any) -> ProgrammeFile:
    """Parse the file's data into the typed shape, or raise ProgrammeFileError."""
    return ProgrammeFile.parse(data)


def import_programme(session: DbSession, data: dict[str, Any] | ProgrammeFile) -> ImportReport:
    """Create or update the festival and its events in bulk; flushes, the caller commits.

    A file is one festival (``festival.slug``): another slug makes another festival, and an
    event slug that already belongs to another festival is refused (event addresses are
    global). The writes are batched: a handful of statements for the whole file, not a
    flush per event.
    """
    programme = data if isinstance(data, ProgrammeFile) else validate_programme(data)
    fdata = programme.festival
    festival = session.scalar(select(Festival).where(Festival.slug == fdata.slug))
    if festival is None:
        festival = Festival(slug=fdata.slug, name=fdata.name)
        session.add(festival)
    _assign(
        festival,
        name=fdata.name,
        timezone=fdata.timezone,
        youtube_channel=fdata.youtube_channel,
        host=fdata.host,
        intro=fdata.intro,
        starts_on=fdata.starts_on,
        ends_on=fdata.ends_on,
    )
    report = ImportReport(festival=festival.name)
    slugs = [e.slug for e in programme.events]
    existing: dict[str, Event] = {}
    for chunk in _chunks(slugs):
        stmt = select(Event).where(Event.slug.in_(chunk))
        stmt = stmt.options(selectinload(Event.agenda), selectinload(Event.livestream))
        existing.update((e.slug, e) for e in session.scalars(stmt))
    for i, entry in enumerate(programme.events):
        other = existing.get(entry.slug)
        if other is not None and other.festival_id != festival.id:
            raise ProgrammeFileError(
                f"events[{i}].slug: {entry.slug!r} already belongs to the festival {other.festival.slug!r}; "
                "give this year's event its own slug"
            )
    venues = {v.name: v for v in session.scalars(select(Venue))}
    organisers = {o.name: o for o in session.scalars(select(Organiser))}
    _add_missing(session, venues, Venue, {e.venue.name for e in programme.events if e.venue})
    _add_missing(session, organisers, Organiser, {n for e in programme.events for n in e.organisers})
    for entry in programme.events:
        if entry.venue is not None:
            _assign(
                venues[entry.venue.name], address=entry.venue.address, description=entry.venue.description
            )
    current_organisers = _organiser_names(session, [e.id for e in existing.values()])
    relink: list[tuple[Event, tuple[str, ...]]] = []
    for entry in programme.events:
        event = existing.get(entry.slug)
        created = event is None
        if event is None:
            event = Event(slug=entry.slug, festival=festival, seats_taken=0)
            session.add(event)
        capacity_before = event.capacity
        changed = _apply_event(event, festival, entry, venues)
        if created or current_organisers.get(event.id, ()) != entry.organisers:
            relink.append((event, entry.organisers))
            changed = True
        changed |= _apply_livestream(event, entry.livestream)
        if not created and event.capacity != capacity_before:
            report.capacity_changed.append(event.slug)
        (report.created if created else report.updated if changed else report.unchanged).append(event.slug)
    session.flush()
    _link_organisers(session, relink, organisers)
    return report


def _chunks(items: list[Any], size: int = 500) -> list[list[Any]]:
    """Keep IN lists under every database's parameter limit."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def _add_missing(session: DbSession, known: dict[str, Any], model: Any, names: set[str]) -> None:
    taken = {obj.slug for obj in known.values()}
    for name in sorted(names - known.keys()):
        slug = _unique_slug(name, taken)
        taken.add(slug)
        known[name] = model(name=name, slug=slug)
        session.add(known[name])


def _organiser_names(session: DbSession, event_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Each event's organisers by name, in their published order (one query per 500 events)."""
    names: dict[int, list[str]] = {}
    for chunk in _chunks(event_ids):
        rows = session.execute(
            select(event_organisers.c.event_id, Organiser.name)
            .join(Organiser, Organiser.id == event_organisers.c.organiser_id)
            .where(event_organisers.c.event_id.in_(chunk))
            .order_by(event_organisers.c.event_id, event_organisers.c.position)
        )
        for event_id, name in rows:
            names.setdefault(event_id, []).append(name)
    return {key: tuple(value) for key, value in names.items()}


def _link_organisers(
    session: DbSession, relink: list[tuple[Event, tuple[str, ...]]], organisers: dict[str, Organiser]
) -> None:
    """Replace the organiser rows of the events that changed, in published order, in bulk."""
    if not relink:
        return
    for chunk in _chunks([event.id for event, _ in relink]):
        session.execute(delete(event_organisers).where(event_organisers.c.event_id.in_(chunk)))
    rows = [
        {"event_id": event.id, "organiser_id": organisers[name].id, "position": position}
        for event, names in relink
        for position, name in enumerate(dict.fromkeys(names))
    ]
    if rows:
        session.execute(insert(event_organisers), rows)
    for event, _ in relink:
        session.expire(event, ["organisers"])


def _assign(obj: Any, **values: Any) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _agenda_row(position: int, item: AgendaEntry) -> dict[str, Any]:
    return {
        "position": position,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "title": item.title,
        "note": item.note,
        "speakers": [s.to_json() for s in item.speakers],
        "speakers_label": item.speakers_label,
    }


def _apply_event(event: Event, festival: Festival, entry: EventEntry, venues: dict[str, Venue]) -> bool:
    venue = venues[entry.venue.name] if entry.venue else None
    agenda = [_agenda_row(i, item) for i, item in enumerate(entry.agenda)]
    search = [entry.title, entry.description, *entry.organisers, venue.name if venue else ""]
    search += [s.name for item in entry.agenda for s in item.speakers]
    search += [item.title for item in entry.agenda]
    changed = _assign(
        event,
        festival=festival,
        title=entry.title,
        language=entry.language,
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        venue=venue,
        description=entry.description,
        capacity=entry.capacity,
        attendance=list(entry.attendance),
        read_more_url=entry.read_more,
        livestream_url=entry.livestream_link,
        link_texts=entry.link_texts,
        recap=entry.recap,
        search_text=fold(" ".join(search)),
    )
    current = [
        {
            "position": a.position,
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
            "title": a.title,
            "note": a.note,
            "speakers": a.speakers,
            "speakers_label": a.speakers_label,
        }
        for a in (event.agenda if event.id is not None else [])
    ]
    if current != agenda:
        event.agenda = [AgendaItem(**item) for item in agenda]
        changed = True
    window = entry.registration
    if window is not None:  # absent: keep the window (an organiser may have changed it)
        changed |= _assign(
            event, registration_opens_at=window.opens_at, registration_closes_at=window.closes_at
        )
    return changed


def _apply_livestream(event: Event, ldata: LivestreamEntry) -> bool:
    """Link the file's video to the event; null leaves whatever a sync or an organiser linked.

    A video is pinned (a sync never re-links it) unless the file says ``"pinned": false``, as
    ``/programme.json`` does for links a sync found: re-importing an export changes nothing.
    """
    video_id, pinned = ldata.video_id, ldata.pinned
    if not video_id:
        return False
    stream = event.livestream
    if stream is not None and stream.video_id == video_id and (stream.pinned or not pinned):
        return False  # already linked: a sync keeps its status fresh
    if stream is None:
        event.livestream = stream = Livestream()
    stream.video_id = video_id
    stream.pinned = pinned
    stream.status = StreamStatus(ldata.status)
    return True


def _unique_slug(name: str, taken: set[str]) -> str:
    base = slugify(name)
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug
