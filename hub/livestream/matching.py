"""Link broadcasts to events by start time and title: a pure function, no database, no network.

A broadcast is a candidate for an event when it is scheduled (or started) within three hours
of the event's start, and its title is similar enough: very similar titles may be up to three
hours apart; titles that share only some words must start within twenty minutes of each
other. Candidates are then taken best first (title similarity plus time closeness), so one
broadcast never goes to two events and no event gets two broadcasts. Pinned events take no
part: their video is theirs, and no other event gets it.

Titles are compared word by word after folding case, Norwegian letters (æ, ø, å) and accents,
and dropping filler words ("og", "the") and the decorations channels add ("LIVE",
"Arendalsuka 2023"); words that differ only in their ending ("ressurskrisen" and
"ressurskrise") count as the same word.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Protocol

from hub.timeutil import local

WINDOW = timedelta(hours=3)
CLOSE = timedelta(minutes=20)
SIMILAR = 0.55  # enough on its own within the window
SOMEWHAT_SIMILAR = 0.30  # enough when the start times are CLOSE
WORD_MATCH = 0.8  # difflib ratio at which two words count as the same word

_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ß": "ss"})
_STOPWORDS = frozenset(
    " ".join(
        [
            # Norwegian (bokmål and nynorsk) filler words
            "og i på pa til å a en et ei av for med om som er kan det den de har fra ved vi oss vår",
            "var hva hvordan hvorfor nar når seg sin sitt sine eller men ikkje ikke no nå na kva korleis",
            # English
            "the a an of in on for and to with at by is are how what why from our its or be as",
            # decorations that channels add to broadcast titles
            "live livestream livestreamed stream streaming direkte direktesending sendes opptak",
            "recording replay full video webinar arendalsuka arendalsuka2023 arendal",
        ]
    ).split(" ")
)


class Broadcast(Protocol):
    """What matching needs to know of a broadcast (client.Video has it)."""

    @property
    def video_id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def starts_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class EventInfo:
    """What matching needs to know of an event."""

    event_id: int
    slug: str
    title: str
    starts_at: datetime
    pinned_video_id: str | None = None


@dataclass(frozen=True)
class Link:
    event_id: int
    video_id: str
    similarity: float  # 0..1
    minutes_apart: float  # broadcast start minus event start
    reason: str


@dataclass(frozen=True)
class Unmatched:
    video_id: str
    reason: str


@dataclass
class MatchResult:
    links: list[Link] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)


@lru_cache(maxsize=4096)
def words(title: str) -> tuple[str, ...]:
    """The meaningful words of a title, folded: "Løse ressurskrisen?" -> ("lose", "ressurskrisen")."""
    text = title.casefold().translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    tokens = re.findall(r"[a-z0-9]+", text)
    return tuple(t for t in tokens if t not in _STOPWORDS and not re.fullmatch(r"(19|20)\d\d", t))


@lru_cache(maxsize=65536)
def _word_ratio(word: str, other: str) -> float:
    return SequenceMatcher(None, word, other).ratio()


def _coverage(these: Sequence[str], others: Sequence[str]) -> float:
    """How much of ``these`` appears in ``others``: 1 per equal word, the ratio for near-equal ones."""
    if not these:
        return 0.0
    total = 0.0
    for word in these:
        best = 0.0
        for other in others:
            if word == other:
                best = 1.0
                break
            ratio = _word_ratio(word, other)
            if ratio >= WORD_MATCH and ratio > best:
                best = ratio
        total += best
    return total / len(these)


def title_similarity(event_title: str, broadcast_title: str) -> float:
    """0..1: mostly how much of the event's title the broadcast's title contains.

    Broadcast titles often add to the event's title (channel name, festival, year), so the
    event's words weigh more than the broadcast's.
    """
    mine, theirs = words(event_title), words(broadcast_title)
    if not mine or not theirs:
        a, b = event_title.casefold().strip(), broadcast_title.casefold().strip()
        return SequenceMatcher(None, a, b).ratio() if a and b else 0.0
    return 0.7 * _coverage(mine, theirs) + 0.3 * _coverage(theirs, mine)


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _when(minutes: float) -> str:
    rounded = round(minutes)
    if rounded == 0:
        return "starts at the event's start time"
    side = "before" if rounded < 0 else "after"
    amount = abs(rounded)
    text = f"{amount} min" if amount < 120 else f"{amount / 60:.1f} h"
    return f"starts {text} {side} the event"


def match_broadcasts(events: Sequence[EventInfo], broadcasts: Sequence[Broadcast]) -> MatchResult:
    """Link each broadcast to at most one event (and each event to at most one broadcast)."""
    pinned: Mapping[str, EventInfo] = {e.pinned_video_id: e for e in events if e.pinned_video_id}
    free = sorted((e for e in events if not e.pinned_video_id), key=lambda e: e.starts_at)
    starts = [e.starts_at for e in free]
    result = MatchResult()
    candidates: list[tuple[float, EventInfo, Broadcast, float, float]] = []
    near_misses: dict[str, tuple[EventInfo, float] | None] = {}
    seen: set[str] = set()
    for broadcast in broadcasts:
        if broadcast.video_id in seen:
            continue
        seen.add(broadcast.video_id)
        if broadcast.video_id in pinned:
            continue  # reported by the caller as the pinned event's video
        start = broadcast.starts_at
        if start is None:
            result.unmatched.append(Unmatched(broadcast.video_id, "it has no start time"))
            continue
        lo = bisect.bisect_left(starts, start - WINDOW)
        hi = bisect.bisect_right(starts, start + WINDOW)
        best: tuple[EventInfo, float] | None = None
        for event in free[lo:hi]:
            similarity = title_similarity(event.title, broadcast.title)
            apart = _minutes(start - event.starts_at)
            if best is None or similarity > best[1]:
                best = (event, similarity)
            if similarity >= SIMILAR or (similarity >= SOMEWHAT_SIMILAR and abs(apart) <= _minutes(CLOSE)):
                closeness = 1 - abs(apart) / _minutes(WINDOW)
                candidates.append((similarity + 0.5 * closeness, event, broadcast, similarity, apart))
        near_misses[broadcast.video_id] = best

    taken_events: set[int] = set()
    taken_videos: set[str] = set()
    for _score, event, broadcast, similarity, apart in sorted(candidates, key=lambda c: -c[0]):
        if event.event_id in taken_events or broadcast.video_id in taken_videos:
            continue
        taken_events.add(event.event_id)
        taken_videos.add(broadcast.video_id)
        reason = f"{_when(apart)}; title {round(similarity * 100)}% similar"
        result.links.append(Link(event.event_id, broadcast.video_id, similarity, apart, reason))

    for video_id, best in near_misses.items():
        if video_id in taken_videos:
            continue
        broadcast_start = next(b.starts_at for b in broadcasts if b.video_id == video_id)
        assert broadcast_start is not None
        if best is None:
            when = local(broadcast_start).strftime("%Y-%m-%d %H:%M")
            reason = f"no event starts within {WINDOW.seconds // 3600} h of its start ({when} Oslo time)"
        elif best[0].event_id in taken_events and best[1] >= SOMEWHAT_SIMILAR:
            reason = f"the closest event, {best[0].slug}, has a better-matching broadcast"
        else:
            reason = (
                f"no event near its start has a similar title "
                f"(closest: {best[0].slug}, {round(best[1] * 100)}% similar)"
            )
        result.unmatched.append(Unmatched(video_id, reason))
    result.links.sort(key=lambda link: link.event_id)
    return result
