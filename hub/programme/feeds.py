"""Calendar (ICS), programme JSON and frab schedule JSON: pure functions of the models."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import icalendar

from hub.models import Event, Festival, StreamStatus
from hub.timeutil import OSLO, local, utcnow

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


def stream_status(event: Event) -> str:
    stream = event.livestream
    return stream.status.value if stream is not None and stream.video_id else StreamStatus.NONE.value


def event_uid(event: Event) -> str:
    return f"{event.slug}@{event.festival.slug}.arendalsuka-hub"


def _vevent(event: Event, base_url: str) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", utcnow())
    vevent.add("dtstart", local(event.starts_at))
    vevent.add("dtend", local(event.ends_at))
    vevent.add("summary", event.title)
    if event.venue is not None:
        vevent.add("location", ", ".join(p for p in (event.venue.name, event.venue.address) if p))
    url = event_url(base_url, event)
    vevent.add("url", url)
    parts = [event.description.strip()]
    if event.organisers:
        parts.append(", ".join(o.name for o in event.organisers))
    watch = watch_url(event)
    if watch:
        label = {
            "upcoming": "Streamed live on YouTube",
            "live": "LIVE now on YouTube",
            "ended": "Recording on YouTube",
        }.get(stream_status(event), "Livestream")
        parts.append(f"{label}: {watch}")
    parts.append(url)
    vevent.add("description", "\n\n".join(p for p in parts if p))
    vevent.add("x-hub-livestream-status", stream_status(event))
    if event.organisers:
        vevent.add("categories", [o.name for o in event.organisers])
    return vevent


def calendar(events: Sequence[Event], base_url: str, name: str) -> bytes:
    """An iCalendar file with one VEVENT per event and the VTIMEZONE it needs."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", OSLO.key)
    for event in events:
        cal.add_component(_vevent(event, base_url))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _iso(value: datetime | None) -> str | None:
    return local(value).isoformat() if value is not None else None


def event_record(event: Event) -> dict[str, Any]:
    """One event in the programme file shape."""
    return {
        "slug": event.slug,
        "title": event.title,
        "language": event.language,
        "starts_at": _iso(event.starts_at),
        "ends_at": _iso(event.ends_at),
        "venue": {"name": event.venue.name, "address": event.venue.address} if event.venue else None,
        "organisers": [o.name for o in event.organisers],
        "description": event.description,
        "capacity": event.capacity,
        "attendance": list(event.attendance),
        "agenda": [
            {
                "starts_at": _iso(item.starts_at),
                "ends_at": _iso(item.ends_at),
                "title": item.title,
                "speakers": item.speakers,
                "note": item.note,
            }
            for item in event.agenda
        ],
        "links": {"read_more": event.read_more_url, "livestream": event.livestream_url},
        "livestream": {
            "video_id": event.livestream.video_id if event.livestream else None,
            "pinned": event.livestream.pinned if event.livestream else False,
            "status": stream_status(event),
            "watch_url": watch_url(event),
            "scheduled_start": _iso(event.livestream.scheduled_start) if event.livestream else None,
            "concurrent_viewers": event.livestream.concurrent_viewers if event.livestream else None,
        },
        "recap": event.recap,
    }


def programme_document(festival: Festival | None, events: Sequence[Event]) -> dict[str, Any]:
    """The whole programme in the file shape that ``flask hub import`` reads back."""
    return {
        "festival": {
            "slug": festival.slug if festival else "",
            "name": festival.name if festival else "",
            "timezone": festival.timezone if festival else OSLO.key,
            "youtube_channel": festival.youtube_channel if festival else None,
            "host": festival.host if festival else None,
            "intro": festival.intro if festival else None,
        },
        "events": [event_record(e) for e in events],
    }


def _hhmm(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def frab_schedule(festival: Festival | None, events: Sequence[Event], base_url: str) -> dict[str, Any]:
    """The programme in the frab/pretalx schedule JSON that Giggity and ConfClerk read."""
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
                "logo": None,
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
                "do_not_record": False,
                "persons": [{"public_name": s["name"]} for item in event.agenda for s in item.speakers],
                "links": [
                    {"url": url, "title": title}
                    for url, title in ((watch_url(event), "YouTube"), (event.read_more_url, "Read more"))
                    if url
                ],
                "attachments": [],
            }
        )
    day_keys = sorted(days)
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": "arendalsuka-hub", "version": "1"},
        "schedule": {
            "version": utcnow().strftime("%Y-%m-%d %H:%M"),
            "base_url": base_url + "/",
            "conference": {
                "acronym": festival.slug if festival else "programme",
                "title": festival.name if festival else "Programme",
                "start": day_keys[0] if day_keys else None,
                "end": day_keys[-1] if day_keys else None,
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
            },
        },
    }
