"""Calendar (ICS), programme JSON and frab schedule JSON: pure functions of the models."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import icalendar

from hub.models import Event, Festival, StreamStatus
from hub.programme.schema import (
    AgendaEntry,
    EventEntry,
    FestivalEntry,
    LivestreamEntry,
    ProgrammeFile,
    RegistrationWindow,
    Speaker,
    VenueEntry,
)
from hub.text import fold
from hub.timeutil import OSLO, as_utc, local, utcnow

PRODID = "-//Arendalsuka hub//programme//EN"
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://arendalsuka-hub/events/")


def event_url(base_url: str, event: Event) -> str:
    return f"{base_url}/events/{event.slug}"


def watch_url(event: Event) -> str | None:
    """The YouTube page of the event's broadcast or recording, when one is linked."""
    stream = event.livestream
    if stream is not None and stream.watch_url:
        return stream.watch_url
    return event.livestream_url


def follow_url(event: Event) -> str | None:
    """Where to watch: the broadcast or recording when linked, else the festival's channel."""
    found = watch_url(event)
    if found:
        return found
    channel = event.festival.youtube_channel if event.festival else None
    if not channel:
        return None
    return "https://www.youtube.com/" + (channel if channel.startswith("@") else "channel/" + channel)


def stream_status(event: Event) -> str:
    stream = event.livestream
    return stream.status.value if stream is not None and stream.video_id else StreamStatus.NONE.value


@dataclass(frozen=True)
class CalendarLinks:
    """ "Add to calendar" links for web calendars, and the venue on a map (plain links: no
    request reaches a third party until the visitor clicks)."""

    google: str
    outlook: str
    map: str | None


def _utc_stamp(value: datetime) -> str:
    return as_utc(value).strftime("%Y%m%dT%H%M%SZ")


def calendar_links(event: Event) -> CalendarLinks:
    where = ", ".join(p for p in (event.venue.name, event.venue.address) if p) if event.venue else ""
    details = event.description.split("\n\n")[0][:500] if event.description else ""
    google = "https://calendar.google.com/calendar/render?" + urlencode(
        {
            "action": "TEMPLATE",
            "text": event.title,
            "dates": f"{_utc_stamp(event.starts_at)}/{_utc_stamp(event.ends_at)}",
            "details": details,
            "location": where,
            "ctz": OSLO.key,
        }
    )
    outlook = "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": event.title,
            "startdt": as_utc(event.starts_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "enddt": as_utc(event.ends_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "body": details,
            "location": where,
        }
    )
    place = None
    if event.venue is not None:
        query = event.venue.address or event.venue.name
        place = "https://www.openstreetmap.org/search?" + urlencode({"query": query})
    return CalendarLinks(google=google, outlook=outlook, map=place)


def event_uid(event: Event) -> str:
    return f"{event.slug}@{event.festival.slug}.arendalsuka-hub"


def _vevent(event: Event, base_url: str, watch_link: str | None = None) -> icalendar.Event:
    """One event. With ``watch_link`` (an online attendee's own calendar) the location and the
    URL are that link; otherwise the venue and its address, and the event page."""
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event))
    # The revision, not the moment of the request: the file stays the same (and cacheable)
    # until the event changes, and a calendar sees a moved event as a newer version.
    revised = as_utc(event.updated_at) if event.updated_at else utcnow()
    vevent.add("dtstamp", revised)
    vevent.add("last-modified", revised)
    vevent.add("sequence", event.sequence or 0)
    vevent.add("dtstart", local(event.starts_at))
    vevent.add("dtend", local(event.ends_at))
    vevent.add("summary", event.title)
    if event.is_cancelled:
        vevent.add("status", "CANCELLED")
    url = event_url(base_url, event)
    if watch_link is not None:
        vevent.add("location", watch_link)
        vevent.add("url", watch_link)
    else:
        if event.venue is not None:
            vevent.add("location", ", ".join(p for p in (event.venue.name, event.venue.address) if p))
        vevent.add("url", url)
    parts = [event.description.strip()]
    if event.organisers:
        parts.append(", ".join(o.name for o in event.organisers))
    watch = watch_link or watch_url(event)
    if watch:
        label = {
            "upcoming": "Streamed live on YouTube",
            "live": "LIVE now on YouTube",
            "ended": "Recording on YouTube",
        }.get(stream_status(event), "Livestream")
        if watch_link is not None:
            label = "Watch online (your personal link)"
        parts.append(f"{label}: {watch}")
    parts.append(url)
    vevent.add("description", "\n\n".join(p for p in parts if p))
    vevent.add("x-hub-livestream-status", stream_status(event))
    if event.organisers:
        vevent.add("categories", [o.name for o in event.organisers])
    return vevent


