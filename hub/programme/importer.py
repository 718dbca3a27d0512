"""Load or update a programme from the programme file shape (DESIGN.md).

Validation comes first and names the offending place (``events[2].starts_at: ...``); nothing
is written unless the whole file is valid. Events are matched by slug, so importing the same
file twice changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hub.extensions import DbSession
from hub.livestream.urls import parse_video_id
from hub.models import AgendaItem, Event, Festival, Livestream, Organiser, StreamStatus, Venue
from hub.text import fold, slugify
from hub.timeutil import parse_iso

LANGUAGES = ("nb", "en")
ATTENDANCE = ("in_person", "online")
STREAM_STATUSES = tuple(s.value for s in StreamStatus)


SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SLUG_RULE = "must be lower-case letters, digits and hyphens (it becomes part of the address)"
URL = re.compile(r"^https?://[^\s]+$")


class ProgrammeFileError(ValueError):
    """The file is not a programme: the message says where and why."""


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


def _require(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise ProgrammeFileError(f"{where}: {message}")


def _text(obj: dict[str, Any], key: str, where: str, *, optional: bool = False, column: Any = None) -> None:
    """A non-empty string (or null, when optional) that fits its database column."""
    value = obj.get(key)
    if optional and value is None:
        return
    _require(isinstance(value, str) and value.strip() != "", f"{where}.{key}", "must be a non-empty string")
    limit = getattr(getattr(column, "type", None), "length", None)
    if limit is not None and isinstance(value, str):
        _require(len(value) <= limit, f"{where}.{key}", f"must have at most {limit} characters")


def _url(obj: dict[str, Any], key: str, where: str) -> None:
    value = obj.get(key)
    _require(
        value is None or (isinstance(value, str) and URL.match(value) is not None and len(value) <= 500),
        f"{where}.{key}",
        "must be an http(s) address or null",
    )


def _time(obj: dict[str, Any], key: str, where: str, *, optional: bool = False) -> datetime | None:
    value = obj.get(key)
    if optional and value is None:
        return None
    if not isinstance(value, str):
        raise ProgrammeFileError(f"{where}.{key}: must be an ISO 8601 time with offset")
    try:
        return parse_iso(value)
    except ValueError:
        raise ProgrammeFileError(
            f"{where}.{key}: {value!r} is not an ISO 8601 time with offset, e.g. 2023-08-15T08:00:00+02:00"
        ) from None


def validate_programme(data: Any) -> None:
    _require(isinstance(data, dict), "file", 'must be a JSON object with "festival" and "events"')
    festival = data.get("festival")
    _require(isinstance(festival, dict), "festival", "must be an object")
    _text(festival, "slug", "festival", column=Festival.slug)
    _require(SLUG.match(festival["slug"]) is not None, "festival.slug", SLUG_RULE)
    _text(festival, "name", "festival", column=Festival.name)
    _text(festival, "youtube_channel", "festival", optional=True, column=Festival.youtube_channel)
    _text(festival, "host", "festival", optional=True, column=Festival.host)
    events = data.get("events")
    _require(isinstance(events, list), "events", "must be a list")
    seen: set[str] = set()
    for i, event in enumerate(events):
        where = f"events[{i}]"
        _require(isinstance(event, dict), where, "must be an object")
        _text(event, "slug", where, column=Event.slug)
        _require(SLUG.match(event["slug"]) is not None, f"{where}.slug", SLUG_RULE)
        _require(event["slug"] not in seen, f"{where}.slug", f"{event['slug']!r} appears twice")
        seen.add(event["slug"])
        _text(event, "title", where, column=Event.title)
        _require(event.get("language") in LANGUAGES, f"{where}.language", "must be 'nb' or 'en'")
        starts, ends = _time(event, "starts_at", where), _time(event, "ends_at", where)
        _require(bool(starts and ends and ends > starts), f"{where}.ends_at", "must be after starts_at")
        venue = event.get("venue")
        _require(venue is None or isinstance(venue, dict), f"{where}.venue", "must be an object")
        if venue is not None:
            _text(venue, "name", f"{where}.venue", column=Venue.name)
            _text(venue, "address", f"{where}.venue", optional=True, column=Venue.address)
        organisers = event.get("organisers", [])
        _require(
            isinstance(organisers, list)
            and all(isinstance(o, str) and o.strip() and len(o) <= 200 for o in organisers),
            f"{where}.organisers",
            "must be a list of names",
        )
        _require(isinstance(event.get("description", ""), str), f"{where}.description", "must be a string")
        capacity = event.get("capacity")
        _require(
            capacity is None
            or (isinstance(capacity, int) and not isinstance(capacity, bool) and capacity >= 0),
            f"{where}.capacity",
            "must be a whole number of seats, or null for no limit",
        )
        attendance = event.get("attendance", ["in_person"])
        _require(
            isinstance(attendance, list) and bool(attendance) and all(a in ATTENDANCE for a in attendance),
            f"{where}.attendance",
            "must list 'in_person' and/or 'online'",
        )
        agenda = event.get("agenda", [])
        _require(isinstance(agenda, list), f"{where}.agenda", "must be a list")
        for j, item in enumerate(agenda):
            iwhere = f"{where}.agenda[{j}]"
            _require(isinstance(item, dict), iwhere, "must be an object")
            _text(item, "title", iwhere, column=AgendaItem.title)
            _text(item, "note", iwhere, optional=True, column=AgendaItem.note)
            _time(item, "starts_at", iwhere, optional=True)
            _time(item, "ends_at", iwhere, optional=True)
            speakers = item.get("speakers", [])
            _require(isinstance(speakers, list), f"{iwhere}.speakers", "must be a list")
            for k, speaker in enumerate(speakers):
                _require(
                    isinstance(speaker, str)
                    or (isinstance(speaker, dict) and isinstance(speaker.get("name"), str)),
                    f"{iwhere}.speakers[{k}]",
                    'must be a name or {"name": ..., "role": ...}',
                )
        links = event.get("links") or {}
        _require(isinstance(links, dict), f"{where}.links", 'must be an object like {"read_more": url}')
        _url(links, "read_more", f"{where}.links")
        _url(links, "livestream", f"{where}.links")
        _require(
            event.get("recap") is None or isinstance(event["recap"], dict),
            f"{where}.recap",
            "must be an object",
        )
        livestream = event.get("livestream") or {}
        _require(isinstance(livestream, dict), f"{where}.livestream", "must be an object")
        video_id = livestream.get("video_id")
        _require(
            video_id is None or (isinstance(video_id, str) and parse_video_id(video_id) == video_id),
            f"{where}.livestream.video_id",
            "must be an 11-character YouTube video id or null",
        )
        _require(
            livestream.get("status", "none") in STREAM_STATUSES,
            f"{where}.livestream.status",
            f"must be one of {', '.join(STREAM_STATUSES)}",
        )


def import_programme(session: DbSession, data: dict[str, Any]) -> ImportReport:
    """Create or update the festival and its events; flushes, the caller commits."""
    validate_programme(data)
    fdata = data["festival"]
    festival = session.scalar(select(Festival).where(Festival.slug == fdata["slug"]))
    if festival is None:
        festival = Festival(slug=fdata["slug"], name=fdata["name"])
        session.add(festival)
    _assign(
        festival,
        name=fdata["name"],
        timezone=fdata.get("timezone") or "Europe/Oslo",
        youtube_channel=fdata.get("youtube_channel"),
        host=fdata.get("host"),
        intro=fdata.get("intro"),
    )
    report = ImportReport(festival=festival.name)
    venues = {v.name: v for v in session.scalars(select(Venue))}
    organisers = {o.name: o for o in session.scalars(select(Organiser))}
    existing = {
        e.slug: e
        for e in session.scalars(select(Event).where(Event.slug.in_([e["slug"] for e in data["events"]])))
    }
    for edata in data["events"]:
        event = existing.get(edata["slug"])
        created = event is None
        if event is None:
            event = Event(slug=edata["slug"], festival=festival)
            session.add(event)
        capacity_before = event.capacity
        changed = _apply_event(session, event, festival, edata, venues, organisers)
        if not created and event.capacity != capacity_before:
            report.capacity_changed.append(event.slug)
        (report.created if created else report.updated if changed else report.unchanged).append(event.slug)
    session.flush()
    return report


def _assign(obj: Any, **values: Any) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _speaker(s: str | dict[str, Any]) -> dict[str, Any]:
    return {"name": s, "role": None} if isinstance(s, str) else {"name": s["name"], "role": s.get("role")}


def _apply_event(
    session: DbSession,
    event: Event,
    festival: Festival,
    edata: dict[str, Any],
    venues: dict[str, Venue],
    organisers: dict[str, Organiser],
) -> bool:
    venue = None
    if edata.get("venue"):
        name = edata["venue"]["name"].strip()
        venue = venues.get(name)
        if venue is None:
            venue = venues[name] = Venue(
                name=name, slug=_unique_slug(name, {v.slug for v in venues.values()})
            )
            session.add(venue)
        _assign(venue, address=edata["venue"].get("address"))
    names = [n.strip() for n in edata.get("organisers", [])]
    for name in names:
        if name not in organisers:
            organisers[name] = Organiser(
                name=name, slug=_unique_slug(name, {o.slug for o in organisers.values()})
            )
            session.add(organisers[name])
    links = edata.get("links") or {}
    agenda = [
        {
            "position": i,
            "starts_at": parse_iso(item["starts_at"]) if item.get("starts_at") else None,
            "ends_at": parse_iso(item["ends_at"]) if item.get("ends_at") else None,
            "title": item["title"],
            "note": item.get("note"),
            "speakers": [_speaker(s) for s in item.get("speakers", [])],
        }
        for i, item in enumerate(edata.get("agenda", []))
    ]
    search = [edata["title"], edata.get("description", ""), *names]
    search += [s["name"] for item in agenda for s in item["speakers"]]
    search += [item["title"] for item in agenda]
    changed = _assign(
        event,
        festival=festival,
        title=edata["title"],
        language=edata["language"],
        starts_at=parse_iso(edata["starts_at"]),
        ends_at=parse_iso(edata["ends_at"]),
        venue=venue,
        description=edata.get("description", ""),
        capacity=edata.get("capacity"),
        attendance=list(edata.get("attendance", ["in_person"])),
        read_more_url=links.get("read_more"),
        livestream_url=links.get("livestream"),
        recap=edata.get("recap"),
        search_text=fold(" ".join(search)),
    )
    if [o.name for o in event.organisers] != names:
        event.organisers = [organisers[n] for n in names]
        session.flush()
        # Keep the published order of organisers.
        from hub.models import event_organisers

        for position, name in enumerate(names):
            session.execute(
                event_organisers.update()
                .where(event_organisers.c.event_id == event.id)
                .where(event_organisers.c.organiser_id == organisers[name].id)
                .values(position=position)
            )
        changed = True
    current = [
        {
            "position": a.position,
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
            "title": a.title,
            "note": a.note,
            "speakers": a.speakers,
        }
        for a in event.agenda
    ]
    if current != agenda:
        event.agenda = [AgendaItem(**item) for item in agenda]
        changed = True
    changed |= _apply_livestream(event, edata.get("livestream") or {})
    return changed


def _apply_livestream(event: Event, ldata: dict[str, Any]) -> bool:
    """Link the file's video to the event; null leaves whatever a sync or an organiser linked.

    A video is pinned (a sync never re-links it) unless the file says ``"pinned": false``, as
    ``/programme.json`` does for links a sync found: re-importing an export changes nothing.
    """
    video_id = ldata.get("video_id")
    if not video_id:
        return False
    pinned = ldata.get("pinned", True) is not False
    stream = event.livestream
    if stream is not None and stream.video_id == video_id and (stream.pinned or not pinned):
        return False  # already linked: a sync keeps its status fresh
    if stream is None:
        event.livestream = stream = Livestream()
    stream.video_id = video_id
    stream.pinned = pinned
    stream.status = StreamStatus(ldata.get("status", "none"))
    return True


def _unique_slug(name: str, taken: set[str]) -> str:
    base = slugify(name)
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug
