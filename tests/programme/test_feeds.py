"""Calendar, JSON and schedule feeds, read back the way calendar and schedule apps read them."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from flask.testing import FlaskClient, FlaskCliRunner

OSLO = ZoneInfo("Europe/Oslo")
pytestmark = pytest.mark.usefixtures("programme")


def test_event_ics_parses_with_the_right_time_zone_and_details(client: FlaskClient) -> None:
    response = client.get("/events/fremtidens-kreftbehandling.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    (event,) = cal.walk("VEVENT")
    assert str(event["summary"]) == "Fremtidens kreftbehandling"
    assert event.decoded("dtstart") == datetime(2023, 8, 15, 8, 0, tzinfo=OSLO)
    assert event.decoded("dtend") == datetime(2023, 8, 15, 9, 0, tzinfo=OSLO)
    assert event["dtstart"].params["TZID"] == "Europe/Oslo"
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Oslo"]
    assert str(event["location"]) == "Clarion Hotel Tyholmen Sal A, Teaterplassen 2, 4836 Arendal"
    assert str(event["url"]) == "http://hub.test/events/fremtidens-kreftbehandling"
    assert "Velkommen til frokostseminar" in str(event["description"])
    assert str(event["uid"]) == "fremtidens-kreftbehandling@arendalsuka-2023.arendalsuka-hub"


def test_programme_ics_has_stable_uids(client: FlaskClient) -> None:
    first = icalendar.Calendar.from_ical(client.get("/programme.ics").data)
    second = icalendar.Calendar.from_ical(client.get("/programme.ics").data)
    uids = [str(e["uid"]) for e in first.walk("VEVENT")]
    assert len(uids) == 4
    assert len(set(uids)) == 4
    assert uids == [str(e["uid"]) for e in second.walk("VEVENT")]


def test_programme_json_round_trips_through_import(
    client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path, programme: dict[str, Any]
) -> None:
    exported = client.get("/programme.json").get_json()
    assert exported["festival"]["youtube_channel"] == "@OsloCancerCluster"
    assert [e["slug"] for e in exported["events"]] == [e["slug"] for e in programme["events"]]
    digital = exported["events"][2]
    assert digital["starts_at"] == "2023-08-16T13:30:00+02:00"
    assert digital["venue"] == {
        "name": "Rygerelektra",
        "address": "Arendal",
        "description": "A boat at the quay in Arendal",
    }
    assert len(digital["agenda"]) == 9
    assert digital["livestream"]["status"] == "none"

    path = tmp_path / "exported.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    result = runner.invoke(args=["hub", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 4 unchanged" in result.output
    assert client.get("/programme.json").get_json()["events"] == exported["events"]


def test_importing_a_change_updates_the_event(
    client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path, programme: dict[str, Any]
) -> None:
    changed = json.loads(json.dumps(programme))
    changed["events"][0]["venue"] = {"name": "Arendal kulturhus", "address": "Friergangen 1"}
    changed["events"][0]["organisers"].append("Ny partner")
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    result = runner.invoke(args=["hub", "import", str(path)])
    assert "0 created, 1 updated, 3 unchanged" in result.output
    event = client.get("/programme.json").get_json()["events"][0]
    assert event["venue"]["name"] == "Arendal kulturhus"
    assert event["organisers"][-1] == "Ny partner"


def test_schedule_json_is_frab_shaped(client: FlaskClient) -> None:
    schedule = client.get("/schedule.json").get_json()["schedule"]
    conference = schedule["conference"]
    assert conference["title"] == "Arendalsuka 2023"
    assert conference["start"] == "2023-08-15"
    assert conference["end"] == "2023-08-16"
    assert conference["daysCount"] == 2
    assert conference["time_zone_name"] == "Europe/Oslo"
    assert {r["name"] for r in conference["rooms"]} == {"Clarion Hotel Tyholmen Sal A", "Rygerelektra"}
    day2 = conference["days"][1]
    (digital,) = day2["rooms"]["Rygerelektra"]
    assert digital["start"] == "13:30"
    assert digital["duration"] == "01:00"
    assert digital["language"] == "en"
    assert [p["name"] for p in digital["persons"]].count("Stephen McAdam") == 1
    assert len(day2["rooms"]["Clarion Hotel Tyholmen Sal A"]) == 1


def test_unknown_event_ics_is_404(client: FlaskClient) -> None:
    assert client.get("/events/nope.ics").status_code == 404


def test_reimporting_an_export_keeps_synced_links_unpinned(
    client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from hub.extensions import db
    from hub.models import Event, Livestream, StreamStatus

    event = db.session.scalar(select(Event).where(Event.slug == "fremtidens-kreftbehandling"))
    assert event is not None
    event.livestream = Livestream(video_id="LiveNowV002", status=StreamStatus.LIVE, pinned=False)
    db.session.commit()
    exported = client.get("/programme.json").get_json()
    assert exported["events"][0]["livestream"]["status"] == "live"
    assert exported["events"][0]["livestream"]["pinned"] is False
    exported["events"][1]["livestream"] = {"video_id": "PinnedVid01", "status": "upcoming"}
    path = tmp_path / "exported.json"
    path.write_text(json.dumps(exported), encoding="utf-8")

    result = runner.invoke(args=["hub", "import", str(path)])
    assert "1 updated, 3 unchanged" in result.output
    streams = {s.event.slug: s for s in db.session.scalars(select(Livestream))}
    assert streams["fremtidens-kreftbehandling"].pinned is False
    assert streams["fremtidens-kreftbehandling"].status is StreamStatus.LIVE
    # A video id without "pinned" (the shipped file's shape) is an organiser's pin.
    assert streams["medisinsk-innovasjon-etter-inflation-reduction-act"].pinned is True
    assert streams["medisinsk-innovasjon-etter-inflation-reduction-act"].video_id == "PinnedVid01"