def calendar(events: Sequence[Event], base_url: str, name: str, *, watch_link: str | None = None) -> bytes:
    """An iCalendar file with one VEVENT per event and the VTIMEZONE it needs.

    ``watch_link``: the calendar of one online attendee, whose place is their watch link.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", OSLO.key)
    for event in events:
        cal.add_component(_vevent(event, base_url, watch_link))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def event_entry(event: Event) -> EventEntry:
    """One event in the programme file's typed shape."""
    stream = event.livestream
    return EventEntry(
        slug=event.slug,
        title=event.title,
        language=event.language,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        venue=VenueEntry(
            name=event.venue.name, address=event.venue.address, description=event.venue.description
        )
        if event.venue
        else None,
        organisers=tuple(o.name for o in event.organisers),
        description=event.description,
        capacity=event.capacity,
        attendance=tuple(event.attendance),
        agenda=tuple(
            AgendaEntry(
                title=item.title,
                starts_at=item.starts_at,
                ends_at=item.ends_at,
                note=item.note,
                speakers=tuple(Speaker.from_stored(s) for s in item.speakers),
                speakers_label=item.speakers_label,
            )
            for item in event.agenda
        ),
        read_more=event.read_more_url,
        livestream_link=event.livestream_url,
        read_more_text=(event.link_texts or {}).get("read_more"),
        livestream_text=(event.link_texts or {}).get("livestream"),
        livestream=LivestreamEntry(
            video_id=stream.video_id if stream else None,
            pinned=stream.pinned if stream else False,
            status=stream_status(event),
            watch_url=watch_url(event),
            scheduled_start=stream.scheduled_start if stream else None,
            concurrent_viewers=stream.concurrent_viewers if stream else None,
        ),
        registration=RegistrationWindow(event.registration_opens_at, event.registration_closes_at),
        recap=event.recap,
    )


def event_record(event: Event) -> dict[str, Any]:
    """One event in the programme file shape."""
    return event_entry(event).to_json()


def festival_entry(festival: Festival) -> FestivalEntry:
    return FestivalEntry(
        slug=festival.slug,
        name=festival.name,
        timezone=festival.timezone,
        youtube_channel=festival.youtube_channel,
        host=festival.host,
        intro=festival.intro,
        starts_on=festival.starts_on,
        ends_on=festival.ends_on,
    )


def programme_document(festival: Festival, events: Sequence[Event]) -> dict[str, Any]:
    """The whole programme in the file shape that ``flask hub import`` reads back."""
    return ProgrammeFile(festival=festival_entry(festival), events=tuple(map(event_entry, events))).to_json()


def _hhmm(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def person_guid(name: str) -> str:
    """A stable guid for a person named in the programme (the same name, the same guid)."""
    return str(uuid.uuid5(GUID_NAMESPACE, "person:" + fold(name)))


def _persons(event: Event) -> list[dict[str, Any]]:
    """The people on the agenda, once each; organisations taking part are not persons."""
    seen: dict[str, dict[str, Any]] = {}
    for item in event.agenda:
        for speaker in item.speakers:
            if speaker.get("kind", "person") != "person":
                continue
            guid = person_guid(speaker["name"])
            seen.setdefault(guid, {"name": speaker["name"], "guid": guid})
    return list(seen.values())


def schedule_acronym(slug: str) -> str:
    """The festival slug in the shape c3voc's schema asks (``arendalsuka-2023`` -> ``arendalsuka_2023``)."""
    acronym = slug.replace("-", "_")
    return acronym if len(acronym) >= 4 else acronym.ljust(4, "_")


def frab_schedule(festival: Festival | None, events: Sequence[Event], base_url: str) -> dict[str, Any]:
    """The programme in the frab/pretalx schedule JSON (c3voc's schema) that schedule apps read.

    ``version`` is a digest of the content, so it changes when the programme does and only then.
    """
    days: dict[str, dict[str, list[dict[str, Any]]]] = {}
    rooms: list[str] = []
    for index, event in enumerate(events, start=1):
        room = event.venue.name if event.venue else "—"
        if room not in rooms:
            rooms.append(room)
        start = local(event.starts_at)
        days.setdefault(start.date().isoformat(), {}).setdefault(room, []).append(
            {
                "id": event.id or index,
                "guid": str(uuid.uuid5(GUID_NAMESPACE, event.slug)),
                "date": start.isoformat(),
                "start": start.strftime("%H:%M"),
                "duration": _hhmm((event.ends_at - event.starts_at).total_seconds()),
                "room": room,
                "slug": event.slug,
                "url": event_url(base_url, event),
                "title": event.title,
                "subtitle": "",
                "track": event.organisers[0].name if event.organisers else None,
                "type": "event",
                "language": event.language,
                "abstract": event.description.split("\n\n")[0] if event.description else "",
                "description": event.description,
                "recording_license": "",
                "do_not_record": None,
                "persons": _persons(event),
                "links": [
                    {"url": url, "title": title}
                    for url, title in ((watch_url(event), "YouTube"), (event.read_more_url, "Read more"))
                    if url
                ],
                "attachments": [],
            }
        )
    day_keys = sorted(days)
    conference = {
        "acronym": schedule_acronym(festival.slug) if festival else "programme",
        "title": festival.name if festival else "Programme",
        "start": day_keys[0] if day_keys else "",
        "end": day_keys[-1] if day_keys else "",
        "daysCount": len(day_keys),
        "timeslot_duration": "00:15",
        "time_zone_name": festival.timezone if festival else OSLO.key,
        "url": base_url + "/",
        "rooms": [{"name": r, "guid": str(uuid.uuid5(GUID_NAMESPACE, "room:" + r))} for r in rooms],
        "days": [
            {
                "index": i,
                "date": day,
                "day_start": min(e["date"] for evs in days[day].values() for e in evs),
                "day_end": max(e["date"] for evs in days[day].values() for e in evs),
                "rooms": days[day],
            }
            for i, day in enumerate(day_keys, start=1)
        ],
    }
    digest = hashlib.sha256(json.dumps(conference, sort_keys=True).encode()).hexdigest()[:12]
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": "arendalsuka-hub", "version": "2"},
        "schedule": {"version": digest, "base_url": base_url + "/", "conference": conference},
    }
