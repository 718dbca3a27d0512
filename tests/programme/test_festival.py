"""Several festivals, the public cache (no cookie, ETag, 304, changes at once) and the feeds."""

from __future__ import annotations

import json
import re
from copy import deepcopy
from datetime import datetime
from pathlib import Path
from typing import Any

import icalendar
import jsonschema
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub.extensions import db
from hub.models import Event
from hub.programme.importer import ProgrammeFileError, import_programme
from tests.conftest import SHIPPED
from tests.factories import open_shipped_programme

SCHEMA = Path(__file__).parent / "schemas" / "c3voc-schedule.schema.json"


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SHIPPED.read_text(encoding="utf-8"))
    return data


def next_year() -> dict[str, Any]:
    """The same programme a year later, as a 2024 file would come."""
    data = deepcopy(shipped())
    data["festival"].update(slug="arendalsuka-2024", name="Arendalsuka 2024")
    for event in data["events"]:
        event["slug"] += "-2024"
        for key in ("starts_at", "ends_at"):
            event[key] = event[key].replace("2023-08-1", "2024-08-1")
        for item in event["agenda"]:
            item["starts_at"] = item["starts_at"] and item["starts_at"].replace("2023-08-1", "2024-08-1")
    return data


def load(data: dict[str, Any]) -> None:
    import_programme(db.session, data)
    db.session.commit()


# --- the cache -------------------------------------------------------------------------


