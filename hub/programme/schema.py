"""The programme file's shape, written once (DESIGN.md, "Programme file").

The importer parses a file into these classes, ``/programme.json`` writes them back, and the
generator builds them: one description of the format, so the three cannot drift apart.
Parsing names the offending place (``events[2].starts_at: ...``) and refuses the whole file
on the first problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hub.livestream.urls import parse_video_id
from hub.timeutil import local, parse_day, parse_iso

LANGUAGES = ("nb", "en")
ATTENDANCE = ("in_person", "online")
STREAM_STATUSES = ("none", "upcoming", "live", "ended")

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SLUG_RULE = "must be lower-case letters, digits and hyphens (it becomes part of the address)"
URL = re.compile(r"^https?://[^\s]+$")

# Column lengths (hub/models/programme.py), checked before anything is written.
LIMITS = {
    "festival.slug": 120,
    "festival.name": 200,
    "festival.youtube_channel": 200,
    "festival.host": 200,
    "event.slug": 200,
    "event.title": 300,
    "venue.name": 200,
    "venue.address": 300,
    "agenda.title": 500,
    "agenda.note": 300,
    "organiser": 200,
}


class ProgrammeFileError(ValueError):
    """The file is not a programme: the message says where and why."""


def _require(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise ProgrammeFileError(f"{where}: {message}")


def _text(obj: dict[str, Any], key: str, where: str, limit: str, *, optional: bool = False) -> Any:
    """A non-empty string (or None, when optional) that fits its database column."""
    value = obj.get(key)
    if optional and value is None:
        return None
    _require(isinstance(value, str) and value.strip() != "", f"{where}.{key}", "must be a non-empty string")
    most = LIMITS[limit]
    _require(len(str(value)) <= most, f"{where}.{key}", f"must have at most {most} characters")
    return value


def _url(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    _require(
        value is None or (isinstance(value, str) and URL.match(value) is not None and len(value) <= 500),
        f"{where}.{key}",
        "must be an http(s) address or null",
    )
    return value


def _time(obj: dict[str, Any], key: str, where: str, *, optional: bool = False) -> Any:
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


def _day(obj: dict[str, Any], key: str, where: str) -> date | None:
    value = obj.get(key)
    if value is None:
        return None
    try:
        return parse_day(value) if isinstance(value, str) else parse_day("")
    except ValueError:
        raise ProgrammeFileError(f"{where}.{key}: {value!r} is not a day like 2023-08-14") from None


def _iso(value: datetime | None) -> str | None:
    return local(value).isoformat() if value is not None else None


SPEAKER_KINDS = ("person", "organisation")


@dataclass(frozen=True)
class Speaker:
    """Someone on the agenda: a person, or an organisation taking part as such.

    ``text``, when given, is how the source words the entry (shown instead of "name, role").
    """

    name: str
    role: str | None = None
    kind: str = "person"
    text: str | None = None

    @classmethod
    def parse(cls, raw: Any, where: str) -> Speaker:
        if isinstance(raw, str):
            return cls(name=raw)
        _require(
            isinstance(raw, dict) and isinstance(raw.get("name"), str),
            where,
            'must be a name or {"name": ..., "role": ...}',
        )
        kind = raw.get("kind", "person")
        _require(kind in SPEAKER_KINDS, f"{where}.kind", "must be 'person' or 'organisation'")
        text = raw.get("text")
        _require(text is None or isinstance(text, str), f"{where}.text", "must be a string")
        return cls(name=raw["name"], role=raw.get("role"), kind=kind, text=text)

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> Speaker:
        return cls(
            name=stored["name"],
            role=stored.get("role"),
            kind=stored.get("kind", "person"),
            text=stored.get("text"),
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "role": self.role}
        if self.kind != "person":
            data["kind"] = self.kind
        if self.text is not None:
            data["text"] = self.text
        return data


@dataclass(frozen=True)
class AgendaEntry:
    title: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    note: str | None = None
    speakers: tuple[Speaker, ...] = ()
    # How the source introduces the speakers, e.g. "Participants" for a round table.
    speakers_label: str | None = None

    @classmethod
    def parse(cls, raw: Any, where: str) -> AgendaEntry:
        _require(isinstance(raw, dict), where, "must be an object")
        speakers = raw.get("speakers", [])
        _require(isinstance(speakers, list), f"{where}.speakers", "must be a list")
        return cls(
            title=_text(raw, "title", where, "agenda.title"),
            note=_text(raw, "note", where, "agenda.note", optional=True),
            starts_at=_time(raw, "starts_at", where, optional=True),
            ends_at=_time(raw, "ends_at", where, optional=True),
            speakers=tuple(Speaker.parse(s, f"{where}.speakers[{k}]") for k, s in enumerate(speakers)),
            speakers_label=_text(raw, "speakers_label", where, "agenda.note", optional=True),
        )

    def to_json(self) -> dict[str, Any]:
        data = {
            "starts_at": _iso(self.starts_at),
            "ends_at": _iso(self.ends_at),
            "title": self.title,
            "speakers": [s.to_json() for s in self.speakers],
            "note": self.note,
        }
        if self.speakers_label is not None:
            data["speakers_label"] = self.speakers_label
        return data


@dataclass(frozen=True)
class VenueEntry:
    name: str
    address: str | None = None
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"name": self.name, "address": self.address}
        if self.description is not None:
            data["description"] = self.description
        return data


@dataclass(frozen=True)
class LivestreamEntry:
    """The file's video link; an export adds what a sync learnt (read back, ignored)."""

    video_id: str | None = None
    status: str = "none"
    pinned: bool = True
    watch_url: str | None = None
    scheduled_start: datetime | None = None
    concurrent_viewers: int | None = None

    @classmethod
    def parse(cls, raw: Any, where: str) -> LivestreamEntry:
        raw = raw or {}
        _require(isinstance(raw, dict), where, "must be an object")
        video_id = raw.get("video_id")
        _require(
            video_id is None or (isinstance(video_id, str) and parse_video_id(video_id) == video_id),
            f"{where}.video_id",
            "must be an 11-character YouTube video id or null",
        )
        status = raw.get("status", "none")
        _require(status in STREAM_STATUSES, f"{where}.status", f"must be one of {', '.join(STREAM_STATUSES)}")
        return cls(video_id=video_id, status=status, pinned=raw.get("pinned", True) is not False)

    def to_json(self) -> dict[str, Any]:
        return {
            "video_id": self.video_id,
            "pinned": self.pinned,
            "status": self.status,
            "watch_url": self.watch_url,
            "scheduled_start": _iso(self.scheduled_start),
            "concurrent_viewers": self.concurrent_viewers,
        }


