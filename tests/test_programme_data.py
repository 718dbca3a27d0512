"""The shipped Arendalsuka 2023 programme says what the seed says; the synthetic generator
keeps its promises.

These tests read files and call pure functions only: no app, no database.
"""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_FILE = ROOT / "hub" / "data" / "arendalsuka-2023.json"
OSLO = ZoneInfo("Europe/Oslo")
TUESDAY, WEDNESDAY = 1, 2  # date.weekday()

CLARION = ("Clarion Hotel Tyholmen Sal A", "Teaterplassen 2, 4836 Arendal")
RYGERELEKTRA = ("Rygerelektra", "Arendal")


@pytest.fixture(scope="module")
def programme() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def events(programme: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {event["slug"]: event for event in programme["events"]}


def local(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.utcoffset() is not None, f"{text!r} has no UTC offset"
    return value.astimezone(OSLO)


# --- the shipped programme -----------------------------------------------------------


def test_festival(programme: dict[str, Any]) -> None:
    festival = programme["festival"]
    assert festival["slug"] == "arendalsuka-2023"
    assert festival["name"] == "Arendalsuka 2023"
    assert festival["timezone"] == "Europe/Oslo"
    assert festival["youtube_channel"] == "@OsloCancerCluster"
    assert festival["host"] == "Oslo Cancer Cluster"
    assert festival["intro"]["text"] == (
        "Møt oss i Arendal! Vi skal sette kreftinnovasjon på den politiske dagsorden!\n\n"
        "Våre arrangementer streames direkte via vår YouTube-kanal @OsloCancerCluster."
    )


def test_four_events_in_order_of_start(programme: dict[str, Any]) -> None:
    slugs = [event["slug"] for event in programme["events"]]
    assert slugs == [
        "fremtidens-kreftbehandling",
        "medisinsk-innovasjon-etter-inflation-reduction-act",
        "future-of-digital-health-in-norway",
        "persontilpasset-medisin-og-ressurskrisen",
    ]


EVENT_FACTS = [
    (
        "fremtidens-kreftbehandling",
        "Fremtidens kreftbehandling",
        "nb",
        TUESDAY,
        datetime(2023, 8, 15, 8, 0, tzinfo=OSLO),
        datetime(2023, 8, 15, 9, 0, tzinfo=OSLO),
        CLARION,
        [
            "Oslo Cancer Cluster",
            "Kreftforeningen",
            "Legemiddelindustrien",
            "Janssen Norge",
            "MSD Norge",
            "AstraZeneca Norge",
        ],
    ),
    (
        "medisinsk-innovasjon-etter-inflation-reduction-act",
        "Medisinsk innovasjon etter Inflation Reduction Act",
        "nb",
        TUESDAY,
        datetime(2023, 8, 15, 14, 30, tzinfo=OSLO),
        datetime(2023, 8, 15, 15, 30, tzinfo=OSLO),
        CLARION,
        ["Oslo Cancer Cluster", "Abbvie", "Photocure"],
    ),
    (
        "future-of-digital-health-in-norway",
        "The Future of Digital Health in Norway: Leading the Way",
        "en",
        WEDNESDAY,
        datetime(2023, 8, 16, 13, 30, tzinfo=OSLO),
        datetime(2023, 8, 16, 14, 30, tzinfo=OSLO),
        RYGERELEKTRA,
        [
            "Oslo Cancer Cluster",
            "Norway Health Tech",
            "Norwegian Smart Care Cluster",
            "The Life Science Cluster",
            "DNV",
        ],
    ),
    (
        "persontilpasset-medisin-og-ressurskrisen",
        "Kan persontilpasset medisin bidra til å løse ressurskrisen i helsetjenesten?",
        "nb",
        WEDNESDAY,
        datetime(2023, 8, 16, 16, 30, tzinfo=OSLO),
        datetime(2023, 8, 16, 17, 30, tzinfo=OSLO),
        CLARION,
        ["CONNECT"],
    ),
]


@pytest.mark.parametrize(
    ("slug", "title", "language", "weekday", "starts", "ends", "venue", "organisers"),
    EVENT_FACTS,
    ids=[fact[0] for fact in EVENT_FACTS],
)
def test_event_facts(
    events: dict[str, dict[str, Any]],
    slug: str,
    title: str,
    language: str,
    weekday: int,
    starts: datetime,
    ends: datetime,
    venue: tuple[str, str],
    organisers: list[str],
) -> None:
    event = events[slug]
    assert event["title"] == title
    assert event["language"] == language
    start, end = local(event["starts_at"]), local(event["ends_at"])
    assert (start, end) == (starts, ends)
    assert (start.hour, start.minute, end.hour, end.minute) == (
        starts.hour,
        starts.minute,
        ends.hour,
        ends.minute,
    )
    assert start.date() == starts.date()
    assert start.weekday() == weekday
    assert event["starts_at"].endswith("+02:00")
    assert event["ends_at"].endswith("+02:00")
    assert (event["venue"]["name"], event["venue"]["address"]) == venue
    assert event["organisers"] == organisers
    assert event["capacity"] == (40 if venue == RYGERELEKTRA else 80)
    assert event["attendance"] == ["in_person", "online"]
    assert event["links"]["read_more"] is None
    assert event["links"]["livestream"] is None
    assert event["livestream"] == {"video_id": None, "status": "none"}


DESCRIPTION_PARAGRAPHS = {
    "fremtidens-kreftbehandling": (
        3,
        "Velkommen til frokostseminar om samfunnsoppdraget kreft.",
        (
            "Dette er sentrale spørsmål vi vil debattere med politikere og samfunnsaktører "
            "under dette frokostseminaret i møteserien Fremtidens kreftbehandling."
        ),
    ),
    "medisinsk-innovasjon-etter-inflation-reduction-act": (
        6,
        (
            "Hvordan vil USAs enorme støttepakke til egen industri påvirke medisinsk "
            "innovasjon i Europa og Norge?"
        ),
        ("skal svare på den globale utviklingen som USA nå dytter framover med sin nasjonale støttepakke."),
    ),
    "future-of-digital-health-in-norway": (
        1,
        (
            "Digital solutions offer significant potential to enhance healthcare delivery "
            "and innovation for Norwegian businesses."
        ),
        (
            "aiming to inspire Norway to become a pioneer in secure and impactful digital "
            "healthcare solutions."
        ),
    ),
    "persontilpasset-medisin-og-ressurskrisen": (
        4,
        (
            "Konsortiet CONNECT inviterer til diskusjon om persontilpasset medisin i lys av "
            "ressurskrisen i helsetjenestene."
        ),
        "og hvilken plass persontilpasset medisin bør få i helsetjenesten.",
    ),
}


@pytest.mark.parametrize("slug", list(DESCRIPTION_PARAGRAPHS))
def test_descriptions_are_complete(events: dict[str, dict[str, Any]], slug: str) -> None:
    count, first, last_ending = DESCRIPTION_PARAGRAPHS[slug]
    paragraphs = events[slug]["description"].split("\n\n")
    assert len(paragraphs) == count
    assert paragraphs[0].startswith(first)
    assert paragraphs[-1].endswith(last_ending)
    for paragraph in paragraphs:
        assert paragraph == paragraph.strip()
        assert paragraph
        assert "\u00a0" not in paragraph
        assert "\n" not in paragraph
    assert "Les mer her" not in events[slug]["description"]
    assert "Arrangører" not in events[slug]["description"]


def test_one_line_paragraph_is_kept(events: dict[str, dict[str, Any]]) -> None:
    event = events["medisinsk-innovasjon-etter-inflation-reduction-act"]
    paragraphs = event["description"].split("\n\n")
    assert paragraphs[3] == "Hvordan skal Europa og Norge svare på dette?"
    assert "formidabel – og økende" in events["fremtidens-kreftbehandling"]["description"]


DIGITAL_HEALTH_AGENDA = [
    ("13:30", "Introduction and Moderation", ["Stephen McAdam"], None),
    (
        "13:35",
        "Norges strategi for implementering av digitale helse teknologier",
        ["Lucie Aunan"],
        "Presentation in Norwegian",
    ),
    (
        "13:40",
        "The Importance of Certification for Norwegian Municipalities",
        ["Terje Wistner"],
        None,
    ),
    ("13:45", "Sleepio: Experience from the UK and Other Countries", [], "Video"),
    (
        "13:48",
        "A European Perspective: What’s Working and What’s Not",
        ["Liz Ashall Payne"],
        None,
    ),
    (
        "14:00",
        "Challenges of Implementing Digital Solutions in Norway",
        ["Solvor Øverlien Magi"],
        None,
    ),
    (
        "14:07",
        "Round Table Discussion",
        ["KS", "Lifeness", "Orcha", "Arild Kristensen"],
        None,
    ),
    ("14:25", "Summarizing Comments", ["Stephen McAdam"], None),
    ("14:30", "Closing Remarks", [], None),
]


def test_digital_health_agenda(events: dict[str, dict[str, Any]]) -> None:
    agenda = events["future-of-digital-health-in-norway"]["agenda"]
    rows = [
        (
            local(item["starts_at"]).strftime("%H:%M"),
            item["title"],
            [speaker["name"] for speaker in item["speakers"]],
            item["note"],
        )
        for item in agenda
    ]
    assert rows == DIGITAL_HEALTH_AGENDA
    assert all(local(item["starts_at"]).date() == date(2023, 8, 16) for item in agenda)


def test_digital_health_speaker_roles(events: dict[str, dict[str, Any]]) -> None:
    agenda = events["future-of-digital-health-in-norway"]["agenda"]
    roles = [
        (local(item["starts_at"]).strftime("%H:%M"), speaker["name"], speaker["role"])
        for item in agenda
        for speaker in item["speakers"]
    ]
    assert roles == [
        ("13:30", "Stephen McAdam", "DNV"),  # "Presented by Stephen McAdam from DNV"
        ("13:35", "Lucie Aunan", "Divisjonsdirektør at Direktoratet for eHelse"),
        ("13:40", "Terje Wistner", "Director ehealth at KS"),
        ("13:48", "Liz Ashall Payne", "CEO and Founder of Orcha"),
        ("14:00", "Solvor Øverlien Magi", "CEO of Lifeness"),
        ("14:07", "KS", None),
        ("14:07", "Lifeness", None),
        ("14:07", "Orcha", None),
        ("14:07", "Arild Kristensen", "CEO of Norwegian Smart Care Cluster"),
        ("14:25", "Stephen McAdam", None),  # the seed gives no role at 14:25
    ]


def test_the_round_table_lists_participants_in_the_seeds_words(events: dict[str, dict[str, Any]]) -> None:
    (round_table,) = [
        item
        for item in events["future-of-digital-health-in-norway"]["agenda"]
        if item["title"] == "Round Table Discussion"
    ]
    assert round_table["speakers_label"] == "Participants"
    kinds = {s["name"]: s.get("kind", "person") for s in round_table["speakers"]}
    assert kinds == {
        "KS": "organisation",
        "Lifeness": "organisation",
        "Orcha": "organisation",
        "Arild Kristensen": "person",
    }
    assert round_table["speakers"][-1]["text"] == (
        "CEO of Norwegian Smart Care Cluster Arild Kristensen representing Norwegian Health clusters"
    )


def test_rygerelektra_is_a_boat_at_the_quay(events: dict[str, dict[str, Any]]) -> None:
    venue = events["future-of-digital-health-in-norway"]["venue"]
    assert venue["description"] == "A boat at the quay in Arendal"


SEED_LINKS = {
    "fremtidens-kreftbehandling": {},
    "medisinsk-innovasjon-etter-inflation-reduction-act": {
        "read_more_text": "Les mer her",
        "livestream_text": "Følg sendingen her",
    },
    "future-of-digital-health-in-norway": {"read_more_text": "Les mer her"},
    "persontilpasset-medisin-og-ressurskrisen": {
        "read_more_text": "Les mer her",
        "livestream_text": "Følg sendingen her",
    },
}


def test_link_texts_are_where_the_seed_has_them(events: dict[str, dict[str, Any]]) -> None:
    for slug, texts in SEED_LINKS.items():
        links = events[slug]["links"]
        assert {k: v for k, v in links.items() if k.endswith("_text")} == texts, slug


def test_other_events_have_no_agenda(events: dict[str, dict[str, Any]]) -> None:
    without = [slug for slug, event in events.items() if not event["agenda"]]
    assert without == [
        "fremtidens-kreftbehandling",
        "medisinsk-innovasjon-etter-inflation-reduction-act",
        "persontilpasset-medisin-og-ressurskrisen",
    ]


def quotes_by(recap: dict[str, Any], speaker: str) -> list[str]:
    return [
        block["text"] for block in recap["blocks"] if block["kind"] == "quote" and block["speaker"] == speaker
    ]


def test_recap_of_connect_meeting(events: dict[str, dict[str, Any]]) -> None:
    recap = events["persontilpasset-medisin-og-ressurskrisen"]["recap"]
    assert recap["title"] == "Personalised medicine to relieve the health service"
    assert recap["language"] == "en"
    assert recap["lead"] == (
        "Smaller patient groups and targeted treatments are the future of cancer care in Norway."
    )
    headings = [b["text"] for b in recap["blocks"] if b["kind"] == "heading"]
    assert headings == [
        "Forward-looking health authorities",
        "Urgent lack of resources",
        "Public-private collaboration needed",
        "Political ambitions",
    ]
    (spreng,) = quotes_by(recap, "Ulrich Spreng")
    assert spreng.endswith("This is very exciting for New Methods!")
    roles = {b["speaker"]: b["role"] for b in recap["blocks"] if b["kind"] == "quote"}
    assert roles["Ulrich Spreng"] == (
        "Chief Medical Officer of the South-Eastern Regional Health Authority (Helse Sør-Øst)"
    )
    assert roles["Gro Live Fagereng"] == ("Coordinator Precision Cancer Medicine at Oslo University Hospital")
    assert roles["Erik Magnus Sæther"] == "Partner at Oslo Economics"
    assert quotes_by(recap, "Åsmund Flobak")[0].startswith(
        "Traditionally, we have treated patients on a group level"
    )
    vasvik = quotes_by(recap, "Truls Vasvik")
    assert len(vasvik) == 2
    assert vasvik[1].startswith("Our doors are always open.")
    # One quote in the seed, split only by "commented Thomas Axelsen, ...": one quote here.
    (axelsen,) = quotes_by(recap, "Thomas Axelsen")
    assert axelsen == (
        "We need to nurture this collaboration, develop it and use it in more areas. Personalised "
        "medicine in cancer needs to happen, no matter what. It is just about how fast we want it to "
        "happen. If we do it faster, we can save patients’ lives."
    )
    texts = [block["text"] for block in recap["blocks"]]
    assert (
        "Åsmund Flobak, oncologist at St. Olavs Hospital, explained how personalised "
        "medicine enables us to learn from patients:"
    ) in texts
    # The seed's line before its embedded video is kept, right after Flobak's quote.
    kinds = [(b["kind"], b["text"]) for b in recap["blocks"]]
    flobak = next(i for i, b in enumerate(recap["blocks"]) if b.get("speaker") == "Åsmund Flobak")
    assert kinds[flobak + 1] == (
        "video",
        "Watch this video (in Norwegian) to understand personalised medicine:",
    )
    assert not any("“" in text or "”" in text for text in texts)


def test_recap_of_fremtidens_kreftbehandling(events: dict[str, dict[str, Any]]) -> None:
    recap = events["fremtidens-kreftbehandling"]["recap"]
    assert recap["title"] == "Arendalsuka: – We need to attract the big companies"
    assert recap["lead"] == "Norway needs more big companies to deliver on the Mission on Cancer."
    # One quote over two paragraphs in the seed (the second opens with a new quote mark).
    (lofthus,) = quotes_by(recap, "Cathrine Lofthus")
    first, second = lofthus.split("\n\n")
    assert first.startswith("Norway is a part of the Mission on Cancer")
    assert second.startswith("We have a great health service and fantastic health data")
    assert "we need to attract the big companies and their competence" in second
    (bjerke,) = quotes_by(recap, "Astrid Bjerke")
    assert "they are leaving no stone unturned in the fight against cancer" in bjerke
    roles = {b["speaker"]: b["role"] for b in recap["blocks"] if b["kind"] == "quote"}
    assert roles["Astrid Bjerke"] == "strategic adviser for the Norwegian Cancer Society"
    assert roles["Even Røed"] == "the Labour Party (Norway)"
    assert roles["Alfred Bjørlo"] == "the Liberal Party (Norway)"
    assert roles["Jónas Einarsson"] == ("CEO of Radforsk Investment Fund and founder of Oslo Cancer Cluster")
    texts = [block["text"] for block in recap["blocks"]]
    # "See the meeting here. See the meeting here." in the seed: one link to the recording.
    assert [b for b in recap["blocks"] if "See the meeting here" in b["text"]] == [
        {"kind": "recording_link", "text": "See the meeting here.", "speaker": None, "role": None}
    ]
    assert recap["blocks"][1]["kind"] == "recording_link"
    assert texts[-1] == (
        "The meeting was organised by Oslo Cancer Cluster, the Norwegian Cancer Society, "
        "Legemiddelindustrien LMI, MSD Norway, Janssen Norway and AstraZeneca Norway. "
        "Thank you to our collaboration partners!"
    )


def test_only_two_recaps_and_no_gilead(programme: dict[str, Any], events: dict[str, dict[str, Any]]) -> None:
    with_recap = [slug for slug, event in events.items() if event["recap"] is not None]
    assert with_recap == [
        "fremtidens-kreftbehandling",
        "persontilpasset-medisin-og-ressurskrisen",
    ]
    assert "Gilead" not in json.dumps(programme, ensure_ascii=False)


def test_file_is_utf8_not_escaped() -> None:
    text = DATA_FILE.read_text(encoding="utf-8")
    assert "Møt oss i Arendal!" in text
    assert "\\u00f8" not in text


# --- the synthetic generator -----------------------------------------------------------


def _load_synthetic() -> ModuleType:
    """Load hub/programme/synthetic.py by path.

    The package ``hub.programme`` builds the Flask blueprint on import; the generator is
    pure, so load the module on its own and keep these tests free of the web app.
    """
    path = ROOT / "hub" / "programme" / "synthetic.py"
    spec = importlib.util.spec_from_file_location("_synthetic_under_test", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synthetic = _load_synthetic()


@pytest.fixture(scope="module")
def default_programme() -> dict[str, Any]:
    result: dict[str, Any] = synthetic.generate_programme()
    return result


def test_synthetic_default_counts(default_programme: dict[str, Any]) -> None:
    evs = default_programme["events"]
    assert len(evs) == 1500
    assert len({e["venue"]["name"] for e in evs}) == 60
    days = {local(e["starts_at"]).date() for e in evs}
    assert days == {date(2023, 8, 14) + timedelta(days=n) for n in range(7)}
    assert default_programme["festival"]["slug"] == "synthetic-festival"
    assert default_programme["festival"]["youtube_channel"] == "@OsloCancerCluster"


@pytest.mark.parametrize(("count", "days", "venues"), [(40, 3, 5), (25, 5, 20), (7, 7, 1)])
def test_synthetic_requested_counts(count: int, days: int, venues: int) -> None:
    evs = synthetic.generate_programme(events=count, days=days, venues=venues, seed=1)["events"]
    assert len(evs) == count
    assert len({e["venue"]["name"] for e in evs}) == venues
    assert len({local(e["starts_at"]).date() for e in evs}) == days


def test_synthetic_slugs_unique_and_readable(default_programme: dict[str, Any]) -> None:
    slugs = [e["slug"] for e in default_programme["events"]]
    assert len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(r"synthetic-\d{4}-[a-z0-9]+(-[a-z0-9]+)*", s) for s in slugs)
    assert slugs[0].startswith("synthetic-0001-")
    assert slugs[-1].startswith("synthetic-1500-")


def test_synthetic_is_deterministic(default_programme: dict[str, Any]) -> None:
    assert synthetic.generate_programme(seed=2023) == default_programme
    assert synthetic.generate_programme(seed=2024) != default_programme


def test_synthetic_times(default_programme: dict[str, Any]) -> None:
    evs = default_programme["events"]
    starts = [local(e["starts_at"]) for e in evs]
    assert starts == sorted(starts)
    for event in evs:
        start, end = local(event["starts_at"]), local(event["ends_at"])
        assert end > start
        assert timedelta(minutes=30) <= end - start <= timedelta(minutes=120)
        assert start.date() == end.date()
        assert start.hour >= 8
        assert (end.hour, end.minute) <= (22, 0)
        for item in event["agenda"]:
            assert start <= local(item["starts_at"]) < end


def test_synthetic_event_contents(default_programme: dict[str, Any]) -> None:
    evs = default_programme["events"]
    pool = set(synthetic.ORGANISER_POOL)
    assert 140 <= len(pool) <= 160
    for event in evs:
        assert event["language"] in ("nb", "en")
        assert 1 <= len(event["organisers"]) <= 4
        assert set(event["organisers"]) <= pool
        assert len(set(event["organisers"])) == len(event["organisers"])
        assert 0 <= len(event["agenda"]) <= 8
        assert event["recap"] is None
        assert event["title"]
        assert event["description"]
    assert {e["language"] for e in evs} == {"nb", "en"}
    capacities = [e["capacity"] for e in evs]
    assert None in capacities
    assert any(isinstance(c, int) for c in capacities)
    assert any(item["speakers"] for e in evs for item in e["agenda"])


def test_synthetic_has_the_shipped_shape(
    programme: dict[str, Any], default_programme: dict[str, Any]
) -> None:
    assert set(default_programme) == set(programme)
    assert set(default_programme["festival"]) == set(programme["festival"])
    shipped_keys = {frozenset(event) for event in programme["events"]}
    assert {frozenset(event) for event in default_programme["events"]} == shipped_keys
    shipped_item = programme["events"][2]["agenda"][0]
    for event in default_programme["events"]:
        for item in event["agenda"]:
            assert set(item) == set(shipped_item)


def test_synthetic_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        synthetic.generate_programme(days=0)
    with pytest.raises(ValueError, match="at least 1"):
        synthetic.generate_programme(venues=0)


def test_synthetic_command_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "programme.json"
    assert synthetic.main(["--events", "12", "--days", "2", "--venues", "3", "--out", str(out)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == synthetic.generate_programme(events=12, days=2, venues=3)


def test_quotes_lose_the_stray_trailing_commas(events: dict[str, dict[str, Any]]) -> None:
    quotes = [
        block["text"]
        for event in events.values()
        for block in (event["recap"] or {}).get("blocks", [])
        if block["kind"] == "quote"
    ]
    assert len(quotes) == 15  # 17 in the seed's layout, two of them halves of one quote
    assert not [q for q in quotes if q.rstrip().endswith(",")]