@pytest.mark.usefixtures("programme")
@pytest.mark.parametrize(
    "path",
    ["/", "/events/fremtidens-kreftbehandling", "/programme.ics", "/programme.json", "/schedule.json"],
)
def test_public_gets_set_no_cookie_and_may_be_held_by_a_shared_cache(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert response.headers["ETag"]


@pytest.mark.usefixtures("programme")
def test_the_etag_is_answered_with_304_and_a_change_gives_a_new_one(client: FlaskClient) -> None:
    path = "/events/future-of-digital-health-in-norway?lang=en"
    first = client.get("/events/future-of-digital-health-in-norway")
    etag = first.headers["ETag"]
    again = client.get("/events/future-of-digital-health-in-norway", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    db.session.execute(
        update(Event).where(Event.slug == "future-of-digital-health-in-norway").values(title="Moved")
    )
    db.session.commit()
    changed = client.get("/events/future-of-digital-health-in-norway", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "Moved" in changed.text
    assert client.get(path).status_code == 200  # a visitor choosing a language is not cached


@pytest.mark.usefixtures("programme")
def test_a_sign_up_shows_in_the_seats_left_on_the_next_request(client: FlaskClient) -> None:
    before = client.get("/events/future-of-digital-health-in-norway").text
    assert "40 plasser igjen" in before or "40 seats left" in before
    event = db.session.scalar(select(Event).where(Event.slug == "future-of-digital-health-in-norway"))
    assert event is not None
    # Any write through a session bumps the version: here an ORM change, as a service would.
    event.seats_taken = 39
    db.session.commit()
    after = client.get("/events/future-of-digital-health-in-norway").text
    assert "1 plass igjen" in after or "1 seat left" in after


@pytest.mark.usefixtures("programme")
def test_a_visitor_with_a_session_gets_a_private_fresh_page(client: FlaskClient) -> None:
    client.get("/?lang=en")  # choosing a language starts a session
    response = client.get("/")
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "ETag" not in response.headers


# --- several festivals -----------------------------------------------------------------


def test_two_festivals_side_by_side(client: FlaskClient) -> None:
    load(shipped())
    load(next_year())
    assert db.session.scalar(select(Event).where(Event.slug == "fremtidens-kreftbehandling")) is not None
    # / shows the latest (both are over), the archive keeps 2023 apart, with its own feeds.
    current = client.get("/?lang=en").text
    assert "Arendalsuka 2024" in current
    assert "/events/fremtidens-kreftbehandling-2024" in current
    assert '/events/fremtidens-kreftbehandling"' not in current
    archive = client.get("/festivals/arendalsuka-2023/").text
    assert '/events/fremtidens-kreftbehandling"' in archive
    assert "-2024" not in re.sub(r'href="/festivals/arendalsuka-2024/"', "", archive)
    assert 'href="/festivals/arendalsuka-2024/"' in archive  # the festivals are listed
    old = client.get("/festivals/arendalsuka-2023/schedule.json").get_json()["schedule"]["conference"]
    assert (old["start"], old["end"], old["daysCount"]) == ("2023-08-15", "2023-08-16", 2)
    new = client.get("/schedule.json").get_json()["schedule"]["conference"]
    assert (new["start"], new["end"], new["daysCount"]) == ("2024-08-15", "2024-08-16", 2)
    assert len(client.get("/festivals/arendalsuka-2023/programme.json").get_json()["events"]) == 4
    ics = icalendar.Calendar.from_ical(client.get("/festivals/arendalsuka-2023/programme.ics").data)
    assert len(ics.walk("VEVENT")) == 4
    assert client.get("/festivals/nope/").status_code == 404


def test_the_running_festival_is_current_even_when_a_later_one_exists(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(shipped())
    load(next_year())
    monkeypatch.setattr(
        "hub.programme.views.utcnow", lambda: datetime.fromisoformat("2023-08-15T10:00:00+02:00")
    )
    page = client.get("/?lang=en").text
    assert "<h1>Arendalsuka 2023</h1>" in page
    assert 'id="now"' in page  # "now and next" while the festival runs


def test_the_day_list_holds_only_days_with_events(client: FlaskClient) -> None:
    data = shipped()
    far = deepcopy(data["events"][0])
    far.update(slug="far-off", starts_at="2099-08-15T08:00:00+02:00", ends_at="2099-08-15T09:00:00+02:00")
    data["events"].append(far)
    load(data)
    page = client.get("/").text
    assert len(page) < 100_000
    tabs = re.search(r'<nav class="day-tabs".*?</nav>', page, re.S)
    assert tabs is not None
    assert len(re.findall(r"<a ", tabs.group(0))) == 3  # 15 and 16 August 2023, and 2099


def test_the_importer_refuses_an_event_outside_the_festival_dates() -> None:
    data = shipped()
    data["festival"].update(starts_on="2023-08-14", ends_on="2023-08-15")
    with pytest.raises(ProgrammeFileError) as error:
        import_programme(db.session, data)
    assert str(error.value) == (
        "events[2].starts_at: 2023-08-16 is outside the festival's dates (2023-08-14 to 2023-08-15)"
    )


def test_an_event_slug_of_another_festival_is_refused(client: FlaskClient) -> None:
    load(shipped())
    data = next_year()
    data["events"][0]["slug"] = "fremtidens-kreftbehandling"
    with pytest.raises(
        ProgrammeFileError, match=r"events\[0\].slug: 'fremtidens-kreftbehandling' already belongs"
    ):
        import_programme(db.session, data)


# --- feeds -----------------------------------------------------------------------------


@pytest.mark.usefixtures("programme")
def test_schedule_json_validates_against_the_c3voc_schema(client: FlaskClient) -> None:
    document = client.get("/schedule.json").get_json()
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft6Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    conference = document["schedule"]["conference"]
    assert conference["acronym"] == "arendalsuka_2023"
    (digital,) = conference["days"][1]["rooms"]["Rygerelektra"]
    names = [p["name"] for p in digital["persons"]]
    assert names.count("Stephen McAdam") == 1
    assert not {"KS", "Lifeness", "Orcha"} & set(names)  # organisations are not persons
    assert "Arild Kristensen" in names


@pytest.mark.usefixtures("programme")
def test_person_guids_are_stable_and_the_version_moves_only_with_the_programme(client: FlaskClient) -> None:
    def digital() -> dict[str, Any]:
        document = client.get("/schedule.json").get_json()["schedule"]
        (event,) = document["conference"]["days"][1]["rooms"]["Rygerelektra"]
        return {"version": document["version"], "persons": event["persons"]}

    first = digital()
    db.session.execute(update(Event).where(Event.slug == "fremtidens-kreftbehandling").values(seats_taken=3))
    db.session.commit()
    assert digital() == first  # a sign-up is no change to the schedule
    db.session.execute(
        update(Event).where(Event.slug == "fremtidens-kreftbehandling").values(title="Ny tittel")
    )
    db.session.commit()
    second = digital()
    assert second["version"] != first["version"]
    assert second["persons"] == first["persons"]


@pytest.mark.usefixtures("programme")
def test_a_moved_event_gets_a_higher_ics_sequence(client: FlaskClient) -> None:
    def vevent() -> Any:
        (found,) = icalendar.Calendar.from_ical(
            client.get("/events/fremtidens-kreftbehandling.ics").data
        ).walk("VEVENT")
        return found

    before = vevent()
    assert int(before["SEQUENCE"]) == 0
    assert before["LAST-MODIFIED"]
    data = shipped()
    data["events"][0]["starts_at"] = "2023-08-15T09:00:00+02:00"
    data["events"][0]["ends_at"] = "2023-08-15T10:00:00+02:00"
    load(data)
    after = vevent()
    assert int(after["SEQUENCE"]) == 1
    assert after["LAST-MODIFIED"].dt >= before["LAST-MODIFIED"].dt
    load(data)  # importing the same file again changes nothing
    assert int(vevent()["SEQUENCE"]) == 1


@pytest.mark.usefixtures("programme")
def test_my_programme_as_a_calendar_and_a_shareable_page(client: FlaskClient) -> None:
    path = "/programme.ics?events=future-of-digital-health-in-norway,fremtidens-kreftbehandling,nope,<x>"
    events = icalendar.Calendar.from_ical(client.get(path).data).walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in events) == [
        "Fremtidens kreftbehandling",
        "The Future of Digital Health in Norway: Leading the Way",
    ]
    page = client.get("/?events=future-of-digital-health-in-norway,fremtidens-kreftbehandling&lang=en").text
    assert page.count('class="event-card"') == 2
    assert "/programme.ics?events=future-of-digital-health-in-norway,fremtidens-kreftbehandling" in page


# --- the event page --------------------------------------------------------------------


@pytest.mark.usefixtures("programme")
def test_the_event_page_offers_web_calendars_a_map_link_and_seats_left(client: FlaskClient) -> None:
    page = client.get("/events/fremtidens-kreftbehandling?lang=en").text
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in page
    assert "dates=20230815T060000Z%2F20230815T070000Z" in page
    assert "https://outlook.live.com/calendar/0/deeplink/compose?" in page
    assert "https://www.openstreetmap.org/search?query=Teaterplassen+2%2C+4836+Arendal" in page
    assert "80 seats left" in page
    # Nothing is loaded from another host: the map and calendars are plain links.
    assert not re.search(
        r'(src|href)="https?://(?!www\.openstreetmap|calendar\.google|outlook\.live)[^"]*"[^>]*>',
        page.split("<main")[0],
    )
    # The sign-up comes before the description (in the first screen on a phone).
    assert page.index('id="signup"') < page.index('class="description"')


@pytest.mark.usefixtures("programme")
def test_a_full_event_says_join_the_waiting_list(client: FlaskClient) -> None:
    open_shipped_programme()  # in 2023 it is over and shows no sign-up at all
    db.session.execute(update(Event).where(Event.slug == "fremtidens-kreftbehandling").values(seats_taken=80))
    db.session.commit()
    page = client.get("/events/fremtidens-kreftbehandling?lang=en").text
    assert page.count("Join the waiting list") >= 2  # the button at the top and the form's
    assert ">Sign up<" not in page


@pytest.mark.usefixtures("programme")
def test_the_event_pages_keep_the_seeds_words(client: FlaskClient) -> None:
    digital = client.get("/events/future-of-digital-health-in-norway?lang=en").text
    assert "Participants:" in digital
    assert (
        "CEO of Norwegian Smart Care Cluster Arild Kristensen representing Norwegian Health clusters"
        in digital
    )
    assert "A boat at the quay in Arendal" in digital
    assert "Les mer her" in digital
    assert "Stephen McAdam</span>" in digital  # 14:25, no role added
    ira = client.get("/events/medisinsk-innovasjon-etter-inflation-reduction-act").text
    assert (
        '<a href="https://www.youtube.com/@OsloCancerCluster" rel="noopener" lang="nb">Følg sendingen her</a>'
        in ira
    )
    assert "Les mer her" in ira
    first = client.get("/events/fremtidens-kreftbehandling").text
    assert (
        '<a href="https://www.youtube.com/@OsloCancerCluster" rel="noopener">See the meeting here.</a>'
        in first
    )
    assert first.count("See the meeting here") == 1
    other = client.get("/events/persontilpasset-medisin-og-ressurskrisen").text
    assert "Watch this video (in Norwegian) to understand personalised medicine:" in other
    assert "Følg sendingen her" in other