@dataclass(frozen=True)
class RegistrationWindow:
    """When sign-up is open: ``opens_at`` (None: from the import) until ``closes_at`` (None: the start)."""

    opens_at: datetime | None = None
    closes_at: datetime | None = None

    @classmethod
    def parse(cls, raw: Any, where: str) -> RegistrationWindow | None:
        if raw is None:
            return None
        _require(
            isinstance(raw, dict),
            where,
            'must be an object like {"opens_at": time or null, "closes_at": time or null}',
        )
        opens = _time(raw, "opens_at", where, optional=True)
        closes = _time(raw, "closes_at", where, optional=True)
        _require(not (opens and closes and closes <= opens), f"{where}.closes_at", "must be after opens_at")
        return cls(opens_at=opens, closes_at=closes)

    def to_json(self) -> dict[str, Any]:
        return {"opens_at": _iso(self.opens_at), "closes_at": _iso(self.closes_at)}


@dataclass(frozen=True)
class EventEntry:
    slug: str
    title: str
    language: str
    starts_at: datetime
    ends_at: datetime
    venue: VenueEntry | None = None
    organisers: tuple[str, ...] = ()
    description: str = ""
    capacity: int | None = None
    attendance: tuple[str, ...] = ("in_person",)
    agenda: tuple[AgendaEntry, ...] = ()
    read_more: str | None = None
    livestream_link: str | None = None
    # The source's words for those links ("Les mer her", "Følg sendingen her").
    read_more_text: str | None = None
    livestream_text: str | None = None
    livestream: LivestreamEntry = field(default_factory=LivestreamEntry)
    recap: dict[str, Any] | None = None
    # None: the file says nothing, and an import keeps the window the event has.
    registration: RegistrationWindow | None = None

    @classmethod
    def parse(cls, raw: Any, where: str) -> EventEntry:
        _require(isinstance(raw, dict), where, "must be an object")
        slug = _text(raw, "slug", where, "event.slug")
        _require(SLUG.match(slug) is not None, f"{where}.slug", SLUG_RULE)
        title = _text(raw, "title", where, "event.title")
        _require(raw.get("language") in LANGUAGES, f"{where}.language", "must be 'nb' or 'en'")
        starts, ends = _time(raw, "starts_at", where), _time(raw, "ends_at", where)
        _require(ends > starts, f"{where}.ends_at", "must be after starts_at")
        venue = raw.get("venue")
        _require(venue is None or isinstance(venue, dict), f"{where}.venue", "must be an object")
        organisers = raw.get("organisers", [])
        _require(
            isinstance(organisers, list)
            and all(isinstance(o, str) and o.strip() and len(o) <= LIMITS["organiser"] for o in organisers),
            f"{where}.organisers",
            "must be a list of names",
        )
        description = raw.get("description", "")
        _require(isinstance(description, str), f"{where}.description", "must be a string")
        capacity = raw.get("capacity")
        _require(
            capacity is None
            or (isinstance(capacity, int) and not isinstance(capacity, bool) and capacity >= 0),
            f"{where}.capacity",
            "must be a whole number of seats, or null for no limit",
        )
        attendance = raw.get("attendance", ["in_person"])
        _require(
            isinstance(attendance, list) and bool(attendance) and all(a in ATTENDANCE for a in attendance),
            f"{where}.attendance",
            "must list 'in_person' and/or 'online'",
        )
        agenda = raw.get("agenda", [])
        _require(isinstance(agenda, list), f"{where}.agenda", "must be a list")
        links = raw.get("links") or {}
        _require(isinstance(links, dict), f"{where}.links", 'must be an object like {"read_more": url}')
        recap = raw.get("recap")
        _require(recap is None or isinstance(recap, dict), f"{where}.recap", "must be an object")
        return cls(
            slug=slug,
            title=title,
            language=raw["language"],
            starts_at=starts,
            ends_at=ends,
            venue=None
            if venue is None
            else VenueEntry(
                name=_text(venue, "name", f"{where}.venue", "venue.name").strip(),
                address=_text(venue, "address", f"{where}.venue", "venue.address", optional=True),
                description=_text(venue, "description", f"{where}.venue", "venue.address", optional=True),
            ),
            organisers=tuple(o.strip() for o in organisers),
            description=description,
            capacity=capacity,
            attendance=tuple(attendance),
            agenda=tuple(AgendaEntry.parse(item, f"{where}.agenda[{j}]") for j, item in enumerate(agenda)),
            read_more=_url(links, "read_more", f"{where}.links"),
            livestream_link=_url(links, "livestream", f"{where}.links"),
            read_more_text=_text(links, "read_more_text", f"{where}.links", "agenda.note", optional=True),
            livestream_text=_text(links, "livestream_text", f"{where}.links", "agenda.note", optional=True),
            livestream=LivestreamEntry.parse(raw.get("livestream"), f"{where}.livestream"),
            recap=recap,
            registration=RegistrationWindow.parse(raw.get("registration"), f"{where}.registration"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "language": self.language,
            "starts_at": _iso(self.starts_at),
            "ends_at": _iso(self.ends_at),
            "venue": self.venue.to_json() if self.venue else None,
            "organisers": list(self.organisers),
            "description": self.description,
            "capacity": self.capacity,
            "attendance": list(self.attendance),
            "agenda": [item.to_json() for item in self.agenda],
            "links": self._links(),
            "livestream": self.livestream.to_json(),
            "recap": self.recap,
            "registration": (self.registration or RegistrationWindow()).to_json(),
        }

    def _links(self) -> dict[str, Any]:
        links: dict[str, Any] = {"read_more": self.read_more, "livestream": self.livestream_link}
        if self.read_more_text is not None:
            links["read_more_text"] = self.read_more_text
        if self.livestream_text is not None:
            links["livestream_text"] = self.livestream_text
        return links

    @property
    def link_texts(self) -> dict[str, str] | None:
        texts = {"read_more": self.read_more_text, "livestream": self.livestream_text}
        return {k: v for k, v in texts.items() if v} or None


@dataclass(frozen=True)
class FestivalEntry:
    slug: str
    name: str
    timezone: str = "Europe/Oslo"
    youtube_channel: str | None = None
    host: str | None = None
    intro: dict[str, Any] | None = None
    starts_on: date | None = None
    ends_on: date | None = None

    @classmethod
    def parse(cls, raw: Any) -> FestivalEntry:
        _require(isinstance(raw, dict), "festival", "must be an object")
        slug = _text(raw, "slug", "festival", "festival.slug")
        _require(SLUG.match(slug) is not None, "festival.slug", SLUG_RULE)
        starts_on, ends_on = _day(raw, "starts_on", "festival"), _day(raw, "ends_on", "festival")
        _require(
            starts_on is None or ends_on is None or starts_on <= ends_on,
            "festival.ends_on",
            "must not be before starts_on",
        )
        return cls(
            slug=slug,
            name=_text(raw, "name", "festival", "festival.name"),
            timezone=raw.get("timezone") or "Europe/Oslo",
            youtube_channel=_text(
                raw, "youtube_channel", "festival", "festival.youtube_channel", optional=True
            ),
            host=_text(raw, "host", "festival", "festival.host", optional=True),
            intro=raw.get("intro"),
            starts_on=starts_on,
            ends_on=ends_on,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "timezone": self.timezone,
            "youtube_channel": self.youtube_channel,
            "host": self.host,
            "intro": self.intro,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "ends_on": self.ends_on.isoformat() if self.ends_on else None,
        }

    def contains(self, moment: datetime) -> bool:
        """Whether an event starting then lies within the festival's dates (when given)."""
        day = local(moment).date()
        return (self.starts_on is None or day >= self.starts_on) and (
            self.ends_on is None or day <= self.ends_on
        )


@dataclass(frozen=True)
class ProgrammeFile:
    festival: FestivalEntry
    events: tuple[EventEntry, ...]

    @classmethod
    def parse(cls, data: Any) -> ProgrammeFile:
        _require(isinstance(data, dict), "file", 'must be a JSON object with "festival" and "events"')
        festival = FestivalEntry.parse(data.get("festival"))
        raw_events = data.get("events")
        _require(isinstance(raw_events, list), "events", "must be a list")
        events: list[EventEntry] = []
        seen: set[str] = set()
        for i, raw in enumerate(raw_events):
            event = EventEntry.parse(raw, f"events[{i}]")
            _require(event.slug not in seen, f"events[{i}].slug", f"{event.slug!r} appears twice")
            seen.add(event.slug)
            if not festival.contains(event.starts_at):
                dates = f"{festival.starts_on or '…'} to {festival.ends_on or '…'}"
                raise ProgrammeFileError(
                    f"events[{i}].starts_at: {local(event.starts_at).date()} is outside the festival's "
                    f"dates ({dates})"
                )
            events.append(event)
        return cls(festival=festival, events=tuple(events))

    def to_json(self) -> dict[str, Any]:
        return {"festival": self.festival.to_json(), "events": [e.to_json() for e in self.events]}
