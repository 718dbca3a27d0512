"""Matching broadcasts to events: pure, no database, no network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hub.livestream.matching import EventInfo, match_broadcasts, title_similarity, words


@dataclass(frozen=True)
class B:
    video_id: str
    title: str
    starts_at: datetime | None


def at(hour: int, minute: int = 0, day: int = 15) -> datetime:
    return datetime(2023, 8, day, hour, minute, tzinfo=UTC)


EVENTS = [
    EventInfo(1, "fremtidens-kreftbehandling", "Fremtidens kreftbehandling", at(6)),
    EventInfo(
        2,
        "medisinsk-innovasjon-etter-inflation-reduction-act",
        "Medisinsk innovasjon etter Inflation Reduction Act",
        at(12, 30),
    ),
    EventInfo(
        3,
        "future-of-digital-health-in-norway",
        "The Future of Digital Health in Norway: Leading the Way",
        at(11, 30, day=16),
    ),
    EventInfo(
        4,
        "persontilpasset-medisin-og-ressurskrisen",
        "Kan persontilpasset medisin bidra til å løse ressurskrisen i helsetjenesten?",
        at(14, 30, day=16),
    ),
]


def test_titles_fold_case_norwegian_letters_and_decorations() -> None:
    assert words("LIVE: Løse ressurskrisen på Arendalsuka 2023!") == ("lose", "ressurskrisen")
    assert title_similarity("Kan vi løse ressurskrisen?", "Kan vi lose ressurskrisen") == 1.0
    assert (
        title_similarity("Fremtidens kreftbehandling", "FREMTIDENS KREFTBEHANDLING | Arendalsuka 2023") == 1.0
    )
    # Inflected words count as the same word.
    assert title_similarity("Ressurskrisen i helsetjenesten", "Ressurskrise i helsetjeneste") > 0.8
    assert (
        title_similarity("Fremtidens kreftbehandling", "Oslo Cancer Cluster Innovation Park: årsmøte") < 0.1
    )


def test_links_four_broadcasts_with_slightly_different_titles_and_leaves_the_rest() -> None:
    broadcasts = [
        B("PersonMed04", "Persontilpasset medisin og ressurskrisen i helsetjenesten", at(14, 30, day=16)),
        B("DigiHealth3", "The Future of Digital Health in Norway – Leading the Way", at(11, 25, day=16)),
        B("AarsmoteOCC", "Oslo Cancer Cluster Innovation Park: årsmøte 2023", at(10)),
        B("MedInnIRA02", "Medisinsk innovasjon etter IRA (Inflation Reduction Act)", at(12, 30)),
        B("FremtidKr01", "Fremtidens kreftbehandling | Arendalsuka 2023", at(5, 55)),
        B("Fremtid2022", "Fremtidens kreftbehandling – Arendalsuka 2022", at(6) - timedelta(days=364)),
    ]
    result = match_broadcasts(EVENTS, broadcasts)
    assert {(link.event_id, link.video_id) for link in result.links} == {
        (1, "FremtidKr01"),
        (2, "MedInnIRA02"),
        (3, "DigiHealth3"),
        (4, "PersonMed04"),
    }
    reasons = {link.event_id: link.reason for link in result.links}
    assert reasons[1] == "starts 5 min before the event; title 100% similar"
    assert reasons[2] == "starts at the event's start time; title 96% similar"
    unmatched = {u.video_id: u.reason for u in result.unmatched}
    assert set(unmatched) == {"AarsmoteOCC", "Fremtid2022"}
    assert "closest: medisinsk-innovasjon-etter-inflation-reduction-act" in unmatched["AarsmoteOCC"]
    assert unmatched["Fremtid2022"].startswith("no event starts within 3 h")


def test_one_broadcast_never_goes_to_two_events() -> None:
    twins = [
        EventInfo(1, "a", "Fremtidens kreftbehandling", at(6)),
        EventInfo(2, "b", "Fremtidens kreftbehandling (del 2)", at(7)),
    ]
    result = match_broadcasts(twins, [B("FremtidKr01", "Fremtidens kreftbehandling", at(6))])
    assert [(link.event_id, link.video_id) for link in result.links] == [(1, "FremtidKr01")]


def test_each_event_gets_its_best_broadcast_only() -> None:
    result = match_broadcasts(
        EVENTS[:1],
        [
            B("Rehearsal01", "Fremtidens kreftbehandling (test)", at(5)),
            B("FremtidKr01", "Fremtidens kreftbehandling", at(5, 58)),
        ],
    )
    assert [link.video_id for link in result.links] == ["FremtidKr01"]
    assert result.unmatched[0].video_id == "Rehearsal01"
    assert "has a better-matching broadcast" in result.unmatched[0].reason


def test_time_alone_does_not_link() -> None:
    result = match_broadcasts(EVENTS, [B("Unrelated01", "Sommerhilsen fra kontoret", at(6))])
    assert result.links == []


def test_a_loosely_similar_title_needs_a_close_start() -> None:
    loose = "Persontilpasset kreftbehandling i Norge"
    assert 0.3 <= title_similarity("Fremtidens kreftbehandling", loose) < 0.55
    assert match_broadcasts(EVENTS[:1], [B("Close000001", loose, at(6, 10))]).links
    assert not match_broadcasts(EVENTS[:1], [B("Far00000001", loose, at(7, 30))]).links


def test_pinned_events_keep_their_video_and_take_no_other() -> None:
    pinned = [
        EventInfo(1, "fremtidens-kreftbehandling", "Fremtidens kreftbehandling", at(6), "Pinned00001"),
        EVENTS[1],
    ]
    broadcasts = [
        B("FremtidKr01", "Fremtidens kreftbehandling", at(6)),
        B("Pinned00001", "Medisinsk innovasjon etter Inflation Reduction Act", at(12, 30)),
    ]
    result = match_broadcasts(pinned, broadcasts)
    # The pinned video is not given to the event its title fits, and the pinned event gets nothing.
    assert result.links == []
    assert [u.video_id for u in result.unmatched] == ["FremtidKr01"]


def test_broadcast_without_start_time_is_reported() -> None:
    result = match_broadcasts(EVENTS, [B("NoStart0001", "Fremtidens kreftbehandling", None)])
    assert result.links == []
    assert result.unmatched[0].reason == "it has no start time"
