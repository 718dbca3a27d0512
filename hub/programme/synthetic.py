"""A synthetic festival programme for load testing.

``generate_programme`` builds a programme in the shape of ``hub/data/*.json`` (the
"Programme file" contract in DESIGN.md), large enough to exercise the programme page,
its filters, the feeds and the importer. It is pure and deterministic: the same arguments
give the same programme, byte for byte once serialised, because all randomness comes from
one ``random.Random(seed)``.

The programme runs over ``days`` consecutive days from Monday 14 August 2023 (the week of
Arendalsuka), 08:00-22:00 Europe/Oslo time, in ``venues`` venues. Events are spread evenly
over every (day, venue) pair, in such an order that every day and every venue gets an event
as soon as there are at least ``max(days, venues)`` events. A venue opens some time in the
morning or early afternoon, and its events of the day follow each other without
overlapping until one would run past 22:00; that one and any later ones start again from
the morning and may overlap (a load test wants volume, not a bookable schedule).

Run it as a module to write a file::

    python -m hub.programme.synthetic --events 1500 --out instance/synthetic.json
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["FIRST_DAY", "ORGANISER_POOL", "generate_programme", "main"]

TIMEZONE = "Europe/Oslo"
OSLO = ZoneInfo(TIMEZONE)

#: The first day of the synthetic festival: Monday of Arendalsuka 2023.
FIRST_DAY = date(2023, 8, 14)

DAY_START_MINUTES = 8 * 60  # 08:00
DAY_END_MINUTES = 22 * 60  # 22:00
DURATIONS = tuple(range(30, 121, 15))  # 30, 45, ..., 120 minutes
GAPS = (0, 0, 15, 15, 30, 45, 60, 90)  # minutes between two events in one venue
FIRST_START_SLOTS = 24  # a venue opens 0-24 quarter-hours after 08:00

PLACES = (
    "Kanalplassen",
    "Tyholmen",
    "Pollen",
    "Torvet",
    "Arendal kulturhus",
    "Teaterplassen",
    "Langbrygga",
    "Fiskebrygga",
    "Bystranda",
    "Sjøbodene",
    "Friholmen",
    "Kløckers hus",
    "Trefoldighetskirken",
    "Arendal rådhus",
    "Arendal bibliotek",
    "Nedre Tyholmsvei",
    "Kittelsbukt",
    "Barbu",
    "Hisøy",
    "Tromøybrua",
)
STREETS = (
    "Kanalplassen",
    "Teaterplassen",
    "Langbryggen",
    "Nedre Tyholmsvei",
    "Friergangen",
    "Vestregate",
    "Østregate",
    "Torvgaten",
    "Peder Thomassons gate",
    "Kirkegaten",
)

_ORG_PLACES = (
    "Norsk",
    "Nordisk",
    "Agder",
    "Sørlandets",
    "Oslo",
    "Bergen",
    "Trøndelag",
    "Vestland",
    "Innlandet",
    "Nord-Norges",
    "Arendal",
    "Kristiansand",
    "Stavanger",
    "Tromsø",
    "Viken",
)
_ORG_KINDS = (
    "helseforum",
    "kreftforening",
    "innovasjonsklynge",
    "pasientforbund",
    "legemiddelforum",
    "Health Tech",
    "Life Science",
    "tenketank",
    "næringsforening",
    "forskningsråd",
)

#: About 150 organiser names ("Agder helseforum", "Oslo Life Science", ...).
ORGANISER_POOL: tuple[str, ...] = tuple(f"{place} {kind}" for place in _ORG_PLACES for kind in _ORG_KINDS)

_SUBJECTS: dict[str, tuple[str, ...]] = {
    "nb": (
        "Fremtidens kreftbehandling",
        "Persontilpasset medisin",
        "Helsedata",
        "Kunstig intelligens",
        "Grønn industri",
        "Distriktspolitikk",
        "Beredskap",
        "Klinisk forskning",
        "Digital helse",
        "Eldreomsorg",
        "Psykisk helse",
        "Folkehelse",
        "Havnæringene",
        "Helsenæringen",
        "Samfunnsoppdraget kreft",
    ),
    "en": (
        "The future of cancer care",
        "Personalised medicine",
        "Health data",
        "Artificial intelligence",
        "Green industry",
        "Regional policy",
        "Preparedness",
        "Clinical research",
        "Digital health",
        "Elderly care",
        "Mental health",
        "Public health",
        "Ocean industries",
        "The health industry",
        "The cancer mission",
    ),
}
_TITLE_PATTERNS: dict[str, tuple[str, ...]] = {
    "nb": (
        "{A} og {b}",
        "Hvordan kan {a} styrke {b}?",
        "{A}: hva nå?",
        "{A} i en ny tid",
        "Trenger vi {a}?",
    ),
    "en": (
        "{A} and {b}",
        "How can {a} strengthen {b}?",
        "{A}: what now?",
        "{A} in a new era",
        "Do we need {a}?",
    ),
}
_SENTENCES: dict[str, tuple[str, ...]] = {
    "nb": (
        "Vi inviterer til debatt om {a} og {b}.",
        "Hvordan påvirker {a} hverdagen til pasienter og pårørende?",
        "Politikere, forskere og næringsliv møtes for å diskutere {a}.",
        "Arrangementet streames direkte.",
        "Hva må til for at Norge skal lykkes med {a}?",
        "Vi ser på erfaringer fra Norden og Europa.",
        "Det blir servert kaffe og frukt.",
    ),
    "en": (
        "Join us for a debate on {a} and {b}.",
        "How does {a} affect patients and their families?",
        "Politicians, researchers and industry meet to discuss {a}.",
        "The event is streamed live.",
        "What will it take for Norway to succeed with {a}?",
        "We look at experiences from the Nordics and Europe.",
        "Coffee and fruit will be served.",
    ),
}
_AGENDA_TITLES: dict[str, tuple[str, ...]] = {
    "nb": (
        "Velkommen",
        "Innledning",
        "Innlegg",
        "Samtale",
        "Paneldebatt",
        "Spørsmål fra salen",
        "Oppsummering",
    ),
    "en": (
        "Welcome",
        "Introduction",
        "Keynote",
        "Conversation",
        "Panel discussion",
        "Questions from the audience",
        "Summing up",
    ),
}
_NOTES: dict[str, tuple[str, ...]] = {
    "nb": ("Video", "Innlegg på engelsk"),
    "en": ("Video", "Presentation in Norwegian"),
}
_FIRST_NAMES = (
    "Anne",
    "Ingrid",
    "Kari",
    "Marit",
    "Solveig",
    "Åse",
    "Astrid",
    "Liv",
    "Ola",
    "Per",
    "Jon",
    "Bjørn",
    "Lars",
    "Øyvind",
    "Knut",
    "Erik",
    "Sofie",
    "Emil",
)
_LAST_NAMES = (
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Berg",
    "Haugen",
    "Hagen",
    "Bakken",
    "Sæther",
    "Løken",
    "Dahl",
    "Ødegård",
)
_ROLES: dict[str, tuple[str, ...]] = {
    "nb": (
        "daglig leder",
        "forsker",
        "overlege",
        "stortingsrepresentant",
        "statssekretær",
        "generalsekretær",
        "fagdirektør",
    ),
    "en": (
        "CEO",
        "researcher",
        "senior consultant",
        "member of parliament",
        "state secretary",
        "secretary general",
        "medical director",
    ),
}
_CAPACITIES = (20, 30, 40, 50, 60, 80, 100, 120, 150, 200, 300)
_ATTENDANCE = (
    ("in_person", "online"),
    ("in_person", "online"),
    ("in_person",),
    ("online",),
)


_VIDEO_ID_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _livestream(attendance: list[str], rng: random.Random) -> dict[str, Any]:
    """About a third of the events that can be followed online have a (made-up) broadcast."""
    if "online" not in attendance or rng.random() >= 0.35:
        return {"video_id": None, "status": "none"}
    video_id = "".join(rng.choice(_VIDEO_ID_CHARACTERS[:-2]) for _ in range(11))
    return {"video_id": video_id, "status": "upcoming"}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _slugify(text: str, max_length: int = 48) -> str:
    """ASCII, lower-case, hyphen-separated: "Hvordan kan å ...?" -> "hvordan-kan-a"."""
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:max_length].rstrip("-")


def _local(day: date, minutes: int) -> datetime:
    """A wall-clock time on ``day`` in Europe/Oslo (correct across DST changes)."""
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=OSLO)


def _day_and_venue(index: int, days: int, venues: int) -> tuple[int, int]:
    """Map the ``index``-th event to a (day, venue) pair.

    The map is a bijection of ``range(days * venues)`` onto the pairs whose first
    ``max(days, venues)`` values already touch every day and every venue.
    """
    big, small = max(days, venues), min(days, venues)
    position = index % (days * venues)
    rounds, along = divmod(position, big)
    across = (rounds + along) % small
    return (along, across) if days >= venues else (across, along)


def _venue(number: int, width: int, rng: random.Random) -> dict[str, str]:
    place = PLACES[(number - 1) % len(PLACES)]
    street = rng.choice(STREETS)
    return {
        "name": f"Venue {number:0{width}d} – {place}",
        "address": f"{street} {rng.randint(1, 40)}, 4836 Arendal",
    }


def _person(language: str, rng: random.Random) -> dict[str, str | None]:
    role = rng.choice(_ROLES[language]) if rng.random() < 0.85 else None
    return {
        "name": f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
        "role": role,
    }


def _agenda(language: str, day: date, start: int, duration: int, rng: random.Random) -> list[dict[str, Any]]:
    count = min(rng.randint(0, 8), duration // 5)
    if count == 0:
        return []
    offsets = [0, *sorted(rng.sample(range(5, duration, 5), count - 1))]
    items: list[dict[str, Any]] = []
    for offset in offsets:
        speakers = [_person(language, rng) for _ in range(rng.randint(0, 3))]
        items.append(
            {
                "starts_at": _local(day, start + offset).isoformat(),
                "ends_at": None,
                "title": rng.choice(_AGENDA_TITLES[language]),
                "speakers": speakers,
                "note": rng.choice(_NOTES[language]) if rng.random() < 0.1 else None,
            }
        )
    return items


def _text(language: str, rng: random.Random) -> tuple[str, str]:
    """A title and a description (paragraphs separated by a blank line)."""
    a, b = rng.sample(_SUBJECTS[language], 2)
    fill = {"A": a, "a": _lower_first(a), "B": b, "b": _lower_first(b)}
    title = rng.choice(_TITLE_PATTERNS[language]).format(**fill)
    sentences = [s.format(**fill) for s in rng.sample(_SENTENCES[language], rng.randint(1, 5))]
    breaks = sorted(rng.sample(range(1, len(sentences)), rng.randint(0, len(sentences) - 1)))
    bounds = [0, *breaks, len(sentences)]
    paragraphs = [" ".join(sentences[lo:hi]) for lo, hi in pairwise(bounds)]
    return title, "\n\n".join(paragraphs)


def generate_programme(
    events: int = 1500, days: int = 7, venues: int = 60, seed: int = 2023
) -> dict[str, Any]:
    """Build a synthetic programme of ``events`` events over ``days`` days in ``venues`` venues.

    The result has the shape of the shipped programme file: a ``festival`` object and an
    ``events`` list ordered by start time, each event with a unique slug
    ``synthetic-NNNN-<title>`` numbered in that order. The same arguments always give the
    same result.
    """
    if events < 0:
        raise ValueError("events must not be negative")
    if days < 1 or venues < 1:
        raise ValueError("days and venues must be at least 1")

    rng = random.Random(seed)
    # Streams and full rooms come from their own stream of numbers, so adding them left the
    # rest of a seed's programme as it was.
    extra = random.Random(seed + 1)
    venue_width = max(2, len(str(venues)))
    venue_list = [_venue(number, venue_width, rng) for number in range(1, venues + 1)]
    cursors: dict[tuple[int, int], int] = {}

    drafts: list[tuple[datetime, str, dict[str, Any]]] = []
    for index in range(events):
        day_index, venue_index = _day_and_venue(index, days, venues)
        day = FIRST_DAY + timedelta(days=day_index)
        duration = rng.choice(DURATIONS)
        if (day_index, venue_index) in cursors:
            start = cursors[(day_index, venue_index)] + rng.choice(GAPS)
        else:  # the venue's first event that day: any time in the first six hours
            start = DAY_START_MINUTES + 15 * rng.randint(0, FIRST_START_SLOTS)
        if start + duration > DAY_END_MINUTES:  # the room is full: wrap round, overlap
            latest = (DAY_END_MINUTES - duration - DAY_START_MINUTES) // 15
            start = DAY_START_MINUTES + 15 * rng.randint(0, latest)
        cursors[(day_index, venue_index)] = start + duration

        language = "nb" if rng.random() < 0.7 else "en"
        title, description = _text(language, rng)
        starts_at = _local(day, start)
        capacity = None if rng.random() < 0.2 else rng.choice(_CAPACITIES)
        event_attendance = list(rng.choice(_ATTENDANCE))
        if capacity is not None and "in_person" in event_attendance and extra.random() < 0.06:
            capacity = 0  # a full room: sign-ups go to the waiting list
        event: dict[str, Any] = {
            "slug": "",  # numbered once the events are in order
            "title": title,
            "language": language,
            "starts_at": starts_at.isoformat(),
            "ends_at": _local(day, start + duration).isoformat(),
            "venue": dict(venue_list[venue_index]),
            "organisers": rng.sample(ORGANISER_POOL, rng.randint(1, 4)),
            "description": description,
            "capacity": capacity,
            "attendance": event_attendance,
            "agenda": _agenda(language, day, start, duration, rng),
            "links": {"read_more": None, "livestream": None},
            "livestream": _livestream(event_attendance, extra),
            "recap": None,
        }
        drafts.append((starts_at, event["venue"]["name"], event))

    drafts.sort(key=lambda draft: (draft[0], draft[1]))
    width = max(4, len(str(events)))
    ordered: list[dict[str, Any]] = []
    for number, (_, _, event) in enumerate(drafts, start=1):
        event["slug"] = f"synthetic-{number:0{width}d}-{_slugify(event['title'])}"
        ordered.append(event)

    last_day = FIRST_DAY + timedelta(days=days - 1)
    return {
        "festival": {
            "slug": "synthetic-festival",
            "name": "Synthetic festival",
            "timezone": TIMEZONE,
            "youtube_channel": "@OsloCancerCluster",
            "host": "Synthetic festival host",
            "intro": {
                "language": "en",
                "text": (
                    f"A synthetic programme for load testing: {events} events in "
                    f"{venues} venues, {FIRST_DAY.isoformat()} to {last_day.isoformat()} "
                    f"(seed {seed})."
                ),
            },
        },
        "events": ordered,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write a synthetic programme as JSON to a file or stdout."""
    parser = argparse.ArgumentParser(
        prog="python -m hub.programme.synthetic",
        description="Write a synthetic festival programme (programme file format) as JSON.",
    )
    parser.add_argument("--events", type=int, default=1500, help="number of events")
    parser.add_argument("--days", type=int, default=7, help="number of festival days")
    parser.add_argument("--venues", type=int, default=60, help="number of venues")
    parser.add_argument("--seed", type=int, default=2023, help="random seed")
    parser.add_argument("--out", default="-", help="output file (default: stdout)")
    args = parser.parse_args(argv)
    if args.events < 0 or args.days < 1 or args.venues < 1:
        parser.error("--events must be >= 0, --days and --venues >= 1")

    programme = generate_programme(events=args.events, days=args.days, venues=args.venues, seed=args.seed)
    text = json.dumps(programme, ensure_ascii=False, indent=2) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
